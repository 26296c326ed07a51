// SPDX-License-Identifier: GPL-2.0
/*
 * fdinfo counts the wait/wake ioctls made on a handle: shmbus-waits,
 * shmbus-wakes, shmbus-waitvs and shmbus-requeues, each the number of
 * WAIT, WAKE, WAITV and CMP_REQUEUE ioctls made on that handle, failed ones
 * included, and nothing else.  They are per handle (another handle's calls,
 * REOPEN's new handle, a child's calls on its own handle do not show), and
 * shown bound or not.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define NR_CALLS	4

static const char *const call_keys[NR_CALLS] = {
	"shmbus-waits", "shmbus-wakes", "shmbus-waitvs", "shmbus-requeues",
};

/* The four counts of @fd's fdinfo into @n; 0, or -1 if one is missing. */
static int read_calls(int fd, long long n[NR_CALLS])
{
	char val[64];
	int i;

	for (i = 0; i < NR_CALLS; i++) {
		if (fdinfo_value(fd, call_keys[i], val, sizeof(val)))
			return -1;
		n[i] = strtoll(val, NULL, 10);
	}
	return 0;
}

FIXTURE(calls) {
	int fd;
};

FIXTURE_SETUP(calls)
{
	self->fd = shmbus_anon_region(page_size(), NULL);
	ASSERT_LE(0, self->fd) TH_LOG("%s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(calls)
{
	close(self->fd);
}

/* A new handle shows four zero counts. */
TEST_F(calls, new_handle_counts_zero)
{
	long long n[NR_CALLS];
	int i;

	ASSERT_EQ(0, read_calls(self->fd, n));
	for (i = 0; i < NR_CALLS; i++)
		EXPECT_EQ(0, n[i]) TH_LOG("count %d", i);
}

/* Each command counts on its own line, successes and failures alike. */
TEST_F(calls, each_command_counted)
{
	struct shmbus_waitv_entry e = {
		.fd = SHMBUS_WAITV_SELF, .offset = 0, .expected = 1, .bitset = SHMBUS_BITSET_ANY,
	};
	struct shmbus_waitv v = { .entries = (uintptr_t)&e, .nr = 1 };
	struct shmbus_requeue q = { .from = 0, .to = 4, .expected = 0, .nr_wake = 1 };
	struct shmbus_wait w = { .offset = 0, .expected = 1, .bitset = SHMBUS_BITSET_ANY };
	long long n[NR_CALLS];
	int i;

	for (i = 0; i < 3; i++)
		EXPECT_EQ(-EAGAIN, shmbus_wait(self->fd, &w));
	w.offset = 2;	/* misaligned: EINVAL, still a call */
	EXPECT_EQ(-EINVAL, shmbus_wait(self->fd, &w));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, shmbus_wake(self->fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(-EINVAL, shmbus_wake(self->fd, 0, 1, 0));
	EXPECT_EQ(-EAGAIN, shmbus_waitv(self->fd, &v));
	v.flags = 0x4;
	EXPECT_EQ(-EINVAL, shmbus_waitv(self->fd, &v));
	EXPECT_EQ(0, shmbus_cmp_requeue(self->fd, &q));

	ASSERT_EQ(0, read_calls(self->fd, n));
	EXPECT_EQ(4, n[0]);
	EXPECT_EQ(6, n[1]);
	EXPECT_EQ(2, n[2]);
	EXPECT_EQ(1, n[3]);
}

/* Other ioctls, unknown commands and bad pointers of other commands do not count. */
TEST_F(calls, other_ioctls_not_counted)
{
	struct shmbus_info info;
	long long n[NR_CALLS];
	int i;

	EXPECT_EQ(0, region_info(self->fd, &info));
	EXPECT_EQ(-ENOTTY, shmbus_ioctl(self->fd, _IO(SHMBUS_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-EFAULT, shmbus_ioctl(self->fd, SHMBUS_IOC_WATCH, NULL));
	EXPECT_LT(0, shmbus_owner_id(self->fd));
	ASSERT_EQ(0, read_calls(self->fd, n));
	for (i = 0; i < NR_CALLS; i++)
		EXPECT_EQ(0, n[i]) TH_LOG("count %d", i);
}

/* Counts are per handle: another handle's calls, and REOPEN's, do not show. */
TEST_F(calls, counted_per_handle)
{
	long long n[NR_CALLS];
	int other;

	other = shmbus_reopen(self->fd);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, shmbus_wake(self->fd, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, shmbus_wake(other, 0, 1, SHMBUS_BITSET_ANY));
	EXPECT_EQ(0, shmbus_wake(other, 0, 1, SHMBUS_BITSET_ANY));
	ASSERT_EQ(0, read_calls(self->fd, n));
	EXPECT_EQ(1, n[1]);
	ASSERT_EQ(0, read_calls(other, n));
	EXPECT_EQ(2, n[1]);
	close(other);
}

/* An unbound handle shows its counts too; its calls fail with ENXIO and count. */
TEST(unbound_handle_counts)
{
	struct shmbus_wait w = { .bitset = SHMBUS_BITSET_ANY };
	long long n[NR_CALLS];
	int fd = shmbus_dev_open(O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, shmbus_wait(fd, &w));
	EXPECT_EQ(-ENXIO, shmbus_wake(fd, 0, 1, SHMBUS_BITSET_ANY));
	ASSERT_EQ(0, read_calls(fd, n));
	EXPECT_EQ(1, n[0]);
	EXPECT_EQ(1, n[1]);
	EXPECT_EQ(0, n[2]);
	EXPECT_EQ(0, n[3]);
	close(fd);
}

TEST_HARNESS_MAIN
