// SPDX-License-Identifier: GPL-2.0
/*
 * libshmbus refuses bad input with an error, never a crash or a hang
 * (<shmbus.h>, sections 2 and 3).  Every function of every primitive
 * gives -EINVAL for NULL, a pointer not 16-aligned, and a pointer outside
 * every mapping made by shmbus_region_map() (on the stack, on the heap, in
 * static storage: copies of a valid object, so only the place is wrong),
 * for an object never initialised, one whose magic was overwritten, one of
 * another type, and one in a mapping since unmapped; -EBADF in a read-only
 * mapping.  Each combination runs in a child with a watchdog, so a crash or
 * a hang is reported with the call that caused it.
 *
 * The region API refuses names too long (-ENAMETOOLONG) or with bytes
 * outside 0x21..0x7e or a '/' (-EINVAL), mappings not page-aligned, past
 * the end or with a bad prot (-EINVAL), unmapping an address no
 * shmbus_region_map() returned (-EINVAL), a NULL region (-EINVAL), and
 * adopting a file that is no bound shmbus handle; a region handed over
 * SCM_RIGHTS and adopted works for a mutex between the two processes.
 */
#define _GNU_SOURCE
#include <stdalign.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "lib_util.h"

/* How long one child's calls may take before it counts as hung. */
#define CALLS_WATCHDOG_S	10
/* A test of many trials: room for a few to hang until their watchdog. */
#define BAD_TIMEOUT_S		300

enum obj_type { MUTEX, COND, SEM, RWLOCK, BARRIER, EVENT, NR_TYPES };

static const char *const type_names[NR_TYPES] = {
	"mutex", "cond", "sem", "rwlock", "barrier", "event",
};

/* The largest object, and a slot for any of them. */
#define SLOT_SIZE	32
struct slot {
	alignas(16) unsigned char bytes[SLOT_SIZE];
};

/* Valid objects the calls need besides the one under test; the slots tried. */
struct layout {
	struct shmbus_mutex m;		/* held by the caller around cond waits */
	struct shmbus_cond c;
	struct slot valid[NR_TYPES];	/* a valid object of each type, to copy */
	struct slot under_test;
};

struct ctx {
	struct layout *lay;
	struct timespec later;
};

/* Initialise a valid object of @type at @obj. */
static int init_obj(enum obj_type type, void *obj)
{
	switch (type) {
	case MUTEX:
		return shmbus_mutex_init(obj);
	case COND:
		return shmbus_cond_init(obj);
	case SEM:
		return shmbus_sem_init(obj, 1);
	case RWLOCK:
		return shmbus_rwlock_init(obj);
	case BARRIER:
		return shmbus_barrier_init(obj, 2);
	case EVENT:
		return shmbus_event_init(obj, 0);
	default:
		return -EINVAL;
	}
}

/* Cond waits need the valid mutex held by the caller (a relock of it is -EDEADLK). */
static void hold_ctx_mutex(struct ctx *x)
{
	shmbus_mutex_lock(&x->lay->m);
}

static int c_mutex_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_mutex_init(o);
}

static int c_mutex_lock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_mutex_lock(o);
}

static int c_mutex_trylock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_mutex_trylock(o);
}

static int c_mutex_timedlock(void *o, struct ctx *x)
{
	return shmbus_mutex_timedlock(o, CLOCK_MONOTONIC, &x->later);
}

static int c_mutex_unlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_mutex_unlock(o);
}

static int c_mutex_consistent(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_mutex_consistent(o);
}

static int c_cond_wait_m(void *o, struct ctx *x)
{
	return shmbus_cond_wait(&x->lay->c, o);
}

static int c_cond_timedwait_m(void *o, struct ctx *x)
{
	return shmbus_cond_timedwait(&x->lay->c, o, CLOCK_MONOTONIC, &x->later);
}

static int c_cond_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_cond_init(o);
}

static int c_cond_wait(void *o, struct ctx *x)
{
	hold_ctx_mutex(x);
	return shmbus_cond_wait(o, &x->lay->m);
}

static int c_cond_timedwait(void *o, struct ctx *x)
{
	hold_ctx_mutex(x);
	return shmbus_cond_timedwait(o, &x->lay->m, CLOCK_MONOTONIC, &x->later);
}

static int c_cond_signal(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_cond_signal(o);
}

static int c_cond_broadcast(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_cond_broadcast(o);
}

static int c_sem_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_sem_init(o, 1);
}

static int c_sem_post(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_sem_post(o);
}

static int c_sem_wait(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_sem_wait(o);
}

static int c_sem_trywait(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_sem_trywait(o);
}

static int c_sem_timedwait(void *o, struct ctx *x)
{
	return shmbus_sem_timedwait(o, CLOCK_MONOTONIC, &x->later);
}

static int c_sem_value(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_sem_value(o);
}

static int c_rw_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_init(o);
}

static int c_rw_rdlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_rdlock(o);
}

static int c_rw_tryrdlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_tryrdlock(o);
}

static int c_rw_timedrdlock(void *o, struct ctx *x)
{
	return shmbus_rwlock_timedrdlock(o, CLOCK_MONOTONIC, &x->later);
}

static int c_rw_wrlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_wrlock(o);
}

static int c_rw_trywrlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_trywrlock(o);
}

static int c_rw_timedwrlock(void *o, struct ctx *x)
{
	return shmbus_rwlock_timedwrlock(o, CLOCK_MONOTONIC, &x->later);
}

static int c_rw_unlock(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_rwlock_unlock(o);
}

static int c_barrier_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_barrier_init(o, 2);
}

static int c_barrier_wait(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_barrier_wait(o);
}

static int c_event_init(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_event_init(o, 0);
}

static int c_event_set(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_event_set(o);
}

static int c_event_reset(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_event_reset(o);
}

static int c_event_wait(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_event_wait(o);
}

static int c_event_trywait(void *o, struct ctx *x)
{
	(void)x;
	return shmbus_event_trywait(o);
}

static int c_event_timedwait(void *o, struct ctx *x)
{
	return shmbus_event_timedwait(o, CLOCK_MONOTONIC, &x->later);
}

/* Every function taking an object of some type, as that argument. */
struct call {
	enum obj_type type;
	const char *name;
	int (*fn)(void *obj, struct ctx *x);
	bool init;
};

static const struct call calls[] = {
	{ MUTEX, "shmbus_mutex_init", c_mutex_init, true },
	{ MUTEX, "shmbus_mutex_lock", c_mutex_lock, false },
	{ MUTEX, "shmbus_mutex_trylock", c_mutex_trylock, false },
	{ MUTEX, "shmbus_mutex_timedlock", c_mutex_timedlock, false },
	{ MUTEX, "shmbus_mutex_unlock", c_mutex_unlock, false },
	{ MUTEX, "shmbus_mutex_consistent", c_mutex_consistent, false },
	{ MUTEX, "shmbus_cond_wait(mutex)", c_cond_wait_m, false },
	{ MUTEX, "shmbus_cond_timedwait(mutex)", c_cond_timedwait_m, false },
	{ COND, "shmbus_cond_init", c_cond_init, true },
	{ COND, "shmbus_cond_wait", c_cond_wait, false },
	{ COND, "shmbus_cond_timedwait", c_cond_timedwait, false },
	{ COND, "shmbus_cond_signal", c_cond_signal, false },
	{ COND, "shmbus_cond_broadcast", c_cond_broadcast, false },
	{ SEM, "shmbus_sem_init", c_sem_init, true },
	{ SEM, "shmbus_sem_post", c_sem_post, false },
	{ SEM, "shmbus_sem_wait", c_sem_wait, false },
	{ SEM, "shmbus_sem_trywait", c_sem_trywait, false },
	{ SEM, "shmbus_sem_timedwait", c_sem_timedwait, false },
	{ SEM, "shmbus_sem_value", c_sem_value, false },
	{ RWLOCK, "shmbus_rwlock_init", c_rw_init, true },
	{ RWLOCK, "shmbus_rwlock_rdlock", c_rw_rdlock, false },
	{ RWLOCK, "shmbus_rwlock_tryrdlock", c_rw_tryrdlock, false },
	{ RWLOCK, "shmbus_rwlock_timedrdlock", c_rw_timedrdlock, false },
	{ RWLOCK, "shmbus_rwlock_wrlock", c_rw_wrlock, false },
	{ RWLOCK, "shmbus_rwlock_trywrlock", c_rw_trywrlock, false },
	{ RWLOCK, "shmbus_rwlock_timedwrlock", c_rw_timedwrlock, false },
	{ RWLOCK, "shmbus_rwlock_unlock", c_rw_unlock, false },
	{ BARRIER, "shmbus_barrier_init", c_barrier_init, true },
	{ BARRIER, "shmbus_barrier_wait", c_barrier_wait, false },
	{ EVENT, "shmbus_event_init", c_event_init, true },
	{ EVENT, "shmbus_event_set", c_event_set, false },
	{ EVENT, "shmbus_event_reset", c_event_reset, false },
	{ EVENT, "shmbus_event_wait", c_event_wait, false },
	{ EVENT, "shmbus_event_trywait", c_event_trywait, false },
	{ EVENT, "shmbus_event_timedwait", c_event_timedwait, false },
};

#define NR_CALLS	(sizeof(calls) / sizeof(calls[0]))
#define NOT_RUN		1	/* no function returns it for bad input */

/* What the children report, in a shared anonymous page. */
struct report {
	atomic_int result[NR_CALLS];
	atomic_int current;		/* the call running, -1 when done */
};

/* Where the object under test is, for one test. */
enum place {
	AT_NULL,		/* NULL */
	MISALIGNED,		/* 8 bytes into the region slot */
	ON_STACK,		/* a copy of a valid object on the stack */
	ON_HEAP,		/* a copy in malloc()'d memory */
	IN_STATIC,		/* a copy in static storage */
	ZEROED,			/* the region slot, never initialised */
	BAD_MAGIC,		/* initialised, then its magic word changed */
	OTHER_TYPE,		/* initialised as another type (@other) */
	READ_ONLY,		/* a valid object seen through a PROT_READ mapping */
	UNMAPPED,		/* a valid object, used, in a mapping since unmapped */
	STRADDLING,		/* a valid object running past the end of its mapping */
	STRADDLING_SEEN,	/* the same, its address looked up first as a 16-byte sem */
};

FIXTURE(bad) {
	struct lib_region reg;
	struct layout *lay;
	struct report *rep;
};

FIXTURE_SETUP(bad)
{
	int ret = lib_region_open(&self->reg, 2 * page_size());
	enum obj_type t;

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->lay = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->lay->m));
	ASSERT_EQ(0, shmbus_cond_init(&self->lay->c));
	for (t = 0; t < NR_TYPES; t++)
		ASSERT_EQ(0, init_obj(t, &self->lay->valid[t]));
	self->rep = mmap(NULL, sizeof(struct report), LIB_RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->rep);
}

FIXTURE_TEARDOWN(bad)
{
	kill_children();
	lib_region_close(&self->reg);
}

static struct slot static_slot;

struct trial {
	FIXTURE_DATA(bad) *self;
	enum place place;
	enum obj_type type;
	enum obj_type other;
	bool with_init;		/* call the init function too */
};

/* The object under test for @tr: NULL on a setup failure it cannot report otherwise. */
static void *place_object(struct trial *tr, struct slot *stack_slot, void **unmap_at)
{
	struct layout *lay = tr->self->lay;
	struct lib_region *reg = &tr->self->reg;
	size_t page = page_size();
	struct slot *s;
	void *map;

	switch (tr->place) {
	case AT_NULL:
		return NULL;
	case MISALIGNED:
		return (char *)&lay->under_test + 8;
	case ON_STACK:
		*stack_slot = lay->valid[tr->type];
		return stack_slot;
	case ON_HEAP:
		s = aligned_alloc(16, sizeof(*s));
		if (s)
			*s = lay->valid[tr->type];
		return s;
	case IN_STATIC:
		static_slot = lay->valid[tr->type];
		return &static_slot;
	case ZEROED:
		memset(&lay->under_test, 0, sizeof(lay->under_test));
		return &lay->under_test;
	case BAD_MAGIC:
		if (init_obj(tr->type, &lay->under_test))
			return NULL;
		lay->under_test.bytes[0] ^= 0x5a;
		return &lay->under_test;
	case OTHER_TYPE:
		memset(&lay->under_test, 0, sizeof(lay->under_test));
		if (init_obj(tr->other, &lay->under_test))
			return NULL;
		return &lay->under_test;
	case READ_ONLY:
		if (shmbus_region_map(reg->r, 0, page, PROT_READ, &map))
			return NULL;
		return (char *)map + ((char *)&lay->valid[tr->type] - (char *)lay);
	case UNMAPPED:
		/* The second page, mapped alone: the object is used there, then unmapped. */
		if (shmbus_region_map(reg->r, page, page, LIB_RW, &map))
			return NULL;
		*unmap_at = map;
		return map;
	case STRADDLING:
	case STRADDLING_SEEN:
		/* Made whole through the full mapping, seen through one of its first page. */
		if (init_obj(tr->type, (char *)lay + page - 16))
			return NULL;
		if (shmbus_region_map(reg->r, 0, page, LIB_RW, &map))
			return NULL;
		if (tr->place == STRADDLING_SEEN)
			shmbus_sem_value((struct shmbus_sem *)((char *)map + page - 16));
		return (char *)map + page - 16;
	}
	return NULL;
}

/* Use a valid object once, so that this thread has looked it up before the unmap. */
static int use_once(enum obj_type type, void *obj)
{
	int ret = init_obj(type, obj);

	if (ret)
		return ret;
	switch (type) {
	case MUTEX:
		ret = shmbus_mutex_lock(obj);
		return ret ? ret : shmbus_mutex_unlock(obj);
	case COND:
		return shmbus_cond_signal(obj);
	case SEM:
		return shmbus_sem_trywait(obj);
	case RWLOCK:
		ret = shmbus_rwlock_rdlock(obj);
		return ret ? ret : shmbus_rwlock_unlock(obj);
	case BARRIER:
		return shmbus_barrier_init(obj, 1);
	case EVENT:
		return shmbus_event_set(obj);
	default:
		return -EINVAL;
	}
}

/* The child: place the object, make every call of its type, note each result. */
static int trial_main(void *arg)
{
	struct trial *tr = arg;
	struct report *rep = tr->self->rep;
	struct ctx x = { .lay = tr->self->lay };
	void *obj, *unmap_at = NULL;
	struct slot stack_slot;
	unsigned int i;

	lib_child_watchdog(CALLS_WATCHDOG_S);
	obj = place_object(tr, &stack_slot, &unmap_at);
	if (!obj && tr->place != AT_NULL)
		return 1;
	if (unmap_at) {
		if (use_once(tr->type, obj))
			return 2;
		if (shmbus_region_unmap(tr->self->reg.r, unmap_at))
			return 3;
	}
	for (i = 0; i < NR_CALLS; i++) {
		if (calls[i].type != tr->type || (calls[i].init && !tr->with_init))
			continue;
		x.later = lib_deadline(CLOCK_MONOTONIC, LIB_SHORT_NS);
		atomic_store(&rep->current, i);
		atomic_store(&rep->result[i], calls[i].fn(obj, &x));
	}
	atomic_store(&rep->current, -1);
	return 0;
}

/*
 * Run the calls of @type on the object placed at @place (of type @other
 * for OTHER_TYPE) in a child; each must give @expect (inits too if
 * @with_init).  The number of calls that did not.
 */
static int run_trial(struct __test_metadata *_metadata, FIXTURE_DATA(bad) *self,
		     enum place place, enum obj_type type, enum obj_type other,
		     int expect, bool with_init)
{
	struct trial tr = {
		.self = self, .place = place, .type = type, .other = other, .with_init = with_init,
	};
	int ret, cur, bad = 0;
	unsigned int i;
	pid_t pid;

	for (i = 0; i < NR_CALLS; i++)
		atomic_store(&self->rep->result[i], NOT_RUN);
	atomic_store(&self->rep->current, -1);
	pid = spawn(trial_main, &tr);
	if (pid < 0) {
		TH_LOG("%s: spawn: %s", type_names[type], strerror(-pid));
		return 1;
	}
	ret = reap(pid, 2 * CALLS_WATCHDOG_S * 1000, NULL);
	cur = atomic_load(&self->rep->current);
	if (ret) {
		TH_LOG("%s: the child %s %d in %s", type_names[type],
		       ret >= 1000 ? "died of signal" : "failed at step", ret >= 1000 ? ret - 1000 : ret,
		       cur >= 0 ? calls[cur].name : "its setup");
		return 1;
	}
	for (i = 0; i < NR_CALLS; i++) {
		if (calls[i].type != type || (calls[i].init && !with_init))
			continue;
		ret = atomic_load(&self->rep->result[i]);
		if (ret != expect) {
			TH_LOG("%s (%s%s%s): %d (%s), not %d", calls[i].name, type_names[type],
			       place == OTHER_TYPE ? " holding a " : "",
			       place == OTHER_TYPE ? type_names[other] : "",
			       ret, ret < 0 ? strerror(-ret) : "success", expect);
			bad++;
		}
	}
	return bad;
}

/* Every type at @place: the number of calls that did not give @expect. */
static int run_all_types(struct __test_metadata *_metadata, FIXTURE_DATA(bad) *self,
			 enum place place, int expect, bool with_init)
{
	enum obj_type t;
	int bad = 0;

	for (t = 0; t < NR_TYPES; t++)
		bad += run_trial(_metadata, self, place, t, t, expect, with_init);
	return bad;
}

/* NULL: -EINVAL from every function, inits included. */
TEST_F_TIMEOUT(bad, null_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, AT_NULL, -EINVAL, true));
}

/* A pointer into the region but not 16-aligned: -EINVAL from every function. */
TEST_F_TIMEOUT(bad, misaligned_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, MISALIGNED, -EINVAL, true));
}

/* A valid object copied to the stack, outside every mapping: -EINVAL. */
TEST_F_TIMEOUT(bad, stack_copy_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, ON_STACK, -EINVAL, true));
}

/* A valid object copied to the heap (malloc), outside every mapping: -EINVAL. */
TEST_F_TIMEOUT(bad, heap_copy_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, ON_HEAP, -EINVAL, true));
}

/* A valid object copied to static storage, outside every mapping: -EINVAL. */
TEST_F_TIMEOUT(bad, static_copy_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, IN_STATIC, -EINVAL, true));
}

/* An object never initialised (zeroed): -EINVAL from every function but its init. */
TEST_F_TIMEOUT(bad, uninitialised_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, ZEROED, -EINVAL, false));
}

/* An initialised object whose magic word was overwritten: -EINVAL from every function but init. */
TEST_F_TIMEOUT(bad, corrupted_magic_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, BAD_MAGIC, -EINVAL, false));
}

/* An object of each other type passed (by a cast) to each type's functions: -EINVAL. */
TEST_F_TIMEOUT(bad, object_of_other_type_einval, BAD_TIMEOUT_S)
{
	enum obj_type t, other;
	int bad = 0;

	for (t = 0; t < NR_TYPES; t++)
		for (other = 0; other < NR_TYPES; other++)
			if (other != t)
				bad += run_trial(_metadata, self, OTHER_TYPE, t, other, -EINVAL, false);
	EXPECT_EQ(0, bad);
}

/* A valid object seen through a read-only mapping: -EBADF from every function. */
TEST_F_TIMEOUT(bad, read_only_mapping_ebadf, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, READ_ONLY, -EBADF, true));
}

/* A valid object, used, then its mapping unmapped: -EINVAL from every function, no crash. */
TEST_F_TIMEOUT(bad, after_unmap_einval, BAD_TIMEOUT_S)
{
	EXPECT_EQ(0, run_all_types(_metadata, self, UNMAPPED, -EINVAL, true));
}

/*
 * A 32-byte object (mutex, cond) whose last 16 bytes lie past the end of
 * the mapping it is used through: -EINVAL from every function, inits too.
 */
TEST_F_TIMEOUT(bad, straddling_mapping_end_einval, BAD_TIMEOUT_S)
{
	int bad = 0;

	bad += run_trial(_metadata, self, STRADDLING, MUTEX, MUTEX, -EINVAL, true);
	bad += run_trial(_metadata, self, STRADDLING, COND, COND, -EINVAL, true);
	EXPECT_EQ(0, bad);
}

/*
 * The same after its address was looked up as a 16-byte object (a sem, by
 * a cast: -EINVAL), which fits: the lookup is not reused for the larger one.
 */
TEST_F_TIMEOUT(bad, straddling_after_smaller_lookup_einval, BAD_TIMEOUT_S)
{
	int bad = 0;

	bad += run_trial(_metadata, self, STRADDLING_SEEN, MUTEX, MUTEX, -EINVAL, true);
	bad += run_trial(_metadata, self, STRADDLING_SEEN, COND, COND, -EINVAL, true);
	EXPECT_EQ(0, bad);
}

/* ---- The region API ---- */

/* Close a region that a call under test should not have opened. */
static void close_if_opened(int ret, struct shmbus_region *r)
{
	if (!ret && r)
		shmbus_region_close(r);
}

/* A name unique to this process, of exactly @len bytes (@len < @size). */
static void name_of_length(char *name, size_t size, size_t len)
{
	size_t n;

	snprintf(name, size, "libbad-%d-", getpid());
	n = strlen(name);
	if (n < len)
		memset(name + n, 'x', len - n);
	name[len] = '\0';
}

/* A name of 64 bytes or more is -ENAMETOOLONG; 63 bytes are fine. */
TEST(region_name_too_long)
{
	static const size_t too_long[] = { 64, 65, 127 };
	struct shmbus_region *r;
	char name[128];
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(too_long) / sizeof(too_long[0]); i++) {
		name_of_length(name, sizeof(name), too_long[i]);
		r = NULL;
		ret = shmbus_region_open(name, page_size(), SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL,
					 0600, &r);
		EXPECT_EQ(-ENAMETOOLONG, ret) TH_LOG("%zu bytes", too_long[i]);
		close_if_opened(ret, r);
	}
	name_of_length(name, sizeof(name), 63);
	r = NULL;
	ret = shmbus_region_open(name, page_size(), SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600, &r);
	ASSERT_EQ(0, ret) TH_LOG("63 bytes: %s", strerror(-ret));
	EXPECT_EQ(0, shmbus_region_unlink(r));
	EXPECT_EQ(0, shmbus_region_close(r));
}

/* A name with a '/', a space, a control character, DEL or a non-ASCII byte is -EINVAL. */
TEST(region_name_bad_bytes_einval)
{
	static const char *const names[] = {
		"a/b", "/lead", "with space", "tab\there", "ctl\x01", "del\x7f", "hi\x80", "utf8-\xc3\xa9",
	};
	struct shmbus_region *r;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		r = NULL;
		ret = shmbus_region_open(names[i], page_size(), SHMBUS_BIND_CREATE, 0600, &r);
		EXPECT_EQ(-EINVAL, ret) TH_LOG("name %u", i);
		if (!ret)
			shmbus_region_unlink(r);
		close_if_opened(ret, r);
	}
	/* An empty name names nothing without SHMBUS_BIND_CREATE. */
	r = NULL;
	ret = shmbus_region_open("", 0, 0, 0, &r);
	EXPECT_EQ(-EINVAL, ret);
	close_if_opened(ret, r);
}

/* No place for the result is -EINVAL, and nothing is opened. */
TEST(region_open_null_out_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_region_open(NULL, page_size(), SHMBUS_BIND_CREATE, 0600, NULL));
}

FIXTURE(map) {
	struct lib_region reg;
};

FIXTURE_SETUP(map)
{
	int ret = lib_region_open(&self->reg, 2 * page_size());

	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(map)
{
	lib_region_close(&self->reg);
}

/* What shmbus_region_map() answers; a mapping it made is undone. */
static int try_map(struct shmbus_region *r, uint64_t off, size_t len, int prot)
{
	void *p = NULL;
	int ret = shmbus_region_map(r, off, len, prot, &p);

	if (!ret)
		shmbus_region_unmap(r, p);
	return ret;
}

/* An offset not page-aligned is -EINVAL. */
TEST_F(map, offset_not_page_aligned_einval)
{
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, 1, 0, LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, page_size() / 2, page_size() / 2, LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, page_size() + 16, 0, PROT_READ));
}

/* A range reaching past the region's end is -EINVAL. */
TEST_F(map, beyond_size_einval)
{
	size_t size = shmbus_region_size(self->reg.r);

	EXPECT_EQ(-EINVAL, try_map(self->reg.r, size, 0, LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, size + page_size(), page_size(), LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, 0, size + page_size(), LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, page_size(), size, LIB_RW));
	EXPECT_EQ(-EINVAL, try_map(self->reg.r, 1ULL << 62, page_size(), LIB_RW));
	EXPECT_EQ(0, try_map(self->reg.r, page_size(), size - page_size(), LIB_RW));
}

/* A prot other than PROT_READ or PROT_READ | PROT_WRITE is -EINVAL. */
TEST_F(map, bad_prot_einval)
{
	static const int prots[] = {
		0, PROT_WRITE, PROT_EXEC, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC, PROT_READ | 0x1000,
	};
	unsigned int i;

	for (i = 0; i < sizeof(prots) / sizeof(prots[0]); i++)
		EXPECT_EQ(-EINVAL, try_map(self->reg.r, 0, 0, prots[i])) TH_LOG("prot %#x", prots[i]);
}

/* No place for the address is -EINVAL. */
TEST_F(map, null_addr_einval)
{
	EXPECT_EQ(-EINVAL, shmbus_region_map(self->reg.r, 0, 0, LIB_RW, NULL));
}

/*
 * Unmapping an address that no shmbus_region_map() of this region returned
 * is -EINVAL: NULL, the stack, inside a mapping, one unmapped already, a
 * mapping of another region; the real mapping is still usable after.
 */
TEST_F(map, unmap_not_mapped_einval)
{
	struct lib_region other;
	struct shmbus_mutex *m;
	void *p;
	int local;

	EXPECT_EQ(-EINVAL, shmbus_region_unmap(self->reg.r, NULL));
	EXPECT_EQ(-EINVAL, shmbus_region_unmap(self->reg.r, &local));
	EXPECT_EQ(-EINVAL, shmbus_region_unmap(self->reg.r, (char *)self->reg.map + page_size()));
	ASSERT_EQ(0, shmbus_region_map(self->reg.r, 0, page_size(), PROT_READ, &p));
	ASSERT_EQ(0, shmbus_region_unmap(self->reg.r, p));
	EXPECT_EQ(-EINVAL, shmbus_region_unmap(self->reg.r, p));
	ASSERT_EQ(0, lib_region_open(&other, page_size()));
	EXPECT_EQ(-EINVAL, shmbus_region_unmap(self->reg.r, other.map));
	m = other.map;
	EXPECT_EQ(0, shmbus_mutex_init(m)) TH_LOG("the other region's mapping was dropped");
	lib_region_close(&other);
	m = self->reg.map;
	EXPECT_EQ(0, shmbus_mutex_init(m)) TH_LOG("the region's mapping was dropped");
}

/* Every function taking a region gives -EINVAL (or 0 for the size and id) for NULL. */
TEST(null_region_einval)
{
	struct shmbus_calls calls;
	struct shmbus_info info;
	void *p = NULL;

	EXPECT_EQ(-EINVAL, shmbus_region_map(NULL, 0, 0, LIB_RW, &p));
	EXPECT_EQ(-EINVAL, shmbus_region_unmap(NULL, &p));
	EXPECT_EQ(-EINVAL, shmbus_region_close(NULL));
	EXPECT_EQ(-EINVAL, shmbus_region_info(NULL, &info));
	EXPECT_EQ(-EINVAL, shmbus_region_unlink(NULL));
	EXPECT_EQ(-EINVAL, shmbus_region_calls(NULL, &calls));
	EXPECT_EQ(-EINVAL, shmbus_region_fd(NULL));
	EXPECT_EQ(0, shmbus_region_size(NULL));
	EXPECT_EQ(0, shmbus_region_id(NULL));
}

/*
 * Adopting a pipe is -ENOTTY, an unbound handle -ENXIO, a bad fd an error;
 * the fd stays the caller's.
 */
TEST(adopt_non_region_refused)
{
	struct shmbus_region *r = NULL;
	int p[2], fd, ret;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ret = shmbus_region_adopt(p[0], &r);
	EXPECT_EQ(-ENOTTY, ret);
	close_if_opened(ret, r);
	EXPECT_EQ(0, fcntl(p[0], F_GETFD) < 0) TH_LOG("a refused adopt closed the fd");
	close(p[0]);
	close(p[1]);

	fd = shmbus_open_device();
	ASSERT_LE(0, fd);
	r = NULL;
	ret = shmbus_region_adopt(fd, &r);
	EXPECT_EQ(-ENXIO, ret);
	close_if_opened(ret, r);
	close(fd);

	r = NULL;
	ret = shmbus_region_adopt(-1, &r);
	EXPECT_GT(0, ret);
	close_if_opened(ret, r);
}

/* ---- A region handed over SCM_RIGHTS ---- */

struct handoff {
	int sock;		/* the child's end of the socket pair */
	struct lib_pipes pipes;
	bool hold_and_die;	/* hold the mutex until killed, instead of the exchange */
};

struct handoff_page {
	struct shmbus_mutex m;
	unsigned long value;	/* guarded by m */
};

/*
 * Forked before the region existed: receive the region, adopt and map it;
 * then either find the mutex busy (the test holds it), lock it once freed
 * and leave a value, or hold it until killed.
 */
static int adopt_main(void *arg)
{
	struct handoff *h = arg;
	struct shmbus_region *r;
	struct handoff_page *pg;
	void *map;
	int fd;

	lib_child_watchdog(LIB_WATCHDOG_S);
	fd = recv_fd(h->sock);
	if (fd < 0)
		return 1;
	if (shmbus_region_adopt(fd, &r))
		return 2;
	if (shmbus_region_map(r, 0, 0, LIB_RW, &map))
		return 3;
	pg = map;
	if (h->hold_and_die) {
		if (shmbus_mutex_lock(&pg->m) || lib_tell(h->pipes.up[1]))
			return 4;
		for (;;)
			pause();
	}
	if (shmbus_mutex_trylock(&pg->m) != -EBUSY)
		return 5;
	if (lib_tell(h->pipes.up[1]) || lib_hear(h->pipes.down[0]))
		return 6;
	if (shmbus_mutex_lock(&pg->m))
		return 7;
	pg->value = 42;
	if (shmbus_mutex_unlock(&pg->m))
		return 8;
	return shmbus_region_close(r) ? 9 : 0;
}

FIXTURE(handoff) {
	int sv[2];
	struct handoff h;
	pid_t pid;
	struct lib_region reg;
	struct handoff_page *pg;
};

/* The child first, then the region it cannot have inherited. */
static void start_handoff(struct __test_metadata *_metadata, FIXTURE_DATA(handoff) *self,
			  bool hold_and_die)
{
	int ret;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, self->sv));
	ASSERT_EQ(0, lib_pipes_open(&self->h.pipes));
	self->h.sock = self->sv[1];
	self->h.hold_and_die = hold_and_die;
	self->pid = spawn(adopt_main, &self->h);
	ASSERT_LT(0, self->pid);
	lib_pipes_test_side(&self->h.pipes);
	ret = lib_region_open(&self->reg, sizeof(struct handoff_page));
	ASSERT_EQ(0, ret) TH_LOG("region: %s", strerror(-ret));
	self->pg = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->pg->m));
}

FIXTURE_SETUP(handoff)
{
	self->sv[0] = self->sv[1] = -1;
	self->h.pipes = (struct lib_pipes){ { -1, -1 }, { -1, -1 } };
}

FIXTURE_TEARDOWN(handoff)
{
	kill_children();
	lib_region_close(&self->reg);
	lib_pipes_close(&self->h.pipes);
}

/* A region adopted from SCM_RIGHTS shares a mutex with the sender: exclusion both ways. */
TEST_F(handoff, adopted_region_mutex_excludes)
{
	start_handoff(_metadata, self, false);
	ASSERT_EQ(0, shmbus_mutex_lock(&self->pg->m));
	ASSERT_EQ(0, send_fd(self->sv[0], shmbus_region_fd(self->reg.r)));
	ASSERT_EQ(0, lib_hear(self->h.pipes.up[0])) TH_LOG("the child did not find the mutex busy");
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->pg->m));
	ASSERT_EQ(0, lib_tell(self->h.pipes.down[1]));
	EXPECT_EQ(0, lib_reap(self->pid));
	ASSERT_EQ(0, shmbus_mutex_lock(&self->pg->m));
	EXPECT_EQ(42, self->pg->value);
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->pg->m));
}

/* The adopting process is killed holding the mutex: the sender recovers it (-EOWNERDEAD). */
TEST_F(handoff, adopted_region_holder_death_recovered)
{
	start_handoff(_metadata, self, true);
	ASSERT_EQ(0, send_fd(self->sv[0], shmbus_region_fd(self->reg.r)));
	ASSERT_EQ(0, lib_hear(self->h.pipes.up[0]));
	ASSERT_EQ(0, lib_kill(self->pid));
	EXPECT_EQ(-EOWNERDEAD, shmbus_mutex_lock(&self->pg->m));
	EXPECT_EQ(0, shmbus_mutex_consistent(&self->pg->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->pg->m));
}

TEST_HARNESS_MAIN
