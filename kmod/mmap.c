// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping regions.
 *
 * A region's pages live in its shmem file, and a mapping is an ordinary
 * shmem mapping to the rest of the kernel: rmap, reclaim, migration, swap,
 * futex keys, get_user_pages and O_DIRECT all work, and pages are charged to
 * the memory cgroup of the task that faults them in.  But no VMA points at
 * the shmem file itself.  The kernel re-maps a VMA through whatever file it
 * points at (remap_file_pages() re-runs do_mmap() on vm_file) and
 * /proc/PID/map_files opens that file's inode again; the shmem file would
 * take both paths straight to shmem, with none of our checks and none of
 * our counting.
 *
 * Instead a handle's first mmap() creates its *map file*: a file on the
 * shmem inode (so file_inode() and f_mapping are shmem's, and shmem's fault
 * handler works unchanged) whose file operations are the module's, opened
 * read-only for a read-only binding.  Every path to the pages comes back
 * here: mmap() of the handle and a re-map through the VMA's file both run
 * shmbus_map_policy(); a read-only map file gives do_mmap() no VM_MAYWRITE
 * to start from; and the inode itself cannot be opened again
 * (shmbus_backing_fops), so map_files reaches nothing.
 *
 * References: the map file holds a region reference, and its file
 * operations hold the module, for as long as any VMA points at it.  Each
 * VMA also holds a region reference and one mapping count (vm_ops open and
 * close, so across fork, splits and mremap).  The last region put can
 * therefore run from vm_close: the VMA's file still pins the module, and is
 * put by the core mm only after vm_close has returned.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "shmbus.h"

/* shmem's own vm_operations, learnt from the first mmap of a shmem file. */
static const struct vm_operations_struct *shmbus_shmem_vm_ops;

static void shmbus_vm_open(struct vm_area_struct *vma)
{
	struct shmbus_region *r = vma->vm_private_data;

	shmbus_region_get(r);
	atomic_inc(&r->nr_mappings);
}

static void shmbus_vm_close(struct vm_area_struct *vma)
{
	struct shmbus_region *r = vma->vm_private_data;

	atomic_dec(&r->nr_mappings);
	shmbus_region_put(r);
}

static vm_fault_t shmbus_vm_fault(struct vm_fault *vmf)
{
	return READ_ONCE(shmbus_shmem_vm_ops)->fault(vmf);
}

static vm_fault_t shmbus_vm_map_pages(struct vm_fault *vmf, pgoff_t start,
				      pgoff_t end)
{
	return READ_ONCE(shmbus_shmem_vm_ops)->map_pages(vmf, start, end);
}

static const struct vm_operations_struct shmbus_vm_ops = {
	.open		= shmbus_vm_open,
	.close		= shmbus_vm_close,
	.fault		= shmbus_vm_fault,
	.map_pages	= shmbus_vm_map_pages,
};

/* Overflow-safe: the pages [pgoff, pgoff + count) lie inside the region. */
static bool shmbus_range_ok(struct shmbus_region *r, unsigned long pgoff,
			    unsigned long count)
{
	unsigned long npages = r->size >> PAGE_SHIFT;

	return pgoff < npages && count <= npages - pgoff;
}

/*
 * The rules of every mapping of @r, whichever path creates it: shared,
 * inside the region, never executable, never writable when read-only.
 */
static int shmbus_map_policy(struct shmbus_region *r, bool rdonly,
			     struct vm_area_struct *vma)
{
	const struct vm_operations_struct *shmem_ops;
	int ret;

	/* VM_MAYSHARE: a MAP_SHARED mapping of an O_RDONLY fd lacks VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (!shmbus_range_ok(r, vma->vm_pgoff, vma_pages(vma)))
		return -EINVAL;
	if (rdonly) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_flags |= VM_DONTEXPAND;

	ret = call_mmap(r->shm, vma);
	if (ret)
		return ret;
	shmem_ops = vma->vm_ops;
	if (WARN_ON_ONCE(!shmem_ops || !shmem_ops->fault || !shmem_ops->map_pages))
		return -ENODEV;
	WRITE_ONCE(shmbus_shmem_vm_ops, shmem_ops);
	vma->vm_ops = &shmbus_vm_ops;
	vma->vm_private_data = r;
	shmbus_vm_open(vma);
	return 0;
}

/* A re-map through a VMA's file (remap_file_pages()) lands here. */
static int shmbus_map_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	return shmbus_map_policy(file->private_data, !(file->f_mode & FMODE_WRITE), vma);
}

/*
 * MADV_REMOVE, the only way to reach this: vfs_fallocate() checked the map
 * file (FMODE_WRITE among others); shmem punches the hole.
 */
static long shmbus_map_file_fallocate(struct file *file, int mode, loff_t offset,
				      loff_t len)
{
	struct shmbus_region *r = file->private_data;

	if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	return r->shm->f_op->fallocate(r->shm, mode, offset, len);
}

static int shmbus_map_file_put(struct inode *inode, struct file *file)
{
	shmbus_region_put_file(file->private_data);
	return 0;
}

static const struct file_operations shmbus_map_fops = {
	.owner		= THIS_MODULE,
	.mmap		= shmbus_map_file_mmap,
	.fallocate	= shmbus_map_file_fallocate,
	.release	= shmbus_map_file_put,
	.fsync		= noop_fsync,	/* msync(MS_SYNC), as on shmem */
	.llseek		= noop_llseek,
};

static int shmbus_backing_open(struct inode *inode, struct file *file)
{
	return -ENXIO;
}

/*
 * The file operations of a backing shmem inode (region.c sets them): opening
 * the inode again, through /proc/PID/map_files of a mapping, fails; its pages
 * are reached only through map files.
 */
const struct file_operations shmbus_backing_fops = {
	.owner		= THIS_MODULE,
	.open		= shmbus_backing_open,
};

static struct file *shmbus_map_file_create(struct shmbus_region *r, bool rdonly)
{
	char name[sizeof("shmbus:") + SHMBUS_NAME_MAX];
	struct inode *inode = file_inode(r->shm);
	struct file *file;

	snprintf(name, sizeof(name), "shmbus:%s", r->name);
	/* fput() drops both, through fops_put() and the dentry. */
	__module_get(THIS_MODULE);
	ihold(inode);
	file = alloc_file_pseudo(inode, r->shm->f_path.mnt, name,
				 rdonly ? O_RDONLY : O_RDWR, &shmbus_map_fops);
	if (IS_ERR(file)) {
		iput(inode);
		module_put(THIS_MODULE);
		return file;
	}
	shmbus_region_get(r);
	file->private_data = r;
	return file;
}

/* The handle's map file, created by the first caller. */
static struct file *shmbus_handle_map_file(struct shmbus_handle *h,
					   struct shmbus_region *r)
{
	struct file *old, *file;

	/* Pairs with cmpxchg_release() below: a file seen is a file set up. */
	file = smp_load_acquire(&h->map_file);
	if (file)
		return file;
	file = shmbus_map_file_create(r, h->rdonly);
	if (IS_ERR(file))
		return file;
	old = cmpxchg_release(&h->map_file, NULL, file);
	if (old) {
		fput(file);
		return old;
	}
	return file;
}

/**
 * shmbus_mmap() - map a handle's region
 * @file: the handle
 * @vma: the new VMA
 *
 * Return: 0, -ENXIO on an unbound handle, -EINVAL for a private mapping or a
 * range outside the region, -EPERM for PROT_EXEC, -EACCES for PROT_WRITE on a
 * read-only handle, -ENOMEM or -ENFILE when the map file cannot be made.
 */
int shmbus_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);
	struct file *map_file;
	int ret;

	if (!r)
		return -ENXIO;
	map_file = shmbus_handle_map_file(h, r);
	if (IS_ERR(map_file))
		return PTR_ERR(map_file);
	ret = shmbus_map_policy(r, h->rdonly, vma);
	if (ret)
		return ret;
	vma_set_file(vma, map_file);
	return 0;
}

/**
 * shmbus_map_file_release() - drop the handle's map file at release
 * @h: the handle
 *
 * VMAs that point at the file keep it, and so the region, alive.
 */
void shmbus_map_file_release(struct shmbus_handle *h)
{
	if (h->map_file)
		fput(h->map_file);
}
