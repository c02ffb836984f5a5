# shellcheck shell=bash disable=SC2034
# What the build steps need from the host, by group.  Source it after lib.sh.
# `make setup` (root) installs every group: scripts/setup-host.sh the host
# groups, scripts/setup-guest.sh the guest ones.  Before a step runs, its
# make target checks its groups with scripts/require.sh, which installs
# nothing.
#
# An entry is a Debian package, "package:command" when the step runs that
# command (it must then be on PATH too), or "index:<suite>/<kind>" for an
# APT index the step reads (kind: source or binary-amd64), which the set-up
# scripts configure.

# Packages that come from bookworm-backports, and the meson QEMU needs
# (10.0 and 10.2 both ask for 1.5).
ODP_BPO_PKGS=(meson python3-pycotap)
ODP_MESON_MIN=1.5

# QEMU: fetch the source, configure, build, firmware, the qtests.  dtc:
# QEMU 10.2 builds pc-bios/dtb from source when it can, and Debian's +ds
# tarball has no prebuilt blobs to fall back on.  The Sources indexes of
# both series (10.0 from bookworm-backports, 10.2 from sid).
ODP_NEED_qemu=(
    build-essential:gcc pkg-config:pkg-config git:git python3:python3
    python3-venv ninja-build:ninja ccache:ccache bzip2:bzip2 xz-utils:xz
    patch:patch device-tree-compiler:dtc
    libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev zlib1g-dev
    libattr1-dev libcap-ng-dev seabios
    meson:meson python3-pycotap
    index:bookworm-backports/source index:sid/source
)
# The clang-14 build with ASan, UBSan and libFuzzer (check-asan, fuzz).
ODP_NEED_sanitizers=(clang-14:clang-14 libclang-rt-14-dev llvm-14:llvm-symbolizer-14)
# tools/odp-hca-plot (check-plot).
ODP_NEED_plot=(python3-matplotlib)
# make bench's instruction counts (scripts/bench-callgrind.sh).
ODP_NEED_bench=(valgrind:valgrind build-essential:gcc)
# check-roce: tshark decodes the RoCEv2 frames the device builds.
ODP_NEED_roce=(tshark:tshark)
# The busybox initramfs of `make initramfs`.
ODP_NEED_initramfs=(busybox-static:busybox cpio:cpio file:file pciutils:lspci)
# Debian's 6.12 kernel image, downloaded from bookworm-backports.
ODP_NEED_kernel=(index:bookworm-backports/binary-amd64)
# rdma-core from Debian's source package, with the provider: 56.x from
# trixie (index below), or 65.x from sid (RDMA_CORE_SERIES=65; its deb-src
# index, which the newer QEMU needs too, is checked by build-rdma-core.sh).
ODP_NEED_rdma_core=(
    cmake:cmake ninja-build:ninja ccache:ccache pkg-config:pkg-config gcc:gcc
    libnl-3-dev libnl-route-3-dev libudev-dev python3-dev cython3:cython3
    index:trixie/source
)
# odp_hca.ko, against Debian's linux-headers for the guest's kernel: the
# compiler that kernel was built with, pahole for module BTF.
ODP_NEED_kmod=(
    gcc-12:gcc-12 make:make dwarves:pahole xz-utils:xz
    index:bookworm-backports/binary-amd64
)
# The sid build root of the newest kernel series (scripts/sid-root.sh):
# its headers need sid's compiler and libc, so odp_hca.ko for it is built
# in a minimal sid made by debootstrap, which also fetches its kernel.
ODP_NEED_sid_root=(debootstrap:debootstrap)
# The guest harness (make vm, run, check-guest): its initramfs, depmod for
# the guest kernel's modules (kmod; in the guest too, which runs the host's
# user space, as do perftest and iproute2), socat for the monitor sockets,
# nvme-cli (its nvme is in /usr/sbin, run by root in the guest) and fio
# for NVMe over RDMA between the guests (wire2-cm.sh, peerkill-guest.sh).
ODP_NEED_vm=(
    busybox-static:busybox xz-utils:xz cpio:cpio file:file kmod
    perftest:ib_write_bw iproute2:ip socat:socat
    nvme-cli fio:fio
)

ODP_HOST_GROUPS=(qemu sanitizers plot bench roce initramfs kernel)
ODP_GUEST_GROUPS=(rdma-core kmod sid-root vm)

# odp_packages GROUP...: the packages of the groups, once each, in order.
odp_packages() {
    local g e ref
    local -A seen=()
    for g in "$@"; do
        ref="ODP_NEED_${g//-/_}[@]"
        for e in "${!ref}"; do
            case "$e" in index:*) continue ;; esac
            e="${e%%:*}"
            [ -n "${seen[$e]:-}" ] && continue
            seen[$e]=1
            echo "$e"
        done
    done
}

# odp_is_bpo PACKAGE: it comes from bookworm-backports.
odp_is_bpo() {
    local p
    for p in "${ODP_BPO_PKGS[@]}"; do [ "$p" = "$1" ] && return 0; done
    return 1
}
