#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# One side of the responder-fault study (make study; the host side is
# scripts/study.py, which boots both guests and sets the devices up over
# QMP between the points).  Runs inside a guest of scripts/vm.sh -c.
#
# Guest a (10.0.0.1) is the responder: it runs two study-rdma servers
# for the whole study, port 18601 with an on-demand (ODP) region (the
# faulting flow) and port 18602 with a pinned one (the bystander), and
# waits for the host to be done.  Guest b (10.0.0.2) is the requester:
# for each point the host asks for, both flows' clients run at once, each
# a new QP (a QP that died in one point does not carry over).
#
# The host and the guest talk through files in the guest's writable 9p
# share STUDY_OUT (the host's build/study/<a|b>/out), each written under
# a temporary name and renamed:
#   guest -> host  ready          the link is up (b: the peer answers;
#                                 a: both servers listen); "gid N" and
#                                 the servers' lines
#                  result.N       point N's two JSON lines (b)
#                  error          why the guest gave up
#   host -> guest  point.N        "seconds S warm 0|1 [rnr T]": run
#                                 point N (rnr: the responder QPs'
#                                 min_rnr_timer, else the server's own)
#                  done           the study is over: power off
# Environment: STUDY_ROLE (a|b), STUDY_MAC (this guest's port),
# STUDY_OUT, STUDY_CLIENT_OPTS (study-rdma client options: QP settings,
# message size, depth), STUDY_SERVER_OPTS (server options: region size,
# min_rnr_timer).
set -u

ROLE="${STUDY_ROLE:?}"
MAC="${STUDY_MAC:?}"
OUT="${STUDY_OUT:?}"
COPTS="${STUDY_CLIENT_OPTS:-}"
SOPTS="${STUDY_SERVER_OPTS:-}"
PROG="$ODP_GUEST_TESTS/study-rdma"
if [ "$ROLE" = a ]; then ME=10.0.0.1 PEER=10.0.0.2
else ME=10.0.0.2 PEER=10.0.0.1; fi
T=/tmp/study
mkdir -p "$T"

put() { # <name> <content>: atomically, for the host
    printf '%s\n' "$2" > "$OUT/.$1.tmp" && mv "$OUT/.$1.tmp" "$OUT/$1"
}
give_up() {
    put error "guest $ROLE: $*"
    echo "study-guest $ROLE: $*" >&2
    exit 1
}
wait_for() { # <seconds> <command...>
    local n=$(($1 * 10))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

IF=
for n in /sys/class/net/*; do
    [ "$(cat "$n/address" 2>/dev/null)" = "$MAC" ] && IF="${n##*/}"
done
[ -n "$IF" ] || give_up "no interface with MAC $MAC"
IB="$(ls "/sys/class/net/$IF/device/infiniband/" 2>/dev/null | head -n1)"
[ -n "$IB" ] || give_up "no RDMA device on $IF"
ip addr add "$ME/24" dev "$IF"
ip link set "$IF" up
wait_for 10 sh -c "[ \"\$(cat /sys/class/net/$IF/operstate)\" = up ]" ||
    give_up "$IF has no carrier"

# The RoCE v2 GID of this guest's address (::ffff:a.b.c.d).
. "$(dirname "${BASH_SOURCE[0]}")/roce-lib.sh"
GIDX=
for _ in $(seq 1 100); do
    GIDX="$(roce_v2_gid_index "$IB" "$ME")" && break
    sleep 0.1
done
[ -n "$GIDX" ] || give_up "$IB has no RoCE v2 GID for $ME"

if [ "$ROLE" = a ]; then
    # shellcheck disable=SC2086
    "$PROG" server -d "$IB" -g "$GIDX" -p 18601 -o $SOPTS > "$T/server-odp" 2>&1 &
    odp_pid=$!
    # shellcheck disable=SC2086
    "$PROG" server -d "$IB" -g "$GIDX" -p 18602 $SOPTS > "$T/server-pinned" 2>&1 &
    pinned_pid=$!
    wait_for 60 grep -q '^ready' "$T/server-odp" ||
        give_up "the ODP server did not start: $(tail -n 3 "$T/server-odp")"
    wait_for 60 grep -q '^ready' "$T/server-pinned" ||
        give_up "the pinned server did not start: $(tail -n 3 "$T/server-pinned")"
    put ready "gid $GIDX
$(cat "$T/server-odp" "$T/server-pinned")"
    while [ ! -e "$OUT/done" ]; do
        kill -0 "$odp_pid" 2>/dev/null && kill -0 "$pinned_pid" 2>/dev/null ||
            give_up "a server died: $(tail -n 3 "$T/server-odp" "$T/server-pinned")"
        sleep 0.5
    done
    kill "$odp_pid" "$pinned_pid" 2>/dev/null
    exit 0
fi

wait_for 180 busybox ping -c 1 -W 1 "$PEER" || give_up "the other guest does not answer at $PEER"
put ready "gid $GIDX"
n=1
while :; do
    if [ -e "$OUT/done" ]; then
        exit 0
    fi
    if [ ! -e "$OUT/point.$n" ]; then
        sleep 0.1
        continue
    fi
    read -r _ secs _ warm _ rnr < "$OUT/point.$n"
    w=
    [ "$warm" = 1 ] && w=-w
    [ -n "$rnr" ] && w="$w -m $rnr"
    # shellcheck disable=SC2086
    "$PROG" client -d "$IB" -g "$GIDX" -S "$PEER" -p 18601 -o -f faulting -t "$secs" $w $COPTS \
        > "$T/faulting" 2> "$T/faulting.err" &
    fp=$!
    # shellcheck disable=SC2086
    "$PROG" client -d "$IB" -g "$GIDX" -S "$PEER" -p 18602 -f bystander -t "$secs" $w $COPTS \
        > "$T/bystander" 2> "$T/bystander.err" &
    bp=$!
    wait "$fp"; frc=$?
    wait "$bp"; brc=$?
    {
        for f in faulting bystander; do
            if grep -q '^{' "$T/$f"; then
                grep '^{' "$T/$f" | tail -n 1
            else
                rc=$frc
                [ "$f" = bystander ] && rc=$brc
                # No JSON line: the set-up failed; say so in JSON too.
                printf '{"flow": "%s", "failed": "exit %s: %s"}\n' "$f" "$rc" \
                    "$(tail -n 2 "$T/$f.err" | tr -d '"\\' | tr '\n' ' ')"
            fi
        done
    } > "$OUT/.result.$n.tmp"
    mv "$OUT/.result.$n.tmp" "$OUT/result.$n"
    n=$((n + 1))
done
