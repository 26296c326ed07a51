// SPDX-License-Identifier: GPL-2.0
/*
 * Sharing a region between processes, as docs/regions.md ("Handles and
 * bind") states it: an unrelated process opens a named region by its name,
 * and an anonymous region is reachable through its open file (fork,
 * SCM_RIGHTS); either way both sides see each other's data.
 *
 * "region_sharing_test --peer NAME" is the unrelated process of the by-name
 * test: it opens NAME and answers as peer_reply() does.  That is why this
 * program has its own main() instead of TEST_HARNESS_MAIN.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define RW		(PROT_READ | PROT_WRITE)
#define PEER_ARG	"--peer"
#define PEER_SEED	0x5b
#define MAX_NAMES	8

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
	if (region_info(fd, &info))
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

static int reply_on_fd(void *arg)
{
	return peer_reply(*(int *)arg);
}

static int recv_and_reply(void *arg)
{
	return peer_reply(recv_fd(*(int *)arg));
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
		execl("/proc/self/exe", "region_sharing_test", PEER_ARG, name, (char *)NULL);
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

/* The harness's main(), unless this process is the peer: see the top. */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], PEER_ARG)) {
		struct shmbus_bind b;

		return peer_reply(shmbus_open_region(argv[2], 0, &b));
	}
	return test_harness_run(argc, argv);
}
