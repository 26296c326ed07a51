// SPDX-License-Identifier: GPL-2.0
/*
 * Wait/wake as docs/waitwake.md states it: SHMBUS_IOC_WAIT, _WAKE, _WAITV and
 * _CMP_REQUEUE with their errnos, timeouts on each clock, signals, ordering,
 * lost wake-ups, sleepers and the region's lifetime, and the tracepoints.
 *
 * Waiters run in child processes (or threads) and report through their exit
 * status; the test process sees them asleep through SHMBUS_IOC_INFO.waiters
 * and, for WAITV, through their state in /proc.  Calls that must not sleep
 * are cut short by SIGALRM after GUARD_S seconds (EINTR) instead of hanging.
 *
 * SHMBUS_STRESS=1 runs the ping-pong stress with 10^6 round trips instead of
 * 10^5.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define GUARD_S		5	/* a call that must return at once */
#define SETTLE_S	30	/* a child gets asleep or exits within this */
#define SETTLE_MS	(SETTLE_S * 1000)
#define TIMEOUT_NS	(100 * NSEC_PER_MSEC)
#define MAX_CHILDREN	32
#define WORDS_PER_REGION	(SHMBUS_WAITV_MAX / 2)
#define WAITV_ERR(e)	(128 + (e))	/* exit status of a failed WAITV child */
#define RW		(PROT_READ | PROT_WRITE)
#define TRACEFS		"/sys/kernel/tracing"

static void on_signal(int sig)
{
	(void)sig;
}

static void catch_signal(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* The state letter of /proc/PID/stat, or 0. */
static char task_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_text(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Poll until @pid sleeps with a waiter queued on the region of @fd: once a
 * WAITV has queued its first entry, it only sleeps after queueing them all.
 */
static int await_asleep(pid_t pid, int fd)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + SETTLE_S * NSEC_PER_SEC;

	while (shmbus_nr_waiters(fd) < 1 || task_state(pid) != 'S') {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	return 0;
}

static struct shmbus_wait wait_args(__u64 offset, __u32 expected)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
	};

	return w;
}

/* shmbus_wait() for a call that must return at once: 0 or -errno. */
static int wait_now(int fd, struct shmbus_wait w)
{
	int ret;

	alarm(GUARD_S);
	ret = shmbus_wait(fd, &w);
	alarm(0);
	return ret;
}

static struct shmbus_wake wake_args(__u64 offset, __u32 count, __u32 bitset)
{
	struct shmbus_wake k = { .offset = offset, .count = count, .bitset = bitset };

	return k;
}

static struct shmbus_waitv waitv_args(struct shmbus_waitv_entry *e, __u32 nr)
{
	struct shmbus_waitv v = { .entries = (uintptr_t)e, .nr = nr };

	return v;
}

/* shmbus_waitv() for a call that must return at once: the index or -errno. */
static int waitv_now(int fd, struct shmbus_waitv v)
{
	int ret;

	alarm(GUARD_S);
	ret = shmbus_waitv(fd, &v);
	alarm(0);
	return ret;
}

/* A child sleeping in SHMBUS_IOC_WAIT; exits with 0 or the errno. */
struct waiter {
	int fd;
	int signal_flags;	/* -1: no handler; else SIGUSR1's sa_flags */
	struct shmbus_wait w;
};

static int waiter_main(void *arg)
{
	struct waiter *wt = arg;

	if (wt->signal_flags >= 0)
		catch_signal(SIGUSR1, wt->signal_flags);
	return -shmbus_wait(wt->fd, &wt->w);
}

/* Start a child in WAIT @w and return once the region has @nth sleepers. */
static pid_t start_wait(int fd, struct shmbus_wait w, unsigned int nth)
{
	struct waiter wt = { .fd = fd, .signal_flags = -1, .w = w };
	pid_t pid = spawn(waiter_main, &wt);

	if (pid < 0 || await_waiters(fd, nth, SETTLE_MS))
		return -1;
	return pid;
}

/* start_wait() on the word at @offset, expected 0, with @bitset. */
static pid_t start_waiter(int fd, __u64 offset, __u32 bitset, unsigned int nth)
{
	struct shmbus_wait w = wait_args(offset, 0);

	w.bitset = bitset;
	return start_wait(fd, w, nth);
}

/* A child sleeping in SHMBUS_IOC_WAITV; exits with the index or WAITV_ERR. */
struct waitv_waiter {
	int fd;
	int catch_usr1;
	struct shmbus_waitv_entry *e;
	__u32 nr;
};

static int waitv_main(void *arg)
{
	struct waitv_waiter *v = arg;
	struct shmbus_waitv a = waitv_args(v->e, v->nr);
	int ret;

	if (v->catch_usr1)
		catch_signal(SIGUSR1, 0);
	ret = shmbus_waitv(v->fd, &a);
	return ret >= 0 ? ret : WAITV_ERR(-ret);
}

static struct shmbus_waitv_entry entry(int fd, __u64 offset)
{
	struct shmbus_waitv_entry e = {
		.fd = fd, .offset = offset, .bitset = SHMBUS_BITSET_ANY,
	};

	return e;
}

/*
 * Entries 0..63 on words 0..63 of the called handle's region, 64..127 on
 * words 0..63 of @fd2's region, all expecting 0.
 */
static void fill_two_regions(struct shmbus_waitv_entry *e, int fd2)
{
	unsigned int i;

	for (i = 0; i < SHMBUS_WAITV_MAX; i++)
		e[i] = entry(i < WORDS_PER_REGION ? SHMBUS_WAITV_SELF : fd2,
			     4 * (i % WORDS_PER_REGION));
}

FIXTURE(ww) {
	int fd;		/* bound to an anonymous region */
	int fd2;	/* a second one, when a test needs it */
	__u64 size;
	__u64 id;
	__u32 *map;
	char name[SHMBUS_NAME_MAX];	/* a named region to unlink, if any */
};

FIXTURE_SETUP(ww)
{
	struct shmbus_info info;

	self->fd2 = -1;
	self->map = MAP_FAILED;
	catch_signal(SIGALRM, 0);
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
	ASSERT_EQ(0, shmbus_region_info(self->fd, &info));
	self->id = info.id;
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
		shmbus_unlink_name(self->name);
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
	ASSERT_EQ(0, shmbus_unlink_name(self->name));
	self->name[0] = '\0';
	ASSERT_EQ(0, shmbus_region_info(ro, &info));
	ASSERT_TRUE(info.flags & SHMBUS_INFO_RDONLY);

	pid = start_waiter(ro, 0, SHMBUS_BITSET_ANY, 1);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, shmbus_wake(ro, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* Start @n waiters on word 0, each queued before the next starts. */
static int start_waiters(int fd, pid_t *pids, const __u32 *bitsets, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		pids[i] = start_waiter(fd, 0, bitsets ? bitsets[i] : SHMBUS_BITSET_ANY,
				       i + 1);
		if (pids[i] < 0)
			return -1;
	}
	return 0;
}

/* Reap @n children that must all exit 0: how many did. */
static unsigned int reap_all(pid_t *pids, unsigned int n)
{
	unsigned int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += reap(pids[i], SETTLE_MS, NULL) == 0;
	return ok;
}

/* WAKE returns how many it woke, at most count. */
TEST_F(ww, wake_returns_number_woken)
{
	pid_t pids[3];

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 3));
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, 2, SHMBUS_BITSET_ANY));
	EXPECT_EQ(1, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(1, shmbus_wake(self->fd, 0, 5, SHMBUS_BITSET_ANY));
	EXPECT_EQ(3, reap_all(pids, 3));
}

/* WAKE with count 0 wakes nobody and returns 0. */
TEST_F(ww, wake_count_zero_wakes_none)
{
	pid_t pid = start_waiter(self->fd, 0, SHMBUS_BITSET_ANY, 1);

	ASSERT_LT(0, pid);
	EXPECT_EQ(0, shmbus_wake(self->fd, 0, 0, SHMBUS_BITSET_ANY));
	sleep_ms(50);
	EXPECT_EQ(1, shmbus_nr_waiters(self->fd));
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(1, shmbus_wake(self->fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* WAKE with count 1 wakes exactly one waiter, the oldest first. */
TEST_F(ww, wake_one_oldest_first)
{
	pid_t pids[3], who;
	unsigned int i;

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 3));
	for (i = 0; i < 3; i++) {
		who = 0;
		EXPECT_EQ(1, shmbus_wake(self->fd, 0, 1, SHMBUS_BITSET_ANY));
		EXPECT_EQ(2 - i, shmbus_nr_waiters(self->fd));
		EXPECT_EQ(0, reap(-1, SETTLE_MS, &who));
		EXPECT_EQ(pids[i], who) TH_LOG("wake %u", i);
	}
}

/* WAKE with any count at or above the number of waiters wakes them all. */
TEST_F(ww, wake_huge_count_wakes_all)
{
	const __u32 counts[] = { 0x80000000, 0xffffffff };
	unsigned int i;
	pid_t pids[3];

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 3));
		EXPECT_EQ(3, shmbus_wake(self->fd, 0, counts[i], SHMBUS_BITSET_ANY))
			TH_LOG("count %#x", counts[i]);
		EXPECT_EQ(3, reap_all(pids, 3));
	}
}

static const __u32 bitsets_124[] = { 1, 2, 4 };

/* WAKE reaches only the waiters whose bitset intersects its own. */
TEST_F(ww, wake_bitset_selects_waiter)
{
	pid_t pids[3], who = 0;

	ASSERT_EQ(0, start_waiters(self->fd, pids, bitsets_124, 3));
	EXPECT_EQ(1, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, 2));
	EXPECT_EQ(0, reap(-1, SETTLE_MS, &who));
	EXPECT_EQ(pids[1], who);
	EXPECT_EQ(2, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
}

/* WAKE with bitset 6 reaches the waiters with bitsets 2 and 4, not 1. */
TEST_F(ww, wake_bitset_union)
{
	pid_t pids[3], a = 0, b = 0;

	ASSERT_EQ(0, start_waiters(self->fd, pids, bitsets_124, 3));
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, 6));
	EXPECT_EQ(0, reap(-1, SETTLE_MS, &a));
	EXPECT_EQ(0, reap(-1, SETTLE_MS, &b));
	EXPECT_TRUE((a == pids[1] && b == pids[2]) || (a == pids[2] && b == pids[1]));
	EXPECT_EQ(1, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(1, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, 1));
}

/* WAKE: bitset 0 is EINVAL. */
TEST_F(ww, wake_bitset_zero_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_wake(self->fd, 0, 1, 0));
}

/* WAKE: non-zero flags, pad or reserved words are EINVAL. */
TEST_F(ww, wake_nonzero_flags_pad_reserved_einval)
{
	struct shmbus_wake k = wake_args(0, 1, SHMBUS_BITSET_ANY);

	k.flags = 1;
	EXPECT_EQ(-EINVAL, shmbus_ioctl(self->fd, SHMBUS_IOC_WAKE, &k));
	k = wake_args(0, 1, SHMBUS_BITSET_ANY);
	k.pad = 1;
	EXPECT_EQ(-EINVAL, shmbus_ioctl(self->fd, SHMBUS_IOC_WAKE, &k));
	k = wake_args(0, 1, SHMBUS_BITSET_ANY);
	k.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, shmbus_ioctl(self->fd, SHMBUS_IOC_WAKE, &k));
	k = wake_args(0, 1, SHMBUS_BITSET_ANY);
	k.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, shmbus_ioctl(self->fd, SHMBUS_IOC_WAKE, &k));
}

/* WAKE: an offset unaligned or not inside the region is EINVAL. */
TEST_F(ww, wake_bad_offset_einval)
{
	const __u64 offsets[] = { 2, self->size, self->size - 2, 1ULL << 63 };
	unsigned int i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		EXPECT_EQ(-EINVAL, shmbus_wake(self->fd, offsets[i], 1, SHMBUS_BITSET_ANY))
			TH_LOG("offset %#llx", (unsigned long long)offsets[i]);
	}
}

/* WAKE with nobody waiting returns 0. */
TEST_F(ww, wake_without_waiters_returns_zero)
{
	EXPECT_EQ(0, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
}

#define SHARED_WORD	16
#define SHARED_VALUE	0x1234

/* A waiter that maps the region at @addr; exits 0 if woken and it sees the store. */
struct mapper {
	int fd;
	__u64 size;
	void *addr;
};

static int mapper_main(void *arg)
{
	struct mapper *m = arg;
	struct shmbus_wait w = wait_args(SHARED_WORD, 0);
	__u32 *p = mmap(m->addr, m->size, RW, MAP_SHARED | MAP_FIXED, m->fd, 0);

	if (p != m->addr)
		return 100;
	w.expected = __atomic_load_n(&p[SHARED_WORD / 4], __ATOMIC_SEQ_CST);
	if (shmbus_wait(m->fd, &w))
		return 101;
	return __atomic_load_n(&p[SHARED_WORD / 4], __ATOMIC_SEQ_CST) == SHARED_VALUE ? 0 : 102;
}

/*
 * The word is the same word whatever address a process mapped the region
 * at, and for a process that never mapped it: one WAKE reaches them all.
 */
TEST_F(ww, wake_reaches_any_mapping_and_none)
{
	struct mapper m[2];
	pid_t pids[3];
	char *area;
	unsigned int i;

	area = mmap(NULL, 3 * self->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	pids[0] = start_waiter(self->fd, SHARED_WORD, SHMBUS_BITSET_ANY, 1);
	ASSERT_LT(0, pids[0]);
	for (i = 0; i < 2; i++) {
		m[i] = (struct mapper){ self->fd, self->size, area + (2 * i) * self->size };
		pids[i + 1] = spawn(mapper_main, &m[i]);
		ASSERT_LT(0, pids[i + 1]);
		ASSERT_EQ(0, await_waiters(self->fd, i + 2, SETTLE_MS));
	}
	ASSERT_EQ(0, map_self(self));
	__atomic_store_n(&self->map[SHARED_WORD / 4], SHARED_VALUE, __ATOMIC_SEQ_CST);
	EXPECT_EQ(3, shmbus_wake(self->fd, SHARED_WORD, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, reap(pids[i], SETTLE_MS, NULL)) TH_LOG("waiter %u", i);
	}
	munmap(area, 3 * self->size);
}

#define TW_PROCS	10
#define TW_THREADS	100
#define TW_WAITERS	(TW_PROCS * TW_THREADS)
#define TW_STACK	(64 * 1024)
#define TW_WORD		0
#define TW_COUNTER	64

struct tw_ctx {
	int fd;
	__u32 *map;
};

static void *tw_thread(void *arg)
{
	struct tw_ctx *c = arg;
	struct shmbus_wait w = wait_args(TW_WORD, 0);

	if (shmbus_wait(c->fd, &w))
		return (void *)1;
	__atomic_fetch_add(&c->map[TW_COUNTER / 4], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* TW_THREADS waiting threads; exits 0 if each was woken. */
static int tw_proc(void *arg)
{
	pthread_t threads[TW_THREADS];
	pthread_attr_t attr;
	int i, bad = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, TW_STACK);
	for (i = 0; i < TW_THREADS; i++)
		if (pthread_create(&threads[i], &attr, tw_thread, arg))
			return 2;
	for (i = 0; i < TW_THREADS; i++) {
		void *ret;

		pthread_join(threads[i], &ret);
		bad |= ret != NULL;
	}
	return bad;
}

/* 1000 waiters in 10 processes are each woken exactly once. */
TEST_F_TIMEOUT(ww, thousand_waiters_woken_once, 180)
{
	unsigned long long start = now_ns(CLOCK_MONOTONIC), end;
	struct tw_ctx ctx;
	pid_t pids[TW_PROCS];
	long long woken = 0;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, map_self(self));
	ctx = (struct tw_ctx){ self->fd, self->map };
	for (i = 0; i < TW_PROCS; i++) {
		pids[i] = spawn(tw_proc, &ctx);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(self->fd, TW_WAITERS, 120 * 1000))
		TH_LOG("%lld sleepers", shmbus_nr_waiters(self->fd));
	__atomic_store_n(&self->map[TW_WORD / 4], 1, __ATOMIC_SEQ_CST);
	end = now_ns(CLOCK_MONOTONIC) + 30 * NSEC_PER_SEC;
	do {
		ret = shmbus_wake(self->fd, TW_WORD, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY);
		ASSERT_LE(0, ret);
		woken += ret;
		sleep_ms(1);
	} while (__atomic_load_n(&self->map[TW_COUNTER / 4], __ATOMIC_SEQ_CST) < TW_WAITERS &&
		 now_ns(CLOCK_MONOTONIC) < end);
	EXPECT_EQ(TW_PROCS, reap_all(pids, TW_PROCS));
	EXPECT_EQ(TW_WAITERS, woken);
	EXPECT_EQ(TW_WAITERS, __atomic_load_n(&self->map[TW_COUNTER / 4], __ATOMIC_SEQ_CST));
	TH_LOG("%d waiters: %.1f s", TW_WAITERS,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
}

#define PP_WORD		0
#define PP_ROUNDS	100000
#define PP_STRESS_ROUNDS	1000000
#define PP_WATCHDOG_S	120
#define PP_STRESS_WATCHDOG_S	600

/*
 * One side of the ping-pong: the word counts turns; side 0 moves on even
 * values, side 1 on odd ones.  A lost wake-up leaves both asleep until the
 * watchdog's SIGALRM kills them.
 */
struct pp_side {
	int fd;
	__u32 *word;
	__u32 side;
	__u32 rounds;
	unsigned int watchdog;
};

static int pp_main(void *arg)
{
	struct pp_side *c = arg;
	struct shmbus_wait w;
	__u32 v;
	int ret;

	signal(SIGALRM, SIG_DFL);
	alarm(c->watchdog);
	for (;;) {
		v = __atomic_load_n(c->word, __ATOMIC_SEQ_CST);
		if (v >= 2 * c->rounds)
			return 0;
		if ((v & 1) != c->side) {
			w = wait_args(PP_WORD, v);
			ret = -shmbus_wait(c->fd, &w);
			if (ret && ret != EAGAIN)
				return ret;
			continue;
		}
		__atomic_store_n(c->word, v + 1, __ATOMIC_SEQ_CST);
		if (shmbus_wake(c->fd, PP_WORD, 1, SHMBUS_BITSET_ANY) < 0)
			return 100;
	}
}

/* No wake-up is lost: two processes ping-pong through one word. */
TEST_F_TIMEOUT(ww, ping_pong_no_lost_wakeup, PP_STRESS_WATCHDOG_S + 60)
{
	const char *stress = getenv("SHMBUS_STRESS");
	int full = stress && !strcmp(stress, "1");
	unsigned long long start;
	struct pp_side sides[2];
	pid_t pids[2];
	unsigned int i;

	ASSERT_EQ(0, map_self(self));
	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < 2; i++) {
		sides[i] = (struct pp_side){
			.fd = self->fd, .word = &self->map[PP_WORD / 4], .side = i,
			.rounds = full ? PP_STRESS_ROUNDS : PP_ROUNDS,
			.watchdog = full ? PP_STRESS_WATCHDOG_S : PP_WATCHDOG_S,
		};
		pids[i] = spawn(pp_main, &sides[i]);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, reap(pids[i], (sides[i].watchdog + 10) * 1000, NULL))
			TH_LOG("side %u (1014: watchdog fired, a wake-up was lost)", i);
	}
	EXPECT_EQ(2 * sides[0].rounds, self->map[PP_WORD / 4]);
	TH_LOG("%u round trips: %.1f s", sides[0].rounds,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
}

/* Start a WAITV child: its pid once it sleeps queued on both regions, or -1. */
static pid_t start_waitv(FIXTURE_DATA(ww) *self, struct waitv_waiter *v)
{
	pid_t pid = spawn(waitv_main, v);

	if (pid < 0 || await_asleep(pid, self->fd) || await_asleep(pid, self->fd2))
		return -1;
	return pid;
}

static int open_second_region(FIXTURE_DATA(ww) *self)
{
	self->fd2 = shmbus_anon_region(self->size, NULL);
	return self->fd2 < 0 ? self->fd2 : 0;
}

/* WAITV returns the index of the entry woken, across two regions. */
TEST_F(ww, waitv_returns_woken_index)
{
	const unsigned int positions[] = { 0, 63, 64, 127 };
	struct shmbus_waitv_entry e[SHMBUS_WAITV_MAX];
	struct waitv_waiter v = { .fd = self->fd, .e = e, .nr = SHMBUS_WAITV_MAX };
	unsigned int i;

	ASSERT_EQ(0, open_second_region(self));
	fill_two_regions(e, self->fd2);
	for (i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		unsigned int k = positions[i];
		int fd = k < WORDS_PER_REGION ? self->fd : self->fd2;
		pid_t pid = start_waitv(self, &v);

		ASSERT_LT(0, pid);
		EXPECT_EQ(1, shmbus_wake(fd, e[k].offset, 1, SHMBUS_BITSET_ANY)) TH_LOG("entry %u", k);
		EXPECT_EQ((int)k, reap(pid, SETTLE_MS, NULL));
	}
}

/* INFO.waiters counts tasks: one WAITV on 64 words of a region counts 1. */
TEST_F(ww, waitv_counts_one_waiter_per_task)
{
	struct shmbus_waitv_entry e[SHMBUS_WAITV_MAX];
	struct waitv_waiter v = { .fd = self->fd, .e = e, .nr = SHMBUS_WAITV_MAX };
	pid_t pid;

	ASSERT_EQ(0, open_second_region(self));
	fill_two_regions(e, self->fd2);
	pid = start_waitv(self, &v);
	ASSERT_LT(0, pid);
	EXPECT_EQ(1, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(1, shmbus_nr_waiters(self->fd2));
	shmbus_wake(self->fd, 0, 1, SHMBUS_BITSET_ANY);
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* WAITV: any word that differs is EAGAIN, and nothing stays queued. */
TEST_F(ww, waitv_mismatch_eagain_nothing_queued)
{
	const unsigned int positions[] = { 0, 64, 127 };
	struct shmbus_waitv_entry e[SHMBUS_WAITV_MAX];
	unsigned int i;

	ASSERT_EQ(0, open_second_region(self));
	fill_two_regions(e, self->fd2);
	for (i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
		unsigned int k = positions[i];

		e[k].expected = 1;
		EXPECT_EQ(-EAGAIN, waitv_now(self->fd, waitv_args(e, SHMBUS_WAITV_MAX)))
			TH_LOG("entry %u", k);
		EXPECT_EQ(0, shmbus_nr_waiters(self->fd));
		EXPECT_EQ(0, shmbus_nr_waiters(self->fd2));
		EXPECT_EQ(0, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
		e[k].expected = 0;
	}
}

/* WAITV: nr 0 or above SHMBUS_WAITV_MAX is EINVAL. */
TEST_F(ww, waitv_bad_nr_einval)
{
	struct shmbus_waitv_entry e[SHMBUS_WAITV_MAX + 1];
	unsigned int i;

	for (i = 0; i <= SHMBUS_WAITV_MAX; i++)
		e[i] = entry(SHMBUS_WAITV_SELF, 0);
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, waitv_args(e, 0)));
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, waitv_args(e, SHMBUS_WAITV_MAX + 1)));
}

/* WAITV: an entry fd that is not open is EBADF. */
TEST_F(ww, waitv_fd_not_open_ebadf)
{
	struct shmbus_waitv_entry e[2] = { entry(SHMBUS_WAITV_SELF, 0) };
	int closed = dup(self->fd);

	ASSERT_LE(0, closed);
	close(closed);
	e[1] = entry(closed, 0);
	EXPECT_EQ(-EBADF, waitv_now(self->fd, waitv_args(e, 2)));
	e[1] = entry(-2, 0);
	EXPECT_EQ(-EBADF, waitv_now(self->fd, waitv_args(e, 2)));
}

/* WAITV: an entry fd that is not a shmbus handle is EBADF. */
TEST_F(ww, waitv_not_shmbus_fd_ebadf)
{
	const char *const paths[] = { "/proc/self/exe", "/dev/null" };
	struct shmbus_waitv_entry e[2] = { entry(SHMBUS_WAITV_SELF, 0) };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		ASSERT_LE(0, fd);
		e[1] = entry(fd, 0);
		EXPECT_EQ(-EBADF, waitv_now(self->fd, waitv_args(e, 2))) TH_LOG("%s", paths[i]);
		close(fd);
	}
}

/* WAITV: an entry on an unbound shmbus handle is ENXIO. */
TEST_F(ww, waitv_unbound_entry_enxio)
{
	struct shmbus_waitv_entry e[2] = { entry(SHMBUS_WAITV_SELF, 0) };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	e[1] = entry(fd, 0);
	EXPECT_EQ(-ENXIO, waitv_now(self->fd, waitv_args(e, 2)));
	close(fd);
}

/* WAITV called on an unbound handle is ENXIO, like every command. */
TEST_F(ww, waitv_on_unbound_handle_enxio)
{
	struct shmbus_waitv_entry e = entry(self->fd, 0);
	struct shmbus_waitv v = waitv_args(&e, 1);
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	v.flags = SHMBUS_WAIT_RELATIVE;
	EXPECT_EQ(-ENXIO, waitv_now(fd, v));
	close(fd);
}

/* WAITV: SHMBUS_WAITV_SELF names the handle the ioctl is called on. */
TEST_F(ww, waitv_self_entry)
{
	struct shmbus_waitv_entry e = entry(SHMBUS_WAITV_SELF, 8);
	struct waitv_waiter v = { .fd = self->fd, .e = &e, .nr = 1 };
	pid_t pid = spawn(waitv_main, &v);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_asleep(pid, self->fd));
	EXPECT_EQ(1, shmbus_wake(self->fd, 8, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* WAITV: a bad offset in one entry is EINVAL. */
TEST_F(ww, waitv_bad_offset_einval)
{
	const __u64 offsets[] = { 2, self->size, self->size - 2, 1ULL << 63 };
	struct shmbus_waitv_entry e[3];
	unsigned int i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		e[0] = entry(SHMBUS_WAITV_SELF, 0);
		e[1] = entry(SHMBUS_WAITV_SELF, offsets[i]);
		e[2] = entry(SHMBUS_WAITV_SELF, 8);
		EXPECT_EQ(-EINVAL, waitv_now(self->fd, waitv_args(e, 3)))
			TH_LOG("offset %#llx", (unsigned long long)offsets[i]);
	}
}

/* WAITV: an entry with bitset 0 is EINVAL. */
TEST_F(ww, waitv_bitset_zero_einval)
{
	struct shmbus_waitv_entry e[2] = {
		entry(SHMBUS_WAITV_SELF, 0), entry(SHMBUS_WAITV_SELF, 4),
	};

	e[1].bitset = 0;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, waitv_args(e, 2)));
}

/* WAITV: a non-zero pad, reserved word or unknown flag is EINVAL. */
TEST_F(ww, waitv_nonzero_pad_reserved_flags_einval)
{
	struct shmbus_waitv_entry e = entry(SHMBUS_WAITV_SELF, 0);
	struct shmbus_waitv v = waitv_args(&e, 1);

	e.pad = 1;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
	e = entry(SHMBUS_WAITV_SELF, 0);
	v.flags = 0x4;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
	v = waitv_args(&e, 1);
	v.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
}

/*
 * WAITV: bad flags or a bad timeout are refused before the entries are
 * read, so an unreadable entries pointer does not hide them.
 */
TEST_F(ww, waitv_flags_checked_before_entries_copied)
{
	struct shmbus_waitv v = waitv_args(NULL, 1);

	EXPECT_EQ(-EFAULT, waitv_now(self->fd, v));
	v.flags = 0x4;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
	v.flags = SHMBUS_WAIT_CLOCK_MASK;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
	v.flags = SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
	v.flags = 0;
	v.timeout_ns = 1;
	EXPECT_EQ(-EINVAL, waitv_now(self->fd, v));
}

/* WAITV: a signal ends it with EINTR. */
TEST_F(ww, waitv_signal_eintr)
{
	struct shmbus_waitv_entry e[2] = {
		entry(SHMBUS_WAITV_SELF, 0), entry(SHMBUS_WAITV_SELF, 4),
	};
	struct waitv_waiter v = { .fd = self->fd, .catch_usr1 = 1, .e = e, .nr = 2 };
	pid_t pid = spawn(waitv_main, &v);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_asleep(pid, self->fd));
	sleep_ms(50);
	kill(pid, SIGUSR1);
	EXPECT_EQ(WAITV_ERR(EINTR), reap(pid, SETTLE_MS, NULL));
}

/* WAITV: when several entries are woken, it returns the lowest index. */
TEST_F(ww, waitv_several_woken_lowest_index)
{
	struct shmbus_waitv_entry e[8];
	struct waitv_waiter v = { .fd = self->fd, .e = e, .nr = 8 };
	unsigned int i;
	pid_t pid;

	for (i = 0; i < 8; i++)
		e[i] = entry(SHMBUS_WAITV_SELF, 4 * i);
	e[2].offset = 64;
	e[5].offset = 64;
	pid = spawn(waitv_main, &v);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, await_asleep(pid, self->fd));
	EXPECT_LE(1, shmbus_wake(self->fd, 64, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	EXPECT_EQ(2, reap(pid, SETTLE_MS, NULL));
}

static struct shmbus_requeue requeue_args(__u64 from, __u64 to, __u32 nr_wake,
					  __u32 nr_requeue)
{
	struct shmbus_requeue q = {
		.from = from, .to = to, .nr_wake = nr_wake, .nr_requeue = nr_requeue,
	};

	return q;
}

/* CMP_REQUEUE: a word at from that differs from expected is EAGAIN. */
TEST_F(ww, requeue_mismatch_eagain)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.expected = 1;
	EXPECT_EQ(-EAGAIN, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: from == to is EINVAL. */
TEST_F(ww, requeue_same_word_einval)
{
	struct shmbus_requeue q = requeue_args(8, 8, 1, 1);

	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: woken or requeued non-zero on entry is EINVAL. */
TEST_F(ww, requeue_nonzero_outputs_einval)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.woken = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
	q = requeue_args(0, 64, 1, 1);
	q.requeued = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: non-zero flags or reserved words are EINVAL. */
TEST_F(ww, requeue_nonzero_flags_reserved_einval)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.flags = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
	q = requeue_args(0, 64, 1, 1);
	q.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/*
 * CMP_REQUEUE wakes nr_wake waiters and moves nr_requeue others: they are
 * then woken by a WAKE on to, the rest by a WAKE on from.
 */
TEST_F(ww, requeue_wakes_and_moves)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 2);
	pid_t pids[5];

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 5));
	EXPECT_EQ(3, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(1, q.woken);
	EXPECT_EQ(2, q.requeued);
	EXPECT_EQ(4, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	EXPECT_EQ(2, shmbus_wake(self->fd, 64, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	EXPECT_EQ(5, reap_all(pids, 5));
}

/* CMP_REQUEUE wakes the oldest waiters of from first. */
TEST_F(ww, requeue_wakes_oldest_first)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 0);
	pid_t pids[3], who = 0;

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 3));
	EXPECT_EQ(1, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(0, reap(-1, SETTLE_MS, &who));
	EXPECT_EQ(pids[0], who);
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
}

/* CMP_REQUEUE wakes waiters whatever their bitsets. */
TEST_F(ww, requeue_wakes_whatever_bitset)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 0);
	pid_t pid = start_waiter(self->fd, 0, 0x8, 1);

	ASSERT_LT(0, pid);
	EXPECT_EQ(1, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* CMP_REQUEUE: a from or to offset unaligned or outside the region is EINVAL. */
TEST_F(ww, requeue_bad_offset_einval)
{
	const __u64 offsets[] = { 2, self->size, self->size - 2, 1ULL << 63 };
	unsigned int i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct shmbus_requeue from = requeue_args(offsets[i], 0, 1, 1);
		struct shmbus_requeue to = requeue_args(0, offsets[i], 1, 1);

		EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &from))
			TH_LOG("from %#llx", (unsigned long long)offsets[i]);
		EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &to))
			TH_LOG("to %#llx", (unsigned long long)offsets[i]);
	}
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
	ASSERT_EQ(0, shmbus_unlink_name(self->name));
	self->name[0] = '\0';
	sleep_ms(100);
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
	EXPECT_TRUE(info.flags & SHMBUS_INFO_UNLINKED);
	EXPECT_EQ(1, info.waiters);
	EXPECT_TRUE(child_running(pid));
	EXPECT_EQ(1, shmbus_wake(fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

static int trace_write(const char *file, const char *text)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, text, strlen(text)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static const char *const trace_events[] = {
	"shmbus_wait_start", "shmbus_wait_end", "shmbus_wake",
};

static int trace_enable(const char *on)
{
	char file[128];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "events/shmbus/%s/enable", trace_events[i]);
		ret = trace_write(file, on) ?: ret;
	}
	return ret;
}

#define TRACE_WORD	12
#define TRACE_VALUE	0x2a
#define TRACE_BITSET	0x5

/* Read a file that may come in several chunks, NUL-terminated: 0 or -errno. */
static int read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (done < len - 1 && (n = read(fd, buf + done, len - 1 - done)) > 0)
		done += n;
	close(fd);
	buf[done] = '\0';
	return 0;
}

/* The tracepoints report a wait and a wake with the region id and offset. */
TEST_F(ww, tracepoints_report_wait_and_wake)
{
	struct shmbus_wait w = wait_args(TRACE_WORD, TRACE_VALUE);
	static char trace[1 << 20];
	char want[3][160], tracing_on[8];
	unsigned int i;
	pid_t pid;

	if (!path_exists(TRACEFS "/events/shmbus"))
		SKIP(return, "no " TRACEFS "/events/shmbus");
	if (geteuid() != 0)
		SKIP(return, "needs root to enable tracepoints");
	ASSERT_EQ(0, read_text(TRACEFS "/tracing_on", tracing_on, sizeof(tracing_on)));
	ASSERT_EQ(0, map_self(self));
	self->map[TRACE_WORD / 4] = TRACE_VALUE;
	ASSERT_EQ(0, trace_write("trace", ""));
	ASSERT_EQ(0, trace_write("tracing_on", "1"));
	ASSERT_EQ(0, trace_enable("1"));
	w.bitset = TRACE_BITSET;
	pid = start_wait(self->fd, w, 1);
	EXPECT_LT(0, pid);
	EXPECT_EQ(1, shmbus_wake(self->fd, TRACE_WORD, 1, TRACE_BITSET));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
	EXPECT_EQ(0, trace_enable("0"));
	EXPECT_EQ(0, trace_write("tracing_on", tracing_on));
	ASSERT_EQ(0, read_all(TRACEFS "/trace", trace, sizeof(trace)));

	snprintf(want[0], sizeof(want[0]),
		 "shmbus_wait_start: region=%llu offset=%d expected=%#x bitset=%#x\n",
		 (unsigned long long)self->id, TRACE_WORD, TRACE_VALUE, TRACE_BITSET);
	snprintf(want[1], sizeof(want[1]),
		 "shmbus_wait_end: region=%llu offset=%d result=1\n",
		 (unsigned long long)self->id, TRACE_WORD);
	snprintf(want[2], sizeof(want[2]),
		 "shmbus_wake: region=%llu offset=%d count=1 bitset=%#x woken=1\n",
		 (unsigned long long)self->id, TRACE_WORD, TRACE_BITSET);
	for (i = 0; i < 3; i++) {
		EXPECT_NE(NULL, strstr(trace, want[i])) TH_LOG("no \"%.*s\" in:\n%.4000s",
			(int)strlen(want[i]) - 1, want[i], trace);
	}
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

/* WAITV: a relative timeout ends with ETIMEDOUT, never early. */
TEST_F(clk, waitv_relative_timeout_not_early)
{
	struct shmbus_waitv_entry e[2] = {
		entry(SHMBUS_WAITV_SELF, 0), entry(SHMBUS_WAITV_SELF, 4),
	};
	unsigned long long start;
	struct shmbus_waitv v = waitv_args(e, 2);

	v.flags = SHMBUS_WAIT_RELATIVE | variant->flag;
	v.timeout_ns = TIMEOUT_NS;
	start = now_ns(variant->clock);
	EXPECT_EQ(-ETIMEDOUT, shmbus_waitv(self->fd, &v));
	EXPECT_LE(start + TIMEOUT_NS, now_ns(variant->clock));
}

/* WAITV: an absolute timeout ends with ETIMEDOUT, never early. */
TEST_F(clk, waitv_absolute_timeout_not_early)
{
	struct shmbus_waitv_entry e = entry(SHMBUS_WAITV_SELF, 0);
	unsigned long long deadline = now_ns(variant->clock) + TIMEOUT_NS;
	struct shmbus_waitv v = waitv_args(&e, 1);

	v.flags = SHMBUS_WAIT_ABSOLUTE | variant->flag;
	v.timeout_ns = deadline;
	EXPECT_EQ(-ETIMEDOUT, shmbus_waitv(self->fd, &v));
	EXPECT_LE(deadline, now_ns(variant->clock));
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
