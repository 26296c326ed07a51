// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the shmbus selftests: paths, time, children, file
 * descriptors, data, identities and other users.  See util.h for what each
 * does; the ioctl wrappers, the actors and the tenants have files of
 * their own (util_*.c).
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

/* ---- Paths, sysfs and /proc ---- */

bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ret = 0;
	ssize_t len = strlen(text), n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if (n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

long long read_number(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

long long shmbus_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), SHMBUS_SYSMOD "/parameters/%s", name);
	return read_number(path);
}

int shmbus_set_param(const char *name, long long value)
{
	char path[128], text[32];

	snprintf(path, sizeof(path), SHMBUS_SYSMOD "/parameters/%s", name);
	snprintf(text, sizeof(text), "%lld\n", value);
	return write_text(path, text);
}

long long shmbus_stat(const char *key)
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

long long shmbus_all_regions(void)
{
	long long all = shmbus_stat("all_regions");

	return all >= 0 ? all : shmbus_stat("regions");
}

int shmbus_regions_lists(const char *name)
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

const char *shmbus_ko(void)
{
	const char *ko = getenv("SHMBUS_KO");

	return ko && *ko ? ko : NULL;
}

int shmbus_unload(void)
{
	return syscall(SYS_delete_module, "shmbus", O_NONBLOCK) ? -errno : 0;
}

int shmbus_load(void)
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

void shmbus_ensure_loaded(void)
{
	if (!path_exists(SHMBUS_SYSMOD))
		shmbus_load();
}

unsigned long long shmbus_env_number(const char *name, unsigned long long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* ---- Time ---- */

unsigned long long now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void sleep_ns(unsigned long long ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	nanosleep(&ts, NULL);
}

void sleep_ms(unsigned int ms)
{
	sleep_ns(ms * NSEC_PER_MSEC);
}

/* ---- Children ---- */

/* The children spawn() started and reap() has not collected (0: free). */
static pid_t spawned[SPAWN_MAX];

static void forget_spawned(pid_t pid)
{
	int i;

	for (i = 0; i < SPAWN_MAX; i++)
		if (spawned[i] == pid)
			spawned[i] = 0;
}

pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int i;

	for (i = 0; i < SPAWN_MAX && spawned[i] > 0; i++)
		;
	if (i == SPAWN_MAX)
		return -ENOSPC;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		memset(spawned, 0, sizeof(spawned));
		_exit(fn(arg));
	}
	spawned[i] = pid;
	return pid;
}

int reap(pid_t pid, int timeout_ms, pid_t *reaped)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	int status;
	pid_t ret;

	if (timeout_ms < 0) {
		do
			ret = waitpid(pid, &status, 0);
		while (ret < 0 && errno == EINTR);
	} else {
		while (!(ret = waitpid(pid, &status, WNOHANG))) {
			if (now_ns(CLOCK_MONOTONIC) > end) {
				if (pid > 0) {
					kill(pid, SIGKILL);
					waitpid(pid, &status, 0);
					forget_spawned(pid);
				}
				return -ETIMEDOUT;
			}
			sleep_ms(1);
		}
	}
	if (ret < 0)
		return -errno;
	forget_spawned(ret);
	if (reaped)
		*reaped = ret;
	return WIFEXITED(status) ? WEXITSTATUS(status) : REAP_SIGNALED(WTERMSIG(status));
}

bool child_running(pid_t pid)
{
	if (!waitpid(pid, NULL, WNOHANG))
		return true;
	forget_spawned(pid);
	return false;
}

void kill_children(void)
{
	int i;

	for (i = 0; i < SPAWN_MAX; i++) {
		if (spawned[i] <= 0)
			continue;
		kill(spawned[i], SIGKILL);
		waitpid(spawned[i], NULL, 0);
		spawned[i] = 0;
	}
}

int shmbus_track_child(pid_t *pids, int n, pid_t pid)
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

pid_t shmbus_fork_tracked(pid_t *pids, int n)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0 && shmbus_track_child(pids, n, pid))
		return -ENOSPC;
	return pid;
}

void shmbus_kill_tracked(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		pids[i] = 0;
	}
}

void shmbus_forget_child(pid_t *pids, int n, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			pids[i] = 0;
}

int shmbus_kill_child(pid_t *pids, int n, pid_t pid)
{
	int ret = kill(pid, SIGKILL) || waitpid(pid, NULL, 0) != pid ? -1 : 0;

	shmbus_forget_child(pids, n, pid);
	return ret;
}

/* ---- File descriptors ---- */

int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;

	memset(&ctl, 0, sizeof(ctl));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	switch (sendmsg(sock, &msg, 0)) {
	case 1:
		return 0;
	case -1:
		return -errno;
	default:
		return -EIO;
	}
}

int recv_fd(int sock)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n != 1)
		return -ENODATA;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

int fdinfo_value(int fd, const char *key, char *val, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v = line + klen;

		if (strncmp(line, key, klen) || *v != ':')
			continue;
		v++;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(val, len, "%s", v);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* ---- Data ---- */

size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static unsigned char pattern_byte(size_t i, unsigned int seed)
{
	return (unsigned char)(i * 13 + (i >> 12) * 7 + seed * 101 + 1);
}

void fill_pattern(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = pattern_byte(i, seed);
}

long check_pattern(const void *p, size_t len, unsigned int seed)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != pattern_byte(i, seed))
			return i;
	return -1;
}

long find_nonzero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return i;
	return -1;
}

void *map_shared(int fd, size_t len, int prot, off_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, off);
}

int mmap_result(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

/* ---- Identities and namespaces ---- */

int shmbus_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
	const int i = CAP_TO_INDEX(cap);
	const __u32 mask = CAP_TO_MASK(cap);

	if (syscall(SYS_capget, &hdr, caps))
		return -errno;
	caps[i].effective &= ~mask;
	caps[i].permitted &= ~mask;
	caps[i].inheritable &= ~mask;
	return syscall(SYS_capset, &hdr, caps) ? -errno : 0;
}

int in_new_ipc_ns(void)
{
	return unshare(CLONE_NEWIPC) ? -errno : 0;
}

long long settle_regions(long long want, int timeout_ms)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + timeout_ms * NSEC_PER_MSEC;
	long long now = shmbus_all_regions();

	while (now > want && now_ns(CLOCK_MONOTONIC) < end) {
		sleep_ms(100);
		now = shmbus_all_regions();
	}
	return now;
}

/* ---- Seeded randomness ---- */

unsigned long long shmbus_rand(unsigned long long *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* ---- Other users ---- */

int set_ids(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

int as_nobody(void)
{
	return set_ids(NOBODY, NOBODY);
}

/* What a child of spawn_as() runs. */
struct as_child {
	int (*prepare)(void);
	int (*fn)(void *arg);
	void *arg;
};

static int as_child_main(void *arg)
{
	struct as_child *c = arg;
	int ret = c->prepare();

	if (ret) {
		fprintf(stderr, "# child setup: %s\n", strerror(-ret));
		return CHILD_BROKEN;
	}
	return c->fn(c->arg);
}

pid_t spawn_as(int (*prepare)(void), int (*fn)(void *), void *arg)
{
	struct as_child c = { .prepare = prepare, .fn = fn, .arg = arg };

	return spawn(as_child_main, &c);
}
