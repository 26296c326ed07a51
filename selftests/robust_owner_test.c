// SPDX-License-Identifier: GPL-2.0
/*
 * Owner ids, REOPEN and lock-word registration, as docs/waitwake.md states
 * them ("Owner-died recovery"): OWNER_ID is in 1..SHMBUS_LOCK_OWNER_MASK,
 * assigned once per handle from its region's allocator (a forked child
 * sharing the handle is the same owner; another handle, REOPEN'd or not, is
 * another); REOPEN returns a new close-on-exec handle on the same region
 * with the same access; a handle registers a word once, unregisters only
 * what it registered, and holds at most max_robust_words registrations.
 * Bad offsets and non-zero fields are EINVAL, an unbound handle ENXIO.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define REGION_PAGES	2
#define LOCK_OFF	0	/* registered by the fixture */
#define OTHER_OFF	4	/* not registered */
#define WATCHDOG_NS	(10ULL * 1000000000ULL)
#define MAX_CHILDREN	8
#define MAX_WORDS	SHMBUS_SYSMOD "/parameters/max_robust_words"

FIXTURE(robust) {
	char name[SHMBUS_NAME_MAX];
	size_t size;
	int fd;			/* creator handle of the named region */
	void *map;		/* the whole region */
	pid_t pids[MAX_CHILDREN];
	long long saved_max_words;
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
	self->saved_max_words = -1;
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
	ASSERT_EQ(0, region_info(self->fd, &orig));
	ASSERT_EQ(0, region_info(fd, &reopened));
	EXPECT_EQ(orig.id, reopened.id);
	close(fd);
}

/* The reopened handle counts as one more handle of the region. */
TEST_F(robust, reopen_counts_as_handle)
{
	struct shmbus_info before, after;
	int fd;

	ASSERT_EQ(0, region_info(self->fd, &before));
	fd = shmbus_reopen(self->fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(self->fd, &after));
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
	ASSERT_EQ(0, region_info(fd, &info));
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
	EXPECT_EQ(-ENXIO, shmbus_reopen(fd));
	close(fd);
}

/* After the original is closed, the reopened handle still maps the region. */
TEST_F(robust, reopen_outlives_original)
{
	__u32 *word = map_word(self->map, OTHER_OFF);
	void *map;
	int fd;

	*word = 0x5eed;
	fd = shmbus_reopen(self->fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	map = mmap(NULL, self->size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(0x5eed, *map_word(map, OTHER_OFF));
	munmap(map, self->size);
	close(fd);
}

TEST_HARNESS_MAIN
