// SPDX-License-Identifier: MIT
/*
 * The counting semaphore.
 *
 * @value is the count; waiters sleep on it while it is 0.  @waiters counts
 * threads that may sleep and are not yet woken (sb_wake_waiters()), so
 * that post enters the kernel only for them.
 *
 * Memory ordering (sequentially consistent):
 *
 *   waiter                           poster
 *   waiters++           [A]          value++ (CAS)     [C]
 *   WAIT(value, 0)      [B]          if (waiters)      [D]
 *                                        WAKE 1
 *
 * If [D] reads 0, [A] follows [D], so the kernel's read of @value at [B]
 * follows [C] and sees it non-zero: WAIT returns EAGAIN and the waiter
 * retries.  Otherwise the poster wakes one sleeper.
 */
#include <errno.h>

#include "internal.h"

#define SB_SEM_MAGIC	SB_MAGIC('S', 'b', 'S', 1)

struct sb_sem {
	atomic_uint magic;
	atomic_uint value;
	atomic_uint waiters;
	uint32_t reserved;
};

_Static_assert(sizeof(struct sb_sem) == sizeof(struct shmbus_sem), "sem size");

static int sb_sem_get(struct shmbus_sem *pub, struct sb_sem **out, struct sb_ref **ref)
{
	struct sb_sem *s = (struct sb_sem *)pub;
	int ret = sb_ref(s, sizeof(*s), SB_NO_LOCK_WORD, ref);

	if (ret)
		return ret;
	if (atomic_load_explicit(&s->magic, memory_order_relaxed) != SB_SEM_MAGIC ||
	    atomic_load_explicit(&s->value, memory_order_relaxed) > SHMBUS_SEM_VALUE_MAX)
		return -EINVAL;
	*out = s;
	return 0;
}

int shmbus_sem_init(struct shmbus_sem *pub, unsigned int value)
{
	struct sb_sem *s = (struct sb_sem *)pub;
	struct sb_ref *ref;
	int ret;

	if (value > SHMBUS_SEM_VALUE_MAX)
		return -EINVAL;
	ret = sb_ref(s, sizeof(*s), SB_NO_LOCK_WORD, &ref);
	if (ret)
		return ret;
	atomic_store_explicit(&s->value, value, memory_order_relaxed);
	atomic_store_explicit(&s->waiters, 0, memory_order_relaxed);
	atomic_store_explicit(&s->magic, SB_SEM_MAGIC, memory_order_release);
	return 0;
}

int shmbus_sem_post(struct shmbus_sem *pub)
{
	struct sb_ref *ref;
	struct sb_sem *s;
	uint32_t v;
	int ret = sb_sem_get(pub, &s, &ref);

	if (ret)
		return ret;
	v = atomic_load_explicit(&s->value, memory_order_relaxed);
	do {
		if (v >= SHMBUS_SEM_VALUE_MAX)
			return -EOVERFLOW;
	} while (!atomic_compare_exchange_weak(&s->value, &v, v + 1));	/* [C] */
	if (!atomic_load(&s->waiters))					/* [D] */
		return 0;
	return sb_wake_waiters(ref->fd, sb_word_off(ref, &s->value), 1, &s->waiters);
}

/* Take one if there is one: true if taken. */
static bool sb_sem_take(struct sb_sem *s)
{
	uint32_t v = atomic_load_explicit(&s->value, memory_order_relaxed);

	while (v > 0 && v <= SHMBUS_SEM_VALUE_MAX) {
		if (atomic_compare_exchange_weak_explicit(&s->value, &v, v - 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return true;
	}
	return false;
}

static int sb_sem_wait(struct shmbus_sem *pub, clockid_t clock,
		       const struct timespec *abstime)
{
	unsigned int spin = sb_spin_limit(), n;
	struct sb_ref *ref;
	struct sb_sem *s;
	int ret = sb_sem_get(pub, &s, &ref);

	if (ret)
		return ret;
	for (;;) {
		for (n = 0; n <= spin; n++) {
			if (sb_sem_take(s))
				return 0;
			sb_cpu_relax();
		}
		/* Overwritten while we waited: WAIT would return EAGAIN for ever. */
		if (atomic_load_explicit(&s->value, memory_order_relaxed) > SHMBUS_SEM_VALUE_MAX ||
		    atomic_load_explicit(&s->magic, memory_order_relaxed) != SB_SEM_MAGIC)
			return -EINVAL;
		atomic_fetch_add(&s->waiters, 1);			/* [A] */
		ret = sb_sleep(ref->fd, sb_word_off(ref, &s->value), 0,	/* [B] */
			       SB_BITSET_ANY, clock, abstime);
		sb_waiter_done(&s->waiters, ret);
		if (ret == -ETIMEDOUT || ret == -EINTR) {
			/* A post may have come with the timeout or signal. */
			return sb_sem_take(s) ? 0 : ret;
		}
		if (ret && ret != -EAGAIN)
			return ret;
	}
}

int shmbus_sem_wait(struct shmbus_sem *s)
{
	return sb_sem_wait(s, CLOCK_MONOTONIC, NULL);
}

int shmbus_sem_timedwait(struct shmbus_sem *s, clockid_t clock,
			 const struct timespec *abstime)
{
	int ret = sb_check_time(clock, abstime);

	return ret ? ret : sb_sem_wait(s, clock, abstime);
}

int shmbus_sem_trywait(struct shmbus_sem *pub)
{
	struct sb_ref *ref;
	struct sb_sem *s;
	int ret = sb_sem_get(pub, &s, &ref);

	if (ret)
		return ret;
	return sb_sem_take(s) ? 0 : -EAGAIN;
}

int shmbus_sem_value(struct shmbus_sem *pub)
{
	struct sb_ref *ref;
	struct sb_sem *s;
	int ret = sb_sem_get(pub, &s, &ref);

	return ret ? ret : (int)atomic_load_explicit(&s->value, memory_order_relaxed);
}
