// SPDX-License-Identifier: MIT
/*
 * A doorbell between two unrelated processes, using only the uapi:
 *
 *   doorbell wait NAME    create NAME if needed, sleep until its word 0 is
 *                         non-zero, print it, unlink NAME
 *   doorbell ring NAME V  store V in word 0 of NAME and wake the sleeper
 *
 * The waiter never maps the region: shmbus keys waits on (region, offset).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/shmbus.h>

static int bind_region(const char *name, __u32 flags)
{
	struct shmbus_bind b = { .size = 4096, .flags = flags, .mode = 0600 };
	int fd = open("/dev/shmbus", O_RDWR);

	if (fd < 0)
		return -1;
	snprintf(b.name, sizeof(b.name), "%s", name);
	if (ioctl(fd, SHMBUS_IOC_BIND, &b)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int wait_for_ring(const char *name)
{
	struct shmbus_wait w = { .offset = 0, .expected = 0, .bitset = SHMBUS_BITSET_ANY };
	struct shmbus_unlink u = { 0 };
	struct shmbus_info info;
	int fd = bind_region(name, SHMBUS_BIND_CREATE);

	if (fd < 0)
		return perror("bind"), 1;
	/* EAGAIN: the word is no longer 0, the bell already rang. */
	while (ioctl(fd, SHMBUS_IOC_WAIT, &w) && errno != EAGAIN)
		if (errno != EINTR)
			return perror("wait"), 1;
	if (ioctl(fd, SHMBUS_IOC_INFO, &info))
		return perror("info"), 1;
	printf("woken; the region has %llu page(s) and this process never mapped it\n",
	       (unsigned long long)info.pages);
	snprintf(u.name, sizeof(u.name), "%s", name);
	return ioctl(fd, SHMBUS_IOC_UNLINK, &u) ? perror("unlink"), 1 : 0;
}

static int ring(const char *name, unsigned int value)
{
	struct shmbus_wake k = { .offset = 0, .count = 1, .bitset = SHMBUS_BITSET_ANY };
	int fd = bind_region(name, 0), woken;
	volatile unsigned int *word;

	if (fd < 0)
		return perror("bind"), 1;
	word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (word == MAP_FAILED)
		return perror("mmap"), 1;
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
	woken = ioctl(fd, SHMBUS_IOC_WAKE, &k);
	if (woken < 0)
		return perror("wake"), 1;
	printf("rang %u, woke %d waiter(s)\n", value, woken);
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
