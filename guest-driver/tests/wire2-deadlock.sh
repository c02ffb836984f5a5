#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The deadlock the 2008 thread predicted for an adapter that stalls its
# receive path on a page fault, built between the two guests of
# check-wire2.sh (run by wire2-guest.sh when both are odp-hca): a fault
# whose resolution needs traffic through the stalled port.
#
# Guest b serves an NVMe namespace over RDMA (nvmet-rdma); guest a
# connects to it with nvme-rdma through its odp-hca port, so that the
# namespace's reads come back as RDMA WRITEs and SENDs into that port.
# On a, study-rdma serves an on-demand MR mapped from the namespace's
# block device, its page cache dropped; b's study-rdma client WRITEs
# into it.  The first WRITE faults on a, and the kernel must read the
# page from the namespace to resolve the fault:
#
#  - responder-fault=rnr: a answers RNR NAK, its port keeps receiving,
#    the NVMe read completes, the fault is resolved and b's WRITEs all
#    complete;
#  - responder-fault=stall: the port holds the WRITE at the head of its
#    receive queue, the NVMe read's data and response queue behind it,
#    and the fault waits for a read that waits for the fault.  Nothing in
#    the device breaks the cycle: a timer outside it does.  nvme-rdma's
#    I/O timeout (set to 2 s here) fires, its error recovery cannot
#    reconnect through the stalled port, b's requester runs out of
#    retries (timeout 17, 0.54 s, retry_cnt 7: about 4 s), b's client
#    exits, a's server destroys its QP, and only then does the port move
#    on; nvme-rdma reconnects and the requeued read completes.
#
# Checked: on b, the flow's result under each policy; on a, the device's
# counters (faults, stalls, the stalled time) and dmesg (NVMe's timeout
# and error recovery under stall only, its reconnection, no oops).
# Prints "ok - ..." / "not ok - ..." lines for the host to number.
# Environment: as wire2-cm.sh (WIRE2_ROLE, WIRE2_IB, WIRE2_ME,
# WIRE2_PEER, WIRE2_ONLY).
set -u

ROLE="${WIRE2_ROLE:?}"
IB="${WIRE2_IB:?}"
ME="${WIRE2_ME:?}"
PEER="${WIRE2_PEER:?}"
LOG=/tmp/wire2-deadlock
mkdir -p "$LOG"
HERE="$(dirname "${BASH_SOURCE[0]}")"
. "$HERE/nvme-lib.sh"
. "$HERE/roce-lib.sh"
STUDY="$ODP_GUEST_TESTS/study-rdma"
MON="$ODP_ROOT/scripts/in-guest/monitor.sh"
NQN=odp-hca.deadlock
IO_TIMEOUT=2            # seconds: nvme_core.io_timeout on the host (a)
REGION=1048576          # the MR: the namespace's first MiB

. "$(dirname "${BASH_SOURCE[0]}")/guest-tap.sh"
wanted "stall deadlock" || exit 0

GIDX="$(roce_v2_gid_index "$IB" "$ME")" || { not_ok "$IB has a RoCE v2 GID for $ME"; exit 1; }

# One line between the guests over TCP: hear <port> on a, say <port> <line> on b.
hear() { timeout 600 socat -u "TCP-LISTEN:$1,bind=$ME,reuseaddr" - 2>/dev/null | head -n1; }
say() {
    local n
    for n in $(seq 1 120); do
        echo "$2" | timeout 10 socat -u - "TCP:$PEER:$1" 2>/dev/null && return 0
        sleep 1
    done
    not_ok "the other guest heard \"$2\" on port $1"
}

# query-odp-hca's counter <name> from the file <f>
counter() {
    python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))[0]["counters"][sys.argv[2]])' "$1" "$2" 2>/dev/null
}

if [ "$ROLE" = b ]; then
    file=/dev/shm/deadlock-ns.img
    if nvmet_serve "$ME" 4420 "$NQN" "$file" 8; then
        ok "stall deadlock: nvmet-rdma serves an 8 MiB namespace on $IB"
    else
        not_ok "stall deadlock: nvmet-rdma serves a namespace on $IB ($NVME_WHY)"
    fi
    for policy in rnr stall; do
        [ "$(hear 5311)" = "ready $policy" ] || { not_ok "stall deadlock: a is ready for $policy"; continue; }
        timeout 300 "$STUDY" client -d "$IB" -g "$GIDX" -p 18700 -S "$PEER" \
            -t 2 -q 1 -b 65536 -T 17 -r 7 -D 60 -f "deadlock-$policy" \
            > "$LOG/flow-$policy" 2>&1
        r="$(python3 -c 'import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(d["ops"], d["errors"], d["stuck"],
      int(d["lat-us"]["max"] / 1000) if d["lat-us"] else 0,
      d["first-error"].replace(" ", "_") or "-")' "$LOG/flow-$policy" 2>/dev/null)"
        set -- $r
        if [ $# != 5 ]; then
            not_ok "stall deadlock, $policy: the client's flow ran"
            show "$LOG/flow-$policy"
        elif [ "$policy" = rnr ] && [ "$1" -gt 0 ] && [ "$2" = 0 ] && [ "$3" = 0 ]; then
            ok "stall deadlock, rnr: $1 WRITEs into the NVMe-backed ODP MR completed, none failed (slowest $4 ms)"
        elif [ "$policy" = stall ] && [ "$1" = 0 ] && [ "$2" -gt 0 ] &&
             [ "$5" = "transport_retry_counter_exceeded" ]; then
            ok "stall deadlock, stall: no WRITE completed; the QP died of retry exhaustion (${5//_/ })"
        else
            not_ok "stall deadlock, $policy: the flow's result (ops errors stuck max-ms first-error: $r)"
            show "$LOG/flow-$policy"
        fi
        say 5312 "done $policy"
    done
    [ "$(hear 5311)" = "disconnected" ] || not_ok "stall deadlock: a disconnected from the namespace"
    if nvmet_teardown "$NQN"; then
        ok "stall deadlock: target torn down"
    else
        not_ok "stall deadlock: target torn down ($NVME_WHY)"
    fi
    rm -f "$file"
    [ "$FAILED" = 0 ]
    exit
fi

# Guest a: the NVMe host whose port stalls.
modprobe nvme-core 2>/dev/null
echo "$IO_TIMEOUT" > /sys/module/nvme_core/parameters/io_timeout
if ! NVME_CONNECT_OPTS="--reconnect-delay=1 --ctrl-loss-tmo=600" \
        nvme_host_connect "$PEER" 4420 "$NQN" 300; then
    not_ok "stall deadlock: nvme connect -t rdma -a $PEER ($NVME_WHY)"
    show /tmp/nvme-connect.log
    exit 1
fi
ok "stall deadlock: $NVME_CTRL over $IB (io_timeout $IO_TIMEOUT s), the MR will map $NVME_DEV"

for policy in rnr stall; do
    "$MON" qmp odp-hca-set-responder-fault "{\"id\": \"hca0\", \"policy\": \"$policy\"}" \
        > "$LOG/policy-$policy" 2>&1 || not_ok "stall deadlock: odp-hca-set-responder-fault $policy"
    "$MON" qmp query-odp-hca '{"id": "hca0"}' > "$LOG/query-$policy.0" 2>&1
    mark="$(dmesg | wc -l)"
    "$STUDY" server -d "$IB" -g "$GIDX" -p 18700 -o -s "$REGION" -F "$NVME_DEV" \
        > "$LOG/server-$policy" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        grep -q '^ready' "$LOG/server-$policy" && break
        sleep 0.1
    done
    grep -q '^ready' "$LOG/server-$policy" || { not_ok "stall deadlock, $policy: the server is ready"; show "$LOG/server-$policy"; }
    say 5311 "ready $policy"
    [ "$(hear 5312)" = "done $policy" ] || not_ok "stall deadlock, $policy: b's flow ended"
    # nvme-rdma back on its feet (after a stall: reconnected)
    for _ in $(seq 1 600); do
        [ "$(cat "/sys/class/nvme/$NVME_CTRL/state" 2>/dev/null)" = live ] && break
        sleep 0.1
    done
    state="$(cat "/sys/class/nvme/$NVME_CTRL/state" 2>/dev/null)"
    kill "$server" 2>/dev/null
    timeout 120 tail --pid="$server" -f /dev/null || not_ok "stall deadlock, $policy: the server exits"
    "$MON" qmp query-odp-hca '{"id": "hca0"}' > "$LOG/query-$policy" 2>&1
    dmesg | tail -n "+$((mark + 1))" > "$LOG/dmesg-$policy"
    faults=$(( $(counter "$LOG/query-$policy" faults-responder) - $(counter "$LOG/query-$policy.0" faults-responder) ))
    stalls=$(( $(counter "$LOG/query-$policy" port-stalls) - $(counter "$LOG/query-$policy.0" port-stalls) ))
    stall_ms=$(( ($(counter "$LOG/query-$policy" port-stall-ns) - $(counter "$LOG/query-$policy.0" port-stall-ns)) / 1000000 ))
    timedout="$(grep -cE "nvme[0-9]+: I/O tag .* timeout|nvme[0-9]+: starting error recovery" "$LOG/dmesg-$policy")"
    reconnected="$(grep -c "Successfully reconnected" "$LOG/dmesg-$policy")"
    echo "# $policy: $faults responder faults, $stalls port stalls for $stall_ms ms, NVMe: $timedout timeout/recovery lines, $reconnected reconnections, state $state"
    if [ "$policy" = rnr ]; then
        if [ "$faults" -gt 0 ] && [ "$stalls" = 0 ] && [ "$timedout" = 0 ] && [ "$state" = live ]; then
            ok "stall deadlock, rnr: the fault(s) ($faults) resolved through NVMe reads on the same port, no stall, no NVMe timeout"
        else
            not_ok "stall deadlock, rnr: faults resolved with the port running ($faults faults, $stalls stalls, $timedout NVMe timeout lines, state $state)"
            show "$LOG/dmesg-$policy"
        fi
    elif [ "$faults" -gt 0 ] && [ "$stalls" -ge 1 ] && [ "$stall_ms" -ge $((IO_TIMEOUT * 1000)) ] &&
         [ "$timedout" -gt 0 ] && [ "$reconnected" -gt 0 ] && [ "$state" = live ]; then
        ok "stall deadlock, stall: the port stood $stall_ms ms on a fault waiting for its own NVMe read; the read timed out ($IO_TIMEOUT s) inside it, and the controller reconnected"
    else
        not_ok "stall deadlock, stall: the deadlock and its way out ($faults faults, $stalls stalls for $stall_ms ms, $timedout NVMe timeout lines, $reconnected reconnections, state $state)"
        show "$LOG/dmesg-$policy"
    fi
done
"$MON" qmp odp-hca-set-responder-fault '{"id": "hca0", "policy": "rnr"}' > /dev/null 2>&1
# the namespace reads after it all
if dd if="$NVME_DEV" of=/dev/null bs=1M count=8 iflag=direct status=none 2> "$LOG/dd"; then
    ok "stall deadlock: the namespace reads after the deadlock"
else
    not_ok "stall deadlock: the namespace reads after the deadlock"
    show "$LOG/dd"
fi
if nvme disconnect -n "$NQN" > "$LOG/disc" 2>&1 && rmmod nvme_rdma 2>> "$LOG/disc"; then
    ok "stall deadlock: nvme disconnect, nvme_rdma unloads"
else
    not_ok "stall deadlock: nvme disconnect, nvme_rdma unloads"
    show "$LOG/disc"
fi
say 5311 disconnected
[ "$FAILED" = 0 ]
