#!/usr/bin/env bash
# Configure QEMU (build/qemu-src) for odp-hca in build/qemu-build.
# Runs configure only when the options or the unpacked source (tarball +
# configure-snippets) changed; otherwise it does nothing.  ccache is used
# when it is on PATH (meson picks it up by itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$ODP_BUILD/qemu-src"
BLD="$ODP_BUILD/qemu-build"
STAMP="$ODP_BUILD/qemu-build.stamp"

# Keep in sync with the Makefile's QEMU_DATADIR (qemu-bundle/<prefix>/share/qemu).
# Debian's python3: meson and pycotap come from its packages (a pyenv or
# venv python3 earlier on PATH would not see them).
OPTS=(
    --python=/usr/bin/python3
    --prefix=/usr/local
    --target-list=x86_64-softmmu
    --without-default-features
    --enable-tcg
    --enable-kvm
    --enable-slirp
    --enable-fdt=system
    --enable-pixman
    --enable-attr
    --enable-virtfs
    --disable-docs
    --disable-rust
    --disable-download
    --disable-install-blobs
)
# QEMU's configure names the compiler explicitly, so meson does not add
# ccache by itself: use Debian's ccache masquerade links instead.
if [ -x /usr/lib/ccache/cc ] && [ -x /usr/lib/ccache/c++ ]; then
    OPTS+=(--cc=/usr/lib/ccache/cc --cxx=/usr/lib/ccache/c++)
fi
# Extra options for experiments, e.g. ODP_QEMU_EXTRA_CONFIGURE="--enable-debug".
read -ra extra <<< "${ODP_QEMU_EXTRA_CONFIGURE:-}"
OPTS+=("${extra[@]}")

[ -f "$ODP_BUILD/qemu-src.stamp" ] && [ -x "$SRC/configure" ] || die "no QEMU source in $SRC; run scripts/fetch-qemu.sh (make src)"
command -v ccache >/dev/null && [ -x /usr/lib/ccache/cc ] || die "ccache not found; run 'make setup'"

want_stamp="$(printf '%s\n' "${OPTS[@]}"; cat "$ODP_BUILD/qemu-src.stamp"; sha256sum "${BASH_SOURCE[0]}" | sed "s|$ODP_ROOT/||")"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] && [ -f "$BLD/build.ninja" ]; then
    info "QEMU build directory up to date ($BLD)"
    exit 0
fi

info "configuring QEMU in $BLD"
rm -f "$STAMP"
rm -rf "$BLD"
mkdir -p "$BLD"
start=$SECONDS
( cd "$BLD" && "$SRC/configure" "${OPTS[@]}" ) > "$ODP_BUILD/qemu-configure.log" 2>&1 || {
    tail -n 40 "$ODP_BUILD/qemu-configure.log" >&2
    die "QEMU configure failed; full log: build/qemu-configure.log"
}
grep -q '^ command = /usr/lib/ccache/cc ' "$BLD/build.ninja" || die "the build does not compile through ccache (see build.ninja)"
echo "$want_stamp" > "$STAMP"
info "configured in $((SECONDS - start)) s"
