/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the sources of the fuzzer (fuzz_test, see fuzz_test.c) share: the
 * tables of a worker, sets of allowed outcomes, the CHECK of a result
 * against them, and the operations each source implements.
 *
 *   fuzz_model.c       reports, tallies, the tables' pickers, shared rules
 *   fuzz_ops_region.c  open, close, BIND, REOPEN, UNLINK, CHMOD, CHOWN, INFO,
 *                      unknown ioctls, bad pointers, /proc/shmbus/regions
 *   fuzz_ops_mmap.c    mmap, munmap, mprotect, mremap, madvise, touching pages
 *   fuzz_ops_word.c    WAIT, WAKE, WAITV, CMP_REQUEUE, (UN)WATCH, poll, read,
 *                      OWNER_ID, LOCK_(UN)REGISTER
 *   fuzz_test.c        the test: workers, their children, the operation table
 *
 * Each source defines FUZZ_SRC, its enum fuzz_src, before including this
 * file: violations are counted per line of each source.
 */
#ifndef SHMBUS_SELFTEST_FUZZ_H
#define SHMBUS_SELFTEST_FUZZ_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

#ifndef FUZZ_SRC
#error "define FUZZ_SRC, the including source's enum fuzz_src, before fuzz.h"
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define NR_WORKERS	4
#define NR_NAMES	6	/* valid names the workers share; the last is 63 bytes */
#define MAX_FDS		16
#define MAX_MAPS	16
#define MAX_CHILDREN	4
#define MAX_LINES	1024	/* lines of a source (each is under 800) */
#define NR_OPS		32	/* at least ARRAY_SIZE(ops) */
#define NOBODY		65534
#define BAD_FD		999	/* never open */
#define KERNEL_PTR	((void *)0xffff888000000000UL)

/* The sources of the fuzzer. */
enum fuzz_src { SRC_TEST, SRC_MODEL, SRC_REGION, SRC_MMAP, SRC_WORD, NR_SRCS };

/* Their file names, for the report. */
extern const char *const fuzz_src_names[NR_SRCS];

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
	int hits[NR_SRCS][MAX_LINES];	/* violations per line of each source */
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

/* The page size, set by the fixture before the workers start. */
extern size_t pg;

static inline unsigned long long rnd(struct worker *w)
{
	return shmbus_rand(&w->rng);
}

static inline unsigned long long below(struct worker *w, unsigned long long n)
{
	return n ? rnd(w) % n : 0;
}

static inline bool one_in(struct worker *w, unsigned int n)
{
	return below(w, n) == 0;
}

static inline bool allowed(errset set, int err)
{
	return err >= 0 && err < 128 && (set & E(err));
}

/* ---- fuzz_model.c ---- */

/* Count and (the first MAX_REPORTS times per line) report a violation at @src:@line. */
void __attribute__((format(printf, 4, 5)))
violation(struct worker *w, enum fuzz_src src, int line, const char *fmt, ...);

#define VIOLATION(w, fmt, ...) violation(w, FUZZ_SRC, __LINE__, fmt, ##__VA_ARGS__)

/* Count @err (0: success); report it unless @set allows it, @fmt saying what was called. */
#define CHECK(w, set, err, fmt, ...) do {					\
	tally(w, err);								\
	if (!allowed(set, err))							\
		violation(w, FUZZ_SRC, __LINE__, "%s: " fmt,			\
			  (err) ? strerror(err) : "success", ##__VA_ARGS__);	\
} while (0)

/* Count the outcome @err (0: success) of the running operation. */
void tally(struct worker *w, int err);

/* Whether a word at @offset lies within a region of @size, aligned. */
bool word_ok(__u64 size, __u64 offset);
/* @n rounded up to a multiple of the page size. */
__u64 page_align(__u64 n);
/* Non-zero now and then: a pad word or an unknown flag of 32 bits. */
__u32 dirty(struct worker *w, bool *bad);
/* The same for one of @n reserved 64-bit words. */
void dirty_reserved(struct worker *w, __u64 *reserved, unsigned int n, bool *bad);

/* A random open handle, or NULL. */
struct slot *any_slot(struct worker *w);
/* Three times in four a handle whose binding is @bound if any; else any. */
struct slot *pick_slot(struct worker *w, bool bound);
/* A free entry of the handle table, or NULL. */
struct slot *free_slot(struct worker *w);

/*
 * OWNER_ID, LOCK_REGISTER, LOCK_UNREGISTER and CMP_REQUEUE on a bound
 * read-only handle: EBADF, before the argument is read.
 */
errset rdonly_refused(struct slot *s);
/* Outcomes of a word command on @s when its arguments are otherwise fine. */
errset word_outcomes(struct slot *s, __u64 offset, bool bad, errset ok);

/* ---- fuzz_ops_region.c ---- */

void op_open(struct worker *w);
void op_close(struct worker *w);
void op_bind(struct worker *w);
void op_reopen(struct worker *w);
void op_unlink(struct worker *w);
void op_chmod(struct worker *w);
void op_chown(struct worker *w);
void op_info(struct worker *w);
void op_bad_ioctl(struct worker *w);
void op_bad_pointer(struct worker *w);
void op_proc(struct worker *w);

/* ---- fuzz_ops_mmap.c ---- */

/* The SIGSEGV and SIGBUS handler: op_touch() provokes them, anything else kills. */
void on_fault(int sig);

void op_mmap(struct worker *w);
void op_munmap(struct worker *w);
void op_mprotect(struct worker *w);
void op_mremap(struct worker *w);
void op_touch(struct worker *w);
void op_madvise(struct worker *w);

/* ---- fuzz_ops_word.c ---- */

void op_wait(struct worker *w);
void op_wake(struct worker *w);
void op_waitv(struct worker *w);
void op_requeue(struct worker *w);
void op_watch(struct worker *w);
void op_poll(struct worker *w);
void op_read(struct worker *w);
void op_owner_id(struct worker *w);
void op_lock_word(struct worker *w);

#endif /* SHMBUS_SELFTEST_FUZZ_H */
