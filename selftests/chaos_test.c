// SPDX-License-Identifier: GPL-2.0
/*
 * Chaos: processes die of SIGKILL at random points while they hold robust
 * locks, sleep in WAIT/WAITV, fault pages in and bind regions, while the test
 * tries to unload the module; and the module is unloaded and loaded again
 * many times while idle.
 *
 * After every round of kills: no task is counted as sleeping, every
 * registered lock word is free or marked OWNER_DIED (never still owned by a
 * dead handle), the data each lock protects is consistent unless its owner
 * died, and once the names are unlinked only the test's own region is left.
 * Unloading fails with EWOULDBLOCK for as long as anything uses the module.
 *
 * SHMBUS_CHAOS_SEED sets the seed (printed), SHMBUS_CHAOS_SECONDS the time
 * spent killing (default 90).  The load/unload cycles need root and
 * SHMBUS_KO (set by scripts/vm-run).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_PAGES	16
#define NR_LOCKS	8
#define LOCK_STRIDE	64	/* bytes: lock word, then its two data words */
#define IDLE_WORD	2048	/* a word of page 0 nobody writes */
#define NR_VICTIMS	4
#define NR_POOL		4	/* names the binders create and unlink */
#define MAX_ROUNDS	2000
#define CHAOS_SECONDS	90
#define MAX_DELAY_MS	150
#define CYCLES		100

enum role { LOCKER, WAITER, FAULTER, BINDER, THREADS, NR_ROLES };

/* What the victims tell the test (they may die in the middle of it). */
struct chaos_shared {
	int violations;
	char msg[256];
	unsigned long long acquired, recovered;
};

struct victim {
	struct chaos_shared *sh;
	const char *name;		/* the test's region */
	const char *pool;		/* prefix of the binders' names */
	unsigned long long rng;
	size_t pg;
};

static unsigned long long below(unsigned long long *s, unsigned long long n)
{
	return n ? shmbus_rand(s) % n : 0;
}

static void __attribute__((format(printf, 2, 3)))
victim_fail(struct victim *v, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&v->sh->violations, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(v->sh->msg, sizeof(v->sh->msg), fmt, ap);
	va_end(ap);
}

/* A handle of its own on the test's region, and all of it mapped. */
static char *victim_map(struct victim *v, int *fd)
{
	char *map;

	*fd = shmbus_open_bound(v->name, 0, 0, 0);
	if (*fd < 0) {
		victim_fail(v, "bind %s: %s", v->name, strerror(-*fd));
		_exit(1);
	}
	map = mmap(NULL, REGION_PAGES * v->pg, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (map == MAP_FAILED) {
		victim_fail(v, "mmap: %s", strerror(errno));
		_exit(1);
	}
	return map;
}

/*
 * The robust lock protocol of uapi/linux/shmbus.h, with the data check: the
 * two words after each lock word are equal whenever it is free, unless its
 * owner died between writing them.
 */
static void locker(struct victim *v)
{
	int fd, id, ret;
	char *map = victim_map(v, &fd);

	id = shmbus_owner_id(fd);
	if (id <= 0) {
		victim_fail(v, "OWNER_ID: %s", strerror(-id));
		_exit(1);
	}
	for (;;) {
		unsigned int k = below(&v->rng, NR_LOCKS);
		__u32 *word = (__u32 *)(map + k * LOCK_STRIDE), old = 0, x;
		volatile __u32 *a = word + 1, *b = word + 2;
		bool died = false, slept = false;

		for (;;) {
			/* After sleeping, with WAITERS: others may still sleep. */
			old = 0;
			if (__atomic_compare_exchange_n(word, &old,
							id | (slept ? SHMBUS_LOCK_WAITERS : 0),
							false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				break;
			if (!(old & SHMBUS_LOCK_OWNER_MASK) && (old & SHMBUS_LOCK_OWNER_DIED)) {
				if (__atomic_compare_exchange_n(word, &old, id | old, false,
								__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
					died = true;
					break;
				}
				continue;
			}
			if (!(old & SHMBUS_LOCK_WAITERS) &&
			    !__atomic_compare_exchange_n(word, &old, old | SHMBUS_LOCK_WAITERS,
							 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				continue;
			ret = shmbus_wait_word(fd, k * LOCK_STRIDE, old | SHMBUS_LOCK_WAITERS,
					20 * NSEC_PER_MSEC);
			if (ret && ret != -EAGAIN && ret != -ETIMEDOUT)
				victim_fail(v, "WAIT on lock %u: %s", k, strerror(-ret));
			slept = true;
		}
		if (died) {
			*b = *a;
			__atomic_fetch_and(word, ~SHMBUS_LOCK_OWNER_DIED, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&v->sh->recovered, 1, __ATOMIC_RELAXED);
		} else if (*a != *b) {
			victim_fail(v, "lock %u taken with data %u/%u: two owners at once",
				    k, *a, *b);
		}
		/* Hold it a while, sometimes asleep: the kill may come now. */
		x = shmbus_rand(&v->rng);
		*a = x;
		if (!below(&v->rng, 4))
			sleep_ns(below(&v->rng, NSEC_PER_MSEC));
		*b = x;
		__atomic_fetch_add(&v->sh->acquired, 1, __ATOMIC_RELAXED);
		old = __atomic_exchange_n(word, 0, __ATOMIC_SEQ_CST);
		if ((old & SHMBUS_LOCK_OWNER_MASK) != (__u32)id)
			victim_fail(v, "lock %u was %#x while held by %d", k, old, id);
		if (old & SHMBUS_LOCK_WAITERS)
			shmbus_wake(fd, k * LOCK_STRIDE, 1, SHMBUS_BITSET_ANY);
	}
}

/* Sleeps in WAITV on the lock words and in WAIT on a word nobody writes. */
static void waiter(struct victim *v)
{
	struct shmbus_waitv_entry e[NR_LOCKS];
	int fd, ret, i;
	char *map = victim_map(v, &fd);

	for (;;) {
		struct shmbus_waitv a = {
			.entries = (uintptr_t)e, .nr = NR_LOCKS,
			.flags = SHMBUS_WAIT_RELATIVE, .timeout_ns = 200 * NSEC_PER_MSEC,
		};

		for (i = 0; i < NR_LOCKS; i++)
			e[i] = (struct shmbus_waitv_entry){
				.fd = SHMBUS_WAITV_SELF, .offset = i * LOCK_STRIDE,
				.bitset = SHMBUS_BITSET_ANY,
				.expected = __atomic_load_n((__u32 *)(map + i * LOCK_STRIDE),
							    __ATOMIC_SEQ_CST),
			};
		ret = shmbus_waitv(fd, &a);
		ret = ret < 0 ? ret : 0;
		if (ret && ret != -EAGAIN && ret != -ETIMEDOUT)
			victim_fail(v, "WAITV: %s", strerror(-ret));
		ret = shmbus_wait_word(fd, IDLE_WORD, 0, 500 * NSEC_PER_MSEC);
		if (ret != -ETIMEDOUT && ret)
			victim_fail(v, "WAIT on the idle word: %s", strerror(-ret));
	}
}

/* Faults the pages after page 0 in, punches them out, moves the mapping. */
static void faulter(struct victim *v)
{
	size_t len = (REGION_PAGES - 1) * v->pg;
	int fd, i;
	char *map, *to;

	victim_map(v, &fd);
	for (;;) {
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, v->pg);
		if (map == MAP_FAILED) {
			victim_fail(v, "mmap: %s", strerror(errno));
			_exit(1);
		}
		for (i = 0; i < REGION_PAGES - 1; i++)
			map[i * v->pg + below(&v->rng, v->pg)]++;
		if (below(&v->rng, 2) &&
		    madvise(map + below(&v->rng, REGION_PAGES - 1) * v->pg, v->pg, MADV_REMOVE))
			victim_fail(v, "MADV_REMOVE: %s", strerror(errno));
		to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to != MAP_FAILED &&
		    mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != MAP_FAILED)
			map = to;
		munmap(map, len);
	}
}

/* Creates, maps, touches, watches, registers and unlinks regions. */
static void binder(struct victim *v)
{
	char name[SHMBUS_NAME_MAX] = "";
	size_t size;
	int fd, fd2, id;
	char *map;

	for (;;) {
		if (below(&v->rng, 4))
			snprintf(name, sizeof(name), "%s%llu", v->pool, below(&v->rng, NR_POOL));
		else
			name[0] = '\0';
		size = (1 + below(&v->rng, 8)) * v->pg;
		fd = shmbus_open_bound(name, size, SHMBUS_BIND_CREATE, 0600);
		if (fd < 0) {
			if (fd != -EINVAL)	/* an existing, smaller region */
				victim_fail(v, "bind '%s': %s", name, strerror(-fd));
			continue;
		}
		map = mmap(NULL, v->pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			victim_fail(v, "mmap: %s", strerror(errno));
			_exit(1);
		}
		fd2 = shmbus_reopen(fd);
		id = shmbus_owner_id(fd2);
		shmbus_lock_register(fd, 0);
		shmbus_watch(fd, 4, SHMBUS_BITSET_ANY);
		__atomic_store_n((__u32 *)map, id, __ATOMIC_SEQ_CST);
		shmbus_wake(fd, 4, 1, SHMBUS_BITSET_ANY);
		if (below(&v->rng, 2))
			close(fd2);
		if (name[0] && below(&v->rng, 2))
			shmbus_unlink(name);
		if (below(&v->rng, 2))
			munmap(map, v->pg);
		close(fd);
	}
}

#define NR_THREADS	4
#define RACERS		3
#define WATCH_WORDS	16

struct thread_arg {
	struct victim *v;
	int fd;
	unsigned long long rng;
};

/* Report an error (@ret: -errno) a call on the shared handle should not give. */
static void expect_ok(struct victim *v, const char *what, int ret, int allowed1, int allowed2)
{
	if (ret < 0 && -ret != allowed1 && -ret != allowed2)
		victim_fail(v, "%s: %s", what, strerror(-ret));
}

/* One of NR_THREADS threads hammering the same handle with word commands. */
static void *hammer(void *p)
{
	struct thread_arg *t = p;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	__u64 events;
	int ret;

	for (;;) {
		struct shmbus_watch w = {
			.offset = IDLE_WORD + 4 * below(&t->rng, WATCH_WORDS),
			.bitset = SHMBUS_BITSET_ANY,
		};

		switch (below(&t->rng, 5)) {
		case 0:
			expect_ok(t->v, "WATCH", shmbus_watch(t->fd, w.offset, w.bitset), EEXIST, ENOSPC);
			break;
		case 1:
			expect_ok(t->v, "UNWATCH", shmbus_unwatch(t->fd, w.offset), ENOENT, 0);
			break;
		case 2:
			expect_ok(t->v, "WAKE", shmbus_wake(t->fd, w.offset, UINT_MAX, SHMBUS_BITSET_ANY), 0, 0);
			break;
		case 3:
			ret = shmbus_wait_word(t->fd, w.offset, 0, below(&t->rng, 10 * NSEC_PER_MSEC));
			if (ret && ret != -ETIMEDOUT && ret != -EAGAIN)
				victim_fail(t->v, "WAIT: %s", strerror(-ret));
			break;
		default:
			/* Blocks until another thread's WAKE if one consumed the event. */
			if (poll(&pfd, 1, 10) > 0)
				expect_ok(t->v, "read", read(t->fd, &events, sizeof(events)) < 0 ? -errno : 0, 0, 0);
			break;
		}
	}
	return NULL;
}

/* RACERS threads bind one fresh handle at once. */
static void *race_bind(void *p)
{
	struct thread_arg *t = p;
	struct shmbus_bind b = { .flags = SHMBUS_BIND_RDONLY };

	strcpy(b.name, t->v->name);
	return (void *)(long)-shmbus_bind(t->fd, &b);
}

/*
 * Threads sharing one handle: watches added and removed, wakes, waits,
 * poll and read, all at once; and handles that several threads bind at the
 * same time, exactly one successfully.
 */
static void threads(struct victim *v)
{
	struct thread_arg args[NR_THREADS], racers[RACERS];
	pthread_t tid[NR_THREADS], racer_tid[RACERS];
	int fd, i, won;
	void *err;

	victim_map(v, &fd);
	for (i = 0; i < NR_THREADS; i++) {
		args[i] = (struct thread_arg){ .v = v, .fd = fd, .rng = shmbus_rand(&v->rng) | 1 };
		if (pthread_create(&tid[i], NULL, hammer, &args[i]))
			victim_fail(v, "pthread_create failed");
	}
	for (;;) {
		int race_fd = open(SHMBUS_DEV, O_RDWR | O_CLOEXEC);

		for (i = 0; i < RACERS; i++) {
			racers[i] = (struct thread_arg){ .v = v, .fd = race_fd };
			if (pthread_create(&racer_tid[i], NULL, race_bind, &racers[i]))
				victim_fail(v, "pthread_create failed");
		}
		for (i = 0, won = 0; i < RACERS; i++) {
			pthread_join(racer_tid[i], &err);
			if (!err)
				won++;
			else if ((long)err != EBUSY)
				victim_fail(v, "racing BIND: %s", strerror((long)err));
		}
		if (won != 1)
			victim_fail(v, "%d of %d racing BINDs of one handle succeeded", won, RACERS);
		close(race_fd);
	}
}

static pid_t spawn_victim(struct victim *v, enum role role)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	switch (role) {
	case LOCKER:
		locker(v);
		break;
	case WAITER:
		waiter(v);
		break;
	case FAULTER:
		faulter(v);
		break;
	case THREADS:
		threads(v);
		break;
	default:
		binder(v);
		break;
	}
	_exit(0);
}

FIXTURE(chaos) {
	long long regions, pages;
	char name[SHMBUS_NAME_MAX];
	char pool[SHMBUS_NAME_MAX];
	int fd;
	char *map;
	size_t pg;
};

FIXTURE_SETUP(chaos)
{
	self->fd = -1;
	self->map = MAP_FAILED;
	self->pg = sysconf(_SC_PAGESIZE);
	shmbus_unique_name(self->name, "chaos");
	snprintf(self->pool, sizeof(self->pool), "%.50s-b", self->name);
	self->regions = shmbus_stat("regions");
	self->pages = shmbus_stat("pages");
}

static void unlink_pool(FIXTURE_DATA(chaos) *self)
{
	char name[SHMBUS_NAME_MAX];
	int i;

	for (i = 0; i < NR_POOL; i++) {
		snprintf(name, sizeof(name), "%.50s%d", self->pool, i);
		shmbus_unlink(name);
	}
}

FIXTURE_TEARDOWN(chaos)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, REGION_PAGES * self->pg);
	if (self->fd >= 0)
		close(self->fd);
	shmbus_ensure_loaded();
	shmbus_unlink(self->name);
	unlink_pool(self);
}

/*
 * After a round, with every victim dead: every lock word is free or
 * OWNER_DIED, and the data of a free lock is consistent (the locks are reset
 * for the next round); nobody sleeps, and once the victims' names are
 * unlinked only the test's region is left, with the pages it has.  Returns
 * how many locks were left OWNER_DIED.
 */
static unsigned int check_round(struct __test_metadata *_metadata, FIXTURE_DATA(chaos) *self,
				unsigned int round)
{
	struct shmbus_info info;
	unsigned int died = 0;
	int k;

	for (k = 0; k < NR_LOCKS; k++) {
		__u32 *word = (__u32 *)(self->map + k * LOCK_STRIDE);

		EXPECT_EQ(0, *word & SHMBUS_LOCK_OWNER_MASK)
			TH_LOG("round %u: lock %d is %#x with its owner dead", round, k, *word);
		if (*word & SHMBUS_LOCK_OWNER_DIED)
			died++;
		else
			EXPECT_EQ(word[1], word[2]) TH_LOG("round %u: lock %d", round, k);
		word[2] = word[1];
		*word = 0;
	}
	unlink_pool(self);
	EXPECT_EQ(0, region_info(self->fd, &info));
	EXPECT_EQ(0, info.waiters) TH_LOG("round %u", round);
	EXPECT_EQ(1, info.handles) TH_LOG("round %u", round);
	EXPECT_EQ(1, info.mappings) TH_LOG("round %u", round);
	EXPECT_EQ(self->regions + 1, shmbus_stat("regions")) TH_LOG("round %u", round);
	EXPECT_EQ(self->pages + info.pages, shmbus_stat("pages")) TH_LOG("round %u", round);
	return died;
}

/*
 * Rounds of NR_VICTIMS processes in random roles, each killed with SIGKILL
 * at a random time; meanwhile unloading the module must fail with
 * EWOULDBLOCK.
 */
TEST_F_TIMEOUT(chaos, kill_at_random_points, CHAOS_SECONDS + 90)
{
	unsigned long long seed = shmbus_env_number("SHMBUS_CHAOS_SEED",
					     now_ns(CLOCK_MONOTONIC) ^ ((unsigned long long)getpid() << 32));
	unsigned long long end = now_ns(CLOCK_MONOTONIC) +
		shmbus_env_number("SHMBUS_CHAOS_SECONDS", CHAOS_SECONDS) * NSEC_PER_SEC;
	unsigned long long kill_at[NR_VICTIMS], start, t;
	unsigned int round, i, rmmods = 0, died = 0, roles[NR_ROLES] = { 0 };
	struct chaos_shared *sh;
	struct victim v;
	pid_t pids[NR_VICTIMS];
	bool can_unload = geteuid() == 0;
	int status, k, ret;

	TH_LOG("seed %llu (SHMBUS_CHAOS_SEED=%llu repeats the schedule)", seed, seed);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	self->fd = shmbus_open_bound(self->name, REGION_PAGES * self->pg,
				     SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
	ASSERT_LE(0, self->fd);
	self->map = mmap(NULL, REGION_PAGES * self->pg, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	for (k = 0; k < NR_LOCKS; k++) {
		ASSERT_EQ(0, shmbus_lock_register(self->fd, k * LOCK_STRIDE));
	}
	v = (struct victim){ .sh = sh, .name = self->name, .pool = self->pool, .pg = self->pg };
	seed |= 1;
	for (round = 0; round < MAX_ROUNDS && now_ns(CLOCK_MONOTONIC) < end; round++) {
		for (i = 0; i < NR_VICTIMS; i++) {
			enum role role = below(&seed, NR_ROLES);

			roles[role]++;
			kill_at[i] = below(&seed, MAX_DELAY_MS) * NSEC_PER_MSEC;
			v.rng = shmbus_rand(&seed) | 1;
			pids[i] = spawn_victim(&v, role);
			ASSERT_LT(0, pids[i]);
		}
		start = now_ns(CLOCK_MONOTONIC);
		for (i = 0; i < NR_VICTIMS; i++) {
			while ((t = now_ns(CLOCK_MONOTONIC) - start) < kill_at[i]) {
				if (can_unload) {
					ret = shmbus_unload();
					EXPECT_EQ(-EWOULDBLOCK, ret) TH_LOG("round %u", round);
					if (!ret)
						ASSERT_EQ(0, shmbus_load());
					rmmods++;
				}
				sleep_ns(kill_at[i] - t < 5 * NSEC_PER_MSEC ?
					 kill_at[i] - t : 5 * NSEC_PER_MSEC);
			}
			kill(pids[i], SIGKILL);
		}
		for (i = 0; i < NR_VICTIMS; i++) {
			ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
			EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
				TH_LOG("round %u: victim %u status %#x", round, i, status);
		}
		EXPECT_EQ(0, sh->violations) TH_LOG("round %u: %s", round, sh->msg);
		if (sh->violations)
			break;
		died += check_round(_metadata, self, round);
		if (!_metadata->passed)
			break;
	}
	TH_LOG("%u rounds (%u lockers, %u waiters, %u faulters, %u binders, %u threaded), %llu locks taken, %llu after an owner died, %u left OWNER_DIED, %u unload attempts",
	       round, roles[LOCKER], roles[WAITER], roles[FAULTER], roles[BINDER], roles[THREADS],
	       sh->acquired, sh->recovered, died, rmmods);
	munmap(self->map, REGION_PAGES * self->pg);
	self->map = MAP_FAILED;
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(0, shmbus_unlink(self->name));
	EXPECT_EQ(self->regions, shmbus_stat("regions"));
	EXPECT_EQ(self->pages, shmbus_stat("pages"));
	munmap(sh, sizeof(*sh));
}

/*
 * CYCLES unload/load cycles of the idle module, each binding, mapping and
 * touching a region in between; the region's last mapping (name unlinked,
 * fd closed) still pins the module until it is unmapped.
 */
TEST_F_TIMEOUT(chaos, load_unload_cycles, 900)
{
	unsigned long long start = now_ns(CLOCK_MONOTONIC);
	struct shmbus_info info;
	int i, fd;
	char *map;

	if (geteuid() != 0)
		SKIP(return, "needs root to unload the module");
	if (!shmbus_ko())
		SKIP(return, "SHMBUS_KO not set (run through scripts/vm-run)");
	ASSERT_EQ(0, shmbus_stat("all_regions")) TH_LOG("regions left over pin the module");
	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, shmbus_unload()) TH_LOG("cycle %d", i);
		ASSERT_FALSE(path_exists(SHMBUS_SYSMOD)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, shmbus_load()) TH_LOG("cycle %d", i);
		fd = shmbus_open_bound(self->name, 2 * self->pg,
				       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: %s", i, strerror(-fd));
		map = mmap(NULL, 2 * self->pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map) TH_LOG("cycle %d", i);
		map[self->pg] = i;
		ASSERT_EQ(0, region_info(fd, &info));
		EXPECT_EQ(1, info.pages) TH_LOG("cycle %d", i);
		EXPECT_EQ(0, shmbus_unlink(self->name));
		close(fd);
		EXPECT_EQ(-EWOULDBLOCK, shmbus_unload()) TH_LOG("cycle %d", i);
		EXPECT_EQ(1, shmbus_stat("regions"));
		EXPECT_EQ(1, shmbus_stat("pages"));
		EXPECT_EQ(0, munmap(map, 2 * self->pg));
		EXPECT_EQ(0, shmbus_stat("regions")) TH_LOG("cycle %d", i);
		EXPECT_EQ(0, shmbus_stat("pages")) TH_LOG("cycle %d", i);
	}
	TH_LOG("%d cycles in %.1f s", CYCLES, (now_ns(CLOCK_MONOTONIC) - start) / 1e9);
}

TEST_HARNESS_MAIN
