#!/usr/bin/env bash
# Configure QEMU (build/qemu-src-<series>, QEMU_SERIES) for odp-hca.
#   configure-qemu.sh               gcc build in build/qemu-build-<series>
#   configure-qemu.sh --sanitizers  clang-14 build with libFuzzer,
#                                   AddressSanitizer and UndefinedBehavior-
#                                   Sanitizer in build/qemu-fuzz-<series>: the same
#                                   options plus --enable-fuzzing
#                                   --enable-asan --enable-ubsan; it gives
#                                   qemu-fuzz-x86_64 and a sanitized
#                                   qemu-system-x86_64 for the qtests
# Runs configure only when the options or the unpacked source (tarball +
# configure-snippets) changed; otherwise it does nothing.  Both compile
# through ccache (Debian's masquerade links in /usr/lib/ccache).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

variant=plain
case "${1:-}" in
    "") ;;
    --sanitizers) variant=sanitizers ;;
    *) die "usage: configure-qemu.sh [--sanitizers]" ;;
esac

SRC="$ODP_QEMU_SRC"
if [ "$variant" = plain ]; then
    BLD="$ODP_QEMU_BUILD"
else
    BLD="$ODP_QEMU_FUZZ"
fi
STAMP="$BLD.stamp"
LOG="$BLD-configure.log"

# Keep in sync with the Makefile's QEMU_DATADIR and FUZZ_DATADIR
# (qemu-bundle/<prefix>/share/qemu).
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
if [ "$variant" = plain ]; then
    CC=/usr/lib/ccache/cc
    if [ -x /usr/lib/ccache/cc ] && [ -x /usr/lib/ccache/c++ ]; then
        OPTS+=(--cc=/usr/lib/ccache/cc --cxx=/usr/lib/ccache/c++)
    fi
else
    # Debian's clang 14 with libclang-rt-14-dev (libFuzzer, ASan, UBSan).
    # UBSan reports are fatal (no recovery), like ASan's; frame pointers
    # keep the sanitizers' stack traces whole.
    CC=/usr/lib/ccache/clang-14
    command -v clang-14 >/dev/null || die "clang-14 not found; run 'make setup'"
    [ -x /usr/lib/ccache/clang-14 ] && [ -x /usr/lib/ccache/clang++-14 ] ||
        die "no ccache link for clang-14 in /usr/lib/ccache; run 'make setup'"
    OPTS+=(
        --cc=/usr/lib/ccache/clang-14
        --cxx=/usr/lib/ccache/clang++-14
        --enable-fuzzing
        --enable-asan
        --enable-ubsan
        "--extra-cflags=-fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    )
fi
# Extra options for experiments, e.g. ODP_QEMU_EXTRA_CONFIGURE="--enable-debug".
read -ra extra <<< "${ODP_QEMU_EXTRA_CONFIGURE:-}"
OPTS+=("${extra[@]}")

[ -f "$SRC.stamp" ] && [ -x "$SRC/configure" ] || die "no QEMU source in $SRC; run scripts/fetch-qemu.sh (make src)"
command -v ccache >/dev/null && [ -x /usr/lib/ccache/cc ] || die "ccache not found; run 'make setup'"

want_stamp="$(printf '%s\n' "${OPTS[@]}"; cat "$SRC.stamp"; sha256sum "${BASH_SOURCE[0]}" | sed "s|$ODP_ROOT/||")"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp" ] && [ -f "$BLD/build.ninja" ]; then
    info "QEMU build directory up to date (${BLD#"$ODP_ROOT"/})"
    exit 0
fi

info "configuring QEMU in ${BLD#"$ODP_ROOT"/}"
rm -f "$STAMP"
rm -rf "$BLD"
mkdir -p "$BLD"
start=$SECONDS
( cd "$BLD" && "$SRC/configure" "${OPTS[@]}" ) > "$LOG" 2>&1 || {
    tail -n 40 "$LOG" >&2
    die "QEMU configure failed; full log: ${LOG#"$ODP_ROOT"/}"
}
grep -q "^ command = $CC " "$BLD/build.ninja" || die "the build does not compile through ccache (see build.ninja)"
echo "$want_stamp" > "$STAMP"
info "configured in $((SECONDS - start)) s"
