// SPDX-License-Identifier: GPL-2.0
/*
 * A region's lifetime, as docs/regions.md ("Lifetime") states it: a region
 * lives while its name is linked, or a handle is bound to it, or a mapping
 * maps it, and is freed with the last of these references (close() with
 * mappings alive keeps it; so does the name alone); UNLINK removes the name
 * at once, marks the region unlinked and leaves its mappings working, and a
 * later CREATE of the name makes a new region; and a region pins the module.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MAX_NAMES	8

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

/* close() of the handle with mappings alive keeps the region and its data. */
TEST_F(region, close_with_mappings_keeps_region)
{
	const char *name = new_name(self, "close");
	struct shmbus_bind b;
	struct shmbus_info info;
	unsigned char *p, *q;
	int fd = shmbus_create(name, 2 * page_size(), &b), fd2;

	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 4);
	close(fd);
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 4));
	fill_pattern(p, 2 * page_size(), 5);
	fd2 = shmbus_open_region(name, 0, &b);
	ASSERT_LE(0, fd2) TH_LOG("open: %s", strerror(-fd2));
	ASSERT_EQ(0, region_info(fd2, &info));
	EXPECT_EQ(1, info.handles);
	EXPECT_EQ(1, info.mappings);
	q = map_shared(fd2, 2 * page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-1, check_pattern(q, 2 * page_size(), 5));
	munmap(q, 2 * page_size());
	munmap(p, 2 * page_size());
	close(fd2);
}

/* A linked name alone keeps the region and its data: no handle, no mapping. */
TEST_F(region, name_keeps_region_alive)
{
	const char *name = new_name(self, "keep");
	struct shmbus_bind b, o;
	void *p;
	int fd = shmbus_create(name, 2 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 10);
	munmap(p, 2 * page_size());
	close(fd);
	fd = shmbus_open_region(name, 0, &o);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	EXPECT_EQ(b.id, o.id);
	p = map_shared(fd, 2 * page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 10));
	munmap(p, 2 * page_size());
	close(fd);
}

/* An unlinked, unmapped region lives while a handle is bound; its close frees it. */
TEST_F(region, freed_with_last_close)
{
	long long before = shmbus_stat("regions");
	const char *name = new_name(self, "lastclose");
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(name, 2 * page_size(), &b);

	ASSERT_LE(0, before);
	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 11);
	munmap(p, 2 * page_size());
	ASSERT_EQ(0, shmbus_unlink(name));
	p = map_shared(fd, 2 * page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 11));
	munmap(p, 2 * page_size());
	EXPECT_EQ(before + 1, shmbus_stat("regions"));
	close(fd);
	EXPECT_EQ(before, shmbus_stat("regions"));
}

/* A region is freed with its last reference, here the last munmap(). */
TEST_F(region, freed_with_last_munmap)
{
	long long before = shmbus_stat("regions");
	const char *name = new_name(self, "free");
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, before);
	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	ASSERT_EQ(0, shmbus_unlink(name));
	ASSERT_EQ(before + 1, shmbus_stat("regions"));
	munmap(p, page_size());
	EXPECT_EQ(before, shmbus_stat("regions"));
}

/* A region pins the module: unloading is refused while one exists. */
TEST_F(region, region_pins_module)
{
	const char *name = new_name(self, "pin");
	struct shmbus_bind b;
	int fd;

	if (!shmbus_ko())
		SKIP(return, "SHMBUS_KO not set (run through scripts/vm-run)");
	fd = shmbus_create(name, page_size(), &b);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, shmbus_unload());
	EXPECT_TRUE(path_exists(SHMBUS_DEV));
}

/* After UNLINK a mapping (the only reference left) keeps working. */
TEST_F(region, unlink_while_mapped_mapping_works)
{
	const char *name = new_name(self, "unlmap");
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(name, 2 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 6);
	close(fd);
	ASSERT_EQ(0, shmbus_unlink(name));
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 6));
	fill_pattern(p, 2 * page_size(), 7);
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 7));
	munmap(p, 2 * page_size());
}

/* After UNLINK the region's INFO flags are SHMBUS_INFO_UNLINKED. */
TEST_F(region, unlink_sets_info_unlinked)
{
	const char *name = new_name(self, "unlinfo");
	struct shmbus_bind b;
	struct shmbus_info info;
	void *p;
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, shmbus_unlink(name));
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(SHMBUS_INFO_UNLINKED, info.flags);
	munmap(p, page_size());
	close(fd);
}

/* After UNLINK the name is gone: opening it and unlinking it are ENOENT. */
TEST_F(region, unlink_removes_name)
{
	const char *name = new_name(self, "unlname");
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, shmbus_unlink(name));
	EXPECT_EQ(-ENOENT, shmbus_try_bind(name, 0, 0, 0));
	EXPECT_EQ(-ENOENT, shmbus_unlink(name));
	munmap(p, page_size());
	close(fd);
}

/* CREATE of an unlinked name makes a new region: new id, zero-filled, own data. */
TEST_F(region, recreate_after_unlink_is_new_region)
{
	const char *name = new_name(self, "recreate");
	struct shmbus_bind b, b2;
	unsigned char *p, *q;
	int fd = shmbus_create(name, 2 * page_size(), &b), fd2;

	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 8);
	ASSERT_EQ(0, shmbus_unlink(name));
	fd2 = shmbus_create(name, 2 * page_size(), &b2);
	ASSERT_LE(0, fd2) TH_LOG("create again: %s", strerror(-fd2));
	q = map_shared(fd2, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_NE(b.id, b2.id);
	EXPECT_EQ(-1, find_nonzero(q, 2 * page_size()));
	fill_pattern(q, 2 * page_size(), 9);
	EXPECT_EQ(-1, check_pattern(p, 2 * page_size(), 8));
	munmap(q, 2 * page_size());
	munmap(p, 2 * page_size());
	close(fd2);
	close(fd);
}

TEST_HARNESS_MAIN
