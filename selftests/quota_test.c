// SPDX-License-Identifier: GPL-2.0
/*
 * Users and IPC namespaces are tenants: none can use up the limits of the
 * others, and a container neither hides its regions from the host nor learns
 * what the host does.
 *
 * - max_user_regions and max_user_bytes limit each creator uid, in every
 *   namespace together (EDQUOT); CAP_SYS_RESOURCE is exempt from them.
 * - max_regions and max_total_bytes limit each IPC namespace (ENOSPC).
 * - Root in the initial namespace lists every namespace's regions in
 *   /proc/shmbus/regions (last column "ns": the nsfs inode of the region's
 *   namespace) and removes them (struct shmbus_unlink.ns); nobody else does.
 * - /proc/shmbus/stats counts the reader's namespace; only root in the
 *   initial namespace sees the all_ totals.  Region ids reveal nothing.
 *
 * The test process stays root in the initial namespaces.  Other users and
 * namespaces are played by peers: forked children that switch uid, drop a
 * capability or unshare their IPC namespace, then run commands the test
 * sends them one at a time through a pipe, with arguments and answers in a
 * shared page.  A peer unlinks every name it made when the test closes its
 * pipe, so its namespace holds nothing when it dies.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"

#define USER_A		1000
#define USER_B		1001
#define REGION_SIZE	4096
#define QUOTA		4	/* regions (or REGION_SIZE bytes) a lowered limit leaves */
#define MAX_FIELDS	16
#define SETTLE_SECONDS	20	/* within the harness's 30 s per test */
#define NR_PEERS	3
#define MAX_TRACKED	4

/* Module parameters the tests lower; all are restored at teardown. */
enum { MAX_REGIONS, MAX_TOTAL_BYTES, MAX_USER_REGIONS, MAX_USER_BYTES, NR_PARAMS };

static const char *const param_names[NR_PARAMS] = {
	"max_regions", "max_total_bytes", "max_user_regions", "max_user_bytes",
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

/* Counters of /proc/shmbus/stats the tests read. */
enum { REGIONS, PAGES, BYTES, ALL_REGIONS, ALL_PAGES, ALL_BYTES, NR_STATS };

static const char *const stat_names[NR_STATS] = {
	"regions", "pages", "bytes", "all_regions", "all_pages", "all_bytes",
};

/* The inode number of this process's namespace of @type ("ipc", "mnt"). */
static __u64 ns_inode(const char *type)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : st.st_ino;
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

/*
 * A view of /proc/shmbus/regions as this process reads it: the header's
 * words, then each row's through regions_next().
 */
struct regions_file {
	FILE *f;
	char header_line[256], line[512];
	char *header[MAX_FIELDS], *row[MAX_FIELDS];
	int nr_header, nr_row;
};

static int regions_open(struct regions_file *rf)
{
	rf->f = fopen(SHMBUS_REGIONS, "re");
	if (!rf->f)
		return -errno;
	if (!fgets(rf->header_line, sizeof(rf->header_line), rf->f)) {
		fclose(rf->f);
		return -ENODATA;
	}
	rf->nr_header = split_words(rf->header_line, rf->header, MAX_FIELDS);
	return 0;
}

static int regions_next(struct regions_file *rf)
{
	if (!fgets(rf->line, sizeof(rf->line), rf->f))
		return 0;
	rf->nr_row = split_words(rf->line, rf->row, MAX_FIELDS);
	return 1;
}

/* Field @column of the row in @rf, or NULL if the header has no such column. */
static const char *regions_field(struct regions_file *rf, const char *column)
{
	int i = column_of(rf->header, rf->nr_header, column);

	return i >= 0 && i < rf->nr_row ? rf->row[i] : NULL;
}

/*
 * Copy field @column of region @id's row into @value: 0, -ENOENT when no row
 * shows @id, -ENODEV when there is no such column, or -errno.
 */
static int regions_lookup(__u64 id, const char *column, char *value, size_t len)
{
	struct regions_file rf;
	const char *v;
	int ret = regions_open(&rf);

	if (ret)
		return ret;
	ret = -ENOENT;
	while (regions_next(&rf)) {
		v = regions_field(&rf, "id");
		if (!v || strtoull(v, NULL, 10) != id)
			continue;
		v = regions_field(&rf, column);
		ret = v ? 0 : -ENODEV;
		if (v)
			snprintf(value, len, "%s", v);
		break;
	}
	fclose(rf.f);
	return ret;
}

/* Does /proc/shmbus/regions, as this process reads it, show region @id? */
static int regions_lists(__u64 id)
{
	char value[32];
	int ret = regions_lookup(id, "id", value, sizeof(value));

	return ret == -ENOENT ? 0 : ret ? ret : 1;
}

/* Regions whose creator is @uid and the sum of their sizes, as root sees them. */
static int user_usage(uid_t uid, long long *regions, long long *bytes)
{
	struct regions_file rf;
	const char *cuid, *size;
	int ret = regions_open(&rf);

	if (ret)
		return ret;
	*regions = *bytes = 0;
	while (regions_next(&rf)) {
		cuid = regions_field(&rf, "cuid");
		size = regions_field(&rf, "size");
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

/* What a peer is asked to do. */
enum peer_cmd {
	PEER_CREATE,		/* regions "name-N" of size until max or failure */
	PEER_BIND_ANON,		/* an anonymous region, kept bound: id */
	PEER_PROBE,		/* bind name read-only: err */
	PEER_UNLINK,		/* UNLINK { name, ns }: err */
	PEER_UNLINK_OWN,	/* unlink every name this peer made */
	PEER_STATS,		/* read /proc/shmbus/stats: stats */
	PEER_LISTS,		/* does /proc/shmbus/regions show id: listed */
};

/* A peer's arguments and answers, in a page it shares with the test. */
struct peer_page {
	char name[SHMBUS_NAME_MAX];	/* CREATE: prefix; PROBE, UNLINK: name */
	__u64 size;			/* CREATE */
	int max;			/* CREATE: most regions to make */
	int touch;			/* CREATE: fault in the first page of each */
	__u64 ns;			/* UNLINK: target namespace, 0: its own */
	__u64 id;			/* LISTS: region to look for; out: BIND_ANON,
					 * CREATE: the last region made */
	int err;			/* out: errno of the failure, or 0 */
	int created;			/* out: CREATE: regions made */
	int listed;			/* out: LISTS */
	long long stats[NR_STATS];	/* out: STATS, -1 where a line is missing */
	__u64 my_ns;			/* out: the peer's IPC namespace inode */
};

struct peer {
	pid_t pid;
	int cmd;		/* test -> peer: one byte per command */
	int ack;		/* peer -> test: one byte per answer */
	struct peer_page *page;
};

/*
 * The peer's own bookkeeping: its names are "prefix-0" .. "prefix-(made-1)".
 * A peer is given one prefix: a later CREATE goes on with the numbering.
 */
struct peer_state {
	char prefix[SHMBUS_NAME_MAX];
	int made;
	int anon_fds[8];
	int nr_anon;
};

typedef int (*prepare_fn)(void);

static void peer_name(char *name, const char *prefix, int n)
{
	snprintf(name, SHMBUS_NAME_MAX, "%.40s-%d", prefix, n);
}

/* Fault in the first page of the region bound to @fd. */
static int touch_first_page(int fd)
{
	char *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	return munmap(p, REGION_SIZE) ? -errno : 0;
}

static void peer_create(struct peer_page *pg, struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	struct shmbus_info info;
	int fd;

	snprintf(st->prefix, sizeof(st->prefix), "%s", pg->name);
	for (pg->created = 0, pg->err = 0; pg->created < pg->max; pg->created++) {
		peer_name(name, st->prefix, st->made);
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
			touch_first_page(fd);
		close(fd);
	}
}

static void peer_unlink_own(struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	int n;

	for (n = 0; n < st->made; n++) {
		peer_name(name, st->prefix, n);
		shmbus_unlink_name(name);
	}
}

static void peer_unlink(struct peer_page *pg)
{
	struct shmbus_unlink req = { .ns = pg->ns };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	snprintf(req.name, sizeof(req.name), "%s", pg->name);
	pg->err = fd < 0 || ioctl(fd, SHMBUS_IOC_UNLINK, &req) ? errno : 0;
	if (fd >= 0)
		close(fd);
}

static void peer_run(struct peer_page *pg, struct peer_state *st, char cmd)
{
	struct shmbus_bind b = { .size = REGION_SIZE, .flags = SHMBUS_BIND_CREATE,
				 .mode = 0600 };
	int fd, i;

	switch (cmd) {
	case PEER_CREATE:
		peer_create(pg, st);
		break;
	case PEER_BIND_ANON:
		fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
		pg->err = fd < 0 || ioctl(fd, SHMBUS_IOC_BIND, &b) ? errno : 0;
		pg->id = b.id;
		if (fd >= 0 && st->nr_anon < (int)ARRAY_SIZE(st->anon_fds))
			st->anon_fds[st->nr_anon++] = fd;
		break;
	case PEER_PROBE:
		fd = shmbus_open_bound(pg->name, 0, SHMBUS_BIND_RDONLY, 0);
		pg->err = fd < 0 ? -fd : 0;
		if (fd >= 0)
			close(fd);
		break;
	case PEER_UNLINK:
		peer_unlink(pg);
		break;
	case PEER_UNLINK_OWN:
		peer_unlink_own(st);
		break;
	case PEER_STATS:
		for (i = 0; i < NR_STATS; i++)
			pg->stats[i] = shmbus_stat(stat_names[i]);
		break;
	case PEER_LISTS:
		pg->listed = regions_lists(pg->id);
		break;
	}
}

/*
 * Close every inherited descriptor but stdio and @p's pipes: a peer holding
 * another peer's pipe would keep that one from ever seeing its end.
 */
static void close_inherited(struct peer *p)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 65536; fd++)
		if (fd != p->cmd && fd != p->ack)
			close(fd);
}

/* The peer's life: set up, then serve commands until the test closes the pipe. */
static void __attribute__((noreturn)) peer_main(struct peer *p, prepare_fn prepare)
{
	struct peer_state st = { .nr_anon = 0 };
	char c = 'R';

	close_inherited(p);
	if (prepare && prepare())
		c = 'F';
	p->page->my_ns = ns_inode("ipc");
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

/* Start a peer that runs @prepare first: 0, or -1 if it could not. */
static int peer_start(struct peer *p, prepare_fn prepare)
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

/* Run one command in the peer: 0 once it answered, -1 if it is gone. */
static int peer_do(struct peer *p, enum peer_cmd cmd)
{
	char c = cmd;

	if (write(p->cmd, &c, 1) != 1 || read(p->ack, &c, 1) != 1)
		return -1;
	return 0;
}

/* Have the peer create up to @max regions "PREFIX-N" of @size bytes. */
static int peer_create_regions(struct peer *p, const char *prefix, __u64 size, int max)
{
	snprintf(p->page->name, sizeof(p->page->name), "%s", prefix);
	p->page->size = size;
	p->page->max = max;
	return peer_do(p, PEER_CREATE);
}

/* The peer's errno answer to @cmd on @name (and @ns), or -1 if it is gone. */
static int peer_errno(struct peer *p, enum peer_cmd cmd, const char *name, __u64 ns)
{
	snprintf(p->page->name, sizeof(p->page->name), "%s", name);
	p->page->ns = ns;
	return peer_do(p, cmd) ? -1 : p->page->err;
}

/* Does /proc/shmbus/regions, as the peer reads it, show region @id? */
static int peer_lists(struct peer *p, __u64 id)
{
	p->page->id = id;
	return peer_do(p, PEER_LISTS) ? -1 : p->page->listed;
}

/* Stop the peer: it unlinks its names and exits. */
static void peer_stop(struct peer *p)
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
	struct peer peers[NR_PEERS];
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
		peer_stop(&self->peers[i]);
	while (self->nr_fds)
		close(self->fds[--self->nr_fds]);
	while (self->nr_names)
		shmbus_unlink_name(self->names[--self->nr_names]);
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
	struct peer *a = &self->peers[0];
	long long regions, bytes;
	char buf[SHMBUS_NAME_MAX];

	long long limit;

	ASSERT_EQ(0, user_usage(USER_A, &regions, &bytes));
	limit = param == MAX_USER_REGIONS ? regions + QUOTA : bytes + QUOTA * REGION_SIZE;
	ASSERT_EQ(0, set_param(param, limit)) TH_LOG("cannot set %s", param_names[param]);
	ASSERT_EQ(0, peer_start(a, as_user_a));
	ASSERT_EQ(0, peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, QUOTA + 1));
}

/* max_user_regions: one uid makes that many regions, the next is EDQUOT. */
TEST_F(tenants, user_regions_quota_edquot)
{
	struct peer *a = &self->peers[0];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	EXPECT_EQ(EDQUOT, a->page->err) TH_LOG("errno %d after %d regions",
					      a->page->err, a->page->created);
	EXPECT_EQ(QUOTA, a->page->created);
}

/* A uid that used up max_user_regions leaves another uid able to create. */
TEST_F(tenants, user_regions_quota_spares_other_user)
{
	struct peer *b = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	ASSERT_EQ(EDQUOT, self->peers[0].page->err);
	ASSERT_EQ(0, peer_start(b, as_user_b));
	ASSERT_EQ(0, peer_create_regions(b, prefix(buf, "b"), REGION_SIZE, 1));
	EXPECT_EQ(1, b->page->created) TH_LOG("user B: %s", strerror(b->page->err));
}

/* max_user_bytes: one uid's regions add up to that many bytes, then EDQUOT. */
TEST_F(tenants, user_bytes_quota_edquot)
{
	struct peer *a = &self->peers[0];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	EXPECT_EQ(EDQUOT, a->page->err) TH_LOG("errno %d after %d regions",
					      a->page->err, a->page->created);
	EXPECT_EQ(QUOTA, a->page->created);
}

/* A uid that used up max_user_bytes leaves another uid able to create. */
TEST_F(tenants, user_bytes_quota_spares_other_user)
{
	struct peer *b = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	ASSERT_EQ(EDQUOT, self->peers[0].page->err);
	ASSERT_EQ(0, peer_start(b, as_user_b));
	ASSERT_EQ(0, peer_create_regions(b, prefix(buf, "b"), REGION_SIZE, 1));
	EXPECT_EQ(1, b->page->created) TH_LOG("user B: %s", strerror(b->page->err));
}

/* Unlinking its regions gives a uid its max_user_regions quota back. */
TEST_F(tenants, user_regions_quota_released_with_regions)
{
	struct peer *a = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_REGIONS);
	ASSERT_EQ(EDQUOT, a->page->err);
	ASSERT_EQ(0, peer_do(a, PEER_UNLINK_OWN));
	ASSERT_EQ(0, peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 1));
	EXPECT_EQ(1, a->page->created) TH_LOG("user A again: %s", strerror(a->page->err));
}

/* Unlinking its regions gives a uid its max_user_bytes quota back. */
TEST_F(tenants, user_bytes_quota_released_with_regions)
{
	struct peer *a = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	exhaust_user_a(_metadata, self, MAX_USER_BYTES);
	ASSERT_EQ(EDQUOT, a->page->err);
	ASSERT_EQ(0, peer_do(a, PEER_UNLINK_OWN));
	ASSERT_EQ(0, peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 1));
	EXPECT_EQ(1, a->page->created) TH_LOG("user A again: %s", strerror(a->page->err));
}

/* A uid's quota counts its regions in every IPC namespace together. */
TEST_F(tenants, user_quota_counts_every_namespace)
{
	struct peer *a = &self->peers[0], *a_ns = &self->peers[1];
	long long regions, bytes;
	char buf[SHMBUS_NAME_MAX];

	ASSERT_EQ(0, user_usage(USER_A, &regions, &bytes));
	ASSERT_EQ(0, set_param(MAX_USER_REGIONS, regions + QUOTA))
		TH_LOG("cannot set max_user_regions");
	ASSERT_EQ(0, peer_start(a, as_user_a));
	ASSERT_EQ(0, peer_create_regions(a, prefix(buf, "a"), REGION_SIZE, 2));
	ASSERT_EQ(2, a->page->created) TH_LOG("user A: %s", strerror(a->page->err));
	ASSERT_EQ(0, peer_start(a_ns, as_user_a_in_new_ipc_ns));
	ASSERT_EQ(0, peer_create_regions(a_ns, prefix(buf, "a-ns"), REGION_SIZE, QUOTA));
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
	struct peer *r = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	root_at_quota(_metadata, self);
	ASSERT_EQ(0, peer_start(r, without_cap_sys_resource));
	ASSERT_EQ(0, peer_create_regions(r, prefix(buf, "r"), REGION_SIZE, 1));
	EXPECT_EQ(EDQUOT, r->page->err) TH_LOG("created %d", r->page->created);
}

/*
 * Lower @param to what the initial namespace uses plus @extra regions (or
 * bytes), then have peer 0, root in a new IPC namespace, create REGION_SIZE
 * regions until it fails.
 */
static void exhaust_child_ns(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tenants) *self, int param, long long extra)
{
	struct peer *c = &self->peers[0];
	long long used = shmbus_stat(param == MAX_REGIONS ? "regions" : "bytes");
	long long limit = used + extra;
	long long max = param == MAX_REGIONS ? limit : limit / REGION_SIZE;
	char buf[SHMBUS_NAME_MAX];

	ASSERT_LE(0, used);
	ASSERT_EQ(0, set_param(param, limit));
	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	ASSERT_EQ(0, peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, max + 1));
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
	struct peer *c = &self->peers[i];
	char buf[SHMBUS_NAME_MAX], who[16];

	snprintf(who, sizeof(who), "ns%d", i);
	ASSERT_EQ(0, peer_start(c, prepare));
	ASSERT_EQ(0, peer_create_regions(c, prefix(buf, who), REGION_SIZE, 1));
	ASSERT_EQ(1, c->page->created) TH_LOG("%s", strerror(c->page->err));
	ASSERT_NE(ns_inode("ipc"), c->page->my_ns);
}

/* The name of peer @c's first region. */
static const char *first_name(struct peer *c, char *name)
{
	peer_name(name, c->page->name, 0);
	return name;
}

/* /proc/shmbus/regions ends its header with the column "ns". */
TEST_F(tenants, regions_header_ends_with_ns)
{
	struct regions_file rf;

	ASSERT_EQ(0, regions_open(&rf));
	fclose(rf.f);
	ASSERT_LT(0, rf.nr_header);
	EXPECT_STREQ("ns", rf.header[rf.nr_header - 1]);
}

/* Root in the initial namespace sees the regions of a private namespace. */
TEST_F(tenants, host_root_lists_child_namespace_region)
{
	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(1, regions_lists(self->peers[0].page->id));
}

/* The ns column of a private namespace's region is that namespace's inode. */
TEST_F(tenants, ns_column_names_child_namespace)
{
	struct peer *c = &self->peers[0];
	char ns[32];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, regions_lookup(c->page->id, "ns", ns, sizeof(ns)));
	EXPECT_EQ(c->page->my_ns, strtoull(ns, NULL, 10)) TH_LOG("ns column %s", ns);
}

/* The ns column of the reader's own region is its namespace's inode. */
TEST_F(tenants, ns_column_names_own_namespace)
{
	int fd = host_create(self, "host", REGION_SIZE);
	char ns[32];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, regions_lookup(shmbus_region_id(fd), "ns", ns, sizeof(ns)));
	EXPECT_EQ(ns_inode("ipc"), strtoull(ns, NULL, 10)) TH_LOG("ns column %s", ns);
}

/* A non-root reader in the initial namespace sees only that namespace. */
TEST_F(tenants, non_root_lists_own_namespace_only)
{
	struct peer *u = &self->peers[1];
	char buf[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, peer_start(u, as_user_a));
	ASSERT_EQ(0, peer_create_regions(u, prefix(buf, "a"), REGION_SIZE, 1));
	ASSERT_EQ(1, peer_lists(u, u->page->id)) TH_LOG("user A does not see its own region");
	EXPECT_EQ(0, peer_lists(u, self->peers[0].page->id));
}

/* Root inside a private namespace sees neither the host's nor another's regions. */
TEST_F(tenants, private_ns_root_lists_own_namespace_only)
{
	struct peer *c1 = &self->peers[0], *c2 = &self->peers[1];
	int fd = host_create(self, "host", REGION_SIZE);

	ASSERT_LE(0, fd);
	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	child_ns_with_region(_metadata, self, 1, in_new_ipc_ns);
	ASSERT_EQ(1, peer_lists(c2, c2->page->id)) TH_LOG("a namespace does not see its own region");
	EXPECT_EQ(0, peer_lists(c2, c1->page->id)) TH_LOG("sees another namespace's region");
	EXPECT_EQ(0, peer_lists(c2, shmbus_region_id(fd))) TH_LOG("sees the host's region");
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
	struct peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, host_unlink(first_name(c, name), c->page->my_ns, 0));
	EXPECT_EQ(ENOENT, peer_errno(c, PEER_PROBE, name, 0)) TH_LOG("the name is still there");
}

/* UNLINK naming another namespace by a non-root uid is EPERM, even its own name. */
TEST_F(tenants, unlink_other_namespace_by_non_root_eperm)
{
	struct peer *c = &self->peers[0], *u = &self->peers[1];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, as_user_a_in_new_ipc_ns);
	ASSERT_EQ(0, peer_start(u, as_user_a));
	EXPECT_EQ(EPERM, peer_errno(u, PEER_UNLINK, first_name(c, name), c->page->my_ns));
	EXPECT_EQ(0, peer_errno(c, PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming another namespace by root inside a private namespace is EPERM. */
TEST_F(tenants, unlink_other_namespace_from_private_ns_eperm)
{
	struct peer *c1 = &self->peers[0], *c2 = &self->peers[1];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	ASSERT_EQ(0, peer_start(c2, in_new_ipc_ns));
	EXPECT_EQ(EPERM, peer_errno(c2, PEER_UNLINK, first_name(c1, name), c1->page->my_ns));
	EXPECT_EQ(0, peer_errno(c1, PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming another namespace with a non-zero reserved word is EINVAL. */
TEST_F(tenants, unlink_other_namespace_nonzero_reserved_einval)
{
	struct peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(-EINVAL, host_unlink(first_name(c, name), c->page->my_ns, 1));
	EXPECT_EQ(0, peer_errno(c, PEER_PROBE, name, 0)) TH_LOG("the name is gone");
}

/* UNLINK naming a namespace that is no IPC namespace with regions is ENOENT. */
TEST_F(tenants, unlink_unknown_namespace_enoent)
{
	int fd = host_create(self, "host", REGION_SIZE);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, host_unlink(self->names[0], ns_inode("mnt"), 0));
	EXPECT_EQ(1, regions_lists(shmbus_region_id(fd))) TH_LOG("the name is gone");
}

/* UNLINK of a name a private namespace does not hold, by its inode, is ENOENT. */
TEST_F(tenants, unlink_unknown_name_in_child_namespace_enoent)
{
	struct peer *c = &self->peers[0];
	char name[SHMBUS_NAME_MAX];

	child_ns_with_region(_metadata, self, 0, in_new_ipc_ns);
	EXPECT_EQ(-ENOENT, host_unlink(prefix(name, "never-made"), c->page->my_ns, 0));
}

/* A host region with one page touched, so every host counter is non-zero. */
static void host_busy(struct __test_metadata *_metadata, FIXTURE_DATA(tenants) *self)
{
	int fd = host_create(self, "host", 2 * REGION_SIZE);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, touch_first_page(fd));
}

/* A private namespace's stats count none of the host's regions, pages, bytes. */
TEST_F(tenants, private_ns_stats_exclude_host)
{
	struct peer *c = &self->peers[0];

	host_busy(_metadata, self);
	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	ASSERT_EQ(0, peer_do(c, PEER_STATS));
	EXPECT_EQ(0, c->page->stats[REGIONS]);
	EXPECT_EQ(0, c->page->stats[PAGES]);
	EXPECT_EQ(0, c->page->stats[BYTES]);
}

/* A private namespace's stats count its own regions, pages and bytes. */
TEST_F(tenants, private_ns_stats_count_own_regions)
{
	struct peer *c = &self->peers[0];
	char buf[SHMBUS_NAME_MAX];

	host_busy(_metadata, self);
	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	ASSERT_EQ(0, peer_do(c, PEER_STATS));
	EXPECT_EQ(2, c->page->stats[REGIONS]);
	EXPECT_EQ(2, c->page->stats[PAGES]);
	EXPECT_EQ(2 * REGION_SIZE, c->page->stats[BYTES]);
}

/* The host's regions, pages and bytes leave out a private namespace's. */
TEST_F(tenants, host_stats_exclude_child_namespace)
{
	struct peer *c = &self->peers[0];
	long long before[NR_STATS];
	char buf[SHMBUS_NAME_MAX];
	int i;

	for (i = REGIONS; i <= BYTES; i++)
		before[i] = shmbus_stat(stat_names[i]);
	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	for (i = REGIONS; i <= BYTES; i++) {
		EXPECT_EQ(before[i], shmbus_stat(stat_names[i])) TH_LOG("%s", stat_names[i]);
	}
}

/* Root in the initial namespace sees all_regions/pages/bytes over namespaces. */
TEST_F(tenants, host_root_stats_all_sum_namespaces)
{
	struct peer *c = &self->peers[0];
	long long before[NR_STATS];
	char buf[SHMBUS_NAME_MAX];
	int i;

	for (i = ALL_REGIONS; i <= ALL_BYTES; i++) {
		before[i] = shmbus_stat(stat_names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no %s line", stat_names[i]);
	}
	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	c->page->touch = 1;
	ASSERT_EQ(0, peer_create_regions(c, prefix(buf, "ns"), REGION_SIZE, 2));
	ASSERT_EQ(2, c->page->created);
	EXPECT_EQ(before[ALL_REGIONS] + 2, shmbus_stat("all_regions"));
	EXPECT_EQ(before[ALL_PAGES] + 2, shmbus_stat("all_pages"));
	EXPECT_EQ(before[ALL_BYTES] + 2 * REGION_SIZE, shmbus_stat("all_bytes"));
}

static void expect_no_all_lines(struct __test_metadata *_metadata, struct peer *p)
{
	int i;

	ASSERT_EQ(0, peer_do(p, PEER_STATS));
	ASSERT_LE(0, p->page->stats[REGIONS]) TH_LOG("no regions line at all");
	for (i = ALL_REGIONS; i <= ALL_BYTES; i++) {
		EXPECT_EQ(-1, p->page->stats[i]) TH_LOG("%s shown", stat_names[i]);
	}
}

/* A non-root reader in the initial namespace sees no all_ lines. */
TEST_F(tenants, non_root_stats_no_all_lines)
{
	ASSERT_EQ(0, peer_start(&self->peers[0], as_user_a));
	expect_no_all_lines(_metadata, &self->peers[0]);
}

/* Root inside a private namespace sees no all_ lines. */
TEST_F(tenants, private_ns_root_stats_no_all_lines)
{
	ASSERT_EQ(0, peer_start(&self->peers[0], in_new_ipc_ns));
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
	return shmbus_region_id(fd);
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
	struct peer *c = &self->peers[0];
	__u64 id[3];

	ASSERT_EQ(0, peer_start(c, in_new_ipc_ns));
	id[0] = host_anon_id(self);
	ASSERT_EQ(0, peer_do(c, PEER_BIND_ANON));
	ASSERT_EQ(0, c->page->err);
	id[1] = c->page->id;
	id[2] = host_anon_id(self);
	expect_no_progression(_metadata, id);
}

TEST_HARNESS_MAIN
