/* SPDX-License-Identifier: MIT */
/*
 * libshmbus internals, shared by the sources of src/ and never installed.
 *
 * Locking: sb_lock (region.c) guards the region list, the mapping table,
 * the per-thread handle lists and the thread list.  It is taken only on
 * slow paths: opening, mapping, unmapping and closing regions, a thread's
 * first use of an object (or its first after an unmap), thread exit and
 * fork.  Fast paths read the calling thread's lookup cache and the object.
 */
#ifndef LIBSHMBUS_INTERNAL_H
#define LIBSHMBUS_INTERNAL_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "shmbus.h"

#define SB_BITSET_ANY	SHMBUS_BITSET_ANY

/**
 * struct sb_ref - where an object of a mapped region is, for this thread
 * @addr: the object's address in this process
 * @gen: sb_gen when the entry was filled; stale once an unmap bumped it
 * @region: its region
 * @off: its byte offset in the region
 * @map_start: the start of the mapping holding it
 * @map_off: the region offset @map_start maps
 * @map_len: the mapping's length
 * @room: the bytes of the mapping from @addr on; an object at @addr that is
 *	larger (of another type than the one looked up) is not inside it
 * @fd: the region's handle, for wait and wake
 * @owner: for a mutex: the thread's owner id in this region, else 0
 * @lock_fd: for a mutex: the thread's handle of this region, else -1
 */
struct sb_ref {
	uintptr_t addr;
	unsigned long gen;
	struct shmbus_region *region;
	uint64_t off;
	uintptr_t map_start;
	uint64_t map_off;
	size_t map_len;
	size_t room;
	int fd;
	uint32_t owner;
	int lock_fd;
};

extern atomic_ulong sb_gen;

int sb_ref_slow(const void *obj, size_t size, int lock_word, struct sb_ref **out);
struct sb_ref *sb_cache_slot(const void *obj);

/* sb_ref()'s @lock_word for objects that are not locks. */
#define SB_NO_LOCK_WORD	(-1)

/*
 * sb_ref() - find the region and offset of the object at @obj of @size
 * bytes, and for a lock (@lock_word: the byte offset of its lock word in
 * the object) the calling thread's owner id, with the lock word registered
 * on the thread's handle: 0, -EINVAL (NULL, misaligned, not inside a
 * mapping made by shmbus_region_map()), -EBADF (a read-only mapping), or
 * the errors of making the thread's handle or registering the word.  A hit
 * in the thread's cache costs a few loads and no lock.
 */
static inline int sb_ref(const void *obj, size_t size, int lock_word,
			 struct sb_ref **out)
{
	struct sb_ref *c = sb_cache_slot(obj);

	if (c && c->addr == (uintptr_t)obj &&
	    c->gen == atomic_load_explicit(&sb_gen, memory_order_acquire) &&
	    size <= c->room && (lock_word < 0 || c->owner)) {
		*out = c;
		return 0;
	}
	return sb_ref_slow(obj, size, lock_word, out);
}

/* The region offset of the word at @word, a field of the object of @ref. */
static inline uint64_t sb_word_off(const struct sb_ref *ref, const void *word)
{
	return ref->off + ((uintptr_t)word - ref->addr);
}

/* The address in this process of region offset @off, if @ref's mapping holds @len bytes there. */
void *sb_addr_of(const struct sb_ref *ref, uint64_t off, size_t len);

int sb_check_time(clockid_t clock, const struct timespec *abstime);
int sb_sleep(int fd, uint64_t off, uint32_t expected, uint32_t bitset,
	     clockid_t clock, const struct timespec *abstime);
int sb_wake(int fd, uint64_t off, uint32_t count, uint32_t bitset);
int sb_wake_waiters(int fd, uint64_t off, uint32_t count, atomic_uint *waiters);
void sb_waiter_done(atomic_uint *waiters, int ret);
unsigned int sb_spin_limit(void);
void sb_cpu_relax(void);

/* struct shmbus_mutex inside: mutex.c explains the protocol. */
struct sb_mutex {
	atomic_uint magic;
	atomic_uint word;
	atomic_uint state;
	atomic_uint spin;	/* adaptive spin estimate, a hint only */
	uint32_t reserved[4];
};

int sb_mutex_get(struct shmbus_mutex *pub, struct sb_mutex **out, struct sb_ref **ref);
int sb_mutex_acquire(struct sb_mutex *m, struct sb_ref *ref, bool waiters, bool try,
		     clockid_t clock, const struct timespec *abstime);
bool sb_mutex_held(struct sb_mutex *m, struct sb_ref *ref);
int sb_mutex_unlock_held(struct sb_mutex *m, struct sb_ref *ref);
bool sb_mutex_valid(struct sb_mutex *m);
void sb_forget_word(const struct shmbus_region *r, uint64_t off);

#define SB_MAGIC(a, b, c, v) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(v))

#endif /* LIBSHMBUS_INTERNAL_H */
