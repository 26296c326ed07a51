// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection in the module's own paths: every call that allocates
 * fails cleanly at every one of its allocation points and leaves nothing
 * inconsistent behind.
 *
 * For each call (open of /dev/shmbus, BIND creating a named or an anonymous
 * region, WAITV, WATCH, LOCK_REGISTER, OWNER_ID and REOPEN) the test writes N
 * to /proc/thread-self/fail-nth, makes the call and reads the file back, for
 * N = 1, 2, ... until the call completes without consuming the injected
 * fault (the file still holds a non-zero count).  Each injected failure must
 * give ENOMEM or another errno that fits (ENOSPC for shmem's inode, EFAULT
 * for an injected user copy, EMFILE/ENFILE for a new file), and afterwards
 * INFO, /proc/shmbus/stats, the module's reference count and the process'
 * fd table must be as if the call had not happened.  faultinject_mm_test
 * does the same for the memory-management paths.
 *
 * Needs root, CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug lane); skips elsewhere.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "util.h"

#define MAX_NTH		5000	/* far more allocation points than any call has */
#define PAGES		3
#define NAME_TAG	"faultinject"

/* Injected failures that fit a call, besides ENOMEM. */
#define ERR(e)		(1ULL << (e))
#define FI_ALLOC	(ERR(ENOMEM) | ERR(EFAULT))
#define FI_BIND		(FI_ALLOC | ERR(ENOSPC))
#define FI_FILE		(FI_ALLOC | ERR(EMFILE) | ERR(ENFILE))

/*
 * Arm the @n-th injection point, evaluate @call (a system call: -1 and
 * errno on failure), disarm: the call's result or -errno.  self->fired
 * tells whether the fault was consumed.
 */
#define INJECT(n, call) ({						\
	long __ret;							\
	shmbus_fi_nth_arm(self->nth, n);				\
	__ret = (long)(call);						\
	if (__ret == -1)						\
		__ret = -errno;						\
	self->fired = shmbus_fi_nth_fired(self->nth);			\
	__ret;								\
})

/* The lowest free fd: a failed call must not have taken one. */
static int next_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

FIXTURE(fi) {
	int nth;			/* SHMBUS_FAIL_NTH, open */
	bool fired;
	bool saved_ok[SHMBUS_FI_NR_KNOBS];
	char saved[SHMBUS_FI_NR_KNOBS][32];
	long long regions, pages, bytes, refcnt;
	char name[SHMBUS_NAME_MAX];
	int fd;				/* a bound handle, for the tests that need one */
	char *map;
	size_t size;
};

FIXTURE_SETUP(fi)
{
	unsigned int i;
	char path[128];

	self->nth = -1;
	self->fd = -1;
	self->map = MAP_FAILED;
	self->size = PAGES * sysconf(_SC_PAGESIZE);
	shmbus_unique_name(self->name, NAME_TAG);
	if (shmbus_fi_unavailable())
		return;
	for (i = 0; i < SHMBUS_FI_NR_KNOBS; i++) {
		snprintf(path, sizeof(path), SHMBUS_FAULTS "%s", shmbus_fi_knobs[i].path);
		if (read_text(path, self->saved[i], sizeof(self->saved[i])))
			continue;
		self->saved_ok[i] = true;
		ASSERT_EQ(0, shmbus_fi_set_knob(shmbus_fi_knobs[i].path, shmbus_fi_knobs[i].value))
			TH_LOG("%s", path);
	}
	self->nth = open(SHMBUS_FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	self->regions = shmbus_stat("regions");
	self->pages = shmbus_stat("pages");
	self->bytes = shmbus_stat("bytes");
	self->refcnt = read_number(SHMBUS_SYSMOD "/refcnt");
	ASSERT_LE(0, self->regions);
}

FIXTURE_TEARDOWN(fi)
{
	unsigned int i;

	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	if (self->fd >= 0)
		close(self->fd);
	shmbus_unlink(self->name);
	if (self->nth >= 0)
		close(self->nth);
	/* Restore in reverse: the filters only once the probabilities are back. */
	for (i = SHMBUS_FI_NR_KNOBS; i-- > 0;)
		if (self->saved_ok[i])
			shmbus_fi_set_knob(shmbus_fi_knobs[i].path, self->saved[i]);
}

/* Everything the call could have left behind is gone again. */
static void expect_clean(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
			 unsigned int n)
{
	EXPECT_EQ(self->regions, shmbus_stat("regions")) TH_LOG("fault %u", n);
	EXPECT_EQ(self->pages, shmbus_stat("pages")) TH_LOG("fault %u", n);
	EXPECT_EQ(self->bytes, shmbus_stat("bytes")) TH_LOG("fault %u", n);
	EXPECT_EQ(self->refcnt, read_number(SHMBUS_SYSMOD "/refcnt")) TH_LOG("fault %u", n);
}

/* A named region of PAGES pages, bound to self->fd and mapped at self->map. */
static void setup_region(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self)
{
	self->fd = shmbus_open_bound(self->name, self->size,
				     SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	ASSERT_LE(0, self->fd) TH_LOG("bind: %s", strerror(-self->fd));
	self->map = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

#define SKIP_UNLESS_AVAILABLE() do {					\
	const char *why = shmbus_fi_unavailable();			\
									\
	if (why)							\
		SKIP(return, "%s", why);				\
} while (0)

/* Fault points 1, 2, ...: the body breaks out once none was injected. */
#define FOR_EACH_FAULT(n)	for (n = 1; n <= MAX_NTH; n++)

/* After the loop: it ended by running out of faults, not of tries. */
#define DONE(n, what) do {						\
	EXPECT_GE(MAX_NTH, n) TH_LOG("%s: still failing after %d faults", what, MAX_NTH); \
	TH_LOG("%s: %u injection points", what, n - 1);			\
} while (0)

/* open(2) of the device: no file, fd or module reference is left over. */
TEST_F(fi, open_device)
{
	unsigned int n;
	long fd;
	int next;

	SKIP_UNLESS_AVAILABLE();
	FOR_EACH_FAULT(n) {
		next = next_fd();
		fd = INJECT(n, open(SHMBUS_DEV, O_RDWR | O_CLOEXEC));
		EXPECT_TRUE(shmbus_fi_injected_ok(fd, FI_FILE)) TH_LOG("fault %u: %s", n, strerror(-fd));
		if (fd >= 0)
			close(fd);
		else
			EXPECT_EQ(next, next_fd());
		expect_clean(_metadata, self, n);
		if (!self->fired)
			break;
	}
	EXPECT_LE(0, fd);
	DONE(n, "open");
}

/*
 * BIND creating a region (named, or anonymous with @name ""): a failure
 * leaves the handle unbound and no region or name behind.
 */
static void bind_create(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
			const char *name)
{
	struct shmbus_info i;
	unsigned int n;
	long ret;
	int fd;

	FOR_EACH_FAULT(n) {
		struct shmbus_bind b = {
			.size = self->size, .mode = 0600,
			.flags = SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL,
		};

		strcpy(b.name, name);
		fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ret = INJECT(n, ioctl(fd, SHMBUS_IOC_BIND, &b));
		EXPECT_TRUE(shmbus_fi_injected_ok(ret, FI_BIND)) TH_LOG("fault %u: %s", n, strerror(-ret));
		if (ret) {
			EXPECT_EQ(-ENXIO, region_info(fd, &i)) TH_LOG("fault %u: bound after %s", n,
							    strerror(-ret));
			if (*name)
				EXPECT_EQ(-ENOENT, shmbus_unlink(name));
		} else {
			ASSERT_EQ(0, region_info(fd, &i));
			EXPECT_EQ(self->size, i.size);
			EXPECT_EQ(1, i.handles);
			EXPECT_EQ(0, i.pages);
			EXPECT_EQ(self->regions + 1, shmbus_stat("regions"));
			if (*name)
				EXPECT_EQ(0, shmbus_unlink(name));
		}
		close(fd);
		expect_clean(_metadata, self, n);
		if (!self->fired)
			break;
	}
	EXPECT_EQ(0, ret);
	DONE(n, *name ? "BIND named" : "BIND anonymous");
}

TEST_F(fi, bind_create_named)
{
	SKIP_UNLESS_AVAILABLE();
	bind_create(_metadata, self, self->name);
}

TEST_F(fi, bind_create_anonymous)
{
	SKIP_UNLESS_AVAILABLE();
	bind_create(_metadata, self, "");
}

/* WAITV of two words: a failure leaves no waiter queued or counted. */
TEST_F(fi, waitv)
{
	struct shmbus_waitv_entry e[2] = {
		{ .fd = SHMBUS_WAITV_SELF, .offset = 0, .bitset = SHMBUS_BITSET_ANY },
		{ .fd = SHMBUS_WAITV_SELF, .offset = 4, .bitset = SHMBUS_BITSET_ANY },
	};
	struct shmbus_waitv v = {
		.entries = (uintptr_t)e, .nr = 2,
		.flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = 1000000,
	};
	struct shmbus_wake k = { .offset = 0, .count = 0xffffffff, .bitset = SHMBUS_BITSET_ANY };
	struct shmbus_info i;
	unsigned int n;
	long ret;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	FOR_EACH_FAULT(n) {
		ret = INJECT(n, ioctl(self->fd, SHMBUS_IOC_WAITV, &v));
		if (ret != -ETIMEDOUT)
			EXPECT_TRUE(shmbus_fi_injected_ok(ret, FI_ALLOC))
				TH_LOG("fault %u: %ld %s", n, ret, strerror(-ret));
		ASSERT_EQ(0, region_info(self->fd, &i));
		EXPECT_EQ(0, i.waiters) TH_LOG("fault %u", n);
		EXPECT_EQ(0, ioctl(self->fd, SHMBUS_IOC_WAKE, &k)) TH_LOG("fault %u", n);
		if (!self->fired)
			break;
	}
	EXPECT_EQ(-ETIMEDOUT, ret);
	DONE(n, "WAITV");
}

/* Is a watch of the word at @offset in place?  WAKE it and read the event. */
static int watch_fires(int fd, __u64 offset)
{
	struct shmbus_wake k = { .offset = offset, .count = 1, .bitset = SHMBUS_BITSET_ANY };
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	__u64 events = 0;

	if (ioctl(fd, SHMBUS_IOC_WAKE, &k) || poll(&pfd, 1, 0) < 0)
		return -1;
	if (!(pfd.revents & POLLIN))
		return 0;
	return read(fd, &events, sizeof(events)) == sizeof(events) ? (int)events : -1;
}

/* WATCH: a failure leaves the word unwatched, and it can be watched then. */
TEST_F(fi, watch)
{
	struct shmbus_watch w = { .offset = 8, .bitset = SHMBUS_BITSET_ANY };
	struct shmbus_watch u = { .offset = 8 };
	unsigned int n;
	long ret;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	FOR_EACH_FAULT(n) {
		ret = INJECT(n, ioctl(self->fd, SHMBUS_IOC_WATCH, &w));
		EXPECT_TRUE(shmbus_fi_injected_ok(ret, FI_ALLOC)) TH_LOG("fault %u: %s", n, strerror(-ret));
		if (ret) {
			EXPECT_EQ(0, watch_fires(self->fd, w.offset)) TH_LOG("fault %u", n);
			EXPECT_EQ(-1, ioctl(self->fd, SHMBUS_IOC_UNWATCH, &u));
			EXPECT_EQ(ENOENT, errno);
			ASSERT_EQ(0, ioctl(self->fd, SHMBUS_IOC_WATCH, &w)) TH_LOG("fault %u", n);
		}
		EXPECT_EQ(1, watch_fires(self->fd, w.offset)) TH_LOG("fault %u", n);
		EXPECT_EQ(0, ioctl(self->fd, SHMBUS_IOC_UNWATCH, &u)) TH_LOG("fault %u", n);
		if (!self->fired)
			break;
	}
	EXPECT_EQ(0, ret);
	DONE(n, "WATCH");
}

/*
 * LOCK_REGISTER: a failure leaves the word unregistered.  Then a word
 * registered after all those failures is still recovered when its owner's
 * handle goes.
 */
TEST_F(fi, lock_register)
{
	struct shmbus_lock_word l = { .offset = 12 };
	volatile __u32 *word;
	unsigned int n;
	long ret;
	int owner_fd, id;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	FOR_EACH_FAULT(n) {
		ret = INJECT(n, ioctl(self->fd, SHMBUS_IOC_LOCK_REGISTER, &l));
		EXPECT_TRUE(shmbus_fi_injected_ok(ret, FI_ALLOC)) TH_LOG("fault %u: %s", n, strerror(-ret));
		if (ret) {
			EXPECT_EQ(-1, ioctl(self->fd, SHMBUS_IOC_LOCK_UNREGISTER, &l));
			EXPECT_EQ(ENOENT, errno) TH_LOG("fault %u", n);
		} else if (self->fired) {
			EXPECT_EQ(0, ioctl(self->fd, SHMBUS_IOC_LOCK_UNREGISTER, &l));
		}
		if (!self->fired)
			break;
	}
	ASSERT_EQ(0, ret);
	owner_fd = ioctl(self->fd, SHMBUS_IOC_REOPEN);
	ASSERT_LE(0, owner_fd);
	id = ioctl(owner_fd, SHMBUS_IOC_OWNER_ID);
	ASSERT_LT(0, id);
	word = (volatile __u32 *)(self->map + l.offset);
	*word = id;
	close(owner_fd);
	EXPECT_EQ(SHMBUS_LOCK_OWNER_DIED, *word);
	DONE(n, "LOCK_REGISTER");
}

/* OWNER_ID of a fresh handle: a failure assigns nothing; the next call does. */
TEST_F(fi, owner_id)
{
	unsigned int n;
	long ret;
	int fd;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	FOR_EACH_FAULT(n) {
		fd = ioctl(self->fd, SHMBUS_IOC_REOPEN);
		ASSERT_LE(0, fd);
		ret = INJECT(n, ioctl(fd, SHMBUS_IOC_OWNER_ID));
		if (ret < 0) {
			EXPECT_TRUE(shmbus_fi_injected_ok(ret, FI_ALLOC)) TH_LOG("fault %u: %s", n,
								    strerror(-ret));
			ret = ioctl(fd, SHMBUS_IOC_OWNER_ID);
		}
		EXPECT_LT(0, ret) TH_LOG("fault %u", n);
		EXPECT_GE(SHMBUS_LOCK_OWNER_MASK, ret);
		EXPECT_EQ(ret, ioctl(fd, SHMBUS_IOC_OWNER_ID));
		close(fd);
		if (!self->fired)
			break;
	}
	DONE(n, "OWNER_ID");
}

/* REOPEN: a failure adds no fd, handle or module reference. */
TEST_F(fi, reopen)
{
	struct shmbus_info i;
	unsigned int n;
	long fd;
	int next;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	self->refcnt = read_number(SHMBUS_SYSMOD "/refcnt");
	FOR_EACH_FAULT(n) {
		next = next_fd();
		fd = INJECT(n, ioctl(self->fd, SHMBUS_IOC_REOPEN));
		EXPECT_TRUE(shmbus_fi_injected_ok(fd, FI_FILE)) TH_LOG("fault %u: %s", n, strerror(-fd));
		ASSERT_EQ(0, region_info(self->fd, &i));
		if (fd >= 0) {
			EXPECT_EQ(2, i.handles);
			close(fd);
		} else {
			EXPECT_EQ(1, i.handles) TH_LOG("fault %u", n);
			EXPECT_EQ(next, next_fd()) TH_LOG("fault %u", n);
		}
		EXPECT_EQ(self->refcnt, read_number(SHMBUS_SYSMOD "/refcnt")) TH_LOG("fault %u", n);
		if (!self->fired)
			break;
	}
	EXPECT_LE(0, fd);
	DONE(n, "REOPEN");
}

TEST_HARNESS_MAIN
