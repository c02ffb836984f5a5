/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: queue pairs: the state machine, doorbells, and the scheduler
 * that gives each runnable QP a bounded turn per bottom half.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "odp-hca.h"
#include "trace.h"

OdpHcaQp *odp_hca_qp_get(OdpHcaState *s, uint32_t qpn)
{
    return qpn < s->max_qps && s->qps[qpn].valid ? &s->qps[qpn] : NULL;
}

static void odp_hca_qp_timer_expired(void *opaque)
{
    OdpHcaQpTimer *t = opaque;
    OdpHcaQp *qp = &t->s->qps[t->index];

    /*
     * Timers run outside the device's re-entrancy guard: only note the
     * expiry here and let the bottom half act on it.
     */
    odp_hca_enter(t->s);
    if (qp->valid) {
        qp->req.timer_fired = true;
        odp_hca_qp_schedule(t->s, qp);
    }
    odp_hca_leave(t->s);
}

/* No RNR or ACK wait any more: the QP broke, went to reset or away. */
void odp_hca_qp_timer_stop(OdpHcaState *s, OdpHcaQp *qp)
{
    timer_del(odp_hca_qp_timer(s, qp));
    qp->req.ack_deadline = 0;
}

void odp_hca_qp_timers_init(OdpHcaState *s)
{
    s->qp_timers = g_new0(OdpHcaQpTimer, s->max_qps);
    for (uint32_t i = 0; i < s->max_qps; i++) {
        OdpHcaQpTimer *t = &s->qp_timers[i];

        t->s = s;
        t->index = i;
        timer_init_ns(&t->timer, QEMU_CLOCK_VIRTUAL, odp_hca_qp_timer_expired,
                      t);
    }
}

void odp_hca_qp_timers_fini(OdpHcaState *s)
{
    for (uint32_t i = 0; i < s->max_qps; i++) {
        timer_del(&s->qp_timers[i].timer);
    }
    g_free(s->qp_timers);
    s->qp_timers = NULL;
}

static void odp_hca_qp_unschedule(OdpHcaState *s, OdpHcaQp *qp)
{
    if (qp->queued) {
        QTAILQ_REMOVE(&s->run_list, qp, run_next);
        qp->queued = false;
    }
}

void odp_hca_qp_fini(OdpHcaState *s, OdpHcaQp *qp)
{
    odp_hca_fault_flush(s, &qp->req.fault);
    odp_hca_fault_flush(s, &qp->resp.fault);
    odp_hca_qp_unschedule(s, qp);
    odp_hca_qp_timer_stop(s, qp);
}

/*
 * As for the receive queue (odp_hca_link_enqueue()): the bottom half is
 * scheduled when the run list stops being empty; odp_hca_qp_run()
 * schedules it again for the QPs it leaves there.
 */
void odp_hca_qp_schedule(OdpHcaState *s, OdpHcaQp *qp)
{
    bool was_empty = QTAILQ_EMPTY(&s->run_list);

    if (!qp->queued) {
        QTAILQ_INSERT_TAIL(&s->run_list, qp, run_next);
        qp->queued = true;
    }
    if (was_empty && !s->kicking) {
        qemu_bh_schedule(s->qp_bh);
    }
}

/* Completions name ring slots, not the free-running counters. */
uint16_t odp_hca_recv_slot(OdpHcaState *s, OdpHcaQp *qp, uint16_t counter,
                           bool from_srq)
{
    const OdpHcaRing *r = from_srq ? &s->srqs[qp->srqn].ring : &qp->rq;

    return counter & (r->entries - 1);
}

static void odp_hca_qp_set_state(OdpHcaQp *qp, uint8_t state)
{
    trace_odp_hca_qp_state(qp->qpn, qp->state, state);
    qp->state = state;
}

/*
 * Complete posted receives with a flush error, at most *@budget of them
 * (the bottom half's share): true while some are left.
 */
bool odp_hca_qp_flush_rq(OdpHcaState *s, OdpHcaQp *qp, uint32_t *budget)
{
    if (qp->resp.recv_active) {
        OdpHcaResp *rs = &qp->resp;
        struct odp_hca_cqe cqe = {
            .wr_id = rs->recv.wr_id,
            .opcode = ODP_HCA_CQE_RECV,
            .status = ODP_HCA_WC_WR_FLUSH_ERR,
            .qpn = cpu_to_le32(qp->qpn),
            .wqe_index = cpu_to_le16(odp_hca_recv_slot(s, qp, rs->recv_index,
                                                       rs->recv_from_srq)),
        };

        qp->resp.recv_active = false;
        odp_hca_cq_post(s, qp->recv_cqn, &cqe);
    }
    if (qp->srqn != ODP_HCA_NO_SRQ) {
        return false;
    }
    while (qp->rq_ci != qp->rq_pi && *budget) {
        struct odp_hca_recv_wqe wqe;
        struct odp_hca_cqe cqe = {
            .opcode = ODP_HCA_CQE_RECV,
            .status = ODP_HCA_WC_WR_FLUSH_ERR,
            .qpn = cpu_to_le32(qp->qpn),
            .wqe_index = cpu_to_le16(qp->rq_ci & (qp->rq.entries - 1)),
        };

        if (pci_dma_read(PCI_DEVICE(s), odp_hca_ring_addr(&qp->rq, qp->rq_ci),
                         &wqe, sizeof(wqe)) == MEMTX_OK) {
            cqe.wr_id = wqe.wr_id;
        }
        qp->rq_ci++;
        (*budget)--;
        odp_hca_cq_post(s, qp->recv_cqn, &cqe);
    }
    return qp->rq_ci != qp->rq_pi;
}

/* Move to ERR: the requester flushes from its next turn. */
void odp_hca_qp_error(OdpHcaState *s, OdpHcaQp *qp, uint8_t verr)
{
    if (qp->state == ODP_HCA_QPS_ERR) {
        return;
    }
    odp_hca_qp_set_state(qp, ODP_HCA_QPS_ERR);
    odp_hca_qp_timer_stop(s, qp);
    odp_hca_fault_flush(s, &qp->req.fault);
    odp_hca_fault_flush(s, &qp->resp.fault);
    odp_hca_event(s, ODP_HCA_EV_QP_FATAL, verr, qp->qpn);
    odp_hca_qp_schedule(s, qp);     /* flushes both queues */
}

static void odp_hca_qp_to_reset(OdpHcaState *s, OdpHcaQp *qp)
{
    odp_hca_qp_unschedule(s, qp);
    odp_hca_qp_timer_stop(s, qp);
    qp->sq_pi = qp->sq_ci = 0;
    qp->rq_pi = qp->rq_ci = 0;
    qp->sq_drain_posted = false;
    odp_hca_fault_flush(s, &qp->req.fault);
    odp_hca_fault_flush(s, &qp->resp.fault);
    memset(&qp->req, 0, sizeof(qp->req));
    memset(&qp->resp, 0, sizeof(qp->resp));
}

static bool odp_hca_qp_transition_ok(uint8_t cur, uint8_t next)
{
    if (next == ODP_HCA_QPS_RESET || next == ODP_HCA_QPS_ERR) {
        return true;
    }
    switch (cur) {
    case ODP_HCA_QPS_RESET:
        return next == ODP_HCA_QPS_INIT;
    case ODP_HCA_QPS_INIT:
        return next == ODP_HCA_QPS_INIT || next == ODP_HCA_QPS_RTR;
    case ODP_HCA_QPS_RTR:
        return next == ODP_HCA_QPS_RTS;
    case ODP_HCA_QPS_RTS:
        return next == ODP_HCA_QPS_RTS || next == ODP_HCA_QPS_SQD;
    case ODP_HCA_QPS_SQD:
        return next == ODP_HCA_QPS_SQD || next == ODP_HCA_QPS_RTS;
    case ODP_HCA_QPS_SQE:
        return next == ODP_HCA_QPS_RTS;
    default:
        return false;
    }
}

uint8_t odp_hca_qp_modify(OdpHcaState *s, OdpHcaQp *qp,
                          const struct odp_hca_cmd_modify_qp *m)
{
    uint32_t mask = le32_to_cpu(m->attr_mask);
    uint8_t next = qp->state;

    if (mask & ODP_HCA_QP_ATTR_CUR_STATE && m->cur_state != qp->state) {
        trace_odp_hca_err_qp_cur_state(qp->qpn, m->cur_state, qp->state);
        return ODP_HCA_CMD_BAD_STATE;
    }
    if (mask & ODP_HCA_QP_ATTR_STATE) {
        next = m->state;
        if (next > ODP_HCA_QPS_ERR ||
            !odp_hca_qp_transition_ok(qp->state, next)) {
            trace_odp_hca_err_qp_transition(qp->qpn, qp->state, next);
            odp_hca_guest_error(s, "QP %u: no transition %u -> %u",
                                qp->qpn, qp->state, next);
            return ODP_HCA_CMD_BAD_STATE;
        }
    }
    if ((mask & ODP_HCA_QP_ATTR_PATH_MTU &&
         (m->path_mtu < ODP_HCA_MTU_256 || m->path_mtu > ODP_HCA_MTU_4096)) ||
        (mask & ODP_HCA_QP_ATTR_RETRY_CNT && m->retry_cnt > 7) ||
        (mask & ODP_HCA_QP_ATTR_RNR_RETRY && m->rnr_retry > 7) ||
        (mask & ODP_HCA_QP_ATTR_MIN_RNR_TIMER && m->min_rnr_timer > 31) ||
        (mask & ODP_HCA_QP_ATTR_TIMEOUT && m->timeout > 31) ||
        (mask & ODP_HCA_QP_ATTR_DEST_QPN &&
         le32_to_cpu(m->dest_qpn) > ODP_HCA_QPN_MAX) ||
        (mask & ODP_HCA_QP_ATTR_PORT && m->port > 1) ||
        (mask & ODP_HCA_QP_ATTR_ACCESS_FLAGS &&
         le32_to_cpu(m->access_flags) & ~0xfu)) {
        trace_odp_hca_err_qp_attr(qp->qpn, mask);
        odp_hca_guest_error(s, "QP %u: attribute out of range (mask 0x%x)",
                            qp->qpn, mask);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    if (mask & ODP_HCA_QP_ATTR_AV &&
        le32_to_cpu(m->flow_label) & ~ODP_HCA_FLOW_LABEL_MASK) {
        trace_odp_hca_err_qp_flow_label(qp->qpn, le32_to_cpu(m->flow_label));
        odp_hca_guest_error(s, "QP %u: flow label 0x%x wider than 20 bits",
                            qp->qpn, le32_to_cpu(m->flow_label));
        return ODP_HCA_CMD_BAD_PARAM;
    }

    if (mask & ODP_HCA_QP_ATTR_ACCESS_FLAGS) {
        qp->access_flags = le32_to_cpu(m->access_flags);
    }
    if (mask & ODP_HCA_QP_ATTR_PKEY_INDEX) {
        qp->pkey_index = le16_to_cpu(m->pkey_index);
    }
    if (mask & ODP_HCA_QP_ATTR_PORT) {
        qp->port = m->port;
    }
    if (mask & ODP_HCA_QP_ATTR_QKEY) {
        qp->qkey = le32_to_cpu(m->qkey);
    }
    if (mask & ODP_HCA_QP_ATTR_AV) {
        memcpy(qp->dmac, m->dmac, sizeof(qp->dmac));
        memcpy(qp->sgid, m->sgid, sizeof(qp->sgid));
        memcpy(qp->dgid, m->dgid, sizeof(qp->dgid));
        qp->flow_label = le32_to_cpu(m->flow_label);
        qp->hop_limit = m->hop_limit;
        qp->traffic_class = m->traffic_class;
    }
    if (mask & ODP_HCA_QP_ATTR_PATH_MTU) {
        qp->path_mtu = m->path_mtu;
    }
    if (mask & ODP_HCA_QP_ATTR_TIMEOUT) {
        qp->timeout = m->timeout;
    }
    if (mask & ODP_HCA_QP_ATTR_RETRY_CNT) {
        qp->retry_cnt = m->retry_cnt;
    }
    if (mask & ODP_HCA_QP_ATTR_RNR_RETRY) {
        qp->rnr_retry = m->rnr_retry;
    }
    if (mask & ODP_HCA_QP_ATTR_RQ_PSN) {
        qp->rq_psn = le32_to_cpu(m->rq_psn) & ODP_HCA_PSN_MASK;
    }
    if (mask & ODP_HCA_QP_ATTR_MAX_QP_RD_ATOMIC) {
        qp->max_rd_atomic = m->max_rd_atomic;
    }
    if (mask & ODP_HCA_QP_ATTR_MIN_RNR_TIMER) {
        qp->min_rnr_timer = m->min_rnr_timer;
    }
    if (mask & ODP_HCA_QP_ATTR_SQ_PSN) {
        qp->sq_psn = le32_to_cpu(m->sq_psn) & ODP_HCA_PSN_MASK;
        qp->req.una = qp->sq_psn;   /* nothing is in flight before RTS */
        qp->req.psn_high = qp->sq_psn;
    }
    if (mask & ODP_HCA_QP_ATTR_MAX_DEST_RD_ATOMIC) {
        qp->max_dest_rd_atomic = m->max_dest_rd_atomic;
    }
    if (mask & ODP_HCA_QP_ATTR_DEST_QPN) {
        qp->dest_qpn = le32_to_cpu(m->dest_qpn);
    }

    if (next == qp->state) {
        return ODP_HCA_CMD_OK;
    }
    if (next == ODP_HCA_QPS_RESET) {
        odp_hca_qp_to_reset(s, qp);
        odp_hca_qp_set_state(qp, next);
    } else if (next == ODP_HCA_QPS_ERR) {
        odp_hca_qp_set_state(qp, ODP_HCA_QPS_ERR);
        odp_hca_qp_timer_stop(s, qp);
        odp_hca_fault_flush(s, &qp->req.fault);
        odp_hca_fault_flush(s, &qp->resp.fault);
        odp_hca_qp_schedule(s, qp);     /* flushes both queues */
    } else {
        if (qp->state < ODP_HCA_QPS_RTS && next == ODP_HCA_QPS_RTS) {
            qp->req.retry_left = qp->retry_cnt;
            qp->req.rnr_left = qp->rnr_retry;
            qp->req.una = qp->sq_psn;
            qp->req.psn_high = qp->sq_psn;
        }
        odp_hca_qp_set_state(qp, next);
        qp->sq_drain_posted = false;
        if (next == ODP_HCA_QPS_RTS || next == ODP_HCA_QPS_SQD) {
            odp_hca_qp_schedule(s, qp);
        }
    }
    return ODP_HCA_CMD_OK;
}

void odp_hca_qp_query(OdpHcaQp *qp, struct odp_hca_cmd_modify_qp *m)
{
    m->state = qp->state;
    m->cur_state = qp->state;
    m->path_mtu = qp->path_mtu;
    m->timeout = qp->timeout;
    m->retry_cnt = qp->retry_cnt;
    m->rnr_retry = qp->rnr_retry;
    m->min_rnr_timer = qp->min_rnr_timer;
    m->max_rd_atomic = qp->max_rd_atomic;
    m->max_dest_rd_atomic = qp->max_dest_rd_atomic;
    m->port = qp->port;
    m->pkey_index = cpu_to_le16(qp->pkey_index);
    m->access_flags = cpu_to_le32(qp->access_flags);
    m->qkey = cpu_to_le32(qp->qkey);
    m->dest_qpn = cpu_to_le32(qp->dest_qpn);
    m->sq_psn = cpu_to_le32(qp->sq_psn);
    m->rq_psn = cpu_to_le32(qp->rq_psn);
    memcpy(m->dmac, qp->dmac, sizeof(m->dmac));
    memcpy(m->sgid, qp->sgid, sizeof(m->sgid));
    memcpy(m->dgid, qp->dgid, sizeof(m->dgid));
    m->flow_label = cpu_to_le32(qp->flow_label);
    m->hop_limit = qp->hop_limit;
    m->traffic_class = qp->traffic_class;
}

/*
 * A send doorbell starts its work at once, in the vCPU's write, and the
 * bottom halves do what a small budget leaves.  Under TCG the main loop
 * thread that runs them competes with the vCPUs for the host's CPUs, and
 * waking it (an eventfd write, then the BQL) cost more than a small
 * message takes (ib_write_lat 8 B, the 64-byte message rate): while it
 * runs, nothing schedules a bottom half, and at its end only what is
 * left does.  The budget bounds how long the write takes.  Only the
 * outermost entry runs: a doorbell reached from inside the device (its
 * own DMA) leaves the work to the bottom half.
 */
static void odp_hca_qp_kick(OdpHcaState *s, OdpHcaQp *qp)
{
    if (s->busy != 1 || s->kicking) {
        odp_hca_qp_schedule(s, qp);
        return;
    }
    s->kicking = true;
    odp_hca_qp_schedule(s, qp);
    for (int round = 0; round < ODP_HCA_KICK_ROUNDS; round++) {
        odp_hca_qp_run(s, ODP_HCA_KICK_BYTE_BUDGET, ODP_HCA_KICK_WQE_BUDGET);
        if (!odp_hca_link_rx_run(s, ODP_HCA_KICK_RX_BUDGET)) {
            break;
        }
    }
    s->kicking = false;
    if (!QTAILQ_EMPTY(&s->run_list)) {
        qemu_bh_schedule(s->qp_bh);
    }
    odp_hca_link_rx_resched(s);
}

void odp_hca_qp_doorbell(OdpHcaState *s, uint32_t uar, hwaddr reg,
                         uint32_t val)
{
    uint32_t obj = val >> ODP_HCA_DB_OBJ_SHIFT;
    uint16_t count = val & ODP_HCA_DB_COUNT_MASK;

    if (reg == ODP_HCA_DB_SRQ) {
        OdpHcaSrq *srq = obj < s->max_srqs && s->srqs[obj].valid ?
                         &s->srqs[obj] : NULL;

        if (!srq || srq->uar != uar) {
            if (!srq) {
                trace_odp_hca_err_db_handle("SRQ", obj, uar);
            } else {
                trace_odp_hca_err_db_uar("SRQ", obj, uar, srq->uar);
            }
            odp_hca_guest_error(s, "SRQ doorbell for SRQ %u on UAR %u",
                                obj, uar);
            return;
        }
        if (!odp_hca_counter_move_ok(srq->pi, count,
                                     srq->ci + srq->ring.entries)) {
            trace_odp_hca_err_db_counter("SRQ PI", obj, srq->pi, count,
                                         srq->ci + srq->ring.entries);
            odp_hca_guest_error(s, "SRQ %u producer %u overruns the ring",
                                obj, count);
            return;
        }
        srq->pi = count;
        return;
    }

    OdpHcaQp *qp = odp_hca_qp_get(s, obj);

    if (!qp || qp->uar != uar) {
        if (!qp) {
            trace_odp_hca_err_db_handle("QP", obj, uar);
        } else {
            trace_odp_hca_err_db_uar("QP", obj, uar, qp->uar);
        }
        odp_hca_guest_error(s, "doorbell for QP %u on UAR %u", obj, uar);
        return;
    }
    if (reg == ODP_HCA_DB_SQ) {
        if (!odp_hca_counter_move_ok(qp->sq_pi, count,
                                     qp->sq_ci + qp->sq.entries)) {
            trace_odp_hca_err_db_counter("SQ PI", qp->qpn, qp->sq_pi, count,
                                         qp->sq_ci + qp->sq.entries);
            odp_hca_guest_error(s, "QP %u SQ producer %u overruns the ring",
                                qp->qpn, count);
            odp_hca_qp_error(s, qp, ODP_HCA_VERR_BAD_WQE);
            return;
        }
        qp->sq_pi = count;
        odp_hca_qp_kick(s, qp);
    } else {
        if (qp->srqn != ODP_HCA_NO_SRQ ||
            !odp_hca_counter_move_ok(qp->rq_pi, count,
                                     qp->rq_ci + qp->rq.entries)) {
            if (qp->srqn != ODP_HCA_NO_SRQ) {
                trace_odp_hca_err_db_rq_srq(qp->qpn, qp->srqn);
            } else {
                trace_odp_hca_err_db_counter("RQ PI", qp->qpn, qp->rq_pi,
                                             count,
                                             qp->rq_ci + qp->rq.entries);
            }
            odp_hca_guest_error(s, "QP %u RQ producer %u overruns the ring",
                                qp->qpn, count);
            odp_hca_qp_error(s, qp, ODP_HCA_VERR_BAD_WQE);
            return;
        }
        qp->rq_pi = count;
        if (qp->state == ODP_HCA_QPS_ERR) {
            odp_hca_qp_schedule(s, qp);     /* flushed in the bottom half */
        }
    }
}

void odp_hca_qp_run(OdpHcaState *s, uint64_t bytes, uint32_t wqes)
{

    /* Round robin; a QP that still has work goes to the back. */
    while (!QTAILQ_EMPTY(&s->run_list) && bytes && wqes &&
           !odp_hca_quiescing(s)) {
        OdpHcaQp *qp = QTAILQ_FIRST(&s->run_list);
        uint64_t qp_bytes = MIN(bytes, ODP_HCA_QP_BYTE_BUDGET / 4);
        uint32_t qp_wqes = MIN(wqes, ODP_HCA_QP_WQE_BUDGET);
        uint64_t b0 = qp_bytes;
        uint32_t w0 = qp_wqes;
        bool more;

        QTAILQ_REMOVE(&s->run_list, qp, run_next);
        qp->queued = false;
        more = odp_hca_responder_run(s, qp, &qp_bytes);
        more |= odp_hca_requester_run(s, qp, &qp_bytes, &qp_wqes);
        bytes -= MIN(bytes, b0 - qp_bytes);
        wqes -= MIN(wqes, w0 - qp_wqes);
        if (more && qp->valid && !qp->queued) {
            QTAILQ_INSERT_TAIL(&s->run_list, qp, run_next);
            qp->queued = true;
        }
    }
    if (!QTAILQ_EMPTY(&s->run_list) && !s->kicking) {
        qemu_bh_schedule(s->qp_bh);
    }
}

void odp_hca_qp_bh(void *opaque)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    for (int round = 0; round < ODP_HCA_PUMP_ROUNDS; round++) {
        odp_hca_qp_run(s, ODP_HCA_QP_BYTE_BUDGET, ODP_HCA_BH_WQE_BUDGET);
        if (!odp_hca_link_rx_run(s, ODP_HCA_RX_BUDGET)) {
            break;
        }
    }
    odp_hca_leave(s);
}
