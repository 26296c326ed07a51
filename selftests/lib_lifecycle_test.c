// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes around the mutex: one region opened twice in a process is one
 * region (a thread keeps one owner id in it, across both objects and after
 * either is closed), and shmbus_mutex_destroy() ends a mutex so that its
 * memory can hold other data: the kernel no longer writes into it when a
 * thread that locked it exits.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "util.h"
#include "lib_util.h"

struct shared {
	struct shmbus_mutex m;
	struct shmbus_cond c;
};

/* The same named region, opened and mapped twice. */
FIXTURE(twice) {
	char name[SHMBUS_NAME_MAX];
	struct shmbus_region *a, *b;
	struct shared *sa, *sb;
};

FIXTURE_SETUP(twice)
{
	void *p;

	shmbus_unique_name(self->name, "lifecycle");
	ASSERT_EQ(0, shmbus_region_open(self->name, 4096, SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL,
					0600, &self->a));
	ASSERT_EQ(0, shmbus_unlink(self->name));
	ASSERT_EQ(0, shmbus_region_map(self->a, 0, 0, LIB_RW, &p));
	self->sa = p;
	ASSERT_EQ(0, shmbus_region_adopt(shmbus_reopen(shmbus_region_fd(self->a)), &self->b));
	ASSERT_EQ(0, shmbus_region_map(self->b, 0, 0, LIB_RW, &p));
	self->sb = p;
	ASSERT_NE(self->sa, self->sb);
	ASSERT_EQ(0, shmbus_mutex_init(&self->sa->m));
	ASSERT_EQ(0, shmbus_cond_init(&self->sa->c));
}

FIXTURE_TEARDOWN(twice)
{
	if (self->a)
		shmbus_region_close(self->a);
	if (self->b)
		shmbus_region_close(self->b);
}

/* Locked through one object, the same thread relocking through the other deadlocks itself. */
TEST_F(twice, one_owner_id_across_both_objects)
{
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sa->m));
	EXPECT_EQ(-EDEADLK, shmbus_mutex_trylock(&self->sb->m));
	EXPECT_EQ(-EPERM, lib_other_thread(&self->sb->m, shmbus_mutex_unlock));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sb->m));
}

/* A condvar in one mapping with a mutex through the other: one region. */
TEST_F(twice, cond_and_mutex_through_different_objects)
{
	struct timespec t = lib_deadline(CLOCK_MONOTONIC, 0);

	ASSERT_EQ(0, shmbus_mutex_lock(&self->sb->m));
	EXPECT_EQ(-ETIMEDOUT, shmbus_cond_timedwait(&self->sa->c, &self->sb->m,
						    CLOCK_MONOTONIC, &t));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sa->m));
}

/* Closing one object keeps the thread's handle: the lock stays held, not dead. */
TEST_F(twice, closing_one_object_keeps_the_lock)
{
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sa->m));
	ASSERT_EQ(0, shmbus_region_close(self->a));
	self->a = NULL;
	EXPECT_EQ(-EBUSY, lib_other_thread(&self->sb->m, shmbus_mutex_trylock));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sb->m));
}

FIXTURE(destroy) {
	struct lib_region reg;
	struct shared *sh;
};

FIXTURE_SETUP(destroy)
{
	ASSERT_EQ(0, lib_region_open(&self->reg, sizeof(struct shared)));
	self->sh = self->reg.map;
	ASSERT_EQ(0, shmbus_mutex_init(&self->sh->m));
}

FIXTURE_TEARDOWN(destroy)
{
	lib_region_close(&self->reg);
}

TEST_F(destroy, locked_is_ebusy_then_unusable_after)
{
	ASSERT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EBUSY, shmbus_mutex_destroy(&self->sh->m));
	ASSERT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_destroy(&self->sh->m));
	EXPECT_EQ(-EINVAL, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(-EINVAL, shmbus_mutex_destroy(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_init(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_lock(&self->sh->m));
	EXPECT_EQ(0, shmbus_mutex_unlock(&self->sh->m));
}

struct reuse {
	struct shmbus_mutex *m;
	uint32_t owner_word;	/* the word while this thread held it */
	int ret;
};

/* Lock, note the word, unlock, destroy; the thread then exits. */
static void *lock_then_destroy(void *arg)
{
	struct reuse *u = arg;

	u->ret = shmbus_mutex_lock(u->m);
	if (u->ret)
		return NULL;
	u->owner_word = __atomic_load_n(&u->m->opaque[1], __ATOMIC_RELAXED);
	u->ret = shmbus_mutex_unlock(u->m);
	if (!u->ret)
		u->ret = shmbus_mutex_destroy(u->m);
	if (!u->ret)
		/* The memory now holds data that happens to equal the old word. */
		__atomic_store_n(&u->m->opaque[1], u->owner_word, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * The thread's exit releases its handle; had the word stayed registered,
 * the kernel would have marked it owner-died (0x40000000) over the data.
 */
TEST_F(destroy, reused_memory_is_not_written_at_thread_exit)
{
	struct reuse u = { .m = &self->sh->m, .ret = -ENOSYS };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, lock_then_destroy, &u));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, u.ret);
	ASSERT_NE(0, u.owner_word & SHMBUS_LOCK_OWNER_MASK);
	EXPECT_EQ(u.owner_word, __atomic_load_n(&self->sh->m.opaque[1], __ATOMIC_RELAXED));
}

TEST_HARNESS_MAIN
