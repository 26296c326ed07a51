// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the shmbus selftests: see util.h for what each does.
 */
#define _GNU_SOURCE
#include <grp.h>
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

int shmbus_bind(int fd, struct shmbus_bind *b)
{
	return ioctl(fd, SHMBUS_IOC_BIND, b) ? -errno : 0;
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

int shmbus_region_info(int fd, struct shmbus_info *info)
{
	memset(info, 0xff, sizeof(*info));
	return ioctl(fd, SHMBUS_IOC_INFO, info) ? -errno : 0;
}

__u64 shmbus_region_id(int fd)
{
	struct shmbus_info info;

	return shmbus_region_info(fd, &info) ? 0 : info.id;
}

long long shmbus_nr_handles(int fd)
{
	struct shmbus_info info;
	int ret = shmbus_region_info(fd, &info);

	return ret ? ret : (long long)info.handles;
}

long long shmbus_nr_mappings(int fd)
{
	struct shmbus_info info;
	int ret = shmbus_region_info(fd, &info);

	return ret ? ret : (long long)info.mappings;
}

long long shmbus_nr_waiters(int fd)
{
	struct shmbus_info info;
	int ret = shmbus_region_info(fd, &info);

	return ret ? ret : (long long)info.waiters;
}

long long shmbus_nr_pages(int fd)
{
	struct shmbus_info info;
	int ret = shmbus_region_info(fd, &info);

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
	ret = ioctl(fd, SHMBUS_IOC_UNLINK, req) ? -errno : 0;
	close(fd);
	return ret;
}

int shmbus_unlink_name(const char *name)
{
	struct shmbus_unlink req = { .name = "" };

	snprintf(req.name, sizeof(req.name), "%s", name);
	return shmbus_unlink_req(&req);
}

int shmbus_chmod(int fd, __u32 mode)
{
	struct shmbus_chmod req = { .mode = mode };

	return ioctl(fd, SHMBUS_IOC_CHMOD, &req) ? -errno : 0;
}

int shmbus_chown(int fd, __u32 uid, __u32 gid)
{
	struct shmbus_chown req = { .uid = uid, .gid = gid };

	return ioctl(fd, SHMBUS_IOC_CHOWN, &req) ? -errno : 0;
}

/* ---- Words ---- */

int shmbus_wait(int fd, struct shmbus_wait *w)
{
	return ioctl(fd, SHMBUS_IOC_WAIT, w) ? -errno : 0;
}

int shmbus_wait_word(int fd, __u64 offset, __u32 expected, __u64 timeout_ns)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
		.flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = timeout_ns,
	};

	return shmbus_wait(fd, &w);
}

int shmbus_wake(int fd, __u64 offset, __u32 count, __u32 bitset)
{
	struct shmbus_wake k = { .offset = offset, .count = count, .bitset = bitset };

	return shmbus_ioctl(fd, SHMBUS_IOC_WAKE, &k);
}

int shmbus_waitv(int fd, struct shmbus_waitv *v)
{
	return shmbus_ioctl(fd, SHMBUS_IOC_WAITV, v);
}

int shmbus_cmp_requeue(int fd, struct shmbus_requeue *q)
{
	return shmbus_ioctl(fd, SHMBUS_IOC_CMP_REQUEUE, q);
}

int shmbus_watch(int fd, __u64 offset, __u32 bitset)
{
	struct shmbus_watch w = { .offset = offset, .bitset = bitset };

	return ioctl(fd, SHMBUS_IOC_WATCH, &w) ? -errno : 0;
}

int shmbus_unwatch(int fd, __u64 offset)
{
	struct shmbus_watch w = { .offset = offset };

	return ioctl(fd, SHMBUS_IOC_UNWATCH, &w) ? -errno : 0;
}

int shmbus_owner_id(int fd)
{
	return shmbus_ioctl(fd, SHMBUS_IOC_OWNER_ID, NULL);
}

int shmbus_lock_register(int fd, __u64 offset)
{
	struct shmbus_lock_word lw = { .offset = offset };

	return ioctl(fd, SHMBUS_IOC_LOCK_REGISTER, &lw) ? -errno : 0;
}

int shmbus_lock_unregister(int fd, __u64 offset)
{
	struct shmbus_lock_word lw = { .offset = offset };

	return ioctl(fd, SHMBUS_IOC_LOCK_UNREGISTER, &lw) ? -errno : 0;
}

int shmbus_reopen(int fd)
{
	return shmbus_ioctl(fd, SHMBUS_IOC_REOPEN, NULL);
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
		shmbus_unlink_name(t->names[--t->nr_names]);
}

int probe(const char *name, __u32 flags)
{
	return shmbus_try_bind(name, 0, flags, 0);
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

/* ---- Waiters ---- */

static void on_signal(int sig)
{
	(void)sig;
}

void catch_signal(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

struct shmbus_wait wait_args(__u64 offset, __u32 expected)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
	};

	return w;
}

int waiter_main(void *arg)
{
	struct waiter *wt = arg;

	if (wt->signal_flags >= 0)
		catch_signal(SIGUSR1, wt->signal_flags);
	return -shmbus_wait(wt->fd, &wt->w);
}

pid_t start_wait(int fd, struct shmbus_wait w, unsigned int nth)
{
	struct waiter wt = { .fd = fd, .signal_flags = -1, .w = w };
	pid_t pid = spawn(waiter_main, &wt);
	int ret;

	if (pid < 0)
		return pid;
	ret = await_waiters(fd, nth, WAITER_SETTLE_MS);
	return ret ? ret : pid;
}

pid_t start_waiter(int fd, __u64 offset, __u32 bitset, unsigned int nth)
{
	struct shmbus_wait w = wait_args(offset, 0);

	w.bitset = bitset;
	return start_wait(fd, w, nth);
}

int start_waiters(int fd, pid_t *pids, const __u32 *bitsets, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		pids[i] = start_waiter(fd, 0, bitsets ? bitsets[i] : SHMBUS_BITSET_ANY,
				       i + 1);
		if (pids[i] < 0)
			return pids[i];
	}
	return 0;
}

unsigned int reap_all(pid_t *pids, unsigned int n)
{
	unsigned int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += reap(pids[i], WAITER_SETTLE_MS, NULL) == 0;
	return ok;
}

/* ---- Robust locks ---- */

__u32 *map_word(void *map, __u64 offset)
{
	return (__u32 *)((char *)map + offset);
}

__u32 word_load(__u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

bool word_cas(__u32 *p, __u32 *old, __u32 new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

int rlock_init(struct rlock *l, int fd, void *map, __u64 offset)
{
	int id = shmbus_owner_id(fd);

	if (id < 0)
		return id;
	l->fd = fd;
	l->word = map_word(map, offset);
	l->offset = offset;
	l->id = id;
	return 0;
}

int rlock_lock(const struct rlock *l)
{
	const __u32 kept = SHMBUS_LOCK_OWNER_DIED | SHMBUS_LOCK_WAITERS;
	__u32 want = l->id, old = 0;
	int ret;

	for (;;) {
		if (!(old & SHMBUS_LOCK_OWNER_MASK)) {
			if (word_cas(l->word, &old, want | (old & kept)))
				return old & SHMBUS_LOCK_OWNER_DIED ? EOWNERDEAD : 0;
			continue;
		}
		if (!(old & SHMBUS_LOCK_WAITERS)) {
			if (!word_cas(l->word, &old, old | SHMBUS_LOCK_WAITERS))
				continue;
			old |= SHMBUS_LOCK_WAITERS;
		}
		ret = shmbus_wait_word(l->fd, l->offset, old, RLOCK_WATCHDOG_NS);
		if (ret && ret != -EAGAIN)
			return ret;
		want = l->id | SHMBUS_LOCK_WAITERS;
		old = word_load(l->word);
	}
}

void rlock_consistent(const struct rlock *l)
{
	__atomic_fetch_and(l->word, ~SHMBUS_LOCK_OWNER_DIED, __ATOMIC_SEQ_CST);
}

__u32 rlock_release(const struct rlock *l)
{
	return __atomic_exchange_n(l->word, 0, __ATOMIC_SEQ_CST);
}

int rlock_wake(const struct rlock *l, __u32 old)
{
	int ret = 0;

	if (old & SHMBUS_LOCK_WAITERS)
		ret = shmbus_wake(l->fd, l->offset, 1, SHMBUS_BITSET_ANY);
	return ret < 0 ? ret : 0;
}

int rlock_unlock(const struct rlock *l)
{
	return rlock_wake(l, rlock_release(l));
}

/* ---- Watches ---- */

#include <poll.h>

int poll_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, 0);

	return n < 0 ? -errno : pfd.revents;
}

int read_events(int fd, __u64 *events, size_t len)
{
	ssize_t n = read(fd, events, len);

	return n < 0 ? -errno : (int)n;
}

/* ---- Tenants: /proc/shmbus/regions by column, stats, peers ---- */

__u64 shmbus_ns_inode(const char *type)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : st.st_ino;
}

int shmbus_touch_first_page(int fd)
{
	char *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	return munmap(p, page_size()) ? -errno : 0;
}

/* Split @line in place at whitespace: the number of words (at most @max). */
static int split_words(char *line, char **words, int max)
{
	char *save, *w;
	int n = 0;

	for (w = strtok_r(line, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return n;
}

static int column_of(char **header, int n, const char *column)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(header[i], column))
			return i;
	return -1;
}

int shmbus_regions_open(struct shmbus_regions_file *rf)
{
	rf->f = fopen(SHMBUS_REGIONS, "re");
	if (!rf->f)
		return -errno;
	if (!fgets(rf->header_line, sizeof(rf->header_line), rf->f)) {
		fclose(rf->f);
		return -ENODATA;
	}
	rf->nr_header = split_words(rf->header_line, rf->header, SHMBUS_REGIONS_FIELDS);
	return 0;
}

int shmbus_regions_next(struct shmbus_regions_file *rf)
{
	if (!fgets(rf->line, sizeof(rf->line), rf->f))
		return 0;
	rf->nr_row = split_words(rf->line, rf->row, SHMBUS_REGIONS_FIELDS);
	return 1;
}

const char *shmbus_regions_field(struct shmbus_regions_file *rf, const char *column)
{
	int i = column_of(rf->header, rf->nr_header, column);

	return i >= 0 && i < rf->nr_row ? rf->row[i] : NULL;
}

int shmbus_regions_lookup(__u64 id, const char *column, char *value, size_t len)
{
	struct shmbus_regions_file rf;
	const char *v;
	int ret = shmbus_regions_open(&rf);

	if (ret)
		return ret;
	ret = -ENOENT;
	while (shmbus_regions_next(&rf)) {
		v = shmbus_regions_field(&rf, "id");
		if (!v || strtoull(v, NULL, 10) != id)
			continue;
		v = shmbus_regions_field(&rf, column);
		ret = v ? 0 : -ENODEV;
		if (v)
			snprintf(value, len, "%s", v);
		break;
	}
	fclose(rf.f);
	return ret;
}

int shmbus_regions_lists_id(__u64 id)
{
	char value[32];
	int ret = shmbus_regions_lookup(id, "id", value, sizeof(value));

	return ret == -ENOENT ? 0 : ret ? ret : 1;
}

const char *const shmbus_stat_names[SHMBUS_NR_STATS] = {
	"regions", "pages", "bytes", "all_regions", "all_pages", "all_bytes",
};

/* The peer's own bookkeeping: its names are "prefix-0" .. "prefix-(made-1)". */
struct peer_state {
	char prefix[SHMBUS_NAME_MAX];
	int made;
	int anon_fds[8];
	int nr_anon;
};

void shmbus_peer_name(char *name, const char *prefix, int n)
{
	snprintf(name, SHMBUS_NAME_MAX, "%.40s-%d", prefix, n);
}

static void peer_create(struct shmbus_peer_page *pg, struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	struct shmbus_info info;
	int fd;

	snprintf(st->prefix, sizeof(st->prefix), "%s", pg->name);
	for (pg->created = 0, pg->err = 0; pg->created < pg->max; pg->created++) {
		shmbus_peer_name(name, st->prefix, st->made);
		fd = shmbus_open_bound(name, pg->size,
				       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		if (fd < 0) {
			pg->err = -fd;
			return;
		}
		st->made++;
		if (!shmbus_region_info(fd, &info))
			pg->id = info.id;
		if (pg->touch)
			shmbus_touch_first_page(fd);
		close(fd);
	}
}

static void peer_unlink_own(struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	int n;

	for (n = 0; n < st->made; n++) {
		shmbus_peer_name(name, st->prefix, n);
		shmbus_unlink_name(name);
	}
}

static void peer_unlink(struct shmbus_peer_page *pg)
{
	struct shmbus_unlink req = { .ns = pg->ns };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	snprintf(req.name, sizeof(req.name), "%s", pg->name);
	pg->err = fd < 0 || ioctl(fd, SHMBUS_IOC_UNLINK, &req) ? errno : 0;
	if (fd >= 0)
		close(fd);
}

static void peer_run(struct shmbus_peer_page *pg, struct peer_state *st, char cmd)
{
	struct shmbus_bind b = { .size = page_size(), .flags = SHMBUS_BIND_CREATE,
				 .mode = 0600 };
	int fd, i;

	switch (cmd) {
	case SHMBUS_PEER_CREATE:
		peer_create(pg, st);
		break;
	case SHMBUS_PEER_BIND_ANON:
		fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
		pg->err = fd < 0 || ioctl(fd, SHMBUS_IOC_BIND, &b) ? errno : 0;
		pg->id = b.id;
		if (fd >= 0 && st->nr_anon < (int)(sizeof(st->anon_fds) / sizeof(st->anon_fds[0])))
			st->anon_fds[st->nr_anon++] = fd;
		break;
	case SHMBUS_PEER_PROBE:
		fd = shmbus_open_bound(pg->name, 0, SHMBUS_BIND_RDONLY, 0);
		pg->err = fd < 0 ? -fd : 0;
		if (fd >= 0)
			close(fd);
		break;
	case SHMBUS_PEER_UNLINK:
		peer_unlink(pg);
		break;
	case SHMBUS_PEER_UNLINK_OWN:
		peer_unlink_own(st);
		break;
	case SHMBUS_PEER_STATS:
		for (i = 0; i < SHMBUS_NR_STATS; i++)
			pg->stats[i] = shmbus_stat(shmbus_stat_names[i]);
		break;
	case SHMBUS_PEER_LISTS:
		pg->listed = shmbus_regions_lists_id(pg->id);
		break;
	}
}

/*
 * Close every inherited descriptor but stdio and @p's pipes: a peer holding
 * another peer's pipe would keep that one from ever seeing its end.
 */
static void close_inherited(struct shmbus_peer *p)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 65536; fd++)
		if (fd != p->cmd && fd != p->ack)
			close(fd);
}

/* The peer's life: set up, then serve commands until the test closes the pipe. */
static void __attribute__((noreturn)) peer_main(struct shmbus_peer *p, int (*prepare)(void))
{
	struct peer_state st = { .nr_anon = 0 };
	char c = 'R';

	close_inherited(p);
	if (prepare && prepare())
		c = 'F';
	p->page->my_ns = shmbus_ns_inode("ipc");
	if (write(p->ack, &c, 1) != 1 || c == 'F')
		_exit(1);
	while (read(p->cmd, &c, 1) == 1) {
		peer_run(p->page, &st, c);
		if (write(p->ack, &c, 1) != 1)
			break;
	}
	peer_unlink_own(&st);
	while (st.nr_anon)
		close(st.anon_fds[--st.nr_anon]);
	_exit(0);
}

int shmbus_peer_start(struct shmbus_peer *p, int (*prepare)(void))
{
	int to_peer[2], to_test[2];
	char c;

	p->page = mmap(NULL, sizeof(*p->page), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->page == MAP_FAILED) {
		p->page = NULL;
		return -1;
	}
	if (pipe2(to_peer, O_CLOEXEC) || pipe2(to_test, O_CLOEXEC))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		close(to_peer[1]);
		close(to_test[0]);
		p->cmd = to_peer[0];
		p->ack = to_test[1];
		peer_main(p, prepare);
	}
	close(to_peer[0]);
	close(to_test[1]);
	p->cmd = to_peer[1];
	p->ack = to_test[0];
	return read(p->ack, &c, 1) == 1 && c == 'R' ? 0 : -1;
}

int shmbus_peer_do(struct shmbus_peer *p, enum shmbus_peer_cmd cmd)
{
	char c = cmd;

	if (write(p->cmd, &c, 1) != 1 || read(p->ack, &c, 1) != 1)
		return -1;
	return 0;
}

int shmbus_peer_create_regions(struct shmbus_peer *p, const char *prefix, __u64 size, int max)
{
	snprintf(p->page->name, sizeof(p->page->name), "%s", prefix);
	p->page->size = size;
	p->page->max = max;
	return shmbus_peer_do(p, SHMBUS_PEER_CREATE);
}

void shmbus_peer_stop(struct shmbus_peer *p)
{
	char c;

	if (!p->page)
		return;
	if (p->pid > 0) {
		close(p->cmd);
		while (read(p->ack, &c, 1) > 0)
			;
		close(p->ack);
		waitpid(p->pid, NULL, 0);
	}
	munmap(p->page, sizeof(*p->page));
	p->page = NULL;
}

/* ---- Fault injection: fail-nth, failslab, fail_page_alloc, fail_usercopy ---- */

const struct shmbus_fi_knob shmbus_fi_knobs[SHMBUS_FI_NR_KNOBS] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/probability", "0" },
	{ "failslab/interval", "1" },
	{ "failslab/times", "-1" },
	{ "failslab/space", "0" },
	{ "failslab/task-filter", "N" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/probability", "0" },
	{ "fail_page_alloc/interval", "1" },
	{ "fail_page_alloc/times", "-1" },
	{ "fail_page_alloc/space", "0" },
	{ "fail_page_alloc/task-filter", "N" },
	{ "fail_usercopy/verbose", "0" },
	{ "fail_usercopy/probability", "0" },
};

const char *shmbus_fi_unavailable(void)
{
	if (geteuid() != 0)
		return "needs root";
	if (!path_exists(SHMBUS_FAIL_NTH))
		return "no " SHMBUS_FAIL_NTH " (CONFIG_FAULT_INJECTION)";
	if (!path_exists(SHMBUS_FAULTS "failslab") || !path_exists(SHMBUS_FAULTS "fail_page_alloc"))
		return "no " SHMBUS_FAULTS "{failslab,fail_page_alloc} (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)";
	return NULL;
}

int shmbus_fi_set_knob(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), SHMBUS_FAULTS "%s", name);
	return write_text(path, value);
}

void shmbus_fi_nth_arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

bool shmbus_fi_nth_fired(int nth)
{
	char buf[16] = "";
	bool fired = pread(nth, buf, sizeof(buf) - 1, 0) > 0 && !strtoul(buf, NULL, 10);

	/* An injected copy of this write leaves the count at 0 as well. */
	if (pwrite(nth, "0", 1, 0) != 1 && errno != EFAULT)
		abort();
	return fired;
}

bool shmbus_fi_injected_ok(long ret, unsigned long long errs)
{
	return ret >= 0 || (-ret < 64 && (errs & (1ULL << -ret)));
}
