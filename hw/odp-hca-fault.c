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
#include "qemu/host-utils.h"
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
    if (f->posted) {
        /* Service time runs from here: the driver cannot act sooner. */
        f->posted_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    }
    return f->posted;
}

OdpHcaFaultEntry *odp_hca_fault_record(OdpHcaState *s, uint64_t seq)
{
    OdpHcaFaultEntry *rec;

    if (!seq) {
        return NULL;
    }
    rec = &s->fault_ring[seq % s->fault_ring_size];
    return rec->seq == seq ? rec : NULL;
}

static void odp_hca_fault_record_new(OdpHcaState *s, OdpHcaQp *qp,
                                     OdpHcaFault *f)
{
    OdpHcaFaultEntry *rec;

    f->seq = ++s->fault_records;
    rec = &s->fault_ring[f->seq % s->fault_ring_size];
    *rec = (OdpHcaFaultEntry) {
        .seq = f->seq,
        .time_ns = f->raised_ns,
        .iova = le64_to_cpu(f->info.iova),
        .qpn = qp->qpn,
        .key = le32_to_cpu(f->info.key),
        .length = le32_to_cpu(f->info.length),
        .access = f->info.access,
        .side = f->info.side,
        .outcome = ODP_HCA_FAULT_OUTCOME_PENDING,
        .injected = s->inject.mark,
        .remote_qpn = qp->dest_qpn,
        .policy = f->policy,
    };
    memcpy(rec->remote_gid, qp->dgid, sizeof(rec->remote_gid));
    if (s->inject.mark) {
        s->stats.faults_injected++;
        s->inject.mark = false;
    }
}

/* The fault will get no RESUME: its QP was reset, broken or destroyed. */
void odp_hca_fault_flush(OdpHcaState *s, OdpHcaFault *f)
{
    OdpHcaFaultEntry *rec;

    if (!f->pending) {
        return;
    }
    f->pending = false;
    odp_hca_link_fault_over(s, f);
    rec = odp_hca_fault_record(s, f->seq);
    if (rec) {
        rec->outcome = ODP_HCA_FAULT_OUTCOME_FLUSHED;
    }
}

/* A responder fault made the responder send one more RNR NAK. */
void odp_hca_fault_rnr(OdpHcaState *s, OdpHcaFault *f)
{
    OdpHcaFaultEntry *rec = odp_hca_fault_record(s, f->seq);

    if (f->pending && rec) {
        rec->rnr_retries++;
    }
}

/* A responder fault made the responder discard one more request. */
void odp_hca_fault_drop(OdpHcaState *s, OdpHcaFault *f)
{
    OdpHcaFaultEntry *rec = odp_hca_fault_record(s, f->seq);

    if (f->pending && rec) {
        rec->drops++;
    }
}

/* The page's retry after its injected fault: forget it, true if it was. */
static bool odp_hca_inject_spare_take(OdpHcaInject *in, uint32_t key,
                                      uint64_t vpn)
{
    for (int i = 0; i < ODP_HCA_INJECT_SPARED; i++) {
        if (in->spared[i].valid && in->spared[i].key == key &&
            in->spared[i].vpn == vpn) {
            in->spared[i].valid = false;
            return true;
        }
    }
    return false;
}

static void odp_hca_inject_spare_add(OdpHcaInject *in, uint32_t key,
                                     uint64_t vpn)
{
    uint32_t i = in->spared_next++ % ODP_HCA_INJECT_SPARED;

    in->spared[i].valid = true;
    in->spared[i].key = key;
    in->spared[i].vpn = vpn;
}

/*
 * Monitor-driven injection: report a present translation of an
 * on-demand region as missing.  The driver resolves it like any fault.
 * With "every" (at least 2), the page an injected fault named is spared
 * when it is translated again: the access that follows the RESUME
 * passes even when one step translates more than one page.
 */
bool odp_hca_fault_inject(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova)
{
    OdpHcaInject *in = &s->inject;
    uint64_t vpn = iova >> ODP_HCA_PAGE_SHIFT;
    bool spared;

    if (!(mr->flags & ODP_HCA_MR_F_ON_DEMAND)) {
        return false;
    }
    if (in->left && mr->key == in->key && iova >= in->iova &&
        iova - in->iova < in->length) {
        in->left--;
        in->mark = true;
        return true;
    }
    if (!in->every) {
        return false;
    }
    spared = odp_hca_inject_spare_take(in, mr->key, vpn);
    if (++in->counter < in->every) {
        return false;
    }
    if (spared) {
        /* the next translation that is not a retry takes the fault */
        in->counter = in->every - 1;
        s->stats.injections_deferred++;
        return false;
    }
    in->counter = 0;
    in->mark = true;
    odp_hca_inject_spare_add(in, mr->key, vpn);
    return true;
}

static void odp_hca_fault_latency(OdpHcaStats *st, int64_t ns)
{
    uint64_t v = MAX(ns, 0);

    st->lat_buckets[odp_hca_lat_bucket(v)]++;
    st->lat_min = st->lat_count ? MIN(st->lat_min, v) : v;
    st->lat_max = MAX(st->lat_max, v);
    st->lat_count++;
}

void odp_hca_fault_raise(OdpHcaState *s, OdpHcaQp *qp, OdpHcaFault *f,
                         uint8_t side, uint32_t key, uint64_t iova,
                         uint64_t len, uint8_t access, uint16_t wqe_index)
{
    uint32_t seq = ++s->fault_seq;

    f->pending = true;
    f->policy = s->resp_fault;
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
    odp_hca_fault_record_new(s, qp, f);
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

/*
 * The RESUME command's handler, called by odp_hca_cmd_execute() like the
 * odp_hca_exec_*() handlers of odp-hca-cmd.c; it lives here because it
 * finishes a fault.
 */
uint8_t odp_hca_exec_resume(OdpHcaState *s, uint32_t token, uint32_t status)
{
    OdpHcaQp *qp = odp_hca_qp_get(s, TOKEN_QPN(token));
    OdpHcaFaultEntry *rec;
    OdpHcaFault *f;
    int64_t service;

    if (status != ODP_HCA_RESUME_OK && status != ODP_HCA_RESUME_FAIL) {
        trace_odp_hca_err_resume_status(token, status);
        odp_hca_guest_error(s, "RESUME: status %u", status);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (!qp) {
        trace_odp_hca_err_resume_token(token, false);
        odp_hca_guest_error(s, "RESUME: token 0x%x names no QP", token);
        return ODP_HCA_CMD_BAD_TOKEN;
    }
    f = TOKEN_SIDE(token) == ODP_HCA_FAULT_REQUESTER ? &qp->req.fault
                                                     : &qp->resp.fault;
    if (!f->pending || f->token != token) {
        trace_odp_hca_err_resume_token(token, true);
        odp_hca_guest_error(s, "RESUME: token 0x%x is not pending", token);
        return ODP_HCA_CMD_BAD_TOKEN;
    }

    f->pending = false;
    odp_hca_link_fault_over(s, f);
    service = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) -
              (f->posted ? f->posted_ns : f->raised_ns);
    trace_odp_hca_resume(qp->qpn, token, status, service);
    odp_hca_fault_latency(&s->stats, service);
    rec = odp_hca_fault_record(s, f->seq);
    if (rec) {
        rec->service_ns = service;
        rec->outcome = status == ODP_HCA_RESUME_OK ?
                       ODP_HCA_FAULT_OUTCOME_RESUMED :
                       ODP_HCA_FAULT_OUTCOME_FAILED;
    }
    if (status == ODP_HCA_RESUME_OK) {
        uint64_t iova = le64_to_cpu(f->info.iova);
        uint32_t len = le32_to_cpu(f->info.length);

        s->stats.resumes_ok++;
        s->stats.bytes_resolved += len;
        s->stats.pages_resolved += len ?
            ((iova + len - 1) >> ODP_HCA_PAGE_SHIFT) -
            (iova >> ODP_HCA_PAGE_SHIFT) + 1 : 0;
    } else {
        s->stats.resumes_failed++;
    }

    if (TOKEN_SIDE(token) == ODP_HCA_FAULT_RESPONDER) {
        /*
         * The requester is waiting out an RNR NAK: its retry finds the
         * pages present, or the failure recorded here.
         */
        qp->resp.fault_failed = status != ODP_HCA_RESUME_OK;
        odp_hca_responder_resumed(s, qp);   /* notify: READY */
        odp_hca_qp_schedule(s, qp);     /* READs it stopped go on */
        return ODP_HCA_CMD_OK;
    }

    odp_hca_requester_resumed(s, qp, status == ODP_HCA_RESUME_OK);
    return ODP_HCA_CMD_OK;
}
