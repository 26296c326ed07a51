// SPDX-License-Identifier: GPL-2.0
/*
 * Users are tenants: none can use up the limits of the others.
 *
 * - max_user_regions and max_user_bytes limit each creator uid, in every
 *   IPC namespace together (EDQUOT); unlinking its regions gives a uid its
 *   quota back.
 * - CAP_SYS_RESOURCE, not uid 0, is exempt from them.
 *
 * The test process stays root in the initial namespaces.  Other users are
 * played by peers (util.h): forked children that switch uid, drop a
 * capability or unshare their IPC namespace, then run the commands the test
 * sends them one at a time.  quota_ns_test covers the limits of IPC
 * namespaces and what each tenant sees of the others.
 */
#define _GNU_SOURCE
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "util.h"

#define USER_A		1000
#define USER_B		1001
#define REGION_SIZE	4096
#define QUOTA		4	/* regions (or REGION_SIZE bytes) a lowered limit leaves */
#define SETTLE_SECONDS	20	/* within the harness's 30 s per test */
#define NR_PEERS	3
#define MAX_TRACKED	4

/* Module parameters the tests lower; all are restored at teardown. */
enum { MAX_USER_REGIONS, MAX_USER_BYTES, NR_PARAMS };

static const char *const param_names[NR_PARAMS] = {
	"max_user_regions", "max_user_bytes",
};

/* The parameter's value, or -1 if the module has no such parameter. */
static long long get_param(int param)
{
	return shmbus_param(param_names[param]);
}

static int set_param(int param, long long value)
{
	return shmbus_set_param(param_names[param], value);
}

/* Regions whose creator is @uid and the sum of their sizes, as root sees them. */
static int user_usage(uid_t uid, long long *regions, long long *bytes)
{
	struct shmbus_regions_file rf;
	const char *cuid, *size;
	int ret = shmbus_regions_open(&rf);

	if (ret)
		return ret;
	*regions = *bytes = 0;
	while (shmbus_regions_next(&rf)) {
		cuid = shmbus_regions_field(&rf, "cuid");
		size = shmbus_regions_field(&rf, "size");
		if (!cuid || !size) {
			ret = -ENODEV;
			break;
		}
		if (strtoul(cuid, NULL, 10) == uid) {
			(*regions)++;
			*bytes += strtoll(size, NULL, 10);
		}
	}
	fclose(rf.f);
	return ret;
}

static int become(uid_t uid)
{
	return setresuid(uid, uid, uid);
}

static int as_user_a(void)
{
	return become(USER_A);
}

static int as_user_b(void)
{
	return become(USER_B);
}

static int as_user_a_in_new_ipc_ns(void)
{
	return in_new_ipc_ns() || become(USER_A);
}

/* Stay root but give up CAP_SYS_RESOURCE (all sets). */
static int without_cap_sys_resource(void)
{
	return shmbus_drop_cap(CAP_SYS_RESOURCE);
}

FIXTURE(tenants) {
	long long saved[NR_PARAMS];	/* -1: the module has no such parameter */
	long long regions_before;	/* in every namespace */
	struct shmbus_peer peers[NR_PEERS];
	char names[MAX_TRACKED][SHMBUS_NAME_MAX];	/* the test's own regions */
	int fds[MAX_TRACKED];
	int nr_names, nr_fds;
};

FIXTURE_SETUP(tenants)
{
	int i;

	ASSERT_EQ(0, geteuid()) TH_LOG("needs root");
	ASSERT_TRUE(path_exists(SHMBUS_DEV)) TH_LOG("shmbus is not loaded");
	for (i = 0; i < NR_PARAMS; i++)
		self->saved[i] = get_param(i);
	self->regions_before = shmbus_all_regions();
	ASSERT_LE(0, self->regions_before);
}

FIXTURE_TEARDOWN(tenants)
{
	long long left;
	int i;

	for (i = 0; i < NR_PEERS; i++)
		shmbus_peer_stop(&self->peers[i]);
	while (self->nr_fds)
		close(self->fds[--self->nr_fds]);
	while (self->nr_names)
		shmbus_unlink(self->names[--self->nr_names]);
	for (i = 0; i < NR_PARAMS; i++)
		if (self->saved[i] >= 0)
			set_param(i, self->saved[i]);
	left = settle_regions(self->regions_before, SETTLE_SECONDS * 1000);
	if (left != self->regions_before)
		TH_LOG("teardown: %lld regions left, %lld before", left, self->regions_before);
}

/* Create the test's own region "q<PID>-TAG" as root: its fd, or -errno. */
static int host_create(FIXTURE_DATA(tenants) *self, const char *tag, __u64 size)
{
	char *name = self->names[self->nr_names];
	int fd;

	if (self->nr_names == MAX_TRACKED)
		abort();
	snprintf(name, SHMBUS_NAME_MAX, "q%d-%s", getpid(), tag);
	fd = shmbus_open_bound(name, size, SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	if (fd < 0)
		return fd;
	self->nr_names++;
	self->fds[self->nr_fds++] = fd;
	return fd;
}

/* A name prefix unique to this test and @who. */
static const char *prefix(char *buf, const char *who)
{
	snprintf(buf, SHMBUS_NAME_MAX, "q%d-%s", getpid(), who);
	return buf;
}

/*
 * Lower @param so that user A has QUOTA regions (or QUOTA * REGION_SIZE
 * bytes) left, and have peer 0, as user A, create until it fails.
 */
static void exhaust_user_a(struct __test_metadata *_metadata,
			   FIXTURE_DATA(tenants) *self, int param)
{
	struct shmbus_peer *a = &self->peers[0];
	long long regions, bytes;
	char buf[SHMBUS_NAME_MAX];

	long long limit;

	ASSERT_EQ(0, user_usage(USER_A, &regions, &bytes));
	limit = param == MAX_USER_REGIONS ? regions + QUOTA : bytes + QUOTA * REGION_SIZE;
	ASSERT_EQ(0, set_param(param, limit)) TH_LOG("cannot set %s", param_names[param]);
	ASSERT_EQ(0, shmbus_peer_start(a, as_user_a));
	ASSERT_EQ(0, shmbus_peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, QUOTA + 1));
}

/* max_user_regions: one uid makes that many regions, the next is EDQUOT. */
TEST_F(tenants, user_regions_quota_edquot)
{
	struct shmbus_peer *a = &self->peers[0];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	EXPECT_EQ(EDQUOT, a->page->err) TH_LOG("errno %d after %d regions",
					      a->page->err, a->page->created);
	EXPECT_EQ(QUOTA, a->page->created);
}

/* A uid that used up max_user_regions leaves another uid able to create. */
TEST_F(tenants, user_regions_quota_spares_other_user)
{
	struct shmbus_peer *b = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	ASSERT_EQ(EDQUOT, self->peers[0].page->err);
	ASSERT_EQ(0, shmbus_peer_start(b, as_user_b));
	ASSERT_EQ(0, shmbus_peer_create_regions(b, prefix(buf, "b"), REGION_SIZE, 1));
	EXPECT_EQ(1, b->page->created) TH_LOG("user B: %s", strerror(b->page->err));
}

/* max_user_bytes: one uid's regions add up to that many bytes, then EDQUOT. */
TEST_F(tenants, user_bytes_quota_edquot)
{
	struct shmbus_peer *a = &self->peers[0];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	EXPECT_EQ(EDQUOT, a->page->err) TH_LOG("errno %d after %d regions",
					      a->page->err, a->page->created);
	EXPECT_EQ(QUOTA, a->page->created);
}

/* A uid that used up max_user_bytes leaves another uid able to create. */
TEST_F(tenants, user_bytes_quota_spares_other_user)
{
	struct shmbus_peer *b = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	ASSERT_EQ(EDQUOT, self->peers[0].page->err);
	ASSERT_EQ(0, shmbus_peer_start(b, as_user_b));
	ASSERT_EQ(0, shmbus_peer_create_regions(b, prefix(buf, "b"), REGION_SIZE, 1));
	EXPECT_EQ(1, b->page->created) TH_LOG("user B: %s", strerror(b->page->err));
}

/* Unlinking its regions gives a uid its max_user_regions quota back. */
TEST_F(tenants, user_regions_quota_released_with_regions)
{
	struct shmbus_peer *a = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	ASSERT_EQ(EDQUOT, a->page->err);
	ASSERT_EQ(0, shmbus_peer_do(a, SHMBUS_PEER_UNLINK_OWN));
	ASSERT_EQ(0, shmbus_peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 1));
	EXPECT_EQ(1, a->page->created) TH_LOG("user A again: %s", strerror(a->page->err));
}

/* Unlinking its regions gives a uid its max_user_bytes quota back. */
TEST_F(tenants, user_bytes_quota_released_with_regions)
{
	struct shmbus_peer *a = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	ASSERT_EQ(EDQUOT, a->page->err);
	ASSERT_EQ(0, shmbus_peer_do(a, SHMBUS_PEER_UNLINK_OWN));
	ASSERT_EQ(0, shmbus_peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 1));
	EXPECT_EQ(1, a->page->created) TH_LOG("user A again: %s", strerror(a->page->err));
}

/* A uid's quota counts its regions in every IPC namespace together. */
TEST_F(tenants, user_quota_counts_every_namespace)
{
	struct shmbus_peer *a = &self->peers[0], *a_ns = &self->peers[1];
	long long regions, bytes;
	char buf[SHMBUS_NAME_MAX];

	ASSERT_EQ(0, user_usage(USER_A, &regions, &bytes));
	ASSERT_EQ(0, set_param(MAX_USER_REGIONS, regions + QUOTA))
		TH_LOG("cannot set max_user_regions");
	ASSERT_EQ(0, shmbus_peer_start(a, as_user_a));
	ASSERT_EQ(0, shmbus_peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 2));
	ASSERT_EQ(2, a->page->created) TH_LOG("user A: %s", strerror(a->page->err));
	ASSERT_EQ(0, shmbus_peer_start(a_ns, as_user_a_in_new_ipc_ns));
	ASSERT_EQ(0, shmbus_peer_create_regions(a_ns, prefix(buf, "a-ns"), REGION_SIZE, QUOTA));
	ASSERT_EQ(EDQUOT, a_ns->page->err) TH_LOG("errno %d", a_ns->page->err);
	EXPECT_EQ(QUOTA - 2, a_ns->page->created);
}

/* Lower max_user_regions to what root has: root is at its quota. */
static void root_at_quota(struct __test_metadata *_metadata, FIXTURE_DATA(tenants) *self)
{
	long long regions, bytes;

	ASSERT_LE(0, host_create(self, "mine", REGION_SIZE));
	ASSERT_EQ(0, user_usage(0, &regions, &bytes));
	ASSERT_EQ(0, set_param(MAX_USER_REGIONS, regions)) TH_LOG("cannot set max_user_regions");
}

/* CAP_SYS_RESOURCE is exempt from max_user_regions. */
TEST_F(tenants, cap_sys_resource_exempt_from_user_quota)
{
	root_at_quota(_metadata, self);
	EXPECT_LE(0, host_create(self, "more", REGION_SIZE));
}

/* The exemption is CAP_SYS_RESOURCE, not uid 0: root without it gets EDQUOT. */
TEST_F(tenants, root_without_cap_sys_resource_edquot)
{
	struct shmbus_peer *r = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	root_at_quota(_metadata, self);
	ASSERT_EQ(0, shmbus_peer_start(r, without_cap_sys_resource));
	ASSERT_EQ(0, shmbus_peer_create_regions(r, prefix(buf, "r"), REGION_SIZE, 1));
	EXPECT_EQ(EDQUOT, r->page->err) TH_LOG("created %d", r->page->created);
}

TEST_HARNESS_MAIN
