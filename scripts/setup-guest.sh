#!/usr/bin/env bash
# Host set-up for the guest side: building rdma-core, running verbs programs
# in the guest, and the guest harness itself (make vm).
# Idempotent: a second run changes nothing and only queries dpkg.
#  - adds a deb-src-only entry for Debian trixie (the rdma-core 56.x source
#    package), mirror taken from the machine's own APT configuration, and
#    pins trixie low so that no binary package can ever come from it;
#  - runs apt-get update only when that changed or the index is missing;
#  - installs the missing packages of the guest groups in
#    scripts/packages.sh (all from bookworm): rdma-core's build
#    dependencies, the kernel module's build tools (gcc-12, make, dwarves),
#    perftest, kmod (depmod for the guest kernel's modules; modprobe/insmod
#    inside the guest, which runs the host's user space), iproute2,
#    socat (to talk to the monitor sockets), nvme-cli and fio (NVMe over
#    RDMA between two guests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/packages.sh"

SRC_LIST=/etc/apt/sources.list.d/odp-hca-trixie-src.sources
PIN=/etc/apt/preferences.d/odp-hca-trixie

mirror="$(debian_mirror)" || die "no APT entry serving 'bookworm' found in /etc/apt/sources.list{,.d/}"
keyring="$(debian_keyring || true)"

want="Types: deb-src
URIs: $mirror
Suites: trixie
Components: main"
[ -n "$keyring" ] && want="$want
Signed-By: $keyring"

# deb-src entries carry no binaries, but keep the pin anyway: should anyone
# add a binary trixie entry later, nothing gets upgraded from it by accident.
want_pin="Package: *
Pin: release n=trixie
Pin-Priority: 50"

changed=0
if [ ! -f "$SRC_LIST" ] || [ "$(cat "$SRC_LIST")" != "$want" ]; then
    info "writing $SRC_LIST (mirror $mirror)"
    printf '%s\n' "$want" | as_root tee "$SRC_LIST" >/dev/null
    changed=1
fi
if [ ! -f "$PIN" ] || [ "$(cat "$PIN")" != "$want_pin" ]; then
    info "writing $PIN"
    printf '%s\n' "$want_pin" | as_root tee "$PIN" >/dev/null
fi

lists_present() {
    apt_index trixie source
}
if [ "$changed" = 1 ] || ! lists_present; then
    info "apt-get update (trixie deb-src)"
    as_root apt-get update -q || die "apt-get update failed"
    lists_present || die "trixie Sources index still missing after apt-get update"
fi

# The guest groups: rdma-core's build dependencies, as far as the
# libraries, the provider, the examples and pyverbs need them (Debian 12
# packages; pandoc and python3-docutils are optional: without them the man
# pages are skipped), the kernel module's tools, and the harness's (perftest:
# Debian's binaries, run in the guest against our libibverbs).
mapfile -t PKGS < <(odp_packages "${ODP_GUEST_GROUPS[@]}")

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }
missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    info "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed (${missing[*]})"
fi
info "guest host set-up OK"
