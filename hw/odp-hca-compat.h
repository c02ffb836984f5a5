/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * odp-hca: the differences between the QEMU series the device builds
 * against (QEMU_SERIES in scripts/lib.sh: 10.2, and 10.0).  They live here
 * alone; the rest of the device uses the names below.  QEMU_VERSION_* come
 * from config-host.h.
 *
 * Copyright (c) 2026 The odp-hca developers
 */

#ifndef HW_ODP_HCA_COMPAT_H
#define HW_ODP_HCA_COMPAT_H

#define ODP_HCA_QEMU_AT_LEAST(major, minor) \
    (QEMU_VERSION_MAJOR > (major) || \
     (QEMU_VERSION_MAJOR == (major) && QEMU_VERSION_MINOR >= (minor)))

/* TypeInfo.class_init's data: const from QEMU 10.1. */
#if ODP_HCA_QEMU_AT_LEAST(10, 1)
typedef const void *OdpHcaClassData;
#else
typedef void *OdpHcaClassData;
#endif

#endif
