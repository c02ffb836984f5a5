/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: completion queues: writing entries, arming, overflow.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

static bool odp_hca_cq_full(OdpHcaCq *cq)
{
    return ((cq->pi - cq->ci) & 0xffff) >= cq->ring.entries;
}

/*
 * The CQ looks full: take the consumer's counter from its record, where
 * it has one.  False when the record could not be read (the CQ is then
 * broken, the error reported); a value that goes back or beyond the
 * producer is not taken, and the CQ overflows.
 */
static bool odp_hca_cq_read_record(OdpHcaState *s, uint32_t cqn, OdpHcaCq *cq)
{
    uint32_t rec;
    uint16_t ci;

    if (pci_dma_read(PCI_DEVICE(s), cq->ci_record, &rec, sizeof(rec))) {
        trace_odp_hca_err_cq_ci_record_dma(cqn, cq->ci_record);
        odp_hca_guest_error(s, "CQ %u consumer record at 0x%" PRIx64
                            " not readable", cqn, (uint64_t)cq->ci_record);
        cq->overflow = true;
        odp_hca_event(s, ODP_HCA_EV_CQ_ERROR, ODP_HCA_VERR_DMA, cqn);
        return false;
    }
    s->stats.cq_record_reads++;
    ci = le32_to_cpu(rec) & ODP_HCA_DB_COUNT_MASK;
    if (!odp_hca_counter_move_ok(cq->ci, ci, cq->pi)) {
        trace_odp_hca_err_db_counter("CQ CI record", cqn, cq->ci, ci, cq->pi);
        odp_hca_guest_error(s, "CQ %u consumer record %u goes back or "
                            "beyond producer %u", cqn, ci, cq->pi);
        return true;
    }
    cq->ci = ci;
    return true;
}

bool odp_hca_cq_post(OdpHcaState *s, uint32_t cqn, struct odp_hca_cqe *cqe)
{
    OdpHcaCq *cq = &s->cqs[cqn];
    dma_addr_t addr;
    uint8_t owner;
    bool notify;

    if (!cq->valid || cq->overflow) {
        return false;
    }
    if (odp_hca_cq_full(cq) && cq->ci_record &&
        !odp_hca_cq_read_record(s, cqn, cq)) {
        return false;
    }
    if (odp_hca_cq_full(cq)) {
        trace_odp_hca_err_cq_overflow(cqn, cq->pi, cq->ci);
        odp_hca_guest_error(s, "CQ %u overflow", cqn);
        cq->overflow = true;
        odp_hca_event(s, ODP_HCA_EV_CQ_ERROR, ODP_HCA_VERR_CQ_OVERFLOW, cqn);
        return false;
    }

    owner = ((cq->pi / cq->ring.entries) & 1) ^ 1;
    addr = odp_hca_ring_addr(&cq->ring, cq->pi);
    if (!odp_hca_ring_publish(s, addr, cqe, sizeof(*cqe),
                              offsetof(struct odp_hca_cqe, owner), owner)) {
        goto bad;
    }
    cq->pi = (cq->pi + 1) & 0xffff;
    trace_odp_hca_cqe(cqn, le32_to_cpu(cqe->qpn), cqe->opcode, cqe->status,
                      le64_to_cpu(cqe->wr_id));

    notify = cq->arm == ODP_HCA_CQ_ARMED_ANY ||
             (cq->arm == ODP_HCA_CQ_ARMED_SOL &&
              ((cqe->flags & ODP_HCA_CQE_F_SOLICITED) || cqe->status));
    if (notify) {
        struct odp_hca_eqe eqe = {
            .type = ODP_HCA_EV_COMPLETION,
            .obj = cpu_to_le32(cqn),
        };

        cq->arm = ODP_HCA_CQ_DISARMED;
        odp_hca_eq_post(s, cq->eqn, &eqe);
    }
    return true;

bad:
    trace_odp_hca_err_cq_dma(cqn, addr);
    odp_hca_guest_error(s, "CQ %u entry at 0x%" PRIx64 " not writable",
                        cqn, (uint64_t)addr);
    cq->overflow = true;
    odp_hca_event(s, ODP_HCA_EV_CQ_ERROR, ODP_HCA_VERR_DMA, cqn);
    return false;
}

void odp_hca_cq_doorbell(OdpHcaState *s, uint32_t uar, hwaddr reg,
                         uint32_t val)
{
    uint32_t cqn = val >> ODP_HCA_DB_OBJ_SHIFT;
    uint16_t ci = val & ODP_HCA_DB_COUNT_MASK;
    OdpHcaCq *cq;

    if (cqn >= s->max_cqs || !s->cqs[cqn].valid) {
        trace_odp_hca_err_db_handle("CQ", cqn, uar);
        odp_hca_guest_error(s, "CQ doorbell for unknown CQ %u", cqn);
        return;
    }
    cq = &s->cqs[cqn];
    if (cq->uar != uar) {
        trace_odp_hca_err_db_uar("CQ", cqn, uar, cq->uar);
        odp_hca_guest_error(s, "CQ %u rung on UAR %u, belongs to UAR %u",
                            cqn, uar, cq->uar);
        return;
    }
    if (!odp_hca_counter_move_ok(cq->ci, ci, cq->pi)) {
        trace_odp_hca_err_db_counter("CQ CI", cqn, cq->ci, ci, cq->pi);
        odp_hca_guest_error(s, "CQ %u consumer %u beyond producer %u",
                            cqn, ci, cq->pi);
        return;
    }
    cq->ci = ci;
    if (reg == ODP_HCA_DB_CQ_ARM || reg == ODP_HCA_DB_CQ_ARM_SOL) {
        cq->arm = reg == ODP_HCA_DB_CQ_ARM ? ODP_HCA_CQ_ARMED_ANY
                                           : ODP_HCA_CQ_ARMED_SOL;
        /* Completions already there and unread: report them now. */
        if (cq->pi != cq->ci) {
            struct odp_hca_eqe eqe = {
                .type = ODP_HCA_EV_COMPLETION,
                .obj = cpu_to_le32(cqn),
            };

            cq->arm = ODP_HCA_CQ_DISARMED;
            odp_hca_eq_post(s, cq->eqn, &eqe);
        }
    }
}
