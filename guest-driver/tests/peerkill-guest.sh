#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# One side of the peer-kill test (guest-driver/tests/check-peerkill.sh):
# runs inside a guest of scripts/vm.sh -c, prints "ok - ..." / "not ok -
# ..." lines for the host to number.
#   a (10.0.0.1, the survivor): NVMe host when its device can (fast
#     registration MRs), else NVMe target; rping client without end.
#     With both running it takes its own link down for a second and up
#     again (QMP set_link through the harness): the port goes DOWN and
#     ACTIVE (IBV_EVENT_PORT_ERR, PORT_ACTIVE), rping and fio carry on.
#     Then it asks the host for the kill (cut-now in its out share) and
#     checks: rping ends with retry exceeded, the NVMe side noticed
#     (host: error recovery, then nvme disconnect; target: keep-alive
#     expiry, then torn down), the driver unloads (odp_hca, or
#     rdma_rxe), dmesg clean.
#   b (10.0.0.2, killed by the host): rping server; the other NVMe side;
#     leaves its rping QPN in its out share (rping-qpn) once both run.
set -u

ROLE="${PEERKILL_ROLE:?}"
MAC="${PEERKILL_MAC:?}"
KIND="${PEERKILL_KIND:-odp}"
if [ "$ROLE" = a ]; then ME=10.0.0.1 PEER=10.0.0.2
else ME=10.0.0.2 PEER=10.0.0.1; fi
LOG=/tmp/peerkill
mkdir -p "$LOG"
HERE="$(dirname "${BASH_SOURCE[0]}")"
. "$HERE/nvme-lib.sh"
NQN=odp-hca.peerkill

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
OUT=
for x in $(cat /proc/cmdline); do
    case "$x" in odp.out=*) OUT="${x#*=}" ;; esac
done

[ "$KIND" = rxe ] && modprobe virtio_net 2>/dev/null && sleep 1
IF=
for n in /sys/class/net/*; do
    [ "$(cat "$n/address" 2>/dev/null)" = "$MAC" ] && IF="${n##*/}"
done
[ -n "$IF" ] || { not_ok "an interface with MAC $MAC"; exit 1; }
ip addr add "$ME/24" dev "$IF"
ip link set "$IF" up
if [ "$KIND" = rxe ]; then
    modprobe rdma_rxe && rdma link add rxe0 type rxe netdev "$IF" 2> "$LOG/rxe"
    IB=rxe0
else
    IB="$(ls "/sys/class/net/$IF/device/infiniband/" 2>/dev/null | head -n1)"
fi
for m in rdma_cm rdma_ucm; do modprobe "$m"; done
if wait_for 180 busybox ping -c 1 -W 1 "$PEER" && [ -d "/sys/class/infiniband/$IB" ]; then
    ok "$IF ($IB) up, $ME/24, the other guest answers at $PEER"
else
    not_ok "$IF ($IB) up, the other guest answers at $PEER"
    exit 1
fi

# a decides the NVMe roles (its device as the host when it can) and tells b.
if [ "$ROLE" = a ]; then
    nvme_role=target
    nvme_host_can "$IB" && nvme_role=host
    for _ in $(seq 1 120); do
        echo "$nvme_role" | timeout 10 socat -u - "TCP:$PEER:5400" 2>/dev/null && break
        sleep 1
    done
    [ "$nvme_role" = target ] &&
        skip "NVMe host on the survivor: error recovery, then nvme disconnect" \
            "$IB has no fast registration MRs (MEM_MGT_EXTENSIONS), which nvme-rdma's host side needs: the survivor is the NVMe target"
else
    peer_role="$(timeout 300 socat -u "TCP-LISTEN:5400,bind=$ME,reuseaddr" - | head -n1)"
    nvme_role=host
    [ "$peer_role" = host ] && nvme_role=target
fi
naddr="$ME"
[ "$nvme_role" = host ] && naddr="$PEER"

# NVMe: the target serves, the host connects and starts a long fio.
fio_pid=
if [ "$nvme_role" = target ]; then
    if nvmet_serve "$ME" 4420 "$NQN" /dev/shm/ns.img 64; then
        ok "NVMe target on $IB serves $NQN at $ME:4420"
    else
        not_ok "NVMe target on $IB serves $NQN ($NVME_WHY)"
    fi
else
    if nvme_host_connect "$naddr" 4420 "$NQN" 300; then
        ok "NVMe host: nvme connect -t rdma over $IB: $NVME_CTRL, $NVME_DEV"
        fio --name=peerkill --filename="$NVME_DEV" --size=32M --rw=randrw --bs=16k \
            --ioengine=libaio --iodepth=8 --direct=1 --time_based --runtime=600 \
            > "$LOG/fio" 2>&1 &
        fio_pid=$!
    else
        not_ok "NVMe host: nvme connect -t rdma -a $naddr ($NVME_WHY)"
        show /tmp/nvme-connect.log
    fi
fi

if [ "$ROLE" = b ]; then
    rping -s -a "$ME" -p 7400 -C 0 > "$LOG/rping" 2>&1 &
    # Both running: rping's QP in RTS, and the NVMe controller with I/O
    # (host: fio running; target: a controller created for the host).
    if wait_for 300 sh -c "rdma resource show qp | grep -q 'type RC state RTS.*comm rping'" &&
       if [ "$nvme_role" = host ]; then sleep 3; kill -0 "$fio_pid"
       else wait_for 300 sh -c "dmesg | grep -q 'nvmet: creating nvm controller'"; fi; then
        qpn="$(rdma resource show qp | sed -n 's/.* lqpn \([0-9]*\) .*type RC state RTS.*comm rping.*/\1/p' | head -n1)"
        ok "rping (QP $qpn) and NVMe I/O running: ready to be killed"
        echo "$qpn" > "$OUT/.rping-qpn" && mv "$OUT/.rping-qpn" "$OUT/rping-qpn"
        sleep 600
    fi
    not_ok "rping and NVMe I/O running, then killed by the host"
    show "$LOG/rping"
    exit 1
fi

# The survivor: rping client without end, until the peer dies (a few
# tries while b's server comes up).
pings() { grep -c "ping data" "$LOG/rping" 2>/dev/null; }
(
    for _ in $(seq 1 120); do
        rping -c -a "$PEER" -p 7400 -C 0 -v > "$LOG/rping" 2> "$LOG/rping.err"
        echo $? > "$LOG/rping.rc"
        [ "$(pings)" -gt 0 ] && break
        sleep 1
    done
) &
rping_loop=$!
if wait_for 300 sh -c "[ \$(grep -c 'ping data' $LOG/rping 2>/dev/null) -ge 5 ]"; then
    ok "rping -c -v to $PEER: $(pings) pings"
else
    not_ok "rping -c -v to $PEER: 5 pings"
    show "$LOG/rping.err"
fi

# The link goes down for a second and comes back: both ends retransmit
# what was lost, nothing fails.
aw="$LOG/asyncwatch"
ibv_asyncwatch -d "$IB" > "$aw" 2>&1 &
awpid=$!
wait_for 30 sh -c "ls -l /proc/$awpid/fd | grep -q uverbs"
sleep 1
qmp() { "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp "$@"; }
port_is() { grep -q "$1" "/sys/class/infiniband/$IB/ports/1/state"; }
if qmp set_link '{"name": "p0", "up": false}' > "$LOG/setlink" 2>&1 && wait_for 10 port_is DOWN &&
   sleep 1 && qmp set_link '{"name": "p0", "up": true}' >> "$LOG/setlink" 2>&1 && wait_for 10 port_is ACTIVE; then
    ok "link down for a second and up again (QMP set_link p0): $IB port 1 DOWN, then ACTIVE"
else
    not_ok "link down for a second and up again (QMP set_link p0)"
    show "$LOG/setlink"
fi
n0="$(pings)"
if wait_for 120 sh -c "[ \$(grep -c 'ping data' $LOG/rping) -ge $((n0 + 5)) ]" && kill -0 "$rping_loop" 2>/dev/null; then
    ok "rping carries on after the link flap: $n0 pings, then $(pings)"
else
    not_ok "rping carries on after the link flap ($n0 pings, then $(pings))"
    show "$LOG/rping.err"
fi
if [ -n "$fio_pid" ]; then
    if kill -0 "$fio_pid" 2>/dev/null && ! dmesg | grep -qE "nvme nvme[0-9]+: (starting error recovery|Reconnecting)"; then
        ok "NVMe host: fio still running after the link flap, no error recovery"
    else
        not_ok "NVMe host: fio still running after the link flap, no error recovery"
        dmesg | grep nvme | tail -n 10 | sed 's/^/# /'
    fi
fi
kill "$awpid" 2>/dev/null
wait "$awpid" 2>/dev/null
if grep -q IBV_EVENT_PORT_ERR "$aw" && grep -q IBV_EVENT_PORT_ACTIVE "$aw"; then
    ok "port events: IBV_EVENT_PORT_ERR, IBV_EVENT_PORT_ACTIVE (ibv_asyncwatch)"
else
    not_ok "port events: IBV_EVENT_PORT_ERR, IBV_EVENT_PORT_ACTIVE (ibv_asyncwatch)"
    show "$aw"
fi

# The kill: the host cuts the cable at rping's next SEND and quits b.
t0="$(date +%s)"
touch "$OUT/cut-now"
wait_for 180 sh -c "! kill -0 $rping_loop"
rc="$(cat "$LOG/rping.rc" 2>/dev/null)"
n="$(pings)"
# IBV_WC_RETRY_EXC_ERR is status 12
why="$(grep -E "completion failed status" "$LOG/rping.err" | head -n1)"
if [ -n "$rc" ] && [ "$rc" != 0 ] && grep -q "completion failed status 12" "$LOG/rping.err"; then
    ok "rping: $n pings, then the peer died: \"$why\" (retry exceeded; exit $rc, $(($(date +%s) - t0)) s after the kill was asked for)"
else
    not_ok "rping reports the dead peer with retry exceeded (exit ${rc:-none}, $n pings, \"$why\")"
    show "$LOG/rping.err"
    kill "$rping_loop" 2>/dev/null
    pkill rping
fi

if [ "$nvme_role" = host ]; then
    if wait_for 120 sh -c "dmesg | grep -qE 'nvme nvme[0-9]+: (starting error recovery|Reconnecting in|reconnect)'"; then
        ok "NVMe host: the lost target seen: \"$(dmesg | grep -E 'nvme nvme[0-9]+: (starting error recovery|Reconnecting in)' | head -n1 | sed 's/^\[[^]]*\] //')\""
    else
        not_ok "NVMe host: error recovery started after the target died"
        dmesg | grep nvme | tail -n 10 | sed 's/^/# /'
    fi
    if timeout 120 nvme disconnect -n "$NQN" > "$LOG/disc" 2>&1 && grep -q "disconnected 1 controller" "$LOG/disc" &&
       wait_for 60 sh -c "! kill -0 $fio_pid"; then
        ok "NVMe host: nvme disconnect ends it ($(head -n1 "$LOG/disc")), fio returns"
    else
        not_ok "NVMe host: nvme disconnect ends it, fio returns"
        show "$LOG/disc"
    fi
    kill "$fio_pid" 2>/dev/null
    wait "$fio_pid" 2>/dev/null
    rmmod nvme_rdma 2> "$LOG/rmmod-nvme" || { not_ok "rmmod nvme_rdma"; show "$LOG/rmmod-nvme"; }
else
    if wait_for 120 sh -c "dmesg | grep -qE 'nvmet: ctrl [0-9]+ keep-alive timer .* expired|nvmet_rdma: .*(failed|disconnect)|nvmet: ctrl [0-9]+ fatal error'"; then
        ok "NVMe target: the lost host seen: \"$(dmesg | grep -E 'nvmet: ctrl [0-9]+ keep-alive|nvmet_rdma: |nvmet: ctrl [0-9]+ fatal' | head -n1 | sed 's/^\[[^]]*\] //')\""
    else
        not_ok "NVMe target: the lost host seen (keep-alive expiry)"
        dmesg | grep nvmet | tail -n 10 | sed 's/^/# /'
    fi
    if nvmet_teardown "$NQN"; then
        ok "NVMe target torn down, nvmet_rdma and nvmet unloaded"
    else
        not_ok "NVMe target torn down ($NVME_WHY)"
    fi
fi

rmmod rdma_ucm rdma_cm iw_cm ib_cm 2> "$LOG/rmmod-cm"
if [ "$KIND" = rxe ]; then
    rdma link delete rxe0 2>> "$LOG/rmmod" && rmmod rdma_rxe 2>> "$LOG/rmmod"
    mod=rdma_rxe
else
    rmmod odp_hca 2> "$LOG/rmmod"
    mod=odp_hca
fi
if ! grep -q "^$mod " /proc/modules; then
    ok "$mod unloads after the peer's death"
else
    not_ok "$mod unloads after the peer's death"
    show "$LOG/rmmod"
    show "$LOG/rmmod-cm"
fi
if dmesg | grep -E "WARNING:|BUG:|Oops|general protection|circular locking|possible recursive locking|INFO: task .* blocked|UBSAN|leak" > "$LOG/dmesg"; then
    not_ok "dmesg: no warning, BUG, oops or leak"
    show "$LOG/dmesg"
else
    ok "dmesg: no warning, BUG, oops or leak"
fi
[ "$FAILED" = 0 ]
