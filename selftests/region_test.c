// SPDX-License-Identifier: GPL-2.0
/*
 * Regions as docs/regions.md states them: handles and bind, mmap, lifetime and
 * reference counts, sharing between processes, and introspection
 * (SHMBUS_IOC_INFO, fdinfo, /proc/shmbus/regions and /proc/shmbus/stats).
 *
 * "region_test --peer NAME" is the unrelated process of the by-name sharing
 * test: it opens NAME and answers as peer_reply() does (see main()).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define PEER_ARG	"--peer"
#define PEER_SEED	0x5b
#define MAX_NAMES	8
#define RACE_THREADS	4
#define RACE_ROUNDS	32
#define FILL_BYTE	0xa5
#define REGIONS_HEADER	"id name size uid gid cuid cgid mode handles mappings pages flags ns"

/* Steps of peer_reply(), its exit status in the sharing tests. */
enum {
	PEER_OK,
	PEER_NO_FD,
	PEER_NO_INFO,
	PEER_NO_MAP,
	PEER_BAD_DATA,
	PEER_NO_EXEC = 127,
};

/*
 * The far side of the sharing tests: map the whole region of fd, check that
 * its first half holds pattern PEER_SEED and write pattern PEER_SEED + 1 into
 * its second half.  Returns PEER_OK or the step that failed.
 */
static int peer_reply(int fd)
{
	struct shmbus_info info;
	unsigned char *p;
	size_t half;
	int ret = PEER_OK;

	if (fd < 0)
		return PEER_NO_FD;
	if (shmbus_region_info(fd, &info))
		return PEER_NO_INFO;
	p = map_shared(fd, info.size, RW, 0);
	if (p == MAP_FAILED)
		return PEER_NO_MAP;
	half = info.size / 2;
	if (check_pattern(p, half, PEER_SEED) >= 0)
		ret = PEER_BAD_DATA;
	else
		fill_pattern(p + half, half, PEER_SEED + 1);
	munmap(p, info.size);
	return ret;
}

/* The side of the sharing tests that starts: write the first half. */
static void peer_prepare(void *p, size_t size)
{
	fill_pattern(p, size / 2, PEER_SEED);
}

/* Whether the peer's answer is in the second half. */
static int peer_answered(const void *p, size_t size)
{
	return check_pattern((const char *)p + size / 2, size / 2, PEER_SEED + 1) < 0;
}

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

static int reply_on_fd(void *arg)
{
	return peer_reply(*(int *)arg);
}

static int recv_and_reply(void *arg)
{
	return peer_reply(recv_fd(*(int *)arg));
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
		shmbus_unlink_name(self->names[i]);
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
		ASSERT_EQ(0, shmbus_unlink_name(name));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
			shmbus_unlink_name(r[i].name);
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
	ASSERT_EQ(0, shmbus_unlink_name(a));
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
	struct shmbus_chown chown_args = {
		.uid = SHMBUS_ID_UNCHANGED,
		.gid = SHMBUS_ID_UNCHANGED,
	};
	struct shmbus_chmod chmod_args = { .mode = 0600 };
	struct shmbus_info info;
	int fd = shmbus_dev_open(O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, shmbus_region_info(fd, &info));
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_CHMOD, &chmod_args));
	EXPECT_EQ(ENXIO, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_CHOWN, &chown_args));
	EXPECT_EQ(ENXIO, errno);
	close(fd);
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
	ASSERT_EQ(0, shmbus_region_info(fd2, &info));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
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

/* An unrelated (exec'd) process opens the region by name and shares its data. */
TEST_F(region, shared_by_name_with_exec_process)
{
	const char *name = new_name(self, "exec");
	struct shmbus_bind b;
	void *p;
	pid_t pid;
	int fd = shmbus_create(name, 4 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, b.size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	peer_prepare(p, b.size);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl("/proc/self/exe", "region_test", PEER_ARG, name, (char *)NULL);
		_exit(PEER_NO_EXEC);
	}
	ASSERT_EQ(PEER_OK, reap(pid, REAP_FOREVER, NULL));
	EXPECT_TRUE(peer_answered(p, b.size));
	munmap(p, b.size);
	close(fd);
}

/* An anonymous region is shared with a forked child through the fd. */
TEST(anonymous_shared_with_fork)
{
	struct shmbus_bind b;
	void *p;
	pid_t pid;
	int fd = shmbus_anon_region(2 * page_size(), &b);

	ASSERT_LE(0, fd);
	p = map_shared(fd, b.size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	peer_prepare(p, b.size);
	pid = spawn(reply_on_fd, &fd);
	ASSERT_LT(0, pid);
	ASSERT_EQ(PEER_OK, reap(pid, REAP_FOREVER, NULL));
	EXPECT_TRUE(peer_answered(p, b.size));
	munmap(p, b.size);
	close(fd);
}

/* An anonymous region passed over SCM_RIGHTS is shared with that process. */
TEST(anonymous_shared_over_scm_rights)
{
	struct shmbus_bind b;
	int sv[2], fd;
	void *p;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = spawn(recv_and_reply, &sv[1]);
	ASSERT_LT(0, pid);
	close(sv[1]);
	fd = shmbus_anon_region(2 * page_size(), &b);
	ASSERT_LE(0, fd);
	p = map_shared(fd, b.size, RW, 0);
	ASSERT_NE(MAP_FAILED, p);
	peer_prepare(p, b.size);
	ASSERT_EQ(0, send_fd(sv[0], fd));
	ASSERT_EQ(PEER_OK, reap(pid, REAP_FOREVER, NULL));
	EXPECT_TRUE(peer_answered(p, b.size));
	munmap(p, b.size);
	close(fd);
	close(sv[0]);
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
	EXPECT_EQ(-ENOENT, shmbus_try_bind(name, 0, 0, 0));
	EXPECT_EQ(-ENOENT, shmbus_unlink_name(name));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
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
	ASSERT_EQ(0, shmbus_unlink_name(first));
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

/* INFO reports the id, size and name that bind returned. */
TEST_F(region, info_id_size_name)
{
	const char *name = new_name(self, "info");
	struct shmbus_bind b;
	struct shmbus_info info;
	int fd = shmbus_create(name, 5 * page_size(), &b);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(ro, &info));
	EXPECT_EQ(SHMBUS_INFO_RDONLY, info.flags);
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
	EXPECT_EQ(0, info.pages);
	p[0] = 1;
	p[3 * page_size() + 5] = 1;
	p[8 * page_size() - 1] = 1;
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_region_info(fd, &info));
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
	ASSERT_EQ(0, shmbus_unlink_name(name));
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

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], PEER_ARG)) {
		struct shmbus_bind b;

		return peer_reply(shmbus_open_region(argv[2], 0, &b));
	}
	return test_harness_run(argc, argv);
}
