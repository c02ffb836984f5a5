// SPDX-License-Identifier: GPL-2.0
/*
 * odp_hca: kernel verbs: rings of kernel CQs, QPs and SRQs in
 * DMA-coherent memory, posting work requests, polling completions and
 * arming CQs, all through UAR 0, the kernel's doorbell page.
 *
 * User objects never come here: the provider owns their rings.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "odp_hca.h"

static void odp_hca_db(struct odp_hca_dev *dev, u32 reg, u32 obj, u32 count)
{
	/* writel orders the ring writes before it. */
	writel(odp_hca_db_value(obj, count), dev->uar0 + reg);
}

static void *odp_hca_wq_entry(struct odp_hca_wq *wq, u32 counter)
{
	return wq->ring.buf + ((size_t)(counter & (wq->ring.entries - 1)) <<
			       wq->ring.log_stride);
}

static int odp_hca_kwq_init(struct odp_hca_dev *dev, struct odp_hca_wq *wq,
			    u32 log_entries, u32 log_stride, u32 max_sge,
			    struct odp_hca_plist *pl)
{
	int ret;

	spin_lock_init(&wq->lock);
	wq->pi = 0;
	wq->ci = 0;
	wq->max_sge = max_sge;
	ret = odp_hca_ring_alloc(dev, &wq->ring, log_entries, log_stride);
	if (ret)
		return ret;
	ret = odp_hca_plist_from_ring(dev, pl, &wq->ring);
	if (ret)
		odp_hca_ring_free(dev, &wq->ring);
	return ret;
}

int odp_hca_kcq_init(struct odp_hca_dev *dev, struct odp_hca_cq *cq,
		     u32 entries)
{
	cq->ci = 0;
	return odp_hca_ring_alloc(dev, &cq->ring, ilog2(entries),
				  ilog2(sizeof(struct odp_hca_cqe)));
}

int odp_hca_kqp_init(struct odp_hca_dev *dev, struct odp_hca_qp *qp,
		     u32 sq_log_entries, u32 sq_log_stride, u32 max_send_sge,
		     u32 rq_log_entries, u32 rq_log_stride, u32 max_recv_sge,
		     struct odp_hca_plist *sq_pl, struct odp_hca_plist *rq_pl)
{
	int ret;

	ret = odp_hca_kwq_init(dev, &qp->sq, sq_log_entries, sq_log_stride,
			       max_send_sge, sq_pl);
	if (ret)
		return ret;
	if (!rq_pl)
		return 0;
	ret = odp_hca_kwq_init(dev, &qp->rq, rq_log_entries, rq_log_stride,
			       max_recv_sge, rq_pl);
	if (ret) {
		odp_hca_plist_free(dev, sq_pl);
		odp_hca_ring_free(dev, &qp->sq.ring);
	}
	return ret;
}

void odp_hca_kqp_fini(struct odp_hca_dev *dev, struct odp_hca_qp *qp)
{
	odp_hca_ring_free(dev, &qp->sq.ring);
	odp_hca_ring_free(dev, &qp->rq.ring);
}

int odp_hca_ksrq_init(struct odp_hca_dev *dev, struct odp_hca_srq *srq,
		      u32 log_entries, u32 log_stride, u32 max_sge,
		      struct odp_hca_plist *pl)
{
	return odp_hca_kwq_init(dev, &srq->rq, log_entries, log_stride,
				max_sge, pl);
}

/* ------------------------------------------------------------------ */
/* Posting */

static int odp_hca_wr_opcode(enum ib_qp_type type, enum ib_wr_opcode op,
			     u8 *hw)
{
	switch (op) {
	case IB_WR_SEND:
		*hw = ODP_HCA_WQE_SEND;
		return 0;
	case IB_WR_SEND_WITH_IMM:
		/* A RAW_ETH QP sends frames: SEND only. */
		if (type == IB_QPT_RAW_PACKET)
			return -EINVAL;
		*hw = ODP_HCA_WQE_SEND_IMM;
		return 0;
	default:
		break;
	}
	if (type != IB_QPT_RC)
		return -EINVAL;
	switch (op) {
	case IB_WR_RDMA_WRITE:
		*hw = ODP_HCA_WQE_RDMA_WRITE;
		return 0;
	case IB_WR_RDMA_WRITE_WITH_IMM:
		*hw = ODP_HCA_WQE_RDMA_WRITE_IMM;
		return 0;
	case IB_WR_RDMA_READ:
		*hw = ODP_HCA_WQE_RDMA_READ;
		return 0;
	case IB_WR_ATOMIC_CMP_AND_SWP:
		*hw = ODP_HCA_WQE_ATOMIC_CS;
		return 0;
	case IB_WR_ATOMIC_FETCH_AND_ADD:
		*hw = ODP_HCA_WQE_ATOMIC_FA;
		return 0;
	case IB_WR_SEND_WITH_INV:
		*hw = ODP_HCA_WQE_SEND_INV;
		return 0;
	case IB_WR_REG_MR:
		*hw = ODP_HCA_WQE_REG_MR;
		return 0;
	case IB_WR_LOCAL_INV:
		*hw = ODP_HCA_WQE_LOCAL_INV;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * IB_WR_REG_MR: the MR's table page filled by the last map_mr_sg, the
 * key (ib_update_fast_reg_key() may have changed its variant) and the
 * access.  The key is the MR's from now on, as the ULP already set it.
 */
static void odp_hca_build_reg_mr(const struct ib_reg_wr *wr, u8 flags,
				 void *wqe)
{
	struct odp_hca_mr *mr = to_omr(wr->mr);
	struct odp_hca_wqe_reg_mr *w = wqe;

	odp_hca_frmr_set_access(mr, wr->access);
	memset(w, 0, sizeof(*w));
	w->wr_id = odp_le64(wr->wr.wr_id);
	w->opcode = ODP_HCA_WQE_REG_MR;
	w->flags = flags;
	w->access = odp_le32(wr->access & ODP_HCA_ACCESS_MASK);
	w->iova = odp_le64(mr->ibmr.iova);
	w->key = odp_le32(wr->key);
	w->length = odp_le64(mr->ibmr.length);
	w->table = odp_le64(mr->frmr.dma[mr->frmr.cur]);
	mr->ibmr.lkey = wr->key;
	mr->ibmr.rkey = wr->key;
}

static int odp_hca_build_send(struct odp_hca_qp *qp, const struct ib_send_wr *wr,
			      void *wqe)
{
	struct odp_hca_wqe_ctrl *ctrl = wqe;
	void *data = wqe + sizeof(*ctrl);
	u32 stride = 1U << qp->sq.ring.log_stride;
	u8 opcode;
	int i, ret;

	ret = odp_hca_wr_opcode(qp->type, wr->opcode, &opcode);
	if (ret)
		return ret;
	memset(ctrl, 0, sizeof(*ctrl));
	ctrl->wr_id = odp_le64(wr->wr_id);
	ctrl->opcode = opcode;
	if (wr->send_flags & IB_SEND_SIGNALED)
		ctrl->flags |= ODP_HCA_WQE_F_SIGNALED;
	if (wr->send_flags & IB_SEND_SOLICITED)
		ctrl->flags |= ODP_HCA_WQE_F_SOLICITED;
	if (wr->send_flags & IB_SEND_FENCE)
		ctrl->flags |= ODP_HCA_WQE_F_FENCE;
	if (wr->opcode == IB_WR_SEND_WITH_IMM ||
	    wr->opcode == IB_WR_RDMA_WRITE_WITH_IMM)
		ctrl->imm_data = (__force u32)wr->ex.imm_data;

	switch (opcode) {
	case ODP_HCA_WQE_REG_MR:
		odp_hca_build_reg_mr(reg_wr(wr), ctrl->flags, wqe);
		return 0;
	case ODP_HCA_WQE_LOCAL_INV:
		ctrl->rkey = odp_le32(wr->ex.invalidate_rkey);
		return 0;	/* no SGEs */
	case ODP_HCA_WQE_SEND_INV:
		ctrl->rkey = odp_le32(wr->ex.invalidate_rkey);
		break;
	case ODP_HCA_WQE_RDMA_WRITE:
	case ODP_HCA_WQE_RDMA_WRITE_IMM:
	case ODP_HCA_WQE_RDMA_READ:
		ctrl->remote_addr = odp_le64(rdma_wr(wr)->remote_addr);
		ctrl->rkey = odp_le32(rdma_wr(wr)->rkey);
		break;
	case ODP_HCA_WQE_ATOMIC_CS:
	case ODP_HCA_WQE_ATOMIC_FA:
		ctrl->remote_addr = odp_le64(atomic_wr(wr)->remote_addr);
		ctrl->rkey = odp_le32(atomic_wr(wr)->rkey);
		ctrl->compare_add = odp_le64(atomic_wr(wr)->compare_add);
		ctrl->swap = odp_le64(atomic_wr(wr)->swap);
		break;
	default:
		break;
	}

	if (qp->type == IB_QPT_UD || qp->type == IB_QPT_GSI) {
		struct odp_hca_wqe_ud *ud = data;

		*ud = to_oah(ud_wr(wr)->ah)->ud;
		ud->dest_qpn = odp_le32(ud_wr(wr)->remote_qpn);
		ud->qkey = odp_le32(ud_wr(wr)->remote_qkey);
		data += sizeof(*ud);
	}

	if (wr->send_flags & IB_SEND_INLINE &&
	    (opcode == ODP_HCA_WQE_SEND || opcode == ODP_HCA_WQE_SEND_IMM ||
	     opcode == ODP_HCA_WQE_SEND_INV ||
	     opcode == ODP_HCA_WQE_RDMA_WRITE ||
	     opcode == ODP_HCA_WQE_RDMA_WRITE_IMM)) {
		u32 len = 0;

		for (i = 0; i < wr->num_sge; i++) {
			const struct ib_sge *sge = &wr->sg_list[i];

			if (sge->length > qp->max_inline - len)
				return -EINVAL;
			memcpy(data + len, (void *)(uintptr_t)sge->addr,
			       sge->length);
			len += sge->length;
		}
		ctrl->flags |= ODP_HCA_WQE_F_INLINE;
		ctrl->inline_len = odp_le32(len);
		return 0;
	}

	if (wr->num_sge > qp->sq.max_sge ||
	    (data - wqe) + wr->num_sge * sizeof(struct odp_hca_sge) > stride)
		return -EINVAL;
	ctrl->num_sge = wr->num_sge;
	for (i = 0; i < wr->num_sge; i++) {
		struct odp_hca_sge *hs = (struct odp_hca_sge *)data + i;

		hs->addr = odp_le64(wr->sg_list[i].addr);
		hs->length = odp_le32(wr->sg_list[i].length);
		hs->lkey = odp_le32(wr->sg_list[i].lkey);
	}
	return 0;
}

int odp_hca_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		      const struct ib_send_wr **bad_wr)
{
	struct odp_hca_dev *dev = to_odev(ibqp->device);
	struct odp_hca_qp *qp = to_oqp(ibqp);
	struct odp_hca_wq *sq = &qp->sq;
	unsigned long flags;
	u32 start;
	int ret = 0;

	if (!qp->kernel) {
		*bad_wr = wr;
		return -EINVAL;
	}
	spin_lock_irqsave(&sq->lock, flags);
	start = sq->pi;
	for (; wr; wr = wr->next) {
		if ((u16)(sq->pi - READ_ONCE(sq->ci)) >= sq->ring.entries) {
			ret = -ENOMEM;
			break;
		}
		ret = odp_hca_build_send(qp, wr, odp_hca_wq_entry(sq, sq->pi));
		if (ret)
			break;
		sq->pi++;
	}
	if (sq->pi != start)
		odp_hca_db(dev, ODP_HCA_DB_SQ, qp->qpn, sq->pi);
	spin_unlock_irqrestore(&sq->lock, flags);
	if (ret)
		*bad_wr = wr;
	return ret;
}

static int odp_hca_post_rq(struct odp_hca_dev *dev, struct odp_hca_wq *rq,
			   u32 reg, u32 obj, const struct ib_recv_wr *wr,
			   const struct ib_recv_wr **bad_wr)
{
	unsigned long flags;
	u32 start;
	int i, ret = 0;

	spin_lock_irqsave(&rq->lock, flags);
	start = rq->pi;
	for (; wr; wr = wr->next) {
		struct odp_hca_recv_wqe *rw;
		struct odp_hca_sge *hs;

		if ((u16)(rq->pi - READ_ONCE(rq->ci)) >= rq->ring.entries) {
			ret = -ENOMEM;
			break;
		}
		if (wr->num_sge > rq->max_sge) {
			ret = -EINVAL;
			break;
		}
		rw = odp_hca_wq_entry(rq, rq->pi);
		memset(rw, 0, sizeof(*rw));
		rw->wr_id = odp_le64(wr->wr_id);
		rw->num_sge = wr->num_sge;
		hs = (struct odp_hca_sge *)(rw + 1);
		for (i = 0; i < wr->num_sge; i++) {
			hs[i].addr = odp_le64(wr->sg_list[i].addr);
			hs[i].length = odp_le32(wr->sg_list[i].length);
			hs[i].lkey = odp_le32(wr->sg_list[i].lkey);
		}
		rq->pi++;
	}
	if (rq->pi != start)
		odp_hca_db(dev, reg, obj, rq->pi);
	spin_unlock_irqrestore(&rq->lock, flags);
	if (ret)
		*bad_wr = wr;
	return ret;
}

int odp_hca_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		      const struct ib_recv_wr **bad_wr)
{
	struct odp_hca_qp *qp = to_oqp(ibqp);

	if (!qp->kernel || qp->srq) {
		*bad_wr = wr;
		return -EINVAL;
	}
	return odp_hca_post_rq(to_odev(ibqp->device), &qp->rq, ODP_HCA_DB_RQ,
			       qp->qpn, wr, bad_wr);
}

int odp_hca_post_srq_recv(struct ib_srq *ibsrq, const struct ib_recv_wr *wr,
			  const struct ib_recv_wr **bad_wr)
{
	struct odp_hca_srq *srq = to_osrq(ibsrq);

	if (!srq->rq.ring.buf) {
		*bad_wr = wr;
		return -EINVAL;
	}
	return odp_hca_post_rq(to_odev(ibsrq->device), &srq->rq,
			       ODP_HCA_DB_SRQ, srq->srqn, wr, bad_wr);
}

/* ------------------------------------------------------------------ */
/* Completions */

static struct odp_hca_cqe *odp_hca_cq_peek(struct odp_hca_cq *cq)
{
	struct odp_hca_cqe *cqe;
	u8 want;

	cqe = cq->ring.buf + ((size_t)(cq->ci & (cq->ring.entries - 1)) <<
			      cq->ring.log_stride);
	want = ((cq->ci >> cq->ring.log_entries) & 1) ^ 1;
	if ((READ_ONCE(cqe->owner) & ODP_HCA_CQE_OWNER) != want)
		return NULL;
	dma_rmb();
	return cqe;
}

static enum ib_wc_status odp_hca_wc_status(u8 status)
{
	switch (status) {
	case ODP_HCA_WC_SUCCESS:
	case ODP_HCA_WC_LOC_LEN_ERR:
	case ODP_HCA_WC_LOC_QP_OP_ERR:
	case ODP_HCA_WC_LOC_PROT_ERR:
	case ODP_HCA_WC_WR_FLUSH_ERR:
	case ODP_HCA_WC_LOC_ACCESS_ERR:
	case ODP_HCA_WC_REM_INV_REQ_ERR:
	case ODP_HCA_WC_REM_ACCESS_ERR:
	case ODP_HCA_WC_REM_OP_ERR:
	case ODP_HCA_WC_RETRY_EXC_ERR:
	case ODP_HCA_WC_RNR_RETRY_EXC_ERR:
	case ODP_HCA_WC_GENERAL_ERR:
		/* The device uses the IB_WC_* numbering. */
		return (enum ib_wc_status)status;
	default:
		return IB_WC_GENERAL_ERR;
	}
}

/*
 * Retire the ring up to and including slot @slot (a CQE's wqe_index is a
 * ring slot, not a counter), if that slot is posted and not yet retired.
 * CQs of QPs that share an SRQ may race here: ci only moves forward.
 */
static void odp_hca_wq_retire(struct odp_hca_wq *wq, u16 slot)
{
	u32 ci, pi, d;

	do {
		ci = READ_ONCE(wq->ci);
		pi = READ_ONCE(wq->pi);
		d = (slot - ci) & (wq->ring.entries - 1);
		if (d >= (u16)(pi - ci))
			return;
	} while (cmpxchg(&wq->ci, ci, ci + d + 1) != ci);
}

/* False when the CQE names no kernel QP of ours: it is skipped. */
static bool odp_hca_cqe_to_wc(struct odp_hca_dev *dev,
			      const struct odp_hca_cqe *cqe, struct ib_wc *wc)
{
	u32 qpn = odp_cpu32(cqe->qpn);
	u16 index = odp_cpu16(cqe->wqe_index);
	struct odp_hca_qp *qp;

	qp = xa_load(&dev->qps, qpn);
	if (!qp || !qp->kernel) {
		odp_hca_count(dev, ODP_HCA_CNT_BAD_EVENTS, 1);
		return false;
	}
	memset(wc, 0, sizeof(*wc));
	wc->wr_id = odp_cpu64(cqe->wr_id);
	wc->status = odp_hca_wc_status(cqe->status);
	wc->vendor_err = cqe->vendor_err;
	wc->byte_len = odp_cpu32(cqe->byte_len);
	wc->qp = &qp->ibqp;
	wc->port_num = 1;

	/* Flush completions carry the receive bit too. */
	if (!odp_hca_cqe_is_recv(cqe->opcode)) {
		switch (cqe->opcode) {
		case ODP_HCA_CQE_RDMA_WRITE:
			wc->opcode = IB_WC_RDMA_WRITE;
			break;
		case ODP_HCA_CQE_RDMA_READ:
			wc->opcode = IB_WC_RDMA_READ;
			break;
		case ODP_HCA_CQE_COMP_SWAP:
			wc->opcode = IB_WC_COMP_SWAP;
			break;
		case ODP_HCA_CQE_FETCH_ADD:
			wc->opcode = IB_WC_FETCH_ADD;
			break;
		case ODP_HCA_CQE_REG_MR:
			wc->opcode = IB_WC_REG_MR;
			break;
		case ODP_HCA_CQE_LOCAL_INV:
			wc->opcode = IB_WC_LOCAL_INV;
			break;
		default:
			wc->opcode = IB_WC_SEND;
			break;
		}
		/* Unsignalled WQEs before this one are done as well. */
		odp_hca_wq_retire(&qp->sq, index);
		return true;
	}

	wc->opcode = cqe->opcode == ODP_HCA_CQE_RECV_RDMA_IMM ?
		     IB_WC_RECV_RDMA_WITH_IMM : IB_WC_RECV;
	wc->src_qp = odp_cpu32(cqe->src_qp);
	if (cqe->flags & ODP_HCA_CQE_F_IMM) {
		wc->ex.imm_data = (__force __be32)cqe->imm_data;
		wc->wc_flags |= IB_WC_WITH_IMM;
	}
	if (cqe->flags & ODP_HCA_CQE_F_INVALIDATE) {
		/* The ULP forgets the MR's registration (nvme-rdma does). */
		wc->ex.invalidate_rkey = odp_cpu32(cqe->imm_data);
		wc->wc_flags |= IB_WC_WITH_INVALIDATE;
	}
	if (cqe->flags & ODP_HCA_CQE_F_GRH) {
		/* ib_init_ah_attr_from_wc() reads the GRH slot by this type. */
		wc->wc_flags |= IB_WC_GRH | IB_WC_WITH_NETWORK_HDR_TYPE;
		wc->network_hdr_type = cqe->flags & ODP_HCA_CQE_F_GRH_IPV4 ?
				       RDMA_NETWORK_IPV4 : RDMA_NETWORK_IPV6;
	}
	/* SRQ WQEs are taken in ring order: all before this one are gone. */
	odp_hca_wq_retire(qp->srq ? &qp->srq->rq : &qp->rq, index);
	return true;
}

int odp_hca_poll_cq(struct ib_cq *ibcq, int num, struct ib_wc *wc)
{
	struct odp_hca_dev *dev = to_odev(ibcq->device);
	struct odp_hca_cq *cq = to_ocq(ibcq);
	struct odp_hca_cqe *cqe;
	unsigned long flags;
	u32 start;
	int n = 0;

	if (!cq->ring.buf)
		return -EINVAL;
	spin_lock_irqsave(&cq->lock, flags);
	start = cq->ci;
	rcu_read_lock();
	while (n < num && (cqe = odp_hca_cq_peek(cq))) {
		struct odp_hca_cqe copy = *cqe;

		cq->ci++;
		if (odp_hca_cqe_to_wc(dev, &copy, &wc[n]))
			n++;
	}
	rcu_read_unlock();
	/* Room for the device to write again. */
	if (cq->ci != start)
		odp_hca_db(dev, ODP_HCA_DB_CQ_CI, cq->cqn, cq->ci);
	spin_unlock_irqrestore(&cq->lock, flags);
	return n;
}

int odp_hca_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags)
{
	struct odp_hca_dev *dev = to_odev(ibcq->device);
	struct odp_hca_cq *cq = to_ocq(ibcq);
	unsigned long irqflags;
	u32 reg;
	int ret = 0;

	if (!cq->ring.buf)
		return -EINVAL;
	reg = (flags & IB_CQ_SOLICITED_MASK) == IB_CQ_SOLICITED ?
	      ODP_HCA_DB_CQ_ARM_SOL : ODP_HCA_DB_CQ_ARM;
	spin_lock_irqsave(&cq->lock, irqflags);
	odp_hca_db(dev, reg, cq->cqn, cq->ci);
	if (flags & IB_CQ_REPORT_MISSED_EVENTS && odp_hca_cq_peek(cq))
		ret = 1;
	spin_unlock_irqrestore(&cq->lock, irqflags);
	return ret;
}
