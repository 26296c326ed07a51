// SPDX-License-Identifier: GPL-2.0
/*
 * Owner-died recovery of robust locks, as docs/waitwake.md states it: when
 * the handle that holds a registered lock word is released (its process
 * killed, or its last holder closing it), the word becomes exactly
 * OWNER_DIED, keeping WAITERS; one sleeper wakes and, like the next locker,
 * gets EOWNERDEAD and then the lock works as before.  Words not registered
 * or held by a live owner are left alone, and a watch on the word is
 * notified.  The uncontended lock and unlock make no syscall.
 *
 * The tests lock with rlock_lock()/rlock_unlock() of util.h, a robust lock
 * written to the documented protocol, whose every WAIT has a watchdog
 * timeout so that a lost wake-up fails a test instead of hanging the suite.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define OWNER_DIED	SHMBUS_LOCK_OWNER_DIED
#define WAITERS		SHMBUS_LOCK_WAITERS
#define ANY		SHMBUS_BITSET_ANY
#define REGION_PAGES	2
#define LOCK_OFF	0	/* registered by the fixture */
#define OTHER_OFF	4	/* not registered */
#define WATCHDOG_NS	RLOCK_WATCHDOG_NS	/* rlock_lock()'s */
#define WATCHDOG_MS	(WATCHDOG_NS / NSEC_PER_MSEC)
#define MAX_CHILDREN	8
#define TRACEFS		"/sys/kernel/tracing"
#define TRACE_WAIT_START TRACEFS "/events/shmbus/shmbus_wait_start/enable"
#define TRACE_WAKE	TRACEFS "/events/shmbus/shmbus_wake/enable"
#define UNCONTENDED_ROUNDS 1000

FIXTURE(robust) {
	char name[SHMBUS_NAME_MAX];
	size_t size;
	int fd;			/* creator handle of the named region */
	void *map;		/* the whole region */
	pid_t pids[MAX_CHILDREN];
	bool tracing;
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
	if (self->tracing) {
		write_text(TRACE_WAIT_START, "0");
		write_text(TRACE_WAKE, "0");
	}
	region_cleanup(self);
}

static void forget(FIXTURE_DATA(robust) *self, pid_t pid)
{
	shmbus_forget_child(self->pids, MAX_CHILDREN, pid);
}

/* SIGKILL a child and reap it (its handles are released when this returns). */
static int kill_child(FIXTURE_DATA(robust) *self, pid_t pid)
{
	return shmbus_kill_child(self->pids, MAX_CHILDREN, pid);
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

/* A handle for a child process: REOPEN of @reopen_fd, or bound by @name. */
static int child_handle(const char *name, int reopen_fd)
{
	if (reopen_fd >= 0)
		return shmbus_reopen(reopen_fd);
	return shmbus_open_bound(name, 0, 0, 0);
}

/*
 * Fork a process that takes the lock at @offset of @map through its own
 * handle (REOPEN of @reopen_fd if not -1, else bound by name) and waits to
 * be killed.  Returns its pid, with its owner id in *@id (0 if it failed).
 */
static pid_t spawn_holder(FIXTURE_DATA(robust) *self, int reopen_fd, void *map,
			  __u64 offset, __u32 *id)
{
	__u32 got = 0;
	struct rlock l;
	int p[2], fd;
	pid_t pid;

	*id = 0;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork_tracked(self);
	if (pid == 0) {
		fd = child_handle(self->name, reopen_fd);
		if (fd >= 0 && !rlock_init(&l, fd, map, offset) && !rlock_lock(&l))
			got = l.id;
		if (write(p[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &got, sizeof(got)) == sizeof(got))
		*id = got;
	close(p[0]);
	return pid;
}

/* What a locker process saw: rlock_lock()'s result and the word then. */
struct lock_report {
	int ret;
	__u32 word;
};

/*
 * Fork a process with its own handle that locks LOCK_OFF (sleeping if it is
 * held), reports through *@report_fd, repairs and unlocks, and exits.
 */
static pid_t spawn_locker(FIXTURE_DATA(robust) *self, int *report_fd)
{
	struct lock_report rep = { .ret = -ENXIO };
	struct rlock l;
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork_tracked(self);
	if (pid == 0) {
		fd = child_handle(self->name, -1);
		if (fd >= 0 && !rlock_init(&l, fd, self->map, LOCK_OFF)) {
			rep.ret = rlock_lock(&l);
			rep.word = word_load(l.word);
			if (rep.ret == EOWNERDEAD)
				rlock_consistent(&l);
			if (rep.ret >= 0)
				rlock_unlock(&l);
		}
		_exit(write(p[1], &rep, sizeof(rep)) == sizeof(rep) ? 0 : 1);
	}
	close(p[1]);
	*report_fd = p[0];
	return pid;
}

/* Kill a process holding LOCK_OFF: 0, or -1 if it could not be set up. */
static int kill_holder(FIXTURE_DATA(robust) *self, __u32 *id)
{
	pid_t pid = spawn_holder(self, -1, self->map, LOCK_OFF, id);

	if (pid <= 0 || !*id)
		return -1;
	return kill_child(self, pid);
}

/* The holder is killed: its registered word becomes exactly OWNER_DIED. */
TEST_F(robust, holder_killed_word_owner_died)
{
	__u32 id;

	ASSERT_EQ(0, kill_holder(self, &id));
	EXPECT_EQ(OWNER_DIED, word_load(map_word(self->map, LOCK_OFF)));
}

/* WAITERS on a dead holder's word is kept: OWNER_DIED | WAITERS. */
TEST_F(robust, holder_killed_keeps_waiters)
{
	__u32 *word = map_word(self->map, LOCK_OFF);
	__u32 id, old;
	pid_t pid;

	pid = spawn_holder(self, -1, self->map, LOCK_OFF, &id);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, id);
	old = id;
	ASSERT_TRUE(word_cas(word, &old, id | WAITERS)) TH_LOG("word %#x", old);
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED | WAITERS, word_load(word));
}

/* A waiter sleeping in the lock in another process wakes with EOWNERDEAD. */
TEST_F(robust, sleeping_waiter_gets_eownerdead)
{
	struct lock_report rep = { .ret = 0 };
	pid_t holder, locker;
	int report_fd;
	__u32 id;

	holder = spawn_holder(self, -1, self->map, LOCK_OFF, &id);
	ASSERT_LT(0, holder);
	ASSERT_NE(0, id);
	locker = spawn_locker(self, &report_fd);
	ASSERT_LT(0, locker);
	ASSERT_EQ(0, await_waiters(self->fd, 1, WATCHDOG_MS)) TH_LOG("the locker never slept");
	ASSERT_EQ(0, kill_child(self, holder));
	ASSERT_EQ(sizeof(rep), read(report_fd, &rep, sizeof(rep)));
	close(report_fd);
	EXPECT_EQ(EOWNERDEAD, rep.ret) TH_LOG("lock returned %d, word %#x", rep.ret, rep.word);
	EXPECT_EQ(0, reap_child(self, locker));
}

/* With nobody sleeping, the next locker gets EOWNERDEAD and id | OWNER_DIED. */
TEST_F(robust, later_locker_gets_eownerdead)
{
	struct rlock l;
	__u32 dead;

	ASSERT_EQ(0, rlock_init(&l, self->fd, self->map, LOCK_OFF));
	ASSERT_EQ(0, kill_holder(self, &dead));
	EXPECT_EQ(EOWNERDEAD, rlock_lock(&l));
	EXPECT_EQ(l.id | OWNER_DIED, word_load(l.word));
}

/* Once the recovering locker clears OWNER_DIED the lock works as before. */
TEST_F(robust, lock_normal_after_repair)
{
	struct rlock l;
	__u32 dead;

	ASSERT_EQ(0, rlock_init(&l, self->fd, self->map, LOCK_OFF));
	ASSERT_EQ(0, kill_holder(self, &dead));
	ASSERT_EQ(EOWNERDEAD, rlock_lock(&l));
	rlock_consistent(&l);
	ASSERT_EQ(0, rlock_unlock(&l));
	ASSERT_EQ(0, word_load(l.word));
	EXPECT_EQ(0, rlock_lock(&l));
	EXPECT_EQ(l.id, word_load(l.word));
	EXPECT_EQ(0, rlock_unlock(&l));
	EXPECT_EQ(0, word_load(l.word));
}

/* A word not registered (or unregistered) is left alone when its owner dies. */
TEST_F(robust, unregistered_word_untouched)
{
	__u32 id;
	pid_t pid;

	ASSERT_EQ(0, shmbus_lock_register(self->fd, 8));
	ASSERT_EQ(0, shmbus_lock_unregister(self->fd, 8));
	pid = spawn_holder(self, -1, self->map, LOCK_OFF, &id);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, id);
	/* The same owner holds OTHER_OFF (never registered) and 8. */
	*map_word(self->map, OTHER_OFF) = id;
	*map_word(self->map, 8) = id;
	ASSERT_EQ(0, kill_child(self, pid));
	ASSERT_EQ(OWNER_DIED, word_load(map_word(self->map, LOCK_OFF)));
	EXPECT_EQ(id, word_load(map_word(self->map, OTHER_OFF)));
	EXPECT_EQ(id, word_load(map_word(self->map, 8)));
}

/* A word owned by a live handle is left alone when another handle dies. */
TEST_F(robust, live_owner_word_untouched)
{
	struct rlock mine;
	__u32 dead;

	ASSERT_EQ(0, shmbus_lock_register(self->fd, OTHER_OFF));
	ASSERT_EQ(0, rlock_init(&mine, self->fd, self->map, OTHER_OFF));
	ASSERT_EQ(0, rlock_lock(&mine));
	ASSERT_EQ(0, kill_holder(self, &dead));
	ASSERT_EQ(OWNER_DIED, word_load(map_word(self->map, LOCK_OFF)));
	EXPECT_EQ(mine.id, word_load(mine.word));
}

/* Closing the owning handle (no death) recovers its words too. */
TEST_F(robust, close_recovers)
{
	int fd2 = shmbus_open_bound(self->name, 0, 0, 0);
	struct rlock l;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rlock_init(&l, fd2, self->map, LOCK_OFF));
	ASSERT_EQ(0, rlock_lock(&l));
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(OWNER_DIED, word_load(l.word));
}

/* Recovery waits for the handle's last holder (a forked child sharing it). */
TEST_F(robust, shared_handle_recovered_by_last_holder)
{
	int fd2 = shmbus_open_bound(self->name, 0, 0, 0);
	struct rlock l;
	pid_t pid;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, rlock_init(&l, fd2, self->map, LOCK_OFF));
	ASSERT_EQ(0, rlock_lock(&l));
	pid = fork_tracked(self);
	ASSERT_LE(0, pid);
	if (pid == 0)
		for (;;)
			pause();
	ASSERT_EQ(0, close(fd2));
	EXPECT_EQ(l.id, word_load(l.word));
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED, word_load(l.word));
}

/* A lock taken through a REOPEN'd handle is recovered when its process dies. */
TEST_F(robust, reopened_handle_death_recovers)
{
	int fd = shmbus_anon_region(self->size, NULL);
	__u32 id, *word;
	void *map;
	pid_t pid;

	ASSERT_LE(0, fd);
	map = mmap(NULL, self->size, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	word = map_word(map, LOCK_OFF);
	ASSERT_EQ(0, shmbus_lock_register(fd, LOCK_OFF));
	pid = spawn_holder(self, fd, map, LOCK_OFF, &id);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, id);
	ASSERT_NE(shmbus_owner_id(fd), (int)id);
	ASSERT_EQ(id, word_load(word));
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED, word_load(word));
	munmap(map, self->size);
	close(fd);
}

/* Count the events of region @id in the trace: *@waits, *@wakes. */
static int count_trace_events(__u64 id, int *waits, int *wakes)
{
	char line[512], key[64];
	FILE *f = fopen(TRACEFS "/trace", "re");

	if (!f)
		return -errno;
	snprintf(key, sizeof(key), "region=%llu offset=", (unsigned long long)id);
	*waits = *wakes = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, key))
			continue;
		if (strstr(line, "shmbus_wait_start:"))
			(*waits)++;
		if (strstr(line, "shmbus_wake:"))
			(*wakes)++;
	}
	fclose(f);
	return 0;
}

/* No syscall on the uncontended path: no wait_start/wake event in 1000 pairs. */
TEST_F(robust, uncontended_no_syscall)
{
	struct shmbus_info info;
	int i, waits = 0, wakes = 0;
	struct rlock l;
	char on[8];

	if (!path_exists(TRACE_WAKE) || !path_exists(TRACE_WAIT_START))
		SKIP(return, "no shmbus events in " TRACEFS);
	if (read_text(TRACEFS "/tracing_on", on, sizeof(on)) || on[0] != '1')
		SKIP(return, "tracing is off");
	ASSERT_EQ(0, region_info(self->fd, &info));
	ASSERT_EQ(0, rlock_init(&l, self->fd, self->map, LOCK_OFF));
	ASSERT_EQ(0, write_text(TRACEFS "/trace", ""));
	self->tracing = true;
	ASSERT_EQ(0, write_text(TRACE_WAIT_START, "1"));
	ASSERT_EQ(0, write_text(TRACE_WAKE, "1"));
	/* The control: this one WAKE must show up, and nothing else. */
	ASSERT_EQ(0, shmbus_wake(self->fd, LOCK_OFF, 1, ANY));
	for (i = 0; i < UNCONTENDED_ROUNDS; i++) {
		ASSERT_EQ(0, rlock_lock(&l));
		ASSERT_EQ(0, rlock_unlock(&l));
	}
	ASSERT_EQ(0, write_text(TRACE_WAKE, "0"));
	ASSERT_EQ(0, write_text(TRACE_WAIT_START, "0"));
	ASSERT_EQ(0, count_trace_events(info.id, &waits, &wakes));
	ASSERT_LE(1, wakes) TH_LOG("the control WAKE was not traced");
	EXPECT_EQ(0, waits);
	EXPECT_EQ(1, wakes);
}

/* Owner-died recovery of a watched word notifies the watch. */
TEST_F(robust, owner_died_notifies_watch)
{
	__u64 n = 0;
	__u32 dead;

	ASSERT_EQ(0, shmbus_watch(self->fd, LOCK_OFF, ANY));
	ASSERT_EQ(0, kill_holder(self, &dead));
	ASSERT_EQ(OWNER_DIED, word_load(map_word(self->map, LOCK_OFF)));
	EXPECT_EQ(POLLIN, poll_now(self->fd) & POLLIN);
	EXPECT_EQ(8, read_events(self->fd, &n, 8));
	EXPECT_EQ(1, n);
}

TEST_HARNESS_MAIN
