// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's condition variable (<shmbus.h>, struct shmbus_cond) loses no
 * wake-up: producers and consumers in four processes pass every item of a
 * bounded buffer exactly once; broadcast wakes every waiter, each
 * returning in turn with the mutex held; a signal with no waiter is not
 * kept for a later one; a timed wait ends with -ETIMEDOUT at the deadline
 * of each clock with the mutex held again; a waiter whose mutex's holder
 * died returns -EOWNERDEAD holding it.  Misuse is refused: a mutex not
 * held (-EPERM), a mutex of another region or a second mutex while the
 * first has waiters (-EINVAL), a bad timespec or clock (-EINVAL).  A
 * waiter that a broadcast requeued onto the mutex and a signal then cut
 * short is counted out once only, so a later signal still wakes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define SLOTS		16
#define NR_PRODUCERS	2
#define NR_CONSUMERS	2
#define MAX_ITEMS	100000
#define NR_WAITERS	4

struct shared {
	struct shmbus_mutex m;
	struct shmbus_cond not_empty;
	struct shmbus_cond not_full;
	/* The buffer, guarded by m. */
	unsigned int head, tail, count;
	unsigned int produced, consumed;
	unsigned int buf[SLOTS];
	/* For the broadcast: guarded by m. */
	unsigned int sleeping, go, inside, woken;
	atomic_uint overlaps;
	atomic_int results[NR_WAITERS];
	/* How often each item arrived. */
	atomic_uchar received[MAX_ITEMS];
};

FIXTURE(cond) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(cond)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
	ASSERT_EQ(0, shmbus_cond_init(&self->sh->not_empty));
	ASSERT_EQ(0, shmbus_cond_init(&self->sh->not_full));
}

FIXTURE_TEARDOWN(cond)
{
	kill_children();
	lib_region_close(&self->reg);
}

struct party {
	struct shared *sh;
	unsigned int first, nr;		/* producers: the items to make */
	unsigned int total;		/* everyone: all items */
	int slot;
};

static int produce(void *arg)
{
	struct party *p = arg;
	struct shared *sh = p->sh;
	unsigned int i;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (i = p->first; i < p->first + p->nr; i++) {
		if (shmbus_mutex_lock(&sh->m))
			return 1;
		while (sh->count == SLOTS)
			if (shmbus_cond_wait(&sh->not_full, &sh->m))
				return 2;
		sh->buf[sh->tail] = i;
		sh->tail = (sh->tail + 1) % SLOTS;
		sh->count++;
		sh->produced++;
		if (shmbus_cond_signal(&sh->not_empty))
			return 3;
		if (shmbus_mutex_unlock(&sh->m))
			return 4;
	}
	return 0;
}

static int consume(void *arg)
{
	struct party *p = arg;
	struct shared *sh = p->sh;
	unsigned int item;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (;;) {
		if (shmbus_mutex_lock(&sh->m))
			return 1;
		while (!sh->count && sh->consumed < p->total)
			if (shmbus_cond_wait(&sh->not_empty, &sh->m))
				return 2;
		if (!sh->count) {
			/* All consumed: the other consumer was told too. */
			return shmbus_mutex_unlock(&sh->m) ? 3 : 0;
		}
		item = sh->buf[sh->head];
		sh->head = (sh->head + 1) % SLOTS;
		sh->count--;
		if (++sh->consumed == p->total && shmbus_cond_broadcast(&sh->not_empty))
			return 4;
		if (item < p->total)
			atomic_fetch_add(&sh->received[item], 1);
		if (shmbus_cond_signal(&sh->not_full))
			return 5;
		if (shmbus_mutex_unlock(&sh->m))
			return 6;
	}
}

/*
 * Two producer and two consumer processes pass items through a bounded
 * buffer guarded by the mutex and two condition variables: every item
 * arrives exactly once, and nobody sleeps for ever (the children's
 * watchdog ends a lost wake-up).
 */
TEST_F_TIMEOUT(cond, producers_consumers_every_item_once, LIB_WATCHDOG_S + 60)
{
	unsigned int total = lib_rounds(MAX_ITEMS, MAX_ITEMS / 10), i, missing = 0, extra = 0;
	struct party producers[NR_PRODUCERS], consumers[NR_CONSUMERS];
	pid_t pids[NR_PRODUCERS + NR_CONSUMERS];
	int n = 0;

	for (i = 0; i < NR_CONSUMERS; i++) {
		consumers[i] = (struct party){ .sh = self->sh, .total = total };
		pids[n] = spawn(consume, &consumers[i]);
		ASSERT_LT(0, pids[n++]);
	}
	for (i = 0; i < NR_PRODUCERS; i++) {
		producers[i] = (struct party){
			.sh = self->sh, .first = i * (total / NR_PRODUCERS),
			.nr = total / NR_PRODUCERS, .total = total,
		};
		pids[n] = spawn(produce, &producers[i]);
		ASSERT_LT(0, pids[n++]);
	}
	for (i = 0; i < (unsigned int)n; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("child %u (producers last)", i);
	for (i = 0; i < total; i++) {
		unsigned int got = atomic_load(&self->sh->received[i]);

		missing += got == 0;
		extra += got > 1;
	}
	EXPECT_EQ(total, self->sh->produced);
	EXPECT_EQ(total, self->sh->consumed);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, extra);
}

/* Wait until go, then check it holds the mutex alone (relock: -EDEADLK). */
static int wait_for_go(void *arg)
{
	struct party *p = arg;
	struct shared *sh = p->sh;
	int ret = 0;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (shmbus_mutex_lock(&sh->m))
		return 1;
	sh->sleeping++;
	while (!sh->go && !ret)
		ret = shmbus_cond_wait(&sh->not_empty, &sh->m);
	if (ret)
		return 2;
	if (sh->inside++)
		atomic_fetch_add(&sh->overlaps, 1);
	if (shmbus_mutex_lock(&sh->m) != -EDEADLK)
		return 3;
	sched_yield();
	sh->inside--;
	sh->woken++;
	return shmbus_mutex_unlock(&sh->m) ? 4 : 0;
}

/*
 * Broadcast wakes all NR_WAITERS sleepers in other processes; each returns
 * holding the mutex, one after the other.
 */
TEST_F(cond, broadcast_wakes_all_in_turn)
{
	struct party p = { .sh = self->sh };
	pid_t pids[NR_WAITERS];
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = spawn(wait_for_go, &p);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), NR_WAITERS, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(NR_WAITERS, self->sh->sleeping);
	self->sh->go = 1;
	EXPECT_EQ(0, shmbus_cond_broadcast(&self->sh->not_empty));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
	EXPECT_EQ(NR_WAITERS, self->sh->woken);
	EXPECT_EQ(0, atomic_load(&self->sh->overlaps));
}

/*
 * Signal and broadcast with no waiter succeed and leave nothing behind: a
 * wait that starts afterwards, with no signal during it, times out.
 */
TEST_F(cond, signal_without_waiter_not_kept)
{
	struct timespec deadline;

	EXPECT_EQ(0, shmbus_cond_signal(&self->sh->not_empty));
	EXPECT_EQ(0, shmbus_cond_broadcast(&self->sh->not_empty));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	deadline = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);
	EXPECT_EQ(-ETIMEDOUT, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						    CLOCK_MONOTONIC, &deadline));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* Waiting with a mutex the caller does not hold is -EPERM, free or held by another thread. */
TEST_F(cond, wait_without_mutex_eperm)
{
	struct timespec deadline = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	EXPECT_EQ(-EPERM, shmbus_cond_wait(&self->sh->not_empty, &self->sh->m));
	EXPECT_EQ(-EPERM, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						CLOCK_MONOTONIC, &deadline));
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m)) TH_LOG("the failed wait locked it");
}

/* A mutex in another region than the condition variable is -EINVAL, and stays held. */
TEST_F(cond, mutex_of_other_region_einval)
{
	struct lib_region other;
	struct shmbus_mutex *m;

	ASSERT_EQ(0, lib_region_open(&other, page_size()));
	m = other.map;
	ASSERT_EQ(0, shmbus_mutex_init(m));
	ASSERT_EQ(0, shmbus_mutex_lock(m));
	EXPECT_EQ(-EINVAL, shmbus_cond_wait(&self->sh->not_empty, m));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_lock(m)) TH_LOG("the failed wait let the mutex go");
	EXPECT_EQ(0, shmbus_mutex_unlock(m));
	lib_region_close(&other);
}

/* An unknown clock is -EINVAL, and the mutex was never let go. */
TEST_F(cond, unknown_clock_einval_mutex_kept)
{
	struct timespec t = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EINVAL, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						 CLOCK_PROCESS_CPUTIME_ID, &t));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* Where a waiter's SIGUSR1 handler reports that it ran (one byte), or -1. */
static int signal_note_fd = -1;

static void note_signal(int sig)
{
	int saved = errno;
	char c = 1;
	ssize_t n;

	(void)sig;
	n = write(signal_note_fd, &c, 1);
	(void)n;
	errno = saved;
}

struct signalled_party {
	struct shared *sh;
	int note_fd;		/* SIGUSR1's handler writes one byte here */
};

/*
 * Catch SIGUSR1 without SA_RESTART (a sleep it cuts ends with EINTR), lock
 * the mutex, count itself in, wait once (0: woken, or spuriously), unlock.
 */
static int wait_once_signalled(void *arg)
{
	struct signalled_party *p = arg;
	struct sigaction sa = { .sa_handler = note_signal };
	struct shared *sh = p->sh;

	lib_child_watchdog(LIB_WATCHDOG_S);
	signal_note_fd = p->note_fd;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	if (shmbus_mutex_lock(&sh->m))
		return 2;
	sh->sleeping++;
	if (shmbus_cond_wait(&sh->not_empty, &sh->m))
		return 3;
	return shmbus_mutex_unlock(&sh->m) ? 4 : 0;
}

/* Wait once, with a deadline far off: exit 0 when woken, 1 on -ETIMEDOUT. */
static int timedwait_once(void *arg)
{
	struct shared *sh = arg;
	struct timespec deadline;
	int ret;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (shmbus_mutex_lock(&sh->m))
		return 2;
	deadline = lib_deadline(CLOCK_MONOTONIC, 10 * NSEC_PER_SEC);
	ret = shmbus_cond_timedwait(&sh->not_empty, &sh->m, CLOCK_MONOTONIC, &deadline);
	if (ret && ret != -ETIMEDOUT)
		return 3;
	if (shmbus_mutex_unlock(&sh->m))
		return 4;
	return ret ? 1 : 0;
}

/*
 * A requeued waiter interrupted by a signal does not make a later signal
 * get lost.  Two waiters sleep; a broadcast made holding the mutex wakes
 * one (it then sleeps on the mutex) and requeues the other onto the mutex
 * word, counting both out.  SIGUSR1 cuts both sleeps (EINTR); the requeued
 * waiter must not count itself out a second time.  Once both are gone, a
 * third waiter's wait must be ended by a signal, not by its deadline.
 */
TEST_F_TIMEOUT(cond, requeued_waiter_signalled_no_lost_signal, 90)
{
	int fd = lib_region_fd(&self->reg), i, ret, sleeping = 0;
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + LIB_WATCHDOG_MS * NSEC_PER_MSEC;
	struct signalled_party p = { .sh = self->sh };
	struct lib_pipes pipes;
	pid_t pids[2], w3;

	ASSERT_EQ(0, lib_pipes_open(&pipes));
	p.note_fd = pipes.up[1];
	for (i = 0; i < 2; i++) {
		pids[i] = spawn(wait_once_signalled, &p);
		ASSERT_LT(0, pids[i]);
	}
	lib_pipes_test_side(&pipes);
	/*
	 * Both counted themselves in under the mutex and let it go in their
	 * wait: holding it, only they can sleep, and only on the condvar.
	 */
	for (;;) {
		ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
		sleeping = self->sh->sleeping;
		if (sleeping == 2 || now_ns(CLOCK_MONOTONIC) > end)
			break;
		ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
		sleep_ms(1);
	}
	ASSERT_EQ(2, sleeping);
	ASSERT_EQ(0, await_waiters(fd, 2, LIB_WATCHDOG_MS));
	/* One woken onto the held mutex, the other requeued onto its word. */
	ASSERT_EQ(0, shmbus_cond_broadcast(&self->sh->not_empty));
	ASSERT_EQ(0, await_waiters(fd, 2, LIB_WATCHDOG_MS));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kill(pids[i], SIGUSR1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, lib_hear(pipes.up[0])) TH_LOG("SIGUSR1 handler %d never ran", i);
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
	lib_pipes_close(&pipes);

	w3 = spawn(timedwait_once, self->sh);
	ASSERT_LT(0, w3);
	ASSERT_EQ(0, await_waiters(fd, 1, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_cond_signal(&self->sh->not_empty));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	ret = lib_reap(w3);
	EXPECT_EQ(0, ret) TH_LOG("the third waiter %s", ret == 1 ?
		  "timed out: the signal was lost (waiters counted out twice)" : "failed");
}

/* The holder of the robust-mutex tests: locks and wakes the waiters, then is killed. */
struct waking_holder {
	struct shared *sh;
	bool broadcast;
};

static int lock_and_wake(void *arg)
{
	struct waking_holder *w = arg;

	if (shmbus_mutex_lock(&w->sh->m))
		return 1;
	w->sh->go = 1;
	return w->broadcast ? shmbus_cond_broadcast(&w->sh->not_empty) :
			      shmbus_cond_signal(&w->sh->not_empty);
}

/* Wait until go; note what the wait returned; repair and unlock. */
static int wait_and_note(void *arg)
{
	struct party *p = arg;
	struct shared *sh = p->sh;
	int ret = 0;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (shmbus_mutex_lock(&sh->m))
		return 1;
	while (!sh->go && !ret)
		ret = shmbus_cond_wait(&sh->not_empty, &sh->m);
	atomic_store(&sh->results[p->slot], ret);
	if (ret && ret != -EOWNERDEAD)
		return 2;
	if (shmbus_mutex_lock(&sh->m) != -EDEADLK)
		return 3;	/* not returned holding it */
	if (ret == -EOWNERDEAD && shmbus_mutex_consistent(&sh->m))
		return 4;
	return shmbus_mutex_unlock(&sh->m) ? 5 : 0;
}

/*
 * @nr waiters sleep; a holder locks the mutex, signals or broadcasts, and
 * is SIGKILLed holding it: one waiter returns -EOWNERDEAD with the mutex
 * held, and after its repair the others get it (0).
 */
static void waiters_see_owner_die(struct __test_metadata *_metadata,
				  FIXTURE_DATA(cond) *self, int nr, bool broadcast)
{
	struct waking_holder w = { .sh = self->sh, .broadcast = broadcast };
	struct party p[NR_WAITERS];
	struct lib_holder h;
	pid_t pids[NR_WAITERS];
	int i, ownerdead = 0, ok = 0;

	for (i = 0; i < nr; i++) {
		p[i] = (struct party){ .sh = self->sh, .slot = i };
		atomic_store(&self->sh->results[i], 1);
		pids[i] = spawn(wait_and_note, &p[i]);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), nr, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, lib_holder_start(&h, lock_and_wake, NULL, &w));
	ASSERT_EQ(0, lib_holder_kill(&h));
	for (i = 0; i < nr; i++) {
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
		if (atomic_load(&self->sh->results[i]) == -EOWNERDEAD)
			ownerdead++;
		else if (atomic_load(&self->sh->results[i]) == 0)
			ok++;
	}
	EXPECT_EQ(1, ownerdead);
	EXPECT_EQ(nr - 1, ok);
}

/* Signalled by a holder that then dies: the waiter's wait returns -EOWNERDEAD, mutex held. */
TEST_F(cond, signalled_waiter_gets_ownerdead)
{
	waiters_see_owner_die(_metadata, self, 1, false);
}

/* Broadcast (waiters requeued onto the mutex) by a holder that dies: one -EOWNERDEAD, then 0s. */
TEST_F(cond, broadcast_waiters_get_ownerdead_once)
{
	waiters_see_owner_die(_metadata, self, 3, true);
}

/* Timed waits on each accepted clock. */
FIXTURE(timed) {
	struct lib_region reg;
	struct shared *sh;
};

LIB_CLOCK_VARIANTS(timed);

FIXTURE_SETUP(timed)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
	ASSERT_EQ(0, shmbus_cond_init(&self->sh->not_empty));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
}

FIXTURE_TEARDOWN(timed)
{
	kill_children();
	lib_region_close(&self->reg);
}

/*
 * -ETIMEDOUT no earlier than the deadline on its clock, and the mutex is
 * held again: a relock is -EDEADLK and the unlock succeeds.
 */
TEST_F(timed, times_out_with_mutex_held)
{
	struct timespec deadline = lib_deadline(variant->clock, LIB_SHORT_NS);

	EXPECT_EQ(-ETIMEDOUT, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						    variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* A deadline already past is -ETIMEDOUT, the mutex held again. */
TEST_F(timed, past_deadline_etimedout)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);

	EXPECT_EQ(-ETIMEDOUT, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						    variant->clock, &past));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* tv_nsec outside 0..999999999 is -EINVAL, and the mutex was never let go. */
TEST_F(timed, bad_nsec_einval_mutex_kept)
{
	struct timespec t = lib_deadline(variant->clock, NSEC_PER_SEC);

	t.tv_nsec = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						 variant->clock, &t));
	t.tv_nsec = -1;
	EXPECT_EQ(-EINVAL, shmbus_cond_timedwait(&self->sh->not_empty, &self->sh->m,
						 variant->clock, &t));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

TEST_HARNESS_MAIN
