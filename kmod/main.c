// SPDX-License-Identifier: GPL-2.0
/*
 * shmbus: named, refcounted shared-memory regions with futex-style
 * wait/wake, exposed as the misc device /dev/shmbus.
 *
 * This file registers the device and holds module init and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "shmbus.h"

static int shmbus_open(struct inode *inode, struct file *file)
{
	struct shmbus_handle *h;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	mutex_init(&h->bind_lock);
	file->private_data = h;
	return 0;
}

static int shmbus_release(struct inode *inode, struct file *file)
{
	struct shmbus_handle *h = file->private_data;

	shmbus_handle_unbind(h);
	mutex_destroy(&h->bind_lock);
	kfree(h);
	return 0;
}

static const struct file_operations shmbus_fops = {
	.owner		= THIS_MODULE,
	.open		= shmbus_open,
	.release	= shmbus_release,
	.mmap		= shmbus_mmap,
	.unlocked_ioctl	= shmbus_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= shmbus_show_fdinfo,
	.llseek		= noop_llseek,
};

/*
 * Mode 0666: anyone may open the device; who may create, map or change a
 * region is decided per region by its owner and mode bits.
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

	ret = shmbus_proc_init();
	if (ret)
		return ret;
	ret = misc_register(&shmbus_misc);
	if (ret) {
		pr_err("cannot register misc device: %d\n", ret);
		shmbus_proc_exit();
		return ret;
	}
	pr_info("version " SHMBUS_VERSION " loaded\n");
	return 0;
}

static void __exit shmbus_exit(void)
{
	misc_deregister(&shmbus_misc);
	shmbus_proc_exit();
	shmbus_regions_exit();
}

module_init(shmbus_init);
module_exit(shmbus_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The shmbus developers");
MODULE_DESCRIPTION("Named shared-memory regions with futex-style wait/wake");
MODULE_VERSION(SHMBUS_VERSION);
MODULE_ALIAS_MISCDEV(MISC_DYNAMIC_MINOR);
