#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# A peer that dies mid-connection (make check-wire2-kill): runs on the
# host, boots two guests (build/wire2-kill/a and b), each running
# guest-driver/tests/peerkill-guest.sh, joined through
# guest-driver/tests/peerkill-relay.py (each QEMU's `-netdev stream`
# connects to it over a unix socket).  Guest a is the survivor (odp-hca
# unless PEERKILL_A=rxe), guest b the peer (Soft-RoCE unless
# PEERKILL_B=odp).  Between them an rping runs without end (a the client)
# and NVMe over RDMA moves data (fio, a the host when its device can).
# Guest a first takes its own link down and up again under both, and
# checks that both carry on; then it asks for the kill (cut-now in its
# out share).  The relay cuts the cable at a's next rping SEND to b and
# this script quits b's QEMU over QMP (no shutdown: its port just goes
# silent).  Guest a must then report the lost peer (rping: retry
# exceeded; the NVMe host starts error recovery and `nvme disconnect`
# ends it, or the NVMe target's keep-alive expires and it is torn down),
# unload its driver and keep dmesg clean.
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
relay_pid=

mkdir -p "$W/a/out" "$W/b/out"
# The initramfs of the guest kernel series (make vm-initramfs; vm.sh
# looks for it by that name).
initrd="initramfs-$(source scripts/lib.sh && odp_kernel_check && echo "$ODP_KERNEL_SERIES").cpio.gz" || exit 1
[ -f "build/vm/$initrd" ] || { echo "Bail out! no build/vm/$initrd (make vm-initramfs)"; exit 1; }
for g in a b; do
    ln -sf "../../vm/$initrd" "$W/$g/$initrd"
done
rm -f "$W/a.sock" "$W/b.sock" "$W/arm" "$W/arm.tmp" "$W/cut" "$W/a/out/cut-now" "$W/b/out/ready" "$W/b/out/rping-qpn"

guest() { # <a|b> <mac> <netdev options> <odp|rxe>
    local dev="odp-hca,id=hca0,netdev=p0,mac=$2"

    [ "$4" = rxe ] && dev="virtio-net-pci,netdev=p0,mac=$2,romfile="
    VM_DIR="$W/$1" VM_QUIET=1 VM_TIMEOUT="$TMO" VM_DEVICE="$dev" VM_EXTRA="-netdev $3" \
        scripts/vm.sh -c "PEERKILL_ROLE=$1 PEERKILL_MAC=$2 PEERKILL_KIND=$4 guest-driver/tests/peerkill-guest.sh" \
        > "$W/$1.log" 2>&1
}

echo "TAP version 13"
t0="$(date +%s)"
/usr/bin/python3 guest-driver/tests/peerkill-relay.py "$W/a.sock" "$W/b.sock" "$W/arm" "$W/cut" \
    2> "$W/relay.log" &
relay_pid=$!
trap 'kill "$relay_pid" 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    [ -S "$W/a.sock" ] && [ -S "$W/b.sock" ] && break
    sleep 0.1
done
guest a "$MAC_A" "stream,id=p0,server=off,reconnect-ms=1000,addr.type=unix,addr.path=$W/a.sock" "$A_KIND" &
pa=$!
guest b "$MAC_B" "stream,id=p0,server=off,reconnect-ms=1000,addr.type=unix,addr.path=$W/b.sock" "$B_KIND" &
pb=$!

# Guest a asks for the kill (cut-now) once rping and the NVMe I/O have
# come through its link flap; guest b has left its rping QPN.  The relay
# cuts at a's next rping SEND, then b's QEMU goes.
killed= cut=
for _ in $(seq 1 $((TMO * 2))); do
    [ -e "$W/a/out/cut-now" ] && [ -s "$W/b/out/rping-qpn" ] && break
    kill -0 "$pa" 2>/dev/null && kill -0 "$pb" 2>/dev/null || break
    sleep 0.5
done
if [ -e "$W/a/out/cut-now" ] && [ -s "$W/b/out/rping-qpn" ]; then
    # renamed into place: the relay polls for the file and must never
    # see it created but not yet written
    cp "$W/b/out/rping-qpn" "$W/arm.tmp" && mv "$W/arm.tmp" "$W/arm"
    for _ in $(seq 1 600); do
        [ -e "$W/cut" ] && break
        sleep 0.1
    done
    cut="$(cat "$W/cut" 2>/dev/null)"
    # b goes even without a cut, so that the run ends (and fails below)
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
        if [ -n "$cut" ] && [ -n "$killed" ] && [ "$rb" != 0 ] && ! grep -aq "ODP-VM-EXIT=" "$W/b.log"; then
            echo "ok $T - host: the cable cut at a's rping request ($cut) and guest b's QEMU killed (QMP quit) $killed s after the start, in the middle of rping and the NVMe I/O"
        else
            FAILED=$((FAILED + 1))
            echo "not ok $T - host: the cable cut at a's rping request and guest b's QEMU killed (cut: ${cut:-no}, killed: ${killed:-no}, b exit $rb; console in $W/b.log)"
            sed 's/^/# relay: /' "$W/relay.log"
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
