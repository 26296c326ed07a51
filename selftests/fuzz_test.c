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
 *
 * This file holds the test, the workers and their children; the operations
 * and the model they check against are in the sources fuzz.h lists.
 */
#define _GNU_SOURCE
#define FUZZ_SRC	SRC_TEST
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"
#include "fuzz.h"

#define CHILD_OPS	24	/* a forked child does 1..CHILD_OPS operations */
#define DEFAULT_OPS	100000
#define TIMEOUT_S	900	/* the harness' limit for the whole run */
#define MARGIN_S	120	/* workers stop this long before it */
#define GC_WAIT_S	10	/* the module unlinks a dead namespace's names by then */

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
 * how many violations each check of the fuzzer's sources saw.
 */
static void print_outcomes(struct shared *sh)
{
	char line[1024];
	unsigned int i, src;
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
	for (src = 0; src < NR_SRCS; src++)
		for (i = 0; i < MAX_LINES; i++)
			if (sh->hits[src][i])
				fprintf(stderr, "#   %d violations at %s:%u\n", sh->hits[src][i],
					fuzz_src_names[src], i);
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
		int err = shmbus_unlink(sh->names[i]);

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
