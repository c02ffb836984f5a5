#!/usr/bin/env bash
# Fetch the guest kernel of KERNEL_SERIES (scripts/lib.sh) and unpack it
# with dpkg-deb -x into build/kernel-<series>/.  Nothing is installed on
# the host.
#  - 6.12: Debian's from bookworm-backports (the package the backports
#    linux-image-amd64 depends on), with the host's `apt-get download`.
#  - 7.2: sid's, with `apt-get download` in the sid build root
#    (scripts/sid-root.sh; the host has no sid binary index): the packages
#    sid's linux-image-<kver> depends on for the image (linux-binary-*),
#    its modules (linux-modules-*) and their base files (linux-base-*).
# The .debs are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/odp-hca/ and
# their SHA256 re-checked against the APT index they came from.
# Result: build/kernel-<series>/vmlinuz (symlink), VERSION and STAMP.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

odp_kernel_check
SUITE="$(odp_series_suite kernel "$ODP_KERNEL_SERIES")"
META=linux-image-amd64
OUT="$ODP_KERNEL_DIR"

# Once unpacked, the kernel stays what it is for this build tree (later
# steps, e.g. out-of-tree modules, must match it); `make clean-kernel` or
# ODP_KERNEL_REFRESH=1 looks again for the current version of its suite.
if [ -z "${ODP_KERNEL_REFRESH:-}" ] && [ -f "$OUT/STAMP" ] && [ -e "$OUT/vmlinuz" ]; then
    info "kernel $(cat "$OUT/VERSION") already unpacked in ${OUT#"$ODP_ROOT"/}"
    exit 0
fi

# unpack NAME SHA DEB...: unpack the .debs into OUT (NAME SHA: the STAMP).
unpack() {
    local stamp="$1" deb kver
    shift
    if [ -f "$OUT/STAMP" ] && [ "$(cat "$OUT/STAMP")" = "$stamp" ] && [ -e "$OUT/vmlinuz" ]; then
        info "kernel up to date ($(cat "$OUT/VERSION"))"
        exit 0
    fi
    rm -rf "$OUT"
    mkdir -p "$OUT"
    for deb in "$@"; do
        dpkg-deb -x "$deb" "$OUT" || die "dpkg-deb -x $deb failed"
    done
    # sid's packages are for a merged /usr: the harness looks in lib/modules.
    if [ ! -e "$OUT/lib" ] && [ -d "$OUT/usr/lib" ]; then
        ln -s usr/lib "$OUT/lib"
    fi
    # The image: boot/vmlinuz-<kver> (6.12), or lib/modules/<kver>/vmlinuz
    # (7.x, whose image package is split from its modules).
    local found link
    found=("$OUT"/boot/vmlinuz-*)
    if [ -f "${found[0]}" ]; then
        kver="${found[0]##*/vmlinuz-}"
        link="boot/vmlinuz-$kver"
    else
        found=("$OUT"/lib/modules/*/vmlinuz)
        [ -f "${found[0]}" ] || die "no boot/vmlinuz-* or lib/modules/*/vmlinuz in $*"
        kver="${found[0]%/vmlinuz}"
        kver="${kver##*/}"
        link="lib/modules/$kver/vmlinuz"
    fi
    [ -d "$OUT/lib/modules/$kver/kernel" ] || die "no modules for $kver in $*"
    ln -sf "$link" "$OUT/vmlinuz"
    echo "$kver" > "$OUT/VERSION"
    echo "$stamp" > "$OUT/STAMP"
    info "kernel $kver unpacked in ${OUT#"$ODP_ROOT"/}"
}

if [ "$SUITE" = sid ]; then
    "$ODP_ROOT/scripts/sid-root.sh"
    sid() { "$ODP_ROOT/scripts/sid-root.sh" run "$@"; }
    # linux-image-amd64 -> linux-image-<kver> -> the packages with the files
    meta_dep="$(sid apt-cache show "$META" | awk -F': ' '/^Depends:/ { print $2; exit }' |
        tr ',' '\n' | awk '{ print $1 }' | grep -E '^linux-image-[0-9]' | head -n1)"
    case "$meta_dep" in
        "linux-image-$ODP_KERNEL_SERIES".*) ;;
        "") die "cannot read which image sid's $META depends on" ;;
        *) die "sid's $META depends on $meta_dep, not a $ODP_KERNEL_SERIES kernel: move KERNEL_SERIES (scripts/lib.sh) on" ;;
    esac
    kver="${meta_dep#linux-image-}"
    # Its headers in the build root must be of the same kernel.
    grep -q "^linux-headers-$kver " "$ODP_SID_ROOT/.odp-hca-stamp" ||
        die "the sid build root has $(cut -d' ' -f1 "$ODP_SID_ROOT/.odp-hca-stamp"), sid's kernel is now $kver: ODP_SID_REFRESH=1 scripts/sid-root.sh"
    debs=()
    stamp=""
    for p in "linux-binary-$kver" "linux-modules-$kver" "linux-base-$kver"; do
        fields="$(sid apt-cache show "$p")" || die "$p not in sid's index"
        sha="$(awk '/^SHA256:/ {print $2; exit}' <<< "$fields")"
        fname="$(awk '/^Filename:/ {print $2; exit}' <<< "$fields")"
        fname="${fname##*/}"
        [ -n "$sha" ] && [ -n "$fname" ] || die "no SHA256/Filename for $p"
        deb="$ODP_CACHE/$fname"
        if ! { [ -f "$deb" ] && echo "$sha  $deb" | sha256sum --quiet -c - 2>/dev/null; }; then
            rm -f "$deb"
            info "downloading $p (sid)"
            # Into build/ (the root sees it at the same path), then the cache.
            tmp="$(mktemp -d "$ODP_BUILD/dl.XXXXXX")"
            # shellcheck disable=SC2016 # expanded by sh in the root
            sid sh -c 'cd "$1" && apt-get download -q -o APT::Sandbox::User=root "$2"' sh "$tmp" "$p" \
                || { rm -rf "$tmp"; die "apt-get download $p in the sid root failed"; }
            got=("$tmp"/*.deb)
            [ -f "${got[0]}" ] || { rm -rf "$tmp"; die "apt-get download $p produced no .deb"; }
            echo "$sha  ${got[0]}" | sha256sum --quiet -c - || { rm -rf "$tmp"; die "SHA256 mismatch for $fname"; }
            mkdir -p "$ODP_CACHE"
            mv "${got[0]}" "$deb"
            rm -rf "$tmp"
        fi
        debs+=("$deb")
        stamp="$stamp$fname $sha "
    done
    unpack "${stamp% }" "${debs[@]}"
    exit 0
fi

# The backports version of the meta package, then the image it depends on.
meta_ver="$(apt-cache policy "$META" 2>/dev/null | awk -v s="$SUITE/main" '
    / Packages$/ { if (index($0, " " s " ") && v != "") { print v; exit } next }
    /^ *(\*\*\*)? *[0-9]/ { v = ($1 == "***") ? $2 : $1 }')"
[ -n "$meta_ver" ] || die "$META not found in $SUITE; run 'make setup'"
case "$meta_ver" in "$ODP_KERNEL_SERIES".*) ;; *) die "$META in $SUITE is $meta_ver, expected $ODP_KERNEL_SERIES.x" ;; esac

# "linux-image-6.12.N+deb12-amd64 (= VERSION)" -> package and version
read -r pkg ver < <(apt-cache show "$META=$meta_ver" | awk -F': ' -v s="$ODP_KERNEL_SERIES" '/^Depends:/ {
    n = split($2, d, /, */)
    for (i = 1; i <= n; i++) if (index(d[i], "linux-image-" s ".") == 1) {
        split(d[i], w, /[ ()=]+/); print w[1], w[2]; exit } }') || true
[ -n "${pkg:-}" ] && [ -n "${ver:-}" ] || die "cannot find the kernel image package $META=$meta_ver depends on"
fields="$(apt-cache show "$pkg=$ver")" || die "$pkg=$ver not in the APT indexes"
sha="$(awk '/^SHA256:/ {print $2; exit}' <<< "$fields")"
fname="$(awk '/^Filename:/ {print $2; exit}' <<< "$fields")"
fname="${fname##*/}"
[ -n "$sha" ] && [ -n "$fname" ] || die "no SHA256/Filename for $pkg=$ver"

mkdir -p "$ODP_CACHE"
deb="$ODP_CACHE/$fname"
if [ -f "$deb" ] && echo "$sha  $deb" | sha256sum --quiet -c - 2>/dev/null; then
    info "using cached $fname"
else
    rm -f "$deb"
    info "downloading $pkg=$ver"
    tmp="$(mktemp -d "$ODP_CACHE/dl.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    ( cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" ) \
        || die "apt-get download $pkg=$ver failed"
    got=("$tmp"/*.deb)
    [ -f "${got[0]}" ] || die "apt-get download produced no .deb"
    echo "$sha  ${got[0]}" | sha256sum --quiet -c - || die "SHA256 mismatch for $fname"
    mv "${got[0]}" "$deb"
fi

unpack "$fname $sha" "$deb"
