#!/usr/bin/env bash
# Fetch the rdma-core source package of the series RDMA_CORE_SERIES (56:
# Debian trixie's, the default; 65: sid's; see odp_series_suite in
# scripts/lib.sh), unpack it into build/rdma-core-src-<series>, link the
# project's provider (guest-driver/provider) in as providers/odp_hca, apply
# configure-snippets/rdma-core/*.patch and build it with cmake + ninja
# (through ccache) in build/rdma-core-<series>.
#
# The build is "in place" (rdma-core's -DIN_PLACE=1): its libibverbs looks
# for providers in build/rdma-core-<series>/lib and for their driver files
# in build/rdma-core-<series>/etc/libibverbs.d, so nothing is installed
# anywhere.  A program uses it with LD_LIBRARY_PATH=build/rdma-core-<series>/lib
# (see scripts/in-guest/env.sh); Debian's perftest binaries run against it
# that way.
#
# Source: the orig tarball only (Debian's patches are not needed to build
# upstream rdma-core).  `apt-get source --download-only` is tried first; if
# the mirror lacks the .dsc (sid's 65.0) it falls back to apt's helper with
# the SHA256 from the deb-src index, like scripts/fetch-qemu.sh.  Cached in
# ${XDG_CACHE_HOME:-$HOME/.cache}/odp-hca/.  Re-unpacks only when the
# tarball, the snippets or this script changed; ninja rebuilds the rest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERIES="$ODP_RDMA_CORE_SERIES"
SUITE="$(odp_series_suite rdma-core "$SERIES")" ||
    die "unknown RDMA_CORE_SERIES '$SERIES' (known: $ODP_RDMA_CORE_DEFAULT $ODP_RDMA_CORE_OTHERS)"
SRC="$ODP_RDMA_CORE_SRC"
BLD="$ODP_RDMA_CORE"
SRC_STAMP="$SRC.stamp"
CFG_STAMP="$BLD.stamp"
LOGS="$BLD"          # build/rdma-core-<series>-{configure,build}.log
PROVIDER="$ODP_ROOT/guest-driver/provider"
SNIPPETS=("$ODP_ROOT"/configure-snippets/rdma-core/*.patch)

[ -f "$PROVIDER/CMakeLists.txt" ] || die "no provider in ${PROVIDER#"$ODP_ROOT"/}"

# What the unpacked tree depends on besides the tarball (bump the layout
# number when this script changes how it unpacks).
current_inputs() {
    echo "layout 1"
    for p in "${SNIPPETS[@]}"; do
        [ -f "$p" ] && sha256sum "$p" | sed "s|$ODP_ROOT/||"
    done
}

fetch_and_unpack() {
    # --- version, directory and orig tarball of the $SUITE source ------
    local stanzas best ver dir sha file
    apt_index "$SUITE" source ||
        die "no deb-src index for $SUITE (rdma-core $SERIES.x); run 'make setup' as root"
    stanzas="$(apt_source_origs rdma-core)" || true
    [ -n "$stanzas" ] || die "no 'rdma-core' source package in the APT indexes; run 'make setup' as root"
    best=""
    while read -r ver dir sha file; do
        case "${ver#*:}" in "$SERIES".*) ;; *) continue ;; esac
        if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "${best%% *}"; then
            best="$ver $dir $sha $file"
        fi
    done <<< "$stanzas"
    [ -n "$best" ] || die "no rdma-core $SERIES.x source in the APT indexes ($SUITE) (found: $(awk '{print $1}' <<< "$stanzas" | xargs))"
    read -r ver dir sha file <<< "$best"

    # --- download (cached, hash-checked) ---------------------------------
    mkdir -p "$ODP_CACHE"
    local tarball="$ODP_CACHE/$file"
    if [ -f "$tarball" ] && echo "$sha  $tarball" | sha256sum --quiet -c - 2>/dev/null; then
        info "using cached $file"
    else
        rm -f "$tarball" "$tarball.part"
        local tmp
        tmp="$(mktemp -d "$ODP_CACHE/dl.XXXXXX")"
        info "downloading rdma-core $ver source (apt-get source --download-only)"
        # It fetches each file on its own and fails as a whole when one of
        # them (typically the .dsc) is missing: keep the orig tarball if it
        # came (its hash is checked below).
        ( cd "$tmp" && apt-get source -q --download-only -o APT::Sandbox::User=root \
                "rdma-core=$ver" ) > "$tmp/log" 2>&1 || true
        if [ -f "$tmp/$file" ] && echo "$sha  $tmp/$file" | sha256sum --quiet -c - 2>/dev/null; then
            mv "$tmp/$file" "$tarball.part"
        else
            info "apt-get source failed ($(tail -n1 "$tmp/log")); fetching the orig tarball alone"
            local mirror
            mirror="$(debian_mirror)" || die "cannot find the Debian mirror in the APT configuration"
            /usr/lib/apt/apt-helper download-file "$mirror/$dir/$file" "$tarball.part" "SHA256:$sha" \
                || die "download of $dir/$file failed"
        fi
        rm -rf "$tmp"
        echo "$sha  $tarball.part" | sha256sum --quiet -c - || die "SHA256 mismatch for $file"
        mv "$tarball.part" "$tarball"
    fi

    # --- unpack + provider link + snippets --------------------------------
    local want_stamp
    want_stamp="$(echo "tarball $file $sha"; current_inputs)"
    if [ -f "$SRC_STAMP" ] && [ "$(cat "$SRC_STAMP")" = "$want_stamp" ] && [ -L "$SRC/providers/odp_hca" ]; then
        info "rdma-core source up to date ($ver)"
        return 0
    fi
    info "unpacking $file into ${SRC#"$ODP_ROOT"/}"
    rm -f "$SRC_STAMP"
    rm -rf "$SRC" "$SRC.tmp"
    mkdir -p "$SRC.tmp"
    tar -xf "$tarball" -C "$SRC.tmp" --strip-components=1 || die "cannot unpack $tarball"
    [ -f "$SRC.tmp/CMakeLists.txt" ] && [ -d "$SRC.tmp/providers" ] || die "unexpected tarball layout"
    for p in "${SNIPPETS[@]}"; do
        [ -f "$p" ] || continue
        info "applying ${p#"$ODP_ROOT"/}"
        patch -d "$SRC.tmp" -p1 --forward --batch --no-backup-if-mismatch -s < "$p" \
            || die "patch ${p#"$ODP_ROOT"/} does not apply to rdma-core $ver"
    done
    # Relative link: providers/odp_hca -> <repo>/guest-driver/provider.
    ln -s ../../../guest-driver/provider "$SRC.tmp/providers/odp_hca"
    mv "$SRC.tmp" "$SRC"
    [ -f "$SRC/providers/odp_hca/CMakeLists.txt" ] || die "providers/odp_hca does not reach guest-driver/provider"
    echo "$want_stamp" > "$SRC_STAMP"
    # A new source tree needs a new configure.
    rm -f "$CFG_STAMP"
}

if [ -z "${ODP_RDMA_CORE_REFRESH:-}" ] && [ -f "$SRC_STAMP" ] && [ -L "$SRC/providers/odp_hca" ] &&
   [ "$(tail -n +2 "$SRC_STAMP")" = "$(current_inputs)" ]; then
    info "rdma-core source up to date ($(head -n1 "$SRC_STAMP" | cut -d' ' -f2))"
else
    fetch_and_unpack
fi

# --- configure ---------------------------------------------------------------
OPTS=(
    -GNinja
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
    -DIN_PLACE=1
    -DENABLE_STATIC=0
    -DNO_PYVERBS="${ODP_RDMA_CORE_NO_PYVERBS:-0}"
    # Debian's python3, which has Debian's cython3 (a pyenv or venv python3
    # earlier on PATH would not)
    -DPYTHON_EXECUTABLE=/usr/bin/python3
    -DCMAKE_C_COMPILER_LAUNCHER=ccache
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
)
# Man pages need pandoc (or prebuilt pages); skip them when it is missing.
command -v pandoc >/dev/null || OPTS+=(-DNO_MAN_PAGES=1)
command -v ccache >/dev/null || die "ccache not found; run 'make setup'"

want_cfg="$(printf '%s\n' "${OPTS[@]}"; cat "$SRC_STAMP")"
if [ ! -f "$CFG_STAMP" ] || [ "$(cat "$CFG_STAMP")" != "$want_cfg" ] || [ ! -f "$BLD/build.ninja" ]; then
    info "configuring rdma-core in ${BLD#"$ODP_ROOT"/}"
    rm -rf "$BLD"
    mkdir -p "$BLD"
    ( cd "$BLD" && cmake "${OPTS[@]}" "$SRC" ) > "$LOGS-configure.log" 2>&1 || {
        tail -n 40 "$LOGS-configure.log" >&2
        die "rdma-core cmake failed; full log: ${LOGS#"$ODP_ROOT"/}-configure.log"
    }
    echo "$want_cfg" > "$CFG_STAMP"
fi

# --- build -------------------------------------------------------------------
# The full ninja output goes to build/rdma-core-<series>-build.log.
start=$SECONDS
blog="$LOGS-build.log"
# shellcheck disable=SC2086
if ! ninja -C "$BLD" ${NINJA_FLAGS:-} > "$blog" 2>&1; then
    grep -E -B3 -A12 'error|FAILED' "$blog" | tail -n 60 >&2
    die "rdma-core build failed; full log: ${blog#"$ODP_ROOT"/}"
fi
grep -E -A6 'warning:' "$blog" | grep -E -A6 'providers/odp_hca' | head -n 40 >&2 || true
compgen -G "$BLD/lib/libodp_hca-rdmav*.so" >/dev/null || die "the build produced no libodp_hca provider"
[ -f "$BLD/etc/libibverbs.d/odp_hca.driver" ] || die "no etc/libibverbs.d/odp_hca.driver in the build"
n="$(grep -c '^\[' "$blog" || true)"
info "rdma-core $SERIES in ${BLD#"$ODP_ROOT"/}: $n build steps in $((SECONDS - start)) s (log: ${blog#"$ODP_ROOT"/})"
