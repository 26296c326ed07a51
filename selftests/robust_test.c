// SPDX-License-Identifier: GPL-2.0
/*
 * Robust locks, poll/epoll watches and REOPEN, as docs/waitwake.md states
 * them ("poll/epoll" and "Owner-died recovery").
 *
 * The tests lock with rlock_lock()/rlock_unlock(), a robust lock written to
 * the documented protocol: CAS 0 -> owner id; when contended set
 * SHMBUS_LOCK_WAITERS and WAIT on the value seen; unlock swaps to 0 and
 * WAKEs one if WAITERS was set; a locker that finds OWNER_DIED with no owner
 * CASes to id | OWNER_DIED and reports EOWNERDEAD.  Every WAIT has a
 * watchdog timeout (WATCHDOG_NS) so that a lost wake-up fails a test
 * instead of hanging the suite.
 *
 * chaos_kill9 logs its random seed; ROBUST_SEED=N in the environment
 * repeats its choices.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
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
#define CHAOS_OFF	64	/* struct chaos */
#define WATCHDOG_NS	(10ULL * 1000000000ULL)
#define WATCHDOG_MS	(WATCHDOG_NS / NSEC_PER_MSEC)
#define MAX_CHILDREN	8
#define MAX_WORDS	SHMBUS_SYSMOD "/parameters/max_robust_words"
#define TRACEFS		"/sys/kernel/tracing"
#define TRACE_WAIT_START TRACEFS "/events/shmbus/shmbus_wait_start/enable"
#define TRACE_WAKE	TRACEFS "/events/shmbus/shmbus_wake/enable"
#define UNCONTENDED_ROUNDS 1000
#define CHAOS_WORKERS	3
#define CHAOS_ROUNDS	1000
#define CHAOS_MAX_DELAY_US 2000

/* A robust lock word as one process sees it. */
struct rlock {
	int fd;		/* the handle that owns it and WAITs/WAKEs */
	__u32 *word;	/* the word in a mapping of the region */
	__u64 offset;	/* the word's offset in the region */
	__u32 id;	/* the handle's owner id */
};

static __u32 *word_at(void *map, __u64 offset)
{
	return (__u32 *)((char *)map + offset);
}

static __u32 load(__u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static bool cas(__u32 *p, __u32 *old, __u32 new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* poll() with timeout 0: the revents, or -errno. */
static int poll_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, 0);

	return n < 0 ? -errno : pfd.revents;
}

/* read() of @len bytes into *@events: read's result or -errno. */
static int read_events(int fd, __u64 *events, size_t len)
{
	ssize_t n = read(fd, events, len);

	return n < 0 ? -errno : (int)n;
}

/* Set up @l for the word at @offset of @map, owned by handle @fd. */
static int rlock_init(struct rlock *l, int fd, void *map, __u64 offset)
{
	int id = shmbus_owner_id(fd);

	if (id < 0)
		return id;
	l->fd = fd;
	l->word = word_at(map, offset);
	l->offset = offset;
	l->id = id;
	return 0;
}

/*
 * Take the lock: 0, EOWNERDEAD (the owner died: repair, then
 * rlock_consistent()), or -errno of a failed WAIT (-ETIMEDOUT: the
 * watchdog).  A locker that has waited takes the lock with WAITERS set, as
 * others may still sleep behind it; WAITERS found with OWNER_DIED is kept
 * for the same reason.
 */
static int rlock_lock(const struct rlock *l)
{
	__u32 want = l->id, old = 0;
	int ret;

	for (;;) {
		if (!(old & SHMBUS_LOCK_OWNER_MASK)) {
			if (cas(l->word, &old, want | (old & (OWNER_DIED | WAITERS))))
				return old & OWNER_DIED ? EOWNERDEAD : 0;
			continue;
		}
		if (!(old & WAITERS)) {
			if (!cas(l->word, &old, old | WAITERS))
				continue;
			old |= WAITERS;
		}
		ret = shmbus_wait_word(l->fd, l->offset, old, WATCHDOG_NS);
		if (ret && ret != -EAGAIN)
			return ret;
		want = l->id | WAITERS;
		old = load(l->word);
	}
}

/* After EOWNERDEAD and the repair: clear OWNER_DIED. */
static void rlock_consistent(const struct rlock *l)
{
	__atomic_fetch_and(l->word, ~OWNER_DIED, __ATOMIC_SEQ_CST);
}

/* First half of unlock: the word's old value. */
static __u32 rlock_release(const struct rlock *l)
{
	return __atomic_exchange_n(l->word, 0, __ATOMIC_SEQ_CST);
}

/* Second half of unlock: wake one if @old had WAITERS.  0 or -errno. */
static int rlock_wake(const struct rlock *l, __u32 old)
{
	int ret = 0;

	if (old & WAITERS)
		ret = shmbus_wake(l->fd, l->offset, 1, ANY);
	return ret < 0 ? ret : 0;
}

static int rlock_unlock(const struct rlock *l)
{
	return rlock_wake(l, rlock_release(l));
}

FIXTURE(robust) {
	char name[SHMBUS_NAME_MAX];
	size_t size;
	int fd;			/* creator handle of the named region */
	void *map;		/* the whole region */
	pid_t pids[MAX_CHILDREN];
	long long saved_max_words;
	bool tracing;
	long long regions0, pages0;
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
		shmbus_unlink_name(self->name);
	self->name[0] = '\0';
}

/* A named region, mapped, with LOCK_OFF registered: 0 or -errno. */
static int region_setup(FIXTURE_DATA(robust) *self)
{
	int ret;

	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->map = MAP_FAILED;
	self->saved_max_words = -1;
	self->regions0 = shmbus_stat("regions");
	self->pages0 = shmbus_stat("pages");
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
	char buf[32];

	shmbus_kill_tracked(self->pids, MAX_CHILDREN);
	if (self->saved_max_words >= 0) {
		snprintf(buf, sizeof(buf), "%lld", self->saved_max_words);
		write_text(MAX_WORDS, buf);
	}
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
			rep.word = load(l.word);
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

/* OWNER_ID is in 1..SHMBUS_LOCK_OWNER_MASK. */
TEST_F(robust, owner_id_in_range)
{
	int id = shmbus_owner_id(self->fd);

	EXPECT_LT(0, id) TH_LOG("OWNER_ID: %s", strerror(-id));
	EXPECT_GE(SHMBUS_LOCK_OWNER_MASK, (__u32)id);
}

/* OWNER_ID is assigned once: the same on every call on one handle. */
TEST_F(robust, owner_id_stable)
{
	int id = shmbus_owner_id(self->fd);

	ASSERT_LT(0, id);
	EXPECT_EQ(id, shmbus_owner_id(self->fd));
	EXPECT_EQ(id, shmbus_owner_id(self->fd));
}

/* Two handles bound to one region by one process have different ids. */
TEST_F(robust, owner_id_per_handle)
{
	int fd2 = shmbus_open_bound(self->name, 0, 0, 0);
	int id1 = shmbus_owner_id(self->fd), id2;

	ASSERT_LE(0, fd2);
	id2 = shmbus_owner_id(fd2);
	ASSERT_LT(0, id1);
	ASSERT_LT(0, id2);
	EXPECT_NE(id1, id2);
	close(fd2);
}

/* A REOPEN'd handle has an owner id of its own. */
TEST_F(robust, owner_id_reopen_distinct)
{
	int fd2 = shmbus_reopen(self->fd);
	int id1 = shmbus_owner_id(self->fd), id2;

	ASSERT_LE(0, fd2) TH_LOG("REOPEN: %s", strerror(-fd2));
	id2 = shmbus_owner_id(fd2);
	ASSERT_LT(0, id1);
	ASSERT_LT(0, id2);
	EXPECT_NE(id1, id2);
	close(fd2);
}

/*
 * Owner ids are drawn per region: other regions' owners, whoever and wherever
 * they are, neither take ids from this region nor show in the ids it hands
 * out (the next handle of the region gets the next id).
 */
TEST(owner_ids_per_region)
{
	int a1, a2, other[5], id1, id2, i;

	a1 = shmbus_anon_region(4096, NULL);
	ASSERT_LE(0, a1);
	id1 = shmbus_owner_id(a1);
	ASSERT_LT(0, id1);
	for (i = 0; i < 5; i++) {
		other[i] = shmbus_anon_region(4096, NULL);
		ASSERT_LE(0, other[i]);
		ASSERT_LT(0, shmbus_owner_id(other[i]));
	}
	a2 = shmbus_reopen(a1);
	ASSERT_LE(0, a2) TH_LOG("REOPEN: %s", strerror(-a2));
	id2 = shmbus_owner_id(a2);
	EXPECT_EQ(id1 + 1, id2) TH_LOG("other regions' owners moved this region's ids");
	for (i = 0; i < 5; i++)
		close(other[i]);
	close(a2);
	close(a1);
}

/* A handle is one owner: a forked child sharing it gets the same id. */
TEST_F(robust, owner_id_shared_with_forked_child)
{
	int p[2], id = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = fork_tracked(self);
	ASSERT_LE(0, pid);
	/* The child asks first: a per-process id would differ in the parent. */
	if (pid == 0) {
		id = shmbus_owner_id(self->fd);
		_exit(write(p[1], &id, sizeof(id)) == sizeof(id) ? 0 : 1);
	}
	close(p[1]);
	ASSERT_EQ(sizeof(id), read(p[0], &id, sizeof(id)));
	close(p[0]);
	ASSERT_EQ(0, reap_child(self, pid));
	ASSERT_LT(0, id);
	EXPECT_EQ(id, shmbus_owner_id(self->fd));
}

/* OWNER_ID on an unbound handle is ENXIO. */
TEST_F(robust, owner_id_unbound_enxio)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, shmbus_owner_id(fd));
	close(fd);
}

/* Registering a word twice is EEXIST. */
TEST_F(robust, register_twice_eexist)
{
	ASSERT_EQ(0, shmbus_lock_register(self->fd, OTHER_OFF));
	EXPECT_EQ(-EEXIST, shmbus_lock_register(self->fd, OTHER_OFF));
}

/* Unregistering a word not registered (never, or no longer) is ENOENT. */
TEST_F(robust, unregister_unknown_enoent)
{
	EXPECT_EQ(-ENOENT, shmbus_lock_unregister(self->fd, OTHER_OFF));
	ASSERT_EQ(0, shmbus_lock_unregister(self->fd, LOCK_OFF));
	EXPECT_EQ(-ENOENT, shmbus_lock_unregister(self->fd, LOCK_OFF));
}

/* A word not 4-byte aligned or not inside the region is EINVAL. */
TEST_F(robust, register_bad_offset_einval)
{
	const __u64 bad[] = {
		2, 4097, self->size, self->size + 4, self->size - 2,
		~0ULL & ~3ULL, 1ULL << 32,
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, shmbus_lock_register(self->fd, bad[i]))
			TH_LOG("REGISTER offset %#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(-EINVAL, shmbus_lock_unregister(self->fd, bad[i]))
			TH_LOG("UNREGISTER offset %#llx", (unsigned long long)bad[i]);
	}
}

/* Non-zero flags, pad or reserved words are EINVAL. */
TEST_F(robust, register_nonzero_fields_einval)
{
	struct shmbus_lock_word lw[4];
	unsigned int i;

	memset(lw, 0, sizeof(lw));
	lw[0].flags = 1;
	lw[1].pad = 1;
	lw[2].reserved[0] = 1;
	lw[3].reserved[1] = 1;
	for (i = 0; i < 4; i++) {
		lw[i].offset = OTHER_OFF;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, SHMBUS_IOC_LOCK_REGISTER, &lw[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("REGISTER case %u", i);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, SHMBUS_IOC_LOCK_UNREGISTER, &lw[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("UNREGISTER case %u", i);
	}
}

/* A handle registers at most max_robust_words words: one more is ENOSPC. */
TEST_F(robust, register_past_max_enospc)
{
	long long saved = read_number(MAX_WORDS);

	if (geteuid() != 0)
		SKIP(return, "needs root to lower max_robust_words");
	ASSERT_LE(0, saved);
	self->saved_max_words = saved;
	/* LOCK_OFF is registered already: two more fit. */
	ASSERT_EQ(0, write_text(MAX_WORDS, "3"));
	ASSERT_EQ(0, shmbus_lock_register(self->fd, 4));
	ASSERT_EQ(0, shmbus_lock_register(self->fd, 8));
	EXPECT_EQ(-ENOSPC, shmbus_lock_register(self->fd, 12));
}

/* LOCK_REGISTER and LOCK_UNREGISTER on an unbound handle are ENXIO. */
TEST_F(robust, register_unbound_enxio)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, shmbus_lock_register(fd, LOCK_OFF));
	EXPECT_EQ(-ENXIO, shmbus_lock_unregister(fd, LOCK_OFF));
	close(fd);
}

/* The holder is killed: its registered word becomes exactly OWNER_DIED. */
TEST_F(robust, holder_killed_word_owner_died)
{
	__u32 id;

	ASSERT_EQ(0, kill_holder(self, &id));
	EXPECT_EQ(OWNER_DIED, load(word_at(self->map, LOCK_OFF)));
}

/* WAITERS on a dead holder's word is kept: OWNER_DIED | WAITERS. */
TEST_F(robust, holder_killed_keeps_waiters)
{
	__u32 *word = word_at(self->map, LOCK_OFF);
	__u32 id, old;
	pid_t pid;

	pid = spawn_holder(self, -1, self->map, LOCK_OFF, &id);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, id);
	old = id;
	ASSERT_TRUE(cas(word, &old, id | WAITERS)) TH_LOG("word %#x", old);
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED | WAITERS, load(word));
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
	EXPECT_EQ(l.id | OWNER_DIED, load(l.word));
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
	ASSERT_EQ(0, load(l.word));
	EXPECT_EQ(0, rlock_lock(&l));
	EXPECT_EQ(l.id, load(l.word));
	EXPECT_EQ(0, rlock_unlock(&l));
	EXPECT_EQ(0, load(l.word));
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
	*word_at(self->map, OTHER_OFF) = id;
	*word_at(self->map, 8) = id;
	ASSERT_EQ(0, kill_child(self, pid));
	ASSERT_EQ(OWNER_DIED, load(word_at(self->map, LOCK_OFF)));
	EXPECT_EQ(id, load(word_at(self->map, OTHER_OFF)));
	EXPECT_EQ(id, load(word_at(self->map, 8)));
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
	ASSERT_EQ(OWNER_DIED, load(word_at(self->map, LOCK_OFF)));
	EXPECT_EQ(mine.id, load(mine.word));
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
	EXPECT_EQ(OWNER_DIED, load(l.word));
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
	EXPECT_EQ(l.id, load(l.word));
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED, load(l.word));
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
	word = word_at(map, LOCK_OFF);
	ASSERT_EQ(0, shmbus_lock_register(fd, LOCK_OFF));
	pid = spawn_holder(self, fd, map, LOCK_OFF, &id);
	ASSERT_LT(0, pid);
	ASSERT_NE(0, id);
	ASSERT_NE(shmbus_owner_id(fd), (int)id);
	ASSERT_EQ(id, load(word));
	ASSERT_EQ(0, kill_child(self, pid));
	EXPECT_EQ(OWNER_DIED, load(word));
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
	ASSERT_EQ(0, shmbus_region_info(self->fd, &info));
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

/*
 * Each chaos round SIGKILLs a worker at a random moment while it holds the
 * lock, waits in it or wakes (unlocks), then the survivors and a fresh
 * worker must all take the lock again.  Everything a death can leave behind
 * is the kernel's job: a held lock (OWNER_DIED), and a wake-up the dead
 * worker took with it (it was woken and died before relocking, or died
 * between the unlock's swap and its WAKE).
 */

/* Phases of a chaos worker, set around each step of its loop. */
enum { PH_IDLE, PH_LOCKING, PH_HOLDING, PH_UNLOCKING, NR_PHASES };

/* Exit codes of a chaos worker. */
enum { WK_OK, WK_SETUP, WK_LOCK, WK_BROKEN, WK_WAKE };

struct chaos_slot {
	__u32 phase;
	__u32 id;
	__u64 acquired;
};

/* Shared by the chaos workers, at CHAOS_OFF in the region. */
struct chaos {
	__u64 counter;		/* under the lock: counter++, then shadow++ */
	__u64 shadow;		/* equals counter whenever the lock is free */
	__u64 owner_dead;	/* EOWNERDEAD seen by workers */
	__u32 stop;
	__u32 pad;
	struct chaos_slot slot[CHAOS_WORKERS];
};

static void set_phase(struct chaos_slot *s, __u32 phase)
{
	__atomic_store_n(&s->phase, phase, __ATOMIC_SEQ_CST);
}

/*
 * A chaos worker: its own handle bound by name; lock, check and bump the
 * data, unlock, until told to stop.  The yields widen the windows between
 * the two data stores and between the unlock's swap and its WAKE.
 */
static void __attribute__((noreturn)) chaos_worker(const char *name, void *map,
						   struct chaos *c, int i)
{
	struct chaos_slot *s = &c->slot[i];
	struct rlock l;
	int fd, ret;
	__u32 old;

	fd = shmbus_open_bound(name, 0, 0, 0);
	if (fd < 0 || rlock_init(&l, fd, map, LOCK_OFF))
		_exit(WK_SETUP);
	__atomic_store_n(&s->id, l.id, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		set_phase(s, PH_LOCKING);
		ret = rlock_lock(&l);
		if (ret < 0)
			_exit(WK_LOCK);
		set_phase(s, PH_HOLDING);
		if (ret == EOWNERDEAD) {
			c->shadow = c->counter;
			__atomic_fetch_add(&c->owner_dead, 1, __ATOMIC_SEQ_CST);
			rlock_consistent(&l);
		} else if (c->counter != c->shadow) {
			_exit(WK_BROKEN);
		}
		c->counter++;
		sched_yield();
		c->shadow++;
		__atomic_fetch_add(&s->acquired, 1, __ATOMIC_SEQ_CST);
		set_phase(s, PH_UNLOCKING);
		old = rlock_release(&l);
		if (old & WAITERS)
			sched_yield();
		if (rlock_wake(&l, old))
			_exit(WK_WAKE);
		set_phase(s, PH_IDLE);
	}
	_exit(WK_OK);
}

static pid_t chaos_spawn(FIXTURE_DATA(robust) *self, struct chaos *c, int i)
{
	pid_t pid;

	memset(&c->slot[i], 0, sizeof(c->slot[i]));
	pid = fork_tracked(self);
	if (pid == 0)
		chaos_worker(self->name, self->map, c, i);
	return pid;
}

static __u32 xorshift(__u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Spin until worker @i is in @phase: 0, or -1 at the watchdog. */
static int chaos_wait_phase(struct chaos *c, int i, __u32 phase)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;

	while (__atomic_load_n(&c->slot[i].phase, __ATOMIC_SEQ_CST) != phase) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		sched_yield();
	}
	return 0;
}

/*
 * Wait until every worker took the lock again since @snap: 0, -1 at the
 * watchdog, or the exit status + 1 of a worker that exited.
 */
static int chaos_progress(struct chaos *c, const pid_t *pids, const __u64 *snap)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;
	int i, done, status;

	for (;;) {
		done = 0;
		for (i = 0; i < CHAOS_WORKERS; i++) {
			if (waitpid(pids[i], &status, WNOHANG) == pids[i])
				return WIFEXITED(status) ? WEXITSTATUS(status) + 1 : -1;
			done += __atomic_load_n(&c->slot[i].acquired, __ATOMIC_SEQ_CST) > snap[i];
		}
		if (done == CHAOS_WORKERS)
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		usleep(100);
	}
}

/* Robust under kill -9: progress, consistent data, recovery, no leak. */
TEST_F_TIMEOUT(robust, chaos_kill9, 200)
{
	static const char *const names[NR_PHASES] = {
		"idle", "waiting", "holding", "waking",
	};
	static const __u32 targets[] = { PH_HOLDING, PH_LOCKING, PH_UNLOCKING };
	struct chaos *c = (struct chaos *)word_at(self->map, CHAOS_OFF);
	unsigned int tally[NR_PHASES] = { 0 };
	const char *env = getenv("ROBUST_SEED");
	__u64 snap[CHAOS_WORKERS];
	pid_t pids[CHAOS_WORKERS];
	struct shmbus_info info;
	__u32 seed, rnd, phase, vid, word;
	struct rlock l;
	int round, i, v, ret;

	seed = env ? strtoul(env, NULL, 0) : (__u32)(now_ns(CLOCK_MONOTONIC) ^ getpid());
	seed = seed ? seed : 1;
	rnd = seed;
	TH_LOG("seed %u (ROBUST_SEED=%u repeats the choices)", seed, seed);
	for (i = 0; i < CHAOS_WORKERS; i++) {
		pids[i] = chaos_spawn(self, c, i);
		ASSERT_LT(0, pids[i]);
	}
	for (round = 0; round < CHAOS_ROUNDS; round++) {
		v = xorshift(&rnd) % CHAOS_WORKERS;
		usleep(xorshift(&rnd) % (CHAOS_MAX_DELAY_US + 1));
		ASSERT_EQ(0, chaos_wait_phase(c, v, targets[round % 3]))
			TH_LOG("round %d: worker %d stuck in %s, word %#x", round, v,
			       names[c->slot[v].phase], load(word_at(self->map, LOCK_OFF)));
		ASSERT_EQ(0, kill_child(self, pids[v]));
		phase = c->slot[v].phase;
		vid = c->slot[v].id;
		tally[phase]++;
		word = load(word_at(self->map, LOCK_OFF));
		ASSERT_NE(vid, word & SHMBUS_LOCK_OWNER_MASK)
			TH_LOG("round %d: the dead worker's lock was not recovered: %#x",
			       round, word);
		pids[v] = chaos_spawn(self, c, v);
		ASSERT_LT(0, pids[v]);
		for (i = 0; i < CHAOS_WORKERS; i++)
			snap[i] = __atomic_load_n(&c->slot[i].acquired, __ATOMIC_SEQ_CST);
		ret = chaos_progress(c, pids, snap);
		ASSERT_EQ(0, ret)
			TH_LOG("round %d (killed %s): %s, word %#x", round, names[phase],
			       ret < 0 ? "no progress" : "a worker exited",
			       load(word_at(self->map, LOCK_OFF)));
	}
	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < CHAOS_WORKERS; i++)
		ASSERT_EQ(WK_OK, reap_child(self, pids[i])) TH_LOG("worker %d", i);
	TH_LOG("killed while holding %u, waiting %u, waking %u, idle %u; EOWNERDEAD %llu",
	       tally[PH_HOLDING], tally[PH_LOCKING], tally[PH_UNLOCKING], tally[PH_IDLE],
	       (unsigned long long)c->owner_dead);
	EXPECT_TRUE(tally[PH_HOLDING] && tally[PH_LOCKING] && tally[PH_UNLOCKING])
		TH_LOG("the kills missed a phase");
	/* Each death of a holder reaches exactly one later locker. */
	EXPECT_LE(tally[PH_HOLDING], c->owner_dead);
	EXPECT_GE(CHAOS_ROUNDS, c->owner_dead);

	/* A fresh locker takes it plainly, and the data is consistent. */
	ASSERT_EQ(0, rlock_init(&l, self->fd, self->map, LOCK_OFF));
	EXPECT_EQ(0, rlock_lock(&l));
	EXPECT_EQ(c->counter, c->shadow);
	EXPECT_EQ(0, rlock_unlock(&l));
	ASSERT_EQ(0, shmbus_region_info(self->fd, &info));
	EXPECT_EQ(0, info.waiters);
	EXPECT_EQ(1, info.handles);
	region_cleanup(self);
	EXPECT_EQ(self->regions0, shmbus_stat("regions"));
	EXPECT_EQ(self->pages0, shmbus_stat("pages"));
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

/* Owner-died recovery of a watched word notifies the watch. */
TEST_F(robust, owner_died_notifies_watch)
{
	__u64 n = 0;
	__u32 dead;

	ASSERT_EQ(0, shmbus_watch(self->fd, LOCK_OFF, ANY));
	ASSERT_EQ(0, kill_holder(self, &dead));
	ASSERT_EQ(OWNER_DIED, load(word_at(self->map, LOCK_OFF)));
	EXPECT_EQ(POLLIN, poll_now(self->fd) & POLLIN);
	EXPECT_EQ(8, read_events(self->fd, &n, 8));
	EXPECT_EQ(1, n);
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

/* REOPEN returns a new close-on-exec fd. */
TEST_F(robust, reopen_new_cloexec_fd)
{
	int fd = shmbus_reopen(self->fd);

	ASSERT_LE(0, fd) TH_LOG("REOPEN: %s", strerror(-fd));
	EXPECT_NE(self->fd, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

/* The reopened handle is bound to the same region (INFO id). */
TEST_F(robust, reopen_same_region)
{
	struct shmbus_info orig, reopened;
	int fd = shmbus_reopen(self->fd);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_region_info(self->fd, &orig));
	ASSERT_EQ(0, shmbus_region_info(fd, &reopened));
	EXPECT_EQ(orig.id, reopened.id);
	close(fd);
}

/* The reopened handle counts as one more handle of the region. */
TEST_F(robust, reopen_counts_as_handle)
{
	struct shmbus_info before, after;
	int fd;

	ASSERT_EQ(0, shmbus_region_info(self->fd, &before));
	fd = shmbus_reopen(self->fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_region_info(self->fd, &after));
	EXPECT_EQ(before.handles + 1, after.handles);
	close(fd);
}

/* A read-only handle reopens read-only: mmap PROT_WRITE is EACCES. */
TEST_F(robust, reopen_rdonly_stays_rdonly)
{
	int ro = shmbus_open_bound(self->name, 0, SHMBUS_BIND_RDONLY, 0);
	struct shmbus_info info;
	int fd;

	ASSERT_LE(0, ro);
	fd = shmbus_reopen(ro);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
	EXPECT_TRUE(info.flags & SHMBUS_INFO_RDONLY);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->size, RW, MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);
	close(fd);
	close(ro);
}

/* REOPEN of an unbound handle is ENXIO. */
TEST_F(robust, reopen_unbound_enxio)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_REOPEN));
	EXPECT_EQ(ENXIO, errno);
	close(fd);
}

/* After the original is closed, the reopened handle still maps the region. */
TEST_F(robust, reopen_outlives_original)
{
	__u32 *word = word_at(self->map, OTHER_OFF);
	void *map;
	int fd;

	*word = 0x5eed;
	fd = shmbus_reopen(self->fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0x5eed, *word_at(map, OTHER_OFF));
	munmap(map, self->size);
	close(fd);
}

TEST_HARNESS_MAIN
