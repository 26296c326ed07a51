/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmbus selftests.
 */
#ifndef SHMBUS_SELFTEST_UTIL_H
#define SHMBUS_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SHMBUS_DEV "/dev/shmbus"
#define SHMBUS_SYSMOD "/sys/module/shmbus"
#define SHMBUS_STATS "/proc/shmbus/stats"
#define SHMBUS_REGIONS "/proc/shmbus/regions"

static inline int path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Read a whole small file into buf (NUL-terminated); -errno on failure. */
static inline int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Read one unsigned decimal number from a file; -1 on failure. */
static inline long long read_number(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* One counter of /proc/shmbus/stats ("key value" lines); -1 on failure. */
static inline long long shmbus_stat(const char *key)
{
	char line[128], k[64];
	long long value, ret = -1;
	FILE *f = fopen(SHMBUS_STATS, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", k, &value) == 2 && !strcmp(k, key)) {
			ret = value;
			break;
		}
	fclose(f);
	return ret;
}

/* The module file the guest runner loaded, or NULL outside the runner. */
static inline const char *shmbus_ko(void)
{
	const char *ko = getenv("SHMBUS_KO");

	return ko && *ko ? ko : NULL;
}

static inline int shmbus_unload(void)
{
	return syscall(SYS_delete_module, "shmbus", O_NONBLOCK) ? -errno : 0;
}

static inline int shmbus_load(void)
{
	const char *ko = shmbus_ko();
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* Make sure the module is loaded again, whatever a test did to it. */
static inline void shmbus_ensure_loaded(void)
{
	if (!path_exists(SHMBUS_SYSMOD))
		shmbus_load();
}

#endif /* SHMBUS_SELFTEST_UTIL_H */
