// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus's event (<shmbus.h>, struct shmbus_event): an auto-reset event
 * lets exactly one wait through per set, and a set while set is not
 * counted; a manual-reset event releases every waiter and stays set until
 * reset; trywait on an event not set is -EAGAIN; a timed wait ends with
 * -ETIMEDOUT at the deadline of each clock; unknown init flags are -EINVAL.
 */
#define _GNU_SOURCE
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "lib_util.h"

#define NR_WAITERS	3

struct shared {
	struct shmbus_event e;
	atomic_uint passed;
};

FIXTURE(event) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(event)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shared));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->sh = self->reg.map;
}

FIXTURE_TEARDOWN(event)
{
	kill_children();
	lib_region_close(&self->reg);
}

static int wait_and_count(void *arg)
{
	struct shared *sh = arg;

	lib_child_watchdog(LIB_WATCHDOG_S);
	if (shmbus_event_wait(&sh->e))
		return 1;
	atomic_fetch_add(&sh->passed, 1);
	return 0;
}

/*
 * Wait until every waiter has either passed or is asleep in the kernel, the
 * event's only sleepers: how many passed, or -ETIMEDOUT.
 */
static int settled_passes(FIXTURE_DATA(event) *self, unsigned int nr)
{
	unsigned long long end = now_ns(CLOCK_MONOTONIC) + LIB_WATCHDOG_MS * NSEC_PER_MSEC;
	unsigned int passed;
	long long asleep;

	for (;;) {
		passed = atomic_load(&self->sh->passed);
		asleep = shmbus_nr_waiters(lib_region_fd(&self->reg));
		if (asleep >= 0 && passed + asleep == nr &&
		    passed == atomic_load(&self->sh->passed))
			return passed;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
}

/*
 * NR_WAITERS processes sleep on an auto-reset event: each set lets exactly
 * one through (counted once all others are back asleep), and leaves the
 * event reset.
 */
TEST_F(event, auto_reset_releases_one_per_set)
{
	pid_t pids[NR_WAITERS];
	int i;

	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, 0));
	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = spawn(wait_and_count, self->sh);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), NR_WAITERS, LIB_WATCHDOG_MS));
	for (i = 1; i <= NR_WAITERS; i++) {
		ASSERT_EQ(0, shmbus_event_set(&self->sh->e));
		ASSERT_EQ(i, settled_passes(self, NR_WAITERS)) TH_LOG("set %d", i);
	}
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e)) TH_LOG("still set after the last pass");
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
}

/* Auto-reset: a wait or trywait resets it; a second set while set is not counted. */
TEST_F(event, auto_reset_set_while_set_not_counted)
{
	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, 0));
	EXPECT_EQ(0, shmbus_event_set(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_set(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_wait(&self->sh->e));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_set(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
}

/*
 * A set of a manual-reset event releases all NR_WAITERS sleepers; it stays
 * set for later waits, here and in other processes, until reset.
 */
TEST_F(event, manual_reset_releases_all_until_reset)
{
	pid_t pids[NR_WAITERS], late;
	int i;

	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_MANUAL_RESET));
	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = spawn(wait_and_count, self->sh);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), NR_WAITERS, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, shmbus_event_set(&self->sh->e));
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
	EXPECT_EQ(NR_WAITERS, atomic_load(&self->sh->passed));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_wait(&self->sh->e));
	late = spawn(wait_and_count, self->sh);
	ASSERT_LT(0, late);
	EXPECT_EQ(0, lib_reap(late));
	EXPECT_EQ(0, shmbus_event_reset(&self->sh->e));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
}

/*
 * A manual-reset set releases everyone asleep before it even when a reset
 * follows at once, before any of them has run: they must not find it
 * clear and go back to sleep.
 */
TEST_F(event, manual_set_then_reset_still_releases_all)
{
	pid_t pids[NR_WAITERS];
	int i;

	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_MANUAL_RESET));
	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = spawn(wait_and_count, self->sh);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, await_waiters(lib_region_fd(&self->reg), NR_WAITERS, LIB_WATCHDOG_MS));
	ASSERT_EQ(0, shmbus_event_set(&self->sh->e));
	ASSERT_EQ(0, shmbus_event_reset(&self->sh->e));
	EXPECT_EQ(NR_WAITERS, settled_passes(self, NR_WAITERS));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
	/* Whoever did not pass is asleep: set it free for the reaping. */
	ASSERT_EQ(0, shmbus_event_set(&self->sh->e));
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_EQ(0, lib_reap(pids[i])) TH_LOG("waiter %d", i);
}

/* trywait on an event not set is -EAGAIN, auto- or manual-reset; on one set, 0. */
TEST_F(event, trywait_not_set_eagain)
{
	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, 0));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_MANUAL_RESET));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_SET));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(&self->sh->e));
	ASSERT_EQ(0, shmbus_event_init(&self->sh->e,
				       SHMBUS_EVENT_SET | SHMBUS_EVENT_MANUAL_RESET));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e));
}

/* Flags other than SHMBUS_EVENT_MANUAL_RESET and SHMBUS_EVENT_SET are -EINVAL, no event made. */
TEST_F(event, init_unknown_flags_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_event_init(&self->sh->e, 0x4));
	EXPECT_EQ(-EINVAL, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_SET | 0x80000000U));
	EXPECT_EQ(-EINVAL, shmbus_event_init(&self->sh->e, ~0U));
	EXPECT_EQ(-EINVAL, shmbus_event_trywait(&self->sh->e)) TH_LOG("a refused init made an event");
}

/* An unknown clock is -EINVAL, even on an event that is set. */
TEST_F(event, timedwait_unknown_clock_einval)
{
	struct timespec t = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);

	ASSERT_EQ(0, shmbus_event_init(&self->sh->e, SHMBUS_EVENT_SET));
	EXPECT_EQ(-EINVAL, shmbus_event_timedwait(&self->sh->e, CLOCK_PROCESS_CPUTIME_ID, &t));
	EXPECT_EQ(0, shmbus_event_trywait(&self->sh->e)) TH_LOG("a refused wait reset it");
}

/* Timed waits on each accepted clock. */
FIXTURE(timed) {
	struct lib_region reg;
	struct shmbus_event *e;
};

LIB_CLOCK_VARIANTS(timed);

FIXTURE_SETUP(timed)
{
	int ret = lib_region_open(&self->reg, sizeof(struct shmbus_event));

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->e = self->reg.map;
	ASSERT_EQ(0, shmbus_event_init(self->e, 0));
}

FIXTURE_TEARDOWN(timed)
{
	lib_region_close(&self->reg);
}

/* -ETIMEDOUT no earlier than the deadline on its clock. */
TEST_F(timed, times_out_at_deadline)
{
	struct timespec deadline = lib_deadline(variant->clock, LIB_SHORT_NS);

	EXPECT_EQ(-ETIMEDOUT, shmbus_event_timedwait(self->e, variant->clock, &deadline));
	EXPECT_TRUE(lib_reached(variant->clock, &deadline));
}

/* A deadline already past: -ETIMEDOUT when not set, 0 (and reset) when set. */
TEST_F(timed, past_deadline)
{
	struct timespec past = lib_deadline(variant->clock, -(long long)NSEC_PER_SEC);

	EXPECT_EQ(-ETIMEDOUT, shmbus_event_timedwait(self->e, variant->clock, &past));
	ASSERT_EQ(0, shmbus_event_set(self->e));
	EXPECT_EQ(0, shmbus_event_timedwait(self->e, variant->clock, &past));
	EXPECT_EQ(-EAGAIN, shmbus_event_trywait(self->e));
}

/* tv_nsec outside 0..999999999 is -EINVAL. */
TEST_F(timed, bad_nsec_einval)
{
	struct timespec t = lib_deadline(variant->clock, NSEC_PER_SEC);

	t.tv_nsec = NSEC_PER_SEC;
	EXPECT_EQ(-EINVAL, shmbus_event_timedwait(self->e, variant->clock, &t));
	t.tv_nsec = -1;
	EXPECT_EQ(-EINVAL, shmbus_event_timedwait(self->e, variant->clock, &t));
}

TEST_HARNESS_MAIN
