// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest actors over the wait/wake ioctls: waiter children, the robust
 * lock protocol of docs/waitwake.md, watches.  See util.h.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

/* ---- Waiters ---- */

static void on_signal(int sig)
{
	(void)sig;
}

void catch_signal(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

struct shmbus_wait wait_args(__u64 offset, __u32 expected)
{
	struct shmbus_wait w = {
		.offset = offset, .expected = expected, .bitset = SHMBUS_BITSET_ANY,
	};

	return w;
}

int waiter_main(void *arg)
{
	struct waiter *wt = arg;

	if (wt->signal_flags >= 0)
		catch_signal(SIGUSR1, wt->signal_flags);
	return -shmbus_wait(wt->fd, &wt->w);
}

pid_t start_wait(int fd, struct shmbus_wait w, unsigned int nth)
{
	struct waiter wt = { .fd = fd, .signal_flags = -1, .w = w };
	pid_t pid = spawn(waiter_main, &wt);
	int ret;

	if (pid < 0)
		return pid;
	ret = await_waiters(fd, nth, WAITER_SETTLE_MS);
	return ret ? ret : pid;
}

pid_t start_waiter(int fd, __u64 offset, __u32 bitset, unsigned int nth)
{
	struct shmbus_wait w = wait_args(offset, 0);

	w.bitset = bitset;
	return start_wait(fd, w, nth);
}

int start_waiters(int fd, pid_t *pids, const __u32 *bitsets, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		pids[i] = start_waiter(fd, 0, bitsets ? bitsets[i] : SHMBUS_BITSET_ANY,
				       i + 1);
		if (pids[i] < 0)
			return pids[i];
	}
	return 0;
}

unsigned int reap_all(pid_t *pids, unsigned int n)
{
	unsigned int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += reap(pids[i], WAITER_SETTLE_MS, NULL) == 0;
	return ok;
}

/* ---- Robust locks ---- */

__u32 *map_word(void *map, __u64 offset)
{
	return (__u32 *)((char *)map + offset);
}

__u32 word_load(__u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

bool word_cas(__u32 *p, __u32 *old, __u32 new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

int rlock_init(struct rlock *l, int fd, void *map, __u64 offset)
{
	int id = shmbus_owner_id(fd);

	if (id < 0)
		return id;
	l->fd = fd;
	l->word = map_word(map, offset);
	l->offset = offset;
	l->id = id;
	return 0;
}

int rlock_lock(const struct rlock *l)
{
	const __u32 kept = SHMBUS_LOCK_OWNER_DIED | SHMBUS_LOCK_WAITERS;
	__u32 want = l->id, old = 0;
	int ret;

	for (;;) {
		if (!(old & SHMBUS_LOCK_OWNER_MASK)) {
			if (word_cas(l->word, &old, want | (old & kept)))
				return old & SHMBUS_LOCK_OWNER_DIED ? EOWNERDEAD : 0;
			continue;
		}
		if (!(old & SHMBUS_LOCK_WAITERS)) {
			if (!word_cas(l->word, &old, old | SHMBUS_LOCK_WAITERS))
				continue;
			old |= SHMBUS_LOCK_WAITERS;
		}
		ret = shmbus_wait_word(l->fd, l->offset, old, RLOCK_WATCHDOG_NS);
		if (ret && ret != -EAGAIN)
			return ret;
		want = l->id | SHMBUS_LOCK_WAITERS;
		old = word_load(l->word);
	}
}

void rlock_consistent(const struct rlock *l)
{
	__atomic_fetch_and(l->word, ~SHMBUS_LOCK_OWNER_DIED, __ATOMIC_SEQ_CST);
}

__u32 rlock_release(const struct rlock *l)
{
	return __atomic_exchange_n(l->word, 0, __ATOMIC_SEQ_CST);
}

int rlock_wake(const struct rlock *l, __u32 old)
{
	int ret = 0;

	if (old & SHMBUS_LOCK_WAITERS)
		ret = shmbus_wake(l->fd, l->offset, 1, SHMBUS_BITSET_ANY);
	return ret < 0 ? ret : 0;
}

int rlock_unlock(const struct rlock *l)
{
	return rlock_wake(l, rlock_release(l));
}

/* ---- Watches ---- */

#include <poll.h>

int poll_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n = poll(&pfd, 1, 0);

	return n < 0 ? -errno : pfd.revents;
}

int read_events(int fd, __u64 *events, size_t len)
{
	ssize_t n = read(fd, events, len);

	return n < 0 ? -errno : (int)n;
}
