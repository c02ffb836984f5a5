// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: verbs objects: device and port queries, user contexts and
 * their doorbell page, PDs, CQs, QPs, SRQs and address handles.
 *
 * Queues of user objects live in user memory (include/odp-hca-abi.h):
 * the provider allocates page-aligned rings, we pin them and hand their
 * page lists to the device.  Kernel objects get DMA-coherent rings
 * (odp_hca_kverbs.c).
 *
 * The port is RoCE v1 and v2 with the MAD and CM capabilities: ib_mad
 * opens the GSI QP (QP 1, IB_QPT_GSI: the device's GSI type, a UD QP
 * whose number is always 1) and ib_cm sends and receives its MADs on it,
 * so rdma_cm connects over the port.  There is no QP0 (no SMI on RoCE).
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include <linux/etherdevice.h>
#include <rdma/ib_addr.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>
#include <rdma/uverbs_ioctl.h>

#include "odp_hca.h"

#define ODP_HCA_GID_TBL_LEN	128

static struct odp_hca_ucontext *odp_hca_uctx(struct ib_udata *udata)
{
	return rdma_udata_to_drv_context(udata, struct odp_hca_ucontext,
					 ibucontext);
}

static int odp_hca_udata_in(struct ib_udata *udata, void *cmd, size_t len)
{
	if (udata->inlen < len)
		return -EINVAL;
	return ib_copy_from_udata(cmd, udata, len);
}

static int odp_hca_udata_out(struct ib_udata *udata, void *resp, size_t len)
{
	return ib_copy_to_udata(udata, resp, min(udata->outlen, len));
}

/*
 * A destroy command that fails leaves the object alive in the device,
 * which may still write its rings: the caller then leaks their memory
 * rather than freeing it under the device.  Only a dead device or a
 * driver bug gets here.
 */
static int odp_hca_destroy_hw(struct odp_hca_dev *dev, u8 opcode, u32 handle,
			      const char *what)
{
	int ret = odp_hca_cmd_destroy(dev, opcode, handle);

	if (ret)
		dev_warn(&dev->pdev->dev, "destroying %s %u failed: %d%s\n",
			 what, handle, ret,
			 dev->cmd_dead ? " (device dead)" : "");
	return ret;
}

/* ------------------------------------------------------------------ */
/* Device and port */

int odp_hca_query_device(struct ib_device *ibdev, struct ib_device_attr *attr,
			 struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibdev);
	const struct odp_hca_caps *c = &dev->caps;

	memset(attr, 0, sizeof(*attr));
	attr->fw_ver = c->version;
	attr->sys_image_guid = ibdev->node_guid;
	attr->max_mr_size = 1ULL << ODP_HCA_IMR_VA_BITS;
	attr->page_size_cap = ODP_HCA_PAGE_SIZE;
	attr->vendor_id = ODP_HCA_PCI_VENDOR_ID;
	attr->vendor_part_id = ODP_HCA_PCI_DEVICE_ID;
	attr->hw_ver = dev->pdev->revision;
	attr->max_qp = c->max_qps - 2;
	attr->max_qp_wr = c->max_qp_wr;
	attr->device_cap_flags = IB_DEVICE_RC_RNR_NAK_GEN |
				 IB_DEVICE_PORT_ACTIVE_EVENT |
				 IB_DEVICE_SYS_IMAGE_GUID;
	if (c->flags & ODP_HCA_CAP_FAST_REG) {
		/*
		 * Fast registration and remote invalidation: what nvme-rdma,
		 * iSER and SMB Direct require.  No signature (PI) MRs.
		 */
		attr->device_cap_flags |= IB_DEVICE_MEM_MGT_EXTENSIONS;
		attr->max_fast_reg_page_list_len = c->max_fast_reg_pages;
		attr->max_pi_fast_reg_page_list_len = 0;
	}
	attr->max_send_sge = c->max_sge;
	attr->max_recv_sge = c->max_sge;
	attr->max_sge_rd = c->max_sge;
	attr->max_cq = c->max_cqs;
	attr->max_cqe = c->max_cqe;
	attr->max_mr = c->max_mrs;
	attr->max_pd = c->max_pds;
	attr->max_qp_rd_atom = c->max_rd_atomic;
	attr->max_qp_init_rd_atom = c->max_rd_atomic;
	attr->max_res_rd_atom = c->max_rd_atomic * attr->max_qp;
	attr->atomic_cap = c->flags & ODP_HCA_CAP_ATOMIC ? IB_ATOMIC_HCA :
							   IB_ATOMIC_NONE;
	attr->max_ah = INT_MAX;
	if (c->flags & ODP_HCA_CAP_SRQ) {
		attr->max_srq = c->max_srqs;
		attr->max_srq_wr = c->max_srq_wr;
		attr->max_srq_sge = c->max_sge;
	}
	attr->max_pkeys = 1;
	attr->local_ca_ack_delay = 16;

	if (c->flags & ODP_HCA_CAP_ODP) {
		struct ib_odp_caps *odp = &attr->odp_caps;

		attr->kernel_cap_flags |= IBK_ON_DEMAND_PAGING;
		odp->general_caps = IB_ODP_SUPPORT;
		if (c->flags & ODP_HCA_CAP_IMPLICIT_ODP)
			odp->general_caps |= IB_ODP_SUPPORT_IMPLICIT;
		odp->per_transport_caps.rc_odp_caps = IB_ODP_SUPPORT_SEND |
						       IB_ODP_SUPPORT_RECV |
						       IB_ODP_SUPPORT_WRITE |
						       IB_ODP_SUPPORT_READ |
						       IB_ODP_SUPPORT_SRQ_RECV;
		if (c->flags & ODP_HCA_CAP_ATOMIC)
			odp->per_transport_caps.rc_odp_caps |=
				IB_ODP_SUPPORT_ATOMIC;
		if (c->flags & ODP_HCA_CAP_UD)
			odp->per_transport_caps.ud_odp_caps =
				IB_ODP_SUPPORT_SEND | IB_ODP_SUPPORT_RECV;
	}
	return 0;
}

int odp_hca_query_port(struct ib_device *ibdev, u32 port,
		       struct ib_port_attr *attr)
{
	struct odp_hca_dev *dev = to_odev(ibdev);
	bool active = odp_hca_netdev_active(dev);
	enum ib_mtu mtu;

	if (port != 1)
		return -EINVAL;
	/* ib_query_port() hands us a zeroed structure. */
	attr->max_mtu = (enum ib_mtu)dev->caps.max_mtu;
	mtu = iboe_get_mtu(odp_hca_netdev_mtu(dev));
	attr->active_mtu = mtu ? min(mtu, attr->max_mtu) : IB_MTU_256;
	attr->gid_tbl_len = ODP_HCA_GID_TBL_LEN;
	attr->pkey_tbl_len = 1;
	attr->max_msg_sz = dev->caps.max_msg_size;
	/* ib_cm sets IB_PORT_CM_SUP itself; RoCE has no SM. */
	attr->port_cap_flags = IB_PORT_CM_SUP;
	attr->state = active ? IB_PORT_ACTIVE : IB_PORT_DOWN;
	attr->phys_state = active ? IB_PORT_PHYS_STATE_LINK_UP :
				    IB_PORT_PHYS_STATE_DISABLED;
	attr->max_vl_num = 1;
	/* Loopback moves bytes at memory speed; report a 100 Gb/s link. */
	attr->active_speed = IB_SPEED_EDR;
	attr->active_width = IB_WIDTH_4X;
	return 0;
}

int odp_hca_get_port_immutable(struct ib_device *ibdev, u32 port,
			       struct ib_port_immutable *immutable)
{
	struct ib_port_attr attr = {};
	int ret;

	ret = ib_query_port(ibdev, port, &attr);
	if (ret)
		return ret;
	immutable->pkey_tbl_len = attr.pkey_tbl_len;
	immutable->gid_tbl_len = attr.gid_tbl_len;
	/* RoCE v1 and v2 GIDs, MADs and the CM: see the top of this file. */
	immutable->core_cap_flags = RDMA_CORE_PORT_IBA_ROCE |
				    RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP;
	immutable->max_mad_size = IB_MGMT_MAD_SIZE;
	return 0;
}

enum rdma_link_layer odp_hca_get_link_layer(struct ib_device *ibdev, u32 port)
{
	return IB_LINK_LAYER_ETHERNET;
}

int odp_hca_query_gid(struct ib_device *ibdev, u32 port, int index,
		      union ib_gid *gid)
{
	/* RoCE GIDs live in the core's table, filled from the net_device. */
	return rdma_query_gid(ibdev, port, index, gid);
}

int odp_hca_query_pkey(struct ib_device *ibdev, u32 port, u16 index,
		       u16 *pkey)
{
	if (index > 0)
		return -EINVAL;
	*pkey = IB_DEFAULT_PKEY_FULL;
	return 0;
}

void odp_hca_get_fw_str(struct ib_device *ibdev, char *str)
{
	snprintf(str, IB_FW_VERSION_NAME_MAX, "%u.%u",
		 to_odev(ibdev)->caps.version, to_odev(ibdev)->pdev->revision);
}

/* ------------------------------------------------------------------ */
/* User contexts and their doorbell page */

int odp_hca_alloc_ucontext(struct ib_ucontext *ibctx, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibctx->device);
	struct odp_hca_ucontext *ctx = to_octx(ibctx);
	struct odp_hca_alloc_ucontext_resp resp = {};
	int uar, ret;

	/* UAR 0 is the kernel's; each context gets a page of its own. */
	if (dev->num_uars < 2)
		return -ENOMEM;
	uar = ida_alloc_range(&dev->uar_ida, 1, dev->num_uars - 1, GFP_KERNEL);
	if (uar < 0)
		return uar == -ENOSPC ? -ENOMEM : uar;
	ctx->uar = uar;

	resp.uar = uar;
	resp.max_inline = dev->caps.max_inline;
	resp.max_sge = dev->caps.max_sge;
	resp.max_qp_wr = dev->caps.max_qp_wr;
	resp.max_cqe = dev->caps.max_cqe;
	resp.page_size = ODP_HCA_PAGE_SIZE;
	ret = odp_hca_udata_out(udata, &resp, sizeof(resp));
	if (ret)
		ida_free(&dev->uar_ida, uar);
	return ret;
}

void odp_hca_dealloc_ucontext(struct ib_ucontext *ibctx)
{
	struct odp_hca_dev *dev = to_odev(ibctx->device);

	ida_free(&dev->uar_ida, to_octx(ibctx)->uar);
}

/* The core zaps the doorbell mapping itself (rdma_user_mmap_io). */
void odp_hca_disassociate_ucontext(struct ib_ucontext *ibctx)
{
}

int odp_hca_mmap(struct ib_ucontext *ibctx, struct vm_area_struct *vma)
{
	struct odp_hca_dev *dev = to_odev(ibctx->device);
	struct odp_hca_ucontext *ctx = to_octx(ibctx);
	unsigned long pfn;

	if (vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    vma->vm_pgoff != ODP_HCA_MMAP_DB)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vm_flags_clear(vma, VM_MAYEXEC);
	pfn = (dev->db_bar_start >> PAGE_SHIFT) + ctx->uar;
	return rdma_user_mmap_io(ibctx, vma, pfn, PAGE_SIZE,
				 pgprot_noncached(vma->vm_page_prot), NULL);
}

/* ------------------------------------------------------------------ */
/* Protection domains */

int odp_hca_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibpd->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_PD };
	struct odp_hca_pd *pd = to_opd(ibpd);
	int ret;

	ret = odp_hca_cmd_exec(dev, &cmd);
	if (ret)
		return ret;
	pd->pdn = odp_cpu32(cmd.create_pd.pdn);
	if (udata) {
		struct odp_hca_alloc_pd_resp resp = { .pdn = pd->pdn };

		ret = odp_hca_udata_out(udata, &resp, sizeof(resp));
		if (ret) {
			odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_PD, pd->pdn,
					   "PD");
			return ret;
		}
	}
	return 0;
}

int odp_hca_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	odp_hca_destroy_hw(to_odev(ibpd->device), ODP_HCA_CMD_DESTROY_PD,
			   to_opd(ibpd)->pdn, "PD");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Completion queues */

/* Pin a page-aligned user ring of @bytes; its page list for the device. */
static struct ib_umem *odp_hca_pin_ring(struct odp_hca_dev *dev, u64 addr,
					u64 bytes, struct odp_hca_plist *pl)
{
	u32 npages = DIV_ROUND_UP(bytes, ODP_HCA_PAGE_SIZE);
	struct ib_umem *umem;
	int ret;

	if (!addr || !PAGE_ALIGNED(addr) || !bytes || npages > U16_MAX)
		return ERR_PTR(-EINVAL);
	/*
	 * Writable even for rings the device only reads: a read-only pin of
	 * untouched anonymous memory could pin the shared zero page.
	 */
	umem = odp_hca_umem_get(&dev->ibdev, addr,
				(size_t)npages << ODP_HCA_PAGE_SHIFT,
				IB_ACCESS_LOCAL_WRITE);
	if (IS_ERR(umem))
		return umem;
	ret = odp_hca_plist_from_umem(dev, pl, umem, npages);
	if (ret) {
		ib_umem_release(umem);
		return ERR_PTR(ret);
	}
	return umem;
}

int odp_hca_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		      struct uverbs_attr_bundle *attrs)
{
	struct ib_udata *udata = attrs ? &attrs->driver_udata : NULL;
	struct odp_hca_dev *dev = to_odev(ibcq->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_CQ };
	struct odp_hca_cq *cq = to_ocq(ibcq);
	struct odp_hca_plist pl = {};
	u32 log_entries, uar = 0, flags = 0;
	int ret;

	if (attr->flags)
		return -EOPNOTSUPP;
	if (attr->cqe < 1 || attr->cqe > dev->caps.max_cqe)
		return -EINVAL;
	spin_lock_init(&cq->lock);
	cq->eq = odp_hca_comp_eq(dev, attr->comp_vector);

	if (udata) {
		struct odp_hca_create_cq ucmd;
		u64 rec_off;

		ret = odp_hca_udata_in(udata, &ucmd, sizeof(ucmd));
		if (ret)
			return ret;
		log_entries = ucmd.log_entries;
		if (log_entries > ODP_HCA_MAX_LOG_RING ||
		    (1U << log_entries) < attr->cqe ||
		    (1U << log_entries) > dev->caps.max_cqe)
			return -EINVAL;
		if (ucmd.flags & ~ODP_HCA_CREATE_CQ_CI_RECORD) {
			ibdev_dbg(&dev->ibdev, "CQ flags 0x%x unknown\n",
				  ucmd.flags);
			return -EOPNOTSUPP;
		}
		flags = ucmd.flags;
		rec_off = odp_hca_cq_ci_record_offset(log_entries);
		cq->umem = odp_hca_pin_ring(dev, ucmd.buf_addr, rec_off +
					    (flags & ODP_HCA_CREATE_CQ_CI_RECORD ?
					     sizeof(__le32) : 0), &pl);
		if (IS_ERR(cq->umem)) {
			ret = PTR_ERR(cq->umem);
			cq->umem = NULL;
			return ret;
		}
		if (flags & ODP_HCA_CREATE_CQ_CI_RECORD)
			cmd.create_cq.ci_record =
				odp_le64(odp_hca_plist_dma_at(&pl, rec_off));
		uar = odp_hca_uctx(udata)->uar;
	} else {
		log_entries = order_base_2(max_t(u32, attr->cqe, 2));
		ret = odp_hca_kcq_init(dev, cq, 1U << log_entries);
		if (ret)
			return ret;
		ret = odp_hca_plist_from_ring(dev, &pl, &cq->ring);
		if (ret)
			goto err_mem;
	}

	odp_hca_ring_desc(&cmd.create_cq.ring, &pl, log_entries,
			  ilog2(sizeof(struct odp_hca_cqe)));
	cmd.create_cq.eqn = odp_le32(cq->eq->eqn);
	cmd.create_cq.uar = odp_le32(uar);
	cq->uar = uar;
	ret = odp_hca_cmd_exec(dev, &cmd);
	odp_hca_plist_free(dev, &pl);
	if (ret)
		goto err_mem;
	cq->cqn = odp_cpu32(cmd.create_cq.cqn);
	ibcq->cqe = 1U << log_entries;
	if (cq->cqn > U16_MAX) {
		/* Doorbells carry 16-bit object numbers. */
		ret = -ENOMEM;
		goto err_hw;
	}
	ret = xa_insert(&dev->cqs, cq->cqn, cq, GFP_KERNEL);
	if (ret)
		goto err_hw;

	if (udata) {
		struct odp_hca_create_cq_resp resp = {
			.cqn = cq->cqn,
			.log_entries = log_entries,
			.flags = flags,
		};

		ret = odp_hca_udata_out(udata, &resp, sizeof(resp));
		if (ret)
			goto err_xa;
	}
	return 0;

err_xa:
	xa_erase(&dev->cqs, cq->cqn);
	odp_hca_sync_eq(dev, cq->eq);
	odp_hca_sync_async_events(dev);
err_hw:
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_CQ, cq->cqn, "CQ"))
		return ret;
err_mem:
	odp_hca_plist_free(dev, &pl);
	ib_umem_release(cq->umem);
	cq->umem = NULL;
	odp_hca_ring_free(dev, &cq->ring);
	return ret;
}

int odp_hca_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibcq->device);
	struct odp_hca_cq *cq = to_ocq(ibcq);

	xa_erase(&dev->cqs, cq->cqn);
	/* No handler still holds the CQ once these return. */
	odp_hca_sync_eq(dev, cq->eq);
	odp_hca_sync_async_events(dev);
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_CQ, cq->cqn, "CQ"))
		return 0;	/* leak the ring: the device may still write it */
	ib_umem_release(cq->umem);
	odp_hca_ring_free(dev, &cq->ring);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queue pairs */

struct odp_hca_qp_geom {
	u32 sq_log_entries;
	u32 sq_log_stride;
	u32 rq_log_entries;
	u32 rq_log_stride;
	u32 max_send_sge;
	u32 max_recv_sge;
	u32 max_inline;
};

/*
 * What an SQ stride and an RQ stride hold (the WQE stride geometry of
 * odp-hca-hw.h), bounded by the device: the QP gets at least what it
 * asked for, and what else fits.  A stride of the SQ's segments alone
 * holds no SGE and no inline data, which a QP asking for neither may
 * have, as the device allows.  Call with log strides of at most
 * ODP_HCA_MAX_LOG_STRIDE.
 */
static int odp_hca_qp_geom_fill(struct odp_hca_dev *dev, enum ib_qp_type type,
				struct ib_qp_cap *cap, bool srq,
				struct odp_hca_qp_geom *g)
{
	u32 sq_stride = 1U << g->sq_log_stride;
	u32 ud = type == IB_QPT_UD || type == IB_QPT_GSI;

	if (g->sq_log_entries > ODP_HCA_MAX_LOG_RING ||
	    (1U << g->sq_log_entries) > dev->caps.max_qp_wr ||
	    (1U << g->sq_log_entries) < cap->max_send_wr ||
	    sq_stride > ODP_HCA_MAX_WQE_STRIDE ||
	    sq_stride < odp_hca_sq_hdr_size(ud))
		return -EINVAL;
	g->max_send_sge = min3(dev->caps.max_sge,
			       odp_hca_sq_max_sge(g->sq_log_stride, ud), 255U);
	g->max_inline = min(dev->caps.max_inline,
			    odp_hca_sq_room(g->sq_log_stride, ud));
	if (g->max_send_sge < cap->max_send_sge ||
	    g->max_inline < cap->max_inline_data)
		return -EINVAL;

	if (srq) {
		g->rq_log_entries = 0;
		g->rq_log_stride = 0;
		g->max_recv_sge = 0;
		return 0;
	}
	if (g->rq_log_entries > ODP_HCA_MAX_LOG_RING ||
	    (1U << g->rq_log_entries) > dev->caps.max_qp_wr ||
	    (1U << g->rq_log_entries) < cap->max_recv_wr ||
	    (1U << g->rq_log_stride) > ODP_HCA_MAX_WQE_STRIDE ||
	    (1U << g->rq_log_stride) < odp_hca_rq_wqe_size(0))
		return -EINVAL;
	g->max_recv_sge = min3(dev->caps.max_sge,
			       odp_hca_rq_max_sge(g->rq_log_stride), 255U);
	if (g->max_recv_sge < cap->max_recv_sge)
		return -EINVAL;
	return 0;
}

static u8 odp_hca_hw_qp_type(enum ib_qp_type type)
{
	switch (type) {
	case IB_QPT_RC:
		return ODP_HCA_QPT_RC;
	case IB_QPT_UD:
		return ODP_HCA_QPT_UD;
	case IB_QPT_GSI:
		return ODP_HCA_QPT_GSI;
	default:
		return ODP_HCA_QPT_RAW_ETH;
	}
}

static int odp_hca_qp_check_cap(struct odp_hca_dev *dev,
				const struct ib_qp_init_attr *init)
{
	const struct ib_qp_cap *cap = &init->cap;

	if (cap->max_send_wr > dev->caps.max_qp_wr ||
	    cap->max_send_sge > dev->caps.max_sge ||
	    cap->max_inline_data > dev->caps.max_inline)
		return -EINVAL;
	if (!init->srq && (cap->max_recv_wr > dev->caps.max_qp_wr ||
			   cap->max_recv_sge > dev->caps.max_sge))
		return -EINVAL;
	return 0;
}

int odp_hca_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		      struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibqp->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_QP };
	struct odp_hca_qp *qp = to_oqp(ibqp);
	struct odp_hca_cmd_create_qp *c = &cmd.create_qp;
	struct odp_hca_plist sq_pl = {}, rq_pl = {};
	struct odp_hca_qp_geom g = {};
	u32 uar = 0;
	int ret;

	switch (init->qp_type) {
	case IB_QPT_RC:
		break;
	case IB_QPT_UD:
		if (!(dev->caps.flags & ODP_HCA_CAP_UD))
			return -EOPNOTSUPP;
		break;
	case IB_QPT_GSI:
		/* ib_mad's QP 1; the device has one and it is the kernel's. */
		if (udata || init->srq || !(dev->caps.flags & ODP_HCA_CAP_UD)) {
			ibdev_dbg(&dev->ibdev, "the GSI QP is ib_mad's\n");
			return -EOPNOTSUPP;
		}
		break;
	case IB_QPT_RAW_PACKET:
		/* The one RAW_ETH QP is the net_device's (odp_hca_netdev.c). */
		if (udata || init->srq) {
			ibdev_dbg(&dev->ibdev, "RAW_PACKET QPs are the kernel's\n");
			return -EOPNOTSUPP;
		}
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (init->create_flags || init->rwq_ind_tbl)
		return -EOPNOTSUPP;
	ret = odp_hca_qp_check_cap(dev, init);
	if (ret)
		return ret;

	qp->type = init->qp_type;
	qp->srq = init->srq ? to_osrq(init->srq) : NULL;
	qp->sq_sig_all = init->sq_sig_type == IB_SIGNAL_ALL_WR;
	mutex_init(&qp->state_lock);
	qp->state = IB_QPS_RESET;

	if (udata) {
		struct odp_hca_create_qp ucmd;

		ret = odp_hca_udata_in(udata, &ucmd, sizeof(ucmd));
		if (ret)
			return ret;
		if (ucmd.sq_log_stride > ODP_HCA_MAX_LOG_STRIDE ||
		    ucmd.rq_log_stride > ODP_HCA_MAX_LOG_STRIDE)
			return -EINVAL;
		g.sq_log_entries = ucmd.sq_log_entries;
		g.sq_log_stride = ucmd.sq_log_stride;
		g.rq_log_entries = ucmd.rq_log_entries;
		g.rq_log_stride = ucmd.rq_log_stride;
		ret = odp_hca_qp_geom_fill(dev, qp->type, &init->cap, qp->srq,
					   &g);
		if (ret)
			return ret;
		qp->sq_umem = odp_hca_pin_ring(dev, ucmd.sq_buf_addr,
					       (u64)1 << (g.sq_log_entries +
							  g.sq_log_stride),
					       &sq_pl);
		if (IS_ERR(qp->sq_umem)) {
			ret = PTR_ERR(qp->sq_umem);
			qp->sq_umem = NULL;
			return ret;
		}
		if (!qp->srq) {
			qp->rq_umem = odp_hca_pin_ring(dev, ucmd.rq_buf_addr,
						       (u64)1 <<
						       (g.rq_log_entries +
							g.rq_log_stride),
						       &rq_pl);
			if (IS_ERR(qp->rq_umem)) {
				ret = PTR_ERR(qp->rq_umem);
				qp->rq_umem = NULL;
				goto err_mem;
			}
		}
		uar = odp_hca_uctx(udata)->uar;
	} else {
		qp->kernel = true;
		g.sq_log_entries = order_base_2(max_t(u32,
						      init->cap.max_send_wr, 1));
		g.sq_log_stride = odp_hca_log_stride(
			odp_hca_sq_wqe_size(qp->type == IB_QPT_UD ||
					    qp->type == IB_QPT_GSI,
					    init->cap.max_send_sge,
					    init->cap.max_inline_data));
		g.rq_log_entries = order_base_2(max_t(u32,
						      init->cap.max_recv_wr, 1));
		g.rq_log_stride = odp_hca_log_stride(
			odp_hca_rq_wqe_size(init->cap.max_recv_sge));
		ret = odp_hca_qp_geom_fill(dev, qp->type, &init->cap, qp->srq,
					   &g);
		if (ret)
			return ret;
		ret = odp_hca_kqp_init(dev, qp, g.sq_log_entries,
				       g.sq_log_stride, g.max_send_sge,
				       qp->srq ? 0 : g.rq_log_entries,
				       g.rq_log_stride, g.max_recv_sge,
				       &sq_pl, qp->srq ? NULL : &rq_pl);
		if (ret)
			goto err_mem;
	}
	qp->max_inline = g.max_inline;

	odp_hca_ring_desc(&c->sq, &sq_pl, g.sq_log_entries, g.sq_log_stride);
	if (!qp->srq)
		odp_hca_ring_desc(&c->rq, &rq_pl, g.rq_log_entries,
				  g.rq_log_stride);
	c->pdn = odp_le32(to_opd(ibqp->pd)->pdn);
	c->send_cqn = odp_le32(to_ocq(init->send_cq)->cqn);
	c->recv_cqn = odp_le32(to_ocq(init->recv_cq)->cqn);
	c->srqn = odp_le32(qp->srq ? qp->srq->srqn : ODP_HCA_NO_SRQ);
	c->uar = odp_le32(uar);
	c->type = odp_hca_hw_qp_type(qp->type);
	c->sq_sig_all = qp->sq_sig_all;
	c->max_send_sge = g.max_send_sge;
	c->max_recv_sge = g.max_recv_sge;
	c->max_inline = odp_le16(g.max_inline);
	ret = odp_hca_cmd_exec(dev, &cmd);
	odp_hca_plist_free(dev, &sq_pl);
	odp_hca_plist_free(dev, &rq_pl);
	if (ret)
		goto err_mem;
	qp->qpn = odp_cpu32(c->qpn);
	ibqp->qp_num = qp->qpn;
	if ((qp->type == IB_QPT_GSI) != (qp->qpn == ODP_HCA_GSI_QPN) ||
	    qp->qpn < ODP_HCA_GSI_QPN || qp->qpn > U16_MAX) {
		ret = -ENOMEM;
		goto err_hw;
	}

	init->cap.max_send_wr = 1U << g.sq_log_entries;
	init->cap.max_send_sge = g.max_send_sge;
	init->cap.max_inline_data = g.max_inline;
	if (!qp->srq) {
		init->cap.max_recv_wr = 1U << g.rq_log_entries;
		init->cap.max_recv_sge = g.max_recv_sge;
	} else {
		init->cap.max_recv_wr = 0;
		init->cap.max_recv_sge = 0;
	}
	qp->cap = init->cap;

	ret = xa_insert(&dev->qps, qp->qpn, qp, GFP_KERNEL);
	if (ret)
		goto err_hw;
	if (udata) {
		struct odp_hca_create_qp_resp resp = {
			.qpn = qp->qpn,
			.max_inline = g.max_inline,
		};

		ret = odp_hca_udata_out(udata, &resp, sizeof(resp));
		if (ret)
			goto err_xa;
	}
	return 0;

err_xa:
	xa_erase(&dev->qps, qp->qpn);
	odp_hca_sync_async_events(dev);
	synchronize_rcu();
err_hw:
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_QP, qp->qpn, "QP"))
		return ret;
err_mem:
	odp_hca_plist_free(dev, &sq_pl);
	odp_hca_plist_free(dev, &rq_pl);
	ib_umem_release(qp->sq_umem);
	ib_umem_release(qp->rq_umem);
	qp->sq_umem = NULL;
	qp->rq_umem = NULL;
	odp_hca_kqp_fini(dev, qp);
	return ret;
}

#define ODP_HCA_QP_MASK_HW (IB_QP_STATE | IB_QP_CUR_STATE |		\
			    IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX |	\
			    IB_QP_PORT | IB_QP_QKEY | IB_QP_AV |	\
			    IB_QP_PATH_MTU | IB_QP_TIMEOUT |		\
			    IB_QP_RETRY_CNT | IB_QP_RNR_RETRY |		\
			    IB_QP_RQ_PSN | IB_QP_MAX_QP_RD_ATOMIC |	\
			    IB_QP_MIN_RNR_TIMER | IB_QP_SQ_PSN |	\
			    IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_DEST_QPN)
/* Accepted, with nothing for the device to do. */
#define ODP_HCA_QP_MASK_SW (IB_QP_EN_SQD_ASYNC_NOTIFY | IB_QP_PATH_MIG_STATE)

static int odp_hca_qp_set_av(struct odp_hca_qp *qp,
			     const struct rdma_ah_attr *ah,
			     struct odp_hca_cmd_modify_qp *m)
{
	const struct ib_global_route *grh;

	if (ah->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(ah) & IB_AH_GRH))
		return -EINVAL;
	if (rdma_ah_get_port_num(ah) != 1)
		return -EINVAL;
	grh = rdma_ah_read_grh(ah);
	if (!grh->sgid_attr) {
		ibdev_dbg(qp->ibqp.device, "QP %u: AV without a source GID\n",
			  qp->qpn);
		return -EINVAL;
	}
	memcpy(m->dmac, ah->roce.dmac, ETH_ALEN);
	memcpy(m->sgid, grh->sgid_attr->gid.raw, sizeof(m->sgid));
	memcpy(m->dgid, grh->dgid.raw, sizeof(m->dgid));
	m->flow_label = odp_le32(grh->flow_label);
	m->hop_limit = grh->hop_limit;
	m->traffic_class = grh->traffic_class;
	/* the device keeps the path; these two it has no field for */
	qp->sgid_index = grh->sgid_index;
	qp->sl = rdma_ah_get_sl(ah);
	return 0;
}

int odp_hca_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr,
		      int mask, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibqp->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_MODIFY_QP };
	struct odp_hca_cmd_modify_qp *m = &cmd.modify_qp;
	struct odp_hca_qp *qp = to_oqp(ibqp);
	enum ib_qp_state cur, next;
	int ret;

	if (mask & ~(ODP_HCA_QP_MASK_HW | ODP_HCA_QP_MASK_SW))
		return -EOPNOTSUPP;
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EOPNOTSUPP;

	mutex_lock(&qp->state_lock);
	cur = mask & IB_QP_CUR_STATE ? attr->cur_qp_state : READ_ONCE(qp->state);
	next = mask & IB_QP_STATE ? attr->qp_state : cur;
	ret = -EINVAL;
	if (!ib_modify_qp_is_ok(cur, next, ibqp->qp_type, mask))
		goto out;
	if ((mask & IB_QP_PORT && attr->port_num != 1) ||
	    (mask & IB_QP_PKEY_INDEX && attr->pkey_index > 0) ||
	    (mask & IB_QP_PATH_MTU &&
	     (attr->path_mtu < IB_MTU_256 ||
	      attr->path_mtu > (enum ib_mtu)dev->caps.max_mtu)) ||
	    (mask & IB_QP_MAX_QP_RD_ATOMIC &&
	     attr->max_rd_atomic > dev->caps.max_rd_atomic) ||
	    (mask & IB_QP_MAX_DEST_RD_ATOMIC &&
	     attr->max_dest_rd_atomic > dev->caps.max_rd_atomic) ||
	    (mask & IB_QP_DEST_QPN &&
	     (attr->dest_qp_num < 2 || attr->dest_qp_num > ODP_HCA_QPN_MAX)) ||
	    (mask & IB_QP_TIMEOUT && attr->timeout > 31) ||
	    (mask & IB_QP_RETRY_CNT && attr->retry_cnt > 7) ||
	    (mask & IB_QP_RNR_RETRY && attr->rnr_retry > 7) ||
	    (mask & IB_QP_MIN_RNR_TIMER && attr->min_rnr_timer > 31))
		goto out;

	m->qpn = odp_le32(qp->qpn);
	m->attr_mask = odp_le32(mask & ODP_HCA_QP_MASK_HW);
	if (mask & IB_QP_AV) {
		ret = odp_hca_qp_set_av(qp, &attr->ah_attr, m);
		if (ret)
			goto out;
	}
	m->state = next;
	m->cur_state = cur;
	m->path_mtu = attr->path_mtu;
	m->timeout = attr->timeout;
	m->retry_cnt = attr->retry_cnt;
	m->rnr_retry = attr->rnr_retry;
	m->min_rnr_timer = attr->min_rnr_timer;
	m->max_rd_atomic = attr->max_rd_atomic;
	m->max_dest_rd_atomic = attr->max_dest_rd_atomic;
	m->port = mask & IB_QP_PORT ? attr->port_num : 1;
	m->pkey_index = odp_le16(attr->pkey_index);
	m->access_flags = odp_le32(attr->qp_access_flags &
				   ODP_HCA_ACCESS_MASK);
	m->qkey = odp_le32(attr->qkey);
	m->dest_qpn = odp_le32(attr->dest_qp_num);
	m->sq_psn = odp_le32(attr->sq_psn & ODP_HCA_PSN_MASK);
	m->rq_psn = odp_le32(attr->rq_psn & ODP_HCA_PSN_MASK);

	ret = odp_hca_cmd_exec(dev, &cmd);
	if (!ret && mask & IB_QP_STATE)
		WRITE_ONCE(qp->state, next);
out:
	mutex_unlock(&qp->state_lock);
	return ret;
}

int odp_hca_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		     struct ib_qp_init_attr *init)
{
	struct odp_hca_dev *dev = to_odev(ibqp->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_QUERY_QP };
	struct odp_hca_cmd_modify_qp *m = &cmd.modify_qp;
	struct odp_hca_qp *qp = to_oqp(ibqp);
	int ret;

	memset(attr, 0, sizeof(*attr));
	memset(init, 0, sizeof(*init));
	mutex_lock(&qp->state_lock);
	m->qpn = odp_le32(qp->qpn);
	ret = odp_hca_cmd_exec(dev, &cmd);
	if (ret)
		goto out;
	if (m->state > IB_QPS_ERR) {
		ret = -EIO;
		goto out;
	}
	WRITE_ONCE(qp->state, m->state);
	attr->qp_state = m->state;
	attr->cur_qp_state = m->state;
	attr->path_mtu = m->path_mtu;
	attr->path_mig_state = IB_MIG_MIGRATED;
	attr->qkey = odp_cpu32(m->qkey);
	attr->rq_psn = odp_cpu32(m->rq_psn);
	attr->sq_psn = odp_cpu32(m->sq_psn);
	attr->dest_qp_num = odp_cpu32(m->dest_qpn);
	attr->qp_access_flags = odp_cpu32(m->access_flags);
	attr->cap = qp->cap;
	attr->pkey_index = odp_cpu16(m->pkey_index);
	attr->sq_draining = m->state == IB_QPS_SQD;
	attr->max_rd_atomic = m->max_rd_atomic;
	attr->max_dest_rd_atomic = m->max_dest_rd_atomic;
	attr->min_rnr_timer = m->min_rnr_timer;
	attr->port_num = m->port ? m->port : 1;
	attr->timeout = m->timeout;
	attr->retry_cnt = m->retry_cnt;
	attr->rnr_retry = m->rnr_retry;
	if (qp->type == IB_QPT_RC) {
		union ib_gid dgid;

		memcpy(dgid.raw, m->dgid, sizeof(dgid.raw));
		attr->ah_attr.type = RDMA_AH_ATTR_TYPE_ROCE;
		rdma_ah_set_port_num(&attr->ah_attr, 1);
		rdma_ah_set_sl(&attr->ah_attr, qp->sl);
		rdma_ah_set_grh(&attr->ah_attr, &dgid, odp_cpu32(m->flow_label),
				qp->sgid_index, m->hop_limit,
				m->traffic_class);
		memcpy(attr->ah_attr.roce.dmac, m->dmac, ETH_ALEN);
	}

	init->qp_type = qp->type;
	init->send_cq = ibqp->send_cq;
	init->recv_cq = ibqp->recv_cq;
	init->srq = ibqp->srq;
	init->cap = qp->cap;
	init->sq_sig_type = qp->sq_sig_all ? IB_SIGNAL_ALL_WR : IB_SIGNAL_REQ_WR;
out:
	mutex_unlock(&qp->state_lock);
	return ret;
}

int odp_hca_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibqp->device);
	struct odp_hca_qp *qp = to_oqp(ibqp);

	xa_erase(&dev->qps, qp->qpn);
	/* Event handlers and kernel pollers are done with it after these. */
	odp_hca_sync_async_events(dev);
	if (qp->kernel)
		synchronize_rcu();
	/*
	 * Pending faults of the QP become stale; a fault work still running
	 * for them gets BAD_TOKEN from its RESUME, which is harmless.
	 */
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_QP, qp->qpn, "QP"))
		return 0;	/* leak the rings: the device may still use them */
	ib_umem_release(qp->sq_umem);
	ib_umem_release(qp->rq_umem);
	odp_hca_kqp_fini(dev, qp);
	return 0;
}

void odp_hca_qp_event(struct odp_hca_dev *dev, u32 qpn,
		      enum ib_event_type type)
{
	struct odp_hca_qp *qp = xa_load(&dev->qps, qpn);
	struct ib_event ev = {};

	if (!qp) {
		odp_hca_count(dev, ODP_HCA_CNT_BAD_EVENTS, 1);
		dev_dbg(&dev->pdev->dev, "event %d for unknown QP %u\n", type,
			qpn);
		return;
	}
	if (type == IB_EVENT_QP_FATAL)
		WRITE_ONCE(qp->state, IB_QPS_ERR);
	if (!qp->ibqp.event_handler)
		return;
	ev.device = &dev->ibdev;
	ev.element.qp = &qp->ibqp;
	ev.event = type;
	qp->ibqp.event_handler(&ev, qp->ibqp.qp_context);
}

/* ------------------------------------------------------------------ */
/* Shared receive queues */

int odp_hca_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		       struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibsrq->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_CREATE_SRQ };
	struct odp_hca_srq *srq = to_osrq(ibsrq);
	struct ib_srq_attr *attr = &init->attr;
	struct odp_hca_create_srq ucmd = {};
	struct odp_hca_plist pl = {};
	u32 log_entries, log_stride, max_sge, uar = 0;
	int ret;

	if (!(dev->caps.flags & ODP_HCA_CAP_SRQ))
		return -EOPNOTSUPP;
	if (init->srq_type != IB_SRQT_BASIC)
		return -EOPNOTSUPP;
	if (!attr->max_wr || attr->max_wr > dev->caps.max_srq_wr ||
	    attr->max_sge > dev->caps.max_sge ||
	    attr->srq_limit > attr->max_wr)
		return -EINVAL;

	if (udata) {
		ret = odp_hca_udata_in(udata, &ucmd, sizeof(ucmd));
		if (ret)
			return ret;
		log_entries = ucmd.log_entries;
		log_stride = ucmd.log_stride;
	} else {
		log_entries = order_base_2(attr->max_wr);
		log_stride = odp_hca_log_stride(
			odp_hca_rq_wqe_size(attr->max_sge));
	}
	if (log_entries > ODP_HCA_MAX_LOG_RING ||
	    log_stride > ODP_HCA_MAX_LOG_STRIDE ||
	    (1U << log_entries) < attr->max_wr ||
	    (1U << log_entries) > dev->caps.max_srq_wr ||
	    (1U << log_stride) > ODP_HCA_MAX_WQE_STRIDE ||
	    (1U << log_stride) < odp_hca_rq_wqe_size(0))
		return -EINVAL;
	max_sge = min3(dev->caps.max_sge, odp_hca_rq_max_sge(log_stride),
		       (u32)U16_MAX);
	if (max_sge < attr->max_sge)
		return -EINVAL;

	if (udata) {
		srq->umem = odp_hca_pin_ring(dev, ucmd.buf_addr,
					     (u64)1 << (log_entries + log_stride),
					     &pl);
		if (IS_ERR(srq->umem)) {
			ret = PTR_ERR(srq->umem);
			srq->umem = NULL;
			return ret;
		}
		uar = odp_hca_uctx(udata)->uar;
	} else {
		ret = odp_hca_ksrq_init(dev, srq, log_entries, log_stride,
					max_sge, &pl);
		if (ret)
			return ret;
	}

	odp_hca_ring_desc(&cmd.create_srq.ring, &pl, log_entries, log_stride);
	cmd.create_srq.pdn = odp_le32(to_opd(ibsrq->pd)->pdn);
	cmd.create_srq.uar = odp_le32(uar);
	cmd.create_srq.max_sge = odp_le16(max_sge);
	cmd.create_srq.limit = odp_le32(attr->srq_limit);
	ret = odp_hca_cmd_exec(dev, &cmd);
	odp_hca_plist_free(dev, &pl);
	if (ret)
		goto err_mem;
	srq->srqn = odp_cpu32(cmd.create_srq.srqn);
	srq->max_wr = 1U << log_entries;
	srq->max_sge = max_sge;
	srq->limit = attr->srq_limit;
	if (srq->srqn > U16_MAX) {
		ret = -ENOMEM;
		goto err_hw;
	}
	ret = xa_insert(&dev->srqs, srq->srqn, srq, GFP_KERNEL);
	if (ret)
		goto err_hw;
	if (udata) {
		struct odp_hca_create_srq_resp resp = { .srqn = srq->srqn };

		ret = odp_hca_udata_out(udata, &resp, sizeof(resp));
		if (ret)
			goto err_xa;
	}
	attr->max_wr = srq->max_wr;
	attr->max_sge = max_sge;
	return 0;

err_xa:
	xa_erase(&dev->srqs, srq->srqn);
	odp_hca_sync_async_events(dev);
err_hw:
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn, "SRQ"))
		return ret;
err_mem:
	odp_hca_plist_free(dev, &pl);
	ib_umem_release(srq->umem);
	srq->umem = NULL;
	odp_hca_ring_free(dev, &srq->rq.ring);
	return ret;
}

int odp_hca_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		       enum ib_srq_attr_mask mask, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibsrq->device);
	struct odp_hca_cmd cmd = { .opcode = ODP_HCA_CMD_MODIFY_SRQ };
	struct odp_hca_srq *srq = to_osrq(ibsrq);
	int ret;

	if (mask & IB_SRQ_MAX_WR)
		return -EOPNOTSUPP;
	if (!(mask & IB_SRQ_LIMIT))
		return 0;
	if (attr->srq_limit > srq->max_wr)
		return -EINVAL;
	cmd.modify_srq.srqn = odp_le32(srq->srqn);
	cmd.modify_srq.limit = odp_le32(attr->srq_limit);
	ret = odp_hca_cmd_exec(dev, &cmd);
	if (!ret)
		WRITE_ONCE(srq->limit, attr->srq_limit);
	return ret;
}

int odp_hca_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr)
{
	struct odp_hca_srq *srq = to_osrq(ibsrq);

	attr->max_wr = srq->max_wr;
	attr->max_sge = srq->max_sge;
	attr->srq_limit = READ_ONCE(srq->limit);
	return 0;
}

int odp_hca_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata)
{
	struct odp_hca_dev *dev = to_odev(ibsrq->device);
	struct odp_hca_srq *srq = to_osrq(ibsrq);

	xa_erase(&dev->srqs, srq->srqn);
	odp_hca_sync_async_events(dev);
	if (odp_hca_destroy_hw(dev, ODP_HCA_CMD_DESTROY_SRQ, srq->srqn, "SRQ"))
		return 0;
	ib_umem_release(srq->umem);
	odp_hca_ring_free(dev, &srq->rq.ring);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Address handles: resolved once into a datagram segment */

int odp_hca_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		      struct ib_udata *udata)
{
	struct rdma_ah_attr *a = init->ah_attr;
	struct odp_hca_ah *ah = to_oah(ibah);
	const struct ib_global_route *grh;
	struct odp_hca_wqe_ud *ud = &ah->ud;

	if (a->type != RDMA_AH_ATTR_TYPE_ROCE ||
	    !(rdma_ah_get_ah_flags(a) & IB_AH_GRH) ||
	    rdma_ah_get_port_num(a) != 1)
		return -EINVAL;
	grh = rdma_ah_read_grh(a);

	memset(ud, 0, sizeof(*ud));
	memcpy(ud->dgid, grh->dgid.raw, sizeof(ud->dgid));
	if (grh->sgid_attr)
		memcpy(ud->sgid, grh->sgid_attr->gid.raw, sizeof(ud->sgid));
	memcpy(ud->dmac, a->roce.dmac, ETH_ALEN);
	ud->hop_limit = grh->hop_limit;
	ud->traffic_class = grh->traffic_class;
	ud->flow_label = odp_le32(grh->flow_label);

	if (udata) {
		struct odp_hca_create_ah_resp resp = {};

		memcpy(resp.dmac, a->roce.dmac, ETH_ALEN);
		return odp_hca_udata_out(udata, &resp, sizeof(resp));
	}
	return 0;
}

int odp_hca_destroy_ah(struct ib_ah *ibah, u32 flags)
{
	return 0;
}
