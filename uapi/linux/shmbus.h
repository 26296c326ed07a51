/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmbus: named, refcounted shared-memory regions with futex-style
 * wait/wake, through the character device /dev/shmbus.
 *
 * Every open file of /dev/shmbus is a handle.  SHMBUS_IOC_BIND attaches it
 * to one region (creating it, or opening an existing one by name); mmap()
 * then maps the region.  All structures are fixed-size and padded
 * explicitly; reserved fields must be zero (EINVAL otherwise) and unknown
 * flags are EINVAL, so they can be given a meaning later.  Unknown ioctls
 * are ENOTTY.  Ioctls that need a bound handle give ENXIO on an unbound one.
 */
#ifndef _UAPI_LINUX_SHMBUS_H
#define _UAPI_LINUX_SHMBUS_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define SHMBUS_IOC_MAGIC	0xB8

/*
 * Region names: 1..63 bytes of printable ASCII (0x21..0x7e) other than '/',
 * NUL-terminated inside the buffer: no space, control character or DEL, so a
 * name printed in /proc can never forge a line or a column.
 */
#define SHMBUS_NAME_MAX		64

/* shmbus_bind.flags */
#define SHMBUS_BIND_CREATE	0x1	/* create if it does not exist */
#define SHMBUS_BIND_EXCL	0x2	/* with CREATE: fail if it exists */
#define SHMBUS_BIND_RDONLY	0x4	/* read-only handle, for ever */

/**
 * struct shmbus_bind - bind a handle to a region
 * @name: region name; empty with SHMBUS_BIND_CREATE makes an anonymous
 *	region reachable only through this open file (fork, SCM_RIGHTS)
 * @size: in: the size to create, or for an existing region 0 ("as it is")
 *	or at most its size; out: the region's size (a multiple of the page
 *	size)
 * @id: out: region id, never reused while the module is loaded; not a
 *	counter: it tells nothing about other regions
 * @flags: SHMBUS_BIND_*
 * @mode: permission bits (0..0777) of a region this call creates
 * @reserved: must be zero
 */
struct shmbus_bind {
	char name[SHMBUS_NAME_MAX];
	__u64 size;
	__u64 id;
	__u32 flags;
	__u32 mode;
	__u64 reserved[4];
};

/* shmbus_info.flags */
#define SHMBUS_INFO_UNLINKED	0x1	/* name removed (or never had one) */
#define SHMBUS_INFO_ANONYMOUS	0x2	/* created without a name */
#define SHMBUS_INFO_RDONLY	0x4	/* this handle is read-only */

/**
 * struct shmbus_info - the bound region as seen through this handle
 * @id: region id
 * @size: region size in bytes
 * @name: region name, zero-padded ("" when anonymous)
 * @uid: owner uid, in the caller's user namespace
 * @gid: owner gid, in the caller's user namespace
 * @cuid: creator uid
 * @cgid: creator gid
 * @mode: permission bits
 * @flags: SHMBUS_INFO_*
 * @handles: open handles bound to the region
 * @mappings: VMAs mapping the region, in every process
 * @waiters: tasks sleeping on words of the region
 * @pad: zero
 * @pages: pages currently allocated to the region
 * @reserved: zero
 */
struct shmbus_info {
	__u64 id;
	__u64 size;
	char name[SHMBUS_NAME_MAX];
	__u32 uid;
	__u32 gid;
	__u32 cuid;
	__u32 cgid;
	__u32 mode;
	__u32 flags;
	__u32 handles;
	__u32 mappings;
	__u32 waiters;
	__u32 pad;
	__u64 pages;
	__u64 reserved[4];
};

/**
 * struct shmbus_unlink - remove a region's name
 * @name: the name
 * @ns: 0 for the caller's IPC namespace; otherwise the inode number of the
 *	IPC namespace holding the name (as /proc/shmbus/regions and lsns show
 *	it), which only CAP_SYS_ADMIN in the initial user and IPC namespaces
 *	may give (EPERM otherwise)
 * @reserved: must be zero
 */
struct shmbus_unlink {
	char name[SHMBUS_NAME_MAX];
	__u64 ns;
	__u64 reserved[1];
};

/**
 * struct shmbus_chmod - change the bound region's permission bits
 * @mode: new bits, 0..0777
 * @pad: must be zero
 * @reserved: must be zero
 */
struct shmbus_chmod {
	__u32 mode;
	__u32 pad;
	__u64 reserved[2];
};

/* shmbus_chown: leave this id as it is */
#define SHMBUS_ID_UNCHANGED	((__u32)-1)

/**
 * struct shmbus_chown - change the bound region's owner
 * @uid: new owner uid, or SHMBUS_ID_UNCHANGED
 * @gid: new owner gid, or SHMBUS_ID_UNCHANGED
 * @reserved: must be zero
 */
struct shmbus_chown {
	__u32 uid;
	__u32 gid;
	__u64 reserved[2];
};

#define SHMBUS_IOC_BIND		_IOWR(SHMBUS_IOC_MAGIC, 0x01, struct shmbus_bind)
#define SHMBUS_IOC_INFO		_IOR(SHMBUS_IOC_MAGIC, 0x02, struct shmbus_info)
#define SHMBUS_IOC_UNLINK	_IOW(SHMBUS_IOC_MAGIC, 0x03, struct shmbus_unlink)
#define SHMBUS_IOC_CHMOD	_IOW(SHMBUS_IOC_MAGIC, 0x04, struct shmbus_chmod)
#define SHMBUS_IOC_CHOWN	_IOW(SHMBUS_IOC_MAGIC, 0x05, struct shmbus_chown)

/*
 * Wait/wake on 32-bit words of the bound region, addressed by byte offset
 * (4-byte aligned, inside the region).  Keyed by (region, offset), so it
 * works whatever address each process mapped the region at, and for a
 * process that has not mapped it at all.
 */

/* shmbus_wait.flags, shmbus_waitv.flags: the timeout */
#define SHMBUS_WAIT_RELATIVE	0x1	/* timeout_ns is relative */
#define SHMBUS_WAIT_ABSOLUTE	0x2	/* timeout_ns is absolute */
#define SHMBUS_WAIT_CLOCK_MONOTONIC	0x00	/* default */
#define SHMBUS_WAIT_CLOCK_REALTIME	0x10
#define SHMBUS_WAIT_CLOCK_BOOTTIME	0x20
#define SHMBUS_WAIT_CLOCK_MASK	0x30

/* Bitsets select which waiters a wake reaches; 0 is EINVAL. */
#define SHMBUS_BITSET_ANY	0xffffffffU

/**
 * struct shmbus_wait - sleep while a word holds an expected value
 * @offset: byte offset of the word in the region
 * @timeout_ns: with SHMBUS_WAIT_RELATIVE or _ABSOLUTE, the timeout in
 *	nanoseconds on the chosen clock (at most KTIME_MAX); else must be 0
 * @expected: sleep only if the word equals this, else EAGAIN at once
 * @bitset: wake-ups whose bitset intersects this one wake the waiter
 * @flags: SHMBUS_WAIT_*
 * @pad: must be zero
 * @reserved: must be zero
 *
 * Returns 0 when woken, -1 with EAGAIN (value differs), ETIMEDOUT, or EINTR
 * (a signal arrived; never restarted, whatever SA_RESTART says: call again
 * with the remaining time).
 */
struct shmbus_wait {
	__u64 offset;
	__u64 timeout_ns;
	__u32 expected;
	__u32 bitset;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct shmbus_wake - wake waiters on a word
 * @offset: byte offset of the word in the region
 * @count: wake at most this many, oldest first; 0 wakes none, any value at
 *	or above the number of waiters (up to 0xffffffff) wakes them all
 * @bitset: wake only waiters whose bitset intersects this one
 * @flags: must be zero
 * @pad: must be zero
 * @reserved: must be zero
 *
 * Returns the number of tasks woken (at most INT_MAX).  Watches (see
 * SHMBUS_IOC_WATCH) on the word are notified too, and tasks waiting through
 * read-only handles woken, whatever @count says; neither is counted.
 */
struct shmbus_wake {
	__u64 offset;
	__u32 count;
	__u32 bitset;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

/* Largest number of entries of one SHMBUS_IOC_WAITV. */
#define SHMBUS_WAITV_MAX	128

/* shmbus_waitv_entry.fd: the handle the ioctl is called on */
#define SHMBUS_WAITV_SELF	(-1)

/**
 * struct shmbus_waitv_entry - one word of a multi-wait
 * @fd: a bound /dev/shmbus handle, or SHMBUS_WAITV_SELF
 * @expected: value the word must hold
 * @offset: byte offset of the word in that handle's region
 * @bitset: as in struct shmbus_wait
 * @pad: must be zero
 */
struct shmbus_waitv_entry {
	__s32 fd;
	__u32 expected;
	__u64 offset;
	__u32 bitset;
	__u32 pad;
};

/**
 * struct shmbus_waitv - sleep until any of several words is woken
 * @entries: user pointer to an array of struct shmbus_waitv_entry
 * @nr: number of entries, 1..SHMBUS_WAITV_MAX
 * @flags: SHMBUS_WAIT_* (timeout and clock)
 * @timeout_ns: as in struct shmbus_wait
 * @reserved: must be zero
 *
 * Returns the index of the entry that was woken (the lowest one if several
 * were), or -1 with EAGAIN (some word differs), ETIMEDOUT or EINTR.
 */
struct shmbus_waitv {
	__u64 entries;
	__u32 nr;
	__u32 flags;
	__u64 timeout_ns;
	__u64 reserved[2];
};

/**
 * struct shmbus_requeue - wake some waiters, move others to another word
 * @from: byte offset of the word the waiters sleep on
 * @to: byte offset of the word to move them to (must differ from @from)
 * @expected: the word at @from must hold this, else EAGAIN
 * @nr_wake: wake at most this many (oldest first)
 * @nr_requeue: then move at most this many of the rest to @to
 * @flags: must be zero
 * @woken: out: tasks woken
 * @requeued: out: tasks moved
 * @reserved: must be zero
 *
 * Returns woken + requeued.
 */
struct shmbus_requeue {
	__u64 from;
	__u64 to;
	__u32 expected;
	__u32 nr_wake;
	__u32 nr_requeue;
	__u32 flags;
	__u32 woken;
	__u32 requeued;
	__u64 reserved[2];
};

/**
 * struct shmbus_watch - make poll() on this handle report wakes of a word
 * @offset: byte offset of the word in the region
 * @bitset: wakes whose bitset intersects this one are reported
 * @pad: must be zero
 * @reserved: must be zero
 *
 * After a WAKE, WAITV-reaching wake, REQUEUE wake or owner-died recovery on
 * a watched word, poll() reports EPOLLIN; read() of 8 bytes returns the
 * number of such wakes since the last read and resets it.  At most
 * SHMBUS_WATCH_MAX watches per handle (ENOSPC); watching a word twice is
 * EEXIST; unwatching a word not watched is ENOENT.
 */
struct shmbus_watch {
	__u64 offset;
	__u32 bitset;
	__u32 pad;
	__u64 reserved[2];
};

#define SHMBUS_WATCH_MAX	64

/*
 * Robust locks: owner-died recovery without a syscall on the lock path.
 *
 * A lock word holds the owner id of the handle that owns it (never a PID),
 * plus two flag bits.  Userspace locks with compare-and-swap 0 -> owner id,
 * sets SHMBUS_LOCK_WAITERS before sleeping on the word, and on unlock swaps
 * back to 0, waking one waiter if SHMBUS_LOCK_WAITERS was set.
 *
 * Each handle that locks a word registers it with SHMBUS_IOC_LOCK_REGISTER
 * (registrations belong to their handle; a word stays registered while one
 * of the handles that registered it is open).  When the
 * last reference to a handle goes (its process died or closed it), the
 * kernel finds every registered word whose owner is that handle's id,
 * replaces it with SHMBUS_LOCK_OWNER_DIED (keeping SHMBUS_LOCK_WAITERS) and
 * wakes one waiter.  The next locker takes the lock with compare-and-swap
 * from the OWNER_DIED value, learns the previous owner died (the
 * EOWNERDEAD case), repairs the data and clears the bit.
 *
 * One handle is one owner: a forked child sharing its parent's handle shares
 * its owner id and keeps it alive.  Give each process its own handle (bind
 * by name, or SHMBUS_IOC_REOPEN for anonymous regions).
 *
 * OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE need a writable
 * handle: EBADF on a read-only one.
 */
#define SHMBUS_LOCK_OWNER_MASK	0x3fffffffU
#define SHMBUS_LOCK_OWNER_DIED	0x40000000U
#define SHMBUS_LOCK_WAITERS	0x80000000U

/**
 * struct shmbus_lock_word - register or unregister a robust lock word
 * @offset: byte offset of the word in the region
 * @flags: must be zero
 * @pad: must be zero
 * @reserved: must be zero
 *
 * A handle holds at most max_robust_words registrations (ENOSPC);
 * registering a word twice on one handle is EEXIST, unregistering one this
 * handle did not register ENOENT.
 */
struct shmbus_lock_word {
	__u64 offset;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};

#define SHMBUS_IOC_WAIT		_IOW(SHMBUS_IOC_MAGIC, 0x10, struct shmbus_wait)
#define SHMBUS_IOC_WAKE		_IOW(SHMBUS_IOC_MAGIC, 0x11, struct shmbus_wake)
#define SHMBUS_IOC_WAITV	_IOW(SHMBUS_IOC_MAGIC, 0x12, struct shmbus_waitv)
#define SHMBUS_IOC_CMP_REQUEUE	_IOWR(SHMBUS_IOC_MAGIC, 0x13, struct shmbus_requeue)
#define SHMBUS_IOC_WATCH	_IOW(SHMBUS_IOC_MAGIC, 0x14, struct shmbus_watch)
#define SHMBUS_IOC_UNWATCH	_IOW(SHMBUS_IOC_MAGIC, 0x15, struct shmbus_watch)
/* Returns this handle's owner id (1..SHMBUS_LOCK_OWNER_MASK). */
#define SHMBUS_IOC_OWNER_ID	_IO(SHMBUS_IOC_MAGIC, 0x16)
#define SHMBUS_IOC_LOCK_REGISTER	_IOW(SHMBUS_IOC_MAGIC, 0x17, struct shmbus_lock_word)
#define SHMBUS_IOC_LOCK_UNREGISTER	_IOW(SHMBUS_IOC_MAGIC, 0x18, struct shmbus_lock_word)
/* Returns a new close-on-exec fd: a handle bound like this one. */
#define SHMBUS_IOC_REOPEN	_IO(SHMBUS_IOC_MAGIC, 0x19)

#endif /* _UAPI_LINUX_SHMBUS_H */
