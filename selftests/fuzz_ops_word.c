// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's operations on words (fuzz_test, see fuzz_test.c): WAIT and
 * WAITV with timeouts that always end them quickly, WAKE, CMP_REQUEUE,
 * WATCH and UNWATCH with poll and read of the events, OWNER_ID, and
 * LOCK_REGISTER and LOCK_UNREGISTER, at boundary offsets, counts and
 * bitsets.  Each result is checked against docs/waitwake.md.
 */
#define _GNU_SOURCE
#define FUZZ_SRC	SRC_WORD
#include <poll.h>

#include "fuzz.h"

#define MAX_WAIT_NS	5000000ULL	/* the longest timeout a wait is given */
#define KTIME_MAX	((__u64)LLONG_MAX)

/* Word offsets: the edges, then mostly a few words so waits meet wakes. */
static __u64 pick_offset(struct worker *w, __u64 size)
{
	switch (below(w, 16)) {
	case 0:
		return 4;
	case 1:
		return size - 4;
	case 2:
		return size;
	case 3:
		return -4ULL;
	case 4:
		return 1ULL << 40;
	case 5:
		return 2;
	case 6:
		return size - 8;
	case 7:
		return size > pg ? pg : 0;
	default:
		return below(w, 4) * 4;
	}
}

static __u32 pick_count(struct worker *w)
{
	static const __u32 counts[] = { 0, 1, 2, INT_MAX, (__u32)INT_MAX + 1, 0xffffffff };

	if (one_in(w, 4))
		return below(w, 8);
	return counts[below(w, ARRAY_SIZE(counts))];
}

static __u32 pick_bitset(struct worker *w)
{
	switch (below(w, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return 0x80000000;
	case 3:
		return rnd(w);
	default:
		return SHMBUS_BITSET_ANY;
	}
}

static clockid_t clock_of(__u32 flags)
{
	switch (flags & SHMBUS_WAIT_CLOCK_MASK) {
	case SHMBUS_WAIT_CLOCK_REALTIME:
		return CLOCK_REALTIME;
	case SHMBUS_WAIT_CLOCK_BOOTTIME:
		return CLOCK_BOOTTIME;
	default:
		return CLOCK_MONOTONIC;
	}
}

/*
 * A timeout for WAIT or WAITV: short, or invalid (*bad).  Never "no
 * timeout": the fuzzer must not hang.
 */
static void pick_timeout(struct worker *w, __u32 *flags, __u64 *ns, bool *bad)
{
	static const __u32 clocks[] = {
		SHMBUS_WAIT_CLOCK_MONOTONIC, SHMBUS_WAIT_CLOCK_REALTIME, SHMBUS_WAIT_CLOCK_BOOTTIME,
	};
	__u32 clock = clocks[below(w, 3)];

	*flags = SHMBUS_WAIT_RELATIVE | clock;
	*ns = one_in(w, 4) ? 0 : below(w, MAX_WAIT_NS);
	switch (below(w, 16)) {
	case 0:
		*flags = SHMBUS_WAIT_ABSOLUTE | clock;
		*ns += now_ns(clock_of(clock));
		break;
	case 1:
		*flags = SHMBUS_WAIT_ABSOLUTE | clock;
		*ns = one_in(w, 2) ? 0 : now_ns(clock_of(clock)) - NSEC_PER_SEC;
		break;
	case 2:
		*flags = SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE | clock;
		*bad = true;
		break;
	case 3:
		*flags = clock;
		*ns = 1 + below(w, MAX_WAIT_NS);
		*bad = true;
		break;
	case 4:
		*flags = SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_CLOCK_MASK;
		*bad = true;
		break;
	case 5:
		*flags |= 1U << (2 + below(w, 30));
		*bad = (*flags & ~WAIT_FLAGS_KNOWN) || (*flags & SHMBUS_WAIT_CLOCK_MASK) ==
			SHMBUS_WAIT_CLOCK_MASK;
		break;
	case 6:
		*ns = KTIME_MAX + 1 + below(w, 1ULL << 62);
		*bad = true;
		break;
	}
}

/* After a wait that timed out: it must not have ended early. */
static void check_timeout(struct worker *w, __u32 flags, __u64 ns,
			  unsigned long long start, const char *what)
{
	unsigned long long now = now_ns(clock_of(flags));

	if (flags & SHMBUS_WAIT_ABSOLUTE) {
		if (now < ns)
			VIOLATION(w, "%s: ETIMEDOUT %llu ns before its absolute timeout",
				  what, ns - now);
	} else if (now - start < ns) {
		VIOLATION(w, "%s: ETIMEDOUT after %llu of %llu ns", what, now - start,
			  (unsigned long long)ns);
	}
}

void op_wait(struct worker *w)
{
	struct slot *s = pick_slot(w, true);
	struct shmbus_wait a = { 0 };
	unsigned long long start;
	bool bad = false;
	errset set;
	int err;

	if (!s)
		return;
	a.offset = pick_offset(w, s->size);
	a.expected = one_in(w, 4) ? rnd(w) : 0;
	a.bitset = pick_bitset(w);
	pick_timeout(w, &a.flags, &a.timeout_ns, &bad);
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= !a.bitset;
	set = word_outcomes(s, a.offset, bad, OK | E(EAGAIN) | E(ETIMEDOUT) | E(EINTR));
	start = now_ns(clock_of(a.flags));
	err = ioctl(s->fd, SHMBUS_IOC_WAIT, &a) ? errno : 0;
	CHECK(w, set, err, "WAIT offset %#llx bitset %#x flags %#x timeout %llu on %s handle",
	      (unsigned long long)a.offset, a.bitset, a.flags,
	      (unsigned long long)a.timeout_ns, s->bound ? "a bound" : "an unbound");
	if (err == ETIMEDOUT)
		check_timeout(w, a.flags, a.timeout_ns, start, "WAIT");
}

void op_wake(struct worker *w)
{
	struct slot *s = pick_slot(w, true);
	struct shmbus_wake a = { 0 };
	bool bad = false;
	errset set;
	int ret, err;

	if (!s)
		return;
	a.offset = pick_offset(w, s->size);
	a.count = pick_count(w);
	a.bitset = pick_bitset(w);
	a.flags = dirty(w, &bad);
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= !a.bitset;
	set = word_outcomes(s, a.offset, bad, OK);
	ret = ioctl(s->fd, SHMBUS_IOC_WAKE, &a);
	err = ret < 0 ? errno : 0;
	CHECK(w, set, err, "WAKE offset %#llx count %u bitset %#x flags %#x on %s handle",
	      (unsigned long long)a.offset, a.count, a.bitset, a.flags,
	      s->bound ? "a bound" : "an unbound");
	if (ret > 0 && (__u32)ret > a.count)
		VIOLATION(w, "WAKE of count %u woke %d", a.count, ret);
}

/* A WAITV entry's fd: this handle, another one, or something that is not. */
static int pick_entry_fd(struct worker *w, struct slot **target, errset *errs, bool self_bound,
			 struct slot *self)
{
	struct slot *s;

	switch (below(w, 48)) {
	case 0:
		*errs |= E(EBADF);
		return BAD_FD;
	case 1:
		*errs |= E(EBADF);
		return w->pipe_fd;
	case 2:
		*errs |= E(EBADF);
		return -2;
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
	case 8:
		s = any_slot(w);
		*target = s;
		if (!s->bound)
			*errs |= E(ENXIO);
		return s->fd;
	default:
		*target = self;
		if (!self_bound)
			*errs |= E(ENXIO);
		return SHMBUS_WAITV_SELF;
	}
}

void op_waitv(struct worker *w)
{
	static const __u32 nrs[] = { 0, 1, 1, 1, 2, 2, 3, 8, SHMBUS_WAITV_MAX,
				     SHMBUS_WAITV_MAX + 1, 0xffffffff };
	static struct shmbus_waitv_entry e[SHMBUS_WAITV_MAX + 1];
	struct slot *s = pick_slot(w, true), *target;
	struct shmbus_waitv a = { 0 };
	unsigned long long start;
	bool bad = false;
	errset errs = 0, set;
	unsigned int i;
	int ret, err;

	if (!s)
		return;
	a.nr = nrs[below(w, ARRAY_SIZE(nrs))];
	a.entries = (uintptr_t)e;
	for (i = 0; i < a.nr && i <= SHMBUS_WAITV_MAX; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		target = s;
		e[i].fd = pick_entry_fd(w, &target, &errs, s->bound, s);
		/* Boundaries in one entry in four; two at most. */
		if (i < 2 && one_in(w, 4)) {
			e[i].offset = pick_offset(w, target->size);
			e[i].bitset = pick_bitset(w);
			e[i].pad = dirty(w, &bad);
		} else {
			e[i].offset = below(w, 4) * 4;
			e[i].bitset = SHMBUS_BITSET_ANY;
		}
		e[i].expected = one_in(w, 8) ? rnd(w) : 0;
		if (target->bound && !word_ok(target->size, e[i].offset))
			errs |= E(EINVAL);
		if (!e[i].bitset || e[i].pad)
			errs |= E(EINVAL);
	}
	/* The timeout and reserved words are checked before entries are read. */
	bad = false;
	pick_timeout(w, &a.flags, &a.timeout_ns, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	if (one_in(w, 32)) {
		a.entries = one_in(w, 2) ? 0 : (uintptr_t)KERNEL_PTR;
		errs = E(EFAULT);
	}
	/* Every command needs a bound handle, WAITV included. */
	if (!s->bound)
		errs |= E(ENXIO);
	if (bad || !a.nr || a.nr > SHMBUS_WAITV_MAX)
		set = E(EINVAL) | (s->bound ? 0 : E(ENXIO));
	else
		set = errs ?: OK | E(EAGAIN) | E(ETIMEDOUT) | E(EINTR);
	start = now_ns(clock_of(a.flags));
	ret = ioctl(s->fd, SHMBUS_IOC_WAITV, &a);
	err = ret < 0 ? errno : 0;
	CHECK(w, set, err, "WAITV nr %u flags %#x timeout %llu entries %#llx on %s handle (entry 0: fd %d offset %#llx)",
	      a.nr, a.flags, (unsigned long long)a.timeout_ns, (unsigned long long)a.entries,
	      s->bound ? "a bound" : "an unbound", e[0].fd, (unsigned long long)e[0].offset);
	if (ret >= 0 && (__u32)ret >= a.nr)
		VIOLATION(w, "WAITV of %u entries returned %d", a.nr, ret);
	if (err == ETIMEDOUT)
		check_timeout(w, a.flags, a.timeout_ns, start, "WAITV");
}

void op_requeue(struct worker *w)
{
	struct slot *s = pick_slot(w, true);
	struct shmbus_requeue a = { 0 };
	bool bad = false;
	errset set;
	int ret, err;

	if (!s)
		return;
	a.from = pick_offset(w, s->size);
	a.to = one_in(w, 8) ? a.from : pick_offset(w, s->size);
	a.expected = one_in(w, 4) ? rnd(w) : 0;
	a.nr_wake = pick_count(w);
	a.nr_requeue = pick_count(w);
	a.flags = dirty(w, &bad);
	a.woken = dirty(w, &bad);
	a.requeued = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= a.from == a.to || !word_ok(s->size, a.to);
	set = rdonly_refused(s) ?: word_outcomes(s, a.from, bad, OK | E(EAGAIN));
	ret = ioctl(s->fd, SHMBUS_IOC_CMP_REQUEUE, &a);
	err = ret < 0 ? errno : 0;
	CHECK(w, set, err, "CMP_REQUEUE from %#llx to %#llx wake %u requeue %u flags %#x on %s handle",
	      (unsigned long long)a.from, (unsigned long long)a.to, a.nr_wake, a.nr_requeue,
	      a.flags, s->bound ? "a bound" : "an unbound");
	if (ret >= 0 && ((__u32)ret != a.woken + a.requeued || a.woken > a.nr_wake ||
			 a.requeued > a.nr_requeue))
		VIOLATION(w, "CMP_REQUEUE returned %d, woken %u of %u, requeued %u of %u",
			  ret, a.woken, a.nr_wake, a.requeued, a.nr_requeue);
}

void op_watch(struct worker *w)
{
	bool add = !one_in(w, 3), bad = false;
	struct slot *s = pick_slot(w, true);
	struct shmbus_watch a = { 0 };
	unsigned long cmd = add ? SHMBUS_IOC_WATCH : SHMBUS_IOC_UNWATCH;
	errset set;
	int err;

	if (!s)
		return;
	a.offset = pick_offset(w, s->size);
	a.bitset = add || one_in(w, 16) ? pick_bitset(w) : 0;
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= add ? !a.bitset : a.bitset != 0;
	set = word_outcomes(s, a.offset, bad, OK | (add ? E(EEXIST) | E(ENOSPC) : E(ENOENT)));
	err = ioctl(s->fd, cmd, &a) ? errno : 0;
	CHECK(w, set, err, "%s offset %#llx bitset %#x on %s handle", add ? "WATCH" : "UNWATCH",
	      (unsigned long long)a.offset, a.bitset, s->bound ? "a bound" : "an unbound");
}

void op_poll(struct worker *w)
{
	struct pollfd pfd[MAX_FDS];
	unsigned int i, n = 0;
	int ret;

	for (i = 0; i < MAX_FDS; i++)
		if (w->fds[i].fd >= 0 && one_in(w, 2))
			pfd[n++] = (struct pollfd){ .fd = w->fds[i].fd, .events = POLLIN | POLLOUT };
	ret = poll(pfd, n, 0);
	if (ret < 0) {
		VIOLATION(w, "poll of %u handles: %s", n, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++)
		if (pfd[i].revents & ~(POLLIN | POLLRDNORM))
			VIOLATION(w, "poll: revents %#x", pfd[i].revents);
}

void op_read(struct worker *w)
{
	static const size_t lens[] = { 0, 1, 7, 8, 8, 8, 64 };
	struct slot *s = any_slot(w);
	size_t len = lens[below(w, 7)];
	bool null = one_in(w, 16);
	__u64 buf[8] = { 0 };
	errset set;
	ssize_t ret;
	int err;

	if (!s)
		return;
	if (!s->nonblock) {
		if (fcntl(s->fd, F_SETFL, O_NONBLOCK))
			VIOLATION(w, "F_SETFL O_NONBLOCK: %s", strerror(errno));
		s->nonblock = true;
	}
	if (s->accmode == O_WRONLY)
		set = E(EBADF);
	else if (!s->bound)
		set = E(ENXIO) | (len < 8 ? E(EINVAL) : 0);
	else if (len < 8)
		set = E(EINVAL);
	else
		set = OK | E(EAGAIN) | (null ? E(EFAULT) : 0);
	ret = read(s->fd, null ? NULL : buf, len);
	err = ret < 0 ? errno : 0;
	CHECK(w, set, err, "read of %zu bytes from %s handle", len,
	      s->bound ? "a bound" : "an unbound");
	if (ret >= 0 && (ret != 8 || !buf[0]))
		VIOLATION(w, "read returned %zd, count %llu", ret, (unsigned long long)buf[0]);
}

void op_owner_id(struct worker *w)
{
	struct slot *s = pick_slot(w, true);
	unsigned int i;
	int ret, err;

	if (!s)
		return;
	ret = ioctl(s->fd, SHMBUS_IOC_OWNER_ID);
	err = ret < 0 ? errno : 0;
	CHECK(w, rdonly_refused(s) ?: (s->bound ? OK : E(ENXIO)), err, "OWNER_ID on %s handle",
	      s->bound ? "a bound" : "an unbound");
	if (ret < 0 || !s->bound)
		return;
	if (ret > (int)SHMBUS_LOCK_OWNER_MASK || !ret || (s->owner && (__u32)ret != s->owner))
		VIOLATION(w, "OWNER_ID returned %d, before %u", ret, s->owner);
	s->owner = ret;
	for (i = 0; i < MAX_FDS; i++)
		if (&w->fds[i] != s && w->fds[i].fd >= 0 && w->fds[i].bound &&
		    w->fds[i].id == s->id && w->fds[i].owner == s->owner)
			VIOLATION(w, "two live handles of one region have owner id %u", s->owner);
}

void op_lock_word(struct worker *w)
{
	bool add = !one_in(w, 3), bad = false;
	struct slot *s = pick_slot(w, true);
	struct shmbus_lock_word a = { 0 };
	errset set;
	int err;

	if (!s)
		return;
	a.offset = pick_offset(w, s->size);
	a.flags = dirty(w, &bad);
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	set = rdonly_refused(s) ?:
	      word_outcomes(s, a.offset, bad, OK | (add ? E(EEXIST) | E(ENOSPC) : E(ENOENT)));
	err = ioctl(s->fd, add ? SHMBUS_IOC_LOCK_REGISTER : SHMBUS_IOC_LOCK_UNREGISTER, &a) ?
		errno : 0;
	CHECK(w, set, err, "LOCK_%sREGISTER offset %#llx flags %#x on %s handle",
	      add ? "" : "UN", (unsigned long long)a.offset, a.flags,
	      s->bound ? "a bound" : "an unbound");
}
