// SPDX-License-Identifier: MIT
/*
 * Two unrelated processes share a named region using only the uapi:
 *
 *   region write NAME TEXT   create NAME (mode 0600), store TEXT, keep it
 *   region read NAME         open NAME read-only, print TEXT, unlink NAME
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/shmbus.h>

static int bind_region(const char *name, __u32 flags, __u64 size)
{
	struct shmbus_bind b = { .size = size, .flags = flags, .mode = 0600 };
	int fd = open("/dev/shmbus", flags & SHMBUS_BIND_RDONLY ? O_RDONLY : O_RDWR);

	if (fd < 0)
		return -1;
	snprintf(b.name, sizeof(b.name), "%s", name);
	if (ioctl(fd, SHMBUS_IOC_BIND, &b)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct shmbus_unlink u = { 0 };
	char *p;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "write")) {
		fd = bind_region(argv[2], SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 4096);
		if (fd < 0)
			return perror("bind"), 1;
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return perror("mmap"), 1;
		snprintf(p, 4096, "%s", argv[3]);
		return 0;	/* the linked name keeps the region alive */
	}
	if (argc == 3 && !strcmp(argv[1], "read")) {
		fd = bind_region(argv[2], SHMBUS_BIND_RDONLY, 0);
		if (fd < 0)
			return perror("bind"), 1;
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return perror("mmap"), 1;
		printf("%s\n", p);
		snprintf(u.name, sizeof(u.name), "%s", argv[2]);
		return ioctl(fd, SHMBUS_IOC_UNLINK, &u) ? perror("unlink"), 1 : 0;
	}
	fprintf(stderr, "usage: %s write NAME TEXT | read NAME\n", argv[0]);
	return 2;
}
