// SPDX-License-Identifier: GPL-2.0
/*
 * SHMBUS_IOC_WAIT as docs/waitwake.md states it: a word that differs from
 * expected is EAGAIN at once; a matching one (a word never touched reads as
 * 0 and is not allocated) sleeps until a WAKE wakes it, its timeout passes on
 * the chosen clock (ETIMEDOUT, never early) or a signal arrives (EINTR,
 * SA_RESTART or not).  Bad offsets, bitsets, flags and timeouts are EINVAL,
 * an unbound handle ENXIO, and a read-only handle may wait.  A sleeper holds
 * its handle: unlinking the region leaves it asleep on the live region, and
 * it pins the module.
 *
 * Waiters run in child processes and report through their exit status; the
 * test process sees them asleep through SHMBUS_IOC_INFO.waiters.  Calls that
 * must not sleep are cut short by SIGALRM after GUARD_S seconds (EINTR)
 * instead of hanging.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define GUARD_S		5	/* a call that must return at once */
#define SETTLE_MS	WAITER_SETTLE_MS	/* a child gets asleep or exits within this */
#define TIMEOUT_NS	(100 * NSEC_PER_MSEC)
#define RW		(PROT_READ | PROT_WRITE)

/* shmbus_wait() for a call that must return at once: 0 or -errno. */
static int wait_now(int fd, struct shmbus_wait w)
{
	int ret;

	alarm(GUARD_S);
	ret = shmbus_wait(fd, &w);
	alarm(0);
	return ret;
}

FIXTURE(ww) {
	int fd;		/* bound to an anonymous region */
	int fd2;	/* a second one, when a test needs it */
	__u64 size;
	__u32 *map;
	char name[SHMBUS_NAME_MAX];	/* a named region to unlink, if any */
};

FIXTURE_SETUP(ww)
{
	self->fd2 = -1;
	self->map = MAP_FAILED;
	catch_signal(SIGALRM, 0);
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(ww)
{
	kill_children();
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->fd2 >= 0)
		close(self->fd2);
	close(self->fd);
	if (self->name[0])
		shmbus_unlink(self->name);
}

static int map_self(FIXTURE_DATA(ww) *self)
{
	self->map = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	return self->map == MAP_FAILED ? -errno : 0;
}

/* WAIT: a word that differs from expected is EAGAIN at once. */
TEST_F(ww, wait_mismatch_eagain)
{
	ASSERT_EQ(0, map_self(self));
	self->map[1] = 7;
	EXPECT_EQ(-EAGAIN, wait_now(self->fd, wait_args(4, 6)));
}

/* WAIT: an offset unaligned or not inside the region is EINVAL. */
TEST_F(ww, wait_bad_offset_einval)
{
	const __u64 offsets[] = {
		2, self->size, self->size - 2, self->size + 4, 1ULL << 63, ~3ULL,
	};
	unsigned int i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		EXPECT_EQ(-EINVAL, wait_now(self->fd, wait_args(offsets[i], 0)))
			TH_LOG("offset %#llx", (unsigned long long)offsets[i]);
	}
}

/* WAIT: the last word of the region is a valid word. */
TEST_F(ww, wait_last_word_valid)
{
	struct shmbus_wait w = wait_args(self->size - 4, 0);

	w.flags = SHMBUS_WAIT_RELATIVE;
	EXPECT_EQ(-ETIMEDOUT, wait_now(self->fd, w));
}

/* WAIT: bitset 0 is EINVAL. */
TEST_F(ww, wait_bitset_zero_einval)
{
	struct shmbus_wait w = wait_args(0, 0);

	w.bitset = 0;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
}

/* WAIT: a flag other than the timeout mode and clock bits is EINVAL. */
TEST_F(ww, wait_unknown_flags_einval)
{
	const __u32 flags[] = { 0x4, 0x8, 0x40, 0x100, 0x80000000 };
	unsigned int i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct shmbus_wait w = wait_args(0, 0);

		w.flags = flags[i];
		EXPECT_EQ(-EINVAL, wait_now(self->fd, w)) TH_LOG("flags %#x", flags[i]);
	}
}

/* WAIT: a non-zero pad or reserved word is EINVAL. */
TEST_F(ww, wait_nonzero_pad_reserved_einval)
{
	struct shmbus_wait w = wait_args(0, 0);

	w.pad = 1;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
	w = wait_args(0, 0);
	w.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
	w = wait_args(0, 0);
	w.reserved[1] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
}

/* WAIT: RELATIVE and ABSOLUTE together are EINVAL. */
TEST_F(ww, wait_relative_and_absolute_einval)
{
	struct shmbus_wait w = wait_args(0, 0);

	w.flags = SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE;
	w.timeout_ns = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
}

/* WAIT: the clock value 0x30 is EINVAL, with or without a timeout. */
TEST_F(ww, wait_clock_0x30_einval)
{
	struct shmbus_wait w = wait_args(0, 0);

	w.flags = SHMBUS_WAIT_CLOCK_MASK;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
	w.flags = SHMBUS_WAIT_CLOCK_MASK | SHMBUS_WAIT_RELATIVE;
	w.timeout_ns = NSEC_PER_MSEC;
	EXPECT_EQ(-EINVAL, wait_now(self->fd, w));
}

/* WAIT: a timeout_ns without RELATIVE or ABSOLUTE is EINVAL. */
TEST_F(ww, wait_timeout_without_mode_einval)
{
	const __u32 clocks[] = {
		SHMBUS_WAIT_CLOCK_MONOTONIC, SHMBUS_WAIT_CLOCK_REALTIME,
		SHMBUS_WAIT_CLOCK_BOOTTIME,
	};
	unsigned int i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct shmbus_wait w = wait_args(0, 0);

		w.flags = clocks[i];
		w.timeout_ns = NSEC_PER_SEC;
		EXPECT_EQ(-EINVAL, wait_now(self->fd, w)) TH_LOG("clock %#x", clocks[i]);
	}
}

/* WAIT: timeout_ns above KTIME_MAX (2^63-1) is EINVAL. */
TEST_F(ww, wait_timeout_above_ktime_max_einval)
{
	const __u32 modes[] = { SHMBUS_WAIT_RELATIVE, SHMBUS_WAIT_ABSOLUTE };
	const __u64 values[] = { (__u64)INT64_MAX + 1, UINT64_MAX };
	unsigned int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			struct shmbus_wait w = wait_args(0, 0);

			w.flags = modes[i];
			w.timeout_ns = values[j];
			EXPECT_EQ(-EINVAL, wait_now(self->fd, w))
				TH_LOG("flags %#x timeout %#llx", modes[i],
				       (unsigned long long)values[j]);
		}
}

/* All wait/wake commands are ENXIO on an unbound handle. */
TEST_F(ww, unbound_handle_enxio)
{
	struct shmbus_requeue q = { .from = 0, .to = 4 };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, wait_now(fd, wait_args(0, 0)));
	EXPECT_EQ(-ENXIO, shmbus_wake(fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(-ENXIO, shmbus_cmp_requeue(fd, &q));
	close(fd);
}

/* A word on a page never touched reads as 0: WAIT with expected 0 sleeps. */
TEST_F(ww, untouched_word_reads_as_zero)
{
	__u64 offset = 2 * sysconf(_SC_PAGESIZE) + 8;
	pid_t pid = start_waiter(self->fd, offset, SHMBUS_BITSET_ANY, 1);

	ASSERT_LT(0, pid);
	EXPECT_EQ(1, shmbus_wake(self->fd, offset, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* A WAIT on a page never touched does not allocate it. */
TEST_F(ww, untouched_page_not_allocated)
{
	__u64 offset = 2 * sysconf(_SC_PAGESIZE) + 8;
	pid_t pid;

	ASSERT_EQ(0, shmbus_nr_pages(self->fd));
	pid = start_waiter(self->fd, offset, SHMBUS_BITSET_ANY, 1);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, shmbus_nr_pages(self->fd));
	EXPECT_EQ(1, shmbus_wake(self->fd, offset, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
	EXPECT_EQ(0, shmbus_nr_pages(self->fd));
}

/* A signal ends a WAIT with EINTR; @flags are the handler's sa_flags. */
static int interrupted_wait(int fd, int flags)
{
	struct waiter wt = { .fd = fd, .signal_flags = flags, .w = wait_args(0, 0) };
	pid_t pid = spawn(waiter_main, &wt);

	if (pid < 0 || await_waiters(fd, 1, SETTLE_MS))
		return -1;
	sleep_ms(50);
	kill(pid, SIGUSR1);
	return reap(pid, SETTLE_MS, NULL);
}

/* WAIT: a signal whose handler has no SA_RESTART ends it with EINTR. */
TEST_F(ww, wait_signal_eintr)
{
	EXPECT_EQ(EINTR, interrupted_wait(self->fd, 0));
}

/* WAIT: EINTR even when the handler has SA_RESTART; nothing is restarted. */
TEST_F(ww, wait_signal_sa_restart_eintr)
{
	EXPECT_EQ(EINTR, interrupted_wait(self->fd, SA_RESTART));
}

/*
 * A read-only handle can WAIT and WAKE; a task waiting through one is woken
 * by the WAKE without being counted (it never takes a writer's share).
 */
TEST_F(ww, rdonly_handle_waits_and_wakes)
{
	struct shmbus_info info;
	int rw, ro;
	pid_t pid;

	shmbus_unique_name(self->name, "ww-rdonly");
	rw = shmbus_open_bound(self->name, self->size,
			       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	ASSERT_LE(0, rw) TH_LOG("create: %s", strerror(-rw));
	ro = shmbus_open_bound(self->name, 0, SHMBUS_BIND_RDONLY, 0);
	close(rw);
	ASSERT_LE(0, ro) TH_LOG("bind rdonly: %s", strerror(-ro));
	self->fd2 = ro;
	ASSERT_EQ(0, shmbus_unlink(self->name));
	self->name[0] = '\0';
	ASSERT_EQ(0, region_info(ro, &info));
	ASSERT_TRUE(info.flags & SHMBUS_INFO_RDONLY);

	pid = start_waiter(ro, 0, SHMBUS_BITSET_ANY, 1);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, shmbus_wake(ro, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* A waiter that binds the region by name itself; exits 200 if it cannot. */
static int named_waiter_main(void *arg)
{
	struct shmbus_wait w = wait_args(0, 0);
	int fd = shmbus_open_bound(arg, 0, 0, 0);

	return fd < 0 ? 200 : -shmbus_wait(fd, &w);
}

/*
 * Unlinking a region with sleepers leaves them asleep on the live region; a
 * later WAKE through another handle wakes them.
 */
TEST_F(ww, unlink_keeps_sleepers)
{
	struct shmbus_info info;
	pid_t pid;
	int fd;

	shmbus_unique_name(self->name, "ww-unlink");
	fd = shmbus_open_bound(self->name, self->size,
			       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	self->fd2 = fd;
	pid = spawn(named_waiter_main, self->name);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_waiters(fd, 1, SETTLE_MS));
	ASSERT_EQ(0, shmbus_unlink(self->name));
	self->name[0] = '\0';
	sleep_ms(100);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_TRUE(info.flags & SHMBUS_INFO_UNLINKED);
	EXPECT_EQ(1, info.waiters);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(1, shmbus_wake(fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* Timeouts, on each clock. */
FIXTURE(clk) {
	int fd;
};

FIXTURE_VARIANT(clk) {
	clockid_t clock;
	__u32 flag;
};

FIXTURE_VARIANT_ADD(clk, monotonic) {
	.clock = CLOCK_MONOTONIC,
	.flag = SHMBUS_WAIT_CLOCK_MONOTONIC,
};

FIXTURE_VARIANT_ADD(clk, realtime) {
	.clock = CLOCK_REALTIME,
	.flag = SHMBUS_WAIT_CLOCK_REALTIME,
};

FIXTURE_VARIANT_ADD(clk, boottime) {
	.clock = CLOCK_BOOTTIME,
	.flag = SHMBUS_WAIT_CLOCK_BOOTTIME,
};

FIXTURE_SETUP(clk)
{
	catch_signal(SIGALRM, 0);
	self->fd = shmbus_anon_region(sysconf(_SC_PAGESIZE), NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(clk)
{
	close(self->fd);
}

static struct shmbus_wait timed_wait(__u32 flags, __u64 timeout_ns)
{
	struct shmbus_wait w = wait_args(0, 0);

	w.flags = flags;
	w.timeout_ns = timeout_ns;
	return w;
}

/* A relative timeout ends with ETIMEDOUT, never before it on its clock. */
TEST_F(clk, relative_timeout_not_early)
{
	struct shmbus_wait w = timed_wait(SHMBUS_WAIT_RELATIVE | variant->flag, TIMEOUT_NS);
	unsigned long long start = now_ns(variant->clock);

	EXPECT_EQ(-ETIMEDOUT, shmbus_wait(self->fd, &w));
	EXPECT_LE(start + TIMEOUT_NS, now_ns(variant->clock));
}

/* An absolute timeout ends with ETIMEDOUT, never before it on its clock. */
TEST_F(clk, absolute_timeout_not_early)
{
	unsigned long long deadline = now_ns(variant->clock) + TIMEOUT_NS;
	struct shmbus_wait w = timed_wait(SHMBUS_WAIT_ABSOLUTE | variant->flag, deadline);

	EXPECT_EQ(-ETIMEDOUT, shmbus_wait(self->fd, &w));
	EXPECT_LE(deadline, now_ns(variant->clock));
}

/* An absolute timeout already past is ETIMEDOUT at once. */
TEST_F(clk, absolute_timeout_in_past)
{
	unsigned long long past = now_ns(variant->clock) - NSEC_PER_SEC;

	EXPECT_EQ(-ETIMEDOUT, wait_now(self->fd, timed_wait(SHMBUS_WAIT_ABSOLUTE | variant->flag,
							    past)));
}

/* A relative timeout of 0 on a matching word is ETIMEDOUT at once. */
TEST_F(clk, relative_zero_timeout)
{
	EXPECT_EQ(-ETIMEDOUT, wait_now(self->fd, timed_wait(SHMBUS_WAIT_RELATIVE | variant->flag,
							    0)));
}

/* Module pinning, with no handle open in the test process. */
FIXTURE(pin) {
	int pipe[2];
};

FIXTURE_SETUP(pin)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to try unloading the module");
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(pin)
{
	kill_children();
	shmbus_ensure_loaded();
}

struct pinner {
	int fd;
	int ready;
};

static void *pin_sleeper(void *arg)
{
	struct pinner *p = arg;
	struct shmbus_wait w = wait_args(0, 0);

	return (void *)(long)-shmbus_wait(p->fd, &w);
}

/*
 * A thread sleeps in WAIT; the process then closes its only descriptor, so
 * the sleeping waiter alone holds the handle.  Tell the test (the pipe) and
 * keep sleeping until killed.
 */
static int pinner_main(void *arg)
{
	struct pinner *p = arg;
	pthread_t thread;

	p->fd = shmbus_anon_region(sysconf(_SC_PAGESIZE), NULL);
	if (p->fd < 0 || pthread_create(&thread, NULL, pin_sleeper, p))
		return 200;
	if (await_waiters(p->fd, 1, SETTLE_MS))
		return 201;
	close(p->fd);
	if (write(p->ready, "x", 1) != 1)
		return 202;
	pthread_join(thread, NULL);
	return 203;
}

/* rmmod fails with EWOULDBLOCK while a waiter sleeps. */
TEST_F(pin, rmmod_refused_while_waiter_sleeps)
{
	struct pinner p = { .fd = -1, .ready = self->pipe[1] };
	char c;
	pid_t pid = spawn(pinner_main, &p);

	ASSERT_LT(0, pid);
	close(self->pipe[1]);
	ASSERT_EQ(1, read(self->pipe[0], &c, 1));
	EXPECT_EQ(-EWOULDBLOCK, shmbus_unload());
	EXPECT_TRUE(child_running(pid));
}

TEST_HARNESS_MAIN
