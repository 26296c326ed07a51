// SPDX-License-Identifier: GPL-2.0
/*
 * Futex-style wait/wake on 32-bit words of a region.
 *
 * Waiters sleep in a hash of buckets keyed by (region key, offset), never by
 * user address: a word is the same word whatever address each process maps
 * it at, a process may wait on a region it has not mapped, and since region
 * keys are never reused while the module is loaded, a freed region's key can
 * never collide with a new region's.  Each bucket has its own lock; there is
 * no global lock on these paths.  The hash is seeded with a secret random
 * value, so nobody can aim their waiters at another user's bucket, and a
 * bucket keeps its waiters in a tree ordered by (region key, offset,
 * arrival), so a wake-up visits only the waiters of its own word, however
 * many others (a user's thousands of poll watches) share the bucket.
 *
 * The word itself is read through the region's page cache (the shmem file),
 * not through a user mapping.  A page never touched is a hole and reads as
 * 0 without being allocated.  A page being faulted in, migrated or
 * collapsed into a huge page is in the page cache, locked and not yet
 * uptodate, before its contents are there: such a word is not read but
 * waited for (the folio lock), so a comparison only ever sees a value the
 * word held.
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
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/hrtimer.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "shmbus.h"

#define CREATE_TRACE_POINTS
#include "shmbus_trace.h"

/**
 * struct shmbus_bucket - one hash bucket of waiters
 * @waiters: queued waiters and watchers, read without the lock by WAKE
 * @lock: protects @tree, @seq and the waiters in the tree
 * @tree: waiters and watchers, ordered by (region key, offset, seq)
 * @seq: arrival number of the next waiter queued here
 */
struct shmbus_bucket {
	atomic_t waiters;
	spinlock_t lock;	/* protects tree and seq */
	struct rb_root tree;
	u64 seq;
} ____cacheline_aligned_in_smp;

/**
 * struct shmbus_waiter - a task, or a poll watch, queued on a word
 * @node: entry in the bucket's tree; RB_EMPTY_NODE() when not queued
 * @bucket: the bucket it is queued on; changed only with that bucket's lock
 *	(and the target's) held, by CMP_REQUEUE
 * @region: region of the word
 * @region_key: key, part 1 (the region's never-reused internal key)
 * @offset: key, part 2
 * @seq: arrival order among the waiters of the word (oldest first)
 * @bitset: wakes must intersect it
 * @task: the sleeping task, NULL for a watch
 * @rdonly: queued through a read-only handle: woken by every wake-up that
 *	reaches its word, never counted against one, never requeued, so that a
 *	reader cannot take a writer's wake-up
 * @watch: the handle to notify, for a watch
 * @ctx: the wait this waiter is part of; NULL for a watch
 * @woken: set (C) by the waker once the waiter is unlinked and may go
 */
struct shmbus_waiter {
	struct rb_node node;
	struct shmbus_bucket *bucket;
	struct shmbus_region *region;
	u64 region_key;
	u64 offset;
	u64 seq;
	u32 bitset;
	struct task_struct *task;
	bool rdonly;
	struct shmbus_handle *watch;
	struct shmbus_wait_ctx *ctx;
	int woken;
};

/**
 * struct shmbus_wait_ctx - one task's WAIT or WAITV
 * @ws: its waiters
 * @nr: how many
 * @counted: the task is counted in its regions' nr_waiters; cleared, with
 *	the counts, by whoever wakes it first or by the task when it leaves
 *
 * A waker may use the context while it holds the bucket lock of a queued
 * waiter of the task: the task cannot leave before it has taken that lock.
 */
struct shmbus_wait_ctx {
	struct shmbus_waiter *ws;
	unsigned int nr;
	atomic_t counted;
};

#define SHMBUS_WAKE_BATCH	32

/*
 * Tasks to wake once the bucket locks are dropped.  Past the batch size,
 * tasks are woken with the lock held: correct, just slower.
 */
struct shmbus_wake_batch {
	unsigned int nr;
	struct task_struct *tasks[SHMBUS_WAKE_BATCH];
};

static struct shmbus_bucket *shmbus_buckets;
static unsigned int shmbus_bucket_bits;
static u32 shmbus_hash_seed __read_mostly;

static struct shmbus_bucket *shmbus_bucket_of(u64 region_key, u64 offset)
{
	u32 key[4] = {
		lower_32_bits(region_key), upper_32_bits(region_key),
		lower_32_bits(offset), upper_32_bits(offset),
	};

	return &shmbus_buckets[hash_32(jhash2(key, 4, shmbus_hash_seed), shmbus_bucket_bits)];
}

/* Order of the bucket tree: by word, then by arrival. */
static int shmbus_waiter_cmp(const struct shmbus_waiter *w, u64 key, u64 offset, u64 seq)
{
	if (w->region_key != key)
		return w->region_key < key ? -1 : 1;
	if (w->offset != offset)
		return w->offset < offset ? -1 : 1;
	if (w->seq != seq)
		return w->seq < seq ? -1 : 1;
	return 0;
}

static bool shmbus_waiter_on(const struct shmbus_waiter *w, u64 key, u64 offset)
{
	return w->region_key == key && w->offset == offset;
}

/* The oldest waiter of the word (@key, @offset) in @b, or NULL. */
static struct shmbus_waiter *__shmbus_first_waiter(struct shmbus_bucket *b, u64 key,
						   u64 offset)
{
	struct rb_node *n = b->tree.rb_node;
	struct shmbus_waiter *first = NULL, *w;

	lockdep_assert_held(&b->lock);
	while (n) {
		w = rb_entry(n, struct shmbus_waiter, node);
		if (shmbus_waiter_cmp(w, key, offset, 0) < 0) {
			n = n->rb_right;
		} else {
			first = w;
			n = n->rb_left;
		}
	}
	return first && shmbus_waiter_on(first, key, offset) ? first : NULL;
}

/* The next waiter of the same word after @w, or NULL. */
static struct shmbus_waiter *shmbus_next_waiter(struct shmbus_waiter *w)
{
	struct rb_node *n = rb_next(&w->node);
	struct shmbus_waiter *next;

	if (!n)
		return NULL;
	next = rb_entry(n, struct shmbus_waiter, node);
	return shmbus_waiter_on(next, w->region_key, w->offset) ? next : NULL;
}

/**
 * shmbus_word_ok() - validate the offset of a word in a region
 * @r: the region
 * @offset: byte offset
 *
 * Return: 0, or -EINVAL if it is not 4-byte aligned or not inside.
 */
int shmbus_word_ok(struct shmbus_region *r, u64 offset)
{
	if (offset & 3 || offset >= r->size || r->size - offset < sizeof(u32))
		return -EINVAL;
	return 0;
}

/*
 * Read a word under a bucket lock, so without sleeping.  -EAGAIN means the
 * page is in swap: drop the lock, shmbus_swapin(), try again.
 */
static int shmbus_read_word_atomic(struct shmbus_region *r, u64 offset, u32 *val)
{
	struct address_space *mapping = r->shm->f_mapping;
	pgoff_t index = offset >> PAGE_SHIFT;
	struct folio *folio;
	void *kaddr;

	folio = __filemap_get_folio(mapping, index, FGP_ENTRY, 0);
	if (!folio) {
		*val = 0;	/* a hole: never touched, reads as zero */
		return 0;
	}
	if (xa_is_value(folio))
		return -EAGAIN;
	/*
	 * Not uptodate: being faulted in, or the new copy of a page being
	 * migrated or collapsed, whose data may not be there yet.  Its
	 * folio lock is held until it is: wait for it in shmbus_swapin().
	 */
	if (!folio_test_uptodate(folio)) {
		folio_put(folio);
		return -EAGAIN;
	}
	kaddr = kmap_local_page(folio_file_page(folio, index));
	*val = READ_ONCE(*(u32 *)(kaddr + offset_in_page(offset)));
	kunmap_local(kaddr);
	folio_put(folio);
	return 0;
}

/**
 * shmbus_swapin() - make the page holding a word readable
 * @r: the region
 * @offset: byte offset of the word
 *
 * Brings the page back from swap, or waits (on its folio lock) until a page
 * being faulted in, migrated or collapsed is uptodate.
 *
 * Context: may sleep.  Return: 0 or -errno.
 */
int shmbus_swapin(struct shmbus_region *r, u64 offset)
{
	struct address_space *mapping = r->shm->f_mapping;
	struct page *page;

	page = shmem_read_mapping_page_gfp(mapping, offset >> PAGE_SHIFT,
					   mapping_gfp_mask(mapping));
	if (IS_ERR(page))
		return PTR_ERR(page);
	put_page(page);
	return 0;
}

/* Count a waiter in its region and bucket before it reads its word. */
static void shmbus_queued_inc(struct shmbus_region *r, struct shmbus_bucket *b)
{
	atomic_inc(&r->nr_queued);
	atomic_inc(&b->waiters);
	smp_mb__after_atomic();	/* (A), see the comment at the top */
}

static void shmbus_queued_dec(struct shmbus_region *r, struct shmbus_bucket *b)
{
	atomic_dec(&b->waiters);
	atomic_dec(&r->nr_queued);
}

static void shmbus_batch_add(struct shmbus_wake_batch *batch, struct task_struct *task)
{
	if (batch->nr < SHMBUS_WAKE_BATCH) {
		batch->tasks[batch->nr++] = task;
		return;
	}
	wake_up_process(task);
	put_task_struct(task);
}

static void shmbus_batch_wake(struct shmbus_wake_batch *batch)
{
	unsigned int i;

	for (i = 0; i < batch->nr; i++) {
		wake_up_process(batch->tasks[i]);
		put_task_struct(batch->tasks[i]);
	}
	batch->nr = 0;
}

/* Is ws[i] the first entry of its region?  (Count a task once per region.) */
static bool shmbus_first_of_region(struct shmbus_waiter *ws, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (ws[j].region == ws[i].region)
			return false;
	return true;
}

/* Add @delta to nr_waiters of every region the wait is on, once each. */
static void shmbus_count_sleeper(struct shmbus_wait_ctx *ctx, int delta)
{
	unsigned int i;

	for (i = 0; i < ctx->nr; i++)
		if (shmbus_first_of_region(ctx->ws, i))
			atomic_add(delta, &ctx->ws[i].region->nr_waiters);
}

/* Stop counting the task as a sleeper, if nobody did yet. */
static void shmbus_uncount_sleeper(struct shmbus_wait_ctx *ctx)
{
	if (atomic_xchg(&ctx->counted, 0))
		shmbus_count_sleeper(ctx, -1);
}

/* Put @w, whose bucket's waiters count is already raised, on @b, newest. */
static void __shmbus_enqueue(struct shmbus_waiter *w, struct shmbus_bucket *b)
{
	struct rb_node **link = &b->tree.rb_node, *parent = NULL;

	lockdep_assert_held(&b->lock);
	WRITE_ONCE(w->bucket, b);
	w->woken = 0;
	w->seq = b->seq++;
	while (*link) {
		parent = *link;
		if (shmbus_waiter_cmp(rb_entry(parent, struct shmbus_waiter, node),
				      w->region_key, w->offset, w->seq) < 0)
			link = &parent->rb_right;
		else
			link = &parent->rb_left;
	}
	rb_link_node(&w->node, parent, link);
	rb_insert_color(&w->node, &b->tree);
}

/* Take @w off its bucket's tree and count it out. */
static void __shmbus_dequeue(struct shmbus_waiter *w)
{
	lockdep_assert_held(&w->bucket->lock);
	rb_erase(&w->node, &w->bucket->tree);
	RB_CLEAR_NODE(&w->node);
	shmbus_queued_dec(w->region, w->bucket);
}

/* Unlink a sleeping waiter and hand its task to the batch. */
static void __shmbus_mark_woken(struct shmbus_waiter *w, struct shmbus_wake_batch *batch)
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

static void __shmbus_notify_watch(struct shmbus_waiter *w)
{
	struct shmbus_handle *h = w->watch;

	lockdep_assert_held(&w->bucket->lock);
	atomic64_inc(&h->watch_events);
	wake_up_interruptible_poll(&h->watch_wq, EPOLLIN | EPOLLRDNORM);
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

	for (;;) {
		shmbus_queued_inc(w->region, b);
		spin_lock(&b->lock);
		ret = shmbus_read_word_atomic(w->region, w->offset, &val);
		if (ret != -EAGAIN)
			break;
		spin_unlock(&b->lock);
		shmbus_queued_dec(w->region, b);
		ret = shmbus_swapin(w->region, w->offset);
		if (ret)
			return ret;
	}
	if (val != expected) {
		spin_unlock(&b->lock);
		shmbus_queued_dec(w->region, b);
		return -EAGAIN;
	}
	__shmbus_enqueue(w, b);
	spin_unlock(&b->lock);
	trace_shmbus_wait_start(w->region->id, w->offset, expected, w->bitset);
	return 0;
}

/* Lock the bucket @w is queued on, following requeues. */
static struct shmbus_bucket *shmbus_lock_waiter_bucket(struct shmbus_waiter *w)
	__acquires(&w->bucket->lock)
{
	struct shmbus_bucket *b;

	for (;;) {
		b = READ_ONCE(w->bucket);
		spin_lock(&b->lock);
		if (b == READ_ONCE(w->bucket))
			return b;
		spin_unlock(&b->lock);
	}
}

/* Take @w off its queue.  Return: true if a waker got there first. */
static bool shmbus_unqueue(struct shmbus_waiter *w)
{
	struct shmbus_bucket *b = shmbus_lock_waiter_bucket(w);
	bool woken = w->woken;

	if (!woken)
		__shmbus_dequeue(w);
	spin_unlock(&b->lock);
	return woken;
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

static int shmbus_timeout_init(struct shmbus_timeout *t, u32 flags, u64 ns)
{
	u32 mode = flags & (SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE);
	ktime_t now;

	switch (flags & SHMBUS_WAIT_CLOCK_MASK) {
	case SHMBUS_WAIT_CLOCK_MONOTONIC:
		t->clock = CLOCK_MONOTONIC;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get() : 0;
		break;
	case SHMBUS_WAIT_CLOCK_REALTIME:
		t->clock = CLOCK_REALTIME;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get_real() : 0;
		break;
	case SHMBUS_WAIT_CLOCK_BOOTTIME:
		t->clock = CLOCK_BOOTTIME;
		now = mode == SHMBUS_WAIT_RELATIVE ? ktime_get_boottime() : 0;
		break;
	default:
		return -EINVAL;
	}
	t->set = mode != 0;
	if (!mode)
		return ns ? -EINVAL : 0;
	if (mode == (SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE) || ns > KTIME_MAX)
		return -EINVAL;
	t->expires = ktime_add_safe(now, ns_to_ktime(ns));
	return 0;
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
				unsigned int nr, struct shmbus_timeout *t)
{
	struct shmbus_wait_ctx ctx = { .ws = ws, .nr = nr };
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

static void shmbus_waiter_init(struct shmbus_waiter *w, struct shmbus_region *r,
			       bool rdonly, u64 offset, u32 bitset)
{
	RB_CLEAR_NODE(&w->node);
	w->region = r;
	w->region_key = r->key;
	w->offset = offset;
	w->bitset = bitset;
	w->task = current;
	w->rdonly = rdonly;
	w->watch = NULL;
	w->ctx = NULL;
	w->woken = 0;
}

/**
 * shmbus_wait() - SHMBUS_IOC_WAIT
 * @h: the caller's bound handle
 * @a: arguments; flags, bitset and reserved fields already checked
 *
 * Return: 0 when woken, -EINVAL, -EAGAIN, -ETIMEDOUT or -EINTR.
 */
int shmbus_wait(struct shmbus_handle *h, const struct shmbus_wait *a)
{
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_timeout t;
	struct shmbus_waiter w;
	int ret;

	ret = shmbus_word_ok(r, a->offset);
	if (ret)
		return ret;
	ret = shmbus_timeout_init(&t, a->flags, a->timeout_ns);
	if (ret)
		return ret;
	shmbus_waiter_init(&w, r, h->rdonly, a->offset, a->bitset);
	ret = shmbus_wait_multiple(&w, &a->expected, 1, &t);
	return ret > 0 ? 0 : ret;
}

/**
 * shmbus_waitv() - SHMBUS_IOC_WAITV
 * @self: the file the ioctl was called on
 * @entries: the entries, copied in
 * @nr: number of entries, 1..SHMBUS_WAITV_MAX
 * @flags: checked SHMBUS_WAIT_* flags
 * @timeout_ns: the timeout
 *
 * Return: index of the entry woken, or -EINVAL, -EBADF, -ENXIO, -EAGAIN,
 * -ETIMEDOUT, -EINTR.
 */
int shmbus_waitv(struct file *self, const struct shmbus_waitv_entry *entries,
		 unsigned int nr, u32 flags, u64 timeout_ns)
{
	struct shmbus_timeout t;
	struct shmbus_waiter *ws;
	struct file **files;
	u32 *expected;
	unsigned int i;
	int ret;

	ret = shmbus_timeout_init(&t, flags, timeout_ns);
	if (ret)
		return ret;
	ws = kcalloc(nr, sizeof(*ws), GFP_KERNEL_ACCOUNT);
	files = kcalloc(nr, sizeof(*files), GFP_KERNEL_ACCOUNT);
	expected = kcalloc(nr, sizeof(*expected), GFP_KERNEL_ACCOUNT);
	if (!ws || !files || !expected) {
		ret = -ENOMEM;
		goto out;
	}
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
		expected[i] = e->expected;
	}
	ret = shmbus_wait_multiple(ws, expected, nr, &t);
out:
	for (i = 0; files && i < nr && files[i]; i++)
		fput(files[i]);
	kfree(expected);
	kfree(files);
	kfree(ws);
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

/* Lock two buckets in address order; the same bucket once. */
static void shmbus_double_lock(struct shmbus_bucket *b1, struct shmbus_bucket *b2)
	__acquires(&b1->lock) __acquires(&b2->lock)
{
	if (b1 > b2)
		swap(b1, b2);
	spin_lock(&b1->lock);
	if (b1 != b2)
		spin_lock_nested(&b2->lock, SINGLE_DEPTH_NESTING);
	else
		__acquire(&b2->lock);
}

static void shmbus_double_unlock(struct shmbus_bucket *b1, struct shmbus_bucket *b2)
	__releases(&b1->lock) __releases(&b2->lock)
{
	spin_unlock(&b1->lock);
	if (b1 != b2)
		spin_unlock(&b2->lock);
	else
		__release(&b2->lock);
}

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
 * @a: arguments; flags, from != to and reserved fields checked; woken and
 *	requeued are set
 *
 * Return: woken + requeued, or -EINVAL or -EAGAIN.
 */
int shmbus_cmp_requeue(struct shmbus_region *r, struct shmbus_requeue *a)
{
	struct shmbus_wake_batch batch = { .nr = 0 };
	struct shmbus_bucket *b1, *b2;
	struct shmbus_waiter *w, *tmp;
	u32 val, woken = 0, moved = 0;
	int ret;

	ret = shmbus_word_ok(r, a->from) ?: shmbus_word_ok(r, a->to);
	if (ret)
		return ret;
	b1 = shmbus_bucket_of(r->key, a->from);
	b2 = shmbus_bucket_of(r->key, a->to);

	for (;;) {
		/* Waiters may land on @b2: count first, as a waiter does (A). */
		shmbus_queued_inc(r, b2);
		shmbus_double_lock(b1, b2);
		ret = shmbus_read_word_atomic(r, a->from, &val);
		if (ret != -EAGAIN)
			break;
		shmbus_double_unlock(b1, b2);
		shmbus_queued_dec(r, b2);
		ret = shmbus_swapin(r, a->from);
		if (ret)
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
	shmbus_double_unlock(b1, b2);
	shmbus_queued_dec(r, b2);
	shmbus_batch_wake(&batch);
	trace_shmbus_wake(r->id, a->from, a->nr_wake, SHMBUS_BITSET_ANY, woken);
	return ret;
}

/**
 * shmbus_word_has_sleepers() - does a task sleep on a word?
 * @r: the region
 * @offset: a validated word offset
 *
 * Return: true if at least one task (not a watch) is queued on the word.
 */
bool shmbus_word_has_sleepers(struct shmbus_region *r, u64 offset)
{
	struct shmbus_bucket *b = shmbus_bucket_of(r->key, offset);
	struct shmbus_waiter *w;
	bool found = false;

	if (!atomic_read(&r->nr_queued) || !atomic_read(&b->waiters))
		return false;
	spin_lock(&b->lock);
	for (w = __shmbus_first_waiter(b, r->key, offset); w; w = shmbus_next_waiter(w)) {
		if (w->task) {
			found = true;
			break;
		}
	}
	spin_unlock(&b->lock);
	return found;
}

/**
 * shmbus_watch_add() - SHMBUS_IOC_WATCH
 * @h: a bound handle
 * @offset: the word
 * @bitset: a checked, non-zero bitset
 *
 * Return: 0, -EINVAL, -EEXIST, -ENOSPC or -ENOMEM.
 */
int shmbus_watch_add(struct shmbus_handle *h, u64 offset, u32 bitset)
{
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_waiter *watch;
	struct shmbus_bucket *b;
	unsigned int i;
	int ret;

	ret = shmbus_word_ok(r, offset);
	if (ret)
		return ret;
	mutex_lock(&h->watch_lock);
	for (i = 0; i < h->nr_watches; i++) {
		if (h->watches[i]->offset == offset) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (h->nr_watches == SHMBUS_WATCH_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	watch = kzalloc(sizeof(*watch), GFP_KERNEL_ACCOUNT);
	if (!watch) {
		ret = -ENOMEM;
		goto out;
	}
	shmbus_waiter_init(watch, r, false, offset, bitset);
	watch->task = NULL;
	watch->watch = h;
	b = shmbus_bucket_of(r->key, offset);
	shmbus_queued_inc(r, b);
	spin_lock(&b->lock);
	__shmbus_enqueue(watch, b);
	spin_unlock(&b->lock);
	h->watches[h->nr_watches++] = watch;
out:
	mutex_unlock(&h->watch_lock);
	return ret;
}

static void shmbus_watch_free(struct shmbus_waiter *watch)
{
	shmbus_unqueue(watch);
	kfree(watch);
}

/**
 * shmbus_watch_remove() - SHMBUS_IOC_UNWATCH
 * @h: a bound handle
 * @offset: the word
 *
 * Return: 0, -EINVAL or -ENOENT.
 */
int shmbus_watch_remove(struct shmbus_handle *h, u64 offset)
{
	unsigned int i;
	int ret;

	ret = shmbus_word_ok(shmbus_handle_region(h), offset);
	if (ret)
		return ret;
	ret = -ENOENT;
	mutex_lock(&h->watch_lock);
	for (i = 0; i < h->nr_watches; i++) {
		if (h->watches[i]->offset != offset)
			continue;
		shmbus_watch_free(h->watches[i]);
		h->watches[i] = h->watches[--h->nr_watches];
		h->watches[h->nr_watches] = NULL;
		ret = 0;
		break;
	}
	mutex_unlock(&h->watch_lock);
	return ret;
}

/**
 * shmbus_watch_release() - drop every watch of a handle being released
 * @h: the handle
 */
void shmbus_watch_release(struct shmbus_handle *h)
{
	unsigned int i;

	for (i = 0; i < h->nr_watches; i++)
		shmbus_watch_free(h->watches[i]);
	h->nr_watches = 0;
}

/**
 * shmbus_waitwake_init() - allocate the hash of buckets
 *
 * 256 buckets per possible CPU, as futexes have.
 *
 * Return: 0 or -ENOMEM.
 */
int shmbus_waitwake_init(void)
{
	unsigned long nr = roundup_pow_of_two(256 * num_possible_cpus());
	unsigned long i;

	shmbus_hash_seed = get_random_u32();
	shmbus_bucket_bits = ilog2(nr);
	shmbus_buckets = kvcalloc(nr, sizeof(*shmbus_buckets), GFP_KERNEL);
	if (!shmbus_buckets)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		atomic_set(&shmbus_buckets[i].waiters, 0);
		spin_lock_init(&shmbus_buckets[i].lock);
		shmbus_buckets[i].tree = RB_ROOT;
	}
	return 0;
}

/**
 * shmbus_waitwake_exit() - free the hash; every waiter is gone by now
 */
void shmbus_waitwake_exit(void)
{
	kvfree(shmbus_buckets);
}
