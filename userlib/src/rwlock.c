// SPDX-License-Identifier: MIT
/*
 * The readers-writer lock, writer-preferring.
 *
 * @state: bits 0..28 count readers holding it; W_LOCKED: a writer holds it;
 * W_WAITING: a writer waits, so new readers wait too (no writer
 * starvation); R_WAITING: a reader may sleep.  @writers counts writers in
 * their slow path; the last of them to give up clears W_WAITING, and the
 * last holder clears it when no writer is counted any more (a writer that
 * took the lock kept it for another that then timed out).  Readers
 * sleep on @state with bitset READ, writers with bitset WRITE, so each
 * wake reaches only the side it is meant for.
 *
 * Memory ordering: taking the lock is a CAS with acquire on @state,
 * releasing it an RMW with release, so critical sections are ordered.  A
 * sleeper sets its WAITING bit with a CAS and sleeps only while @state
 * still holds the value with that bit (the kernel compares under its
 * bucket lock): the releasing RMW either saw the bit and wakes, or came
 * first and WAIT returns EAGAIN.  Writers are woken one at a time; readers
 * all at once, once no writer holds or waits.
 */
#include <errno.h>

#include "internal.h"

#define SB_RWLOCK_MAGIC	SB_MAGIC('S', 'b', 'R', 1)
#define READERS		0x1fffffffU
#define R_WAITING	0x20000000U
#define W_WAITING	0x40000000U
#define W_LOCKED	0x80000000U
#define BITSET_READ	0x1U
#define BITSET_WRITE	0x2U

struct sb_rwlock {
	atomic_uint magic;
	atomic_uint state;
	atomic_uint writers;
	uint32_t reserved;
};

_Static_assert(sizeof(struct sb_rwlock) == sizeof(struct shmbus_rwlock), "rwlock size");

static int sb_rwlock_get(struct shmbus_rwlock *pub, struct sb_rwlock **out,
			 struct sb_ref **ref)
{
	struct sb_rwlock *l = (struct sb_rwlock *)pub;
	int ret = sb_ref(l, sizeof(*l), SB_NO_LOCK_WORD, ref);
	uint32_t s;

	if (ret)
		return ret;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	if (atomic_load_explicit(&l->magic, memory_order_relaxed) != SB_RWLOCK_MAGIC ||
	    ((s & W_LOCKED) && (s & READERS)))
		return -EINVAL;
	*out = l;
	return 0;
}

int shmbus_rwlock_init(struct shmbus_rwlock *pub)
{
	struct sb_rwlock *l = (struct sb_rwlock *)pub;
	struct sb_ref *ref;
	int ret = sb_ref(l, sizeof(*l), SB_NO_LOCK_WORD, &ref);

	if (ret)
		return ret;
	atomic_store_explicit(&l->state, 0, memory_order_relaxed);
	atomic_store_explicit(&l->writers, 0, memory_order_relaxed);
	atomic_store_explicit(&l->magic, SB_RWLOCK_MAGIC, memory_order_release);
	return 0;
}

static int sb_rdlock(struct shmbus_rwlock *pub, bool try, clockid_t clock,
		     const struct timespec *abstime)
{
	unsigned int spin = sb_spin_limit();
	struct sb_rwlock *l;
	struct sb_ref *ref;
	uint32_t s;
	int ret = sb_rwlock_get(pub, &l, &ref);

	if (ret)
		return ret;
	for (;;) {
		s = atomic_load_explicit(&l->state, memory_order_relaxed);
		if (!(s & (W_LOCKED | W_WAITING))) {
			if ((s & READERS) == READERS)
				return -EAGAIN;
			if (atomic_compare_exchange_weak_explicit(&l->state, &s, s + 1,
								  memory_order_acquire,
								  memory_order_relaxed))
				return 0;
			continue;
		}
		if (try)
			return -EBUSY;
		if (spin) {
			spin--;
			sb_cpu_relax();
			continue;
		}
		if (!(s & R_WAITING) &&
		    !atomic_compare_exchange_weak(&l->state, &s, s | R_WAITING))
			continue;
		ret = sb_sleep(ref->fd, sb_word_off(ref, &l->state), s | R_WAITING,
			       BITSET_READ, clock, abstime);
		if (ret == -ETIMEDOUT)
			return ret;
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
}

/*
 * A writer gives up.  The last one lets waiting readers in.  Either may
 * have taken a wake-up meant for another writer, or cleared W_WAITING under
 * a writer that just set it and slept: wake one writer, which re-checks.
 */
static int sb_writer_leave(struct sb_rwlock *l, struct sb_ref *ref)
{
	uint64_t off = sb_word_off(ref, &l->state);
	uint32_t s = 0;
	int ret;

	if (atomic_fetch_sub(&l->writers, 1) == 1)
		s = atomic_fetch_and(&l->state, ~(W_WAITING | R_WAITING));
	ret = sb_wake(ref->fd, off, 1, BITSET_WRITE);
	if (!ret && (s & R_WAITING))
		ret = sb_wake(ref->fd, off, UINT32_MAX, BITSET_READ);
	return ret;
}

static int sb_wrlock(struct shmbus_rwlock *pub, bool try, clockid_t clock,
		     const struct timespec *abstime)
{
	unsigned int spin = sb_spin_limit();
	struct sb_rwlock *l;
	struct sb_ref *ref;
	uint32_t s, want;
	int ret = sb_rwlock_get(pub, &l, &ref);

	if (ret)
		return ret;
	s = 0;
	if (atomic_compare_exchange_strong_explicit(&l->state, &s, W_LOCKED,
						    memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	if (try)
		return -EBUSY;
	atomic_fetch_add(&l->writers, 1);
	for (;;) {
		s = atomic_load(&l->state);
		if (!(s & (W_LOCKED | READERS))) {
			want = W_LOCKED | (s & R_WAITING);
			if (atomic_load(&l->writers) > 1)
				want |= W_WAITING;
			if (atomic_compare_exchange_weak_explicit(&l->state, &s, want,
								  memory_order_acquire,
								  memory_order_relaxed)) {
				atomic_fetch_sub(&l->writers, 1);
				return 0;
			}
			continue;
		}
		if (!(s & W_WAITING)) {
			atomic_compare_exchange_weak(&l->state, &s, s | W_WAITING);
			continue;
		}
		if (spin) {
			spin--;
			sb_cpu_relax();
			continue;
		}
		ret = sb_sleep(ref->fd, sb_word_off(ref, &l->state), s, BITSET_WRITE,
			       clock, abstime);
		if (ret == -ETIMEDOUT) {
			int leave = sb_writer_leave(l, ref);

			return leave ? leave : ret;
		}
		if (ret && ret != -EAGAIN && ret != -EINTR) {
			sb_writer_leave(l, ref);
			return ret;
		}
	}
}

int shmbus_rwlock_rdlock(struct shmbus_rwlock *l)
{
	return sb_rdlock(l, false, CLOCK_MONOTONIC, NULL);
}

int shmbus_rwlock_tryrdlock(struct shmbus_rwlock *l)
{
	return sb_rdlock(l, true, CLOCK_MONOTONIC, NULL);
}

int shmbus_rwlock_timedrdlock(struct shmbus_rwlock *l, clockid_t clock,
			      const struct timespec *abstime)
{
	int ret = sb_check_time(clock, abstime);

	return ret ? ret : sb_rdlock(l, false, clock, abstime);
}

int shmbus_rwlock_wrlock(struct shmbus_rwlock *l)
{
	return sb_wrlock(l, false, CLOCK_MONOTONIC, NULL);
}

int shmbus_rwlock_trywrlock(struct shmbus_rwlock *l)
{
	return sb_wrlock(l, true, CLOCK_MONOTONIC, NULL);
}

int shmbus_rwlock_timedwrlock(struct shmbus_rwlock *l, clockid_t clock,
			      const struct timespec *abstime)
{
	int ret = sb_check_time(clock, abstime);

	return ret ? ret : sb_wrlock(l, false, clock, abstime);
}

/*
 * W_WAITING in @s with no writer left in its slow path: the writer that
 * set it timed out while another that was counted then took the lock.
 * Left alone it would hold readers back for ever.
 */
static bool sb_w_waiting_stale(struct sb_rwlock *l, uint32_t s)
{
	return (s & W_WAITING) && !atomic_load(&l->writers);
}

/*
 * After a release changed @s to @want with no holder left: a writer goes
 * first if one waits; else every sleeping reader.  A writer is also woken
 * when W_WAITING was dropped as stale: one may have counted itself in and
 * slept on the old value since, and it re-checks.
 */
static int sb_rwlock_wake(struct sb_rwlock *l, struct sb_ref *ref, uint32_t s,
			  uint32_t want)
{
	uint64_t off = sb_word_off(ref, &l->state);
	int ret = 0;

	if (s & W_WAITING)
		ret = sb_wake(ref->fd, off, 1, BITSET_WRITE);
	if (!ret && !(want & W_WAITING) && (s & R_WAITING))
		ret = sb_wake(ref->fd, off, UINT32_MAX, BITSET_READ);
	return ret;
}

int shmbus_rwlock_unlock(struct shmbus_rwlock *pub)
{
	struct sb_rwlock *l;
	struct sb_ref *ref;
	uint32_t s, want;
	int ret = sb_rwlock_get(pub, &l, &ref);

	if (ret)
		return ret;
	s = atomic_load_explicit(&l->state, memory_order_relaxed);
	if (s & W_LOCKED) {
		/* A waiting writer goes first; readers wait until none does. */
		do {
			want = s & ~W_LOCKED;
			if (sb_w_waiting_stale(l, s))
				want &= ~W_WAITING;
			if (!(want & W_WAITING))
				want &= ~R_WAITING;
		} while (!atomic_compare_exchange_weak_explicit(&l->state, &s, want,
							      memory_order_release,
							      memory_order_relaxed));
		return sb_rwlock_wake(l, ref, s, want);
	}
	do {
		if (!(s & READERS))
			return -EPERM;
		want = s - 1;
		if (!(want & READERS) && sb_w_waiting_stale(l, s))
			want &= ~(W_WAITING | R_WAITING);
	} while (!atomic_compare_exchange_weak_explicit(&l->state, &s, want,
						      memory_order_release,
						      memory_order_relaxed));
	if (want & READERS)
		return 0;
	return sb_rwlock_wake(l, ref, s, want);
}
