// SPDX-License-Identifier: GPL-2.0
/*
 * Introspection: /proc/shmbus/{regions,stats} and fdinfo.
 *
 * procfs rather than sysfs or debugfs: the region table is a multi-line
 * table like /proc/sysvipc/shm, filtered by the reader's IPC namespace at
 * read time, and it must be readable without debugfs mounted or root.
 * Whoever may see every namespace (shmbus_sees_all_namespaces()) sees every
 * region and the totals of all namespaces as well.
 */
#include <linux/ipc_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "shmbus.h"

static struct proc_dir_entry *shmbus_proc_dir;

/* What one read of /proc/shmbus/regions shows. */
struct shmbus_regions_iter {
	bool all;	/* every namespace's regions, not only the reader's */
};

/* shmbus_regions_lock is held from start to stop. */
static void *shmbus_regions_start(struct seq_file *m, loff_t *pos)
{
	struct shmbus_regions_iter *iter = m->private;

	iter->all = shmbus_sees_all_namespaces(m->file);
	mutex_lock(&shmbus_regions_lock);
	return seq_list_start_head(&shmbus_regions, *pos);
}

static void *shmbus_regions_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &shmbus_regions, pos);
}

static void shmbus_regions_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&shmbus_regions_lock);
}

static int shmbus_regions_show(struct seq_file *m, void *v)
{
	struct shmbus_regions_iter *iter = m->private;
	struct user_namespace *user_ns = seq_user_ns(m);
	struct shmbus_region *r;
	char flags[3];
	int nflags = 0;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;

	if (v == &shmbus_regions) {
		seq_puts(m, "id name size uid gid cuid cgid mode handles mappings pages flags ns\n");
		return 0;
	}
	r = list_entry(v, struct shmbus_region, all_node);
	if (!iter->all && !shmbus_region_visible(r))
		return 0;
	spin_lock(&r->perm_lock);
	uid = r->uid;
	gid = r->gid;
	mode = r->mode;
	spin_unlock(&r->perm_lock);
	if (!r->linked)
		flags[nflags++] = 'u';
	if (!r->name[0])
		flags[nflags++] = 'a';
	if (!nflags)
		flags[nflags++] = '-';
	flags[nflags] = '\0';
	seq_printf(m, "%llu %s %zu %u %u %u %u %03o %d %d %lu %s %u\n",
		   r->id, r->name[0] ? r->name : "-", r->size,
		   from_kuid_munged(user_ns, uid), from_kgid_munged(user_ns, gid),
		   from_kuid_munged(user_ns, r->cuid), from_kgid_munged(user_ns, r->cgid),
		   mode, atomic_read(&r->nr_handles), atomic_read(&r->nr_mappings),
		   shmbus_region_pages(r), flags, r->ns->ipc_ns->ns.inum);
	return 0;
}

static const struct seq_operations shmbus_regions_sops = {
	.start	= shmbus_regions_start,
	.next	= shmbus_regions_next,
	.stop	= shmbus_regions_stop,
	.show	= shmbus_regions_show,
};

static int shmbus_stats_show(struct seq_file *m, void *v)
{
	unsigned long pages, bytes;
	unsigned int regions;

	shmbus_stats(false, &regions, &pages, &bytes);
	seq_printf(m, "regions %u\npages %lu\nbytes %lu\n", regions, pages, bytes);
	if (!shmbus_sees_all_namespaces(m->file))
		return 0;
	shmbus_stats(true, &regions, &pages, &bytes);
	seq_printf(m, "all_regions %u\nall_pages %lu\nall_bytes %lu\n",
		   regions, pages, bytes);
	return 0;
}

/**
 * shmbus_show_fdinfo() - the shmbus lines of /proc/PID/fdinfo/FD
 * @m: the seq_file
 * @file: a /dev/shmbus handle
 */
void shmbus_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);

	if (r)
		seq_printf(m, "shmbus-id:\t%llu\nshmbus-name:\t%s\nshmbus-size:\t%zu\nshmbus-rdonly:\t%d\n",
			   r->id, r->name, r->size, h->rdonly);
	else
		seq_puts(m, "shmbus-id:\tnone\n");
	seq_printf(m, "shmbus-waits:\t%ld\nshmbus-wakes:\t%ld\nshmbus-waitvs:\t%ld\nshmbus-requeues:\t%ld\n",
		   atomic_long_read(&h->calls[SHMBUS_CALL_WAIT]),
		   atomic_long_read(&h->calls[SHMBUS_CALL_WAKE]),
		   atomic_long_read(&h->calls[SHMBUS_CALL_WAITV]),
		   atomic_long_read(&h->calls[SHMBUS_CALL_REQUEUE]));
}

/**
 * shmbus_proc_init() - create /proc/shmbus
 *
 * Return: 0 or -ENOMEM.
 */
int shmbus_proc_init(void)
{
	shmbus_proc_dir = proc_mkdir("shmbus", NULL);
	if (!shmbus_proc_dir)
		return -ENOMEM;
	if (!proc_create_seq_private("regions", 0444, shmbus_proc_dir, &shmbus_regions_sops,
				     sizeof(struct shmbus_regions_iter), NULL) ||
	    !proc_create_single("stats", 0444, shmbus_proc_dir, shmbus_stats_show)) {
		proc_remove(shmbus_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

/**
 * shmbus_proc_exit() - remove /proc/shmbus
 */
void shmbus_proc_exit(void)
{
	proc_remove(shmbus_proc_dir);
}
