// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded, seeded fuzzer.  Worker processes share a small pool of region
 * names; each keeps a table of its own handles and mappings and issues random
 * operations with boundary arguments: names (empty, 63 bytes, unterminated,
 * with '/'), sizes (0, 1, a page, the limit, 2^64-1), unknown flags, non-zero
 * reserved words, offsets (0, 4, size-4, size, -4, huge), counts (0, 1,
 * INT_MAX, 0xffffffff), bad fds and pointers, mmap/munmap/mprotect/mremap/
 * madvise at the edges, every ioctl, poll, epoll and read, and waits that
 * always time out quickly.  Workers fork children that do a few operations
 * (some in an IPC namespace of their own, left for the module to clean up)
 * and exit, or are stopped, interrupted or killed with SIGKILL.  The last
 * worker runs as nobody, for the permission checks.
 *
 * Every result is checked against docs/regions.md and docs/waitwake.md: a
 * call succeeds or fails with an errno the contract allows for its arguments
 * (when several rules are broken at once, any of their errnos), and no
 * process dies of a signal it was not meant to get (the test provokes
 * SIGSEGV on purpose by touching PROT_NONE and read-only mappings).  At the
 * end every name is unlinked and /proc/shmbus/stats is back where it was.
 *
 * SHMBUS_FUZZ_OPS: number of operations across all workers (default 100000).
 * SHMBUS_FUZZ_SEED: the seed (default: from the clock); printed first, so a
 * failing run can be repeated.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "util.h"

#define NR_WORKERS	4
#define NR_NAMES	6	/* valid names the workers share; the last is 63 bytes */
#define MAX_FDS		16
#define MAX_MAPS	16
#define MAX_CHILDREN	4
#define CHILD_OPS	24	/* a forked child does 1..CHILD_OPS operations */
#define MAX_REPORTS	3	/* violations printed per line; all are counted */
#define MAX_LINES	4096
#define DEFAULT_OPS	100000
#define TIMEOUT_S	900	/* the harness' limit for the whole run */
#define MARGIN_S	120	/* workers stop this long before it */
#define MAX_WAIT_NS	5000000ULL	/* the longest timeout a wait is given */
#define KTIME_MAX	((__u64)LLONG_MAX)
#define NR_OPS		32	/* at least ARRAY_SIZE(ops) */
#define GC_WAIT_S	10	/* the module unlinks a dead namespace's names by then */
#define NR_SEEN		8192	/* region ids a process remembers */
#define NOBODY		65534
#define BAD_FD		999	/* never open */
#define KERNEL_PTR	((void *)0xffff888000000000UL)

/* Sets of outcomes: bit 0 is success, bit N the errno N. */
typedef unsigned __int128 errset;
#define OK		((errset)1)
#define E(err)		((errset)1 << (err))

struct shared {
	unsigned long long seed;
	long ops_per_worker;
	time_t deadline;		/* CLOCK_MONOTONIC seconds */
	unsigned long long max_region;	/* max_region_bytes */
	char names[NR_NAMES][SHMBUS_NAME_MAX];
	long done[NR_WORKERS];
	int violations;
	int outcomes[NR_OPS][128];	/* per operation: successes, then each errno */
	int hits[MAX_LINES];		/* violations per line of this file */
};

struct slot {
	int fd;			/* -1: free */
	int accmode;		/* O_RDWR, O_RDONLY or O_WRONLY */
	bool bound;
	bool rdonly;		/* bound with SHMBUS_BIND_RDONLY */
	bool nonblock;
	__u64 size;
	__u64 id;
	__u32 owner;		/* owner id once known */
	char name[SHMBUS_NAME_MAX];
};

struct map {
	char *addr;		/* NULL: free */
	size_t len;
	int prot;
	bool may_write;		/* the handle and the fd allow PROT_WRITE */
};

struct child {
	pid_t pid;		/* 0: free */
	bool killed;
};

struct worker {
	struct shared *sh;
	int index;
	bool in_child;
	bool root;
	unsigned long long rng;
	long op;
	unsigned int cur;	/* index of the running operation in ops[] */
	int pipe_fd;		/* a file that is not a shmbus handle */
	int epfd;		/* an epoll instance */
	struct slot fds[MAX_FDS];
	struct map maps[MAX_MAPS];
	struct child children[MAX_CHILDREN];
};

static size_t pg;

/* Region ids this process has seen: a region it creates must have a new one. */
static __u64 seen_ids[NR_SEEN];

/* Remember @id; whether it was seen before.  Forgets nothing, stops when full. */
static bool seen(__u64 id)
{
	unsigned int i, h = (id * 0x9e3779b97f4a7c15ULL) >> 51;

	for (i = 0; i < NR_SEEN; i++, h = (h + 1) % NR_SEEN) {
		if (seen_ids[h] == id)
			return true;
		if (!seen_ids[h]) {
			seen_ids[h] = id;
			return false;
		}
	}
	return false;
}

static unsigned long long rnd(struct worker *w)
{
	return shmbus_rand(&w->rng);
}

static unsigned long long below(struct worker *w, unsigned long long n)
{
	return n ? rnd(w) % n : 0;
}

static bool one_in(struct worker *w, unsigned int n)
{
	return below(w, n) == 0;
}

static bool allowed(errset set, int err)
{
	return err >= 0 && err < 128 && (set & E(err));
}

static void __attribute__((format(printf, 3, 4)))
violation(struct worker *w, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	__atomic_add_fetch(&w->sh->violations, 1, __ATOMIC_RELAXED);
	if (line >= MAX_LINES ||
	    __atomic_add_fetch(&w->sh->hits[line], 1, __ATOMIC_RELAXED) > MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# VIOLATION worker %d%s op %ld (line %d): %s\n", w->index,
		w->in_child ? " child" : "", w->op, line, msg);
}

#define VIOLATION(w, fmt, ...) violation(w, __LINE__, fmt, ##__VA_ARGS__)

/* Count @err (0: success); report it unless @set allows it, @fmt saying what was called. */
#define CHECK(w, set, err, fmt, ...) do {					\
	tally(w, err);								\
	if (!allowed(set, err))							\
		violation(w, __LINE__, "%s: " fmt, (err) ? strerror(err) : "success", \
			  ##__VA_ARGS__);					\
} while (0)

static void tally(struct worker *w, int err)
{
	if (err >= 0 && err < 128)
		__atomic_add_fetch(&w->sh->outcomes[w->cur][err], 1, __ATOMIC_RELAXED);
}

/* Deliberate faults: access_word() arms the handler, which jumps back. */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;
static volatile sig_atomic_t fault_sig;

static void on_fault(int sig)
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

static bool word_ok(__u64 size, __u64 offset)
{
	return !(offset & 3) && offset < size && size - offset >= 4;
}

static __u64 page_align(__u64 n)
{
	return (n + pg - 1) & ~(__u64)(pg - 1);
}

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

/* Non-zero now and then: a pad word or an unknown flag of 32 bits. */
static __u32 dirty(struct worker *w, bool *bad)
{
	if (!one_in(w, 24))
		return 0;
	*bad = true;
	return 1U << below(w, 32);
}

/* The same for one of @n reserved 64-bit words. */
static void dirty_reserved(struct worker *w, __u64 *reserved, unsigned int n, bool *bad)
{
	if (!one_in(w, 24))
		return;
	*bad = true;
	reserved[below(w, n)] = 1ULL << below(w, 64);
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

/* A random open handle, or NULL. */
static struct slot *any_slot(struct worker *w)
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
static struct slot *pick_slot(struct worker *w, bool bound)
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

static struct slot *free_slot(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_FDS; i++)
		if (w->fds[i].fd < 0)
			return &w->fds[i];
	return NULL;
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

/* A name: from the pool, or empty, unterminated, or with a '/'. */
enum name_kind { NAME_POOL, NAME_EMPTY, NAME_LONG, NAME_SLASH };

static enum name_kind pick_name(struct worker *w, char *name)
{
	unsigned int i = below(w, NR_NAMES);

	memset(name, 0, SHMBUS_NAME_MAX);
	switch (below(w, 20)) {
	case 0:
		return NAME_EMPTY;
	case 1:
		memset(name, 'n', SHMBUS_NAME_MAX);
		return NAME_LONG;
	case 2:
		strcpy(name, w->sh->names[i]);
		name[below(w, strlen(name))] = '/';
		return NAME_SLASH;
	default:
		strcpy(name, w->sh->names[i]);
		return NAME_POOL;
	}
}

static __u64 pick_size(struct worker *w)
{
	__u64 max = w->sh->max_region;
	const __u64 sizes[] = {
		0, 1, 4, pg - 1, pg + 1, 3 * pg, 65536, 1 << 20, max, max + 1,
		1ULL << 40, 1ULL << 63, -(__u64)pg, -1ULL,
	};

	if (one_in(w, 2))
		return pg * (1 + below(w, 4));
	return sizes[below(w, ARRAY_SIZE(sizes))];
}

static void op_open(struct worker *w)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY };
	struct slot *s = free_slot(w);
	int mode = modes[below(w, ARRAY_SIZE(modes))];
	bool nonblock = one_in(w, 4);
	int fd, err;

	if (!s)
		return;
	fd = open(SHMBUS_DEV, mode | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	err = fd < 0 ? errno : 0;
	CHECK(w, OK | E(EMFILE) | E(ENFILE), err, "open mode %d", mode);
	if (fd < 0)
		return;
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->accmode = mode;
	s->nonblock = nonblock;
}

static void op_close(struct worker *w)
{
	struct slot *s = any_slot(w);

	if (!s)
		return;
	if (close(s->fd))
		VIOLATION(w, "close(%d): %s", s->fd, strerror(errno));
	s->fd = -1;
}

/* What a BIND with these arguments may give, in the order of regions.md. */
static errset bind_outcomes(struct worker *w, struct slot *s, struct shmbus_bind *b,
			    enum name_kind kind, bool bad)
{
	bool create = b->flags & SHMBUS_BIND_CREATE;
	bool too_big = b->size > w->sh->max_region;
	errset set = 0;

	if (bad || (b->flags & ~BIND_FLAGS_KNOWN) ||
	    ((b->flags & SHMBUS_BIND_EXCL) && !create) || (create && (b->mode & ~0777)))
		return E(EINVAL);
	if (kind == NAME_LONG)
		return E(ENAMETOOLONG);
	if (kind == NAME_SLASH || (kind == NAME_EMPTY && !create))
		return E(EINVAL);
	if (s->bound)
		return E(EBUSY);
	if (s->accmode == O_WRONLY ||
	    (!(b->flags & SHMBUS_BIND_RDONLY) && s->accmode == O_RDONLY))
		return E(EBADF);
	/* Anonymous, or a name that does not exist (yet). */
	if (!create)
		set |= E(ENOENT);
	else if (!b->size)
		set |= E(EINVAL);
	else if (too_big)
		set |= E(EFBIG);
	else
		set |= OK | E(ENOSPC) | (w->root ? 0 : E(EDQUOT));
	if (kind == NAME_EMPTY)
		return set;
	/* A name another worker created. */
	if (b->flags & SHMBUS_BIND_EXCL)
		return set | E(EEXIST);
	set |= OK;
	if (b->size)
		set |= E(EINVAL);
	if (!w->root)
		set |= E(EACCES);
	return set;
}

static void op_bind(struct worker *w)
{
	static const __u32 modes[] = { 0600, 0640, 0644, 0660, 0666, 0400, 0444, 0, 0777 };
	struct slot *s = pick_slot(w, false);
	struct shmbus_bind b = { .size = pick_size(w) };
	struct shmbus_info info;
	enum name_kind kind;
	bool bad = false;
	errset set;
	__u64 req;
	int err;

	if (!s)
		return;
	kind = pick_name(w, b.name);
	b.flags = SHMBUS_BIND_CREATE;
	switch (below(w, 8)) {
	case 0:
		b.flags = 0;
		break;
	case 1:
		b.flags |= SHMBUS_BIND_EXCL;
		break;
	case 2:
		b.flags |= SHMBUS_BIND_RDONLY;
		break;
	case 3:
		b.flags = below(w, 8);
		break;
	case 4:
		b.flags |= 1U << below(w, 32);
		break;
	}
	if (s->accmode == O_RDONLY && !one_in(w, 4))
		b.flags |= SHMBUS_BIND_RDONLY;
	b.mode = one_in(w, 16) ? 1U << below(w, 32) : modes[below(w, 9)];
	dirty_reserved(w, b.reserved, 4, &bad);
	if (one_in(w, 32))
		b.id = rnd(w);	/* an output: its input value does not matter */
	set = bind_outcomes(w, s, &b, kind, bad);
	req = b.size;
	err = ioctl(s->fd, SHMBUS_IOC_BIND, &b) ? errno : 0;
	CHECK(w, set, err, "BIND '%.64s' size %#llx flags %#x mode %#o on %s %s fd",
	      b.name, (unsigned long long)b.size, b.flags, b.mode,
	      s->bound ? "a bound" : "an unbound",
	      s->accmode == O_RDWR ? "O_RDWR" : s->accmode == O_RDONLY ? "O_RDONLY" : "O_WRONLY");
	if (err) {
		if (!s->bound && !ioctl(s->fd, SHMBUS_IOC_INFO, &info))
			VIOLATION(w, "BIND failed (%s) but left the handle bound", strerror(err));
		return;
	}
	/* A region this call created has the size asked for, page-aligned. */
	if (b.size % pg || b.size > w->sh->max_region || b.size < req || !b.id ||
	    ((b.flags & SHMBUS_BIND_EXCL || !b.name[0]) && b.size != page_align(req)))
		VIOLATION(w, "BIND of size %#llx returned size %#llx id %llu",
			  (unsigned long long)req, (unsigned long long)b.size,
			  (unsigned long long)b.id);
	if (seen(b.id) && (b.flags & SHMBUS_BIND_EXCL || !b.name[0]))
		VIOLATION(w, "BIND created a region with id %llu, seen before",
			  (unsigned long long)b.id);
	s->bound = true;
	s->rdonly = b.flags & SHMBUS_BIND_RDONLY;
	s->size = b.size;
	s->id = b.id;
	memcpy(s->name, b.name, SHMBUS_NAME_MAX);
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

static void op_mmap(struct worker *w)
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

static void op_munmap(struct worker *w)
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

static void op_mprotect(struct worker *w)
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

static void op_mremap(struct worker *w)
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
static void op_touch(struct worker *w)
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

static void op_madvise(struct worker *w)
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

/*
 * OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE on a bound
 * read-only handle: EBADF, before the argument is read.
 */
static errset rdonly_refused(struct slot *s)
{
	return s->bound && s->rdonly ? E(EBADF) : 0;
}

/* Outcomes of a word command on @s when its arguments are otherwise fine. */
static errset word_outcomes(struct slot *s, __u64 offset, bool bad, errset ok)
{
	if (!s->bound)
		return E(ENXIO) | (bad ? E(EINVAL) : 0);
	if (bad || !word_ok(s->size, offset))
		return E(EINVAL);
	return ok;
}

static void op_wait(struct worker *w)
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

static void op_wake(struct worker *w)
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

static void op_waitv(struct worker *w)
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

static void op_requeue(struct worker *w)
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

static void op_watch(struct worker *w)
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

static void op_poll(struct worker *w)
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

static void op_read(struct worker *w)
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

static void op_owner_id(struct worker *w)
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

static void op_lock_word(struct worker *w)
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

static void op_reopen(struct worker *w)
{
	struct slot *s = pick_slot(w, true), *n = free_slot(w);
	struct shmbus_info info;
	int fd, err;

	if (!s || !n)
		return;
	fd = ioctl(s->fd, SHMBUS_IOC_REOPEN);
	err = fd < 0 ? errno : 0;
	CHECK(w, s->bound ? OK | E(EMFILE) | E(ENFILE) : E(ENXIO), err, "REOPEN of %s handle",
	      s->bound ? "a bound" : "an unbound");
	if (fd < 0)
		return;
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		VIOLATION(w, "REOPEN gave a fd without FD_CLOEXEC");
	if (ioctl(fd, SHMBUS_IOC_INFO, &info) || info.id != s->id ||
	    !(info.flags & SHMBUS_INFO_RDONLY) != !s->rdonly)
		VIOLATION(w, "REOPEN gave a handle bound to %llu (flags %#x), not %llu",
			  (unsigned long long)info.id, info.flags, (unsigned long long)s->id);
	*n = *s;
	n->fd = fd;
	n->owner = 0;
	n->nonblock = false;
}

static void op_unlink(struct worker *w)
{
	struct slot *s = any_slot(w);
	struct shmbus_unlink a = { .name = "" };
	enum name_kind kind = pick_name(w, a.name);
	bool bad = false;
	errset set;
	int err;

	if (!s)
		return;
	dirty_reserved(w, a.reserved, 1, &bad);
	if (bad)
		set = E(EINVAL);
	else if (kind == NAME_LONG)
		set = E(ENAMETOOLONG);
	else if (kind != NAME_POOL)
		set = E(EINVAL);
	else
		set = OK | E(ENOENT) | (w->root ? 0 : E(EPERM));
	err = ioctl(s->fd, SHMBUS_IOC_UNLINK, &a) ? errno : 0;
	CHECK(w, set, err, "UNLINK '%.64s'", a.name);
}

static void op_chmod(struct worker *w)
{
	static const __u32 modes[] = { 0600, 0644, 0666, 0400, 0, 0777, 01000, 0xffffffff };
	struct slot *s = pick_slot(w, true);
	struct shmbus_chmod a = { .mode = modes[below(w, 8)] };
	bool bad = false;
	int err;

	if (!s)
		return;
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= (a.mode & ~0777) != 0;
	err = ioctl(s->fd, SHMBUS_IOC_CHMOD, &a) ? errno : 0;
	CHECK(w, word_outcomes(s, 0, bad, OK | (w->root ? 0 : E(EPERM))), err,
	      "CHMOD %#o on %s handle", a.mode, s->bound ? "a bound" : "an unbound");
}

static void op_chown(struct worker *w)
{
	static const __u32 ids[] = { SHMBUS_ID_UNCHANGED, 0, NOBODY, 1000 };
	struct slot *s = pick_slot(w, true);
	struct shmbus_chown a = { .uid = ids[below(w, 4)], .gid = ids[below(w, 4)] };
	bool bad = false;
	int err;

	if (!s)
		return;
	dirty_reserved(w, a.reserved, 2, &bad);
	err = ioctl(s->fd, SHMBUS_IOC_CHOWN, &a) ? errno : 0;
	CHECK(w, word_outcomes(s, 0, bad, OK | (w->root ? 0 : E(EPERM))), err,
	      "CHOWN %d:%d on %s handle", (int)a.uid, (int)a.gid,
	      s->bound ? "a bound" : "an unbound");
}

/* The shmbus-id line of /proc/self/fdinfo/FD: 0 for "none", -1 if missing. */
static long long fdinfo_id(int fd)
{
	char val[64];

	if (fdinfo_value(fd, "shmbus-id", val, sizeof(val)))
		return -1;
	return strcmp(val, "none") ? strtoull(val, NULL, 10) : 0;
}

static void op_info(struct worker *w)
{
	struct slot *s = any_slot(w);
	struct shmbus_info info;
	unsigned int i, mine;
	bool anon;
	int err;

	if (!s)
		return;
	if (one_in(w, 8) && fdinfo_id(s->fd) != (long long)(s->bound ? s->id : 0))
		VIOLATION(w, "fdinfo of fd %d: shmbus-id %lld, not %llu", s->fd, fdinfo_id(s->fd),
			  (unsigned long long)s->id);
	memset(&info, 0xa5, sizeof(info));
	err = ioctl(s->fd, SHMBUS_IOC_INFO, &info) ? errno : 0;
	CHECK(w, s->bound ? OK : E(ENXIO), err, "INFO on %s handle",
	      s->bound ? "a bound" : "an unbound");
	if (err || !s->bound)
		return;
	anon = !s->name[0];
	for (i = 0, mine = 0; i < MAX_FDS; i++)
		mine += w->fds[i].fd >= 0 && w->fds[i].bound && w->fds[i].id == s->id;
	if (info.handles < mine)
		VIOLATION(w, "INFO counts %u handles, this process has %u", info.handles, mine);
	if (info.id != s->id || info.size != s->size || info.mode & ~0777 || info.pad ||
	    info.reserved[0] || info.reserved[1] || info.reserved[2] || info.reserved[3] ||
	    !info.handles || info.pages > info.size / pg ||
	    !(info.flags & SHMBUS_INFO_RDONLY) != !s->rdonly ||
	    !(info.flags & SHMBUS_INFO_ANONYMOUS) != !anon ||
	    (anon && !(info.flags & SHMBUS_INFO_UNLINKED)) ||
	    strncmp(info.name, s->name, SHMBUS_NAME_MAX))
		VIOLATION(w, "INFO: id %llu size %#llx name '%.64s' mode %#o flags %#x handles %u pages %llu; expected id %llu size %#llx name '%.64s'",
			  (unsigned long long)info.id, (unsigned long long)info.size, info.name,
			  info.mode, info.flags, info.handles, (unsigned long long)info.pages,
			  (unsigned long long)s->id, (unsigned long long)s->size, s->name);
}

/* Commands shmbus does not know, and known numbers with another size. */
static void op_bad_ioctl(struct worker *w)
{
	static const unsigned long cmds[] = {
		_IO(SHMBUS_IOC_MAGIC, 0), _IO(SHMBUS_IOC_MAGIC, 0x1a),
		_IOWR(SHMBUS_IOC_MAGIC, 0xff, __u64), _IOW(SHMBUS_IOC_MAGIC, 0x01, int),
		_IOR(SHMBUS_IOC_MAGIC, 0x02, __u64), _IO(SHMBUS_IOC_MAGIC, 0x10),
		_IOW(SHMBUS_IOC_MAGIC, 0x16, int), _IOW('x', 0x19, int),
	};
	struct slot *s = any_slot(w);
	unsigned long cmd = cmds[below(w, 8)];
	__u64 arg[16] = { 0 };
	int err;

	if (!s)
		return;
	err = ioctl(s->fd, cmd, arg) ? errno : 0;
	CHECK(w, E(ENOTTY), err, "ioctl %#lx", cmd);
}

/* Known commands with a pointer that is not user memory. */
static void op_bad_pointer(struct worker *w)
{
	static const unsigned long cmds[] = {
		SHMBUS_IOC_BIND, SHMBUS_IOC_INFO, SHMBUS_IOC_UNLINK, SHMBUS_IOC_CHMOD,
		SHMBUS_IOC_CHOWN, SHMBUS_IOC_WAIT, SHMBUS_IOC_WAKE, SHMBUS_IOC_WAITV,
		SHMBUS_IOC_CMP_REQUEUE, SHMBUS_IOC_WATCH, SHMBUS_IOC_UNWATCH,
		SHMBUS_IOC_LOCK_REGISTER, SHMBUS_IOC_LOCK_UNREGISTER,
	};
	struct slot *s = any_slot(w);
	unsigned long cmd = cmds[below(w, ARRAY_SIZE(cmds))];
	void *ptr = one_in(w, 2) ? NULL : KERNEL_PTR;
	errset set = E(EFAULT);
	int err;

	if (!s)
		return;
	if (!s->bound && cmd != SHMBUS_IOC_BIND && cmd != SHMBUS_IOC_UNLINK)
		set |= E(ENXIO);
	if (s->bound && cmd == SHMBUS_IOC_BIND)
		set |= E(EBUSY);
	if (cmd == SHMBUS_IOC_CMP_REQUEUE || cmd == SHMBUS_IOC_LOCK_REGISTER ||
	    cmd == SHMBUS_IOC_LOCK_UNREGISTER)
		set = rdonly_refused(s) ?: set;
	err = ioctl(s->fd, cmd, ptr) ? errno : 0;
	CHECK(w, set, err, "ioctl %#lx with pointer %p on %s handle", cmd, ptr,
	      s->bound ? "a bound" : "an unbound");
}

/* /proc/shmbus/regions parses line by line while regions come and go. */
static void op_proc(struct worker *w)
{
	char line[256], name[SHMBUS_NAME_MAX + 1], flags[8];
	unsigned long long id, size, pages;
	unsigned int uid, gid, cuid, cgid, mode;
	int handles, mappings, n = 0;
	FILE *f = fopen(SHMBUS_REGIONS, "re");

	if (!f) {
		VIOLATION(w, "%s: %s", SHMBUS_REGIONS, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!n++) {
			if (strcmp(line, "id name size uid gid cuid cgid mode handles mappings pages flags ns\n"))
				VIOLATION(w, "%s header: %s", SHMBUS_REGIONS, line);
			continue;
		}
		if (sscanf(line, "%llu %64s %llu %u %u %u %u %o %d %d %llu %7s", &id, name, &size,
			   &uid, &gid, &cuid, &cgid, &mode, &handles, &mappings, &pages,
			   flags) != 12 || size % pg || mode & ~0777 || handles < 0 ||
		    mappings < 0 || pages > size / pg || strspn(flags, "-ua") != strlen(flags))
			VIOLATION(w, "%s line: %s", SHMBUS_REGIONS, line);
	}
	fclose(f);
	if (shmbus_stat("regions") < 0 || shmbus_stat("pages") < 0 || shmbus_stat("bytes") < 0)
		VIOLATION(w, "%s lacks a counter", SHMBUS_STATS);
}

static struct child *free_child(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (!w->children[i].pid)
			return &w->children[i];
	return NULL;
}

/* Collect a child: it exited cleanly, or died of the SIGKILL we sent. */
static void reap_child(struct worker *w, struct child *c, int flags)
{
	int status;
	pid_t pid = waitpid(c->pid, &status, flags);

	if (!pid)
		return;
	if (pid < 0)
		VIOLATION(w, "waitpid(%d): %s", c->pid, strerror(errno));
	else if (WIFSIGNALED(status) && !(c->killed && WTERMSIG(status) == SIGKILL))
		VIOLATION(w, "a child died of %s", strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		VIOLATION(w, "a child exited %d", WEXITSTATUS(status));
	c->pid = 0;
}

static void op_reap(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (w->children[i].pid)
			reap_child(w, &w->children[i], WNOHANG);
}

static void op_kill_child(struct worker *w)
{
	struct child *c = &w->children[below(w, MAX_CHILDREN)];

	if (!c->pid)
		return;
	c->killed = true;
	tally(w, kill(c->pid, SIGKILL) ? errno : 0);
	reap_child(w, c, 0);
}

static void run_ops(struct worker *w, long n);

static void on_usr1(int sig)
{
	(void)sig;
}

/* Interrupt a child's waits, or stop it, or let it go on. */
static void op_signal_child(struct worker *w)
{
	static const int sigs[] = { SIGUSR1, SIGUSR1, SIGSTOP, SIGCONT };
	struct child *c = &w->children[below(w, MAX_CHILDREN)];

	if (c->pid)
		tally(w, kill(c->pid, sigs[below(w, ARRAY_SIZE(sigs))]) ? errno : 0);
}

/* epoll on handles: registered, removed, waited on, closed while in the set. */
static void op_epoll(struct worker *w)
{
	struct slot *s = any_slot(w);
	struct epoll_event ev[MAX_FDS] = { { .events = EPOLLIN } };
	int i, ret, err;

	if (!s)
		return;
	switch (below(w, 3)) {
	case 0:
		ev[0].data.fd = s->fd;
		err = epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->fd, ev) ? errno : 0;
		CHECK(w, OK | E(EEXIST), err, "EPOLL_CTL_ADD");
		break;
	case 1:
		err = epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->fd, NULL) ? errno : 0;
		CHECK(w, OK | E(ENOENT), err, "EPOLL_CTL_DEL");
		break;
	default:
		ret = epoll_wait(w->epfd, ev, MAX_FDS, 0);
		CHECK(w, OK, ret < 0 ? errno : 0, "epoll_wait");
		for (i = 0; i < ret; i++)
			if (ev[i].events & ~(EPOLLIN | EPOLLRDNORM))
				VIOLATION(w, "epoll_wait: events %#x", ev[i].events);
		break;
	}
}

/*
 * The child gets copies of the tables; it drops its unbound handles, since
 * binding one would bind the worker's too, does a few operations, then
 * exits or lingers in a wait until the worker kills it.
 */
static void op_fork(struct worker *w)
{
	struct child *c = free_child(w);
	long n = 1 + below(w, CHILD_OPS);
	unsigned int i;
	pid_t pid;

	if (!c)
		return;
	w->op += n;
	pid = fork();
	if (pid < 0) {
		CHECK(w, E(EAGAIN), errno, "fork");
		return;
	}
	if (pid) {
		tally(w, 0);
		c->pid = pid;
		c->killed = false;
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	w->in_child = true;
	w->rng ^= 0x9e3779b97f4a7c15ULL;
	memset(w->children, 0, sizeof(w->children));
	/* Names of its own, unlinked by the module once the namespace dies. */
	if (w->root && one_in(w, 4))
		CHECK(w, OK, unshare(CLONE_NEWIPC) ? errno : 0, "unshare(CLONE_NEWIPC)");
	for (i = 0; i < MAX_FDS; i++) {
		if (w->fds[i].fd >= 0 && !w->fds[i].bound) {
			close(w->fds[i].fd);
			w->fds[i].fd = -1;
		}
	}
	run_ops(w, n);
	if (one_in(w, 3))
		usleep(below(w, 50000));
	_exit(0);
}

struct op {
	const char *name;
	void (*fn)(struct worker *w);
	unsigned int weight;
	bool in_child;
};

static const struct op ops[] = {
	{ "open",	op_open,	40,	true },
	{ "close",	op_close,	35,	true },
	{ "BIND",	op_bind,	110,	true },
	{ "mmap",	op_mmap,	70,	true },
	{ "munmap",	op_munmap,	30,	true },
	{ "mprotect",	op_mprotect,	25,	true },
	{ "mremap",	op_mremap,	20,	true },
	{ "touch",	op_touch,	130,	true },
	{ "madvise",	op_madvise,	10,	true },
	{ "fork",	op_fork,	4,	false },
	{ "kill",	op_kill_child,	3,	false },
	{ "signal",	op_signal_child, 3,	false },
	{ "epoll",	op_epoll,	15,	true },
	{ "reap",	op_reap,	10,	false },
	{ "WAIT",	op_wait,	50,	true },
	{ "WAKE",	op_wake,	70,	true },
	{ "WAITV",	op_waitv,	30,	true },
	{ "CMP_REQUEUE", op_requeue,	30,	true },
	{ "(UN)WATCH",	op_watch,	45,	true },
	{ "poll",	op_poll,	20,	true },
	{ "read",	op_read,	25,	true },
	{ "OWNER_ID",	op_owner_id,	25,	true },
	{ "LOCK_(UN)REGISTER", op_lock_word, 40, true },
	{ "REOPEN",	op_reopen,	15,	true },
	{ "UNLINK",	op_unlink,	45,	true },
	{ "CHMOD",	op_chmod,	15,	true },
	{ "CHOWN",	op_chown,	10,	true },
	{ "INFO",	op_info,	40,	true },
	{ "bad ioctl",	op_bad_ioctl,	10,	true },
	{ "bad pointer", op_bad_pointer, 10,	true },
	{ "proc",	op_proc,	3,	true },
};

_Static_assert(ARRAY_SIZE(ops) <= NR_OPS, "NR_OPS is too small");

/*
 * One line per checked operation with how often each outcome came, then
 * how many violations each check of this file saw.
 */
static void print_outcomes(struct shared *sh)
{
	char line[1024];
	unsigned int i;
	int e, n;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		n = 0;
		for (e = 0; e < 128; e++)
			if (sh->outcomes[i][e] && n < (int)sizeof(line) - 32)
				n += snprintf(line + n, sizeof(line) - n, " %s %d",
					      e ? strerrorname_np(e) : "ok", sh->outcomes[i][e]);
		if (n)
			fprintf(stderr, "#   %s:%s\n", ops[i].name, line);
	}
	for (i = 0; i < MAX_LINES; i++)
		if (sh->hits[i])
			fprintf(stderr, "#   %d violations at fuzz_test.c:%u\n", sh->hits[i], i);
}

static void run_ops(struct worker *w, long n)
{
	unsigned int i, total = 0;
	struct timespec ts;
	long end = w->op + n;
	long pick;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	while (w->op < end) {
		if (!(w->op % 256) && !w->in_child) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (ts.tv_sec >= w->sh->deadline)
				return;
			w->sh->done[w->index] = w->op;
		}
		w->op++;
		pick = below(w, total);
		for (i = 0; pick >= ops[i].weight; i++)
			pick -= ops[i].weight;
		w->cur = i;
		if (!w->in_child || ops[i].in_child)
			ops[i].fn(w);
	}
}

static void worker_cleanup(struct worker *w)
{
	unsigned int i;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (!w->children[i].pid)
			continue;
		w->children[i].killed = true;
		kill(w->children[i].pid, SIGKILL);
		reap_child(w, &w->children[i], 0);
	}
	for (i = 0; i < MAX_MAPS; i++)
		if (w->maps[i].addr && munmap(w->maps[i].addr, w->maps[i].len))
			VIOLATION(w, "final munmap: %s", strerror(errno));
	for (i = 0; i < MAX_FDS; i++)
		if (w->fds[i].fd >= 0)
			close(w->fds[i].fd);
}

static void worker_main(struct shared *sh, int index)
{
	struct worker w = { .sh = sh, .index = index };
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };
	int pipefd[2], i;

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* For the children, whose waits it interrupts (EINTR, no restart). */
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);
	w.rng = (sh->seed + 1) * 0x9e3779b97f4a7c15ULL ^ (index + 1) * 0xbf58476d1ce4e5b9ULL;
	if (!w.rng)
		w.rng = 1;
	for (i = 0; i < MAX_FDS; i++)
		w.fds[i].fd = -1;
	if (pipe2(pipefd, O_CLOEXEC))
		VIOLATION(&w, "pipe2: %s", strerror(errno));
	w.pipe_fd = pipefd[0];
	w.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w.epfd < 0)
		VIOLATION(&w, "epoll_create1: %s", strerror(errno));
	/* The last worker is nobody: permission checks, EACCES and EPERM. */
	w.root = geteuid() == 0;
	if (w.root && index == NR_WORKERS - 1) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			VIOLATION(&w, "cannot become nobody: %s", strerror(errno));
		w.root = false;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	run_ops(&w, sh->ops_per_worker);
	sh->done[index] = w.op;
	worker_cleanup(&w);
	close(pipefd[0]);
	close(pipefd[1]);
	close(w.epfd);
	_exit(0);
}

FIXTURE(fuzz) {
	long long regions, pages;
};

FIXTURE_SETUP(fuzz)
{
	pg = sysconf(_SC_PAGESIZE);
	self->regions = shmbus_stat("all_regions");
	self->pages = shmbus_stat("pages");
	ASSERT_LE(0, self->regions) TH_LOG("no %s: is shmbus loaded?", SHMBUS_STATS);
}

FIXTURE_TEARDOWN(fuzz)
{
}

/*
 * NR_WORKERS processes run SHMBUS_FUZZ_OPS operations between them; every
 * result must be one the contract allows.  Afterwards nothing is left.
 */
TEST_F_TIMEOUT(fuzz, random_operations, TIMEOUT_S)
{
	struct shared *sh;
	unsigned long long start;
	long total = 0;
	pid_t pids[NR_WORKERS];
	int i, status;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	sh->seed = shmbus_env_number("SHMBUS_FUZZ_SEED", now_ns(CLOCK_REALTIME) ^ getpid());
	sh->ops_per_worker = shmbus_env_number("SHMBUS_FUZZ_OPS", DEFAULT_OPS) / NR_WORKERS;
	sh->deadline = now_ns(CLOCK_MONOTONIC) / NSEC_PER_SEC + TIMEOUT_S - MARGIN_S;
	sh->max_region = read_number(SHMBUS_SYSMOD "/parameters/max_region_bytes");
	ASSERT_LT(0, (long long)sh->max_region);
	TH_LOG("seed %llu (SHMBUS_FUZZ_SEED=%llu repeats this run), %ld operations in %d workers",
	       sh->seed, sh->seed, sh->ops_per_worker * NR_WORKERS, NR_WORKERS);
	for (i = 0; i < NR_NAMES - 1; i++)
		snprintf(sh->names[i], SHMBUS_NAME_MAX, "fuzz-%d-%d", (int)getpid(), i);
	memset(sh->names[i], 'x', SHMBUS_NAME_MAX - 1);
	memcpy(sh->names[i], sh->names[0], strlen(sh->names[0]) - 1);
	ASSERT_EQ(SHMBUS_NAME_MAX - 1, strlen(sh->names[i]));

	start = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < NR_WORKERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			worker_main(sh, i);
	}
	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("worker %d: status %#x%s%s", i, status,
			       WIFSIGNALED(status) ? ", signal " : "",
			       WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
		total += sh->done[i];
	}
	TH_LOG("%ld operations in %.1f s", total,
	       (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	print_outcomes(sh);
	if (total < sh->ops_per_worker * NR_WORKERS)
		TH_LOG("stopped early: the time limit came first");

	for (i = 0; i < NR_NAMES; i++) {
		int err = shmbus_unlink_name(sh->names[i]);

		EXPECT_TRUE(!err || err == -ENOENT) TH_LOG("unlink %s: %d", sh->names[i], err);
	}
	/* Names in the children's dead namespaces go within a few seconds. */
	for (i = 0; i < GC_WAIT_S * 10 && shmbus_stat("all_regions") != self->regions; i++)
		usleep(100000);
	EXPECT_EQ(self->regions, shmbus_stat("all_regions"));
	EXPECT_EQ(self->pages, shmbus_stat("pages"));
	EXPECT_EQ(0, sh->violations) TH_LOG("%d results the contract does not allow (seed %llu)",
					    sh->violations, sh->seed);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
