// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl entry point: copy in, validate, dispatch.
 */
#include <linux/fs.h>

#include "shmbus.h"

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
	switch (cmd) {
	default:
		return -ENOTTY;
	}
}
