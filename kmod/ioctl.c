// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl entry point: copy in, validate, dispatch.
 *
 * Every field of every command's argument is checked here before anything
 * else happens: unknown flags, non-zero reserved and padding words, zero
 * bitsets, names, modes, a timeout's clock, mode and range, and every
 * offset against the caller's region (4-byte aligned, inside).  Flags are
 * checked before an array is copied in.  One split: the entries of a WAITV
 * name other handles, so each entry is checked (padding, bitset, fd, its
 * region, offset) in waitwake.c as its fd is resolved, in entry order.
 * What depends on the state of a region rather than on the argument (who
 * may bind or change it, quotas, whether a word holds a value) is decided
 * where that state lives: region.c, waitwake.c, requeue.c, watch.c,
 * robust.c.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "shmbus.h"

/*
 * Every flag this version knows, kept here rather than in the uapi header
 * (as futex keeps its waitv mask in syscalls.c): adding a flag changes
 * these, never a constant userspace compiled in.
 */
#define SHMBUS_BIND_VALID	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL | SHMBUS_BIND_RDONLY)
#define SHMBUS_WAIT_VALID	(SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE | \
				 SHMBUS_WAIT_CLOCK_MASK)

/*
 * A timeout: one clock; relative, absolute or none; no more than KTIME_MAX
 * nanoseconds; 0 without a mode.
 */
static bool shmbus_timeout_ok(u32 flags, u64 ns)
{
	u32 mode = flags & (SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE);

	switch (flags & SHMBUS_WAIT_CLOCK_MASK) {
	case SHMBUS_WAIT_CLOCK_MONOTONIC:
	case SHMBUS_WAIT_CLOCK_REALTIME:
	case SHMBUS_WAIT_CLOCK_BOOTTIME:
		break;
	default:
		return false;
	}
	if (flags & ~SHMBUS_WAIT_VALID)
		return false;
	if (!mode)
		return !ns;
	return mode != (SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE) && ns <= KTIME_MAX;
}

static bool shmbus_reserved_zero(const __u64 *reserved, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (reserved[i])
			return false;
	return true;
}

/*
 * A name is 1..63 bytes of printable ASCII (0x21..0x7e) other than '/',
 * NUL-terminated inside its buffer: no space, control character or DEL can
 * forge a line or a column where names are printed.  An empty one is
 * accepted only where @allow_empty (anonymous regions).
 */
static int shmbus_check_name(const char *name, bool allow_empty)
{
	size_t len = strnlen(name, SHMBUS_NAME_MAX), i;

	if (len == SHMBUS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len && !allow_empty)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c < 0x21 || c > 0x7e || c == '/')
			return -EINVAL;
	}
	return 0;
}

static struct shmbus_region *shmbus_bound_region(struct file *file)
{
	return shmbus_handle_region(file->private_data);
}

/*
 * The region of a handle that may write it: commands that make the kernel
 * write into the region or change what its writers see (owner ids, lock
 * registration, requeueing sleepers) are not for read-only handles.
 */
static struct shmbus_region *shmbus_writable_region(struct file *file)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);

	if (!r)
		return ERR_PTR(-ENXIO);
	if (h->rdonly)
		return ERR_PTR(-EBADF);
	return r;
}

static long shmbus_ioctl_bind(struct file *file, struct shmbus_bind __user *uarg)
{
	struct shmbus_bind a;
	bool create;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	create = a.flags & SHMBUS_BIND_CREATE;
	if (!shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)) ||
	    (a.flags & ~SHMBUS_BIND_VALID) ||
	    ((a.flags & SHMBUS_BIND_EXCL) && !create) ||
	    (create && (a.mode & ~0777)))
		return -EINVAL;
	ret = shmbus_check_name(a.name, create);
	if (ret)
		return ret;

	ret = shmbus_bind(file->private_data, file, &a);
	if (ret)
		return ret;
	if (put_user(a.size, &uarg->size) || put_user(a.id, &uarg->id))
		return -EFAULT;
	return 0;
}

static long shmbus_ioctl_info(struct file *file, struct shmbus_info __user *uarg)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_info info;

	if (!r)
		return -ENXIO;
	/* Zeroed whole, padding and reserved words included. */
	memset(&info, 0, sizeof(info));
	shmbus_region_fill_info(r, &info, h->rdonly);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long shmbus_ioctl_unlink(struct shmbus_unlink __user *uarg)
{
	struct shmbus_unlink a;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (!shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	ret = shmbus_check_name(a.name, false);
	if (ret)
		return ret;
	return shmbus_unlink(a.name, a.ns);
}

static long shmbus_ioctl_chmod(struct file *file, struct shmbus_chmod __user *uarg)
{
	struct shmbus_region *r = shmbus_bound_region(file);
	struct shmbus_chmod a;

	if (!r)
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)) ||
	    (a.mode & ~0777))
		return -EINVAL;
	return shmbus_chmod(r, a.mode);
}

static long shmbus_ioctl_chown(struct file *file, struct shmbus_chown __user *uarg)
{
	struct shmbus_region *r = shmbus_bound_region(file);
	struct shmbus_chown a;

	if (!r)
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (!shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	return shmbus_chown(r, a.uid, a.gid);
}

static long shmbus_ioctl_wait(struct file *file, struct shmbus_wait __user *uarg)
{
	struct shmbus_region *r = shmbus_bound_region(file);
	struct shmbus_wait a;
	int ret;

	if (!r)
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)) ||
	    !a.bitset || !shmbus_timeout_ok(a.flags, a.timeout_ns))
		return -EINVAL;
	ret = shmbus_word_ok(r, a.offset);
	if (ret)
		return ret;
	return shmbus_wait(file->private_data, &a);
}

static long shmbus_ioctl_wake(struct file *file, struct shmbus_wake __user *uarg)
{
	struct shmbus_region *r = shmbus_bound_region(file);
	struct shmbus_wake a;
	int ret;

	if (!r)
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.pad || !a.bitset ||
	    !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	ret = shmbus_word_ok(r, a.offset);
	if (ret)
		return ret;
	return shmbus_wake(r, a.offset, a.count, a.bitset);
}

static long shmbus_ioctl_waitv(struct file *file, struct shmbus_waitv __user *uarg)
{
	struct shmbus_waitv_entry *entries;
	struct shmbus_waitv a;
	long ret;

	if (!shmbus_bound_region(file))
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (!shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)) ||
	    !a.nr || a.nr > SHMBUS_WAITV_MAX || !shmbus_timeout_ok(a.flags, a.timeout_ns))
		return -EINVAL;
	/* Kept for the whole sleep: charged to the caller, as the waiters are. */
	entries = kmalloc_array(a.nr, sizeof(*entries), GFP_KERNEL_ACCOUNT);
	if (!entries)
		return -ENOMEM;
	if (copy_from_user(entries, u64_to_user_ptr(a.entries), a.nr * sizeof(*entries)))
		ret = -EFAULT;
	else
		ret = shmbus_waitv(file, entries, a.nr, a.flags, a.timeout_ns);
	kfree(entries);
	return ret;
}

static long shmbus_ioctl_requeue(struct file *file, struct shmbus_requeue __user *uarg)
{
	struct shmbus_region *r = shmbus_writable_region(file);
	struct shmbus_requeue a;
	int ret;

	if (IS_ERR(r))
		return PTR_ERR(r);
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.woken || a.requeued || a.flags || a.from == a.to ||
	    !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	ret = shmbus_word_ok(r, a.from) ?: shmbus_word_ok(r, a.to);
	if (ret)
		return ret;
	ret = shmbus_cmp_requeue(r, &a);
	if (ret < 0)
		return ret;
	if (put_user(a.woken, &uarg->woken) || put_user(a.requeued, &uarg->requeued))
		return -EFAULT;
	return ret;
}

static long shmbus_ioctl_watch(struct file *file, struct shmbus_watch __user *uarg,
			       bool add)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_watch a;
	int ret;

	if (!r)
		return -ENXIO;
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.pad || !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	/* WATCH needs a bitset; UNWATCH takes none. */
	if (add != !!a.bitset)
		return -EINVAL;
	ret = shmbus_word_ok(r, a.offset);
	if (ret)
		return ret;
	return add ? shmbus_watch_add(h, a.offset, a.bitset) :
		     shmbus_watch_remove(h, a.offset);
}

static long shmbus_ioctl_lock_word(struct file *file, struct shmbus_lock_word __user *uarg,
				   bool add)
{
	struct shmbus_region *r = shmbus_writable_region(file);
	struct shmbus_lock_word a;
	int ret;

	if (IS_ERR(r))
		return PTR_ERR(r);
	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.pad || !shmbus_reserved_zero(a.reserved, ARRAY_SIZE(a.reserved)))
		return -EINVAL;
	ret = shmbus_word_ok(r, a.offset);
	if (ret)
		return ret;
	return add ? shmbus_lock_register(file->private_data, a.offset) :
		     shmbus_lock_unregister(file->private_data, a.offset);
}

static long shmbus_ioctl_owner_id(struct file *file)
{
	struct shmbus_region *r = shmbus_writable_region(file);

	if (IS_ERR(r))
		return PTR_ERR(r);
	return shmbus_owner_id(file->private_data);
}

/**
 * shmbus_ioctl() - dispatch an ioctl on a /dev/shmbus handle
 * @file: the handle
 * @cmd: ioctl command
 * @arg: user pointer to the command's argument
 *
 * Return: the command's result, or -ENOTTY for a command shmbus does not know.
 */
long shmbus_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct shmbus_handle *h = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SHMBUS_IOC_WAIT:
		atomic_long_inc(&h->calls[SHMBUS_CALL_WAIT]);
		break;
	case SHMBUS_IOC_WAKE:
		atomic_long_inc(&h->calls[SHMBUS_CALL_WAKE]);
		break;
	case SHMBUS_IOC_WAITV:
		atomic_long_inc(&h->calls[SHMBUS_CALL_WAITV]);
		break;
	case SHMBUS_IOC_CMP_REQUEUE:
		atomic_long_inc(&h->calls[SHMBUS_CALL_REQUEUE]);
		break;
	}

	switch (cmd) {
	case SHMBUS_IOC_BIND:
		return shmbus_ioctl_bind(file, uarg);
	case SHMBUS_IOC_INFO:
		return shmbus_ioctl_info(file, uarg);
	case SHMBUS_IOC_UNLINK:
		return shmbus_ioctl_unlink(uarg);
	case SHMBUS_IOC_CHMOD:
		return shmbus_ioctl_chmod(file, uarg);
	case SHMBUS_IOC_CHOWN:
		return shmbus_ioctl_chown(file, uarg);
	case SHMBUS_IOC_WAIT:
		return shmbus_ioctl_wait(file, uarg);
	case SHMBUS_IOC_WAKE:
		return shmbus_ioctl_wake(file, uarg);
	case SHMBUS_IOC_WAITV:
		return shmbus_ioctl_waitv(file, uarg);
	case SHMBUS_IOC_CMP_REQUEUE:
		return shmbus_ioctl_requeue(file, uarg);
	case SHMBUS_IOC_WATCH:
		return shmbus_ioctl_watch(file, uarg, true);
	case SHMBUS_IOC_UNWATCH:
		return shmbus_ioctl_watch(file, uarg, false);
	case SHMBUS_IOC_OWNER_ID:
		return shmbus_ioctl_owner_id(file);
	case SHMBUS_IOC_LOCK_REGISTER:
		return shmbus_ioctl_lock_word(file, uarg, true);
	case SHMBUS_IOC_LOCK_UNREGISTER:
		return shmbus_ioctl_lock_word(file, uarg, false);
	case SHMBUS_IOC_REOPEN:
		return shmbus_reopen(file);
	default:
		return -ENOTTY;
	}
}
