// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel memory a process makes shmbus allocate is charged to that process's
 * memory cgroup (GFP_KERNEL_ACCOUNT), so a cgroup's memory limit bounds it.
 *
 * A child in a cgroup of its own allocates many objects of one kind in one
 * step; over that step the cgroup's memory.current must grow by at least a
 * lower bound of those objects' size: struct shmbus_handle alone is over
 * 512 bytes (kmalloc rounds it to 1024), a watch over 64.  Memory against
 * memory, no clock: objects allocated without accounting leave
 * memory.current nearly flat.  Unreclaimable slab (SUnreclaim) must grow
 * too, or the step measured nothing; it is not the yardstick, because debug
 * kernels add unaccounted metadata (kmemleak's) for every object.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CGROUP_FS	"/sys/fs/cgroup"
#define NR_HANDLES	8000	/* handles opened in the handle step */
#define NR_WATCHED	4000	/* handles each watching SHMBUS_WATCH_MAX words */
#define MIN_SLAB_GROWTH	(1 << 20)	/* less would not be a measurement */
#define HANDLE_CHARGE	768	/* bytes charged per handle, at least */
#define WATCH_CHARGE	64	/* bytes charged per watch, at least */

/* The child's side: its handles, and the region they are bound to. */
struct child {
	char name[SHMBUS_NAME_MAX];
	int region_fd;
	int *fds;
	int nr_fds;
};

/* What the child does before the measurement, and in the measured step. */
struct workload {
	int nr_fds;				/* descriptors it will need */
	int (*prepare)(struct child *c);	/* 0 or -errno */
	int (*step)(struct child *c);		/* 0 or -errno */
};

/* Bind @n more handles to the child's region: half by name, half by REOPEN. */
static int open_handles(struct child *c, int n)
{
	int fd;

	while (n--) {
		if (c->nr_fds % 2) {
			fd = shmbus_reopen(c->fds[c->nr_fds - 1]);
			if (fd < 0)
				return fd;
		} else {
			fd = shmbus_open_bound(c->name, 0, 0, 0);
			if (fd < 0)
				return fd;
		}
		c->fds[c->nr_fds++] = fd;
	}
	return 0;
}

static int watch_all_words(int fd)
{
	int i, ret;

	for (i = 0; i < SHMBUS_WATCH_MAX; i++) {
		ret = shmbus_watch(fd, i * sizeof(__u32), SHMBUS_BITSET_ANY);
		if (ret)
			return ret;
	}
	return 0;
}

static int nothing(struct child *c)
{
	(void)c;
	return 0;
}

static int open_all_handles(struct child *c)
{
	return open_handles(c, NR_HANDLES);
}

static int open_watched_handles(struct child *c)
{
	return open_handles(c, NR_WATCHED);
}

static int watch_every_handle(struct child *c)
{
	int i, ret;

	for (i = 0; i < c->nr_fds; i++) {
		ret = watch_all_words(c->fds[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct workload handles = {
	.nr_fds = NR_HANDLES, .prepare = nothing, .step = open_all_handles,
};

static const struct workload watches = {
	.nr_fds = NR_WATCHED, .prepare = open_watched_handles, .step = watch_every_handle,
};

/*
 * Room for @n more descriptors, with the fd table already grown to it so
 * that its growth (accounted, but not slab) falls outside the measurement.
 */
static int make_room_for_fds(int n)
{
	struct rlimit rl = { .rlim_cur = n + 64, .rlim_max = n + 64 };
	struct rlimit old;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &old))
		return -errno;
	if (old.rlim_max > rl.rlim_max)
		rl.rlim_max = old.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	fd = dup2(0, n + 32);
	if (fd < 0)
		return -errno;
	return close(fd);
}

/* Answer one step to the test: 0 or an errno, in one byte. */
static int answer(int ack, int ret)
{
	char c = ret < 0 ? (-ret > 255 ? 255 : -ret) : 0;

	return write(ack, &c, 1) == 1 ? 0 : -1;
}

static int await(int cmd)
{
	char c;

	return read(cmd, &c, 1) == 1 ? 0 : -1;
}

static void __attribute__((noreturn)) child_main(int cmd, int ack, const struct workload *w)
{
	struct child c = { .nr_fds = 0 };
	int ret;

	shmbus_unique_name(c.name, "memcg");
	c.fds = calloc(w->nr_fds, sizeof(int));
	ret = c.fds ? make_room_for_fds(w->nr_fds) : -ENOMEM;
	if (!ret) {
		c.region_fd = shmbus_open_bound(c.name, getpagesize(),
						SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		ret = c.region_fd < 0 ? c.region_fd : 0;
	}
	if (!ret && !await(cmd))
		ret = w->prepare(&c);
	if (answer(ack, ret) || ret || await(cmd) || answer(ack, w->step(&c)))
		goto out;
	await(cmd);
out:
	shmbus_unlink(c.name);
	_exit(0);
}

FIXTURE(memcg) {
	const char *skip;	/* why the test cannot run here, or NULL */
	char root[128];		/* the cgroup2 hierarchy */
	char mounted[128];	/* where the test mounted it, or "" */
	char cg[256];		/* the test's own cgroup */
	int enabled_memory;	/* the test enabled +memory at the root */
	pid_t child;
	int cmd, ack;		/* pipes to and from the child */
};

/* Write @text to @dir/@file: 0 or -errno. */
static int write_cg(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_text(path, text);
}

/* Does the space-separated list in @dir/@file name @word? */
static int file_lists(const char *dir, const char *file, const char *word)
{
	char path[PATH_MAX], text[512], *save, *w;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_text(path, text, sizeof(text)))
		return 0;
	for (w = strtok_r(text, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (!strcmp(w, word))
			return 1;
	return 0;
}

/* Use /sys/fs/cgroup if it is cgroup2, else mount cgroup2 on a new directory. */
static int find_cgroup2(FIXTURE_DATA(memcg) *self)
{
	struct statfs sfs;

	if (!statfs(CGROUP_FS, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(self->root, sizeof(self->root), CGROUP_FS);
		return 0;
	}
	snprintf(self->mounted, sizeof(self->mounted), "/tmp/shmbus-cgroup2-XXXXXX");
	if (!mkdtemp(self->mounted))
		return -errno;
	if (mount("cgroup2", self->mounted, "cgroup2", 0, NULL)) {
		int err = -errno;

		rmdir(self->mounted);
		self->mounted[0] = '\0';
		return err;
	}
	snprintf(self->root, sizeof(self->root), "%s", self->mounted);
	return 0;
}

FIXTURE_SETUP(memcg)
{
	int ret;

	self->child = -1;
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
	ASSERT_TRUE(path_exists(SHMBUS_DEV)) TH_LOG("shmbus is not loaded");
	ret = find_cgroup2(self);
	if (ret == -ENODEV) {
		self->skip = "the kernel has no cgroup2";
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("mount cgroup2: %s", strerror(-ret));
	if (!file_lists(self->root, "cgroup.controllers", "memory")) {
		self->skip = "no memory controller in cgroup2";
		return;
	}
	if (!file_lists(self->root, "cgroup.subtree_control", "memory")) {
		ASSERT_EQ(0, write_cg(self->root, "cgroup.subtree_control", "+memory"));
		self->enabled_memory = 1;
	}
	snprintf(self->cg, sizeof(self->cg), "%s/shmbus-memcg-%d", self->root, (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755)) TH_LOG("mkdir %s: %s", self->cg, strerror(errno));
}

FIXTURE_TEARDOWN(memcg)
{
	char c;
	int i;

	if (self->child > 0) {
		close(self->cmd);
		while (read(self->ack, &c, 1) > 0)
			;
		close(self->ack);
		waitpid(self->child, NULL, 0);
	}
	/* The cgroup empties as the reaped child leaves it, not at once. */
	for (i = 0; self->cg[0] && rmdir(self->cg) && errno == EBUSY && i < 1000; i++)
		usleep(10000);
	if (self->enabled_memory)
		write_cg(self->root, "cgroup.subtree_control", "-memory");
	if (self->mounted[0]) {
		umount(self->mounted);
		rmdir(self->mounted);
	}
}

/* Unreclaimable slab, machine-wide, in bytes; -1 on failure. */
static long long slab_unreclaimable(void)
{
	char line[128];
	long long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static long long cgroup_memory(FIXTURE_DATA(memcg) *self)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/memory.current", self->cg);
	return read_number(path);
}

/* Tell the child to go on, and wait for its answer: 0 or -errno. */
static int child_step(FIXTURE_DATA(memcg) *self)
{
	char c = 'g';

	if (write(self->cmd, &c, 1) != 1 || read(self->ack, &c, 1) != 1)
		return -EPIPE;
	return -c;
}

/* Fork the child into the test's cgroup, running workload @w. */
static int start_child(FIXTURE_DATA(memcg) *self, const struct workload *w)
{
	int to_child[2], to_test[2];
	char pid[16];

	if (pipe2(to_child, O_CLOEXEC) || pipe2(to_test, O_CLOEXEC))
		return -errno;
	self->child = fork();
	if (self->child < 0)
		return -errno;
	if (!self->child) {
		close(to_child[1]);
		close(to_test[0]);
		child_main(to_child[0], to_test[1], w);
	}
	close(to_child[0]);
	close(to_test[1]);
	self->cmd = to_child[1];
	self->ack = to_test[0];
	snprintf(pid, sizeof(pid), "%d", (int)self->child);
	return write_cg(self->cg, "cgroup.procs", pid);
}

/*
 * Run workload @w in a child of the test's cgroup; report how much
 * unreclaimable slab and the cgroup's memory grew over its step.
 */
static void measure(struct __test_metadata *_metadata, FIXTURE_DATA(memcg) *self,
		    const struct workload *w, long long *slab, long long *charged)
{
	long long slab0, mem0;

	ASSERT_EQ(0, start_child(self, w));
	ASSERT_EQ(0, child_step(self)) TH_LOG("child prepare failed");
	slab0 = slab_unreclaimable();
	mem0 = cgroup_memory(self);
	ASSERT_LE(0, slab0);
	ASSERT_LE(0, mem0);
	ASSERT_EQ(0, child_step(self)) TH_LOG("child step failed");
	*slab = slab_unreclaimable() - slab0;
	*charged = cgroup_memory(self) - mem0;
	TH_LOG("SUnreclaim grew %lld KiB, memory.current %lld KiB", *slab >> 10, *charged >> 10);
	ASSERT_LE(MIN_SLAB_GROWTH, *slab);
}

/* Handles (open + BIND and REOPEN) are charged to the opener's memory cgroup. */
TEST_F_TIMEOUT(memcg, handles_charged, 300)
{
	long long slab, charged;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	measure(_metadata, self, &handles, &slab, &charged);
	EXPECT_LE((long long)NR_HANDLES * HANDLE_CHARGE, charged);
}

/* Watches are charged to the watcher's memory cgroup. */
TEST_F_TIMEOUT(memcg, watches_charged, 300)
{
	long long slab, charged;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	measure(_metadata, self, &watches, &slab, &charged);
	EXPECT_LE((long long)NR_WATCHED * SHMBUS_WATCH_MAX * WATCH_CHARGE, charged);
}

TEST_HARNESS_MAIN
