// SPDX-License-Identifier: GPL-2.0
/*
 * The names of a dead IPC namespace.  A name lives in its creator's IPC
 * namespace and holds its region (and so the module) for as long as the
 * namespace does.  When the namespace dies with a shmbus file of its
 * processes still open, its names go as that file is released, before the
 * parent reaps the last process: an rmmod right after a container exits
 * succeeds.  When no file was open, a worker unlinks them soon after.  The
 * names of a namespace that still has a process stay.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_SIZE	8192
#define SETTLE_S	20	/* a bound on the worker, never a timing check */

/* What the child keeps open when it exits. */
enum keep { KEEP_HANDLE, KEEP_MAPPING, KEEP_NOTHING };

/*
 * The child: enter a new IPC namespace, create a named region there, keep
 * @keep and exit.  0 on success, else the step that failed.
 */
static int container(const char *name, enum keep keep)
{
	char *map;
	int fd;

	if (unshare(CLONE_NEWIPC))
		return 1;
	fd = shmbus_open_bound(name, REGION_SIZE, SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	if (fd < 0)
		return 2;
	map = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 3;
	map[0] = 1;
	if (keep != KEEP_MAPPING && munmap(map, REGION_SIZE))
		return 4;
	if (keep != KEEP_HANDLE)
		close(fd);
	return 0;
}

/* Run container() in a child and reap it: its exit status, or -1. */
static int run_container(const char *name, enum keep keep)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(container(name, keep));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Wait, up to SETTLE_S, for the regions of every namespace to be gone. */
static long long settle_all_regions(void)
{
	long long n = shmbus_stat("all_regions");
	int i;

	for (i = 0; n > 0 && i < SETTLE_S * 10; i++) {
		usleep(100 * 1000);
		n = shmbus_stat("all_regions");
	}
	return n;
}

FIXTURE(ns) {
	char name[SHMBUS_NAME_MAX];
};

FIXTURE_SETUP(ns)
{
	if (geteuid() != 0)
		SKIP(return, "needs root for a new IPC namespace and rmmod");
	if (!shmbus_ko())
		SKIP(return, "SHMBUS_KO not set (run through scripts/vm-run)");
	shmbus_ensure_loaded();
	ASSERT_EQ(0, settle_all_regions()) TH_LOG("regions left over by someone else");
	shmbus_unique_name(self->name, "nsgc");
}

FIXTURE_TEARDOWN(ns)
{
	settle_all_regions();
	shmbus_ensure_loaded();
}

/*
 * The container's last process exits holding its handle: the name is gone
 * by the time the parent has reaped it, and the module unloads at once.
 */
TEST_F(ns, rmmod_right_after_exit_holding_handle)
{
	ASSERT_EQ(0, run_container(self->name, KEEP_HANDLE));
	EXPECT_EQ(0, shmbus_stat("all_regions"));
	EXPECT_EQ(0, shmbus_unload());
	EXPECT_EQ(0, shmbus_load());
}

/* The same when the process kept only a mapping of the region. */
TEST_F(ns, rmmod_right_after_exit_holding_mapping)
{
	ASSERT_EQ(0, run_container(self->name, KEEP_MAPPING));
	EXPECT_EQ(0, shmbus_stat("all_regions"));
	EXPECT_EQ(0, shmbus_unload());
	EXPECT_EQ(0, shmbus_load());
}

/*
 * Nothing of shmbus was open when the namespace died: the worker unlinks
 * the name, and then the module unloads.
 */
TEST_F(ns, name_goes_without_open_files)
{
	ASSERT_EQ(0, run_container(self->name, KEEP_NOTHING));
	EXPECT_EQ(0, settle_all_regions());
	EXPECT_EQ(0, shmbus_unload());
	EXPECT_EQ(0, shmbus_load());
}

/*
 * A handle released while its namespace still has a process does not take
 * the names: the name still opens, in that namespace, after the close.
 */
TEST_F(ns, names_of_live_namespace_stay)
{
	int gate[2], status, fd, ret = 0;
	pid_t pid, keeper;
	char c;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (unshare(CLONE_NEWIPC) || pipe(gate))
			_exit(1);
		keeper = fork();	/* keeps the namespace alive */
		if (keeper < 0)
			_exit(2);
		if (!keeper) {
			close(gate[1]);
			_exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
		}
		close(gate[0]);
		fd = shmbus_open_bound(self->name, REGION_SIZE,
				       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		if (fd < 0)
			ret = 3;
		close(fd);
		if (!ret) {
			fd = shmbus_open_bound(self->name, REGION_SIZE, 0, 0);
			ret = fd < 0 ? 4 : 0;
			close(fd);
		}
		if (!ret)
			ret = shmbus_unlink(self->name) ? 5 : 0;
		close(gate[1]);
		waitpid(keeper, NULL, 0);
		_exit(ret);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("step %d failed", WEXITSTATUS(status));
	EXPECT_EQ(0, shmbus_stat("all_regions"));
}

TEST_HARNESS_MAIN
