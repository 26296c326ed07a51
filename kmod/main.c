// SPDX-License-Identifier: GPL-2.0
/*
 * shmbus: named, refcounted shared-memory regions with futex-style
 * wait/wake, exposed as the misc device /dev/shmbus.
 *
 * This file holds the device: module init and exit, and the handle's file
 * operations (open, release; poll and read are watch.c's).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "shmbus.h"

#define CREATE_TRACE_POINTS
#include "shmbus_trace.h"

static const struct file_operations shmbus_fops;

/**
 * shmbus_handle_alloc() - a new, unbound handle
 *
 * Return: the handle, or NULL.
 */
struct shmbus_handle *shmbus_handle_alloc(void)
{
	struct shmbus_handle *h;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return NULL;
	xa_init(&h->robust_words);
	mutex_init(&h->bind_lock);
	mutex_init(&h->watch_lock);
	init_waitqueue_head(&h->watch_wq);
	return h;
}

/**
 * shmbus_handle_free() - free a handle that no file owns
 * @h: the handle, unbound or unbound from by its release
 */
void shmbus_handle_free(struct shmbus_handle *h)
{
	mutex_destroy(&h->watch_lock);
	mutex_destroy(&h->bind_lock);
	kfree(h);
}

static int shmbus_open(struct inode *inode, struct file *file)
{
	struct shmbus_handle *h = shmbus_handle_alloc();

	if (!h)
		return -ENOMEM;
	file->private_data = h;
	return 0;
}

static int shmbus_release(struct inode *inode, struct file *file)
{
	struct shmbus_handle *h = file->private_data;

	if (h->region) {
		shmbus_watch_release(h);
		shmbus_robust_release(h);
		shmbus_map_file_release(h);
	}
	shmbus_handle_unbind(h);
	shmbus_handle_free(h);
	return 0;
}

/**
 * shmbus_file_handle() - the handle behind a file, if it is a shmbus one
 * @file: any file
 *
 * Return: the handle, or NULL if @file is not a /dev/shmbus handle.
 */
struct shmbus_handle *shmbus_file_handle(struct file *file)
{
	return file->f_op == &shmbus_fops ? file->private_data : NULL;
}

/**
 * shmbus_handle_file() - a new file for a new, unbound handle
 * @h: the handle, from shmbus_handle_alloc(); owned by the file on success
 * @flags: O_ACCMODE bits and O_CLOEXEC
 *
 * Return: the file, or an ERR_PTR.
 */
struct file *shmbus_handle_file(struct shmbus_handle *h, int flags)
{
	return anon_inode_getfile("[shmbus]", &shmbus_fops, h, flags);
}

static const struct file_operations shmbus_fops = {
	.owner		= THIS_MODULE,
	.open		= shmbus_open,
	.release	= shmbus_release,
	.mmap		= shmbus_mmap,
	.poll		= shmbus_watch_poll,
	.read		= shmbus_watch_read,
	.unlocked_ioctl	= shmbus_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= shmbus_show_fdinfo,
	.llseek		= noop_llseek,
};

/*
 * Mode 0666: anyone may open the device; who may create, map or change a
 * region is decided per region by its owner and mode bits.  Until a udev
 * rule installed with the module sets the node's owner and mode, this is
 * where the mode comes from.
 */
static struct miscdevice shmbus_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "shmbus",
	.fops	= &shmbus_fops,
	.mode	= 0666,
};

static int __init shmbus_init(void)
{
	int ret;

	shmbus_regions_init();
	ret = shmbus_hash_init();
	if (ret)
		return ret;
	ret = shmbus_proc_init();
	if (ret)
		goto err_hash;
	ret = misc_register(&shmbus_misc);
	if (ret) {
		pr_err("cannot register misc device: %d\n", ret);
		goto err_proc;
	}
	return 0;

err_proc:
	shmbus_proc_exit();
err_hash:
	shmbus_hash_exit();
	return ret;
}

static void __exit shmbus_exit(void)
{
	misc_deregister(&shmbus_misc);
	shmbus_proc_exit();
	shmbus_regions_exit();
	shmbus_hash_exit();
}

module_init(shmbus_init);
module_exit(shmbus_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The shmbus developers");
MODULE_DESCRIPTION("Named shared-memory regions with futex-style wait/wake");
MODULE_VERSION(SHMBUS_VERSION);
