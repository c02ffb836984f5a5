/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: rings in guest memory: page lists, entry addresses, and
 * handing an entry over to the driver.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "odp-hca.h"
#include "trace.h"

dma_addr_t odp_hca_ring_addr(const OdpHcaRing *r, uint32_t index)
{
    uint64_t off = (uint64_t)(index & (r->entries - 1)) * r->stride;

    return r->pages[off >> ODP_HCA_PAGE_SHIFT] +
           (off & (ODP_HCA_PAGE_SIZE - 1));
}

/*
 * The device stops using a ring: it drops its copy of the page list.
 * The ring itself is guest memory and stays as it is.
 */
void odp_hca_ring_forget(OdpHcaRing *r)
{
    g_free(r->pages);
    memset(r, 0, sizeof(*r));
}

/*
 * Check a ring description and copy its page list in, so that later
 * accesses only index a table the device owns.
 */
uint8_t odp_hca_ring_init(OdpHcaState *s, OdpHcaRing *r,
                                 const struct odp_hca_ring_desc *d,
                                 uint32_t max_entries, uint32_t min_stride,
                                 uint32_t max_stride, const char *what)
{
    uint32_t entries, stride, npages;
    uint64_t bytes;
    g_autofree uint64_t *raw = NULL;

    npages = le16_to_cpu(d->npages);
    if (d->log_entries > ODP_HCA_MAX_LOG_RING ||
        d->log_stride > ODP_HCA_MAX_LOG_STRIDE) {
        trace_odp_hca_err_ring_size(what, d->log_entries, d->log_stride,
                                    max_entries, min_stride, max_stride);
        odp_hca_guest_error(s, "%s: log_entries %u / log_stride %u too big",
                            what, d->log_entries, d->log_stride);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    entries = 1u << d->log_entries;
    stride = 1u << d->log_stride;
    if (entries > max_entries || stride < min_stride || stride > max_stride) {
        trace_odp_hca_err_ring_size(what, d->log_entries, d->log_stride,
                                    max_entries, min_stride, max_stride);
        odp_hca_guest_error(s, "%s: %u entries of %u bytes out of range",
                            what, entries, stride);
        return ODP_HCA_CMD_BAD_PARAM;
    }
    bytes = (uint64_t)entries * stride;
    if (npages == 0 ||
        (uint64_t)npages * ODP_HCA_PAGE_SIZE < bytes ||
        npages > DIV_ROUND_UP(bytes, ODP_HCA_PAGE_SIZE)) {
        trace_odp_hca_err_ring_npages(what, npages, bytes);
        odp_hca_guest_error(s, "%s: %u pages for %" PRIu64 " bytes",
                            what, npages, bytes);
        return ODP_HCA_CMD_BAD_PARAM;
    }

    raw = g_new(uint64_t, npages);
    if (pci_dma_read(PCI_DEVICE(s), le64_to_cpu(d->page_list), raw,
                     npages * sizeof(uint64_t)) != MEMTX_OK) {
        trace_odp_hca_err_ring_page_list_dma(what, le64_to_cpu(d->page_list));
        odp_hca_guest_error(s, "%s: page list at 0x%" PRIx64 " unreadable",
                            what, (uint64_t)le64_to_cpu(d->page_list));
        return ODP_HCA_CMD_DMA_ERROR;
    }
    r->pages = g_new(dma_addr_t, npages);
    for (uint32_t i = 0; i < npages; i++) {
        uint64_t pa = le64_to_cpu(raw[i]);

        if (pa & (ODP_HCA_PAGE_SIZE - 1)) {
            trace_odp_hca_err_ring_page_align(what, i, pa);
            odp_hca_guest_error(s, "%s: page %u address 0x%" PRIx64
                                " not aligned", what, i, pa);
            odp_hca_ring_forget(r);
            return ODP_HCA_CMD_BAD_PARAM;
        }
        r->pages[i] = pa;
    }
    r->npages = npages;
    r->entries = entries;
    r->stride = stride;
    return ODP_HCA_CMD_OK;
}

/*
 * Write a ring entry whose owner byte at @owner_off tells the driver it
 * is valid: the body first, the owner byte last, so a driver polling the
 * owner never reads a half-written entry.
 */
bool odp_hca_ring_publish(OdpHcaState *s, dma_addr_t addr, void *entry,
                          size_t len, size_t owner_off, uint8_t owner)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *bytes = entry;

    bytes[owner_off] = owner ^ 1;
    if (pci_dma_write(pdev, addr, entry, len) != MEMTX_OK) {
        return false;
    }
    smp_wmb(); /* entry body before its owner byte */
    bytes[owner_off] = owner;
    return pci_dma_write(pdev, addr + owner_off, &owner, 1) == MEMTX_OK;
}
