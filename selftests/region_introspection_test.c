// SPDX-License-Identifier: GPL-2.0
/*
 * Introspection of regions, as docs/regions.md ("Introspection") states it:
 * SHMBUS_IOC_INFO reports a region's id, size, name, owner, creator, mode,
 * flags and its handles, mappings (one per VMA: splits, fork) and pages
 * (counted on first touch), with pad and reserved words zero; fdinfo shows
 * shmbus-id, -name, -size and -rdonly (id "none" unbound); /proc/shmbus/regions
 * has the documented header and one line per region; /proc/shmbus/stats
 * counts regions, bytes and pages as they come and go.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define MAX_NAMES	8
#define REGIONS_HEADER	"id name size uid gid cuid cgid mode handles mappings pages flags ns"

/* Child: hold on to what fork gave it until the parent closes the pipe. */
static int hold_until_eof(void *arg)
{
	int *pipefd = arg;
	char c;

	close(pipefd[1]);
	while (read(pipefd[0], &c, 1) > 0)
		;
	return 0;
}

/* Whether line holds exactly the whitespace-separated words of want. */
static int same_words(const char *line, const char *want)
{
	char a[256], b[256], *sa, *sb, *wa, *wb;

	snprintf(a, sizeof(a), "%s", line);
	snprintf(b, sizeof(b), "%s", want);
	wa = strtok_r(a, " \t\n", &sa);
	wb = strtok_r(b, " \t\n", &sb);
	while (wa && wb && !strcmp(wa, wb)) {
		wa = strtok_r(NULL, " \t\n", &sa);
		wb = strtok_r(NULL, " \t\n", &sb);
	}
	return !wa && !wb;
}

/* The first line of /proc/shmbus/regions: 0 or -errno. */
static int regions_header(char *line, size_t len)
{
	FILE *f = fopen(SHMBUS_REGIONS, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(line, len, f))
		ret = -ENODATA;
	fclose(f);
	return ret;
}

/* One line of /proc/shmbus/regions. */
struct region_row {
	unsigned long long id, size, pages;
	char name[SHMBUS_NAME_MAX];
	unsigned int uid, gid, cuid, cgid, mode, handles, mappings;
	char flags[8];
};

/* The /proc/shmbus/regions line of region id: 0, -ENOENT or -errno. */
static int region_row(__u64 id, struct region_row *r)
{
	char line[256];
	int ret = -ENOENT;
	FILE *f = fopen(SHMBUS_REGIONS, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %63s %llu %u %u %u %u %o %u %u %llu %7s",
			   &r->id, r->name, &r->size, &r->uid, &r->gid,
			   &r->cuid, &r->cgid, &r->mode, &r->handles,
			   &r->mappings, &r->pages, r->flags) == 12 && r->id == id) {
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

FIXTURE(region) {
	char names[MAX_NAMES][SHMBUS_NAME_MAX];
	int nr_names;
};

FIXTURE_SETUP(region)
{
	ASSERT_TRUE(path_exists(SHMBUS_DEV)) TH_LOG("shmbus is not loaded");
}

FIXTURE_TEARDOWN(region)
{
	int i;

	shmbus_ensure_loaded();
	for (i = 0; i < self->nr_names; i++)
		shmbus_unlink(self->names[i]);
}

/* A region name unique to this test, "rt<pid>-<tag>", unlinked at teardown. */
static char *new_name(FIXTURE_DATA(region) *self, const char *tag)
{
	char *name;

	if (self->nr_names == MAX_NAMES)
		abort();
	name = self->names[self->nr_names++];
	snprintf(name, SHMBUS_NAME_MAX, "rt%d-%s", getpid(), tag);
	return name;
}

/* INFO handles counts the handles bound to the region. */
TEST_F(region, info_handles_counts_bound_handles)
{
	const char *name = new_name(self, "handles");
	struct shmbus_bind b;
	int fd = shmbus_create(name, page_size(), &b), fd2, fd3, unbound;

	ASSERT_LE(0, fd);
	EXPECT_EQ(1, shmbus_nr_handles(fd));
	unbound = shmbus_dev_open(O_RDWR);
	ASSERT_LE(0, unbound);
	fd2 = shmbus_open_region(name, 0, &b);
	ASSERT_LE(0, fd2);
	fd3 = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, fd3);
	EXPECT_EQ(3, shmbus_nr_handles(fd));
	EXPECT_EQ(3, shmbus_nr_handles(fd3));
	close(fd2);
	EXPECT_EQ(2, shmbus_nr_handles(fd));
	close(fd3);
	EXPECT_EQ(1, shmbus_nr_handles(fd));
	close(unbound);
	close(fd);
}

/* INFO mappings counts each mmap() and drops with each munmap(). */
TEST(info_mappings_counts_mmaps)
{
	struct shmbus_bind b;
	void *p[3];
	int i, fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, shmbus_nr_mappings(fd));
	for (i = 0; i < 3; i++) {
		p[i] = map_shared(fd, page_size(), RW, i % 2 * page_size());
		ASSERT_NE(MAP_FAILED, p[i]);
		EXPECT_EQ(i + 1, shmbus_nr_mappings(fd));
	}
	for (i = 0; i < 3; i++) {
		munmap(p[i], page_size());
		EXPECT_EQ(2 - i, shmbus_nr_mappings(fd));
	}
	close(fd);
}

/* Unmapping the middle of a mapping leaves two VMAs: mappings goes up by one. */
TEST(info_mappings_munmap_middle_splits)
{
	struct shmbus_bind b;
	char *p;
	int fd = shmbus_anon_region(3 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 3 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, shmbus_nr_mappings(fd));
	ASSERT_EQ(0, munmap(p + page_size(), page_size()));
	EXPECT_EQ(2, shmbus_nr_mappings(fd));
	munmap(p, page_size());
	EXPECT_EQ(1, shmbus_nr_mappings(fd));
	munmap(p + 2 * page_size(), page_size());
	EXPECT_EQ(0, shmbus_nr_mappings(fd));
	close(fd);
}

/* mprotect of the middle of a mapping splits it into three VMAs. */
TEST(info_mappings_mprotect_middle_splits)
{
	struct shmbus_bind b;
	char *p;
	int fd = shmbus_anon_region(3 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 3 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(1, shmbus_nr_mappings(fd));
	ASSERT_EQ(0, mprotect(p + page_size(), page_size(), PROT_READ));
	EXPECT_EQ(3, shmbus_nr_mappings(fd));
	munmap(p, 3 * page_size());
	EXPECT_EQ(0, shmbus_nr_mappings(fd));
	close(fd);
}

/* fork copies the mappings: the child's count while it lives, then not. */
TEST(info_mappings_fork_copies)
{
	struct shmbus_bind b;
	void *p, *q;
	int pipefd[2];
	pid_t pid;
	int fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = map_shared(fd, page_size(), PROT_READ, page_size());
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = spawn(hold_until_eof, pipefd);
	ASSERT_LT(0, pid);
	close(pipefd[0]);
	EXPECT_EQ(4, shmbus_nr_mappings(fd));
	close(pipefd[1]);
	ASSERT_EQ(0, reap(pid, REAP_FOREVER, NULL));
	EXPECT_EQ(2, shmbus_nr_mappings(fd));
	munmap(q, page_size());
	munmap(p, page_size());
	close(fd);
}

/* INFO reports the id, size and name that bind returned. */
TEST_F(region, info_id_size_name)
{
	const char *name = new_name(self, "info");
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_create(name, 5 * page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(b.id, info.id);
	EXPECT_EQ(5 * page_size(), info.size);
	EXPECT_EQ(0, memcmp(b.name, info.name, SHMBUS_NAME_MAX))
		TH_LOG("name '%.*s'", SHMBUS_NAME_MAX, info.name);
	close(fd);
}

/* INFO: owner and creator are the creator's euid/egid, mode as created. */
TEST_F(region, info_owner_creator_mode)
{
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd;

	shmbus_bind_init(&b, new_name(self, "owner"), page_size(), CREATE_EXCL, 0640);
	fd = shmbus_bind_new(O_RDWR, &b);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
	EXPECT_EQ(geteuid(), info.cuid);
	EXPECT_EQ(getegid(), info.cgid);
	EXPECT_EQ(0640, info.mode);
	close(fd);
}

/* INFO flags of a linked named region on a read-write handle are 0. */
TEST_F(region, info_flags_named_zero)
{
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_create(new_name(self, "flags"), page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(0, info.flags);
	close(fd);
}

/* INFO flags of an anonymous region: ANONYMOUS, and UNLINKED (never a name). */
TEST(info_flags_anonymous)
{
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(SHMBUS_INFO_ANONYMOUS | SHMBUS_INFO_UNLINKED, info.flags);
	EXPECT_EQ(0, info.name[0]);
	close(fd);
}

/* INFO flags show RDONLY on a RDONLY handle, and only on that handle. */
TEST_F(region, info_flags_rdonly_handle)
{
	const char *name = new_name(self, "inforo");
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_create(name, page_size(), &b), ro;

	ASSERT_LE(0, fd);
	ro = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, region_info(ro, &info));
	EXPECT_EQ(SHMBUS_INFO_RDONLY, info.flags);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(0, info.flags);
	close(ro);
	close(fd);
}

/* INFO pages counts the pages allocated, on first touch. */
TEST(info_pages_counts_touched)
{
	struct shmbus_bind b;
	struct shmbus_info info;
	char *p;
	int fd = shmbus_anon_region(8 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 8 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(0, info.pages);
	p[0] = 1;
	p[3 * page_size() + 5] = 1;
	p[8 * page_size() - 1] = 1;
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(3, info.pages);
	munmap(p, 8 * page_size());
	close(fd);
}

/* INFO pad, reserved and (with nobody waiting) waiters are zero. */
TEST(info_pad_reserved_zero)
{
	static const __u64 zero[ARRAY_SIZE(((struct shmbus_info *)0)->reserved)];
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(0, info.pad);
	EXPECT_EQ(0, info.waiters);
	EXPECT_EQ(0, memcmp(zero, info.reserved, sizeof(zero)));
	close(fd);
}

/* fdinfo of a bound handle: shmbus-id, shmbus-name, shmbus-size, shmbus-rdonly. */
TEST_F(region, fdinfo_bound_handle)
{
	const char *name = new_name(self, "fdinfo");
	char want[32], val[128];
	struct shmbus_bind b;
	int fd = shmbus_create(name, 3 * page_size(), &b);

	ASSERT_LE(0, fd);
	snprintf(want, sizeof(want), "%llu", b.id);
	ASSERT_EQ(0, fdinfo_value(fd, "shmbus-id", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	ASSERT_EQ(0, fdinfo_value(fd, "shmbus-name", val, sizeof(val)));
	EXPECT_STREQ(name, val);
	snprintf(want, sizeof(want), "%zu", 3 * page_size());
	ASSERT_EQ(0, fdinfo_value(fd, "shmbus-size", val, sizeof(val)));
	EXPECT_STREQ(want, val);
	ASSERT_EQ(0, fdinfo_value(fd, "shmbus-rdonly", val, sizeof(val)));
	EXPECT_STREQ("0", val);
	close(fd);
}

/* fdinfo of a RDONLY handle says shmbus-rdonly: 1. */
TEST_F(region, fdinfo_rdonly_handle)
{
	const char *name = new_name(self, "fdinforo");
	char val[128];
	struct shmbus_bind b;
	int fd = shmbus_create(name, page_size(), &b), ro;

	ASSERT_LE(0, fd);
	ro = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, fdinfo_value(ro, "shmbus-rdonly", val, sizeof(val)));
	EXPECT_STREQ("1", val);
	close(ro);
	close(fd);
}

/* fdinfo of an unbound handle says shmbus-id: none. */
TEST(fdinfo_unbound_handle)
{
	char val[128];
	int fd = shmbus_dev_open(O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fdinfo_value(fd, "shmbus-id", val, sizeof(val)));
	EXPECT_STREQ("none", val);
	close(fd);
}

/* /proc/shmbus/regions starts with the documented header line. */
TEST(proc_regions_header)
{
	char line[256];

	ASSERT_EQ(0, regions_header(line, sizeof(line)));
	EXPECT_TRUE(same_words(line, REGIONS_HEADER)) TH_LOG("header: %s", line);
}

/* /proc/shmbus/regions has a line for a named region, with its fields. */
TEST_F(region, proc_regions_named_line)
{
	const char *name = new_name(self, "procline");
	struct region_row r;
	struct shmbus_bind b;
	char *p;
	int fd;

	shmbus_bind_init(&b, name, 4 * page_size(), CREATE_EXCL, 0640);
	fd = shmbus_bind_new(O_RDWR, &b);
	ASSERT_LE(0, fd);
	p = map_shared(fd, 4 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, region_row(b.id, &r)) TH_LOG("no line for id %llu", b.id);
	EXPECT_STREQ(name, r.name);
	EXPECT_EQ(4 * page_size(), r.size);
	EXPECT_EQ(geteuid(), r.uid);
	EXPECT_EQ(getegid(), r.gid);
	EXPECT_EQ(geteuid(), r.cuid);
	EXPECT_EQ(getegid(), r.cgid);
	EXPECT_EQ(0640, r.mode);
	EXPECT_EQ(1, r.handles);
	EXPECT_EQ(1, r.mappings);
	EXPECT_EQ(1, r.pages);
	EXPECT_STREQ("-", r.flags);
	munmap(p, 4 * page_size());
	close(fd);
}

/* /proc/shmbus/regions shows an anonymous region as name "-", flags u and a. */
TEST(proc_regions_anonymous_line)
{
	struct region_row r;
	struct shmbus_bind b;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, region_row(b.id, &r)) TH_LOG("no line for id %llu", b.id);
	EXPECT_STREQ("-", r.name);
	EXPECT_EQ(2, strlen(r.flags)) TH_LOG("flags %s", r.flags);
	EXPECT_NE(NULL, strchr(r.flags, 'u'));
	EXPECT_NE(NULL, strchr(r.flags, 'a'));
	close(fd);
}

/* /proc/shmbus/stats: regions and bytes follow a region's creation and end. */
TEST_F(region, proc_stats_regions_bytes)
{
	long long regions = shmbus_stat("regions"), bytes = shmbus_stat("bytes");
	const char *name = new_name(self, "stats");
	struct shmbus_bind b;
	int fd;

	ASSERT_LE(0, regions);
	ASSERT_LE(0, bytes);
	fd = shmbus_create(name, 3 * page_size(), &b);
	ASSERT_LE(0, fd);
	EXPECT_EQ(regions + 1, shmbus_stat("regions"));
	EXPECT_EQ(bytes + 3 * page_size(), shmbus_stat("bytes"));
	close(fd);
	ASSERT_EQ(0, shmbus_unlink(name));
	EXPECT_EQ(regions, shmbus_stat("regions"));
	EXPECT_EQ(bytes, shmbus_stat("bytes"));
}

/* /proc/shmbus/stats: pages follows the pages touched, and their freeing. */
TEST(proc_stats_pages)
{
	long long pages = shmbus_stat("pages");
	struct shmbus_bind b;
	char *p;
	int fd = shmbus_anon_region(4 * page_size(), &b);

	ASSERT_LE(0, pages);
	ASSERT_LE(0, fd);
	p = map_shared(fd, 4 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(pages, shmbus_stat("pages"));
	p[0] = 1;
	p[2 * page_size()] = 1;
	EXPECT_EQ(pages + 2, shmbus_stat("pages"));
	munmap(p, 4 * page_size());
	close(fd);
	EXPECT_EQ(pages, shmbus_stat("pages"));
}

TEST_HARNESS_MAIN
