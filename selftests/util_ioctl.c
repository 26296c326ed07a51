// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' region helpers over libshmbus's handle layer (each a
 * result or -errno), the raw ioctl() for ABI checks, and the regions a test
 * made, for its teardown.  See util.h.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

/* ---- Regions ---- */

int shmbus_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int shmbus_dev_open(int oflags)
{
	int fd = open(SHMBUS_DEV, oflags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void shmbus_bind_init(struct shmbus_bind *b, const char *name, __u64 size,
		      __u32 flags, __u32 mode)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->size = size;
	b->flags = flags;
	b->mode = mode;
}

int shmbus_bind_new(int oflags, struct shmbus_bind *b)
{
	int fd = shmbus_dev_open(oflags), ret;

	if (fd < 0)
		return fd;
	ret = shmbus_bind(fd, b);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int shmbus_bind_result(int oflags, struct shmbus_bind *b)
{
	int fd = shmbus_bind_new(oflags, b);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int shmbus_try_bind(const char *name, __u64 size, __u32 flags, __u32 mode)
{
	struct shmbus_bind b;

	shmbus_bind_init(&b, name, size, flags, mode);
	return shmbus_bind_result(O_RDWR, &b);
}

int shmbus_open_bound(const char *name, __u64 size, __u32 flags, __u32 mode)
{
	struct shmbus_bind b;

	shmbus_bind_init(&b, name, size, flags, mode);
	return shmbus_bind_new(O_RDWR, &b);
}

/* BIND a new O_RDWR handle, into *@b if not NULL: fd or -errno. */
static int bind_rw(const char *name, __u64 size, __u32 flags, __u32 mode,
		   struct shmbus_bind *b)
{
	struct shmbus_bind local;

	if (!b)
		b = &local;
	shmbus_bind_init(b, name, size, flags, mode);
	return shmbus_bind_new(O_RDWR, b);
}

int shmbus_create(const char *name, __u64 size, struct shmbus_bind *b)
{
	return bind_rw(name, size, SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600, b);
}

int shmbus_anon_region(__u64 size, struct shmbus_bind *b)
{
	return bind_rw("", size, SHMBUS_BIND_CREATE, 0600, b);
}

int shmbus_open_region(const char *name, __u32 flags, struct shmbus_bind *b)
{
	return bind_rw(name, 0, flags, 0, b);
}

void shmbus_unique_name(char *name, const char *tag)
{
	snprintf(name, SHMBUS_NAME_MAX, "%s-%d", tag, (int)getpid());
}

int region_info(int fd, struct shmbus_info *info)
{
	memset(info, 0xff, sizeof(*info));
	return shmbus_info(fd, info);
}

__u64 region_id_of(int fd)
{
	struct shmbus_info info;

	return region_info(fd, &info) ? 0 : info.id;
}

long long shmbus_nr_handles(int fd)
{
	struct shmbus_info info;
	int ret = region_info(fd, &info);

	return ret ? ret : (long long)info.handles;
}

long long shmbus_nr_mappings(int fd)
{
	struct shmbus_info info;
	int ret = region_info(fd, &info);

	return ret ? ret : (long long)info.mappings;
}

long long shmbus_nr_waiters(int fd)
{
	struct shmbus_info info;
	int ret = region_info(fd, &info);

	return ret ? ret : (long long)info.waiters;
}

long long shmbus_nr_pages(int fd)
{
	struct shmbus_info info;
	int ret = region_info(fd, &info);

	return ret ? ret : (long long)info.pages;
}

int await_waiters(int fd, unsigned int n, int timeout_ms)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	long long waiters;

	while ((waiters = shmbus_nr_waiters(fd)) != n) {
		if (waiters < 0)
			return waiters;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	return 0;
}

int shmbus_unlink_req(const struct shmbus_unlink *req)
{
	int fd = shmbus_dev_open(O_RDWR), ret;

	if (fd < 0)
		return fd;
	ret = shmbus_ioctl(fd, SHMBUS_IOC_UNLINK, (void *)req);
	close(fd);
	return ret;
}

/* ---- Words ---- */

int shmbus_wait_word(int fd, __u64 offset, __u32 expected, __u64 timeout_ns)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
		.flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = timeout_ns,
	};

	return shmbus_wait(fd, &w);
}

/* ---- Regions a test made ---- */

const char *track_name(struct tracked *t, const char *tag)
{
	char *name;

	if (t->nr_names == MAX_TRACKED)
		abort();
	name = t->names[t->nr_names++];
	shmbus_unique_name(name, tag);
	return name;
}

int bind_tracked(struct tracked *t, const char *name, __u64 size,
		 __u32 flags, __u32 mode)
{
	int fd = shmbus_open_bound(name, size, flags, mode);

	if (fd >= 0) {
		if (t->nr_fds == MAX_TRACKED)
			abort();
		t->fds[t->nr_fds++] = fd;
	}
	return fd;
}

int create_region(struct tracked *t, const char *name, __u64 size,
		  __u32 mode)
{
	return bind_tracked(t, name, size,
			    SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, mode);
}

void release_tracked(struct tracked *t)
{
	while (t->nr_fds)
		close(t->fds[--t->nr_fds]);
	while (t->nr_names)
		shmbus_unlink(t->names[--t->nr_names]);
}

int probe(const char *name, __u32 flags)
{
	return shmbus_try_bind(name, 0, flags, 0);
}
