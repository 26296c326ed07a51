// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/shmbus device itself: node, open/close, module pinning, unknown
 * ioctls, and load/unload cycles.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "util.h"

#define MISC_MAJOR 10

/* The device node is a misc character device, mode 0666, minor as in sysfs. */
TEST(node_is_misc_char_device_mode_0666)
{
	unsigned int major, minor;
	char dev[32];
	struct stat st;

	ASSERT_EQ(0, stat(SHMBUS_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);
	ASSERT_EQ(0, read_text("/sys/class/misc/shmbus/dev", dev, sizeof(dev)));
	ASSERT_EQ(2, sscanf(dev, "%u:%u", &major, &minor));
	EXPECT_EQ(MISC_MAJOR, major);
	EXPECT_EQ(major, major(st.st_rdev));
	EXPECT_EQ(minor, minor(st.st_rdev));
}

/* Any access mode opens and closes cleanly. */
TEST(open_close)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd = open(SHMBUS_DEV, modes[i] | O_CLOEXEC);

		ASSERT_LE(0, fd) TH_LOG("open mode %d: %s", modes[i], strerror(errno));
		EXPECT_EQ(0, close(fd));
	}
}

/* An ioctl the module does not know is -ENOTTY, whatever its size or type. */
TEST(unknown_ioctl_is_enotty)
{
	static const unsigned long cmds[] = {
		0, _IO('x', 0x7f), _IOWR('x', 0xff, unsigned long long),
		_IOR(0xff, 0, int), TCGETS, FIONREAD,
	};
	unsigned long long arg = 0;
	unsigned int i;
	int fd;

	fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	close(fd);
}

/* modinfo carries license, description, version and author. */
TEST(module_info)
{
	static const char *const fields[] = { "license", "description", "version", "author" };
	char cmd[512], line[256], version[64];
	const char *ko = shmbus_ko();
	unsigned int i;

	if (!ko)
		SKIP(return, "SHMBUS_KO not set (run through scripts/vm-run)");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		FILE *p;

		snprintf(cmd, sizeof(cmd), "modinfo -F %s '%s'", fields[i], ko);
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		line[0] = '\0';
		EXPECT_NE(NULL, fgets(line, sizeof(line), p)) TH_LOG("no %s", fields[i]);
		EXPECT_LT(1, strlen(line)) TH_LOG("empty %s", fields[i]);
		if (i == 0)
			EXPECT_EQ(0, strcmp(line, "GPL\n"));
		if (i == 2) {
			ASSERT_EQ(0, read_text(SHMBUS_SYSMOD "/version", version, sizeof(version)));
			EXPECT_EQ(0, strcmp(line, version)) TH_LOG("%s vs %s", line, version);
		}
		EXPECT_EQ(0, pclose(p));
	}
}

FIXTURE(reload) {
};

FIXTURE_SETUP(reload)
{
}

/*
 * Why the module cannot be reloaded here, or NULL.  (SKIP() in a 6.1
 * FIXTURE_SETUP does not stop the test body, so the bodies ask.)
 */
static const char *reload_impossible(void)
{
	if (geteuid() != 0)
		return "needs root to unload the module";
	if (!shmbus_ko())
		return "SHMBUS_KO not set (run through scripts/vm-run)";
	return NULL;
}

FIXTURE_TEARDOWN(reload)
{
	shmbus_ensure_loaded();
}

/* rmmod(8) exits non-zero saying the module is in use. */
static int rmmod_says_in_use(void)
{
	char line[256];
	int in_use = 0;
	FILE *p = popen("rmmod shmbus 2>&1", "r");

	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "in use"))
			in_use = 1;
	return pclose(p) != 0 && in_use;
}

/*
 * An open handle pins the module: until the last close, delete_module(2)
 * fails with EWOULDBLOCK (the kernel's "in use" errno; rmmod(8) turns it into
 * EBUSY and "Module shmbus is in use") and the module stays.
 */
TEST_F(reload, rmmod_refused_while_open)
{
	const char *why = reload_impossible();
	int fd, dup_fd;

	if (why)
		SKIP(return, "%s", why);
	fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, read_number(SHMBUS_SYSMOD "/refcnt"));
	EXPECT_EQ(-EWOULDBLOCK, shmbus_unload());
	EXPECT_EQ(1, rmmod_says_in_use());
	EXPECT_TRUE(path_exists(SHMBUS_DEV));
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	close(fd);
	/* The open file, not the descriptor, holds the reference. */
	EXPECT_EQ(-EWOULDBLOCK, shmbus_unload());
	close(dup_fd);
	EXPECT_EQ(0, read_number(SHMBUS_SYSMOD "/refcnt"));
	EXPECT_EQ(0, shmbus_unload());
	EXPECT_FALSE(path_exists(SHMBUS_SYSMOD));
	EXPECT_EQ(0, shmbus_load());
}

static int count_misc_entries(const char *name)
{
	char line[128], dev[64];
	int count = 0;
	FILE *f = fopen("/proc/misc", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d %63s", dev) == 1 && !strcmp(dev, name))
			count++;
	fclose(f);
	return count;
}

/*
 * 20 unload/load cycles, each with the device used in between, leave exactly
 * one registered device and no module reference behind.
 */
TEST_F(reload, twenty_load_unload_cycles)
{
	const char *why = reload_impossible();
	int i;

	if (why)
		SKIP(return, "%s", why);
	for (i = 0; i < 20; i++) {
		int fd;

		ASSERT_EQ(0, shmbus_unload()) TH_LOG("cycle %d", i);
		ASSERT_FALSE(path_exists(SHMBUS_SYSMOD));
		ASSERT_FALSE(path_exists(SHMBUS_DEV));
		ASSERT_EQ(0, count_misc_entries("shmbus"));
		ASSERT_EQ(0, shmbus_load()) TH_LOG("cycle %d", i);
		ASSERT_EQ(1, count_misc_entries("shmbus"));
		fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: %s", i, strerror(errno));
		close(fd);
	}
	EXPECT_EQ(0, read_number(SHMBUS_SYSMOD "/refcnt"));
	EXPECT_EQ(1, count_misc_entries("shmbus"));
}

/*
 * The inode of a mapping outlives its region and the module through an
 * O_PATH open of its /proc/PID/map_files entry: opening it again afterwards
 * fails cleanly; nothing of the unloaded module is reached.
 */
TEST_F(reload, map_files_opath_outlives_module)
{
	const char *why = reload_impossible();
	char path[64], fdpath[32];
	long pg = sysconf(_SC_PAGESIZE);
	int fd, opath, again;
	void *p;

	if (why)
		SKIP(return, "%s", why);
	fd = shmbus_anon_region(pg, NULL);
	ASSERT_LE(0, fd);
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)p, (unsigned long)p + pg);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath) TH_LOG("O_PATH %s: %s", path, strerror(errno));
	munmap(p, pg);
	close(fd);
	ASSERT_EQ(0, shmbus_unload()) TH_LOG("the region outlived its last mapping");
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", opath);
	again = open(fdpath, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, again) TH_LOG("reopened the backing inode of a freed region");
	if (again >= 0)
		close(again);
	close(opath);
	EXPECT_EQ(0, shmbus_load());
}

TEST_HARNESS_MAIN
