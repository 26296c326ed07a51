// SPDX-License-Identifier: MIT
/*
 * A counter shared by unrelated processes under a robust shmbus mutex.
 *
 *   counter init NAME       create region NAME holding a counter at 0
 *   counter add NAME N      add 1, N times, each under the mutex
 *   counter hold NAME       lock, start an update, print "holding", sleep
 *                           (kill it: the next locker repairs the update)
 *   counter show NAME       print the count and unlink NAME
 *
 * An update first records the value it started from (@undo), so whoever
 * takes the mutex from a dead owner (-EOWNERDEAD) can roll back a half-done
 * update and call shmbus_mutex_consistent(): the count stays exact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <shmbus.h>

struct counter {
	struct shmbus_mutex lock;
	uint64_t value;
	uint64_t undo;		/* value before the update in progress */
	uint32_t updating;	/* an update is in progress */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "counter: %s: %s\n", what, strerror(-err));
	return 1;
}

static int attach(const char *name, uint32_t flags, struct shmbus_region **r,
		  struct counter **c)
{
	void *p;
	int ret;

	ret = shmbus_region_open(name, 4096, flags, 0600, r);
	if (ret)
		return fail("open", ret);
	ret = shmbus_region_map(*r, 0, 0, PROT_READ | PROT_WRITE, &p);
	if (ret)
		return fail("map", ret);
	*c = p;
	return 0;
}

/* Lock, repairing what a dead owner left: 0 or -errno. */
static int lock(struct counter *c)
{
	int ret = shmbus_mutex_lock(&c->lock);

	if (ret != -EOWNERDEAD)
		return ret;
	if (c->updating) {
		printf("pid %d: the holder died mid-update; rolled the count back from %llu to %llu\n",
		       (int)getpid(), (unsigned long long)c->value,
		       (unsigned long long)c->undo);
		c->value = c->undo;
		c->updating = 0;
	}
	return shmbus_mutex_consistent(&c->lock);
}

static void increment(struct counter *c)
{
	c->undo = c->value;
	c->updating = 1;
	c->value++;
	c->updating = 0;
}

static int add(struct shmbus_region *r, struct counter *c, unsigned long n)
{
	struct shmbus_calls calls;
	unsigned long i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = lock(c);
		if (ret)
			return fail("lock", ret);
		increment(c);
		ret = shmbus_mutex_unlock(&c->lock);
		if (ret)
			return fail("unlock", ret);
	}
	ret = shmbus_region_calls(r, &calls);
	if (ret)
		return fail("calls", ret);
	printf("pid %d: %lu increments, kernel entered %llu times (%llu waits, %llu wakes)\n",
	       (int)getpid(), n, (unsigned long long)(calls.waits + calls.wakes),
	       (unsigned long long)calls.waits, (unsigned long long)calls.wakes);
	return 0;
}

static int hold(struct counter *c)
{
	int ret = lock(c);

	if (ret)
		return fail("lock", ret);
	c->undo = c->value;
	c->updating = 1;
	c->value += 1000;	/* half-done: never committed */
	printf("pid %d: holding the lock in the middle of an update\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct shmbus_region *r;
	struct counter *c;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "init")) {
		if (attach(argv[2], SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, &r, &c))
			return 1;
		ret = shmbus_mutex_init(&c->lock);
		return ret ? fail("init", ret) : 0;
	}
	if (argc < 3)
		goto usage;
	if (attach(argv[2], 0, &r, &c))
		return 1;
	if (argc == 4 && !strcmp(argv[1], "add"))
		return add(r, c, strtoul(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(c);
	if (argc == 3 && !strcmp(argv[1], "show")) {
		ret = lock(c);
		if (ret)
			return fail("lock", ret);
		printf("count: %llu\n", (unsigned long long)c->value);
		shmbus_mutex_unlock(&c->lock);
		ret = shmbus_region_unlink(r);
		return ret ? fail("unlink", ret) : 0;
	}
usage:
	fprintf(stderr, "usage: counter init|add|hold|show NAME [N]\n");
	return 2;
}
