// SPDX-License-Identifier: MIT
/*
 * Two unrelated processes share a named region through libshmbus:
 *
 *   region write NAME TEXT   create NAME (mode 0600), store TEXT, keep it
 *   region read NAME         open NAME read-only, print TEXT, unlink NAME
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <shmbus.h>

/* Report a libshmbus error (-errno) as perror() would. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(-err));
	return 1;
}

int main(int argc, char **argv)
{
	struct shmbus_region *r;
	void *p;
	int ret;

	if (argc == 4 && !strcmp(argv[1], "write")) {
		ret = shmbus_region_open(argv[2], 4096,
					 SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600, &r);
		if (ret)
			return fail("bind", ret);
		ret = shmbus_region_map(r, 0, 4096, PROT_READ | PROT_WRITE, &p);
		if (ret)
			return fail("mmap", ret);
		snprintf(p, 4096, "%s", argv[3]);
		shmbus_region_close(r);
		return 0;	/* the linked name keeps the region alive */
	}
	if (argc == 3 && !strcmp(argv[1], "read")) {
		ret = shmbus_region_open(argv[2], 0, SHMBUS_BIND_RDONLY, 0600, &r);
		if (ret)
			return fail("bind", ret);
		ret = shmbus_region_map(r, 0, 4096, PROT_READ, &p);
		if (ret)
			return fail("mmap", ret);
		printf("%s\n", (const char *)p);
		ret = shmbus_region_unlink(r);
		shmbus_region_close(r);
		return ret ? fail("unlink", ret) : 0;
	}
	fprintf(stderr, "usage: %s write NAME TEXT | read NAME\n", argv[0]);
	return 2;
}
