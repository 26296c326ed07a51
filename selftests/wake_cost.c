// SPDX-License-Identifier: GPL-2.0
/*
 * wake_cost: what somebody else's watches cost a WAKE.  A measurement, not a
 * test (no verdict; the numbers go into notes).
 *
 *   wake_cost [REPS [WATCHES]]     defaults: 20000 wakes, 100000 watches
 *
 * Measures the median time of SHMBUS_IOC_WAKE on word 0 of region R that
 * nobody waits on (CLOCK_MONOTONIC, batches of BATCH calls): with nothing
 * queued anywhere; while WORKERS other processes hold WATCHES watches on
 * distinct words of another region S; and while they hold as many on the
 * other words of R itself (what a reader of a world-readable region can
 * do).  Prints the medians and their ratios to the first: a WAKE whose cost
 * does not depend on others' watches gives ratios near 1.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/shmbus.h>

#include "util.h"

#define BATCH		8	/* wakes per clock reading */
#define WARMUP		1000
#define WORKERS		4

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "wake_cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void wake_word0(int fd)
{
	int ret = shmbus_wake(fd, 0, 1, SHMBUS_BITSET_ANY);

	if (ret) {
		fprintf(stderr, "wake_cost: WAKE %s\n", ret > 0 ? "woke somebody" : strerror(-ret));
		exit(1);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median time of one WAKE on word 0 of @fd's region, in ns, over @reps wakes. */
static uint64_t median_wake_ns(int fd, unsigned long reps)
{
	unsigned long samples = reps / BATCH, s;
	uint64_t *t = calloc(samples, sizeof(*t)), t0, median;
	int i;

	if (!t)
		die("calloc");
	for (i = 0; i < WARMUP; i++)
		wake_word0(fd);
	for (s = 0; s < samples; s++) {
		t0 = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < BATCH; i++)
			wake_word0(fd);
		t[s] = (now_ns(CLOCK_MONOTONIC) - t0) / BATCH;
	}
	qsort(t, samples, sizeof(*t), cmp_u64);
	median = t[samples / 2];
	free(t);
	return median;
}

/*
 * Worker: watch words [first, first + nr) of the region of @fd, through
 * handles REOPENed from it (SHMBUS_WATCH_MAX words each); report how many
 * watches it holds on @report, then hold them until @hold reaches EOF.
 */
static void __attribute__((noreturn)) worker(int fd, unsigned long first, unsigned long nr,
					     int report, int hold)
{
	unsigned long i, held = 0;
	int h = -1;
	char c;

	for (i = 0; i < nr; i++) {
		if (i % SHMBUS_WATCH_MAX == 0) {
			h = shmbus_reopen(fd);
			if (h < 0)
				break;
		}
		if (shmbus_watch(h, (first + i) * sizeof(__u32), SHMBUS_BITSET_ANY))
			break;
		held++;
	}
	if (write(report, &held, sizeof(held)) != sizeof(held))
		_exit(1);
	while (read(hold, &c, 1) > 0)
		;
	_exit(0);
}

static void raise_nofile(unsigned long n)
{
	struct rlimit rl = { .rlim_cur = n, .rlim_max = n };
	struct rlimit old;

	if (getrlimit(RLIMIT_NOFILE, &old))
		die("getrlimit");
	if (old.rlim_max > n)
		rl.rlim_max = old.rlim_max;
	if (old.rlim_cur < n && setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE");
}

/* Watchers of @nr words of @fd's region from word @first, in WORKERS processes. */
struct watchers {
	pid_t pids[WORKERS];
	int hold;	/* closing it lets the workers go */
	unsigned long held;
};

static void watchers_start(struct watchers *ws, int fd, unsigned long first, unsigned long nr)
{
	unsigned long per_worker = (nr + WORKERS - 1) / WORKERS, n;
	int report[2], hold[2], i;

	if (pipe2(report, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
		die("pipe");
	for (i = 0; i < WORKERS; i++) {
		unsigned long start = i * per_worker;

		n = start >= nr ? 0 : nr - start;
		ws->pids[i] = fork();
		if (ws->pids[i] < 0)
			die("fork");
		if (!ws->pids[i]) {
			close(hold[1]);
			worker(fd, first + start, n < per_worker ? n : per_worker, report[1],
			       hold[0]);
		}
	}
	close(hold[0]);
	close(report[1]);
	ws->held = 0;
	for (i = 0; i < WORKERS; i++) {
		if (read(report[0], &n, sizeof(n)) != sizeof(n))
			die("worker report");
		ws->held += n;
	}
	close(report[0]);
	ws->hold = hold[1];
}

static void watchers_stop(struct watchers *ws)
{
	int i;

	close(ws->hold);
	for (i = 0; i < WORKERS; i++)
		waitpid(ws->pids[i], NULL, 0);
}

/* median_wake_ns() while others watch @nr words of @watched's region from @first. */
static uint64_t median_wake_watched(int fd, unsigned long reps, int watched,
				   unsigned long first, unsigned long nr)
{
	struct watchers ws;
	uint64_t median;

	watchers_start(&ws, watched, first, nr);
	if (ws.held != nr) {
		fprintf(stderr, "wake_cost: workers hold %lu watches, not %lu\n", ws.held, nr);
		exit(1);
	}
	median = median_wake_ns(fd, reps);
	watchers_stop(&ws);
	return median;
}

int main(int argc, char **argv)
{
	unsigned long reps = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	unsigned long nr_watches = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
	size_t size = ((nr_watches + 1) * sizeof(__u32) + 4095) & ~4095ul;
	uint64_t idle, other, same;
	int r, s;

	if (reps < BATCH || argc > 3) {
		fprintf(stderr, "usage: wake_cost [REPS >= %d [WATCHES]]\n", BATCH);
		return 2;
	}
	raise_nofile(nr_watches / WORKERS / SHMBUS_WATCH_MAX + 256);
	r = shmbus_anon_region(size, NULL);
	s = shmbus_anon_region(size, NULL);
	if (r < 0 || s < 0) {
		errno = -(r < 0 ? r : s);
		die("regions");
	}
	idle = median_wake_ns(r, reps);

	other = median_wake_watched(r, reps, s, 0, nr_watches);
	same = median_wake_watched(r, reps, r, 1, nr_watches);

	printf("wake_cost: median WAKE without waiter, %lu wakes in batches of %d\n", reps, BATCH);
	printf("wake_cost: nothing queued:                         %8llu ns\n",
	       (unsigned long long)idle);
	printf("wake_cost: %6lu watches on another region:        %8llu ns  ratio %.2f\n",
	       nr_watches, (unsigned long long)other, idle ? (double)other / idle : 0.0);
	printf("wake_cost: %6lu watches on other words of region: %8llu ns  ratio %.2f\n",
	       nr_watches, (unsigned long long)same, idle ? (double)same / idle : 0.0);
	return 0;
}
