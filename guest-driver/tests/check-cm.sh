# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# rdma_cm in loopback on odp-hca, sourced by check-guest.sh (its ok,
# not_ok, skip, show, wait_port and $DEV, $LOG): server and client in this
# guest, connected by rdma_cm through the device's GSI QP (QP 1) and the
# IPv4 address of its interface:
#   - librdmacm's rping -v -V (data checked against the pattern the
#     client wrote), ucmatose, udaddy (UD), rdma_server/rdma_client
#     (guest-driver/tests/cm-lib.sh checks each side's output);
#   - perftest ib_write_bw, ib_read_bw, ib_send_bw -R, pinned and --odp;
#   - `rdma resource show` lists a running rping's QPs (RC, RTS), CQs, MRs,
#     PDs and CM IDs on the device, and `rdma statistic` its counters.
# Environment: CM_ADDR (the address it gives the interface, 10.0.0.1/24).

. "$ODP_ROOT/guest-driver/tests/cm-lib.sh"
CM_ADDR="${CM_ADDR:-10.0.0.1/24}"
cm_ip="${CM_ADDR%/*}"
cm_if="$(ls "/sys/class/infiniband/$DEV/device/net/" 2>/dev/null | head -n1)"
for m in rdma_cm rdma_ucm; do
    modprobe "$m" 2>/dev/null || echo "# modprobe $m failed"
done
ip addr add "$CM_ADDR" dev "$cm_if" 2>/dev/null
ip link set "$cm_if" up
cm_gid="0000:0000:0000:0000:0000:ffff:$(printf '%02x%02x:%02x%02x' $(echo "$cm_ip" | tr . ' '))"
for _ in $(seq 1 50); do
    grep -qx "$cm_gid" /sys/class/infiniband/"$DEV"/ports/1/gids/* 2>/dev/null && break
    sleep 0.2
done
check "rdma_cm loopback: $cm_if ($DEV) has $CM_ADDR, its GID ::ffff:$cm_ip" \
    sh -c "grep -qx '$cm_gid' /sys/class/infiniband/$DEV/ports/1/gids/*"

# cm_pair <desc> <tool> <count> <size> <server command...> -- <client command...>
# The server starts first (bound to the address), the client connects to
# it; stdout and stderr apart (rping's buffered stdout and its stderr
# would mix in one file), then joined for the check.
cm_pair() {
    local desc="$1" tool="$2" count="$3" size="$4" n=$((T + 1)) spid src crc why
    local -a scmd=() ccmd=()
    shift 4
    while [ $# -gt 0 ] && [ "$1" != -- ]; do scmd+=("$1"); shift; done
    shift
    ccmd=("$@")
    local slog="$LOG/$n.server.log" clog="$LOG/$n.client.log"
    timeout 180 "${scmd[@]}" > "$slog" 2> "$slog.err" &
    spid=$!
    # rdma_cm listeners do not show in ss: a client that comes before its
    # server listens is rejected; retry those for up to 30 s.
    local i
    for i in $(seq 1 30); do
        sleep 1
        timeout 180 "${ccmd[@]}" > "$clog" 2> "$clog.err"
        crc=$?
        [ "$crc" = 0 ] && break
        grep -qE 'REJECTED|UNREACHABLE|Unexpected CM event|[Rr]efused|connect error' "$clog" "$clog.err" || break
    done
    wait "$spid"
    src=$?
    cat "$slog.err" >> "$slog"
    cat "$clog.err" >> "$clog"
    if [ "$crc" != 0 ] || [ "$src" != 0 ]; then
        not_ok "$desc (client exit $crc, server exit $src)"
        echo "# server:"; show "$slog" 10
        echo "# client:"; show "$clog" 10
        return
    fi
    if [ "$tool" = perftest ]; then
        local res
        res="$(grep -E '^[[:space:]]*[0-9]+([[:space:]]+[0-9.]+){4}[[:space:]]*$' "$clog" | tail -n 1)"
        if [ -n "$res" ] && grep -q "rdma_cm QPs.*ON" "$clog"; then
            ok "$desc"
            echo "# $res" | tr -s '\t ' ' '
        else
            not_ok "$desc (no result line, or not connected by rdma_cm)"
            show "$clog" 10
        fi
        return
    fi
    local ct="$tool" st="$tool"
    [ "$tool" = rdma_server ] && ct=rdma_client
    if ! why="$(cm_check "$st" server "$slog" "$count" "$size")"; then
        not_ok "$desc (server: $why)"
        show "$slog" 10
    elif ! why="$(cm_check "$ct" client "$clog" "$count" "$size")"; then
        not_ok "$desc (client: $why)"
        show "$clog" 10
    else
        ok "$desc: $why"
    fi
}

cm_pair "rdma_cm loopback: rping -v -V -C 20 -S 1000" rping 20 1000 \
    rping -s -a "$cm_ip" -p 7301 -v -V -C 20 -S 1000 -- \
    rping -c -a "$cm_ip" -p 7301 -v -V -C 20 -S 1000
cm_pair "rdma_cm loopback: ucmatose -c 2 -C 20 -S 1000" ucmatose 0 0 \
    ucmatose -b "$cm_ip" -p 7302 -c 2 -C 20 -S 1000 -- \
    ucmatose -s "$cm_ip" -p 7302 -c 2 -C 20 -S 1000
cm_pair "rdma_cm loopback: udaddy -C 20 (UD)" udaddy 0 0 \
    udaddy -b "$cm_ip" -C 20 -- udaddy -s "$cm_ip" -C 20
cm_pair "rdma_cm loopback: rdma_server / rdma_client" rdma_server 0 0 \
    rdma_server -s "$cm_ip" -p 7303 -- rdma_client -s "$cm_ip" -p 7303
cm_port=7310
for t in ib_write_bw ib_read_bw ib_send_bw; do
    for odp in "" --odp; do
        cm_port=$((cm_port + 1))
        cm_pair "rdma_cm loopback: $t -R ${odp:-pinned} -s 65536 -n 100" perftest 0 0 \
            "$t" -d "$DEV" -R -F -s 65536 -n 100 -p "$cm_port" $odp -- \
            "$t" -d "$DEV" -R -F -s 65536 -n 100 -p "$cm_port" $odp "$cm_ip"
    done
done

# rdma resource / rdma statistic: what an rping holds while it runs.
rping -s -a "$cm_ip" -p 7320 -C 0 > /dev/null 2>&1 &
cm_s=$!
sleep 1
rping -c -a "$cm_ip" -p 7320 -C 0 > /dev/null 2>&1 &
cm_c=$!
for _ in $(seq 1 100); do
    [ "$(rdma resource show qp link "$DEV/1" 2>/dev/null | grep -c 'type RC state RTS.*comm rping')" -ge 2 ] && break
    sleep 0.2
done
cm_res="$LOG/rdma-resource"
for r in qp cq mr pd cm_id; do
    echo "== $r"
    rdma resource show "$r" 2>&1
done > "$cm_res"
rdma resource show > "$cm_res.summary" 2>&1
kill "$cm_c" "$cm_s" 2>/dev/null
wait "$cm_c" "$cm_s" 2>/dev/null
# (pipes, not <(...): the guest has no /dev/fd)
n_qp="$(grep -c "link $DEV/1 .*type RC state RTS.*comm rping" "$cm_res")"
n_cq="$(sed -n '/== cq/,/== mr/p' "$cm_res" | grep -c "dev $DEV .*comm rping")"
n_mr="$(sed -n '/== mr/,/== pd/p' "$cm_res" | grep -c "dev $DEV .*mrlen.*comm rping")"
n_pd="$(sed -n '/== pd/,/== cm_id/p' "$cm_res" | grep -c "dev $DEV .*comm rping")"
n_cm="$(sed -n '/== cm_id/,$p' "$cm_res" | grep -c "link $DEV/1 .*comm rping")"
gsi="$(grep -c "link $DEV/1 lqpn 1 type GSI state RTS" "$cm_res")"
if [ "$n_qp" -ge 2 ] && [ "$n_cq" -ge 2 ] && [ "$n_mr" -ge 4 ] && [ "$n_pd" -ge 2 ] &&
   [ "$n_cm" -ge 2 ] && [ "$gsi" = 1 ] && grep -q "^[0-9]*: $DEV: pd [0-9]* cq [0-9]* qp [0-9]*" "$cm_res.summary"; then
    ok "rdma resource show: a running rping pair's $n_qp QPs (RC, RTS), $n_cq CQs, $n_mr MRs, $n_pd PDs, $n_cm CM IDs, and the GSI QP 1 (RTS) on $DEV"
    sed 's/^/# /' "$cm_res.summary"
else
    not_ok "rdma resource show: rping's QPs (RC, RTS), CQs, MRs, PDs and CM IDs and the GSI QP on $DEV (qp $n_qp, cq $n_cq, mr $n_mr, pd $n_pd, cm_id $n_cm, gsi $gsi)"
    show "$cm_res" 40
fi
rdma statistic show link "$DEV/1" > "$LOG/rdma-statistic" 2>&1
cm_cmds="$(grep -o ' commands [0-9]*' "$LOG/rdma-statistic" | awk '{print $2}')"
cm_faults="$(grep -o ' odp_faults [0-9]*' "$LOG/rdma-statistic" | awk '{print $2}')"
if [ "${cm_cmds:-0}" -gt 0 ] && [ "${cm_faults:-0}" -gt 0 ] &&
   grep -q "^link $DEV/1 .*odp_resumes [0-9]* .*rnr_naks [0-9]*" "$LOG/rdma-statistic"; then
    ok "rdma statistic show link $DEV/1: the driver's counters ($cm_cmds commands, $cm_faults ODP faults so far)"
else
    not_ok "rdma statistic show link $DEV/1: the driver's counters"
    show "$LOG/rdma-statistic"
fi
ip addr del "$CM_ADDR" dev "$cm_if" 2>/dev/null
