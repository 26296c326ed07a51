// SPDX-License-Identifier: GPL-2.0
/*
 * Robust locks under kill -9, as docs/waitwake.md ("Owner-died recovery")
 * promises: workers lock, check and bump shared data and unlock while one
 * of them is SIGKILLed at a random moment each round, holding the lock,
 * waiting in it or waking (unlocking).  The survivors and a fresh worker
 * must all take the lock again, the data stays consistent, every death of
 * a holder reaches a later locker as EOWNERDEAD, and nothing leaks.
 *
 * The workers lock with rlock_lock()/rlock_unlock() of util.h, whose every
 * WAIT has a watchdog timeout.  chaos_kill9 logs its random seed;
 * ROBUST_SEED=N in the environment repeats its choices.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define CREATE_EXCL	(SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL)
#define RW		(PROT_READ | PROT_WRITE)
#define WAITERS		SHMBUS_LOCK_WAITERS
#define REGION_PAGES	2
#define LOCK_OFF	0	/* registered by the fixture */
#define CHAOS_OFF	64	/* struct chaos */
#define WATCHDOG_NS	RLOCK_WATCHDOG_NS	/* rlock_lock()'s */
#define MAX_CHILDREN	8
#define CHAOS_WORKERS	3
#define CHAOS_ROUNDS	1000
#define CHAOS_MAX_DELAY_US 2000

FIXTURE(robust) {
	char name[SHMBUS_NAME_MAX];
	size_t size;
	int fd;			/* creator handle of the named region */
	void *map;		/* the whole region */
	pid_t pids[MAX_CHILDREN];
	long long regions0, pages0;
};

/* Undo the setup: unmap, close, unlink.  Safe to call twice. */
static void region_cleanup(FIXTURE_DATA(robust) *self)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->size);
	self->map = MAP_FAILED;
	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	if (self->name[0])
		shmbus_unlink(self->name);
	self->name[0] = '\0';
}

/* A named region, mapped, with LOCK_OFF registered: 0 or -errno. */
static int region_setup(FIXTURE_DATA(robust) *self)
{
	int ret;

	self->size = REGION_PAGES * sysconf(_SC_PAGESIZE);
	self->map = MAP_FAILED;
	self->regions0 = shmbus_stat("regions");
	self->pages0 = shmbus_stat("pages");
	shmbus_unique_name(self->name, "robust");
	self->fd = shmbus_open_bound(self->name, self->size, CREATE_EXCL, 0600);
	if (self->fd < 0) {
		self->name[0] = '\0';
		return self->fd;
	}
	self->map = mmap(NULL, self->size, RW, MAP_SHARED, self->fd, 0);
	ret = self->map == MAP_FAILED ? -errno : shmbus_lock_register(self->fd, LOCK_OFF);
	if (ret)
		region_cleanup(self);
	return ret;
}

FIXTURE_SETUP(robust)
{
	int ret = region_setup(self);

	ASSERT_EQ(0, ret) TH_LOG("setup: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(robust)
{
	shmbus_kill_tracked(self->pids, MAX_CHILDREN);
	region_cleanup(self);
}

static void forget(FIXTURE_DATA(robust) *self, pid_t pid)
{
	shmbus_forget_child(self->pids, MAX_CHILDREN, pid);
}

/* SIGKILL a child and reap it (its handles are released when this returns). */
static int kill_child(FIXTURE_DATA(robust) *self, pid_t pid)
{
	return shmbus_kill_child(self->pids, MAX_CHILDREN, pid);
}

/*
 * reap() a child that should exit by itself: its exit status,
 * REAP_SIGNALED(sig), or -ETIMEDOUT (killed) if it still ran at the watchdog.
 */
static int reap_child(FIXTURE_DATA(robust) *self, pid_t pid)
{
	int ret = reap(pid, WATCHDOG_NS / NSEC_PER_MSEC, NULL);

	forget(self, pid);
	return ret;
}

/* fork(), the child remembered so that teardown kills it whatever happens. */
static pid_t fork_tracked(FIXTURE_DATA(robust) *self)
{
	return shmbus_fork_tracked(self->pids, MAX_CHILDREN);
}

/*
 * Each chaos round SIGKILLs a worker at a random moment while it holds the
 * lock, waits in it or wakes (unlocks), then the survivors and a fresh
 * worker must all take the lock again.  Everything a death can leave behind
 * is the kernel's job: a held lock (OWNER_DIED), and a wake-up the dead
 * worker took with it (it was woken and died before relocking, or died
 * between the unlock's swap and its WAKE).
 */

/* Phases of a chaos worker, set around each step of its loop. */
enum { PH_IDLE, PH_LOCKING, PH_HOLDING, PH_UNLOCKING, NR_PHASES };

/* Exit codes of a chaos worker. */
enum { WK_OK, WK_SETUP, WK_LOCK, WK_BROKEN, WK_WAKE };

struct chaos_slot {
	__u32 phase;
	__u32 id;
	__u64 acquired;
};

/* Shared by the chaos workers, at CHAOS_OFF in the region. */
struct chaos {
	__u64 counter;		/* under the lock: counter++, then shadow++ */
	__u64 shadow;		/* equals counter whenever the lock is free */
	__u64 owner_dead;	/* EOWNERDEAD seen by workers */
	__u32 stop;
	__u32 pad;
	struct chaos_slot slot[CHAOS_WORKERS];
};

static void set_phase(struct chaos_slot *s, __u32 phase)
{
	__atomic_store_n(&s->phase, phase, __ATOMIC_SEQ_CST);
}

/*
 * A chaos worker: its own handle bound by name; lock, check and bump the
 * data, unlock, until told to stop.  The yields widen the windows between
 * the two data stores and between the unlock's swap and its WAKE.
 */
static void __attribute__((noreturn)) chaos_worker(const char *name, void *map,
						   struct chaos *c, int i)
{
	struct chaos_slot *s = &c->slot[i];
	struct rlock l;
	int fd, ret;
	__u32 old;

	fd = shmbus_open_bound(name, 0, 0, 0);
	if (fd < 0 || rlock_init(&l, fd, map, LOCK_OFF))
		_exit(WK_SETUP);
	__atomic_store_n(&s->id, l.id, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		set_phase(s, PH_LOCKING);
		ret = rlock_lock(&l);
		if (ret < 0)
			_exit(WK_LOCK);
		set_phase(s, PH_HOLDING);
		if (ret == EOWNERDEAD) {
			c->shadow = c->counter;
			__atomic_fetch_add(&c->owner_dead, 1, __ATOMIC_SEQ_CST);
			rlock_consistent(&l);
		} else if (c->counter != c->shadow) {
			_exit(WK_BROKEN);
		}
		c->counter++;
		sched_yield();
		c->shadow++;
		__atomic_fetch_add(&s->acquired, 1, __ATOMIC_SEQ_CST);
		set_phase(s, PH_UNLOCKING);
		old = rlock_release(&l);
		if (old & WAITERS)
			sched_yield();
		if (rlock_wake(&l, old))
			_exit(WK_WAKE);
		set_phase(s, PH_IDLE);
	}
	_exit(WK_OK);
}

static pid_t chaos_spawn(FIXTURE_DATA(robust) *self, struct chaos *c, int i)
{
	pid_t pid;

	memset(&c->slot[i], 0, sizeof(c->slot[i]));
	pid = fork_tracked(self);
	if (pid == 0)
		chaos_worker(self->name, self->map, c, i);
	return pid;
}

static __u32 xorshift(__u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Spin until worker @i is in @phase: 0, or -1 at the watchdog. */
static int chaos_wait_phase(struct chaos *c, int i, __u32 phase)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;

	while (__atomic_load_n(&c->slot[i].phase, __ATOMIC_SEQ_CST) != phase) {
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		sched_yield();
	}
	return 0;
}

/*
 * Wait until every worker took the lock again since @snap: 0, -1 at the
 * watchdog, or the exit status + 1 of a worker that exited.
 */
static int chaos_progress(struct chaos *c, const pid_t *pids, const __u64 *snap)
{
	__u64 end = now_ns(CLOCK_MONOTONIC) + WATCHDOG_NS;
	int i, done, status;

	for (;;) {
		done = 0;
		for (i = 0; i < CHAOS_WORKERS; i++) {
			if (waitpid(pids[i], &status, WNOHANG) == pids[i])
				return WIFEXITED(status) ? WEXITSTATUS(status) + 1 : -1;
			done += __atomic_load_n(&c->slot[i].acquired, __ATOMIC_SEQ_CST) > snap[i];
		}
		if (done == CHAOS_WORKERS)
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > end)
			return -1;
		usleep(100);
	}
}

/* Robust under kill -9: progress, consistent data, recovery, no leak. */
TEST_F_TIMEOUT(robust, chaos_kill9, 200)
{
	static const char *const names[NR_PHASES] = {
		"idle", "waiting", "holding", "waking",
	};
	static const __u32 targets[] = { PH_HOLDING, PH_LOCKING, PH_UNLOCKING };
	struct chaos *c = (struct chaos *)map_word(self->map, CHAOS_OFF);
	unsigned int tally[NR_PHASES] = { 0 };
	const char *env = getenv("ROBUST_SEED");
	__u64 snap[CHAOS_WORKERS];
	pid_t pids[CHAOS_WORKERS];
	struct shmbus_info info;
	__u32 seed, rnd, phase, vid, word;
	struct rlock l;
	int round, i, v, ret;

	seed = env ? strtoul(env, NULL, 0) : (__u32)(now_ns(CLOCK_MONOTONIC) ^ getpid());
	seed = seed ? seed : 1;
	rnd = seed;
	TH_LOG("seed %u (ROBUST_SEED=%u repeats the choices)", seed, seed);
	for (i = 0; i < CHAOS_WORKERS; i++) {
		pids[i] = chaos_spawn(self, c, i);
		ASSERT_LT(0, pids[i]);
	}
	for (round = 0; round < CHAOS_ROUNDS; round++) {
		v = xorshift(&rnd) % CHAOS_WORKERS;
		usleep(xorshift(&rnd) % (CHAOS_MAX_DELAY_US + 1));
		ASSERT_EQ(0, chaos_wait_phase(c, v, targets[round % 3]))
			TH_LOG("round %d: worker %d stuck in %s, word %#x", round, v,
			       names[c->slot[v].phase], word_load(map_word(self->map, LOCK_OFF)));
		ASSERT_EQ(0, kill_child(self, pids[v]));
		phase = c->slot[v].phase;
		vid = c->slot[v].id;
		tally[phase]++;
		word = word_load(map_word(self->map, LOCK_OFF));
		ASSERT_NE(vid, word & SHMBUS_LOCK_OWNER_MASK)
			TH_LOG("round %d: the dead worker's lock was not recovered: %#x",
			       round, word);
		pids[v] = chaos_spawn(self, c, v);
		ASSERT_LT(0, pids[v]);
		for (i = 0; i < CHAOS_WORKERS; i++)
			snap[i] = __atomic_load_n(&c->slot[i].acquired, __ATOMIC_SEQ_CST);
		ret = chaos_progress(c, pids, snap);
		ASSERT_EQ(0, ret)
			TH_LOG("round %d (killed %s): %s, word %#x", round, names[phase],
			       ret < 0 ? "no progress" : "a worker exited",
			       word_load(map_word(self->map, LOCK_OFF)));
	}
	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < CHAOS_WORKERS; i++)
		ASSERT_EQ(WK_OK, reap_child(self, pids[i])) TH_LOG("worker %d", i);
	TH_LOG("killed while holding %u, waiting %u, waking %u, idle %u; EOWNERDEAD %llu",
	       tally[PH_HOLDING], tally[PH_LOCKING], tally[PH_UNLOCKING], tally[PH_IDLE],
	       (unsigned long long)c->owner_dead);
	EXPECT_TRUE(tally[PH_HOLDING] && tally[PH_LOCKING] && tally[PH_UNLOCKING])
		TH_LOG("the kills missed a phase");
	/* Each death of a holder reaches exactly one later locker. */
	EXPECT_LE(tally[PH_HOLDING], c->owner_dead);
	EXPECT_GE(CHAOS_ROUNDS, c->owner_dead);

	/* A fresh locker takes it plainly, and the data is consistent. */
	ASSERT_EQ(0, rlock_init(&l, self->fd, self->map, LOCK_OFF));
	EXPECT_EQ(0, rlock_lock(&l));
	EXPECT_EQ(c->counter, c->shadow);
	EXPECT_EQ(0, rlock_unlock(&l));
	ASSERT_EQ(0, region_info(self->fd, &info));
	EXPECT_EQ(0, info.waiters);
	EXPECT_EQ(1, info.handles);
	region_cleanup(self);
	EXPECT_EQ(self->regions0, shmbus_stat("regions"));
	EXPECT_EQ(self->pages0, shmbus_stat("pages"));
}

TEST_HARNESS_MAIN
