// SPDX-License-Identifier: GPL-2.0
/*
 * Robust locks: owner-died recovery for lock words in regions.
 *
 * Owners are handles.  SHMBUS_IOC_OWNER_ID gives a handle an owner id from
 * its region's cyclic IDR (1..SHMBUS_LOCK_OWNER_MASK): never a PID, the same
 * in every PID namespace, reused only after the id space wraps, and unique
 * only among the handles of one region, which is all a lock word of that
 * region needs; ids tell nothing about other regions' handles.  Lock words are
 * registered per handle (SHMBUS_IOC_LOCK_REGISTER): a word is in its
 * region's registry while at least one handle that registered it is open,
 * each handle registers at most max_robust_words words, and a handle can
 * only unregister its own registrations, so no handle can take recovery
 * away from another or use up the registry for others.  When a handle with
 * an owner id is released (its last reference goes: close, or the death of
 * the process), every registered word of its region still owned by that id
 * is atomically replaced by SHMBUS_LOCK_OWNER_DIED (keeping
 * SHMBUS_LOCK_WAITERS) and one waiter is woken, so the next locker learns the
 * owner died instead of sleeping for ever.
 *
 * The kernel writes into a region only on behalf of a handle that may write
 * it: read-only handles get no owner id and cannot register words (ioctl.c
 * refuses them), so releasing one never touches the region.  Userspace
 * never enters the kernel to lock or unlock; the registry is walked only at
 * release and lives in kernel memory where no process can corrupt it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>

#include "shmbus.h"
#include "shmbus_trace.h"

static unsigned int shmbus_max_robust_words = 1024;
module_param_named(max_robust_words, shmbus_max_robust_words, uint, 0644);
MODULE_PARM_DESC(max_robust_words, "Most robust lock words one handle registers (default: 1024)");

/**
 * shmbus_owner_id() - the handle's owner id, assigned on first use
 * @h: a bound handle
 *
 * Return: the id (positive), or -ENOMEM / -ENOSPC.
 */
int shmbus_owner_id(struct shmbus_handle *h)
{
	struct shmbus_region *r = h->region;
	int id;

	mutex_lock(&h->bind_lock);
	if (h->owner_id) {
		id = h->owner_id;
		goto out;
	}
	mutex_lock(&r->robust_lock);
	id = idr_alloc_cyclic(&r->owner_ids, h, 1, SHMBUS_LOCK_OWNER_MASK + 1,
			      GFP_KERNEL_ACCOUNT);
	mutex_unlock(&r->robust_lock);
	if (id > 0)
		h->owner_id = id;
out:
	mutex_unlock(&h->bind_lock);
	return id;
}

/* The number of handles that registered the word at @index. */
static unsigned long __shmbus_registrants(struct shmbus_region *r, unsigned long index)
{
	lockdep_assert_held(&r->robust_lock);
	return xa_to_value(xa_load(&r->robust_words, index) ?: xa_mk_value(0));
}

/* Count one registrant less; the word leaves the registry with the last. */
static void __shmbus_registrant_put(struct shmbus_region *r, unsigned long index)
{
	unsigned long n;

	lockdep_assert_held(&r->robust_lock);
	n = __shmbus_registrants(r, index);

	if (n > 1)
		xa_store(&r->robust_words, index, xa_mk_value(n - 1), GFP_NOWAIT);
	else
		xa_erase(&r->robust_words, index);
}

/**
 * shmbus_lock_register() - register a robust lock word for a handle
 * @h: a bound, writable handle
 * @offset: the word
 *
 * Return: 0, -EINVAL, -EEXIST (this handle did already), -ENOSPC (this
 * handle has max_robust_words words) or -ENOMEM.
 */
int shmbus_lock_register(struct shmbus_handle *h, u64 offset)
{
	struct shmbus_region *r = h->region;
	unsigned long index = offset / sizeof(u32);
	unsigned long n;
	int ret;

	mutex_lock(&r->robust_lock);
	if (xa_load(&h->robust_words, index)) {
		ret = -EEXIST;
		goto out;
	}
	if (h->nr_robust >= READ_ONCE(shmbus_max_robust_words)) {
		ret = -ENOSPC;
		goto out;
	}
	ret = xa_insert(&h->robust_words, index, xa_mk_value(1), GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out;
	n = __shmbus_registrants(r, index);
	ret = xa_err(xa_store(&r->robust_words, index, xa_mk_value(n + 1),
			      GFP_KERNEL_ACCOUNT));
	if (ret) {
		xa_erase(&h->robust_words, index);
		goto out;
	}
	h->nr_robust++;
out:
	mutex_unlock(&r->robust_lock);
	return ret;
}

/**
 * shmbus_lock_unregister() - drop a handle's registration of a word
 * @h: a bound, writable handle
 * @offset: the word
 *
 * The word stays registered while other handles that registered it are open.
 *
 * Return: 0, or -ENOENT if this handle did not register the word.
 */
int shmbus_lock_unregister(struct shmbus_handle *h, u64 offset)
{
	struct shmbus_region *r = h->region;
	unsigned long index = offset / sizeof(u32);
	int ret = 0;

	mutex_lock(&r->robust_lock);
	if (xa_erase(&h->robust_words, index)) {
		__shmbus_registrant_put(r, index);
		h->nr_robust--;
	} else {
		ret = -ENOENT;
	}
	mutex_unlock(&r->robust_lock);
	return ret;
}

/*
 * The locked, uptodate folio holding a word, swapped in if need be; NULL for
 * a hole (the word is 0, so nobody owns it); an ERR_PTR when it cannot be
 * swapped in (memory cgroup at its limit, I/O error).
 */
static struct folio *shmbus_word_folio_locked(struct shmbus_region *r, u64 offset)
{
	struct folio *folio;
	int ret;

	for (;;) {
		folio = shmbus_word_folio(r, offset, FGP_LOCK);
		if (folio != ERR_PTR(-EAGAIN))
			return folio;
		ret = shmbus_swapin(r, offset);
		if (ret)
			return ERR_PTR(ret);
	}
}

/* What releasing an owner did to one registered word. */
enum shmbus_recovery {
	SHMBUS_WORD_UNTOUCHED,
	SHMBUS_WORD_OWNER_DIED,	/* was the dead owner's: now OWNER_DIED */
	SHMBUS_WORD_FREE,	/* nobody owns it: a sleeper may need a wake */
	SHMBUS_WORD_UNREADABLE,	/* could not be swapped in: wake all to look */
};

/*
 * Look at one registered word as @owner goes away.  If @owner holds it,
 * mark it owner-died (*@newval is the new value).  If a live owner holds it
 * without SHMBUS_LOCK_WAITERS while tasks sleep on it, set the bit, so that
 * owner's unlock wakes them: the dead owner may have been woken to take the
 * lock and died before it could pass the wake-up on.
 */
static enum shmbus_recovery shmbus_recover_word(struct shmbus_region *r, u64 offset,
						u32 owner, u32 *newval)
{
	enum shmbus_recovery result = SHMBUS_WORD_UNTOUCHED;
	pgoff_t index = offset >> PAGE_SHIFT;
	struct folio *folio;
	bool wrote = false;
	u32 *word, old;

	folio = shmbus_word_folio_locked(r, offset);
	if (!folio)
		return SHMBUS_WORD_FREE;	/* a hole: the word is 0 */
	if (IS_ERR(folio))
		return SHMBUS_WORD_UNREADABLE;
	word = kmap_local_page(folio_file_page(folio, index)) + offset_in_page(offset);
	old = READ_ONCE(*word);
	for (;;) {
		u32 holder = old & SHMBUS_LOCK_OWNER_MASK;

		if (holder == owner) {
			*newval = (old & SHMBUS_LOCK_WAITERS) | SHMBUS_LOCK_OWNER_DIED;
			result = SHMBUS_WORD_OWNER_DIED;
		} else if (!holder) {
			result = SHMBUS_WORD_FREE;
			break;
		} else if (!(old & SHMBUS_LOCK_WAITERS) && shmbus_word_has_sleepers(r, offset)) {
			*newval = old | SHMBUS_LOCK_WAITERS;
		} else {
			break;
		}
		wrote = try_cmpxchg(word, &old, *newval);
		if (wrote)
			break;
		result = SHMBUS_WORD_UNTOUCHED;
	}
	kunmap_local(word);
	if (wrote)
		folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return result;
}

/*
 * Recover the words the dying owner @owner held.  For each registered word:
 * one the owner held becomes OWNER_DIED and one waiter is woken; a free word
 * with sleepers gets one wake too, for a dying owner that had unlocked but
 * not yet woken anybody (or had been woken and not yet relocked).  Robust
 * futexes cover the same windows with their list_op_pending.
 */
static void __shmbus_recover_owner(struct shmbus_region *r, u32 owner)
{
	unsigned long index;
	void *entry;
	u32 newval;

	lockdep_assert_held(&r->robust_lock);
	xa_for_each(&r->robust_words, index, entry) {
		u64 offset = (u64)index * sizeof(u32);

		switch (shmbus_recover_word(r, offset, owner, &newval)) {
		case SHMBUS_WORD_OWNER_DIED:
			trace_shmbus_owner_died(r->id, offset, newval, owner);
			shmbus_wake(r, offset, 1, SHMBUS_BITSET_ANY);
			break;
		case SHMBUS_WORD_FREE:
			if (shmbus_word_has_sleepers(r, offset))
				shmbus_wake(r, offset, 1, SHMBUS_BITSET_ANY);
			break;
		case SHMBUS_WORD_UNREADABLE:
			/* The owner may have held it: nobody may sleep on for ever. */
			shmbus_wake(r, offset, U32_MAX, SHMBUS_BITSET_ANY);
			break;
		case SHMBUS_WORD_UNTOUCHED:
			break;
		}
	}
}

/**
 * shmbus_robust_release() - a handle is released: recover its locks, drop
 *	its registrations and its owner id
 * @h: the handle; its region is still referenced
 */
void shmbus_robust_release(struct shmbus_handle *h)
{
	struct shmbus_region *r = h->region;
	unsigned long index;
	void *entry;

	mutex_lock(&r->robust_lock);
	if (h->owner_id) {
		__shmbus_recover_owner(r, h->owner_id);
		idr_remove(&r->owner_ids, h->owner_id);
		h->owner_id = 0;
	}
	xa_for_each(&h->robust_words, index, entry)
		__shmbus_registrant_put(r, index);
	mutex_unlock(&r->robust_lock);
	xa_destroy(&h->robust_words);
	h->nr_robust = 0;
}

/**
 * shmbus_robust_init() - set up a new region's registry and owner ids
 * @r: the region being created
 */
void shmbus_robust_init(struct shmbus_region *r)
{
	mutex_init(&r->robust_lock);
	xa_init(&r->robust_words);
	idr_init(&r->owner_ids);
}

/**
 * shmbus_robust_destroy() - free a region's registry
 * @r: the region being freed
 */
void shmbus_robust_destroy(struct shmbus_region *r)
{
	xa_destroy(&r->robust_words);
	idr_destroy(&r->owner_ids);
	mutex_destroy(&r->robust_lock);
}
