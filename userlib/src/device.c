// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>

#include "shmbus.h"

int shmbus_open_device(void)
{
	int fd = open(SHMBUS_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
