#!/usr/bin/env bash
# Build a tiny busybox initramfs (gzip'd newc cpio) for `make run`.
# Its /init mounts proc/sys/dev, prints the guest's PCI devices with busybox
# lspci and powers off.  With "odp.kvmprobe" on the kernel command line it
# only prints ODP-KVM-PROBE-OK and powers off (used to test whether KVM works).
# Usage: mkinitramfs.sh <output.cpio.gz>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT="${1:?usage: mkinitramfs.sh <output.cpio.gz>}"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing; run 'make setup' (package busybox-static)"
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not static; install busybox-static"
command -v cpio >/dev/null || die "cpio missing; run 'make setup'"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"

# Debian's busybox has no lspci applet: take the host's pciutils lspci with
# the shared libraries it needs (and pci.ids for names).  Without it, /init
# falls back to listing /sys/bus/pci/devices.
copy_with_libs() {
    local bin="$1" lib
    install -D -m 0755 "$bin" "$root/usr/bin/${bin##*/}"
    ldd "$bin" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }' | while read -r lib; do
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done
}
if [ -x /usr/bin/lspci ]; then
    copy_with_libs /usr/bin/lspci
    [ -f /usr/share/misc/pci.ids ] && install -D -m 0644 /usr/share/misc/pci.ids "$root/usr/share/misc/pci.ids"
else
    info "no /usr/bin/lspci (pciutils): the guest lists PCI devices from sysfs"
fi

cat > "$root/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
if grep -qw odp.kvmprobe /proc/cmdline; then
    echo ODP-KVM-PROBE-OK
    poweroff -f
fi
echo "odp-hca initramfs: kernel $(uname -r)"
echo "--- lspci -nn ---"
if ! /usr/bin/lspci -nn 2>/dev/null; then
    for d in /sys/bus/pci/devices/*; do
        c=$(cat $d/class); v=$(cat $d/vendor); i=$(cat $d/device); r=$(cat $d/revision)
        c=${c#0x}
        echo "${d##*/} [${c%??}]: [${v#0x}:${i#0x}] (rev ${r#0x})"
    done
fi
echo "--- end lspci ---"
poweroff -f
EOI
chmod 0755 "$root/init"

mkdir -p "$(dirname "$OUT")"
( cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet ) \
    | gzip -9 -n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
info "initramfs ${OUT#"$ODP_ROOT"/} ($(du -k "$OUT" | cut -f1) KiB)"
