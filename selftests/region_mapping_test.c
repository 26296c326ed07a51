// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping a region, as docs/regions.md ("mmap") states it: mmap needs a
 * bound handle (ENXIO), MAP_SHARED (EINVAL), no PROT_EXEC (EPERM), a range
 * inside the region, overflow-safe (EINVAL), and PROT_WRITE needs a
 * read-write handle (EACCES); a mapping at an offset shows the region from
 * there; a RDONLY handle's mapping never becomes writable and PROT_EXEC is
 * never added (mprotect: EACCES); mremap cannot grow a mapping (EFAULT) but
 * may move it; /proc/PID/maps shows /shmbus:NAME (deleted); fresh pages are
 * zero-filled.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MAX_NAMES	8
#define FILL_BYTE	0xa5

/* The path column of the /proc/self/maps line of the mapping at addr. */
static int maps_path(const void *addr, char *path, size_t len)
{
	char line[512];
	unsigned long start;
	int ret = -ENOENT, pos;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%*x %*s %*s %*s %*s %n", &start, &pos) != 1 ||
		    start != (unsigned long)addr)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(path, len, "%s", line + pos);
		ret = 0;
		break;
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

/* mmap: an unbound handle is ENXIO. */
TEST(mmap_unbound_enxio)
{
	int fd = shmbus_dev_open(O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, mmap_result(fd, page_size(), RW, MAP_SHARED, 0));
	EXPECT_EQ(-ENXIO, mmap_result(fd, page_size(), PROT_READ, MAP_SHARED, 0));
	close(fd);
}

/* mmap: anything but MAP_SHARED (MAP_PRIVATE) is EINVAL. */
TEST(mmap_private_einval)
{
	struct shmbus_bind b;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mmap_result(fd, page_size(), PROT_READ, MAP_PRIVATE, 0));
	EXPECT_EQ(-EINVAL, mmap_result(fd, page_size(), RW, MAP_PRIVATE, 0));
	close(fd);
}

/* mmap: PROT_EXEC is EPERM. */
TEST(mmap_prot_exec_eperm)
{
	struct shmbus_bind b;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, mmap_result(fd, page_size(), PROT_READ | PROT_EXEC, MAP_SHARED, 0));
	EXPECT_EQ(-EPERM, mmap_result(fd, page_size(), RW | PROT_EXEC, MAP_SHARED, 0));
	close(fd);
}

/* mmap: an offset or offset+length beyond the region is EINVAL. */
TEST(mmap_beyond_region_einval)
{
	const size_t cases[][2] = {	/* length, offset in pages */
		{ 1, 2 }, { 2, 1 }, { 3, 0 }, { 1, 3 }, { 1, 1024 },
	};
	struct shmbus_bind b;
	unsigned int i;
	int fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(-EINVAL, mmap_result(fd, cases[i][0] * page_size(), PROT_READ,
					       MAP_SHARED, cases[i][1] * page_size()))
			TH_LOG("%zu pages at page %zu", cases[i][0], cases[i][1]);
	}
	close(fd);
}

/* mmap: offsets near 2^63, where offset+length overflows, are EINVAL. */
TEST(mmap_offset_overflow_einval)
{
	const off_t top = (off_t)(((1ULL << 63) - 1) & ~(page_size() - 1));
	struct shmbus_bind b;
	int fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mmap_result(fd, page_size(), PROT_READ, MAP_SHARED, top));
	EXPECT_EQ(-EINVAL, mmap_result(fd, 2 * page_size(), PROT_READ, MAP_SHARED, top));
	EXPECT_EQ(-EINVAL, mmap_result(fd, 4 * page_size(), PROT_READ, MAP_SHARED,
				       top - page_size()));
	close(fd);
}

/* mmap: a mapping at an offset shows the region's pages from that offset. */
TEST(mmap_partial_at_offsets)
{
	struct shmbus_bind b;
	unsigned char *all, *mid, *last;
	int fd = shmbus_anon_region(4 * page_size(), &b);

	ASSERT_LE(0, fd);
	all = map_shared(fd, 4 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, all);
	fill_pattern(all, 4 * page_size(), 1);
	mid = map_shared(fd, 2 * page_size(), RW, page_size());
	ASSERT_NE(MAP_FAILED, mid);
	last = map_shared(fd, page_size(), PROT_READ, 3 * page_size());
	ASSERT_NE(MAP_FAILED, last);
	EXPECT_EQ(0, memcmp(mid, all + page_size(), 2 * page_size()));
	EXPECT_EQ(0, memcmp(last, all + 3 * page_size(), page_size()));
	mid[page_size()] = (unsigned char)~mid[page_size()];
	EXPECT_EQ(mid[page_size()], all[2 * page_size()]);
	munmap(last, page_size());
	munmap(mid, 2 * page_size());
	munmap(all, 4 * page_size());
	close(fd);
}

/* mmap: PROT_WRITE on a RDONLY handle is EACCES. */
TEST_F(region, mmap_rdonly_handle_prot_write_eacces)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "rowr");
	int fd = shmbus_create(name, page_size(), &b), ro;

	ASSERT_LE(0, fd);
	ro = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EACCES, mmap_result(ro, page_size(), RW, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, mmap_result(ro, page_size(), PROT_WRITE, MAP_SHARED, 0));
	close(ro);
	close(fd);
}

/* mmap: a RDONLY handle maps PROT_READ and sees the region's data. */
TEST_F(region, mmap_rdonly_handle_prot_read)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "rord");
	unsigned char *w, *r;
	int fd = shmbus_create(name, 2 * page_size(), &b), ro;

	ASSERT_LE(0, fd);
	w = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, w);
	fill_pattern(w, 2 * page_size(), 2);
	ro = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, ro);
	r = map_shared(ro, 2 * page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, r) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, check_pattern(r, 2 * page_size(), 2));
	munmap(r, 2 * page_size());
	munmap(w, 2 * page_size());
	close(ro);
	close(fd);
}

/* mprotect: a RDONLY handle's mapping never becomes writable (EACCES). */
TEST_F(region, mprotect_rdonly_mapping_write_eacces)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "romp");
	void *r;
	int fd = shmbus_create(name, page_size(), &b), ro;

	ASSERT_LE(0, fd);
	ro = shmbus_open_region(name, SHMBUS_BIND_RDONLY, &b);
	ASSERT_LE(0, ro);
	r = map_shared(ro, page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, r);
	errno = 0;
	EXPECT_EQ(-1, mprotect(r, page_size(), RW));
	EXPECT_EQ(EACCES, errno);
	munmap(r, page_size());
	close(ro);
	close(fd);
}

/* mprotect: PROT_EXEC can never be added to a mapping (EACCES). */
TEST(mprotect_exec_eacces)
{
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, page_size(), PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(p, page_size());
	close(fd);
}

/* mremap: a mapping cannot grow (VM_DONTEXPAND: EFAULT). */
TEST(mremap_grow_efault)
{
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_anon_region(4 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, page_size(), 2 * page_size(), 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, page_size(), 2 * page_size(), MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, page_size());
	close(fd);
}

/* mremap: moving a mapping keeps its data, and it still counts as one. */
TEST(mremap_move_keeps_data_and_count)
{
	struct shmbus_bind b;
	void *p, *target, *moved;
	int fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, 2 * page_size(), RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill_pattern(p, 2 * page_size(), 3);
	target = mmap(NULL, 2 * page_size(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	moved = mremap(p, 2 * page_size(), 2 * page_size(), MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, moved) TH_LOG("mremap: %s", strerror(errno));
	EXPECT_EQ(-1, check_pattern(moved, 2 * page_size(), 3));
	EXPECT_EQ(1, shmbus_nr_mappings(fd));
	munmap(moved, 2 * page_size());
	EXPECT_EQ(0, shmbus_nr_mappings(fd));
	close(fd);
}

/* /proc/PID/maps shows a mapping of a named region as /shmbus:NAME (deleted). */
TEST_F(region, maps_shows_region_name)
{
	const char *name = new_name(self, "maps");
	char want[SHMBUS_NAME_MAX + 32], path[256];
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, maps_path(p, path, sizeof(path)));
	snprintf(want, sizeof(want), "/shmbus:%s (deleted)", name);
	EXPECT_STREQ(want, path);
	munmap(p, page_size());
	close(fd);
}

/* /proc/PID/maps shows a mapping of an anonymous region as /shmbus: (deleted). */
TEST(maps_shows_anonymous_region)
{
	struct shmbus_bind b;
	char path[256];
	void *p;
	int fd = shmbus_anon_region(page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, page_size(), PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, maps_path(p, path, sizeof(path)));
	EXPECT_STREQ("/shmbus: (deleted)", path);
	munmap(p, page_size());
	close(fd);
}

/* Fresh pages are zero-filled, also right after another region's were freed. */
TEST_F(region, pages_zero_filled)
{
	const size_t size = 64 * page_size();
	const char *first = new_name(self, "dirty"), *second = new_name(self, "clean");
	struct shmbus_bind b;
	void *p;
	int fd = shmbus_create(first, size, &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, FILL_BYTE, size);
	ASSERT_EQ(0, shmbus_unlink(first));
	munmap(p, size);
	close(fd);
	fd = shmbus_create(second, size, &b);
	ASSERT_LE(0, fd);
	p = map_shared(fd, size, PROT_READ, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, find_nonzero(p, size));
	munmap(p, size);
	close(fd);
}

TEST_HARNESS_MAIN
