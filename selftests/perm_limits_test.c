// SPDX-License-Identifier: GPL-2.0
/*
 * The module's limits on regions, as docs/regions.md ("Limits") states them:
 * max_region_bytes bounds a region's size (EFBIG above it, exactly it is
 * allowed); max_regions and max_total_bytes bound the regions of an IPC
 * namespace and the sum of their sizes (ENOSPC); a create that any limit
 * refuses leaves nothing behind (no region, stats or name).
 *
 * The test process is root: it sets the module parameters and puts them
 * back at teardown.
 */
#define _GNU_SOURCE

#include "kselftest_harness.h"
#include "util.h"

#define REGION_SIZE	4096
#define SMALL_LIMIT	65536

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
