#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# A peer that dies mid-connection (make check-wire2-kill): runs on the
# host, boots two guests joined by a unix-socket link as check-wire2.sh
# does (build/wire2-kill/a and b), each running
# guest-driver/tests/peerkill-guest.sh.  Guest a is the survivor (odp-hca
# unless PEERKILL_A=rxe), guest b the peer (Soft-RoCE unless
# PEERKILL_B=odp).  Between them an rping runs without end (a the client)
# and NVMe over RDMA moves data (fio); once both run, guest b says so
# through its out share and this script kills b's QEMU (QMP "quit": the
# guest gets no shutdown, its port just goes silent).  Guest a must then
# report the lost peer (rping exits with an error or DISCONNECT; the nvme
# host starts error recovery and `nvme disconnect` ends it, or the nvme
# target's keep-alive timer expires and it is torn down) and unload its
# driver with dmesg clean.
# Environment: QEMU, PEERKILL_A, PEERKILL_B (odp or rxe),
# PEERKILL_DIR (build/wire2-kill), PEERKILL_TIMEOUT (seconds a guest may
# run, 600).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

A_KIND="${PEERKILL_A:-odp}"
B_KIND="${PEERKILL_B:-rxe}"
W="${PEERKILL_DIR:-build/wire2-kill}"
TMO="${PEERKILL_TIMEOUT:-600}"
MAC_A=52:54:00:0d:02:01
MAC_B=52:54:00:0d:02:02
sock="$W/link.sock"

mkdir -p "$W/a/out" "$W/b/out"
[ -f build/vm/initramfs.cpio.gz ] || { echo "Bail out! no build/vm/initramfs.cpio.gz (make vm-initramfs)"; exit 1; }
for g in a b; do
    ln -sf ../../vm/initramfs.cpio.gz "$W/$g/initramfs.cpio.gz"
done
rm -f "$sock" "$W/b/out/kill-me"

guest() { # <a|b> <mac> <netdev options> <odp|rxe>
    local dev="odp-hca,id=hca0,netdev=p0,mac=$2"

    [ "$4" = rxe ] && dev="virtio-net-pci,netdev=p0,mac=$2,romfile="
    VM_DIR="$W/$1" VM_QUIET=1 VM_TIMEOUT="$TMO" VM_DEVICE="$dev" VM_EXTRA="-netdev $3" \
        scripts/vm.sh -c "PEERKILL_ROLE=$1 PEERKILL_MAC=$2 PEERKILL_KIND=$4 guest-driver/tests/peerkill-guest.sh" \
        > "$W/$1.log" 2>&1
}

echo "TAP version 13"
t0="$(date +%s)"
guest a "$MAC_A" "stream,id=p0,server=on,addr.type=unix,addr.path=$sock" "$A_KIND" &
pa=$!
for _ in $(seq 1 300); do
    [ -S "$sock" ] && break
    sleep 0.1
done
guest b "$MAC_B" "stream,id=p0,server=off,reconnect-ms=1000,addr.type=unix,addr.path=$sock" "$B_KIND" &
pb=$!

# Guest b drops kill-me into its out share once rping and the NVMe I/O
# run; a few seconds later its QEMU goes.
killed=
for _ in $(seq 1 $((TMO * 2))); do
    [ -e "$W/b/out/kill-me" ] && break
    kill -0 "$pb" 2>/dev/null || break
    sleep 0.5
done
if [ -e "$W/b/out/kill-me" ]; then
    sleep 3
    if /usr/bin/python3 scripts/monitor.py qmp "$W/b/qmp.sock" quit > "$W/kill.log" 2>&1 ||
       ! kill -0 "$pb" 2>/dev/null; then
        killed="$(($(date +%s) - t0))"
    fi
fi
wait "$pb"; rb=$?
wait "$pa"; ra=$?

T=0
FAILED=0
for g in b a; do
    while IFS= read -r line; do
        line="${line%$'\r'}"
        case "$line" in
            "ok - "*) T=$((T + 1)); echo "ok $T - ${line#ok - }" ;;
            "not ok - "*) T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - ${line#not ok - }" ;;
            "# "*) echo "$line" ;;
        esac
    done < "$W/$g.log"
    if [ "$g" = b ]; then
        T=$((T + 1))
        if [ -n "$killed" ] && [ "$rb" != 0 ] && ! grep -aq "ODP-VM-EXIT=" "$W/b.log"; then
            echo "ok $T - host: guest b's QEMU killed (QMP quit) $killed s after the start, in the middle of rping and the NVMe I/O"
        else
            FAILED=$((FAILED + 1))
            echo "not ok $T - host: guest b's QEMU killed in the middle of the runs (killed: ${killed:-no}, b exit $rb; console in $W/b.log)"
            cat "$W/kill.log" 2>/dev/null | sed 's/^/# /'
        fi
    fi
done
T=$((T + 1))
if [ "$ra" = 0 ]; then
    echo "ok $T - guest a (the survivor) ran to the end (exit 0), $(($(date +%s) - t0)) s in all"
else
    FAILED=$((FAILED + 1))
    echo "not ok $T - guest a (the survivor) ran to the end (exit $ra; console in $W/a.log)"
fi
echo "1..$T"
[ "$FAILED" = 0 ]
