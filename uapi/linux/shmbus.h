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

/* Region names: 1..63 bytes, no '/', NUL-terminated inside the buffer. */
#define SHMBUS_NAME_MAX		64

/* shmbus_bind.flags */
#define SHMBUS_BIND_CREATE	0x1	/* create if it does not exist */
#define SHMBUS_BIND_EXCL	0x2	/* with CREATE: fail if it exists */
#define SHMBUS_BIND_RDONLY	0x4	/* read-only handle, for ever */
#define SHMBUS_BIND_FLAGS	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL | \
				 SHMBUS_BIND_RDONLY)

/**
 * struct shmbus_bind - bind a handle to a region
 * @name: region name; empty with SHMBUS_BIND_CREATE makes an anonymous
 *	region reachable only through this open file (fork, SCM_RIGHTS)
 * @size: in: the size to create, or for an existing region 0 ("as it is")
 *	or at most its size; out: the region's size (a multiple of the page
 *	size)
 * @id: out: region id, never reused while the module is loaded
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
 * @name: the name, in the caller's IPC namespace
 * @reserved: must be zero
 */
struct shmbus_unlink {
	char name[SHMBUS_NAME_MAX];
	__u64 reserved[2];
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

#endif /* _UAPI_LINUX_SHMBUS_H */
