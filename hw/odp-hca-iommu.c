/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the device behind a vIOMMU (-device intel-iommu, or any IOMMU
 * QEMU models for PCI).
 *
 * Every DMA of the device, table walks included, goes through
 * pci_dma_*() and so through the bus-master address space, which the
 * IOMMU translates: a bus address the IOMMU does not map fails there,
 * and the operation fails with VERR_DMA like any unreadable address.
 * What the device keeps between DMAs is safe or watched:
 *
 *  - its IOTLB (odp-hca-translate.c) holds bus addresses, not host ones,
 *    and each use is translated again by the IOMMU; still, an entry
 *    whose bus address the IOMMU has unmapped is dropped, so that the
 *    device's cache never holds an address the IOMMU took away;
 *  - a looped-back frame may keep its payload mapped (odp-hca-link.c):
 *    a host pointer, translated once.  When the IOMMU unmaps anything,
 *    every such frame gets its copy first (odp_hca_link_unmap_all()), as
 *    before a command: the bytes are those the page held while mapped.
 *
 * The IOMMU says so through IOMMU_NOTIFIER_UNMAP notifiers, registered
 * on each IOMMU region of the address space as a memory listener finds
 * it (as vhost does): intel-iommu puts its region there when the guest
 * turns translation on and takes it away when it turns it off.  UNMAP
 * alone needs no caching-mode.  An IOMMU that refuses the notifier
 * leaves the device without word of unmaps: it then maps no frame
 * payload (frames copy), and its IOTLB entries are only bus addresses.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "odp-hca.h"
#include "trace.h"

struct OdpHcaIommuWatch {
    IOMMUNotifier n;
    OdpHcaState *s;
    MemoryRegion *mr;
    hwaddr offset;          /* bus address of the region's offset 0 */
    QLIST_ENTRY(OdpHcaIommuWatch) next;
};

/* The IOMMU unmapped bus addresses [iova, iova + addr_mask]. */
static void odp_hca_iommu_unmapped(IOMMUNotifier *n, IOMMUTLBEntry *iotlb)
{
    OdpHcaIommuWatch *w = container_of(n, OdpHcaIommuWatch, n);
    OdpHcaState *s = w->s;
    hwaddr first = iotlb->iova + w->offset;
    hwaddr last = first + iotlb->addr_mask;
    uint32_t dropped;

    if (last < first) {
        last = HWADDR_MAX;
    }
    odp_hca_link_unmap_all(s);
    dropped = odp_hca_tlb_invalidate_bus(s, first, last);
    s->stats.iommu_unmaps++;
    s->stats.iommu_entries_dropped += dropped;
    trace_odp_hca_iommu_unmap(first, last, dropped);
}

static void odp_hca_iommu_region_add(MemoryListener *l,
                                     MemoryRegionSection *section)
{
    OdpHcaState *s = container_of(l, OdpHcaState, iommu_listener);
    IOMMUMemoryRegion *iommu_mr;
    OdpHcaIommuWatch *w;
    Error *err = NULL;
    Int128 end;

    if (!memory_region_is_iommu(section->mr)) {
        return;
    }
    iommu_mr = IOMMU_MEMORY_REGION(section->mr);
    end = int128_sub(int128_add(int128_make64(section->offset_within_region),
                                section->size), int128_one());
    w = g_new0(OdpHcaIommuWatch, 1);
    w->s = s;
    w->mr = section->mr;
    w->offset = section->offset_within_address_space -
                section->offset_within_region;
    iommu_notifier_init(&w->n, odp_hca_iommu_unmapped, IOMMU_NOTIFIER_UNMAP,
                        section->offset_within_region, int128_get64(end),
                        memory_region_iommu_attrs_to_index(
                            iommu_mr, MEMTXATTRS_UNSPECIFIED));
    if (memory_region_register_iommu_notifier(section->mr, &w->n, &err)) {
        /* Not fatal: the device stops keeping host pointers instead. */
        warn_report_err(err);
        trace_odp_hca_iommu_unwatched(memory_region_name(section->mr));
        g_free(w);
        s->iommu_unwatched++;
        return;
    }
    QLIST_INSERT_HEAD(&s->iommu_watches, w, next);
    trace_odp_hca_iommu_watch(memory_region_name(section->mr), w->n.start,
                              w->n.end);
}

static void odp_hca_iommu_region_del(MemoryListener *l,
                                     MemoryRegionSection *section)
{
    OdpHcaState *s = container_of(l, OdpHcaState, iommu_listener);
    OdpHcaIommuWatch *w;

    if (!memory_region_is_iommu(section->mr)) {
        return;
    }
    QLIST_FOREACH(w, &s->iommu_watches, next) {
        if (w->mr == section->mr &&
            w->n.start == section->offset_within_region) {
            memory_region_unregister_iommu_notifier(w->mr, &w->n);
            QLIST_REMOVE(w, next);
            g_free(w);
            return;
        }
    }
    /* a region whose notifier was refused */
    if (s->iommu_unwatched) {
        s->iommu_unwatched--;
    }
}

/* Whether the device may keep a host pointer to guest memory for later. */
bool odp_hca_iommu_may_map(OdpHcaState *s)
{
    return !s->iommu_unwatched;
}

void odp_hca_iommu_init(OdpHcaState *s)
{
    QLIST_INIT(&s->iommu_watches);
    s->iommu_listener = (MemoryListener) {
        .name = "odp-hca-iommu",
        .region_add = odp_hca_iommu_region_add,
        .region_del = odp_hca_iommu_region_del,
    };
    memory_listener_register(&s->iommu_listener,
                             pci_get_address_space(PCI_DEVICE(s)));
}

void odp_hca_iommu_fini(OdpHcaState *s)
{
    /* its region_del calls unregister what region_add registered */
    memory_listener_unregister(&s->iommu_listener);
}
