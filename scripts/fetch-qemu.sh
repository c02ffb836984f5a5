#!/usr/bin/env bash
# Fetch the QEMU of QEMU_SERIES (scripts/lib.sh: 10.2 from Debian's sid by
# default, 10.0 from bookworm-backports; Debian's 'qemu' source package),
# unpack it into build/qemu-src-<series>, apply configure-snippets/*.patch
# (a patch of the same name in configure-snippets/qemu-<series>/ replaces
# the common one for that series) and link the project into the tree as
# build/qemu-src-<series>/odp-hca -> ../.. .
#
# Only the orig tarball is used (the .dsc / debian tarball may be missing
# from the mirror).  Its name, directory and SHA256 come from the deb-src
# Sources index; apt's own helper downloads it and checks the hash.  The
# tarball is cached in ${XDG_CACHE_HOME:-$HOME/.cache}/odp-hca/.
# Idempotent: re-unpacks only when the tarball or the snippets changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QEMU_SERIES="$ODP_QEMU_SERIES"
QEMU_SUITE="$(odp_series_suite qemu "$QEMU_SERIES")" ||
    die "QEMU_SERIES=$QEMU_SERIES: odp-hca builds against 10.2 or 10.0"
SRC="$ODP_QEMU_SRC"
STAMP="$SRC.stamp"

# The configure snippets for this series, in order.
series_snippets() {
    local p
    for p in "$ODP_ROOT"/configure-snippets/*.patch; do
        [ -f "$p" ] || continue
        if [ -f "$ODP_ROOT/configure-snippets/qemu-$QEMU_SERIES/${p##*/}" ]; then
            echo "$ODP_ROOT/configure-snippets/qemu-$QEMU_SERIES/${p##*/}"
        else
            echo "$p"
        fi
    done
}

# Once unpacked, the source stays the version it is for this build tree
# unless ODP_QEMU_REFRESH=1: then the APT index is asked again.
current_snippets() {
    local p
    while read -r p; do
        sha256sum "$p" | sed "s|$ODP_ROOT/||"
    done < <(series_snippets)
    sha256sum "${BASH_SOURCE[0]}" | sed "s|$ODP_ROOT/||"
}
if [ -z "${ODP_QEMU_REFRESH:-}" ] && [ -f "$STAMP" ] && [ -L "$SRC/odp-hca" ] &&
   [ "$(tail -n +2 "$STAMP")" = "$(current_snippets)" ]; then
    info "QEMU source up to date ($(head -n1 "$STAMP" | cut -d' ' -f2))"
    exit 0
fi

command -v apt-cache >/dev/null || die "apt-cache not found (Debian host expected)"
APT_HELPER=/usr/lib/apt/apt-helper
[ -x "$APT_HELPER" ] || die "$APT_HELPER not found"

# --- pick the source package version and its orig tarball -----------------
stanzas="$(apt_source_origs qemu)" || true
[ -n "$stanzas" ] || die "no 'qemu' source package in the APT indexes; run 'make setup' (needs $QEMU_SUITE deb-src)"

# Only versions the $QEMU_SUITE Sources index lists: other deb-src entries
# on the machine (trixie, say) may carry other 10.0.x versions.
suite_versions="$(apt-cache madison qemu 2>/dev/null | awk -F'|' -v s=" $QEMU_SUITE/main Sources" '
    index($3, s) { v = $2; gsub(/[ \t]/, "", v); print v }')"
[ -n "$suite_versions" ] || die "no qemu source in $QEMU_SUITE; run 'make setup' (needs $QEMU_SUITE deb-src)"

best=""
while read -r ver dir sha file; do
    grep -qxF "$ver" <<< "$suite_versions" || continue
    upstream="${ver#*:}"; upstream="${upstream%%+*}"; upstream="${upstream%%-*}"
    case "$upstream" in "$QEMU_SERIES".*) ;; *) continue ;; esac
    if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "${best%% *}"; then
        best="$ver $dir $sha $file"
    fi
done <<< "$stanzas"
[ -n "$best" ] || die "no qemu $QEMU_SERIES.x source in $QEMU_SUITE (found: $(echo "$suite_versions" | xargs)); run 'make setup'"
read -r ver dir sha file <<< "$best"

mirror="$(debian_mirror)" || die "cannot find the Debian mirror in the APT configuration"

# --- download (cached, hash-checked) ---------------------------------------
mkdir -p "$ODP_CACHE"
tarball="$ODP_CACHE/$file"
if [ -f "$tarball" ] && echo "$sha  $tarball" | sha256sum --quiet -c - 2>/dev/null; then
    info "using cached $file"
else
    rm -f "$tarball" "$tarball.part"
    info "downloading $file (qemu $ver)"
    "$APT_HELPER" download-file "$mirror/$dir/$file" "$tarball.part" "SHA256:$sha" \
        || die "download of $mirror/$dir/$file failed"
    echo "$sha  $tarball.part" | sha256sum --quiet -c - || die "SHA256 mismatch for $file"
    mv "$tarball.part" "$tarball"
fi

# --- unpack + snippets -------------------------------------------------------
mapfile -t snippets < <(series_snippets)
want_stamp="$(echo "tarball $file $sha"; current_snippets)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] && [ -L "$SRC/odp-hca" ]; then
    info "QEMU source up to date ($SRC)"
    exit 0
fi

info "unpacking $file into $SRC"
rm -f "$STAMP"
rm -rf "$SRC" "$SRC.tmp"
mkdir -p "$SRC.tmp"
tar -xf "$tarball" -C "$SRC.tmp" --strip-components=1 || die "cannot unpack $tarball"
[ -f "$SRC.tmp/VERSION" ] || die "unexpected tarball layout (no VERSION)"

for p in "${snippets[@]}"; do
    info "applying ${p#"$ODP_ROOT"/}"
    patch -d "$SRC.tmp" -p1 --forward --batch --no-backup-if-mismatch -s < "$p" \
        || die "patch ${p#"$ODP_ROOT"/} does not apply to qemu $ver"
done

# The project root, seen by QEMU's meson as <qemu-src>/odp-hca (relative
# link, so the clone can move).
ln -s ../.. "$SRC.tmp/odp-hca"
# The monitor schema joins QEMU's own (configure-snippets/0005).
ln -s ../odp-hca/qapi/odp-hca.json "$SRC.tmp/qapi/odp-hca.json"
mv "$SRC.tmp" "$SRC"
[ -f "$SRC/odp-hca/meson.build" ] || die "symlink $SRC/odp-hca does not reach the project root"
echo "$want_stamp" > "$STAMP"
info "QEMU $(cat "$SRC/VERSION") source ready in $SRC"
