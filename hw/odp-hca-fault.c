/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: page faults: raising the event that stalls a QP, and the
 * RESUME command that ends the stall.
 *
 * A token names one fault: bit 0 the side, bits 16..1 the QP number,
 * bits 31..17 a sequence number, so a RESUME for a fault that was
 * already answered, or of a QP reset since, is recognised as stale.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

#define TOKEN_SIDE(t)   ((t) & 1)
#define TOKEN_QPN(t)    (((t) >> 1) & 0xffff)
#define TOKEN_SEQ_SHIFT 17

static bool odp_hca_fault_post(OdpHcaState *s, OdpHcaQp *qp, OdpHcaFault *f)
{
    struct odp_hca_eqe eqe = {
        .type = ODP_HCA_EV_PAGE_FAULT,
        .obj = cpu_to_le32(qp->qpn),
        .fault = f->info,
    };

    f->posted = odp_hca_eq_post(s, 0, &eqe);
    return f->posted;
}

void odp_hca_fault_raise(OdpHcaState *s, OdpHcaQp *qp, OdpHcaFault *f,
                         uint8_t side, uint32_t key, uint64_t iova,
                         uint64_t len, uint8_t access, uint16_t wqe_index)
{
    uint32_t seq = ++s->fault_seq;

    f->pending = true;
    f->token = (seq << TOKEN_SEQ_SHIFT) | ((qp->qpn & 0xffff) << 1) | side;
    f->raised_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    f->info = (struct odp_hca_fault_info) {
        .token = cpu_to_le32(f->token),
        .key = cpu_to_le32(key),
        .iova = cpu_to_le64(iova),
        .length = cpu_to_le32(MIN(len, UINT32_MAX)),
        .access = access,
        .side = side,
        .wqe_index = cpu_to_le16(wqe_index),
    };

    if (side == ODP_HCA_FAULT_REQUESTER) {
        s->stats.faults_requester++;
    } else {
        s->stats.faults_responder++;
    }
    if (access & ODP_HCA_FAULT_ATOMIC) {
        s->stats.faults_atomic++;
    } else if (access & ODP_HCA_FAULT_WRITE) {
        s->stats.faults_write++;
    } else {
        s->stats.faults_read++;
    }
    trace_odp_hca_fault(qp->qpn, f->token, side, key, iova, len, access);
    odp_hca_fault_post(s, qp, f);
}

/* Fault events that found the EQ full or absent get another chance. */
void odp_hca_fault_repost(OdpHcaState *s)
{
    for (uint32_t i = 0; i < s->max_qps; i++) {
        OdpHcaQp *qp = &s->qps[i];

        if (!qp->valid) {
            continue;
        }
        if (qp->req.fault.pending && !qp->req.fault.posted &&
            !odp_hca_fault_post(s, qp, &qp->req.fault)) {
            return;
        }
        if (qp->resp.fault.pending && !qp->resp.fault.posted &&
            !odp_hca_fault_post(s, qp, &qp->resp.fault)) {
            return;
        }
    }
}

uint8_t odp_hca_fault_resume(OdpHcaState *s, uint32_t token, uint32_t status)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, TOKEN_QPN(token));
    OdpHcaFault *f;

    if (status != ODP_HCA_RESUME_OK && status != ODP_HCA_RESUME_FAIL) {
        odp_hca_guest_error(s, "RESUME: status %u", status);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (!qp) {
        odp_hca_guest_error(s, "RESUME: token 0x%x names no QP", token);
        return ODP_HCA_CMD_BAD_TOKEN;
    }
    f = TOKEN_SIDE(token) == ODP_HCA_FAULT_REQUESTER ? &qp->req.fault
                                                     : &qp->resp.fault;
    if (!f->pending || f->token != token) {
        odp_hca_guest_error(s, "RESUME: token 0x%x is not pending", token);
        return ODP_HCA_CMD_BAD_TOKEN;
    }

    f->pending = false;
    trace_odp_hca_resume(qp->qpn, token, status,
                         qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) -
                         f->raised_ns);
    if (status == ODP_HCA_RESUME_OK) {
        s->stats.resumes_ok++;
    } else {
        s->stats.resumes_failed++;
    }

    if (TOKEN_SIDE(token) == ODP_HCA_FAULT_RESPONDER) {
        /*
         * The requester is waiting out an RNR NAK: its retry finds the
         * pages present, or the failure recorded here.
         */
        qp->resp.fault_failed = status != ODP_HCA_RESUME_OK;
        return ODP_HCA_CMD_OK;
    }

    if (qp->req.active && qp->req.wait == ODP_HCA_REQ_FAULT) {
        if (status == ODP_HCA_RESUME_OK) {
            qp->req.wait = ODP_HCA_REQ_RUN;
        } else {
            odp_hca_requester_complete(s, qp, ODP_HCA_WC_LOC_PROT_ERR,
                                       ODP_HCA_VERR_FAULT_FAILED);
        }
        odp_hca_qp_schedule(s, qp);
    }
    return ODP_HCA_CMD_OK;
}
