// SPDX-License-Identifier: MIT
/*
 * What every primitive does when it cannot proceed: check an absolute
 * timeout, spin a little where that can pay, sleep on a word in the kernel,
 * wake sleepers.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC	1000000000LL
/* Spinning is worth at most about one context switch's cost. */
#define SB_SPIN_MAX	200

int sb_check_time(clockid_t clock, const struct timespec *abstime)
{
	if (!abstime)
		return -EINVAL;
	if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME &&
	    clock != CLOCK_BOOTTIME)
		return -EINVAL;
	if (abstime->tv_nsec < 0 || abstime->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

static uint32_t sb_clock_flag(clockid_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
		return SHMBUS_WAIT_CLOCK_REALTIME;
	case CLOCK_BOOTTIME:
		return SHMBUS_WAIT_CLOCK_BOOTTIME;
	default:
		return SHMBUS_WAIT_CLOCK_MONOTONIC;
	}
}

/*
 * Sleep on the word at @off while it holds @expected, until woken or
 * @abstime (checked by sb_check_time(); NULL: no timeout): 0 (woken),
 * -EAGAIN (the word differs), -ETIMEDOUT, -EINTR.
 */
int sb_sleep(int fd, uint64_t off, uint32_t expected, uint32_t bitset,
	     clockid_t clock, const struct timespec *abstime)
{
	struct shmbus_wait w = { .offset = off, .expected = expected, .bitset = bitset };
	long long sec;

	if (abstime) {
		sec = abstime->tv_sec;	/* 32 bits on some ABIs */
		if (sec < 0)
			return -ETIMEDOUT;
		w.flags = SHMBUS_WAIT_ABSOLUTE | sb_clock_flag(clock);
		/* Beyond the kernel's range (year 2262): no timeout at all. */
		if (sec < LLONG_MAX / NSEC_PER_SEC - 1)
			w.timeout_ns = sec * NSEC_PER_SEC + abstime->tv_nsec;
		else
			w.flags = 0;
	}
	return shmbus_wait(fd, &w);
}

int sb_wake(int fd, uint64_t off, uint32_t count, uint32_t bitset)
{
	int ret = shmbus_wake(fd, off, count, bitset);

	return ret < 0 ? ret : 0;
}

/*
 * Waiters counts.  A sleeper counts itself in before sleeping; whoever
 * wakes it counts it out, by the number the kernel says it woke, so that
 * wakers arriving before the woken task runs do not enter the kernel for
 * it again.  A sleeper that returns for any other reason (the word
 * differed, a timeout, a signal) counts itself out.  The count may run
 * ahead of the sleepers for a moment (a waker pays one WAKE too many),
 * never behind them, so no wake-up is lost.
 */
int sb_wake_waiters(int fd, uint64_t off, uint32_t count, atomic_uint *waiters)
{
	int woken = shmbus_wake(fd, off, count, SB_BITSET_ANY);

	if (woken < 0)
		return woken;
	if (woken)
		atomic_fetch_sub(waiters, woken);
	return 0;
}

/*
 * A sleeper is back from sb_sleep() with @ret: 0 means a waker woke it and
 * counted it out; anything else (EAGAIN, a timeout, a signal), it counts
 * itself out.
 */
void sb_waiter_done(atomic_uint *waiters, int ret)
{
	if (ret)
		atomic_fetch_sub(waiters, 1);
}

static atomic_uint sb_spin_cache;

/* How many rounds a contended path may spin: none when confined to one CPU. */
unsigned int sb_spin_limit(void)
{
	unsigned int limit = atomic_load_explicit(&sb_spin_cache, memory_order_relaxed);

	if (!limit) {
		/* The CPUs this process may run on, as first seen. */
		cpu_set_t set;
		long cpus;

		if (!sched_getaffinity(0, sizeof(set), &set))
			cpus = CPU_COUNT(&set);
		else
			cpus = sysconf(_SC_NPROCESSORS_ONLN);
		limit = cpus > 1 ? SB_SPIN_MAX : 1;
		atomic_store_explicit(&sb_spin_cache, limit, memory_order_relaxed);
	}
	return limit - 1;
}

void sb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}
