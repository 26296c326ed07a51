// SPDX-License-Identifier: GPL-2.0
/*
 * The robust mutex lives within the module's per-handle registry limit
 * (max_robust_words): a thread may use any number of mutexes of a region
 * in turn, because the library unregisters words its thread does not hold
 * to make room; only holding more than the limit at once is -ENOSPC.  A
 * held mutex is never unregistered: it stays recoverable.  Unmapping a
 * range unregisters the words it held, so they take no room afterwards.
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

/*
 * Unmapping a range gives back its registrations.  A thread locks LIMIT
 * mutexes in page 0 of a two-page region (each registered on its handle),
 * unmaps that page, maps only page 1 and locks LIMIT mutexes there: the
 * words of the unmapped page must not keep the registry full (the library
 * cannot unregister a word it no longer maps when it needs room).
 */
TEST_F(registry, unmapping_a_range_gives_back_its_registrations)
{
	size_t page = page_size();
	struct shmbus_region *r;
	struct shmbus_mutex *m;
	void *p;
	int i, ret;

	ASSERT_EQ(0, shmbus_region_open(NULL, 2 * page, SHMBUS_BIND_CREATE, 0600, &r));
	ASSERT_EQ(0, shmbus_region_map(r, 0, page, PROT_READ | PROT_WRITE, &p));
	m = p;
	for (i = 0; i < LIMIT; i++) {
		ASSERT_EQ(0, shmbus_mutex_init(&m[i]));
		ASSERT_EQ(0, shmbus_mutex_lock(&m[i])) TH_LOG("page 0, mutex %d", i);
		ASSERT_EQ(0, shmbus_mutex_unlock(&m[i]));
	}
	ASSERT_EQ(0, shmbus_region_unmap(r, p));
	ASSERT_EQ(0, shmbus_region_map(r, page, page, PROT_READ | PROT_WRITE, &p));
	m = p;
	for (i = 0; i < LIMIT; i++) {
		ASSERT_EQ(0, shmbus_mutex_init(&m[i]));
		ret = shmbus_mutex_lock(&m[i]);
		EXPECT_EQ(0, ret) TH_LOG("page 1, mutex %d: %s%s", i, strerror(-ret),
					 ret == -ENOSPC ? " (the unmapped page's words still registered)" : "");
		if (ret)
			break;
		EXPECT_EQ(0, shmbus_mutex_unlock(&m[i]));
	}
	EXPECT_EQ(0, shmbus_region_close(r));
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
