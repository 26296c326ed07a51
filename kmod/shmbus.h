/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmbus private declarations, shared by the files of the module.
 */
#ifndef _SHMBUS_H
#define _SHMBUS_H

#include <linux/fs.h>

#define SHMBUS_VERSION "0.1.0"

long shmbus_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _SHMBUS_H */
