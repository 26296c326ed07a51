// SPDX-License-Identifier: GPL-2.0
/*
 * WAIT, WAITV and WAKE: sleeping on words of regions and waking sleepers.
 * The hash of wait queues and the word-reading rules are in core.c,
 * CMP_REQUEUE in requeue.c, poll watches in watch.c.
 *
 * Ordering: how WAIT and WAKE lose no wake-up.  A waker stores a new value
 * from userspace, then calls WAKE; a waiter calls WAIT with the value it
 * last saw:
 *
 *   CPU 0 (waiter)                        CPU 1 (waker)
 *
 *   atomic_inc(&b->waiters);              *word = new;      (user store)
 *   smp_mb(); (A)                         sys_ioctl(WAKE)
 *   spin_lock(&b->lock);                    smp_mb(); (B)
 *   val = *word;                            if (!atomic_read(&b->waiters))
 *   if (val == expected)                        return 0;
 *           enqueue(b);                     spin_lock(&b->lock);
 *   spin_unlock(&b->lock);                  wake the queued waiters
 *   sleep until woken                       spin_unlock(&b->lock);
 *
 * (A) orders the waiter's count increment before its read of the word; (B)
 * orders the waker's store to the word before its read of the count.  So
 * either the waiter reads the new value and returns EAGAIN, or the waker
 * sees a non-zero count and takes the bucket lock, which it can only get
 * once the waiter is queued.  The count lets WAKE return without taking the
 * lock when nobody waits in the bucket.  The region's count of queued
 * waiters and watches (r->nr_queued) is raised and read the same way, next
 * to the bucket's, before (A) and after (B): a WAKE on a region nobody
 * waits on returns without looking at a bucket at all, however full other
 * regions' waiters and watches make the buckets.
 *
 * A waker marks a waiter woken (C: smp_store_release of ->woken, under the
 * bucket lock, after unlinking it) and from then on must not touch it: the
 * waiter may see the flag, return and free its stack.  The waker holds its
 * own reference on the task for the wake_up_process() it does after dropping
 * the bucket lock (the deferred wake batch).  A waiter that gives up
 * (timeout, signal) takes the bucket lock and either finds itself marked
 * woken (the wake wins) or unlinks itself.  CMP_REQUEUE moves waiters between
 * buckets with both locks held and updates ->bucket, so a waiter locks
 * READ_ONCE(->bucket) and checks it did not change before trusting it.
 * Every path that compares a word before queueing (WAIT, WAITV,
 * CMP_REQUEUE) counts, locks and reads through shmbus_q_lock() in core.c,
 * the waiter's side of the diagram; a watch compares nothing and is queued
 * under its bucket lock after the same count.
 */
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

#include "shmbus.h"
#include "shmbus_trace.h"

/**
 * struct shmbus_wait_ctx - one task's WAIT or WAITV
 * @ws: its waiters
 * @nr: how many
 * @regions: the regions they wait on, each once
 * @nr_regions: how many
 * @counted: the task is counted in its regions' nr_waiters; cleared, with
 *	the counts, by whoever wakes it first or by the task when it leaves
 *
 * A waker may use the context while it holds the bucket lock of a queued
 * waiter of the task: the task cannot leave before it has taken that lock.
 */
struct shmbus_wait_ctx {
	struct shmbus_waiter *ws;
	unsigned int nr;
	struct shmbus_region **regions;
	unsigned int nr_regions;
	atomic_t counted;
};

static void shmbus_batch_add(struct shmbus_wake_batch *batch, struct task_struct *task)
{
	if (batch->nr < SHMBUS_WAKE_BATCH) {
		batch->tasks[batch->nr++] = task;
		return;
	}
	wake_up_process(task);
	put_task_struct(task);
}

/*
 * Add @delta to nr_waiters of every region the wait is on, once each: a
 * task is one sleeper of a region however many of its words it waits on.
 * Called under a bucket lock by the waker: one step per region.
 */
static void shmbus_count_sleeper(struct shmbus_wait_ctx *ctx, int delta)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_regions; i++)
		atomic_add(delta, &ctx->regions[i]->nr_waiters);
}

/* Stop counting the task as a sleeper, if nobody did yet. */
static void shmbus_uncount_sleeper(struct shmbus_wait_ctx *ctx)
{
	if (atomic_xchg(&ctx->counted, 0))
		shmbus_count_sleeper(ctx, -1);
}

/**
 * __shmbus_mark_woken() - unlink a sleeping waiter and hand its task to a batch
 * @w: a queued task's waiter; its bucket is locked
 * @batch: the batch the task is woken from once the lock is dropped
 */
void __shmbus_mark_woken(struct shmbus_waiter *w, struct shmbus_wake_batch *batch)
{
	struct task_struct *task = w->task;

	lockdep_assert_held(&w->bucket->lock);
	__shmbus_dequeue(w);
	shmbus_uncount_sleeper(w->ctx);
	get_task_struct(task);
	/* (C): after this store @w belongs to the waiter again. */
	smp_store_release(&w->woken, 1);
	shmbus_batch_add(batch, task);
}

/*
 * Queue @w, which describes the word to wait on, if the word holds
 * @expected.  Return: 0 when queued, -EAGAIN when the value differs.
 */
static int shmbus_queue(struct shmbus_waiter *w, u32 expected)
{
	struct shmbus_bucket *b = shmbus_bucket_of(w->region_key, w->offset);
	u32 val;
	int ret;

	ret = shmbus_q_lock(w->region, w->offset, b, b, &val);
	if (ret || val != expected) {
		shmbus_q_unlock(w->region, b, b);
		return ret ?: -EAGAIN;
	}
	__shmbus_enqueue(w, b);	/* keeps the count */
	shmbus_buckets_unlock(b, b);
	trace_shmbus_wait_start(w->region->id, w->offset, expected, w->bitset);
	return 0;
}

/* Dequeue the first @nr waiters; return the lowest woken index or -1. */
static int shmbus_unqueue_multiple(struct shmbus_waiter *ws, unsigned int nr)
{
	int first = -1;
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (shmbus_unqueue(&ws[i]) && first < 0)
			first = i;
	return first;
}

struct shmbus_timeout {
	bool set;
	clockid_t clock;
	ktime_t expires;
};

/* Flags and @ns were checked by ioctl.c (shmbus_timeout_ok()). */
static void shmbus_timeout_init(struct shmbus_timeout *t, u32 flags, u64 ns)
{
	u32 mode = flags & (SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE);
	ktime_t now;

	switch (flags & SHMBUS_WAIT_CLOCK_MASK) {
	case SHMBUS_WAIT_CLOCK_REALTIME:
		t->clock = CLOCK_REALTIME;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get_real() : 0;
		break;
	case SHMBUS_WAIT_CLOCK_BOOTTIME:
		t->clock = CLOCK_BOOTTIME;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get_boottime() : 0;
		break;
	default:
		t->clock = CLOCK_MONOTONIC;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get() : 0;
		break;
	}
	t->set = mode != 0;
	if (mode)
		t->expires = ktime_add_safe(now, ns_to_ktime(ns));
}

static bool shmbus_any_woken(struct shmbus_waiter *ws, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (smp_load_acquire(&ws[i].woken))	/* pairs with (C) */
			return true;
	return false;
}

/* Sleep until a waiter of @ws is woken, the timeout passes or a signal. */
static int shmbus_sleep(struct shmbus_waiter *ws, unsigned int nr,
			struct shmbus_timeout *t)
{
	u64 slack = current->timer_slack_ns;
	bool expired = false;
	int ret = 0;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (shmbus_any_woken(ws, nr))
			break;
		if (expired) {
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (!schedule_hrtimeout_range_clock(t->set ? &t->expires : NULL, slack,
						    HRTIMER_MODE_ABS, t->clock))
			expired = true;
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * Queue every waiter, sleep, dequeue.  Return: the lowest index woken, or
 * -EAGAIN, -ETIMEDOUT, -EINTR or another error.
 */
static int shmbus_wait_multiple(struct shmbus_waiter *ws, const u32 *expected,
				unsigned int nr, struct shmbus_region **regions,
				unsigned int nr_regions, struct shmbus_timeout *t)
{
	struct shmbus_wait_ctx ctx = {
		.ws = ws, .nr = nr, .regions = regions, .nr_regions = nr_regions,
	};
	unsigned int i;
	int ret = 0, woken;

	for (i = 0; i < nr; i++) {
		ws[i].ctx = &ctx;
		ret = shmbus_queue(&ws[i], expected[i]);
		if (ret)
			break;
	}
	if (!ret) {
		/*
		 * Counted once queued, so a sleeper seen in nr_waiters can be
		 * woken.  A wake that came first found nothing to uncount:
		 * the full barrier of the xchg orders this against its (C).
		 */
		shmbus_count_sleeper(&ctx, 1);
		atomic_xchg(&ctx.counted, 1);
		if (shmbus_any_woken(ws, nr))
			shmbus_uncount_sleeper(&ctx);
		ret = shmbus_sleep(ws, nr, t);
	}
	woken = shmbus_unqueue_multiple(ws, i);
	shmbus_uncount_sleeper(&ctx);
	for (i = 0; i < nr; i++)
		trace_shmbus_wait_end(ws[i].region->id, ws[i].offset,
				      woken >= 0 ? (int)i == woken : ret);
	return woken >= 0 ? woken : ret;
}

/**
 * shmbus_wait() - SHMBUS_IOC_WAIT
 * @h: the caller's bound handle
 * @a: arguments, every field checked by ioctl.c
 *
 * Return: 0 when woken, -EAGAIN, -ETIMEDOUT, -EINTR, or -ENOMEM or -EIO
 * when the word's page cannot be swapped in.
 */
int shmbus_wait(struct shmbus_handle *h, const struct shmbus_wait *a)
{
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_timeout t;
	struct shmbus_waiter w;
	int ret;

	shmbus_timeout_init(&t, a->flags, a->timeout_ns);
	shmbus_waiter_init(&w, r, h->rdonly, a->offset, a->bitset);
	ret = shmbus_wait_multiple(&w, &a->expected, 1, &r, 1, &t);
	return ret > 0 ? 0 : ret;
}

static int shmbus_region_ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct shmbus_region * const *)a;
	uintptr_t y = (uintptr_t)*(struct shmbus_region * const *)b;

	return x < y ? -1 : x > y;
}

/* Sort @regions and keep each once.  Return: how many are left. */
static unsigned int shmbus_distinct_regions(struct shmbus_region **regions, unsigned int nr)
{
	unsigned int i, n = 0;

	sort(regions, nr, sizeof(*regions), shmbus_region_ptr_cmp, NULL);
	for (i = 0; i < nr; i++)
		if (!n || regions[n - 1] != regions[i])
			regions[n++] = regions[i];
	return n;
}

/**
 * shmbus_waitv() - SHMBUS_IOC_WAITV
 * @self: the file the ioctl was called on
 * @entries: the entries, copied in
 * @nr: number of entries, 1..SHMBUS_WAITV_MAX
 * @flags: checked SHMBUS_WAIT_* flags
 * @timeout_ns: the timeout, checked with @flags
 *
 * Return: index of the entry woken, or -EINVAL, -EBADF, -ENXIO, -EAGAIN,
 * -ETIMEDOUT, -EINTR.
 */
int shmbus_waitv(struct file *self, const struct shmbus_waitv_entry *entries,
		 unsigned int nr, u32 flags, u64 timeout_ns)
{
	struct shmbus_region **regions;
	struct shmbus_timeout t;
	struct shmbus_waiter *ws;
	struct file **files;
	u32 *expected;
	unsigned int i;
	int ret;

	shmbus_timeout_init(&t, flags, timeout_ns);
	/*
	 * One allocation for the per-entry arrays, in order of alignment; at
	 * 128 entries it passes 8 KiB, where kvcalloc() need not find
	 * contiguous pages.
	 */
	ws = kvcalloc(nr, sizeof(*ws) + sizeof(*files) + sizeof(*regions) + sizeof(*expected),
		      GFP_KERNEL_ACCOUNT);
	if (!ws)
		return -ENOMEM;
	files = (struct file **)(ws + nr);
	regions = (struct shmbus_region **)(files + nr);
	expected = (u32 *)(regions + nr);
	/* Hold every file, so every region, for the whole wait. */
	for (i = 0; i < nr; i++) {
		const struct shmbus_waitv_entry *e = &entries[i];
		struct shmbus_handle *h;
		struct shmbus_region *r;

		if (e->pad || !e->bitset) {
			ret = -EINVAL;
			goto out;
		}
		files[i] = e->fd == SHMBUS_WAITV_SELF ? get_file(self) : fget(e->fd);
		if (!files[i]) {
			ret = -EBADF;
			goto out;
		}
		h = shmbus_file_handle(files[i]);
		if (!h) {
			ret = -EBADF;
			goto out;
		}
		r = shmbus_handle_region(h);
		if (!r) {
			ret = -ENXIO;
			goto out;
		}
		ret = shmbus_word_ok(r, e->offset);
		if (ret)
			goto out;
		shmbus_waiter_init(&ws[i], r, h->rdonly, e->offset, e->bitset);
		regions[i] = r;
		expected[i] = e->expected;
	}
	ret = shmbus_wait_multiple(ws, expected, nr, regions,
				   shmbus_distinct_regions(regions, nr), &t);
out:
	for (i = 0; i < nr && files[i]; i++)
		fput(files[i]);
	kvfree(ws);
	return ret;
}

/**
 * shmbus_wake() - wake waiters on a word (SHMBUS_IOC_WAKE)
 * @r: the region
 * @offset: a validated word offset
 * @count: wake at most this many
 * @bitset: wake only waiters whose bitset intersects it; non-zero
 *
 * Watches on the word are notified, and waiters that wait through read-only
 * handles woken, whatever @count says; neither is counted.
 *
 * Return: the number of tasks woken, read-only waiters not included.
 */
int shmbus_wake(struct shmbus_region *r, u64 offset, u32 count, u32 bitset)
{
	struct shmbus_bucket *b = shmbus_bucket_of(r->key, offset);
	struct shmbus_wake_batch batch = { .nr = 0 };
	struct shmbus_waiter *w, *tmp;
	int woken = 0;

	smp_mb();	/* (B), see the comment at the top */
	if (!atomic_read(&r->nr_queued) || !atomic_read(&b->waiters))
		goto out;

	spin_lock(&b->lock);
	for (w = __shmbus_first_waiter(b, r->key, offset); w; w = tmp) {
		tmp = shmbus_next_waiter(w);	/* @w may leave the tree */
		if (!(w->bitset & bitset))
			continue;
		if (w->watch) {
			__shmbus_notify_watch(w);
			continue;
		}
		if (w->rdonly) {
			__shmbus_mark_woken(w, &batch);
			continue;
		}
		if (woken >= count || woken == INT_MAX)
			continue;
		__shmbus_mark_woken(w, &batch);
		woken++;
	}
	spin_unlock(&b->lock);
	shmbus_batch_wake(&batch);
out:
	trace_shmbus_wake(r->id, offset, count, bitset, woken);
	return woken;
}
