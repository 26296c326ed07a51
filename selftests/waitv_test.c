// SPDX-License-Identifier: GPL-2.0
/*
 * SHMBUS_IOC_WAITV as docs/waitwake.md states it: a wait on 1..128 entries
 * at once, across regions (SHMBUS_WAITV_SELF names the handle called on),
 * that returns the index of the entry woken (the lowest if several were);
 * if any word differs it is EAGAIN with nothing left queued.  A bad nr,
 * offset, bitset, flag, pad or timeout is EINVAL (flags before the entries
 * are read), an entry fd not open or not a shmbus handle EBADF, an unbound
 * handle ENXIO.  Timeouts (never early, on each clock) and signals (EINTR)
 * are WAIT's.  SHMBUS_IOC_INFO.waiters counts one task per region.
 *
 * Waiters run in child processes and report through their exit status; the
 * test process sees them asleep through INFO.waiters and their state in
 * /proc.  Calls that must not sleep are cut short by SIGALRM after GUARD_S
 * seconds (EINTR) instead of hanging.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define GUARD_S		5	/* a call that must return at once */
#define SETTLE_MS	WAITER_SETTLE_MS	/* a child gets asleep or exits within this */
#define TIMEOUT_NS	(100 * NSEC_PER_MSEC)
#define WORDS_PER_REGION	(SHMBUS_WAITV_MAX / 2)
#define WAITV_ERR(e)	(128 + (e))	/* exit status of a failed WAITV child */

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
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + SETTLE_MS * NSEC_PER_MSEC;

	while (shmbus_nr_waiters(fd) < 1 || task_state(pid) != 'S') {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	return 0;
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
};

FIXTURE_SETUP(ww)
{
	self->fd2 = -1;
	catch_signal(SIGALRM, 0);
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(ww)
{
	kill_children();
	if (self->fd2 >= 0)
		close(self->fd2);
	close(self->fd);
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

TEST_HARNESS_MAIN
