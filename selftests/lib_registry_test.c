// SPDX-License-Identifier: GPL-2.0
/*
 * The robust mutex lives within the module's per-handle registry limit
 * (max_robust_words): a thread may use any number of mutexes of a region
 * in turn, because the library unregisters words its thread does not hold
 * to make room; only holding more than the limit at once is -ENOSPC.  A
 * held mutex is never unregistered: it stays recoverable.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "util.h"

#define LIMIT		4
#define NR_MUTEXES	16

struct shared {
	struct shmbus_mutex m[NR_MUTEXES];
};

FIXTURE(registry) {
	long long saved;
	struct shmbus_region *r;
	struct shared *sh;
};

FIXTURE_SETUP(registry)
{
	void *p;
	int i;

	shmbus_ensure_loaded();
	self->saved = shmbus_param("max_robust_words");
	ASSERT_LE(0, self->saved);
	ASSERT_EQ(0, shmbus_set_param("max_robust_words", LIMIT));
	ASSERT_EQ(0, shmbus_region_open(NULL, 4096, SHMBUS_BIND_CREATE, 0600, &self->r));
	ASSERT_EQ(0, shmbus_region_map(self->r, 0, 0, PROT_READ | PROT_WRITE, &p));
	self->sh = p;
	for (i = 0; i < NR_MUTEXES; i++)
		ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m[i]));
}

FIXTURE_TEARDOWN(registry)
{
	kill_children();
	shmbus_region_close(self->r);
	shmbus_set_param("max_robust_words", self->saved);
}

/* Four times the limit, each locked and unlocked in turn, twice over. */
TEST_F(registry, more_mutexes_than_the_limit_in_turn)
{
	int round, i;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < NR_MUTEXES; i++) {
			ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m[i])) TH_LOG("mutex %d", i);
			ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m[i]));
		}
	}
}

TEST_F(registry, holding_more_than_the_limit_is_enospc)
{
	int i;

	for (i = 0; i < LIMIT; i++)
		ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m[i]));
	EXPECT_EQ(-ENOSPC, shmbus_mutex_lock(&self->sh->m[LIMIT]));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m[0]));
	EXPECT_EQ(0, shmbus_mutex_lock(&self->sh->m[LIMIT]));
	for (i = 1; i <= LIMIT; i++)
		EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m[i]));
}

/* A child holds m[0] while it cycles through the rest, then is killed. */
TEST_F(registry, a_held_mutex_stays_recoverable)
{
	int pipefd[2], i, ret;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (shmbus_mutex_lock(&self->sh->m[0]))
			_exit(CHILD_BROKEN);
		for (i = 1; i < NR_MUTEXES; i++) {
			if (shmbus_mutex_lock(&self->sh->m[i]) ||
			    shmbus_mutex_unlock(&self->sh->m[i]))
				_exit(CHILD_BROKEN);
		}
		if (write(pipefd[1], "h", 1) != 1)
			_exit(CHILD_BROKEN);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(REAP_SIGNALED(SIGKILL), reap(pid, REAP_FOREVER, NULL));
	ret = shmbus_mutex_lock(&self->sh->m[0]);
	EXPECT_EQ(-EOWNERDEAD, ret);
	if (ret == -EOWNERDEAD) {
		EXPECT_EQ(0, shmbus_mutex_consistent(&self->sh->m[0]));
		EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m[0]));
	}
}

TEST_HARNESS_MAIN
