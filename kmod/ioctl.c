// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl entry point: copy in, validate, dispatch.  Rules about regions
 * themselves live in region.c.
 */
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "shmbus.h"

static bool shmbus_reserved_zero(const __u64 *reserved, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (reserved[i])
			return false;
	return true;
}

/*
 * A name is 1..63 bytes, NUL-terminated inside its buffer, without '/'.
 * An empty one is accepted only where @allow_empty (anonymous regions).
 */
static int shmbus_check_name(const char *name, bool allow_empty)
{
	size_t len = strnlen(name, SHMBUS_NAME_MAX);

	if (len == SHMBUS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!len && !allow_empty)
		return -EINVAL;
	if (strchr(name, '/'))
		return -EINVAL;
	return 0;
}

static struct shmbus_region *shmbus_bound_region(struct file *file)
{
	return shmbus_handle_region(file->private_data);
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
	    (a.flags & ~SHMBUS_BIND_FLAGS) ||
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
	return shmbus_unlink(a.name);
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
	void __user *uarg = (void __user *)arg;

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
	default:
		return -ENOTTY;
	}
}
