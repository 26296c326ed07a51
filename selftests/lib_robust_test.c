// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's mutex is robust (<shmbus.h>, struct shmbus_mutex): when its
 * owner dies holding it, by SIGKILL of its process or by its thread
 * exiting, the next locker gets -EOWNERDEAD with the mutex held, once; a
 * locker asleep in the kernel at that moment is woken with it.  The new
 * owner either repairs and calls shmbus_mutex_consistent() (which only it
 * may call: -EINVAL for anyone else) or unlocks, after which every locker
 * in every process gets -ENOTRECOVERABLE.  A forked child of the owner
 * does not keep the owner alive: the lock is recovered while it lives.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "lib_util.h"

struct shared {
	struct shmbus_mutex m;
	atomic_int results[2];		/* what lockers got */
	pid_t grandchild;
};

FIXTURE(robust) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(robust)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
}

FIXTURE_TEARDOWN(robust)
{
	kill_children();
	lib_region_close(&self->reg);
}

static int lock_mutex(void *m)
{
	return shmbus_mutex_lock(m);
}

/* Start a child holding the mutex and SIGKILL it: 0, or -errno. */
static int kill_a_holder(struct shmbus_mutex *m)
{
	struct lib_holder h;
	int ret = lib_holder_start(&h, lock_mutex, NULL, m);

	if (ret) {
		lib_pipes_close(&h.pipes);
		return ret;
	}
	return lib_holder_kill(&h);
}

/* Take the mutex after an owner died and repair it: 0, or the step that failed. */
static int recover(struct shmbus_mutex *m)
{
	if (shmbus_mutex_lock(m) != -EOWNERDEAD)
		return 1;
	if (shmbus_mutex_consistent(m))
		return 2;
	if (shmbus_mutex_unlock(m))
		return 3;
	/* Once only: the repaired mutex is an ordinary one again. */
	if (shmbus_mutex_lock(m))
		return 4;
	if (shmbus_mutex_unlock(m))
		return 5;
	return 0;
}

/*
 * Round after round a child locks the mutex and is SIGKILLed holding it:
 * each time the next lock returns -EOWNERDEAD exactly once, and after
 * consistent() and unlock the mutex locks normally (the child's lock too).
 */
TEST_F_TIMEOUT(robust, sigkill_of_holder_each_round, 900)
{
	unsigned long rounds = lib_rounds(1000, 200), i;
	int ret;

	for (i = 0; i < rounds; i++) {
		ret = kill_a_holder(&self->sh->m);
		ASSERT_EQ(0, ret) TH_LOG("round %lu: holder: %s", i, strerror(-ret));
		ret = recover(&self->sh->m);
		ASSERT_EQ(0, ret) TH_LOG("round %lu: recovery step %d", i, ret);
	}
}

struct exiting_holder {
	struct shmbus_mutex *m;
	bool by_pthread_exit;
	int ret;
};

static void *lock_and_exit(void *arg)
{
	struct exiting_holder *h = arg;

	h->ret = shmbus_mutex_lock(h->m);
	if (h->by_pthread_exit)
		pthread_exit(NULL);
	return NULL;
}

/* A thread of this process that locks and exits holding it: its lock's result. */
static int thread_exits_holding(struct shmbus_mutex *m, bool by_pthread_exit)
{
	struct exiting_holder h = { .m = m, .by_pthread_exit = by_pthread_exit, .ret = -ENOSYS };
	pthread_t t;

	if (pthread_create(&t, NULL, lock_and_exit, &h))
		return -EAGAIN;
	pthread_join(t, NULL);
	return h.ret;
}

/* A thread that calls pthread_exit() holding it dies as an owner: -EOWNERDEAD. */
TEST_F(robust, holder_thread_pthread_exit)
{
	ASSERT_EQ(0, thread_exits_holding(&self->sh->m, true));
	EXPECT_EQ(0, recover(&self->sh->m));
}

/* A thread that returns from its start routine holding it dies as an owner: -EOWNERDEAD. */
TEST_F(robust, holder_thread_returns)
{
	ASSERT_EQ(0, thread_exits_holding(&self->sh->m, false));
	EXPECT_EQ(0, recover(&self->sh->m));
}

struct process_call {
	struct shmbus_mutex *m;
	int (*call)(struct shmbus_mutex *m);
	int expect;
};

static int call_in_process(void *arg)
{
	struct process_call *pc = arg;

	lib_child_watchdog(LIB_WATCHDOG_S);
	return pc->call(pc->m) == pc->expect ? 0 : 1;
}

/* Whether @call(@m) returns @expect in another process (the status 0), or why not. */
static int other_process(struct shmbus_mutex *m, int (*call)(struct shmbus_mutex *), int expect)
{
	struct process_call pc = { .m = m, .call = call, .expect = expect };
	pid_t pid = spawn(call_in_process, &pc);

	return pid < 0 ? pid : lib_reap(pid);
}

/*
 * Unlocked after -EOWNERDEAD without consistent(): not recoverable, for
 * every later locker, thread or process, and by every kind of lock.
 */
TEST_F(robust, unlock_without_consistent_not_recoverable)
{
	struct timespec later = lib_deadline(CLOCK_MONOTONIC, NSEC_PER_SEC);

	ASSERT_EQ(0, kill_a_holder(&self->sh->m));
	ASSERT_EQ(-EOWNERDEAD, shmbus_mutex_lock(&self->sh->m));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(-ENOTRECOVERABLE, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-ENOTRECOVERABLE, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(-ENOTRECOVERABLE, shmbus_mutex_timedlock(&self->sh->m, CLOCK_MONOTONIC, &later));
	EXPECT_EQ(-ENOTRECOVERABLE, lib_other_thread(&self->sh->m, shmbus_mutex_lock));
	EXPECT_EQ(0, other_process(&self->sh->m, shmbus_mutex_lock, -ENOTRECOVERABLE));
	EXPECT_EQ(0, other_process(&self->sh->m, shmbus_mutex_trylock, -ENOTRECOVERABLE));
	EXPECT_EQ(-ENOTRECOVERABLE, shmbus_mutex_lock(&self->sh->m));
}

/* consistent() of a mutex whose owner did not die is -EINVAL: free, or held by the caller. */
TEST_F(robust, consistent_without_dead_owner_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_mutex_consistent(&self->sh->m));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EINVAL, shmbus_mutex_consistent(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/*
 * After -EOWNERDEAD, consistent() by another thread or another process is
 * -EINVAL and changes nothing: the new owner's consistent() then works and
 * the mutex is an ordinary one again.
 */
TEST_F(robust, consistent_by_non_owner_einval)
{
	ASSERT_EQ(0, kill_a_holder(&self->sh->m));
	ASSERT_EQ(-EOWNERDEAD, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EINVAL, lib_other_thread(&self->sh->m, shmbus_mutex_consistent));
	EXPECT_EQ(0, other_process(&self->sh->m, shmbus_mutex_consistent, -EINVAL));
	EXPECT_EQ(0, shmbus_mutex_consistent(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

struct locker {
	struct shared *sh;
	int slot;
};

/* Lock (sleeping), note the result, and repair and unlock if it holds the mutex. */
static int lock_and_note(void *arg)
{
	struct locker *l = arg;
	struct shmbus_mutex *m = &l->sh->m;
	int ret;

	lib_child_watchdog(LIB_WATCHDOG_S);
	ret = shmbus_mutex_lock(m);
	atomic_store(&l->sh->results[l->slot], ret);
	if (ret == -EOWNERDEAD && shmbus_mutex_consistent(m))
		return 1;
	if ((ret == 0 || ret == -EOWNERDEAD) && shmbus_mutex_unlock(m))
		return 2;
	return 0;
}

/*
 * Lockers asleep in the kernel behind a holder that is SIGKILLed: one is
 * woken with -EOWNERDEAD, and after its repair and unlock the next gets
 * the mutex (0), none left asleep.
 */
static void sleepers_see_owner_die(struct __test_metadata *_metadata,
				   FIXTURE_DATA(robust) *self, int nr_lockers)
{
	struct locker lockers[2];
	struct lib_holder h;
	pid_t pids[2];
	int i, ownerdead = 0, taken = 0;

	ASSERT_EQ(0, lib_holder_start(&h, lock_mutex, NULL, &self->sh->m));
	for (i = 0; i < nr_lockers; i++) {
		lockers[i] = (struct locker){ .sh = self->sh, .slot = i };
		atomic_store(&self->sh->results[i], 1);
		pids[i] = spawn(lock_and_note, &lockers[i]);
		ASSERT_LT(0, pids[i]);
		ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), i + 1, LIB_WATCHDOG_MS))
			TH_LOG("locker %d never slept", i);
	}
	ASSERT_EQ(0, lib_holder_kill(&h));
	for (i = 0; i < nr_lockers; i++) {
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("locker %d", i);
		switch (atomic_load(&self->sh->results[i])) {
		case -EOWNERDEAD:
			ownerdead++;
			break;
		case 0:
			taken++;
			break;
		default:
			TH_LOG("locker %d got %d", i, atomic_load(&self->sh->results[i]));
		}
	}
	EXPECT_EQ(1, ownerdead);
	EXPECT_EQ(nr_lockers - 1, taken);
}

/* A locker asleep in the kernel when the holder is killed wakes with -EOWNERDEAD. */
TEST_F(robust, sleeping_locker_gets_ownerdead)
{
	sleepers_see_owner_die(_metadata, self, 1);
}

/* Of two sleeping lockers one gets -EOWNERDEAD, the other then the repaired mutex. */
TEST_F(robust, two_sleeping_lockers_one_ownerdead)
{
	sleepers_see_owner_die(_metadata, self, 2);
}

/* The middle generation: holds the mutex, forks a sleeping child, waits to be killed. */
struct middle {
	struct shared *sh;
	struct lib_pipes pipes;
	bool fork_from_other_thread;
};

static void *hold_forever(void *arg)
{
	struct middle *mid = arg;

	if (shmbus_mutex_lock(&mid->sh->m))
		return NULL;
	lib_tell(mid->pipes.down[1]);
	for (;;)
		pause();
}

static pid_t fork_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		alarm(LIB_WATCHDOG_S);
		for (;;)
			pause();
	}
	return pid;
}

static int middle_main(void *arg)
{
	struct middle *mid = arg;
	pthread_t t;
	pid_t pid;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (mid->fork_from_other_thread) {
		/* A second thread holds it; the main thread forks. */
		if (pthread_create(&t, NULL, hold_forever, mid))
			return 1;
		if (lib_hear(mid->pipes.down[0]))
			return 2;
	} else if (shmbus_mutex_lock(&mid->sh->m)) {
		return 3;
	}
	pid = fork_sleeper();
	if (pid < 0)
		return 4;
	mid->sh->grandchild = pid;
	if (lib_tell(mid->pipes.up[1]))
		return 5;
	for (;;)
		pause();
}

/*
 * The holder forked a child and is SIGKILLed; the child, which inherited
 * the holder's handles, lives on: the lock is recovered all the same.  The
 * test is the child's subreaper, to check it is alive and to reap it.
 */
static void forked_child_keeps_nothing(struct __test_metadata *_metadata,
				       FIXTURE_DATA(robust) *self, bool other_thread)
{
	struct middle mid = { .sh = self->sh, .fork_from_other_thread = other_thread };
	struct timespec watchdog;
	pid_t pid, grandchild;
	int ret;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, lib_pipes_open(&mid.pipes));
	pid = spawn(middle_main, &mid);
	ASSERT_LT(0, pid);
	ret = lib_hear(mid.pipes.up[0]);
	ASSERT_EQ(0, ret) TH_LOG("holder: %s", strerror(-ret));
	grandchild = self->sh->grandchild;
	ASSERT_LT(0, grandchild);
	ASSERT_EQ(0, lib_kill(pid));

	watchdog = lib_deadline(CLOCK_MONOTONIC, LIB_WATCHDOG_S * NSEC_PER_SEC);
	EXPECT_EQ(-EOWNERDEAD, shmbus_mutex_timedlock(&self->sh->m, CLOCK_MONOTONIC, &watchdog))
		TH_LOG("the holder's child kept the lock owned");
	EXPECT_EQ(0, waitpid(grandchild, NULL, WNOHANG)) TH_LOG("the holder's child is gone");
	EXPECT_EQ(0, shmbus_mutex_consistent(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	kill(grandchild, SIGKILL);
	waitpid(grandchild, NULL, 0);
	lib_pipes_close(&mid.pipes);
}

/* The holding thread forks. */
TEST_F_TIMEOUT(robust, forked_child_does_not_keep_owner_alive, LIB_WATCHDOG_S + 60)
{
	forked_child_keeps_nothing(_metadata, self, false);
}

/* Another thread of the holder's process forks. */
TEST_F_TIMEOUT(robust, child_forked_by_other_thread_does_not_keep_owner_alive,
	       LIB_WATCHDOG_S + 60)
{
	forked_child_keeps_nothing(_metadata, self, true);
}

TEST_HARNESS_MAIN
