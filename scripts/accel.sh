#!/usr/bin/env bash
# Print the -accel options for booting a guest: "-accel kvm -accel tcg" when
# KVM really runs a guest on this machine, else "-accel tcg".  /dev/kvm can
# exist and still fail to run a guest (no nested virtualisation), so the
# probe boots the kernel + initramfs once under KVM; the answer is cached.
# Usage: accel.sh <qemu-binary> <kernel> <initramfs> <cache-file>
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

qemu="${1:?usage}"; kernel="${2:?usage}"; initrd="${3:?usage}"; cache="${4:?usage}"

if [ -f "$cache" ]; then
    cat "$cache"
    exit 0
fi

answer="-accel tcg"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    timeout -k 5 60 "$qemu" -accel kvm -machine q35 -nodefaults -m 256M \
        -display none -serial stdio -no-reboot \
        -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 odp.kvmprobe" < /dev/null > "$log" 2>&1 &
    pid=$!
    # A failing KVM usually stops at once ("KVM internal error" and a paused
    # VM): decide as soon as the output tells, not at the timeout.
    while kill -0 "$pid" 2>/dev/null; do
        grep -qE 'ODP-KVM-PROBE-OK|KVM internal error|failed to initialize kvm|Could not access KVM' "$log" && break
        sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    out="$(cat "$log")"
    if grep -q ODP-KVM-PROBE-OK <<< "$out"; then
        answer="-accel kvm -accel tcg"
    else
        info "KVM present but did not run a guest; using TCG ($(grep -m1 -iE 'kvm|error' <<< "$out" || echo 'no output'))"
    fi
else
    info "no usable /dev/kvm; using TCG"
fi
mkdir -p "$(dirname "$cache")"
echo "$answer" > "$cache"
echo "$answer"
