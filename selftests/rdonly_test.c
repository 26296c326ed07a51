// SPDX-License-Identifier: GPL-2.0
/*
 * A read-only handle stays read-only on every path to the pages and to the
 * robust registry, and every mapping holds what it uses, as docs/regions.md
 * ("mmap", "Lifetime") and docs/waitwake.md ("Owner-died recovery") state:
 *
 *  - remap_file_pages() re-maps a VMA through the file the VMA points at:
 *    that never makes a read-only mapping writable or executable, and every
 *    VMA it makes holds the region and is counted;
 *  - /proc/PID/map_files of a mapping cannot be opened (these tests run as
 *    root, who could open a raw backing file);
 *  - a read-only mapping stays read-only across fork and mremap and cannot
 *    punch holes;
 *  - a mapping pins the module by itself;
 *  - OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE are EBADF on a
 *    read-only handle, the other word commands are not, and releasing one
 *    never writes into the region;
 *  - a lock registration belongs to the handle that made it: the word stays
 *    registered while a handle that registered it is open, nobody else can
 *    remove it, and max_robust_words is a per-handle quota.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define ANY		SHMBUS_BITSET_ANY
#define OWNER_DIED	SHMBUS_LOCK_OWNER_DIED
#define REGION_PAGES	2
#define LOCK_OFF	0	/* the lock word of the registry tests */
#define OTHER_OFF	4
#define NR_PROBES	8	/* owner ids a read-only handle could have got */
#define MAX_CHILDREN	4
#define WATCHDOG_NS	(10ULL * 1000000000ULL)
#define WATCHDOG_MS	(WATCHDOG_NS / NSEC_PER_MSEC)
#define MAX_WORDS	SHMBUS_SYSMOD "/parameters/max_robust_words"
#define REFCNT		SHMBUS_SYSMOD "/refcnt"
#define PATTERN_SEED	0x3c	/* the data of the writer's mapping */

/* A handle bound SHMBUS_BIND_RDONLY to @name on a fd opened @oflags: fd or -errno. */
static int open_rdonly(const char *name, int oflags)
{
	struct shmbus_bind b;

	shmbus_bind_init(&b, name, 0, SHMBUS_BIND_RDONLY, 0);
	return shmbus_bind_new(oflags, &b);
}

/* remap_file_pages() of [@addr, @addr + @len) to page @pgoff: 0 or -errno. */
static int remap(void *addr, size_t len, unsigned long pgoff)
{
	return syscall(SYS_remap_file_pages, addr, len, 0, pgoff, 0) ? -errno : 0;
}

/* The number of VMAs in /proc/self/maps inside [@addr, @addr + @len), or -1. */
static int vmas_in(const void *addr, size_t len)
{
	unsigned long start, end, lo = (unsigned long)addr, hi = lo + len;
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && start >= lo && end <= hi)
			n++;
	fclose(f);
	return n;
}

/*
 * remap_file_pages() on a read-only handle's PROT_READ mapping of a
 * two-page region: the first variant->pages pages of the mapping are
 * re-mapped to the region's page variant->pgoff.  Where the kernel refuses
 * the re-map (it needs VM_SHARED, which a fd opened O_RDONLY does not give)
 * the mapping is the one mmap() made, and must be just as read-only.
 */
FIXTURE(remap) {
	size_t size;		/* the region */
	size_t len;		/* the re-mapped part of view */
	int rw, ro;
	unsigned char *data;	/* the writer's mapping, holding the pattern */
	unsigned char *view;	/* the read-only handle's mapping */
};

FIXTURE_VARIANT(remap) {
	int oflags;		/* how the read-only handle's fd is opened */
	unsigned long pgoff;
	unsigned long pages;
};

/* SHMBUS_BIND_RDONLY on a fd opened O_RDWR: the binding alone makes it read-only. */
FIXTURE_VARIANT_ADD(remap, rdwr_fd_whole_at_page0) {
	.oflags = O_RDWR, .pgoff = 0, .pages = 2,
};

FIXTURE_VARIANT_ADD(remap, rdwr_fd_first_page_to_page1) {
	.oflags = O_RDWR, .pgoff = 1, .pages = 1,
};

FIXTURE_VARIANT_ADD(remap, rdonly_fd_whole_at_page0) {
	.oflags = O_RDONLY, .pgoff = 0, .pages = 2,
};

FIXTURE_VARIANT_ADD(remap, rdonly_fd_first_page_to_page1) {
	.oflags = O_RDONLY, .pgoff = 1, .pages = 1,
};

FIXTURE_SETUP(remap)
{
	char name[SHMBUS_NAME_MAX];
	int unlinked, ret;

	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->len = variant->pages * sysconf(_SC_PAGESIZE);
	self->data = MAP_FAILED;
	self->view = MAP_FAILED;
	shmbus_unique_name(name, "rdonly-remap");
	self->rw = shmbus_open_bound(name, self->size, CREATE_EXCL, 0600);
	ASSERT_LE(0, self->rw) TH_LOG("create: %s", strerror(-self->rw));
	self->ro = open_rdonly(name, variant->oflags);
	/* The handles keep the region: no name is left behind if setup fails. */
	unlinked = shmbus_unlink(name);
	ASSERT_LE(0, self->ro) TH_LOG("bind RDONLY: %s", strerror(-self->ro));
	ASSERT_EQ(0, unlinked);
	self->data = mmap(NULL, self->size, RW, MAP_SHARED, self->rw, 0);
	ASSERT_NE(MAP_FAILED, self->data);
	fill_pattern(self->data, self->size, PATTERN_SEED);
	self->view = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->ro, 0);
	ASSERT_NE(MAP_FAILED, self->view) TH_LOG("mmap PROT_READ: %s", strerror(errno));
	ret = remap(self->view, self->len, variant->pgoff);
	if (ret)
		TH_LOG("remap_file_pages refused (%s): checking the mapping mmap made",
		       strerror(-ret));
}

FIXTURE_TEARDOWN(remap)
{
	if (self->view != MAP_FAILED)
		munmap(self->view, self->size);
	if (self->data != MAP_FAILED)
		munmap(self->data, self->size);
	close(self->ro);
	close(self->rw);
}

/* After remap_file_pages(), a read-only mapping still cannot get PROT_WRITE. */
TEST_F(remap, mprotect_write_eacces)
{
	errno = 0;
	EXPECT_EQ(-1, mprotect(self->view, self->len, RW));
	EXPECT_EQ(EACCES, errno);
}

/* After remap_file_pages(), a read-only mapping still cannot get PROT_EXEC. */
TEST_F(remap, mprotect_exec_eacces)
{
	errno = 0;
	EXPECT_EQ(-1, mprotect(self->view, self->len, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

/* A write through the re-mapped read-only mapping is SIGSEGV; the data stays. */
TEST_F(remap, write_segv_data_unchanged)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0);
		/* Whatever mprotect() answers, the write decides. */
		mprotect(self->view, self->len, RW);
		*(volatile unsigned char *)self->view ^= 0xff;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("the writer %s %d", WIFSIGNALED(status) ? "died of signal" : "exited",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	EXPECT_EQ(-1, check_pattern(self->data, self->size, PATTERN_SEED));
}

/* Every VMA remap_file_pages() makes is counted: INFO.mappings equals the VMAs. */
TEST(remap_split_vmas_counted)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	struct shmbus_info info;
	int fd = shmbus_anon_region(3 * pg, NULL), vmas;
	char *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 3 * pg, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, remap(p + pg, pg, 0));
	vmas = vmas_in(p, 3 * pg);
	ASSERT_LE(2, vmas) TH_LOG("remap_file_pages did not split the mapping");
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(vmas, info.mappings);
	munmap(p, 3 * pg);
	close(fd);
}

/* A VMA remap_file_pages() made keeps the region alive by itself, until munmap. */
TEST(remap_vma_holds_region)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	long long regions0 = shmbus_stat("regions");
	char name[SHMBUS_NAME_MAX];
	int fd;
	char *p;

	ASSERT_LE(0, regions0);
	shmbus_unique_name(name, "rdonly-remap-ref");
	fd = shmbus_open_bound(name, 2 * pg, CREATE_EXCL, 0600);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	/* Unlinked at once: after close() only mappings can keep the region. */
	ASSERT_EQ(0, shmbus_unlink(name));
	p = mmap(NULL, 2 * pg, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, remap(p, pg, 1));
	/* Leave only the VMA remap_file_pages() made. */
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(regions0 + 1, shmbus_stat("regions"));
	ASSERT_EQ(0, munmap(p, pg));
	EXPECT_EQ(regions0, shmbus_stat("regions"));
}

/* A mapping pins the module through its own file, besides the region's pin. */
TEST(mapping_pins_module)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	long long base = read_number(REFCNT);
	int fd;
	void *p;

	ASSERT_LE(0, base);
	fd = shmbus_anon_region(pg, NULL);
	ASSERT_LE(0, fd);
	p = mmap(NULL, pg, RW, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, close(fd));
	EXPECT_LE(base + 2, read_number(REFCNT));
	ASSERT_EQ(0, munmap(p, pg));
	EXPECT_EQ(base, read_number(REFCNT));
}

/*
 * A region with two read-write handles a and b and a read-only handle ro
 * (SHMBUS_BIND_RDONLY on a fd opened O_RDWR), mapped whole through a (data,
 * read-write) and through ro (view, PROT_READ).  The name is gone after
 * setup; children get handles of their own with REOPEN.
 */
FIXTURE(region) {
	size_t size;
	int a, b, ro;
	unsigned char *data;
	unsigned char *view;
	pid_t pids[MAX_CHILDREN];
	long long saved_max_words;
};

FIXTURE_SETUP(region)
{
	char name[SHMBUS_NAME_MAX];
	int unlinked;

	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->data = MAP_FAILED;
	self->view = MAP_FAILED;
	self->saved_max_words = -1;
	shmbus_unique_name(name, "rdonly");
	self->a = shmbus_open_bound(name, self->size, CREATE_EXCL, 0600);
	ASSERT_LE(0, self->a) TH_LOG("create: %s", strerror(-self->a));
	self->b = shmbus_open_bound(name, 0, 0, 0);
	self->ro = open_rdonly(name, O_RDWR);
	unlinked = shmbus_unlink(name);
	ASSERT_LE(0, self->b) TH_LOG("bind: %s", strerror(-self->b));
	ASSERT_LE(0, self->ro) TH_LOG("bind RDONLY: %s", strerror(-self->ro));
	ASSERT_EQ(0, unlinked);
	self->data = mmap(NULL, self->size, RW, MAP_SHARED, self->a, 0);
	ASSERT_NE(MAP_FAILED, self->data);
	self->view = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->ro, 0);
	ASSERT_NE(MAP_FAILED, self->view);
}

FIXTURE_TEARDOWN(region)
{
	char buf[32];

	shmbus_kill_tracked(self->pids, MAX_CHILDREN);
	if (self->saved_max_words >= 0) {
		snprintf(buf, sizeof(buf), "%lld", self->saved_max_words);
		write_text(MAX_WORDS, buf);
	}
	if (self->view != MAP_FAILED)
		munmap(self->view, self->size);
	if (self->data != MAP_FAILED)
		munmap(self->data, self->size);
	close(self->ro);
	close(self->b);
	if (self->a >= 0)
		close(self->a);
}

static __u32 *word_at(FIXTURE_DATA(region) *self, __u64 offset)
{
	return (__u32 *)(self->data + offset);
}

static __u32 load(__u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* fork(), the child remembered so that teardown kills it whatever happens. */
static pid_t fork_tracked(FIXTURE_DATA(region) *self)
{
	return shmbus_fork_tracked(self->pids, MAX_CHILDREN);
}

static void forget(FIXTURE_DATA(region) *self, pid_t pid)
{
	shmbus_forget_child(self->pids, MAX_CHILDREN, pid);
}

/* SIGKILL a child and reap it: its handles are released when this returns. */
static int kill_child(FIXTURE_DATA(region) *self, pid_t pid)
{
	return shmbus_kill_child(self->pids, MAX_CHILDREN, pid);
}

/* reap() a child that exits by itself: its exit status, or REAP_SIGNALED(sig). */
static int reap_child(FIXTURE_DATA(region) *self, pid_t pid)
{
	int ret = reap(pid, REAP_FOREVER, NULL);

	forget(self, pid);
	return ret;
}

/*
 * Fork a process that takes the lock word at @offset as an owner of its
 * own (a REOPEN of @fd) and waits to be killed: its pid, and its owner id
 * in *@id (0 if it could not take the lock).
 */
static pid_t spawn_holder(FIXTURE_DATA(region) *self, int fd, __u64 offset, __u32 *id)
{
	__u32 got = 0, free_word = 0;
	int p[2], own, ret;
	pid_t pid;

	*id = 0;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork_tracked(self);
	if (pid == 0) {
		own = shmbus_reopen(fd);
		ret = own < 0 ? -1 : shmbus_owner_id(own);
		if (ret > 0 && __atomic_compare_exchange_n(word_at(self, offset), &free_word, ret,
							   false, __ATOMIC_SEQ_CST,
							   __ATOMIC_SEQ_CST))
			got = ret;
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

/* Take LOCK_OFF in a process of its own and SIGKILL it: its owner id, or 0. */
static __u32 kill_holder(FIXTURE_DATA(region) *self, int fd)
{
	__u32 id;
	pid_t pid = spawn_holder(self, fd, LOCK_OFF, &id);

	if (pid <= 0 || !id || kill_child(self, pid))
		return 0;
	return id;
}

/* open() of /proc/self/map_files/START-END of the mapping at @addr fails. */
static void expect_map_file_unopenable(struct __test_metadata *_metadata,
				       const void *addr, size_t len)
{
	static const int modes[] = { O_RDONLY, O_RDWR };
	char path[96];
	struct stat st;
	unsigned int i;
	int fd;

	if (geteuid() != 0)
		SKIP(return, "map_files needs CAP_SYS_ADMIN");
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)addr,
		 (unsigned long)addr + len);
	ASSERT_EQ(0, lstat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		fd = open(path, modes[i] | O_CLOEXEC);
		EXPECT_EQ(-1, fd) TH_LOG("%s opened %s", path,
					 modes[i] == O_RDWR ? "O_RDWR" : "O_RDONLY");
		if (fd >= 0)
			close(fd);
	}
}

/* /proc/PID/map_files of a read-only handle's mapping cannot be opened. */
TEST_F(region, map_files_of_rdonly_mapping_unopenable)
{
	expect_map_file_unopenable(_metadata, self->view, self->size);
}

/* /proc/PID/map_files of a read-write handle's mapping cannot be opened either. */
TEST_F(region, map_files_of_rw_mapping_unopenable)
{
	expect_map_file_unopenable(_metadata, self->data, self->size);
}

/* A forked child's copy of a read-only mapping cannot get PROT_WRITE. */
TEST_F(region, rdonly_mapping_fork_mprotect_eacces)
{
	pid_t pid = fork_tracked(self);

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(mprotect(self->view, self->size, RW) ? errno : 0);
	EXPECT_EQ(EACCES, reap_child(self, pid));
}

/* A read-only mapping moved with mremap cannot get PROT_WRITE. */
TEST_F(region, rdonly_mapping_mremap_mprotect_eacces)
{
	void *target, *moved;

	target = mmap(NULL, self->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	moved = mremap(self->view, self->size, self->size, MREMAP_MAYMOVE | MREMAP_FIXED,
		       target);
	ASSERT_EQ(target, moved) TH_LOG("mremap: %s", strerror(errno));
	self->view = moved;
	errno = 0;
	EXPECT_EQ(-1, mprotect(moved, self->size, RW));
	EXPECT_EQ(EACCES, errno);
}

/* MADV_REMOVE through a read-only mapping fails and leaves the data. */
TEST_F(region, rdonly_mapping_madv_remove_fails)
{
	fill_pattern(self->data, self->size, PATTERN_SEED);
	EXPECT_EQ(-1, madvise(self->view, self->size, MADV_REMOVE));
	EXPECT_EQ(-1, check_pattern(self->data, self->size, PATTERN_SEED));
}

/* OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE on a read-only handle: EBADF. */
TEST_F(region, rdonly_robust_ioctls_ebadf)
{
	struct shmbus_lock_word reg = { .offset = OTHER_OFF }, unreg = { .offset = LOCK_OFF };
	struct shmbus_requeue rq = {
		.from = LOCK_OFF, .to = OTHER_OFF, .expected = 0, .nr_wake = 1, .nr_requeue = 1,
	};
	const struct {
		const char *what;
		unsigned long request;
		void *arg;
	} cmds[] = {
		{ "OWNER_ID", SHMBUS_IOC_OWNER_ID, NULL },
		{ "LOCK_REGISTER", SHMBUS_IOC_LOCK_REGISTER, &reg },
		{ "LOCK_UNREGISTER", SHMBUS_IOC_LOCK_UNREGISTER, &unreg },
		{ "CMP_REQUEUE", SHMBUS_IOC_CMP_REQUEUE, &rq },
	};
	unsigned int i;

	/* So that there is a registration UNREGISTER could remove. */
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-EBADF, shmbus_ioctl(self->ro, cmds[i].request, cmds[i].arg))
			TH_LOG("%s", cmds[i].what);
	}
}

/*
 * Those four check the handle after ENXIO (unbound) and before their
 * argument: a read-only handle gets EBADF for an unreadable pointer (not
 * EFAULT) and for invalid fields (not EINVAL).
 */
TEST_F(region, rdonly_ebadf_after_enxio_before_arguments)
{
	struct shmbus_lock_word bad_word = { .offset = 2 };
	struct shmbus_requeue bad_rq = { .from = LOCK_OFF, .to = LOCK_OFF };
	const struct {
		const char *what;
		unsigned long request;
		void *arg;
	} cmds[] = {
		{ "LOCK_REGISTER NULL", SHMBUS_IOC_LOCK_REGISTER, NULL },
		{ "LOCK_UNREGISTER NULL", SHMBUS_IOC_LOCK_UNREGISTER, NULL },
		{ "CMP_REQUEUE NULL", SHMBUS_IOC_CMP_REQUEUE, NULL },
		{ "LOCK_REGISTER offset 2", SHMBUS_IOC_LOCK_REGISTER, &bad_word },
		{ "LOCK_UNREGISTER offset 2", SHMBUS_IOC_LOCK_UNREGISTER, &bad_word },
		{ "CMP_REQUEUE from == to", SHMBUS_IOC_CMP_REQUEUE, &bad_rq },
		{ "OWNER_ID", SHMBUS_IOC_OWNER_ID, NULL },
	};
	int unbound = open(SHMBUS_DEV, O_RDONLY | O_CLOEXEC);
	unsigned int i;

	ASSERT_LE(0, unbound);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-EBADF, shmbus_ioctl(self->ro, cmds[i].request, cmds[i].arg))
			TH_LOG("read-only handle, %s", cmds[i].what);
		EXPECT_EQ(-ENXIO, shmbus_ioctl(unbound, cmds[i].request, cmds[i].arg))
			TH_LOG("unbound O_RDONLY handle, %s", cmds[i].what);
	}
	close(unbound);
}

/* A read-only handle's WAKE wakes a task sleeping through a writer's handle. */
TEST_F(region, rdonly_wake_wakes_writers_sleeper)
{
	pid_t pid = fork_tracked(self);

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(shmbus_wait_word(self->a, OTHER_OFF, 0, WATCHDOG_NS) ? 1 : 0);
	ASSERT_EQ(0, await_waiters(self->a, 1, WATCHDOG_MS)) TH_LOG("the writer never slept");
	EXPECT_EQ(1, shmbus_wake(self->ro, OTHER_OFF, 1, ANY));
	EXPECT_EQ(0, reap_child(self, pid));
}

/*
 * A task waiting through a read-only handle never takes a writer's wake-up:
 * WAKE(count 1) reaches the writer's sleeper even when a reader has slept
 * on the word longer, wakes the reader too and counts only the writer.
 */
TEST_F(region, rdonly_waiter_never_takes_writers_wakeup)
{
	pid_t reader, writer;

	reader = fork_tracked(self);
	ASSERT_LE(0, reader);
	if (reader == 0)
		_exit(shmbus_wait_word(self->ro, OTHER_OFF, 0, WATCHDOG_NS) ? 1 : 0);
	ASSERT_EQ(0, await_waiters(self->a, 1, WATCHDOG_MS)) TH_LOG("the reader never slept");
	writer = fork_tracked(self);
	ASSERT_LE(0, writer);
	if (writer == 0)
		_exit(shmbus_wait_word(self->a, OTHER_OFF, 0, WATCHDOG_NS) ? 1 : 0);
	ASSERT_EQ(0, await_waiters(self->a, 2, WATCHDOG_MS)) TH_LOG("the writer never slept");
	EXPECT_EQ(1, shmbus_wake(self->a, OTHER_OFF, 1, ANY));
	EXPECT_EQ(0, reap_child(self, writer)) TH_LOG("the reader took the writer's wake-up");
	EXPECT_EQ(0, reap_child(self, reader)) TH_LOG("the reader was not woken");
}

/* WAIT, WAITV, WATCH, UNWATCH, INFO and REOPEN stay allowed on a read-only handle. */
TEST_F(region, rdonly_keeps_other_word_commands)
{
	struct shmbus_waitv_entry e = {
		.fd = SHMBUS_WAITV_SELF, .offset = LOCK_OFF, .expected = 1, .bitset = ANY,
	};
	struct shmbus_waitv v = { .entries = (uintptr_t)&e, .nr = 1 };
	struct shmbus_watch w = { .offset = OTHER_OFF, .bitset = ANY }, u = { .offset = OTHER_OFF };
	struct shmbus_info info;
	int fd;

	/* The words hold 0: a wait for 1 is EAGAIN at once. */
	EXPECT_EQ(-EAGAIN, shmbus_wait_word(self->ro, LOCK_OFF, 1, WATCHDOG_NS));
	EXPECT_EQ(-EAGAIN, shmbus_ioctl(self->ro, SHMBUS_IOC_WAITV, &v));
	EXPECT_EQ(0, shmbus_ioctl(self->ro, SHMBUS_IOC_WATCH, &w));
	EXPECT_EQ(0, shmbus_ioctl(self->ro, SHMBUS_IOC_UNWATCH, &u));
	EXPECT_EQ(0, region_info(self->ro, &info));
	fd = shmbus_ioctl(self->ro, SHMBUS_IOC_REOPEN, NULL);
	EXPECT_LE(0, fd) TH_LOG("REOPEN: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
}

/*
 * Releasing a read-only handle writes nothing into the region, whatever the
 * registered words hold: they hold the owner ids the cyclic allocator hands
 * out after b's, so an owner id a read-only handle got would be among them.
 */
TEST_F(region, rdonly_release_writes_nothing)
{
	int base = shmbus_owner_id(self->b), ro2, id, i;

	ASSERT_LT(0, base);
	for (i = 0; i < NR_PROBES; i++) {
		*word_at(self, 4 * i) = base + 1 + i;
		ASSERT_EQ(0, shmbus_lock_register(self->a, 4 * i));
	}
	ro2 = shmbus_ioctl(self->ro, SHMBUS_IOC_REOPEN, NULL);
	ASSERT_LE(0, ro2);
	id = shmbus_owner_id(ro2);
	if (id > 0)
		TH_LOG("the read-only handle got owner id %d (b has %d)", id, base);
	ASSERT_EQ(0, close(ro2));
	for (i = 0; i < NR_PROBES; i++) {
		EXPECT_EQ((__u32)base + 1 + i, load(word_at(self, 4 * i))) TH_LOG("word %d", i);
	}
}

/* UNREGISTER of a word that only another handle registered is ENOENT. */
TEST_F(region, unregister_of_others_word_enoent)
{
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	EXPECT_EQ(-ENOENT, shmbus_lock_unregister(self->b, LOCK_OFF));
}

/* Another handle's UNREGISTER leaves the word recovered when its holder dies. */
TEST_F(region, others_unregister_keeps_recovery)
{
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	/* ENOENT by the rule above; what matters here is what it leaves. */
	shmbus_lock_unregister(self->b, LOCK_OFF);
	ASSERT_NE(0, kill_holder(self, self->b));
	EXPECT_EQ(OWNER_DIED, load(word_at(self, LOCK_OFF)));
}

/* Two handles may register the same word. */
TEST_F(region, register_same_word_on_two_handles)
{
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	EXPECT_EQ(0, shmbus_lock_register(self->b, LOCK_OFF));
}

/* A word registered by a and b stays registered after a unregisters it. */
TEST_F(region, word_stays_registered_after_one_unregisters)
{
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	ASSERT_EQ(0, shmbus_lock_register(self->b, LOCK_OFF));
	ASSERT_EQ(0, shmbus_lock_unregister(self->a, LOCK_OFF));
	ASSERT_NE(0, kill_holder(self, self->b));
	EXPECT_EQ(OWNER_DIED, load(word_at(self, LOCK_OFF)));
}

/* A word registered by a and b stays registered after a is closed. */
TEST_F(region, word_stays_registered_after_one_closes)
{
	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	ASSERT_EQ(0, shmbus_lock_register(self->b, LOCK_OFF));
	ASSERT_EQ(0, close(self->a));
	self->a = -1;
	ASSERT_NE(0, kill_holder(self, self->b));
	EXPECT_EQ(OWNER_DIED, load(word_at(self, LOCK_OFF)));
}

/* A registration ends with the handle that made it: then nothing recovers the word. */
TEST_F(region, registration_ends_with_its_handle)
{
	__u32 id;

	ASSERT_EQ(0, shmbus_lock_register(self->a, LOCK_OFF));
	ASSERT_EQ(0, close(self->a));
	self->a = -1;
	id = kill_holder(self, self->b);
	ASSERT_NE(0, id);
	EXPECT_EQ(id, load(word_at(self, LOCK_OFF)));
}

/* max_robust_words is per handle: a's full quota leaves b able to register. */
TEST_F(region, robust_quota_per_handle)
{
	long long saved = read_number(MAX_WORDS);

	if (geteuid() != 0)
		SKIP(return, "needs root to lower max_robust_words");
	ASSERT_LE(0, saved);
	self->saved_max_words = saved;
	ASSERT_EQ(0, write_text(MAX_WORDS, "2"));
	ASSERT_EQ(0, shmbus_lock_register(self->a, 0));
	ASSERT_EQ(0, shmbus_lock_register(self->a, 4));
	ASSERT_EQ(-ENOSPC, shmbus_lock_register(self->a, 8));
	EXPECT_EQ(0, shmbus_lock_register(self->b, 12));
}

TEST_HARNESS_MAIN
