// SPDX-License-Identifier: GPL-2.0
/*
 * Region lifetime, naming, permissions and limits, and binding handles to
 * regions (BIND, REOPEN).
 *
 * A region is referenced (struct shmbus_region.ref) by its linked name, by
 * every handle bound to it and by every VMA that maps it; it is freed with
 * the last reference.  Each region also holds a reference on the module, so
 * that a named region nobody uses keeps it loaded.  That reference is never
 * the one module code runs under: every path that can drop a region's last
 * reference runs on behalf of a file whose operations hold the module until
 * after they return (a handle's release or ioctl, a map file's release, a
 * VMA's close, whose map file the core mm puts only afterwards), or in the
 * namespace worker, which module exit cancels synchronously.
 *
 * shmbus_regions_lock guards the region table and is taken by the slow paths
 * only (bind, unlink, the last put, /proc): the name hash, the namespaces,
 * the creators' quota entries, the list of regions and the limits' totals.
 * Regions in the list or the hash always have a reference: the last put
 * takes shmbus_regions_lock (kref_put_mutex()) before it removes them.
 *
 * Every region is charged, from creation to free, to its IPC namespace
 * (max_regions, max_total_bytes: like SysV's shmmni and shmall, so one
 * container cannot use up the host's share) and to its creator's euid
 * (max_user_regions, max_user_bytes, across all namespaces, so one user
 * cannot use up everybody's; chown does not move the charge).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/siphash.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>

#include "shmbus.h"

static unsigned long shmbus_max_region_bytes = SZ_1G;
module_param_named(max_region_bytes, shmbus_max_region_bytes, ulong, 0644);
MODULE_PARM_DESC(max_region_bytes, "Largest region, in bytes (default: 1073741824, 1 GiB)");

static unsigned long shmbus_max_total_bytes = 8UL * SZ_1G;
module_param_named(max_total_bytes, shmbus_max_total_bytes, ulong, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Largest sum of the sizes of the regions of one IPC namespace, in bytes (default: 8589934592, 8 GiB)");

static unsigned int shmbus_max_regions = 4096;
module_param_named(max_regions, shmbus_max_regions, uint, 0644);
MODULE_PARM_DESC(max_regions, "Largest number of regions of one IPC namespace (default: 4096)");

static unsigned long shmbus_max_user_bytes = 4UL * SZ_1G;
module_param_named(max_user_bytes, shmbus_max_user_bytes, ulong, 0644);
MODULE_PARM_DESC(max_user_bytes,
		 "Largest sum of the sizes of the regions one user created, in bytes; CAP_SYS_RESOURCE is exempt (default: 4294967296, 4 GiB)");

static unsigned int shmbus_max_user_regions = 1024;
module_param_named(max_user_regions, shmbus_max_user_regions, uint, 0644);
MODULE_PARM_DESC(max_user_regions,
		 "Largest number of regions one user created; CAP_SYS_RESOURCE is exempt (default: 1024)");

/**
 * struct shmbus_user - what one creator's regions use, for its quota
 * @node: entry in shmbus_users; protected by shmbus_regions_lock
 * @uid: the creator's euid
 * @nr_regions: live regions it created, in any namespace
 * @nr_bytes: sum of their sizes
 *
 * Freed with the user's last region.
 */
struct shmbus_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int nr_regions;
	unsigned long nr_bytes;
};

/* Slow paths only: names, namespaces, users, the region list, the totals. */
DEFINE_MUTEX(shmbus_regions_lock);
LIST_HEAD(shmbus_regions);
static LIST_HEAD(shmbus_namespaces);
static DEFINE_HASHTABLE(shmbus_names, 8);
static DEFINE_HASHTABLE(shmbus_users, 6);
static unsigned int shmbus_nr_regions;
static unsigned long shmbus_total_bytes;
static u64 shmbus_last_key;
static siphash_key_t shmbus_id_secret __read_mostly;

static void shmbus_ns_gc(struct work_struct *work);
static DECLARE_DELAYED_WORK(shmbus_ns_gc_work, shmbus_ns_gc);
#define SHMBUS_NS_GC_INTERVAL	(2 * HZ)

static struct ipc_namespace *current_ipc_ns(void)
{
	return current->nsproxy->ipc_ns;
}

/* init_ipc_ns is not exported; its nsfs inode number is fixed. */
static bool shmbus_in_init_ipc_ns(void)
{
	return current_ipc_ns()->ns.inum == PROC_IPC_INIT_INO;
}

static bool shmbus_ns_is_init(const struct shmbus_ns *ns)
{
	return ns->ipc_ns->ns.inum == PROC_IPC_INIT_INO;
}

/*
 * Nothing but shmbus can reach the namespace: no task, nsfs file or mount
 * holds it, so no task can enter it or look its names up again.  Read
 * without a lock.  The count can still rise for a moment (an open through a
 * still-mounted mqueue superblock takes and drops a reference): a check
 * that misses the namespace then leaves it to the worker's next pass.
 */
static bool shmbus_ns_dead(const struct shmbus_ns *ns)
{
	return refcount_read(&ns->ipc_ns->ns.count) == 1;
}

/* put_ipc_ns() is not exported; nsfs drops its references the same way. */
static void shmbus_put_ipc_ns(struct ipc_namespace *ipc_ns)
{
	ipc_ns->ns.ops->put(&ipc_ns->ns);
}

static struct shmbus_ns *__shmbus_ns_find(struct ipc_namespace *ipc_ns)
{
	struct shmbus_ns *ns;

	lockdep_assert_held(&shmbus_regions_lock);
	list_for_each_entry(ns, &shmbus_namespaces, node)
		if (ns->ipc_ns == ipc_ns)
			return ns;
	return NULL;
}

/* The namespace whose nsfs inode number is @inum, as lsns shows it. */
static struct shmbus_ns *__shmbus_ns_find_inum(u64 inum)
{
	struct shmbus_ns *ns;

	lockdep_assert_held(&shmbus_regions_lock);
	list_for_each_entry(ns, &shmbus_namespaces, node)
		if (ns->ipc_ns->ns.inum == inum)
			return ns;
	return NULL;
}

/* Count a region of @size bytes in @ipc_ns; NULL when out of memory. */
static struct shmbus_ns *__shmbus_ns_charge(struct ipc_namespace *ipc_ns,
					    unsigned long size)
{
	struct shmbus_ns *ns;

	lockdep_assert_held(&shmbus_regions_lock);
	ns = __shmbus_ns_find(ipc_ns);
	if (!ns) {
		ns = kzalloc(sizeof(*ns), GFP_KERNEL_ACCOUNT);
		if (!ns)
			return NULL;
		ns->ipc_ns = get_ipc_ns(ipc_ns);
		INIT_LIST_HEAD(&ns->names);
		list_add(&ns->node, &shmbus_namespaces);
	}
	ns->nr_regions++;
	ns->nr_bytes += size;
	return ns;
}

static void __shmbus_ns_uncharge(struct shmbus_ns *ns, unsigned long size)
{
	lockdep_assert_held(&shmbus_regions_lock);
	ns->nr_bytes -= size;
	if (--ns->nr_regions)
		return;
	list_del(&ns->node);
	shmbus_put_ipc_ns(ns->ipc_ns);
	kfree(ns);
}

static struct shmbus_user *__shmbus_user_find(kuid_t uid)
{
	struct shmbus_user *user;

	lockdep_assert_held(&shmbus_regions_lock);
	hash_for_each_possible(shmbus_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/* Count a region of @size bytes against @uid; NULL when out of memory. */
static struct shmbus_user *__shmbus_user_charge(kuid_t uid, unsigned long size)
{
	struct shmbus_user *user;

	lockdep_assert_held(&shmbus_regions_lock);
	user = __shmbus_user_find(uid);
	if (!user) {
		user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
		if (!user)
			return NULL;
		user->uid = uid;
		hash_add(shmbus_users, &user->node, __kuid_val(uid));
	}
	user->nr_regions++;
	user->nr_bytes += size;
	return user;
}

static void __shmbus_user_uncharge(struct shmbus_user *user, unsigned long size)
{
	lockdep_assert_held(&shmbus_regions_lock);
	user->nr_bytes -= size;
	if (--user->nr_regions)
		return;
	hash_del(&user->node);
	kfree(user);
}

/* Charge a new region to its namespace, its creator and the totals. */
static int __shmbus_charge(struct shmbus_region *r)
{
	lockdep_assert_held(&shmbus_regions_lock);
	r->ns = __shmbus_ns_charge(current_ipc_ns(), r->size);
	if (!r->ns)
		return -ENOMEM;
	r->user = __shmbus_user_charge(r->cuid, r->size);
	if (!r->user) {
		__shmbus_ns_uncharge(r->ns, r->size);
		return -ENOMEM;
	}
	shmbus_nr_regions++;
	shmbus_total_bytes += r->size;
	return 0;
}

static void __shmbus_uncharge(struct shmbus_region *r)
{
	lockdep_assert_held(&shmbus_regions_lock);
	shmbus_nr_regions--;
	shmbus_total_bytes -= r->size;
	__shmbus_user_uncharge(r->user, r->size);
	__shmbus_ns_uncharge(r->ns, r->size);
}

static u32 shmbus_name_hash(const struct shmbus_ns *ns, const char *name)
{
	return full_name_hash(ns, name, strlen(name));
}

static struct shmbus_region *__shmbus_lookup(struct shmbus_ns *ns, const char *name)
{
	struct shmbus_region *r;

	lockdep_assert_held(&shmbus_regions_lock);
	hash_for_each_possible(shmbus_names, r, name_node, shmbus_name_hash(ns, name))
		if (r->ns == ns && !strcmp(r->name, name))
			return r;
	return NULL;
}

static void __shmbus_link(struct shmbus_region *r)
{
	lockdep_assert_held(&shmbus_regions_lock);
	hash_add(shmbus_names, &r->name_node, shmbus_name_hash(r->ns, r->name));
	list_add_tail(&r->ns_node, &r->ns->names);
	r->linked = true;
	WRITE_ONCE(r->ns->nr_linked, r->ns->nr_linked + 1);
	/* Only names outside the initial namespace can lose their namespace. */
	if (!shmbus_ns_is_init(r->ns))
		schedule_delayed_work(&shmbus_ns_gc_work, SHMBUS_NS_GC_INTERVAL);
}

/* Remove the name; the caller drops the name's reference after unlocking. */
static void __shmbus_unlink(struct shmbus_region *r)
{
	lockdep_assert_held(&shmbus_regions_lock);
	hash_del(&r->name_node);
	list_del_init(&r->ns_node);
	r->linked = false;
	WRITE_ONCE(r->ns->nr_linked, r->ns->nr_linked - 1);
}

/*
 * Unlink every name of @ns, a dead namespace, onto @names: the caller puts
 * them with shmbus_put_names() once it has dropped shmbus_regions_lock.
 */
static void __shmbus_ns_unlink_all(struct shmbus_ns *ns, struct list_head *names)
{
	struct shmbus_region *r, *tmp;

	lockdep_assert_held(&shmbus_regions_lock);
	list_for_each_entry_safe(r, tmp, &ns->names, ns_node) {
		__shmbus_unlink(r);
		list_add_tail(&r->ns_node, names);
	}
}

static void shmbus_put_names(struct list_head *names)
{
	struct shmbus_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, names, ns_node) {
		list_del_init(&r->ns_node);
		shmbus_region_put(r);
	}
}

/* Called by kref_put_mutex() with shmbus_regions_lock held; drops it. */
static void shmbus_region_release(struct kref *ref)
{
	struct shmbus_region *r = container_of(ref, struct shmbus_region, ref);

	lockdep_assert_held(&shmbus_regions_lock);
	WARN_ON_ONCE(r->linked);
	list_del(&r->all_node);
	__shmbus_uncharge(r);
	mutex_unlock(&shmbus_regions_lock);

	shmbus_robust_destroy(r);
	/*
	 * An O_PATH open of a mapping's /proc/PID/map_files entry may keep the
	 * inode past the module: leave no file operations of ours on it.
	 */
	make_bad_inode(file_inode(r->shm));
	fput(r->shm);
	kfree(r);
	/* The caller's file (or the worker) still pins the module. */
	module_put(THIS_MODULE);
}

/**
 * shmbus_region_put_file() - drop the reference of a handle or a map file
 * @r: the region
 *
 * A file's last fput is where a namespace's last process lands after it
 * let go of the namespace: do_exit() drops a task's namespaces before it
 * runs the fputs its exit queued.  So when the region's namespace has died,
 * its names go here, at once, rather than at the worker's next pass; an
 * rmmod right after a container's last process is reaped then succeeds.
 *
 * Context: process context, no lock held.
 */
void shmbus_region_put_file(struct shmbus_region *r)
{
	struct shmbus_ns *ns = r->ns;	/* kept by @r's charge */
	LIST_HEAD(names);

	if (!shmbus_ns_is_init(ns) && READ_ONCE(ns->nr_linked) && shmbus_ns_dead(ns)) {
		mutex_lock(&shmbus_regions_lock);
		__shmbus_ns_unlink_all(ns, &names);
		mutex_unlock(&shmbus_regions_lock);
		shmbus_put_names(&names);
	}
	shmbus_region_put(r);
}

/**
 * shmbus_region_get() - take a reference on a region
 * @r: a region the caller already holds a reference on
 */
void shmbus_region_get(struct shmbus_region *r)
{
	kref_get(&r->ref);
}

/**
 * shmbus_region_put() - drop a reference; the last one frees the region
 * @r: the region
 *
 * Context: process context; takes shmbus_regions_lock for the last reference.
 */
void shmbus_region_put(struct shmbus_region *r)
{
	kref_put_mutex(&r->ref, shmbus_region_release, &shmbus_regions_lock);
}

/* Would one more region of @size bytes take a count over a limit? */
static bool shmbus_over_limit(unsigned int nr_regions, unsigned long nr_bytes,
			      unsigned long size, unsigned int max_regions,
			      unsigned long max_bytes)
{
	return nr_regions >= max_regions ||
	       size > max_bytes - min(max_bytes, nr_bytes);
}

/* The checks of a new region's size, which need no lock: EINVAL, EFBIG. */
static int shmbus_size_ok(u64 size)
{
	unsigned long max_size = READ_ONCE(shmbus_max_region_bytes);

	if (!size)
		return -EINVAL;
	if (size > max_size || size > MAX_LFS_FILESIZE ||
	    PAGE_ALIGN(size) > max_size)
		return -EFBIG;
	return 0;
}

/*
 * Admission against the limits, in the order the errnos are documented:
 * the size, then the namespace's limits, then the creator's quota, which
 * CAP_SYS_RESOURCE overrides as it does RLIMITs (asked last, so that only a
 * task that needs it is marked as having used it).
 */
static int __shmbus_admit(u64 size)
{
	struct shmbus_user *user;
	struct shmbus_ns *ns;
	int ret;

	lockdep_assert_held(&shmbus_regions_lock);
	ret = shmbus_size_ok(size);
	if (ret)
		return ret;
	size = PAGE_ALIGN(size);
	ns = __shmbus_ns_find(current_ipc_ns());
	if (shmbus_over_limit(ns ? ns->nr_regions : 0, ns ? ns->nr_bytes : 0,
			      size, READ_ONCE(shmbus_max_regions),
			      READ_ONCE(shmbus_max_total_bytes)))
		return -ENOSPC;
	user = __shmbus_user_find(current_euid());
	if (shmbus_over_limit(user ? user->nr_regions : 0,
			      user ? user->nr_bytes : 0, size,
			      READ_ONCE(shmbus_max_user_regions),
			      READ_ONCE(shmbus_max_user_bytes)) &&
	    !capable(CAP_SYS_RESOURCE))
		return -EDQUOT;
	return 0;
}

/*
 * Nothing but shmbus may reach the backing inode: opening it again (as
 * /proc/PID/map_files of a mapping would) fails (mmap.c), and should a way
 * around that ever appear, it could neither resize the file (which would
 * SIGBUS every mapping, or grow it past the limits) nor, without DAC
 * override, open it: it is sealed and has no permission bits.
 */
static void shmbus_seal_backing(struct file *shm)
{
	struct inode *inode = file_inode(shm);

	/* As memfd_add_seals() does: seals and mode change under the lock. */
	inode_lock(inode);
	SHMEM_I(inode)->seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	inode->i_mode &= ~0777;
	inode->i_fop = &shmbus_backing_fops;
	inode_unlock(inode);
}

/*
 * The id shown for a key: a four-round Feistel network over the key's two
 * 32-bit halves, with SipHash under a secret drawn at module load as the
 * round function.  A permutation, so ids are as unique as keys; without the
 * secret, an id tells nothing about the number or order of other regions.
 */
static u64 shmbus_key_to_id(u64 key)
{
	u32 left = upper_32_bits(key), right = lower_32_bits(key), next;
	unsigned int round;

	for (round = 0; round < 4; round++) {
		next = left ^ (u32)siphash_2u32(right, round, &shmbus_id_secret);
		left = right;
		right = next;
	}
	return (u64)left << 32 | right;
}

/* A fresh key, never used before, and its id; 0 is never an id. */
static void __shmbus_new_key(struct shmbus_region *r)
{
	lockdep_assert_held(&shmbus_regions_lock);
	do {
		r->key = ++shmbus_last_key;
		r->id = shmbus_key_to_id(r->key);
	} while (!r->id);
}

/*
 * The backing file of a region that may be created, made before shmbus_regions_lock
 * is taken: shmem may reclaim in the caller's memory cgroup meanwhile, and
 * the inode lock that sealing takes must not nest inside shmbus_regions_lock, which
 * the last put of a region takes under mmap_lock.  NULL when no region of
 * this size can be created anyway; an ERR_PTR is returned only if it could.
 */
static struct file *shmbus_backing_create(const char *name, u64 size)
{
	char shm_name[sizeof("shmbus:") + SHMBUS_NAME_MAX];
	struct file *shm;

	if (shmbus_size_ok(size))
		return NULL;
	snprintf(shm_name, sizeof(shm_name), "shmbus:%s", name);
	shm = shmem_file_setup(shm_name, PAGE_ALIGN(size), VM_NORESERVE);
	if (!IS_ERR(shm))
		shmbus_seal_backing(shm);
	return shm;
}

/* Drop a backing file that no region took. */
static void shmbus_backing_put(struct file *shm)
{
	if (!IS_ERR_OR_NULL(shm))
		fput(shm);
}

/*
 * A new region with one reference, owned by the caller, backed by *@shm
 * (from shmbus_backing_create()), which it takes: *@shm becomes NULL.
 */
static struct shmbus_region *__shmbus_region_create(const char *name, u64 size,
						    umode_t mode, struct file **shm)
{
	struct shmbus_region *r;
	int ret;

	lockdep_assert_held(&shmbus_regions_lock);
	ret = __shmbus_admit(size);
	if (ret)
		return ERR_PTR(ret);
	if (IS_ERR(*shm))
		return ERR_CAST(*shm);

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->size = PAGE_ALIGN(size);
	r->uid = current_euid();
	r->cuid = r->uid;
	r->gid = current_egid();
	r->cgid = r->gid;
	r->mode = mode;
	ret = __shmbus_charge(r);
	if (ret) {
		kfree(r);
		return ERR_PTR(ret);
	}
	r->shm = *shm;
	*shm = NULL;

	kref_init(&r->ref);
	__shmbus_new_key(r);
	strscpy(r->name, name, sizeof(r->name));
	spin_lock_init(&r->perm_lock);
	shmbus_robust_init(r);
	list_add_tail(&r->all_node, &shmbus_regions);
	/* The ioctl's open file pins the module; the region now does too. */
	__module_get(THIS_MODULE);
	return r;
}

static bool shmbus_is_owner(struct shmbus_region *r)
{
	kuid_t euid = current_euid();
	bool owner;

	spin_lock(&r->perm_lock);
	owner = uid_eq(euid, r->uid) || uid_eq(euid, r->cuid);
	spin_unlock(&r->perm_lock);
	return owner;
}

/* Like SysV's ipcperms(): owner, then group, then other bits. */
static bool shmbus_may_bind(struct shmbus_region *r, bool rdonly)
{
	int want = rdonly ? 4 : 6, granted;
	kuid_t euid = current_euid();

	spin_lock(&r->perm_lock);
	granted = r->mode;
	if (uid_eq(euid, r->uid) || uid_eq(euid, r->cuid))
		granted >>= 6;
	else if (in_group_p(r->gid) || in_group_p(r->cgid))
		granted >>= 3;
	spin_unlock(&r->perm_lock);

	if ((want & ~granted & 7) == 0)
		return true;
	return ns_capable(r->ns->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/* Unlink, chmod and chown: the owner, the creator or CAP_SYS_ADMIN. */
static bool shmbus_may_admin(struct shmbus_region *r)
{
	return shmbus_is_owner(r) || ns_capable(r->ns->ipc_ns->user_ns, CAP_SYS_ADMIN);
}

static struct shmbus_region *shmbus_open_named(const struct shmbus_bind *a)
{
	bool create = a->flags & SHMBUS_BIND_CREATE;
	bool rdonly = a->flags & SHMBUS_BIND_RDONLY;
	struct file *shm = create ? shmbus_backing_create(a->name, a->size) : NULL;
	struct shmbus_region *r;
	struct shmbus_ns *ns;

	mutex_lock(&shmbus_regions_lock);
	ns = __shmbus_ns_find(current_ipc_ns());
	r = ns ? __shmbus_lookup(ns, a->name) : NULL;
	if (r) {
		if (a->flags & SHMBUS_BIND_EXCL)
			r = ERR_PTR(-EEXIST);
		else if (a->size > r->size)
			r = ERR_PTR(-EINVAL);
		else if (!shmbus_may_bind(r, rdonly))
			r = ERR_PTR(-EACCES);
		else
			shmbus_region_get(r);
	} else if (!create) {
		r = ERR_PTR(-ENOENT);
	} else {
		r = __shmbus_region_create(a->name, a->size, a->mode, &shm);
		if (!IS_ERR(r)) {
			/* The name's reference; the caller's is the first. */
			shmbus_region_get(r);
			__shmbus_link(r);
		}
	}
	mutex_unlock(&shmbus_regions_lock);
	shmbus_backing_put(shm);
	return r;
}

static struct shmbus_region *shmbus_create_anonymous(const struct shmbus_bind *a)
{
	struct file *shm = shmbus_backing_create("", a->size);
	struct shmbus_region *r;

	mutex_lock(&shmbus_regions_lock);
	r = __shmbus_region_create("", a->size, a->mode, &shm);
	mutex_unlock(&shmbus_regions_lock);
	shmbus_backing_put(shm);
	return r;
}

/*
 * Bind @h to @r, whose reference the caller passes on to the handle.  The
 * handle is new or its bind_lock is held, so it is bound once.
 */
static void shmbus_attach(struct shmbus_handle *h, struct shmbus_region *r, bool rdonly)
{
	atomic_inc(&r->nr_handles);
	h->rdonly = rdonly;
	/* Pairs with smp_load_acquire() in shmbus_handle_region(). */
	smp_store_release(&h->region, r);
}

/**
 * shmbus_bind() - bind a handle to a new or existing region
 * @h: the handle
 * @file: the handle's open file
 * @a: validated arguments; size and id are filled in on success
 *
 * Return: 0, or a negative errno as listed in docs/regions.md.
 */
int shmbus_bind(struct shmbus_handle *h, struct file *file, struct shmbus_bind *a)
{
	bool rdonly = a->flags & SHMBUS_BIND_RDONLY;
	struct shmbus_region *r;
	int ret = 0;

	mutex_lock(&h->bind_lock);
	if (h->region) {
		ret = -EBUSY;
		goto out;
	}
	if (!(file->f_mode & FMODE_READ) || (!rdonly && !(file->f_mode & FMODE_WRITE))) {
		ret = -EBADF;
		goto out;
	}
	r = a->name[0] ? shmbus_open_named(a) : shmbus_create_anonymous(a);
	if (IS_ERR(r)) {
		ret = PTR_ERR(r);
		goto out;
	}
	shmbus_attach(h, r, rdonly);
	a->size = r->size;
	a->id = r->id;
out:
	mutex_unlock(&h->bind_lock);
	return ret;
}

/**
 * shmbus_handle_unbind() - drop a handle's binding when its file is released
 * @h: the handle
 */
void shmbus_handle_unbind(struct shmbus_handle *h)
{
	struct shmbus_region *r = h->region;

	if (!r)
		return;
	atomic_dec(&r->nr_handles);
	shmbus_region_put_file(r);
}

/**
 * shmbus_reopen() - SHMBUS_IOC_REOPEN: a new handle bound like @file
 * @file: a bound handle
 *
 * The new handle has its own owner id.  Its access mode is @file's.
 *
 * Return: the new close-on-exec fd, or -ENXIO, -EMFILE, -ENOMEM.
 */
int shmbus_reopen(struct file *file)
{
	struct shmbus_handle *old = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(old);
	struct shmbus_handle *h;
	struct file *new;
	int fd;

	if (!r)
		return -ENXIO;
	h = shmbus_handle_alloc();
	if (!h)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		goto free;
	new = shmbus_handle_file(h, (file->f_flags & O_ACCMODE) | O_CLOEXEC);
	if (IS_ERR(new)) {
		put_unused_fd(fd);
		fd = PTR_ERR(new);
		goto free;
	}
	shmbus_region_get(r);
	shmbus_attach(h, r, old->rdonly);
	fd_install(fd, new);
	return fd;
free:
	shmbus_handle_free(h);
	return fd;
}

/**
 * shmbus_unlink() - remove a name from an IPC namespace
 * @name: a validated, non-empty name
 * @ns_inum: 0 for the caller's IPC namespace, else the nsfs inode number of
 *	the namespace holding the name
 *
 * Return: 0; -EPERM for a non-zero @ns_inum unless the caller has
 * CAP_SYS_ADMIN in the initial user namespace and is in the initial IPC
 * namespace; -ENOENT if there is no such namespace or name; -EPERM if the
 * caller is not the owner or creator and lacks CAP_SYS_ADMIN.
 */
int shmbus_unlink(const char *name, u64 ns_inum)
{
	struct shmbus_region *r;
	struct shmbus_ns *ns;

	if (ns_inum && !(shmbus_in_init_ipc_ns() && capable(CAP_SYS_ADMIN)))
		return -EPERM;
	mutex_lock(&shmbus_regions_lock);
	if (ns_inum)
		ns = __shmbus_ns_find_inum(ns_inum);
	else
		ns = __shmbus_ns_find(current_ipc_ns());
	r = ns ? __shmbus_lookup(ns, name) : NULL;
	if (!r) {
		mutex_unlock(&shmbus_regions_lock);
		return -ENOENT;
	}
	if (!shmbus_may_admin(r)) {
		mutex_unlock(&shmbus_regions_lock);
		return -EPERM;
	}
	__shmbus_unlink(r);
	mutex_unlock(&shmbus_regions_lock);
	shmbus_region_put(r);
	return 0;
}

/**
 * shmbus_chmod() - change a region's permission bits
 * @r: the region
 * @mode: validated bits, 0..0777
 *
 * Return: 0, or -EPERM if the caller may not administer the region.
 */
int shmbus_chmod(struct shmbus_region *r, umode_t mode)
{
	if (!shmbus_may_admin(r))
		return -EPERM;
	spin_lock(&r->perm_lock);
	r->mode = mode;
	spin_unlock(&r->perm_lock);
	return 0;
}

/**
 * shmbus_chown() - change a region's owner
 * @r: the region
 * @uid: new uid in the caller's user namespace, or SHMBUS_ID_UNCHANGED
 * @gid: new gid in the caller's user namespace, or SHMBUS_ID_UNCHANGED
 *
 * Return: 0, -EINVAL for an id that does not map, -EPERM if the caller may
 * not administer the region.
 */
int shmbus_chown(struct shmbus_region *r, u32 uid, u32 gid)
{
	struct user_namespace *user_ns = current_user_ns();
	kuid_t kuid = INVALID_UID;
	kgid_t kgid = INVALID_GID;

	if (uid != SHMBUS_ID_UNCHANGED) {
		kuid = make_kuid(user_ns, uid);
		if (!uid_valid(kuid))
			return -EINVAL;
	}
	if (gid != SHMBUS_ID_UNCHANGED) {
		kgid = make_kgid(user_ns, gid);
		if (!gid_valid(kgid))
			return -EINVAL;
	}
	if (!shmbus_may_admin(r))
		return -EPERM;
	spin_lock(&r->perm_lock);
	if (uid_valid(kuid))
		r->uid = kuid;
	if (gid_valid(kgid))
		r->gid = kgid;
	spin_unlock(&r->perm_lock);
	return 0;
}

/**
 * shmbus_region_pages() - pages currently allocated to a region
 * @r: the region
 *
 * Return: the number of pages in the region's page cache.
 */
unsigned long shmbus_region_pages(struct shmbus_region *r)
{
	return READ_ONCE(r->shm->f_mapping->nrpages);
}

/**
 * shmbus_region_fill_info() - describe a region for SHMBUS_IOC_INFO
 * @r: the region
 * @info: zeroed output
 * @rdonly: the caller's handle is read-only
 */
void shmbus_region_fill_info(struct shmbus_region *r, struct shmbus_info *info,
			     bool rdonly)
{
	struct user_namespace *user_ns = current_user_ns();

	info->id = r->id;
	info->size = r->size;
	strscpy(info->name, r->name, sizeof(info->name));
	spin_lock(&r->perm_lock);
	info->uid = from_kuid_munged(user_ns, r->uid);
	info->gid = from_kgid_munged(user_ns, r->gid);
	info->mode = r->mode;
	spin_unlock(&r->perm_lock);
	info->cuid = from_kuid_munged(user_ns, r->cuid);
	info->cgid = from_kgid_munged(user_ns, r->cgid);
	if (!READ_ONCE(r->linked))
		info->flags |= SHMBUS_INFO_UNLINKED;
	if (!r->name[0])
		info->flags |= SHMBUS_INFO_ANONYMOUS;
	if (rdonly)
		info->flags |= SHMBUS_INFO_RDONLY;
	info->handles = atomic_read(&r->nr_handles);
	info->mappings = atomic_read(&r->nr_mappings);
	info->waiters = atomic_read(&r->nr_waiters);
	info->pages = shmbus_region_pages(r);
}

/**
 * shmbus_region_visible() - was the region created in the caller's namespace?
 * @r: a region on shmbus_regions
 *
 * Return: true when it was created in the caller's IPC namespace.
 */
bool shmbus_region_visible(struct shmbus_region *r)
{
	return r->ns->ipc_ns == current_ipc_ns();
}

/**
 * shmbus_sees_all_namespaces() - may a /proc reader see every namespace?
 * @file: the /proc file being read
 *
 * The opener's credentials count, not the reader's, so that an unprivileged
 * opener cannot have a privileged process (a setuid program) read the file
 * for it; the namespace is the reader's, the one the file is filtered by.
 *
 * Return: true when @file was opened with CAP_SYS_ADMIN in the initial user
 * namespace and the caller is in the initial IPC namespace.
 */
bool shmbus_sees_all_namespaces(const struct file *file)
{
	return shmbus_in_init_ipc_ns() &&
	       file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
}

/**
 * shmbus_stats() - counters of the caller's IPC namespace, or of all
 * @all: count every namespace's regions rather than the caller's only
 * @regions: live regions
 * @pages: pages allocated to them
 * @bytes: sum of their sizes
 */
void shmbus_stats(bool all, unsigned int *regions, unsigned long *pages,
		  unsigned long *bytes)
{
	struct shmbus_ns *ns = NULL;
	unsigned long sum = 0;
	struct shmbus_region *r;

	mutex_lock(&shmbus_regions_lock);
	if (all) {
		*regions = shmbus_nr_regions;
		*bytes = shmbus_total_bytes;
	} else {
		ns = __shmbus_ns_find(current_ipc_ns());
		*regions = ns ? ns->nr_regions : 0;
		*bytes = ns ? ns->nr_bytes : 0;
	}
	list_for_each_entry(r, &shmbus_regions, all_node)
		if (all || r->ns == ns)
			sum += shmbus_region_pages(r);
	mutex_unlock(&shmbus_regions_lock);
	*pages = sum;
}

/*
 * Unlink the names of namespaces that nobody but shmbus can reach and that
 * no released file reported (the namespace's processes held no shmbus file
 * when they went).  Runs while a namespace other than the initial one has
 * names, and looks at those namespaces only, and at the names of the dead.
 */
static void shmbus_ns_gc(struct work_struct *work)
{
	struct shmbus_ns *ns;
	LIST_HEAD(names);
	bool again = false;

	mutex_lock(&shmbus_regions_lock);
	list_for_each_entry(ns, &shmbus_namespaces, node) {
		if (!ns->nr_linked || shmbus_ns_is_init(ns))
			continue;
		if (shmbus_ns_dead(ns))
			__shmbus_ns_unlink_all(ns, &names);
		else
			again = true;
	}
	mutex_unlock(&shmbus_regions_lock);
	shmbus_put_names(&names);

	if (again)
		schedule_delayed_work(&shmbus_ns_gc_work, SHMBUS_NS_GC_INTERVAL);
}

/**
 * shmbus_regions_init() - draw the secret that region ids are derived with
 *
 * Context: module init, before the device can be opened.
 */
void shmbus_regions_init(void)
{
	get_random_bytes(&shmbus_id_secret, sizeof(shmbus_id_secret));
}

/**
 * shmbus_regions_exit() - stop the namespace worker at module unload
 *
 * Every region pins the module, so none is left by now.
 */
void shmbus_regions_exit(void)
{
	cancel_delayed_work_sync(&shmbus_ns_gc_work);
	WARN_ON(!list_empty(&shmbus_regions));
}
