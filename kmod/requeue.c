// SPDX-License-Identifier: GPL-2.0
/*
 * CMP_REQUEUE: wake some waiters of one word and move others, without
 * waking them, to another word of the same region, if the first word still
 * holds the expected value (a condition variable's broadcast moves its
 * sleepers onto the mutex instead of waking them all to fight for it).
 *
 * Both buckets are locked, in address order, by shmbus_q_lock(), which
 * counts a coming waiter on the target bucket first, as a waiter does (A in
 * waitwake.c): a WAKE on the target word that follows cannot miss a waiter
 * being moved there.  A moved waiter's ->bucket changes under both locks.
 * Watches are notified (if anybody is woken) and read-only waiters woken,
 * never moved: a reader cannot be made to hold a writer's place in a queue.
 */
#include "shmbus.h"
#include "shmbus_trace.h"

/* Move @w, queued on @from, to the word at @to in bucket @b2, newest. */
static void __shmbus_requeue_one(struct shmbus_waiter *w, struct shmbus_bucket *b2, u64 to)
{
	lockdep_assert_held(&b2->lock);
	__shmbus_dequeue(w);
	w->offset = to;
	atomic_inc(&w->region->nr_queued);
	atomic_inc(&b2->waiters);
	__shmbus_enqueue(w, b2);
}

/**
 * shmbus_cmp_requeue() - SHMBUS_IOC_CMP_REQUEUE
 * @r: the region
 * @a: arguments, every field checked by ioctl.c; woken and requeued are
 *	set
 *
 * Return: woken + requeued, or -EAGAIN, or -ENOMEM or -EIO when the word's
 * page cannot be swapped in.
 */
int shmbus_cmp_requeue(struct shmbus_region *r, struct shmbus_requeue *a)
{
	struct shmbus_wake_batch batch = { .nr = 0 };
	struct shmbus_bucket *b1, *b2;
	struct shmbus_waiter *w, *tmp;
	u32 val, woken = 0, moved = 0;
	int ret;

	b1 = shmbus_bucket_of(r->key, a->from);
	b2 = shmbus_bucket_of(r->key, a->to);

	/* Waiters may land on @b2: count there first, as a waiter does (A). */
	ret = shmbus_q_lock(r, a->from, b1, b2, &val);
	if (ret) {
		/* The word could not be read: nothing happened to trace. */
		shmbus_q_unlock(r, b1, b2);
		return ret;
	}
	if (val != a->expected) {
		ret = -EAGAIN;
		goto unlock;
	}
	for (w = __shmbus_first_waiter(b1, r->key, a->from); w; w = tmp) {
		tmp = shmbus_next_waiter(w);	/* @w may move to @b2 */
		if (w->watch) {
			if (a->nr_wake)
				__shmbus_notify_watch(w);
			continue;
		}
		if (w->rdonly) {
			__shmbus_mark_woken(w, &batch);
			continue;
		}
		if (woken < a->nr_wake && woken < INT_MAX) {
			__shmbus_mark_woken(w, &batch);
			woken++;
		} else if (moved < a->nr_requeue && woken + moved < INT_MAX) {
			__shmbus_requeue_one(w, b2, a->to);
			moved++;
		}
	}
	a->woken = woken;
	a->requeued = moved;
	ret = woken + moved;
unlock:
	shmbus_q_unlock(r, b1, b2);
	shmbus_batch_wake(&batch);
	trace_shmbus_wake(r->id, a->from, a->nr_wake, SHMBUS_BITSET_ANY, woken);
	return ret;
}
