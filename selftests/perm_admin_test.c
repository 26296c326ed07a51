// SPDX-License-Identifier: GPL-2.0
/*
 * Who may change a region, as docs/regions.md ("Permissions") states it:
 * UNLINK, CHMOD and CHOWN need the caller's euid to be the region's uid or
 * cuid, or CAP_SYS_ADMIN (EPERM otherwise, and nothing changes); CHOWN hands
 * the owner's rights over and keeps an id given as SHMBUS_ID_UNCHANGED; INFO
 * follows every change.  Their arguments are checked: a mode outside 0777 or
 * a non-zero pad or reserved word is EINVAL and changes nothing; UNLINK of a
 * missing name is ENOENT, of a name with no NUL ENAMETOOLONG, of an empty
 * name or one with '/' EINVAL.
 *
 * The test process stays root.  Other users are played by forked children
 * (spawn_as()) that switch ids and report through their exit status (an
 * errno, 0 for success).
 */
#define _GNU_SOURCE

#include "kselftest_harness.h"
#include "util.h"

#define USER		1000	/* an ordinary uid with no region of its own */
#define REGION_SIZE	4096

/* A read-write root handle on an existing region (CAP_IPC_OWNER). */
static int open_region(struct tracked *t, const char *name)
{
	return bind_tracked(t, name, 0, 0, 0);
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
	ASSERT_EQ(0, shmbus_info(fd, &info));
	EXPECT_EQ(want.uid, info.uid);
	EXPECT_EQ(want.gid, info.gid);
	EXPECT_EQ(want.cuid, info.cuid);
	EXPECT_EQ(want.cgid, info.cgid);
	EXPECT_EQ(want.mode, info.mode) TH_LOG("mode %o, want %o", info.mode, want.mode);
}

/* What a child is asked to do. */
struct req {
	char name[SHMBUS_NAME_MAX];
	__u64 size;			/* bind size */
	__u32 flags;			/* bind flags */
	__u32 mode;			/* CREATE and CHMOD */
	__u32 uid, gid;			/* CHOWN */
};

static struct req named(const char *name)
{
	struct req req = { .size = 0 };

	snprintf(req.name, sizeof(req.name), "%s", name);
	return req;
}

typedef int (*prepare_fn)(void);

/* spawn_as() and reap(): the child's exit status, or -errno. */
static int run_child(prepare_fn prepare, int (*fn)(void *), void *arg)
{
	pid_t pid = spawn_as(prepare, fn, arg);

	return pid < 0 ? pid : reap(pid, REAP_FOREVER, NULL);
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

static int child_unlink(void *arg)
{
	struct req *req = arg;

	return -shmbus_unlink(req->name);
}

/* A read-write handle on req->name for CHMOD or CHOWN, or -errno. */
static int bind_for_change(struct req *req)
{
	int fd = shmbus_open_bound(req->name, 0, 0, 0);

	if (fd < 0)
		fprintf(stderr, "# child: bind %s: %s\n", req->name, strerror(-fd));
	return fd;
}

static int child_chmod(void *arg)
{
	struct req *req = arg;
	int fd = bind_for_change(req);

	return fd < 0 ? CHILD_BROKEN : -shmbus_chmod(fd, req->mode);
}

static int child_chown(void *arg)
{
	struct req *req = arg;
	int fd = bind_for_change(req);

	return fd < 0 ? CHILD_BROKEN : -shmbus_chown(fd, req->uid, req->gid);
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
};

FIXTURE_SETUP(perm)
{
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
}

FIXTURE_TEARDOWN(perm)
{
	release_tracked(&self->t);
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
	EXPECT_EQ(0, shmbus_unlink(name));
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

/* UNLINK of a name that does not exist is ENOENT. */
TEST(unlink_missing_enoent)
{
	char name[SHMBUS_NAME_MAX];

	shmbus_unique_name(name, "never-created");
	EXPECT_EQ(-ENOENT, shmbus_unlink(name));
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

TEST_HARNESS_MAIN
