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

mirror="$(debian_mirror)" || die "no APT entry serving 'bookworm' found in /etc/apt/sources.list{,.d/}"
keyring="$(debian_keyring || true)"

changed=0
apt_debsrc_pinned trixie "$mirror" "$keyring" && changed=1

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
