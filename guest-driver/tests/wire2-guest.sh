#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# One side of the two-guest wire test (guest-driver/tests/check-wire2.sh
# boots both guests): runs inside a guest of scripts/vm.sh -c, prints
# "ok - ..." / "not ok - ..." lines that the host numbers into one TAP
# stream.  Guest a is 10.0.0.1 and receives; guest b is 10.0.0.2 and
# sends.  Both: the odp-hca interface (by MAC) up with its carrier, the
# peer reachable, ping -c 5 with 0% loss, the RoCE GID of the address;
# then b sends WIRE2_BLOB (a file of the host's, read over 9p by both)
# over TCP and a checks its SHA-256 against the file's.
# Environment: WIRE2_ROLE (a|b), WIRE2_MAC (this guest's port), WIRE2_BLOB.
set -u

ROLE="${WIRE2_ROLE:?}"
MAC="${WIRE2_MAC:?}"
BLOB="${WIRE2_BLOB:?}"
if [ "$ROLE" = a ]; then ME=10.0.0.1 PEER=10.0.0.2 GID4=0a00:0001
else ME=10.0.0.2 PEER=10.0.0.1 GID4=0a00:0002; fi
LOG=/tmp/wire2
mkdir -p "$LOG"

. "$(dirname "${BASH_SOURCE[0]}")/guest-tap.sh"
wait_for() {
    local n=$(($1 * 10))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# A Soft-RoCE guest's port is virtio-net: nothing loads its driver for us.
[ "${WIRE2_KIND:-odp}" = rxe ] && modprobe virtio_net 2>/dev/null && sleep 1
IF=
for n in /sys/class/net/*; do
    [ "$(cat "$n/address" 2>/dev/null)" = "$MAC" ] && IF="${n##*/}"
done
if [ -z "$IF" ]; then
    not_ok "an odp-hca interface with MAC $MAC"
    ip -br link | sed 's/^/# /'
    exit 1
fi
IB="$(ls "/sys/class/net/$IF/device/infiniband/" 2>/dev/null | head -n1)"
[ "${WIRE2_KIND:-odp}" = rxe ] && IB=rxe0
ip addr add "$ME/24" dev "$IF"
ip link set "$IF" up
if wait_for 10 sh -c "[ \"\$(cat /sys/class/net/$IF/operstate)\" = up ]"; then
    ok "$IF ($IB) up with its carrier, $ME/24"
else
    not_ok "$IF ($IB) up with its carrier"
    ip -br link | sed 's/^/# /'
fi

# The other guest boots at its own pace: wait for it, up to 3 minutes.
if wait_for 180 busybox ping -c 1 -W 1 "$PEER"; then
    ok "the other guest answers at $PEER"
else
    not_ok "the other guest answers at $PEER"
fi
busybox ping -c 5 -W 5 "$PEER" > "$LOG/ping" 2>&1
if grep -q "5 packets transmitted, 5 packets received, 0% packet loss" "$LOG/ping"; then
    ok "ping -c 5 $PEER across the unix-socket link: 0% loss"
else
    not_ok "ping -c 5 $PEER across the unix-socket link: 0% loss"
    show "$LOG/ping"
fi
g="0000:0000:0000:0000:0000:ffff:$GID4"
if [ "${WIRE2_KIND:-odp}" = rxe ]; then
    :   # rxe0 is made below, once the link is up
elif [ -n "$IB" ] && wait_for 10 sh -c "grep -lx '$g' /sys/class/infiniband/$IB/ports/1/gids/*"; then
    ok "$IB GID table holds ::ffff:$ME"
else
    not_ok "$IB GID table holds ::ffff:$ME"
fi

want="$(sha256sum < "$BLOB" | cut -d' ' -f1)"
size="$(stat -c %s "$BLOB")"
if [ "$ROLE" = a ]; then
    have="$(timeout 300 socat -u "TCP-LISTEN:5201,bind=$ME,reuseaddr" - | sha256sum | cut -d' ' -f1)"
    if [ "$have" = "$want" ]; then
        ok "TCP: $size bytes from the other guest, SHA-256 equal to the file's"
    else
        not_ok "TCP: $size bytes from the other guest, SHA-256 equal to the file's ($have, want $want)"
    fi
else
    sent=
    for _ in $(seq 1 60); do
        if timeout 300 socat -u "FILE:$BLOB" "TCP:$PEER:5201" 2> "$LOG/socat"; then
            sent=1
            break
        fi
        sleep 1
    done
    if [ -n "$sent" ]; then
        ok "TCP: $size bytes sent to the other guest"
    else
        not_ok "TCP: $size bytes sent to the other guest"
        show "$LOG/socat"
    fi
fi
# RDMA over the wire: the same runs in both guests (wire2-rdma.sh).
KIND="${WIRE2_KIND:-odp}"
PEER_KIND="${WIRE2_PEER_KIND:-odp}"
if [ "$KIND" = rxe ]; then
    modprobe rdma_rxe 2> "$LOG/rxe" &&
        rdma link add rxe0 type rxe netdev "$IF" 2>> "$LOG/rxe"
    IB=rxe0
    if [ -d /sys/class/infiniband/rxe0 ]; then
        ok "Soft-RoCE rxe0 on $IF"
    else
        not_ok "Soft-RoCE rxe0 on $IF"
        show "$LOG/rxe"
    fi
fi
WIRE2_IMPAIRED="${WIRE2_IMPAIRED:-}" WIRE2_IB="$IB" WIRE2_ME="$ME" WIRE2_PEER="$PEER" WIRE2_ME_KIND="$KIND" \
    WIRE2_PEER_KIND="$PEER_KIND" \
    "$(dirname "${BASH_SOURCE[0]}")/wire2-rdma.sh" || FAILED=$((FAILED + 1))
# rdma_cm's tools, perftest -R and NVMe over RDMA (wire2-cm.sh).
WIRE2_ROLE="$ROLE" WIRE2_IB="$IB" WIRE2_ME="$ME" WIRE2_PEER="$PEER" WIRE2_ME_KIND="$KIND" \
    WIRE2_PEER_KIND="$PEER_KIND" WIRE2_BLOB="$BLOB" \
    "$(dirname "${BASH_SOURCE[0]}")/wire2-cm.sh" || FAILED=$((FAILED + 1))
# The stall policy's deadlock: a fault that needs NVMe reads through the
# stalled port (wire2-deadlock.sh); two odp-hca guests on a clean link.
if [ "$KIND" = odp ] && [ "$PEER_KIND" = odp ] && [ -z "${WIRE2_IMPAIRED:-}" ]; then
    WIRE2_ROLE="$ROLE" WIRE2_IB="$IB" WIRE2_ME="$ME" WIRE2_PEER="$PEER" \
        "$(dirname "${BASH_SOURCE[0]}")/wire2-deadlock.sh" || FAILED=$((FAILED + 1))
fi

echo "# $IF: $(cat /sys/class/net/"$IF"/statistics/tx_packets) tx / $(cat /sys/class/net/"$IF"/statistics/rx_packets) rx packets, $(cat /sys/class/net/"$IF"/statistics/rx_errors) rx errors"

if dmesg | grep -E "WARNING:|BUG:|Oops|general protection|circular locking|possible recursive locking|INFO: task .* blocked|UBSAN" > "$LOG/dmesg"; then
    not_ok "dmesg: no warning, BUG or oops"
    show "$LOG/dmesg"
else
    ok "dmesg: no warning, BUG or oops"
fi
[ "$FAILED" = 0 ]
