/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin helpers for the tests of libshmbus's primitives (lib_*_test.c): an
 * anonymous region mapped read-write, absolute deadlines, the size of a
 * stress loop, and the one-byte pipe messages and watchdogs with which a
 * test and its children take turns.
 *
 * Children are started with util.h's spawn() and exit with a small status:
 * 0 for success, else the number of the step that went wrong (the test
 * logs it).  Each child arms lib_child_watchdog() so that a lost wake-up
 * ends it (SIGALRM, seen by reap()) instead of hanging the test, and dies
 * with the test if an assertion ends the test first.
 */
#ifndef SHMBUS_SELFTEST_LIB_UTIL_H
#define SHMBUS_SELFTEST_LIB_UTIL_H

#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "util.h"

/* How long a child may live, and how long a test waits for one step of another party. */
#define LIB_WATCHDOG_S		120
#define LIB_WATCHDOG_MS		(LIB_WATCHDOG_S * 1000)

#define LIB_RW			(PROT_READ | PROT_WRITE)

/* An anonymous region and a read-write mapping of all of it. */
struct lib_region {
	struct shmbus_region *r;
	void *map;
	size_t size;
};

/* Create an anonymous region of at least @size bytes and map it: 0 or -errno. */
static inline int lib_region_open(struct lib_region *lr, size_t size)
{
	size_t page = page_size();
	int ret;

	lr->map = NULL;
	lr->size = (size + page - 1) / page * page;
	ret = shmbus_region_open(NULL, lr->size, SHMBUS_BIND_CREATE, 0600, &lr->r);
	if (ret) {
		lr->r = NULL;
		return ret;
	}
	ret = shmbus_region_map(lr->r, 0, 0, LIB_RW, &lr->map);
	if (ret) {
		shmbus_region_close(lr->r);
		lr->r = NULL;
		lr->map = NULL;
	}
	return ret;
}

/* Close what lib_region_open() made (nothing if it failed or already closed). */
static inline void lib_region_close(struct lib_region *lr)
{
	if (lr->r)
		shmbus_region_close(lr->r);
	lr->r = NULL;
	lr->map = NULL;
}

/* The region's fd, for INFO's sleeper count (await_waiters()). */
static inline int lib_region_fd(const struct lib_region *lr)
{
	return shmbus_region_fd(lr->r);
}

/* @full under SHMBUS_STRESS=1 (stock and rt lanes, the default), else @reduced. */
static inline unsigned long lib_rounds(unsigned long full, unsigned long reduced)
{
	return shmbus_env_number("SHMBUS_STRESS", 1) ? full : reduced;
}

/* The time @delta_ns (may be negative) from now on @clock. */
static inline struct timespec lib_deadline(clockid_t clock, long long delta_ns)
{
	struct timespec ts;
	long long ns;

	clock_gettime(clock, &ts);
	ns = ts.tv_nsec + delta_ns % (long long)NSEC_PER_SEC;
	ts.tv_sec += delta_ns / (long long)NSEC_PER_SEC;
	if (ns < 0) {
		ns += NSEC_PER_SEC;
		ts.tv_sec--;
	} else if (ns >= (long long)NSEC_PER_SEC) {
		ns -= NSEC_PER_SEC;
		ts.tv_sec++;
	}
	ts.tv_nsec = ns;
	return ts;
}

/* Whether @clock reads @t or later now. */
static inline bool lib_reached(clockid_t clock, const struct timespec *t)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* A short wait for a timed call that must time out (not a measurement). */
#define LIB_SHORT_NS		(20 * NSEC_PER_MSEC)

/* ---- Children ---- */

/* In a child: die with the test (an assertion there), and by SIGALRM after @seconds. */
static inline void lib_child_watchdog(unsigned int seconds)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(seconds);
}

/* reap() a child that should end by itself, within the watchdog. */
static inline int lib_reap(pid_t pid)
{
	return reap(pid, LIB_WATCHDOG_MS, NULL);
}

/* Two pipes between a test and its children: @up to the test, @down to the children. */
struct lib_pipes {
	int up[2];
	int down[2];
};

/* Open both pipes: 0, or -errno with every fd -1. */
static inline int lib_pipes_open(struct lib_pipes *p)
{
	int ret = 0;

	p->up[0] = p->up[1] = p->down[0] = p->down[1] = -1;
	if (pipe2(p->up, O_CLOEXEC) || pipe2(p->down, O_CLOEXEC)) {
		ret = -errno;
		if (p->up[0] >= 0) {
			close(p->up[0]);
			close(p->up[1]);
		}
		p->up[0] = p->up[1] = p->down[0] = p->down[1] = -1;
	}
	return ret;
}

/* Close what is still open of @p. */
static inline void lib_pipes_close(struct lib_pipes *p)
{
	int *fds[] = { &p->up[0], &p->up[1], &p->down[0], &p->down[1] };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/*
 * In the test, once the children are forked: keep only its own ends, so
 * that a dead child reads as EOF.
 */
static inline void lib_pipes_test_side(struct lib_pipes *p)
{
	close(p->up[1]);
	close(p->down[0]);
	p->up[1] = -1;
	p->down[0] = -1;
}

/* Send one byte on @fd: 0 or -errno. */
static inline int lib_tell(int fd)
{
	char c = 1;

	return write(fd, &c, 1) == 1 ? 0 : -errno;
}

/* Receive one byte on @fd within the watchdog: 0, -ETIMEDOUT, -EPIPE (no writer left) or -errno. */
static inline int lib_hear(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	char c;
	int ret;

	do
		ret = poll(&pfd, 1, LIB_WATCHDOG_MS);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = read(fd, &c, 1);
	return n == 1 ? 0 : n == 0 ? -EPIPE : -errno;
}

/*
 * A child that takes an object (@take: 0 once it holds it), tells the test,
 * and holds it until lib_holder_release(), then gives it back (@give, if
 * any).  Its exit status: 0, or the step that failed.
 */
struct lib_holder {
	int (*take)(void *obj);
	int (*give)(void *obj);
	void *obj;
	struct lib_pipes pipes;
	pid_t pid;
};

static inline int lib_holder_main(void *arg)
{
	struct lib_holder *h = arg;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (h->take(h->obj))
		return 1;
	if (lib_tell(h->pipes.up[1]))
		return 2;
	if (lib_hear(h->pipes.down[0]))
		return 3;
	if (h->give && h->give(h->obj))
		return 4;
	return 0;
}

/* Start a holder of @obj and return once it holds it: 0 or -errno. */
static inline int lib_holder_start(struct lib_holder *h, int (*take)(void *),
				   int (*give)(void *), void *obj)
{
	int ret;

	h->take = take;
	h->give = give;
	h->obj = obj;
	ret = lib_pipes_open(&h->pipes);
	if (ret)
		return ret;
	h->pid = spawn(lib_holder_main, h);
	if (h->pid < 0) {
		lib_pipes_close(&h->pipes);
		return h->pid;
	}
	lib_pipes_test_side(&h->pipes);
	return lib_hear(h->pipes.up[0]);
}

/* Let the holder give the object back and exit: its exit status, or -errno. */
static inline int lib_holder_release(struct lib_holder *h)
{
	int ret = lib_tell(h->pipes.down[1]);

	if (!ret)
		ret = lib_reap(h->pid);
	lib_pipes_close(&h->pipes);
	return ret;
}

/* Kill @pid (a spawn()ed child) and reap it: its handles are released on return. */
static inline int lib_kill(pid_t pid)
{
	if (kill(pid, SIGKILL))
		return -errno;
	return reap(pid, REAP_FOREVER, NULL) == REAP_SIGNALED(SIGKILL) ? 0 : -ECHILD;
}

/* Kill the holder while it holds the object: 0, or -errno. */
static inline int lib_holder_kill(struct lib_holder *h)
{
	int ret = lib_kill(h->pid);

	lib_pipes_close(&h->pipes);
	return ret;
}

/* ---- Threads ---- */

struct lib_thread_call {
	struct shmbus_mutex *m;
	int (*call)(struct shmbus_mutex *m);
	int ret;
};

static inline void *lib_thread_call_main(void *arg)
{
	struct lib_thread_call *tc = arg;

	tc->ret = tc->call(tc->m);
	return NULL;
}

/* What @call(@m) returns when another thread of this process makes it (-EAGAIN: no thread). */
static inline int lib_other_thread(struct shmbus_mutex *m, int (*call)(struct shmbus_mutex *))
{
	struct lib_thread_call tc = { .m = m, .call = call, .ret = -ENOSYS };
	pthread_t t;

	if (pthread_create(&t, NULL, lib_thread_call_main, &tc))
		return -EAGAIN;
	pthread_join(t, NULL);
	return tc.ret;
}

/* Variants of FIXTURE(@f), one per clock the timed calls accept: variant->clock. */
#define LIB_CLOCK_VARIANTS(f)						\
	FIXTURE_VARIANT(f) { clockid_t clock; };			\
	FIXTURE_VARIANT_ADD(f, monotonic) { .clock = CLOCK_MONOTONIC };	\
	FIXTURE_VARIANT_ADD(f, realtime) { .clock = CLOCK_REALTIME };	\
	FIXTURE_VARIANT_ADD(f, boottime) { .clock = CLOCK_BOOTTIME }

#endif /* SHMBUS_SELFTEST_LIB_UTIL_H */
