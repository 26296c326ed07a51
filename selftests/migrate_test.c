// SPDX-License-Identifier: GPL-2.0
/*
 * WAIT compares against the value the word holds, also while its page
 * migrates (docs/waitwake.md, SHMBUS_IOC_WAIT: EAGAIN at once if the word
 * differs).  A migrating page sits in the page cache before its data has
 * been copied into it; reading the word then must not look like reading a
 * page never touched (which reads as 0).
 *
 * One process maps a one-page region, stores 1 into word 0 and bounces the
 * page between NUMA nodes 0 and 1 with move_pages(); the test process, which
 * never maps the region, loops WAIT(expected 0) on that word: every call
 * must be EAGAIN.  An ETIMEDOUT is a sleep on a value the word did not hold.
 * Only a WAIT that overlaps a move can go wrong, and moves are far slower
 * than WAITs under emulation, so the loop runs at least WAITS times and on
 * until the page has moved MIN_MOVES times each way (at most MAX_WAITS).
 *
 * Needs a second NUMA node: the guest boots with numa=fake=2 in make check
 * (scripts/vm-run --append numa=fake=2); the test is skipped otherwise.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/mempolicy.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define NODE1		"/sys/devices/system/node/node1"
#define WAITS		100000
#define MIN_MOVES	500
#define MAX_WAITS	(50 * WAITS)
#define WAIT_NS		1000000ULL	/* 1 ms */
#define WATCHDOG_NS	(30ULL * 1000000000ULL)

/* Between the test and the mover, in memory that is not the region. */
struct mover {
	int ready;		/* word 0 holds 1, the moves are starting */
	int stop;
	unsigned long moved[2];	/* move_pages() calls that left the page on node 0, 1 */
	unsigned long failed;	/* move_pages() calls that did not */
	long last_ret;		/* the last failure: move_pages()' result, */
	int last_status;	/* ... and the page's status (node or -errno) */
};

/* The moves to each node since the counts @before: into @since. */
static void moves_since(struct mover *m, const unsigned long *before, unsigned long *since)
{
	since[0] = __atomic_load_n(&m->moved[0], __ATOMIC_SEQ_CST) - before[0];
	since[1] = __atomic_load_n(&m->moved[1], __ATOMIC_SEQ_CST) - before[1];
}

/*
 * The only process that maps the region (MPOL_MF_MOVE moves only pages
 * nobody else maps): store 1 into word 0, then bounce its page between
 * nodes 0 and 1 until told to stop.
 */
static void __attribute__((noreturn)) mover(int fd, struct mover *m)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	__u32 *word = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	void *page = word;
	int node = 1, status;
	long ret;

	if (word == MAP_FAILED)
		_exit(1);
	__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&m->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&m->stop, __ATOMIC_SEQ_CST)) {
		status = -1;
		ret = syscall(SYS_move_pages, 0, 1, &page, &node, &status, MPOL_MF_MOVE);
		if (!ret && status == node) {
			__atomic_add_fetch(&m->moved[node], 1, __ATOMIC_SEQ_CST);
		} else {
			m->last_ret = ret < 0 ? -errno : ret;
			m->last_status = status;
			__atomic_add_fetch(&m->failed, 1, __ATOMIC_SEQ_CST);
		}
		node = !node;
	}
	_exit(0);
}

FIXTURE(migrate) {
	int fd;
	struct mover *m;
	pid_t pid;
};

FIXTURE_SETUP(migrate)
{
	self->fd = -1;
	self->m = MAP_FAILED;
}

FIXTURE_TEARDOWN(migrate)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
	if (self->m != MAP_FAILED)
		munmap(self->m, sizeof(*self->m));
	if (self->fd >= 0)
		close(self->fd);
}

/* Wait until the mover is ready: 0, or -1 if it died or the watchdog fired. */
static int wait_ready(FIXTURE_DATA(migrate) *self)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;

	while (!__atomic_load_n(&self->m->ready, __ATOMIC_SEQ_CST)) {
		if (waitpid(self->pid, NULL, WNOHANG) || now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* WAIT(expected 0) on a word holding 1 is EAGAIN every time while its page moves. */
TEST_F_TIMEOUT(migrate, wait_on_moving_page_never_sleeps, 600)
{
	unsigned int timedout = 0, woken = 0, other = 0;
	unsigned long before[2], zero[2] = { 0, 0 }, moves[2];
	int n, ret, status, other_err = 0;

	if (!path_exists(NODE1))
		SKIP(return, "one NUMA node: boot with numa=fake=2");
	self->fd = shmbus_anon_region(sysconf(_SC_PAGESIZE), NULL);
	ASSERT_LE(0, self->fd);
	self->m = mmap(NULL, sizeof(*self->m), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->m);
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		mover(self->fd, self->m);
	}
	ASSERT_EQ(0, wait_ready(self)) TH_LOG("the mover never stored its value");

	moves_since(self->m, zero, before);
	for (n = 0; n < MAX_WAITS; n++) {
		if (n >= WAITS) {
			moves_since(self->m, before, moves);
			if (moves[0] >= MIN_MOVES && moves[1] >= MIN_MOVES)
				break;
		}
		ret = shmbus_wait_word(self->fd, 0, 0, WAIT_NS);
		if (ret == -ETIMEDOUT) {
			timedout++;
		} else if (!ret) {
			woken++;
		} else if (ret != -EAGAIN) {
			other++;
			other_err = -ret;
		}
	}
	moves_since(self->m, before, moves);
	__atomic_store_n(&self->m->stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
	self->pid = 0;

	TH_LOG("%d WAITs, not EAGAIN: %u ETIMEDOUT, %u woken, %u other (last: %s)",
	       n, timedout, woken, other, strerror(other_err));
	TH_LOG("moves during them: %lu to node 0, %lu to node 1", moves[0], moves[1]);
	TH_LOG("failed moves: %lu (the last: move_pages %ld, status %d)", self->m->failed,
	       self->m->last_ret, self->m->last_status);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("the mover failed");
	/* Without moves during the WAITs the test proves nothing. */
	ASSERT_TRUE(moves[0] && moves[1])
		TH_LOG("the page did not move between both nodes during the WAITs");
	EXPECT_EQ(0, timedout + woken + other);
}

TEST_HARNESS_MAIN
