// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: on-demand paging.
 *
 * An on-demand MR pins nothing.  Its umem is an ib_umem_odp with an MMU
 * interval notifier; its table starts with the pages present at
 * registration (below), or empty.
 *
 * Fault: the device stalls the QP and posts ODP_HCA_EV_PAGE_FAULT on EQ
 * 0 (odp_hca_eq.c).  A work item looks the MR up by key, makes the
 * faulting range resident with ib_umem_odp_map_dma_and_lock() (which
 * returns holding umem_mutex), writes the leaves, drops the mutex and
 * answers RESUME(OK).  The range is what the device says the operation
 * still needs, at most ODP_HCA_FAULT_MAX_BYTES; after the RESUME the work
 * item maps a prefetch window up to the next ODP_HCA_FAULT_WINDOW
 * boundary (best effort).  A range that
 * cannot be made resident (no mapping, no permission, process gone) is
 * answered RESUME(FAIL): the WQE completes in error, nothing hangs.
 *
 * Invalidation (the notifier): take umem_mutex, mmu_interval_set_seq(),
 * clear the present leaves of the range, INVALIDATE (the barrier: the
 * device then holds no translation and no DMA in flight for it), unmap
 * the pages, unlock.
 *
 * Implicit MRs cover [0, 2^48) with a 4-level table.  The address space
 * is cut in ODP_HCA_IMR_CHILD_SIZE chunks, each an ib_umem_odp child of
 * the implicit root (ib_umem_odp_alloc_child()) created on its first
 * fault or prefetch and kept until the MR goes.  Children share the MR's
 * table: each leaf belongs to exactly one child and is written under
 * that child's umem_mutex.  An explicit MR longer than
 * ODP_HCA_ODP_CHUNKED_MIN is built the same way (an implicit root, the
 * children of the chunks it overlaps, leaves only for its own pages), so
 * its registration allocates nothing in proportion to its length.
 *
 * Registration maps what is already there: an explicit MR's pages that
 * are present in the process when it is registered get their leaves
 * at once, without faulting anything in (a snapshot, as mlx5 takes in
 * mlx5_ib_init_odp_mr()), so a buffer the program wrote before
 * registering it costs the device no fault.  reg_snapshot=0 leaves every
 * table empty, so that every first touch faults.  Implicit and chunked
 * MRs take no snapshot: it would walk their whole range.
 *
 * Prefetch (advise_mr) runs the same resolution, with or without
 * faulting pages in (PREFETCH_NO_FAULT maps only what is resident),
 * synchronously with IB_UVERBS_ADVISE_MR_FLAG_FLUSH, else from a work
 * item.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/sched/mm.h>
#include <rdma/uverbs_ioctl.h>

#include "odp_hca.h"

static bool odp_hca_mn_invalidate(struct mmu_interval_notifier *mni,
				  const struct mmu_notifier_range *range,
				  unsigned long cur_seq);

static const struct mmu_interval_notifier_ops odp_hca_mn_ops = {
	.invalidate = odp_hca_mn_invalidate,
};

/* Device address of user address @va in @mr, and its table index. */
static u64 odp_hca_va_to_iova(const struct odp_hca_mr *mr, u64 va)
{
	return mr->kind == ODP_HCA_MR_IMPLICIT ? va : va - mr->va + mr->iova;
}

static u64 odp_hca_iova_to_va(const struct odp_hca_mr *mr, u64 iova)
{
	return mr->kind == ODP_HCA_MR_IMPLICIT ? iova : iova - mr->iova + mr->va;
}

static u64 odp_hca_va_to_n(const struct odp_hca_mr *mr, u64 va)
{
	return (odp_hca_va_to_iova(mr, va) >> ODP_HCA_PAGE_SHIFT) -
	       mr->first_page;
}

/* The 4 KiB page at @va is one the MR's table has a leaf for. */
static bool odp_hca_va_in_mr(const struct odp_hca_mr *mr, u64 va)
{
	u64 page = va >> ODP_HCA_PAGE_SHIFT;

	if (mr->kind == ODP_HCA_MR_IMPLICIT)
		return page < mr->npages;
	return page >= mr->va >> ODP_HCA_PAGE_SHIFT &&
	       page <= (mr->va + mr->length - 1) >> ODP_HCA_PAGE_SHIFT;
}

/*
 * Make [va, va + len) of @odp (a umem of @mr) resident for the device
 * and write its leaves.  @fault: hmm may fault pages in; else only pages
 * already present are mapped.  Returns the number of leaves written or a
 * negative errno: -EBUSY when the range kept changing under
 * hmm_range_fault() for all of its timeout (HMM_RANGE_DEFAULT_TIMEOUT),
 * as when a thread drops or migrates the pages in a loop.
 */
static int odp_hca_odp_map(struct odp_hca_mr *mr, struct ib_umem_odp *odp,
			   u64 va, u64 len, bool fault, bool write)
{
	u64 start = max_t(u64, va, ib_umem_start(odp));
	u64 end = min_t(u64, va + len, ib_umem_end(odp));
	unsigned int shift = odp->page_shift;
	u64 access, lo, hi, idx, written = 0;
	int np, i, ret;

	if (start >= end)
		return 0;
	/* Tables first: no allocation once umem_mutex is held. */
	lo = max_t(u64, ALIGN_DOWN(start, 1ULL << shift), ib_umem_start(odp));
	hi = min_t(u64, ALIGN(end, 1ULL << shift), ib_umem_end(odp)) - 1;
	if (mr->kind != ODP_HCA_MR_IMPLICIT) {
		lo = max_t(u64, lo, mr->va);
		hi = min_t(u64, hi, mr->va + mr->length - 1);
	}
	ret = odp_hca_pt_ensure(mr, odp_hca_va_to_n(mr, lo),
				odp_hca_va_to_n(mr, hi));
	if (ret)
		return ret;

	access = ODP_HCA_ODP_ACCESS_READ;
	if (write)
		access |= ODP_HCA_ODP_ACCESS_WRITE;
	mutex_lock(&mr->map_lock);
	np = ib_umem_odp_map_dma_and_lock(odp, start, end - start, access,
					  fault);
	if (np < 0) {
		ret = np;
		goto out;
	}

	/* umem_mutex held: no invalidation runs until the leaves are in. */
	idx = (ALIGN_DOWN(start, 1ULL << shift) - ib_umem_start(odp)) >> shift;
	for (i = 0; i < np; i++, idx++) {
		u64 base = ib_umem_start(odp) + (idx << shift), sub, pte;
		dma_addr_t dma;
		bool writable;

		ret = odp_hca_odp_page(odp, idx, &dma, &writable);
		if (ret)
			goto unlock;
		if (!dma)
			continue;	/* not resident (no-fault prefetch) */
		pte = dma | ODP_HCA_PTE_PRESENT;
		if (writable && mr->writable)
			pte |= ODP_HCA_PTE_WRITABLE;
		for (sub = 0; sub < 1ULL << shift; sub += ODP_HCA_PAGE_SIZE) {
			if (!odp_hca_va_in_mr(mr, base + sub))
				continue;
			odp_hca_pt_set(mr, odp_hca_va_to_n(mr, base + sub),
				       pte + sub);
			written++;
		}
	}
	ret = written;
unlock:
	mutex_unlock(&odp->umem_mutex);
out:
	mutex_unlock(&mr->map_lock);
	return ret;
}

/*
 * The child umem of an implicit or chunked MR for chunk @idx, created on
 * first use.
 */
static struct ib_umem_odp *odp_hca_imr_child(struct odp_hca_mr *mr, u64 idx)
{
	struct ib_umem_odp *odp;
	int ret;

	odp = xa_load(&mr->children, idx);
	if (odp)
		return odp;

	mutex_lock(&mr->child_lock);
	odp = xa_load(&mr->children, idx);
	if (odp)
		goto out;
	odp = ib_umem_odp_alloc_child(to_ib_umem_odp(mr->umem),
				      idx << ODP_HCA_IMR_CHILD_SHIFT,
				      ODP_HCA_IMR_CHILD_SIZE, &odp_hca_mn_ops);
	if (IS_ERR(odp))
		goto out;
	mutex_lock(&odp->umem_mutex);
	odp->private = mr;
	mutex_unlock(&odp->umem_mutex);
	ret = xa_err(xa_store(&mr->children, idx, odp, GFP_KERNEL));
	if (ret) {
		ib_umem_odp_release(odp);
		odp = ERR_PTR(ret);
		goto out;
	}
	odp_hca_count(mr->dev, mr->kind == ODP_HCA_MR_IMPLICIT ?
		      ODP_HCA_CNT_IMR_CHILDREN : ODP_HCA_CNT_ODP_CHUNKS, 1);
out:
	mutex_unlock(&mr->child_lock);
	return odp;
}

/*
 * Resolve the device range [iova, iova + len) of an on-demand MR, in
 * chunks of at most ODP_HCA_FAULT_MAX_BYTES and within one umem each.
 * Returns the leaves written, or a negative errno for the first chunk
 * that failed (leaves written before it stay).
 */
static int odp_hca_odp_resolve(struct odp_hca_mr *mr, u64 iova, u64 len,
			       bool fault, bool write)
{
	u64 va, end, done = 0;
	int ret;

	if (!len)
		return 0;
	if (iova < mr->iova || iova - mr->iova >= mr->length)
		return -EFAULT;
	len = min(len, mr->length - (iova - mr->iova));
	va = odp_hca_iova_to_va(mr, iova);
	end = va + len;

	while (va < end) {
		struct ib_umem_odp *odp;
		u64 chunk = min_t(u64, end - va, ODP_HCA_FAULT_MAX_BYTES);

		if (odp_hca_mr_has_children(mr)) {
			u64 idx = va >> ODP_HCA_IMR_CHILD_SHIFT;

			odp = odp_hca_imr_child(mr, idx);
			if (IS_ERR(odp))
				return PTR_ERR(odp);
			chunk = min(chunk, ((idx + 1) << ODP_HCA_IMR_CHILD_SHIFT) - va);
		} else {
			odp = to_ib_umem_odp(mr->umem);
		}
		ret = odp_hca_odp_map(mr, odp, va, chunk, fault, write);
		if (ret < 0)
			return ret;
		done += ret;
		va += chunk;
	}
	return min_t(u64, done, INT_MAX);
}

/* Map for a device access; a read maps writable when the MR allows. */
static int odp_hca_odp_fault_range(struct odp_hca_mr *mr, u64 iova, u64 len,
				   bool need_write)
{
	bool want_write = need_write || mr->writable;
	int ret;

	ret = odp_hca_odp_resolve(mr, iova, len, true, want_write);
	if (ret < 0 && want_write && !need_write)
		ret = odp_hca_odp_resolve(mr, iova, len, true, false);
	return ret;
}

static bool odp_hca_mn_invalidate(struct mmu_interval_notifier *mni,
				  const struct mmu_notifier_range *range,
				  unsigned long cur_seq)
{
	struct ib_umem_odp *odp = container_of(mni, struct ib_umem_odp,
					       notifier);
	struct odp_hca_dev *dev;
	struct odp_hca_mr *mr;
	u64 start, end, zapped;
	int ret;

	if (!mmu_notifier_range_blockable(range))
		return false;

	mutex_lock(&odp->umem_mutex);
	mmu_interval_set_seq(mni, cur_seq);
	mr = odp->private;
	/* Nothing mapped, nothing the device can hold. */
	if (!mr || !odp->npages)
		goto out;
	dev = mr->dev;
	start = max_t(u64, ib_umem_start(odp), range->start);
	end = min_t(u64, ib_umem_end(odp), range->end);
	if (start >= end)
		goto out;
	if (mr->kind != ODP_HCA_MR_IMPLICIT) {
		start = max_t(u64, start, ALIGN_DOWN(mr->va, ODP_HCA_PAGE_SIZE));
		end = min_t(u64, end, ALIGN(mr->va + mr->length,
					    ODP_HCA_PAGE_SIZE));
	}

	if (start < end) {
		u64 first = odp_hca_va_to_n(mr, start);
		u64 count = (ALIGN(end, ODP_HCA_PAGE_SIZE) -
			     ALIGN_DOWN(start, ODP_HCA_PAGE_SIZE)) >>
			    ODP_HCA_PAGE_SHIFT;

		zapped = odp_hca_pt_zap(mr, first, count);
		if (zapped) {
			ret = odp_hca_cmd_invalidate(dev, mr->key,
						     odp_hca_va_to_iova(mr, start),
						     end - start, 0);
			if (ret)
				dev_warn_ratelimited(&dev->pdev->dev,
						     "INVALIDATE key 0x%x failed: %d\n",
						     mr->key, ret);
			odp_hca_count(dev, ODP_HCA_CNT_INVALIDATIONS, 1);
			odp_hca_count(dev, ODP_HCA_CNT_INVALIDATED_PAGES, zapped);
			atomic64_add(zapped, &mr->stat_invalidations);
		}
	}
	/* The device is done with these pages: they may go. */
	ib_umem_odp_unmap_dma_pages(odp, max_t(u64, ib_umem_start(odp),
					       range->start),
				    min_t(u64, ib_umem_end(odp), range->end));
out:
	mutex_unlock(&odp->umem_mutex);
	return true;
}

/* ------------------------------------------------------------------ */
/* Registration */

static bool reg_snapshot = true;
module_param(reg_snapshot, bool, 0644);
MODULE_PARM_DESC(reg_snapshot,
		 "map an explicit on-demand MR's pages already present when it is registered (default); 0: every first touch faults");

/* Leaves for the pages present now; best effort: a miss only faults. */
static void odp_hca_odp_snapshot(struct odp_hca_mr *mr)
{
	int ret = odp_hca_odp_resolve(mr, mr->iova, mr->length, false,
				      mr->writable);

	if (ret > 0)
		odp_hca_count(mr->dev, ODP_HCA_CNT_SNAPSHOT_PAGES, ret);
}

struct ib_mr *odp_hca_reg_odp_mr(struct odp_hca_pd *pd, u64 start,
				 u64 length, u64 iova, int access)
{
	struct odp_hca_dev *dev = to_odev(pd->ibpd.device);
	bool implicit = !start && length == U64_MAX;
	/* The core refuses huge pages in an implicit root. */
	bool chunked = !implicit && length > ODP_HCA_ODP_CHUNKED_MIN &&
		       !(access & IB_ACCESS_HUGETLB);
	struct ib_umem_odp *odp;
	struct odp_hca_mr *mr;
	u8 flags = ODP_HCA_MR_F_ON_DEMAND;
	int ret;

	if (!(dev->caps.flags & ODP_HCA_CAP_ODP))
		return ERR_PTR(-EOPNOTSUPP);
	if (implicit) {
		if (iova || !(dev->caps.flags & ODP_HCA_CAP_IMPLICIT_ODP))
			return ERR_PTR(-EINVAL);
	} else if ((start ^ iova) & (ODP_HCA_PAGE_SIZE - 1) ||
		   iova + length < iova || start + length < start) {
		return ERR_PTR(-EINVAL);
	}

	mr = odp_hca_mr_alloc(dev, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);

	if (implicit) {
		odp = ib_umem_odp_alloc_implicit(&dev->ibdev, access);
		if (IS_ERR(odp)) {
			ret = PTR_ERR(odp);
			goto err_key;
		}
		mr->kind = ODP_HCA_MR_IMPLICIT;
		mr->iova = 0;
		mr->va = 0;
		mr->length = 1ULL << ODP_HCA_IMR_VA_BITS;
		mr->first_page = 0;
		mr->npages = mr->length >> ODP_HCA_PAGE_SHIFT;
		mr->levels = ODP_HCA_PT_MAX_LEVELS;
		flags |= ODP_HCA_MR_F_IMPLICIT;
	} else {
		if (chunked)
			odp = ib_umem_odp_alloc_implicit(&dev->ibdev, access);
		else
			odp = ib_umem_odp_get(&dev->ibdev, start, length,
					      access, &odp_hca_mn_ops);
		if (IS_ERR(odp)) {
			ret = PTR_ERR(odp);
			goto err_key;
		}
		mr->kind = ODP_HCA_MR_ODP;
		mr->chunked = chunked;
		mr->iova = iova;
		mr->va = start;
		mr->length = length;
		mr->first_page = iova >> ODP_HCA_PAGE_SHIFT;
		mr->npages = ((iova + length - 1) >> ODP_HCA_PAGE_SHIFT) -
			     mr->first_page + 1;
		if (mr->npages > 1ULL << (ODP_HCA_PT_LEVEL_BITS *
					  ODP_HCA_PT_MAX_LEVELS)) {
			ret = -EINVAL;
			goto err_umem;
		}
		mr->levels = odp_hca_pt_levels(mr->npages);
	}
	mr->umem = &odp->umem;
	mr->writable = odp->umem.writable;

	ret = odp_hca_pt_alloc_root(mr);
	if (ret)
		goto err_umem;
	if (!odp_hca_mr_has_children(mr)) {
		mutex_lock(&odp->umem_mutex);
		odp->private = mr;
		mutex_unlock(&odp->umem_mutex);
	}
	ret = odp_hca_mr_create_hw(dev, mr, pd->pdn, flags);
	if (ret)
		goto err_pt;
	/* After CREATE_MR: an invalidation racing it names a known key. */
	if (!odp_hca_mr_has_children(mr) && READ_ONCE(reg_snapshot))
		odp_hca_odp_snapshot(mr);
	return &mr->ibmr;

err_pt:
	/* Releasing the umem below quiets its notifier before the table goes. */
	ib_umem_odp_release(odp);
	odp_hca_pt_free(mr);
	odp_hca_mr_free_key(mr);
	return ERR_PTR(ret);
err_umem:
	ib_umem_odp_release(odp);
err_key:
	odp_hca_mr_free_key(mr);
	return ERR_PTR(ret);
}

/* The MR is out of the device and unreferenced: release its umems. */
void odp_hca_odp_mr_release(struct odp_hca_mr *mr)
{
	struct ib_umem_odp *odp;
	unsigned long idx;

	if (odp_hca_mr_has_children(mr)) {
		xa_for_each(&mr->children, idx, odp) {
			xa_erase(&mr->children, idx);
			/* Unmaps its pages and waits out its notifier. */
			ib_umem_odp_release(odp);
		}
		xa_destroy(&mr->children);
	}
	ib_umem_odp_release(to_ib_umem_odp(mr->umem));
	mr->umem = NULL;
}

/* ------------------------------------------------------------------ */
/* Faults */

/*
 * Where a fault is resolved.  By default on an unbound workqueue, as
 * mlx5 does: the async EQ's interrupt thread only reads the event.
 * fault_wq=0 resolves it in that thread instead (real-time priority),
 * where a work item waits for the scheduler behind whatever else runs
 * (under TCG, the busy-polling verbs programs whose pages faulted): make
 * bench measured about half the fault service time there.  It is not the
 * default because a storm of faults (injected on every translation of
 * one MR) then keeps the thread resolving for as long as the storm
 * lasts: the device's other async events wait, and rmmod took 6 to 48 s
 * instead of under one, once with flushed completions reaching a verbs
 * program before IBV_EVENT_DEVICE_FATAL (check-midflight.sh).  Command
 * completions do not wait (the hard interrupt takes them).  Writable at
 * run time under /sys/module/odp_hca/parameters/.
 */
static bool fault_wq = true;
module_param(fault_wq, bool, 0644);
MODULE_PARM_DESC(fault_wq,
		 "resolve page faults on a workqueue (default), not in the event interrupt thread");

struct odp_hca_pf_work {
	struct work_struct work;
	struct odp_hca_dev *dev;
	u32 qpn;
	u32 token;
	u32 key;
	u32 length;
	u64 iova;
	u8 access;
	u8 side;
};

/*
 * The end of the mapping that holds user address @va, at most @end; @va
 * when none does.  A prefetch window stops there: past the end of a
 * mapping hmm_range_fault() fails the whole range (-EFAULT), after
 * faulting in the pages before the hole, and an implicit MR's window (to
 * the next 2 MiB boundary of the address space) mostly crosses one.
 */
static u64 odp_hca_vma_end(struct odp_hca_mr *mr, u64 va, u64 end)
{
	struct mm_struct *mm = mr->umem->owning_mm;
	struct vm_area_struct *vma;

	if (!mmget_not_zero(mm))
		return va;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, va);
	end = vma ? min_t(u64, end, vma->vm_end) : va;
	mmap_read_unlock(mm);
	mmput_async(mm);
	return end;
}

/*
 * The prefetch window of a resolved fault: from the end of what the
 * device needed on to the next ODP_HCA_FAULT_WINDOW boundary, best
 * effort.  Run after the RESUME, as mlx5 does for its RDMA faults: the
 * QP goes on with the pages it needs instead of waiting for pages it has
 * not asked for, which a thread dropping pages in a loop may take back
 * meanwhile.
 */
static void odp_hca_pf_prefetch(struct odp_hca_mr *mr, u64 need_end,
				bool need_write)
{
	u64 win_end = min_t(u64, ALIGN(need_end, ODP_HCA_FAULT_WINDOW),
			    mr->iova + mr->length);
	u64 va = odp_hca_iova_to_va(mr, need_end);
	int ret;

	if (win_end <= need_end)
		return;
	win_end = need_end +
		  (odp_hca_vma_end(mr, va, va + (win_end - need_end)) - va);
	if (win_end <= need_end)
		return;
	ret = odp_hca_odp_fault_range(mr, need_end, win_end - need_end,
				      need_write);
	if (ret > 0)
		odp_hca_count(mr->dev, ODP_HCA_CNT_FAULT_PAGES, ret);
}

static void odp_hca_pf_handle(struct odp_hca_dev *dev,
			      const struct odp_hca_pf_work *pf)
{
	bool need_write = pf->access & (ODP_HCA_FAULT_WRITE |
					 ODP_HCA_FAULT_ATOMIC);
	u64 len = clamp_t(u64, pf->length, 1, ODP_HCA_FAULT_MAX_BYTES);
	struct odp_hca_mr *mr;
	bool ok = false, busy = false;
	int ret;

	if (pf->iova + len < pf->iova)
		len = U64_MAX - pf->iova + 1;
	mr = odp_hca_mr_get(dev, pf->key);
	if (!mr) {
		dev_dbg(&dev->pdev->dev, "fault on unknown key 0x%x (QP %u)\n",
			pf->key, pf->qpn);
		goto resume;
	}

	switch (mr->kind) {
	case ODP_HCA_MR_DMA:
		/* Untranslated: the device cannot fault on it. */
		dev_dbg(&dev->pdev->dev, "fault on the DMA key 0x%x\n", pf->key);
		break;
	case ODP_HCA_MR_ODP:
	case ODP_HCA_MR_IMPLICIT:
		if (need_write && !mr->writable)
			break;
		ret = odp_hca_odp_fault_range(mr, pf->iova, len, need_write);
		if (ret == -EBUSY) {
			/*
			 * The pages exist but kept changing (hmm's timeout):
			 * failing would turn a busy page into an error
			 * completion.  RESUME(OK) without them, as mlx5 does
			 * when it races an invalidation: the device translates
			 * again and faults again if they are still missing.
			 */
			odp_hca_count(dev, ODP_HCA_CNT_FAULTS_BUSY, 1);
			ok = true;
			busy = true;
			break;
		}
		if (ret < 0 && len > ODP_HCA_PAGE_SIZE -
				     (pf->iova & (ODP_HCA_PAGE_SIZE - 1))) {
			/*
			 * Part of the range may be unmapped: resolve the page
			 * the device stopped at; a later fault reports the
			 * rest.
			 */
			len = ODP_HCA_PAGE_SIZE -
			      (pf->iova & (ODP_HCA_PAGE_SIZE - 1));
			ret = odp_hca_odp_fault_range(mr, pf->iova, len,
						      need_write);
		}
		if (ret < 0) {
			dev_dbg(&dev->pdev->dev,
				"fault key 0x%x iova 0x%llx+0x%llx: %d\n",
				pf->key, pf->iova, len, ret);
			break;
		}
		ok = true;
		odp_hca_count(dev, ODP_HCA_CNT_FAULT_PAGES, ret);
		break;
	default:
		/* A pinned MR never faults: the device is confused. */
		break;
	}
	if (ok)
		atomic64_inc(&mr->stat_faults);
resume:
	if (!ok)
		odp_hca_count(dev, ODP_HCA_CNT_FAULTS_FAILED, 1);
	ret = odp_hca_cmd_resume(dev, pf->token, ok);
	/* A lost or reset device forgot the fault: nothing waits for it. */
	if (ret && ret != -ENOENT && !READ_ONCE(dev->cmd_dead))
		dev_warn_ratelimited(&dev->pdev->dev,
				     "RESUME of fault 0x%x failed: %d\n",
				     pf->token, ret);
	if (!mr)
		return;
	if (ok && !busy)
		odp_hca_pf_prefetch(mr, pf->iova + len, need_write);
	odp_hca_mr_put(mr);
}

static void odp_hca_pf_work_fn(struct work_struct *work)
{
	struct odp_hca_pf_work *pf = container_of(work, struct odp_hca_pf_work,
						  work);

	odp_hca_pf_handle(pf->dev, pf);
	kfree(pf);
}

/* From the async EQ thread: every fault event is answered, once. */
void odp_hca_page_fault(struct odp_hca_dev *dev, u32 qpn,
			const struct odp_hca_fault_info *fi)
{
	struct odp_hca_pf_work local, *pf = &local;

	if (READ_ONCE(fault_wq))
		pf = kmalloc(sizeof(*pf), GFP_KERNEL | __GFP_NOWARN) ?: &local;
	pf->dev = dev;
	pf->qpn = qpn;
	pf->token = odp_cpu32(fi->token);
	pf->key = odp_cpu32(fi->key);
	pf->iova = odp_cpu64(fi->iova);
	pf->length = odp_cpu32(fi->length);
	pf->access = fi->access;
	pf->side = fi->side;

	odp_hca_count(dev, ODP_HCA_CNT_FAULTS, 1);
	odp_hca_count(dev, pf->side == ODP_HCA_FAULT_RESPONDER ?
		      ODP_HCA_CNT_FAULTS_RESPONDER :
		      ODP_HCA_CNT_FAULTS_REQUESTER, 1);
	if (pf->access & ODP_HCA_FAULT_ATOMIC)
		odp_hca_count(dev, ODP_HCA_CNT_FAULTS_ATOMIC, 1);
	else if (pf->access & ODP_HCA_FAULT_WRITE)
		odp_hca_count(dev, ODP_HCA_CNT_FAULTS_WRITE, 1);
	else
		odp_hca_count(dev, ODP_HCA_CNT_FAULTS_READ, 1);

	if (pf == &local) {
		/* fault_wq=0, or no memory for a work item */
		odp_hca_pf_handle(dev, pf);
		return;
	}
	INIT_WORK(&pf->work, odp_hca_pf_work_fn);
	queue_work(dev->wq, &pf->work);
}

/* ------------------------------------------------------------------ */
/* Prefetch */

struct odp_hca_prefetch_work {
	struct work_struct work;
	bool fault;
	bool write;
	u32 num_sge;
	struct {
		struct odp_hca_mr *mr;
		u64 addr;
		u64 length;
	} frags[] __counted_by(num_sge);
};

/*
 * One SGE of a prefetch.  A synchronous one (FLUSH) tries a range that
 * stays busy again, a bounded number of times: its caller has no fault
 * to fall back on.
 */
static int odp_hca_prefetch_one(struct odp_hca_mr *mr, u64 addr, u64 length,
				bool fault, bool write, bool sync)
{
	int ret, tries = 0;

	do {
		ret = odp_hca_odp_resolve(mr, addr, length, fault, write);
	} while (ret == -EBUSY && sync && ++tries < ODP_HCA_ODP_BUSY_TRIES);
	if (ret > 0) {
		odp_hca_count(mr->dev, ODP_HCA_CNT_PREFETCH_PAGES, ret);
		atomic64_add(ret, &mr->stat_prefetch);
	}
	return ret < 0 ? ret : 0;
}

static void odp_hca_prefetch_work_fn(struct work_struct *work)
{
	struct odp_hca_prefetch_work *w =
		container_of(work, struct odp_hca_prefetch_work, work);
	u32 i;

	for (i = 0; i < w->num_sge; i++) {
		odp_hca_prefetch_one(w->frags[i].mr, w->frags[i].addr,
				     w->frags[i].length, w->fault, w->write,
				     false);
		odp_hca_mr_put(w->frags[i].mr);
	}
	kfree(w);
}

/* The MR of a prefetch SGE: on-demand, of this PD, writable if asked. */
static struct odp_hca_mr *odp_hca_prefetch_mr(struct odp_hca_dev *dev,
					      struct ib_pd *pd,
					      const struct ib_sge *sge,
					      bool write)
{
	struct odp_hca_mr *mr = odp_hca_mr_get(dev, sge->lkey);

	if (!mr)
		return ERR_PTR(-ENOENT);
	if (!odp_hca_mr_is_odp(mr) || mr->ibmr.pd != pd) {
		odp_hca_mr_put(mr);
		return ERR_PTR(-EINVAL);
	}
	if (write && !mr->writable) {
		odp_hca_mr_put(mr);
		return ERR_PTR(-EPERM);
	}
	return mr;
}

int odp_hca_advise_mr(struct ib_pd *ibpd,
		      enum ib_uverbs_advise_mr_advice advice, u32 flags,
		      struct ib_sge *sg_list, u32 num_sge,
		      struct uverbs_attr_bundle *attrs)
{
	struct odp_hca_dev *dev = to_odev(ibpd->device);
	struct odp_hca_prefetch_work *w;
	bool fault, write;
	u32 i;
	int ret = 0;

	switch (advice) {
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH:
		fault = true;
		write = false;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		fault = true;
		write = true;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		fault = false;
		write = false;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EOPNOTSUPP;
	odp_hca_count(dev, ODP_HCA_CNT_PREFETCHES, 1);

	if (flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH) {
		for (i = 0; i < num_sge; i++) {
			struct odp_hca_mr *mr;

			mr = odp_hca_prefetch_mr(dev, ibpd, &sg_list[i], write);
			if (IS_ERR(mr))
				return PTR_ERR(mr);
			ret = odp_hca_prefetch_one(mr, sg_list[i].addr,
						   sg_list[i].length, fault,
						   write, true);
			odp_hca_mr_put(mr);
			if (ret)
				return ret;
		}
		return 0;
	}

	w = kzalloc(struct_size(w, frags, num_sge), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->fault = fault;
	w->write = write;
	for (i = 0; i < num_sge; i++) {
		struct odp_hca_mr *mr;

		mr = odp_hca_prefetch_mr(dev, ibpd, &sg_list[i], write);
		if (IS_ERR(mr)) {
			ret = PTR_ERR(mr);
			break;
		}
		w->num_sge = i + 1;
		w->frags[i].mr = mr;
		w->frags[i].addr = sg_list[i].addr;
		w->frags[i].length = sg_list[i].length;
	}
	if (ret) {
		for (i = 0; i < w->num_sge; i++)
			odp_hca_mr_put(w->frags[i].mr);
		kfree(w);
		return ret;
	}
	INIT_WORK(&w->work, odp_hca_prefetch_work_fn);
	queue_work(dev->wq, &w->work);
	return 0;
}
