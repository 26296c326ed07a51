/* SPDX-License-Identifier: MIT */
/*
 * libshmbus: userspace API over /dev/shmbus.
 *
 * Conventions: every function that can fail returns a negative errno value
 * on failure (never sets errno as its result), like liburing.
 */
#ifndef LIBSHMBUS_H
#define LIBSHMBUS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Path of the shmbus device node. */
#define SHMBUS_DEVICE_PATH "/dev/shmbus"

/**
 * shmbus_open_device() - open a new handle on /dev/shmbus
 *
 * The handle is close-on-exec.  Return: a file descriptor, or -errno.
 */
int shmbus_open_device(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBSHMBUS_H */
