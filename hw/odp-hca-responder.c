/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the responder: what a QP does with an incoming request, and
 * the answer it sends back (ACK, RNR NAK, NAK, or silence).
 *
 * A responder that meets a missing page raises a fault and answers RNR
 * NAK until the driver resumes it: the requester retries after the
 * responder's min_rnr_timer, as RC hardware with on-demand paging does.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

static bool odp_hca_resp_receiving(OdpHcaQp *qp)
{
    return qp->state == ODP_HCA_QPS_RTR || qp->state == ODP_HCA_QPS_RTS ||
           qp->state == ODP_HCA_QPS_SQD;
}

static void odp_hca_resp_complete(OdpHcaState *s, OdpHcaQp *qp,
                                  uint8_t status, uint8_t verr,
                                  uint8_t opcode, uint32_t byte_len,
                                  uint8_t flags, uint32_t imm, uint32_t src)
{
    OdpHcaResp *rs = &qp->resp;
    struct odp_hca_cqe cqe = {
        .wr_id = rs->recv.wr_id,
        .byte_len = cpu_to_le32(status ? 0 : byte_len),
        .imm_data = imm,
        .qpn = cpu_to_le32(qp->qpn),
        .src_qp = cpu_to_le32(src),
        .opcode = opcode,
        .status = status,
        .flags = status ? 0 : flags,
        .vendor_err = verr,
        .wqe_index = cpu_to_le16(odp_hca_recv_slot(s, qp, rs->recv_index,
                                                    rs->recv_from_srq)),
    };

    rs->recv_active = false;
    if (rs->recv_from_srq) {
        OdpHcaSrq *srq = &s->srqs[qp->srqn];

        /* One-shot, like ibv_modify_srq's limit: re-armed by MODIFY_SRQ. */
        if (srq->limit && (uint16_t)(srq->pi - srq->ci) < srq->limit) {
            srq->limit = 0;
            odp_hca_event(s, ODP_HCA_EV_SRQ_LIMIT, 0, qp->srqn);
        }
    }
    if (!odp_hca_cq_post(s, qp->recv_cqn, &cqe) || status) {
        if (qp->type == ODP_HCA_QPT_RC || !status) {
            odp_hca_qp_error(s, qp, status ? verr : ODP_HCA_VERR_CQ_OVERFLOW);
        }
    }
}

/* Take the next receive WQE; false when there is none. */
static bool odp_hca_resp_claim(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaResp *rs = &qp->resp;
    const OdpHcaRing *ring;
    uint32_t max_sge;
    dma_addr_t addr;

    if (qp->srqn != ODP_HCA_NO_SRQ) {
        OdpHcaSrq *srq = &s->srqs[qp->srqn];

        if (srq->ci == srq->pi) {
            return false;
        }
        ring = &srq->ring;
        max_sge = srq->max_sge;
        rs->recv_index = srq->ci++;
        rs->recv_from_srq = true;
    } else {
        if (qp->rq_ci == qp->rq_pi) {
            return false;
        }
        ring = &qp->rq;
        max_sge = qp->max_recv_sge;
        rs->recv_index = qp->rq_ci++;
        rs->recv_from_srq = false;
    }
    rs->recv_active = true;
    rs->recv_cap = 0;

    addr = odp_hca_ring_addr(ring, rs->recv_index);
    if (pci_dma_read(PCI_DEVICE(s), addr, &rs->recv, sizeof(rs->recv)) ||
        rs->recv.num_sge > max_sge ||
        sizeof(rs->recv) + rs->recv.num_sge * sizeof(struct odp_hca_sge) >
        ring->stride ||
        pci_dma_read(PCI_DEVICE(s), addr + sizeof(rs->recv), rs->sge,
                     rs->recv.num_sge * sizeof(struct odp_hca_sge))) {
        trace_odp_hca_err_recv_wqe(qp->qpn, rs->recv_index, rs->recv.num_sge,
                                   max_sge);
        odp_hca_guest_error(s, "QP %u: receive WQE %u malformed", qp->qpn,
                            rs->recv_index);
        rs->recv.num_sge = 0;
        rs->recv_cap = UINT32_MAX; /* marks it bad */
        return true;
    }
    for (int i = 0; i < rs->recv.num_sge; i++) {
        rs->sge[i].addr = le64_to_cpu(rs->sge[i].addr);
        rs->sge[i].length = le32_to_cpu(rs->sge[i].length);
        rs->sge[i].lkey = le32_to_cpu(rs->sge[i].lkey);
        rs->recv_cap = MIN((uint64_t)rs->recv_cap + rs->sge[i].length,
                           UINT32_MAX - 1);
    }
    return true;
}

/* Give back a WQE claimed for a datagram that was dropped. */
static void odp_hca_resp_unclaim(OdpHcaState *s, OdpHcaQp *qp)
{
    if (qp->resp.recv_from_srq) {
        s->srqs[qp->srqn].ci--;
    } else {
        qp->rq_ci--;
    }
    qp->resp.recv_active = false;
}

static void odp_hca_resp_fault(OdpHcaState *s, OdpHcaQp *qp, uint32_t key,
                               uint64_t iova, uint64_t len, uint8_t access)
{
    odp_hca_fault_raise(s, qp, &qp->resp.fault, ODP_HCA_FAULT_RESPONDER, key,
                        iova, len, access, 0);
}

/*
 * Write @len bytes at @offset of the claimed receive WQE.  0 done,
 * 1 fault raised, -1 error (*verr).
 */
static int odp_hca_resp_scatter(OdpHcaState *s, OdpHcaQp *qp,
                                uint64_t offset, const uint8_t *data,
                                uint32_t len, uint8_t *verr)
{
    OdpHcaResp *rs = &qp->resp;
    uint64_t start = 0;

    for (int i = 0; i < rs->recv.num_sge && len; i++) {
        struct odp_hca_sge *sge = &rs->sge[i];
        uint64_t within, fault_iova;
        uint32_t n;
        OdpHcaMr *mr;
        int rc;

        if (offset >= start + sge->length) {
            start += sge->length;
            continue;
        }
        within = offset - start;
        n = MIN(len, sge->length - within);
        mr = odp_hca_mr_lookup(s, sge->lkey, qp->pdn);
        *verr = mr ? odp_hca_mr_check(mr, sge->addr, sge->length,
                                      ODP_HCA_ACCESS_LOCAL_WRITE)
                   : ODP_HCA_VERR_BAD_LKEY;
        if (*verr) {
            trace_odp_hca_err_recv_lkey(qp->qpn, sge->lkey, *verr);
            return -1;
        }
        rc = odp_hca_mr_dma(s, mr, sge->addr + within, (void *)data, n, true,
                            &fault_iova, verr);
        if (rc > 0) {
            odp_hca_resp_fault(s, qp, sge->lkey, fault_iova,
                               sge->addr + sge->length - fault_iova,
                               ODP_HCA_FAULT_WRITE);
            return 1;
        }
        if (rc < 0) {
            return -1;
        }
        data += n;
        len -= n;
        offset += n;
        start += sge->length;
    }
    return 0;
}

static OdpHcaAck odp_hca_resp_rnr(OdpHcaState *s, OdpHcaQp *qp,
                                  OdpHcaRequest *req)
{
    s->stats.rnr_naks++;
    odp_hca_fault_rnr(s, &qp->resp.fault);
    trace_odp_hca_rnr_nak(qp->qpn, req->src->qpn, req->offset);
    return ODP_HCA_RNR_NAK;
}

static OdpHcaAck odp_hca_resp_send(OdpHcaState *s, OdpHcaQp *qp,
                                   OdpHcaRequest *req)
{
    OdpHcaResp *rs = &qp->resp;
    uint8_t verr = ODP_HCA_VERR_NONE;
    int rc;

    if (!rs->recv_active && !odp_hca_resp_claim(s, qp)) {
        return odp_hca_resp_rnr(s, qp, req);
    }
    if (rs->recv_cap == UINT32_MAX) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                              ODP_HCA_VERR_BAD_WQE, ODP_HCA_CQE_RECV, 0, 0, 0,
                              req->src->qpn);
        return ODP_HCA_NAK_OPERATION;
    }
    if (req->msg_len > rs->recv_cap) {
        trace_odp_hca_err_recv_len(qp->qpn, req->msg_len, rs->recv_cap);
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_LEN_ERR, ODP_HCA_VERR_LEN,
                              ODP_HCA_CQE_RECV, 0, 0, 0, req->src->qpn);
        return ODP_HCA_NAK_INVALID;
    }
    rc = odp_hca_resp_scatter(s, qp, req->offset, req->data, req->len, &verr);
    if (rc > 0) {
        return odp_hca_resp_rnr(s, qp, req);
    }
    if (rc < 0) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                              ODP_HCA_CQE_RECV, 0, 0, 0, req->src->qpn);
        return ODP_HCA_NAK_OPERATION;
    }
    if (req->last) {
        bool imm = req->opcode == ODP_HCA_WQE_SEND_IMM;

        odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0, ODP_HCA_CQE_RECV,
                              req->msg_len,
                              (imm ? ODP_HCA_CQE_F_IMM : 0) |
                              (req->solicited ? ODP_HCA_CQE_F_SOLICITED : 0),
                              imm ? req->imm : 0, req->src->qpn);
    }
    return ODP_HCA_ACK;
}

/*
 * The MR that @rkey names, if the QP and the MR both allow @access to
 * @len bytes at @addr; else NULL, and the request gets a remote access
 * NAK.
 */
static OdpHcaMr *odp_hca_resp_mr(OdpHcaState *s, OdpHcaQp *qp, uint32_t rkey,
                                 uint64_t addr, uint64_t len, uint32_t access)
{
    OdpHcaMr *mr = odp_hca_mr_lookup(s, rkey, qp->pdn);

    if (!(qp->access_flags & access) || !mr ||
        odp_hca_mr_check(mr, addr, len, access)) {
        trace_odp_hca_err_rkey(qp->qpn, rkey, addr, len, access);
        return NULL;
    }
    return mr;
}

static OdpHcaAck odp_hca_resp_write(OdpHcaState *s, OdpHcaQp *qp,
                                    OdpHcaRequest *req)
{
    uint64_t start = req->raddr - req->offset, fault_iova;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaMr *mr;
    int rc;

    if (req->msg_len) {
        mr = odp_hca_resp_mr(s, qp, req->rkey, start, req->msg_len,
                             ODP_HCA_ACCESS_REMOTE_WRITE);
        if (!mr) {
            return ODP_HCA_NAK_ACCESS;
        }
        rc = odp_hca_mr_dma(s, mr, req->raddr, req->data, req->len, true,
                            &fault_iova, &verr);
        if (rc > 0) {
            odp_hca_resp_fault(s, qp, req->rkey, fault_iova,
                               start + req->msg_len - fault_iova,
                               ODP_HCA_FAULT_WRITE);
            return odp_hca_resp_rnr(s, qp, req);
        }
        if (rc < 0) {
            return ODP_HCA_NAK_ACCESS;
        }
    }
    if (req->last && req->opcode == ODP_HCA_WQE_RDMA_WRITE_IMM) {
        if (!qp->resp.recv_active && !odp_hca_resp_claim(s, qp)) {
            return odp_hca_resp_rnr(s, qp, req);
        }
        if (qp->resp.recv_cap == UINT32_MAX) {
            odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                                  ODP_HCA_VERR_BAD_WQE,
                                  ODP_HCA_CQE_RECV_RDMA_IMM, 0, 0, 0,
                                  req->src->qpn);
            return ODP_HCA_NAK_OPERATION;
        }
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0,
                              ODP_HCA_CQE_RECV_RDMA_IMM, req->msg_len,
                              ODP_HCA_CQE_F_IMM |
                              (req->solicited ? ODP_HCA_CQE_F_SOLICITED : 0),
                              req->imm, req->src->qpn);
    }
    return ODP_HCA_ACK;
}

static OdpHcaAck odp_hca_resp_read(OdpHcaState *s, OdpHcaQp *qp,
                                   OdpHcaRequest *req)
{
    uint64_t start = req->raddr - req->offset, fault_iova;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaMr *mr;
    int rc;

    if (!req->msg_len) {
        return ODP_HCA_ACK;
    }
    mr = odp_hca_resp_mr(s, qp, req->rkey, start, req->msg_len,
                         ODP_HCA_ACCESS_REMOTE_READ);
    if (!mr) {
        return ODP_HCA_NAK_ACCESS;
    }
    rc = odp_hca_mr_dma(s, mr, req->raddr, req->data, req->len, false,
                        &fault_iova, &verr);
    if (rc > 0) {
        odp_hca_resp_fault(s, qp, req->rkey, fault_iova,
                           start + req->msg_len - fault_iova,
                           ODP_HCA_FAULT_READ);
        return odp_hca_resp_rnr(s, qp, req);
    }
    return rc < 0 ? ODP_HCA_NAK_ACCESS : ODP_HCA_ACK;
}

static OdpHcaAck odp_hca_resp_atomic(OdpHcaState *s, OdpHcaQp *qp,
                                     OdpHcaRequest *req)
{
    uint8_t verr = ODP_HCA_VERR_NONE;
    uint64_t old, new;
    dma_addr_t pa;
    OdpHcaMr *mr;

    if (req->raddr & 7) {
        trace_odp_hca_err_atomic_align(qp->qpn, req->raddr);
        return ODP_HCA_NAK_INVALID;
    }
    mr = odp_hca_resp_mr(s, qp, req->rkey, req->raddr, 8,
                         ODP_HCA_ACCESS_REMOTE_ATOMIC);
    if (!mr) {
        return ODP_HCA_NAK_ACCESS;
    }
    switch (odp_hca_translate(s, mr, req->raddr, true, &pa, &verr)) {
    case ODP_HCA_XLATE_FAULT:
        odp_hca_resp_fault(s, qp, req->rkey, req->raddr, 8,
                           ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC);
        return odp_hca_resp_rnr(s, qp, req);
    case ODP_HCA_XLATE_ERROR:
        return ODP_HCA_NAK_ACCESS;
    case ODP_HCA_XLATE_OK:
        break;
    }
    if (ldq_le_pci_dma(PCI_DEVICE(s), pa, &old, MEMTXATTRS_UNSPECIFIED)) {
        trace_odp_hca_err_page_dma(mr->key, pa);
        return ODP_HCA_NAK_ACCESS;
    }
    if (req->opcode == ODP_HCA_WQE_ATOMIC_CS) {
        new = old == req->compare_add ? req->swap : old;
    } else {
        new = old + req->compare_add;
    }
    if (new != old &&
        stq_le_pci_dma(PCI_DEVICE(s), pa, new, MEMTXATTRS_UNSPECIFIED)) {
        trace_odp_hca_err_page_dma(mr->key, pa);
        return ODP_HCA_NAK_ACCESS;
    }
    req->atomic_orig = old;
    return ODP_HCA_ACK;
}

OdpHcaAck odp_hca_responder_rc(OdpHcaState *s, OdpHcaQp *src,
                               OdpHcaRequest *req, uint8_t *rnr_timer)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, src->dest_qpn);
    OdpHcaAck ack;

    if (!qp || qp->type != ODP_HCA_QPT_RC || !odp_hca_resp_receiving(qp) ||
        qp->dest_qpn != src->qpn) {
        trace_odp_hca_dropped(src->qpn, src->dest_qpn);
        return ODP_HCA_DROPPED;
    }
    *rnr_timer = qp->min_rnr_timer;

    if (qp->resp.fault.pending) {
        return odp_hca_resp_rnr(s, qp, req);
    }
    if (qp->resp.fault_failed) {
        /* The driver could not map the pages: this request fails. */
        qp->resp.fault_failed = false;
        if (req->opcode == ODP_HCA_WQE_SEND ||
            req->opcode == ODP_HCA_WQE_SEND_IMM) {
            if (qp->resp.recv_active) {
                odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                      ODP_HCA_VERR_FAULT_FAILED,
                                      ODP_HCA_CQE_RECV, 0, 0, 0, src->qpn);
            }
            return ODP_HCA_NAK_OPERATION;
        }
        return ODP_HCA_NAK_ACCESS;
    }

    switch (req->opcode) {
    case ODP_HCA_WQE_SEND:
    case ODP_HCA_WQE_SEND_IMM:
        ack = odp_hca_resp_send(s, qp, req);
        break;
    case ODP_HCA_WQE_RDMA_WRITE:
    case ODP_HCA_WQE_RDMA_WRITE_IMM:
        ack = odp_hca_resp_write(s, qp, req);
        break;
    case ODP_HCA_WQE_RDMA_READ:
        ack = odp_hca_resp_read(s, qp, req);
        break;
    case ODP_HCA_WQE_ATOMIC_CS:
    case ODP_HCA_WQE_ATOMIC_FA:
        ack = odp_hca_resp_atomic(s, qp, req);
        break;
    default:
        ack = ODP_HCA_NAK_INVALID;
        break;
    }
    if (ack == ODP_HCA_ACK && req->last) {
        qp->rq_psn = (qp->rq_psn + odp_hca_packets(req->msg_len,
                                                   qp->path_mtu)) &
                     ODP_HCA_PSN_MASK;
    }
    return ack;
}

static void odp_hca_grh_build(uint8_t *grh, const struct odp_hca_wqe_ud *ud,
                              uint32_t len)
{
    memset(grh, 0, ODP_HCA_GRH_LEN);
    grh[0] = 0x60 | (ud->traffic_class >> 4);
    grh[1] = (ud->traffic_class << 4) | ((ud->flow_label >> 16) & 0xf);
    grh[2] = ud->flow_label >> 8;
    grh[3] = ud->flow_label;
    grh[4] = len >> 8;
    grh[5] = len;
    grh[6] = 0x1b;          /* next header: IB BTH */
    grh[7] = ud->hop_limit;
    memcpy(grh + 8, ud->sgid, 16);
    memcpy(grh + 24, ud->dgid, 16);
}

void odp_hca_responder_ud(OdpHcaState *s, OdpHcaQp *src, OdpHcaRequest *req)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, req->ud->dest_qpn);
    uint32_t qkey = req->ud->qkey & 0x80000000u ? src->qkey : req->ud->qkey;
    uint8_t buf[ODP_HCA_GRH_LEN + ODP_HCA_PAGE_SIZE];
    uint8_t verr = ODP_HCA_VERR_NONE;
    bool imm = req->opcode == ODP_HCA_WQE_SEND_IMM;
    int rc;

    if (!qp || qp->type != ODP_HCA_QPT_UD || !odp_hca_resp_receiving(qp) ||
        qp->qkey != qkey || qp->resp.fault.pending) {
        trace_odp_hca_dropped(src->qpn, req->ud->dest_qpn);
        return;
    }
    if (!odp_hca_resp_claim(s, qp)) {
        trace_odp_hca_dropped(src->qpn, req->ud->dest_qpn);
        return;
    }
    if (qp->resp.recv_cap == UINT32_MAX) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                              ODP_HCA_VERR_BAD_WQE, ODP_HCA_CQE_RECV, 0, 0, 0,
                              src->qpn);
        return;
    }
    if (ODP_HCA_GRH_LEN + req->len > qp->resp.recv_cap) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_LEN_ERR, ODP_HCA_VERR_LEN,
                              ODP_HCA_CQE_RECV, 0, 0, 0, src->qpn);
        return;
    }
    odp_hca_grh_build(buf, req->ud, req->len);
    memcpy(buf + ODP_HCA_GRH_LEN, req->data, req->len);
    rc = odp_hca_resp_scatter(s, qp, 0, buf, ODP_HCA_GRH_LEN + req->len,
                              &verr);
    if (rc > 0) {
        /* UD has no RNR: the datagram is lost, the fault still served. */
        odp_hca_resp_unclaim(s, qp);
        return;
    }
    if (rc < 0) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                              ODP_HCA_CQE_RECV, 0, 0, 0, src->qpn);
        return;
    }
    odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0, ODP_HCA_CQE_RECV,
                          ODP_HCA_GRH_LEN + req->len,
                          ODP_HCA_CQE_F_GRH | (imm ? ODP_HCA_CQE_F_IMM : 0) |
                          (req->solicited ? ODP_HCA_CQE_F_SOLICITED : 0),
                          imm ? req->imm : 0, src->qpn);
}

/*
 * A frame from the port for the RAW_ETH QP: the whole frame into its
 * next receive WQE, as UD does with a datagram but with no GRH and no
 * source QP.  A frame that cannot land leaves the WQE where it was, so
 * the next (shorter) frame still finds it.
 */
OdpHcaRawRx odp_hca_responder_raw(OdpHcaState *s, OdpHcaQp *qp,
                                  const uint8_t *frame, uint32_t len)
{
    uint8_t verr = ODP_HCA_VERR_NONE;
    int rc;

    if (!odp_hca_resp_receiving(qp)) {
        return ODP_HCA_RAW_RX_NO_QP;
    }
    if (qp->resp.fault.pending) {
        return ODP_HCA_RAW_RX_FAULT;
    }
    if (!odp_hca_resp_claim(s, qp)) {
        return ODP_HCA_RAW_RX_NO_BUFFER;
    }
    if (qp->resp.recv_cap == UINT32_MAX) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                              ODP_HCA_VERR_BAD_WQE, ODP_HCA_CQE_RECV, 0, 0, 0,
                              0);
        return ODP_HCA_RAW_RX_WQE_ERROR;
    }
    if (len > qp->resp.recv_cap) {
        odp_hca_resp_unclaim(s, qp);
        return ODP_HCA_RAW_RX_TOO_LONG;
    }
    rc = odp_hca_resp_scatter(s, qp, 0, frame, len, &verr);
    if (rc > 0) {
        /* as for UD: the frame is lost, the fault still served */
        odp_hca_resp_unclaim(s, qp);
        return ODP_HCA_RAW_RX_FAULT;
    }
    if (rc < 0) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                              ODP_HCA_CQE_RECV, 0, 0, 0, 0);
        return ODP_HCA_RAW_RX_WQE_ERROR;
    }
    odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0, ODP_HCA_CQE_RECV, len,
                          0, 0, 0);
    return ODP_HCA_RAW_RX_OK;
}
