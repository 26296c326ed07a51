// SPDX-License-Identifier: GPL-2.0
/*
 * An installed libshmbus works: `make -C userlib install DESTDIR=...` staged
 * it under selftests/installed, and selftests/Makefile built
 * examples/counter.c against that copy with nothing but its pkg-config
 * file (installed/counter).  The program must load the installed shared
 * library, not another one, and do its job between processes.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"

#define PROGRAM		"installed/counter"
#define INSTALLED_LIBDIR	"installed/usr/lib"

/* Run @argv with @envp, its stdout into @out: the exit status, or -1. */
static int run_program(char *const argv[], char *const envp[], char *out, size_t len)
{
	int pipefd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	while ((size_t)got < len - 1 &&
	       (n = read(pipefd[0], out + got, len - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(installed_program_loads_the_installed_library)
{
	char *argv[] = { PROGRAM, NULL };
	char *envp[] = { "LD_TRACE_LOADED_OBJECTS=1", NULL };
	char want[PATH_MAX + 64], libdir[PATH_MAX], out[4096];

	ASSERT_NE(NULL, realpath(INSTALLED_LIBDIR, libdir));
	ASSERT_EQ(0, run_program(argv, envp, out, sizeof(out)));
	TH_LOG("%s", out);
	snprintf(want, sizeof(want), "libshmbus.so.0 => %s/libshmbus.so.0 ", libdir);
	EXPECT_NE(NULL, strstr(out, want));
}

TEST(installed_program_counts_across_processes)
{
	char name[SHMBUS_NAME_MAX], out[4096];
	char *init[] = { PROGRAM, "init", name, NULL };
	char *add[] = { PROGRAM, "add", name, "2000", NULL };
	char *show[] = { PROGRAM, "show", name, NULL };
	char *envp[] = { NULL };
	pid_t adders[2];
	int i, status;

	shmbus_unique_name(name, "installed");
	ASSERT_EQ(0, run_program(init, envp, out, sizeof(out)));
	for (i = 0; i < 2; i++) {
		adders[i] = fork();
		ASSERT_LE(0, adders[i]);
		if (!adders[i]) {
			execve(add[0], add, envp);
			_exit(127);
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(adders[i], waitpid(adders[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ASSERT_EQ(0, run_program(show, envp, out, sizeof(out)));
	EXPECT_STREQ("count: 4000\n", out);
	/* show unlinked it */
	EXPECT_EQ(-ENOENT, shmbus_unlink(name));
}

TEST_HARNESS_MAIN
