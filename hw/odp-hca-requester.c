/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the requester: turning send WQEs into RoCEv2 packets, and the
 * ACKs, NAKs and responses that come back into completions.
 *
 * RC is go-back-N, as the IB specification states it.  Packets carry
 * consecutive PSNs; up to ODP_HCA_REQ_WINDOW WQEs and
 * ODP_HCA_REQ_MAX_PKTS packets are in flight; every
 * ODP_HCA_REQ_ACK_EVERY-th packet and the last of each message ask for
 * an ACK.  An ACK retires the SEND and WRITE WQEs it covers; READs retire
 * when their last response lands, atomics when their answer is written
 * back.  A NAK sequence error, an RNR NAK (after the responder's
 * min_rnr_timer) and the local ACK timeout all go back to the first PSN
 * the responder has not accepted and send from there again; the timeout
 * and sequence errors count against retry_cnt, RNR NAKs against
 * rnr_retry.
 *
 * Local pages are translated when a packet is built (SEND, WRITE) or a
 * response lands (READ, ATOMIC).  A missing one stalls only this QP: for
 * a send the packet waits, for a READ response the packet is dropped and
 * re-requested after RESUME.  While the QP waits for RESUME its ACK
 * timer does not count.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

/* IB min_rnr_timer encoding, in units of 10 us. */
static const uint32_t rnr_timer_10us[32] = {
    65536, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192,
    256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288,
    16384, 24576, 32768, 49152,
};

/* AETH syndromes (IBTA 9.7.5.2.8): the top three bits say which kind. */
#define AETH_KIND(syn)      ((syn) >> 5)
#define AETH_KIND_ACK       0
#define AETH_KIND_RNR       1
#define AETH_KIND_NAK       3
#define AETH_NAK_SEQ        0x60
#define AETH_NAK_INVALID    0x61
#define AETH_NAK_ACCESS     0x62
#define AETH_NAK_OPERATION  0x63

static uint8_t odp_hca_cqe_opcode(uint8_t op)
{
    switch (op) {
    case ODP_HCA_WQE_RDMA_WRITE:
    case ODP_HCA_WQE_RDMA_WRITE_IMM:
        return ODP_HCA_CQE_RDMA_WRITE;
    case ODP_HCA_WQE_RDMA_READ:
        return ODP_HCA_CQE_RDMA_READ;
    case ODP_HCA_WQE_ATOMIC_CS:
        return ODP_HCA_CQE_COMP_SWAP;
    case ODP_HCA_WQE_ATOMIC_FA:
        return ODP_HCA_CQE_FETCH_ADD;
    case ODP_HCA_WQE_REG_MR:
        return ODP_HCA_CQE_REG_MR;
    case ODP_HCA_WQE_LOCAL_INV:
        return ODP_HCA_CQE_LOCAL_INV;
    default:
        return ODP_HCA_CQE_SEND;
    }
}

static OdpHcaFlight *odp_hca_req_flight(OdpHcaQp *qp, uint16_t index)
{
    return &qp->req.flight[index % ODP_HCA_REQ_WINDOW];
}

/* WQEs begun and not complete: [sq_ci, limit). */
static uint16_t odp_hca_req_limit(OdpHcaQp *qp)
{
    return qp->req.send_next + (qp->req.send.valid ? 1 : 0);
}

static bool odp_hca_req_is_rc(OdpHcaQp *qp)
{
    return qp->type == ODP_HCA_QPT_RC;
}

/*
 * (Re)arm the local ACK timer while packets are unacknowledged.  Lazily:
 * the deadline moves with every send and ACK, the timer only when it
 * must fire earlier.  Moving a QEMU timer that is the first to expire
 * wakes the main loop, and doing that for every message cost more than
 * a small message takes; a timer that fires before the deadline is
 * armed again for it, once per timeout at most.
 */
static void odp_hca_req_ack_timer(OdpHcaState *s, OdpHcaQp *qp, bool restart)
{
    OdpHcaReq *r = &qp->req;
    QEMUTimer *t = odp_hca_qp_timer(s, qp);

    if (r->wait == ODP_HCA_REQ_RNR) {
        return;
    }
    if (r->una == qp->sq_psn || !qp->timeout) {
        /* Timeout 0 means wait forever, as the IB spec says. */
        r->ack_deadline = 0;
        return;
    }
    if (restart || !r->ack_deadline) {
        r->ack_deadline = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                          (4096ll << qp->timeout);
    }
    if (!timer_pending(t) || timer_expire_time_ns(t) > r->ack_deadline) {
        timer_mod(t, r->ack_deadline);
    }
}

/* Retire the oldest WQE (sq_ci): its completion, and an error's QP state. */
static void odp_hca_req_retire(OdpHcaState *s, OdpHcaQp *qp, uint8_t status,
                               uint8_t verr)
{
    OdpHcaReq *r = &qp->req;
    OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);
    bool signaled = status != ODP_HCA_WC_SUCCESS || qp->sq_sig_all ||
                    (f->flags & ODP_HCA_WQE_F_SIGNALED);
    bool cq_ok = true;

    if (signaled) {
        struct odp_hca_cqe cqe = {
            .wr_id = cpu_to_le64(f->wr_id),
            .byte_len = cpu_to_le32(status ? 0 : f->length),
            .qpn = cpu_to_le32(qp->qpn),
            .opcode = odp_hca_cqe_opcode(f->opcode),
            .status = status,
            .vendor_err = verr,
            .wqe_index = cpu_to_le16(qp->sq_ci & (qp->sq.entries - 1)),
        };

        cq_ok = odp_hca_cq_post(s, qp->send_cqn, &cqe);
    }
    trace_odp_hca_wqe_done(qp->qpn, qp->sq_ci, f->opcode, status);
    if (r->comp.valid && r->comp.index == qp->sq_ci) {
        r->comp.valid = false;
    }
    if (r->send.valid && r->send.index == qp->sq_ci) {
        r->send.valid = false;
        r->send_next++;
    }
    qp->sq_ci++;

    if (status == ODP_HCA_WC_SUCCESS) {
        qp->tally.wqes++;
        qp->tally.bytes += f->length;
    }
    if (status != ODP_HCA_WC_SUCCESS) {
        r->wait = ODP_HCA_REQ_RUN;
        odp_hca_qp_error(s, qp, verr);
    } else if (!cq_ok) {
        odp_hca_qp_error(s, qp, ODP_HCA_VERR_CQ_OVERFLOW);
    }
}

/*
 * The WQE being sent failed locally.  Completions keep their order: it
 * fails when the WQEs before it are done, and nothing more is sent.
 */
static void odp_hca_req_fail_send(OdpHcaState *s, OdpHcaQp *qp,
                                  uint8_t status, uint8_t verr)
{
    OdpHcaReq *r = &qp->req;

    if (qp->sq_ci == r->send.index) {
        odp_hca_req_retire(s, qp, status, verr);
        return;
    }
    r->fail_pending = true;
    r->fail_status = status;
    r->fail_verr = verr;
}

/*
 * Copy in the WQE at SQ counter @index.  Returns true, or false with
 * *status and *verr saying what is wrong with it.
 */
static bool odp_hca_req_load(OdpHcaState *s, OdpHcaQp *qp, uint16_t index,
                             OdpHcaWqe *w, uint8_t *status, uint8_t *verr)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    dma_addr_t addr = odp_hca_ring_addr(&qp->sq, index);
    uint32_t off = sizeof(struct odp_hca_wqe_ctrl);
    struct odp_hca_wqe_ctrl *c = &w->ctrl;

    *status = ODP_HCA_WC_LOC_QP_OP_ERR;
    *verr = ODP_HCA_VERR_BAD_WQE;
    memset(c, 0, sizeof(*c));
    w->valid = false;
    w->index = index;
    w->length = 0;

    if (pci_dma_read(pdev, addr, c, sizeof(*c)) != MEMTX_OK) {
        *verr = ODP_HCA_VERR_DMA;
        goto dma;
    }
    c->wr_id = le64_to_cpu(c->wr_id);
    c->remote_addr = le64_to_cpu(c->remote_addr);
    c->rkey = le32_to_cpu(c->rkey);
    c->inline_len = le32_to_cpu(c->inline_len);
    c->compare_add = le64_to_cpu(c->compare_add);
    c->swap = le64_to_cpu(c->swap);
    trace_odp_hca_wqe(qp->qpn, index, c->opcode, c->wr_id);

    if (c->opcode > ODP_HCA_WQE_OPCODE_MAX ||
        (odp_hca_qpt_is_ud(qp->type) && c->opcode != ODP_HCA_WQE_SEND &&
         c->opcode != ODP_HCA_WQE_SEND_IMM) ||
        (qp->type == ODP_HCA_QPT_RAW_ETH && c->opcode != ODP_HCA_WQE_SEND)) {
        trace_odp_hca_err_wqe_opcode(qp->qpn, index, c->opcode, qp->type);
        odp_hca_guest_error(s, "QP %u WQE %u: opcode %u", qp->qpn, index,
                            c->opcode);
        return false;
    }
    if (odp_hca_qpt_is_ud(qp->type)) {
        if (pci_dma_read(pdev, addr + off, &w->ud, sizeof(w->ud))) {
            *verr = ODP_HCA_VERR_DMA;
            goto dma;
        }
        w->ud.dest_qpn = le32_to_cpu(w->ud.dest_qpn);
        w->ud.qkey = le32_to_cpu(w->ud.qkey);
        w->ud.flow_label = le32_to_cpu(w->ud.flow_label);
        off += sizeof(w->ud);
    }

    if (c->flags & ODP_HCA_WQE_F_INLINE) {
        if (c->opcode != ODP_HCA_WQE_SEND &&
            c->opcode != ODP_HCA_WQE_SEND_IMM &&
            c->opcode != ODP_HCA_WQE_SEND_INV &&
            c->opcode != ODP_HCA_WQE_RDMA_WRITE &&
            c->opcode != ODP_HCA_WQE_RDMA_WRITE_IMM) {
            trace_odp_hca_err_wqe_inline(qp->qpn, index, c->opcode);
            odp_hca_guest_error(s, "QP %u WQE %u: inline %u", qp->qpn,
                                index, c->opcode);
            return false;
        }
        if (c->inline_len > qp->max_inline ||
            off + c->inline_len > qp->sq.stride) {
            trace_odp_hca_err_wqe_len(qp->qpn, index, c->inline_len,
                                      MIN(qp->max_inline, qp->sq.stride - off));
            odp_hca_guest_error(s, "QP %u WQE %u: inline length %u",
                                qp->qpn, index, c->inline_len);
            *status = ODP_HCA_WC_LOC_LEN_ERR;
            *verr = ODP_HCA_VERR_LEN;
            return false;
        }
        if (pci_dma_read(pdev, addr + off, w->inline_data, c->inline_len)) {
            *verr = ODP_HCA_VERR_DMA;
            goto dma;
        }
        w->length = c->inline_len;
    } else {
        uint32_t max_sge = odp_hca_wqe_is_local(c->opcode) ? 0 :
                           qp->max_send_sge;

        if (c->num_sge > max_sge ||
            off + c->num_sge * sizeof(struct odp_hca_sge) > qp->sq.stride) {
            trace_odp_hca_err_wqe_sge(qp->qpn, index, c->num_sge, max_sge);
            odp_hca_guest_error(s, "QP %u WQE %u: %u SGEs", qp->qpn,
                                index, c->num_sge);
            return false;
        }
        if (pci_dma_read(pdev, addr + off, w->sge,
                         c->num_sge * sizeof(struct odp_hca_sge))) {
            *verr = ODP_HCA_VERR_DMA;
            goto dma;
        }
        for (int i = 0; i < c->num_sge; i++) {
            w->sge[i].addr = le64_to_cpu(w->sge[i].addr);
            w->sge[i].length = le32_to_cpu(w->sge[i].length);
            w->sge[i].lkey = le32_to_cpu(w->sge[i].lkey);
            w->length += w->sge[i].length;
        }
        if (w->length > 1ull << 31) {
            trace_odp_hca_err_wqe_len(qp->qpn, index, w->length, 1ull << 31);
            *status = ODP_HCA_WC_LOC_LEN_ERR;
            *verr = ODP_HCA_VERR_LEN;
            return false;
        }
    }

    if ((c->opcode == ODP_HCA_WQE_ATOMIC_CS ||
         c->opcode == ODP_HCA_WQE_ATOMIC_FA) && w->length != 8) {
        trace_odp_hca_err_wqe_len(qp->qpn, index, w->length, 8);
        *status = ODP_HCA_WC_LOC_LEN_ERR;
        *verr = ODP_HCA_VERR_LEN;
        return false;
    }
    if (odp_hca_qpt_is_ud(qp->type) && w->length > ODP_HCA_PAGE_SIZE) {
        trace_odp_hca_err_wqe_len(qp->qpn, index, w->length,
                                  ODP_HCA_PAGE_SIZE);
        *status = ODP_HCA_WC_LOC_LEN_ERR;
        *verr = ODP_HCA_VERR_LEN;
        return false;
    }
    if (qp->type == ODP_HCA_QPT_RAW_ETH &&
        (w->length < ODP_HCA_ETH_MIN_FRAME ||
         w->length > ODP_HCA_ETH_MAX_FRAME)) {
        trace_odp_hca_err_wqe_len(qp->qpn, index, w->length,
                                  w->length < ODP_HCA_ETH_MIN_FRAME ?
                                  ODP_HCA_ETH_MIN_FRAME :
                                  ODP_HCA_ETH_MAX_FRAME);
        odp_hca_guest_error(s, "QP %u WQE %u: frame of %" PRIu64 " bytes",
                            qp->qpn, index, w->length);
        *status = ODP_HCA_WC_LOC_LEN_ERR;
        *verr = ODP_HCA_VERR_LEN;
        return false;
    }
    w->valid = true;
    return true;

dma:
    trace_odp_hca_err_wqe_dma(qp->qpn, index);
    return false;
}

/*
 * The local piece of the message at @offset: at most @max bytes, within
 * one SGE and one page.  Returns the vendor error, or NONE with *mr,
 * *iova and *len set.
 */
static uint8_t odp_hca_req_local(OdpHcaState *s, OdpHcaQp *qp,
                                 const OdpHcaWqe *w, uint64_t offset,
                                 uint32_t max, bool write, OdpHcaMr **mr,
                                 const struct odp_hca_sge **sgep,
                                 uint64_t *iova, uint32_t *len)
{
    uint64_t start = 0;

    for (int i = 0; i < w->ctrl.num_sge; i++) {
        const struct odp_hca_sge *sge = &w->sge[i];
        uint64_t within, page_left;
        uint8_t verr;

        if (offset >= start + sge->length) {
            start += sge->length;
            continue;
        }
        *mr = odp_hca_mr_lookup(s, sge->lkey, qp->pdn);
        if (!*mr) {
            return ODP_HCA_VERR_BAD_LKEY;
        }
        verr = odp_hca_mr_check(*mr, sge->addr, sge->length,
                                write ? ODP_HCA_ACCESS_LOCAL_WRITE : 0);
        if (verr) {
            return verr;
        }
        within = offset - start;
        *iova = sge->addr + within;
        page_left = ODP_HCA_PAGE_SIZE - (*iova & (ODP_HCA_PAGE_SIZE - 1));
        *len = MIN(MIN(max, sge->length - within), page_left);
        *sgep = sge;
        return ODP_HCA_VERR_NONE;
    }
    return ODP_HCA_VERR_BOUNDS;
}

static void odp_hca_req_fault(OdpHcaState *s, OdpHcaQp *qp,
                              const struct odp_hca_sge *sge, uint64_t iova,
                              uint8_t access, uint16_t index)
{
    OdpHcaReq *r = &qp->req;

    r->wait = ODP_HCA_REQ_FAULT;
    odp_hca_fault_raise(s, qp, &r->fault, ODP_HCA_FAULT_REQUESTER, sge->lkey,
                        iova, sge->addr + sge->length - iova, access,
                        index & (qp->sq.entries - 1));
}

/*
 * Move @len bytes of WQE @w at @offset between local memory and @buf.
 * 0 done; 1 a fault was raised (the QP waits); -1 an error (*verr).
 */
static int odp_hca_req_local_io_raise(OdpHcaState *s, OdpHcaQp *qp,
                                      const OdpHcaWqe *w, uint64_t offset,
                                      uint8_t *buf, uint32_t len, bool write,
                                      uint8_t access, bool raise,
                                      uint8_t *verr)
{
    if (!len) {
        return 0;   /* a 0-byte message has no payload buffer at all */
    }
    if (w->ctrl.flags & ODP_HCA_WQE_F_INLINE) {
        memcpy(buf, w->inline_data + offset, len);
        return 0;
    }
    while (len) {
        const struct odp_hca_sge *sge;
        uint64_t iova, fault_iova;
        uint32_t n;
        OdpHcaMr *mr;
        int rc;

        *verr = odp_hca_req_local(s, qp, w, offset, len, write, &mr, &sge,
                                  &iova, &n);
        if (*verr) {
            trace_odp_hca_err_wqe_lkey(qp->qpn, w->index, *verr);
            odp_hca_guest_error(s, "QP %u WQE %u: local access denied (%u)",
                                qp->qpn, w->index, *verr);
            return -1;
        }
        rc = odp_hca_mr_dma(s, mr, iova, buf, n, write, &fault_iova, verr);
        if (rc > 0) {
            if (raise) {
                odp_hca_req_fault(s, qp, sge, fault_iova, access, w->index);
            }
            return 1;
        }
        if (rc < 0) {
            return -1;
        }
        buf += n;
        offset += n;
        len -= n;
    }
    return 0;
}

static int odp_hca_req_local_io(OdpHcaState *s, OdpHcaQp *qp,
                                const OdpHcaWqe *w, uint64_t offset,
                                uint8_t *buf, uint32_t len, bool write,
                                uint8_t access, uint8_t *verr)
{
    return odp_hca_req_local_io_raise(s, qp, w, offset, buf, len, write,
                                      access, true, verr);
}

/*
 * The payload of the packet being built: @len bytes of @w at r->done,
 * into @frame.  Within one SGE it may stay mapped in a looped-back frame
 * (odp_hca_link_payload()); anything else is gathered into the frame.
 * Returns as odp_hca_req_local_io().
 */
static int odp_hca_req_payload(OdpHcaState *s, OdpHcaQp *qp, OdpHcaWqe *w,
                               OdpHcaFrame *frame, OdpHcaRocePacket *pkt,
                               uint32_t len, uint8_t *verr)
{
    uint64_t offset = qp->req.done, iova, fault_iova;
    const struct odp_hca_sge *sge;
    OdpHcaMr *mr;
    uint32_t n;
    int rc;

    if (!(w->ctrl.flags & ODP_HCA_WQE_F_INLINE) &&
        !odp_hca_req_local(s, qp, w, offset, len, false, &mr, &sge, &iova,
                           &n) && n == len) {
        rc = odp_hca_link_payload(s, frame, pkt, mr, iova, &fault_iova, verr);
        if (rc > 0) {
            odp_hca_req_fault(s, qp, sge, fault_iova, ODP_HCA_FAULT_READ,
                              w->index);
        }
        return rc;
    }
    return odp_hca_req_local_io(s, qp, w, offset, (uint8_t *)pkt->payload,
                                len, false, ODP_HCA_FAULT_READ, verr);
}

/* The oldest WQE's copy for its responses to land in. */
static bool odp_hca_req_comp(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    uint8_t status, verr;

    if (r->comp.valid && r->comp.index == qp->sq_ci) {
        return true;
    }
    if (!odp_hca_req_load(s, qp, qp->sq_ci, &r->comp, &status, &verr)) {
        odp_hca_req_retire(s, qp, status, verr);
        return false;
    }
    return true;
}

/*
 * Go back to PSN @psn and send from there again (go-back-N).  Nothing
 * before it is resent: the responder accepted all of that.
 */
static void odp_hca_req_rewind(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn,
                               const char *why)
{
    OdpHcaReq *r = &qp->req;
    uint16_t limit = odp_hca_req_limit(qp);
    uint8_t status, verr;

    for (uint16_t i = qp->sq_ci; i != limit; i++) {
        OdpHcaFlight *f = odp_hca_req_flight(qp, i);
        int32_t at = odp_hca_psn_diff(psn, f->first_psn);
        uint32_t pmtu = odp_hca_link_pmtu(qp);

        if (at < 0 || at >= (int32_t)f->npkts) {
            continue;
        }
        trace_odp_hca_rewind(qp->qpn, qp->sq_psn, psn, why);
        if (strcmp(why, "resume")) {
            /* the peer's doing; a local fault's re-request is not */
            s->stats.req_retries++;
        }
        if (!odp_hca_req_load(s, qp, i, &r->send, &status, &verr)) {
            /* The guest rewrote its WQE under us: it fails in its turn. */
            r->send.valid = false;
            r->send_next = i;
            qp->sq_psn = psn;
            return;
        }
        r->send_next = i;
        if (f->opcode == ODP_HCA_WQE_RDMA_READ) {
            /* Ask again for what has not landed. */
            r->done = f->read_done;
            qp->sq_psn = (f->first_psn + f->read_done / pmtu) &
                         ODP_HCA_PSN_MASK;
        } else {
            r->done = MIN((uint64_t)at * pmtu, f->length);
            qp->sq_psn = psn;
        }
        r->since_ack_req = 0;
        if (odp_hca_psn_diff(r->una, qp->sq_psn) > 0) {
            r->una = qp->sq_psn;
        }
        return;
    }
}

/* Whether the READ or atomic of @f has all its answer; true for others. */
static bool odp_hca_req_answered(const OdpHcaFlight *f)
{
    switch (f->opcode) {
    case ODP_HCA_WQE_RDMA_READ:
        return f->read_done == f->length;
    case ODP_HCA_WQE_ATOMIC_CS:
    case ODP_HCA_WQE_ATOMIC_FA:
        return f->atomic_done;
    default:
        return true;
    }
}

/*
 * The responder has everything before PSN @psn, which lies between what
 * was sent again since going back (sq_psn) and what was ever sent
 * (psn_high): those packets arrived the first time, and the send cursor
 * moves forward to @psn instead of sending them again.  Not into or past
 * a READ or atomic still missing its answer (asking again is how those
 * recover), and not while the QP waits for a local fault, whose RESUME
 * goes on from where it stopped.
 */
static void odp_hca_req_seek(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    OdpHcaReq *r = &qp->req;
    uint32_t pmtu = odp_hca_link_pmtu(qp);
    uint8_t status, verr;

    if (odp_hca_psn_diff(psn, qp->sq_psn) <= 0 ||
        odp_hca_psn_diff(psn, r->psn_high) > 0 ||
        r->wait == ODP_HCA_REQ_FAULT || r->fail_pending) {
        return;
    }
    for (uint16_t i = qp->sq_ci; i != r->send_high; i++) {
        OdpHcaFlight *f = odp_hca_req_flight(qp, i);
        int32_t at = odp_hca_psn_diff(psn, f->first_psn);

        if (at < 0 || !odp_hca_req_answered(f) ||
            (at < (int32_t)f->npkts && f->opcode == ODP_HCA_WQE_RDMA_READ)) {
            return;
        }
        if (at >= (int32_t)f->npkts) {
            continue;
        }
        if (!odp_hca_req_load(s, qp, i, &r->send, &status, &verr)) {
            return;     /* rewritten under us: it fails when resent */
        }
        trace_odp_hca_rewind(qp->qpn, qp->sq_psn, psn, "ack-seek");
        r->send_next = i;
        r->done = MIN((uint64_t)at * pmtu, f->length);
        qp->sq_psn = psn;
        r->since_ack_req = 0;
        return;
    }
    /* Past every WQE begun: the next one starts at @psn. */
    trace_odp_hca_rewind(qp->qpn, qp->sq_psn, psn, "ack-seek");
    r->send.valid = false;
    r->send_next = r->send_high;
    r->done = 0;
    qp->sq_psn = psn;
    r->since_ack_req = 0;
}

/*
 * Everything up to and including PSN @psn was accepted: retire what that
 * completes, and move the oldest unacknowledged PSN on (never past a
 * READ or atomic whose answer has not come).
 */
static void odp_hca_req_acked(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    OdpHcaReq *r = &qp->req;

    odp_hca_req_seek(s, qp, (psn + 1) & ODP_HCA_PSN_MASK);

    while (qp->sq_ci != odp_hca_req_limit(qp) &&
           qp->state != ODP_HCA_QPS_ERR) {
        OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);
        uint32_t last = f->first_psn + f->npkts - 1;

        if (f->opcode == ODP_HCA_WQE_RDMA_READ ||
            f->opcode == ODP_HCA_WQE_ATOMIC_CS ||
            f->opcode == ODP_HCA_WQE_ATOMIC_FA ||
            odp_hca_psn_diff(psn, last) < 0 ||
            (r->send.valid && r->send.index == qp->sq_ci)) {
            break;
        }
        odp_hca_req_retire(s, qp, ODP_HCA_WC_SUCCESS, 0);
    }
    psn = (psn + 1) & ODP_HCA_PSN_MASK;
    if (qp->sq_ci != odp_hca_req_limit(qp)) {
        /* Not past a READ or atomic whose answer is still missing. */
        OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);
        uint32_t missing = psn;

        if (f->opcode == ODP_HCA_WQE_RDMA_READ) {
            /* all answered (a short last one too): past its last PSN */
            missing = f->first_psn +
                      (f->read_done == f->length ?
                       f->npkts : f->read_done / odp_hca_link_pmtu(qp));
        } else if ((f->opcode == ODP_HCA_WQE_ATOMIC_CS ||
                    f->opcode == ODP_HCA_WQE_ATOMIC_FA) && !f->atomic_done) {
            missing = f->first_psn;
        }
        if (odp_hca_psn_diff(psn, missing) > 0) {
            psn = missing & ODP_HCA_PSN_MASK;
        }
    }
    if (odp_hca_psn_diff(psn, r->una) > 0 &&
        odp_hca_psn_diff(psn, qp->sq_psn) <= 0) {
        r->una = psn;
        r->retry_left = qp->retry_cnt;
        r->rnr_left = qp->rnr_retry;
        r->seq_rewound = false;
        odp_hca_req_ack_timer(s, qp, true);
    }
}

/* Write an atomic's answer back and retire it; false while it waits. */
static bool odp_hca_req_atomic_writeback(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);
    uint64_t val = cpu_to_le64(f->atomic_orig);
    uint8_t verr = ODP_HCA_VERR_NONE;
    int rc;

    if (!odp_hca_req_comp(s, qp)) {
        return false;
    }
    rc = odp_hca_req_local_io(s, qp, &qp->req.comp, 0, (uint8_t *)&val, 8,
                              true, ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC,
                              &verr);
    if (rc > 0) {
        qp->req.head_fault = true;
        return false;
    }
    odp_hca_req_retire(s, qp, rc < 0 ? ODP_HCA_WC_LOC_PROT_ERR :
                                       ODP_HCA_WC_SUCCESS, rc < 0 ? verr : 0);
    return true;
}

static void odp_hca_req_rnr(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn,
                            uint8_t syndrome)
{
    OdpHcaReq *r = &qp->req;

    s->stats.naks_received[ODP_HCA_NAK_KIND_RNR]++;
    if (qp->rnr_retry != 7) {
        if (r->rnr_left == 0) {
            s->stats.rnr_retry_exceeded++;
            odp_hca_req_retire(s, qp, ODP_HCA_WC_RNR_RETRY_EXC_ERR,
                               ODP_HCA_VERR_NONE);
            return;
        }
        r->rnr_left--;
    }
    /*
     * The responder answered: ACK timeouts before this no longer count
     * (retry_cnt bounds resends for want of an answer).  Soft-RoCE
     * refills only on progress; then a long responder fault on a lossy
     * link can use up retry_cnt one lost RNR NAK or resend at a time.
     */
    r->retry_left = qp->retry_cnt;
    r->rnr_psn = psn;
    r->ready_wait = false;
    if (r->wait == ODP_HCA_REQ_RUN) {
        r->wait = ODP_HCA_REQ_RNR;
    }
    /*
     * Nothing more goes out until the timer: go back now, send later.
     * Back to the oldest PSN not acknowledged, which is @psn unless a
     * READ before it still misses responses.
     */
    odp_hca_req_rewind(s, qp, r->una, "rnr");
    timer_mod(odp_hca_qp_timer(s, qp),
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              rnr_timer_10us[syndrome & 31] * 10000ll);
}

/*
 * NOT_READY (notify policy): an RNR NAK whose wait ends with the
 * responder's READY rather than a timer.  It counts against rnr_retry
 * as an RNR NAK does.  Should READY be lost, the ACK timeout (or, with
 * timeout 0, the longest RNR timer) ends the wait instead, and the
 * resend that follows is answered again.
 */
static void odp_hca_req_not_ready(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    OdpHcaReq *r = &qp->req;

    s->stats.not_ready_received++;
    trace_odp_hca_req_not_ready(qp->qpn, psn);
    /* syndrome 0: the longest RNR timer, the fallback for timeout 0 */
    odp_hca_req_rnr(s, qp, psn, 0);
    if (qp->state == ODP_HCA_QPS_ERR || r->wait != ODP_HCA_REQ_RNR) {
        return;
    }
    r->ready_wait = true;
    if (qp->timeout) {
        timer_mod(odp_hca_qp_timer(s, qp),
                  qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                  (4096ll << qp->timeout));
    }
}

/* READY (notify policy): a NOT_READY wait for @psn ends now. */
static bool odp_hca_req_ready(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn)
{
    OdpHcaReq *r = &qp->req;
    bool taken = r->wait == ODP_HCA_REQ_RNR && r->ready_wait &&
                 psn == r->rnr_psn;

    trace_odp_hca_req_ready(qp->qpn, psn, taken);
    if (!taken) {
        return false;   /* late, duplicated, or for another wait */
    }
    s->stats.ready_received++;
    r->ready_wait = false;
    r->wait = ODP_HCA_REQ_RUN;
    odp_hca_req_ack_timer(s, qp, true);
    return true;
}

static void odp_hca_req_nak(OdpHcaState *s, OdpHcaQp *qp, uint32_t psn,
                            uint8_t syndrome)
{
    OdpHcaReq *r = &qp->req;

    switch (syndrome) {
    case AETH_NAK_SEQ:
        s->stats.naks_received[ODP_HCA_NAK_KIND_SEQ]++;
        if (r->seq_rewound) {
            return;
        }
        if (r->retry_left == 0) {
            odp_hca_req_retire(s, qp, ODP_HCA_WC_RETRY_EXC_ERR,
                               ODP_HCA_VERR_NONE);
            return;
        }
        r->retry_left--;
        r->seq_rewound = true;
        odp_hca_req_rewind(s, qp, r->una, "nak-seq");
        return;
    case AETH_NAK_INVALID:
        s->stats.naks_received[ODP_HCA_NAK_KIND_INVALID]++;
        odp_hca_req_retire(s, qp, ODP_HCA_WC_REM_INV_REQ_ERR,
                           ODP_HCA_VERR_NONE);
        return;
    case AETH_NAK_ACCESS:
        s->stats.naks_received[ODP_HCA_NAK_KIND_ACCESS]++;
        odp_hca_req_retire(s, qp, ODP_HCA_WC_REM_ACCESS_ERR,
                           ODP_HCA_VERR_NONE);
        return;
    default:
        s->stats.naks_received[ODP_HCA_NAK_KIND_OPERATION]++;
        odp_hca_req_retire(s, qp, ODP_HCA_WC_REM_OP_ERR, ODP_HCA_VERR_NONE);
        return;
    }
}

/* A READ response for the oldest WQE: land it, or ask again. */
static void odp_hca_req_read_response(OdpHcaState *s, OdpHcaQp *qp,
                                      const OdpHcaRocePacket *pkt)
{
    OdpHcaReq *r = &qp->req;
    OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);
    uint32_t pmtu = odp_hca_link_pmtu(qp);
    uint32_t expect = (f->first_psn + f->read_done / pmtu) & ODP_HCA_PSN_MASK;
    uint32_t want = MIN(pmtu, f->length - f->read_done);
    uint8_t verr = ODP_HCA_VERR_NONE;
    int rc;

    if (qp->sq_ci == odp_hca_req_limit(qp) ||
        f->opcode != ODP_HCA_WQE_RDMA_READ) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        return;
    }
    if (pkt->psn != expect) {
        if (odp_hca_psn_diff(pkt->psn, expect) > 0 && !r->seq_rewound &&
            r->wait == ODP_HCA_REQ_RUN) {
            /* A response went missing: ask for the rest again. */
            r->seq_rewound = true;
            odp_hca_req_rewind(s, qp, expect, "read-gap");
        }
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_PSN, pkt);
        return;
    }
    if (pkt->payload_len != want) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        return;
    }
    if (r->wait == ODP_HCA_REQ_FAULT && r->head_fault) {
        /* This READ's own pages are being resolved: asked again after. */
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        return;
    }
    if (!odp_hca_req_comp(s, qp)) {
        return;
    }
    /*
     * While the QP waits for the RESUME of a later WQE's fault the
     * response still lands if its pages are there; if not, it is
     * dropped (one fault at a time) and the READ asked again from here
     * once the RESUME came.
     */
    rc = odp_hca_req_local_io_raise(s, qp, &r->comp, f->read_done,
                                    (uint8_t *)pkt->payload, want, true,
                                    ODP_HCA_FAULT_WRITE,
                                    r->wait != ODP_HCA_REQ_FAULT, &verr);
    if (rc > 0 && r->wait == ODP_HCA_REQ_FAULT) {
        if (!r->rewind_on_resume ||
            odp_hca_psn_diff(expect, r->resume_psn) < 0) {
            r->rewind_on_resume = true;
            r->resume_psn = expect;
        }
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        return;
    }
    if (rc > 0) {
        /* READ has no remote side effect: after RESUME, ask again. */
        r->rewind_on_resume = true;
        r->head_fault = true;
        r->resume_psn = expect;
        return;
    }
    if (rc < 0) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return;
    }
    f->read_done += want;
    odp_hca_req_acked(s, qp, pkt->psn);
    if (f->read_done == f->length) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_SUCCESS, 0);
    }
}

void odp_hca_requester_rx(OdpHcaState *s, OdpHcaQp *qp,
                          const OdpHcaRocePacket *pkt)
{
    OdpHcaReq *r = &qp->req;
    uint8_t syn = pkt->aeth.syndrome;
    uint16_t ci = qp->sq_ci;

    if (qp->type != ODP_HCA_QPT_RC) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QP_TYPE, pkt);
        return;
    }
    if (qp->state != ODP_HCA_QPS_RTS && qp->state != ODP_HCA_QPS_SQD) {
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_QP_STATE, pkt);
        return;
    }
    /*
     * An ACK, NAK or RNR NAK may answer a packet sent before going back
     * and not sent again yet (odp_hca_req_seek()); responses carry data
     * and are taken only for what was asked since.
     */
    if (odp_hca_psn_diff(pkt->psn,
                         pkt->opcode == ODP_HCA_ROCE_RC_ACKNOWLEDGE ||
                         pkt->opcode == ODP_HCA_ROCE_X_NOT_READY ||
                         pkt->opcode == ODP_HCA_ROCE_X_READY ?
                         r->psn_high : qp->sq_psn) >= 0 ||
        odp_hca_psn_diff(pkt->psn, r->una) < -(int32_t)ODP_HCA_REQ_MAX_PKTS *
                                              64) {
        /* An answer to nothing this QP sent. */
        odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        return;
    }

    switch (pkt->opcode) {
    case ODP_HCA_ROCE_RC_ACKNOWLEDGE:
        switch (AETH_KIND(syn)) {
        case AETH_KIND_ACK:
            s->stats.roce_acks_received++;
            odp_hca_req_acked(s, qp, pkt->psn);
            if (qp->sq_ci != odp_hca_req_limit(qp) &&
                qp->state != ODP_HCA_QPS_ERR) {
                OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);

                /*
                 * An ACK beyond a READ or atomic whose answer never came:
                 * the answer was lost; ask again.
                 */
                if (f->opcode != ODP_HCA_WQE_RDMA_WRITE &&
                    f->opcode != ODP_HCA_WQE_RDMA_WRITE_IMM &&
                    f->opcode != ODP_HCA_WQE_SEND &&
                    f->opcode != ODP_HCA_WQE_SEND_IMM &&
                    f->opcode != ODP_HCA_WQE_SEND_INV &&
                    !f->atomic_done && !r->seq_rewound &&
                    r->wait == ODP_HCA_REQ_RUN &&
                    odp_hca_psn_diff(pkt->psn, f->first_psn + f->npkts - 1)
                    >= 0) {
                    r->seq_rewound = true;
                    odp_hca_req_rewind(s, qp, r->una, "implied-nak");
                }
            }
            break;
        case AETH_KIND_RNR:
            odp_hca_req_acked(s, qp, pkt->psn - 1);
            if (qp->state != ODP_HCA_QPS_ERR) {
                odp_hca_req_rnr(s, qp, pkt->psn, syn);
            }
            break;
        case AETH_KIND_NAK:
            odp_hca_req_acked(s, qp, pkt->psn - 1);
            if (qp->state != ODP_HCA_QPS_ERR) {
                odp_hca_req_nak(s, qp, pkt->psn, syn);
            }
            break;
        default:
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
            break;
        }
        break;
    case ODP_HCA_ROCE_X_NOT_READY:
        odp_hca_req_acked(s, qp, pkt->psn - 1);
        if (qp->state != ODP_HCA_QPS_ERR) {
            odp_hca_req_not_ready(s, qp, pkt->psn);
        }
        break;
    case ODP_HCA_ROCE_X_READY:
        if (!odp_hca_req_ready(s, qp, pkt->psn)) {
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
        }
        break;
    case ODP_HCA_ROCE_RC_ATOMIC_ACKNOWLEDGE: {
        OdpHcaFlight *f;

        odp_hca_req_acked(s, qp, pkt->psn - 1);
        f = odp_hca_req_flight(qp, qp->sq_ci);
        if (qp->sq_ci == odp_hca_req_limit(qp) || f->atomic_done ||
            pkt->psn != f->first_psn ||
            (f->opcode != ODP_HCA_WQE_ATOMIC_CS &&
             f->opcode != ODP_HCA_WQE_ATOMIC_FA)) {
            odp_hca_link_xport_drop(s, ODP_HCA_XPORT_DROP_RESPONSE, pkt);
            break;
        }
        s->stats.roce_acks_received++;
        f->atomic_done = true;
        f->atomic_orig = pkt->atomic_ack;
        odp_hca_req_acked(s, qp, pkt->psn);
        if (r->wait != ODP_HCA_REQ_FAULT) {
            odp_hca_req_atomic_writeback(s, qp);
        }
        break;
    }
    default:
        /* READ_RESPONSE_*: it answers all that came before it, too. */
        odp_hca_req_acked(s, qp, pkt->psn - 1);
        if (qp->state != ODP_HCA_QPS_ERR) {
            odp_hca_req_read_response(s, qp, pkt);
        }
        break;
    }
    if (qp->sq_ci != ci || r->wait == ODP_HCA_REQ_RUN) {
        odp_hca_qp_schedule(s, qp);
    }
}

/* RESUME of this QP's requester fault. */
void odp_hca_requester_resumed(OdpHcaState *s, OdpHcaQp *qp, bool ok)
{
    OdpHcaReq *r = &qp->req;
    bool head;

    if (r->wait != ODP_HCA_REQ_FAULT) {
        return;
    }
    r->wait = ODP_HCA_REQ_RUN;
    head = r->head_fault;
    r->head_fault = false;
    if (!ok) {
        /* The WQE whose pages could not be mapped fails, and the QP. */
        if (head) {
            /* a READ response or an atomic write-back: the oldest */
            r->rewind_on_resume = false;
            if (qp->sq_ci != odp_hca_req_limit(qp)) {
                odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                   ODP_HCA_VERR_FAULT_FAILED);
            }
        } else {
            odp_hca_req_fail_send(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                  ODP_HCA_VERR_FAULT_FAILED);
        }
    } else if (r->rewind_on_resume) {
        r->rewind_on_resume = false;
        odp_hca_req_rewind(s, qp, r->resume_psn, "resume");
    }
    odp_hca_req_ack_timer(s, qp, true);
    odp_hca_qp_schedule(s, qp);
}

/* The local ACK timer or the RNR timer ran out. */
static void odp_hca_req_timeout(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;

    if (r->wait == ODP_HCA_REQ_RNR) {
        trace_odp_hca_retry(qp->qpn, true);
        if (r->ready_wait) {
            /* no READY came: resend, answered again if still not ready */
            s->stats.ready_timeouts++;
            r->ready_wait = false;
        }
        r->wait = ODP_HCA_REQ_RUN;
        odp_hca_req_ack_timer(s, qp, true);
        return;
    }
    if (r->wait == ODP_HCA_REQ_FAULT || r->una == qp->sq_psn ||
        !r->ack_deadline) {
        /* nothing to wait for, or a local fault: not the peer's doing */
        return;
    }
    if (qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) < r->ack_deadline) {
        /* early: the deadline moved on since the timer was set */
        timer_mod(odp_hca_qp_timer(s, qp), r->ack_deadline);
        return;
    }
    trace_odp_hca_retry(qp->qpn, false);
    s->stats.roce_ack_timeouts++;
    if (r->retry_left == 0) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_RETRY_EXC_ERR, ODP_HCA_VERR_NONE);
        return;
    }
    r->retry_left--;
    r->seq_rewound = false;
    odp_hca_req_rewind(s, qp, r->una, "ack-timeout");
    odp_hca_req_ack_timer(s, qp, true);
}

/* Start the WQE at send_next; false when it is bad (retired in turn). */
static bool odp_hca_req_begin(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    OdpHcaFlight *f = odp_hca_req_flight(qp, r->send_next);
    uint8_t status, verr;
    bool ok;

    ok = odp_hca_req_load(s, qp, r->send_next, &r->send, &status, &verr);
    if ((int16_t)(r->send_next + 1 - r->send_high) > 0) {
        r->send_high = r->send_next + 1;
    }
    *f = (OdpHcaFlight) {
        .index = r->send_next,
        .opcode = r->send.ctrl.opcode,
        .flags = r->send.ctrl.flags,
        .wr_id = r->send.ctrl.wr_id,
        .length = r->send.length,
        .first_psn = qp->sq_psn,
        .npkts = odp_hca_wqe_is_local(r->send.ctrl.opcode) ? 0 :
                 odp_hca_req_is_rc(qp) ?
                 odp_hca_packets(r->send.length, qp->path_mtu) : 1,
    };
    r->done = 0;
    if (!ok) {
        /* In order: the WQEs before it complete first. */
        if (qp->sq_ci == r->send_next) {
            r->send.valid = true;   /* retire() moves past it */
            f->opcode = r->send.ctrl.opcode;
            odp_hca_req_retire(s, qp, status, verr);
        }
        return false;
    }
    if (r->send.ctrl.opcode == ODP_HCA_WQE_ATOMIC_CS ||
        r->send.ctrl.opcode == ODP_HCA_WQE_ATOMIC_FA) {
        const struct odp_hca_sge *sge;
        uint64_t iova;
        uint32_t len;
        OdpHcaMr *mr;

        f->npkts = 1;
        /*
         * The result's 8 bytes must be writable in one place before the
         * remote side acts: an error found at write-back would come
         * after the remote memory changed.
         */
        verr = odp_hca_req_local(s, qp, &r->send, 0, 8, true, &mr, &sge,
                                 &iova, &len);
        if (verr || len != 8) {
            verr = verr ? verr : ODP_HCA_VERR_BOUNDS;
            trace_odp_hca_err_wqe_lkey(qp->qpn, r->send.index, verr);
            odp_hca_req_fail_send(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
            return false;
        }
    }
    return true;
}

static uint8_t odp_hca_req_opcode(uint8_t wqe_op, bool first, bool last)
{
    bool imm = wqe_op == ODP_HCA_WQE_SEND_IMM ||
               wqe_op == ODP_HCA_WQE_RDMA_WRITE_IMM;
    bool inv = wqe_op == ODP_HCA_WQE_SEND_INV;

    if (wqe_op == ODP_HCA_WQE_SEND || wqe_op == ODP_HCA_WQE_SEND_IMM || inv) {
        if (first && last) {
            return imm ? ODP_HCA_ROCE_RC_SEND_ONLY_IMM :
                   inv ? ODP_HCA_ROCE_RC_SEND_ONLY_INV :
                         ODP_HCA_ROCE_RC_SEND_ONLY;
        }
        if (first) {
            return ODP_HCA_ROCE_RC_SEND_FIRST;
        }
        if (last) {
            return imm ? ODP_HCA_ROCE_RC_SEND_LAST_IMM :
                   inv ? ODP_HCA_ROCE_RC_SEND_LAST_INV :
                         ODP_HCA_ROCE_RC_SEND_LAST;
        }
        return ODP_HCA_ROCE_RC_SEND_MIDDLE;
    }
    if (first && last) {
        return imm ? ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY_IMM :
                     ODP_HCA_ROCE_RC_RDMA_WRITE_ONLY;
    }
    if (first) {
        return ODP_HCA_ROCE_RC_RDMA_WRITE_FIRST;
    }
    if (last) {
        return imm ? ODP_HCA_ROCE_RC_RDMA_WRITE_LAST_IMM :
                     ODP_HCA_ROCE_RC_RDMA_WRITE_LAST;
    }
    return ODP_HCA_ROCE_RC_RDMA_WRITE_MIDDLE;
}

/*
 * The next packet of the WQE being sent.  Returns the payload bytes it
 * carried (at least 1 for budgeting), 0 when it could not go (a fault,
 * an error: handled here).
 */
static uint32_t odp_hca_req_packet(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    OdpHcaWqe *w = &r->send;
    const struct odp_hca_wqe_ctrl *c = &w->ctrl;
    uint32_t pmtu = odp_hca_link_pmtu(qp);
    uint32_t len = 0, npkts = 1;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaRocePacket pkt;
    OdpHcaFrame *frame;
    bool last = true;
    int rc;

    switch (c->opcode) {
    case ODP_HCA_WQE_RDMA_READ:
        odp_hca_link_fill(s, qp, &pkt, ODP_HCA_ROCE_RC_RDMA_READ_REQUEST,
                          qp->sq_psn);
        pkt.reth.va = c->remote_addr + r->done;
        pkt.reth.rkey = c->rkey;
        pkt.reth.dma_len = w->length - r->done;
        npkts = odp_hca_packets(w->length - r->done, qp->path_mtu);
        break;
    case ODP_HCA_WQE_ATOMIC_CS:
    case ODP_HCA_WQE_ATOMIC_FA:
        odp_hca_link_fill(s, qp, &pkt, c->opcode == ODP_HCA_WQE_ATOMIC_CS ?
                          ODP_HCA_ROCE_RC_COMPARE_SWAP :
                          ODP_HCA_ROCE_RC_FETCH_ADD, qp->sq_psn);
        pkt.atomic.va = c->remote_addr;
        pkt.atomic.rkey = c->rkey;
        if (c->opcode == ODP_HCA_WQE_ATOMIC_CS) {
            pkt.atomic.compare = c->compare_add;
            pkt.atomic.swap_add = c->swap;
        } else {
            pkt.atomic.swap_add = c->compare_add;
        }
        break;
    default:
        len = MIN(pmtu, w->length - r->done);
        last = r->done + len == w->length;
        odp_hca_link_fill(s, qp, &pkt,
                          odp_hca_req_opcode(c->opcode, r->done == 0, last),
                          qp->sq_psn);
        pkt.reth.va = c->remote_addr;
        pkt.reth.rkey = c->rkey;
        pkt.reth.dma_len = w->length;
        pkt.imm = be32_to_cpu(c->imm_data);
        pkt.ieth_rkey = c->rkey;     /* SEND_INV: what the responder frees */
        pkt.se = last && (c->flags & ODP_HCA_WQE_F_SOLICITED);
        pkt.payload_len = len;
        break;
    }
    pkt.ack_req = last || ++r->since_ack_req >= ODP_HCA_REQ_ACK_EVERY;
    if (pkt.ack_req) {
        r->since_ack_req = 0;
    }
    frame = odp_hca_link_frame_new(s, &pkt);
    if (!frame) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                           ODP_HCA_VERR_BAD_WQE);
        return 0;
    }
    if (len) {
        rc = odp_hca_req_payload(s, qp, w, frame, &pkt, len, &verr);
        if (rc) {
            odp_hca_frame_free(s, frame);
            if (rc < 0) {
                odp_hca_req_fail_send(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
            }
            return 0;
        }
    }
    if (odp_hca_psn_diff(qp->sq_psn, r->psn_high) < 0) {
        s->stats.roce_retransmits++;    /* sent before: went back */
    }
    odp_hca_link_send(s, &pkt, frame);
    qp->sq_psn = (qp->sq_psn + npkts) & ODP_HCA_PSN_MASK;
    if (odp_hca_psn_diff(qp->sq_psn, r->psn_high) > 0) {
        r->psn_high = qp->sq_psn;
    }
    if (c->opcode == ODP_HCA_WQE_RDMA_READ ||
        c->opcode == ODP_HCA_WQE_ATOMIC_CS ||
        c->opcode == ODP_HCA_WQE_ATOMIC_FA) {
        r->done = w->length;    /* one request asks for it all */
    } else {
        r->done += len;
    }
    if (r->done == w->length) {
        w->valid = false;
        r->send_next++;
    }
    odp_hca_req_ack_timer(s, qp, false);
    return MAX(len, 1);
}

/* UD: one datagram, gathered whole, sent, complete. */
static void odp_hca_req_ud_send(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    OdpHcaWqe *w = &r->send;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaRocePacket pkt = { 0 };
    OdpHcaFrame *frame;
    int rc;

    memcpy(pkt.dst_mac, w->ud.dmac, 6);
    memcpy(pkt.src_mac, s->conf.macaddr.a, 6);
    memcpy(pkt.sgid, w->ud.sgid, 16);
    memcpy(pkt.dgid, w->ud.dgid, 16);
    pkt.tclass = w->ud.traffic_class;
    pkt.hop_limit = w->ud.hop_limit ? w->ud.hop_limit : 64;
    pkt.flow_label = w->ud.flow_label & 0xfffff;
    pkt.udp_sport = odp_hca_roce_udp_sport(pkt.flow_label, qp->qpn,
                                           w->ud.dest_qpn);
    pkt.opcode = w->ctrl.opcode == ODP_HCA_WQE_SEND_IMM ?
                 ODP_HCA_ROCE_UD_SEND_ONLY_IMM : ODP_HCA_ROCE_UD_SEND_ONLY;
    pkt.se = w->ctrl.flags & ODP_HCA_WQE_F_SOLICITED;
    pkt.pkey = ODP_HCA_DEFAULT_PKEY;
    pkt.dest_qpn = w->ud.dest_qpn & ODP_HCA_ROCE_FIELD24_MAX;
    pkt.psn = qp->sq_psn;
    pkt.deth.qkey = w->ud.qkey & 0x80000000u ? qp->qkey : w->ud.qkey;
    pkt.deth.src_qpn = qp->qpn;
    pkt.imm = be32_to_cpu(w->ctrl.imm_data);
    pkt.payload_len = w->length;

    frame = odp_hca_link_frame_new(s, &pkt);
    if (!frame) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_QP_OP_ERR,
                           ODP_HCA_VERR_BAD_WQE);
        return;
    }
    rc = odp_hca_req_local_io(s, qp, w, 0, (uint8_t *)pkt.payload, w->length,
                              false, ODP_HCA_FAULT_READ, &verr);
    if (rc) {
        odp_hca_frame_free(s, frame);
        if (rc < 0) {
            odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        }
        return;
    }
    odp_hca_link_send(s, &pkt, frame);
    qp->sq_psn = (qp->sq_psn + 1) & ODP_HCA_PSN_MASK;
    odp_hca_req_retire(s, qp, ODP_HCA_WC_SUCCESS, 0);
}

/*
 * RAW_ETH: one frame, gathered whole, then handed to the port.  A local
 * fault stalls the QP before anything left; after RESUME the frame is
 * gathered again from its first byte.
 */
static void odp_hca_req_raw_send(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaWqe *w = &qp->req.send;
    uint8_t buf[ODP_HCA_ETH_MAX_FRAME];
    uint8_t verr = ODP_HCA_VERR_NONE;
    int rc;

    rc = odp_hca_req_local_io(s, qp, w, 0, buf, w->length, false,
                              ODP_HCA_FAULT_READ, &verr);
    if (rc > 0) {
        return;
    }
    if (rc < 0) {
        odp_hca_req_retire(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return;
    }
    odp_hca_port_frame_out(s, buf, w->length);
    odp_hca_req_retire(s, qp, ODP_HCA_WC_SUCCESS, 0);
}

static void odp_hca_req_flush(OdpHcaState *s, OdpHcaQp *qp, uint32_t *wqes)
{
    while (qp->sq_ci != qp->sq_pi && *wqes) {
        struct odp_hca_wqe_ctrl c = { 0 };
        struct odp_hca_cqe cqe = {
            .qpn = cpu_to_le32(qp->qpn),
            .status = ODP_HCA_WC_WR_FLUSH_ERR,
            .wqe_index = cpu_to_le16(qp->sq_ci & (qp->sq.entries - 1)),
        };

        if (pci_dma_read(PCI_DEVICE(s), odp_hca_ring_addr(&qp->sq, qp->sq_ci),
                         &c, sizeof(c)) == MEMTX_OK) {
            cqe.wr_id = c.wr_id;
            cqe.opcode = odp_hca_cqe_opcode(c.opcode);
        }
        qp->sq_ci++;
        (*wqes)--;
        odp_hca_cq_post(s, qp->send_cqn, &cqe);
    }
    qp->req.send.valid = false;
    qp->req.comp.valid = false;
    qp->req.send_next = qp->sq_ci;
}

/*
 * The WQE at send_next may start: a READ or atomic only while fewer than
 * max_rd_atomic (at least 1) are waiting for their answers, as the
 * responder holds no more than its max_dest_rd_atomic; a local operation
 * (REG_MR, LOCAL_INV) only when it is the oldest WQE, so it executes
 * after everything before it is complete and, completing at once, is
 * behind any point a go-back-N rewind returns to: it never executes
 * twice.
 */
static bool odp_hca_req_may_begin(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    struct odp_hca_wqe_ctrl c;
    uint32_t busy = 0;

    if (qp->type != ODP_HCA_QPT_RC || r->send_next == qp->sq_ci) {
        return true;
    }
    if (pci_dma_read(PCI_DEVICE(s), odp_hca_ring_addr(&qp->sq, r->send_next),
                     &c, sizeof(c)) != MEMTX_OK) {
        return true;    /* the load says what is wrong with it */
    }
    if (odp_hca_wqe_is_local(c.opcode)) {
        return false;   /* an ACK or a response moves sq_ci on */
    }
    if ((c.opcode != ODP_HCA_WQE_RDMA_READ &&
         c.opcode != ODP_HCA_WQE_ATOMIC_CS &&
         c.opcode != ODP_HCA_WQE_ATOMIC_FA)) {
        return true;    /* the load says what is wrong with it */
    }
    for (uint16_t i = qp->sq_ci; i != r->send_next; i++) {
        uint8_t op = odp_hca_req_flight(qp, i)->opcode;

        busy += op == ODP_HCA_WQE_RDMA_READ || op == ODP_HCA_WQE_ATOMIC_CS ||
                op == ODP_HCA_WQE_ATOMIC_FA;
    }
    return busy < MAX(qp->max_rd_atomic, 1);
}

/*
 * Execute the local operation being sent, the oldest WQE (see
 * odp_hca_req_may_begin()), and complete it.
 */
static void odp_hca_req_local_op(OdpHcaState *s, OdpHcaQp *qp)
{
    const struct odp_hca_wqe_ctrl *c = &qp->req.send.ctrl;
    uint8_t verr;

    if (c->opcode == ODP_HCA_WQE_REG_MR) {
        /* The load swapped the segment by the control layout. */
        struct odp_hca_wqe_reg_mr w = {
            .wr_id = c->wr_id, .opcode = c->opcode, .flags = c->flags,
            .access = le32_to_cpu(c->imm_data), .iova = c->remote_addr,
            .key = c->rkey, .length = c->compare_add, .table = c->swap,
        };

        verr = odp_hca_mr_fast_reg(s, qp, &w);
    } else {
        verr = odp_hca_mr_invalidate(s, qp, c->rkey, false);
    }
    odp_hca_req_retire(s, qp, verr == ODP_HCA_VERR_NONE ? ODP_HCA_WC_SUCCESS :
                              verr == ODP_HCA_VERR_BAD_WQE ?
                              ODP_HCA_WC_LOC_QP_OP_ERR :
                              ODP_HCA_WC_LOC_PROT_ERR, verr);
}

/* Room in the window for another packet of this QP. */
static bool odp_hca_req_window_open(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;

    if (odp_hca_psn_diff(qp->sq_psn, r->una) >= ODP_HCA_REQ_MAX_PKTS) {
        return false;
    }
    /* Loopback: leave room in the receive queue for the answers too. */
    return odp_hca_link_room(s, s->rx_queue_max / 4);
}

bool odp_hca_requester_run(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes,
                           uint32_t *wqes)
{
    OdpHcaReq *r = &qp->req;

    for (;;) {
        if (!qp->valid || odp_hca_quiescing(s)) {
            return false;
        }
        if (qp->state == ODP_HCA_QPS_ERR) {
            /* receives first, as they were when the QP broke */
            bool rq_left = odp_hca_qp_flush_rq(s, qp, wqes);

            odp_hca_req_flush(s, qp, wqes);
            return rq_left || qp->sq_ci != qp->sq_pi;
        }
        if (r->timer_fired) {
            r->timer_fired = false;
            odp_hca_req_timeout(s, qp);
            continue;
        }
        if (r->wait != ODP_HCA_REQ_RUN) {
            return false;
        }
        if (r->fail_pending) {
            if (qp->sq_ci != r->send.index) {
                return false;   /* an ACK reschedules */
            }
            r->fail_pending = false;
            odp_hca_req_retire(s, qp, r->fail_status, r->fail_verr);
            continue;
        }
        if (qp->sq_ci != odp_hca_req_limit(qp)) {
            OdpHcaFlight *f = odp_hca_req_flight(qp, qp->sq_ci);

            if (f->atomic_done) {
                if (!odp_hca_req_atomic_writeback(s, qp)) {
                    continue;   /* a fault (waits) or a retire (ERR) */
                }
                continue;
            }
        }
        if (!r->send.valid) {
            if (qp->state == ODP_HCA_QPS_SQD && !qp->sq_drain_posted &&
                qp->sq_ci == r->send_next) {
                qp->sq_drain_posted = true;
                odp_hca_event(s, ODP_HCA_EV_SQ_DRAINED, 0, qp->qpn);
            }
            if (qp->state != ODP_HCA_QPS_RTS || r->send_next == qp->sq_pi) {
                return false;
            }
            if ((uint16_t)(r->send_next - qp->sq_ci) >= ODP_HCA_REQ_WINDOW ||
                !odp_hca_req_may_begin(s, qp)) {
                return false;   /* an ACK or a response reschedules */
            }
            if (*wqes == 0 || *bytes == 0) {
                return true;
            }
            (*wqes)--;
            if (!odp_hca_req_begin(s, qp)) {
                if (qp->sq_ci != r->send_next &&
                    qp->state != ODP_HCA_QPS_ERR) {
                    return false;   /* retired when the ones before are */
                }
                continue;
            }
        }
        if (odp_hca_wqe_is_local(r->send.ctrl.opcode)) {
            odp_hca_req_local_op(s, qp);
            continue;
        }
        if (*bytes == 0) {
            return true;
        }
        if (odp_hca_qpt_is_ud(qp->type)) {
            odp_hca_req_ud_send(s, qp);
            *bytes -= MIN(*bytes, MAX(r->send.length, 1));
            r->send.valid = qp->req.send.valid && qp->sq_ci == r->send_next ?
                            r->send.valid : false;
            continue;
        }
        if (qp->type == ODP_HCA_QPT_RAW_ETH) {
            odp_hca_req_raw_send(s, qp);
            *bytes -= MIN(*bytes, MAX(r->send.length, 1));
            continue;
        }
        if (!odp_hca_req_window_open(s, qp)) {
            return false;       /* an ACK reschedules */
        }
        if (!odp_hca_req_packet(s, qp)) {
            if (r->wait == ODP_HCA_REQ_RUN && qp->state != ODP_HCA_QPS_ERR) {
                continue;
            }
            return qp->state == ODP_HCA_QPS_ERR;
        }
        *bytes -= MIN(*bytes, odp_hca_link_pmtu(qp));
    }
}
