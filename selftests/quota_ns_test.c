// SPDX-License-Identifier: GPL-2.0
/*
 * IPC namespaces are tenants: none can use up the limits of the others, and
 * a container neither hides its regions from the host nor learns what the
 * host does.
 *
 * - max_regions and max_total_bytes limit each IPC namespace (ENOSPC).
 * - Root in the initial namespace lists every namespace's regions in
 *   /proc/shmbus/regions (last column "ns": the nsfs inode of the region's
 *   namespace) and removes them (struct shmbus_unlink.ns); nobody else does.
 * - /proc/shmbus/stats counts the reader's namespace; only root in the
 *   initial namespace sees the all_ totals.  Region ids reveal nothing.
 *
 * The test process stays root in the initial namespaces.  Other namespaces
 * and users are played by peers (util.h): forked children that switch uid
 * or unshare their IPC namespace, then run the commands the test sends them
 * one at a time.  quota_user_test covers the quotas of each user.
 */
#define _GNU_SOURCE

#include "kselftest_harness.h"
#include "util.h"

#define USER_A		1000
#define REGION_SIZE	4096
#define QUOTA		4	/* regions (or REGION_SIZE bytes) a lowered limit leaves */
#define SETTLE_SECONDS	20	/* within the harness's 30 s per test */
#define NR_PEERS	3
#define MAX_TRACKED	4

/* Module parameters the tests lower; all are restored at teardown. */
enum { MAX_REGIONS, MAX_TOTAL_BYTES, NR_PARAMS };

static const char *const param_names[NR_PARAMS] = {
	"max_regions", "max_total_bytes",
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

typedef int (*prepare_fn)(void);

/* The peer's errno answer to @cmd on @name (and @ns), or -1 if it is gone. */
static int peer_errno(struct shmbus_peer *p, enum shmbus_peer_cmd cmd, const char *name,
		      __u64 ns)
{
	snprintf(p->page->name, sizeof(p->page->name), "%s", name);
	p->page->ns = ns;
	return shmbus_peer_do(p, cmd) ? -1 : p->page->err;
}

/* Does /proc/shmbus/regions, as the peer reads it, show region @id? */
static int peer_lists(struct shmbus_peer *p, __u64 id)
{
	p->page->id = id;
	return shmbus_peer_do(p, SHMBUS_PEER_LISTS) ? -1 : p->page->listed;
}

static int become(uid_t uid)
{
	return setresuid(uid, uid, uid);
}

static int as_user_a(void)
{
	return become(USER_A);
}

static int as_user_a_in_new_ipc_ns(void)
{
	return in_new_ipc_ns() || become(USER_A);
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
 * Lower @param to what the initial namespace uses plus @extra regions (or
 * bytes), then have peer 0, root in a new IPC namespace, create REGION_SIZE
 * regions until it fails.
 */
static void exhaust_child_ns(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tenants) *self, int param, long long extra)
{
	struct shmbus_peer *c = &self->peers[0];
	long long used = shmbus_stat(param == MAX_REGIONS ? "regions" : "bytes");
	long long limit = used + extra;
	long long max = param == MAX_REGIONS ? limit : limit / REGION_SIZE;
	char buf[SHMBUS_NAME_MAX];

	ASSERT_LE(0, used);
	ASSERT_EQ(0, set_param(param, limit));
	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	ASSERT_EQ(0, shmbus_peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, max + 1));
	ASSERT_EQ(ENOSPC, c->page->err) TH_LOG("errno %d after %d regions",
					      c->page->err, c->page->created);
}

/* A namespace that used up max_regions leaves the initial one able to create. */
TEST_F(tenants, ns_max_regions_spares_host)
{
	exhaust_child_ns(_metadata, self, MAX_REGIONS, QUOTA);
	EXPECT_LE(0, host_create(self, "host", REGION_SIZE));
}

/* A namespace that used up max_total_bytes leaves the initial one able to create. */
TEST_F(tenants, ns_max_total_bytes_spares_host)
{
	exhaust_child_ns(_metadata, self, MAX_TOTAL_BYTES, QUOTA * REGION_SIZE);
	EXPECT_LE(0, host_create(self, "host", REGION_SIZE));
}

/* max_regions counts a namespace's own regions only: a fresh one gets them all. */
TEST_F(tenants, ns_max_regions_counts_own_namespace)
{
	long long limit;

	ASSERT_LE(0, host_create(self, "host-1", REGION_SIZE));
	ASSERT_LE(0, host_create(self, "host-2", REGION_SIZE));
	limit = shmbus_stat("regions");
	exhaust_child_ns(_metadata, self, MAX_REGIONS, 0);
	EXPECT_EQ(limit, self->peers[0].page->created);
}

/* max_total_bytes counts a namespace's own regions only: a fresh one gets them all. */
TEST_F(tenants, ns_max_total_bytes_counts_own_namespace)
{
	long long limit;

	ASSERT_LE(0, host_create(self, "host-1", REGION_SIZE));
	ASSERT_LE(0, host_create(self, "host-2", REGION_SIZE));
	limit = shmbus_stat("bytes");
	exhaust_child_ns(_metadata, self, MAX_TOTAL_BYTES, 0);
	EXPECT_EQ(limit / REGION_SIZE, self->peers[0].page->created);
}

/* Start peer @i in a new IPC namespace with one named region in it. */
static void child_ns_with_region(struct __test_metadata *_metadata,
				 FIXTURE_DATA(tenants) *self, int i, prepare_fn prepare)
{
	struct shmbus_peer *c = &self->peers[i];
	char buf[SHMBUS_NAME_MAX], who[16];

	snprintf(who, sizeof(who), "ns%d", i);
	ASSERT_EQ(0, shmbus_peer_start(c, prepare));
	ASSERT_EQ(0, shmbus_peer_create_regions(c, prefix(buf, who), REGION_SIZE, 1));
	ASSERT_EQ(1, c->page->created) TH_LOG("%s", strerror(c->page->err));
	ASSERT_NE(shmbus_ns_inode("ipc"), c->page->my_ns);
}

/* The name of peer @c's first region. */
static const char *first_name(struct shmbus_peer *c, char *name)
{
	shmbus_peer_name(name, c->page->name, 0);
	return name;
}

/* /proc/shmbus/regions ends its header with the column "ns". */
TEST_F(tenants, regions_header_ends_with_ns)
{
	struct shmbus_regions_file rf;

	ASSERT_EQ(0, shmbus_regions_open(&rf));
	fclose(rf.f);
	ASSERT_LT(0, rf.nr_header);
	EXPECT_STREQ("ns", rf.header[rf.nr_header - 1]);
}

/* Root in the initial namespace sees the regions of a private namespace. */
TEST_F(tenants, host_root_lists_child_namespace_region)
{
	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(1, shmbus_regions_lists_id(self->peers[0].page->id));
}

/* The ns column of a private namespace's region is that namespace's inode. */
TEST_F(tenants, ns_column_names_child_namespace)
{
	struct shmbus_peer *c = &self->peers[0];
	char ns[32];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, shmbus_regions_lookup(c->page->id, "ns", ns, sizeof(ns)));
	EXPECT_EQ(c->page->my_ns, strtoull(ns, NULL, 10)) TH_LOG("ns column %s", ns);
}

/* The ns column of the reader's own region is its namespace's inode. */
TEST_F(tenants, ns_column_names_own_namespace)
{
	int fd = host_create(self, "host", REGION_SIZE);
	char ns[32];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_regions_lookup(region_id_of(fd), "ns", ns, sizeof(ns)));
	EXPECT_EQ(shmbus_ns_inode("ipc"), strtoull(ns, NULL, 10)) TH_LOG("ns column %s", ns);
}

/* A non-root reader in the initial namespace sees only that namespace. */
TEST_F(tenants, non_root_lists_own_namespace_only)
{
	struct shmbus_peer *u = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, shmbus_peer_start(u, as_user_a));
	ASSERT_EQ(0, shmbus_peer_create_regions(u, prefix(buf, "a"), REGION_SIZE, 1));
	ASSERT_EQ(1, peer_lists(u, u->page->id)) TH_LOG("user A does not see its own region");
	EXPECT_EQ(0, peer_lists(u, self->peers[0].page->id));
}

/* Root inside a private namespace sees neither the host's nor another's regions. */
TEST_F(tenants, private_ns_root_lists_own_namespace_only)
{
	struct shmbus_peer *c1 = &self->peers[0], *c2 = &self->peers[1];
	int fd = host_create(self, "host", REGION_SIZE);

	ASSERT_LE(0, fd);
	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	child_ns_with_region(_metadata, self, 1, in_new_ipc_ns);
	ASSERT_EQ(1, peer_lists(c2, c2->page->id)) TH_LOG("a namespace does not see its own region");
	EXPECT_EQ(0, peer_lists(c2, c1->page->id)) TH_LOG("sees another namespace's region");
	EXPECT_EQ(0, peer_lists(c2, region_id_of(fd))) TH_LOG("sees the host's region");
}

/* UNLINK as root in the initial namespace: 0, or -errno. */
static int host_unlink(const char *name, __u64 ns, __u64 reserved)
{
	struct shmbus_unlink req = { .ns = ns, .reserved = { reserved } };

	snprintf(req.name, sizeof(req.name), "%s", name);
	return shmbus_unlink_req(&req);
}

/* Root in the initial namespace unlinks a name of a private one by its inode. */
TEST_F(tenants, host_root_unlinks_in_child_namespace)
{
	struct shmbus_peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, host_unlink(first_name(c, name), c->page->my_ns, 0));
	EXPECT_EQ(ENOENT, peer_errno(c, SHMBUS_PEER_PROBE, name, 0)) TH_LOG("the name is still there");
}

/* UNLINK naming another namespace by a non-root uid is EPERM, even its own name. */
TEST_F(tenants, unlink_other_namespace_by_non_root_eperm)
{
	struct shmbus_peer *c = &self->peers[0], *u = &self->peers[1];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, as_user_a_in_new_ipc_ns);
	ASSERT_EQ(0, shmbus_peer_start(u, as_user_a));
	EXPECT_EQ(EPERM, peer_errno(u, SHMBUS_PEER_UNLINK, first_name(c, name), c->page->my_ns));
	EXPECT_EQ(0, peer_errno(c, SHMBUS_PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming another namespace by root inside a private namespace is EPERM. */
TEST_F(tenants, unlink_other_namespace_from_private_ns_eperm)
{
	struct shmbus_peer *c1 = &self->peers[0], *c2 = &self->peers[1];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, shmbus_peer_start(c2, in_new_ipc_ns));
	EXPECT_EQ(EPERM, peer_errno(c2, SHMBUS_PEER_UNLINK, first_name(c1, name), c1->page->my_ns));
	EXPECT_EQ(0, peer_errno(c1, SHMBUS_PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming another namespace with a non-zero reserved word is EINVAL. */
TEST_F(tenants, unlink_other_namespace_nonzero_reserved_einval)
{
	struct shmbus_peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(-EINVAL, host_unlink(first_name(c, name), c->page->my_ns, 1));
	EXPECT_EQ(0, peer_errno(c, SHMBUS_PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming a namespace that is no IPC namespace with regions is ENOENT. */
TEST_F(tenants, unlink_unknown_namespace_enoent)
{
	int fd = host_create(self, "host", REGION_SIZE);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, host_unlink(self->names[0], shmbus_ns_inode("mnt"), 0));
	EXPECT_EQ(1, shmbus_regions_lists_id(region_id_of(fd))) TH_LOG("the name is gone");
}

/* UNLINK of a name a private namespace does not hold, by its inode, is ENOENT. */
TEST_F(tenants, unlink_unknown_name_in_child_namespace_enoent)
{
	struct shmbus_peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(-ENOENT, host_unlink(prefix(name, "never-made"), c->page->my_ns, 0));
}

/* A host region with one page touched, so every host counter is non-zero. */
static void host_busy(struct __test_metadata *_metadata, FIXTURE_DATA(tenants) *self)
{
	int fd = host_create(self, "host", 2 * REGION_SIZE);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_touch_first_page(fd));
}

/* A private namespace's stats count none of the host's regions, pages, bytes. */
TEST_F(tenants, private_ns_stats_exclude_host)
{
	struct shmbus_peer *c = &self->peers[0];

	host_busy(_metadata, self);
	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	ASSERT_EQ(0, shmbus_peer_do(c, SHMBUS_PEER_STATS));
	EXPECT_EQ(0, c->page->stats[SHMBUS_STAT_REGIONS]);
	EXPECT_EQ(0, c->page->stats[SHMBUS_STAT_PAGES]);
	EXPECT_EQ(0, c->page->stats[SHMBUS_STAT_BYTES]);
}

/* A private namespace's stats count its own regions, pages and bytes. */
TEST_F(tenants, private_ns_stats_count_own_regions)
{
	struct shmbus_peer *c = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	host_busy(_metadata, self);
	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, shmbus_peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	ASSERT_EQ(0, shmbus_peer_do(c, SHMBUS_PEER_STATS));
	EXPECT_EQ(2, c->page->stats[SHMBUS_STAT_REGIONS]);
	EXPECT_EQ(2, c->page->stats[SHMBUS_STAT_PAGES]);
	EXPECT_EQ(2 * REGION_SIZE, c->page->stats[SHMBUS_STAT_BYTES]);
}

/* The host's regions, pages and bytes leave out a private namespace's. */
TEST_F(tenants, host_stats_exclude_child_namespace)
{
	struct shmbus_peer *c = &self->peers[0];
	long long before[SHMBUS_NR_STATS];
	char buf[SHMBUS_NAME_MAX];
	int i;

	for (i = SHMBUS_STAT_REGIONS; i <= SHMBUS_STAT_BYTES; i++)
		before[i] = shmbus_stat(shmbus_stat_names[i]);
	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, shmbus_peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	for (i = SHMBUS_STAT_REGIONS; i <= SHMBUS_STAT_BYTES; i++) {
		EXPECT_EQ(before[i], shmbus_stat(shmbus_stat_names[i])) TH_LOG("%s", shmbus_stat_names[i]);
	}
}

/* Root in the initial namespace sees all_regions/pages/bytes over namespaces. */
TEST_F(tenants, host_root_stats_all_sum_namespaces)
{
	struct shmbus_peer *c = &self->peers[0];
	long long before[SHMBUS_NR_STATS];
	char buf[SHMBUS_NAME_MAX];
	int i;

	for (i = SHMBUS_STAT_ALL_REGIONS; i <= SHMBUS_STAT_ALL_BYTES; i++) {
		before[i] = shmbus_stat(shmbus_stat_names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no %s line", shmbus_stat_names[i]);
	}
	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, shmbus_peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	EXPECT_EQ(before[SHMBUS_STAT_ALL_REGIONS] + 2, shmbus_stat("all_regions"));
	EXPECT_EQ(before[SHMBUS_STAT_ALL_PAGES] + 2, shmbus_stat("all_pages"));
	EXPECT_EQ(before[SHMBUS_STAT_ALL_BYTES] + 2 * REGION_SIZE, shmbus_stat("all_bytes"));
}

static void expect_no_all_lines(struct __test_metadata *_metadata, struct shmbus_peer *p)
{
	int i;

	ASSERT_EQ(0, shmbus_peer_do(p, SHMBUS_PEER_STATS));
	ASSERT_LE(0, p->page->stats[SHMBUS_STAT_REGIONS]) TH_LOG("no regions line at all");
	for (i = SHMBUS_STAT_ALL_REGIONS; i <= SHMBUS_STAT_ALL_BYTES; i++) {
		EXPECT_EQ(-1, p->page->stats[i]) TH_LOG("%s shown", shmbus_stat_names[i]);
	}
}

/* A non-root reader in the initial namespace sees no all_ lines. */
TEST_F(tenants, non_root_stats_no_all_lines)
{
	ASSERT_EQ(0, shmbus_peer_start(&self->peers[0], as_user_a));
	expect_no_all_lines(_metadata, &self->peers[0]);
}

/* Root inside a private namespace sees no all_ lines. */
TEST_F(tenants, private_ns_root_stats_no_all_lines)
{
	ASSERT_EQ(0, shmbus_peer_start(&self->peers[0], in_new_ipc_ns));
	expect_no_all_lines(_metadata, &self->peers[0]);
}

/* A new anonymous region on a handle the test keeps: its id, 0 on failure. */
static __u64 host_anon_id(FIXTURE_DATA(tenants) *self)
{
	int fd;

	if (self->nr_fds == MAX_TRACKED)
		abort();
	fd = shmbus_anon_region(REGION_SIZE, NULL);
	if (fd < 0)
		return 0;
	self->fds[self->nr_fds++] = fd;
	return region_id_of(fd);
}

static void expect_no_progression(struct __test_metadata *_metadata, const __u64 id[3])
{
	ASSERT_NE(0, id[0]);
	ASSERT_NE(0, id[1]);
	ASSERT_NE(0, id[2]);
	EXPECT_NE(id[1] - id[0], id[2] - id[1])
		TH_LOG("ids %llu %llu %llu", (unsigned long long)id[0],
		       (unsigned long long)id[1], (unsigned long long)id[2]);
}

/* Ids of three consecutive binds in one namespace are no arithmetic progression. */
TEST_F(tenants, ids_reveal_nothing_same_namespace)
{
	__u64 id[3];
	int i;

	for (i = 0; i < 3; i++)
		id[i] = host_anon_id(self);
	expect_no_progression(_metadata, id);
}

/* Ids of three consecutive binds across namespaces are no arithmetic progression. */
TEST_F(tenants, ids_reveal_nothing_across_namespaces)
{
	struct shmbus_peer *c = &self->peers[0];
	__u64 id[3];

	ASSERT_EQ(0, shmbus_peer_start(c, in_new_ipc_ns));
	id[0] = host_anon_id(self);
	ASSERT_EQ(0, shmbus_peer_do(c, SHMBUS_PEER_BIND_ANON));
	ASSERT_EQ(0, c->page->err);
	id[1] = c->page->id;
	id[2] = host_anon_id(self);
	expect_no_progression(_metadata, id);
}

TEST_HARNESS_MAIN
