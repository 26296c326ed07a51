// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's mutex (<shmbus.h>, struct shmbus_mutex) excludes: processes
 * and threads mixed lose no update; it is owned by a thread, so two threads
 * of one process contend; it checks errors (-EDEADLK for a relock by its
 * owner, -EPERM for an unlock by another thread or process or of a free
 * mutex); its timed lock ends with -ETIMEDOUT at the deadline of each clock
 * it accepts, never before it, and rejects a bad timespec or clock with
 * -EINVAL.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define NR_PROCS	3
#define NR_THREADS	2

struct shared {
	struct shmbus_mutex m;
	unsigned long counter;		/* guarded by m */
	unsigned int inside;		/* guarded by m: threads in the critical section */
	atomic_uint overlaps;		/* critical sections found occupied */
	atomic_uint errors;		/* lock or unlock calls that failed */
};

FIXTURE(mutex) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(mutex)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
}

FIXTURE_TEARDOWN(mutex)
{
	kill_children();
	lib_region_close(&self->reg);
}

static int lock_mutex(void *m)
{
	return shmbus_mutex_lock(m);
}

static int unlock_mutex(void *m)
{
	return shmbus_mutex_unlock(m);
}

struct counting {
	struct shared *sh;
	unsigned long rounds;
};

/* Increment the counter @rounds times under the mutex, read and write apart. */
static void *count_rounds(void *arg)
{
	struct counting *c = arg;
	struct shared *sh = c->sh;
	unsigned long i, v;

	for (i = 0; i < c->rounds; i++) {
		if (shmbus_mutex_lock(&sh->m)) {
			atomic_fetch_add(&sh->errors, 1);
			continue;
		}
		if (sh->inside++)
			atomic_fetch_add(&sh->overlaps, 1);
		v = sh->counter;
		sched_yield();
		sh->counter = v + 1;
		sh->inside--;
		if (shmbus_mutex_unlock(&sh->m))
			atomic_fetch_add(&sh->errors, 1);
	}
	return NULL;
}

/* A process of NR_THREADS counting threads. */
static int count_in_threads(void *arg)
{
	pthread_t threads[NR_THREADS];
	int i;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&threads[i], NULL, count_rounds, arg))
			return 1;
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

/*
 * NR_PROCS processes of NR_THREADS threads each increment a counter under
 * the mutex: no increment is lost and no two are ever inside at once.
 */
TEST_F_TIMEOUT(mutex, counts_exact_across_processes_and_threads, 600)
{
	struct counting c = { .sh = self->sh, .rounds = lib_rounds(20000, 2000) };
	pid_t pids[NR_PROCS];
	int i;

	for (i = 0; i < NR_PROCS; i++) {
		pids[i] = spawn(count_in_threads, &c);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < NR_PROCS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("process %d", i);
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
	EXPECT_EQ(0, atomic_load(&self->sh->overlaps));
	EXPECT_EQ(NR_PROCS * NR_THREADS * c.rounds, self->sh->counter);
}

/* Lock and unlock in one go: the thread's exit must not leave it held. */
static int lock_then_unlock(struct shmbus_mutex *m)
{
	int ret = shmbus_mutex_lock(m);

	return ret ? ret : shmbus_mutex_unlock(m);
}

/* Owned by a thread: another thread of the same process finds it busy, and takes it once free. */
TEST_F(mutex, threads_of_one_process_contend)
{
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EBUSY, lib_other_thread(&self->sh->m, shmbus_mutex_trylock));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(0, lib_other_thread(&self->sh->m, lock_then_unlock));
	EXPECT_EQ(0, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* The owner's relock, by lock, trylock or timedlock, is -EDEADLK, and it still holds it. */
TEST_F(mutex, relock_by_owner_edeadlk)
{
	struct timespec later = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_timedlock(&self->sh->m, CLOCK_MONOTONIC, &later));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m));
}

/* Another thread of the owner's process cannot unlock it: -EPERM, and it stays held. */
TEST_F(mutex, unlock_by_other_thread_eperm)
{
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EPERM, lib_other_thread(&self->sh->m, shmbus_mutex_unlock));
	EXPECT_EQ(-EBUSY, lib_other_thread(&self->sh->m, shmbus_mutex_trylock));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* Another process cannot unlock it: -EPERM, and it stays held. */
TEST_F(mutex, unlock_by_other_process_eperm)
{
	struct lib_holder h;

	ASSERT_EQ(0, lib_holder_start(&h, lock_mutex, unlock_mutex, &self->sh->m));
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(-EBUSY, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(0, lib_holder_release(&h));
	EXPECT_EQ(0, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* Unlocking a mutex nobody holds is -EPERM, fresh or after a lock and unlock. */
TEST_F(mutex, unlock_of_free_mutex_eperm)
{
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_trylock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* An unknown clock is -EINVAL (CLOCK_PROCESS_CPUTIME_ID: a CPU clock, not a wall). */
TEST_F(mutex, timedlock_unknown_clock_einval)
{
	struct timespec later = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	EXPECT_EQ(-EINVAL, shmbus_mutex_timedlock(&self->sh->m, CLOCK_PROCESS_CPUTIME_ID, &later));
	EXPECT_EQ(-EINVAL, shmbus_mutex_timedlock(&self->sh->m, CLOCK_THREAD_CPUTIME_ID, &later));
	EXPECT_EQ(-EINVAL, shmbus_mutex_timedlock(&self->sh->m, -1, &later));
	EXPECT_EQ(-EPERM, shmbus_mutex_unlock(&self->sh->m)) TH_LOG("a rejected call took it");
}

/* Timed locks on each accepted clock, the mutex held by another process. */
FIXTURE(timed) {
	struct lib_region reg;
	struct shared *sh;
	struct lib_holder holder;
};

LIB_CLOCK_VARIANTS(timed);

FIXTURE_SETUP(timed)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
	ret = lib_holder_start(&self->holder, lock_mutex, unlock_mutex, &self->sh->m);
	ASSERT_EQ(0, ret) TH_LOG("holder: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(timed)
{
	kill_children();
	lib_region_close(&self->reg);
}

/* -ETIMEDOUT, returned no earlier than the deadline as its own clock reads. */
TEST_F(timed, held_elsewhere_times_out_at_deadline)
{
	struct timespec deadline = lib_deadline(variant->clock, LIB_SHORT_NS);

	EXPECT_EQ(-ETIMEDOUT, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	EXPECT_EQ(0, lib_holder_release(&self->holder));
}

/* A deadline already past is -ETIMEDOUT at once when the mutex is taken. */
TEST_F(timed, past_deadline_etimedout)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);
	struct timespec epoch = { 0, 0 };

	EXPECT_EQ(-ETIMEDOUT, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &past));
	EXPECT_EQ(-ETIMEDOUT, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &epoch));
	EXPECT_EQ(0, lib_holder_release(&self->holder));
}

/* A deadline already past does not stop the lock of a free mutex. */
TEST_F(timed, past_deadline_free_mutex_taken)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);

	ASSERT_EQ(0, lib_holder_release(&self->holder));
	EXPECT_EQ(0, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &past));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

/* tv_nsec outside 0..999999999 is -EINVAL, not a wait. */
TEST_F(timed, bad_nsec_einval)
{
	struct timespec t = lib_deadline(variant->clock, NSEC_PER_SEC);

	t.tv_nsec = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &t));
	t.tv_nsec = -1;
	EXPECT_EQ(-EINVAL, shmbus_mutex_timedlock(&self->sh->m, variant->clock, &t));
	EXPECT_EQ(0, lib_holder_release(&self->holder));
}

TEST_HARNESS_MAIN
