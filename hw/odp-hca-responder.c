/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the responder: what a QP does with an incoming request, and
 * the answer it sends back (ACK, RNR NAK, NAK, or silence).
 *
 * A responder that meets a missing page raises a fault and, until the
 * driver resumes it, does what the port's responder-fault policy says
 * (odp_hca_resp_not_ready()): answers RNR NAK, so the requester retries
 * after the responder's min_rnr_timer, as RC hardware with on-demand
 * paging does (rnr); discards the request and what follows it, leaving
 * the requester to its ACK timeout (drop); stops the port's receive
 * queue with the request at its head (stall); or answers NOT_READY and
 * sends READY on the RESUME, to a requester that says it takes them
 * (notify; RNR NAK to one that does not).
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

/* What the responder answers a request (IBTA 9.7.5.2.8 syndromes). */
typedef enum OdpHcaAnswer {
    ODP_HCA_ANS_ACK,            /* accepted */
    ODP_HCA_ANS_RNR,            /* receiver not ready: retry later */
    ODP_HCA_ANS_NAK_INVALID,    /* invalid request */
    ODP_HCA_ANS_NAK_ACCESS,     /* remote access error */
    ODP_HCA_ANS_NAK_OPERATION,  /* remote operational error */
    ODP_HCA_ANS_NONE,           /* dropped: no answer (requester times out) */
} OdpHcaAnswer;

#define AETH_ACK_UNLIMITED  0x1f    /* ACK, no credit flow control */
#define AETH_RNR            0x20    /* | min_rnr_timer */
#define AETH_NAK_SEQ        0x60
#define AETH_NAK_INVALID    0x61
#define AETH_NAK_ACCESS     0x62
#define AETH_NAK_OPERATION  0x63

/* Send an ACK or NAK (AETH @syndrome) for PSN @psn to the QP's peer. */
static void odp_hca_resp_send_aeth(OdpHcaState *s, OdpHcaQp *qp,
                                   uint8_t syndrome, uint32_t psn)
{
    OdpHcaRocePacket pkt;
    static const OdpHcaNak kinds[] = {
        [AETH_NAK_SEQ & 0x1f] = ODP_HCA_NAK_KIND_SEQ,
        [AETH_NAK_INVALID & 0x1f] = ODP_HCA_NAK_KIND_INVALID,
        [AETH_NAK_ACCESS & 0x1f] = ODP_HCA_NAK_KIND_ACCESS,
        [AETH_NAK_OPERATION & 0x1f] = ODP_HCA_NAK_KIND_OPERATION,
    };

    odp_hca_link_fill(s, qp, &pkt, ODP_HCA_ROCE_RC_ACKNOWLEDGE, psn);
    pkt.aeth.syndrome = syndrome;
    pkt.aeth.msn = qp->resp.msn & ODP_HCA_ROCE_FIELD24_MAX;
    if (syndrome == AETH_ACK_UNLIMITED) {
        s->stats.roce_acks_sent++;
    } else if ((syndrome & 0xe0) == AETH_RNR) {
        s->stats.naks_sent[ODP_HCA_NAK_KIND_RNR]++;
    } else {
        s->stats.naks_sent[kinds[syndrome & 3]]++;
    }
    odp_hca_link_send(s, &pkt, NULL);
}

static void odp_hca_resp_rnr(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    s->stats.rnr_naks++;
    odp_hca_fault_rnr(s, &qp->resp.fault);
    trace_odp_hca_rnr_nak(qp->qpn, qp->dest_qpn, psn);
    qp->resp.nak_out = true;
    odp_hca_resp_send_aeth(s, qp, AETH_RNR | (qp->min_rnr_timer & 31), psn);
}

/* BTH + AETH under one of the notify policy's opcodes. */
static void odp_hca_resp_send_x(OdpHcaState *s, OdpHcaQp *qp, uint8_t opcode,
                                uint32_t psn)
{
    OdpHcaRocePacket pkt;

    odp_hca_link_fill(s, qp, &pkt, opcode, psn);
    pkt.aeth.syndrome = AETH_ACK_UNLIMITED;
    pkt.aeth.msn = qp->resp.msn & ODP_HCA_ROCE_FIELD24_MAX;
    odp_hca_link_send(s, &pkt, NULL);
}

/* notify: NOT_READY for @psn; the RESUME will send READY. */
static void odp_hca_resp_not_ready_nak(OdpHcaState *s, OdpHcaQp *qp,
                                       uint32_t psn)
{
    s->stats.not_ready_sent++;
    odp_hca_fault_rnr(s, &qp->resp.fault);
    trace_odp_hca_not_ready(qp->qpn, qp->dest_qpn, psn);
    qp->resp.ready_owed = true;
    qp->resp.ready_psn = psn;
    odp_hca_resp_send_x(s, qp, ODP_HCA_ROCE_X_NOT_READY, psn);
}

/*
 * The responder fault of @qp was resumed (or failed): a requester told
 * NOT_READY hears READY, for the PSN the last NOT_READY named (where it
 * waits).  If READY is lost the requester resends on its ACK timeout.
 */
void odp_hca_responder_resumed(OdpHcaState *s, OdpHcaQp *qp)
{
    if (!qp->resp.ready_owed || qp->type != ODP_HCA_QPT_RC ||
        !odp_hca_resp_receiving(qp)) {
        qp->resp.ready_owed = false;
        return;
    }
    qp->resp.ready_owed = false;
    s->stats.ready_sent++;
    trace_odp_hca_ready(qp->qpn, qp->dest_qpn, qp->resp.ready_psn);
    odp_hca_resp_send_x(s, qp, ODP_HCA_ROCE_X_READY, qp->resp.ready_psn);
}

/* A request discarded, unanswered, while the QP's fault is pending. */
static void odp_hca_resp_drop(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    s->stats.responder_drops++;
    odp_hca_fault_drop(s, &qp->resp.fault);
    trace_odp_hca_resp_fault_drop(qp->qpn, psn);
}

/*
 * The request at @psn cannot go on.  Without a pending fault the receive
 * queue is empty: RNR NAK, whatever the policy.  With one, the policy
 * the fault was raised under decides what the requester hears.
 */
static void odp_hca_resp_not_ready(OdpHcaState *s, OdpHcaQp *qp,
                                   uint32_t psn)
{
    OdpHcaFault *f = &qp->resp.fault;

    if (!f->pending) {
        odp_hca_resp_rnr(s, qp, psn);
        return;
    }
    switch (f->policy) {
    case ODP_HCA_RESPONDER_FAULT_NOTIFY:
        if (qp->resp.peer_notify) {
            odp_hca_resp_not_ready_nak(s, qp, psn);
        } else {
            odp_hca_resp_rnr(s, qp, psn);
        }
        break;
    case ODP_HCA_RESPONDER_FAULT_DROP:
        odp_hca_resp_drop(s, qp, psn);
        break;
    case ODP_HCA_RESPONDER_FAULT_STALL:
        odp_hca_link_stall(s, f);
        break;
    default:
        odp_hca_resp_rnr(s, qp, psn);
        break;
    }
}

static uint32_t odp_hca_resp_src(OdpHcaQp *qp)
{
    return qp->dest_qpn;
}

static OdpHcaAnswer odp_hca_resp_send(OdpHcaState *s, OdpHcaQp *qp,
                                      const OdpHcaRocePacket *pkt,
                                      uint32_t flags)
{
    OdpHcaResp *rs = &qp->resp;
    uint8_t verr = ODP_HCA_VERR_NONE;
    uint64_t off = flags & ODP_HCA_ROCE_F_FIRST ? 0 : rs->send_off;
    int rc;

    if (!rs->recv_active && !odp_hca_resp_claim(s, qp)) {
        return ODP_HCA_ANS_RNR;
    }
    if (rs->recv_cap == UINT32_MAX) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                              ODP_HCA_VERR_BAD_WQE, ODP_HCA_CQE_RECV, 0, 0, 0,
                              odp_hca_resp_src(qp));
        return ODP_HCA_ANS_NAK_OPERATION;
    }
    if (off + pkt->payload_len > rs->recv_cap) {
        trace_odp_hca_err_recv_len(qp->qpn, off + pkt->payload_len,
                                   rs->recv_cap);
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_LEN_ERR, ODP_HCA_VERR_LEN,
                              ODP_HCA_CQE_RECV, 0, 0, 0, odp_hca_resp_src(qp));
        return ODP_HCA_ANS_NAK_INVALID;
    }
    rc = odp_hca_resp_scatter(s, qp, off, pkt->payload, pkt->payload_len,
                              &verr);
    if (rc > 0) {
        return ODP_HCA_ANS_RNR;
    }
    if (rc < 0) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                              ODP_HCA_CQE_RECV, 0, 0, 0, odp_hca_resp_src(qp));
        return ODP_HCA_ANS_NAK_OPERATION;
    }
    if (flags & ODP_HCA_ROCE_F_IETH) {
        /*
         * After the message landed: a packet that faulted or found no
         * receive WQE comes again and must find the MR still there.  A
         * key that cannot be invalidated is a remote operational error
         * (IBA 9.4.1.2), and the receive fails with it.
         */
        verr = odp_hca_mr_invalidate(s, qp, pkt->ieth_rkey, true);
        if (verr) {
            odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                                  ODP_HCA_CQE_RECV, 0, 0, 0,
                                  odp_hca_resp_src(qp));
            return ODP_HCA_ANS_NAK_OPERATION;
        }
    }
    rs->send_off = off + pkt->payload_len;
    if (flags & ODP_HCA_ROCE_F_LAST) {
        bool imm = flags & ODP_HCA_ROCE_F_IMMDT;
        bool inv = flags & ODP_HCA_ROCE_F_IETH;

        odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0, ODP_HCA_CQE_RECV,
                              rs->send_off,
                              (imm ? ODP_HCA_CQE_F_IMM : 0) |
                              (inv ? ODP_HCA_CQE_F_INVALIDATE : 0) |
                              (pkt->se ? ODP_HCA_CQE_F_SOLICITED : 0),
                              imm ? cpu_to_be32(pkt->imm) :
                              inv ? cpu_to_le32(pkt->ieth_rkey) : 0,
                              odp_hca_resp_src(qp));
        rs->send_off = 0;
    }
    return ODP_HCA_ANS_ACK;
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

/*
 * An RDMA WRITE packet.  The write's place (va, bytes left) moves only
 * when the whole packet landed: a packet that faulted is sent again, and
 * lands again, where it was meant to.
 */
static OdpHcaAnswer odp_hca_resp_write(OdpHcaState *s, OdpHcaQp *qp,
                                       const OdpHcaRocePacket *pkt,
                                       uint32_t flags)
{
    OdpHcaResp *rs = &qp->resp;
    uint64_t va = rs->write_va, left = rs->write_left, start = rs->write_start;
    uint64_t total = rs->write_len, fault_iova;
    uint32_t rkey = rs->write_rkey;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaMr *mr = NULL;
    int rc;

    if (flags & ODP_HCA_ROCE_F_FIRST) {
        va = start = pkt->reth.va;
        rkey = pkt->reth.rkey;
        left = total = pkt->reth.dma_len;
    }
    if (pkt->payload_len > left ||
        ((flags & ODP_HCA_ROCE_F_LAST) && pkt->payload_len != left)) {
        trace_odp_hca_err_recv_len(qp->qpn, pkt->payload_len, left);
        return ODP_HCA_ANS_NAK_INVALID;
    }
    if (total) {
        mr = odp_hca_resp_mr(s, qp, rkey, start, total,
                             ODP_HCA_ACCESS_REMOTE_WRITE);
        if (!mr) {
            return ODP_HCA_ANS_NAK_ACCESS;
        }
    }
    if (pkt->payload_len) {
        rc = odp_hca_mr_dma(s, mr, va, (void *)pkt->payload, pkt->payload_len,
                            true, &fault_iova, &verr);
        if (rc > 0) {
            odp_hca_resp_fault(s, qp, rkey, fault_iova,
                               start + total - fault_iova,
                               ODP_HCA_FAULT_WRITE);
            return ODP_HCA_ANS_RNR;
        }
        if (rc < 0) {
            return ODP_HCA_ANS_NAK_ACCESS;
        }
    }
    if ((flags & ODP_HCA_ROCE_F_LAST) && (flags & ODP_HCA_ROCE_F_IMMDT)) {
        if (!rs->recv_active && !odp_hca_resp_claim(s, qp)) {
            return ODP_HCA_ANS_RNR;
        }
        if (rs->recv_cap == UINT32_MAX) {
            odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                                  ODP_HCA_VERR_BAD_WQE,
                                  ODP_HCA_CQE_RECV_RDMA_IMM, 0, 0, 0,
                                  odp_hca_resp_src(qp));
            return ODP_HCA_ANS_NAK_OPERATION;
        }
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0,
                              ODP_HCA_CQE_RECV_RDMA_IMM, total,
                              ODP_HCA_CQE_F_IMM |
                              (pkt->se ? ODP_HCA_CQE_F_SOLICITED : 0),
                              cpu_to_be32(pkt->imm), odp_hca_resp_src(qp));
    }
    rs->write_va = va + pkt->payload_len;
    rs->write_left = left - pkt->payload_len;
    rs->write_start = start;
    rs->write_len = total;
    rs->write_rkey = rkey;
    return ODP_HCA_ANS_ACK;
}

/* Queue a READ request (new, or a duplicate to answer again). */
static OdpHcaAnswer odp_hca_resp_read_request(OdpHcaState *s, OdpHcaQp *qp,
                                              const OdpHcaRocePacket *pkt,
                                              bool duplicate)
{
    OdpHcaResp *rs = &qp->resp;
    OdpHcaRespRead *rd;

    if (pkt->reth.dma_len &&
        !odp_hca_resp_mr(s, qp, pkt->reth.rkey, pkt->reth.va,
                         pkt->reth.dma_len, ODP_HCA_ACCESS_REMOTE_READ)) {
        return ODP_HCA_ANS_NAK_ACCESS;
    }
    if (rs->read_count == ODP_HCA_RESP_READS) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_READS_FULL, pkt);
        return ODP_HCA_ANS_NONE;
    }
    rd = &rs->reads[(rs->read_head + rs->read_count) % ODP_HCA_RESP_READS];
    *rd = (OdpHcaRespRead) {
        .va = pkt->reth.va,
        .rkey = pkt->reth.rkey,
        .psn = pkt->psn,
        .start_psn = pkt->psn,
        .len = pkt->reth.dma_len,
        .duplicate = duplicate,
    };
    rs->read_count++;
    odp_hca_qp_schedule(s, qp);
    return ODP_HCA_ANS_ACK;
}

static OdpHcaAnswer odp_hca_resp_atomic(OdpHcaState *s, OdpHcaQp *qp,
                                        const OdpHcaRocePacket *pkt)
{
    uint8_t verr = ODP_HCA_VERR_NONE;
    uint64_t old, new, va = pkt->atomic.va;
    uint32_t rkey = pkt->atomic.rkey;
    OdpHcaRocePacket ack;
    dma_addr_t pa;
    OdpHcaMr *mr;

    if (va & 7) {
        trace_odp_hca_err_atomic_align(qp->qpn, va);
        return ODP_HCA_ANS_NAK_INVALID;
    }
    mr = odp_hca_resp_mr(s, qp, rkey, va, 8, ODP_HCA_ACCESS_REMOTE_ATOMIC);
    if (!mr) {
        return ODP_HCA_ANS_NAK_ACCESS;
    }
    switch (odp_hca_translate(s, mr, va, true, &pa, &verr)) {
    case ODP_HCA_XLATE_FAULT:
        odp_hca_resp_fault(s, qp, rkey, va, 8,
                           ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC);
        return ODP_HCA_ANS_RNR;
    case ODP_HCA_XLATE_ERROR:
        return ODP_HCA_ANS_NAK_ACCESS;
    case ODP_HCA_XLATE_OK:
        break;
    }
    if (ldq_le_pci_dma(PCI_DEVICE(s), pa, &old, MEMTXATTRS_UNSPECIFIED)) {
        trace_odp_hca_err_page_dma(mr->key, pa);
        return ODP_HCA_ANS_NAK_ACCESS;
    }
    if (pkt->opcode == ODP_HCA_ROCE_RC_COMPARE_SWAP) {
        new = old == pkt->atomic.compare ? pkt->atomic.swap_add : old;
    } else {
        new = old + pkt->atomic.swap_add;
    }
    if (new != old &&
        stq_le_pci_dma(PCI_DEVICE(s), pa, new, MEMTXATTRS_UNSPECIFIED)) {
        trace_odp_hca_err_page_dma(mr->key, pa);
        return ODP_HCA_ANS_NAK_ACCESS;
    }
    {
        uint32_t i = qp->resp.atomic_next++ % ODP_HCA_RESP_ATOMICS;

        qp->resp.atomics[i].valid = true;
        qp->resp.atomics[i].psn = pkt->psn;
        qp->resp.atomics[i].orig = old;
    }
    qp->resp.msn++;
    odp_hca_link_fill(s, qp, &ack, ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE,
                      pkt->psn);
    ack.aeth.syndrome = AETH_ACK_UNLIMITED;
    ack.aeth.msn = qp->resp.msn & ODP_HCA_ROCE_FIELD24_MAX;
    ack.atomic_ack = old;
    s->stats.roce_acks_sent++;
    odp_hca_link_send(s, &ack, NULL);
    return ODP_HCA_ANS_NONE;    /* answered */
}

/* Packets a READ of @len bytes is answered with. */
static uint32_t odp_hca_resp_read_pkts(OdpHcaQp *qp, uint64_t len)
{
    return odp_hca_packets(len, qp->path_mtu);
}

/*
 * A request with a PSN before the expected one: the requester went back
 * and sends again what was accepted.  SEND and WRITE are not executed
 * twice, only ACKed; a READ is executed again; an atomic gets the answer
 * it had.
 */
static void odp_hca_resp_duplicate(OdpHcaState *s, OdpHcaQp *qp,
                                   const OdpHcaRocePacket *pkt,
                                   uint32_t flags)
{
    OdpHcaResp *rs = &qp->resp;

    s->stats.roce_duplicates++;
    if (flags & ODP_HCA_ROCE_F_READ) {
        if (rs->fault.pending) {
            odp_hca_resp_not_ready(s, qp, pkt->psn);
            return;
        }
        /*
         * The requester went back to this PSN: queued READs that reach
         * it (asked again from inside, or sent again after it) are
         * obsolete; those wholly before it belong to READs resent just
         * before this one.
         */
        for (uint32_t i = 0; i < rs->read_count; i++) {
            OdpHcaRespRead *q = &rs->reads[(rs->read_head + i) %
                                           ODP_HCA_RESP_READS];
            uint32_t end = q->start_psn + odp_hca_resp_read_pkts(qp, q->len);

            if (odp_hca_psn_diff(end, pkt->psn) > 0) {
                rs->read_count = i;
                break;
            }
        }
        {
            uint32_t end = pkt->psn +
                           odp_hca_resp_read_pkts(qp, pkt->reth.dma_len);
            /*
             * A READ whose PSNs were taken back (a fault cut its answer)
             * and that is asked again from an earlier PSN reaches past
             * the expected PSN: its answer gives those PSNs, so it is the
             * READ heard again, not only a duplicate.
             */
            bool crosses = odp_hca_psn_diff(end, qp->rq_psn) > 0;

            if (odp_hca_resp_read_request(s, qp, pkt, !crosses) ==
                ODP_HCA_ANS_NAK_ACCESS) {
                odp_hca_resp_send_aeth(s, qp, AETH_NAK_ACCESS, pkt->psn);
            } else if (crosses) {
                qp->rq_psn = end & ODP_HCA_PSN_MASK;
                rs->nak_out = false;
            }
        }
        return;
    }
    if (flags & ODP_HCA_ROCE_F_ATOMIC) {
        OdpHcaRocePacket ack;
        int found = -1;

        for (int i = 0; i < ODP_HCA_RESP_ATOMICS; i++) {
            if (rs->atomics[i].valid && rs->atomics[i].psn == pkt->psn) {
                found = i;
            }
        }
        if (found < 0) {
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_PSN, pkt);
            return;
        }
        odp_hca_link_fill(s, qp, &ack, ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE,
                          pkt->psn);
        ack.aeth.syndrome = AETH_ACK_UNLIMITED;
        ack.aeth.msn = rs->msn & ODP_HCA_ROCE_FIELD24_MAX;
        ack.atomic_ack = rs->atomics[found].orig;
        s->stats.roce_acks_sent++;
        odp_hca_link_send(s, &ack, NULL);
        return;
    }
    odp_hca_resp_send_aeth(s, qp, AETH_ACK_UNLIMITED,
                           (qp->rq_psn - 1) & ODP_HCA_PSN_MASK);
}

static bool odp_hca_resp_reads_first(OdpHcaState *s, OdpHcaQp *qp,
                                     const OdpHcaRocePacket *pkt);

/* An RC request packet at the expected PSN. */
static void odp_hca_resp_in_order(OdpHcaState *s, OdpHcaQp *qp,
                                  const OdpHcaRocePacket *pkt, uint32_t flags)
{
    OdpHcaResp *rs = &qp->resp;
    uint32_t op = flags & (ODP_HCA_ROCE_F_SEND | ODP_HCA_ROCE_F_WRITE);
    uint32_t advance = 1;
    OdpHcaAnswer ans;

    if (!(flags & ODP_HCA_ROCE_F_READ) &&
        !odp_hca_resp_reads_first(s, qp, pkt)) {
        return;
    }
    if (rs->fault.pending) {
        odp_hca_resp_not_ready(s, qp, pkt->psn);
        return;
    }
    if (rs->fault_failed) {
        /* The driver could not map the pages: this request fails. */
        rs->fault_failed = false;
        rs->in_msg = 0;
        if (flags & ODP_HCA_ROCE_F_SEND) {
            if (rs->recv_active) {
                odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                      ODP_HCA_VERR_FAULT_FAILED,
                                      ODP_HCA_CQE_RECV, 0, 0, 0,
                                      odp_hca_resp_src(qp));
            }
            odp_hca_resp_send_aeth(s, qp, AETH_NAK_OPERATION, pkt->psn);
        } else {
            odp_hca_resp_send_aeth(s, qp, AETH_NAK_ACCESS, pkt->psn);
        }
        rs->nak_out = true;
        return;
    }
    /* FIRST and ONLY begin a message; MIDDLE and LAST continue one. */
    if (op && ((flags & ODP_HCA_ROCE_F_FIRST) ? rs->in_msg != 0
                                              : rs->in_msg != op)) {
        trace_odp_hca_err_opcode_sequence(qp->qpn, pkt->opcode, rs->in_msg);
        odp_hca_resp_send_aeth(s, qp, AETH_NAK_INVALID, pkt->psn);
        rs->nak_out = true;
        return;
    }
    if (!op && rs->in_msg) {
        trace_odp_hca_err_opcode_sequence(qp->qpn, pkt->opcode, rs->in_msg);
        odp_hca_resp_send_aeth(s, qp, AETH_NAK_INVALID, pkt->psn);
        rs->nak_out = true;
        return;
    }

    if (flags & ODP_HCA_ROCE_F_SEND) {
        ans = odp_hca_resp_send(s, qp, pkt, flags);
    } else if (flags & ODP_HCA_ROCE_F_WRITE) {
        ans = odp_hca_resp_write(s, qp, pkt, flags);
    } else if (flags & ODP_HCA_ROCE_F_READ) {
        ans = odp_hca_resp_read_request(s, qp, pkt, false);
        advance = odp_hca_resp_read_pkts(qp, pkt->reth.dma_len);
    } else {
        ans = odp_hca_resp_atomic(s, qp, pkt);
        if (ans == ODP_HCA_ANS_NONE) {
            qp->rq_psn = (qp->rq_psn + 1) & ODP_HCA_PSN_MASK;
            rs->nak_out = false;
            return;
        }
    }

    switch (ans) {
    case ODP_HCA_ANS_ACK:
        qp->rq_psn = (qp->rq_psn + advance) & ODP_HCA_PSN_MASK;
        rs->nak_out = false;
        if (op) {
            rs->in_msg = (flags & ODP_HCA_ROCE_F_LAST) ? 0 : op;
        }
        if ((flags & ODP_HCA_ROCE_F_LAST) && op) {
            rs->msn++;
        }
        if (flags & ODP_HCA_ROCE_F_READ) {
            rs->msn++;
        } else if (pkt->ack_req) {
            odp_hca_resp_send_aeth(s, qp, AETH_ACK_UNLIMITED, pkt->psn);
        }
        return;
    case ODP_HCA_ANS_RNR:
        odp_hca_resp_not_ready(s, qp, pkt->psn);
        return;
    case ODP_HCA_ANS_NAK_INVALID:
        odp_hca_resp_send_aeth(s, qp, AETH_NAK_INVALID, pkt->psn);
        break;
    case ODP_HCA_ANS_NAK_ACCESS:
        odp_hca_resp_send_aeth(s, qp, AETH_NAK_ACCESS, pkt->psn);
        break;
    case ODP_HCA_ANS_NAK_OPERATION:
        odp_hca_resp_send_aeth(s, qp, AETH_NAK_OPERATION, pkt->psn);
        break;
    case ODP_HCA_ANS_NONE:
        return;
    }
    /* A NAKed message is over: the requester's QP goes to error. */
    rs->in_msg = 0;
    rs->nak_out = true;
}

static void odp_hca_resp_rc(OdpHcaState *s, OdpHcaQp *qp,
                            const OdpHcaRocePacket *pkt, uint32_t flags)
{
    int32_t diff = odp_hca_psn_diff(pkt->psn, qp->rq_psn);

    if (diff > 0) {
        if (qp->resp.fault.pending &&
            qp->resp.fault.policy == ODP_HCA_RESPONDER_FAULT_DROP) {
            /* behind a dropped request: dropped too, no NAK */
            odp_hca_resp_drop(s, qp, pkt->psn);
            return;
        }
        /* A gap: one NAK says where to go back to; then silence. */
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_PSN, pkt);
        if (!qp->resp.nak_out) {
            qp->resp.nak_out = true;
            odp_hca_resp_send_aeth(s, qp, AETH_NAK_SEQ, qp->rq_psn);
        }
        return;
    }
    if (diff < 0) {
        odp_hca_resp_duplicate(s, qp, pkt, flags);
        return;
    }
    odp_hca_resp_in_order(s, qp, pkt, flags);
}

/*
 * Answer the oldest queued READ, a packet at a time, within the bottom
 * half's budget.  True while there is more to send.
 */
/*
 * A READ's answer stops at @rd's next response, and the READs queued
 * behind it are forgotten: the requester asks again from there.  A READ
 * heard for the first time gives its PSNs back (the expected PSN goes
 * back to the response): nothing after it was executed, only queued (see
 * odp_hca_resp_reads_first()).  A duplicate keeps the expected PSN: what
 * came after it was executed and is only ACKed when sent again.
 */
static void odp_hca_resp_read_take_back(OdpHcaQp *qp, OdpHcaRespRead *rd)
{
    if (!rd->duplicate) {
        qp->rq_psn = rd->psn;
    }
    qp->resp.read_count = 0;
}

/*
 * A READ whose answer met a missing page under the stall policy is held
 * where it stopped, the port standing with it as with a request at its
 * head: the RESUME answers on from that packet, nothing is resent.  Under
 * the other policies it is taken back and asked for again.
 */
static bool odp_hca_resp_read_held(const OdpHcaResp *rs)
{
    return rs->fault.pending &&
           rs->fault.policy == ODP_HCA_RESPONDER_FAULT_STALL;
}

static bool odp_hca_resp_reads(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes,
                              bool wait_room)
{
    OdpHcaResp *rs = &qp->resp;
    uint32_t pmtu = odp_hca_link_pmtu(qp);

    while (rs->read_count && *bytes && qp->type == ODP_HCA_QPT_RC &&
           odp_hca_resp_receiving(qp)) {
        OdpHcaRespRead *rd = &rs->reads[rs->read_head];
        uint32_t len = MIN(pmtu, rd->len - rd->done);
        bool first = rd->done == 0, last = rd->done + len == rd->len;
        uint8_t verr = ODP_HCA_VERR_NONE, opcode;
        uint64_t fault_iova;
        OdpHcaRocePacket pkt;
        OdpHcaFrame *frame;
        OdpHcaMr *mr = NULL;
        int rc;

        if (wait_room && !odp_hca_link_room(s, s->rx_queue_max / 8)) {
            return true;
        }
        if (rs->fault.pending) {
            if (odp_hca_resp_read_held(rs)) {
                return false;   /* goes on from here on RESUME */
            }
            /* as a fault of its own: asked again after RESUME */
            odp_hca_resp_read_take_back(qp, rd);
            odp_hca_resp_not_ready(s, qp, rd->psn);
            return false;
        }
        if (rs->fault_failed) {
            /* a READ held by a stall whose pages could not be mapped */
            rs->fault_failed = false;
            odp_hca_resp_read_take_back(qp, rd);
            odp_hca_resp_send_aeth(s, qp, AETH_NAK_ACCESS, rd->psn);
            rs->nak_out = true;
            return false;
        }
        opcode = first && last ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_ONLY :
                 first ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_FIRST :
                 last ? ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_LAST :
                 ODP_HCA_ROCE_RC_RDMA_READ_RESPONSE_MIDDLE;
        odp_hca_link_fill(s, qp, &pkt, opcode, rd->psn);
        pkt.aeth.syndrome = AETH_ACK_UNLIMITED;
        pkt.aeth.msn = rs->msn & ODP_HCA_ROCE_FIELD24_MAX;
        pkt.payload_len = len;
        frame = odp_hca_link_frame_new(s, &pkt);
        if (!frame) {
            rs->read_count = 0;
            return false;
        }
        if (len) {
            mr = odp_hca_resp_mr(s, qp, rd->rkey, rd->va, rd->len,
                                 ODP_HCA_ACCESS_REMOTE_READ);
            rc = mr ? odp_hca_link_payload(s, frame, &pkt, mr,
                                           rd->va + rd->done, &fault_iova,
                                           &verr) : -1;
            if (rc) {
                odp_hca_frame_free(s, frame);
                if (rc > 0) {
                    odp_hca_resp_fault(s, qp, rd->rkey, fault_iova,
                                       rd->va + rd->len - fault_iova,
                                       ODP_HCA_FAULT_READ);
                    if (odp_hca_resp_read_held(rs)) {
                        odp_hca_link_stall(s, &rs->fault);
                        return false;
                    }
                    odp_hca_resp_read_take_back(qp, rd);
                    odp_hca_resp_not_ready(s, qp, rd->psn);
                } else {
                    odp_hca_resp_read_take_back(qp, rd);
                    odp_hca_resp_send_aeth(s, qp, AETH_NAK_ACCESS, rd->psn);
                    rs->nak_out = true;
                }
                return false;
            }
        }
        odp_hca_link_send(s, &pkt, frame);
        rd->done += len;
        rd->psn = (rd->psn + 1) & ODP_HCA_PSN_MASK;
        *bytes -= MIN(*bytes, MAX(len, 1));
        if (last) {
            rs->read_head = (rs->read_head + 1) % ODP_HCA_RESP_READS;
            rs->read_count--;
        }
    }
    return rs->read_count != 0 && odp_hca_resp_receiving(qp);
}

bool odp_hca_responder_run(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes)
{
    return odp_hca_resp_reads(s, qp, bytes, true);
}

/*
 * A request after queued READs is executed only when they are answered:
 * a responder executes in PSN order, and a READ that faults must be able
 * to take its PSN back.  Up to ODP_HCA_RESP_DRAIN bytes of answers go
 * now; beyond that (or on a fault) the request is dropped and sent again.
 */
static bool odp_hca_resp_reads_first(OdpHcaState *s, OdpHcaQp *qp,
                                     const OdpHcaRocePacket *pkt)
{
    uint64_t bytes = ODP_HCA_RESP_DRAIN;

    if (!qp->resp.read_count) {
        return true;
    }
    odp_hca_resp_reads(s, qp, &bytes, false);
    if (qp->resp.read_count || pkt->psn != qp->rq_psn) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_READS_BUSY, pkt);
        return false;
    }
    return true;
}

/* A UD datagram: into the next receive WQE behind its GRH, or dropped. */
static void odp_hca_resp_ud(OdpHcaState *s, OdpHcaQp *qp,
                            const OdpHcaRocePacket *pkt)
{
    uint8_t buf[ODP_HCA_GRH_LEN + ODP_HCA_PAGE_SIZE];
    uint8_t verr = ODP_HCA_VERR_NONE;
    bool imm = pkt->opcode == ODP_HCA_ROCE_UD_SEND_ONLY_IMM;
    uint32_t src = pkt->deth.src_qpn;
    uint8_t *grh = buf;
    bool v4;
    int rc;

    if (qp->resp.fault.pending) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_UD_FAULT, pkt);
        return;
    }
    if (pkt->deth.qkey != qp->qkey) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QKEY, pkt);
        return;
    }
    if (!odp_hca_resp_claim(s, qp)) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_UD_NO_BUFFER, pkt);
        return;
    }
    if (qp->resp.recv_cap == UINT32_MAX) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                              ODP_HCA_VERR_BAD_WQE, ODP_HCA_CQE_RECV, 0, 0, 0,
                              src);
        return;
    }
    if (ODP_HCA_GRH_LEN + pkt->payload_len > qp->resp.recv_cap) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_LEN_ERR, ODP_HCA_VERR_LEN,
                              ODP_HCA_CQE_RECV, 0, 0, 0, src);
        return;
    }
    /* The GRH slot holds the packet's IP header, as RoCE adapters do. */
    v4 = odp_hca_roce_grh(pkt, grh);
    memcpy(buf + ODP_HCA_GRH_LEN, pkt->payload, pkt->payload_len);
    rc = odp_hca_resp_scatter(s, qp, 0, buf,
                              ODP_HCA_GRH_LEN + pkt->payload_len, &verr);
    if (rc > 0) {
        /* UD has no RNR: the datagram is lost, the fault still served. */
        odp_hca_resp_unclaim(s, qp);
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_UD_FAULT, pkt);
        return;
    }
    if (rc < 0) {
        odp_hca_resp_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr,
                              ODP_HCA_CQE_RECV, 0, 0, 0, src);
        return;
    }
    odp_hca_resp_complete(s, qp, ODP_HCA_WC_SUCCESS, 0, ODP_HCA_CQE_RECV,
                          ODP_HCA_GRH_LEN + pkt->payload_len,
                          ODP_HCA_CQE_F_GRH | (v4 ? ODP_HCA_CQE_F_GRH_IPV4 : 0) |
                          (imm ? ODP_HCA_CQE_F_IMM : 0) |
                          (pkt->se ? ODP_HCA_CQE_F_SOLICITED : 0),
                          imm ? cpu_to_be32(pkt->imm) : 0, src);
}

/* A request packet from the link (loopback or the wire). */
void odp_hca_responder_rx(OdpHcaState *s, const OdpHcaRocePacket *pkt)
{
    const OdpHcaRoceOpInfo *op = odp_hca_roce_opcode_info(pkt->opcode);
    OdpHcaQp *qp = odp_hca_qp_get(s, pkt->dest_qpn);
    bool ud = op->flags & ODP_HCA_ROCE_F_UD;

    if (!qp) {
        trace_odp_hca_dropped(0, pkt->dest_qpn);
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_NO_QP, pkt);
        return;
    }
    if (ud ? !odp_hca_qpt_is_ud(qp->type) : qp->type != ODP_HCA_QPT_RC) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QP_TYPE, pkt);
        return;
    }
    if (!odp_hca_resp_receiving(qp)) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QP_STATE, pkt);
        return;
    }
    if (!ud && pkt->payload_len > odp_hca_link_pmtu(qp)) {
        /*
         * More payload than the QP's path MTU: a malformed packet, as the
         * frame parser drops one over the largest MTU.  Only the QP knows
         * its path MTU, so the check is here.
         */
        s->stats.roce_parse_drops[ODP_HCA_ROCE_DROP_TOO_LONG]++;
        trace_odp_hca_xport_drop(
            odp_hca_roce_drop_name(ODP_HCA_ROCE_DROP_TOO_LONG),
            pkt->dest_qpn, pkt->opcode, pkt->psn);
        return;
    }
    if (ud) {
        odp_hca_resp_ud(s, qp, pkt);
    } else {
        qp->resp.peer_notify = pkt->x_notify;
        odp_hca_resp_rc(s, qp, pkt, op->flags);
    }
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
