/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: event queues and their interrupts.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/pci/msix.h"
#include "odp-hca.h"
#include "trace.h"

/* Async events, faults among them, go to the first EQ. */
#define ODP_HCA_ASYNC_EQN 0

/* Page-fault events wait for room and are posted again: not lost. */
static void odp_hca_event_lost(OdpHcaState *s, const struct odp_hca_eqe *eqe)
{
    if (eqe->type != ODP_HCA_EV_PAGE_FAULT) {
        s->stats.events_dropped++;
    }
}

bool odp_hca_eq_post(OdpHcaState *s, uint32_t eqn, struct odp_hca_eqe *eqe)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    OdpHcaEq *eq;
    dma_addr_t addr;
    uint8_t owner;

    if (eqn >= s->max_eqs || !s->eqs[eqn].valid || s->eqs[eqn].broken) {
        odp_hca_event_lost(s, eqe);
        trace_odp_hca_event_dropped(eqn, eqe->type, le32_to_cpu(eqe->obj));
        return false;
    }
    eq = &s->eqs[eqn];
    if (((eq->pi - eq->ci) & 0xffff) >= eq->ring.entries) {
        trace_odp_hca_err_eq_full(eqn, eqe->type, le32_to_cpu(eqe->obj));
        odp_hca_event_lost(s, eqe);
        trace_odp_hca_event_dropped(eqn, eqe->type, le32_to_cpu(eqe->obj));
        return false;
    }

    owner = ((eq->pi / eq->ring.entries) & 1) ^ 1;
    addr = odp_hca_ring_addr(&eq->ring, eq->pi);
    if (!odp_hca_ring_publish(s, addr, eqe, sizeof(*eqe),
                              offsetof(struct odp_hca_eqe, owner), owner)) {
        goto broken;
    }
    eq->pi = (eq->pi + 1) & 0xffff;
    trace_odp_hca_event(eqn, eqe->type, le32_to_cpu(eqe->obj));

    if (eq->armed) {
        eq->armed = false;
        if (msix_enabled(pdev)) {
            msix_notify(pdev, eq->vector);
        }
    }
    return true;

broken:
    trace_odp_hca_err_eq_dma(eqn, addr);
    odp_hca_guest_error(s, "EQ %u entry at 0x%" PRIx64 " not writable: "
                        "EQ stops", eqn, (uint64_t)addr);
    eq->broken = true;
    odp_hca_event_lost(s, eqe);
    return false;
}

bool odp_hca_event(OdpHcaState *s, uint8_t type, uint8_t subtype,
                   uint32_t obj)
{
    struct odp_hca_eqe eqe = {
        .type = type,
        .subtype = subtype,
        .obj = cpu_to_le32(obj),
    };

    return odp_hca_eq_post(s, ODP_HCA_ASYNC_EQN, &eqe);
}

/* The driver wrote EQ_DB: take its consumer index and maybe re-arm. */
void odp_hca_eq_doorbell_write(OdpHcaState *s, uint32_t val)
{
    uint32_t eqn = (val >> ODP_HCA_EQ_DB_EQN_SHIFT) & ODP_HCA_EQ_DB_EQN_MASK;
    uint16_t ci = val & ODP_HCA_EQ_DB_CI_MASK;
    OdpHcaEq *eq;

    if (eqn >= s->max_eqs || !s->eqs[eqn].valid) {
        trace_odp_hca_err_eq_db_handle(eqn);
        odp_hca_guest_error(s, "EQ doorbell for unknown EQ %u", eqn);
        return;
    }
    eq = &s->eqs[eqn];
    if (!odp_hca_counter_move_ok(eq->ci, ci, eq->pi)) {
        trace_odp_hca_err_db_counter("EQ CI", eqn, eq->ci, ci, eq->pi);
        odp_hca_guest_error(s, "EQ %u consumer %u beyond producer %u",
                            eqn, ci, eq->pi);
        return;
    }
    eq->ci = ci;
    if (val & ODP_HCA_EQ_DB_ARM) {
        eq->armed = true;
        /* Events already waiting must not be missed by the driver. */
        if (eq->pi != eq->ci && msix_enabled(PCI_DEVICE(s))) {
            eq->armed = false;
            msix_notify(PCI_DEVICE(s), eq->vector);
        }
    }
    if (eqn == ODP_HCA_ASYNC_EQN) {
        odp_hca_fault_repost(s);
    }
}
