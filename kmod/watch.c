// SPDX-License-Identifier: GPL-2.0
/*
 * Poll watches: a handle watches up to SHMBUS_WATCH_MAX words of its region
 * (SHMBUS_IOC_WATCH, SHMBUS_IOC_UNWATCH).  A watch is queued on its word's
 * bucket like a waiter without a task; every WAKE that reaches the word and
 * intersects the watch's bitset adds one to the handle's event count,
 * whatever the WAKE's count says, and is never counted against it.  poll()
 * reports EPOLLIN while the count is non-zero; read() returns it (8 bytes)
 * and resets it, blocking unless O_NONBLOCK while it is zero.
 */
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "shmbus.h"

/**
 * __shmbus_notify_watch() - report a wake-up to a watch's handle
 * @w: a queued watch; its bucket is locked
 */
void __shmbus_notify_watch(struct shmbus_waiter *w)
{
	struct shmbus_handle *h = w->watch;

	lockdep_assert_held(&w->bucket->lock);
	atomic64_inc(&h->watch_events);
	wake_up_interruptible_poll(&h->watch_wq, EPOLLIN | EPOLLRDNORM);
}

/**
 * shmbus_watch_add() - SHMBUS_IOC_WATCH
 * @h: a bound handle
 * @offset: a validated word offset
 * @bitset: a checked, non-zero bitset
 *
 * Return: 0, -EEXIST, -ENOSPC or -ENOMEM.
 */
int shmbus_watch_add(struct shmbus_handle *h, u64 offset, u32 bitset)
{
	struct shmbus_region *r = shmbus_handle_region(h);
	struct shmbus_waiter *watch;
	struct shmbus_bucket *b;
	unsigned int i;
	int ret = 0;

	mutex_lock(&h->watch_lock);
	for (i = 0; i < h->nr_watches; i++) {
		if (h->watches[i]->offset == offset) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (h->nr_watches == SHMBUS_WATCH_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	watch = kzalloc(sizeof(*watch), GFP_KERNEL_ACCOUNT);
	if (!watch) {
		ret = -ENOMEM;
		goto out;
	}
	shmbus_waiter_init(watch, r, false, offset, bitset);
	watch->task = NULL;
	watch->watch = h;
	b = shmbus_bucket_of(r->key, offset);
	shmbus_queued_inc(r, b);
	spin_lock(&b->lock);
	__shmbus_enqueue(watch, b);
	spin_unlock(&b->lock);
	h->watches[h->nr_watches++] = watch;
out:
	mutex_unlock(&h->watch_lock);
	return ret;
}

static void shmbus_watch_free(struct shmbus_waiter *watch)
{
	shmbus_unqueue(watch);
	kfree(watch);
}

/**
 * shmbus_watch_remove() - SHMBUS_IOC_UNWATCH
 * @h: a bound handle
 * @offset: a validated word offset
 *
 * Return: 0 or -ENOENT.
 */
int shmbus_watch_remove(struct shmbus_handle *h, u64 offset)
{
	unsigned int i;
	int ret = -ENOENT;

	mutex_lock(&h->watch_lock);
	for (i = 0; i < h->nr_watches; i++) {
		if (h->watches[i]->offset != offset)
			continue;
		shmbus_watch_free(h->watches[i]);
		h->watches[i] = h->watches[--h->nr_watches];
		h->watches[h->nr_watches] = NULL;
		ret = 0;
		break;
	}
	mutex_unlock(&h->watch_lock);
	return ret;
}

/**
 * shmbus_watch_release() - drop every watch of a handle being released
 * @h: the handle
 */
void shmbus_watch_release(struct shmbus_handle *h)
{
	unsigned int i;

	for (i = 0; i < h->nr_watches; i++)
		shmbus_watch_free(h->watches[i]);
	h->nr_watches = 0;
}

/**
 * shmbus_watch_poll() - poll() of a handle: EPOLLIN once a watched word was woken
 * @file: the handle's file
 * @pt: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while wake-ups are unread, else 0.
 */
__poll_t shmbus_watch_poll(struct file *file, struct poll_table_struct *pt)
{
	struct shmbus_handle *h = file->private_data;

	poll_wait(file, &h->watch_wq, pt);
	return atomic64_read(&h->watch_events) ? EPOLLIN | EPOLLRDNORM : 0;
}

/**
 * shmbus_watch_read() - read() of a handle: the number of wake-ups seen
 * @file: the handle's file
 * @buf: where the count goes, a u64
 * @len: at least 8
 * @ppos: unused
 *
 * Reads and resets the number of wakes seen on watched words since the last
 * read, waiting for one unless the file is O_NONBLOCK.
 *
 * Return: 8, or -ENXIO, -EINVAL, -EAGAIN, -EINTR (-ERESTARTSYS), -EFAULT.
 */
ssize_t shmbus_watch_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	struct shmbus_handle *h = file->private_data;
	u64 events;
	int ret;

	if (!shmbus_handle_region(h))
		return -ENXIO;
	if (len < sizeof(events))
		return -EINVAL;
	for (;;) {
		events = atomic64_xchg(&h->watch_events, 0);
		if (events)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(h->watch_wq, atomic64_read(&h->watch_events));
		if (ret)
			return ret;
	}
	if (put_user(events, (u64 __user *)buf)) {
		atomic64_add(events, &h->watch_events);
		return -EFAULT;
	}
	return sizeof(events);
}
