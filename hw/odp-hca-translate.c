/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: memory-region translation: key checks, table walks over PCI
 * DMA, the device's translation cache (IOTLB) and its invalidation.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

OdpHcaMr *odp_hca_mr_lookup(OdpHcaState *s, uint32_t key, uint32_t pdn)
{
    uint32_t idx = ODP_HCA_KEY_INDEX(key);
    OdpHcaMr *mr;

    if (idx >= s->max_mrs) {
        return NULL;
    }
    mr = &s->mrs[idx];
    if (!mr->valid || mr->free || mr->key != key || mr->pdn != pdn) {
        return NULL;
    }
    return mr;
}

/*
 * The fast-reg MR that REG_MR (@any_variant: the key's index alone
 * names it) or an invalidation of @key means, in @qp's PD; NULL with
 * *verr set, and the guest error logged, when there is none.
 */
static OdpHcaMr *odp_hca_frmr_get(OdpHcaState *s, OdpHcaQp *qp, uint32_t key,
                                  bool any_variant, const char *what,
                                  uint8_t *verr)
{
    uint32_t idx = ODP_HCA_KEY_INDEX(key);
    OdpHcaMr *mr = idx < s->max_mrs ? &s->mrs[idx] : NULL;

    if (!mr || !mr->valid || mr->pdn != qp->pdn ||
        (!any_variant && mr->key != key)) {
        trace_odp_hca_err_frmr_key(qp->qpn, what, key);
        odp_hca_guest_error(s, "QP %u %s: key 0x%x names no MR of the PD",
                            qp->qpn, what, key);
        *verr = ODP_HCA_VERR_BAD_LKEY;
        return NULL;
    }
    if (!(mr->flags & ODP_HCA_MR_F_FAST_REG)) {
        trace_odp_hca_err_frmr_type(qp->qpn, what, key);
        odp_hca_guest_error(s, "QP %u %s: key 0x%x is no fast-reg MR",
                            qp->qpn, what, key);
        *verr = ODP_HCA_VERR_MR_STATE;
        return NULL;
    }
    return mr;
}

/*
 * REG_MR (@w in host order): give a free fast-reg MR its key and
 * translation.  Returns
 * ODP_HCA_VERR_NONE, or why the WQE fails.  The MR's cached
 * translations were dropped when it was freed; those of the new key
 * are dropped too, so nothing of a registration long gone that had this
 * very key can be hit.
 */
uint8_t odp_hca_mr_fast_reg(OdpHcaState *s, OdpHcaQp *qp,
                            const struct odp_hca_wqe_reg_mr *w)
{
    uint32_t key = w->key, access = w->access;
    uint64_t iova = w->iova, len = w->length, table = w->table;
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaMr *mr;

    if (len == 0 || iova + len < iova ||
        odp_hca_mr_pages(iova, len) > ODP_HCA_FAST_REG_MAX_PAGES ||
        (table & (ODP_HCA_PAGE_SIZE - 1)) ||
        (access & ~ODP_HCA_ACCESS_MASK)) {
        trace_odp_hca_err_frmr_param(qp->qpn, iova, len, table, access);
        odp_hca_guest_error(s, "QP %u REG_MR: iova 0x%" PRIx64 " length 0x%"
                            PRIx64 " table 0x%" PRIx64 " access 0x%x",
                            qp->qpn, iova, len, table, access);
        return ODP_HCA_VERR_BAD_WQE;
    }
    mr = odp_hca_frmr_get(s, qp, key, true, "REG_MR", &verr);
    if (!mr) {
        return verr;
    }
    if (!mr->free) {
        trace_odp_hca_err_frmr_busy(qp->qpn, mr->key, key);
        odp_hca_guest_error(s, "QP %u REG_MR: MR 0x%x is registered",
                            qp->qpn, mr->key);
        return ODP_HCA_VERR_MR_STATE;
    }
    mr->free = false;
    mr->key = key;
    mr->iova = iova;
    mr->length = len;
    mr->access = access;
    mr->table = table;
    mr->levels = 1;
    odp_hca_tlb_invalidate(s, key, 0, 0, false);
    trace_odp_hca_fast_reg(qp->qpn, key, iova, len, access);
    return ODP_HCA_VERR_NONE;
}

/*
 * LOCAL_INV, or (@remote) the rkey of a SEND_INV received: free the
 * fast-reg MR of exactly @key in @qp's PD and drop its cached
 * translations.  Freeing a free MR is no error (as Soft-RoCE has it).
 */
uint8_t odp_hca_mr_invalidate(OdpHcaState *s, OdpHcaQp *qp, uint32_t key,
                              bool remote)
{
    uint8_t verr = ODP_HCA_VERR_NONE;
    OdpHcaMr *mr = odp_hca_frmr_get(s, qp, key, false,
                                    remote ? "SEND_INV" : "LOCAL_INV", &verr);

    if (!mr) {
        return verr;
    }
    mr->free = true;
    odp_hca_tlb_invalidate(s, key, 0, 0, false);
    trace_odp_hca_mr_invalidate(qp->qpn, key, remote);
    return ODP_HCA_VERR_NONE;
}

/* Range and permission checks: ODP_HCA_VERR_NONE when allowed. */
uint8_t odp_hca_mr_check(OdpHcaMr *mr, uint64_t iova, uint64_t len,
                         uint32_t access)
{
    if (iova < mr->iova || iova + len < iova ||
        iova + len > mr->iova + mr->length) {
        return ODP_HCA_VERR_BOUNDS;
    }
    if ((mr->access & access) != access) {
        return ODP_HCA_VERR_ACCESS;
    }
    return ODP_HCA_VERR_NONE;
}

/*
 * The IOTLB is set-associative, ODP_HCA_TLB_WAYS entries a set, the most
 * recently used first.  Consecutive pages of one MR go to consecutive
 * sets, so an MR of up to a set per page never evicts itself, and the
 * key only decides where its run of sets starts: two MRs whose runs
 * overlap share those sets' ways.  (A hash of every page put two MRs'
 * pages in one slot at random: a 4 MiB SEND missed 16% of its pages in
 * one run and none in the next.)
 */
static uint32_t odp_hca_tlb_ways(OdpHcaState *s)
{
    return MIN(ODP_HCA_TLB_WAYS, s->iotlb_entries);
}

static OdpHcaTlbEntry *odp_hca_tlb_set(OdpHcaState *s, uint32_t key,
                                       uint64_t vpn)
{
    uint32_t ways = odp_hca_tlb_ways(s);
    uint64_t start = ((uint64_t)key * 0x9e3779b97f4a7c15ull) >> 32;
    uint64_t set = (vpn + start) & (s->iotlb_entries / ways - 1);

    return &s->tlb[set * ways];
}

/* Way @w of @set becomes the set's first, the most recently used. */
static OdpHcaTlbEntry *odp_hca_tlb_touch(OdpHcaTlbEntry *set, uint32_t w)
{
    OdpHcaTlbEntry e;

    if (w == 0) {
        return set;     /* the common hit: nothing moves */
    }
    e = set[w];
    memmove(&set[1], &set[0], w * sizeof(*set));
    set[0] = e;
    return &set[0];
}

/* The entry for (@key, @vpn) in @set, or -1. */
static int odp_hca_tlb_find(OdpHcaState *s, OdpHcaTlbEntry *set,
                            uint32_t key, uint64_t vpn)
{
    for (uint32_t w = 0; w < odp_hca_tlb_ways(s); w++) {
        if (set[w].valid && set[w].key == key && set[w].vpn == vpn) {
            return w;
        }
    }
    return -1;
}

/*
 * The IOTLB's bus-address filter: a count of valid entries per hash of
 * their page's bus address.  An IOMMU unmap of a few pages whose counts
 * are all zero has nothing to drop, so it skips the scan of the whole
 * IOTLB; behind a strict IOMMU every dma_unmap of the guest is such an
 * unmap, and almost none concerns a page the device still caches (the
 * driver's INVALIDATE came first).
 */
static uint32_t *odp_hca_tlb_bus_count(OdpHcaState *s, dma_addr_t pa)
{
    uint64_t h = (pa >> ODP_HCA_PAGE_SHIFT) * 0x9e3779b97f4a7c15ull;

    return &s->tlb_bus[(h >> 32) & (s->iotlb_entries - 1)];
}

static void odp_hca_tlb_drop(OdpHcaState *s, OdpHcaTlbEntry *e)
{
    e->valid = false;
    (*odp_hca_tlb_bus_count(s, e->pa))--;
}

/* Walk the MR's table in guest memory for one page. */
static OdpHcaXlate odp_hca_walk(OdpHcaState *s, OdpHcaMr *mr, uint64_t vpn,
                                uint64_t *pte_out, uint8_t *verr)
{
    uint64_t index = vpn - (mr->iova >> ODP_HCA_PAGE_SHIFT);
    dma_addr_t table = mr->table;
    uint64_t pte = 0;

    s->stats.table_walks++;
    for (int level = mr->levels - 1; level >= 0; level--) {
        uint32_t slot = (index >> (level * ODP_HCA_PT_LEVEL_BITS)) &
                        (ODP_HCA_PT_ENTRIES - 1);
        dma_addr_t addr = table + slot * sizeof(uint64_t);

        if (ldq_le_pci_dma(PCI_DEVICE(s), addr, &pte,
                           MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
            trace_odp_hca_err_pte_dma(mr->key, addr);
            odp_hca_guest_error(s, "key 0x%x: table entry at 0x%" PRIx64
                                " unreadable", mr->key, (uint64_t)addr);
            *verr = ODP_HCA_VERR_DMA;
            return ODP_HCA_XLATE_ERROR;
        }
        trace_odp_hca_walk(mr->key, vpn << ODP_HCA_PAGE_SHIFT, level, pte);
        if (pte & ODP_HCA_PTE_RSVD_MASK) {
            trace_odp_hca_err_pte_rsvd(mr->key, pte);
            odp_hca_guest_error(s, "key 0x%x: entry 0x%" PRIx64
                                " has reserved bits", mr->key, pte);
            *verr = ODP_HCA_VERR_PTE;
            return ODP_HCA_XLATE_ERROR;
        }
        if (!(pte & ODP_HCA_PTE_PRESENT)) {
            if (mr->flags & ODP_HCA_MR_F_ON_DEMAND) {
                return ODP_HCA_XLATE_FAULT;
            }
            trace_odp_hca_err_pte_pinned(mr->key, vpn << ODP_HCA_PAGE_SHIFT,
                                         level, pte);
            *verr = ODP_HCA_VERR_PTE;
            return ODP_HCA_XLATE_ERROR;
        }
        table = pte & ODP_HCA_PTE_ADDR_MASK;
    }
    *pte_out = pte;
    return ODP_HCA_XLATE_OK;
}

OdpHcaXlate odp_hca_translate(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova,
                              bool write, dma_addr_t *pa, uint8_t *verr)
{
    uint64_t vpn = iova >> ODP_HCA_PAGE_SHIFT;
    uint64_t off = iova & (ODP_HCA_PAGE_SIZE - 1);
    OdpHcaTlbEntry *set, *e;
    OdpHcaXlate r;
    uint64_t pte;
    int w;

    if (mr->flags & ODP_HCA_MR_F_PHYSICAL) {
        *pa = iova;
        return ODP_HCA_XLATE_OK;
    }
    if (odp_hca_fault_inject(s, mr, iova)) {
        return ODP_HCA_XLATE_FAULT;
    }
    set = odp_hca_tlb_set(s, mr->key, vpn);
    w = odp_hca_tlb_find(s, set, mr->key, vpn);
    if (w >= 0 && (set[w].writable || !write)) {
        s->stats.tlb_hits++;
        *pa = odp_hca_tlb_touch(set, w)->pa + off;
        return ODP_HCA_XLATE_OK;
    }
    s->stats.tlb_misses++;

    r = odp_hca_walk(s, mr, vpn, &pte, verr);
    if (r != ODP_HCA_XLATE_OK) {
        return r;
    }
    if (write && !(pte & ODP_HCA_PTE_WRITABLE)) {
        if (mr->flags & ODP_HCA_MR_F_ON_DEMAND) {
            return ODP_HCA_XLATE_FAULT;
        }
        trace_odp_hca_err_pte_pinned(mr->key, iova, 0, pte);
        *verr = ODP_HCA_VERR_PTE;
        return ODP_HCA_XLATE_ERROR;
    }
    /* the page's own entry (read-only until now), else the LRU way */
    e = odp_hca_tlb_touch(set, w >= 0 ? w : odp_hca_tlb_ways(s) - 1);
    if (e->valid) {
        odp_hca_tlb_drop(s, e);
    }
    e->valid = true;
    e->key = mr->key;
    e->vpn = vpn;
    e->pa = pte & ODP_HCA_PTE_ADDR_MASK;
    e->writable = pte & ODP_HCA_PTE_WRITABLE;
    (*odp_hca_tlb_bus_count(s, e->pa))++;
    *pa = e->pa + off;
    return ODP_HCA_XLATE_OK;
}

uint32_t odp_hca_tlb_invalidate(OdpHcaState *s, uint32_t key, uint64_t iova,
                                uint64_t len, bool all)
{
    uint64_t first = iova >> ODP_HCA_PAGE_SHIFT;
    uint64_t last = len ? (iova + len - 1) >> ODP_HCA_PAGE_SHIFT : UINT64_MAX;
    uint32_t n = 0;

    if (!s->tlb) {
        return 0;
    }
    if (len && iova + len - 1 < iova) {
        last = UINT64_MAX;
    }
    for (uint32_t i = 0; i < s->iotlb_entries; i++) {
        OdpHcaTlbEntry *e = &s->tlb[i];

        if (e->valid &&
            (all || (e->key == key && e->vpn >= first && e->vpn <= last))) {
            odp_hca_tlb_drop(s, e);
            n++;
        }
    }
    return n;
}

/*
 * Drop the entries whose page lies in bus addresses [@first, @last]:
 * the IOMMU no longer maps them (odp-hca-iommu.c).
 */
uint32_t odp_hca_tlb_invalidate_bus(OdpHcaState *s, dma_addr_t first,
                                    dma_addr_t last)
{
    dma_addr_t page = first & ~(dma_addr_t)(ODP_HCA_PAGE_SIZE - 1);
    uint32_t n = 0;

    if (!s->tlb) {
        return 0;
    }
    if ((last - page) >> ODP_HCA_PAGE_SHIFT < ODP_HCA_TLB_BUS_PAGES) {
        bool cached = false;

        for (dma_addr_t p = page; p <= last && p >= page;
             p += ODP_HCA_PAGE_SIZE) {
            cached |= *odp_hca_tlb_bus_count(s, p) != 0;
        }
        if (!cached) {
            return 0;
        }
    }
    for (uint32_t i = 0; i < s->iotlb_entries; i++) {
        OdpHcaTlbEntry *e = &s->tlb[i];

        if (e->valid && e->pa + ODP_HCA_PAGE_SIZE - 1 >= first &&
            e->pa <= last) {
            odp_hca_tlb_drop(s, e);
            n++;
        }
    }
    return n;
}

/*
 * Move @len bytes between @buf and the MR at @iova, page by page.
 * Returns 0 on success; on a fault 1 with *fault_iova set; on an error
 * -1 with *verr set.  The caller has checked bounds and access.
 */
int odp_hca_mr_dma(OdpHcaState *s, OdpHcaMr *mr, uint64_t iova, void *buf,
                   uint32_t len, bool write, uint64_t *fault_iova,
                   uint8_t *verr)
{
    uint8_t *p = buf;

    while (len) {
        uint32_t chunk = MIN(len, ODP_HCA_PAGE_SIZE -
                                  (iova & (ODP_HCA_PAGE_SIZE - 1)));
        dma_addr_t pa;
        MemTxResult res;

        switch (odp_hca_translate(s, mr, iova, write, &pa, verr)) {
        case ODP_HCA_XLATE_FAULT:
            *fault_iova = iova;
            return 1;
        case ODP_HCA_XLATE_ERROR:
            return -1;
        case ODP_HCA_XLATE_OK:
            break;
        }
        res = write ? pci_dma_write(PCI_DEVICE(s), pa, p, chunk)
                    : pci_dma_read(PCI_DEVICE(s), pa, p, chunk);
        if (res != MEMTX_OK) {
            trace_odp_hca_err_page_dma(mr->key, pa);
            odp_hca_guest_error(s, "key 0x%x: page 0x%" PRIx64
                                " not in guest memory", mr->key,
                                (uint64_t)pa);
            *verr = ODP_HCA_VERR_DMA;
            return -1;
        }
        iova += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}
