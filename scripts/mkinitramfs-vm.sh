#!/usr/bin/env bash
# Build the initramfs of the guest harness (make vm): busybox, the 9p
# modules of the guest kernel (decompressed from the packaged .ko.xz, so
# busybox insmod can load them), and an /init that mounts the host's root
# file system read-only over virtio-9p (mount tag "root") and switches to
# it, handing over to scripts/in-guest/init.sh there.  As virtme-ng does: the
# guest runs the host's own user space.  The share is mounted cache=loose
# (half the boot time of cache=none): files the host changes while the
# guest runs may be seen late; odp.9pcache=none on the kernel command line
# (VM_APPEND) turns the cache off.
# Usage: mkinitramfs-vm.sh <output.cpio.gz> <unpacked-kernel-dir>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT="${1:?usage: mkinitramfs-vm.sh <output.cpio.gz> <kernel-dir>}"
KDIR="${2:?usage: mkinitramfs-vm.sh <output.cpio.gz> <kernel-dir>}"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing; run 'make setup' (package busybox-static)"
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not static; install busybox-static"
[ -f "$KDIR/VERSION" ] || die "no kernel in $KDIR; run scripts/fetch-kernel.sh"
kver="$(cat "$KDIR/VERSION")"
mdir="$KDIR/lib/modules/$kver"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

# In load order (9p needs netfs and 9pnet; 9pnet_virtio needs 9pnet).
MODS=(fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p)
for m in "${MODS[@]}"; do
    src="$mdir/kernel/$m.ko"
    if [ -f "$src.xz" ]; then
        xz -dc "$src.xz" > "$root/lib/modules/${m##*/}.ko"
    elif [ -f "$src" ]; then
        cp "$src" "$root/lib/modules/${m##*/}.ko"
    else
        # built in: nothing to load
        grep -q "kernel/$m.ko" "$mdir/modules.builtin" 2>/dev/null || die "no $m.ko in $mdir"
        continue
    fi
    echo "${m##*/}" >> "$root/lib/modules/order"
done

cat > "$root/init" <<'EOI'
#!/bin/sh
# odp-hca guest harness, stage 1: mount the host's root and switch to it.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
fail() {
    echo "odp-vm: $*" >&2
    echo "ODP-VM-EXIT=125"
    echo 1 > /proc/sys/kernel/sysrq
    echo o > /proc/sysrq-trigger
    poweroff -f
}
if grep -qw odp.kvmprobe /proc/cmdline; then
    echo ODP-KVM-PROBE-OK
    poweroff -f
fi
stage2=
cache=loose
for a in $(cat /proc/cmdline); do
    case "$a" in
        odp.init=*) stage2="${a#odp.init=}" ;;
        odp.9pcache=*) cache="${a#odp.9pcache=}" ;;
    esac
done
[ -n "$stage2" ] || fail "no odp.init= on the kernel command line"
while read -r m; do
    insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done < /lib/modules/order
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=$cache root /newroot \
    || fail "cannot mount the host root (9p tag 'root')"
[ -f "/newroot$stage2" ] || fail "$stage2 not found on the host root"
umount /proc /sys 2>/dev/null
umount /dev 2>/dev/null
exec switch_root /newroot /bin/bash "$stage2"
EOI
chmod 0755 "$root/init"

mkdir -p "$(dirname "$OUT")"
( cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet ) \
    | gzip -6 -n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
info "initramfs ${OUT#"$ODP_ROOT"/} ($(du -k "$OUT" | cut -f1) KiB, kernel $kver)"
