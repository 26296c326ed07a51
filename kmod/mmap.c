// SPDX-License-Identifier: GPL-2.0
/*
 * Mapping regions.
 *
 * A region's pages live in its shmem file.  mmap() of a handle points the
 * VMA at that file, as ashmem does, so the mapping is an ordinary shmem
 * mapping to the rest of the kernel: rmap, reclaim, swap, futex keys,
 * get_user_pages and O_DIRECT all work, and pages are charged to the memory
 * cgroup of the task that faults them in.  Our vm_ops wrap shmem's to keep
 * one region reference and one mapping count per VMA across fork, splits,
 * mremap and munmap.
 */
#include <linux/fs.h>
#include <linux/mm.h>

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

/**
 * shmbus_mmap() - map a handle's region
 * @file: the handle
 * @vma: the new VMA
 *
 * Return: 0, -ENXIO on an unbound handle, -EINVAL for a private mapping or a
 * range outside the region, -EPERM for PROT_EXEC, -EACCES for PROT_WRITE on a
 * read-only handle.
 */
int shmbus_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmbus_handle *h = file->private_data;
	struct shmbus_region *r = shmbus_handle_region(h);
	const struct vm_operations_struct *shmem_ops;
	int ret;

	if (!r)
		return -ENXIO;
	/* VM_MAYSHARE: a MAP_SHARED mapping of an O_RDONLY fd lacks VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (!shmbus_range_ok(r, vma->vm_pgoff, vma_pages(vma)))
		return -EINVAL;
	if (h->rdonly) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_flags |= VM_DONTEXPAND;

	vma_set_file(vma, r->shm);
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
