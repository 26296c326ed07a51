// SPDX-License-Identifier: GPL-2.0
/*
 * No wake-up is lost or delivered twice under load (docs/waitwake.md, the
 * ordering argument at the top of kmod/waitwake.c): 1000 waiters in 10
 * processes are each woken exactly once, and two processes ping-pong
 * through one word with WAIT and WAKE without ever both falling asleep.
 *
 * SHMBUS_STRESS=1 runs the ping-pong with 10^6 round trips instead of 10^5.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	4
#define RW		(PROT_READ | PROT_WRITE)

FIXTURE(ww) {
	int fd;		/* bound to an anonymous region */
	__u64 size;
	__u32 *map;
};

FIXTURE_SETUP(ww)
{
	self->map = MAP_FAILED;
	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->fd = shmbus_anon_region(self->size, NULL);
	ASSERT_LE(0, self->fd) TH_LOG("anonymous region: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(ww)
{
	kill_children();
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	close(self->fd);
}

static int map_self(FIXTURE_DATA(ww) *self)
{
	self->map = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	return self->map == MAP_FAILED ? -errno : 0;
}

#define TW_PROCS	10
#define TW_THREADS	100
#define TW_WAITERS	(TW_PROCS * TW_THREADS)
#define TW_STACK	(64 * 1024)
#define TW_WORD		0
#define TW_COUNTER	64

struct tw_ctx {
	int fd;
	__u32 *map;
};

static void *tw_thread(void *arg)
{
	struct tw_ctx *c = arg;
	struct shmbus_wait w = wait_args(TW_WORD, 0);

	if (shmbus_wait(c->fd, &w))
		return (void *)1;
	__atomic_fetch_add(&c->map[TW_COUNTER / 4], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* TW_THREADS waiting threads; exits 0 if each was woken. */
static int tw_proc(void *arg)
{
	pthread_t threads[TW_THREADS];
	pthread_attr_t attr;
	int i, bad = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, TW_STACK);
	for (i = 0; i < TW_THREADS; i++)
		if (pthread_create(&threads[i], &attr, tw_thread, arg))
			return 2;
	for (i = 0; i < TW_THREADS; i++) {
		void *ret;

		pthread_join(threads[i], &ret);
		bad |= ret != NULL;
	}
	return bad;
}

/* 1000 waiters in 10 processes are each woken exactly once. */
TEST_F_TIMEOUT(ww, thousand_waiters_woken_once, 180)
{
	unsigned long long start = now_ns(CLOCK_MONOTONIC), end;
	struct tw_ctx ctx;
	pid_t pids[TW_PROCS];
	long long woken = 0;
	unsigned int i;
	int ret;

	ASSERT_EQ(0, map_self(self));
	ctx = (struct tw_ctx){ self->fd, self->map };
	for (i = 0; i < TW_PROCS; i++) {
		pids[i] = spawn(tw_proc, &ctx);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(self->fd, TW_WAITERS, 120 * 1000))
		TH_LOG("%lld sleepers", shmbus_nr_waiters(self->fd));
	__atomic_store_n(&self->map[TW_WORD / 4], 1, __ATOMIC_SEQ_CST);
	end = now_ns(CLOCK_MONOTONIC) + 30 * NSEC_PER_SEC;
	do {
		ret = shmbus_wake(self->fd, TW_WORD, SHMBUS_BITSET_ANY, SHMBUS_BITSET_ANY);
		ASSERT_LE(0, ret);
		woken += ret;
		sleep_ms(1);
	} while (__atomic_load_n(&self->map[TW_COUNTER / 4], __ATOMIC_SEQ_CST) < TW_WAITERS &&
		 now_ns(CLOCK_MONOTONIC) < end);
	EXPECT_EQ(TW_PROCS, reap_all(pids, TW_PROCS));
	EXPECT_EQ(TW_WAITERS, woken);
	EXPECT_EQ(TW_WAITERS, __atomic_load_n(&self->map[TW_COUNTER / 4], __ATOMIC_SEQ_CST));
	TH_LOG("%d waiters: %.1f s", TW_WAITERS,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
}

#define PP_WORD		0
#define PP_ROUNDS	100000
#define PP_STRESS_ROUNDS	1000000
#define PP_WATCHDOG_S	120
#define PP_STRESS_WATCHDOG_S	600

/*
 * One side of the ping-pong: the word counts turns; side 0 moves on even
 * values, side 1 on odd ones.  A lost wake-up leaves both asleep until the
 * watchdog's SIGALRM kills them.
 */
struct pp_side {
	int fd;
	__u32 *word;
	__u32 side;
	__u32 rounds;
	unsigned int watchdog;
};

static int pp_main(void *arg)
{
	struct pp_side *c = arg;
	struct shmbus_wait w;
	__u32 v;
	int ret;

	signal(SIGALRM, SIG_DFL);
	alarm(c->watchdog);
	for (;;) {
		v = __atomic_load_n(c->word, __ATOMIC_SEQ_CST);
		if (v >= 2 * c->rounds)
			return 0;
		if ((v & 1) != c->side) {
			w = wait_args(PP_WORD, v);
			ret = -shmbus_wait(c->fd, &w);
			if (ret && ret != EAGAIN)
				return ret;
			continue;
		}
		__atomic_store_n(c->word, v + 1, __ATOMIC_SEQ_CST);
		if (shmbus_wake(c->fd, PP_WORD, 1, SHMBUS_BITSET_ANY) < 0)
			return 100;
	}
}

/* No wake-up is lost: two processes ping-pong through one word. */
TEST_F_TIMEOUT(ww, ping_pong_no_lost_wakeup, PP_STRESS_WATCHDOG_S + 60)
{
	const char *stress = getenv("SHMBUS_STRESS");
	int full = stress && !strcmp(stress, "1");
	unsigned long long start;
	struct pp_side sides[2];
	pid_t pids[2];
	unsigned int i;

	ASSERT_EQ(0, map_self(self));
	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < 2; i++) {
		sides[i] = (struct pp_side){
			.fd = self->fd, .word = &self->map[PP_WORD / 4], .side = i,
			.rounds = full ? PP_STRESS_ROUNDS : PP_ROUNDS,
			.watchdog = full ? PP_STRESS_WATCHDOG_S : PP_WATCHDOG_S,
		};
		pids[i] = spawn(pp_main, &sides[i]);
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, reap(pids[i], (sides[i].watchdog + 10) * 1000, NULL))
			TH_LOG("side %u (1014: watchdog fired, a wake-up was lost)", i);
	}
	EXPECT_EQ(2 * sides[0].rounds, self->map[PP_WORD / 4]);
	TH_LOG("%u round trips: %.1f s", sides[0].rounds,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
}

TEST_HARNESS_MAIN
