// SPDX-License-Identifier: MIT
/*
 * The condition variable.
 *
 * @seq counts signals and broadcasts; waiters sleep on it.  @waiters counts
 * threads that may sleep and have not been woken (see sb_wake_waiters()),
 * so that signal and broadcast enter the kernel only when someone may
 * need it.  @mutex records (region offset / 16 + 1) of the mutex the
 * waiters use, for broadcast's requeue.
 *
 * Broadcast counts out everyone it woke or requeued.  A requeued waiter
 * then sleeps on the mutex word and may still return with a timeout or a
 * signal: it must not count itself out a second time, or @waiters would
 * fall below the sleepers and a later signal would stay in userspace.  So
 * a waiter that slept and returns for such a reason counts itself out only
 * if no broadcast ran or began while it waited, as @bcast tells: its low
 * byte counts broadcasts in progress (one is in progress from before its
 * requeue until after), the rest completed ones.  A waiter that could have
 * been requeued stays counted: @waiters then runs ahead (a later signal
 * pays for a WAKE that wakes nobody), which is safe.  One that found @seq
 * changed (EAGAIN) never slept, so nobody counted it out: it always does.
 *
 * Memory ordering (all four accesses sequentially consistent):
 *
 *   waiter (holds the mutex)          signaller
 *   waiters++             [A]         seq++             [C]
 *   s = seq               [B]         if (waiters)      [D]
 *   unlock; WAIT(seq, s)                  WAKE / REQUEUE
 *
 * If [D] reads 0, [A] follows [D] in the single total order, so [B]
 * follows [C] and reads the new value (that signal was not for this
 * waiter).  Otherwise the waker wakes; a waiter that reached WAIT after
 * [C] finds seq != s and returns at once (EAGAIN).  Either way no wake-up
 * is lost; wake-ups can be spurious, as POSIX allows.
 *
 * Broadcast does not wake every waiter: it wakes one and moves the others
 * onto the mutex word with CMP_REQUEUE, after setting the mutex's WAITERS
 * bit, so each unlock hands the mutex to the next of them.  A waiter woken
 * after sleeping (on @seq or, requeued, on the mutex) takes the mutex with
 * WAITERS set for the same reason (see mutex.c).
 */
#include <errno.h>

#include "internal.h"

#define SB_COND_MAGIC	SB_MAGIC('S', 'b', 'C', 1)

struct sb_cond {
	atomic_uint magic;
	atomic_uint seq;
	atomic_uint waiters;
	atomic_uint mutex;
	atomic_uint bcast;
	uint32_t reserved[3];
};

#define SB_BCAST_BUSY		0x1U	/* a broadcast began */
#define SB_BCAST_DONE		0xffU	/* ... and ended: busy - 1, completed + 1 */
#define SB_BCAST_BUSY_MASK	0xffU
/* A broadcast's requeue retries while signals move @seq, then wakes all. */
#define SB_REQUEUE_TRIES	8

_Static_assert(sizeof(struct sb_cond) == sizeof(struct shmbus_cond), "cond size");

static int sb_cond_get(struct shmbus_cond *pub, struct sb_cond **out, struct sb_ref **ref)
{
	struct sb_cond *c = (struct sb_cond *)pub;
	int ret = sb_ref(c, sizeof(*c), SB_NO_LOCK_WORD, ref);

	if (ret)
		return ret;
	if (atomic_load_explicit(&c->magic, memory_order_relaxed) != SB_COND_MAGIC)
		return -EINVAL;
	*out = c;
	return 0;
}

int shmbus_cond_init(struct shmbus_cond *pub)
{
	struct sb_cond *c = (struct sb_cond *)pub;
	struct sb_ref *ref;
	int ret = sb_ref(c, sizeof(*c), SB_NO_LOCK_WORD, &ref);

	if (ret)
		return ret;
	atomic_store_explicit(&c->seq, 0, memory_order_relaxed);
	atomic_store_explicit(&c->waiters, 0, memory_order_relaxed);
	atomic_store_explicit(&c->mutex, 0, memory_order_relaxed);
	atomic_store_explicit(&c->bcast, 0, memory_order_relaxed);
	atomic_store_explicit(&c->magic, SB_COND_MAGIC, memory_order_release);
	return 0;
}

static int sb_cond_wait(struct shmbus_cond *pub, struct shmbus_mutex *mpub,
			clockid_t clock, const struct timespec *abstime)
{
	struct shmbus_region *region;
	struct sb_ref *cref, *mref;
	struct sb_mutex *m;
	struct sb_cond *c;
	uint64_t seq_off, word_off;
	uint32_t seq, bcast;
	int ret, lock, fd;

	ret = sb_cond_get(pub, &c, &cref);
	if (ret)
		return ret;
	/* Both lookups share the thread's cache: copy what is needed first. */
	fd = cref->fd;
	seq_off = sb_word_off(cref, &c->seq);
	region = cref->region;

	ret = sb_mutex_get(mpub, &m, &mref);
	if (ret)
		return ret;
	if (shmbus_region_id(mref->region) != shmbus_region_id(region))
		return -EINVAL;
	if (!sb_mutex_held(m, mref))
		return -EPERM;
	atomic_store_explicit(&c->mutex, mref->off / 16 + 1, memory_order_relaxed);
	word_off = sb_word_off(mref, &m->word);
	bcast = atomic_load(&c->bcast);
	atomic_fetch_add(&c->waiters, 1);			/* [A] */
	seq = atomic_load(&c->seq);				/* [B] */
	ret = sb_mutex_unlock_held(m, mref);
	if (!ret)
		ret = sb_sleep(fd, seq_off, seq, SB_BITSET_ANY, clock, abstime);
	if (ret == -EAGAIN || (ret && !(bcast & SB_BCAST_BUSY_MASK) &&
			       atomic_load(&c->bcast) == bcast))
		atomic_fetch_sub(&c->waiters, 1);
	/* The cache entry may have been reused: look the mutex up again. */
	lock = sb_mutex_get(mpub, &m, &mref);
	if (lock) {
		/*
		 * A requeued waiter woken by an unlock took that unlock's one
		 * wake-up: pass it on to the next, or it sleeps on.
		 */
		shmbus_wake(fd, word_off, 1, SB_BITSET_ANY);
		return lock;
	}
	lock = sb_mutex_acquire(m, mref, true, false, CLOCK_MONOTONIC, NULL);
	if (lock)
		return lock;
	/* Woken, or EAGAIN and EINTR: a wake-up, as spurious ones may be. */
	return ret == -EAGAIN || ret == -EINTR ? 0 : ret;
}

int shmbus_cond_wait(struct shmbus_cond *c, struct shmbus_mutex *m)
{
	return sb_cond_wait(c, m, CLOCK_MONOTONIC, NULL);
}

int shmbus_cond_timedwait(struct shmbus_cond *c, struct shmbus_mutex *m,
			  clockid_t clock, const struct timespec *abstime)
{
	int ret = sb_check_time(clock, abstime);

	return ret ? ret : sb_cond_wait(c, m, clock, abstime);
}

int shmbus_cond_signal(struct shmbus_cond *pub)
{
	struct sb_ref *ref;
	struct sb_cond *c;
	int ret = sb_cond_get(pub, &c, &ref);

	if (ret)
		return ret;
	atomic_fetch_add(&c->seq, 1);				/* [C] */
	if (!atomic_load(&c->waiters))				/* [D] */
		return 0;
	return sb_wake_waiters(ref->fd, sb_word_off(ref, &c->seq), 1, &c->waiters);
}

/* The mutex the waiters use, if it is a mutex inside @ref's mapping. */
static struct sb_mutex *sb_cond_mutex(struct sb_cond *c, struct sb_ref *ref)
{
	uint32_t slot = atomic_load_explicit(&c->mutex, memory_order_relaxed);
	struct sb_mutex *m;

	if (!slot)
		return NULL;
	m = sb_addr_of(ref, (uint64_t)(slot - 1) * 16, sizeof(*m));
	return m && sb_mutex_valid(m) ? m : NULL;
}

/* Wake or requeue the waiters of @c: 0 or -errno. */
static int sb_cond_release_all(struct sb_cond *c, struct sb_ref *ref,
			       struct shmbus_requeue *q)
{
	struct sb_mutex *m = sb_cond_mutex(c, ref);
	int ret, tries;

	if (!m)
		return sb_wake_waiters(ref->fd, q->from, UINT32_MAX, &c->waiters);
	q->to = sb_word_off(ref, &m->word);
	/* Requeued waiters are woken only by an unlock that sees WAITERS. */
	atomic_fetch_or(&m->word, SHMBUS_LOCK_WAITERS);
	for (tries = 0; tries < SB_REQUEUE_TRIES; tries++) {
		ret = shmbus_cmp_requeue(ref->fd, q);
		if (ret >= 0) {
			/* Woken and requeued alike are counted out here. */
			if (ret)
				atomic_fetch_sub(&c->waiters, ret);
			return 0;
		}
		if (ret != -EAGAIN)
			return ret;
		/* Another signal moved seq on: requeue behind it. */
		q->expected = atomic_load(&c->seq);
	}
	return sb_wake_waiters(ref->fd, q->from, UINT32_MAX, &c->waiters);
}

int shmbus_cond_broadcast(struct shmbus_cond *pub)
{
	struct shmbus_requeue q = { .nr_wake = 1, .nr_requeue = INT32_MAX };
	struct sb_ref *ref;
	struct sb_cond *c;
	int ret = sb_cond_get(pub, &c, &ref);

	if (ret)
		return ret;
	atomic_fetch_add(&c->bcast, SB_BCAST_BUSY);
	q.expected = atomic_fetch_add(&c->seq, 1) + 1;		/* [C] */
	if (atomic_load(&c->waiters)) {				/* [D] */
		q.from = sb_word_off(ref, &c->seq);
		ret = sb_cond_release_all(c, ref, &q);
	}
	atomic_fetch_add(&c->bcast, SB_BCAST_DONE);
	return ret;
}
