/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca qtests: a minimal driver of QEMU's intel-iommu (VT-d, legacy
 * mode, register-based invalidation), enough to put the odp-hca behind
 * a translating IOMMU: all of guest RAM mapped one to one, and a window
 * of bus addresses above RAM whose 4 KiB pages the test maps and unmaps.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#ifndef ODP_HCA_QTEST_VTD_H
#define ODP_HCA_QTEST_VTD_H

#include "framework.h"

/* The machine options that put an intel-iommu in front of the device. */
#define VTD_ARGS "-device intel-iommu,intremap=off "

/* The window: bus addresses from 1 GiB, above the qtests' RAM. */
#define VTD_WINDOW          0x40000000ULL
#define VTD_WINDOW_PAGES    512

typedef struct Vtd {
    T *t;
    uint16_t did;           /* the device's domain */
    uint64_t window_pt;     /* the window's last-level table */
} Vtd;

/* Identity-map RAM for the odp-hca's requester ID, turn translation on. */
void vtd_enable(Vtd *v, T *t);
/* Map window page @index to guest address @gpa (a page), invalidate. */
void vtd_map(Vtd *v, uint32_t index, uint64_t gpa, bool writable);
/* Take window page @index away, and invalidate it (page-selective). */
void vtd_unmap(Vtd *v, uint32_t index);
/* The fault status register: whether a DMA fault was recorded. */
bool vtd_fault_pending(Vtd *v);

static inline uint64_t vtd_window(uint32_t index)
{
    return VTD_WINDOW + (uint64_t)index * ODP_HCA_PAGE_SIZE;
}

#endif
