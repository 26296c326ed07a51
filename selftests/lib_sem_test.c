// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's semaphore (<shmbus.h>, struct shmbus_sem) counts exactly:
 * posters and waiters in several processes, every post taken by exactly
 * one wait, and the value ends where it began; it never goes past
 * SHMBUS_SEM_VALUE_MAX (-EOVERFLOW for the post, -EINVAL for an init);
 * trywait on zero is -EAGAIN; a timed wait ends with -ETIMEDOUT at the
 * deadline of each clock; a signal ends a wait with -EINTR; value()
 * reports the count, to every process.  A semaphore overwritten while
 * waited on makes the waiter return -EINVAL instead of spinning.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define NR_POSTERS	2
#define NR_WAITERS	2
#define NR_THREADS	2
#define INITIAL		3

struct shared {
	struct shmbus_sem s;
	atomic_ulong posted;
	atomic_ulong taken;
	atomic_uint errors;
};

FIXTURE(sem) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(sem)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
}

FIXTURE_TEARDOWN(sem)
{
	kill_children();
	lib_region_close(&self->reg);
}

struct load {
	struct shared *sh;
	unsigned long per_thread;
	void *(*body)(void *);
};

static void *post_rounds(void *arg)
{
	struct load *l = arg;
	unsigned long i;

	for (i = 0; i < l->per_thread; i++) {
		if (shmbus_sem_post(&l->sh->s))
			atomic_fetch_add(&l->sh->errors, 1);
		else
			atomic_fetch_add(&l->sh->posted, 1);
	}
	return NULL;
}

static void *wait_rounds(void *arg)
{
	struct load *l = arg;
	unsigned long i;

	for (i = 0; i < l->per_thread; i++) {
		if (shmbus_sem_wait(&l->sh->s))
			atomic_fetch_add(&l->sh->errors, 1);
		else
			atomic_fetch_add(&l->sh->taken, 1);
	}
	return NULL;
}

/* A process of NR_THREADS threads running @l->body. */
static int threads_main(void *arg)
{
	struct load *l = arg;
	pthread_t t[NR_THREADS];
	int i;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&t[i], NULL, l->body, l))
			return 1;
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/*
 * NR_WAITERS processes take exactly as many as NR_POSTERS processes post,
 * two threads each: every wait returns (no post lost: the watchdog ends a
 * sleeper left behind), posts and successful waits are equal, and the
 * value is back at its initial count.
 */
TEST_F_TIMEOUT(sem, counts_exact_under_contention, LIB_WATCHDOG_S + 60)
{
	unsigned long per_thread = lib_rounds(25000, 2500);
	struct load posters = { .sh = self->sh, .body = post_rounds };
	struct load waiters = { .sh = self->sh, .body = wait_rounds };
	pid_t pids[NR_POSTERS + NR_WAITERS];
	int i, n = 0;

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, INITIAL));
	/* Waiters take what posters post: the same number of threads each. */
	posters.per_thread = per_thread;
	waiters.per_thread = per_thread * NR_POSTERS / NR_WAITERS;
	for (i = 0; i < NR_WAITERS; i++) {
		pids[n] = spawn(threads_main, &waiters);
		ASSERT_LT(0, pids[n++]);
	}
	for (i = 0; i < NR_POSTERS; i++) {
		pids[n] = spawn(threads_main, &posters);
		ASSERT_LT(0, pids[n++]);
	}
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("child %d (waiters first)", i);
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
	EXPECT_EQ(per_thread * NR_THREADS * NR_POSTERS, atomic_load(&self->sh->posted));
	EXPECT_EQ(atomic_load(&self->sh->posted), atomic_load(&self->sh->taken));
	EXPECT_EQ(INITIAL, shmbus_sem_value(&self->sh->s));
}

/* A post at SHMBUS_SEM_VALUE_MAX is -EOVERFLOW and leaves the value there. */
TEST_F(sem, post_at_max_eoverflow)
{
	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, SHMBUS_SEM_VALUE_MAX - 1));
	EXPECT_EQ(0, shmbus_sem_post(&self->sh->s));
	EXPECT_EQ(SHMBUS_SEM_VALUE_MAX, shmbus_sem_value(&self->sh->s));
	EXPECT_EQ(-EOVERFLOW, shmbus_sem_post(&self->sh->s));
	EXPECT_EQ(SHMBUS_SEM_VALUE_MAX, shmbus_sem_value(&self->sh->s));
	EXPECT_EQ(0, shmbus_sem_trywait(&self->sh->s));
	EXPECT_EQ(SHMBUS_SEM_VALUE_MAX - 1, shmbus_sem_value(&self->sh->s));
}

/* An initial value above SHMBUS_SEM_VALUE_MAX is -EINVAL; the maximum itself is fine. */
TEST_F(sem, init_above_max_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_sem_init(&self->sh->s, SHMBUS_SEM_VALUE_MAX + 1U));
	EXPECT_EQ(-EINVAL, shmbus_sem_init(&self->sh->s, ~0U));
	EXPECT_EQ(-EINVAL, shmbus_sem_value(&self->sh->s)) TH_LOG("a refused init made a semaphore");
	EXPECT_EQ(0, shmbus_sem_init(&self->sh->s, SHMBUS_SEM_VALUE_MAX));
	EXPECT_EQ(SHMBUS_SEM_VALUE_MAX, shmbus_sem_value(&self->sh->s));
}

/* trywait on zero is -EAGAIN and leaves it at zero. */
TEST_F(sem, trywait_on_zero_eagain)
{
	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 1));
	EXPECT_EQ(0, shmbus_sem_trywait(&self->sh->s));
	EXPECT_EQ(-EAGAIN, shmbus_sem_trywait(&self->sh->s));
	EXPECT_EQ(0, shmbus_sem_value(&self->sh->s));
}

struct value_check {
	struct shmbus_sem *s;
	int expect;
};

static int value_is(void *arg)
{
	struct value_check *v = arg;

	return shmbus_sem_value(v->s) == v->expect ? 0 : 1;
}

/* value() reports the count after init, trywait and posts, in this process and another. */
TEST_F(sem, value_reports_count)
{
	struct value_check v = { .s = &self->sh->s, .expect = 6 };
	pid_t pid;

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 5));
	EXPECT_EQ(5, shmbus_sem_value(&self->sh->s));
	EXPECT_EQ(0, shmbus_sem_trywait(&self->sh->s));
	EXPECT_EQ(4, shmbus_sem_value(&self->sh->s));
	EXPECT_EQ(0, shmbus_sem_post(&self->sh->s));
	EXPECT_EQ(0, shmbus_sem_post(&self->sh->s));
	EXPECT_EQ(6, shmbus_sem_value(&self->sh->s));
	pid = spawn(value_is, &v);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, lib_reap(pid));
}

static int wait_once(void *arg)
{
	struct shared *sh = arg;

	lib_child_watchdog(LIB_WATCHDOG_S);
	catch_signal(SIGUSR1, 0);
	return -shmbus_sem_wait(&sh->s);
}

/* A signal caught by a sleeping waiter (no SA_RESTART) ends its wait with -EINTR. */
TEST_F(sem, signal_ends_wait_eintr)
{
	pid_t pid;

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 0));
	pid = spawn(wait_once, self->sh);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), 1, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(EINTR, lib_reap(pid));
	EXPECT_EQ(0, shmbus_sem_value(&self->sh->s));
}

/* A sleeping waiter is woken by a post from another process. */
TEST_F(sem, post_wakes_sleeper)
{
	pid_t pid;

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 0));
	pid = spawn(wait_once, self->sh);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), 1, LIB_WATCHDOG_MS));
	EXPECT_EQ(0, shmbus_sem_post(&self->sh->s));
	EXPECT_EQ(0, lib_reap(pid));
	EXPECT_EQ(0, shmbus_sem_value(&self->sh->s));
}

/* timedwait with a deadline 3 s away: exit with the errno it returned (0: it took one). */
static int timedwait_once(void *arg)
{
	struct shared *sh = arg;
	struct timespec deadline = lib_deadline(CLOCK_MONOTONIC, 3 * NSEC_PER_SEC);

	lib_child_watchdog(LIB_WATCHDOG_S);
	return -shmbus_sem_timedwait(&sh->s, CLOCK_MONOTONIC, &deadline);
}

/*
 * A semaphore overwritten while waited on makes the waiter return -EINVAL,
 * not spin.  A timed waiter sleeps on the value word; a peer overwrites
 * every word after the magic with 0xffffffff (a value above
 * SHMBUS_SEM_VALUE_MAX) and wakes the value word: the waiter must find the
 * semaphore corrupted, not retry a WAIT that the changed word makes fail
 * at once (and so never reach its deadline).
 */
TEST_F_TIMEOUT(sem, overwritten_while_waited_on_einval, 60)
{
	uint64_t off = (uint64_t)((char *)&self->sh->s - (char *)self->reg.map);
	int fd = lib_region_fd(&self->reg), ret;
	uint32_t *words = (uint32_t *)&self->sh->s;
	pid_t pid;

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 0));
	pid = spawn(timedwait_once, self->sh);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_waiters(fd, 1, LIB_WATCHDOG_MS));
	/* The struct is opaque: after its magic word, the value is the first. */
	__atomic_store_n(&words[1], 0xffffffffU, __ATOMIC_SEQ_CST);
	__atomic_store_n(&words[2], 0xffffffffU, __ATOMIC_SEQ_CST);
	__atomic_store_n(&words[3], 0xffffffffU, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, shmbus_wake(fd, off + sizeof(uint32_t), 1, SHMBUS_BITSET_ANY));
	ret = reap(pid, 20000, NULL);
	EXPECT_EQ(EINVAL, ret) TH_LOG("the waiter %s", ret == -ETIMEDOUT ?
		  "still ran 20 s later (spinning on WAIT's EAGAIN), killed" :
		  ret == ETIMEDOUT ? "timed out instead" : "returned something else");
	EXPECT_EQ(-EINVAL, shmbus_sem_value(&self->sh->s));
}

/* An unknown clock is -EINVAL, even with a count to take. */
TEST_F(sem, timedwait_unknown_clock_einval)
{
	struct timespec t = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	ASSERT_EQ(0, shmbus_sem_init(&self->sh->s, 1));
	EXPECT_EQ(-EINVAL, shmbus_sem_timedwait(&self->sh->s, CLOCK_PROCESS_CPUTIME_ID, &t));
	EXPECT_EQ(1, shmbus_sem_value(&self->sh->s));
}

/* Timed waits on each accepted clock, on a semaphore at zero. */
FIXTURE(timed) {
	struct lib_region reg;
	struct shmbus_sem *s;
};

LIB_CLOCK_VARIANTS(timed);

FIXTURE_SETUP(timed)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shmbus_sem));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->s = self->reg.map;
	ASSERT_EQ(0, shmbus_sem_init(self->s, 0));
}

FIXTURE_TEARDOWN(timed)
{
	lib_region_close(&self->reg);
}

/* -ETIMEDOUT no earlier than the deadline on its clock; the value stays 0. */
TEST_F(timed, times_out_at_deadline)
{
	struct timespec deadline = lib_deadline(variant->clock, LIB_SHORT_NS);

	EXPECT_EQ(-ETIMEDOUT, shmbus_sem_timedwait(self->s, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	EXPECT_EQ(0, shmbus_sem_value(self->s));
}

/* A deadline already past: -ETIMEDOUT on zero, the count taken when there is one. */
TEST_F(timed, past_deadline)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);

	EXPECT_EQ(-ETIMEDOUT, shmbus_sem_timedwait(self->s, variant->clock, &past));
	ASSERT_EQ(0, shmbus_sem_post(self->s));
	EXPECT_EQ(0, shmbus_sem_timedwait(self->s, variant->clock, &past));
	EXPECT_EQ(0, shmbus_sem_value(self->s));
}

/* tv_nsec outside 0..999999999 is -EINVAL. */
TEST_F(timed, bad_nsec_einval)
{
	struct timespec t = lib_deadline(variant->clock, NSEC_PER_SEC);

	t.tv_nsec = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, shmbus_sem_timedwait(self->s, variant->clock, &t));
	t.tv_nsec = -1;
	EXPECT_EQ(-EINVAL, shmbus_sem_timedwait(self->s, variant->clock, &t));
}

TEST_HARNESS_MAIN
