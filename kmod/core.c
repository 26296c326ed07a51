// SPDX-License-Identifier: GPL-2.0
/*
 * The hash of wait queues, and the one way of queueing on a word.
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
 * word held.  shmbus_word_folio() is that rule, for the waiters here and
 * for robust-lock recovery in robust.c alike.
 *
 * Every path that compares a word and then queues on it (WAIT, WAITV,
 * CMP_REQUEUE) goes through shmbus_q_lock() and shmbus_q_unlock(); why
 * that loses no wake-up is written at the top of waitwake.c.
 */
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/sched/task.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "shmbus.h"

static struct shmbus_bucket *shmbus_buckets;
static unsigned int shmbus_bucket_bits;
static u32 shmbus_hash_seed __read_mostly;

/**
 * shmbus_bucket_of() - the bucket of a word
 * @region_key: the region's internal key
 * @offset: byte offset of the word
 *
 * Return: the bucket, always the same one for the same word.
 */
struct shmbus_bucket *shmbus_bucket_of(u64 region_key, u64 offset)
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

/**
 * __shmbus_first_waiter() - the oldest waiter of a word in its bucket
 * @b: the word's bucket, locked
 * @key: the region's internal key
 * @offset: the word's offset
 *
 * Return: the waiter, or NULL if none waits on the word.
 */
struct shmbus_waiter *__shmbus_first_waiter(struct shmbus_bucket *b, u64 key, u64 offset)
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

/**
 * shmbus_next_waiter() - the next waiter of the same word
 * @w: a queued waiter; its bucket is locked
 *
 * Return: the waiter that arrived after @w on its word, or NULL.
 */
struct shmbus_waiter *shmbus_next_waiter(struct shmbus_waiter *w)
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

/**
 * shmbus_word_folio() - the folio holding a word, if it can be read now
 * @r: the region
 * @offset: a validated word offset
 * @fgp: 0, or FGP_LOCK to get the folio locked (the caller may sleep then)
 *
 * Return: the uptodate folio, with a reference (and locked if asked); NULL
 * for a hole, whose words read as 0; ERR_PTR(-EAGAIN) when the page is in
 * swap or not uptodate (being faulted in, or the new copy of a page being
 * migrated or collapsed, whose data may not be there yet): shmbus_swapin()
 * it, which waits for such a folio's lock, and try again.
 */
struct folio *shmbus_word_folio(struct shmbus_region *r, u64 offset, int fgp)
{
	struct folio *folio;

	folio = __filemap_get_folio(r->shm->f_mapping, offset >> PAGE_SHIFT,
				    FGP_ENTRY | fgp, 0);
	if (!folio)
		return NULL;
	if (xa_is_value(folio))
		return ERR_PTR(-EAGAIN);
	if (!folio_test_uptodate(folio)) {
		if (fgp & FGP_LOCK)
			folio_unlock(folio);
		folio_put(folio);
		return ERR_PTR(-EAGAIN);
	}
	return folio;
}

/*
 * Read a word under a bucket lock, so without sleeping.  -EAGAIN means the
 * page must be swapped in first.
 */
static int shmbus_read_word_atomic(struct shmbus_region *r, u64 offset, u32 *val)
{
	struct folio *folio = shmbus_word_folio(r, offset, 0);
	void *kaddr;

	if (!folio) {
		*val = 0;
		return 0;
	}
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	kaddr = kmap_local_page(folio_file_page(folio, offset >> PAGE_SHIFT));
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

/* Lock two buckets in address order; the same bucket once. */
static void shmbus_buckets_lock(struct shmbus_bucket *b1, struct shmbus_bucket *b2)
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

/**
 * shmbus_buckets_unlock() - undo shmbus_buckets_lock()
 * @b1: a bucket
 * @b2: another bucket, or @b1 again
 */
void shmbus_buckets_unlock(struct shmbus_bucket *b1, struct shmbus_bucket *b2)
	__releases(&b1->lock) __releases(&b2->lock)
{
	spin_unlock(&b1->lock);
	if (b1 != b2)
		spin_unlock(&b2->lock);
	else
		__release(&b2->lock);
}

/**
 * shmbus_q_lock() - lock a word's bucket for queueing, and read the word
 * @r: the region
 * @offset: a validated word offset
 * @b: the word's bucket
 * @b2: the bucket waiters will be queued on: @b, but for a requeue's target
 * @val: set to the word's value
 *
 * Counts a coming waiter on @b2 and the region (A), locks both buckets and
 * reads the word.  When the word's page is not readable without sleeping,
 * drops all that, brings the page in and tries again.
 *
 * Return: 0, or -errno when the page cannot be brought in (memory cgroup at
 * its limit, I/O error) and *@val is not set.  Either way the buckets are
 * locked and the count raised on return, to be undone by shmbus_q_unlock()
 * or kept for a waiter that __shmbus_enqueue() puts on @b2.
 */
int shmbus_q_lock(struct shmbus_region *r, u64 offset, struct shmbus_bucket *b,
		  struct shmbus_bucket *b2, u32 *val)
	__acquires(&b->lock) __acquires(&b2->lock)
{
	int ret;

	shmbus_queued_inc(r, b2);
	shmbus_buckets_lock(b, b2);
	while ((ret = shmbus_read_word_atomic(r, offset, val)) == -EAGAIN) {
		shmbus_q_unlock(r, b, b2);
		ret = shmbus_swapin(r, offset);
		/* Locked again even after an error: one way out. */
		shmbus_queued_inc(r, b2);
		shmbus_buckets_lock(b, b2);
		if (ret)
			break;
	}
	return ret;
}

/**
 * shmbus_q_unlock() - unlock the buckets and take back the count
 * @r: the region
 * @b: the word's bucket
 * @b2: the bucket counted by shmbus_q_lock()
 */
void shmbus_q_unlock(struct shmbus_region *r, struct shmbus_bucket *b,
		     struct shmbus_bucket *b2)
	__releases(&b->lock) __releases(&b2->lock)
{
	shmbus_buckets_unlock(b, b2);
	shmbus_queued_dec(r, b2);
}

/**
 * __shmbus_enqueue() - queue a waiter on a bucket, newest of its word
 * @w: the waiter; counted on @b already
 * @b: the bucket, locked
 */
void __shmbus_enqueue(struct shmbus_waiter *w, struct shmbus_bucket *b)
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

/**
 * __shmbus_dequeue() - take a waiter off its bucket's tree and count it out
 * @w: a queued waiter; its bucket is locked
 */
void __shmbus_dequeue(struct shmbus_waiter *w)
{
	lockdep_assert_held(&w->bucket->lock);
	rb_erase(&w->node, &w->bucket->tree);
	RB_CLEAR_NODE(&w->node);
	shmbus_queued_dec(w->region, w->bucket);
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

/**
 * shmbus_unqueue() - take a waiter off its queue, unless a waker did
 * @w: a waiter that was queued
 *
 * Return: true if a waker got there first (and @w is off the queue).
 */
bool shmbus_unqueue(struct shmbus_waiter *w)
{
	struct shmbus_bucket *b = shmbus_lock_waiter_bucket(w);
	bool woken = w->woken;

	if (!woken)
		__shmbus_dequeue(w);
	spin_unlock(&b->lock);
	return woken;
}

/**
 * shmbus_waiter_init() - describe a word the current task waits on
 * @w: the waiter
 * @r: the region
 * @rdonly: waiting through a read-only handle
 * @offset: a validated word offset
 * @bitset: a non-zero bitset
 */
void shmbus_waiter_init(struct shmbus_waiter *w, struct shmbus_region *r,
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
 * shmbus_batch_wake() - wake the tasks of a batch, bucket locks dropped
 * @batch: the batch; empty afterwards
 */
void shmbus_batch_wake(struct shmbus_wake_batch *batch)
{
	unsigned int i;

	for (i = 0; i < batch->nr; i++) {
		wake_up_process(batch->tasks[i]);
		put_task_struct(batch->tasks[i]);
	}
	batch->nr = 0;
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
 * shmbus_hash_init() - allocate the hash of buckets
 *
 * 256 buckets per possible CPU, as futexes have.
 *
 * Return: 0 or -ENOMEM.
 */
int shmbus_hash_init(void)
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
 * shmbus_hash_exit() - free the hash; every waiter is gone by now
 */
void shmbus_hash_exit(void)
{
	kvfree(shmbus_buckets);
}
