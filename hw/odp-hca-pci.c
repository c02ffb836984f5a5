/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: PCI function, register BAR, doorbell BAR, MSI-X, reset.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/bitops.h"
#include "qemu/host-utils.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/util.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "odp-hca.h"
#include "trace.h"

void odp_hca_guest_error(OdpHcaState *s, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    s->stats.guest_errors++;
    trace_odp_hca_guest_error(msg);
    qemu_log_mask(LOG_GUEST_ERROR, "odp-hca: %s\n", msg);
}

/* Everything the guest set up goes; counters stay for the monitor. */
static void odp_hca_reset_now(OdpHcaState *s)
{
    trace_odp_hca_reset();
    qemu_bh_cancel(s->cmd_bh);
    qemu_bh_cancel(s->qp_bh);
    qemu_bh_cancel(s->rx_bh);
    odp_hca_link_flush(s);
    odp_hca_impair_flush(s);
    odp_hca_objects_destroy_all(s);
    odp_hca_tlb_invalidate(s, 0, 0, 0, true);
    s->ctrl = 0;
    s->status = 0;
    s->cmdq_base = 0;
    s->cmdq_log_size = 0;
    s->cmdq_pi = 0;
    s->cmdq_ci = 0;
}

/*
 * Re-entry and reset.
 *
 * The device's own DMA and MSI-X writes can land in PCI configuration
 * space (the q35 ECAM window belongs to the host bridge, out of reach of
 * the device's memory re-entrancy guard) and set FLR in its own Device
 * Control, or a secondary bus reset in the root port above it.  Such a
 * reset arrives while device code is on the stack holding pointers to
 * QPs, CQs and ring page lists.  So every entry point (register and
 * doorbell writes, configuration writes, bottom halves, timers) runs
 * between odp_hca_enter() and odp_hca_leave(); a reset that arrives in
 * between is recorded, and the outermost odp_hca_leave() carries it out
 * once nothing below uses the objects any more.  Until then the
 * schedulers start no new work (odp_hca_quiescing()), and the PCI side,
 * already reset by QEMU (bus master and MSI-X off), lets nothing out.
 * The guest cannot tell the difference: it runs again only after the
 * access that caused the reset returns, and the reset is complete by
 * then.
 */
void odp_hca_enter(OdpHcaState *s)
{
    s->busy++;
}

void odp_hca_leave(OdpHcaState *s)
{
    assert(s->busy > 0);
    if (--s->busy) {
        return;
    }
    if (s->reset_pending) {
        s->reset_pending = false;
        odp_hca_reset_now(s);
    }
    /* the write that returns here may have made the device ready */
    odp_hca_port_unblock(s);
}

/*
 * A reset asked for by CTRL.RESET or by QEMU (FLR, bus reset): carried
 * out now, or by the outermost odp_hca_leave() if device code is running.
 */
void odp_hca_reset_request(OdpHcaState *s)
{
    if (s->busy) {
        trace_odp_hca_reset_deferred(s->busy);
        s->reset_pending = true;
        return;
    }
    odp_hca_reset_now(s);
}

static uint64_t odp_hca_reg_read(void *opaque, hwaddr addr, unsigned size)
{
    OdpHcaState *s = opaque;
    uint64_t val = 0;

    if (size != 4 || (addr & 3)) {
        trace_odp_hca_err_reg_size(addr, size, false);
        odp_hca_guest_error(s, "register read of size %u at 0x%" HWADDR_PRIx,
                            size, addr);
        return 0;
    }

    switch (addr) {
    case ODP_HCA_REG_MAGIC:
        val = ODP_HCA_MAGIC;
        break;
    case ODP_HCA_REG_VERSION:
        val = ODP_HCA_VERSION;
        break;
    case ODP_HCA_REG_CTRL:
        val = s->ctrl;
        break;
    case ODP_HCA_REG_STATUS:
        val = s->status;
        break;
    case ODP_HCA_REG_CMDQ_BASE_LO:
        val = (uint32_t)s->cmdq_base;
        break;
    case ODP_HCA_REG_CMDQ_BASE_HI:
        val = s->cmdq_base >> 32;
        break;
    case ODP_HCA_REG_CMDQ_LOG_SIZE:
        val = s->cmdq_log_size;
        break;
    case ODP_HCA_REG_CMDQ_PI:
        val = s->cmdq_pi;
        break;
    case ODP_HCA_REG_CMDQ_CI:
        val = s->cmdq_ci;
        break;
    case ODP_HCA_REG_NUM_UARS:
        val = s->num_uars;
        break;
    case ODP_HCA_REG_NUM_VECTORS:
        val = s->num_vectors;
        break;
    case ODP_HCA_REG_PORT_STATE:
        val = odp_hca_port_state_reg(s);
        break;
    default:
        trace_odp_hca_err_reg_unknown(addr, false);
        odp_hca_guest_error(s, "read of unknown register 0x%" HWADDR_PRIx,
                            addr);
        break;
    }
    trace_odp_hca_reg_read(addr, val);
    return val;
}

static void odp_hca_ctrl_write(OdpHcaState *s, uint32_t val)
{
    if (val & ODP_HCA_CTRL_RESET) {
        odp_hca_reset_request(s);
        return;
    }
    if ((val & ODP_HCA_CTRL_ENABLE) && !(s->ctrl & ODP_HCA_CTRL_ENABLE)) {
        if (s->cmdq_log_size < ODP_HCA_CMDQ_MIN_LOG_SIZE ||
            s->cmdq_log_size > ODP_HCA_CMDQ_MAX_LOG_SIZE ||
            (s->cmdq_base & (ODP_HCA_PAGE_SIZE - 1))) {
            trace_odp_hca_err_cmdq_config(s->cmdq_base, s->cmdq_log_size);
            odp_hca_guest_error(s, "enable with bad command queue base 0x%"
                                PRIx64 " log size %u", s->cmdq_base,
                                s->cmdq_log_size);
            return;
        }
        s->ctrl = ODP_HCA_CTRL_ENABLE;
        s->status = ODP_HCA_STATUS_READY;
        s->cmdq_pi = 0;
        s->cmdq_ci = 0;
    } else if (!(val & ODP_HCA_CTRL_ENABLE) &&
               (s->ctrl & ODP_HCA_CTRL_ENABLE)) {
        /* Disabling stops the command queue; objects stay until reset. */
        s->ctrl = 0;
        s->status &= ~ODP_HCA_STATUS_READY;
    }
}

static void odp_hca_reg_write_locked(OdpHcaState *s, hwaddr addr,
                                     uint64_t val, unsigned size)
{
    bool enabled = s->ctrl & ODP_HCA_CTRL_ENABLE;

    if (size != 4 || (addr & 3)) {
        trace_odp_hca_err_reg_size(addr, size, true);
        odp_hca_guest_error(s, "register write of size %u at 0x%" HWADDR_PRIx,
                            size, addr);
        return;
    }
    trace_odp_hca_reg_write(addr, val);

    switch (addr) {
    case ODP_HCA_REG_CTRL:
        odp_hca_ctrl_write(s, val);
        break;
    case ODP_HCA_REG_CMDQ_BASE_LO:
    case ODP_HCA_REG_CMDQ_BASE_HI:
    case ODP_HCA_REG_CMDQ_LOG_SIZE:
        if (enabled) {
            trace_odp_hca_err_cmdq_enabled(addr);
            odp_hca_guest_error(s, "command queue changed while enabled");
            break;
        }
        if (addr == ODP_HCA_REG_CMDQ_BASE_LO) {
            s->cmdq_base = deposit64(s->cmdq_base, 0, 32, val);
        } else if (addr == ODP_HCA_REG_CMDQ_BASE_HI) {
            s->cmdq_base = deposit64(s->cmdq_base, 32, 32, val);
        } else {
            s->cmdq_log_size = val;
        }
        break;
    case ODP_HCA_REG_CMDQ_PI:
        if (!enabled) {
            trace_odp_hca_err_cmdq_disabled(val);
            odp_hca_guest_error(s, "command doorbell while not enabled");
            break;
        }
        if (!odp_hca_counter_move_ok(s->cmdq_pi, val,
                                     s->cmdq_ci + (1u << s->cmdq_log_size))) {
            trace_odp_hca_err_db_counter("CMDQ PI", 0, s->cmdq_pi, val,
                                         s->cmdq_ci + (1u << s->cmdq_log_size));
            odp_hca_guest_error(s, "command producer %u overruns the ring "
                                "(consumer %u)", (uint32_t)val, s->cmdq_ci);
            break;
        }
        s->cmdq_pi = val & 0xffff;
        odp_hca_cmd_doorbell(s);
        break;
    case ODP_HCA_REG_EQ_DB:
        odp_hca_eq_doorbell_write(s, val);
        break;
    default:
        trace_odp_hca_err_reg_unknown(addr, true);
        odp_hca_guest_error(s, "write to read-only or unknown register 0x%"
                            HWADDR_PRIx, addr);
        break;
    }
}

static void odp_hca_reg_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    odp_hca_reg_write_locked(s, addr, val, size);
    odp_hca_leave(s);
}

/*
 * Both BARs see every access whole, whatever its size or alignment, so
 * wrong-size accesses are refused instead of being split into legal ones.
 */
#define ODP_HCA_WHOLE_ACCESSES                                          \
    .valid = { .min_access_size = 1, .max_access_size = 8,              \
               .unaligned = true },                                     \
    .impl = { .min_access_size = 1, .max_access_size = 8,               \
              .unaligned = true }

static const MemoryRegionOps odp_hca_reg_ops = {
    .read = odp_hca_reg_read,
    .write = odp_hca_reg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    ODP_HCA_WHOLE_ACCESSES,
};

static uint64_t odp_hca_db_read(void *opaque, hwaddr addr, unsigned size)
{
    /* Doorbells are write-only; reads return 0 so probing is harmless. */
    return 0;
}

static void odp_hca_db_write_locked(OdpHcaState *s, hwaddr addr,
                                    uint64_t val, unsigned size)
{
    uint32_t uar = addr >> ODP_HCA_PAGE_SHIFT;
    hwaddr reg = addr & (ODP_HCA_PAGE_SIZE - 1);

    if (size != 4 || (addr & 3)) {
        trace_odp_hca_err_db_size(addr, size);
        odp_hca_guest_error(s, "doorbell write of size %u at 0x%" HWADDR_PRIx,
                            size, addr);
        return;
    }
    trace_odp_hca_doorbell(uar, reg, val);

    switch (reg) {
    case ODP_HCA_DB_SQ:
    case ODP_HCA_DB_RQ:
    case ODP_HCA_DB_SRQ:
        odp_hca_qp_doorbell(s, uar, reg, val);
        break;
    case ODP_HCA_DB_CQ_CI:
    case ODP_HCA_DB_CQ_ARM:
    case ODP_HCA_DB_CQ_ARM_SOL:
        odp_hca_cq_doorbell(s, uar, reg, val);
        break;
    default:
        trace_odp_hca_err_db_unknown(uar, reg);
        odp_hca_guest_error(s, "write to unknown doorbell 0x%" HWADDR_PRIx
                            " of UAR %u", reg, uar);
        break;
    }
}

static void odp_hca_db_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    OdpHcaState *s = opaque;

    odp_hca_enter(s);
    odp_hca_db_write_locked(s, addr, val, size);
    odp_hca_leave(s);
}

static const MemoryRegionOps odp_hca_db_ops = {
    .read = odp_hca_db_read,
    .write = odp_hca_db_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    ODP_HCA_WHOLE_ACCESSES,
};

static bool odp_hca_check_props(OdpHcaState *s, Error **errp)
{
    static const struct {
        const char *name;
        size_t offset;
        uint32_t min, max;
    } limits[] = {
        { "max-qps", offsetof(OdpHcaState, max_qps), 4, 65536 },
        { "max-cqs", offsetof(OdpHcaState, max_cqs), 1, 65536 },
        { "max-srqs", offsetof(OdpHcaState, max_srqs), 1, 65536 },
        { "max-mrs", offsetof(OdpHcaState, max_mrs), 1, 1 << 24 },
        { "max-pds", offsetof(OdpHcaState, max_pds), 1, 65536 },
        { "max-qp-wr", offsetof(OdpHcaState, max_qp_wr), 2, 32768 },
        { "max-cqe", offsetof(OdpHcaState, max_cqe), 2, 32768 },
        { "max-eqe", offsetof(OdpHcaState, max_eqe), 2, 32768 },
        { "max-sge", offsetof(OdpHcaState, max_sge), 1, ODP_HCA_MAX_SGE },
        { "max-inline", offsetof(OdpHcaState, max_inline), 0,
          ODP_HCA_MAX_INLINE },
        { "iotlb-entries", offsetof(OdpHcaState, iotlb_entries), 1, 1 << 20 },
        { "uars", offsetof(OdpHcaState, num_uars), 1, 4096 },
        { "vectors", offsetof(OdpHcaState, num_vectors), 1, 256 },
        { "fault-ring-size", offsetof(OdpHcaState, fault_ring_size), 1,
          65536 },
        { "rx-queue", offsetof(OdpHcaState, rx_queue_max), 64, 65536 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
        uint32_t v = *(uint32_t *)((uint8_t *)s + limits[i].offset);

        if (v < limits[i].min || v > limits[i].max) {
            error_setg(errp, "odp-hca: %s=%u is out of range [%u, %u]",
                       limits[i].name, v, limits[i].min, limits[i].max);
            return false;
        }
    }
    if (!is_power_of_2(s->max_qp_wr) || !is_power_of_2(s->max_cqe) ||
        !is_power_of_2(s->max_eqe)) {
        error_setg(errp, "odp-hca: max-qp-wr, max-cqe and max-eqe must be "
                   "powers of two");
        return false;
    }
    if (!is_power_of_2(s->iotlb_entries) || !is_power_of_2(s->num_uars)) {
        error_setg(errp, "odp-hca: iotlb-entries and uars must be powers "
                   "of two");
        return false;
    }
    s->resp_fault = ODP_HCA_RESPONDER_FAULT_RNR;
    if (s->responder_fault_prop) {
        int policy = qapi_enum_parse(&OdpHcaResponderFault_lookup,
                                     s->responder_fault_prop, -1, NULL);

        if (policy < 0) {
            error_setg(errp, "odp-hca: responder-fault=%s: expected rnr, "
                       "drop, stall or notify", s->responder_fault_prop);
            return false;
        }
        s->resp_fault = policy;
    }
    return true;
}

static void odp_hca_realize(PCIDevice *pdev, Error **errp)
{
    OdpHcaState *s = ODP_HCA(pdev);
    uint8_t *conf = pdev->config;

    if (!odp_hca_check_props(s, errp)) {
        return;
    }
    s->max_eqs = s->num_vectors;

    /* MSI-X only: no INTx pin to raise. */
    conf[PCI_INTERRUPT_PIN] = 0;
    if (pcie_endpoint_cap_init(pdev, 0x80) < 0) {
        error_setg(errp, "odp-hca: cannot add the PCIe capability");
        return;
    }
    pcie_cap_flr_init(pdev);
    if (pcie_aer_init(pdev, PCI_ERR_VER, 0x100, PCI_ERR_SIZEOF, errp) < 0) {
        goto err_pcie;
    }

    memory_region_init_io(&s->regs, OBJECT(s), &odp_hca_reg_ops, s,
                          "odp-hca-regs", ODP_HCA_REG_BAR_SIZE);
    pci_register_bar(pdev, ODP_HCA_REG_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->regs);
    memory_region_init_io(&s->doorbells, OBJECT(s), &odp_hca_db_ops, s,
                          "odp-hca-doorbells",
                          (uint64_t)s->num_uars * ODP_HCA_PAGE_SIZE);
    pci_register_bar(pdev, ODP_HCA_DB_BAR, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->doorbells);

    if (msix_init_exclusive_bar(pdev, s->num_vectors, ODP_HCA_MSIX_BAR,
                                errp)) {
        goto err_aer;
    }
    for (uint32_t v = 0; v < s->num_vectors; v++) {
        msix_vector_use(pdev, v);
    }

    odp_hca_port_realize(s);
    odp_hca_link_init(s);
    odp_hca_impair_init(s);
    odp_hca_iommu_init(s);

    s->eqs = g_new0(OdpHcaEq, s->max_eqs);
    s->pds = g_new0(OdpHcaPd, s->max_pds);
    s->cqs = g_new0(OdpHcaCq, s->max_cqs);
    s->srqs = g_new0(OdpHcaSrq, s->max_srqs);
    s->qps = g_new0(OdpHcaQp, s->max_qps);
    s->mrs = g_new0(OdpHcaMr, s->max_mrs);
    s->tlb = g_new0(OdpHcaTlbEntry, s->iotlb_entries);
    s->tlb_bus = g_new0(uint32_t, s->iotlb_entries);
    s->fault_ring = g_new0(OdpHcaFaultEntry, s->fault_ring_size);
    s->qp_gone = g_new0(OdpHcaQpGone, ODP_HCA_QP_GONE_KEPT);
    QTAILQ_INIT(&s->run_list);
    odp_hca_qp_timers_init(s);
    s->cmd_bh = qemu_bh_new_guarded(odp_hca_cmd_bh, s,
                                    &DEVICE(s)->mem_reentrancy_guard);
    s->qp_bh = qemu_bh_new_guarded(odp_hca_qp_bh, s,
                                   &DEVICE(s)->mem_reentrancy_guard);
    return;

err_aer:
    pcie_aer_exit(pdev);
err_pcie:
    pcie_cap_exit(pdev);
}

static void odp_hca_exit(PCIDevice *pdev)
{
    OdpHcaState *s = ODP_HCA(pdev);

    /* no frame comes in while the objects go */
    odp_hca_port_unrealize(s);
    odp_hca_iommu_fini(s);
    odp_hca_link_fini(s);
    odp_hca_impair_fini(s);
    odp_hca_frame_pool_drain(s);     /* the two above gave theirs back */
    odp_hca_objects_destroy_all(s);
    odp_hca_qp_timers_fini(s);
    qemu_bh_delete(s->cmd_bh);
    qemu_bh_delete(s->qp_bh);
    g_free(s->eqs);
    g_free(s->pds);
    g_free(s->cqs);
    g_free(s->srqs);
    g_free(s->qps);
    g_free(s->mrs);
    g_free(s->tlb);
    g_free(s->tlb_bus);
    g_free(s->fault_ring);
    g_free(s->qp_gone);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
    pcie_aer_exit(pdev);
    pcie_cap_exit(pdev);
}

/*
 * Configuration writes are an entry point too: unmasking an MSI-X vector
 * sends its pending message, which may come back here as an FLR.
 */
static void odp_hca_config_write(PCIDevice *pdev, uint32_t addr,
                                 uint32_t val, int len)
{
    OdpHcaState *s = ODP_HCA(pdev);

    odp_hca_enter(s);
    /* A write may turn bus mastering off: mapped payloads are read now. */
    odp_hca_link_unmap_all(s);
    pci_default_write_config(pdev, addr, val, len);
    pcie_cap_flr_write_config(pdev, addr, val, len);
    odp_hca_leave(s);
}

static void odp_hca_qdev_reset(DeviceState *dev)
{
    odp_hca_reset_request(ODP_HCA(dev));
}

static const Property odp_hca_props[] = {
    DEFINE_PROP_UINT32("max-qps", OdpHcaState, max_qps, 256),
    DEFINE_PROP_UINT32("max-cqs", OdpHcaState, max_cqs, 256),
    DEFINE_PROP_UINT32("max-srqs", OdpHcaState, max_srqs, 64),
    DEFINE_PROP_UINT32("max-mrs", OdpHcaState, max_mrs, 1024),
    DEFINE_PROP_UINT32("max-pds", OdpHcaState, max_pds, 256),
    DEFINE_PROP_UINT32("max-qp-wr", OdpHcaState, max_qp_wr, 4096),
    DEFINE_PROP_UINT32("max-cqe", OdpHcaState, max_cqe, 32768),
    DEFINE_PROP_UINT32("max-eqe", OdpHcaState, max_eqe, 4096),
    DEFINE_PROP_UINT32("max-sge", OdpHcaState, max_sge, 16),
    DEFINE_PROP_UINT32("max-inline", OdpHcaState, max_inline, 256),
    /*
     * 16384 pages (64 MiB) of reach: a 4 MiB SEND at full speed touches
     * 2048 pages, and in 1024 direct-mapped slots they evicted each other
     * on every pass (make bench: ODP / pinned 0.91 there, from where in
     * the table each MR's hash fell).  512 KiB of host memory.
     */
    DEFINE_PROP_UINT32("iotlb-entries", OdpHcaState, iotlb_entries, 16384),
    DEFINE_PROP_UINT32("uars", OdpHcaState, num_uars, 64),
    DEFINE_PROP_UINT32("vectors", OdpHcaState, num_vectors, 8),
    DEFINE_PROP_UINT32("fault-ring-size", OdpHcaState, fault_ring_size, 256),
    DEFINE_PROP_UINT32("rx-queue", OdpHcaState, rx_queue_max, 1024),
    DEFINE_PROP_STRING("responder-fault", OdpHcaState, responder_fault_prop),
    /* "mac" (the port's MAC, which GIDs derive from) and "netdev" */
    DEFINE_NIC_PROPERTIES(OdpHcaState, conf),
};

/* Translation state lives in guest memory and in flight: not migratable. */
static const VMStateDescription odp_hca_vmstate = {
    .name = "odp-hca",
    .unmigratable = 1,
};

static void odp_hca_class_init(ObjectClass *klass, OdpHcaClassData data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = odp_hca_realize;
    k->exit = odp_hca_exit;
    k->config_write = odp_hca_config_write;
    k->vendor_id = ODP_HCA_PCI_VENDOR_ID;
    k->device_id = ODP_HCA_PCI_DEVICE_ID;
    k->revision = ODP_HCA_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_OTHER;
    dc->desc = "RDMA adapter with on-demand paging (odp-hca)";
    dc->vmsd = &odp_hca_vmstate;
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    device_class_set_props(dc, odp_hca_props);
    device_class_set_legacy_reset(dc, odp_hca_qdev_reset);
}

static const TypeInfo odp_hca_info = {
    .name = TYPE_ODP_HCA,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(OdpHcaState),
    .class_init = odp_hca_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void odp_hca_register_types(void)
{
    type_register_static(&odp_hca_info);
}

type_init(odp_hca_register_types)
