// SPDX-License-Identifier: GPL-2.0
/*
 * Who may do what to a region: mode bits on bind, CAP_IPC_OWNER, the
 * UNLINK/CHMOD/CHOWN rights of owner, creator and CAP_SYS_ADMIN; IPC
 * namespace isolation; the module's limits.
 *
 * The test process stays root.  Other users are played by forked children
 * that switch ids, drop a capability or unshare their IPC namespace, and
 * report through their exit status (an errno, 0 for success) or through a
 * shared page.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"

#define NOBODY		65534	/* uid and gid of "nobody" */
#define USER		1000	/* an ordinary uid with no region of its own */
#define REGION_SIZE	4096
#define SMALL_LIMIT	65536
#define MAX_TRACKED	4
#define CHILD_BROKEN	200	/* a child could not reach the step under test */
#define MAGIC		0x5b05b0a1u

/* Named regions a test made and the root handles it holds, for teardown. */
struct tracked {
	char names[MAX_TRACKED][SHMBUS_NAME_MAX];
	int fds[MAX_TRACKED];
	int nr_names;
	int nr_fds;
};

/* A fresh name "TAG-PID", unlinked at teardown whoever creates it. */
static const char *track_name(struct tracked *t, const char *tag)
{
	char *name = t->names[t->nr_names++];

	shmbus_unique_name(name, tag);
	return name;
}

/* Bind a new root handle kept until teardown: the fd or -errno. */
static int bind_tracked(struct tracked *t, const char *name, __u64 size,
			__u32 flags, __u32 mode)
{
	int fd = shmbus_open_bound(name, size, flags, mode);

	if (fd >= 0)
		t->fds[t->nr_fds++] = fd;
	return fd;
}

static int create_region(struct tracked *t, const char *name, __u64 size,
			 __u32 mode)
{
	return bind_tracked(t, name, size,
			    SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, mode);
}

/* A read-write root handle on an existing region (CAP_IPC_OWNER). */
static int open_region(struct tracked *t, const char *name)
{
	return bind_tracked(t, name, 0, 0, 0);
}

static void release_tracked(struct tracked *t)
{
	while (t->nr_fds)
		close(t->fds[--t->nr_fds]);
	while (t->nr_names)
		shmbus_unlink_name(t->names[--t->nr_names]);
}

/* Bind a throw-away handle to the existing region @name: 0 or -errno. */
static int probe(const char *name, __u32 flags)
{
	return shmbus_try_bind(name, 0, flags, 0);
}

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

struct owner {
	__u32 uid, gid, cuid, cgid, mode;
};

/* SHMBUS_IOC_INFO through @fd reports the ids and mode in @want. */
static void expect_owner(struct __test_metadata *_metadata, int fd,
			 struct owner want)
{
	struct shmbus_info info;

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, shmbus_ioctl(fd, SHMBUS_IOC_INFO, &info));
	EXPECT_EQ(want.uid, info.uid);
	EXPECT_EQ(want.gid, info.gid);
	EXPECT_EQ(want.cuid, info.cuid);
	EXPECT_EQ(want.cgid, info.cgid);
	EXPECT_EQ(want.mode, info.mode) TH_LOG("mode %o, want %o", info.mode, want.mode);
}

/* What a child is asked to do and, in a shared page, what it reports. */
struct req {
	char name[SHMBUS_NAME_MAX];
	char other[SHMBUS_NAME_MAX];	/* the child's own name (namespaces) */
	__u64 size;			/* bind size */
	__u32 flags;			/* bind flags */
	__u32 mode;			/* CREATE and CHMOD */
	__u32 uid, gid;			/* CHOWN */
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
typedef int (*child_fn)(struct req *req);

static int set_ids(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid))
		return -1;
	return setresuid(uid, uid, uid);
}

static int as_nobody(void)
{
	return set_ids(NOBODY, NOBODY);
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

/* What a child of spawn_as() runs. */
struct as_child {
	prepare_fn prepare;
	child_fn fn;
	struct req *req;
};

static int as_child_main(void *arg)
{
	struct as_child *c = arg;

	if (c->prepare()) {
		fprintf(stderr, "# child setup: %s\n", strerror(errno));
		return CHILD_BROKEN;
	}
	return c->fn(c->req);
}

/* Fork a child that runs @prepare, then exits with @fn's answer: pid or -errno. */
static pid_t spawn_as(prepare_fn prepare, child_fn fn, struct req *req)
{
	struct as_child c = { .prepare = prepare, .fn = fn, .req = req };

	return spawn(as_child_main, &c);
}

/* spawn_as() and reap(): the child's exit status, or -errno. */
static int run_child(prepare_fn prepare, child_fn fn, struct req *req)
{
	pid_t pid = spawn_as(prepare, fn, req);

	return pid < 0 ? pid : reap(pid, REAP_FOREVER, NULL);
}

static int child_bind(struct req *req)
{
	int fd = shmbus_open_bound(req->name, req->size, req->flags, req->mode);

	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

static int child_unlink(struct req *req)
{
	return -shmbus_unlink_name(req->name);
}

/* A read-write handle on req->name for CHMOD or CHOWN, or -errno. */
static int bind_for_change(struct req *req)
{
	int fd = shmbus_open_bound(req->name, 0, 0, 0);

	if (fd < 0)
		fprintf(stderr, "# child: bind %s: %s\n", req->name, strerror(-fd));
	return fd;
}

static int child_chmod(struct req *req)
{
	int fd = bind_for_change(req);

	return fd < 0 ? CHILD_BROKEN : -shmbus_chmod(fd, req->mode);
}

static int child_chown(struct req *req)
{
	int fd = bind_for_change(req);

	return fd < 0 ? CHILD_BROKEN : -shmbus_chown(fd, req->uid, req->gid);
}

static int bind_as(prepare_fn who, const char *name, __u32 flags)
{
	struct req req = named(name);

	req.flags = flags;
	return run_child(who, child_bind, &req);
}

/* The child leaves the region it creates linked. */
static int create_as(prepare_fn who, const char *name, __u32 mode)
{
	struct req req = named(name);

	req.size = REGION_SIZE;
	req.flags = SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL;
	req.mode = mode;
	return run_child(who, child_bind, &req);
}

static int unlink_as(prepare_fn who, const char *name)
{
	struct req req = named(name);

	return run_child(who, child_unlink, &req);
}

static int chmod_as(prepare_fn who, const char *name, __u32 mode)
{
	struct req req = named(name);

	req.mode = mode;
	return run_child(who, child_chmod, &req);
}

static int chown_as(prepare_fn who, const char *name, __u32 uid, __u32 gid)
{
	struct req req = named(name);

	req.uid = uid;
	req.gid = gid;
	return run_child(who, child_chown, &req);
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

/* UNLINK by a non-owner without CAP_SYS_ADMIN is EPERM; the name stays. */
TEST_F(perm, unlink_by_non_owner_eperm)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0666));
	EXPECT_EQ(EPERM, unlink_as(as_nobody, name));
	EXPECT_EQ(0, probe(name, SHMBUS_BIND_RDONLY));
}

/* CHMOD by a non-owner without CAP_SYS_ADMIN is EPERM; the mode stays. */
TEST_F(perm, chmod_by_non_owner_eperm)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0666);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EPERM, chmod_as(as_nobody, name, 0600));
	expect_owner(_metadata, fd, (struct owner){ 0, 0, 0, 0, 0666 });
}

/* CHOWN by a non-owner without CAP_SYS_ADMIN is EPERM; the ids stay. */
TEST_F(perm, chown_by_non_owner_eperm)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0666);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EPERM, chown_as(as_nobody, name, NOBODY, NOBODY));
	expect_owner(_metadata, fd, (struct owner){ 0, 0, 0, 0, 0666 });
}

/* The owner and creator (nobody) may CHMOD, CHOWN and UNLINK its region. */
TEST_F(perm, owner_changes_own_region)
{
	const char *name = track_name(&self->t, "perm");

	ASSERT_EQ(0, create_as(as_nobody, name, 0600));
	EXPECT_EQ(0, chmod_as(as_nobody, name, 0640));
	EXPECT_EQ(0, chown_as(as_nobody, name, SHMBUS_ID_UNCHANGED, USER));
	EXPECT_EQ(0, unlink_as(as_nobody, name));
	EXPECT_EQ(-ENOENT, probe(name, SHMBUS_BIND_RDONLY));
}

/* CAP_SYS_ADMIN (root, neither owner nor creator) may CHMOD, CHOWN, UNLINK. */
TEST_F(perm, cap_sys_admin_changes_any_region)
{
	const char *name = track_name(&self->t, "perm");
	int fd;

	ASSERT_EQ(0, create_as(as_nobody, name, 0600));
	fd = open_region(&self->t, name);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, shmbus_chmod(fd, 0644));
	EXPECT_EQ(0, shmbus_chown(fd, USER, USER));
	EXPECT_EQ(0, shmbus_unlink_name(name));
	EXPECT_EQ(-ENOENT, probe(name, SHMBUS_BIND_RDONLY));
}

/* CHOWN hands the owner's rights over: after it the new owner may CHMOD. */
TEST_F(perm, new_owner_may_chmod)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_chown(fd, NOBODY, SHMBUS_ID_UNCHANGED));
	EXPECT_EQ(0, chmod_as(as_nobody, name, 0640));
	expect_owner(_metadata, fd, (struct owner){ NOBODY, 0, 0, 0, 0640 });
}

/* CHOWN with SHMBUS_ID_UNCHANGED for an id leaves that id as it is. */
TEST_F(perm, chown_id_unchanged_keeps_id)
{
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_chown(fd, NOBODY, SHMBUS_ID_UNCHANGED));
	expect_owner(_metadata, fd, (struct owner){ NOBODY, 0, 0, 0, 0600 });
	ASSERT_EQ(0, shmbus_chown(fd, SHMBUS_ID_UNCHANGED, USER));
	expect_owner(_metadata, fd, (struct owner){ NOBODY, USER, 0, 0, 0600 });
	ASSERT_EQ(0, shmbus_chown(fd, SHMBUS_ID_UNCHANGED, SHMBUS_ID_UNCHANGED));
	expect_owner(_metadata, fd, (struct owner){ NOBODY, USER, 0, 0, 0600 });
}

/* INFO reports owner, creator and mode as created and after each change. */
TEST_F(perm, info_follows_chmod_and_chown)
{
	const char *name = track_name(&self->t, "perm");
	int fd;

	ASSERT_EQ(0, create_as(as_nobody, name, 0600));
	fd = open_region(&self->t, name);
	ASSERT_LE(0, fd);
	expect_owner(_metadata, fd, (struct owner){ NOBODY, NOBODY, NOBODY, NOBODY, 0600 });
	ASSERT_EQ(0, chmod_as(as_nobody, name, 0640));
	expect_owner(_metadata, fd, (struct owner){ NOBODY, NOBODY, NOBODY, NOBODY, 0640 });
	ASSERT_EQ(0, chown_as(as_nobody, name, USER, SHMBUS_ID_UNCHANGED));
	expect_owner(_metadata, fd, (struct owner){ USER, NOBODY, NOBODY, NOBODY, 0640 });
	ASSERT_EQ(0, shmbus_chown(fd, SHMBUS_ID_UNCHANGED, USER));
	expect_owner(_metadata, fd, (struct owner){ USER, USER, NOBODY, NOBODY, 0640 });
}

/* CHMOD with bits outside 0777 is EINVAL and changes nothing. */
TEST_F(perm, chmod_above_0777_einval)
{
	static const __u32 modes[] = { 01000, 04600, 07777, 0xffffffff };
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);
	unsigned int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		EXPECT_EQ(-EINVAL, shmbus_chmod(fd, modes[i])) TH_LOG("mode %#o", modes[i]);
	expect_owner(_metadata, fd, (struct owner){ 0, 0, 0, 0, 0600 });
}

/* CHMOD with a non-zero pad or reserved word is EINVAL and changes nothing. */
TEST_F(perm, chmod_nonzero_pad_or_reserved_einval)
{
	struct shmbus_chmod bad_pad = { .mode = 0644, .pad = 1 };
	struct shmbus_chmod bad_reserved = { .mode = 0644, .reserved = { 0, 1 } };
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, shmbus_ioctl(fd, SHMBUS_IOC_CHMOD, &bad_pad));
	EXPECT_EQ(-EINVAL, shmbus_ioctl(fd, SHMBUS_IOC_CHMOD, &bad_reserved));
	expect_owner(_metadata, fd, (struct owner){ 0, 0, 0, 0, 0600 });
}

/* CHOWN with a non-zero reserved word is EINVAL and changes nothing. */
TEST_F(perm, chown_nonzero_reserved_einval)
{
	struct shmbus_chown bad = { .uid = NOBODY, .gid = NOBODY, .reserved = { 0, 1 } };
	const char *name = track_name(&self->t, "perm");
	int fd = create_region(&self->t, name, REGION_SIZE, 0600);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, shmbus_ioctl(fd, SHMBUS_IOC_CHOWN, &bad));
	expect_owner(_metadata, fd, (struct owner){ 0, 0, 0, 0, 0600 });
}

/* UNLINK with a non-zero reserved word is EINVAL; the name stays. */
TEST_F(perm, unlink_nonzero_reserved_einval)
{
	struct shmbus_unlink bad = { .reserved = { 1 } };
	const char *name = track_name(&self->t, "perm");

	ASSERT_LE(0, create_region(&self->t, name, REGION_SIZE, 0600));
	snprintf(bad.name, sizeof(bad.name), "%s", name);
	EXPECT_EQ(-EINVAL, shmbus_unlink_req(&bad));
	EXPECT_EQ(0, probe(name, SHMBUS_BIND_RDONLY));
}

/*
 * Child: bind read-only, wait for the parent's CHMOD, then map and read
 * through that handle (result[0], word) and try a new bind (result[1]).
 */
static int child_rdonly_across_chmod(struct req *req)
{
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

/* UNLINK of a name that does not exist is ENOENT. */
TEST(unlink_missing_enoent)
{
	char name[SHMBUS_NAME_MAX];

	shmbus_unique_name(name, "never-created");
	EXPECT_EQ(-ENOENT, shmbus_unlink_name(name));
}

/* UNLINK of a name with no NUL in its 64 bytes is ENAMETOOLONG. */
TEST(unlink_unterminated_name_enametoolong)
{
	struct shmbus_unlink req = { .reserved = { 0 } };

	memset(req.name, 'a', sizeof(req.name));
	EXPECT_EQ(-ENAMETOOLONG, shmbus_unlink_req(&req));
}

/* UNLINK of a name containing '/' is EINVAL. */
TEST(unlink_name_with_slash_einval)
{
	struct shmbus_unlink req = { .name = "perm/slash" };

	EXPECT_EQ(-EINVAL, shmbus_unlink_req(&req));
}

/* UNLINK of the empty name is EINVAL. */
TEST(unlink_empty_name_einval)
{
	struct shmbus_unlink req = { .name = "" };

	EXPECT_EQ(-EINVAL, shmbus_unlink_req(&req));
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
static int child_create_own(struct req *req)
{
	struct shmbus_info info;
	int fd = shmbus_open_bound(req->name, REGION_SIZE,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	int err;

	if (fd < 0)
		return -fd;
	memset(&info, 0, sizeof(info));
	err = shmbus_ioctl(fd, SHMBUS_IOC_INFO, &info);
	req->id = info.id;
	shmbus_unlink_name(req->name);
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
	ASSERT_EQ(0, shmbus_ioctl(fd, SHMBUS_IOC_INFO, &info));
	*self->req = named(name);
	ASSERT_EQ(0, run_child(in_new_ipc_ns, child_create_own, self->req));
	EXPECT_NE(info.id, self->req->id);
}

/*
 * Child: create req->other in its namespace, note which names its regions
 * file lists, keep the region until the parent has read its own file.
 */
static int child_list_regions(struct req *req)
{
	int fd = shmbus_open_bound(req->other, REGION_SIZE,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);

	if (fd < 0)
		return CHILD_BROKEN;
	req->result[0] = shmbus_regions_lists(req->other);
	req->result[1] = shmbus_regions_lists(req->name);
	set_step(&req->step, 1);
	wait_step(&req->step, 2);
	shmbus_unlink_name(req->other);
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
static int child_leave_region(struct req *req)
{
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

enum { MAX_REGION_BYTES, MAX_TOTAL_BYTES, MAX_REGIONS, NR_LIMITS };

static const char *const limit_names[NR_LIMITS] = {
	"max_region_bytes", "max_total_bytes", "max_regions",
};

static long long get_limit(int limit)
{
	return shmbus_param(limit_names[limit]);
}

static int set_limit(int limit, long long value)
{
	return shmbus_set_param(limit_names[limit], value);
}

FIXTURE(limits) {
	struct tracked t;
	long long saved[NR_LIMITS];
};

FIXTURE_SETUP(limits)
{
	int i;

	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
	for (i = 0; i < NR_LIMITS; i++) {
		self->saved[i] = get_limit(i);
		ASSERT_LE(0, self->saved[i]) TH_LOG("%s", limit_names[i]);
	}
}

FIXTURE_TEARDOWN(limits)
{
	int i;

	release_tracked(&self->t);
	for (i = 0; i < NR_LIMITS; i++)
		set_limit(i, self->saved[i]);
}

/* A size above max_region_bytes is EFBIG. */
TEST_F(limits, size_above_max_region_bytes_efbig)
{
	const char *name = track_name(&self->t, "lim");

	ASSERT_EQ(0, set_limit(MAX_REGION_BYTES, SMALL_LIMIT));
	EXPECT_EQ(-EFBIG, create_region(&self->t, name, SMALL_LIMIT + 1, 0600));
}

/* A size of exactly max_region_bytes is allowed. */
TEST_F(limits, size_at_max_region_bytes_allowed)
{
	const char *name = track_name(&self->t, "lim");

	ASSERT_EQ(0, set_limit(MAX_REGION_BYTES, SMALL_LIMIT));
	EXPECT_LE(0, create_region(&self->t, name, SMALL_LIMIT, 0600));
}

/* With max_regions regions alive, one more create is ENOSPC. */
TEST_F(limits, max_regions_reached_enospc)
{
	const char *a = track_name(&self->t, "lim-a");
	const char *b = track_name(&self->t, "lim-b");
	const char *c = track_name(&self->t, "lim-c");
	long long live = shmbus_stat("regions");

	ASSERT_LE(0, live);
	ASSERT_EQ(0, set_limit(MAX_REGIONS, live + 2));
	ASSERT_LE(0, create_region(&self->t, a, REGION_SIZE, 0600));
	ASSERT_LE(0, create_region(&self->t, b, REGION_SIZE, 0600));
	EXPECT_EQ(-ENOSPC, create_region(&self->t, c, REGION_SIZE, 0600));
}

/* A create that would take the sum of sizes above max_total_bytes is ENOSPC. */
TEST_F(limits, max_total_bytes_exceeded_enospc)
{
	const char *a = track_name(&self->t, "lim-a");
	const char *b = track_name(&self->t, "lim-b");
	long long bytes = shmbus_stat("bytes");

	ASSERT_LE(0, bytes);
	ASSERT_EQ(0, set_limit(MAX_TOTAL_BYTES, bytes + 2 * REGION_SIZE));
	ASSERT_LE(0, create_region(&self->t, a, REGION_SIZE, 0600));
	EXPECT_EQ(-ENOSPC, create_region(&self->t, b, 2 * REGION_SIZE, 0600));
}

/*
 * Create @name expecting -@err; check the stats are as before and the name
 * still does not exist.
 */
static void expect_refused_cleanly(struct __test_metadata *_metadata,
				   const char *name, __u64 size, int err)
{
	long long regions = shmbus_stat("regions");
	long long bytes = shmbus_stat("bytes");
	long long pages = shmbus_stat("pages");
	int fd = shmbus_open_bound(name, size,
				   SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);

	if (fd >= 0)
		close(fd);
	ASSERT_EQ(-err, fd);
	EXPECT_EQ(regions, shmbus_stat("regions"));
	EXPECT_EQ(bytes, shmbus_stat("bytes"));
	EXPECT_EQ(pages, shmbus_stat("pages"));
	EXPECT_EQ(-ENOENT, probe(name, SHMBUS_BIND_RDONLY));
}

/* A create refused by any of the limits leaves nothing behind. */
TEST_F(limits, refused_create_leaves_no_trace)
{
	const char *base = track_name(&self->t, "lim-base");
	const char *name = track_name(&self->t, "lim-refused");

	ASSERT_LE(0, create_region(&self->t, base, REGION_SIZE, 0600));
	ASSERT_EQ(0, set_limit(MAX_REGION_BYTES, SMALL_LIMIT));
	expect_refused_cleanly(_metadata, name, SMALL_LIMIT + 1, EFBIG);
	ASSERT_EQ(0, set_limit(MAX_REGION_BYTES, self->saved[MAX_REGION_BYTES]));
	ASSERT_EQ(0, set_limit(MAX_REGIONS, shmbus_stat("regions")));
	expect_refused_cleanly(_metadata, name, REGION_SIZE, ENOSPC);
	ASSERT_EQ(0, set_limit(MAX_REGIONS, self->saved[MAX_REGIONS]));
	ASSERT_EQ(0, set_limit(MAX_TOTAL_BYTES, shmbus_stat("bytes")));
	expect_refused_cleanly(_metadata, name, REGION_SIZE, ENOSPC);
}

TEST_HARNESS_MAIN
