// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi from a 32-bit process: built with -m32 into compat32_test, it
 * goes through the module's compat_ioctl.  Every structure has the same
 * layout on both ABIs, so each command must behave exactly as from 64-bit.
 */
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"

_Static_assert(sizeof(void *) == 4, "compat.c must be built with -m32");

/* BIND fills size and id, INFO describes the region, UNLINK removes it. */
TEST(bind_info_unlink)
{
	struct shmbus_bind b = { .size = 5000, .mode = 0640,
				 .flags = SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL };
	struct shmbus_unlink u = { .name = "" };
	struct shmbus_info info;
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	char *p;

	ASSERT_LE(0, fd);
	shmbus_unique_name(b.name, "compat");
	ASSERT_EQ(0, ioctl(fd, SHMBUS_IOC_BIND, &b));
	EXPECT_EQ(8192, b.size);
	EXPECT_LT(0, b.id);
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, ioctl(fd, SHMBUS_IOC_INFO, &info));
	EXPECT_EQ(b.id, info.id);
	EXPECT_EQ(8192, info.size);
	EXPECT_EQ(0, strcmp(b.name, info.name));
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(1, info.handles);
	EXPECT_EQ(0, info.pad);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[8191] = 1;
	ASSERT_EQ(0, ioctl(fd, SHMBUS_IOC_INFO, &info));
	EXPECT_EQ(1, info.mappings);
	EXPECT_EQ(1, info.pages);
	munmap(p, 8192);
	snprintf(u.name, sizeof(u.name), "%s", b.name);
	EXPECT_EQ(0, ioctl(fd, SHMBUS_IOC_UNLINK, &u));
	close(fd);
}

/* Validation is the same: a non-zero reserved word is EINVAL. */
TEST(reserved_checked)
{
	struct shmbus_bind b = { .size = 4096, .flags = SHMBUS_BIND_CREATE };
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	b.reserved[3] = 1;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* An unknown command is ENOTTY through compat_ioctl too. */
TEST(unknown_ioctl_enotty)
{
	int fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	__u64 arg = 0;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IOWR(SHMBUS_IOC_MAGIC, 0x7f, __u64), &arg));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

/* WAIT: EAGAIN on a mismatch, ETIMEDOUT after a relative timeout. */
TEST(wait_eagain_and_timeout)
{
	struct shmbus_wait w = { .offset = 8, .expected = 1, .bitset = SHMBUS_BITSET_ANY };
	int fd = shmbus_anon_region(4096, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_WAIT, &w));
	EXPECT_EQ(EAGAIN, errno);
	w.expected = 0;
	w.flags = SHMBUS_WAIT_RELATIVE;
	w.timeout_ns = 1000000;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_WAIT, &w));
	EXPECT_EQ(ETIMEDOUT, errno);
	close(fd);
}

/* WAKE from a 32-bit process wakes a 32-bit waiter and counts it. */
TEST(wake_wakes_waiter)
{
	struct shmbus_wait w = { .offset = 0, .expected = 0, .bitset = SHMBUS_BITSET_ANY,
				 .flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = 20000000000ULL };
	struct shmbus_wake k = { .offset = 0, .count = 1, .bitset = SHMBUS_BITSET_ANY };
	struct shmbus_info info = { 0 };
	int fd = shmbus_anon_region(4096, NULL), status, i;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ioctl(fd, SHMBUS_IOC_WAIT, &w) ? 1 : 0);
	for (i = 0; i < 1000 && !info.waiters; i++) {
		usleep(10000);
		ASSERT_EQ(0, ioctl(fd, SHMBUS_IOC_INFO, &info));
	}
	ASSERT_EQ(1, info.waiters);
	EXPECT_EQ(1, ioctl(fd, SHMBUS_IOC_WAKE, &k));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
}

/* WAITV reads its entries through a 32-bit user pointer. */
TEST(waitv_entries_pointer)
{
	struct shmbus_waitv_entry e[2] = {
		{ .fd = SHMBUS_WAITV_SELF, .offset = 0, .expected = 0, .bitset = 1 },
		{ .fd = SHMBUS_WAITV_SELF, .offset = 4, .expected = 7, .bitset = 1 },
	};
	struct shmbus_waitv v = { .entries = (uintptr_t)e, .nr = 2 };
	int fd = shmbus_anon_region(4096, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_WAITV, &v));
	EXPECT_EQ(EAGAIN, errno);
	e[1].expected = 0;
	v.flags = SHMBUS_WAIT_RELATIVE;
	v.timeout_ns = 1000000;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_WAITV, &v));
	EXPECT_EQ(ETIMEDOUT, errno);
	close(fd);
}

/* CMP_REQUEUE copies its woken/requeued counts back to a 32-bit caller. */
TEST(requeue_outputs)
{
	struct shmbus_requeue rq = { .from = 0, .to = 4, .expected = 0,
				     .nr_wake = 1, .nr_requeue = 1 };
	int fd = shmbus_anon_region(4096, NULL);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl(fd, SHMBUS_IOC_CMP_REQUEUE, &rq));
	EXPECT_EQ(0, rq.woken);
	EXPECT_EQ(0, rq.requeued);
	rq.expected = 3;
	EXPECT_EQ(-1, ioctl(fd, SHMBUS_IOC_CMP_REQUEUE, &rq));
	EXPECT_EQ(EAGAIN, errno);
	close(fd);
}

TEST_HARNESS_MAIN
