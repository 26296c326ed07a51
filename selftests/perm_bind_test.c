// SPDX-License-Identifier: GPL-2.0
/*
 * Who may bind a region, as docs/regions.md ("Permissions", "Namespaces")
 * states it: a bind needs read permission, and write permission unless
 * RDONLY, from the mode's owner bits (euid is uid or cuid), group bits
 * (caller in gid or cgid) or other bits; CAP_IPC_OWNER overrides the mode;
 * a CHMOD governs later binds only.  A name exists only in its creator's IPC
 * namespace: another namespace cannot open it, may create it again, and does
 * not see it in /proc/shmbus/regions; the names of a dead namespace go.
 *
 * The test process stays root.  Other users are played by forked children
 * (spawn_as()) that switch ids, drop a capability or unshare their IPC
 * namespace, and report through their exit status (an errno, 0 for success)
 * or through a shared page.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "util.h"

#define USER		1000	/* an ordinary uid with no region of its own */
#define REGION_SIZE	4096
#define MAGIC		0x5b05b0a1u

/* Store @value in the region's first word through a short-lived mapping. */
static int write_word(int fd, __u32 value)
{
	__u32 *map = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, 0);

	if (map == MAP_FAILED)
		return -errno;
	*map = value;
	return munmap(map, REGION_SIZE);
}

/* What a child is asked to do and, in a shared page, what it reports. */
struct req {
	char name[SHMBUS_NAME_MAX];
	char other[SHMBUS_NAME_MAX];	/* the child's own name (namespaces) */
	__u64 size;			/* bind size */
	__u32 flags;			/* bind flags */
	__u32 mode;			/* CREATE */
	__u32 word;			/* out: a word read through a mapping */
	__u64 id;			/* out: id of a region the child made */
	int result[2];			/* out: errnos or answers of checks */
	int step;			/* 1: child ready; 2: parent done */
};

static struct req named(const char *name)
{
	struct req req = { .size = 0 };

	snprintf(req.name, sizeof(req.name), "%s", name);
	return req;
}

static struct req *map_req(void)
{
	void *p = mmap(NULL, sizeof(struct req), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Wait up to 10 s for *step to reach @value: 0, or -1 on timeout. */
static int wait_step(int *step, int value)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (__atomic_load_n(step, __ATOMIC_ACQUIRE) >= value)
			return 0;
		usleep(1000);
	}
	return -1;
}

static void set_step(int *step, int value)
{
	__atomic_store_n(step, value, __ATOMIC_RELEASE);
}

typedef int (*prepare_fn)(void);

/* spawn_as() and reap(): the child's exit status, or -errno. */
static int run_child(prepare_fn prepare, int (*fn)(void *), void *arg)
{
	pid_t pid = spawn_as(prepare, fn, arg);

	return pid < 0 ? pid : reap(pid, REAP_FOREVER, NULL);
}

/* uid USER, gid NOBODY: a member of group NOBODY only. */
static int as_group_member(void)
{
	return set_ids(USER, NOBODY);
}

/* Stay root but give up CAP_IPC_OWNER (all sets). */
static int drop_ipc_owner(void)
{
	return shmbus_drop_cap(CAP_IPC_OWNER);
}

static int child_bind(void *arg)
{
	struct req *req = arg;
	int fd = shmbus_open_bound(req->name, req->size, req->flags, req->mode);

	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

static int bind_as(prepare_fn who, const char *name, __u32 flags)
{
	struct req req = named(name);

	req.flags = flags;
	return run_child(who, child_bind, &req);
}

FIXTURE(perm) {
	struct tracked t;
	struct req *req;	/* shared with the children */
};

FIXTURE_SETUP(perm)
{
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
	self->req = map_req();
	ASSERT_NE(NULL, self->req);
}

FIXTURE_TEARDOWN(perm)
{
	release_tracked(&self->t);
	munmap(self->req, sizeof(*self->req));
}

/* Mode 0600: another uid may not bind, neither read-write nor read-only. */
TEST_F(perm, mode_0600_denies_others)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0600));
	EXPECT_EQ(EACCES, bind_as(as_nobody, name, 0));
	EXPECT_EQ(EACCES, bind_as(as_nobody, name, SHMBUS_BIND_RDONLY));
}

/* Mode 0644: another uid may bind read-only, not read-write. */
TEST_F(perm, mode_0644_others_read_only)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0644));
	EXPECT_EQ(0, bind_as(as_nobody, name, SHMBUS_BIND_RDONLY));
	EXPECT_EQ(EACCES, bind_as(as_nobody, name, 0));
}

/* Mode 0666: another uid may bind read-write. */
TEST_F(perm, mode_0666_others_read_write)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0666));
	EXPECT_EQ(0, bind_as(as_nobody, name, 0));
}

/* Group bits apply to a member of the region's gid: 0640 reads, not writes. */
TEST_F(perm, group_bits_for_group_member)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0640);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_chown(fd, SHMBUS_ID_UNCHANGED, NOBODY));
	EXPECT_EQ(0, bind_as(as_group_member, name, SHMBUS_BIND_RDONLY));
	EXPECT_EQ(EACCES, bind_as(as_group_member, name, 0));
}

/* Owner bits apply to the owner uid: 0400 after CHOWN reads, not writes. */
TEST_F(perm, owner_bits_for_owner)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0400);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_chown(fd, NOBODY, SHMBUS_ID_UNCHANGED));
	EXPECT_EQ(0, bind_as(as_nobody, name, SHMBUS_BIND_RDONLY));
	EXPECT_EQ(EACCES, bind_as(as_nobody, name, 0));
}

/* CAP_IPC_OWNER overrides the mode: root binds a mode 0000 region read-write. */
TEST_F(perm, cap_ipc_owner_binds_mode_0000)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0));
	EXPECT_EQ(0, probe(name, 0));
}

/* Root without CAP_IPC_OWNER is held to the mode: 0000 gives EACCES. */
TEST_F(perm, no_cap_ipc_owner_mode_0000_eacces)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0));
	EXPECT_EQ(EACCES, bind_as(drop_ipc_owner, name, 0));
	EXPECT_EQ(EACCES, bind_as(drop_ipc_owner, name, SHMBUS_BIND_RDONLY));
}

/*
 * Child: bind read-only, wait for the parent's CHMOD, then map and read
 * through that handle (result[0], word) and try a new bind (result[1]).
 */
static int child_rdonly_across_chmod(void *arg)
{
	struct req *req = arg;
	int fd = shmbus_open_bound(req->name, 0, SHMBUS_BIND_RDONLY, 0);
	__u32 *map;

	if (fd < 0)
		return CHILD_BROKEN;
	set_step(&req->step, 1);
	if (wait_step(&req->step, 2))
		return CHILD_BROKEN;
	map = mmap(NULL, REGION_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	req->result[0] = map == MAP_FAILED ? errno : 0;
	if (map != MAP_FAILED) {
		req->word = *map;
		munmap(map, REGION_SIZE);
	}
	req->result[1] = -probe(req->name, SHMBUS_BIND_RDONLY);
	close(fd);
	return 0;
}

/* CHMOD affects new binds only: an earlier read-only handle keeps working. */
TEST_F(perm, chmod_affects_new_binds_only)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0644);
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_word(fd, MAGIC));
	*self->req = named(name);
	pid = spawn_as(as_nobody, child_rdonly_across_chmod, self->req);
	ASSERT_EQ(0, wait_step(&self->req->step, 1));
	ASSERT_EQ(0, shmbus_chmod(fd, 0600));
	set_step(&self->req->step, 2);
	ASSERT_EQ(0, reap(pid, REAP_FOREVER, NULL));
	EXPECT_EQ(0, self->req->result[0]) TH_LOG("old handle: mmap: %s",
						  strerror(self->req->result[0]));
	EXPECT_EQ(MAGIC, self->req->word);
	EXPECT_EQ(EACCES, self->req->result[1]) TH_LOG("new bind after chmod 0600");
}

FIXTURE(ipc_ns) {
	struct tracked t;
	struct req *req;	/* shared with the children */
};

FIXTURE_SETUP(ipc_ns)
{
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
	self->req = map_req();
	ASSERT_NE(NULL, self->req);
}

FIXTURE_TEARDOWN(ipc_ns)
{
	release_tracked(&self->t);
	munmap(self->req, sizeof(*self->req));
}

/* A process in another IPC namespace cannot open our name: ENOENT. */
TEST_F(ipc_ns, other_namespace_cannot_open)
{
	const char *name = track_name(&self->t, "ns");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0666));
	EXPECT_EQ(ENOENT, bind_as(in_new_ipc_ns, name, SHMBUS_BIND_RDONLY));
}

/* Child: create req->name in its namespace, report the id, unlink it. */
static int child_create_own(void *arg)
{
	struct req *req = arg;
	struct shmbus_info info;
	int fd = shmbus_open_bound(req->name, REGION_SIZE,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	int err;

	if (fd < 0)
		return -fd;
	memset(&info, 0, sizeof(info));
	err = shmbus_info(fd, &info);
	req->id = info.id;
	shmbus_unlink(req->name);
	close(fd);
	return err ? CHILD_BROKEN : 0;
}

/* Another IPC namespace may create the same name: no EEXIST, another id. */
TEST_F(ipc_ns, other_namespace_creates_same_name)
{
	const char *name = track_name(&self->t, "ns");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);
	struct shmbus_info info;

	ASSERT_LE(0, fd);
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, shmbus_info(fd, &info));
	*self->req = named(name);
	ASSERT_EQ(0, run_child(in_new_ipc_ns, child_create_own, self->req));
	EXPECT_NE(info.id, self->req->id);
}

/*
 * Child: create req->other in its namespace, note which names its regions
 * file lists, keep the region until the parent has read its own file.
 */
static int child_list_regions(void *arg)
{
	struct req *req = arg;
	int fd = shmbus_open_bound(req->other, REGION_SIZE,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);

	if (fd < 0)
		return CHILD_BROKEN;
	req->result[0] = shmbus_regions_lists(req->other);
	req->result[1] = shmbus_regions_lists(req->name);
	set_step(&req->step, 1);
	wait_step(&req->step, 2);
	shmbus_unlink(req->other);
	close(fd);
	return 0;
}

/*
 * /proc/shmbus/regions lists a reader in a private IPC namespace only its own
 * namespace; root in the initial namespace lists every namespace.
 */
TEST_F(ipc_ns, regions_file_shows_own_namespace)
{
	const char *name = track_name(&self->t, "ns-parent");
	int parent_own, parent_other;
	pid_t pid;

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0600));
	*self->req = named(name);
	shmbus_unique_name(self->req->other, "ns-child");
	pid = spawn_as(in_new_ipc_ns, child_list_regions, self->req);
	ASSERT_EQ(0, wait_step(&self->req->step, 1));
	parent_own = shmbus_regions_lists(name);
	parent_other = shmbus_regions_lists(self->req->other);
	set_step(&self->req->step, 2);
	ASSERT_EQ(0, reap(pid, REAP_FOREVER, NULL));
	ASSERT_EQ(1, parent_own);
	ASSERT_EQ(1, self->req->result[0]);
	EXPECT_EQ(0, self->req->result[1]) TH_LOG("the child lists the parent's region");
	EXPECT_EQ(1, parent_other) TH_LOG("root in the initial namespace misses the child's region");
}

/* Child: leave req->name linked in its namespace; result[0]: still listed. */
static int child_leave_region(void *arg)
{
	struct req *req = arg;
	int fd = shmbus_open_bound(req->name, REGION_SIZE,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);

	if (fd < 0)
		return -fd;
	close(fd);
	req->result[0] = shmbus_regions_lists(req->name);
	return 0;
}

/* The names of a dead IPC namespace are unlinked by the module within seconds. */
TEST_F_TIMEOUT(ipc_ns, dead_namespace_names_reclaimed, 60)
{
	long long before = shmbus_stat("all_regions");

	ASSERT_LE(0, before);
	*self->req = named("");
	shmbus_unique_name(self->req->name, "ns-dead");
	ASSERT_EQ(0, run_child(in_new_ipc_ns, child_leave_region, self->req));
	ASSERT_EQ(1, self->req->result[0]) TH_LOG("the linked region died with its handle");
	EXPECT_EQ(before, settle_regions(before, 30 * 1000));
}

TEST_HARNESS_MAIN
