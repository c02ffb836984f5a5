#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# Two guests joined by a wire (make check-wire2): runs on the host, boots
# two guests of scripts/vm.sh at once, each with its own directory
# (build/wire2/a and build/wire2/b: "out" share, console log, QMP and HMP
# sockets) and one odp-hca device, their ports joined by a QEMU stream
# netdev over a unix-domain socket (build/wire2/link.sock: the traffic
# stays on this machine).  Guest a listens on the socket, guest b connects.
# Each runs guest-driver/tests/wire2-guest.sh; their lines become one TAP
# stream here.
# With WIRE2_PEER=rxe guest b has no odp-hca: its port is a virtio-net
# NIC on the same link with Soft-RoCE (rdma_rxe) on it, and the RDMA runs
# are odp-hca against Soft-RoCE, both directions.  WIRE2_A=rxe makes
# guest a Soft-RoCE too: Soft-RoCE against Soft-RoCE on the same kind of
# link, for comparing figures (not part of make check).
# Environment: QEMU, WIRE2_BYTES (the TCP transfer, 4 MiB), WIRE2_TIMEOUT
# (seconds a guest may run, 900), WIRE2_PEER (odp or rxe), WIRE2_DIR
# (build/wire2), WIRE2_ONLY (see wire2-rdma.sh), WIRE2_TRACE (a file of
# QEMU trace event patterns: each guest's QEMU traces them to $W/a.trace
# and $W/b.trace).
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2

PEER_KIND="${WIRE2_PEER:-odp}"
IMPAIR="${WIRE2_IMPAIR:-}"
A_KIND="${WIRE2_A:-odp}"
TRACE="${WIRE2_TRACE:-}"
W="${WIRE2_DIR:-build/wire2}"
BYTES="${WIRE2_BYTES:-4194304}"
TMO="${WIRE2_TIMEOUT:-900}"
MAC_A=52:54:00:0d:01:01
MAC_B=52:54:00:0d:01:02
sock="$W/link.sock"

mkdir -p "$W/a" "$W/b"
# The initramfs of the guest kernel series (make vm-initramfs; vm.sh
# looks for it by that name).
initrd="initramfs-$(source scripts/lib.sh && odp_kernel_check && echo "$ODP_KERNEL_SERIES").cpio.gz" || exit 1
[ -f "build/vm/$initrd" ] || { echo "Bail out! no build/vm/$initrd (make vm-initramfs)"; exit 1; }
for g in a b; do
    ln -sf "../../vm/$initrd" "$W/$g/$initrd"
done
rm -f "$sock"
head -c "$BYTES" /dev/urandom > "$W/blob"

guest() { # <a|b> <mac> <netdev options> <odp|rxe> <peer: odp|rxe>
    local dev="odp-hca,id=hca0,netdev=p0,mac=$2"

    [ "$4" = rxe ] && dev="virtio-net-pci,netdev=p0,mac=$2,romfile="
    VM_DIR="$W/$1" VM_QUIET=1 VM_TIMEOUT="$TMO" \
    VM_DEVICE="$dev" VM_EXTRA="-netdev $3${TRACE:+ -trace events=$TRACE,file=$W/$1.trace}" \
        scripts/vm.sh -c "WIRE2_ROLE=$1 WIRE2_MAC=$2 WIRE2_BLOB=$W/blob WIRE2_KIND=$4 WIRE2_PEER_KIND=$5 WIRE2_IMPAIRED=${IMPAIR:+1} WIRE2_ONLY='${WIRE2_ONLY:-}' guest-driver/tests/wire2-guest.sh" \
        > "$W/$1.log" 2>&1
}

# With WIRE2_IMPAIR (odp-hca-set-link-impairment's arguments as JSON
# members, e.g. '"loss": 10000, "reorder": 10000'), each odp-hca guest's
# port impairs the RoCEv2 frames it sends, from boot on (ping and TCP
# are not touched).
impair() { # <a|b>
    local i

    for i in $(seq 1 300); do
        [ -S "$W/$1/qmp.sock" ] && break
        sleep 0.1
    done
    /usr/bin/python3 scripts/monitor.py qmp "$W/$1/qmp.sock" \
        odp-hca-set-link-impairment "{\"id\": \"hca0\", $IMPAIR}" \
        > "$W/$1.impair" 2>&1 || echo "# guest $1: impairment not set: $(cat "$W/$1.impair")"
}

echo "TAP version 13"
guest a "$MAC_A" "stream,id=p0,server=on,addr.type=unix,addr.path=$sock" "$A_KIND" "$PEER_KIND" &
pa=$!
[ -n "$IMPAIR" ] && [ "$A_KIND" = odp ] && impair a
# Guest b connects once a's QEMU listens.
for _ in $(seq 1 300); do
    [ -S "$sock" ] && break
    sleep 0.1
done
guest b "$MAC_B" "stream,id=p0,server=off,reconnect-ms=1000,addr.type=unix,addr.path=$sock" "$PEER_KIND" "$A_KIND" &
pb=$!
[ -n "$IMPAIR" ] && [ "$PEER_KIND" = odp ] && impair b
wait "$pa"; ra=$?
wait "$pb"; rb=$?

T=0
FAILED=0
for g in a b; do
    while IFS= read -r line; do
        line="${line%$'\r'}"
        case "$line" in
            "ok - "*) T=$((T + 1)); echo "ok $T - ${line#ok - }" ;;
            "not ok - "*) T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - ${line#not ok - }" ;;
            "# "*) echo "$line" ;;
        esac
    done < "$W/$g.log"
done
T=$((T + 1))
if [ "$ra" = 0 ] && [ "$rb" = 0 ]; then
    echo "ok $T - both guests ran to the end (exit 0)"
else
    FAILED=$((FAILED + 1))
    echo "not ok $T - both guests ran to the end (a: exit $ra, b: exit $rb; consoles in $W/a.log, $W/b.log)"
fi
echo "1..$T"
[ "$FAILED" = 0 ]
