#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest side of `make run` (run by scripts/vm.sh -c in the booted
# guest): show the adapter on the PCI bus and as an RDMA device, run
# ibv_rc_pingpong with on-demand paging (-o) in loopback, show what the
# fault path did (the driver's counters, as `rdma statistic` reads them;
# a second run with the driver's registration snapshot off, so that the
# pages the pingpong wrote before registering them fault) and the
# device's own view: HMP "info odp-hca", which the host takes
# over the HMP socket (scripts/in-guest/monitor.sh -> scripts/monitor.py).
#
# Environment: ODP_DEV (odp_hca0), RUN_SIZE (message size, 65536),
# RUN_ITERS (100), RUN_PINGPONG_OPTS (-o; e.g. "-O" for an implicit ODP MR).
set -u

DEV="${ODP_DEV:-odp_hca0}"
SIZE="${RUN_SIZE:-65536}"
ITERS="${RUN_ITERS:-100}"
OPTS="${RUN_PINGPONG_OPTS:--o}"
PORT=18515
HC="/sys/class/infiniband/$DEV/ports/1/hw_counters"
rc=0

step() { printf '\n=== %s\n' "$*"; }

step "lspci: the adapter on the guest's PCI bus"
lspci -nnk -d 1af4:10f0 2>/dev/null || rc=1
if [ ! -d "/sys/class/infiniband/$DEV" ]; then
    echo "no RDMA device $DEV: is ${ODP_KMOD_DIR#"$ODP_ROOT"/}/odp_hca.ko built (make kmod)?"
    exit 1
fi

step "ibv_devices, ibv_devinfo: the RDMA device and its on-demand paging"
ibv_devices
ibv_devinfo -d "$DEV" | grep -E 'hca_id|transport|vendor_id|port:|state:|link_layer'
ibv_devinfo -v -d "$DEV" | sed -n '/general_odp_caps/,/uc_odp_caps/p' | sed '$d'

# The first non-zero GID of port 1 (RoCE: derived from the port's MAC).
gid=0
for g in "/sys/class/infiniband/$DEV/ports/1/gids/"*; do
    v="$(cat "$g" 2>/dev/null)" || continue
    case "$v" in ""|0000:0000:0000:0000:0000:0000:0000:0000) continue ;; esac
    gid="${g##*/}"
    break
done

# (no /dev/fd in the guest: no process substitution)
counters() { grep -H . "$HC"/* 2>/dev/null | sed 's|.*/||; s|:| |'; }
SNAP=/sys/module/odp_hca/parameters/reg_snapshot

# One pingpong, server and client here, then what changed in the counters.
pingpong() { # <title>
    local -A before
    local crc src n v d spid
    counters > /tmp/counters.before
    while read -r n v; do before[$n]=$v; done < /tmp/counters.before
    PORT=$((PORT + 1))
    cmd=(ibv_rc_pingpong -d "$DEV" -g "$gid" -p "$PORT" -s "$SIZE" -n "$ITERS" $OPTS)
    step "$1: ${cmd[*]}"
    timeout 120 "${cmd[@]}" > /tmp/pingpong-server.log 2>&1 &
    spid=$!
    for _ in $(seq 1 100); do
        ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    timeout 120 "${cmd[@]}" localhost > /tmp/pingpong-client.log 2>&1
    crc=$?
    wait "$spid"
    src=$?
    echo "--- server:"; cat /tmp/pingpong-server.log
    echo "--- client (localhost):"; cat /tmp/pingpong-client.log
    if [ "$crc" -ne 0 ] || [ "$src" -ne 0 ]; then
        echo "ibv_rc_pingpong failed: client exit $crc, server exit $src"
        rc=1
    fi
    echo "--- the driver's counters (rdma statistic show link $DEV/1), change during the run:"
    sleep 0.1   # hw_counters are cached for 10 ms
    counters > /tmp/counters.after
    while read -r n v; do
        d=$((v - ${before[$n]:-0}))
        [ "$d" -ne 0 ] && printf '  %-24s %8d\n' "$n" "$d"
    done < /tmp/counters.after
}

pingpong "ibv_rc_pingpong with on-demand paging, the driver's defaults"
cat <<'EOF'
  odp_snapshot_pages: ibv_rc_pingpong writes its buffer before it
  registers it, and the driver maps the pages already present when an
  on-demand MR is registered (as mlx5 does): the device had every
  translation before the first send, and nothing faulted.
EOF

if [ -w "$SNAP" ]; then
    echo 0 > "$SNAP"
    pingpong "the same with reg_snapshot=0: every first touch faults"
    echo 1 > "$SNAP"
    cat <<'EOF'
  odp_faults: page-fault events the device raised, by side (requester: its
  own WQE; responder: an incoming request) and access; the driver made
  odp_fault_pages pages present for them (the range asked for plus a window
  up to the next 2 MiB) and answered each with RESUME (odp_resumes).  Each
  responder fault cost the requester RNR NAKs until it was resumed
  (rnr_naks).  odp_invalidations: INVALIDATEs sent by the MMU notifier when
  pages the device had went away (none here: the MRs were deregistered
  first; the device's INVALIDATE count below also has the barrier the
  driver sends after each DESTROY_MR).
EOF
else
    echo "no $SNAP: this driver takes no registration snapshot"
fi

step "the device's view: HMP 'info odp-hca', taken by the host over its HMP socket"
"$ODP_ROOT/scripts/in-guest/monitor.sh" hmp 'info odp-hca' || rc=1
exit "$rc"
