// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: memory regions: translation tables, keys, pinned MRs and the
 * kernel's DMA MR.
 *
 * Every MR is translated by a radix table in DMA-coherent 4 KiB pages
 * (odp-hca-hw.h): 512 entries a page, 1 to 4 levels chosen by the number
 * of pages the MR spans, indexed by the page number within the MR.  A
 * software shadow keeps the CPU address of every table page.  Inner
 * pages are added under pt_lock (allocations: never inside the MMU
 * notifier) and stay until the MR goes; leaves are written under the
 * owning umem's umem_mutex for on-demand MRs, so a fault's fill and an
 * invalidation's zap never interleave.  Making an entry present needs no
 * command; making it absent needs INVALIDATE (odp_hca_odp.c).
 *
 * Fast-reg MRs (ib_alloc_mr) are created free and translated by one
 * table page per registration, filled by map_mr_sg and handed to the
 * device by an IB_WR_REG_MR work request (odp_hca_kverbs.c).
 *
 * The DMA MR (get_dma_mr, for kernel consumers' local_dma_lkey) is the
 * device's untranslated kind: the address in a kernel SGE is already a
 * DMA address, so it has no table and never faults (a UD datagram that
 * met a missing page of ib_mad's receive buffers would be lost).
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/dma-mapping.h>
#include <rdma/iter.h>
#include <rdma/restrack.h>

#include "odp_hca.h"

#define ODP_HCA_PT_MASK (ODP_HCA_PT_ENTRIES - 1)

u8 odp_hca_pt_levels(u64 npages)
{
	u8 levels = 1;

	while (levels < ODP_HCA_PT_MAX_LEVELS &&
	       npages > 1ULL << (ODP_HCA_PT_LEVEL_BITS * levels))
		levels++;
	return levels;
}

static struct odp_hca_pt_node *odp_hca_pt_node_alloc(struct odp_hca_mr *mr,
						     bool inner)
{
	struct odp_hca_pt_node *node;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return NULL;
	node->va = dma_pool_zalloc(mr->dev->pt_pool, GFP_KERNEL, &node->dma);
	if (!node->va)
		goto err;
	if (inner) {
		node->child = kcalloc(ODP_HCA_PT_ENTRIES, sizeof(*node->child),
				      GFP_KERNEL);
		if (!node->child)
			goto err_page;
	}
	return node;

err_page:
	dma_pool_free(mr->dev->pt_pool, node->va, node->dma);
err:
	kfree(node);
	return NULL;
}

static void odp_hca_pt_node_free(struct odp_hca_mr *mr,
				 struct odp_hca_pt_node *node, int level)
{
	int i;

	if (!node)
		return;
	if (level > 0 && node->child) {
		for (i = 0; i < ODP_HCA_PT_ENTRIES; i++)
			odp_hca_pt_node_free(mr, node->child[i], level - 1);
		kfree(node->child);
	}
	dma_pool_free(mr->dev->pt_pool, node->va, node->dma);
	kfree(node);
}

int odp_hca_pt_alloc_root(struct odp_hca_mr *mr)
{
	mr->root = odp_hca_pt_node_alloc(mr, mr->levels > 1);
	return mr->root ? 0 : -ENOMEM;
}

/* Only once the device no longer walks the table. */
void odp_hca_pt_free(struct odp_hca_mr *mr)
{
	odp_hca_pt_node_free(mr, mr->root, mr->levels - 1);
	mr->root = NULL;
}

/* Inner pages under @node (at @level) for leaves first..last of it. */
static int odp_hca_pt_ensure_node(struct odp_hca_mr *mr,
				  struct odp_hca_pt_node *node, int level,
				  u64 first, u64 last)
{
	unsigned int shift = ODP_HCA_PT_LEVEL_BITS * level;
	u64 span = (1ULL << shift) - 1;
	u64 i;
	int ret;

	if (level == 0)
		return 0;
	for (i = first >> shift; i <= last >> shift; i++) {
		struct odp_hca_pt_node *child = node->child[i];

		if (!child) {
			child = odp_hca_pt_node_alloc(mr, level > 1);
			if (!child)
				return -ENOMEM;
			/* Walkers of the shadow see an initialised node. */
			smp_store_release(&node->child[i], child);
			/* The device sees the zeroed page before the entry. */
			dma_wmb();
			WRITE_ONCE(node->va[i], cpu_to_le64(child->dma |
							    ODP_HCA_PTE_PRESENT));
		}
		ret = odp_hca_pt_ensure_node(mr, child, level - 1,
					     i == first >> shift ? first & span : 0,
					     i == last >> shift ? last & span : span);
		if (ret)
			return ret;
	}
	return 0;
}

/* Make the tables hold leaves first..last (table indices). */
int odp_hca_pt_ensure(struct odp_hca_mr *mr, u64 first, u64 last)
{
	int ret;

	if (first > last || last >= mr->npages)
		return -EINVAL;
	mutex_lock(&mr->pt_lock);
	ret = odp_hca_pt_ensure_node(mr, mr->root, mr->levels - 1, first, last);
	mutex_unlock(&mr->pt_lock);
	return ret;
}

static struct odp_hca_pt_node *odp_hca_pt_leaf(struct odp_hca_mr *mr, u64 n)
{
	struct odp_hca_pt_node *node = mr->root;
	unsigned int slot;
	int level;

	for (level = mr->levels - 1; level > 0 && node; level--) {
		slot = (n >> (ODP_HCA_PT_LEVEL_BITS * level)) & ODP_HCA_PT_MASK;
		/* Pairs with the release in odp_hca_pt_ensure_node(). */
		node = smp_load_acquire(&node->child[slot]);
	}
	return node;
}

/* Write leaf @n; its table page exists (odp_hca_pt_ensure()). */
void odp_hca_pt_set(struct odp_hca_mr *mr, u64 n, u64 pte)
{
	struct odp_hca_pt_node *leaf;

	if (WARN_ON_ONCE(n >= mr->npages))
		return;
	leaf = odp_hca_pt_leaf(mr, n);
	if (WARN_ON_ONCE(!leaf))
		return;
	WRITE_ONCE(leaf->va[n & ODP_HCA_PT_MASK], cpu_to_le64(pte));
}

/* Clear the present leaves among first..first+count-1; how many were. */
u64 odp_hca_pt_zap(struct odp_hca_mr *mr, u64 first, u64 count)
{
	u64 n = first, end, zapped = 0;

	if (first >= mr->npages)
		return 0;
	end = min(first + count, mr->npages);
	while (n < end) {
		struct odp_hca_pt_node *leaf = odp_hca_pt_leaf(mr, n);
		u64 stop = min((n | ODP_HCA_PT_MASK) + 1, end);

		if (leaf) {
			for (; n < stop; n++) {
				__le64 *e = &leaf->va[n & ODP_HCA_PT_MASK];

				if (le64_to_cpu(READ_ONCE(*e)) &
				    ODP_HCA_PTE_PRESENT) {
					WRITE_ONCE(*e, 0);
					zapped++;
				}
			}
		}
		n = stop;
	}
	return zapped;
}

/* ------------------------------------------------------------------ */
/* Keys and lookups */

struct odp_hca_mr *odp_hca_mr_alloc(struct odp_hca_dev *dev, int access)
{
	struct odp_hca_mr *mr;
	u32 variant;
	int ret;

	mr = kzalloc(sizeof(*mr), GFP_KERNEL);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->dev = dev;
	mr->access = access;
	mutex_init(&mr->pt_lock);
	mutex_init(&mr->child_lock);
	mutex_init(&mr->map_lock);
	xa_init(&mr->children);
	refcount_set(&mr->users, 1);
	init_completion(&mr->released);

	/* A reserved slot: lookups find nothing until the MR is live. */
	ret = xa_alloc_cyclic(&dev->mrs, &mr->index, NULL,
			      XA_LIMIT(0, dev->caps.max_mrs - 1),
			      &dev->mr_next, GFP_KERNEL);
	if (ret < 0) {
		kfree(mr);
		return ERR_PTR(ret == -EBUSY ? -ENOMEM : ret);
	}
	/* The variant keeps a stale key from matching this slot's next MR. */
	variant = (u32)atomic_inc_return(&dev->key_variant);
	mr->key = odp_hca_key_make(mr->index, variant);
	mr->ibmr.lkey = mr->key;
	mr->ibmr.rkey = mr->key;
	return mr;
}

/* Gives the key index back; the MR must be gone from the device. */
void odp_hca_mr_free_key(struct odp_hca_mr *mr)
{
	xa_erase(&mr->dev->mrs, mr->index);
	kfree(mr);
}

/* The live MR of @key with a reference, or NULL. */
struct odp_hca_mr *odp_hca_mr_get(struct odp_hca_dev *dev, u32 key)
{
	struct odp_hca_mr *mr;

	if (ODP_HCA_KEY_INDEX(key) >= dev->caps.max_mrs)
		return NULL;
	xa_lock(&dev->mrs);
	mr = xa_load(&dev->mrs, ODP_HCA_KEY_INDEX(key));
	if (mr && (mr->key != key || !refcount_inc_not_zero(&mr->users)))
		mr = NULL;
	xa_unlock(&dev->mrs);
	return mr;
}

void odp_hca_mr_put(struct odp_hca_mr *mr)
{
	if (refcount_dec_and_test(&mr->users))
		complete(&mr->released);
}

int odp_hca_mr_create_hw(struct odp_hca_dev *dev, struct odp_hca_mr *mr,
			 u32 pdn, u8 flags)
{
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_MR };
	struct odp_hca_cmd_create_mr *c = &cmd.create_mr;
	int ret;

	c->iova = odp_le64(flags & ODP_HCA_MR_F_IMPLICIT ? 0 : mr->iova);
	c->length = odp_le64(mr->length);
	/* Fast-reg and DMA MRs have no table (a REG_MR names a fast-reg's). */
	c->table = odp_le64(mr->root ? mr->root->dma : 0);
	c->pdn = odp_le32(pdn);
	c->access = odp_le32(mr->access & ODP_HCA_ACCESS_MASK);
	c->key = odp_le32(mr->key);
	c->levels = mr->levels;
	c->flags = flags;
	ret = odp_hca_cmd_exec(dev, &cmd);
	if (ret)
		return ret;
	/* Live: faults and prefetches may find it from now on. */
	xa_store(&dev->mrs, mr->index, mr, GFP_KERNEL);
	return 0;
}

/*
 * Take the MR out of the device: no lookup finds it, the device forgets
 * the key and has no access to its pages in flight, no fault work holds
 * it.  Then its pages and tables can go.
 */
static int odp_hca_mr_destroy_hw(struct odp_hca_mr *mr)
{
	struct odp_hca_dev *dev = mr->dev;
	int ret;

	/* Storing NULL keeps the index reserved until the device let go. */
	xa_store(&dev->mrs, mr->index, NULL, GFP_KERNEL);
	ret = odp_hca_cmd_destroy(dev, ODP_HCA_CMD_DESTROY_MR, mr->key);
	if (!ret) {
		/*
		 * The contract does not say DESTROY_MR waits for DMA in
		 * flight; INVALIDATE does.
		 */
		odp_hca_cmd_invalidate(dev, mr->key, 0, U64_MAX, 0);
	}
	odp_hca_mr_put(mr);
	wait_for_completion(&mr->released);
	if (ret)
		dev_warn(&dev->pdev->dev, "destroying MR 0x%x failed: %d\n",
			 mr->key, ret);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Pinned MRs */

static struct ib_mr *odp_hca_reg_pinned_mr(struct odp_hca_pd *pd, u64 start,
					   u64 length, u64 iova, int access)
{
	struct odp_hca_dev *dev = to_odev(pd->ibpd.device);
	struct ib_block_iter biter;
	struct odp_hca_mr *mr;
	struct ib_umem *umem;
	u64 pte_flags, n = 0;
	int ret;

	mr = odp_hca_mr_alloc(dev, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->kind = ODP_HCA_MR_PINNED;
	umem = odp_hca_umem_get(&dev->ibdev, start, length, access);
	if (IS_ERR(umem)) {
		ret = PTR_ERR(umem);
		goto err_key;
	}
	mr->umem = umem;
	/* 4 KiB pages with the same offset in the page on both sides. */
	if (!ib_umem_find_best_pgsz(umem, ODP_HCA_PAGE_SIZE, iova)) {
		ret = -EINVAL;
		goto err_umem;
	}
	mr->iova = iova;
	mr->va = start;
	mr->length = length;
	mr->first_page = iova >> ODP_HCA_PAGE_SHIFT;
	mr->npages = ib_umem_num_dma_blocks(umem, ODP_HCA_PAGE_SIZE);
	mr->levels = odp_hca_pt_levels(mr->npages);
	mr->writable = ib_access_writable(access);
	if (mr->npages > 1ULL << (ODP_HCA_PT_LEVEL_BITS * ODP_HCA_PT_MAX_LEVELS)) {
		ret = -EINVAL;
		goto err_umem;
	}

	ret = odp_hca_pt_alloc_root(mr);
	if (ret)
		goto err_umem;
	ret = odp_hca_pt_ensure(mr, 0, mr->npages - 1);
	if (ret)
		goto err_pt;
	pte_flags = ODP_HCA_PTE_PRESENT |
		    (mr->writable ? ODP_HCA_PTE_WRITABLE : 0);
	rdma_umem_for_each_dma_block(umem, &biter, ODP_HCA_PAGE_SIZE)
		odp_hca_pt_set(mr, n++, rdma_block_iter_dma_address(&biter) |
				pte_flags);

	ret = odp_hca_mr_create_hw(dev, mr, pd->pdn, 0);
	if (ret)
		goto err_pt;
	return &mr->ibmr;

err_pt:
	odp_hca_pt_free(mr);
err_umem:
	ib_umem_release(umem);
err_key:
	odp_hca_mr_free_key(mr);
	return ERR_PTR(ret);
}

struct ib_mr *odp_hca_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				  u64 iova, int access, struct ib_udata *udata)
{
	struct odp_hca_pd *pd = to_opd(ibpd);

	if (access & ~(IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE |
		       IB_ACCESS_REMOTE_READ | IB_ACCESS_REMOTE_ATOMIC |
		       IB_ACCESS_ON_DEMAND | IB_ACCESS_HUGETLB |
		       IB_ACCESS_RELAXED_ORDERING))
		return ERR_PTR(-EOPNOTSUPP);
	if (!length)
		return ERR_PTR(-EINVAL);
	if (access & IB_ACCESS_ON_DEMAND)
		return odp_hca_reg_odp_mr(pd, start, length, iova, access);
	if ((start ^ iova) & (ODP_HCA_PAGE_SIZE - 1))
		return ERR_PTR(-EINVAL);
	return odp_hca_reg_pinned_mr(pd, start, length, iova, access);
}

/* ------------------------------------------------------------------ */
/* The kernel's DMA MR */

struct ib_mr *odp_hca_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct odp_hca_dev *dev = to_odev(ibpd->device);
	struct odp_hca_mr *mr;
	int ret;

	mr = odp_hca_mr_alloc(dev, access);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->kind = ODP_HCA_MR_DMA;
	mr->iova = 0;
	mr->length = 1ULL << ODP_HCA_IMR_VA_BITS;
	mr->writable = true;
	ret = odp_hca_mr_create_hw(dev, mr, to_opd(ibpd)->pdn,
				   ODP_HCA_MR_F_PHYSICAL);
	if (ret) {
		odp_hca_mr_free_key(mr);
		return ERR_PTR(ret);
	}
	return &mr->ibmr;
}

/* ------------------------------------------------------------------ */
/* Fast-reg MRs */

static void odp_hca_frmr_free_tables(struct odp_hca_mr *mr)
{
	int i;

	for (i = 0; i < 2; i++)
		if (mr->frmr.va[i])
			dma_pool_free(mr->dev->pt_pool, mr->frmr.va[i],
				      mr->frmr.dma[i]);
}

struct ib_mr *odp_hca_alloc_mr(struct ib_pd *ibpd, enum ib_mr_type type,
			       u32 max_num_sg)
{
	struct odp_hca_dev *dev = to_odev(ibpd->device);
	struct odp_hca_mr *mr;
	int i, ret;

	/* One table page a registration: 512 pages of 4 KiB. */
	if (type != IB_MR_TYPE_MEM_REG ||
	    max_num_sg > dev->caps.max_fast_reg_pages)
		return ERR_PTR(-EINVAL);
	mr = odp_hca_mr_alloc(dev, 0);
	if (IS_ERR(mr))
		return ERR_CAST(mr);
	mr->kind = ODP_HCA_MR_FAST_REG;
	mr->levels = 1;
	mr->frmr.max_pages = max_num_sg;
	for (i = 0; i < 2; i++) {
		mr->frmr.va[i] = dma_pool_zalloc(dev->pt_pool, GFP_KERNEL,
						 &mr->frmr.dma[i]);
		if (!mr->frmr.va[i]) {
			ret = -ENOMEM;
			goto err;
		}
	}
	ret = odp_hca_mr_create_hw(dev, mr, to_opd(ibpd)->pdn,
				   ODP_HCA_MR_F_FAST_REG);
	if (ret)
		goto err;
	return &mr->ibmr;

err:
	odp_hca_frmr_free_tables(mr);
	odp_hca_mr_free_key(mr);
	return ERR_PTR(ret);
}

static int odp_hca_frmr_set_page(struct ib_mr *ibmr, u64 addr)
{
	struct odp_hca_mr *mr = to_omr(ibmr);
	struct odp_hca_frmr *f = &mr->frmr;

	if (f->npages >= f->max_pages)
		return -ENOMEM;
	/* Writable until the REG_MR's access says otherwise. */
	f->va[f->cur][f->npages++] = cpu_to_le64(addr | ODP_HCA_PTE_PRESENT |
						 ODP_HCA_PTE_WRITABLE);
	return 0;
}

int odp_hca_map_mr_sg(struct ib_mr *ibmr, struct scatterlist *sg,
		      int sg_nents, unsigned int *sg_offset)
{
	struct odp_hca_mr *mr = to_omr(ibmr);

	/* The table's granule is the device's page; no larger blocks. */
	if (ibmr->page_size != ODP_HCA_PAGE_SIZE)
		return -EINVAL;
	/* Not the table the registration still live may be using. */
	mr->frmr.cur ^= 1;
	mr->frmr.npages = 0;
	return ib_sg_to_pages(ibmr, sg, sg_nents, sg_offset,
			      odp_hca_frmr_set_page);
}

/*
 * Posting a REG_MR with @access: the leaves the device may write follow
 * it, so a read-only registration cannot be written even by a device
 * that got the MR's access flags wrong.
 */
void odp_hca_frmr_set_access(struct odp_hca_mr *mr, int access)
{
	struct odp_hca_frmr *f = &mr->frmr;
	__le64 wr = cpu_to_le64(ODP_HCA_PTE_WRITABLE);
	unsigned int i;

	if (ib_access_writable(access))
		return;
	for (i = 0; i < f->npages; i++)
		f->va[f->cur][i] &= ~wr;
}

int odp_hca_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct odp_hca_mr *mr = to_omr(ibmr);

	if (odp_hca_mr_destroy_hw(mr)) {
		/* The device may still walk the table: leak it and the pages. */
		return 0;
	}
	switch (mr->kind) {
	case ODP_HCA_MR_PINNED:
		ib_umem_release(mr->umem);
		break;
	case ODP_HCA_MR_ODP:
	case ODP_HCA_MR_IMPLICIT:
		odp_hca_odp_mr_release(mr);
		break;
	case ODP_HCA_MR_DMA:
		break;
	case ODP_HCA_MR_FAST_REG:
		odp_hca_frmr_free_tables(mr);
		break;
	}
	odp_hca_pt_free(mr);
	odp_hca_mr_free_key(mr);
	return 0;
}

int odp_hca_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct odp_hca_mr *mr = to_omr(ibmr);
	struct nlattr *table;

	if (!odp_hca_mr_is_odp(mr))
		return 0;
	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table)
		return -EMSGSIZE;
	if (rdma_nl_stat_hwcounter_entry(msg, "page_faults",
					 atomic64_read(&mr->stat_faults)) ||
	    rdma_nl_stat_hwcounter_entry(msg, "page_invalidations",
					 atomic64_read(&mr->stat_invalidations)) ||
	    rdma_nl_stat_hwcounter_entry(msg, "page_prefetch",
					 atomic64_read(&mr->stat_prefetch))) {
		nla_nest_cancel(msg, table);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, table);
	return 0;
}
