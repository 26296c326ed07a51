// SPDX-License-Identifier: GPL-2.0
/*
 * shmbus pages are ordinary shared memory for the rest of the kernel:
 * futex(2) wait/wake across processes and mappings, process-shared and
 * robust pthread mutexes and condition variables, O_DIRECT I/O and
 * get_user_pages from another process (process_vm_readv/writev).
 *
 * "interop_test futex-waiter NAME OFFSET" is the helper some tests exec: it
 * opens the region by name and sleeps on the futex word at OFFSET.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_BYTES	65536
#define WAIT_SECONDS	10
#define ROUNDS		100000
#define XFER_BYTES	8192	/* process_vm and O_DIRECT transfers */
#define FUTEX_WAITER	"futex-waiter"
#define HELPER_BROKEN	200	/* a helper process could not set itself up */
#define WOKEN_TOO_EARLY	201	/* a waiter woke up with the word unchanged */
#define RAMDISK		"/dev/ram0"

struct region {
	char name[SHMBUS_NAME_MAX];
	int fd;
	size_t size;
	char *map;
};

static void region_init(struct region *r)
{
	r->fd = -1;
	r->map = MAP_FAILED;
}

static void region_destroy(struct region *r)
{
	if (r->map != MAP_FAILED)
		munmap(r->map, r->size);
	if (r->fd >= 0) {
		close(r->fd);
		shmbus_unlink(r->name);
	}
	region_init(r);
}

/*
 * Create the named region "TAG-PID" and map all of it: 0, or -errno with
 * nothing left behind.
 */
static int region_create(struct region *r, const char *tag, size_t size)
{
	int err;

	region_init(r);
	shmbus_unique_name(r->name, tag);
	r->size = size;
	r->fd = shmbus_create(r->name, size, NULL);
	if (r->fd < 0)
		return r->fd;
	r->map = map_shared(r->fd, size, PROT_READ | PROT_WRITE, 0);
	if (r->map != MAP_FAILED)
		return 0;
	err = -errno;
	region_destroy(r);
	return err;
}

/* Poll up to WAIT_SECONDS for *flag to become non-zero: 0, or -1. */
static int wait_flag(uint32_t *flag)
{
	int i;

	for (i = 0; i < WAIT_SECONDS * 1000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return 0;
		usleep(1000);
	}
	return -1;
}

static void set_flag(uint32_t *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

static long futex_wait(uint32_t *word, uint32_t val, int seconds)
{
	struct timespec timeout = { .tv_sec = seconds };

	return syscall(SYS_futex, word, FUTEX_WAIT, val, &timeout, NULL, 0);
}

static long futex_wake(uint32_t *word, int nr)
{
	return syscall(SYS_futex, word, FUTEX_WAKE, nr, NULL, NULL, 0);
}

/*
 * Set *ready, then sleep while *word is 0: an exit status, 0 when woken
 * with *word == 1.
 */
static int futex_waiter(uint32_t *word, uint32_t *ready)
{
	set_flag(ready);
	if (futex_wait(word, 0, WAIT_SECONDS))
		return errno;
	return __atomic_load_n(word, __ATOMIC_ACQUIRE) == 1 ? 0 : WOKEN_TOO_EARLY;
}

/*
 * The exec'd helper: map only the page of the word at @offset of region
 * @name, through a handle of its own, and wait on it.
 */
static int futex_waiter_main(const char *name, const char *offset)
{
	size_t off = strtoul(offset, NULL, 0);
	size_t base = off & ~(page_size() - 1);
	int fd = shmbus_open_bound(name, 0, 0, 0);
	uint32_t *word;
	char *map;

	if (fd < 0)
		return HELPER_BROKEN;
	map = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
	if (map == MAP_FAILED)
		return HELPER_BROKEN;
	word = (uint32_t *)(map + (off - base));
	return futex_waiter(word, word + 1);
}

/* Is @pid blocked in futex(2) right now? */
static int in_futex(pid_t pid)
{
	char path[64], text[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	if (read_text(path, text, sizeof(text)))
		return 0;
	return atoi(text) == SYS_futex;
}

/* Wait until @pid has set *ready and sleeps in futex(2): 0, or -1. */
static int wait_sleeper(pid_t pid, uint32_t *ready)
{
	int i;

	for (i = 0; i < WAIT_SECONDS * 1000; i++) {
		if (__atomic_load_n(ready, __ATOMIC_ACQUIRE) && in_futex(pid))
			return 0;
		usleep(1000);
	}
	return -1;
}

/* reap() *@pid, which becomes 0. */
static int reap_child(pid_t *pid)
{
	int ret = reap(*pid, REAP_FOREVER, NULL);

	*pid = 0;
	return ret;
}

FIXTURE(shared) {
	struct region r;
	pid_t child;		/* killed and reaped in teardown if still set */
	char *alias;		/* a second mapping of the region, or NULL */
};

FIXTURE_SETUP(shared)
{
	ASSERT_EQ(0, region_create(&self->r, "interop", REGION_BYTES));
}

FIXTURE_TEARDOWN(shared)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		reap_child(&self->child);
	}
	if (self->alias)
		munmap(self->alias, self->r.size);
	region_destroy(&self->r);
}

/*
 * FUTEX_WAKE on a shmbus word wakes a forked process sleeping on it through
 * another mapping (another address) of the same page: wake returns 1.
 */
TEST_F(shared, futex_wake_forked_waiter)
{
	const size_t off = page_size() + 64;
	uint32_t *word = (uint32_t *)(self->r.map + off);
	uint32_t *alias_word;
	char *alias;

	alias = mmap(NULL, self->r.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->r.fd, 0);
	ASSERT_NE(MAP_FAILED, alias);
	self->alias = alias;
	alias_word = (uint32_t *)(alias + off);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(futex_waiter(word, word + 1));
	ASSERT_EQ(0, wait_sleeper(self->child, alias_word + 1));
	__atomic_store_n(alias_word, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(1, futex_wake(alias_word, 1));
	EXPECT_EQ(0, reap_child(&self->child));
}

/*
 * An exec'd process opens the region by name, maps only its second page
 * and sleeps on a word there; FUTEX_WAKE at our address of that word (other
 * handle, other page offset, other address) wakes it: wake returns 1.
 */
TEST_F(shared, futex_wake_exec_waiter_other_offset)
{
	const size_t off = page_size() + 128;
	uint32_t *word = (uint32_t *)(self->r.map + off);
	char offset[32];

	snprintf(offset, sizeof(offset), "%zu", off);
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		execl("/proc/self/exe", "interop_test", FUTEX_WAITER,
		      self->r.name, offset, (char *)NULL);
		_exit(HELPER_BROKEN);
	}
	ASSERT_EQ(0, wait_sleeper(self->child, word + 1));
	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	EXPECT_EQ(1, futex_wake(word, 1));
	EXPECT_EQ(0, reap_child(&self->child));
}

static int init_mutex(pthread_mutex_t *lock, int robust)
{
	pthread_mutexattr_t attr;
	int ret;

	pthread_mutexattr_init(&attr);
	ret = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!ret && robust)
		ret = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!ret)
		ret = pthread_mutex_init(lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return ret;
}

struct counter {
	pthread_mutex_t lock;
	long count;
	uint32_t started;
};

/* Add ROUNDS to c->count, one locked increment at a time: 0 or an errno. */
static int count_up(struct counter *c)
{
	int i, ret;

	for (i = 0; i < ROUNDS; i++) {
		ret = pthread_mutex_lock(&c->lock);
		if (ret)
			return ret;
		c->count++;
		pthread_mutex_unlock(&c->lock);
	}
	return 0;
}

/*
 * A PTHREAD_PROCESS_SHARED mutex in a region serialises two processes:
 * 2 x ROUNDS locked increments give exactly 2 * ROUNDS.
 */
TEST_F(shared, pshared_mutex_counts_exactly)
{
	struct counter *c = (struct counter *)self->r.map;

	ASSERT_EQ(0, init_mutex(&c->lock, 0));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		set_flag(&c->started);
		_exit(count_up(c));
	}
	ASSERT_EQ(0, wait_flag(&c->started));
	ASSERT_EQ(0, count_up(c));
	ASSERT_EQ(0, reap_child(&self->child));
	EXPECT_EQ(2 * ROUNDS, c->count);
	pthread_mutex_destroy(&c->lock);
}

struct rendezvous {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int waiting;
	int signalled;
};

static int init_cond(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	ret = pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!ret)
		ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return ret;
}

/*
 * Wait on the condvar until signalled: 0 if woken by the signal, else the
 * error of the last wait (ETIMEDOUT after WAIT_SECONDS).
 */
static int cond_waiter(struct rendezvous *rv)
{
	struct timespec deadline;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += WAIT_SECONDS;
	pthread_mutex_lock(&rv->lock);
	rv->waiting = 1;
	while (!rv->signalled && !ret)
		ret = pthread_cond_timedwait(&rv->cond, &rv->lock, &deadline);
	pthread_mutex_unlock(&rv->lock);
	return ret;
}

/*
 * Signal the waiter once it sleeps in pthread_cond_timedwait (it holds the
 * mutex until then): 0, or -1 if it never got there.
 */
static int cond_signal_waiter(struct rendezvous *rv)
{
	int i;

	for (i = 0; i < WAIT_SECONDS * 1000; i++) {
		pthread_mutex_lock(&rv->lock);
		if (rv->waiting) {
			rv->signalled = 1;
			pthread_cond_signal(&rv->cond);
			pthread_mutex_unlock(&rv->lock);
			return 0;
		}
		pthread_mutex_unlock(&rv->lock);
		usleep(1000);
	}
	return -1;
}

/*
 * A PTHREAD_PROCESS_SHARED condvar in a region: pthread_cond_signal in one
 * process wakes pthread_cond_timedwait in another.
 */
TEST_F(shared, pshared_condvar_wakes_other_process)
{
	struct rendezvous *rv = (struct rendezvous *)self->r.map;

	ASSERT_EQ(0, init_mutex(&rv->lock, 0));
	ASSERT_EQ(0, init_cond(&rv->cond));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(cond_waiter(rv));
	ASSERT_EQ(0, cond_signal_waiter(rv));
	EXPECT_EQ(0, reap_child(&self->child));
	pthread_cond_destroy(&rv->cond);
	pthread_mutex_destroy(&rv->lock);
}

struct robust {
	pthread_mutex_t lock;
	uint32_t locked;
};

/*
 * A robust process-shared mutex whose holder is killed gives EOWNERDEAD to
 * the next locker.
 */
TEST_F(shared, robust_mutex_holder_killed_eownerdead)
{
	struct robust *rb = (struct robust *)self->r.map;
	struct timespec deadline;

	ASSERT_EQ(0, init_mutex(&rb->lock, 1));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		if (pthread_mutex_lock(&rb->lock))
			_exit(HELPER_BROKEN);
		set_flag(&rb->locked);
		for (;;)
			pause();
	}
	ASSERT_EQ(0, wait_flag(&rb->locked));
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(REAP_SIGNALED(SIGKILL), reap_child(&self->child));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WAIT_SECONDS;
	EXPECT_EQ(EOWNERDEAD, pthread_mutex_timedlock(&rb->lock, &deadline));
}

/*
 * Spawn a process that binds the region by name, maps it at an address of
 * its own and publishes that address in *addr; it stays until killed.
 */
static pid_t spawn_mapper(const char *name, size_t size, uint64_t *addr)
{
	pid_t pid = fork();
	char *map;
	int fd;

	if (pid)
		return pid;
	fd = shmbus_open_bound(name, 0, 0, 0);
	if (fd < 0)
		_exit(HELPER_BROKEN);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		_exit(HELPER_BROKEN);
	__atomic_store_n(addr, (uintptr_t)map, __ATOMIC_RELEASE);
	for (;;)
		pause();
}

/* The mapper's address, published in the region past the transfer area. */
static uint64_t *mapper_mailbox(struct region *r)
{
	return (uint64_t *)(r->map + XFER_BYTES);
}

/* Wait up to WAIT_SECONDS for the mapper's address: it, or 0. */
static uint64_t wait_mapper(uint64_t *mailbox)
{
	int i;

	for (i = 0; i < WAIT_SECONDS * 1000; i++) {
		if (__atomic_load_n(mailbox, __ATOMIC_ACQUIRE))
			return __atomic_load_n(mailbox, __ATOMIC_ACQUIRE);
		usleep(1000);
	}
	return 0;
}

/*
 * process_vm_writev (get_user_pages on the target's shmbus mapping) writes
 * into another process's mapping; the data shows through ours.
 */
TEST_F(shared, process_vm_writev_into_mapping)
{
	static char buf[XFER_BYTES];
	struct iovec local = { .iov_base = buf, .iov_len = XFER_BYTES };
	struct iovec remote = { .iov_len = XFER_BYTES };
	uint64_t addr;

	self->child = spawn_mapper(self->r.name, self->r.size, mapper_mailbox(&self->r));
	ASSERT_LE(0, self->child);
	addr = wait_mapper(mapper_mailbox(&self->r));
	ASSERT_NE(0, addr);
	remote.iov_base = (void *)(uintptr_t)addr;
	fill_pattern(buf, XFER_BYTES, getpid());
	EXPECT_EQ(XFER_BYTES, process_vm_writev(self->child, &local, 1, &remote, 1, 0))
		TH_LOG("process_vm_writev: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(self->r.map, buf, XFER_BYTES));
}

/*
 * process_vm_readv (get_user_pages on the target's shmbus mapping) reads
 * what we wrote through our own mapping.
 */
TEST_F(shared, process_vm_readv_from_mapping)
{
	static char buf[XFER_BYTES];
	struct iovec local = { .iov_base = buf, .iov_len = XFER_BYTES };
	struct iovec remote = { .iov_len = XFER_BYTES };
	uint64_t addr;

	self->child = spawn_mapper(self->r.name, self->r.size, mapper_mailbox(&self->r));
	ASSERT_LE(0, self->child);
	addr = wait_mapper(mapper_mailbox(&self->r));
	ASSERT_NE(0, addr);
	remote.iov_base = (void *)(uintptr_t)addr;
	fill_pattern(self->r.map, XFER_BYTES, getpid());
	EXPECT_EQ(XFER_BYTES, process_vm_readv(self->child, &local, 1, &remote, 1, 0))
		TH_LOG("process_vm_readv: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(self->r.map, buf, XFER_BYTES));
}

FIXTURE(odirect) {
	struct region src, dst;
	int dev;
	int loaded_brd;		/* we loaded brd and unload it in teardown */
};

FIXTURE_SETUP(odirect)
{
	region_init(&self->src);
	region_init(&self->dst);
	self->dev = -1;
}

FIXTURE_TEARDOWN(odirect)
{
	if (self->dev >= 0)
		close(self->dev);
	if (self->loaded_brd)
		syscall(SYS_delete_module, "brd", O_NONBLOCK);
	region_destroy(&self->src);
	region_destroy(&self->dst);
}

/* tmpfs has no O_DIRECT in 6.1: use a RAM disk block device (brd). */
static int open_ramdisk(int *loaded)
{
	int fd;

	if (!path_exists("/sys/module/brd")) {
		if (system("modprobe brd rd_nr=1 rd_size=1024 >/dev/null 2>&1"))
			return -ENODEV;
		*loaded = 1;
	}
	fd = open(RAMDISK, O_RDWR | O_DIRECT | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * O_DIRECT I/O pins shmbus pages: write a device from one region's mapping,
 * read it back into another's, and the data round-trips.
 */
TEST_F(odirect, write_and_read_back_between_regions)
{
	ASSERT_EQ(0, region_create(&self->src, "odirect-src", XFER_BYTES));
	ASSERT_EQ(0, region_create(&self->dst, "odirect-dst", XFER_BYTES));
	self->dev = open_ramdisk(&self->loaded_brd);
	if (self->dev < 0)
		SKIP(return, "no O_DIRECT block device %s: %s", RAMDISK,
		     strerror(-self->dev));
	fill_pattern(self->src.map, XFER_BYTES, getpid());
	ASSERT_EQ(XFER_BYTES, pwrite(self->dev, self->src.map, XFER_BYTES, 0))
		TH_LOG("O_DIRECT write: %s", strerror(errno));
	ASSERT_EQ(XFER_BYTES, pread(self->dev, self->dst.map, XFER_BYTES, 0))
		TH_LOG("O_DIRECT read: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(self->src.map, self->dst.map, XFER_BYTES));
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], FUTEX_WAITER))
		return futex_waiter_main(argv[2], argv[3]);
	return test_harness_run(argc, argv);
}
