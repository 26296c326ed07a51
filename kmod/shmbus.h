/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmbus private declarations, shared by the files of the module.
 *
 * Lock order: a lock may be taken while those above it on its branch are
 * held, never the other way round.
 *
 *   shmbus_handle.bind_lock         bind, owner id
 *     shmbus_regions_lock           the region table: names, namespaces,
 *                                   users, the list of regions, totals
 *       shmbus_region.perm_lock     uid, gid, mode (spinlock)
 *     shmbus_region.robust_lock     lock-word registry, owner ids
 *       folio lock                  of a lock word's page, at recovery
 *         shmbus_bucket.lock        wait queues (spinlock); two buckets are
 *                                   taken only by shmbus_buckets_lock(), in
 *                                   address order, the second with
 *                                   SINGLE_DEPTH_NESTING
 *           watch_wq's lock         a watch is notified under its bucket lock
 *   shmbus_handle.watch_lock        a handle's watches
 *     shmbus_bucket.lock
 *   mmap_lock                       the core mm's: a VMA's close may drop a
 *     shmbus_regions_lock           region's last reference
 *
 * shmbus_regions_lock is never held while a shmem inode lock is taken (a
 * region's backing file is set up before it) nor while waiting for a folio
 * lock.  Functions whose names start with "__" expect the caller to hold
 * the lock they work under, and say so with lockdep_assert_held().
 */
#ifndef _SHMBUS_H
#define _SHMBUS_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/shmbus.h>

#define SHMBUS_VERSION "0.2.0"

struct folio;
struct ipc_namespace;
struct poll_table_struct;
struct seq_file;
struct shmbus_user;
struct shmbus_waiter;
struct task_struct;

/**
 * struct shmbus_ns - shmbus' view of one IPC namespace
 * @node: entry in the list of namespaces; protected by shmbus_regions_lock
 * @ipc_ns: the namespace; shmbus holds one reference for all its regions
 * @nr_regions: live regions created in the namespace (max_regions)
 * @nr_linked: of those, regions whose name is linked
 * @names: those regions, by their @ns_node
 * @nr_bytes: sum of the sizes of the live regions (max_total_bytes)
 *
 * Names are looked up in the caller's namespace.  The kernel offers modules
 * no hook for namespace teardown: the names of a namespace go once shmbus
 * holds its only reference (nothing else can reach it any more), seen when
 * a shmbus file of one of its regions is released, or by a worker; see
 * region.c.  All fields are protected by shmbus_regions_lock; @nr_linked is
 * also read without it, as a hint, by shmbus_region_put_file().
 */
struct shmbus_ns {
	struct list_head node;
	struct ipc_namespace *ipc_ns;
	unsigned int nr_regions;
	unsigned int nr_linked;
	struct list_head names;
	unsigned long nr_bytes;
};

/**
 * struct shmbus_region - one shared-memory region
 * @ref: references: the linked name, each bound handle, each VMA
 * @key: internal key of wait queues, never shown to userspace: a sequence
 *	number, never reused while the module is loaded
 * @id: region id shown to userspace: a keyed permutation of @key, so as
 *	unique as @key but telling nothing about other regions
 * @size: size in bytes, a multiple of PAGE_SIZE
 * @shm: the shmem file that backs the region
 * @ns: the IPC namespace the region was created in, charged for it
 * @user: the creator's quota entry, charged for it (chown keeps it)
 * @name: NUL-terminated name, "" for an anonymous region
 * @name_node: entry in the name hash while the name is linked
 * @ns_node: entry in @ns's names while the name is linked, then in a list
 *	of names to put; protected by shmbus_regions_lock
 * @linked: the name is in the hash; protected by shmbus_regions_lock
 * @all_node: entry in shmbus_regions; protected by shmbus_regions_lock
 * @perm_lock: protects @uid, @gid and @mode
 * @uid: owner
 * @gid: owner group
 * @cuid: creator
 * @cgid: creator group
 * @mode: permission bits (0777)
 * @nr_handles: handles bound to the region
 * @nr_mappings: VMAs mapping the region
 * @nr_waiters: tasks sleeping on a word of the region
 * @nr_queued: waiters and watches queued on words of the region, raised
 *	before the word is read as a bucket's count is (see waitwake.c), so a
 *	WAKE on a region nobody waits on returns at once
 * @robust_lock: serialises registration of robust lock words and recovery
 * @robust_words: registered robust lock words, indexed by offset / 4; the
 *	value is the number of handles that registered the word
 * @owner_ids: owner ids of the region's handles; protected by @robust_lock
 */
struct shmbus_region {
	struct kref ref;
	u64 key;
	u64 id;
	size_t size;
	struct file *shm;
	struct shmbus_ns *ns;
	struct shmbus_user *user;
	char name[SHMBUS_NAME_MAX];
	struct hlist_node name_node;
	struct list_head ns_node;
	bool linked;
	struct list_head all_node;
	spinlock_t perm_lock;	/* protects uid, gid, mode */
	kuid_t uid;
	kgid_t gid;
	kuid_t cuid;
	kgid_t cgid;
	umode_t mode;
	atomic_t nr_handles;
	atomic_t nr_mappings;
	atomic_t nr_waiters;
	atomic_t nr_queued;
	struct mutex robust_lock;	/* serialises the registry and owner ids */
	struct xarray robust_words;
	struct idr owner_ids;
};

/* The wait/wake ioctls a handle counts, for fdinfo. */
enum shmbus_call {
	SHMBUS_CALL_WAIT,
	SHMBUS_CALL_WAKE,
	SHMBUS_CALL_WAITV,
	SHMBUS_CALL_REQUEUE,
	SHMBUS_NR_CALLS,
};

/**
 * struct shmbus_handle - per-open-file state of /dev/shmbus
 * @bind_lock: serialises SHMBUS_IOC_BIND on this handle
 * @region: the bound region, NULL until bound; published once with
 *	smp_store_release() and read with shmbus_handle_region()
 * @rdonly: the binding is read-only; written before @region is published
 * @map_file: the file every VMA of the handle's mappings points at, created
 *	on the first mmap (see mmap.c); published with cmpxchg_release()
 * @owner_id: robust-lock owner id, 0 until SHMBUS_IOC_OWNER_ID assigns one;
 *	protected by @bind_lock
 * @robust_words: the lock words this handle registered, indexed by
 *	offset / 4; protected by the region's robust_lock
 * @nr_robust: entries in @robust_words
 * @watch_lock: protects @watches and @nr_watches
 * @watches: words this handle watches for poll()
 * @nr_watches: entries used in @watches
 * @watch_events: wakes seen on watched words since the last read()
 * @watch_wq: poll() and read() wait here
 * @calls: WAIT, WAKE, WAITV and CMP_REQUEUE ioctls made on the handle, by
 *	enum shmbus_call, failed ones included: how often a user of the handle
 *	entered the kernel to sleep or to wake (fdinfo)
 */
struct shmbus_handle {
	struct mutex bind_lock;	/* serialises bind and owner id */
	struct shmbus_region *region;
	bool rdonly;
	struct file *map_file;
	u32 owner_id;
	struct xarray robust_words;
	unsigned int nr_robust;
	struct mutex watch_lock;	/* protects watches */
	struct shmbus_waiter *watches[SHMBUS_WATCH_MAX];
	unsigned int nr_watches;
	atomic64_t watch_events;
	wait_queue_head_t watch_wq;
	atomic_long_t calls[SHMBUS_NR_CALLS];
};

/* The lock over names, namespaces, users, the list of regions and totals. */
extern struct mutex shmbus_regions_lock;
extern struct list_head shmbus_regions;

/**
 * shmbus_handle_region() - the region a handle is bound to
 * @h: the handle
 *
 * Return: the region, or NULL when unbound.  The handle's reference keeps
 * the region alive for as long as the file is open.
 */
static inline struct shmbus_region *shmbus_handle_region(struct shmbus_handle *h)
{
	/* Pairs with smp_store_release() in shmbus_bind(). */
	return smp_load_acquire(&h->region);
}

/* region.c */
int shmbus_bind(struct shmbus_handle *h, struct file *file,
		struct shmbus_bind *args);
int shmbus_reopen(struct file *file);
int shmbus_unlink(const char *name, u64 ns_inum);
int shmbus_chmod(struct shmbus_region *r, umode_t mode);
int shmbus_chown(struct shmbus_region *r, u32 uid, u32 gid);
void shmbus_region_get(struct shmbus_region *r);
void shmbus_region_put(struct shmbus_region *r);
void shmbus_region_put_file(struct shmbus_region *r);
void shmbus_handle_unbind(struct shmbus_handle *h);
unsigned long shmbus_region_pages(struct shmbus_region *r);
void shmbus_region_fill_info(struct shmbus_region *r, struct shmbus_info *info,
			     bool rdonly);
bool shmbus_region_visible(struct shmbus_region *r);
bool shmbus_sees_all_namespaces(const struct file *file);
void shmbus_stats(bool all, unsigned int *regions, unsigned long *pages,
		  unsigned long *bytes);
void shmbus_regions_init(void);
void shmbus_regions_exit(void);

/* core.c: the hash of buckets and the one way of queueing on a word */

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

struct shmbus_wait_ctx;

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

#define SHMBUS_WAKE_BATCH	32

/**
 * struct shmbus_wake_batch - tasks to wake once the bucket locks are dropped
 * @nr: entries used in @tasks
 * @tasks: the tasks, each with a reference; past SHMBUS_WAKE_BATCH, tasks
 *	are woken with the lock held: correct, just slower
 */
struct shmbus_wake_batch {
	unsigned int nr;
	struct task_struct *tasks[SHMBUS_WAKE_BATCH];
};

/**
 * shmbus_queued_inc() - count a coming waiter before it reads its word
 * @r: the region of the word
 * @b: the bucket it will be queued on
 *
 * The full barrier is (A) in the ordering argument at the top of waitwake.c.
 */
static inline void shmbus_queued_inc(struct shmbus_region *r, struct shmbus_bucket *b)
{
	atomic_inc(&r->nr_queued);
	atomic_inc(&b->waiters);
	smp_mb__after_atomic();	/* (A) */
}

/**
 * shmbus_queued_dec() - undo shmbus_queued_inc()
 * @r: the region of the word
 * @b: the bucket
 */
static inline void shmbus_queued_dec(struct shmbus_region *r, struct shmbus_bucket *b)
{
	atomic_dec(&b->waiters);
	atomic_dec(&r->nr_queued);
}

struct shmbus_bucket *shmbus_bucket_of(u64 region_key, u64 offset);
struct shmbus_waiter *__shmbus_first_waiter(struct shmbus_bucket *b, u64 key, u64 offset);
struct shmbus_waiter *shmbus_next_waiter(struct shmbus_waiter *w);
int shmbus_word_ok(struct shmbus_region *r, u64 offset);
struct folio *shmbus_word_folio(struct shmbus_region *r, u64 offset, int fgp);
int shmbus_swapin(struct shmbus_region *r, u64 offset);
void shmbus_buckets_unlock(struct shmbus_bucket *b1, struct shmbus_bucket *b2)
	__releases(&b1->lock) __releases(&b2->lock);
int shmbus_q_lock(struct shmbus_region *r, u64 offset, struct shmbus_bucket *b,
		  struct shmbus_bucket *b2, u32 *val)
	__acquires(&b->lock) __acquires(&b2->lock);
void shmbus_q_unlock(struct shmbus_region *r, struct shmbus_bucket *b,
		     struct shmbus_bucket *b2)
	__releases(&b->lock) __releases(&b2->lock);
void __shmbus_enqueue(struct shmbus_waiter *w, struct shmbus_bucket *b);
void __shmbus_dequeue(struct shmbus_waiter *w);
bool shmbus_unqueue(struct shmbus_waiter *w);
void shmbus_waiter_init(struct shmbus_waiter *w, struct shmbus_region *r,
			bool rdonly, u64 offset, u32 bitset);
void shmbus_batch_wake(struct shmbus_wake_batch *batch);
bool shmbus_word_has_sleepers(struct shmbus_region *r, u64 offset);
int shmbus_hash_init(void);
void shmbus_hash_exit(void);

/* waitwake.c */
int shmbus_wait(struct shmbus_handle *h, const struct shmbus_wait *a);
int shmbus_wake(struct shmbus_region *r, u64 offset, u32 count, u32 bitset);
int shmbus_waitv(struct file *self, const struct shmbus_waitv_entry *entries,
		 unsigned int nr, u32 flags, u64 timeout_ns);
void __shmbus_mark_woken(struct shmbus_waiter *w, struct shmbus_wake_batch *batch);

/* requeue.c */
int shmbus_cmp_requeue(struct shmbus_region *r, struct shmbus_requeue *a);

/* watch.c */
int shmbus_watch_add(struct shmbus_handle *h, u64 offset, u32 bitset);
int shmbus_watch_remove(struct shmbus_handle *h, u64 offset);
void shmbus_watch_release(struct shmbus_handle *h);
void __shmbus_notify_watch(struct shmbus_waiter *w);
__poll_t shmbus_watch_poll(struct file *file, struct poll_table_struct *pt);
ssize_t shmbus_watch_read(struct file *file, char __user *buf, size_t len, loff_t *ppos);

/* robust.c */
int shmbus_owner_id(struct shmbus_handle *h);
int shmbus_lock_register(struct shmbus_handle *h, u64 offset);
int shmbus_lock_unregister(struct shmbus_handle *h, u64 offset);
void shmbus_robust_release(struct shmbus_handle *h);
void shmbus_robust_init(struct shmbus_region *r);
void shmbus_robust_destroy(struct shmbus_region *r);

/* main.c */
struct shmbus_handle *shmbus_handle_alloc(void);
void shmbus_handle_free(struct shmbus_handle *h);
struct file *shmbus_handle_file(struct shmbus_handle *h, int flags);
struct shmbus_handle *shmbus_file_handle(struct file *file);

/* mmap.c */
extern const struct file_operations shmbus_backing_fops;
int shmbus_mmap(struct file *file, struct vm_area_struct *vma);
void shmbus_map_file_release(struct shmbus_handle *h);

/* ioctl.c */
long shmbus_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* proc.c */
int shmbus_proc_init(void);
void shmbus_proc_exit(void);
void shmbus_show_fdinfo(struct seq_file *m, struct file *file);

#endif /* _SHMBUS_H */
