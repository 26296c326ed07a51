// SPDX-License-Identifier: MIT
/*
 * The handle layer: one function per ioctl of <linux/shmbus.h>, each
 * returning its non-negative result or -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

static int sb_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

int shmbus_open_device(void)
{
	int fd = open(SHMBUS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int shmbus_bind(int fd, struct shmbus_bind *b)
{
	return b ? sb_ioctl(fd, SHMBUS_IOC_BIND, b) : -EFAULT;
}

int shmbus_info(int fd, struct shmbus_info *info)
{
	return info ? sb_ioctl(fd, SHMBUS_IOC_INFO, info) : -EFAULT;
}

int shmbus_unlink_ns(const char *name, uint64_t ns)
{
	struct shmbus_unlink u = { .ns = ns };
	int fd, ret;

	if (!name)
		return -EFAULT;
	if (strlen(name) >= sizeof(u.name))
		return -ENAMETOOLONG;
	strcpy(u.name, name);
	fd = shmbus_open_device();
	if (fd < 0)
		return fd;
	ret = sb_ioctl(fd, SHMBUS_IOC_UNLINK, &u);
	close(fd);
	return ret;
}

int shmbus_unlink(const char *name)
{
	return shmbus_unlink_ns(name, 0);
}

int shmbus_chmod(int fd, uint32_t mode)
{
	struct shmbus_chmod c = { .mode = mode };

	return sb_ioctl(fd, SHMBUS_IOC_CHMOD, &c);
}

int shmbus_chown(int fd, uint32_t uid, uint32_t gid)
{
	struct shmbus_chown c = { .uid = uid, .gid = gid };

	return sb_ioctl(fd, SHMBUS_IOC_CHOWN, &c);
}

int shmbus_wait(int fd, const struct shmbus_wait *w)
{
	return w ? sb_ioctl(fd, SHMBUS_IOC_WAIT, (void *)w) : -EFAULT;
}

int shmbus_wake(int fd, uint64_t offset, uint32_t count, uint32_t bitset)
{
	struct shmbus_wake k = { .offset = offset, .count = count, .bitset = bitset };

	return sb_ioctl(fd, SHMBUS_IOC_WAKE, &k);
}

int shmbus_waitv(int fd, const struct shmbus_waitv *v)
{
	return v ? sb_ioctl(fd, SHMBUS_IOC_WAITV, (void *)v) : -EFAULT;
}

int shmbus_cmp_requeue(int fd, struct shmbus_requeue *q)
{
	return q ? sb_ioctl(fd, SHMBUS_IOC_CMP_REQUEUE, q) : -EFAULT;
}

int shmbus_watch(int fd, uint64_t offset, uint32_t bitset)
{
	struct shmbus_watch w = { .offset = offset, .bitset = bitset };

	return sb_ioctl(fd, SHMBUS_IOC_WATCH, &w);
}

int shmbus_unwatch(int fd, uint64_t offset)
{
	struct shmbus_watch w = { .offset = offset };

	return sb_ioctl(fd, SHMBUS_IOC_UNWATCH, &w);
}

int shmbus_owner_id(int fd)
{
	return sb_ioctl(fd, SHMBUS_IOC_OWNER_ID, NULL);
}

int shmbus_lock_register(int fd, uint64_t offset)
{
	struct shmbus_lock_word l = { .offset = offset };

	return sb_ioctl(fd, SHMBUS_IOC_LOCK_REGISTER, &l);
}

int shmbus_lock_unregister(int fd, uint64_t offset)
{
	struct shmbus_lock_word l = { .offset = offset };

	return sb_ioctl(fd, SHMBUS_IOC_LOCK_UNREGISTER, &l);
}

int shmbus_reopen(int fd)
{
	return sb_ioctl(fd, SHMBUS_IOC_REOPEN, NULL);
}

/* The counters are lines "shmbus-waits:\tN" ... of /proc/self/fdinfo/FD. */
int shmbus_fd_calls(int fd, struct shmbus_calls *calls)
{
	static const char *const keys[] = {
		"shmbus-waits:", "shmbus-wakes:", "shmbus-waitvs:", "shmbus-requeues:",
	};
	unsigned int found = 0, i;
	char path[64], line[256];
	uint64_t *fields[4];
	FILE *f;

	if (!calls)
		return -EFAULT;
	fields[0] = &calls->waits;
	fields[1] = &calls->wakes;
	fields[2] = &calls->waitvs;
	fields[3] = &calls->requeues;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; i < 4; i++) {
			size_t n = strlen(keys[i]);

			if (!strncmp(line, keys[i], n) &&
			    sscanf(line + n, "%" SCNu64, fields[i]) == 1)
				found |= 1U << i;
		}
	}
	fclose(f);
	/* Not a shmbus handle, or a module too old to count. */
	return found == 0xf ? 0 : -ENOTTY;
}
