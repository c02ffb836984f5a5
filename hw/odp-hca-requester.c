/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the requester: executing send WQEs one at a time, in
 * page-sized chunks, stalling on local faults and waiting out RNR NAKs
 * and ACK timeouts.
 *
 * Every chunk translates its local pages at the moment it moves bytes,
 * and nothing is acknowledged until the responder accepted the chunk, so
 * a WQE restarted after RESUME or a retry carries on exactly where it
 * stopped.
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
    default:
        return ODP_HCA_CQE_SEND;
    }
}

void odp_hca_requester_complete(OdpHcaState *s, OdpHcaQp *qp,
                                uint8_t status, uint8_t verr)
{
    OdpHcaReq *r = &qp->req;
    bool signaled = status != ODP_HCA_WC_SUCCESS || qp->sq_sig_all ||
                    (r->ctrl.flags & ODP_HCA_WQE_F_SIGNALED);
    bool cq_ok = true;

    if (signaled) {
        struct odp_hca_cqe cqe = {
            .wr_id = cpu_to_le64(r->ctrl.wr_id),
            .byte_len = cpu_to_le32(status ? 0 : r->length),
            .qpn = cpu_to_le32(qp->qpn),
            .opcode = odp_hca_cqe_opcode(r->ctrl.opcode),
            .status = status,
            .vendor_err = verr,
            .wqe_index = cpu_to_le16(r->index & (qp->sq.entries - 1)),
        };

        cq_ok = odp_hca_cq_post(s, qp->send_cqn, &cqe);
    }
    trace_odp_hca_wqe_done(qp->qpn, r->index, r->ctrl.opcode, status);
    qp->sq_psn = (qp->sq_psn + odp_hca_packets(r->length, qp->path_mtu)) &
                 ODP_HCA_PSN_MASK;
    qp->sq_ci++;
    r->active = false;
    r->wait = ODP_HCA_REQ_RUN;
    r->timer_fired = false;
    r->fault.pending = false;
    timer_del(odp_hca_qp_timer(s, qp));

    if (status != ODP_HCA_WC_SUCCESS) {
        odp_hca_qp_error(s, qp, verr);
    } else if (!cq_ok) {
        odp_hca_qp_error(s, qp, ODP_HCA_VERR_CQ_OVERFLOW);
    }
}

/* Copy the WQE at sq_ci in; false when it is malformed (completed). */
static bool odp_hca_req_load(OdpHcaState *s, OdpHcaQp *qp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    OdpHcaReq *r = &qp->req;
    dma_addr_t addr = odp_hca_ring_addr(&qp->sq, qp->sq_ci);
    uint32_t off = sizeof(struct odp_hca_wqe_ctrl);
    struct odp_hca_wqe_ctrl *c = &r->ctrl;
    uint8_t status = ODP_HCA_WC_LOC_QP_OP_ERR, verr = ODP_HCA_VERR_BAD_WQE;

    memset(c, 0, sizeof(*c));
    r->active = true;
    r->wait = ODP_HCA_REQ_RUN;
    r->index = qp->sq_ci;
    r->done = 0;
    r->length = 0;
    r->rnr_left = qp->rnr_retry;
    r->retry_left = qp->retry_cnt;
    r->atomic_done = false;
    r->timer_fired = false;

    if (pci_dma_read(pdev, addr, c, sizeof(*c)) != MEMTX_OK) {
        verr = ODP_HCA_VERR_DMA;
        goto bad;
    }
    c->wr_id = le64_to_cpu(c->wr_id);
    c->remote_addr = le64_to_cpu(c->remote_addr);
    c->rkey = le32_to_cpu(c->rkey);
    c->inline_len = le32_to_cpu(c->inline_len);
    c->compare_add = le64_to_cpu(c->compare_add);
    c->swap = le64_to_cpu(c->swap);
    trace_odp_hca_wqe(qp->qpn, r->index, c->opcode, c->wr_id);

    if (c->opcode > ODP_HCA_WQE_ATOMIC_FA ||
        (qp->type == ODP_HCA_QPT_UD && c->opcode != ODP_HCA_WQE_SEND &&
         c->opcode != ODP_HCA_WQE_SEND_IMM) ||
        (qp->type == ODP_HCA_QPT_RAW_ETH && c->opcode != ODP_HCA_WQE_SEND)) {
        trace_odp_hca_err_wqe_opcode(qp->qpn, r->index, c->opcode, qp->type);
        odp_hca_guest_error(s, "QP %u WQE %u: opcode %u", qp->qpn, r->index,
                            c->opcode);
        goto bad;
    }
    if (qp->type == ODP_HCA_QPT_UD) {
        if (pci_dma_read(pdev, addr + off, &r->ud, sizeof(r->ud))) {
            verr = ODP_HCA_VERR_DMA;
            goto bad;
        }
        r->ud.dest_qpn = le32_to_cpu(r->ud.dest_qpn);
        r->ud.qkey = le32_to_cpu(r->ud.qkey);
        r->ud.flow_label = le32_to_cpu(r->ud.flow_label);
        off += sizeof(r->ud);
    }

    if (c->flags & ODP_HCA_WQE_F_INLINE) {
        if (c->opcode != ODP_HCA_WQE_SEND &&
            c->opcode != ODP_HCA_WQE_SEND_IMM &&
            c->opcode != ODP_HCA_WQE_RDMA_WRITE &&
            c->opcode != ODP_HCA_WQE_RDMA_WRITE_IMM) {
            trace_odp_hca_err_wqe_inline(qp->qpn, r->index, c->opcode);
            odp_hca_guest_error(s, "QP %u WQE %u: inline %u", qp->qpn,
                                r->index, c->opcode);
            goto bad;
        }
        if (c->inline_len > qp->max_inline ||
            off + c->inline_len > qp->sq.stride) {
            trace_odp_hca_err_wqe_len(qp->qpn, r->index, c->inline_len,
                                      MIN(qp->max_inline, qp->sq.stride - off));
            odp_hca_guest_error(s, "QP %u WQE %u: inline length %u",
                                qp->qpn, r->index, c->inline_len);
            status = ODP_HCA_WC_LOC_LEN_ERR;
            verr = ODP_HCA_VERR_LEN;
            goto bad;
        }
        if (pci_dma_read(pdev, addr + off, r->inline_data, c->inline_len)) {
            verr = ODP_HCA_VERR_DMA;
            goto bad;
        }
        r->length = c->inline_len;
    } else {
        if (c->num_sge > qp->max_send_sge ||
            off + c->num_sge * sizeof(struct odp_hca_sge) > qp->sq.stride) {
            trace_odp_hca_err_wqe_sge(qp->qpn, r->index, c->num_sge,
                                      qp->max_send_sge);
            odp_hca_guest_error(s, "QP %u WQE %u: %u SGEs", qp->qpn,
                                r->index, c->num_sge);
            goto bad;
        }
        if (pci_dma_read(pdev, addr + off, r->sge,
                         c->num_sge * sizeof(struct odp_hca_sge))) {
            verr = ODP_HCA_VERR_DMA;
            goto bad;
        }
        for (int i = 0; i < c->num_sge; i++) {
            r->sge[i].addr = le64_to_cpu(r->sge[i].addr);
            r->sge[i].length = le32_to_cpu(r->sge[i].length);
            r->sge[i].lkey = le32_to_cpu(r->sge[i].lkey);
            r->length += r->sge[i].length;
        }
        if (r->length > 1ull << 31) {
            trace_odp_hca_err_wqe_len(qp->qpn, r->index, r->length, 1ull << 31);
            status = ODP_HCA_WC_LOC_LEN_ERR;
            verr = ODP_HCA_VERR_LEN;
            goto bad;
        }
    }

    if ((c->opcode == ODP_HCA_WQE_ATOMIC_CS ||
         c->opcode == ODP_HCA_WQE_ATOMIC_FA) && r->length != 8) {
        trace_odp_hca_err_wqe_len(qp->qpn, r->index, r->length, 8);
        status = ODP_HCA_WC_LOC_LEN_ERR;
        verr = ODP_HCA_VERR_LEN;
        goto bad;
    }
    if (qp->type == ODP_HCA_QPT_UD && r->length > ODP_HCA_PAGE_SIZE) {
        trace_odp_hca_err_wqe_len(qp->qpn, r->index, r->length,
                                  ODP_HCA_PAGE_SIZE);
        status = ODP_HCA_WC_LOC_LEN_ERR;
        verr = ODP_HCA_VERR_LEN;
        goto bad;
    }
    if (qp->type == ODP_HCA_QPT_RAW_ETH &&
        (r->length < ODP_HCA_ETH_MIN_FRAME ||
         r->length > ODP_HCA_ETH_MAX_FRAME)) {
        trace_odp_hca_err_wqe_len(qp->qpn, r->index, r->length,
                                  r->length < ODP_HCA_ETH_MIN_FRAME ?
                                  ODP_HCA_ETH_MIN_FRAME :
                                  ODP_HCA_ETH_MAX_FRAME);
        odp_hca_guest_error(s, "QP %u WQE %u: frame of %" PRIu64 " bytes",
                            qp->qpn, r->index, r->length);
        status = ODP_HCA_WC_LOC_LEN_ERR;
        verr = ODP_HCA_VERR_LEN;
        goto bad;
    }
    return true;

bad:
    if (verr == ODP_HCA_VERR_DMA) {
        trace_odp_hca_err_wqe_dma(qp->qpn, r->index);
    }
    odp_hca_requester_complete(s, qp, status, verr);
    return false;
}

/*
 * The local piece of the message at @offset: at most @max bytes, within
 * one SGE and one page.  Returns the vendor error, or NONE with *mr,
 * *iova and *len set.
 */
static uint8_t odp_hca_req_local(OdpHcaState *s, OdpHcaQp *qp,
                                 uint64_t offset, uint32_t max, bool write,
                                 OdpHcaMr **mr, struct odp_hca_sge **sgep,
                                 uint64_t *iova, uint32_t *len)
{
    OdpHcaReq *r = &qp->req;
    uint64_t start = 0;

    for (int i = 0; i < r->ctrl.num_sge; i++) {
        struct odp_hca_sge *sge = &r->sge[i];
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
                              struct odp_hca_sge *sge, uint64_t iova,
                              uint8_t access)
{
    OdpHcaReq *r = &qp->req;

    r->wait = ODP_HCA_REQ_FAULT;
    odp_hca_fault_raise(s, qp, &r->fault, ODP_HCA_FAULT_REQUESTER, sge->lkey,
                        iova, sge->addr + sge->length - iova, access,
                        r->index & (qp->sq.entries - 1));
}

/*
 * Move up to @max bytes of the message from/to local memory.  Returns
 * the bytes moved (0 for a stall or an error, which are handled here),
 * or -1 for nothing to do.
 */
static int64_t odp_hca_req_local_io(OdpHcaState *s, OdpHcaQp *qp,
                                    uint64_t offset, uint8_t *buf,
                                    uint32_t max, bool write, uint8_t access)
{
    OdpHcaReq *r = &qp->req;
    struct odp_hca_sge *sge;
    OdpHcaMr *mr;
    uint64_t iova, fault_iova;
    uint32_t len;
    uint8_t verr;
    int rc;

    if (r->ctrl.flags & ODP_HCA_WQE_F_INLINE) {
        len = MIN(max, r->length - offset);
        memcpy(buf, r->inline_data + offset, len);
        return len;
    }
    verr = odp_hca_req_local(s, qp, offset, max, write, &mr, &sge, &iova,
                             &len);
    if (verr) {
        trace_odp_hca_err_wqe_lkey(qp->qpn, r->index, verr);
        odp_hca_guest_error(s, "QP %u WQE %u: local access denied (%u)",
                            qp->qpn, r->index, verr);
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return 0;
    }
    rc = odp_hca_mr_dma(s, mr, iova, buf, len, write, &fault_iova, &verr);
    if (rc > 0) {
        odp_hca_req_fault(s, qp, sge, fault_iova, access);
        return 0;
    }
    if (rc < 0) {
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return 0;
    }
    return len;
}

/* React to the responder's answer; true when the chunk was accepted. */
static bool odp_hca_req_answer(OdpHcaState *s, OdpHcaQp *qp, OdpHcaAck ack,
                               uint8_t rnr_timer)
{
    OdpHcaReq *r = &qp->req;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    switch (ack) {
    case ODP_HCA_ACK:
        r->rnr_left = qp->rnr_retry;
        r->retry_left = qp->retry_cnt;
        return true;
    case ODP_HCA_RNR_NAK:
        if (qp->rnr_retry != 7) {
            if (r->rnr_left == 0) {
                s->stats.rnr_retry_exceeded++;
                odp_hca_requester_complete(s, qp, ODP_HCA_WC_RNR_RETRY_EXC_ERR,
                                           ODP_HCA_VERR_NONE);
                return false;
            }
            r->rnr_left--;
        }
        r->wait = ODP_HCA_REQ_RNR;
        timer_mod(odp_hca_qp_timer(s, qp), now + rnr_timer_10us[rnr_timer & 31] * 10000ll);
        return false;
    case ODP_HCA_DROPPED:
        /* Silence is noticed only when the ACK timer runs out. */
        r->wait = ODP_HCA_REQ_ACK;
        /* Timeout 0 means wait forever, as the IB spec says. */
        if (qp->timeout) {
            timer_mod(odp_hca_qp_timer(s, qp), now + (4096ll << qp->timeout));
        }
        return false;
    case ODP_HCA_NAK_ACCESS:
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_REM_ACCESS_ERR,
                                   ODP_HCA_VERR_NONE);
        return false;
    case ODP_HCA_NAK_INVALID:
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_REM_INV_REQ_ERR,
                                   ODP_HCA_VERR_NONE);
        return false;
    case ODP_HCA_NAK_OPERATION:
    default:
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_REM_OP_ERR,
                                   ODP_HCA_VERR_NONE);
        return false;
    }
}

/* The RNR or ACK timer ran out: try again, or give up. */
static void odp_hca_req_retry(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;

    if (r->wait != ODP_HCA_REQ_RNR && r->wait != ODP_HCA_REQ_ACK) {
        return;
    }
    if (r->wait == ODP_HCA_REQ_ACK) {
        if (r->retry_left == 0) {
            odp_hca_requester_complete(s, qp, ODP_HCA_WC_RETRY_EXC_ERR,
                                       ODP_HCA_VERR_NONE);
            return;
        }
        r->retry_left--;
    }
    trace_odp_hca_retry(qp->qpn, r->wait == ODP_HCA_REQ_RNR);
    s->stats.req_retries++;
    r->wait = ODP_HCA_REQ_RUN;
}

static void odp_hca_req_init_request(OdpHcaQp *qp, OdpHcaRequest *rq,
                                     uint8_t *buf, uint32_t len)
{
    OdpHcaReq *r = &qp->req;

    *rq = (OdpHcaRequest) {
        .src = qp,
        .opcode = r->ctrl.opcode,
        .first = r->done == 0,
        .last = r->done + len == r->length,
        .solicited = r->ctrl.flags & ODP_HCA_WQE_F_SOLICITED,
        .imm = r->ctrl.imm_data,
        .rkey = r->ctrl.rkey,
        .raddr = r->ctrl.remote_addr + r->done,
        .offset = r->done,
        .msg_len = r->length,
        .data = buf,
        .len = len,
        .compare_add = r->ctrl.compare_add,
        .swap = r->ctrl.swap,
        .ud = &r->ud,
    };
}

/* SEND and RDMA WRITE: gather a chunk, hand it to the responder. */
static void odp_hca_req_push(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes)
{
    OdpHcaReq *r = &qp->req;
    uint8_t buf[ODP_HCA_PAGE_SIZE];

    do {
        OdpHcaRequest rq;
        uint8_t rnr_timer = 0;
        int64_t len = 0;
        OdpHcaAck ack;

        if (r->length) {
            len = odp_hca_req_local_io(s, qp, r->done, buf,
                                       MIN(sizeof(buf), r->length - r->done),
                                       false, ODP_HCA_FAULT_READ);
            if (len <= 0) {
                return;
            }
        }
        odp_hca_req_init_request(qp, &rq, buf, len);
        ack = odp_hca_responder_rc(s, qp, &rq, &rnr_timer);
        if (!odp_hca_req_answer(s, qp, ack, rnr_timer)) {
            return;
        }
        r->done += len;
        *bytes -= MIN(*bytes, MAX(len, 1));
    } while (r->done < r->length && *bytes);

    if (r->done == r->length) {
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_SUCCESS, 0);
    }
}

/* RDMA READ: fetch a chunk from the responder, scatter it locally. */
static void odp_hca_req_read(OdpHcaState *s, OdpHcaQp *qp, uint64_t *bytes)
{
    OdpHcaReq *r = &qp->req;
    uint8_t buf[ODP_HCA_PAGE_SIZE];

    do {
        OdpHcaRequest rq;
        struct odp_hca_sge *sge = NULL;
        OdpHcaMr *mr = NULL;
        uint64_t iova = 0, fault_iova;
        uint32_t len = 0;
        uint8_t verr, rnr_timer = 0;
        OdpHcaAck ack;
        int rc;

        if (r->length) {
            verr = odp_hca_req_local(s, qp, r->done, sizeof(buf), true, &mr,
                                     &sge, &iova, &len);
            if (verr) {
                trace_odp_hca_err_wqe_lkey(qp->qpn, r->index, verr);
                odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                           verr);
                return;
            }
        }
        odp_hca_req_init_request(qp, &rq, buf, len);
        ack = odp_hca_responder_rc(s, qp, &rq, &rnr_timer);
        if (!odp_hca_req_answer(s, qp, ack, rnr_timer)) {
            return;
        }
        if (len) {
            /* READ has no remote side effect: a fault just refetches. */
            rc = odp_hca_mr_dma(s, mr, iova, buf, len, true, &fault_iova,
                                &verr);
            if (rc > 0) {
                odp_hca_req_fault(s, qp, sge, fault_iova, ODP_HCA_FAULT_WRITE);
                return;
            }
            if (rc < 0) {
                odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                           verr);
                return;
            }
        }
        r->done += len;
        *bytes -= MIN(*bytes, MAX(len, 1));
    } while (r->done < r->length && *bytes);

    if (r->done == r->length) {
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_SUCCESS, 0);
    }
}

/*
 * Atomics: the result page must be writable before the responder acts,
 * and the returned value is kept, so a local fault never repeats the
 * remote operation.
 */
static void odp_hca_req_atomic(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    struct odp_hca_sge *sge;
    OdpHcaMr *mr;
    uint64_t iova, fault_iova, val;
    uint32_t len;
    uint8_t verr, rnr_timer = 0;
    uint8_t access = ODP_HCA_FAULT_WRITE | ODP_HCA_FAULT_ATOMIC;
    dma_addr_t pa;
    int rc;

    verr = odp_hca_req_local(s, qp, 0, 8, true, &mr, &sge, &iova, &len);
    if (verr || len != 8) {
        verr = verr ? verr : ODP_HCA_VERR_BOUNDS;
        trace_odp_hca_err_wqe_lkey(qp->qpn, r->index, verr);
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return;
    }
    if (!r->atomic_done) {
        OdpHcaRequest rq;
        OdpHcaAck ack;

        switch (odp_hca_translate(s, mr, iova, true, &pa, &verr)) {
        case ODP_HCA_XLATE_FAULT:
            odp_hca_req_fault(s, qp, sge, iova, access);
            return;
        case ODP_HCA_XLATE_ERROR:
            odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
            return;
        case ODP_HCA_XLATE_OK:
            break;
        }
        odp_hca_req_init_request(qp, &rq, NULL, 8);
        ack = odp_hca_responder_rc(s, qp, &rq, &rnr_timer);
        if (!odp_hca_req_answer(s, qp, ack, rnr_timer)) {
            return;
        }
        r->atomic_done = true;
        r->atomic_orig = rq.atomic_orig;
    }
    val = cpu_to_le64(r->atomic_orig);
    rc = odp_hca_mr_dma(s, mr, iova, &val, 8, true, &fault_iova, &verr);
    if (rc > 0) {
        odp_hca_req_fault(s, qp, sge, fault_iova, access);
        return;
    }
    if (rc < 0) {
        odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR, verr);
        return;
    }
    r->done = 8;
    odp_hca_requester_complete(s, qp, ODP_HCA_WC_SUCCESS, 0);
}

/* UD: one datagram, gathered whole, then delivered or dropped. */
static void odp_hca_req_ud_send(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    uint8_t buf[ODP_HCA_PAGE_SIZE];
    uint64_t off = 0;
    OdpHcaRequest rq;

    while (off < r->length) {
        int64_t len = odp_hca_req_local_io(s, qp, off, buf + off,
                                           r->length - off, false,
                                           ODP_HCA_FAULT_READ);
        if (len <= 0) {
            return;
        }
        off += len;
    }
    odp_hca_req_init_request(qp, &rq, buf, r->length);
    odp_hca_responder_ud(s, qp, &rq);
    r->done = r->length;
    odp_hca_requester_complete(s, qp, ODP_HCA_WC_SUCCESS, 0);
}

/*
 * RAW_ETH: one frame, gathered whole, then handed to the port.  A local
 * fault stalls the QP before anything left; after RESUME the frame is
 * gathered again from its first byte.
 */
static void odp_hca_req_raw_send(OdpHcaState *s, OdpHcaQp *qp)
{
    OdpHcaReq *r = &qp->req;
    uint8_t buf[ODP_HCA_ETH_MAX_FRAME];
    uint64_t off = 0;

    while (off < r->length) {
        int64_t len = odp_hca_req_local_io(s, qp, off, buf + off,
                                           r->length - off, false,
                                           ODP_HCA_FAULT_READ);
        if (len <= 0) {
            return;
        }
        off += len;
    }
    odp_hca_port_frame_out(s, buf, r->length);
    r->done = r->length;
    odp_hca_requester_complete(s, qp, ODP_HCA_WC_SUCCESS, 0);
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

        if (qp->req.active) {
            cqe.wr_id = cpu_to_le64(qp->req.ctrl.wr_id);
            cqe.opcode = odp_hca_cqe_opcode(qp->req.ctrl.opcode);
            qp->req.active = false;
        } else if (pci_dma_read(PCI_DEVICE(s),
                                odp_hca_ring_addr(&qp->sq, qp->sq_ci),
                                &c, sizeof(c)) == MEMTX_OK) {
            cqe.wr_id = c.wr_id;
            cqe.opcode = odp_hca_cqe_opcode(c.opcode);
        }
        qp->sq_ci++;
        (*wqes)--;
        odp_hca_cq_post(s, qp->send_cqn, &cqe);
    }
    qp->req.active = false;
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
        if (!r->active) {
            if (qp->state == ODP_HCA_QPS_SQD && !qp->sq_drain_posted) {
                qp->sq_drain_posted = true;
                odp_hca_event(s, ODP_HCA_EV_SQ_DRAINED, 0, qp->qpn);
            }
            if (qp->state != ODP_HCA_QPS_RTS || qp->sq_ci == qp->sq_pi) {
                return false;
            }
            if (*wqes == 0 || *bytes == 0) {
                return true;
            }
            (*wqes)--;
            if (!odp_hca_req_load(s, qp)) {
                continue;
            }
        }
        if (r->timer_fired) {
            r->timer_fired = false;
            odp_hca_req_retry(s, qp);
            continue;
        }
        if (r->wait != ODP_HCA_REQ_RUN) {
            return false;
        }
        if (*bytes == 0) {
            return true;
        }

        if (qp->type == ODP_HCA_QPT_UD) {
            odp_hca_req_ud_send(s, qp);
            *bytes -= MIN(*bytes, MAX(r->length, 1));
            continue;
        }
        if (qp->type == ODP_HCA_QPT_RAW_ETH) {
            odp_hca_req_raw_send(s, qp);
            *bytes -= MIN(*bytes, MAX(r->length, 1));
            continue;
        }
        switch (r->ctrl.opcode) {
        case ODP_HCA_WQE_RDMA_READ:
            odp_hca_req_read(s, qp, bytes);
            break;
        case ODP_HCA_WQE_ATOMIC_CS:
        case ODP_HCA_WQE_ATOMIC_FA:
            odp_hca_req_atomic(s, qp);
            *bytes -= MIN(*bytes, 8);
            break;
        default:
            odp_hca_req_push(s, qp, bytes);
            break;
        }
    }
}
