/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odp_hca: what differs between the kernels the driver builds against
 * (Debian's 6.12 and the newest, 7.x), in one place.  Everything else in
 * the driver is written once, against these helpers.
 *
 *  - On-demand paging.  Up to 6.14 ib_umem_odp_map_dma_and_lock() maps
 *    every page it makes resident and leaves the DMA address, with the
 *    ODP_*_ALLOWED_BIT access bits, in odp->dma_list[], counting the pages
 *    in odp->npages.  From 6.15 (HMM DMA API) it only fills
 *    odp->map.pfn_list[] (HMM_PFN_VALID, HMM_PFN_WRITE); the driver maps
 *    each page itself with hmm_dma_map_pfn(), which remembers the mapping
 *    (HMM_PFN_DMA_MAPPED) so that ib_umem_odp_unmap_dma_pages() can undo
 *    it, and keeps odp->npages itself, as mlx5 does in populate_mtt().
 *    Either way the index is the umem page's (odp->page_shift units), as
 *    the core's unmap uses it.
 *  - ib_umem_get() became ib_umem_get_va() with the uverbs buffer
 *    descriptors of 7.x (the release between 6.12 and 7.2 that made the
 *    change matters to neither: keyed on 7.1).
 *  - reg_user_mr gained a DMA handle (TPH steering hints; 6.17).  The
 *    device has no steering tags: ODP_HCA_REG_USER_MR, the op the driver
 *    registers, refuses a handle and is odp_hca_reg_user_mr otherwise.
 */
#ifndef ODP_HCA_COMPAT_H
#define ODP_HCA_COMPAT_H

#include <linux/version.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_umem_odp.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#include <linux/hmm.h>
#include <linux/hmm-dma.h>

/* The access mask ib_umem_odp_map_dma_and_lock() takes. */
#define ODP_HCA_ODP_ACCESS_READ		0
#define ODP_HCA_ODP_ACCESS_WRITE	HMM_PFN_WRITE

/*
 * The DMA address of umem page @idx after ib_umem_odp_map_dma_and_lock()
 * (umem_mutex held): 0 in *dma when the page is not resident (a no-fault
 * map), whether the process may write it in *writable.  -EFAULT when the
 * page cannot be mapped for DMA.
 */
static inline int odp_hca_odp_page(struct ib_umem_odp *odp, size_t idx,
				   dma_addr_t *dma, bool *writable)
{
	struct ib_device *ibdev = odp->umem.ibdev;
	struct pci_p2pdma_map_state p2p = {};
	unsigned long pfn = odp->map.pfn_list[idx];
	dma_addr_t addr;

	lockdep_assert_held(&odp->umem_mutex);
	*dma = 0;
	*writable = false;
	if (!(pfn & HMM_PFN_VALID))
		return 0;
	addr = hmm_dma_map_pfn(ibdev->dma_device, &odp->map, idx, &p2p);
	if (ib_dma_mapping_error(ibdev, addr))
		return -EFAULT;
	/* First mapping of the page: ib_umem_odp_unmap_dma_pages() counts down. */
	if (!(pfn & HMM_PFN_DMA_MAPPED))
		odp->npages++;
	*dma = addr;
	*writable = pfn & HMM_PFN_WRITE;
	return 0;
}
#else
#define ODP_HCA_ODP_ACCESS_READ		ODP_READ_ALLOWED_BIT
#define ODP_HCA_ODP_ACCESS_WRITE	ODP_WRITE_ALLOWED_BIT

static inline int odp_hca_odp_page(struct ib_umem_odp *odp, size_t idx,
				   dma_addr_t *dma, bool *writable)
{
	dma_addr_t addr = odp->dma_list[idx];

	lockdep_assert_held(&odp->umem_mutex);
	*dma = addr & ODP_DMA_ADDR_MASK;
	*writable = addr & ODP_WRITE_ALLOWED_BIT;
	return 0;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 1, 0)
#define odp_hca_umem_get(dev, addr, size, access) \
	ib_umem_get_va(dev, addr, size, access)
#else
#define odp_hca_umem_get(dev, addr, size, access) \
	ib_umem_get(dev, addr, size, access)
#endif

/* odp_hca_mr.c */
struct ib_mr *odp_hca_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
				  u64 iova, int access, struct ib_udata *udata);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
static inline struct ib_mr *
odp_hca_reg_user_mr_dmah(struct ib_pd *ibpd, u64 start, u64 length, u64 iova,
			 int access, struct ib_dmah *dmah,
			 struct ib_udata *udata)
{
	if (dmah)
		return ERR_PTR(-EOPNOTSUPP);
	return odp_hca_reg_user_mr(ibpd, start, length, iova, access, udata);
}
#define ODP_HCA_REG_USER_MR	odp_hca_reg_user_mr_dmah
#else
#define ODP_HCA_REG_USER_MR	odp_hca_reg_user_mr
#endif

#endif /* ODP_HCA_COMPAT_H */
