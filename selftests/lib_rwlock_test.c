// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's readers-writer lock (<shmbus.h>, struct shmbus_rwlock):
 * readers share it across processes; a writer excludes readers and other
 * writers; writers are preferred, so a writer gets in behind a stream of
 * overlapping readers that never leaves the lock free, and a tryrdlock
 * while a writer waits is -EBUSY; unlocking it unheld is -EPERM; timed
 * locks end with -ETIMEDOUT at the deadline of each clock; a writer that
 * times out while another takes the lock leaves readers free to get in.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define NR_PROCS	2
#define NR_THREADS	2
/* How long a reader of the stream waits for another reader to join it. */
#define JOIN_YIELDS	1000

struct shared {
	struct shmbus_rwlock l;
	atomic_uint readers;		/* inside as readers */
	atomic_uint writers;		/* inside as writers */
	unsigned long data[2];		/* written by writers only, kept equal */
	unsigned long writes;		/* writers' count, guarded by l */
	atomic_uint violations;
	atomic_uint errors;
	atomic_uint stop;
	atomic_ulong reads;		/* read sections done by the stream */
	atomic_ulong overlapped;	/* read sections another reader joined */
	atomic_uint writer_in;
};

FIXTURE(rwlock) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(rwlock)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_rwlock_init(&self->sh->l));
}

FIXTURE_TEARDOWN(rwlock)
{
	kill_children();
	lib_region_close(&self->reg);
}

static int rdlock(void *l)
{
	return shmbus_rwlock_rdlock(l);
}

static int wrlock(void *l)
{
	return shmbus_rwlock_wrlock(l);
}

static int unlock(void *l)
{
	return shmbus_rwlock_unlock(l);
}

/* Readers of two processes hold it at once; a writer cannot get in meanwhile. */
TEST_F(rwlock, readers_share_across_processes)
{
	struct lib_holder h;

	ASSERT_EQ(0, lib_holder_start(&h, rdlock, unlock, &self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_tryrdlock(&self->sh->l));
	EXPECT_EQ(-EBUSY, shmbus_rwlock_trywrlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_rdlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	EXPECT_EQ(0, lib_holder_release(&h));
	EXPECT_EQ(0, shmbus_rwlock_trywrlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
}

/* A writer in another process excludes readers and writers here. */
TEST_F(rwlock, writer_excludes)
{
	struct lib_holder h;

	ASSERT_EQ(0, lib_holder_start(&h, wrlock, unlock, &self->sh->l));
	EXPECT_EQ(-EBUSY, shmbus_rwlock_tryrdlock(&self->sh->l));
	EXPECT_EQ(-EBUSY, shmbus_rwlock_trywrlock(&self->sh->l));
	EXPECT_EQ(0, lib_holder_release(&h));
	EXPECT_EQ(0, shmbus_rwlock_tryrdlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
}

struct mixed {
	struct shared *sh;
	unsigned long rounds;
};

/* Every fourth section a write, the others reads, each checking who else is inside. */
static void *mixed_rounds(void *arg)
{
	struct mixed *mx = arg;
	struct shared *sh = mx->sh;
	unsigned long i;

	for (i = 0; i < mx->rounds; i++) {
		bool write = i % 4 == 0;

		if (write ? shmbus_rwlock_wrlock(&sh->l) : shmbus_rwlock_rdlock(&sh->l)) {
			atomic_fetch_add(&sh->errors, 1);
			continue;
		}
		if (write) {
			if (atomic_fetch_add(&sh->writers, 1) || atomic_load(&sh->readers))
				atomic_fetch_add(&sh->violations, 1);
			sh->data[0]++;
			sched_yield();
			sh->data[1]++;
			sh->writes++;
			atomic_fetch_sub(&sh->writers, 1);
		} else {
			atomic_fetch_add(&sh->readers, 1);
			if (atomic_load(&sh->writers) ||
			    *(volatile unsigned long *)&sh->data[0] !=
			    *(volatile unsigned long *)&sh->data[1])
				atomic_fetch_add(&sh->violations, 1);
			atomic_fetch_sub(&sh->readers, 1);
		}
		if (shmbus_rwlock_unlock(&sh->l))
			atomic_fetch_add(&sh->errors, 1);
	}
	return NULL;
}

static int mixed_main(void *arg)
{
	pthread_t t[NR_THREADS];
	int i;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&t[i], NULL, mixed_rounds, arg))
			return 1;
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/*
 * Readers and writers of NR_PROCS processes, NR_THREADS threads each: no
 * reader ever sees a writer inside or a half-made write, no writer sees
 * anyone else inside, and no write is lost.
 */
TEST_F_TIMEOUT(rwlock, mixed_load_invariants, LIB_WATCHDOG_S + 60)
{
	struct mixed mx = { .sh = self->sh, .rounds = lib_rounds(20000, 2000) };
	pid_t pids[NR_PROCS];
	int i;

	for (i = 0; i < NR_PROCS; i++) {
		pids[i] = spawn(mixed_main, &mx);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < NR_PROCS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("process %d", i);
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
	EXPECT_EQ(0, atomic_load(&self->sh->violations));
	EXPECT_EQ(NR_PROCS * NR_THREADS * ((mx.rounds + 3) / 4), self->sh->writes);
	EXPECT_EQ(self->sh->data[0], self->sh->data[1]);
}

/*
 * One reader of the stream: holds the read lock until another reader has
 * joined (or JOIN_YIELDS yields passed, as a writer waiting keeps new
 * readers out), so that the lock is never free while readers run.
 */
static void *read_stream(void *arg)
{
	struct shared *sh = arg;
	unsigned int n;

	while (!atomic_load(&sh->stop)) {
		if (shmbus_rwlock_rdlock(&sh->l)) {
			atomic_fetch_add(&sh->errors, 1);
			break;
		}
		atomic_fetch_add(&sh->readers, 1);
		for (n = 0; n < JOIN_YIELDS && atomic_load(&sh->readers) < 2; n++)
			sched_yield();
		if (n < JOIN_YIELDS && !atomic_load(&sh->writer_in))
			atomic_fetch_add(&sh->overlapped, 1);
		atomic_fetch_add(&sh->reads, 1);
		atomic_fetch_sub(&sh->readers, 1);
		if (shmbus_rwlock_unlock(&sh->l)) {
			atomic_fetch_add(&sh->errors, 1);
			break;
		}
	}
	return NULL;
}

static int read_stream_main(void *arg)
{
	pthread_t t[NR_THREADS];
	int i;

	lib_child_watchdog(LIB_WATCHDOG_S);
	for (i = 0; i < NR_THREADS; i++)
		if (pthread_create(&t[i], NULL, read_stream, arg))
			return 1;
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static int write_once(void *arg)
{
	struct shared *sh = arg;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (shmbus_rwlock_wrlock(&sh->l))
		return 1;
	atomic_store(&sh->writer_in, 1);
	if (atomic_load(&sh->readers))
		return 2;
	return shmbus_rwlock_unlock(&sh->l) ? 3 : 0;
}

/*
 * Readers of NR_PROCS processes, NR_THREADS threads each, re-lock in a loop
 * and overlap, so the read lock is never free: a writer still gets in
 * (its wrlock returns before the readers are stopped).
 */
TEST_F_TIMEOUT(rwlock, writer_not_starved_by_reader_stream, LIB_WATCHDOG_S + 60)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + LIB_WATCHDOG_S * NSEC_PER_SEC;
	pid_t readers[NR_PROCS], writer;
	unsigned long overlapped;
	int i, ret;

	for (i = 0; i < NR_PROCS; i++) {
		readers[i] = spawn(read_stream_main, self->sh);
		ASSERT_LT(0, readers[i]);
	}
	/* The stream runs, its sections overlapping, before the writer comes. */
	while (atomic_load(&self->sh->overlapped) < 100 && !atomic_load(&self->sh->errors) &&
	       now_ns(CLOCK_MONOTONIC) < end)
		sleep_ms(1);
	overlapped = atomic_load(&self->sh->overlapped);
	ASSERT_LE(100, overlapped) TH_LOG("the readers never overlapped: no stream to starve a writer");
	writer = spawn(write_once, self->sh);
	ASSERT_LT(0, writer);
	ret = lib_reap(writer);
	atomic_store(&self->sh->stop, 1);
	EXPECT_EQ(0, ret) TH_LOG("the writer %s", ret == -ETIMEDOUT ? "starved" : "failed");
	for (i = 0; i < NR_PROCS; i++)
		EXPECT_EQ(0, lib_reap(readers[i])) TH_LOG("readers %d", i);
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
	TH_LOG("%lu overlapping read sections before the writer came, %lu in all",
	       overlapped, atomic_load(&self->sh->overlapped));
}

/* While a writer waits behind a reader, tryrdlock is -EBUSY and a timed rdlock times out. */
TEST_F(rwlock, tryrdlock_while_writer_waits_ebusy)
{
	struct timespec past = lib_deadline(CLOCK_MONOTONIC, -(long long)NSEC_PER_SEC);
	struct lib_holder h;
	pid_t writer;

	ASSERT_EQ(0, lib_holder_start(&h, rdlock, unlock, &self->sh->l));
	writer = spawn(write_once, self->sh);
	ASSERT_LT(0, writer);
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), 1, LIB_WATCHDOG_MS));
	EXPECT_EQ(-EBUSY, shmbus_rwlock_tryrdlock(&self->sh->l));
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedrdlock(&self->sh->l, CLOCK_MONOTONIC, &past));
	EXPECT_EQ(0, lib_holder_release(&h));
	EXPECT_EQ(0, lib_reap(writer));
	EXPECT_EQ(0, shmbus_rwlock_tryrdlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
}

#ifndef TRAP_PERF
#define TRAP_PERF	6	/* si_code of a perf event's synchronous SIGTRAP */
#endif

/*
 * The rwlock's count of writers in their slow path: its third word.  The
 * struct is opaque; this test pauses a writer right after it read that
 * count (a hardware watchpoint on it), so it names the word.
 */
static uint32_t *rwlock_writers_word(struct shmbus_rwlock *l)
{
	return &((uint32_t *)l)[2];
}

/*
 * A hardware watchpoint on the 4 bytes at @addr, for this thread: each
 * read or write of them raises a synchronous SIGTRAP (TRAP_PERF) right
 * after the access.  Its fd, or -errno.
 */
static int watch_word(const void *addr)
{
	struct perf_event_attr pe;
	long fd;

	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_BREAKPOINT;
	pe.size = sizeof(pe);
	pe.bp_type = HW_BREAKPOINT_RW;
	pe.bp_addr = (uintptr_t)addr;
	pe.bp_len = HW_BREAKPOINT_LEN_4;
	pe.sample_period = 1;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	pe.remove_on_exec = 1;
	pe.sigtrap = 1;
	fd = syscall(__NR_perf_event_open, &pe, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

/* The writer that is paused: at its first watchpoint hit once the test armed it. */
struct paused_writer {
	struct shmbus_rwlock *l;
	atomic_uint *armed;	/* a shared page: set by the test */
	struct lib_pipes pipes;
};

static struct paused_writer *paused_writer;
static volatile sig_atomic_t paused_once;
/* A word nobody touches, to find out whether watch_word() works here. */
static uint32_t untouched_word;

/* SIGTRAP of the watchpoint: the first one once armed tells the test and waits for its go. */
static void pause_at_watchpoint(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)sig;
	(void)uc;
	if (si->si_code == TRAP_PERF && !paused_once && atomic_load(paused_writer->armed)) {
		paused_once = 1;
		lib_tell(paused_writer->pipes.up[1]);
		lib_hear(paused_writer->pipes.down[0]);
	}
	errno = saved;
}

/*
 * wrlock with a watchpoint on the writers count, paused (by the handler)
 * right after it read the count on its way to take the lock; then tell
 * the test it holds the lock, and unlock at its go.
 */
static int wrlock_paused(void *arg)
{
	struct sigaction sa = { .sa_sigaction = pause_at_watchpoint, .sa_flags = SA_SIGINFO };
	struct paused_writer *pw = arg;
	int fd;

	lib_child_watchdog(LIB_WATCHDOG_S);
	paused_writer = pw;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, NULL))
		return 1;
	fd = watch_word(rwlock_writers_word(pw->l));
	if (fd < 0)
		return 2;
	if (shmbus_rwlock_wrlock(pw->l))
		return 3;
	close(fd);
	if (!paused_once)
		return 4;
	if (lib_tell(pw->pipes.up[1]) || lib_hear(pw->pipes.down[0]))
		return 5;
	return shmbus_rwlock_unlock(pw->l) ? 6 : 0;
}

/* timedwrlock with a deadline 3 s away: exit 1 on -ETIMEDOUT, 0 if it got the lock. */
static int timedwrlock_once(void *arg)
{
	struct timespec deadline = lib_deadline(CLOCK_MONOTONIC, 3 * NSEC_PER_SEC);
	int ret;

	lib_child_watchdog(LIB_WATCHDOG_S);
	ret = shmbus_rwlock_timedwrlock(arg, CLOCK_MONOTONIC, &deadline);
	if (ret == -ETIMEDOUT)
		return 1;
	if (ret)
		return 2;
	return shmbus_rwlock_unlock(arg) ? 3 : 0;
}

/*
 * A writer that times out while another takes the lock leaves no stale
 * writer-waiting bit.  Behind the test's read lock sleep writer W1 and then
 * the timed writer W2.  The read unlock wakes W1 (the oldest); W1 is
 * paused just after it read that another writer waits, before it takes the
 * lock (a watchpoint's SIGTRAP); meanwhile W2 times out.  W1 then takes the
 * lock and unlocks it: readers must get in again, tryrdlock at once.
 */
TEST_F_TIMEOUT(rwlock, writer_timing_out_as_another_takes_leaves_readers_in, 90)
{
	struct paused_writer pw = { .l = &self->sh->l };
	int fd = lib_region_fd(&self->reg), probe, ret;
	struct timespec deadline;
	pid_t w1, w2;

	probe = watch_word(&untouched_word);
	if (probe < 0)
		SKIP(return, "no hardware watchpoint with a synchronous SIGTRAP: %s",
		     strerror(-probe));
	close(probe);
	pw.armed = mmap(NULL, page_size(), LIB_RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pw.armed);
	ASSERT_EQ(0, lib_pipes_open(&pw.pipes));
	ASSERT_EQ(0, shmbus_rwlock_rdlock(&self->sh->l));
	w1 = spawn(wrlock_paused, &pw);
	ASSERT_LT(0, w1);
	lib_pipes_test_side(&pw.pipes);
	ASSERT_EQ(0, await_waiters(fd, 1, LIB_WATCHDOG_MS));
	w2 = spawn(timedwrlock_once, &self->sh->l);
	ASSERT_LT(0, w2);
	ASSERT_EQ(0, await_waiters(fd, 2, LIB_WATCHDOG_MS));
	atomic_store(pw.armed, 1);
	ASSERT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	ASSERT_EQ(0, lib_hear(pw.pipes.up[0])) TH_LOG("W1 never paused on its way in");
	ret = lib_reap(w2);
	EXPECT_EQ(1, ret) TH_LOG("W2 should have timed out behind W1");
	ASSERT_EQ(0, lib_tell(pw.pipes.down[1]));
	ASSERT_EQ(0, lib_hear(pw.pipes.up[0])) TH_LOG("W1 did not take the lock");
	EXPECT_EQ(-EBUSY, shmbus_rwlock_tryrdlock(&self->sh->l));
	ASSERT_EQ(0, lib_tell(pw.pipes.down[1]));
	EXPECT_EQ(0, lib_reap(w1));
	lib_pipes_close(&pw.pipes);
	munmap(pw.armed, page_size());

	ret = shmbus_rwlock_tryrdlock(&self->sh->l);
	EXPECT_EQ(0, ret)
		TH_LOG("no writer holds or waits, yet readers are kept out (a stale W_WAITING)");
	if (!ret)
		EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	deadline = lib_deadline(CLOCK_MONOTONIC, 2 * NSEC_PER_SEC);
	ret = shmbus_rwlock_timedrdlock(&self->sh->l, CLOCK_MONOTONIC, &deadline);
	EXPECT_EQ(0, ret);
	if (!ret)
		EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
}

/* Unlocking a lock nobody holds is -EPERM: fresh, and after a read and a write section. */
TEST_F(rwlock, unlock_unheld_eperm)
{
	EXPECT_EQ(-EPERM, shmbus_rwlock_unlock(&self->sh->l));
	ASSERT_EQ(0, shmbus_rwlock_rdlock(&self->sh->l));
	ASSERT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	EXPECT_EQ(-EPERM, shmbus_rwlock_unlock(&self->sh->l));
	ASSERT_EQ(0, shmbus_rwlock_wrlock(&self->sh->l));
	ASSERT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
	EXPECT_EQ(-EPERM, shmbus_rwlock_unlock(&self->sh->l));
	EXPECT_EQ(0, shmbus_rwlock_trywrlock(&self->sh->l)) TH_LOG("a refused unlock changed it");
	EXPECT_EQ(0, shmbus_rwlock_unlock(&self->sh->l));
}

/* An unknown clock is -EINVAL for both timed locks, even when free. */
TEST_F(rwlock, timed_unknown_clock_einval)
{
	struct timespec t = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedrdlock(&self->sh->l, CLOCK_PROCESS_CPUTIME_ID, &t));
	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedwrlock(&self->sh->l, CLOCK_PROCESS_CPUTIME_ID, &t));
	EXPECT_EQ(-EPERM, shmbus_rwlock_unlock(&self->sh->l)) TH_LOG("a refused lock took it");
}

/* Timed locks on each accepted clock, against a holder in another process. */
FIXTURE(timed) {
	struct lib_region reg;
	struct shmbus_rwlock *l;
};

LIB_CLOCK_VARIANTS(timed);

FIXTURE_SETUP(timed)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shmbus_rwlock));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->l = self->reg.map;
	ASSERT_EQ(0, shmbus_rwlock_init(self->l));
}

FIXTURE_TEARDOWN(timed)
{
	kill_children();
	lib_region_close(&self->reg);
}

/* With a writer holding it: both timed locks -ETIMEDOUT, no earlier than the deadline. */
TEST_F(timed, write_held_both_time_out)
{
	struct timespec deadline;
	struct lib_holder h;

	ASSERT_EQ(0, lib_holder_start(&h, wrlock, unlock, self->l));
	deadline = lib_deadline(variant->clock, LIB_SHORT_NS);
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedrdlock(self->l, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	deadline = lib_deadline(variant->clock, LIB_SHORT_NS);
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedwrlock(self->l, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	EXPECT_EQ(0, lib_holder_release(&h));
}

/*
 * With a reader holding it: the timed wrlock -ETIMEDOUT no earlier than the
 * deadline, and, the writer gone, readers get in again.
 */
TEST_F(timed, read_held_wrlock_times_out)
{
	struct timespec deadline;
	struct lib_holder h;

	ASSERT_EQ(0, lib_holder_start(&h, rdlock, unlock, self->l));
	deadline = lib_deadline(variant->clock, LIB_SHORT_NS);
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedwrlock(self->l, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
	EXPECT_EQ(0, shmbus_rwlock_tryrdlock(self->l)) TH_LOG("the timed-out writer still blocks readers");
	EXPECT_EQ(0, shmbus_rwlock_unlock(self->l));
	EXPECT_EQ(0, lib_holder_release(&h));
}

/* A deadline already past: -ETIMEDOUT when held, the lock taken when free. */
TEST_F(timed, past_deadline)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);
	struct lib_holder h;

	EXPECT_EQ(0, shmbus_rwlock_timedwrlock(self->l, variant->clock, &past));
	EXPECT_EQ(0, shmbus_rwlock_unlock(self->l));
	EXPECT_EQ(0, shmbus_rwlock_timedrdlock(self->l, variant->clock, &past));
	EXPECT_EQ(0, shmbus_rwlock_unlock(self->l));
	ASSERT_EQ(0, lib_holder_start(&h, wrlock, unlock, self->l));
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedrdlock(self->l, variant->clock, &past));
	EXPECT_EQ(-ETIMEDOUT, shmbus_rwlock_timedwrlock(self->l, variant->clock, &past));
	EXPECT_EQ(0, lib_holder_release(&h));
}

/* tv_nsec outside 0..999999999 is -EINVAL for both timed locks. */
TEST_F(timed, bad_nsec_einval)
{
	struct timespec t = lib_deadline(variant->clock, NSEC_PER_SEC);

	t.tv_nsec = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedrdlock(self->l, variant->clock, &t));
	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedwrlock(self->l, variant->clock, &t));
	t.tv_nsec = -1;
	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedrdlock(self->l, variant->clock, &t));
	EXPECT_EQ(-EINVAL, shmbus_rwlock_timedwrlock(self->l, variant->clock, &t));
}

TEST_HARNESS_MAIN
