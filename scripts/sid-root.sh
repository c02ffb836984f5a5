#!/usr/bin/env bash
# The sid build root: a minimal Debian sid (the development suite) under
# build/sid-root, for what cannot run on the bookworm host itself.  The
# newest kernel's headers (linux-headers-7.2.*) depend on sid's gcc-16 and
# their kbuild tools on libc6 >= 2.38 (bookworm: gcc-12, libc 2.36), so
# odp_hca.ko for that kernel is built in here, and its kernel packages are
# fetched from here (the host has no sid binary index and gets none: its
# APT keeps to bookworm).
#
#   sid-root.sh              make the root, once: debootstrap --variant=
#                            minbase from the mirror of this machine's own
#                            APT configuration, then gcc-16, make and the
#                            linux-headers of the series (KERNEL_SERIES, one
#                            whose suite is sid); a second run does nothing
#                            (ODP_SID_REFRESH=1 makes it again)
#   sid-root.sh run CMD...   run CMD in the root as root, with /proc, the
#                            repository (read-only) and build/ (writable)
#                            mounted at their own paths (so paths agree
#                            inside and out); the mounts are undone on
#                            every exit
#
# Needs root (debootstrap, chroot, mount).  The debootstrap tarball and the
# .debs installed in the root are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/
# odp-hca, so that a root made again after `make clean` downloads nothing
# that did not change.  APT inside checks every package against the signed
# sid index, as on the host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$ODP_SID_ROOT"
STAMP="$ROOT/.odp-hca-stamp"
TARBALL="$ODP_CACHE/sid-minbase-amd64.tgz"
DEBS="$ODP_CACHE/sid-debs"
LOCK="$ODP_BUILD/sid-root.lock"

odp_kernel_check
[ "$(odp_series_suite kernel "$ODP_KERNEL_SERIES")" = sid ] ||
    die "KERNEL_SERIES=$ODP_KERNEL_SERIES comes from $(odp_series_suite kernel "$ODP_KERNEL_SERIES"), not sid: it needs no sid build root"
[ "$(id -u)" -eq 0 ] || die "the sid build root needs root (debootstrap, chroot, mount); run as root"
case "$ODP_ROOT$ODP_BUILD" in *[[:space:]]*) die "the repository path must not contain white space" ;; esac

# Serialise users of the root: mounts of one must not be undone by another.
mkdir -p "$ODP_BUILD"
exec 9>"$LOCK"
flock 9

mounted=()
undo_mounts() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null ||
            echo "warning: could not unmount ${mounted[i]}" >&2
    done
    mounted=()
}
trap undo_mounts EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bind SRC DST: mount SRC on DST (made if missing), undone on exit.
bind() {
    mkdir -p "$2"
    mount --bind "$1" "$2" || die "mount --bind $1 $2 failed"
    mounted+=("$2")
}

# The repository, read-only, and build/, writable, at their own paths.
# Read-only: should anything remove the root (make clean) while a command
# runs in it, it cannot reach through into the sources.
enter_mounts() {
    mkdir -p "$ROOT/proc"
    mount -t proc proc "$ROOT/proc" || die "cannot mount /proc in $ROOT"
    mounted+=("$ROOT/proc")
    bind "$ODP_ROOT" "$ROOT$ODP_ROOT"
    mount -o remount,bind,ro "$ROOT$ODP_ROOT" || die "cannot make $ROOT$ODP_ROOT read-only"
    bind "$ODP_BUILD" "$ROOT$ODP_BUILD"
}

in_root() {
    chroot "$ROOT" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

if [ "${1:-}" = run ]; then
    shift
    [ $# -gt 0 ] || die "usage: sid-root.sh run CMD..."
    [ -f "$STAMP" ] || die "no sid build root in ${ROOT#"$ODP_ROOT"/}; run scripts/sid-root.sh"
    enter_mounts
    set +e
    in_root "$@"
    rc=$?
    set -e
    exit "$rc"
fi
[ $# -eq 0 ] || die "usage: sid-root.sh [run CMD...]"

if [ -z "${ODP_SID_REFRESH:-}" ] && [ -f "$STAMP" ]; then
    info "sid build root ready in ${ROOT#"$ODP_ROOT"/} ($(head -n1 "$STAMP"))"
    exit 0
fi

"$ODP_ROOT/scripts/require.sh" sid-root
mirror="$(debian_mirror)" || die "no APT entry for bookworm in this machine's configuration: cannot tell which Debian mirror to use"
keyring="$(debian_keyring)"
keyring="${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"
[ -f "$keyring" ] || die "no keyring $keyring (package debian-archive-keyring)"

# Never remove a root with something still mounted in it: that would
# reach through into the repository.
if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
    die "something is still mounted under ${ROOT#"$ODP_ROOT"/} (findmnt); unmount it first"
fi

mkdir -p "$ODP_CACHE" "$DEBS"
if [ ! -f "$TARBALL" ]; then
    info "debootstrap: downloading a minimal sid from $mirror"
    work="$(mktemp -d "$ODP_BUILD/sid-tarball.XXXXXX")"
    tmp_tgz="$ODP_CACHE/sid-minbase-amd64.$$.tgz"
    debootstrap --variant=minbase --arch=amd64 --keyring="$keyring" \
        --make-tarball="$tmp_tgz" sid "$work" "$mirror" >"$ODP_BUILD/sid-root.log" 2>&1 ||
        { rm -rf "$work" "$tmp_tgz"; die "debootstrap --make-tarball failed (log: build/sid-root.log)"; }
    rm -rf "$work"
    mv "$tmp_tgz" "$TARBALL"
fi

info "unpacking the sid build root in ${ROOT#"$ODP_ROOT"/}"
rm -rf "$ROOT"
debootstrap --variant=minbase --arch=amd64 --keyring="$keyring" \
    --unpack-tarball="$TARBALL" sid "$ROOT" "$mirror" >"$ODP_BUILD/sid-root.log" 2>&1 ||
    die "debootstrap --unpack-tarball failed (log: build/sid-root.log)"

# The mirror may serve a snapshot whose Release files have expired; APT in
# the root then takes the host's view of that (signatures are checked all
# the same).
if apt-config dump 2>/dev/null | grep -i '^Acquire::Check-Valid-Until "false";' >/dev/null; then
    echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99odp-hca"
fi
printf 'deb %s sid main\n' "$mirror" > "$ROOT/etc/apt/sources.list"

mkdir -p "$ROOT/var/cache/apt/archives"
bind "$DEBS" "$ROOT/var/cache/apt/archives"
mount -t proc proc "$ROOT/proc" || die "cannot mount /proc in $ROOT"
mounted+=("$ROOT/proc")
in_root apt-get -q update >>"$ODP_BUILD/sid-root.log" 2>&1 ||
    die "apt-get update in the sid root failed (log: build/sid-root.log)"

# The headers of the series: the package sid's linux-headers-amd64 depends on.
deps="$(in_root apt-cache show linux-headers-amd64 | awk -F': ' '/^Depends:/ { print $2; exit }')"
hdr_pkg="$(tr ',' '\n' <<< "$deps" | awk '{ print $1 }' | grep -E '^linux-headers-[0-9]' | head -n1)"
[ -n "$hdr_pkg" ] || die "cannot read which headers sid's linux-headers-amd64 depends on"
case "$hdr_pkg" in
    "linux-headers-$ODP_KERNEL_SERIES".*) ;;
    *) die "sid's linux-headers-amd64 depends on $hdr_pkg, not a $ODP_KERNEL_SERIES kernel: move KERNEL_SERIES (scripts/lib.sh) on" ;;
esac
# The headers bring their compiler (gcc-16-for-host) and linux-kbuild
# (pahole, libelf); make is for us.
info "installing $hdr_pkg, gcc-16 and make in the sid root"
in_root apt-get -q -y --no-install-recommends install "$hdr_pkg" gcc-16 make \
    >>"$ODP_BUILD/sid-root.log" 2>&1 ||
    die "apt-get install $hdr_pkg gcc-16 make in the sid root failed (log: build/sid-root.log)"
# shellcheck disable=SC2016 # a dpkg-query format
hdr_ver="$(in_root dpkg-query -W -f='${Version}' "$hdr_pkg")"
undo_mounts

printf '%s %s\n' "$hdr_pkg" "$hdr_ver" > "$STAMP"
info "sid build root ready in ${ROOT#"$ODP_ROOT"/} ($hdr_pkg $hdr_ver)"
