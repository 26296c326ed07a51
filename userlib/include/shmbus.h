/* SPDX-License-Identifier: MIT */
/*
 * libshmbus: shared-memory regions and process-shared synchronisation over
 * /dev/shmbus.
 *
 * Three layers, each usable alone:
 *
 * 1. Handles (shmbus_bind() ... shmbus_reopen()): one function per ioctl of
 *    <linux/shmbus.h> on a file descriptor, for programs that want the uapi
 *    and nothing more.
 * 2. Regions (struct shmbus_region): create or open by name, anonymous
 *    regions, map and unmap, info, unlink, close.  Thread-safe.
 * 3. Primitives that live inside a mapped region: mutex (robust,
 *    error-checking), condition variable, semaphore, rwlock, barrier and
 *    event.  Plain structs without pointers, initialised in place by one
 *    process and used by every process that maps the region, at any
 *    address.  Uncontended operations make no system call.
 *
 * Errors are values: every function that can fail returns a negative errno
 * value (-EINVAL, ...) and leaves errno alone as its result, like liburing.
 *
 * The header needs struct timespec and clockid_t: compile with POSIX
 * visible (the default GNU modes, or _POSIX_C_SOURCE >= 199309L with a
 * strict -std=).  Link -lshmbus (pkg-config: libshmbus).
 * Timed calls take an absolute time on CLOCK_MONOTONIC, CLOCK_REALTIME or
 * CLOCK_BOOTTIME; a time already past gives -ETIMEDOUT once the object
 * could not be taken at once, a tv_nsec outside 0..999999999 gives -EINVAL.
 */
#ifndef LIBSHMBUS_H
#define LIBSHMBUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/shmbus.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Path of the shmbus device node. */
#define SHMBUS_DEVICE_PATH "/dev/shmbus"

/* ------------------------------------------------------------------------
 * 1. Handles: one call per ioctl.  @fd is an open /dev/shmbus file.
 * ------------------------------------------------------------------------ */

/**
 * shmbus_open_device() - open a new, unbound handle on /dev/shmbus
 *
 * The handle is read-write and close-on-exec.  Return: its fd, or -errno.
 */
int shmbus_open_device(void);

/** shmbus_bind() - SHMBUS_IOC_BIND: 0, or -errno; results land in *@b. */
int shmbus_bind(int fd, struct shmbus_bind *b);
/** shmbus_info() - SHMBUS_IOC_INFO into *@info: 0, or -errno. */
int shmbus_info(int fd, struct shmbus_info *info);
/** shmbus_unlink() - remove @name in the caller's IPC namespace: 0, or -errno. */
int shmbus_unlink(const char *name);
/**
 * shmbus_unlink_ns() - remove @name from the IPC namespace whose inode
 * number is @ns (0: the caller's; others need CAP_SYS_ADMIN): 0, or -errno.
 */
int shmbus_unlink_ns(const char *name, uint64_t ns);
/** shmbus_chmod() - SHMBUS_IOC_CHMOD to @mode (0..0777): 0, or -errno. */
int shmbus_chmod(int fd, uint32_t mode);
/** shmbus_chown() - SHMBUS_IOC_CHOWN (SHMBUS_ID_UNCHANGED keeps an id): 0, or -errno. */
int shmbus_chown(int fd, uint32_t uid, uint32_t gid);
/** shmbus_wait() - SHMBUS_IOC_WAIT with *@w: 0 when woken, or -errno. */
int shmbus_wait(int fd, const struct shmbus_wait *w);
/** shmbus_wake() - SHMBUS_IOC_WAKE: the number of tasks woken, or -errno. */
int shmbus_wake(int fd, uint64_t offset, uint32_t count, uint32_t bitset);
/** shmbus_waitv() - SHMBUS_IOC_WAITV with *@v: the index woken, or -errno. */
int shmbus_waitv(int fd, const struct shmbus_waitv *v);
/** shmbus_cmp_requeue() - SHMBUS_IOC_CMP_REQUEUE: woken + requeued, or -errno. */
int shmbus_cmp_requeue(int fd, struct shmbus_requeue *q);
/** shmbus_watch() - SHMBUS_IOC_WATCH of the word at @offset: 0, or -errno. */
int shmbus_watch(int fd, uint64_t offset, uint32_t bitset);
/** shmbus_unwatch() - SHMBUS_IOC_UNWATCH of the word at @offset: 0, or -errno. */
int shmbus_unwatch(int fd, uint64_t offset);
/** shmbus_owner_id() - SHMBUS_IOC_OWNER_ID: the handle's owner id, or -errno. */
int shmbus_owner_id(int fd);
/** shmbus_lock_register() - SHMBUS_IOC_LOCK_REGISTER of @offset: 0, or -errno. */
int shmbus_lock_register(int fd, uint64_t offset);
/** shmbus_lock_unregister() - SHMBUS_IOC_LOCK_UNREGISTER of @offset: 0, or -errno. */
int shmbus_lock_unregister(int fd, uint64_t offset);
/** shmbus_reopen() - SHMBUS_IOC_REOPEN: a new close-on-exec handle, or -errno. */
int shmbus_reopen(int fd);

/**
 * struct shmbus_calls - how often the kernel was entered to sleep or wake
 * @waits: SHMBUS_IOC_WAIT calls
 * @wakes: SHMBUS_IOC_WAKE calls
 * @waitvs: SHMBUS_IOC_WAITV calls
 * @requeues: SHMBUS_IOC_CMP_REQUEUE calls
 *
 * As the module counts them per handle (the shmbus-waits ... lines of
 * /proc/PID/fdinfo/FD), failed calls included.
 */
struct shmbus_calls {
	uint64_t waits;
	uint64_t wakes;
	uint64_t waitvs;
	uint64_t requeues;
};

/** shmbus_fd_calls() - the counters of handle @fd: 0, or -errno. */
int shmbus_fd_calls(int fd, struct shmbus_calls *calls);

/* ------------------------------------------------------------------------
 * 2. Regions.
 * ------------------------------------------------------------------------ */

/** struct shmbus_region - an open region (opaque). */
struct shmbus_region;

/**
 * shmbus_region_open() - create or open a region
 * @name: 1..63 printable characters other than '/', or NULL (or "") with
 *	SHMBUS_BIND_CREATE for an anonymous region, reachable only through
 *	this region's fd (fork, SCM_RIGHTS: see shmbus_region_fd())
 * @size: the size to create; for an existing region 0 or at most its size
 * @flags: SHMBUS_BIND_CREATE, SHMBUS_BIND_EXCL, SHMBUS_BIND_RDONLY
 * @mode: permission bits (0..0777) of a region this call creates
 * @out: the region, on success
 *
 * Return: 0, or -errno (-ENOENT, -EEXIST, -EACCES, -ENOSPC, -EINVAL, ...).
 */
int shmbus_region_open(const char *name, uint64_t size, uint32_t flags,
		       uint32_t mode, struct shmbus_region **out);

/**
 * shmbus_region_adopt() - a region from a bound handle @fd
 *
 * For a handle inherited or received over SCM_RIGHTS.  On success the
 * region owns @fd (shmbus_region_close() closes it).  Return: 0, -ENXIO for
 * an unbound handle, -ENOTTY for a file that is not a shmbus handle, ...
 */
int shmbus_region_adopt(int fd, struct shmbus_region **out);

/** shmbus_region_fd() - the region's handle, to pass to a child or over SCM_RIGHTS. */
int shmbus_region_fd(const struct shmbus_region *r);
/** shmbus_region_size() - the region's size in bytes (a multiple of the page size). */
uint64_t shmbus_region_size(const struct shmbus_region *r);
/** shmbus_region_id() - the region's id, unique while the module is loaded. */
uint64_t shmbus_region_id(const struct shmbus_region *r);
/** shmbus_region_info() - the region as the module sees it now: 0, or -errno. */
int shmbus_region_info(const struct shmbus_region *r, struct shmbus_info *info);
/**
 * shmbus_region_unlink() - remove the region's name
 *
 * The name INFO reports, in the caller's IPC namespace: a region received
 * from another namespace, or whose name was unlinked and given to a new
 * region meanwhile, is not what this removes.  Return: 0, -ENOENT if it has
 * no name any more, or -errno.
 */
int shmbus_region_unlink(const struct shmbus_region *r);

/**
 * shmbus_region_map() - map part of the region
 * @r: the region
 * @offset: where the mapping starts, a multiple of the page size
 * @len: its length; 0 maps from @offset to the end of the region
 * @prot: PROT_READ, or PROT_READ | PROT_WRITE
 * @addr: the address the mapping got
 *
 * Primitives of section 3 work only inside mappings made by this call.
 * Return: 0, or -errno (-EINVAL for a range outside the region, -EACCES for
 * a writable mapping of a read-only region, ...).
 */
int shmbus_region_map(struct shmbus_region *r, uint64_t offset, size_t len,
		      int prot, void **addr);

/**
 * shmbus_region_unmap() - undo one shmbus_region_map()
 * @r: the region
 * @addr: the address shmbus_region_map() returned
 *
 * Return: 0, or -EINVAL when @addr is not such a mapping of @r.
 */
int shmbus_region_unmap(struct shmbus_region *r, void *addr);

/**
 * shmbus_region_close() - release the region
 *
 * Unmaps what is still mapped and closes the region's handles in this
 * process, the per-thread ones the mutex uses included; a lock still held
 * through them is then recovered by its next locker (-EOWNERDEAD).  The
 * region itself lives on while it has a name or another process holds it.
 * Return: 0, or -EINVAL for NULL.
 */
int shmbus_region_close(struct shmbus_region *r);

/**
 * shmbus_region_calls() - the kernel entries made for @r in this process
 *
 * The sum of struct shmbus_calls over the region's handle and the
 * per-thread handles of this process.  Return: 0, or -errno.
 */
int shmbus_region_calls(struct shmbus_region *r, struct shmbus_calls *calls);

/* ------------------------------------------------------------------------
 * 3. Primitives inside a region.
 *
 * Each is a fixed-size, aligned struct with no pointers, placed anywhere in
 * a writable mapping made by shmbus_region_map() (-EINVAL elsewhere, or
 * when misaligned; -EBADF in a read-only mapping).  One process initialises
 * it in place with its _init(); every process mapping the region uses it
 * from then on, at whatever address.  Each starts with a magic word naming
 * its type and layout version: an object never initialised, of another
 * type or overwritten gives -EINVAL instead of a crash or a hang.  The
 * structs' contents are private; do not copy them.
 *
 * Fast paths (an uncontended lock or unlock, a post, a trywait, an event
 * check) touch only the object.  Contended paths spin briefly (not when
 * the process may run on one CPU only) and then sleep in the kernel on
 * words of the object.
 * ------------------------------------------------------------------------ */

#if defined(__cplusplus) && __cplusplus >= 201103L
#define SHMBUS_ALIGNED(n) alignas(n)
#elif !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define SHMBUS_ALIGNED(n) _Alignas(n)
#else
#define SHMBUS_ALIGNED(n) __attribute__((aligned(n)))
#endif

/**
 * struct shmbus_mutex - robust, error-checking mutex; 32 bytes, 16-aligned
 *
 * Owned by a thread, as a pthread mutex: two threads of one process
 * contend.  When its owner dies (its thread exits or its process is
 * killed) the next locker gets -EOWNERDEAD with the mutex held, and either
 * calls shmbus_mutex_consistent() or leaves it unusable
 * (-ENOTRECOVERABLE for everyone) by unlocking.  Ownership is the
 * module's robust-lock owner id of a per-thread, per-region handle.
 */
struct shmbus_mutex {
	SHMBUS_ALIGNED(16) uint32_t opaque[8];
};

/** shmbus_mutex_init() - initialise an unlocked mutex in place: 0, or -errno. */
int shmbus_mutex_init(struct shmbus_mutex *m);
/**
 * shmbus_mutex_lock() - lock, sleeping as long as it takes
 *
 * Return: 0; -EOWNERDEAD (locked; the previous owner died holding it);
 * -ENOTRECOVERABLE; -EDEADLK if the caller holds it; -EINVAL; -EBADF;
 * -ENOSPC when the thread holds the module's max_robust_words (default
 * 1024) mutexes of this region at once (it may use any number in turn);
 * -EMFILE or -ENOMEM for its per-thread handle.
 */
int shmbus_mutex_lock(struct shmbus_mutex *m);
/**
 * shmbus_mutex_trylock() - as shmbus_mutex_lock(), -EBUSY instead of sleeping
 *
 * A mutex the caller holds gives -EDEADLK, as for lock (pthread's
 * error-checking trylock says EBUSY).
 */
int shmbus_mutex_trylock(struct shmbus_mutex *m);
/** shmbus_mutex_timedlock() - as shmbus_mutex_lock(), -ETIMEDOUT at @abstime on @clock. */
int shmbus_mutex_timedlock(struct shmbus_mutex *m, clockid_t clock,
			   const struct timespec *abstime);
/**
 * shmbus_mutex_unlock() - unlock
 *
 * Return: 0; -EPERM if the calling thread does not hold it; -EINVAL.
 */
int shmbus_mutex_unlock(struct shmbus_mutex *m);
/**
 * shmbus_mutex_destroy() - end an unlocked mutex before its memory is reused
 *
 * Unregisters its word from this process's per-thread handles (the kernel
 * writes registered words when their owner dies) and clears its magic, so
 * later calls give -EINVAL.  Every process that locked it should destroy
 * it, or unmap it, before the memory holds other data.
 * Return: 0; -EBUSY if it is locked; -EINVAL.
 */
int shmbus_mutex_destroy(struct shmbus_mutex *m);
/**
 * shmbus_mutex_consistent() - mark state protected by @m repaired
 *
 * After -EOWNERDEAD, by the thread holding it.  Return: 0, or -EINVAL when
 * the caller does not hold it or it is not in the owner-died state.
 */
int shmbus_mutex_consistent(struct shmbus_mutex *m);

/**
 * struct shmbus_cond - condition variable; 32 bytes, 16-aligned
 *
 * Used with one shmbus_mutex of the same region at a time.  broadcast
 * wakes one waiter and moves the others onto the mutex (CMP_REQUEUE): they
 * wake one by one as it is unlocked, without a thundering herd.
 */
struct shmbus_cond {
	SHMBUS_ALIGNED(16) uint32_t opaque[8];
};

/** shmbus_cond_init() - initialise in place: 0, or -errno. */
int shmbus_cond_init(struct shmbus_cond *c);
/**
 * shmbus_cond_wait() - unlock @m, sleep until signalled, lock @m again
 *
 * May return 0 without a signal (spuriously), as pthread_cond_wait() may.
 * Return: 0; the errors of shmbus_mutex_lock() from relocking, among them
 * -EOWNERDEAD (@m is held); -EPERM if @m is not held; -EINVAL if @m is in
 * another region; an error of the kernel's WAIT (-EIO, -ENOMEM) with @m
 * held again.  Waiting with two mutexes on @c at once is undefined, as
 * with pthread (broadcast then wakes waiters instead of moving them).
 */
int shmbus_cond_wait(struct shmbus_cond *c, struct shmbus_mutex *m);
/** shmbus_cond_timedwait() - as shmbus_cond_wait(), -ETIMEDOUT at @abstime (@m held again). */
int shmbus_cond_timedwait(struct shmbus_cond *c, struct shmbus_mutex *m,
			  clockid_t clock, const struct timespec *abstime);
/** shmbus_cond_signal() - wake one waiter, if any: 0, or -errno. */
int shmbus_cond_signal(struct shmbus_cond *c);
/** shmbus_cond_broadcast() - wake every waiter: 0, or -errno. */
int shmbus_cond_broadcast(struct shmbus_cond *c);

/** Largest value of a semaphore, as SEM_VALUE_MAX. */
#define SHMBUS_SEM_VALUE_MAX 0x7fffffff

/** struct shmbus_sem - counting semaphore, sem_* semantics; 16 bytes, 16-aligned */
struct shmbus_sem {
	SHMBUS_ALIGNED(16) uint32_t opaque[4];
};

/** shmbus_sem_init() - initialise to @value (<= SHMBUS_SEM_VALUE_MAX): 0, or -errno. */
int shmbus_sem_init(struct shmbus_sem *s, unsigned int value);
/** shmbus_sem_post() - add one and wake a waiter: 0, -EOVERFLOW at the maximum, -EINVAL. */
int shmbus_sem_post(struct shmbus_sem *s);
/** shmbus_sem_wait() - take one, sleeping while zero: 0, -EINTR (a signal), -EINVAL. */
int shmbus_sem_wait(struct shmbus_sem *s);
/** shmbus_sem_trywait() - take one if non-zero: 0, -EAGAIN, -EINVAL. */
int shmbus_sem_trywait(struct shmbus_sem *s);
/** shmbus_sem_timedwait() - as shmbus_sem_wait(), -ETIMEDOUT at @abstime on @clock. */
int shmbus_sem_timedwait(struct shmbus_sem *s, clockid_t clock,
			 const struct timespec *abstime);
/** shmbus_sem_value() - the current value (>= 0), or -EINVAL. */
int shmbus_sem_value(struct shmbus_sem *s);

/**
 * struct shmbus_rwlock - readers-writer lock; 16 bytes, 16-aligned
 *
 * Writers are preferred: once a writer waits, new readers wait behind it,
 * so a stream of readers cannot starve writers.  Not robust, not
 * recursive for writers.
 */
struct shmbus_rwlock {
	SHMBUS_ALIGNED(16) uint32_t opaque[4];
};

/** shmbus_rwlock_init() - initialise in place: 0, or -errno. */
int shmbus_rwlock_init(struct shmbus_rwlock *l);
/** shmbus_rwlock_rdlock() - share: 0, -EAGAIN (too many readers), -EINVAL. */
int shmbus_rwlock_rdlock(struct shmbus_rwlock *l);
/** shmbus_rwlock_tryrdlock() - share if no writer holds or waits: 0, -EBUSY, -EINVAL. */
int shmbus_rwlock_tryrdlock(struct shmbus_rwlock *l);
/** shmbus_rwlock_timedrdlock() - as rdlock, -ETIMEDOUT at @abstime. */
int shmbus_rwlock_timedrdlock(struct shmbus_rwlock *l, clockid_t clock,
			      const struct timespec *abstime);
/** shmbus_rwlock_wrlock() - exclude everyone: 0, -EINVAL. */
int shmbus_rwlock_wrlock(struct shmbus_rwlock *l);
/** shmbus_rwlock_trywrlock() - exclude if free: 0, -EBUSY, -EINVAL. */
int shmbus_rwlock_trywrlock(struct shmbus_rwlock *l);
/** shmbus_rwlock_timedwrlock() - as wrlock, -ETIMEDOUT at @abstime. */
int shmbus_rwlock_timedwrlock(struct shmbus_rwlock *l, clockid_t clock,
			      const struct timespec *abstime);
/**
 * shmbus_rwlock_unlock() - release a read lock or the write lock
 *
 * The lock does not record its holders: any thread may release it, and
 * only a lock held by nobody gives -EPERM.  Return: 0, -EPERM, -EINVAL.
 */
int shmbus_rwlock_unlock(struct shmbus_rwlock *l);

/** shmbus_barrier_wait()'s result for the one caller that completed a generation. */
#define SHMBUS_BARRIER_LAST 1

/** struct shmbus_barrier - barrier for a fixed number of parties; 16 bytes, 16-aligned */
struct shmbus_barrier {
	SHMBUS_ALIGNED(16) uint32_t opaque[4];
};

/** shmbus_barrier_init() - for @count (1..2^30) parties: 0, or -errno. */
int shmbus_barrier_init(struct shmbus_barrier *b, unsigned int count);
/**
 * shmbus_barrier_wait() - wait until @count parties have arrived
 *
 * Reusable: the next generation starts as the last party arrives.
 * Return: SHMBUS_BARRIER_LAST for the last arrival, 0 for the others,
 * -EINVAL.
 */
int shmbus_barrier_wait(struct shmbus_barrier *b);

/** shmbus_event_init() flags: stay set until reset (else a wait resets it). */
#define SHMBUS_EVENT_MANUAL_RESET	0x1
/** shmbus_event_init() flags: start set. */
#define SHMBUS_EVENT_SET		0x2

/**
 * struct shmbus_event - a doorbell; 16 bytes, 16-aligned
 *
 * Auto-reset (default): shmbus_event_set() lets exactly one wait through
 * and the event is reset by it; sets while it is set are not counted.
 * Manual-reset: set releases every waiter, and later waits pass until
 * shmbus_event_reset().
 */
struct shmbus_event {
	SHMBUS_ALIGNED(16) uint32_t opaque[4];
};

/** shmbus_event_init() - initialise with SHMBUS_EVENT_* @flags: 0, or -errno. */
int shmbus_event_init(struct shmbus_event *e, unsigned int flags);
/** shmbus_event_set() - set, waking waiters: 0, or -EINVAL. */
int shmbus_event_set(struct shmbus_event *e);
/** shmbus_event_reset() - clear: 0, or -EINVAL. */
int shmbus_event_reset(struct shmbus_event *e);
/** shmbus_event_wait() - wait until set (auto-reset: and reset it): 0, -EINVAL. */
int shmbus_event_wait(struct shmbus_event *e);
/** shmbus_event_trywait() - as wait, -EAGAIN instead of sleeping; no system call. */
int shmbus_event_trywait(struct shmbus_event *e);
/** shmbus_event_timedwait() - as wait, -ETIMEDOUT at @abstime on @clock. */
int shmbus_event_timedwait(struct shmbus_event *e, clockid_t clock,
			   const struct timespec *abstime);

#ifdef __cplusplus
}
#endif

#endif /* LIBSHMBUS_H */
