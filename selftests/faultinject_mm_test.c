// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection in the memory-management paths: every call that
 * allocates fails cleanly at every one of its allocation points and leaves
 * nothing inconsistent behind, and random allocation failures break nothing.
 *
 * For each call (mmap, the VMA splits of munmap and mprotect, mremap, fork
 * of a process with a mapping, and the first touch of a page) the test
 * writes N to /proc/thread-self/fail-nth, makes the call and reads the file
 * back, for N = 1, 2, ... until the call completes without consuming the
 * injected fault (the file still holds a non-zero count).  Each injected
 * failure must give ENOMEM or another errno that fits (EAGAIN for fork), or
 * SIGBUS for a page fault, and afterwards INFO's count of mappings must be
 * the VMAs there are, and the pages as they were.  faultinject_ioctl_test
 * does the same for the module's own paths (open and the ioctls).
 *
 * The last test turns on failslab and fail_page_alloc with a probability,
 * filtered to one child process (/proc/self/make-it-fail), which runs a
 * short seeded sequence of operations (SHMBUS_FI_SEED, printed).
 *
 * Needs root, CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug lane); skips elsewhere.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "util.h"

#define MAX_NTH		5000	/* far more allocation points than any call has */
#define PAGES		3
#define NAME_TAG	"faultinject"
#define RANDOM_OPS	3000
#define RANDOM_SECONDS	60
#define NR_MSGS		8

/* Injected failures that fit a call, besides ENOMEM. */
#define ERR(e)		(1ULL << (e))
#define FI_FORK		(ERR(ENOMEM) | ERR(EAGAIN))

/* Deliberate SIGBUS: touch() arms the handler, which jumps back. */
static sigjmp_buf touch_jmp;
static volatile sig_atomic_t touch_armed;
static volatile sig_atomic_t touch_sig;

static void on_touch_fault(int sig)
{
	if (!touch_armed) {
		signal(sig, SIG_DFL);
		return;
	}
	touch_armed = 0;
	touch_sig = sig;
	siglongjmp(touch_jmp, 1);
}

/* Write @val to *@word: the signal that stopped it, or 0. */
static int __attribute__((noinline)) touch(volatile __u32 *word, __u32 val)
{
	touch_sig = 0;
	if (!sigsetjmp(touch_jmp, 1)) {
		touch_armed = 1;
		*word = val;
		touch_armed = 0;
	}
	return touch_sig;
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_handler = on_touch_fault, .sa_flags = SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

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
	catch_faults();
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

/* INFO's mappings of @fd's region, the INFO expected to work. */
static unsigned int nr_mappings(struct __test_metadata *_metadata, int fd)
{
	long long n = shmbus_nr_mappings(fd);

	EXPECT_LE(0, n) TH_LOG("INFO: %s", strerror(-n));
	return n;
}

/* VMAs of this process that map the region @name, from /proc/self/maps. */
static int count_vmas(const char *name)
{
	char line[512], *p;
	size_t len = strlen(name);
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "/shmbus:");
		if (p && !strncmp(p + 8, name, len) && (p[8 + len] == ' ' || p[8 + len] == '\n'))
			n++;
	}
	fclose(f);
	return n;
}

/* INFO.mappings counts exactly the VMAs there are (only this process maps). */
#define EXPECT_MAPPINGS_MATCH(n) do {					\
	EXPECT_EQ(count_vmas(self->name), (int)nr_mappings(_metadata, self->fd)) \
		TH_LOG("fault %u", n);					\
} while (0)

/* mmap: a failure leaves no mapping counted. */
TEST_F(fi, mmap)
{
	unsigned int n;
	long addr;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	FOR_EACH_FAULT(n) {
		addr = INJECT(n, mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED,
				      self->fd, 0));
		EXPECT_MAPPINGS_MATCH(n);
		if (addr < 0) {
			EXPECT_TRUE(shmbus_fi_injected_ok(addr, ERR(ENOMEM) | ERR(EAGAIN)))
				TH_LOG("fault %u: %s", n, strerror(-addr));
			EXPECT_EQ(1, nr_mappings(_metadata, self->fd)) TH_LOG("fault %u", n);
		} else {
			EXPECT_EQ(2, nr_mappings(_metadata, self->fd));
			munmap((void *)addr, self->size);
		}
		EXPECT_EQ(1, nr_mappings(_metadata, self->fd));
		if (!self->fired)
			break;
	}
	DONE(n, "mmap");
}

enum split { SPLIT_MUNMAP, SPLIT_MPROTECT, MREMAP_MOVE, FORK };

/*
 * Split, move or fork a fresh three-page mapping with a fault injected: the
 * VMAs there are afterwards are the ones counted (a failed munmap or
 * mprotect may leave a split done, a move whose unmap of the old range
 * failed still succeeds and leaves it), and on failure the pages are intact.
 */
static void vma_change(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self,
		       enum split how, const char *what)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	unsigned int n, expect;
	char *addr, *to, *old;
	long ret;
	int status;

	FOR_EACH_FAULT(n) {
		old = NULL;
		addr = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, addr);
		addr[pg] = 'x';
		to = mmap(NULL, self->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, to);
		expect = 3;
		switch (how) {
		case SPLIT_MUNMAP:
			ret = INJECT(n, munmap(addr + pg, pg));
			break;
		case SPLIT_MPROTECT:
			ret = INJECT(n, mprotect(addr + pg, pg, PROT_READ));
			expect = 4;
			break;
		case MREMAP_MOVE:
			ret = INJECT(n, mremap(addr, self->size, self->size,
					       MREMAP_MAYMOVE | MREMAP_FIXED, to));
			expect = 2;
			if (ret >= 0) {
				old = addr;
				addr = to;
				ret = 0;
			} else {
				munmap(to, self->size);
			}
			break;
		case FORK:
			/* Not INJECT(): the child must not touch the parent's fail-nth. */
			shmbus_fi_nth_arm(self->nth, n);
			ret = fork();
			if (!ret)
				_exit(addr[pg] == 'x' ? 0 : 1);
			if (ret < 0)
				ret = -errno;
			self->fired = shmbus_fi_nth_fired(self->nth);
			if (ret > 0) {
				EXPECT_EQ(ret, waitpid(ret, &status, 0));
				EXPECT_EQ(0, status);
				ret = 0;
			}
			expect = 2;
			break;
		}
		if (how != MREMAP_MOVE)
			munmap(to, self->size);
		EXPECT_MAPPINGS_MATCH(n);
		if (ret < 0) {
			EXPECT_TRUE(shmbus_fi_injected_ok(ret, how == FORK ? FI_FORK : ERR(ENOMEM)))
				TH_LOG("fault %u: %s", n, strerror(-ret));
			EXPECT_EQ('x', addr[pg]);
		} else if (!self->fired) {
			EXPECT_EQ(expect, nr_mappings(_metadata, self->fd)) TH_LOG("fault %u", n);
		}
		EXPECT_EQ(0, munmap(addr, self->size));
		/* mremap moves even if unmapping the old range failed: it stays. */
		if (old)
			munmap(old, self->size);
		EXPECT_EQ(1, nr_mappings(_metadata, self->fd)) TH_LOG("fault %u", n);
		EXPECT_MAPPINGS_MATCH(n);
		if (!self->fired)
			break;
	}
	EXPECT_EQ(0, ret);
	DONE(n, what);
}

TEST_F(fi, munmap_split)
{
	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	vma_change(_metadata, self, SPLIT_MUNMAP, "munmap split");
}

TEST_F(fi, mprotect_split)
{
	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	vma_change(_metadata, self, SPLIT_MPROTECT, "mprotect split");
}

TEST_F(fi, mremap_move)
{
	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	vma_change(_metadata, self, MREMAP_MOVE, "mremap move");
}

TEST_F(fi, fork_with_mapping)
{
	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	vma_change(_metadata, self, FORK, "fork");
}

/*
 * The first touch of a page: an injected failure retries the fault (the
 * kernel's VM_FAULT_OOM path) or raises SIGBUS; either way the page then
 * holds what was written, allocated once.
 */
TEST_F(fi, page_fault)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	volatile __u32 *word;
	struct shmbus_info i;
	unsigned int n, sigbus = 0;
	int sig;

	SKIP_UNLESS_AVAILABLE();
	setup_region(_metadata, self);
	word = (volatile __u32 *)(self->map + pg);
	/* Warm up everything but the region's page: stack, code, page tables. */
	ASSERT_EQ(0, touch((volatile __u32 *)self->map, 1));
	FOR_EACH_FAULT(n) {
		ASSERT_EQ(0, madvise(self->map + pg, pg, MADV_REMOVE));
		ASSERT_EQ(0, region_info(self->fd, &i));
		ASSERT_EQ(1, i.pages);
		shmbus_fi_nth_arm(self->nth, n);
		sig = touch(word, n);
		self->fired = shmbus_fi_nth_fired(self->nth);
		EXPECT_TRUE(!sig || sig == SIGBUS) TH_LOG("fault %u: %s", n, strsignal(sig));
		if (sig) {
			sigbus++;
			EXPECT_EQ(0, touch(word, n));
		}
		EXPECT_EQ(n, *word);
		ASSERT_EQ(0, region_info(self->fd, &i));
		EXPECT_EQ(2, i.pages) TH_LOG("fault %u", n);
		if (!self->fired)
			break;
	}
	DONE(n, "page fault");
	TH_LOG("page fault: %u SIGBUS", sigbus);
}

/* What the random child reports back. */
struct random_report {
	int ops;
	int injected_errors;
	int sigbus;
	int nr_msgs;
	char msgs[NR_MSGS][160];
};

static void __attribute__((format(printf, 2, 3)))
report(struct random_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nr_msgs >= NR_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->msgs[r->nr_msgs++], sizeof(r->msgs[0]), fmt, ap);
	va_end(ap);
}

#define RANDOM_FDS	8
#define RANDOM_NAMES	4

/*
 * The child of the randomized run: valid operations only, so any failure
 * must be an injected one (ENOMEM, ENOSPC, ...) or a normal outcome.
 */
static void random_child(struct random_report *r, unsigned long long seed, const char *tag)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	int fds[RANDOM_FDS], i, op, fd, ret;
	char *maps[RANDOM_FDS] = { 0 };
	time_t end = time(NULL) + RANDOM_SECONDS;

	for (i = 0; i < RANDOM_FDS; i++)
		fds[i] = -1;
	if (write_text("/proc/self/make-it-fail", "1"))
		_exit(2);
	for (r->ops = 0; r->ops < RANDOM_OPS && time(NULL) < end; r->ops++) {
		struct shmbus_bind b = { .size = PAGES * pg, .mode = 0600,
					 .flags = SHMBUS_BIND_CREATE };
		struct shmbus_waitv_entry e = { .fd = SHMBUS_WAITV_SELF,
						.bitset = SHMBUS_BITSET_ANY };
		struct shmbus_waitv v = { .entries = (uintptr_t)&e, .nr = 1,
					  .flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = 100000 };
		struct shmbus_watch w = { .offset = 4 * (shmbus_rand(&seed) % 4),
					  .bitset = SHMBUS_BITSET_ANY };
		struct shmbus_wake k = { .count = 1, .bitset = SHMBUS_BITSET_ANY };
		struct shmbus_lock_word l = { .offset = w.offset };
		unsigned long long ok = 0, errs = ERR(ENOMEM);

		i = shmbus_rand(&seed) % RANDOM_FDS;
		fd = fds[i];
		op = shmbus_rand(&seed) % 12;
		if (fd < 0)
			op = 0;
		else if (op == 0)
			op = 11;
		errno = 0;
		switch (op) {
		case 0:
			ret = fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				break;
			if (shmbus_rand(&seed) % 4)
				snprintf(b.name, sizeof(b.name), "%s-%llu", tag,
					 shmbus_rand(&seed) % RANDOM_NAMES);
			ret = ioctl(fd, SHMBUS_IOC_BIND, &b);
			errs |= ERR(ENOSPC);
			if (ret) {
				ret = -errno;
				close(fd);
				errno = -ret;
				ret = -1;
				break;
			}
			fds[i] = fd;
			break;
		case 1:
			if (maps[i])
				continue;
			maps[i] = mmap(NULL, PAGES * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			ret = maps[i] == MAP_FAILED ? -1 : 0;
			if (ret)
				maps[i] = NULL;
			break;
		case 2:
			if (!maps[i])
				continue;
			ret = touch((volatile __u32 *)(maps[i] + pg * (shmbus_rand(&seed) % PAGES)), 1);
			r->sigbus += ret == SIGBUS;
			if (ret && ret != SIGBUS)
				report(r, "touch: %s", strsignal(ret));
			continue;
		case 3:
			if (!maps[i])
				continue;
			ret = munmap(maps[i], PAGES * pg);
			if (!ret)
				maps[i] = NULL;
			break;
		case 4:
			ret = ioctl(fd, SHMBUS_IOC_WAITV, &v);
			if (ret < 0 && errno == ETIMEDOUT)
				ret = 0;
			ok = ERR(EAGAIN);
			break;
		case 5:
			ret = ioctl(fd, SHMBUS_IOC_WATCH, &w);
			ok = ERR(EEXIST);
			break;
		case 6:
			ret = ioctl(fd, SHMBUS_IOC_LOCK_REGISTER, &l);
			ok = ERR(EEXIST);
			break;
		case 7:
			ret = ioctl(fd, SHMBUS_IOC_OWNER_ID);
			break;
		case 8:
			ret = ioctl(fd, SHMBUS_IOC_REOPEN);
			if (ret >= 0)
				close(ret);
			errs |= ERR(EMFILE) | ERR(ENFILE);
			break;
		case 9:
			ret = ioctl(fd, SHMBUS_IOC_WAKE, &k);
			break;
		case 10:
			ret = ioctl(fd, SHMBUS_IOC_UNWATCH, &(struct shmbus_watch){ .offset = w.offset });
			ok = ERR(ENOENT);
			break;
		default:
			if (maps[i])
				munmap(maps[i], PAGES * pg);
			maps[i] = NULL;
			ret = close(fd);
			fds[i] = -1;
			break;
		}
		if (ret >= 0 || (errno < 64 && (ok & ERR(errno))))
			continue;
		if (errno < 64 && (errs & ERR(errno)))
			r->injected_errors++;
		else
			report(r, "operation %d: %s", op, strerror(errno));
	}
	write_text("/proc/self/make-it-fail", "0");
	_exit(0);
}

/*
 * failslab and fail_page_alloc at 5% for one child (task-filter and
 * make-it-fail) running a seeded mix of operations: only injected errnos or
 * normal outcomes, no crash, nothing left once its names are unlinked.
 */
TEST_F_TIMEOUT(fi, random_failslab_and_page_alloc, RANDOM_SECONDS * 3)
{
	static const struct shmbus_fi_knob on[] = {
		{ "failslab/task-filter", "Y" }, { "fail_page_alloc/task-filter", "Y" },
		{ "failslab/probability", "5" }, { "fail_page_alloc/probability", "5" },
	};
	struct random_report *r;
	unsigned long long seed;
	char tag[32], name[SHMBUS_NAME_MAX];
	unsigned int i;
	int status;
	pid_t pid;

	SKIP_UNLESS_AVAILABLE();
	seed = shmbus_env_number("SHMBUS_FI_SEED", time(NULL) ^ getpid());
	TH_LOG("seed %llu (SHMBUS_FI_SEED=%llu repeats the sequence)", seed, seed);
	seed |= 1;
	shmbus_unique_name(tag, NAME_TAG "-rnd");
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, sizeof(*r));
	for (i = 0; i < ARRAY_SIZE(on); i++)
		ASSERT_EQ(0, shmbus_fi_set_knob(on[i].path, on[i].value));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		random_child(r, seed, tag);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* The probabilities first, then the filters. */
	for (i = ARRAY_SIZE(on); i-- > 0;)
		EXPECT_EQ(0, shmbus_fi_set_knob(on[i].path, i < 2 ? "N" : "0"));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x%s%s", status, WIFSIGNALED(status) ? ": " : "",
		       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
	for (i = 0; i < (unsigned int)r->nr_msgs; i++)
		TH_LOG("%s", r->msgs[i]);
	EXPECT_EQ(0, r->nr_msgs);
	TH_LOG("%d operations, %d injected errors, %d SIGBUS", r->ops, r->injected_errors,
	       r->sigbus);
	for (i = 0; i < RANDOM_NAMES; i++) {
		snprintf(name, sizeof(name), "%s-%u", tag, i);
		shmbus_unlink(name);
	}
	expect_clean(_metadata, self, 0);
	munmap(r, sizeof(*r));
}

TEST_HARNESS_MAIN
