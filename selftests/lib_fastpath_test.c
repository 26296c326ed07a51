// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's primitives enter the kernel only to sleep or to wake a
 * sleeper (<shmbus.h>, section 3): uncontended mutex lock and unlock,
 * semaphore post and trywait, event set, trywait and reset, read and write
 * lock and unlock, condition signal and broadcast with nobody waiting, a
 * one-party barrier, make no WAIT, WAKE, WAITV or CMP_REQUEUE at all
 * (shmbus_region_calls(), the module's per-handle counters, do not move);
 * a contended lock does make them (so these tests can fail).  The calls
 * per operation of contended ping-pongs are logged, for the record.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define PAIRS		100000
#define PING_PONGS	10000

struct shared {
	struct shmbus_mutex m;
	struct shmbus_cond c;
	struct shmbus_sem s[2];
	struct shmbus_event auto_e, manual_e;
	struct shmbus_rwlock l;
	struct shmbus_barrier b;
	unsigned int turn;		/* cond ping-pong, guarded by m */
	struct shmbus_calls child_calls;	/* what a child measured */
	struct shmbus_calls sides[2];		/* each side of a ping-pong */
};

FIXTURE(fastpath) {
	struct lib_region reg;
	struct shared *sh;
	struct shmbus_calls before;
};

FIXTURE_SETUP(fastpath)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
	ASSERT_EQ(0, shmbus_cond_init(&self->sh->c));
	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s[0], 0));
	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s[1], 0));
	ASSERT_EQ(0, shmbus_event_init(&self->sh->auto_e, 0));
	ASSERT_EQ(0, shmbus_event_init(&self->sh->manual_e, SHMBUS_EVENT_MANUAL_RESET));
	ASSERT_EQ(0, shmbus_rwlock_init(&self->sh->l));
	ASSERT_EQ(0, shmbus_barrier_init(&self->sh->b, 1));
	ASSERT_EQ(0, shmbus_region_calls(self->reg.r, &self->before));
}

FIXTURE_TEARDOWN(fastpath)
{
	kill_children();
	lib_region_close(&self->reg);
}

/* The region's calls in this process have not moved since the setup. */
static void expect_no_calls(struct __test_metadata *_metadata, FIXTURE_DATA(fastpath) *self)
{
	struct shmbus_calls now;

	ASSERT_EQ(0, shmbus_region_calls(self->reg.r, &now));
	EXPECT_EQ(self->before.waits, now.waits);
	EXPECT_EQ(self->before.wakes, now.wakes);
	EXPECT_EQ(self->before.waitvs, now.waitvs);
	EXPECT_EQ(self->before.requeues, now.requeues);
}

/* Uncontended lock/unlock, trylock/unlock and timedlock/unlock pairs: no call. */
TEST_F(fastpath, mutex_uncontended)
{
	struct timespec later = lib_deadline(CLOCK_MONOTONIC, NSEC_PER_SEC);
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_mutex_lock(&self->sh->m) != 0;
		errors += shmbus_mutex_unlock(&self->sh->m) != 0;
	}
	for (i = 0; i < PAIRS / 10; i++) {
		errors += shmbus_mutex_trylock(&self->sh->m) != 0;
		errors += shmbus_mutex_unlock(&self->sh->m) != 0;
		errors += shmbus_mutex_timedlock(&self->sh->m, CLOCK_MONOTONIC, &later) != 0;
		errors += shmbus_mutex_unlock(&self->sh->m) != 0;
	}
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/* post/trywait pairs, and a failed trywait, with nobody waiting: no call. */
TEST_F(fastpath, sem_post_trywait)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_sem_post(&self->sh->s[0]) != 0;
		errors += shmbus_sem_trywait(&self->sh->s[0]) != 0;
	}
	errors += shmbus_sem_trywait(&self->sh->s[0]) != -EAGAIN;
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, shmbus_sem_value(&self->sh->s[0]));
	expect_no_calls(_metadata, self);
}

/* set/trywait pairs (auto-reset), set/trywait/reset (manual-reset), nobody waiting: no call. */
TEST_F(fastpath, event_set_trywait)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_event_set(&self->sh->auto_e) != 0;
		errors += shmbus_event_trywait(&self->sh->auto_e) != 0;
	}
	for (i = 0; i < PAIRS / 10; i++) {
		errors += shmbus_event_set(&self->sh->manual_e) != 0;
		errors += shmbus_event_trywait(&self->sh->manual_e) != 0;
		errors += shmbus_event_reset(&self->sh->manual_e) != 0;
	}
	errors += shmbus_event_trywait(&self->sh->auto_e) != -EAGAIN;
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/* Read lock/unlock pairs, tryrdlock included: no call. */
TEST_F(fastpath, rwlock_read)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_rwlock_rdlock(&self->sh->l) != 0;
		errors += shmbus_rwlock_unlock(&self->sh->l) != 0;
	}
	for (i = 0; i < PAIRS / 10; i++) {
		errors += shmbus_rwlock_tryrdlock(&self->sh->l) != 0;
		errors += shmbus_rwlock_unlock(&self->sh->l) != 0;
	}
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/* Write lock/unlock pairs, trywrlock included: no call. */
TEST_F(fastpath, rwlock_write)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_rwlock_wrlock(&self->sh->l) != 0;
		errors += shmbus_rwlock_unlock(&self->sh->l) != 0;
	}
	for (i = 0; i < PAIRS / 10; i++) {
		errors += shmbus_rwlock_trywrlock(&self->sh->l) != 0;
		errors += shmbus_rwlock_unlock(&self->sh->l) != 0;
	}
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/* Signal and broadcast with no waiter: no call. */
TEST_F(fastpath, cond_no_waiter)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++) {
		errors += shmbus_cond_signal(&self->sh->c) != 0;
		errors += shmbus_cond_broadcast(&self->sh->c) != 0;
	}
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/* A barrier of one party: no call. */
TEST_F(fastpath, barrier_single_party)
{
	int i, errors = 0;

	for (i = 0; i < PAIRS; i++)
		errors += shmbus_barrier_wait(&self->sh->b) != SHMBUS_BARRIER_LAST;
	EXPECT_EQ(0, errors);
	expect_no_calls(_metadata, self);
}

/*
 * In a child: the region through a handle of its own (REOPEN), mapped, so
 * that its counts are its own: the region's fd inherited from the test is
 * one file, whose counters both processes' calls would move.
 */
static int own_region(struct lib_region *inherited, struct lib_region *mine)
{
	int fd = shmbus_reopen(lib_region_fd(inherited)), ret;

	if (fd < 0)
		return fd;
	ret = shmbus_region_adopt(fd, &mine->r);
	if (ret) {
		close(fd);
		return ret;
	}
	mine->size = inherited->size;
	return shmbus_region_map(mine->r, 0, 0, LIB_RW, &mine->map);
}

struct holder {
	struct lib_region *reg;
	int tell;		/* the pipe to the test */
};

/* Lock, tell the test, unlock once the test sleeps on the mutex; note its own calls. */
static int hold_until_sleeper(void *arg)
{
	struct holder *h = arg;
	struct shmbus_calls before, after;
	struct lib_region mine;
	struct shared *sh;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (own_region(h->reg, &mine))
		return 5;
	sh = mine.map;
	if (shmbus_region_calls(mine.r, &before) || shmbus_mutex_lock(&sh->m))
		return 1;
	if (lib_tell(h->tell))
		return 2;
	if (await_waiters(lib_region_fd(&mine), 1, LIB_WATCHDOG_MS))
		return 3;
	if (shmbus_mutex_unlock(&sh->m) || shmbus_region_calls(mine.r, &after))
		return 4;
	sh->child_calls.waits = after.waits - before.waits;
	sh->child_calls.wakes = after.wakes - before.wakes;
	return 0;
}

/*
 * Contended, the counters do move: a lock that finds the mutex held sleeps
 * (a WAIT here), and the holder's unlock wakes it (a WAKE there).
 */
TEST_F(fastpath, contended_lock_enters_kernel)
{
	struct holder h = { .reg = &self->reg };
	struct shmbus_calls now;
	int up[2];
	pid_t pid;

	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	h.tell = up[1];
	pid = spawn(hold_until_sleeper, &h);
	ASSERT_LT(0, pid);
	close(up[1]);
	ASSERT_EQ(0, lib_hear(up[0]));
	EXPECT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(0, lib_reap(pid));
	ASSERT_EQ(0, shmbus_region_calls(self->reg.r, &now));
	EXPECT_LE(1, now.waits - self->before.waits);
	EXPECT_LE(1, self->sh->child_calls.wakes);
	close(up[0]);
}

/* ---- Contended ping-pongs, measured ---- */

struct side {
	struct lib_region *reg;
	int me;
	unsigned int rounds;
	int (*play)(struct shared *sh, int me, unsigned int rounds);
};

/* Alternate turns with the mutex and the condition variable. */
static int play_cond(struct shared *sh, int me, unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (shmbus_mutex_lock(&sh->m))
			return 1;
		while (sh->turn != (unsigned int)me)
			if (shmbus_cond_wait(&sh->c, &sh->m))
				return 2;
		sh->turn = !me;
		if (shmbus_cond_signal(&sh->c) || shmbus_mutex_unlock(&sh->m))
			return 3;
	}
	return 0;
}

/* Alternate with two semaphores: side 0 posts s[1] and takes s[0]; side 1 the reverse. */
static int play_sem(struct shared *sh, int me, unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (me == 0 && shmbus_sem_post(&sh->s[1]))
			return 1;
		if (shmbus_sem_wait(&sh->s[me]))
			return 2;
		if (me == 1 && shmbus_sem_post(&sh->s[0]))
			return 3;
	}
	return 0;
}

/* Hammer the mutex, yielding inside, so that the other side often finds it held. */
static int play_mutex(struct shared *sh, int me, unsigned int rounds)
{
	unsigned int i;

	(void)me;
	for (i = 0; i < rounds; i++) {
		if (shmbus_mutex_lock(&sh->m))
			return 1;
		sched_yield();
		if (shmbus_mutex_unlock(&sh->m))
			return 2;
	}
	return 0;
}

static int side_main(void *arg)
{
	struct side *s = arg;
	struct shmbus_calls before, after;
	struct lib_region mine;
	struct shared *sh;
	int ret;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (own_region(s->reg, &mine))
		return 12;
	sh = mine.map;
	if (shmbus_region_calls(mine.r, &before))
		return 10;
	ret = s->play(sh, s->me, s->rounds);
	if (ret)
		return ret;
	/* Read before exit: the thread's handle, and its counts, go with it. */
	if (shmbus_region_calls(mine.r, &after))
		return 11;
	sh->sides[s->me] = (struct shmbus_calls){
		.waits = after.waits - before.waits,
		.wakes = after.wakes - before.wakes,
		.waitvs = after.waitvs - before.waitvs,
		.requeues = after.requeues - before.requeues,
	};
	return 0;
}

/* Run @play on two processes and log each side's calls per round. */
static void ping_pong(struct __test_metadata *_metadata, FIXTURE_DATA(fastpath) *self,
		      const char *what, int (*play)(struct shared *, int, unsigned int))
{
	unsigned int rounds = lib_rounds(PING_PONGS, PING_PONGS / 10);
	struct side sides[2];
	pid_t pids[2];
	int i;

	for (i = 0; i < 2; i++) {
		sides[i] = (struct side){ .reg = &self->reg, .me = i, .rounds = rounds, .play = play };
		pids[i] = spawn(side_main, &sides[i]);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, lib_reap(pids[i])) TH_LOG("side %d", i);
	for (i = 0; i < 2; i++) {
		struct shmbus_calls *c = &self->sh->sides[i];

		TH_LOG("%s, %u rounds, side %d: %.3f waits, %.3f wakes, %.3f waitvs, %.3f requeues per round",
		       what, rounds, i, (double)c->waits / rounds, (double)c->wakes / rounds,
		       (double)c->waitvs / rounds, (double)c->requeues / rounds);
	}
}

/* Two processes alternate turns under the mutex with the condition variable. */
TEST_F_TIMEOUT(fastpath, measure_cond_ping_pong, LIB_WATCHDOG_S + 60)
{
	ping_pong(_metadata, self, "mutex+cond ping-pong", play_cond);
}

/* Two processes alternate through two semaphores. */
TEST_F_TIMEOUT(fastpath, measure_sem_ping_pong, LIB_WATCHDOG_S + 60)
{
	ping_pong(_metadata, self, "sem ping-pong", play_sem);
}

/* Two processes lock and unlock one mutex, yielding while they hold it. */
TEST_F_TIMEOUT(fastpath, measure_mutex_contended, LIB_WATCHDOG_S + 60)
{
	ping_pong(_metadata, self, "mutex contended (lock, yield, unlock)", play_mutex);
}

TEST_HARNESS_MAIN
