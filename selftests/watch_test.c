// SPDX-License-Identifier: GPL-2.0
/*
 * poll/epoll watches, as docs/waitwake.md states them (SHMBUS_IOC_WATCH /
 * SHMBUS_IOC_UNWATCH): every WAKE on a watched word whose bitset intersects
 * the watch's counts one event, whatever its count, and is not counted in
 * WAKE's return.  poll() and epoll report EPOLLIN while the count is not
 * zero; read() of 8 bytes returns it and resets it (EAGAIN with O_NONBLOCK
 * when 0, blocks otherwise until a WAKE, EINVAL under 8 bytes).  A handle
 * watches at most 64 words, each once (ENOSPC, EEXIST); UNWATCH of a word
 * not watched is ENOENT and takes bitset 0; an unbound handle is ENXIO.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define ANY		SHMBUS_BITSET_ANY
#define REGION_PAGES	2
#define LOCK_OFF	0	/* registered by the fixture */
#define OTHER_OFF	4	/* not registered */
#define WATCHDOG_NS	(10ULL * 1000000000ULL)
#define WATCHDOG_MS	(WATCHDOG_NS / NSEC_PER_MSEC)
#define MAX_CHILDREN	8

FIXTURE(robust) {
	char name[SHMBUS_NAME_MAX];
	size_t size;
	int fd;			/* creator handle of the named region */
	void *map;		/* the whole region */
	pid_t pids[MAX_CHILDREN];
};

/* Undo the setup: unmap, close, unlink.  Safe to call twice. */
static void region_cleanup(FIXTURE_DATA(robust) *self)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	self->map = MAP_FAILED;
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (self->name[0])
		shmbus_unlink(self->name);
	self->name[0] = '\0';
}

/* A named region, mapped, with LOCK_OFF registered: 0 or -errno. */
static int region_setup(FIXTURE_DATA(robust) *self)
{
	int ret;

	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->map = MAP_FAILED;
	shmbus_unique_name(self->name, "robust");
	self->fd = shmbus_open_bound(self->name, self->size, CREATE_EXCL, 0600);
	if (self->fd < 0) {
		self->name[0] = '\0';
		return self->fd;
	}
	self->map = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	ret = self->map == MAP_FAILED ? -errno : shmbus_lock_register(self->fd, LOCK_OFF);
	if (ret)
		region_cleanup(self);
	return ret;
}

FIXTURE_SETUP(robust)
{
	int ret = region_setup(self);

	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(robust)
{
	shmbus_kill_tracked(self->pids, MAX_CHILDREN);
	region_cleanup(self);
}

static void forget(FIXTURE_DATA(robust) *self, pid_t pid)
{
	shmbus_forget_child(self->pids, MAX_CHILDREN, pid);
}

/*
 * reap() a child that should exit by itself: its exit status,
 * REAP_SIGNALED(sig), or -ETIMEDOUT (killed) if it still ran at the watchdog.
 */
static int reap_child(FIXTURE_DATA(robust) *self, pid_t pid)
{
	int ret = reap(pid, WATCHDOG_NS / NSEC_PER_MSEC, NULL);

	forget(self, pid);
	return ret;
}

/* fork(), the child remembered so that teardown kills it whatever happens. */
static pid_t fork_tracked(FIXTURE_DATA(robust) *self)
{
	return shmbus_fork_tracked(self->pids, MAX_CHILDREN);
}

/* A new watch with no wake yet: poll() with timeout 0 is not ready. */
TEST_F(robust, watch_poll_not_ready)
{
	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	EXPECT_EQ(0, poll_now(self->fd));
}

/* A WAKE on the watched word, even with count 0, makes poll() report POLLIN. */
TEST_F(robust, wake_makes_poll_ready)
{
	static const __u32 counts[] = { 0, 1 };
	unsigned int i;
	__u64 n;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, counts[i], ANY));
		EXPECT_EQ(POLLIN, poll_now(self->fd) & POLLIN) TH_LOG("count %u", counts[i]);
		ASSERT_EQ(8, read_events(self->fd, &n, 8));
	}
}

/* read() of 8 bytes returns the number of wakes and resets it. */
TEST_F(robust, read_returns_count_and_resets)
{
	__u64 n = 0;
	int i;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, ANY));
	EXPECT_EQ(8, read_events(self->fd, &n, 8));
	EXPECT_EQ(3, n);
	EXPECT_EQ(0, poll_now(self->fd));
}

/* read() with O_NONBLOCK and no wake is EAGAIN. */
TEST_F(robust, read_nonblock_eagain)
{
	__u64 n;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, fcntl(self->fd, F_GETFL) | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, read_events(self->fd, &n, 8));
}

/* read() into a buffer under 8 bytes is EINVAL (with a wake pending). */
TEST_F(robust, read_short_buffer_einval)
{
	__u64 n;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, ANY));
	EXPECT_EQ(-EINVAL, read_events(self->fd, &n, 4));
}

/* epoll over two handles watching two words reports only the woken one. */
TEST_F(robust, epoll_reports_woken_handle)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	int fd2 = shmbus_open_bound(self->name, 0, 0, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, fd2);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, shmbus_watch(self->fd, LOCK_OFF, ANY));
	ASSERT_EQ(0, shmbus_watch(fd2, OTHER_OFF, ANY));
	ev.data.u32 = 1;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ev.data.u32 = 2;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd2, &ev));
	ASSERT_EQ(0, epoll_wait(ep, out, 2, 0));
	ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, ANY));
	EXPECT_EQ(1, epoll_wait(ep, out, 2, 0));
	EXPECT_EQ(2, out[0].data.u32);
	close(ep);
	close(fd2);
}

/* A watch counts only wakes whose bitset intersects its own. */
TEST_F(robust, watch_bitset_filter)
{
	__u64 n = 0;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, 0x1));
	ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, 0x2));
	EXPECT_EQ(0, poll_now(self->fd));
	ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, 0x3));
	EXPECT_EQ(8, read_events(self->fd, &n, 8));
	EXPECT_EQ(1, n);
}

/* Watching the same word twice is EEXIST. */
TEST_F(robust, watch_twice_eexist)
{
	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	EXPECT_EQ(-EEXIST, shmbus_watch(self->fd, OTHER_OFF, 0x1));
}

/* A handle watches at most 64 words: the 65th is ENOSPC. */
TEST_F(robust, watch_65th_enospc)
{
	int i;

	for (i = 0; i < SHMBUS_WATCH_MAX; i++)
		ASSERT_EQ(0, shmbus_watch(self->fd, 4 * i, ANY)) TH_LOG("watch %d", i);
	EXPECT_EQ(-ENOSPC, shmbus_watch(self->fd, 4 * SHMBUS_WATCH_MAX, ANY));
}

/* UNWATCH of a word not watched is ENOENT. */
TEST_F(robust, unwatch_unknown_enoent)
{
	ASSERT_EQ(0, shmbus_watch(self->fd, LOCK_OFF, ANY));
	EXPECT_EQ(-ENOENT, shmbus_unwatch(self->fd, OTHER_OFF));
}

/* UNWATCH takes bitset 0: anything else is EINVAL. */
TEST_F(robust, unwatch_nonzero_bitset_einval)
{
	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	EXPECT_EQ(-EINVAL, shmbus_ioctl(self->fd, SHMBUS_IOC_UNWATCH,
					&(struct shmbus_watch){ .offset = OTHER_OFF, .bitset = ANY }));
}

/* A watch is not counted in WAKE's return: one sleeper + one watch -> 1. */
TEST_F(robust, watch_not_counted_in_wake)
{
	pid_t pid;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	pid = fork_tracked(self);
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(shmbus_wait_word(self->fd, OTHER_OFF, 0, WATCHDOG_NS) ? 1 : 0);
	ASSERT_EQ(0, await_waiters(self->fd, 1, WATCHDOG_MS));
	EXPECT_EQ(1, shmbus_wake(self->fd, OTHER_OFF, 0xffffffffU, ANY));
	EXPECT_EQ(0, reap_child(self, pid));
}

/* WATCH, UNWATCH and read() on an unbound handle are ENXIO. */
TEST_F(robust, unbound_watch_read_enxio)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	__u64 n;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, shmbus_watch(fd, LOCK_OFF, ANY));
	EXPECT_EQ(-ENXIO, shmbus_unwatch(fd, LOCK_OFF));
	EXPECT_EQ(-ENXIO, read_events(fd, &n, 8));
	close(fd);
}

/* Whether @pid sleeps in read(2), from /proc/PID/syscall. */
static bool sleeps_in_read(pid_t pid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	return !read_text(path, buf, sizeof(buf)) &&
	       strtol(buf, NULL, 10) == SYS_read && buf[0] != 'r';
}

/* A read() blocked with no wake returns when another process WAKEs. */
TEST_F(robust, blocking_read_woken_by_other_process)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;
	__u64 n = 0;
	pid_t pid;

	ASSERT_EQ(0, shmbus_watch(self->fd, OTHER_OFF, ANY));
	pid = fork_tracked(self);
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(read_events(self->fd, &n, 8) == 8 && n == 1 ? 0 : 1);
	while (!sleeps_in_read(pid) && now_ns(CLOCK_MONOTONIC) < end)
		usleep(1000);
	ASSERT_TRUE(sleeps_in_read(pid)) TH_LOG("the reader never blocked");
	ASSERT_EQ(0, shmbus_wake(self->fd, OTHER_OFF, 1, ANY));
	EXPECT_EQ(0, reap_child(self, pid));
}

TEST_HARNESS_MAIN
