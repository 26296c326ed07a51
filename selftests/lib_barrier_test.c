// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's barrier (<shmbus.h>, struct shmbus_barrier) holds every party
 * of a generation until all have arrived, and names exactly one of them
 * SHMBUS_BARRIER_LAST, generation after generation, across processes; a
 * barrier for one party always returns SHMBUS_BARRIER_LAST; a count of 0
 * or above 2^30 is -EINVAL.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define NR_PARTIES	3
#define MAX_GENERATIONS	10000

struct shared {
	struct shmbus_barrier b;
	atomic_uint arrived[MAX_GENERATIONS];	/* parties counted before waiting */
	atomic_uint lasts[MAX_GENERATIONS];	/* SHMBUS_BARRIER_LAST results */
	atomic_uint early;			/* passed before all had arrived */
	atomic_uint errors;			/* neither 0 nor LAST */
};

FIXTURE(barrier) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(barrier)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
}

FIXTURE_TEARDOWN(barrier)
{
	kill_children();
	lib_region_close(&self->reg);
}

struct party {
	struct shared *sh;
	unsigned int generations;
};

/* Arrive at each generation, wait, and check everyone had arrived. */
static void pass_generations(struct party *p)
{
	struct shared *sh = p->sh;
	unsigned int g;
	int ret;

	for (g = 0; g < p->generations; g++) {
		atomic_fetch_add(&sh->arrived[g], 1);
		ret = shmbus_barrier_wait(&sh->b);
		if (ret == SHMBUS_BARRIER_LAST)
			atomic_fetch_add(&sh->lasts[g], 1);
		else if (ret)
			atomic_fetch_add(&sh->errors, 1);
		if (atomic_load(&sh->arrived[g]) != NR_PARTIES)
			atomic_fetch_add(&sh->early, 1);
	}
}

static int party_main(void *arg)
{
	lib_child_watchdog(LIB_WATCHDOG_S);
	pass_generations(arg);
	return 0;
}

/*
 * NR_PARTIES processes pass many generations: in each, nobody returns
 * before all have arrived, and exactly one is told SHMBUS_BARRIER_LAST.
 */
TEST_F_TIMEOUT(barrier, one_last_per_generation_none_early, LIB_WATCHDOG_S + 60)
{
	struct party p = { .sh = self->sh,
			   .generations = lib_rounds(MAX_GENERATIONS, MAX_GENERATIONS / 10) };
	unsigned int g, bad_lasts = 0;
	pid_t pids[NR_PARTIES];
	int i;

	ASSERT_EQ(0, shmbus_barrier_init(&self->sh->b, NR_PARTIES));
	for (i = 0; i < NR_PARTIES; i++) {
		pids[i] = spawn(party_main, &p);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < NR_PARTIES; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("party %d", i);
	for (g = 0; g < p.generations; g++) {
		if (atomic_load(&self->sh->lasts[g]) != 1 && bad_lasts++ < 5)
			TH_LOG("generation %u: %u LAST", g, atomic_load(&self->sh->lasts[g]));
	}
	EXPECT_EQ(0, bad_lasts);
	EXPECT_EQ(0, atomic_load(&self->sh->early));
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
}

static void *party_thread(void *arg)
{
	pass_generations(arg);
	return NULL;
}

/* One party a thread of this process, the others processes: the same rules hold. */
TEST_F_TIMEOUT(barrier, threads_and_processes_mixed, LIB_WATCHDOG_S + 60)
{
	struct party p = { .sh = self->sh,
			   .generations = lib_rounds(MAX_GENERATIONS / 10, MAX_GENERATIONS / 100) };
	unsigned int g, bad_lasts = 0;
	pid_t pids[NR_PARTIES - 1];
	pthread_t t;
	int i;

	ASSERT_EQ(0, shmbus_barrier_init(&self->sh->b, NR_PARTIES));
	for (i = 0; i < NR_PARTIES - 1; i++) {
		pids[i] = spawn(party_main, &p);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, party_thread, &p));
	for (i = 0; i < NR_PARTIES - 1; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("party %d", i);
	pthread_join(t, NULL);
	for (g = 0; g < p.generations; g++)
		bad_lasts += atomic_load(&self->sh->lasts[g]) != 1;
	EXPECT_EQ(0, bad_lasts);
	EXPECT_EQ(0, atomic_load(&self->sh->early));
	EXPECT_EQ(0, atomic_load(&self->sh->errors));
}

/* A count of 0, or above 2^30, is -EINVAL and makes no barrier. */
TEST_F(barrier, bad_count_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_barrier_init(&self->sh->b, 0));
	EXPECT_EQ(-EINVAL, shmbus_barrier_init(&self->sh->b, (1U << 30) + 1));
	EXPECT_EQ(-EINVAL, shmbus_barrier_init(&self->sh->b, ~0U));
	EXPECT_EQ(-EINVAL, shmbus_barrier_wait(&self->sh->b)) TH_LOG("a refused init made a barrier");
	EXPECT_EQ(0, shmbus_barrier_init(&self->sh->b, 1U << 30));
}

/* A barrier for one party returns SHMBUS_BARRIER_LAST to every wait, at once. */
TEST_F(barrier, count_one_always_last)
{
	int i;

	ASSERT_EQ(0, shmbus_barrier_init(&self->sh->b, 1));
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(SHMBUS_BARRIER_LAST, shmbus_barrier_wait(&self->sh->b)) TH_LOG("wait %d", i);
}

TEST_HARNESS_MAIN
