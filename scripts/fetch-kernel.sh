#!/usr/bin/env bash
# Fetch Debian's 6.12 kernel image from bookworm-backports (the package the
# backports linux-image-amd64 depends on) with `apt-get download`, and unpack
# it with dpkg-deb -x into build/kernel/.  Nothing is installed on the host.
# The .deb is cached in ${XDG_CACHE_HOME:-$HOME/.cache}/odp-hca/ and its
# SHA256 re-checked against the APT index.
# Result: build/kernel/vmlinuz (symlink) and build/kernel/VERSION.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE=bookworm-backports
META=linux-image-amd64
OUT="$ODP_BUILD/kernel"

# Once unpacked, the kernel stays what it is for this build tree (later
# steps, e.g. out-of-tree modules, must match it); `make clean-kernel` or
# ODP_KERNEL_REFRESH=1 looks again for the current backports version.
if [ -z "${ODP_KERNEL_REFRESH:-}" ] && [ -f "$OUT/STAMP" ] && [ -e "$OUT/vmlinuz" ]; then
    info "kernel $(cat "$OUT/VERSION") already unpacked in ${OUT#"$ODP_ROOT"/}"
    exit 0
fi

# The backports version of the meta package, then the image it depends on.
meta_ver="$(apt-cache policy "$META" 2>/dev/null | awk -v s="$SUITE/main" '
    / Packages$/ { if (index($0, " " s " ") && v != "") { print v; exit } next }
    /^ *(\*\*\*)? *[0-9]/ { v = ($1 == "***") ? $2 : $1 }')"
[ -n "$meta_ver" ] || die "$META not found in $SUITE; run 'make setup'"
case "$meta_ver" in 6.12.*) ;; *) die "$META in $SUITE is $meta_ver, expected 6.12.x" ;; esac

# "linux-image-6.12.N+deb12-amd64 (= VERSION)" -> package and version
read -r pkg ver < <(apt-cache show "$META=$meta_ver" | awk -F': ' '/^Depends:/ {
    n = split($2, d, /, */)
    for (i = 1; i <= n; i++) if (d[i] ~ /^linux-image-6\.12/) {
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

if [ -f "$OUT/STAMP" ] && [ "$(cat "$OUT/STAMP")" = "$fname $sha" ] && [ -e "$OUT/vmlinuz" ]; then
    info "kernel up to date ($(cat "$OUT/VERSION"))"
    exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"
dpkg-deb -x "$deb" "$OUT" || die "dpkg-deb -x $deb failed"
img=("$OUT"/boot/vmlinuz-*)
[ -f "${img[0]}" ] || die "no boot/vmlinuz-* in $fname"
kver="${img[0]##*/vmlinuz-}"
ln -sf "boot/vmlinuz-$kver" "$OUT/vmlinuz"
echo "$kver" > "$OUT/VERSION"
echo "$fname $sha" > "$OUT/STAMP"
info "kernel $kver ($pkg $ver) unpacked in ${OUT#"$ODP_ROOT"/}"
