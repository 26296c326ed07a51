/* SPDX-License-Identifier: MIT */
/*
 * libshmbus: shared-memory regions and process-shared synchronisation over
 * /dev/shmbus.
 *
 * Two layers, each usable alone:
 *
 * 1. Handles (shmbus_bind() ... shmbus_reopen()): one function per ioctl of
 *    <linux/shmbus.h> on a file descriptor, for programs that want the uapi
 *    and nothing more.
 * 2. Regions (struct shmbus_region): create or open by name, anonymous
 *    regions, map and unmap, info, unlink, close.  Thread-safe.
 *
 * Errors are values: every function that can fail returns a negative errno
 * value (-EINVAL, ...) and leaves errno alone as its result, like liburing.
 */
#ifndef LIBSHMBUS_H
#define LIBSHMBUS_H

#include <stddef.h>
#include <stdint.h>
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
/** shmbus_region_unlink() - remove the region's name: 0, or -errno. */
int shmbus_region_unlink(const struct shmbus_region *r);

/**
 * shmbus_region_map() - map part of the region
 * @r: the region
 * @offset: where the mapping starts, a multiple of the page size
 * @len: its length; 0 maps from @offset to the end of the region
 * @prot: PROT_READ, or PROT_READ | PROT_WRITE
 * @addr: the address the mapping got
 *
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

#ifdef __cplusplus
}
#endif

#endif /* LIBSHMBUS_H */
