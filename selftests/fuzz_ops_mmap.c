// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's operations on mappings (fuzz_test, see fuzz_test.c): mmap
 * of handles at the edges of their regions, munmap, mprotect and madvise of
 * whole mappings or single pages (splitting them), mremap, and reads and
 * writes of words, which fault exactly where the protection says so.  Each
 * worker keeps its mappings in a table, as the kernel keeps its VMAs.
 */
#define _GNU_SOURCE
#define FUZZ_SRC	SRC_MMAP
#include <setjmp.h>
#include <sys/mman.h>

#include "fuzz.h"

/* Deliberate faults: access_word() arms the handler, which jumps back. */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;
static volatile sig_atomic_t fault_sig;

void on_fault(int sig)
{
	if (!fault_armed) {
		/* Not provoked: die of it once the handler returns. */
		signal(sig, SIG_DFL);
		return;
	}
	fault_armed = 0;
	fault_sig = sig;
	siglongjmp(fault_jmp, 1);
}

/* Read or write *@word; the signal that interrupted it, or 0. */
static int __attribute__((noinline)) access_word(volatile __u32 *word, bool write, __u32 val)
{
	fault_sig = 0;
	if (!sigsetjmp(fault_jmp, 1)) {
		fault_armed = 1;
		if (write)
			*word = val;
		else
			(void)*word;
		fault_armed = 0;
	}
	return fault_sig;
}

static struct map *pick_map(struct worker *w)
{
	unsigned int i, start = below(w, MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++) {
		struct map *m = &w->maps[(start + i) % MAX_MAPS];

		if (m->addr)
			return m;
	}
	return NULL;
}

static int free_maps(struct worker *w)
{
	int i, n = 0;

	for (i = 0; i < MAX_MAPS; i++)
		n += !w->maps[i].addr;
	return n;
}

static struct map *new_map(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!w->maps[i].addr)
			return &w->maps[i];
	return NULL;
}

/*
 * Make pages [first, first + n) of @m an entry of their own, as munmap()
 * and mprotect() split the VMA: the entry, or NULL when the table is full.
 */
static struct map *carve(struct worker *w, struct map *m, size_t first, size_t n)
{
	size_t pages = m->len / pg;
	struct map orig = *m, *mid = m, *tail;

	if (free_maps(w) < (first > 0) + (first + n < pages))
		return NULL;
	if (first) {
		m->len = first * pg;
		mid = new_map(w);
		*mid = orig;
		mid->addr = orig.addr + first * pg;
	}
	mid->len = n * pg;
	if (first + n < pages) {
		tail = new_map(w);
		*tail = orig;
		tail->addr = orig.addr + (first + n) * pg;
		tail->len = (pages - first - n) * pg;
	}
	return mid;
}

/* What mmap() of @s may give: the contract's errnos and the mm core's. */
static errset mmap_outcomes(struct slot *s, __u64 off, __u64 len, int prot, int flags)
{
	__u64 pages = page_align(len) / pg, first = off / pg, npages;
	bool shared = flags & MAP_SHARED;
	errset set = 0;

	if (!len || off % pg)
		set |= E(EINVAL);
	if (!page_align(len) || len >= 1ULL << 46)
		set |= E(ENOMEM);
	if (off >= 1ULL << 40 || len >= 1ULL << 40)
		set |= E(EOVERFLOW);
	if (!s)
		return set | E(EBADF);
	if (s->accmode == O_WRONLY || (shared && (prot & PROT_WRITE) && s->accmode == O_RDONLY))
		set |= E(EACCES);
	if (!s->bound)
		return set | E(ENXIO);
	npages = s->size / pg;
	if (!shared)
		set |= E(EINVAL);
	if (prot & PROT_EXEC)
		set |= E(EPERM);
	if (first >= npages || pages > npages - first)
		set |= E(EINVAL);
	if (s->rdonly && (prot & PROT_WRITE))
		set |= E(EACCES);
	return set ?: OK;
}

void op_mmap(struct worker *w)
{
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
		PROT_WRITE, PROT_READ | PROT_EXEC,
	};
	struct slot *s = one_in(w, 32) ? NULL : pick_slot(w, true);
	__u64 size = s ? s->size : 0, off = 0, len = size;
	int prot = prots[below(w, 6)], flags = one_in(w, 16) ? MAP_PRIVATE : MAP_SHARED;
	struct map *m = new_map(w);
	errset set;
	char *addr;
	int err;

	if (!m)
		return;
	switch (below(w, 16)) {
	case 0:
		off = size;
		break;
	case 1:
		off = 4;
		break;
	case 2:
		off = -(__u64)pg;
		break;
	case 3:
		off = 1ULL << 44;
		break;
	case 4:
	case 5:
		off = size - pg;
		break;
	case 6:
	case 7:
		off = size > pg ? pg * below(w, size / pg) : 0;
		break;
	}
	switch (below(w, 16)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = size + pg;
		break;
	case 2:
		len = 1ULL << 50;
		break;
	case 3:
		len = -1ULL;
		break;
	case 4:
		len = 1;
		break;
	case 5:
	case 6:
		len = pg;
		break;
	default:
		len = size - off;
		break;
	}
	set = mmap_outcomes(s, off, len, prot, flags);
	addr = mmap(NULL, len, prot, flags, s ? s->fd : BAD_FD, off);
	err = addr == MAP_FAILED ? errno : 0;
	CHECK(w, set, err, "mmap len %#llx off %#llx prot %#x flags %#x of a%s fd (size %#llx%s)",
	      (unsigned long long)len, (unsigned long long)off, prot, flags,
	      !s ? " closed" : s->bound ? " bound" : "n unbound", (unsigned long long)size,
	      s && s->rdonly ? ", RDONLY" : "");
	if (err)
		return;
	if (!(set & OK)) {
		munmap(addr, len);
		return;
	}
	m->addr = addr;
	m->len = page_align(len);
	m->prot = prot;
	m->may_write = !s->rdonly && s->accmode == O_RDWR;
}

/* Pages to act on: all of @m, its first, its last, or one in the middle. */
static void pick_pages(struct worker *w, struct map *m, size_t *first, size_t *n)
{
	size_t pages = m->len / pg;

	*first = 0;
	*n = pages;
	switch (below(w, 4)) {
	case 0:
		*n = 1;
		break;
	case 1:
		*first = pages - 1;
		*n = 1;
		break;
	case 2:
		if (pages > 2) {
			*first = 1 + below(w, pages - 2);
			*n = 1;
		}
		break;
	}
}

void op_munmap(struct worker *w)
{
	struct map *m = pick_map(w), *part;
	size_t first, n;

	if (!m)
		return;
	if (one_in(w, 16)) {
		if (!munmap(m->addr + 4, pg) || errno != EINVAL)
			VIOLATION(w, "munmap of an unaligned address did not fail with EINVAL");
		return;
	}
	pick_pages(w, m, &first, &n);
	part = carve(w, m, first, n) ?: carve(w, m, 0, m->len / pg);
	if (munmap(part->addr, part->len))
		VIOLATION(w, "munmap of %zu bytes: %s", part->len, strerror(errno));
	part->addr = NULL;
}

void op_mprotect(struct worker *w)
{
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_NONE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC,
	};
	int prot = prots[below(w, 5)];
	struct map *m = pick_map(w), *part;
	errset set = OK;
	size_t first, n;
	int err;

	if (!m)
		return;
	if ((prot & PROT_EXEC) || ((prot & PROT_WRITE) && !m->may_write))
		set = E(EACCES);
	pick_pages(w, m, &first, &n);
	part = carve(w, m, first, n) ?: carve(w, m, 0, m->len / pg);
	err = mprotect(part->addr, part->len, prot) ? errno : 0;
	CHECK(w, set, err, "mprotect %#x of %zu bytes (prot %#x, %swritable handle)", prot,
	      part->len, part->prot, part->may_write ? "" : "not ");
	if (!err)
		part->prot = prot;
}

void op_mremap(struct worker *w)
{
	struct map *m = pick_map(w);
	size_t len, new_len;
	errset set = OK;
	char *addr, *to = NULL;
	int err, flags = 0;

	if (!m)
		return;
	len = m->len;
	new_len = len;
	switch (below(w, 4)) {
	case 0:
		if (len < 2 * pg)
			return;
		new_len = len - pg;
		break;
	case 1:
		new_len = len + pg;
		set = E(EFAULT);	/* VM_DONTEXPAND */
		break;
	case 2:
		new_len = len + pg;
		flags = MREMAP_MAYMOVE;
		set = E(EFAULT);
		break;
	default:
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			return;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	}
	addr = mremap(m->addr, len, new_len, flags, to);
	err = addr == MAP_FAILED ? errno : 0;
	CHECK(w, set, err, "mremap of %zu bytes to %zu, flags %#x", len, new_len, flags);
	if (err) {
		if (to)
			munmap(to, len);
		return;
	}
	if (!(set & OK)) {
		munmap(addr, new_len);
		m->addr = NULL;
		return;
	}
	m->addr = addr;
	m->len = new_len;
}

/*
 * Read or write a word of a mapping.  PROT_NONE and writes to read-only
 * mappings must raise SIGSEGV; anything else must work.
 */
void op_touch(struct worker *w)
{
	struct map *m = pick_map(w);
	bool write = one_in(w, 2), expect_fault;
	volatile __u32 *word;
	size_t page;
	int sig;

	if (!m)
		return;
	expect_fault = m->prot == PROT_NONE || (write && !(m->prot & PROT_WRITE));
	if (expect_fault && !one_in(w, 8))
		return;
	switch (below(w, 4)) {
	case 0:
		page = 0;
		break;
	case 1:
		page = m->len / pg - 1;
		break;
	default:
		page = below(w, m->len / pg);
		break;
	}
	word = (volatile __u32 *)(m->addr + page * pg) +
		(one_in(w, 2) ? below(w, pg / 4) : below(w, 4));
	sig = access_word(word, write, one_in(w, 4) ? 0 : rnd(w));
	if (expect_fault != (sig != 0) || (sig && sig != SIGSEGV))
		VIOLATION(w, "%s of a prot %#x mapping: %s", write ? "write" : "read", m->prot,
			  sig ? strsignal(sig) : "no fault");
}

void op_madvise(struct worker *w)
{
	struct map *m = pick_map(w);
	bool remove = one_in(w, 2);
	size_t first, n;
	errset set = OK;
	int err;

	if (!m)
		return;
	pick_pages(w, m, &first, &n);
	/* Punching holes needs a mapping that may become writable. */
	if (remove && !m->may_write)
		set = E(EACCES);
	err = madvise(m->addr + first * pg, n * pg, remove ? MADV_REMOVE : MADV_DONTNEED) ?
		errno : 0;
	CHECK(w, set, err, "madvise(%s) of %zu pages, prot %#x, %swritable handle",
	      remove ? "MADV_REMOVE" : "MADV_DONTNEED", n, m->prot, m->may_write ? "" : "not ");
}
