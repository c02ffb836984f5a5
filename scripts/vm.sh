#!/usr/bin/env bash
# Boot the guest harness: Debian's kernel of KERNEL_SERIES (6.12 by
# default; VM_KERNEL=7.2 or KERNEL_SERIES=7.2 for sid's), build/kernel-
# <series>, its initramfs of scripts/mkinitramfs-vm.sh ($VM_DIR/initramfs-
# <series>.cpio.gz), the host's root file system read-only over virtio-9p,
# -device odp-hca, 2 vCPUs, 2 GiB in two NUMA nodes.
#
#   vm.sh                 interactive shell on the serial console (Ctrl-A x
#                         quits QEMU, Ctrl-A c switches to the monitor)
#   vm.sh -c 'command'    run the command in the guest (bash, in the
#                         repository, environment of scripts/in-guest/env.sh)
#                         and exit with its status
#
# While the guest runs: QMP on $VM_DIR/qmp.sock, HMP on $VM_DIR/hmp.sock
# (paths relative to the repository), e.g.
#   socat - UNIX-CONNECT:build/vm/hmp.sock
#   scripts/monitor.py hmp build/vm/hmp.sock info odp-hca
# and the guest can ask the host for a monitor command itself:
#   scripts/in-guest/monitor.sh qmp query-odp-hca   (or: hmp 'info odp-hca')
# Environment: QEMU (binary), VM_DIR (build/vm), VM_ACCEL ("auto": KVM when
# it really works here, else TCG; or e.g. "tcg"), VM_MEM (2G, split over
# the two nodes), VM_SMP (2), VM_DEVICE (odp-hca[,props]), VM_EXTRA (more
# QEMU options), VM_APPEND (more kernel options), VM_TIMEOUT (seconds, -c
# only; 0 = none), VM_KERNEL (the kernel series; KERNEL_SERIES too),
# RDMA_CORE_SERIES (the rdma-core build the guest uses: 56 or 65),
# VM_NOKMOD (1: do not insmod build/kmod-<series>/odp_hca.ko),
# VM_QUIET (1: do not print the command line), VM_IOMMU (strict or 1: an
# intel-iommu in front of every PCI device, and the guest's IOMMU driver
# translating with strict invalidation; lazy: the same with the kernel's
# batched invalidation, Debian's default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd_str=""
have_cmd=0
while [ $# -gt 0 ]; do
    case "$1" in
        -c) [ $# -ge 2 ] || die "-c needs a command"; cmd_str="$2"; have_cmd=1; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see vm.sh --help)" ;;
    esac
done

cd "$ODP_ROOT"
odp_kernel_check
odp_series_suite rdma-core "$ODP_RDMA_CORE_SERIES" >/dev/null ||
    die "unknown RDMA_CORE_SERIES '$ODP_RDMA_CORE_SERIES' ($ODP_RDMA_CORE_DEFAULT or $ODP_RDMA_CORE_OTHERS)"
QEMU="${QEMU:-${ODP_QEMU_BUILD#"$ODP_ROOT"/}/qemu-system-x86_64}"
VM_DIR="${VM_DIR:-build/vm}"
KDIR="$ODP_KERNEL_DIR"
INITRD="$VM_DIR/initramfs-$ODP_KERNEL_SERIES.cpio.gz"
VM_ACCEL="${VM_ACCEL:-auto}"
VM_MEM="${VM_MEM:-2G}"
VM_SMP="${VM_SMP:-2}"
VM_DEVICE="${VM_DEVICE:-odp-hca}"
VM_TIMEOUT="${VM_TIMEOUT:-0}"

[ -x "$QEMU" ] || die "no $QEMU; run 'make qemu'"
[ -f "$KDIR/VERSION" ] && [ -e "$KDIR/vmlinuz" ] || die "no guest kernel $ODP_KERNEL_SERIES; run 'make kernel KERNEL_SERIES=$ODP_KERNEL_SERIES'"
[ -f "$INITRD" ] || die "no $INITRD; run 'make vm-initramfs KERNEL_SERIES=$ODP_KERNEL_SERIES'"
case "$ODP_ROOT" in *[[:space:]]*) die "the repository path must not contain white space" ;; esac
kver="$(cat "$KDIR/VERSION")"

# Module dependency files for kmod in the guest (the package has none).
mdir="$KDIR/lib/modules/$kver"
if [ ! -f "$mdir/modules.dep.bin" ] || [ "$KDIR/STAMP" -nt "$mdir/modules.dep.bin" ]; then
    command -v depmod >/dev/null || [ -x /sbin/depmod ] || die "depmod missing; run 'make setup' as root (package kmod)"
    info "depmod for $kver"
    PATH="$PATH:/sbin:/usr/sbin" depmod -b "$KDIR" "$kver" || die "depmod failed"
fi

# Memory: two NUMA nodes of half the size each, one vCPU each (with 2).
mem_mb="$(numfmt --from=iec "${VM_MEM}" 2>/dev/null)" || die "bad VM_MEM '$VM_MEM'"
mem_mb=$((mem_mb / 1024 / 1024))
half=$((mem_mb / 2))
[ "$VM_SMP" -ge 2 ] || die "VM_SMP must be at least 2 (one vCPU per NUMA node)"
cpu_range() { if [ "$1" -eq "$2" ]; then echo "$1"; else echo "$1-$2"; fi; }
n0=$((VM_SMP / 2))
cpus0="$(cpu_range 0 $((n0 - 1)))"
cpus1="$(cpu_range "$n0" $((VM_SMP - 1)))"

if [ "$VM_ACCEL" = auto ]; then
    accel="$(scripts/accel.sh "$QEMU" "$KDIR/vmlinuz" "$INITRD" "$ODP_BUILD/accel")" || exit 1
else
    accel="-accel $VM_ACCEL"
fi
read -ra accel_args <<< "$accel"
cpu=max

OUT="$VM_DIR/out"
mkdir -p "$OUT"
rm -f "$OUT/status" "$OUT/cmd"
rm -f "$VM_DIR/qmp.sock" "$VM_DIR/hmp.sock"

append="console=ttyS0 panic=-1 odp.init=$ODP_ROOT/scripts/in-guest/init.sh odp.root=$ODP_ROOT"
append="$append odp.out=$ODP_ROOT/$OUT odp.kdir=$KDIR odp.kernel=$ODP_KERNEL_SERIES"
append="$append odp.rdma_core=$ODP_RDMA_CORE_SERIES"
[ "${VM_NOKMOD:-0}" = 1 ] && append="$append odp.nokmod"
# The IOMMU must exist before the PCI devices whose DMA it translates.
# Strict: an unmap reaches the IOMMU (and the device's notifier) before
# dma_unmap_*() returns; lazy: in a later batch (a flush queue), which
# costs far fewer invalidations.  No interrupt remapping: TCG's MSIs do
# not need it.
iommu_args=() strict=""
case "${VM_IOMMU:-0}" in
    0 | "") ;;
    1 | strict) strict=1 ;;
    lazy) strict=0 ;;
    *) die "VM_IOMMU must be 0, 1 (strict), strict or lazy, not '$VM_IOMMU'" ;;
esac
if [ -n "$strict" ]; then
    iommu_args=(-device intel-iommu,intremap=off)
    append="$append intel_iommu=on iommu.strict=$strict"
fi
if [ "$have_cmd" = 1 ]; then
    append="$append loglevel=3"
    printf '%s\n' "$cmd_str" > "$OUT/cmd"
else
    append="$append loglevel=4"
    if [ -t 0 ] && command -v tput >/dev/null; then
        append="$append odp.cols=$(tput cols 2>/dev/null || echo 80) odp.rows=$(tput lines 2>/dev/null || echo 24)"
    fi
fi
[ -n "${VM_APPEND:-}" ] && append="$append $VM_APPEND"

qemu_cmd=("$QEMU" -machine q35 -nodefaults -no-reboot "${iommu_args[@]}"
    "${accel_args[@]}" -cpu "$cpu" -smp "$VM_SMP,sockets=2" -m "$VM_MEM"
    -object "memory-backend-ram,id=mem0,size=${half}M"
    -object "memory-backend-ram,id=mem1,size=$((mem_mb - half))M"
    -numa "node,nodeid=0,cpus=$cpus0,memdev=mem0"
    -numa "node,nodeid=1,cpus=$cpus1,memdev=mem1"
    -kernel "$KDIR/vmlinuz" -initrd "$INITRD" -append "$append"
    -fsdev local,id=root,path=/,readonly=on,security_model=none
    -device virtio-9p-pci,fsdev=root,mount_tag=root
    -fsdev "local,id=out,path=$OUT,security_model=none"
    -device virtio-9p-pci,fsdev=out,mount_tag=out
    -device "$VM_DEVICE"
    -qmp "unix:$VM_DIR/qmp.sock,server=on,wait=off"
    -monitor "unix:$VM_DIR/hmp.sock,server=on,wait=off"
    -display none)
if [ "$have_cmd" = 1 ]; then
    qemu_cmd+=(-serial stdio)
else
    qemu_cmd+=(-serial mon:stdio)
fi
read -ra extra <<< "${VM_EXTRA:-}"
qemu_cmd+=("${extra[@]}")

if [ "${VM_QUIET:-0}" != 1 ]; then
    printf '+' >&2; printf ' %q' "${qemu_cmd[@]}" >&2; echo >&2
fi

# Monitor requests from the guest (scripts/in-guest/monitor.sh): the host
# answers them on QMP/HMP through the "out" share (scripts/monitor.py).
rm -rf "$OUT/monitor"
mkdir -p "$OUT/monitor"
scripts/monitor.py serve "$OUT/monitor" "$VM_DIR/qmp.sock" "$VM_DIR/hmp.sock" &
mon_pid=$!
trap 'kill "$mon_pid" 2>/dev/null' EXIT

log="$VM_DIR/console.log"
set +e
if [ "$have_cmd" = 0 ]; then
    # Interactive: the terminal is QEMU's; the status is the shell's.
    "${qemu_cmd[@]}"
    qrc=$?
    : > "$log"
elif [ "$VM_TIMEOUT" -gt 0 ]; then
    timeout -k 10 "$VM_TIMEOUT" "${qemu_cmd[@]}" < /dev/null | tee "$log"
    qrc=${PIPESTATUS[0]}
else
    "${qemu_cmd[@]}" < /dev/null | tee "$log"
    qrc=${PIPESTATUS[0]}
fi
set -e
if [ -f "$OUT/status" ]; then
    rc="$(cat "$OUT/status")"
elif rc="$(grep -a -o 'ODP-VM-EXIT=[0-9]*' "$log" | tail -n1)" && [ -n "$rc" ]; then
    rc="${rc#ODP-VM-EXIT=}"
else
    case "$qrc" in
        124|137) echo "odp-vm: timed out after ${VM_TIMEOUT}s" >&2; rc=124 ;;
        *) echo "odp-vm: the guest stopped without reporting a status (QEMU exit $qrc; console in $log)" >&2; rc=125 ;;
    esac
fi
[[ "$rc" =~ ^[0-9]+$ ]] || rc=125
exit "$rc"
