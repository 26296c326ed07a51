// SPDX-License-Identifier: MIT
/*
 * The event: a doorbell, auto- or manual-reset.
 *
 * @state's bit 0 is 1 when set; waiters sleep on it while it is clear.  A
 * manual-reset event counts its sets in the bits above, so that a set
 * followed at once by a reset still releases everyone who waited before
 * it: a waiter passes when the count moved since it began.  An auto-reset
 * event's @state is 0 or 1, and a waiter passes by taking the 1.  @waiters counts
 * threads that may sleep, so that set enters the kernel only for them.  The
 * ordering argument is the semaphore's (sem.c): the setter's store of 1 and
 * load of @waiters against the waiter's increment of @waiters and the
 * kernel's read of @state, all sequentially consistent.
 */
#include <errno.h>

#include "internal.h"

#define SB_EVENT_MAGIC	SB_MAGIC('S', 'b', 'E', 1)
#define SB_EVENT_FLAGS	(SHMBUS_EVENT_MANUAL_RESET | SHMBUS_EVENT_SET)

struct sb_event {
	atomic_uint magic;
	atomic_uint state;
	atomic_uint waiters;
	atomic_uint manual;
};

_Static_assert(sizeof(struct sb_event) == sizeof(struct shmbus_event), "event size");

static bool sb_event_valid(struct sb_event *e)
{
	uint32_t manual = atomic_load_explicit(&e->manual, memory_order_relaxed);

	return atomic_load_explicit(&e->magic, memory_order_relaxed) == SB_EVENT_MAGIC &&
	       manual <= 1 &&
	       (manual || atomic_load_explicit(&e->state, memory_order_relaxed) <= 1);
}

static int sb_event_get(struct shmbus_event *pub, struct sb_event **out, struct sb_ref **ref)
{
	struct sb_event *e = (struct sb_event *)pub;
	int ret = sb_ref(e, sizeof(*e), SB_NO_LOCK_WORD, ref);

	if (ret)
		return ret;
	if (!sb_event_valid(e))
		return -EINVAL;
	*out = e;
	return 0;
}

int shmbus_event_init(struct shmbus_event *pub, unsigned int flags)
{
	struct sb_event *e = (struct sb_event *)pub;
	struct sb_ref *ref;
	int ret;

	if (flags & ~SB_EVENT_FLAGS)
		return -EINVAL;
	ret = sb_ref(e, sizeof(*e), SB_NO_LOCK_WORD, &ref);
	if (ret)
		return ret;
	atomic_store_explicit(&e->state, !!(flags & SHMBUS_EVENT_SET), memory_order_relaxed);
	atomic_store_explicit(&e->manual, !!(flags & SHMBUS_EVENT_MANUAL_RESET),
			      memory_order_relaxed);
	atomic_store_explicit(&e->waiters, 0, memory_order_relaxed);
	atomic_store_explicit(&e->magic, SB_EVENT_MAGIC, memory_order_release);
	return 0;
}

int shmbus_event_set(struct shmbus_event *pub)
{
	struct sb_event *e;
	struct sb_ref *ref;
	int ret = sb_event_get(pub, &e, &ref);

	if (ret)
		return ret;
	if (atomic_load_explicit(&e->manual, memory_order_relaxed)) {
		uint32_t v = atomic_load_explicit(&e->state, memory_order_relaxed);

		/* Set, and one more set counted. */
		while (!atomic_compare_exchange_weak(&e->state, &v, (v | 1) + 2))
			;
	} else {
		atomic_store(&e->state, 1);
	}
	if (!atomic_load(&e->waiters))
		return 0;
	return sb_wake_waiters(ref->fd, sb_word_off(ref, &e->state),
			       atomic_load_explicit(&e->manual, memory_order_relaxed) ?
			       UINT32_MAX : 1, &e->waiters);
}

int shmbus_event_reset(struct shmbus_event *pub)
{
	struct sb_event *e;
	struct sb_ref *ref;
	int ret = sb_event_get(pub, &e, &ref);

	if (ret)
		return ret;
	if (atomic_load_explicit(&e->manual, memory_order_relaxed))
		atomic_fetch_and_explicit(&e->state, ~1U, memory_order_relaxed);
	else
		atomic_store_explicit(&e->state, 0, memory_order_relaxed);
	return 0;
}

/*
 * Pass if set (auto-reset: consuming it), or for a manual-reset event if
 * it was set since @seen was read: true if passed; else *@seen is the
 * value to sleep on.
 */
static bool sb_event_pass(struct sb_event *e, uint32_t *seen)
{
	uint32_t v = atomic_load_explicit(&e->state, memory_order_acquire);

	if (atomic_load_explicit(&e->manual, memory_order_relaxed)) {
		if ((v & 1) || (v >> 1) != (*seen >> 1))
			return true;
		*seen = v;
		return false;
	}
	*seen = 0;
	v = 1;
	return atomic_compare_exchange_strong_explicit(&e->state, &v, 0,
						       memory_order_acquire,
						       memory_order_relaxed);
}

static int sb_event_wait(struct shmbus_event *pub, bool try, clockid_t clock,
			 const struct timespec *abstime)
{
	unsigned int spin = sb_spin_limit(), n;
	struct sb_event *e;
	struct sb_ref *ref;
	uint32_t seen;
	int ret = sb_event_get(pub, &e, &ref);

	if (ret)
		return ret;
	seen = atomic_load_explicit(&e->state, memory_order_relaxed);
	if (sb_event_pass(e, &seen))
		return 0;
	if (try)
		return -EAGAIN;
	for (;;) {
		for (n = 0; n < spin; n++) {
			sb_cpu_relax();
			if (sb_event_pass(e, &seen))
				return 0;
		}
		/* Overwritten while we waited: WAIT would return EAGAIN for ever. */
		if (!sb_event_valid(e))
			return -EINVAL;
		atomic_fetch_add(&e->waiters, 1);
		ret = sb_sleep(ref->fd, sb_word_off(ref, &e->state), seen, SB_BITSET_ANY,
			       clock, abstime);
		sb_waiter_done(&e->waiters, ret);
		if (sb_event_pass(e, &seen))
			return 0;
		if (ret == -ETIMEDOUT)
			return ret;
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
}

int shmbus_event_wait(struct shmbus_event *e)
{
	return sb_event_wait(e, false, CLOCK_MONOTONIC, NULL);
}

int shmbus_event_trywait(struct shmbus_event *e)
{
	return sb_event_wait(e, true, CLOCK_MONOTONIC, NULL);
}

int shmbus_event_timedwait(struct shmbus_event *e, clockid_t clock,
			   const struct timespec *abstime)
{
	int ret = sb_check_time(clock, abstime);

	return ret ? ret : sb_event_wait(e, false, clock, abstime);
}
