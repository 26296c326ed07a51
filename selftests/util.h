/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmbus selftests, implemented in util*.c (built into
 * libutil.a, linked into every test binary; libutil32.a, with the library
 * built -m32 as libshmbus32.a, into the 32-bit compat32_test).
 *
 * One convention throughout: a helper that can fail returns -errno (or the
 * documented sentinel for a lookup, such as -1 for a missing number) and
 * never leaves its answer in errno.  Helpers never use the harness: a test
 * asserts on what they return.
 *
 * The calls of one ioctl each come from libshmbus's handle layer
 * (<shmbus.h>: shmbus_bind(), shmbus_info(), shmbus_unlink(), shmbus_wait(),
 * shmbus_wake(), ...), which has the same convention; the helpers here
 * build on it.  Raw ioctl() stays for the tests of the ABI itself.
 */
#ifndef SHMBUS_SELFTEST_UTIL_H
#define SHMBUS_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/shmbus.h>
#include <shmbus.h>

#define SHMBUS_DEV "/dev/shmbus"
#define SHMBUS_SYSMOD "/sys/module/shmbus"
#define SHMBUS_STATS "/proc/shmbus/stats"
#define SHMBUS_REGIONS "/proc/shmbus/regions"

#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC	1000000000ULL
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC	1000000ULL
#endif

/* The flags of the ABI these tests check (the module keeps its masks private). */
#define BIND_FLAGS_KNOWN	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL | SHMBUS_BIND_RDONLY)
#define WAIT_FLAGS_KNOWN	(SHMBUS_WAIT_RELATIVE | SHMBUS_WAIT_ABSOLUTE | \
				 SHMBUS_WAIT_CLOCK_MASK)

/* ---- Paths, sysfs and /proc ---- */

/* Whether @path exists (stat() succeeds). */
bool path_exists(const char *path);
/* Read a whole small file into @buf (NUL-terminated): 0 or -errno. */
int read_text(const char *path, char *buf, size_t len);
/* Write @text to @path in one write(), O_TRUNC like "echo >" (clears tracefs's trace): 0/-errno. */
int write_text(const char *path, const char *text);
/* One number from a file (decimal, 0x hex or 0 octal), or -1 on failure. */
long long read_number(const char *path);
/* A module parameter's value, or -1 if the module has no such parameter. */
long long shmbus_param(const char *name);
/* Set a module parameter (root only): 0 or -errno. */
int shmbus_set_param(const char *name, long long value);
/* One counter of /proc/shmbus/stats ("key value" lines), or -1 if missing. */
long long shmbus_stat(const char *key);
/* Regions of every namespace: stat all_regions, else regions (not root-in-init). */
long long shmbus_all_regions(void);
/* Does /proc/shmbus/regions, as this process reads it, list @name? 1, 0 or -1. */
int shmbus_regions_lists(const char *name);
/* The module file the guest runner loaded ($SHMBUS_KO), or NULL outside it. */
const char *shmbus_ko(void);
/* delete_module("shmbus", O_NONBLOCK): 0 or -errno (-EWOULDBLOCK while in use). */
int shmbus_unload(void);
/* finit_module() of shmbus_ko(): 0 or -errno (-ENOENT without SHMBUS_KO). */
int shmbus_load(void);
/* Make sure the module is loaded again, whatever a test did to it. */
void shmbus_ensure_loaded(void);
/* A number from the environment (decimal, 0x hex or 0 octal), else @def. */
unsigned long long shmbus_env_number(const char *name, unsigned long long def);

/* ---- Time ---- */

/* The time of @clock (CLOCK_MONOTONIC, CLOCK_REALTIME, ...) in ns. */
unsigned long long now_ns(clockid_t clock);
/* Sleep @ns nanoseconds (a signal may cut it short). */
void sleep_ns(unsigned long long ns);
/* Sleep @ms milliseconds (a signal may cut it short). */
void sleep_ms(unsigned int ms);

/* ---- Children ---- */

/* What reap() returns for a child that a signal killed. */
#define REAP_SIGNALED(sig)	(1000 + (sig))
/* reap()'s timeout for "no limit". */
#define REAP_FOREVER		(-1)

/*
 * Fork a child that runs @fn(@arg) and _exits with its return value: its
 * pid, or -errno.  The child is remembered until reap() collects it, for
 * kill_children(); -ENOSPC (no child started) past SPAWN_MAX children.
 */
#define SPAWN_MAX		64
pid_t spawn(int (*fn)(void *), void *arg);
/*
 * Wait up to @timeout_ms (REAP_FOREVER: no limit) for the child @pid (-1:
 * any child): its exit status, REAP_SIGNALED(sig), or -errno; -ETIMEDOUT
 * when none ended in time, a given @pid then being SIGKILLed and reaped.
 * *@reaped (if not NULL) gets the child collected.
 */
int reap(pid_t pid, int timeout_ms, pid_t *reaped);
/* Whether child @pid still runs; if it ended it is reaped (status lost). */
bool child_running(pid_t pid);
/* SIGKILL and reap every child spawn() started that was not reaped yet. */
void kill_children(void);
/*
 * Children a fixture forked itself, in @pids[@n] (0: a free slot), so that
 * its teardown can kill whatever is left.  Track: 0, or -1 (no room: the
 * child is killed and reaped at once).
 */
int shmbus_track_child(pid_t *pids, int n, pid_t pid);
/* fork(), the child tracked in @pids[@n]: 0 in it, its pid, or -errno (-ENOSPC: no room). */
pid_t shmbus_fork_tracked(pid_t *pids, int n);
/* SIGKILL and reap every child left in @pids[@n] (a teardown's sweep). */
void shmbus_kill_tracked(pid_t *pids, int n);
/* Drop @pid from @pids[@n] (it was reaped). */
void shmbus_forget_child(pid_t *pids, int n, pid_t pid);
/* SIGKILL a tracked child and reap it (its handles are released on return): 0 or -1. */
int shmbus_kill_child(pid_t *pids, int n, pid_t pid);

/* ---- File descriptors ---- */

/* Send @fd with one byte over the unix socket @sock (SCM_RIGHTS): 0 or -errno. */
int send_fd(int sock, int fd);
/* The fd that came with one byte on @sock (close-on-exec), or -errno. */
int recv_fd(int sock);
/* Copy the value of "@key:" in /proc/self/fdinfo/@fd into @val: 0 or -errno. */
int fdinfo_value(int fd, const char *key, char *val, size_t len);

/* ---- Regions: helpers over the handle layer, each 0 (or a result) or -errno ---- */

/* Any ioctl on @fd (raw ABI checks): its non-negative result, or -errno. */
int shmbus_ioctl(int fd, unsigned long request, void *arg);
/* open() of /dev/shmbus with @oflags | O_CLOEXEC: a new unbound handle, or -errno. */
int shmbus_dev_open(int oflags);
/* A struct shmbus_bind for @name (truncated to fit), all else zero. */
void shmbus_bind_init(struct shmbus_bind *b, const char *name, __u64 size,
		      __u32 flags, __u32 mode);
/* shmbus_bind() of @b on a new handle opened @oflags: its fd, or -errno with nothing open. */
int shmbus_bind_new(int oflags, struct shmbus_bind *b);
/* What BIND of @b on a new handle opened @oflags answers: 0 or -errno (closed again). */
int shmbus_bind_result(int oflags, struct shmbus_bind *b);
/* What BIND of @name, @size, @flags, @mode on a new O_RDWR handle answers: 0 or -errno. */
int shmbus_try_bind(const char *name, __u64 size, __u32 flags, __u32 mode);
/* A new O_RDWR handle bound to the region @name: the fd, or -errno. */
int shmbus_open_bound(const char *name, __u64 size, __u32 flags, __u32 mode);
/* A new named region (CREATE|EXCL, 0600) on a new O_RDWR handle: fd or -errno; *@b out. */
int shmbus_create(const char *name, __u64 size, struct shmbus_bind *b);
/* A new anonymous region (0600) on a new O_RDWR handle: fd or -errno; *@b (or NULL) out. */
int shmbus_anon_region(__u64 size, struct shmbus_bind *b);
/* Region @name bound with @flags on a new O_RDWR handle: fd or -errno; *@b (or NULL) out. */
int shmbus_open_region(const char *name, __u32 flags, struct shmbus_bind *b);
/* A region name unique to this process: "TAG-PID". */
void shmbus_unique_name(char *name, const char *tag);
/* shmbus_info() into *@info poisoned with 0xff first (unfilled fields show): 0 or -errno. */
int region_info(int fd, struct shmbus_info *info);
/* The region's id (INFO), or 0 on failure. */
__u64 region_id_of(int fd);
/* INFO's handles, mappings, waiters and pages of @fd's region, or -errno. */
long long shmbus_nr_handles(int fd);
long long shmbus_nr_mappings(int fd);
long long shmbus_nr_waiters(int fd);
long long shmbus_nr_pages(int fd);
/* Poll INFO until @n tasks sleep on @fd's region: 0, -ETIMEDOUT after @timeout_ms, or -errno. */
int await_waiters(int fd, unsigned int n, int timeout_ms);
/* SHMBUS_IOC_UNLINK of the raw @req through a fresh unbound handle: 0 or -errno. */
int shmbus_unlink_req(const struct shmbus_unlink *req);

/* ---- Words (wait, wake, watch, robust locks: see <shmbus.h>) ---- */

/*
 * shmbus_wait() on the word at @offset while it holds @expected, for at
 * most @timeout_ns (relative, CLOCK_MONOTONIC): 0 (woken) or -errno.
 */
int shmbus_wait_word(int fd, __u64 offset, __u32 expected, __u64 timeout_ns);

/* ---- Data ---- */

/* The page size (sysconf(_SC_PAGESIZE)). */
size_t page_size(void);

/* Fill @len bytes at @p with the pattern of @seed. */
void fill_pattern(void *p, size_t len, unsigned int seed);
/* Offset of the first of @len bytes at @p that is not pattern @seed, or -1. */
long check_pattern(const void *p, size_t len, unsigned int seed);
/* Offset of the first of @len bytes at @p that is not zero, or -1. */
long find_nonzero(const void *p, size_t len);
/* mmap() @len bytes of @fd at @off, MAP_SHARED: the address or MAP_FAILED (errno set by mmap). */
void *map_shared(int fd, size_t len, int prot, off_t off);
/* What mmap() answers: 0 or -errno; a mapping it made is undone. */
int mmap_result(int fd, size_t len, int prot, int flags, off_t off);

/* ---- Identities and namespaces ---- */

/* Stay root but give up capability @cap in all sets: 0 or -errno. */
int shmbus_drop_cap(int cap);
/* Move this process into a new IPC namespace (unshare): 0 or -errno. */
int in_new_ipc_ns(void);
/*
 * Poll /proc/shmbus/stats every 100 ms until shmbus_all_regions() is down
 * to @want or @timeout_ms passed: the last count read.  A bounded wait for
 * the module's asynchronous reclaim, not a timing check.
 */
long long settle_regions(long long want, int timeout_ms);

/* ---- Seeded randomness ---- */

/* xorshift64* on *@state (never 0): the next number. */
unsigned long long shmbus_rand(unsigned long long *state);

/* ---- Regions a test made, for its teardown ---- */

#define MAX_TRACKED	4

/*
 * Named regions a test made and the handles it holds, for its teardown: at
 * most MAX_TRACKED of each (one more is a bug in the test: abort()).
 */
struct tracked {
	char names[MAX_TRACKED][SHMBUS_NAME_MAX];
	int fds[MAX_TRACKED];
	int nr_names;
	int nr_fds;
};

/* A fresh name "TAG-PID", unlinked by release_tracked() whoever creates it. */
const char *track_name(struct tracked *t, const char *tag);
/* BIND a new O_RDWR handle, kept in @t until release_tracked(): the fd or -errno. */
int bind_tracked(struct tracked *t, const char *name, __u64 size,
		 __u32 flags, __u32 mode);
/* bind_tracked() of a new region @name (CREATE|EXCL) of @size and @mode. */
int create_region(struct tracked *t, const char *name, __u64 size,
		  __u32 mode);
/* Close the handles of @t and unlink its names (a teardown's sweep). */
void release_tracked(struct tracked *t);
/* BIND of a throw-away handle to the existing region @name with @flags: 0 or -errno. */
int probe(const char *name, __u32 flags);

/* ---- Other users, played by children ---- */

#define NOBODY		65534	/* uid and gid of "nobody" */
/* A child's exit status: it could not reach the step under test. */
#define CHILD_BROKEN	200

/* Drop the supplementary groups, set real, effective and saved ids: 0 or -errno. */
int set_ids(uid_t uid, gid_t gid);
/* set_ids(NOBODY, NOBODY), a @prepare for spawn_as(). */
int as_nobody(void);
/*
 * spawn() a child that runs @prepare (switch ids, drop a capability, unshare
 * a namespace: 0 or -errno), then exits with @fn(@arg), or with CHILD_BROKEN
 * if @prepare failed: its pid, or -errno.
 */
pid_t spawn_as(int (*prepare)(void), int (*fn)(void *), void *arg);

/* ---- Waiters: children asleep in SHMBUS_IOC_WAIT (wait, wake, requeue tests) ---- */

/* How long a child gets to fall asleep in WAIT, or to exit once woken (ms). */
#define WAITER_SETTLE_MS	30000

/* Catch @sig with an empty handler, @flags its sa_flags: the signal then ends a wait (EINTR). */
void catch_signal(int sig, int flags);
/* A struct shmbus_wait on the word at @offset holding @expected: any bitset, no timeout. */
struct shmbus_wait wait_args(__u64 offset, __u32 expected);

/* A child sleeping in SHMBUS_IOC_WAIT (spawn(waiter_main, &waiter)). */
struct waiter {
	int fd;
	int signal_flags;	/* -1: no handler; else SIGUSR1's sa_flags */
	struct shmbus_wait w;
};

/* The body of a struct waiter child: WAIT, then exit with 0 or the errno. */
int waiter_main(void *arg);
/*
 * spawn() a child in WAIT @w on @fd and return once the region has @nth
 * sleepers (WAITER_SETTLE_MS at most): its pid, or -errno (a child that
 * never slept is left to kill_children()).
 */
pid_t start_wait(int fd, struct shmbus_wait w, unsigned int nth);
/* start_wait() on the word at @offset, expected 0, with @bitset. */
pid_t start_waiter(int fd, __u64 offset, __u32 bitset, unsigned int nth);
/* @n waiters on word 0 (@bitsets[i], or any), each queued before the next: 0 or -errno. */
int start_waiters(int fd, pid_t *pids, const __u32 *bitsets, unsigned int n);
/* reap() @n children that must all exit 0, WAITER_SETTLE_MS each: how many did. */
unsigned int reap_all(pid_t *pids, unsigned int n);

/* ---- Robust locks: the protocol of docs/waitwake.md (robust tests) ---- */

/* Every WAIT of rlock_lock() ends after this: a lost wake-up fails a test, not hangs it. */
#define RLOCK_WATCHDOG_NS	(10ULL * NSEC_PER_SEC)

/* A robust lock word as one process sees it. */
struct rlock {
	int fd;		/* the handle that owns it and WAITs/WAKEs */
	__u32 *word;	/* the word in a mapping of the region */
	__u64 offset;	/* the word's offset in the region */
	__u32 id;	/* the handle's owner id */
};

/* The word at @offset of the mapping @map. */
__u32 *map_word(void *map, __u64 offset);
/* Load *@p (sequentially consistent). */
__u32 word_load(__u32 *p);
/* Compare-and-swap *@p from *@old to @new (*@old gets the value seen): whether it swapped. */
bool word_cas(__u32 *p, __u32 *old, __u32 new);
/* Set up @l for the word at @offset of @map, owned by handle @fd: 0 or -errno. */
int rlock_init(struct rlock *l, int fd, void *map, __u64 offset);
/*
 * Take the lock: CAS 0 -> owner id; when contended set SHMBUS_LOCK_WAITERS
 * and WAIT on the value seen (RLOCK_WATCHDOG_NS at most).  0, EOWNERDEAD
 * (the owner died: repair, then rlock_consistent()), or -errno of a failed
 * WAIT (-ETIMEDOUT: the watchdog).  A locker that has waited takes the lock
 * with WAITERS set, as others may still sleep behind it; WAITERS found with
 * OWNER_DIED is kept for the same reason.
 */
int rlock_lock(const struct rlock *l);
/* After EOWNERDEAD and the repair: clear SHMBUS_LOCK_OWNER_DIED. */
void rlock_consistent(const struct rlock *l);
/* First half of unlock: swap the word to 0, return its old value. */
__u32 rlock_release(const struct rlock *l);
/* Second half of unlock: WAKE one if @old had WAITERS.  0 or -errno. */
int rlock_wake(const struct rlock *l, __u32 old);
/* rlock_release() then rlock_wake(): 0 or -errno. */
int rlock_unlock(const struct rlock *l);

/* ---- Watches: poll() and read() of a handle's wake count ---- */

/* poll() of @fd for POLLIN with timeout 0: the revents, or -errno. */
int poll_now(int fd);
/* read() of @len bytes into *@events: read's result or -errno. */
int read_events(int fd, __u64 *events, size_t len);

/* ---- Tenants: /proc/shmbus/regions by column, stats, peers ---- */

/* The inode number of this process's namespace of @type ("ipc", "mnt"), or 0. */
__u64 shmbus_ns_inode(const char *type);
/* Fault in the first page of the region bound to @fd: 0 or -errno. */
int shmbus_touch_first_page(int fd);

/*
 * A view of /proc/shmbus/regions as this process reads it: the header's
 * words, then each row's through shmbus_regions_next(); fclose(@f) ends it.
 */
#define SHMBUS_REGIONS_FIELDS	16
struct shmbus_regions_file {
	FILE *f;
	char header_line[256], line[512];
	char *header[SHMBUS_REGIONS_FIELDS], *row[SHMBUS_REGIONS_FIELDS];
	int nr_header, nr_row;
};
/* Open the file and split its header: 0, or -errno (-ENODATA: no header). */
int shmbus_regions_open(struct shmbus_regions_file *rf);
/* Split the next row: 1, or 0 at the end. */
int shmbus_regions_next(struct shmbus_regions_file *rf);
/* Field @column of the row in @rf, or NULL if the header has no such column. */
const char *shmbus_regions_field(struct shmbus_regions_file *rf, const char *column);
/*
 * Copy field @column of region @id's row into @value: 0, -ENOENT when no row
 * shows @id, -ENODEV when there is no such column, or -errno.
 */
int shmbus_regions_lookup(__u64 id, const char *column, char *value, size_t len);
/* Does /proc/shmbus/regions, as this process reads it, show region @id? 1, 0 or -errno. */
int shmbus_regions_lists_id(__u64 id);

/* The counters of /proc/shmbus/stats: the reader's namespace's, then all namespaces'. */
enum shmbus_stat_index {
	SHMBUS_STAT_REGIONS, SHMBUS_STAT_PAGES, SHMBUS_STAT_BYTES,
	SHMBUS_STAT_ALL_REGIONS, SHMBUS_STAT_ALL_PAGES, SHMBUS_STAT_ALL_BYTES,
	SHMBUS_NR_STATS
};
/* Their keys, for shmbus_stat(). */
extern const char *const shmbus_stat_names[SHMBUS_NR_STATS];

/*
 * A peer plays another user or IPC namespace for a test that stays root in
 * the initial ones: a forked child that runs a prepare function (switch
 * uid, drop a capability, unshare its IPC namespace), then the commands the
 * test sends it one at a time through a pipe, with arguments and answers in
 * a page it shares with the test.  It unlinks every name it made when the
 * test stops it, so its namespace holds nothing when it dies.
 */
enum shmbus_peer_cmd {
	SHMBUS_PEER_CREATE,	/* regions "name-N" of size until max or failure */
	SHMBUS_PEER_BIND_ANON,	/* an anonymous region of a page, kept bound: id */
	SHMBUS_PEER_PROBE,	/* bind name read-only: err */
	SHMBUS_PEER_UNLINK,	/* UNLINK { name, ns }: err */
	SHMBUS_PEER_UNLINK_OWN,	/* unlink every name this peer made */
	SHMBUS_PEER_STATS,	/* read /proc/shmbus/stats: stats */
	SHMBUS_PEER_LISTS,	/* does /proc/shmbus/regions show id: listed */
};

/* A peer's arguments and answers, in a page it shares with the test. */
struct shmbus_peer_page {
	char name[SHMBUS_NAME_MAX];	/* CREATE: prefix; PROBE, UNLINK: name */
	__u64 size;			/* CREATE */
	int max;			/* CREATE: most regions to make */
	int touch;			/* CREATE: fault in the first page of each */
	__u64 ns;			/* UNLINK: target namespace, 0: its own */
	__u64 id;			/* LISTS: region to look for; out: BIND_ANON,
					 * CREATE: the last region made */
	int err;			/* out: errno of the failure, or 0 */
	int created;			/* out: CREATE: regions made */
	int listed;			/* out: LISTS */
	long long stats[SHMBUS_NR_STATS]; /* out: STATS, -1 where a line is missing */
	__u64 my_ns;			/* out: the peer's IPC namespace inode */
};

struct shmbus_peer {
	pid_t pid;
	int cmd;		/* test -> peer: one byte per command */
	int ack;		/* peer -> test: one byte per answer */
	struct shmbus_peer_page *page;
};

/*
 * The name of a peer's region @n: "PREFIX-N".  A peer is given one prefix
 * (CREATE's name): a later CREATE goes on with the numbering.
 */
void shmbus_peer_name(char *name, const char *prefix, int n);
/* Start a peer (zeroed, or stopped) that runs @prepare first: 0, or -1 if it could not. */
int shmbus_peer_start(struct shmbus_peer *p, int (*prepare)(void));
/* Run one command in the peer: 0 once it answered, -1 if it is gone. */
int shmbus_peer_do(struct shmbus_peer *p, enum shmbus_peer_cmd cmd);
/* Have the peer create up to @max regions "PREFIX-N" of @size bytes: as shmbus_peer_do(). */
int shmbus_peer_create_regions(struct shmbus_peer *p, const char *prefix, __u64 size, int max);
/* Stop the peer, if started: it unlinks its names and exits. */
void shmbus_peer_stop(struct shmbus_peer *p);

/* ---- Fault injection: fail-nth, failslab, fail_page_alloc, fail_usercopy ---- */

#define SHMBUS_FAIL_NTH		"/proc/thread-self/fail-nth"
#define SHMBUS_FAULTS		"/sys/kernel/debug/"

/* A fault-injection knob: a file under SHMBUS_FAULTS, and a value for it. */
struct shmbus_fi_knob {
	const char *path;
	const char *value;
};

/*
 * The knobs a fault-injection test saves, sets to these values and restores
 * (in reverse: the filters only once the probabilities are back): every
 * allocation eligible (GFP_KERNEL ones and order-0 pages included), no
 * random failures, and quiet.
 */
#define SHMBUS_FI_NR_KNOBS	18
extern const struct shmbus_fi_knob shmbus_fi_knobs[SHMBUS_FI_NR_KNOBS];

/* Why fault injection cannot be used here (not root, no fail-nth, no knobs), or NULL. */
const char *shmbus_fi_unavailable(void);
/* Write @value to the knob @name ("failslab/probability"): 0 or -errno. */
int shmbus_fi_set_knob(const char *name, const char *value);
/*
 * Arm SHMBUS_FAIL_NTH, open as @nth: the @n-th injection point this thread
 * reaches fails (aborts if it cannot).
 */
void shmbus_fi_nth_arm(int nth, unsigned int n);
/*
 * Was the armed fault injected?  The file reads 0 once it was.  Reading can
 * itself reach the last injection point (an injected user copy, EFAULT):
 * then the count was still 1, so it was not.  Disarms in every case (aborts
 * if it cannot).
 */
bool shmbus_fi_nth_fired(int nth);
/* Is @ret (a result, or -errno) a success, or an errno e with bit 1ULL << e set in @errs? */
bool shmbus_fi_injected_ok(long ret, unsigned long long errs);

#endif /* SHMBUS_SELFTEST_UTIL_H */
