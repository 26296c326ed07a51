// SPDX-License-Identifier: GPL-2.0
/*
 * SHMBUS_IOC_CMP_REQUEUE as docs/waitwake.md states it: if the word at from
 * differs from expected it is EAGAIN; otherwise it wakes up to nr_wake
 * waiters of from (oldest first, whatever their bitsets) and moves up to
 * nr_requeue others to wait on to, where a WAKE on to wakes them.  It fills
 * woken and requeued (which must be 0 on entry) and returns their sum.
 * from == to, a bad offset and non-zero flags or reserved words are EINVAL.
 *
 * Waiters run in child processes and report through their exit status; the
 * test process sees them asleep through SHMBUS_IOC_INFO.waiters.
 */
#define _GNU_SOURCE
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define SETTLE_MS	WAITER_SETTLE_MS	/* a child gets asleep or exits within this */

FIXTURE(ww) {
	int fd;		/* bound to an anonymous region */
	__u64 size;
};

FIXTURE_SETUP(ww)
{
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(ww)
{
	kill_children();
	close(self->fd);
}

static struct shmbus_requeue requeue_args(__u64 from, __u64 to, __u32 nr_wake,
					  __u32 nr_requeue)
{
	struct shmbus_requeue q = {
		.from = from, .to = to, .nr_wake = nr_wake, .nr_requeue = nr_requeue,
	};

	return q;
}

/* CMP_REQUEUE: a word at from that differs from expected is EAGAIN. */
TEST_F(ww, requeue_mismatch_eagain)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.expected = 1;
	EXPECT_EQ(-EAGAIN, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: from == to is EINVAL. */
TEST_F(ww, requeue_same_word_einval)
{
	struct shmbus_requeue q = requeue_args(8, 8, 1, 1);

	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: woken or requeued non-zero on entry is EINVAL. */
TEST_F(ww, requeue_nonzero_outputs_einval)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.woken = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
	q = requeue_args(0, 64, 1, 1);
	q.requeued = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/* CMP_REQUEUE: non-zero flags or reserved words are EINVAL. */
TEST_F(ww, requeue_nonzero_flags_reserved_einval)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 1);

	q.flags = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
	q = requeue_args(0, 64, 1, 1);
	q.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &q));
}

/*
 * CMP_REQUEUE wakes nr_wake waiters and moves nr_requeue others: they are
 * then woken by a WAKE on to, the rest by a WAKE on from.
 */
TEST_F(ww, requeue_wakes_and_moves)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 2);
	pid_t pids[5];

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 5));
	EXPECT_EQ(3, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(1, q.woken);
	EXPECT_EQ(2, q.requeued);
	EXPECT_EQ(4, shmbus_nr_waiters(self->fd));
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	EXPECT_EQ(2, shmbus_wake(self->fd, 64, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
	EXPECT_EQ(5, reap_all(pids, 5));
}

/* CMP_REQUEUE wakes the oldest waiters of from first. */
TEST_F(ww, requeue_wakes_oldest_first)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 0);
	pid_t pids[3], who = 0;

	ASSERT_EQ(0, start_waiters(self->fd, pids, NULL, 3));
	EXPECT_EQ(1, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(0, reap(-1, SETTLE_MS, &who));
	EXPECT_EQ(pids[0], who);
	EXPECT_EQ(2, shmbus_wake(self->fd, 0, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY));
}

/* CMP_REQUEUE wakes waiters whatever their bitsets. */
TEST_F(ww, requeue_wakes_whatever_bitset)
{
	struct shmbus_requeue q = requeue_args(0, 64, 1, 0);
	pid_t pid = start_waiter(self->fd, 0, 0x8, 1);

	ASSERT_LT(0, pid);
	EXPECT_EQ(1, shmbus_cmp_requeue(self->fd, &q));
	EXPECT_EQ(0, reap(pid, SETTLE_MS, NULL));
}

/* CMP_REQUEUE: a from or to offset unaligned or outside the region is EINVAL. */
TEST_F(ww, requeue_bad_offset_einval)
{
	const __u64 offsets[] = { 2, self->size, self->size - 2, 1ULL << 63 };
	unsigned int i;

	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct shmbus_requeue from = requeue_args(offsets[i], 0, 1, 1);
		struct shmbus_requeue to = requeue_args(0, offsets[i], 1, 1);

		EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &from))
			TH_LOG("from %#llx", (unsigned long long)offsets[i]);
		EXPECT_EQ(-EINVAL, shmbus_cmp_requeue(self->fd, &to))
			TH_LOG("to %#llx", (unsigned long long)offsets[i]);
	}
}

TEST_HARNESS_MAIN
