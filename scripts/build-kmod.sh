#!/usr/bin/env bash
# Build the guest kernel driver odp_hca.ko out of tree against Debian's
# linux-headers for the exact kernel image the project boots, of the
# series KERNEL_SERIES (scripts/lib.sh: 6.12 by default, or 7.2).
#
#  - runs scripts/fetch-kernel.sh (idempotent) so that build/kernel-<series>/
#    is pinned, and takes the image package and version from its STAMP;
#  - 6.12: fetches linux-headers-<kver>, its -common package and
#    linux-kbuild of the same version with `apt-get download`, checks their
#    SHA256 against the APT index and unpacks them into
#    build/linux-headers-6.12/ (a private root: the headers package Depends
#    on the kernel image itself, and installing that would put a 6.12
#    kernel, initramfs-tools and udev on the host).  The .debs are cached
#    next to the kernel's.  Checks the host tools the kernel build needs
#    (gcc-12, make, dwarves for pahole/BTF; scripts/require.sh kmod,
#    installed by make setup);
#  - 7.2: its headers need sid's gcc-16 and libc, so the build runs in the
#    sid build root (scripts/sid-root.sh), which has them installed, with
#    the repository mounted at its own path;
#  - mirrors guest-driver/kernel/ into build/kmod-<series>/ as symlinks
#    (6.12 has no separate output directory for external modules) and runs
#    make -C <headers> M=build/kmod-<series>, so the source tree stays clean.
#
# Result: build/kmod-<series>/odp_hca.ko.  Environment: KMOD_W (default 1,
# kbuild's W= warning level; empty to disable), KMOD_MAKEFLAGS (extra make
# flags), KMOD_KDIR (build on the host against another prepared kernel
# tree instead).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$ODP_ROOT/guest-driver/kernel"
odp_kernel_check
OUT="$ODP_KMOD_DIR"
HDR_ROOT="$ODP_HEADERS_DIR"
KMOD_W="${KMOD_W-1}"
# Where make runs: here, or in the sid build root.
IN_ROOT=()

[ -f "$SRC/Kbuild" ] || die "no $SRC/Kbuild"

if [ -n "${KMOD_KDIR:-}" ]; then
    "$ODP_ROOT/scripts/require.sh" kmod
    KDIR="$KMOD_KDIR"
    KVER="$(make -s -C "$KDIR" kernelrelease 2>/dev/null || true)"
elif [ "$(odp_series_suite kernel "$ODP_KERNEL_SERIES")" = sid ]; then
    "$ODP_ROOT/scripts/require.sh" sid-root
    "$ODP_ROOT/scripts/fetch-kernel.sh"     # makes the sid root too
    "$ODP_ROOT/scripts/sid-root.sh"         # (a kernel kept from before)
    KVER="$(cat "$ODP_KERNEL_DIR/VERSION")"
    KDIR="/usr/src/linux-headers-$KVER"
    grep -q "^linux-headers-$KVER " "$ODP_SID_ROOT/.odp-hca-stamp" ||
        die "the sid build root has $(cut -d' ' -f1 "$ODP_SID_ROOT/.odp-hca-stamp"), the kernel is $KVER: ODP_SID_REFRESH=1 scripts/sid-root.sh"
    [ -f "$ODP_SID_ROOT$KDIR/Makefile" ] || die "no $KDIR in the sid build root"
    IN_ROOT=("$ODP_ROOT/scripts/sid-root.sh" run)
else
    # Host tools.  gcc-12 is the compiler Debian built the 6.12 kernel with
    # (the headers' .kernelvariables name it); pahole writes module BTF.
    "$ODP_ROOT/scripts/require.sh" kmod
    # The kernel the guest boots, and the package it came from.
    "$ODP_ROOT/scripts/fetch-kernel.sh"
    [ -f "$ODP_KERNEL_DIR/STAMP" ] && [ -f "$ODP_KERNEL_DIR/VERSION" ] \
        || die "${ODP_KERNEL_DIR#"$ODP_ROOT"/}/STAMP missing after fetch-kernel.sh"
    KVER="$(cat "$ODP_KERNEL_DIR/VERSION")"
    read -r image_deb _ < "$ODP_KERNEL_DIR/STAMP"
    # linux-image-<kver>_<version>_amd64.deb (apt escapes ':' and '~')
    image_pkg="${image_deb%%_*}"
    pkg_ver="${image_deb#*_}"
    pkg_ver="${pkg_ver%_*}"
    pkg_ver="${pkg_ver//%3a/:}"
    pkg_ver="${pkg_ver//%7e/\~}"
    [ "$image_pkg" = "linux-image-$KVER" ] || die "STAMP names $image_pkg, VERSION says $KVER"

    hdr_pkg="linux-headers-$KVER"
    fields="$(apt-cache show "$hdr_pkg=$pkg_ver" 2>/dev/null)" \
        || die "$hdr_pkg=$pkg_ver not in the APT indexes (run 'make setup')"
    # Its own dependencies name the -common and linux-kbuild packages.
    deps="$(awk -F': ' '/^Depends:/ { print $2; exit }' <<< "$fields")"
    common_pkg="$(tr ',' '\n' <<< "$deps" | awk '{ print $1 }' | grep -E '^linux-headers-.*-common$' | head -n1)"
    kbuild_pkg="$(tr ',' '\n' <<< "$deps" | awk '{ print $1 }' | grep -E '^linux-kbuild-' | head -n1)"
    [ -n "$common_pkg" ] && [ -n "$kbuild_pkg" ] || die "cannot read the dependencies of $hdr_pkg=$pkg_ver"

    mkdir -p "$ODP_CACHE"
    stamp_want=""
    debs=()
    for p in "$hdr_pkg" "$common_pkg" "$kbuild_pkg"; do
        f="$(apt-cache show "$p=$pkg_ver" 2>/dev/null)" || die "$p=$pkg_ver not in the APT indexes"
        sha="$(awk '/^SHA256:/ {print $2; exit}' <<< "$f")"
        fname="$(awk '/^Filename:/ {print $2; exit}' <<< "$f")"
        fname="${fname##*/}"
        [ -n "$sha" ] && [ -n "$fname" ] || die "no SHA256/Filename for $p=$pkg_ver"
        deb="$ODP_CACHE/$fname"
        if [ -f "$deb" ] && echo "$sha  $deb" | sha256sum --quiet -c - 2>/dev/null; then
            :
        else
            rm -f "$deb"
            info "downloading $p=$pkg_ver"
            tmp="$(mktemp -d "$ODP_CACHE/dl.XXXXXX")"
            ( cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$p=$pkg_ver" ) \
                || { rm -rf "$tmp"; die "apt-get download $p=$pkg_ver failed"; }
            got=("$tmp"/*.deb)
            [ -f "${got[0]}" ] || { rm -rf "$tmp"; die "apt-get download produced no .deb"; }
            echo "$sha  ${got[0]}" | sha256sum --quiet -c - || { rm -rf "$tmp"; die "SHA256 mismatch for $fname"; }
            mv "${got[0]}" "$deb"
            rm -rf "$tmp"
        fi
        debs+=("$deb")
        stamp_want="$stamp_want$fname $sha
"
    done

    KDIR="$HDR_ROOT/usr/src/linux-headers-$KVER"
    if [ -f "$HDR_ROOT/STAMP" ] && [ "$(cat "$HDR_ROOT/STAMP")" = "$stamp_want" ] && [ -f "$KDIR/Makefile" ]; then
        info "headers for $KVER already unpacked in ${HDR_ROOT#"$ODP_ROOT"/}"
    else
        rm -rf "$HDR_ROOT"
        mkdir -p "$HDR_ROOT"
        for deb in "${debs[@]}"; do
            dpkg-deb -x "$deb" "$HDR_ROOT" || die "dpkg-deb -x $deb failed"
        done
        # The arch package's Makefile includes the -common one by absolute
        # path; point it into the private root.  Other links are relative.
        common_dir="$HDR_ROOT/usr/src/${common_pkg}"
        [ -f "$common_dir/Makefile" ] || die "no $common_dir/Makefile"
        [ -f "$KDIR/Makefile" ] || die "no $KDIR/Makefile"
        grep -q '^include /usr/src/' "$KDIR/Makefile" || die "unexpected $KDIR/Makefile"
        printf 'include %s/Makefile\n' "$common_dir" > "$KDIR/Makefile"
        printf '%s' "$stamp_want" > "$HDR_ROOT/STAMP"
        info "headers for $KVER ($pkg_ver) unpacked in ${HDR_ROOT#"$ODP_ROOT"/}"
    fi
fi

# Mirror the sources: symlinks, so kbuild's objects land in build/kmod-<series>/.
mkdir -p "$OUT"
find "$OUT" -maxdepth 1 -type l -delete
for f in "$SRC"/Kbuild "$SRC"/*.c "$SRC"/*.h; do
    [ -f "$f" ] && ln -s "$f" "$OUT/${f##*/}"
done

args=(-C "$KDIR" M="$OUT" ODP_HCA_INC="$ODP_ROOT/include")
[ -n "$KMOD_W" ] && args+=(W="$KMOD_W")
# shellcheck disable=SC2086
"${IN_ROOT[@]}" make "${args[@]}" ${KMOD_MAKEFLAGS:-} -j"$(nproc)" modules

ko="$OUT/odp_hca.ko"
[ -f "$ko" ] || die "no $ko"
if [ -n "$KVER" ]; then
    vm="$(tr '\0' '\n' < "$ko" | sed -n 's/^vermagic=//p' | head -n1)"
    case "$vm" in "$KVER "*) ;; *) die "$ko has vermagic '$vm', expected $KVER" ;; esac
fi
info "built ${ko#"$ODP_ROOT"/} for $KVER"
