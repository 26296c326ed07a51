// SPDX-License-Identifier: GPL-2.0
/*
 * SHMBUS_IOC_WAKE as docs/waitwake.md states it: it wakes up to count
 * waiters of the word whose bitset intersects its own, oldest first, and
 * returns how many it woke (0 with count 0 or nobody waiting; any count at
 * or above the number of waiters wakes them all).  The word is the same
 * word whatever address a process mapped the region at, or none.  Bad
 * offsets, bitset 0 and non-zero flags, pad or reserved words are EINVAL.
 * The tracepoints report a wait and its wake with the region id and offset.
 *
 * Waiters run in child processes and report through their exit status; the
 * test process sees them asleep through SHMBUS_IOC_INFO.waiters.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define SETTLE_MS	WAITER_SETTLE_MS	/* a child gets asleep or exits within this */
#define RW		(PROT_READ | PROT_WRITE)
#define TRACEFS		"/sys/kernel/tracing"

static struct shmbus_wake wake_args(__u64 offset, __u32 count, __u32 bitset)
{
	struct shmbus_wake k = { .offset = offset, .count = count, .bitset = bitset };

	return k;
}

FIXTURE(ww) {
	int fd;		/* bound to an anonymous region */
	__u64 size;
	__u64 id;
	__u32 *map;
};

FIXTURE_SETUP(ww)
{
	struct shmbus_info info;

	self->map = MAP_FAILED;
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
	ASSERT_EQ(0, region_info(self->fd, &info));
	self->id = info.id;
}

FIXTURE_TEARDOWN(ww)
{
	kill_children();
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	close(self->fd);
}

static int map_self(FIXTURE_DATA(ww) *self)
{
	self->map = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	return self->map == MAP_FAILED ? -errno : 0;
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

TEST_HARNESS_MAIN
