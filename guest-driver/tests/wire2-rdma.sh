#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# RDMA between the two guests of check-wire2.sh, over the wire: runs in
# each guest after wire2-guest.sh brought the link up, prints "ok - ..." /
# "not ok - ..." lines for the host to number.
#
# Both guests walk the same list of runs in the same order.  In each run
# one guest is the server (it listens on the run's own TCP port, on the
# wire's addresses) and the other the client, which retries until the
# server listens; both check their own side: exit status, and for
# perftest the result line, for the pingpongs the bytes (--chk).  Runs
# marked "both" go in both directions (each guest once the requester).
# Environment: WIRE2_ROLE (a|b), WIRE2_IB (this guest's RDMA device),
# WIRE2_ME, WIRE2_PEER (IPv4 addresses), WIRE2_PEER_KIND (odp|rxe: what
# the other guest's device is), WIRE2_ME_KIND (odp|rxe), WIRE2_ONLY (an
# extended regular expression: only the runs whose description matches
# it, for reproducing one; the capture then is not checked).
set -u

ROLE="${WIRE2_ROLE:?}"
IB="${WIRE2_IB:?}"
ME="${WIRE2_ME:?}"
PEER="${WIRE2_PEER:?}"
ME_KIND="${WIRE2_ME_KIND:-odp}"
PEER_KIND="${WIRE2_PEER_KIND:-odp}"
LOG=/tmp/wire2-rdma
mkdir -p "$LOG"

. "$(dirname "${BASH_SOURCE[0]}")/guest-tap.sh"

# The GID index of this guest's IPv4 address (::ffff:a.b.c.d): RoCEv2.
. "$(dirname "${BASH_SOURCE[0]}")/roce-lib.sh"
GIDX="$(roce_v2_gid_index "$IB" "$ME")" || { not_ok "$IB has a RoCE v2 GID for $ME"; exit 1; }
ok "$IB: RoCE v2 GID index $GIDX is ::ffff:$ME"

# odp: this guest's device does ODP (odp-hca); rxe on 6.12 does not.
can_odp() { [ "$ME_KIND" = odp ] && [ "$PEER_KIND" = odp ]; }

# On a lossy link both ends of a pingpong keep their QP a second after
# their last message (guest-driver/tests/qp-linger.c): the ACK of either
# side's last SEND may be lost, and its resend needs a QP to answer.
PRELOAD=
[ -n "${WIRE2_IMPAIRED:-}" ] && PRELOAD="$ODP_GUEST_TESTS/qp-linger.so"

PORT=19000
# run <desc> <server-role a|b> <result-check: pp|pt> <command...>
# The command gets -d, the GID option and -p here; the client gets the
# server's address last.
run() {
    local desc="$1" server="$2" kind="$3" gidopt rc n pre=
    shift 3
    PORT=$((PORT + 1))
    if [ -n "${WIRE2_ONLY:-}" ] && ! echo "$desc" | grep -qE "$WIRE2_ONLY"; then
        return
    fi
    case "$1" in ib_*) gidopt="-x $GIDX" ;; *) gidopt="-g $GIDX" ;; esac
    local out="$LOG/$PORT.log"
    [ "$kind" = pp ] && pre="$PRELOAD"
    if [ "$ROLE" = "$server" ]; then
        LD_PRELOAD="$pre" timeout 240 "$@" -d "$IB" $gidopt -p "$PORT" > "$out" 2>&1
        rc=$?
    else
        # The server may still be starting (or finishing the run before,
        # or checking the capture): a refused connection fails at once;
        # retry those, for up to 5 minutes.
        for n in $(seq 1 600); do
            LD_PRELOAD="$pre" timeout 240 "$@" -d "$IB" $gidopt -p "$PORT" "$PEER" > "$out" 2>&1
            rc=$?
            [ "$rc" = 0 ] && break
            grep -qiE "couldn't connect|unable to (init|open)|connection refused" "$out" ||
                break
            sleep 0.5
        done
    fi
    local side=client
    [ "$ROLE" = "$server" ] && side=server
    if [ "$rc" != 0 ]; then
        not_ok "$desc ($side, exit $rc)"
        show "$out"
        return
    fi
    if [ "$kind" = pt ] && [ "$side" = client ]; then
        local res
        # bandwidth: 5 numbers; latency: 9 (perftest prints a standard
        # deviation it cannot compute, after a retransmission's outlier,
        # as -nan, and every latency as inf when it could not measure the
        # CPU's clock under TCG: "Correlation coefficient r^2 < 0.9")
        res="$(grep -E '^[[:space:]]*[0-9]+([[:space:]]+(-?nan|inf|[0-9.]+)){3,}[[:space:]]*$' "$out" | tail -n 1)"
        if [ -z "$res" ]; then
            not_ok "$desc ($side: no result line)"
            show "$out"
            return
        fi
        ok "$desc ($side)"
        echo "# $res" | tr -s '\t ' ' '
        return
    fi
    if [ "$kind" = pp ] && ! grep -q "bytes in" "$out"; then
        not_ok "$desc ($side: no transfer line)"
        show "$out"
        return
    fi
    ok "$desc ($side)"
}

# ud_pingpong <desc> <server-role> <ibv_ud_pingpong options...>: run()
# with --chk, or skipped on a lossy link, where UD (which never resends)
# loses a datagram for good and the pingpong waits for it forever.
ud_pingpong() {
    local desc="$1" server="$2"
    shift 2
    if [ -n "${WIRE2_IMPAIRED:-}" ]; then
        PORT=$((PORT + 1))      # the port run() would have taken
        skip "$desc" "UD is unreliable: on a lossy link a datagram is lost for good"
        return
    fi
    run "$desc" "$server" pp ibv_ud_pingpong "$@" -c
}

# odp-verify across the wire (guest-driver/tests/odp-verify.c): the
# server is the responder, whose ODP memory is dropped, remapped and
# migrated between and during the client's operations; every byte is
# checked on both sides, each side's checks are its TAP lines.
VERIFY="$ODP_GUEST_TESTS/odp-verify"
verify() { # <desc> <server-role> [test group...]
    local desc="$1" server="$2" side rc line d n0="$FAILED" t0 out
    PORT=$((PORT + 1))
    if [ -n "${WIRE2_ONLY:-}" ] && ! echo "$desc" | grep -qE "$WIRE2_ONLY"; then
        return
    fi
    shift 2
    out="$LOG/$PORT.log"
    t0="$(date +%s)"
    if [ "$ROLE" = "$server" ]; then
        side=responder
        timeout 600 "$VERIFY" -q -d "$IB" -g "$GIDX" --serve "$ME:$PORT" "$@" > "$out" 2>&1
    else
        side=requester
        timeout 600 "$VERIFY" -q -d "$IB" -g "$GIDX" --connect "$PEER:$PORT" "$@" > "$out" 2>&1
    fi
    rc=$?
    local n=0
    while IFS= read -r line; do
        case "$line" in
            "ok "*"# SKIP"*) n=$((n + 1)); d="${line#ok * - }"
                skip "$desc ($side): ${d%% # SKIP*}" "${d#* # SKIP }" ;;
            "ok "*) n=$((n + 1)); ok "$desc ($side): ${line#ok * - }" ;;
            "not ok "*) n=$((n + 1)); not_ok "$desc ($side): ${line#not ok * - }" ;;
            "1.."*) ;;
            "#"*) echo "$line" ;;
            *) echo "# $line" ;;
        esac
    done < "$out"
    if [ "$n" = 0 ] || { [ "$rc" != 0 ] && [ "$FAILED" = "$n0" ]; }; then
        not_ok "$desc ($side) ran to the end (exit $rc)"
        show "$out"
    fi
    echo "# $desc ($side): $(($(date +%s) - t0)) s"
}

# A capture of the link (QEMU's filter-dump on guest a's netdev, asked
# of the host's QEMU through the monitor share) around a few short runs of
# every kind of packet; it must decode in tshark with valid ICRCs.
OUT=
for a in $(cat /proc/cmdline); do
    case "$a" in odp.out=*) OUT="${a#*=}" ;; esac
done
MON="$ODP_ROOT/scripts/in-guest/monitor.sh"
capturing=
if [ "$ROLE" = a ] && [ -n "$OUT" ] && [ -z "${WIRE2_ONLY:-}" ]; then
    rm -f "$OUT/capture.pcap"
    if "$MON" qmp object-add "{\"qom-type\": \"filter-dump\", \"id\": \"cap0\", \"netdev\": \"p0\", \"file\": \"$OUT/capture.pcap\"}" > "$LOG/cap-add" 2>&1; then
        capturing=1
    else
        not_ok "filter-dump on the link (object-add)"
        show "$LOG/cap-add"
    fi
fi
for t in ib_write_bw ib_read_bw ib_send_bw; do
    run "$t -s 5000 -n 20 (captured), b -> a" a pt "$t" -F -s 5000 -n 20
done
run "ib_atomic_bw -n 20 (captured), b -> a" a pt ib_atomic_bw -F -n 20
ud_pingpong "ibv_ud_pingpong -s 512 -n 20 (captured), b -> a" a -s 512 -n 20
if [ -n "$capturing" ]; then
    "$MON" qmp object-del '{"id": "cap0"}' > /dev/null 2>&1
    python3 "$ODP_ROOT/tests/roce/check-capture.py" "$OUT/capture.pcap" \
        "guest $ROLE: capture of the link" > "$LOG/capture" 2>&1
    while IFS= read -r line; do
        case "$line" in
            "ok - guest $ROLE: "*) echo "$line" ;;
            "not ok - guest $ROLE: "*) FAILED=$((FAILED + 1)); echo "$line" ;;
            *) echo "# $line" ;;
        esac
    done < "$LOG/capture"
    # the pcap stays in the out share, for whoever wants to look
fi

for server in a b; do
    client=b
    [ "$server" = b ] && client=a
    dir="$client -> $server"
    run "ibv_rc_pingpong -s 4096 -n 200 --chk, $dir" "$server" pp \
        ibv_rc_pingpong -s 4096 -n 200 -c
    run "ibv_rc_pingpong -s 1048576 -n 10 --chk, $dir" "$server" pp \
        ibv_rc_pingpong -s 1048576 -n 10 -c
    ud_pingpong "ibv_ud_pingpong -s 1024 -n 200 --chk, $dir" "$server" \
        -s 1024 -n 200
    for t in ib_write_bw ib_read_bw ib_send_bw; do
        run "$t -s 65536 -n 200, $dir" "$server" pt "$t" -F -s 65536 -n 200
    done
    if [ "$ME_KIND" != "$PEER_KIND" ]; then
        # --odp on the odp-hca side only: its faults meet a Soft-RoCE
        # requester (RNR NAKs) or responder.
        odpflag=
        [ "$ME_KIND" = odp ] && odpflag=--odp
        for t in ib_write_bw ib_read_bw ib_send_bw; do
            run "$t -s 65536 -n 200, --odp on the odp-hca side, $dir" \
                "$server" pt "$t" -F -s 65536 -n 200 $odpflag
        done
    fi
    if can_odp; then
        run "ibv_rc_pingpong -o -s 65536 -n 50 --chk, $dir" "$server" pp \
            ibv_rc_pingpong -o -s 65536 -n 50 -c
        run "ibv_rc_pingpong -O -s 65536 -n 50 --chk, $dir" "$server" pp \
            ibv_rc_pingpong -O -s 65536 -n 50 -c
        for t in ib_write_bw ib_read_bw ib_send_bw; do
            run "$t --odp -s 65536 -n 200, $dir" "$server" pt \
                "$t" -F -s 65536 -n 200 --odp
        done
    fi
done
# odp-verify needs ODP on the responder (Soft-RoCE on 6.12 has none):
# odp-hca responders only, against any requester.
for server in a b; do
    client=b
    [ "$server" = b ] && client=a
    skind="$PEER_KIND"
    [ "$ROLE" = "$server" ] && skind="$ME_KIND"
    ckind="$PEER_KIND"
    [ "$ROLE" = "$client" ] && ckind="$ME_KIND"
    [ "$skind" = odp ] || continue
    if [ "$ckind" = odp ]; then
        verify "odp-verify across the wire, $client -> $server" "$server"
        continue
    fi
    # A Soft-RoCE requester crawls through the responder's RNR NAKs while
    # a thread keeps dropping its pages (minutes an operation: README,
    # Known gaps); every other scenario runs.
    verify "odp-verify across the wire, $client -> $server" "$server" \
        drop remap memfd numa migrator
    skip "odp-verify across the wire, $client -> $server: pages dropped by a thread during the operations" \
        "a Soft-RoCE requester takes minutes an operation there (README, Known gaps)"
done
# perftest --odp under each responder-fault policy (issue 11): guest a's
# device, the responder, takes the policy and has every 50th on-demand
# translation fault; the runs must complete and its counters show the
# policy at work.  rnr, the default, ran above.
if can_odp && [ -z "${WIRE2_IMPAIRED:-}" ]; then
    policy_counter() { # <policy>: the counter that shows it at work
        case "$1" in
            drop) echo responder-drops ;;
            stall) echo port-stalls ;;
            notify) echo not-ready-sent ;;
        esac
    }
    for policy in drop stall notify; do
        mine=
        if [ "$ROLE" = a ] && { [ -z "${WIRE2_ONLY:-}" ] ||
                                echo "responder-fault $policy" | grep -qE "$WIRE2_ONLY"; }; then
            mine=1
        fi
        if [ -n "$mine" ]; then
            "$MON" qmp query-odp-hca '{"id": "hca0"}' > "$LOG/query-$policy.0" 2>&1
            "$MON" qmp odp-hca-set-responder-fault "{\"id\": \"hca0\", \"policy\": \"$policy\"}" \
                > "$LOG/policy-$policy" 2>&1 ||
                not_ok "odp-hca-set-responder-fault $policy"
            "$MON" qmp odp-hca-inject-faults '{"id": "hca0", "every": 50}' > /dev/null 2>&1
        fi
        for t in ib_write_bw ib_read_bw ib_send_bw; do
            run "$t --odp -s 65536 -n 200, responder-fault $policy, b -> a" a pt \
                "$t" -F -s 65536 -n 200 --odp
        done
        # odp-verify, every byte checked (its QPs: timeout 14, retry_cnt
        # 7, rnr_retry 7, unless said otherwise).
        desc="odp-verify across the wire, responder-fault $policy, b -> a"
        case "$policy" in
            drop)
                # A dropped request is resent one ACK timeout later; a thread
                # that drops or migrates the pages every few hundred
                # microseconds has taken the page again by then, every time.
                verify "$desc" a drop remap memfd numa
                skip "$desc: pages dropped or migrated by a thread during the operations" \
                    "drop cannot win that race: every resend faults again until retry_cnt runs out (docs/responder-faults.md)" ;;
            stall)
                # The requester's ACK timer runs while the port stands, and
                # a thread that keeps taking the pages keeps it standing:
                # with timeout 14 (0.5 s without progress ends the QP) one
                # 1 MiB READ of 25 ran out of retries in one of two runs.
                # A timeout that outlasts the slowest fault (18: 1.07 s).
                verify "$desc" a -u 18 ;;
            *) verify "$desc" a ;;
        esac
        if [ -n "$mine" ]; then
            "$MON" qmp odp-hca-inject-faults '{"id": "hca0"}' > /dev/null 2>&1
            "$MON" qmp query-odp-hca '{"id": "hca0"}' > "$LOG/query-$policy" 2>&1
            # counters grown over the three runs (the device's counters
            # stay whole for the checks that compare them with the driver's)
            r="$(python3 -c 'import json, sys
d0 = json.load(open(sys.argv[1]))[0]["counters"]
d = json.load(open(sys.argv[2]))[0]
c = {k: v - d0[k] for k, v in d["counters"].items() if isinstance(v, int)}
print(d["responder-fault"], c["faults-responder"], c[sys.argv[3]],
      c["rnr-naks"])' "$LOG/query-$policy.0" "$LOG/query-$policy" "$(policy_counter "$policy")" 2>/dev/null)"
            set -- $r
            # The runs' own results are checked above (b's side shows a
            # requester that ran out of retries).  An RNR NAK for a SEND
            # that found no receive WQE is no fault's: shown, not held.
            if [ $# = 4 ] && [ "$1" = "$policy" ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ]; then
                ok "responder-fault $policy: $2 responder faults, $(policy_counter "$policy") $3 ($4 RNR NAKs)"
            else
                not_ok "responder-fault $policy at work (policy, faults, $(policy_counter "$policy"), RNR NAKs: ${r:-no answer})"
                show "$LOG/query-$policy"
            fi
        fi
    done
    [ "$ROLE" = a ] &&
        "$MON" qmp odp-hca-set-responder-fault '{"id": "hca0", "policy": "rnr"}' > /dev/null 2>&1
fi
# Atomics and latency: one direction is enough.
run "ib_atomic_bw -n 200, b -> a" a pt ib_atomic_bw -F -n 200
run "ib_write_lat -s 8 -n 500, b -> a" a pt ib_write_lat -F -s 8 -n 500
run "ib_read_lat -s 8 -n 500, b -> a" a pt ib_read_lat -F -s 8 -n 500
run "ib_send_lat -s 8 -n 500, b -> a" a pt ib_send_lat -F -s 8 -n 500
# Figures for the notes: bandwidth across the wire.
run "ib_write_bw -s 65536 -n 2000 (figure), b -> a" a pt \
    ib_write_bw -F -s 65536 -n 2000
run "ib_write_bw -s 1048576 -n 200 (figure), b -> a" a pt \
    ib_write_bw -F -s 1048576 -n 200
# Against Soft-RoCE, this guest's ODP responder faulted under the --odp
# runs, and the Soft-RoCE requester was told to wait with RNR NAKs.
if [ "$ME_KIND" = odp ] && [ "$PEER_KIND" = rxe ]; then
    "$MON" qmp query-odp-hca > "$LOG/query-rnr" 2>&1
    r="$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[0]
print(d["port"]["roce"]["naks-sent"]["rnr"], d["counters"]["faults-responder"])' "$LOG/query-rnr" 2>/dev/null)"
    set -- $r
    if [ $# = 2 ] && [ "$1" -gt 0 ]; then
        ok "responder faults answered to the Soft-RoCE requester: $2 responder faults, $1 RNR NAKs on the wire, every run above complete"
    else
        not_ok "responder faults answered to the Soft-RoCE requester with RNR NAKs (${r:-no answer})"
        show "$LOG/query-rnr"
    fi
fi
# On an impaired link the transport recovered what was lost: the
# device's counters show requests sent again.
if [ -n "${WIRE2_IMPAIRED:-}" ] && [ "$ME_KIND" = odp ]; then
    "$MON" qmp query-odp-hca > "$LOG/query" 2>&1
    r="$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[0]["port"]
r = d["roce"]
print(r["retransmits"], r["impaired"]["dropped"], r["impaired"]["reordered"],
      r["ack-timeouts"], r["transport-drops"]["unexpected-response"])' "$LOG/query" 2>/dev/null)"
    set -- $r
    if [ $# = 5 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ]; then
        ok "impaired link: $2 frames lost and $3 reordered on the way out, $1 requests sent again ($4 ACK timeouts, $5 answers dropped as unexpected), every run above complete"
    else
        not_ok "impaired link: retransmissions counted (${r:-no answer})"
        show "$LOG/query"
    fi
fi
[ "$FAILED" = 0 ]
