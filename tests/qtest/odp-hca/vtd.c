/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests: a minimal VT-d driver (see vtd.h).
 *
 * The tables follow the VT-d specification's legacy mode: a root table
 * indexed by bus, a context table by devfn, and a 3-level second-stage
 * page table (39-bit address width), RAM mapped with 2 MiB pages and the
 * window with 4 KiB ones.  Invalidation goes through the registers, not
 * the queue: the IOMMU then notifies its unmap notifiers, the device's
 * among them, before the register write returns.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "hw/i386/intel_iommu.h"
#include "hw/i386/intel_iommu_internal.h"
#include "vtd.h"

#define VTD_PTE_R           (1ULL << 0)
#define VTD_PTE_W           (1ULL << 1)
#define VTD_PTE_LARGE       (1ULL << 7)
#define VTD_CTX_AW_39       1ULL        /* 3-level tables */
#define VTD_LARGE_PAGE      (2ULL << 20)

static uint64_t vtd_reg(uint32_t off)
{
    return Q35_HOST_BRIDGE_IOMMU_ADDR + off;
}

/* Set @bit in the global command register, wait for @status in GSTS. */
static void vtd_command(Vtd *v, uint32_t bit, uint32_t status)
{
    QTestState *qts = v->t->h->qts;
    uint32_t gsts = qtest_readl(qts, vtd_reg(DMAR_GSTS_REG));

    /* GCMD takes the persistent state (TE) along with a one-shot command */
    qtest_writel(qts, vtd_reg(DMAR_GCMD_REG), (gsts & VTD_GSTS_TES) | bit);
    g_assert_cmphex(qtest_readl(qts, vtd_reg(DMAR_GSTS_REG)) & status, ==,
                    status);
}

static void vtd_iotlb_flush(Vtd *v, uint64_t how, uint64_t iva)
{
    QTestState *qts = v->t->h->qts;

    qtest_writeq(qts, vtd_reg(DMAR_IVA_REG), iva);
    qtest_writeq(qts, vtd_reg(DMAR_IOTLB_REG),
                 VTD_TLB_IVT | how | ((uint64_t)v->did << 32));
    /* QEMU's IOMMU completes it before the write returns */
    g_assert_cmphex(qtest_readq(qts, vtd_reg(DMAR_IOTLB_REG)) & VTD_TLB_IVT,
                    ==, 0);
}

void vtd_enable(Vtd *v, T *t)
{
    OdpHca *h = t->h;
    uint64_t root = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    uint64_t ctx = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    uint64_t l3 = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    uint64_t ram_l2 = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    uint64_t win_l2 = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    uint8_t devfn = h->dev.devfn & 0xff;
    uint64_t cap;

    v->t = t;
    v->did = 1;
    v->window_pt = odp_alloc(h, ODP_HCA_PAGE_SIZE);
    cap = qtest_readq(h->qts, vtd_reg(DMAR_CAP_REG));
    g_assert_true(cap & VTD_CAP_SAGAW_39bit);
    g_assert_true(cap & VTD_CAP_PSI);

    /* bus h->busnr's root entry, the device's context entry */
    odp_write64(h, root + h->busnr * 16, ctx | VTD_ROOT_ENTRY_P);
    odp_write64(h, ctx + devfn * 16, l3 | VTD_CONTEXT_ENTRY_P);
    odp_write64(h, ctx + devfn * 16 + 8,
                VTD_CTX_AW_39 | ((uint64_t)v->did << 8));

    /* 1 GiB slot 0: RAM, one to one; slot 1: the window */
    odp_write64(h, l3, ram_l2 | VTD_PTE_R | VTD_PTE_W);
    odp_write64(h, l3 + 8, win_l2 | VTD_PTE_R | VTD_PTE_W);
    for (uint64_t a = 0; a < (uint64_t)ODP_RAM_MB << 20; a += VTD_LARGE_PAGE) {
        odp_write64(h, ram_l2 + (a / VTD_LARGE_PAGE) * 8,
                    a | VTD_PTE_LARGE | VTD_PTE_R | VTD_PTE_W);
    }
    odp_write64(h, win_l2, v->window_pt | VTD_PTE_R | VTD_PTE_W);

    qtest_writeq(h->qts, vtd_reg(DMAR_RTADDR_REG), root);
    vtd_command(v, VTD_GCMD_SRTP, VTD_GSTS_RTPS);
    qtest_writeq(h->qts, vtd_reg(DMAR_CCMD_REG),
                 VTD_CCMD_ICC | VTD_CCMD_GLOBAL_INVL);
    vtd_iotlb_flush(v, VTD_TLB_GLOBAL_FLUSH, 0);
    vtd_command(v, VTD_GCMD_TE, VTD_GSTS_TES);
}

void vtd_map(Vtd *v, uint32_t index, uint64_t gpa, bool writable)
{
    g_assert_cmpuint(index, <, VTD_WINDOW_PAGES);
    odp_write64(v->t->h, v->window_pt + index * 8,
                gpa | VTD_PTE_R | (writable ? VTD_PTE_W : 0));
    vtd_iotlb_flush(v, VTD_TLB_PSI_FLUSH, vtd_window(index));
}

void vtd_unmap(Vtd *v, uint32_t index)
{
    g_assert_cmpuint(index, <, VTD_WINDOW_PAGES);
    odp_write64(v->t->h, v->window_pt + index * 8, 0);
    vtd_iotlb_flush(v, VTD_TLB_PSI_FLUSH, vtd_window(index));
}

bool vtd_fault_pending(Vtd *v)
{
    return qtest_readl(v->t->h->qts, vtd_reg(DMAR_FSTS_REG)) & VTD_FSTS_PPF;
}
