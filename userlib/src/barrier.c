// SPDX-License-Identifier: MIT
/*
 * The barrier.
 *
 * @arrived counts this generation's arrivals; @gen numbers generations in
 * steps of 2, its bit 0 saying that someone may sleep on it.  Each party
 * reads @gen, then counts itself in @arrived; the one that makes it @count
 * resets @arrived and advances @gen, waking sleepers if bit 0 was set.
 *
 * Memory ordering: a party reads @gen before its increment of @arrived
 * (both sequentially consistent), and the generation cannot end before
 * that increment, so the value read is its own generation's.  The last
 * party stores @arrived = 0 before it advances @gen with release; a party
 * that sees the new @gen (acquire) also sees the reset, and everything the
 * other parties did before arriving.  A sleeper sets bit 0 with a CAS and
 * sleeps only while @gen still holds that value, so the advance (an
 * exchange) either sees the bit and wakes it or makes WAIT return EAGAIN.
 */
#include <errno.h>

#include "internal.h"

#define SB_BARRIER_MAGIC	SB_MAGIC('S', 'b', 'B', 1)
#define SB_BARRIER_MAX		(1U << 30)
#define SB_GEN_SLEEPERS		1U

struct sb_barrier {
	atomic_uint magic;
	atomic_uint count;
	atomic_uint arrived;
	atomic_uint gen;
};

_Static_assert(sizeof(struct sb_barrier) == sizeof(struct shmbus_barrier), "barrier size");

int shmbus_barrier_init(struct shmbus_barrier *pub, unsigned int count)
{
	struct sb_barrier *b = (struct sb_barrier *)pub;
	struct sb_ref *ref;
	int ret;

	if (!count || count > SB_BARRIER_MAX)
		return -EINVAL;
	ret = sb_ref(b, sizeof(*b), SB_NO_LOCK_WORD, &ref);
	if (ret)
		return ret;
	atomic_store_explicit(&b->count, count, memory_order_relaxed);
	atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
	atomic_store_explicit(&b->gen, 0, memory_order_relaxed);
	atomic_store_explicit(&b->magic, SB_BARRIER_MAGIC, memory_order_release);
	return 0;
}

int shmbus_barrier_wait(struct shmbus_barrier *pub)
{
	struct sb_barrier *b = (struct sb_barrier *)pub;
	unsigned int spin = sb_spin_limit(), n;
	uint32_t count, gen, v, arrived;
	struct sb_ref *ref;
	int ret;

	ret = sb_ref(b, sizeof(*b), SB_NO_LOCK_WORD, &ref);
	if (ret)
		return ret;
	count = atomic_load_explicit(&b->count, memory_order_relaxed);
	if (atomic_load_explicit(&b->magic, memory_order_relaxed) != SB_BARRIER_MAGIC ||
	    !count || count > SB_BARRIER_MAX)
		return -EINVAL;
	gen = atomic_load(&b->gen) & ~SB_GEN_SLEEPERS;
	arrived = atomic_fetch_add(&b->arrived, 1) + 1;
	if (arrived > count)
		return -EINVAL;		/* more parties than it was made for, or corrupted */
	if (arrived == count) {
		atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
		v = atomic_exchange_explicit(&b->gen, gen + 2, memory_order_release);
		if (v & SB_GEN_SLEEPERS) {
			ret = sb_wake(ref->fd, sb_word_off(ref, &b->gen), UINT32_MAX,
				      SB_BITSET_ANY);
			if (ret)
				return ret;
		}
		return SHMBUS_BARRIER_LAST;
	}
	for (n = 0; n < spin; n++) {
		if ((atomic_load_explicit(&b->gen, memory_order_acquire) & ~SB_GEN_SLEEPERS) != gen)
			return 0;
		sb_cpu_relax();
	}
	for (;;) {
		v = atomic_load_explicit(&b->gen, memory_order_acquire);
		if ((v & ~SB_GEN_SLEEPERS) != gen)
			return 0;
		if (!(v & SB_GEN_SLEEPERS) &&
		    !atomic_compare_exchange_strong(&b->gen, &v, v | SB_GEN_SLEEPERS))
			continue;
		ret = sb_sleep(ref->fd, sb_word_off(ref, &b->gen), v | SB_GEN_SLEEPERS,
			       SB_BITSET_ANY, CLOCK_MONOTONIC, NULL);
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
}
