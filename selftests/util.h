/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmbus selftests.
 */
#ifndef SHMBUS_SELFTEST_UTIL_H
#define SHMBUS_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* Write @text to the file at @path: 0 or -errno. */
static inline int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* A module parameter's value, or -1 if the module has no such parameter. */
static inline long long shmbus_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SHMBUS_SYSMOD "/parameters/%s", name);
	return read_number(path);
}

/* Set a module parameter (root only): 0 or -errno. */
static inline int shmbus_set_param(const char *name, long long value)
{
	char path[128], text[32];

	snprintf(path, sizeof(path), SHMBUS_SYSMOD "/parameters/%s", name);
	snprintf(text, sizeof(text), "%lld\n", value);
	return write_text(path, text);
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

/* Helpers on regions (perm_test, interop_test). */
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <linux/shmbus.h>

/* The flags of the ABI these tests check (the module keeps its masks private). */
#define BIND_FLAGS_KNOWN	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL | SHMBUS_BIND_RDONLY)
#define WAIT_FLAGS_KNOWN	(SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE | \
				 SHMBUS_WAIT_CLOCK_MASK)

/* Stay root but give up capability @cap in all sets: 0 or -1. */
static inline int shmbus_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	const int i = CAP_TO_INDEX(cap);
	const __u32 mask = CAP_TO_MASK(cap);

	if (syscall(SYS_capget, &hdr, caps))
		return -1;
	caps[i].effective &= ~mask;
	caps[i].permitted &= ~mask;
	caps[i].inheritable &= ~mask;
	return syscall(SYS_capset, &hdr, caps);
}

/* Does /proc/shmbus/regions, as this process reads it, list @name? */
static inline int shmbus_regions_lists(const char *name)
{
	char line[512], field[SHMBUS_NAME_MAX];
	FILE *f = fopen(SHMBUS_REGIONS, "re");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %63s", field) == 1 && !strcmp(field, name))
			found = 1;
	fclose(f);
	return found;
}

/*
 * Children a fixture forked, in @pids[@n] (0: a free slot), so that its
 * teardown can kill whatever is left.  Track: 0, or -1 (no room: the child
 * is killed and reaped at once).
 */
static inline int shmbus_track_child(pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pids[i] <= 0) {
			pids[i] = pid;
			return 0;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static inline void shmbus_forget_child(pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			pids[i] = 0;
}

/* SIGKILL a tracked child and reap it (its handles are released when this returns). */
static inline int shmbus_kill_child(pid_t *pids, int n, pid_t pid)
{
	int ret = kill(pid, SIGKILL) || waitpid(pid, NULL, 0) != pid ? -1 : 0;

	shmbus_forget_child(pids, n, pid);
	return ret;
}

/* A region name unique to this process: "TAG-PID". */
static inline void shmbus_unique_name(char *name, const char *tag)
{
	snprintf(name, SHMBUS_NAME_MAX, "%s-%d", tag, (int)getpid());
}

/* A new handle bound to the region @name: the fd, or -errno. */
static inline int shmbus_open_bound(const char *name, __u64 size, __u32 flags,
				    __u32 mode)
{
	struct shmbus_bind bind = { .size = size, .flags = flags, .mode = mode };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	snprintf(bind.name, sizeof(bind.name), "%s", name);
	if (!ioctl(fd, SHMBUS_IOC_BIND, &bind))
		return fd;
	err = -errno;
	close(fd);
	return err;
}

/* A handle bound to a new anonymous region of @size bytes, or -errno. */
static inline int shmbus_anon_region(__u64 size)
{
	return shmbus_open_bound("", size, SHMBUS_BIND_CREATE, 0600);
}

/*
 * SHMBUS_IOC_INFO into a buffer poisoned with 0xff, so a field the module
 * forgets to fill shows: 0 or -errno.
 */
static inline int shmbus_region_info(int fd, struct shmbus_info *info)
{
	memset(info, 0xff, sizeof(*info));
	return ioctl(fd, SHMBUS_IOC_INFO, info) ? -errno : 0;
}

/* SHMBUS_IOC_UNLINK of @req through a fresh unbound handle: 0 or -errno. */
static inline int shmbus_unlink_req(const struct shmbus_unlink *req)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SHMBUS_IOC_UNLINK, req) ? -errno : 0;
	close(fd);
	return ret;
}

/* SHMBUS_IOC_UNLINK of @name in the caller's namespace: 0 or -errno. */
static inline int shmbus_unlink_name(const char *name)
{
	struct shmbus_unlink req = { .name = "" };

	snprintf(req.name, sizeof(req.name), "%s", name);
	return shmbus_unlink_req(&req);
}

/*
 * SHMBUS_IOC_WAIT on the word at @offset while it holds @expected, for at
 * most @timeout_ns (relative, CLOCK_MONOTONIC): 0 (woken) or -errno.
 */
static inline int shmbus_wait_word(int fd, __u64 offset, __u32 expected, __u64 timeout_ns)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
		.flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = timeout_ns,
	};

	return ioctl(fd, SHMBUS_IOC_WAIT, &w) ? -errno : 0;
}

/* Seeded tests (fuzz, faultinject, chaos): xorshift64*; the state is never 0. */
static inline unsigned long long shmbus_rand(unsigned long long *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* A number from the environment (decimal, 0x hex or 0 octal), else @def. */
static inline unsigned long long shmbus_env_number(const char *name, unsigned long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

#endif /* SHMBUS_SELFTEST_UTIL_H */
