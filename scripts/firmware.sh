#!/usr/bin/env bash
# Put the firmware q35 needs where the built QEMU finds it without -L: the
# build's qemu-bundle data directory (QTEST_QEMU_BINARY cannot carry -L).
#  - SeaBIOS (bios-256k.bin, vgabios-*.bin) from Debian's seabios package;
#  - the x86 option ROMs (linuxboot_dma.bin, kvmvapic.bin, ...) built with
#    the host gcc from the tree's pc-bios/optionrom (Debian's +ds source
#    drops the prebuilt blobs).
# Usage: firmware.sh <qemu-datadir>   (e.g. build/qemu-build-10.2/qemu-bundle/usr/local/share/qemu)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEST="${1:?usage: firmware.sh <qemu-datadir>}"
SRC="$ODP_QEMU_SRC"
OPTROM="$ODP_BUILD/optionrom-$ODP_QEMU_SERIES"
SEABIOS=/usr/share/seabios

[ -f "$SEABIOS/bios-256k.bin" ] || die "$SEABIOS/bios-256k.bin missing; run 'make setup' (package seabios)"
[ -f "$SRC/pc-bios/optionrom/Makefile" ] || die "no QEMU source in $SRC; run 'make src'"

mkdir -p "$OPTROM" "$DEST"
cat > "$OPTROM/config.mak.new" <<EOM
TOPSRC_DIR=$SRC
CC=gcc
OBJCOPY=objcopy
PYTHON=python3
EOM
if cmp -s "$OPTROM/config.mak.new" "$OPTROM/config.mak"; then
    rm -f "$OPTROM/config.mak.new"
else
    mv "$OPTROM/config.mak.new" "$OPTROM/config.mak"
fi

ROMS=(linuxboot.bin linuxboot_dma.bin multiboot.bin multiboot_dma.bin kvmvapic.bin pvh.bin)
make -s -C "$OPTROM" -f "$SRC/pc-bios/optionrom/Makefile" "${ROMS[@]}" \
    > "$OPTROM/build.log" 2>&1 || { cat "$OPTROM/build.log" >&2; die "building the option ROMs failed"; }

# Copy (not link) when different, so the files survive a source re-unpack.
put() {
    cmp -s "$1" "$DEST/$(basename "$1")" || install -m 0644 "$1" "$DEST/"
}
for r in "${ROMS[@]}"; do put "$OPTROM/$r"; done
for f in "$SEABIOS"/bios-256k.bin "$SEABIOS"/bios.bin "$SEABIOS"/vgabios*.bin; do
    [ -f "$f" ] && put "$f"
done
info "firmware ready in ${DEST#"$ODP_ROOT"/}"
