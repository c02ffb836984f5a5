# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The suite behind a translating IOMMU (scripts/vm.sh VM_IOMMU=1:
# intel-iommu, intel_iommu=on, strict invalidation).  Sourced by
# check-guest.sh at its end, before the driver is unloaded; it continues
# that suite's TAP numbering with its check, skip and dev_counter and uses
# its DEV.  Everything before it ran with the device's DMA translated;
# these lines say that it really was, and that it went right:
#   - the device sits in an IOMMU group whose domain translates ("DMA",
#     or "DMA-FQ" for lazy invalidation), not an identity one;
#   - the device heard of the IOMMU's unmaps (iommu-unmaps > 0: the
#     driver's dma_unmap_*() calls reached QEMU's notifier);
#   - the IOMMU recorded no fault for the device: it never used a bus
#     address the driver had unmapped or never mapped (the driver
#     invalidates the device before it unmaps, also on reset, rmmod and
#     the mid-flight kills above).
# Without an IOMMU: one skip.

iommu_pci="$(readlink -f "/sys/class/infiniband/$DEV/device" 2>/dev/null)"
iommu_type="$(cat "$iommu_pci/iommu_group/type" 2>/dev/null || true)"
if [ -z "$iommu_type" ]; then
    skip "IOMMU checks" "no IOMMU in front of the device (VM_IOMMU=1 runs the suite behind one)"
else
    iommu_bdf="${iommu_pci##*/}"
    check "the IOMMU translates ${iommu_bdf}'s DMA (domain $iommu_type)" \
        sh -c 'case "$1" in DMA|DMA-FQ) ;; *) exit 1 ;; esac' _ "$iommu_type"
    iommu_unmaps="$(dev_counter iommu-unmaps)"
    check "the device heard the IOMMU's unmaps ($iommu_unmaps since the counters' reset)" \
        test "${iommu_unmaps:-0}" -gt 0
    # dmesg: "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr ..."
    check "the IOMMU recorded no fault for $iommu_bdf" \
        sh -c '! dmesg | grep -E "DMAR: .*Request device \[${1#0000:}\] fault"' _ "$iommu_bdf"
fi
