# shellcheck shell=bash
# Common helpers for the odp-hca build scripts. Source it, do not run it.

die() { echo "error: $*" >&2; exit 1; }
info() { echo "==> $*" >&2; }

# Repository root (scripts/..).
ODP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODP_BUILD="${ODP_BUILD:-$ODP_ROOT/build}"
# CI may start us without HOME: take it from the password database.
if [ -z "${HOME:-}" ]; then
    HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
    export HOME
fi
ODP_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/odp-hca"

# The QEMU the device builds against, QEMU_SERIES: the newest series of
# Debian's that the registry serves, by default, or the one before it.
# Each has its own source, build and sanitizer trees under build/.
ODP_QEMU_DEFAULT=10.2
ODP_QEMU_OTHERS=10.0
ODP_QEMU_SERIES="${QEMU_SERIES:-$ODP_QEMU_DEFAULT}"
ODP_QEMU_SRC="$ODP_BUILD/qemu-src-$ODP_QEMU_SERIES"
ODP_QEMU_BUILD="$ODP_BUILD/qemu-build-$ODP_QEMU_SERIES"
ODP_QEMU_FUZZ="$ODP_BUILD/qemu-fuzz-$ODP_QEMU_SERIES"
# odp_series_suite COMPONENT SERIES: the Debian suite a series of qemu,
# kernel or rdma-core (below) comes from; fails for one we do not know.
# A new series is a line here.
odp_series_suite() {
    case "$1:$2" in
        qemu:10.0 | kernel:6.12) echo bookworm-backports ;;
        rdma-core:56) echo trixie ;;
        qemu:10.2 | kernel:7.2 | rdma-core:65) echo sid ;;
        *) return 1 ;;
    esac
}

# The guest kernel, KERNEL_SERIES (vm.sh also reads VM_KERNEL): Debian's
# 6.12 from bookworm-backports by default, or the newest of Debian's
# development suite, whose headers need that suite's compiler and libc, so
# odp_hca.ko for it is built in a sid build root (scripts/sid-root.sh).
# Each series has its unpacked kernel, build/kernel-<series>, its headers
# (6.12: build/linux-headers-<series>; the newer in the build root) and
# its module, build/kmod-<series>/odp_hca.ko.  The guest is told the
# series on its kernel command line (odp.kernel=) and finds the module
# through ODP_KMOD_DIR too.
ODP_KERNEL_DEFAULT=6.12
ODP_KERNEL_OTHERS=7.2
ODP_KERNEL_SERIES="${KERNEL_SERIES:-${VM_KERNEL:-$ODP_KERNEL_DEFAULT}}"
ODP_KERNEL_DIR="$ODP_BUILD/kernel-$ODP_KERNEL_SERIES"
ODP_KMOD_DIR="$ODP_BUILD/kmod-$ODP_KERNEL_SERIES"
ODP_HEADERS_DIR="$ODP_BUILD/linux-headers-$ODP_KERNEL_SERIES"
ODP_SID_ROOT="$ODP_BUILD/sid-root"
# odp_kernel_check: the series asked for is one we know, and VM_KERNEL,
# when given too, agrees with KERNEL_SERIES.
odp_kernel_check() {
    odp_series_suite kernel "$ODP_KERNEL_SERIES" >/dev/null ||
        die "unknown kernel series '$ODP_KERNEL_SERIES' (KERNEL_SERIES/VM_KERNEL: $ODP_KERNEL_DEFAULT or $ODP_KERNEL_OTHERS)"
    if [ -n "${VM_KERNEL:-}" ] && [ -n "${KERNEL_SERIES:-}" ] && [ "$VM_KERNEL" != "$KERNEL_SERIES" ]; then
        die "VM_KERNEL=$VM_KERNEL and KERNEL_SERIES=$KERNEL_SERIES disagree; give one"
    fi
}

# The rdma-core the provider builds in and the guest runs, RDMA_CORE_SERIES
# (its major version): trixie's by default, or that of Debian's development
# suite.  Each has its source tree, build/rdma-core-src-<series>,
# and its in-place build, build/rdma-core-<series>, which the guest uses,
# and the test programs linked to it, build/guest-tests-<series>.  The
# guest is told the series on its kernel command line (odp.rdma_core=);
# scripts/in-guest/env.sh sources this file too.
ODP_RDMA_CORE_DEFAULT=56
ODP_RDMA_CORE_OTHERS=65
ODP_RDMA_CORE_SERIES="${RDMA_CORE_SERIES:-$ODP_RDMA_CORE_DEFAULT}"
ODP_RDMA_CORE_SRC="$ODP_BUILD/rdma-core-src-$ODP_RDMA_CORE_SERIES"
ODP_RDMA_CORE="$ODP_BUILD/rdma-core-$ODP_RDMA_CORE_SERIES"
ODP_GUEST_TESTS="$ODP_BUILD/guest-tests-$ODP_RDMA_CORE_SERIES"

# Run a command as root (sudo when we are not root and sudo exists).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

# apt_index SUITE KIND: APT has the index of SUITE's main component (KIND:
# source, or binary-amd64), i.e. the entry is configured and was updated.
apt_index() {
    case "$2" in
        source) compgen -G "/var/lib/apt/lists/*_dists_$1_main_source_Sources*" >/dev/null ;;
        *)      compgen -G "/var/lib/apt/lists/*_dists_$1_main_$2_Packages*" >/dev/null ;;
    esac
}

# Print the URI of the Debian archive that serves the 'bookworm' suite,
# taken from this machine's own APT configuration (deb822 *.sources first,
# then one-line *.list / sources.list). No host name is hard-coded.
debian_mirror() {
    local f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri="$(awk '
            function flush() {
                if (enabled && types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1; exit
                }
                types = ""; suites = ""; uris = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "types") types = val
                else if (key == "suites") suites = val
                else if (key == "uris") uris = val
                else if (key == "enabled" && tolower(val) == "no") enabled = 0
            }
            END { if (!found) flush() }
        ' "$f")"
        if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        uri="$(awk '
            /^[ \t]*deb[ \t]/ {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i+1) == "bookworm") { print $i; exit }
            }' "$f")"
        if [ -n "$uri" ]; then echo "${uri%/}"; return 0; fi
    done
    return 1
}

# The Signed-By keyring of the bookworm entry, when it is given in deb822 form.
debian_keyring() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { if (s ~ /(^| )bookworm( |$)/ && k != "") { print k; exit } s = ""; k = ""; next }
            tolower($1) == "suites:" { s = $0; sub(/^[^:]*:[ \t]*/, "", s) }
            tolower($1) == "signed-by:" { k = $2 }
            END { if (s ~ /(^| )bookworm( |$)/ && k != "") print k }
        ' "$f" | head -n1
    done | head -n1
}

# apt_debsrc_pinned SUITE MIRROR KEYRING: a deb-src-only APT entry for
# SUITE (odp-hca-SUITE-src.sources) and a pin that keeps it at priority 50.
# deb-src entries carry no binaries, but should anyone add a binary entry
# for SUITE later, nothing gets upgraded from it by accident.  Writes as
# root only what differs; returns 0 when the entry was (re)written, so
# the caller knows to run apt-get update.
apt_debsrc_pinned() {
    local suite="$1" mirror="$2" keyring="$3" want want_pin
    local list="/etc/apt/sources.list.d/odp-hca-$suite-src.sources"
    local pin="/etc/apt/preferences.d/odp-hca-$suite"
    want="Types: deb-src
URIs: $mirror
Suites: $suite
Components: main"
    [ -n "$keyring" ] && want="$want
Signed-By: $keyring"
    want_pin="Package: *
Pin: release n=$suite
Pin-Priority: 50"
    if [ ! -f "$pin" ] || [ "$(cat "$pin")" != "$want_pin" ]; then
        info "writing $pin"
        printf '%s\n' "$want_pin" | as_root tee "$pin" >/dev/null
    fi
    [ -f "$list" ] && [ "$(cat "$list")" = "$want" ] && return 1
    info "writing $list (mirror $mirror)"
    printf '%s\n' "$want" | as_root tee "$list" >/dev/null
}

# apt_source_origs PKG: for every source stanza of PKG in the APT indexes,
# print "version directory sha256 file" of its orig tarball.
apt_source_origs() {
    apt-cache showsrc "$1" 2>/dev/null | awk '
        function flush() {
            if (ver != "" && orig != "") print ver, dir, orig
            ver = ""; dir = ""; orig = ""; insha = 0
        }
        /^$/ { flush(); next }
        /^Version:/ { ver = $2; insha = 0; next }
        /^Directory:/ { dir = $2; insha = 0; next }
        /^Checksums-Sha256:/ { insha = 1; next }
        /^ / && insha { if ($3 ~ /\.orig\.tar\.(xz|gz|bz2)$/) orig = $1 " " $3; next }
        { insha = 0 }
        END { flush() }
    '
}
