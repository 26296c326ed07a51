// SPDX-License-Identifier: GPL-2.0
/*
 * Binding a handle to a region, as docs/regions.md ("Handles and bind")
 * states it: SHMBUS_IOC_BIND creates (CREATE, CREATE|EXCL) or opens a region
 * by name, or with CREATE and an empty name makes an anonymous one; the fd's
 * open mode, the size, the name, the flags, the mode and the reserved words
 * are checked in the documented order, the first check that fails answering;
 * a handle binds once (EBUSY after, also when threads race); ids are
 * distinct and never 0; and the ioctls that need a region are ENXIO on an
 * unbound handle.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define MAX_NAMES	8
#define RACE_THREADS	4
#define RACE_ROUNDS	32

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

/* A unique name of exactly len bytes (len < SHMBUS_NAME_MAX), unlinked at teardown. */
static char *new_long_name(FIXTURE_DATA(region) *self, size_t len)
{
	char *name = new_name(self, "");
	size_t n = strlen(name);

	memset(name + n, 'x', len - n);
	name[len] = '\0';
	return name;
}

/* bind: CREATE|EXCL on a new name creates a region that the name then opens. */
TEST_F(region, bind_create_excl_new_name)
{
	struct shmbus_bind b, o;
	const char *name = new_name(self, "new");
	int fd, fd2;

	fd = shmbus_create(name, page_size(), &b);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	fd2 = shmbus_open_region(name, 0, &o);
	ASSERT_LE(0, fd2) TH_LOG("open: %s", strerror(-fd2));
	EXPECT_EQ(b.id, o.id);
	close(fd2);
	close(fd);
}

/* bind: CREATE|EXCL on an existing name is EEXIST. */
TEST_F(region, bind_create_excl_existing_eexist)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "excl");
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, shmbus_try_bind(name, page_size(), CREATE_EXCL, 0600));
	close(fd);
}

/* bind: CREATE without EXCL on an existing name opens that region. */
TEST_F(region, bind_create_existing_opens_it)
{
	struct shmbus_bind b, o;
	const char *name = new_name(self, "reopen");
	int fd, fd2;

	fd = shmbus_create(name, 2 * page_size(), &b);
	ASSERT_LE(0, fd);
	shmbus_bind_init(&o, name, 2 * page_size(), SHMBUS_BIND_CREATE, 0600);
	fd2 = shmbus_bind_new(O_RDWR, &o);
	ASSERT_LE(0, fd2) TH_LOG("bind: %s", strerror(-fd2));
	EXPECT_EQ(b.id, o.id);
	EXPECT_EQ(b.size, o.size);
	close(fd2);
	close(fd);
}

/* bind: without CREATE an existing name opens it, with its id and size. */
TEST_F(region, bind_open_existing)
{
	struct shmbus_bind b, o;
	const char *name = new_name(self, "open");
	int fd, fd2;

	fd = shmbus_create(name, 3 * page_size(), &b);
	ASSERT_LE(0, fd);
	fd2 = shmbus_open_region(name, 0, &o);
	ASSERT_LE(0, fd2) TH_LOG("open: %s", strerror(-fd2));
	EXPECT_EQ(b.id, o.id);
	EXPECT_EQ(3 * page_size(), o.size);
	close(fd2);
	close(fd);
}

/* bind: without CREATE a name that does not exist is ENOENT. */
TEST_F(region, bind_open_missing_enoent)
{
	EXPECT_EQ(-ENOENT, shmbus_try_bind(new_name(self, "missing"), 0, 0, 0));
}

/* bind: a RDONLY bind works on a fd opened O_RDONLY. */
TEST_F(region, bind_rdonly_on_o_rdonly_fd)
{
	struct shmbus_bind b, o;
	const char *name = new_name(self, "ro");
	int fd = shmbus_create(name, page_size(), &b), fd2;

	ASSERT_LE(0, fd);
	shmbus_bind_init(&o, name, 0, SHMBUS_BIND_RDONLY, 0);
	fd2 = shmbus_bind_new(O_RDONLY, &o);
	ASSERT_LE(0, fd2) TH_LOG("bind: %s", strerror(-fd2));
	EXPECT_EQ(b.id, o.id);
	close(fd2);
	close(fd);
}

/* bind: a writable bind on a fd opened O_RDONLY is EBADF. */
TEST_F(region, bind_writable_on_o_rdonly_fd_ebadf)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "ebadf");
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	shmbus_bind_init(&b, name, 0, 0, 0);
	EXPECT_EQ(-EBADF, shmbus_bind_result(O_RDONLY, &b));
	close(fd);
}

/* bind: a fd not open for reading (O_WRONLY) is EBADF, even for RDONLY. */
TEST_F(region, bind_on_o_wronly_fd_ebadf)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "wronly");
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	shmbus_bind_init(&b, name, 0, 0, 0);
	EXPECT_EQ(-EBADF, shmbus_bind_result(O_WRONLY, &b));
	shmbus_bind_init(&b, name, 0, SHMBUS_BIND_RDONLY, 0);
	EXPECT_EQ(-EBADF, shmbus_bind_result(O_WRONLY, &b));
	close(fd);
}

/* bind: creating with size 0 is EINVAL. */
TEST_F(region, bind_create_size_zero_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_try_bind(new_name(self, "size0"), 0, CREATE_EXCL, 0600));
}

/* bind: the size comes back rounded up to the page size (1 -> one page). */
TEST_F(region, bind_size_rounded_up_to_page)
{
	const __u64 sizes[][2] = {
		{ 1, page_size() },
		{ page_size() - 1, page_size() },
		{ page_size(), page_size() },
		{ page_size() + 1, 2 * page_size() },
	};
	const char *name = new_name(self, "round");
	struct shmbus_bind b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		int fd = shmbus_create(name, sizes[i][0], &b);

		ASSERT_LE(0, fd) TH_LOG("size %llu: %s", sizes[i][0], strerror(-fd));
		EXPECT_EQ(sizes[i][1], b.size) TH_LOG("size %llu", sizes[i][0]);
		close(fd);
		ASSERT_EQ(0, shmbus_unlink(name));
	}
}

/* bind: creating exactly max_region_bytes is allowed. */
TEST_F(region, bind_create_max_region_bytes)
{
	long long max = read_number(SHMBUS_SYSMOD "/parameters/max_region_bytes");
	struct shmbus_bind b;
	int fd;

	ASSERT_LT(0, max);
	if (max % page_size())
		SKIP(return, "max_region_bytes %lld is not page-aligned", max);
	fd = shmbus_create(new_name(self, "max"), max, &b);
	ASSERT_LE(0, fd) TH_LOG("bind: %s", strerror(-fd));
	EXPECT_EQ(max, b.size);
	close(fd);
}

/* bind: creating above max_region_bytes is EFBIG. */
TEST_F(region, bind_create_above_max_efbig)
{
	long long max = read_number(SHMBUS_SYSMOD "/parameters/max_region_bytes");
	const char *name = new_name(self, "big");

	ASSERT_LT(0, max);
	EXPECT_EQ(-EFBIG, shmbus_try_bind(name, max + 1, CREATE_EXCL, 0600));
	EXPECT_EQ(-EFBIG, shmbus_try_bind(name, max + page_size(), CREATE_EXCL, 0600));
}

/* bind: creating with a size near 2^64 is EFBIG (rounding must not wrap). */
TEST_F(region, bind_create_size_near_2_64_efbig)
{
	const __u64 sizes[] = { UINT64_MAX, UINT64_MAX - 4095, UINT64_MAX - page_size() + 2,
				1ULL << 63 };
	const char *name = new_name(self, "huge");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		EXPECT_EQ(-EFBIG, shmbus_try_bind(name, sizes[i], CREATE_EXCL, 0600))
			TH_LOG("size %#llx", sizes[i]);
	}
}

/* bind: opening with a size larger than the region is EINVAL. */
TEST_F(region, bind_open_size_larger_einval)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "larger");
	int fd = shmbus_create(name, 2 * page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, shmbus_try_bind(name, 2 * page_size() + 1, 0, 0));
	EXPECT_EQ(-EINVAL, shmbus_try_bind(name, UINT64_MAX, 0, 0));
	close(fd);
}

/* bind: opening with size 0 or a smaller size gives the region's size. */
TEST_F(region, bind_open_size_zero_or_smaller_is_as_is)
{
	const __u64 sizes[] = { 0, 1, page_size(), 4 * page_size() };
	const char *name = new_name(self, "asis");
	struct shmbus_bind b;
	unsigned int i;
	int fd = shmbus_create(name, 4 * page_size(), &b);

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct shmbus_bind o;
		int fd2;

		shmbus_bind_init(&o, name, sizes[i], 0, 0);
		fd2 = shmbus_bind_new(O_RDWR, &o);
		ASSERT_LE(0, fd2) TH_LOG("size %llu: %s", sizes[i], strerror(-fd2));
		EXPECT_EQ(4 * page_size(), o.size) TH_LOG("size %llu", sizes[i]);
		close(fd2);
	}
	close(fd);
}

/* bind: CREATE with an empty name makes a new anonymous region each time. */
TEST(bind_empty_name_create_is_anonymous)
{
	struct shmbus_bind a, b;
	int fa = shmbus_anon_region(page_size(), &a), fb;

	ASSERT_LE(0, fa) TH_LOG("bind: %s", strerror(-fa));
	fb = shmbus_anon_region(page_size(), &b);
	ASSERT_LE(0, fb) TH_LOG("bind: %s", strerror(-fb));
	EXPECT_NE(a.id, b.id);
	close(fb);
	close(fa);
}

/* bind: an empty name without CREATE is EINVAL. */
TEST(bind_empty_name_without_create_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_try_bind("", 0, 0, 0));
	EXPECT_EQ(-EINVAL, shmbus_try_bind("", page_size(), SHMBUS_BIND_RDONLY, 0));
}

/* bind: a name of 63 bytes (the most that leaves room for the NUL) works. */
TEST_F(region, bind_name_63_bytes)
{
	struct shmbus_bind b, o;
	const char *name = new_long_name(self, SHMBUS_NAME_MAX - 1);
	int fd, fd2;

	fd = shmbus_create(name, page_size(), &b);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	fd2 = shmbus_open_region(name, 0, &o);
	ASSERT_LE(0, fd2) TH_LOG("open: %s", strerror(-fd2));
	EXPECT_EQ(b.id, o.id);
	close(fd2);
	close(fd);
}

/* bind: a name with no NUL inside its 64 bytes is ENAMETOOLONG. */
TEST_F(region, bind_name_without_nul_enametoolong)
{
	const char *name = new_long_name(self, SHMBUS_NAME_MAX - 1);
	struct shmbus_bind b;

	shmbus_bind_init(&b, "", page_size(), CREATE_EXCL, 0600);
	memcpy(b.name, name, SHMBUS_NAME_MAX - 1);
	b.name[SHMBUS_NAME_MAX - 1] = 'y';
	EXPECT_EQ(-ENAMETOOLONG, shmbus_bind_result(O_RDWR, &b));
}

/* bind: a name containing '/' is EINVAL. */
TEST_F(region, bind_name_with_slash_einval)
{
	char name[SHMBUS_NAME_MAX];

	snprintf(name, sizeof(name), "%s/x", new_name(self, "slash"));
	EXPECT_EQ(-EINVAL, shmbus_try_bind(name, page_size(), CREATE_EXCL, 0600));
	EXPECT_EQ(-EINVAL, shmbus_try_bind("/", page_size(), CREATE_EXCL, 0600));
}

/* bind: a flag other than CREATE, EXCL and RDONLY is EINVAL. */
TEST_F(region, bind_unknown_flag_einval)
{
	const char *name = new_name(self, "flag");
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if ((1U << bit) & BIND_FLAGS_KNOWN)
			continue;
		EXPECT_EQ(-EINVAL, shmbus_try_bind(name, page_size(), CREATE_EXCL | 1U << bit, 0600))
			TH_LOG("flag bit %u", bit);
	}
}

/* bind: a non-zero reserved word is EINVAL. */
TEST_F(region, bind_reserved_nonzero_einval)
{
	const char *name = new_name(self, "rsv");
	struct shmbus_bind b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(b.reserved); i++) {
		shmbus_bind_init(&b, name, page_size(), CREATE_EXCL, 0600);
		b.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, shmbus_bind_result(O_RDWR, &b)) TH_LOG("reserved[%u]", i);
	}
}

/* bind: with CREATE, mode bits outside 0777 are EINVAL. */
TEST_F(region, bind_mode_above_0777_einval)
{
	const __u32 modes[] = { 01000, 02600, 04600, 01777, 0xffffffff };
	const char *name = new_name(self, "mode");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		EXPECT_EQ(-EINVAL, shmbus_try_bind(name, page_size(), CREATE_EXCL, modes[i]))
			TH_LOG("mode %#o", modes[i]);
	}
}

/* bind: EXCL without CREATE is EINVAL. */
TEST_F(region, bind_excl_without_create_einval)
{
	struct shmbus_bind b;
	const char *name = new_name(self, "exclonly");
	int fd = shmbus_create(name, page_size(), &b);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, shmbus_try_bind(name, 0, SHMBUS_BIND_EXCL, 0));
	close(fd);
}

/* bind: a second bind on a bound handle is EBUSY and changes nothing. */
TEST_F(region, bind_twice_ebusy)
{
	const char *first = new_name(self, "first"), *second = new_name(self, "second");
	struct shmbus_bind b, again;
	struct shmbus_info info;
	int fd = shmbus_create(first, page_size(), &b);

	ASSERT_LE(0, fd);
	shmbus_bind_init(&again, first, 0, 0, 0);
	EXPECT_EQ(-EBUSY, shmbus_bind(fd, &again));
	shmbus_bind_init(&again, second, page_size(), CREATE_EXCL, 0600);
	EXPECT_EQ(-EBUSY, shmbus_bind(fd, &again));
	ASSERT_EQ(0, region_info(fd, &info));
	EXPECT_EQ(b.id, info.id);
	close(fd);
}

struct race_bind {
	pthread_barrier_t *barrier;
	int fd;
	const char *name;
	int ret;
};

static void *race_bind_thread(void *arg)
{
	struct race_bind *r = arg;
	struct shmbus_bind b;

	shmbus_bind_init(&b, r->name, page_size(), CREATE_EXCL, 0600);
	pthread_barrier_wait(r->barrier);
	r->ret = shmbus_bind(r->fd, &b);
	return NULL;
}

/* bind: of threads binding one handle at once, one wins, the others get EBUSY. */
TEST_F(region, bind_race_one_wins_others_ebusy)
{
	struct race_bind r[RACE_THREADS];
	pthread_t tid[RACE_THREADS];
	pthread_barrier_t barrier;
	int round, i;

	for (i = 0; i < RACE_THREADS; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "race%d", i);
		r[i].name = new_name(self, tag);
		r[i].barrier = &barrier;
	}
	for (round = 0; round < RACE_ROUNDS; round++) {
		int fd = shmbus_dev_open(O_RDWR), won = 0, busy = 0;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, RACE_THREADS));
		for (i = 0; i < RACE_THREADS; i++) {
			r[i].fd = fd;
			ASSERT_EQ(0, pthread_create(&tid[i], NULL, race_bind_thread, &r[i]));
		}
		for (i = 0; i < RACE_THREADS; i++) {
			pthread_join(tid[i], NULL);
			won += r[i].ret == 0;
			busy += r[i].ret == -EBUSY;
			shmbus_unlink(r[i].name);
		}
		pthread_barrier_destroy(&barrier);
		close(fd);
		ASSERT_EQ(1, won) TH_LOG("round %d", round);
		ASSERT_EQ(RACE_THREADS - 1, busy) TH_LOG("round %d", round);
	}
}

/* bind: ids are distinct and non-zero, also across freed regions. */
TEST_F(region, bind_ids_distinct)
{
	const char *a = new_name(self, "ida"), *c = new_name(self, "idc");
	struct shmbus_bind ba, bb, bc, bd;
	int fa, fb, fc, fd;

	fa = shmbus_create(a, page_size(), &ba);
	ASSERT_LE(0, fa);
	fb = shmbus_anon_region(page_size(), &bb);
	ASSERT_LE(0, fb);
	fc = shmbus_create(c, page_size(), &bc);
	ASSERT_LE(0, fc);
	close(fa);
	ASSERT_EQ(0, shmbus_unlink(a));
	fd = shmbus_create(a, page_size(), &bd);
	ASSERT_LE(0, fd);
	EXPECT_NE(0, ba.id);
	EXPECT_NE(0, bb.id);
	EXPECT_NE(0, bc.id);
	EXPECT_NE(0, bd.id);
	EXPECT_NE(ba.id, bb.id);
	EXPECT_NE(ba.id, bc.id);
	EXPECT_NE(ba.id, bd.id);
	EXPECT_NE(bb.id, bc.id);
	EXPECT_NE(bb.id, bd.id);
	EXPECT_NE(bc.id, bd.id);
	close(fd);
	close(fc);
	close(fb);
}

/* bind: the checks run in the documented order; the first that fails answers. */
TEST_F(region, bind_checks_in_documented_order)
{
	long long max = read_number(SHMBUS_SYSMOD "/parameters/max_region_bytes");
	const char *name = new_name(self, "order"), *missing = new_name(self, "nothere");
	const char *longest = new_long_name(self, SHMBUS_NAME_MAX - 1);
	struct shmbus_bind b, bad;
	int fd, ro;

	ASSERT_LT(0, max);
	fd = shmbus_create(name, page_size(), &b);
	ASSERT_LE(0, fd);
	shmbus_bind_init(&bad, longest, page_size(), CREATE_EXCL, 0600);
	bad.name[SHMBUS_NAME_MAX - 1] = 'y';
	bad.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, shmbus_bind_result(O_RDWR, &bad)) TH_LOG("reserved before name");
	bad.reserved[0] = 0;
	bad.mode = 01000;
	EXPECT_EQ(-EINVAL, shmbus_bind_result(O_RDWR, &bad)) TH_LOG("mode before name");
	bad.mode = 0600;
	EXPECT_EQ(-ENAMETOOLONG, shmbus_bind(fd, &bad)) TH_LOG("name before EBUSY");
	shmbus_bind_init(&bad, name, 0, SHMBUS_BIND_RDONLY, 0);
	ro = shmbus_bind_new(O_RDONLY, &bad);
	ASSERT_LE(0, ro);
	shmbus_bind_init(&bad, name, 0, 0, 0);
	EXPECT_EQ(-EBUSY, shmbus_bind(ro, &bad)) TH_LOG("EBUSY before EBADF");
	shmbus_bind_init(&bad, missing, 0, 0, 0);
	EXPECT_EQ(-EBADF, shmbus_bind_result(O_RDONLY, &bad)) TH_LOG("EBADF before ENOENT");
	EXPECT_EQ(-ENOENT, shmbus_try_bind(missing, UINT64_MAX, 0, 0)) TH_LOG("ENOENT before size");
	EXPECT_EQ(-EEXIST, shmbus_try_bind(name, 0, CREATE_EXCL, 0600)) TH_LOG("EEXIST before size 0");
	EXPECT_EQ(-EEXIST, shmbus_try_bind(name, max + page_size(), CREATE_EXCL, 0600))
		TH_LOG("EEXIST before EFBIG");
	close(ro);
	close(fd);
}

/* Ioctls that need a bound handle (INFO, CHMOD, CHOWN) are ENXIO unbound. */
TEST(unbound_handle_ioctls_enxio)
{
	struct shmbus_info info;
	int fd = shmbus_dev_open(O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, region_info(fd, &info));
	EXPECT_EQ(-ENXIO, shmbus_chmod(fd, 0600));
	EXPECT_EQ(-ENXIO, shmbus_chown(fd, SHMBUS_ID_UNCHANGED, SHMBUS_ID_UNCHANGED));
	close(fd);
}

TEST_HARNESS_MAIN
