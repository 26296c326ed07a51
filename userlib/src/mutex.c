// SPDX-License-Identifier: MIT
/*
 * The robust, error-checking mutex.
 *
 * The lock word follows the module's robust-lock protocol (see
 * <linux/shmbus.h>): 0 is free; a locked word holds the owner id of the
 * locking thread's handle of this region (region.c), with
 * SHMBUS_LOCK_WAITERS set once someone may sleep on it; when the owning
 * handle is released (thread exit, process death) the kernel replaces the
 * owner with SHMBUS_LOCK_OWNER_DIED, keeping WAITERS, and wakes one waiter.
 * A word whose owner bits are zero can be taken; if OWNER_DIED was set the
 * taker returns -EOWNERDEAD and @state becomes INCONSISTENT until
 * shmbus_mutex_consistent(); an unlock while INCONSISTENT makes it
 * NOTRECOVERABLE for good.
 *
 * Memory ordering:
 *
 *   locker                          unlocker
 *   CAS(word, 0 -> me)   [A]        ... critical section ...
 *   ... critical section ...        old = XCHG(word, 0)      [B]
 *                                   if (old & WAITERS) WAKE  [C]
 *
 * [A] is an acquire and [B] a release: the critical sections are ordered.
 * A sleeper sets WAITERS with a CAS and sleeps only while the word still
 * holds the value with WAITERS (the kernel compares under its bucket lock):
 * either [B] saw WAITERS and [C] wakes it, or [B] came first, the word
 * differs, and WAIT returns EAGAIN at once.  A thread that has slept takes
 * the lock with WAITERS set (it cannot know whether others still sleep),
 * so no sleeper is stranded; a spurious WAITERS costs one WAKE.  @state is
 * written only by the owner, inside the critical section, so [A]/[B] order
 * it too.
 */
#include <errno.h>

#include "internal.h"

#define SB_MUTEX_MAGIC		SB_MAGIC('S', 'b', 'M', 1)
#define OWNER			SHMBUS_LOCK_OWNER_MASK
#define DIED			SHMBUS_LOCK_OWNER_DIED
#define WAITERS			SHMBUS_LOCK_WAITERS

enum sb_mutex_state {
	SB_MUTEX_CONSISTENT,
	SB_MUTEX_INCONSISTENT,
	SB_MUTEX_NOTRECOVERABLE,
};

_Static_assert(sizeof(struct sb_mutex) == sizeof(struct shmbus_mutex), "mutex size");
_Static_assert(alignof(struct shmbus_mutex) == 16, "mutex alignment");

#define SB_MUTEX_WORD	((int)offsetof(struct sb_mutex, word))

/* The mutex at @pub for this thread: 0, or -EINVAL and the errors of sb_ref(). */
int sb_mutex_get(struct shmbus_mutex *pub, struct sb_mutex **out, struct sb_ref **ref)
{
	struct sb_mutex *m = (struct sb_mutex *)pub;
	int ret = sb_ref(m, sizeof(*m), SB_MUTEX_WORD, ref);

	if (ret)
		return ret;
	if (!sb_mutex_valid(m))
		return -EINVAL;
	*out = m;
	return 0;
}

/* A mutex by its magic and its state (not its owner: any id may own it). */
bool sb_mutex_valid(struct sb_mutex *m)
{
	return atomic_load_explicit(&m->magic, memory_order_relaxed) == SB_MUTEX_MAGIC &&
	       atomic_load_explicit(&m->state, memory_order_relaxed) <= SB_MUTEX_NOTRECOVERABLE;
}

int shmbus_mutex_init(struct shmbus_mutex *pub)
{
	struct sb_mutex *m = (struct sb_mutex *)pub;
	struct sb_ref *ref;
	int ret = sb_ref(m, sizeof(*m), SB_NO_LOCK_WORD, &ref);

	if (ret)
		return ret;
	atomic_store_explicit(&m->word, 0, memory_order_relaxed);
	atomic_store_explicit(&m->state, SB_MUTEX_CONSISTENT, memory_order_relaxed);
	atomic_store_explicit(&m->spin, 0, memory_order_relaxed);
	atomic_store_explicit(&m->magic, SB_MUTEX_MAGIC, memory_order_release);
	return 0;
}

/* Release the word, waking @nr sleepers if any. */
static int sb_mutex_release(struct sb_mutex *m, struct sb_ref *ref, uint32_t nr)
{
	uint32_t old = atomic_exchange_explicit(&m->word, 0, memory_order_release);

	if (old & WAITERS)
		return sb_wake(ref->fd, sb_word_off(ref, &m->word), nr, SB_BITSET_ANY);
	return 0;
}

/* Just taken from @old: what the caller is told. */
static int sb_mutex_taken(struct sb_mutex *m, struct sb_ref *ref, uint32_t old)
{
	uint32_t state;

	if (old & DIED) {
		atomic_store_explicit(&m->state, SB_MUTEX_INCONSISTENT, memory_order_relaxed);
		return -EOWNERDEAD;
	}
	state = atomic_load_explicit(&m->state, memory_order_relaxed);
	if (state == SB_MUTEX_CONSISTENT)
		return 0;
	if (state == SB_MUTEX_INCONSISTENT)
		return -EOWNERDEAD;
	sb_mutex_release(m, ref, UINT32_MAX);
	return -ENOTRECOVERABLE;
}

/* Spin while another owner holds it: true if it looks free now. */
static bool sb_mutex_spin(struct sb_mutex *m)
{
	unsigned int limit = sb_spin_limit(), est, n;

	if (!limit)
		return false;
	/* A hint any process may write: bounded before any arithmetic. */
	est = atomic_load_explicit(&m->spin, memory_order_relaxed);
	if (est > limit)
		est = limit;
	if (est * 2 + 10 < limit)
		limit = est * 2 + 10;
	for (n = 0; n < limit; n++) {
		if (!(atomic_load_explicit(&m->word, memory_order_relaxed) & OWNER))
			break;
		sb_cpu_relax();
	}
	atomic_store_explicit(&m->spin, est + ((int)n - (int)est) / 8, memory_order_relaxed);
	return n < limit;
}

/*
 * Take @m for @ref's owner; @waiters: take it with WAITERS set (the caller
 * slept, or was requeued from a condvar).  @try: -EBUSY instead of waiting.
 */
int sb_mutex_acquire(struct sb_mutex *m, struct sb_ref *ref, bool waiters, bool try,
		     clockid_t clock, const struct timespec *abstime)
{
	uint32_t me = ref->owner, v, want;
	bool spun = false;
	int ret;

	v = 0;
	if (!waiters && atomic_compare_exchange_strong_explicit(&m->word, &v, me,
								memory_order_acquire,
								memory_order_relaxed))
		return sb_mutex_taken(m, ref, 0);
	for (;;) {
		v = atomic_load_explicit(&m->word, memory_order_relaxed);
		if (!(v & OWNER)) {
			want = me | (v & WAITERS) | (waiters ? WAITERS : 0);
			if (atomic_compare_exchange_strong_explicit(&m->word, &v, want,
								    memory_order_acquire,
								    memory_order_relaxed))
				return sb_mutex_taken(m, ref, v);
			continue;
		}
		if ((v & OWNER) == me)
			return -EDEADLK;
		if (try)
			return -EBUSY;
		if (!spun) {
			spun = true;
			if (sb_mutex_spin(m))
				continue;
		}
		if (!(v & WAITERS) &&
		    !atomic_compare_exchange_strong_explicit(&m->word, &v, v | WAITERS,
							     memory_order_relaxed,
							     memory_order_relaxed))
			continue;
		ret = sb_sleep(ref->lock_fd, sb_word_off(ref, &m->word), v | WAITERS,
			       SB_BITSET_ANY, clock, abstime);
		if (ret == -ETIMEDOUT)
			return ret;
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
		waiters = true;
		spun = false;
	}
}

int shmbus_mutex_lock(struct shmbus_mutex *pub)
{
	struct sb_mutex *m;
	struct sb_ref *ref;
	int ret = sb_mutex_get(pub, &m, &ref);

	return ret ? ret : sb_mutex_acquire(m, ref, false, false, CLOCK_MONOTONIC, NULL);
}

int shmbus_mutex_trylock(struct shmbus_mutex *pub)
{
	struct sb_mutex *m;
	struct sb_ref *ref;
	int ret = sb_mutex_get(pub, &m, &ref);

	return ret ? ret : sb_mutex_acquire(m, ref, false, true, CLOCK_MONOTONIC, NULL);
}

int shmbus_mutex_timedlock(struct shmbus_mutex *pub, clockid_t clock,
			   const struct timespec *abstime)
{
	struct sb_mutex *m;
	struct sb_ref *ref;
	int ret = sb_check_time(clock, abstime);

	if (!ret)
		ret = sb_mutex_get(pub, &m, &ref);
	return ret ? ret : sb_mutex_acquire(m, ref, false, false, clock, abstime);
}

/* Whether @ref's owner holds @m. */
bool sb_mutex_held(struct sb_mutex *m, struct sb_ref *ref)
{
	return (atomic_load_explicit(&m->word, memory_order_relaxed) & OWNER) == ref->owner;
}

int sb_mutex_unlock_held(struct sb_mutex *m, struct sb_ref *ref)
{
	if (atomic_load_explicit(&m->state, memory_order_relaxed) == SB_MUTEX_INCONSISTENT) {
		atomic_store_explicit(&m->state, SB_MUTEX_NOTRECOVERABLE, memory_order_relaxed);
		return sb_mutex_release(m, ref, UINT32_MAX);
	}
	return sb_mutex_release(m, ref, 1);
}

int shmbus_mutex_unlock(struct shmbus_mutex *pub)
{
	struct sb_mutex *m;
	struct sb_ref *ref;
	int ret = sb_mutex_get(pub, &m, &ref);

	if (ret)
		return ret;
	if (!sb_mutex_held(m, ref))
		return -EPERM;
	return sb_mutex_unlock_held(m, ref);
}

int shmbus_mutex_destroy(struct shmbus_mutex *pub)
{
	struct sb_mutex *m = (struct sb_mutex *)pub;
	struct sb_ref *ref;
	int ret = sb_ref(m, sizeof(*m), SB_NO_LOCK_WORD, &ref);

	if (ret)
		return ret;
	if (!sb_mutex_valid(m))
		return -EINVAL;
	if (atomic_load_explicit(&m->word, memory_order_relaxed) & OWNER)
		return -EBUSY;
	atomic_store_explicit(&m->magic, 0, memory_order_relaxed);
	sb_forget_word(ref->region, sb_word_off(ref, &m->word));
	return 0;
}

int shmbus_mutex_consistent(struct shmbus_mutex *pub)
{
	struct sb_mutex *m;
	struct sb_ref *ref;
	int ret = sb_mutex_get(pub, &m, &ref);

	if (ret)
		return ret;
	if (!sb_mutex_held(m, ref) ||
	    atomic_load_explicit(&m->state, memory_order_relaxed) != SB_MUTEX_INCONSISTENT)
		return -EINVAL;
	atomic_store_explicit(&m->state, SB_MUTEX_CONSISTENT, memory_order_relaxed);
	return 0;
}
