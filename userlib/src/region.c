// SPDX-License-Identifier: MIT
/*
 * Regions, their mappings, and the per-thread state the primitives use.
 *
 * The primitives take bare pointers.  To wait or wake they need the region
 * and the offset of a word; the mapping table (sorted by address) answers
 * that.  A mutex also needs its owner: the module's robust-lock owner id of
 * a handle only the locking thread uses (struct sb_thandle, one per thread
 * and region, made by SHMBUS_IOC_REOPEN), with the mutex word registered on
 * it, so that the thread's exit (its handles are closed by a thread-exit
 * destructor) or its process's death (the kernel closes them) lets the next
 * locker recover the lock.  Forked children close the handles they
 * inherited at once: they must not keep their parent's owners alive.
 *
 * Each thread caches its lookups (struct sb_ref) in a small direct-mapped
 * table keyed by address and stamped with sb_gen; every unmap, close and
 * fork bumps sb_gen, so a cached entry never outlives its mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define SB_CACHE_SIZE	64
#define SB_OBJ_ALIGN	16

struct shmbus_region {
	int fd;
	bool rdonly;
	uint64_t id;
	uint64_t size;
	struct shmbus_region *next;
};

struct sb_map {
	uintptr_t start;
	size_t len;
	uint64_t off;
	bool writable;
	struct shmbus_region *region;
};

/* A thread's handle of one region: its owner id and registered words. */
struct sb_thandle {
	struct shmbus_region *region;
	int fd;
	uint32_t owner;
	uint64_t *words;
	size_t nr_words;
	size_t cap_words;
	struct sb_thread *thread;
	struct sb_thandle *next;	/* in the thread's list */
};

struct sb_thread {
	struct sb_ref cache[SB_CACHE_SIZE];
	struct sb_thandle *handles;
	struct sb_thread *next;
};

atomic_ulong sb_gen = 1;

static pthread_mutex_t sb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shmbus_region *sb_regions;
static struct sb_map *sb_maps;
static size_t sb_nr_maps, sb_cap_maps;
static struct sb_thread *sb_threads;
static pthread_key_t sb_thread_key;
static pthread_once_t sb_once = PTHREAD_ONCE_INIT;
static bool sb_key_ok;
static __thread struct sb_thread *sb_self;

/*
 * sb_lock outside fork and thread exit: with cancellation off, so that a
 * thread cancelled at a close() or read() under it cannot leave it held.
 */
static void sb_lock_take(int *cancel)
{
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, cancel);
	pthread_mutex_lock(&sb_lock);
}

static void sb_lock_drop(int cancel)
{
	pthread_mutex_unlock(&sb_lock);
	pthread_setcancelstate(cancel, NULL);
}

/* ---- Threads ---- */

static void sb_thandle_free(struct sb_thandle *th)
{
	close(th->fd);
	free(th->words);
	free(th);
}

static void sb_thread_unlink(struct sb_thread *t)
{
	struct sb_thread **p;

	for (p = &sb_threads; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
}

/* Thread exit: closing its handles makes the kernel recover its locks. */
static void sb_thread_exit(void *arg)
{
	struct sb_thread *t = arg;
	struct sb_thandle *th, *next;

	pthread_mutex_lock(&sb_lock);
	for (th = t->handles; th; th = next) {
		next = th->next;
		sb_thandle_free(th);
	}
	sb_thread_unlink(t);
	pthread_mutex_unlock(&sb_lock);
	sb_self = NULL;
	free(t);
}

static void sb_atfork_prepare(void)
{
	pthread_mutex_lock(&sb_lock);
}

static void sb_atfork_parent(void)
{
	pthread_mutex_unlock(&sb_lock);
}

/*
 * The child has one thread and every handle its parent's threads had: keep
 * none of them, or a parent killed holding a lock would never be
 * recovered while the child lives.
 */
static void sb_atfork_child(void)
{
	struct sb_thread *t, *next;
	struct sb_thandle *th, *tnext;

	for (t = sb_threads; t; t = next) {
		next = t->next;
		for (th = t->handles; th; th = tnext) {
			tnext = th->next;
			sb_thandle_free(th);
		}
		t->handles = NULL;
		if (t != sb_self)
			free(t);
	}
	sb_threads = sb_self;
	if (sb_self)
		sb_self->next = NULL;
	atomic_fetch_add(&sb_gen, 1);
	pthread_mutex_unlock(&sb_lock);
}

static void sb_init_once(void)
{
	sb_key_ok = !pthread_key_create(&sb_thread_key, sb_thread_exit);
	pthread_atfork(sb_atfork_prepare, sb_atfork_parent, sb_atfork_child);
}

static void sb_init(void)
{
	pthread_once(&sb_once, sb_init_once);
}

/* The calling thread's state, made on first use; caller holds sb_lock. */
static struct sb_thread *sb_thread_get(void)
{
	struct sb_thread *t = sb_self;

	if (t)
		return t;
	if (!sb_key_ok)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (pthread_setspecific(sb_thread_key, t)) {
		free(t);
		return NULL;
	}
	t->next = sb_threads;
	sb_threads = t;
	sb_self = t;
	return t;
}

struct sb_ref *sb_cache_slot(const void *obj)
{
	struct sb_thread *t = sb_self;

	if (!t)
		return NULL;
	return &t->cache[((uintptr_t)obj / SB_OBJ_ALIGN) % SB_CACHE_SIZE];
}

/*
 * Region objects opened separately for one region (two opens by name, an
 * adopted copy of a handle) are one region to the kernel: they share the
 * threads' handles, so a thread has one owner id per region.
 */
static bool sb_same_region(const struct shmbus_region *a, const struct shmbus_region *b)
{
	return a->id == b->id;
}

/* The thread's handle of @r, made on first use; caller holds sb_lock. */
static int sb_thandle_get(struct sb_thread *t, struct shmbus_region *r,
			  struct sb_thandle **out)
{
	struct sb_thandle *th;
	int ret;

	for (th = t->handles; th; th = th->next) {
		if (sb_same_region(th->region, r)) {
			*out = th;
			return 0;
		}
	}
	th = calloc(1, sizeof(*th));
	if (!th)
		return -ENOMEM;
	th->fd = shmbus_reopen(r->fd);
	if (th->fd < 0) {
		ret = th->fd;
		free(th);
		return ret;
	}
	ret = shmbus_owner_id(th->fd);
	if (ret < 0) {
		close(th->fd);
		free(th);
		return ret;
	}
	th->owner = ret;
	th->region = r;
	th->thread = t;
	th->next = t->handles;
	t->handles = th;
	*out = th;
	return 0;
}

/* The word at region offset @off of @r as mapped here, or NULL; caller holds sb_lock. */
static atomic_uint *sb_word_mapped(const struct shmbus_region *r, uint64_t off)
{
	size_t i;

	for (i = 0; i < sb_nr_maps; i++) {
		const struct sb_map *m = &sb_maps[i];

		if (sb_same_region(m->region, r) && off >= m->off && off - m->off <= m->len - 4)
			return (atomic_uint *)(m->start + (uintptr_t)(off - m->off));
	}
	return NULL;
}

/*
 * The module registers at most max_robust_words words per handle: make
 * room by unregistering the words @th's thread does not hold (only this
 * thread can make it hold one, and it is here).  A word not mapped now
 * stays, in case it is held.  The lookup caches are stale afterwards: a
 * cached mutex must be registered again before it is taken.  Returns the
 * number unregistered; caller holds sb_lock.
 */
static size_t sb_thandle_evict(struct sb_thandle *th)
{
	size_t i, kept = 0, dropped = 0;

	for (i = 0; i < th->nr_words; i++) {
		atomic_uint *w = sb_word_mapped(th->region, th->words[i]);

		if (!w ||
		    (atomic_load_explicit(w, memory_order_relaxed) & SHMBUS_LOCK_OWNER_MASK) ==
		    th->owner || shmbus_lock_unregister(th->fd, th->words[i])) {
			th->words[kept++] = th->words[i];
			continue;
		}
		dropped++;
	}
	th->nr_words = kept;
	if (dropped)
		atomic_fetch_add(&sb_gen, 1);
	return dropped;
}

/* Register the lock word at @off on @th once: 0 or -errno. */
static int sb_thandle_register(struct sb_thandle *th, uint64_t off)
{
	size_t i;
	int ret;

	for (i = 0; i < th->nr_words; i++)
		if (th->words[i] == off)
			return 0;
	if (th->nr_words == th->cap_words) {
		size_t cap = th->cap_words ? 2 * th->cap_words : 8;
		uint64_t *w = realloc(th->words, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		th->words = w;
		th->cap_words = cap;
	}
	ret = shmbus_lock_register(th->fd, off);
	if (ret == -ENOSPC && sb_thandle_evict(th))
		ret = shmbus_lock_register(th->fd, off);
	if (ret && ret != -EEXIST)
		return ret;
	th->words[th->nr_words++] = off;
	return 0;
}

/*
 * Forget the lock word at @off of @r in every thread handle of this
 * process (shmbus_mutex_destroy()): the kernel must not write into memory
 * that is about to hold something else.
 */
void sb_forget_word(const struct shmbus_region *r, uint64_t off)
{
	struct sb_thandle *th;
	struct sb_thread *t;
	int cancel;
	size_t i;

	sb_lock_take(&cancel);
	for (t = sb_threads; t; t = t->next) {
		for (th = t->handles; th; th = th->next) {
			if (!sb_same_region(th->region, r))
				continue;
			for (i = 0; i < th->nr_words; i++) {
				if (th->words[i] != off)
					continue;
				shmbus_lock_unregister(th->fd, off);
				th->words[i] = th->words[--th->nr_words];
				break;
			}
		}
	}
	atomic_fetch_add(&sb_gen, 1);
	sb_lock_drop(cancel);
}

/* ---- Lookups ---- */

/* The mapping holding [@a, @a + @len), or NULL; caller holds sb_lock. */
static struct sb_map *sb_map_find(uintptr_t a, size_t len)
{
	size_t lo = 0, hi = sb_nr_maps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct sb_map *m = &sb_maps[mid];

		if (a < m->start)
			hi = mid;
		else if (a - m->start >= m->len)
			lo = mid + 1;
		else
			return len <= m->len - (a - m->start) ? m : NULL;
	}
	return NULL;
}

int sb_ref_slow(const void *obj, size_t size, int lock_word, struct sb_ref **out)
{
	int cancel;
	uintptr_t a = (uintptr_t)obj;
	struct sb_thandle *th = NULL;
	struct sb_thread *t;
	struct sb_map *m;
	struct sb_ref *c;
	int ret = 0;

	if (!obj || a % SB_OBJ_ALIGN)
		return -EINVAL;
	sb_init();
	sb_lock_take(&cancel);
	t = sb_thread_get();
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	m = sb_map_find(a, size);
	if (!m) {
		ret = -EINVAL;
		goto out;
	}
	if (!m->writable) {
		ret = -EBADF;
		goto out;
	}
	c = sb_cache_slot(obj);
	if (lock_word >= 0) {
		ret = sb_thandle_get(t, m->region, &th);
		if (!ret)
			ret = sb_thandle_register(th, m->off + (a - m->start) + lock_word);
		if (ret)
			goto out;
	}
	c->addr = a;
	c->gen = atomic_load(&sb_gen);
	c->region = m->region;
	c->off = m->off + (a - m->start);
	c->map_start = m->start;
	c->map_off = m->off;
	c->map_len = m->len;
	c->room = m->len - (a - m->start);
	c->fd = m->region->fd;
	c->owner = th ? th->owner : 0;
	c->lock_fd = th ? th->fd : -1;
	*out = c;
out:
	sb_lock_drop(cancel);
	return ret;
}

void *sb_addr_of(const struct sb_ref *ref, uint64_t off, size_t len)
{
	if (off < ref->map_off || off - ref->map_off > ref->map_len ||
	    len > ref->map_len - (off - ref->map_off))
		return NULL;
	return (void *)(ref->map_start + (uintptr_t)(off - ref->map_off));
}

/* ---- Regions ---- */

static int sb_region_new(int fd, struct shmbus_region **out)
{
	int cancel;
	struct shmbus_region *r;
	struct shmbus_info info;
	int ret;

	ret = shmbus_info(fd, &info);
	if (ret)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->id = info.id;
	r->size = info.size;
	r->rdonly = info.flags & SHMBUS_INFO_RDONLY;
	sb_init();
	sb_lock_take(&cancel);
	r->next = sb_regions;
	sb_regions = r;
	sb_lock_drop(cancel);
	*out = r;
	return 0;
}

int shmbus_region_open(const char *name, uint64_t size, uint32_t flags,
		       uint32_t mode, struct shmbus_region **out)
{
	struct shmbus_bind b = { .size = size, .flags = flags, .mode = mode };
	int fd, ret;

	if (!out)
		return -EINVAL;
	if (name) {
		if (strlen(name) >= sizeof(b.name))
			return -ENAMETOOLONG;
		strcpy(b.name, name);
	}
	/* A read-only region needs only a read-only open of the device. */
	fd = open(SHMBUS_DEVICE_PATH,
		  (flags & SHMBUS_BIND_RDONLY ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = shmbus_bind(fd, &b);
	if (!ret)
		ret = sb_region_new(fd, out);
	if (ret)
		close(fd);
	return ret;
}

int shmbus_region_adopt(int fd, struct shmbus_region **out)
{
	if (!out || fd < 0)
		return -EINVAL;
	return sb_region_new(fd, out);
}

int shmbus_region_fd(const struct shmbus_region *r)
{
	return r ? r->fd : -EINVAL;
}

uint64_t shmbus_region_size(const struct shmbus_region *r)
{
	return r ? r->size : 0;
}

uint64_t shmbus_region_id(const struct shmbus_region *r)
{
	return r ? r->id : 0;
}

int shmbus_region_info(const struct shmbus_region *r, struct shmbus_info *info)
{
	return r ? shmbus_info(r->fd, info) : -EINVAL;
}

int shmbus_region_unlink(const struct shmbus_region *r)
{
	struct shmbus_info info;
	int ret;

	if (!r)
		return -EINVAL;
	ret = shmbus_info(r->fd, &info);
	if (ret)
		return ret;
	if (info.flags & SHMBUS_INFO_UNLINKED)
		return -ENOENT;
	return shmbus_unlink(info.name);
}

/* Insert @m in address order; caller holds sb_lock. */
static int sb_map_insert(const struct sb_map *m)
{
	size_t i;

	if (sb_nr_maps == sb_cap_maps) {
		size_t cap = sb_cap_maps ? 2 * sb_cap_maps : 16;
		struct sb_map *maps = realloc(sb_maps, cap * sizeof(*maps));

		if (!maps)
			return -ENOMEM;
		sb_maps = maps;
		sb_cap_maps = cap;
	}
	for (i = sb_nr_maps; i > 0 && sb_maps[i - 1].start > m->start; i--)
		sb_maps[i] = sb_maps[i - 1];
	sb_maps[i] = *m;
	sb_nr_maps++;
	return 0;
}

/*
 * Before @m is unmapped: unregister the lock words it maps from every
 * thread handle that registered them and does not hold them now, so that
 * registrations do not pile up behind mappings that are gone (a word is
 * registered again when it is next locked).  Caller holds sb_lock.
 */
static void sb_map_forget_words(const struct sb_map *m)
{
	struct sb_thandle *th;
	struct sb_thread *t;
	size_t i, kept;

	for (t = sb_threads; t; t = t->next) {
		for (th = t->handles; th; th = th->next) {
			if (!sb_same_region(th->region, m->region))
				continue;
			for (i = 0, kept = 0; i < th->nr_words; i++) {
				uint64_t off = th->words[i];
				atomic_uint *w;

				if (off >= m->off && off - m->off <= m->len - 4) {
					w = (atomic_uint *)(m->start + (uintptr_t)(off - m->off));
					if ((atomic_load_explicit(w, memory_order_relaxed) &
					     SHMBUS_LOCK_OWNER_MASK) != th->owner &&
					    !shmbus_lock_unregister(th->fd, off))
						continue;
				}
				th->words[kept++] = off;
			}
			th->nr_words = kept;
		}
	}
}

/* Unmap and forget sb_maps[@i]; caller holds sb_lock. */
static void sb_map_remove(size_t i)
{
	munmap((void *)sb_maps[i].start, sb_maps[i].len);
	memmove(&sb_maps[i], &sb_maps[i + 1], (sb_nr_maps - i - 1) * sizeof(*sb_maps));
	sb_nr_maps--;
	atomic_fetch_add_explicit(&sb_gen, 1, memory_order_release);
}

int shmbus_region_map(struct shmbus_region *r, uint64_t offset, size_t len,
		      int prot, void **addr)
{
	int cancel;
	long page = sysconf(_SC_PAGESIZE);
	struct sb_map m;
	void *p;
	int ret;

	if (!r || !addr || offset % page || offset >= r->size ||
	    (prot != PROT_READ && prot != (PROT_READ | PROT_WRITE)))
		return -EINVAL;
	if (!len)
		len = r->size - offset;
	if (len > r->size - offset)
		return -EINVAL;
	if ((prot & PROT_WRITE) && r->rdonly)
		return -EACCES;
	p = mmap(NULL, len, prot, MAP_SHARED, r->fd, offset);
	if (p == MAP_FAILED)
		return -errno;
	m = (struct sb_map){ .start = (uintptr_t)p, .len = len, .off = offset,
			     .writable = prot & PROT_WRITE, .region = r };
	sb_lock_take(&cancel);
	ret = sb_map_insert(&m);
	sb_lock_drop(cancel);
	if (ret) {
		munmap(p, len);
		return ret;
	}
	*addr = p;
	return 0;
}

int shmbus_region_unmap(struct shmbus_region *r, void *addr)
{
	int cancel;
	int ret = -EINVAL;
	size_t i;

	if (!r)
		return -EINVAL;
	sb_lock_take(&cancel);
	for (i = 0; i < sb_nr_maps; i++) {
		if (sb_maps[i].start == (uintptr_t)addr && sb_maps[i].region == r) {
			sb_map_forget_words(&sb_maps[i]);
			sb_map_remove(i);
			ret = 0;
			break;
		}
	}
	sb_lock_drop(cancel);
	return ret;
}

int shmbus_region_close(struct shmbus_region *r)
{
	struct shmbus_region **rp, *other;
	int cancel;
	struct sb_thandle **pp, *th;
	struct sb_thread *t;
	size_t i;

	if (!r)
		return -EINVAL;
	sb_lock_take(&cancel);
	for (i = sb_nr_maps; i-- > 0;)
		if (sb_maps[i].region == r)
			sb_map_remove(i);
	for (rp = &sb_regions; *rp; rp = &(*rp)->next) {
		if (*rp == r) {
			*rp = r->next;
			break;
		}
	}
	/* Another object of the same region keeps the threads' handles. */
	for (other = sb_regions; other; other = other->next)
		if (sb_same_region(other, r))
			break;
	for (t = sb_threads; t; t = t->next) {
		for (pp = &t->handles; (th = *pp);) {
			if (th->region != r) {
				pp = &th->next;
			} else if (other) {
				th->region = other;
				pp = &th->next;
			} else {
				*pp = th->next;
				sb_thandle_free(th);
			}
		}
	}
	atomic_fetch_add(&sb_gen, 1);
	sb_lock_drop(cancel);
	close(r->fd);
	free(r);
	return 0;
}

static void sb_calls_add(struct shmbus_calls *sum, const struct shmbus_calls *c)
{
	sum->waits += c->waits;
	sum->wakes += c->wakes;
	sum->waitvs += c->waitvs;
	sum->requeues += c->requeues;
}

int shmbus_region_calls(struct shmbus_region *r, struct shmbus_calls *calls)
{
	int cancel;
	struct shmbus_calls c;
	struct sb_thandle *th;
	struct sb_thread *t;
	int ret;

	if (!r || !calls)
		return -EINVAL;
	ret = shmbus_fd_calls(r->fd, calls);
	if (ret)
		return ret;
	sb_init();
	sb_lock_take(&cancel);
	for (t = sb_threads; t && !ret; t = t->next) {
		for (th = t->handles; th && !ret; th = th->next) {
			if (!sb_same_region(th->region, r))
				continue;
			ret = shmbus_fd_calls(th->fd, &c);
			if (!ret)
				sb_calls_add(calls, &c);
		}
	}
	sb_lock_drop(cancel);
	return ret;
}
