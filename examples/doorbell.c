// SPDX-License-Identifier: MIT
/*
 * A doorbell between two unrelated processes, through libshmbus:
 *
 *   doorbell wait NAME    create NAME if needed, sleep until its word 0 is
 *                         non-zero, print it, unlink NAME
 *   doorbell ring NAME V  store V in word 0 of NAME and wake the sleeper
 *
 * The waiter never maps the region: shmbus keys waits on (region, offset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <shmbus.h>

/* Report a libshmbus error (-errno) as perror() would. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(-err));
	return 1;
}

static int wait_for_ring(const char *name)
{
	struct shmbus_wait w = { .offset = 0, .expected = 0, .bitset = SHMBUS_BITSET_ANY };
	struct shmbus_region *r;
	struct shmbus_info info;
	int ret;

	ret = shmbus_region_open(name, 4096, SHMBUS_BIND_CREATE, 0600, &r);
	if (ret)
		return fail("bind", ret);
	/* -EAGAIN: the word is no longer 0, the bell already rang. */
	while ((ret = shmbus_wait(shmbus_region_fd(r), &w)) && ret != -EAGAIN)
		if (ret != -EINTR)
			return fail("wait", ret);
	ret = shmbus_region_info(r, &info);
	if (ret)
		return fail("info", ret);
	printf("woken; the region has %llu page(s) and this process never mapped it\n",
	       (unsigned long long)info.pages);
	ret = shmbus_region_unlink(r);
	shmbus_region_close(r);
	return ret ? fail("unlink", ret) : 0;
}

static int ring(const char *name, unsigned int value)
{
	struct shmbus_region *r;
	unsigned int *word;
	void *p;
	int ret, woken;

	ret = shmbus_region_open(name, 4096, 0, 0600, &r);
	if (ret)
		return fail("bind", ret);
	ret = shmbus_region_map(r, 0, 4096, PROT_READ | PROT_WRITE, &p);
	if (ret)
		return fail("mmap", ret);
	word = p;
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
	woken = shmbus_wake(shmbus_region_fd(r), 0, 1, SHMBUS_BITSET_ANY);
	if (woken < 0)
		return fail("wake", woken);
	printf("rang %u, woke %d waiter(s)\n", value, woken);
	shmbus_region_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return wait_for_ring(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "ring"))
		return ring(argv[2], strtoul(argv[3], NULL, 0));
	fprintf(stderr, "usage: %s wait NAME | ring NAME VALUE\n", argv[0]);
	return 2;
}
