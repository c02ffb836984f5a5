# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# Faults mid-flight (issue 7): the device is reset, the driver unloaded
# and the verbs process killed while traffic over on-demand MRs runs and
# faults happen; fault injection at high rates with invalidations racing
# the faults.  Sourced by check-guest.sh after check-inject.sh and before
# the driver is unloaded; it continues that suite's TAP numbering with its
# ok, not_ok, skip, show, relay_tap and run_pair and uses its T, FAILED,
# DEV, ODP_GID, LOG, port and ODP_ROOT.  The driver is loaded again at the
# end.
#
# Traffic comes from build/guest-tests-<series>/odp-midflight (odp-midflight.c:
# RDMA WRITE, READ and SEND on QP pairs, every completion checked once and
# in order, every byte checked; IBV_EVENT_DEVICE_FATAL ends it with status
# 3) and from Debian's perftest with --odp.  Faults come from the device
# (first touch, pages dropped by odp-midflight -c) and from the monitor
# (odp-hca-inject-faults, asked of the host by scripts/in-guest/monitor.sh):
# "every N" translations, or every translation of one MR's key, which
# stalls the QP pair using it on faults for as long as the injection
# lasts while the other pair goes on.
#
# Scenarios, each with TAP lines that can fail (all of them start with
# "mid-flight: ", which scripts/reliability-report.py looks for):
#   1. FLR through sysfs during ib_write_bw and ib_send_bw --odp with
#      injected faults;
#   2. FLR through sysfs during odp-midflight, pair 0 stalled on faults,
#      pages dropped in a loop;
#   3. an FLR nobody announced: the FLR bit of the device's PCIe Device
#      Control written with setpci (as the device's own DMA or MSI-X write
#      could), during the same traffic: the driver notices it, and resets
#      and brings the function up again by itself; then once more with no
#      traffic at all, for the driver's health check to notice;
#   4. rmmod odp_hca with pair 0 stalled on faults and ib_read_bw --odp
#      running, then insmod;
#   5. kill -9 of odp-midflight while pair 0 is stalled on faults;
#   6. fault injection every 128th translation with pages dropped in a loop
#      (invalidations racing every fault), explicit and implicit ODP MRs,
#      then the device's and the driver's account of the faults.
# After each: QEMU answers the monitor, the device works for a fresh run
# (ibv_rc_pingpong -o and a short odp-midflight, every byte and
# completion checked), the processes of the old device exit, no WARN,
# BUG, oops, lockdep, KASAN or UBSAN report in dmesg.  The surviving runs
# (before a reset, and 6) lose and duplicate no completion and get every
# byte right.
#
# Environment: MIDFLIGHT_STORM_SECS (8, each of the two runs of 6),
# MIDFLIGHT_EVERY (8).  About 2.5 minutes under TCG.

if ! declare -F run_pair > /dev/null || ! declare -F relay_tap > /dev/null; then
    echo "check-midflight.sh: source it from check-guest.sh (it needs its TAP helpers)" >&2
    # shellcheck disable=SC2317 # reached when run rather than sourced
    return 2 2> /dev/null || exit 2
fi

_MF_BIN="$ODP_GUEST_TESTS/odp-midflight"
_MF_KO="$ODP_KMOD_DIR/odp_hca.ko"
# Every 128th translation: since RC moved to packets a 16 KiB operation at
# the path MTU of 1024 translates each page once a packet (four times as
# often as the page-sized moves before), and go-back-N translates again
# what it resends; at every 32 or more often, no message completes
# between injected faults, and at every 64 an implicit ODP MR (deeper
# tables, more translations) crawled (see README, "Known gaps").
_MF_EVERY="${MIDFLIGHT_EVERY:-128}"
_MF_STORM="${MIDFLIGHT_STORM_SECS:-8}"
_mf_port="${port:-18700}"
# What dmesg must not say (kernel/panic.c, lockdep, KASAN, UBSAN, ...).
_MF_SPLAT='WARNING:|BUG:|Oops|general protection|kernel BUG|circular locking|possible recursive locking|lock held when returning|INFO: task .* blocked|KASAN|UBSAN|refcount_t:|list_(add|del) corruption|stack-protector|Call Trace'

_mf_qmp() { "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp "$@"; }
_mf_ctr() { cat "/sys/class/infiniband/$DEV/ports/1/hw_counters/$1" 2> /dev/null || echo 0; }
_mf_now() { date +%s.%N; }
_mf_since() { awk -v a="$1" -v b="$(_mf_now)" 'BEGIN { printf "%.1f", b - a }'; }

# _mf_inject '<more JSON members>' | _mf_inject_stop
_mf_inject() {
    _mf_qmp odp-hca-inject-faults "{\"id\": \"$_MF_ID\"$1}" > "$LOG/mf-inject.out" 2>&1
}
_mf_inject_stop() {
    _mf_qmp odp-hca-inject-faults "{\"id\": \"$_MF_ID\"}" > /dev/null 2>&1
}

# Every translation of pair $1's source MR faults (for a million faults).
_mf_stall_pair() {
    local key
    key="$(awk -v p="$1" '$1 == "mr" && $2 == p && $3 == "src" { print $4 }' "$_MF_READY")"
    [ -n "$key" ] || return 1
    _mf_inject ", \"key\": $((key)), \"iova\": 0, \"length\": 18446744073709551615, \"count\": 1000000"
}

# Wait until $DEV is registered and port 1 ACTIVE, at most $1 seconds.
_mf_wait_up() {
    local end=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$end" ]; do
        grep -q ACTIVE "/sys/class/infiniband/$DEV/ports/1/state" 2> /dev/null && return 0
        sleep 0.2
    done
    return 1
}

# Wait until process $1 is gone, at most $2 seconds; _MF_RC its status
# (255: still there).
_mf_wait_exit() {
    local pid="$1" end=$((SECONDS + $2))
    while kill -0 "$pid" 2> /dev/null && [ "$SECONDS" -lt "$end" ]; do
        sleep 0.1
    done
    if kill -0 "$pid" 2> /dev/null; then
        _MF_RC=255
    else
        wait "$pid"
        _MF_RC=$?
    fi
} 2> /dev/null  # and no "Killed" notice from bash

# _mf_start <tag> <odp-midflight options...>: in the background, until its
# first window of every pair completed (_MF_READY has its MR keys).
_mf_start() {
    local tag="$1" end
    shift
    _MF_LOG="$LOG/mf-$tag.log" _MF_READY="$LOG/mf-$tag.ready"
    rm -f "$_MF_READY"
    (cd /tmp && exec "$_MF_BIN" -d "$DEV" -g "$ODP_GID" -r "$_MF_READY" -P 1 "$@") > "$_MF_LOG" 2>&1 &
    _MF_PID=$!
    end=$((SECONDS + 60))
    while ! grep -qx ready "$_MF_READY" 2> /dev/null; do
        if ! kill -0 "$_MF_PID" 2> /dev/null || [ "$SECONDS" -ge "$end" ]; then
            return 1
        fi
        sleep 0.2
    done
}

# The last progress line of odp-midflight: "time pair0 pair1 faults".
_mf_progress() {
    sed -n 's/^# progress \([0-9.]*\) s: pair0 \([0-9]*\) pair1 \([0-9]*\) ops, faults \(-\{0,1\}[0-9]*\),.*/\1 \2 \3 \4/p' "$_MF_LOG" | tail -n 1
}

# After _mf_stall_pair 0: pair 0 stuck, its faults going on, pair 1 moving.
_mf_check_stall() {
    local what="$1" a b end=$((SECONDS + 40))
    while [ "$SECONDS" -lt "$end" ]; do
        sleep 1
        a="$(_mf_progress)"
        sleep 2
        b="$(_mf_progress)"
        # shellcheck disable=SC2086
        set -- $a $b
        [ $# -eq 8 ] || continue
        if [ "$2" = "$6" ] && [ "$7" -gt "$3" ] && [ "$8" -gt $(($4 + 50)) ]; then
            ok "$what: QP pair 0 stalled on faults (its ops stay at $6, $(($8 - $4)) faults in $(awk -v a="$1" -v b="$5" 'BEGIN { printf "%.0f", b - a }') s) while pair 1 goes on (+$(($7 - $3)) ops)"
            return 0
        fi
    done
    not_ok "$what: QP pair 0 stalled on faults while pair 1 goes on (progress: $a / $b)"
    show "$_MF_LOG" 10
    return 1
}

# Relay odp-midflight's verdicts (and a few of its details) as TAP lines.
_mf_relay() {
    local what="$1" out="$LOG/mf-relay.txt"
    grep -E '^(ok|not ok) - |^# (midflight|IBV_EVENT|async event|teardown|driver|churn):? ' "$_MF_LOG" |
        awk -v w="$what" '{ if (sub(/^ok - /, "")) print "ok - " w ": " $0
                            else if (sub(/^not ok - /, "")) print "not ok - " w ": " $0
                            else print }' > "$out"
    relay_tap "$out"
}

# odp-midflight, gone with the device: it heard IBV_EVENT_DEVICE_FATAL and
# exited with 3 within $2 seconds; what completed before was right.
_mf_check_fatal() {
    local what="$1" t0
    t0="$(_mf_now)"
    _mf_wait_exit "$_MF_PID" "$2"
    if [ "$_MF_RC" = 3 ]; then
        ok "$what: odp-midflight heard IBV_EVENT_DEVICE_FATAL and exited (status 3, $(_mf_since "$t0") s later), its objects destroyed without hanging"
    else
        not_ok "$what: odp-midflight heard IBV_EVENT_DEVICE_FATAL and exited with 3 (status $_MF_RC)"
        [ "$_MF_RC" = 255 ] && kill -9 "$_MF_PID" 2> /dev/null
        show "$_MF_LOG" 15
    fi
    _mf_relay "$what"
}

# Kill process $2... with SIGKILL; they are gone within 10 s (none stuck
# in the kernel).
_mf_reap() {
    local what="$1" pid t0 left=""
    shift
    t0="$(_mf_now)"
    kill -9 "$@" 2> /dev/null
    for pid in "$@"; do
        _mf_wait_exit "$pid" 10
        [ "$_MF_RC" = 255 ] && left="$left $pid"
    done
    if [ -z "$left" ]; then
        ok "$what: gone $(_mf_since "$t0") s after SIGKILL"
    else
        not_ok "$what: still there 10 s after SIGKILL:$left"
        ps -o pid,stat,wchan:32,cmd -p "${left# }" | sed 's/^/# /'
    fi
}

# QEMU alive, the device usable for fresh runs, dmesg clean.
_mf_after() {
    local what="$1" out="$LOG/mf-alive.json" new
    _mf_inject_stop
    if _mf_qmp query-odp-hca > "$out" 2>&1 && grep -q '"qom-path"' "$out"; then
        ok "$what: QEMU is alive and answers query-odp-hca"
    else
        not_ok "$what: QEMU is alive and answers query-odp-hca"
        show "$out"
    fi
    if ! _mf_wait_up 30; then
        not_ok "$what: $DEV registered with port 1 ACTIVE"
    else
        _mf_port=$((_mf_port + 1))
        run_pair 60 "$_mf_port" ibv_rc_pingpong -d "$DEV" -g "$ODP_GID" -p "$_mf_port" -s 4096 -n 50 -o
        if [ "$LB_RC" -eq 0 ] && [ "$LB_SRC" -eq 0 ]; then
            ok "$what: a fresh ibv_rc_pingpong -o passes"
        else
            pair_failed "$what: a fresh ibv_rc_pingpong -o passes"
        fi
        _MF_LOG="$LOG/mf-fresh.log"
        (cd /tmp && timeout 60 "$_MF_BIN" -d "$DEV" -g "$ODP_GID" -t 1 -P 0) > "$_MF_LOG" 2>&1
        _MF_RC=$?
        if [ "$_MF_RC" = 0 ] && grep -q '^# midflight: ops [1-9]' "$_MF_LOG"; then
            ok "$what: a fresh odp-midflight passes ($(sed -n 's/^# midflight: ops \([0-9]*\) bytes \([0-9]*\).*/\1 operations, \2 bytes checked/p' "$_MF_LOG"))"
        else
            not_ok "$what: a fresh odp-midflight passes (status $_MF_RC)"
            show "$_MF_LOG" 10
        fi
    fi
    new="$(dmesg | tail -n +$((_MF_DMESG0 + 1)))"
    printf '%s\n' "$new" | grep -E 'odp_hca' | tail -n 8 | sed 's/^/# dmesg: /'
    if printf '%s\n' "$new" | grep -Eq "$_MF_SPLAT"; then
        not_ok "$what: no WARN, BUG, oops, lockdep, KASAN or UBSAN report in dmesg"
        printf '%s\n' "$new" | grep -E -A 12 "$_MF_SPLAT" | head -n 40 | sed 's/^/# /'
    else
        ok "$what: no WARN, BUG, oops, lockdep, KASAN or UBSAN report in dmesg"
    fi
}

_mf_begin() {
    echo "# --- $1"
    _MF_DMESG0="$(dmesg | wc -l)"
    _mf_t0="$SECONDS"
}

_mf_end() { echo "# (${1#mid-flight: } took $((SECONDS - _mf_t0)) s)"; }

# The function reset through sysfs; "ok" when it returned 0.
_mf_flr() {
    local what="$1" t0 rc
    t0="$(_mf_now)"
    sh -c "echo 1 > /sys/bus/pci/devices/$_MF_BDF/reset" > "$LOG/mf-reset.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        ok "$what: echo 1 > /sys/bus/pci/devices/$_MF_BDF/reset returned in $(_mf_since "$t0") s"
    else
        not_ok "$what: echo 1 > /sys/bus/pci/devices/$_MF_BDF/reset (exit $rc)"
        show "$LOG/mf-reset.out"
    fi
    if _mf_wait_up 30; then
        ok "$what: $DEV registered again, port 1 ACTIVE, $(_mf_since "$t0") s after the reset"
    else
        not_ok "$what: $DEV registered again with port 1 ACTIVE within 30 s"
    fi
}

# An FLR written into the device's PCIe Device Control (capability offset
# 8, bit 15: Initiate FLR) with setpci, which the kernel does not see: the
# driver notices (the command path, or the health check when no command
# runs; $2 says which is expected), and resets and brings the function up
# again by itself.
_mf_flr_behind() {
    local what="$1" how="${2:-}" t0 end lost
    t0="$(_mf_now)"
    if setpci -s "$_MF_BDF" CAP_EXP+8.w=8000:8000; then
        ok "$what: FLR bit written into the device's Device Control with setpci"
    else
        not_ok "$what: setpci -s $_MF_BDF CAP_EXP+8.w=8000:8000"
    fi
    end=$((SECONDS + 30))
    while [ "$SECONDS" -lt "$end" ]; do
        dmesg | tail -n +$((_MF_DMESG0 + 1)) > "$LOG/mf-dmesg.txt"
        grep -q 'up again after function reset' "$LOG/mf-dmesg.txt" && break
        sleep 0.2
    done
    lost="$(sed -n 's/.*device lost (\([^)]*\)).*/\1/p' "$LOG/mf-dmesg.txt" | head -n 1)"
    if [ -n "$lost" ] && { [ -z "$how" ] || [ "${lost#"$how"}" != "$lost" ]; } &&
       grep -q 'up again after function reset' "$LOG/mf-dmesg.txt" && _mf_wait_up 30; then
        ok "$what: the driver noticed ($lost) and reset and brought up $DEV again by itself, port ACTIVE $(_mf_since "$t0") s after the FLR"
    else
        not_ok "$what: the driver noticed the reset${how:+ (by its $how)} and brought $DEV up again within 30 s"
        sed 's/^/# dmesg: /' "$LOG/mf-dmesg.txt" | tail -n 15
    fi
}

# 3b. The same with no traffic: the health check notices.
_mf_flr_idle() {
    local what="mid-flight: FLR behind the kernel's back, device idle"
    _mf_begin "$what"
    _mf_flr_behind "$what" "health check"
    _mf_after "$what"
    _mf_end "$what"
}

# 1. FLR during ib_write_bw and ib_send_bw --odp (two pairs at once),
# faults injected every 16th translation.
_mf_flr_perftest() {
    local what="mid-flight: FLR during ib_write_bw and ib_send_bw --odp"
    local f0 end t pids="" running="" p
    _mf_begin "$what"
    if ! _mf_inject ', "every": 16'; then
        not_ok "$what: odp-hca-inject-faults every 16"
        show "$LOG/mf-inject.out"
        return
    fi
    f0="$(_mf_ctr odp_faults)"
    for t in ib_write_bw ib_send_bw; do
        _mf_port=$((_mf_port + 1))
        # Not under timeout(1): SIGKILL must reach perftest itself.
        "$t" -d "$DEV" -x "$ODP_GID" -p "$_mf_port" -F -s 65536 -D 120 --odp > "$LOG/mf-$t.server" 2>&1 &
        pids="$pids $!"
        wait_port "$_mf_port"
        "$t" -d "$DEV" -x "$ODP_GID" -p "$_mf_port" -F -s 65536 -D 120 --odp localhost > "$LOG/mf-$t.client" 2>&1 &
        pids="$pids $!"
    done
    end=$((SECONDS + 30))
    while [ "$(_mf_ctr odp_faults)" -lt $((f0 + 100)) ] && [ "$SECONDS" -lt "$end" ]; do
        sleep 0.2
    done
    for p in $pids; do
        kill -0 "$p" 2> /dev/null && running="$running $p"
    done
    if [ "$(_mf_ctr odp_faults)" -ge $((f0 + 100)) ] && [ "$running" = "$pids" ]; then
        ok "$what: both pairs run and faults happen ($(($(_mf_ctr odp_faults) - f0)) so far)"
    else
        not_ok "$what: both pairs run and faults happen ($(($(_mf_ctr odp_faults) - f0)) faults; running:$running of$pids)"
        show "$LOG/mf-ib_write_bw.client" 5
        show "$LOG/mf-ib_send_bw.client" 5
    fi
    _mf_flr "$what"
    sleep 1
    running=""
    for p in $pids; do
        kill -0 "$p" 2> /dev/null && running="$running $p"
    done
    echo "# the old device's perftest processes still there 1 s after the reset:${running:- none} (they poll CQs the device no longer writes)"
    # shellcheck disable=SC2086
    _mf_reap "$what: the old device's perftest processes" $pids
    _mf_after "$what"
    _mf_end "$what"
}

# 2. and 3.: odp-midflight with pair 0 stalled on faults and pages dropped
# in a loop; $2: "sysfs" (FLR through sysfs) or "setpci" (FLR behind the
# kernel's back).
_mf_flr_midflight() {
    local what="$1" how="$2"
    _mf_begin "$what"
    if ! _mf_start "$how" -t 300 -c; then
        not_ok "$what: odp-midflight started"
        show "$_MF_LOG"
        kill -9 "$_MF_PID" 2> /dev/null
        return
    fi
    if ! _mf_stall_pair 0; then
        not_ok "$what: odp-hca-inject-faults on pair 0's key"
        show "$LOG/mf-inject.out"
    fi
    _mf_check_stall "$what"
    if [ "$how" = sysfs ]; then
        _mf_flr "$what"
    else
        _mf_flr_behind "$what"
    fi
    _mf_check_fatal "$what" 30
    _mf_after "$what"
    _mf_end "$what"
}

# 4. rmmod with faults outstanding, insmod.
_mf_rmmod() {
    local what="mid-flight: rmmod odp_hca with faults outstanding" t0 rc spid cpid
    _mf_begin "$what"
    if ! _mf_start rmmod -t 300; then
        not_ok "$what: odp-midflight started"
        show "$_MF_LOG"
        kill -9 "$_MF_PID" 2> /dev/null
        return
    fi
    _mf_port=$((_mf_port + 1))
    ib_read_bw -d "$DEV" -x "$ODP_GID" -p "$_mf_port" -F -s 65536 -D 120 --odp > "$LOG/mf-rbw.server" 2>&1 &
    spid=$!
    wait_port "$_mf_port"
    ib_read_bw -d "$DEV" -x "$ODP_GID" -p "$_mf_port" -F -s 65536 -D 120 --odp localhost > "$LOG/mf-rbw.client" 2>&1 &
    cpid=$!
    _mf_stall_pair 0 || not_ok "$what: odp-hca-inject-faults on pair 0's key"
    _mf_check_stall "$what"
    t0="$(_mf_now)"
    timeout 120 rmmod odp_hca > "$LOG/mf-rmmod.out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && ! grep -q '^odp_hca ' /proc/modules && [ ! -e "/sys/class/infiniband/$DEV" ]; then
        ok "$what: rmmod returned 0 in $(_mf_since "$t0") s with odp-midflight stalled and ib_read_bw --odp running; $DEV is gone"
    else
        not_ok "$what: rmmod odp_hca (exit $rc)"
        show "$LOG/mf-rmmod.out"
    fi
    _mf_check_fatal "$what" 30
    _mf_reap "$what: the ib_read_bw pair of the unloaded driver" "$spid" "$cpid"
    _mf_inject_stop
    t0="$(_mf_now)"
    if insmod "$_MF_KO" > "$LOG/mf-insmod.out" 2>&1; then
        ip link set odphca0 up 2> /dev/null
        if _mf_wait_up 30; then
            ok "$what: insmod odp_hca.ko: $DEV back, port ACTIVE in $(_mf_since "$t0") s"
        else
            not_ok "$what: insmod odp_hca.ko: $DEV back with port 1 ACTIVE"
        fi
    else
        not_ok "$what: insmod $_MF_KO"
        show "$LOG/mf-insmod.out"
    fi
    _mf_after "$what"
    _mf_end "$what"
}

# 5. kill -9 while pair 0 is stalled on faults.
_mf_kill() {
    local what="mid-flight: kill -9 with QPs stalled on faults" pid f1 f2 left
    _mf_begin "$what"
    if ! _mf_start kill -t 300 -c; then
        not_ok "$what: odp-midflight started"
        show "$_MF_LOG"
        kill -9 "$_MF_PID" 2> /dev/null
        return
    fi
    pid="$_MF_PID"
    _mf_stall_pair 0 || not_ok "$what: odp-hca-inject-faults on pair 0's key"
    _mf_check_stall "$what"
    _mf_reap "$what: odp-midflight" "$pid"
    sleep 0.5
    f1="$(_mf_ctr odp_faults)"
    sleep 1.5
    f2="$(_mf_ctr odp_faults)"
    left="$(for r in qp cq mr pd; do rdma resource show "$r"; done 2> /dev/null | grep -c "pid $pid ")"
    if [ "$f2" -eq "$f1" ] && [ "$left" -eq 0 ]; then
        ok "$what: its QPs, CQs, MRs and PD are gone (rdma resource lists none of pid $pid) and its faults stopped (injection still on)"
    else
        not_ok "$what: its objects are gone (rdma resource: $left of pid $pid) and no more faults ($((f2 - f1)) in 1.5 s)"
        rdma resource show qp 2>&1 | sed 's/^/# /' | head -n 10
    fi
    _mf_after "$what"
    _mf_end "$what"
}

# 6. A fault storm with invalidations racing every fault.
_mf_storm() {
    local what="mid-flight: fault injection every $_MF_EVERY with pages dropped in a loop"
    local json="$LOG/mf-storm.json" d0 d1 rc opts tag
    _mf_begin "$what"
    d0="$(_mf_ctr odp_faults) $(_mf_ctr odp_resumes) $(_mf_ctr odp_faults_failed) $(_mf_ctr odp_resume_errors) $(_mf_ctr odp_invalidations)"
    if ! _mf_qmp odp-hca-reset-stats "{\"id\": \"$_MF_ID\"}" > "$LOG/mf-inject.out" 2>&1 ||
       ! _mf_inject ", \"every\": $_MF_EVERY"; then
        not_ok "$what: odp-hca-reset-stats, odp-hca-inject-faults every $_MF_EVERY"
        show "$LOG/mf-inject.out"
        return
    fi
    for opts in "-c" "-c -i"; do
        tag="explicit ODP MRs"
        [ "$opts" = "-c -i" ] && tag="an implicit ODP MR"
        _MF_LOG="$LOG/mf-storm${opts// /}.log"
        # shellcheck disable=SC2086
        (cd /tmp && timeout 300 "$_MF_BIN" -d "$DEV" -g "$ODP_GID" -t "$_MF_STORM" -P 0 -T 60 $opts) > "$_MF_LOG" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ] && grep -q '^# midflight: ops [1-9]' "$_MF_LOG"; then
            ok "$what, $tag: odp-midflight ran ${_MF_STORM} s and ended well"
        else
            not_ok "$what, $tag: odp-midflight ran ${_MF_STORM} s and ended well (status $rc)"
            show "$_MF_LOG" 12
        fi
        _mf_relay "$what, $tag"
    done
    _mf_inject_stop
    sleep 0.2
    d1="$(_mf_ctr odp_faults) $(_mf_ctr odp_resumes) $(_mf_ctr odp_faults_failed) $(_mf_ctr odp_resume_errors) $(_mf_ctr odp_invalidations)"
    if ! _mf_qmp query-odp-hca "{\"id\": \"$_MF_ID\"}" > "$json" 2> "$LOG/mf-inject.out"; then
        not_ok "$what: query-odp-hca after the runs"
        show "$json"
    else
        python3 - "$json" "$d0" "$d1" "$what" > "$LOG/mf-storm.check" 2>&1 << 'EOF'
import json
import sys

path, d0, d1, what = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
d_faults, d_resumes, d_failed, d_rerr, d_inval = (
    b - a for a, b in zip(map(int, d0.split()), map(int, d1.split())))
with open(path) as f:
    dev = json.load(f)[0]
c = dev["counters"]
faults = c["faults-requester"] + c["faults-responder"]
inj = c["faults-injected"]
print("#   device: faults %d (injected %d), resumes ok %d failed %d, "
      "invalidations %d, RNR NAKs %d, events dropped %d, guest errors %d"
      % (faults, inj, c["resumes-ok"], c["resumes-failed"],
         c["invalidations"], c["rnr-naks"], c["events-dropped"],
         c["guest-errors"]))
print("#   driver: odp_faults +%d, odp_resumes +%d, odp_faults_failed +%d, "
      "odp_resume_errors +%d, odp_invalidations +%d"
      % (d_faults, d_resumes, d_failed, d_rerr, d_inval))


def check(good, desc):
    print("%s - %s: %s" % ("ok" if good else "not ok", what, desc))


check(inj >= 1000, "thousands of faults injected (%d of %d faults)"
      % (inj, faults))
check(c["resumes-ok"] == faults and c["resumes-failed"] == 0 and
      c["events-dropped"] == 0,
      "the device saw every fault resumed: resumes ok %d = faults %d, "
      "failed %d, events dropped %d"
      % (c["resumes-ok"], faults, c["resumes-failed"], c["events-dropped"]))
check(d_faults == faults and d_resumes == d_faults and d_failed == 0 and
      d_rerr == 0,
      "the driver resolved each fault once: odp_faults +%d (device %d), "
      "odp_resumes +%d, odp_faults_failed +%d, odp_resume_errors +%d"
      % (d_faults, faults, d_resumes, d_failed, d_rerr))
check(d_inval >= 100 and c["invalidations"] >= d_inval,
      "invalidations raced the faults: odp_invalidations +%d, INVALIDATE "
      "commands %d" % (d_inval, c["invalidations"]))
EOF
        relay_tap "$LOG/mf-storm.check"
        grep -q '^ok - ' "$LOG/mf-storm.check" || not_ok "$what: the device's counters were checked (python3)"
    fi
    _mf_after "$what"
    _mf_end "$what"
}

_mf_main() {
    local t0="$SECONDS" out="$LOG/mf-query.json" rc
    if [ ! -x "$_MF_BIN" ]; then
        skip "mid-flight tests" "no ${_MF_BIN#"$ODP_ROOT"/} (make odp-midflight)"
        return
    fi
    _MF_BDF="$(lspci -D -n -d 1af4:10f0 | awk 'NR == 1 { print $1 }')"
    _mf_qmp query-odp-hca > "$out" 2>&1
    rc=$?
    _MF_ID="$(sed -n 's/^ *"qom-path": "\([^"]*\)",\{0,1\}$/\1/p' "$out")"
    if [ "$rc" -ne 0 ] || [ -z "$_MF_ID" ] || [ -z "$_MF_BDF" ] ||
       [ "$(printf '%s\n' "$_MF_ID" | wc -l)" -ne 1 ]; then
        skip "mid-flight tests" "no answer to query-odp-hca from the host, or not one odp-hca (exit $rc)"
        return
    fi
    echo "# mid-flight tests on $_MF_BDF ($_MF_ID)"
    _mf_flr_perftest
    _mf_flr_midflight "mid-flight: FLR during odp-midflight" sysfs
    _mf_flr_midflight "mid-flight: FLR behind the kernel's back" setpci
    _mf_flr_idle
    _mf_rmmod
    _mf_kill
    _mf_storm
    _mf_inject_stop
    echo "# mid-flight tests took $((SECONDS - t0)) s"
}

_mf_main
port="$_mf_port"
