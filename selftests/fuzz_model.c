// SPDX-License-Identifier: GPL-2.0
/*
 * The model of the fuzzer (fuzz_test, see fuzz_test.c) that its operations
 * share: how a violation is reported and an outcome counted, how a worker
 * picks a handle from its table and spoils arguments, and the contract's
 * rules for the word commands (CHMOD and CHOWN follow them too).
 */
#define _GNU_SOURCE
#define FUZZ_SRC	SRC_MODEL
#include <stdarg.h>

#include "fuzz.h"

#define MAX_REPORTS	3	/* violations printed per line; all are counted */

size_t pg;

const char *const fuzz_src_names[NR_SRCS] = {
	[SRC_TEST] = "fuzz_test.c",
	[SRC_MODEL] = "fuzz_model.c",
	[SRC_REGION] = "fuzz_ops_region.c",
	[SRC_MMAP] = "fuzz_ops_mmap.c",
	[SRC_WORD] = "fuzz_ops_word.c",
};

void violation(struct worker *w, enum fuzz_src src, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	__atomic_add_fetch(&w->sh->violations, 1, __ATOMIC_RELAXED);
	if (line >= MAX_LINES ||
	    __atomic_add_fetch(&w->sh->hits[src][line], 1, __ATOMIC_RELAXED) > MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# VIOLATION worker %d%s op %ld (%s:%d): %s\n", w->index,
		w->in_child ? " child" : "", w->op, fuzz_src_names[src], line, msg);
}

void tally(struct worker *w, int err)
{
	if (err >= 0 && err < 128)
		__atomic_add_fetch(&w->sh->outcomes[w->cur][err], 1, __ATOMIC_RELAXED);
}

bool word_ok(__u64 size, __u64 offset)
{
	return !(offset & 3) && offset < size && size - offset >= 4;
}

__u64 page_align(__u64 n)
{
	return (n + pg - 1) & ~(__u64)(pg - 1);
}

/* Non-zero now and then: a pad word or an unknown flag of 32 bits. */
__u32 dirty(struct worker *w, bool *bad)
{
	if (!one_in(w, 24))
		return 0;
	*bad = true;
	return 1U << below(w, 32);
}

/* The same for one of @n reserved 64-bit words. */
void dirty_reserved(struct worker *w, __u64 *reserved, unsigned int n, bool *bad)
{
	if (!one_in(w, 24))
		return;
	*bad = true;
	reserved[below(w, n)] = 1ULL << below(w, 64);
}

/* A random open handle, or NULL. */
struct slot *any_slot(struct worker *w)
{
	unsigned int i, start = below(w, MAX_FDS);

	for (i = 0; i < MAX_FDS; i++) {
		struct slot *s = &w->fds[(start + i) % MAX_FDS];

		if (s->fd >= 0)
			return s;
	}
	return NULL;
}

/* Three times in four a handle whose binding is @bound if any; else any. */
struct slot *pick_slot(struct worker *w, bool bound)
{
	unsigned int i, start = below(w, MAX_FDS);

	if (!one_in(w, 4)) {
		for (i = 0; i < MAX_FDS; i++) {
			struct slot *s = &w->fds[(start + i) % MAX_FDS];

			if (s->fd >= 0 && s->bound == bound)
				return s;
		}
	}
	return any_slot(w);
}

struct slot *free_slot(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++)
		if (w->fds[i].fd < 0)
			return &w->fds[i];
	return NULL;
}

/*
 * OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE on a bound
 * read-only handle: EBADF, before the argument is read.
 */
errset rdonly_refused(struct slot *s)
{
	return s->bound && s->rdonly ? E(EBADF) : 0;
}

/* Outcomes of a word command on @s when its arguments are otherwise fine. */
errset word_outcomes(struct slot *s, __u64 offset, bool bad, errset ok)
{
	if (!s->bound)
		return E(ENXIO) | (bad ? E(EINVAL) : 0);
	if (bad || !word_ok(s->size, offset))
		return E(EINVAL);
	return ok;
}
