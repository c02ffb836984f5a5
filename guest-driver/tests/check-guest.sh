#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The guest test suite (make check-guest): runs inside the guest harness
# (scripts/vm.sh -c), prints TAP for scripts/run-tap.sh.
#
#   - the device is on the bus, the driver bound, odp_hca0 registered;
#   - ibv_devices / ibv_devinfo -v list it with its ODP capabilities;
#   - ibv_rc_pingpong loopback, pinned and ODP (-o, -O, -o -P), two sizes;
#   - perftest loopback (write, read, send, atomic; with and without --odp);
#   - rdma_cm in loopback (check-cm.sh): rping -v with its data checked,
#     ucmatose, udaddy, rdma_server/rdma_client, perftest -R; rdma resource
#     show (a running rping's QPs, CQs, MRs, PDs) and rdma statistic;
#   - rdma-core's pyverbs tests (test_odp and friends), one TAP line each;
#   - odp-verify (every byte under page churn, remap, fork, NUMA migration;
#     unresolvable faults), one TAP line per result;
#   - the device's counters (query-odp-hca over QMP, from the host) agree
#     with the driver's (hw_counters) about faults, resumes, invalidations;
#   - mid-flight (check-midflight.sh): FLR through sysfs and behind the
#     kernel's back, rmmod/insmod, kill -9 while QPs are stalled on faults,
#     a fault storm with invalidations racing it; afterwards QEMU answers,
#     the device works for a fresh run, dmesg is clean;
#   - behind a translating IOMMU (check-iommu.sh, VM_IOMMU=1): it
#     translated the device's DMA, the device heard its unmaps, and it
#     recorded no fault for the device;
#   - the driver unloads after traffic; dmesg has no WARN/BUG/lockdep splat.
#
# Tests that need the driver are skipped while build/kmod-<series>/odp_hca.ko
# (ODP_KMOD_DIR, from scripts/in-guest/init.sh) does
# not exist.  Environment: ODP_DEV (odp_hca0), ODP_GID (GID index; default:
# the first non-zero GID of port 1), CHECK_GUEST_QUICK=1 (one size only),
# PYVERBS_TESTS (rdma-core test modules to run; empty: none).
set -u

DEV="${ODP_DEV:-odp_hca0}"
T=0
FAILED=0
LOG=/tmp/check-guest
mkdir -p "$LOG"

ok() { T=$((T + 1)); echo "ok $T - $*"; }
not_ok() { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - $*"; }
skip() { T=$((T + 1)); echo "ok $T - $1 # SKIP ${2:-}"; }
# Show a failed step's output as TAP comments.
show() { sed 's/^/# /' "$1" | tail -n "${2:-25}"; }
# Number a checker's "ok - ..." / "not ok - ..." lines into this suite's TAP.
relay_tap() {
    local line
    while IFS= read -r line; do
        case "$line" in
            "ok - "*) ok "${line#ok - }" ;;
            "not ok - "*) not_ok "${line#not ok - }" ;;
            "#"*) echo "$line" ;;
            *) echo "# $line" ;;
        esac
    done < "$1"
}

# check <description> <command...>: one test from one command.
check() {
    local desc="$1" out="$LOG/$((T + 1)).log"
    shift
    if "$@" > "$out" 2>&1; then
        ok "$desc"
    else
        not_ok "$desc (exit $?)"
        show "$out"
    fi
}

# Wait until a TCP port listens on this machine (a server started).
wait_port() {
    local port="$1" i
    for i in $(seq 1 100); do
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# run_pair <timeout> <port> <command...>: run the command as a server, then
# again as a client of localhost.  Sets LB_RC/LB_SRC (client and server
# status, 255: the server never listened) and LB_CLOG/LB_SLOG.
run_pair() {
    local tmo="$1" port="$2" n=$((T + 1)) spid
    shift 2
    LB_SLOG="$LOG/$n.server.log" LB_CLOG="$LOG/$n.client.log"
    : > "$LB_CLOG"
    timeout "$tmo" "$@" > "$LB_SLOG" 2>&1 &
    spid=$!
    if ! wait_port "$port"; then
        kill "$spid" 2>/dev/null
        wait "$spid" 2>/dev/null
        LB_RC=255 LB_SRC=255
        return
    fi
    timeout "$tmo" "$@" localhost > "$LB_CLOG" 2>&1
    LB_RC=$?
    wait "$spid"
    LB_SRC=$?
}

pair_failed() {
    if [ "$LB_RC" = 255 ] && [ "$LB_SRC" = 255 ]; then
        not_ok "$1 (server did not listen)"
    else
        not_ok "$1 (client exit $LB_RC, server exit $LB_SRC)"
    fi
    echo "# server:"; show "$LB_SLOG" 15
    echo "# client:"; show "$LB_CLOG" 15
}

# ibv_rc_pingpong (or another example) in loopback.
pingpong() {
    local desc="$1" tmo="$2" port="$3"
    shift 3
    run_pair "$tmo" "$port" "$@"
    if [ "$LB_RC" -eq 0 ] && [ "$LB_SRC" -eq 0 ]; then
        ok "$desc"
        grep -E 'bytes in|iters in' "$LB_CLOG" | sed 's/^/# /'
    else
        pair_failed "$desc"
    fi
}

# A perftest bandwidth run in loopback: both sides succeed and the client
# reports a result line ("#bytes #iterations BW peak BW average MsgRate").
perftest() {
    local desc="$1" tmo="$2" port="$3" res
    shift 3
    run_pair "$tmo" "$port" "$@"
    res="$(grep -E '^[[:space:]]*[0-9]+([[:space:]]+[0-9.]+){4}[[:space:]]*$' "$LB_CLOG" | tail -n 1)"
    if grep -q 'ODP does not support ATOMICS' "$LB_SLOG" "$LB_CLOG"; then
        skip "$desc" "Debian's perftest refuses atomics with --odp (\"ODP does not support ATOMICS for now\")"
    elif [ "$LB_RC" -eq 0 ] && [ "$LB_SRC" -eq 0 ] && [ -n "$res" ]; then
        ok "$desc"
        echo "#   bytes  iters  peak MB/s  average MB/s  Mpps"
        echo "# $res" | tr -s '\t ' ' '
    else
        pair_failed "$desc"
    fi
}

echo "# kernel $(uname -r), $(nproc) CPUs, $(ls -d /sys/devices/system/node/node* | wc -l) NUMA nodes"

check "odp-hca is on the PCI bus (1af4:10f0)" \
    sh -c 'lspci -n -d 1af4:10f0 | grep -q .'

KO="$ODP_KMOD_DIR/odp_hca.ko"
if [ ! -f "$KO" ]; then
    for t in "odp_hca.ko loaded" "ibv_devices lists $DEV" "ibv_devinfo -v shows ODP caps" \
             "ibv_rc_pingpong loopback" "perftest loopback" "odp_hca unloads" ; do
        skip "$t" "no ${KO#"$ODP_ROOT"/} (kernel driver not built)"
    done
    check "no WARN/BUG/lockdep splat in dmesg" \
        sh -c '! dmesg | grep -E "WARNING:|BUG:|Oops|circular locking|possible recursive locking|INFO: task .* blocked"'
    echo "1..$T"
    exit "$FAILED"
fi

check "odp_hca.ko loaded" sh -c 'grep -q "^odp_hca " /proc/modules'
check "$DEV registered" test -d "/sys/class/infiniband/$DEV"
check "ibv_devices lists $DEV" sh -c "ibv_devices | grep -qw $DEV"

devinfo="$LOG/devinfo.txt"
ibv_devinfo -v -d "$DEV" > "$devinfo" 2>&1
check "ibv_devinfo -v -d $DEV" grep -q "hca_id:.*$DEV" "$devinfo"
check "ibv_devinfo: ODP supported" grep -q 'ODP_SUPPORT\b' "$devinfo"
check "ibv_devinfo: implicit ODP supported" grep -q 'ODP_SUPPORT_IMPLICIT' "$devinfo"
check "ibv_devinfo: RC ODP send/recv/write/read/atomic/srq_recv" sh -c "
    sed -n '/rc_odp_caps/,/uc_odp_caps/p' '$devinfo' > $LOG/rc_odp
    for c in SEND RECV WRITE READ ATOMIC SRQ; do
        grep -q \"SUPPORT_\$c\\b\" $LOG/rc_odp || { echo missing \$c; cat $LOG/rc_odp; exit 1; }
    done"
check "ibv_devinfo: UD ODP send/recv" sh -c "
    sed -n '/ud_odp_caps/,/xrc_odp_caps/p' '$devinfo' > $LOG/ud_odp
    grep -q 'SUPPORT_SEND' $LOG/ud_odp && grep -q 'SUPPORT_RECV' $LOG/ud_odp"
sed -n '/hca_id/,/phys_port_cnt/p' "$devinfo" | head -n 12 | sed 's/^/# /'

# RoCE needs a GID: the first non-zero one of port 1.
if [ -z "${ODP_GID:-}" ]; then
    ODP_GID=0
    for g in /sys/class/infiniband/"$DEV"/ports/1/gids/*; do
        [ -r "$g" ] || continue
        v="$(cat "$g" 2>/dev/null)"
        case "$v" in ""|0000:0000:0000:0000:0000:0000:0000:0000) continue ;; esac
        ODP_GID="${g##*/}"
        break
    done
fi
echo "# GID index $ODP_GID"

# The driver's counters (rdma statistic / hw_counters of port 1).
ctr() { cat "/sys/class/infiniband/$DEV/ports/1/hw_counters/$1" 2>/dev/null || echo 0; }
CTRS="odp_faults odp_fault_pages odp_resumes odp_faults_failed odp_resume_errors odp_prefetches odp_invalidations rnr_naks"
declare -A C0
for c in $CTRS; do C0[$c]="$(ctr "$c")"; done

# The device's counters too (query-odp-hca, asked of the host), to compare
# with the driver's at the end (guest-driver/tests/check-odp.sh).
. "$ODP_ROOT/guest-driver/tests/check-odp.sh"
counters_snapshot start || echo "# no answer to query-odp-hca from the host: $(cat "$LOG/start.dev.err")"

SIZES="4096 1048576"
[ "${CHECK_GUEST_QUICK:-0}" = 1 ] && SIZES=4096
port=18515
for opts in "" "-o" "-O" "-o -P"; do
    for size in $SIZES; do
        iters=200
        [ "$size" -gt 65536 ] && iters=20
        port=$((port + 1))
        pingpong "ibv_rc_pingpong ${opts:-pinned} -s $size -n $iters" 120 "$port" \
            ibv_rc_pingpong -d "$DEV" -g "$ODP_GID" -p "$port" -s "$size" -n "$iters" $opts
    done
done

# perftest (Debian's binaries against the build's libibverbs).
for t in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
    for odp in "" "--odp"; do
        size=65536
        [ "$t" = ib_atomic_bw ] && size=8
        port=$((port + 1))
        perftest "$t ${odp:-pinned} -s $size" 180 "$port" \
            "$t" -d "$DEV" -x "$ODP_GID" -p "$port" -F -s "$size" -n 100 $odp
    done
done
# User CQs tell the device how far they were read with a consumer record
# in memory, not a doorbell (an MMIO exit each poll): a receive CQ that
# wraps several times has the device read the record when it looks full.
dev_counter() {
    "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp query-odp-hca |
        python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["counters"][sys.argv[1]])' "$1"
}
r0="$(dev_counter cq-record-reads)"
port=$((port + 1))
perftest "ib_send_bw -s 64 -n 4000 (the receive CQ wraps)" 180 "$port" \
    ib_send_bw -d "$DEV" -x "$ODP_GID" -p "$port" -F -s 64 -n 4000
r1="$(dev_counter cq-record-reads)"
check "the device read the CQs' consumer records ($r0 -> $r1)" \
    test -n "$r0" -a -n "$r1" -a "${r1:-0}" -gt "${r0:-0}"

# One run large enough that faults happen while it moves data.  perftest
# writes its buffers before registering them, so with the driver's
# default those pages are mapped at registration (its snapshot, as mlx5
# takes); with reg_snapshot=0 every first touch faults.
SNAP=/sys/module/odp_hca/parameters/reg_snapshot
port=$((port + 1))
s0="$(ctr odp_snapshot_pages)"
perftest "ib_write_bw --odp -s 4194304 -n 20, the driver's defaults" 300 "$port" \
    ib_write_bw -d "$DEV" -x "$ODP_GID" -p "$port" -F -s 4194304 -n 20 --odp
s1="$(ctr odp_snapshot_pages)"
# two 4 MiB buffers at least (server's and client's), 1024 pages each
check "registration mapped the pages perftest had written ($((s1 - s0)) pages)" \
    test $((s1 - s0)) -ge 2048
port=$((port + 1))
echo 0 > "$SNAP"
f0="$(ctr odp_faults)"
s0="$(ctr odp_snapshot_pages)"
perftest "ib_write_bw --odp -s 4194304 -n 20, reg_snapshot=0" 300 "$port" \
    ib_write_bw -d "$DEV" -x "$ODP_GID" -p "$port" -F -s 4194304 -n 20 --odp
f1="$(ctr odp_faults)"
s1="$(ctr odp_snapshot_pages)"
echo 1 > "$SNAP"
check "with reg_snapshot=0: no page mapped at registration, page faults raised during the run ($((f1 - f0)))" \
    test "$s1" -eq "$s0" -a "$f1" -gt "$f0"

# rdma_cm in loopback (rping, ucmatose, udaddy, rdma_server/rdma_client,
# perftest -R) and what rdma resource / rdma statistic show (check-cm.sh).
. "$ODP_ROOT/guest-driver/tests/check-cm.sh"

# The driver's account of all the ODP runs above.
echo "# driver counters, change during the runs:"
for c in $CTRS; do echo "#   $c $(( $(ctr "$c") - ${C0[$c]} ))"; done
d_faults=$(( $(ctr odp_faults) - ${C0[odp_faults]} ))
d_resumes=$(( $(ctr odp_resumes) - ${C0[odp_resumes]} ))
d_failed=$(( $(ctr odp_faults_failed) - ${C0[odp_faults_failed]} ))
d_rerr=$(( $(ctr odp_resume_errors) - ${C0[odp_resume_errors]} ))
check "faults raised ($d_faults) and all resolved ($d_resumes resumes, $d_failed failed, $d_rerr resume errors)" \
    test "$d_faults" -gt 0 -a "$d_resumes" -ge "$d_faults" -a "$d_failed" -eq 0 -a "$d_rerr" -eq 0

# rdma-core's own pyverbs tests (tests/test_*.py of its source tree), among
# them test_odp: pinned, ODP, implicit ODP, prefetch and huge-page traffic,
# ODP atomics and UD; rdma_cm (test_rdmacm), fork, relaxed ordering, and in
# 65 ibv_buf and DMA handles.  Tests of features the device does not have
# (device memory, memory windows, XRC, UC, raw packet, extended QPs,
# multicast, ...) are SKIPs.  A module the series does not have (test_buf
# and test_dmah are new in 65) is left out with a comment.
PYV_TESTS="${PYVERBS_TESTS-test_device test_pd test_mr test_cq test_cq_events test_qp test_srq test_atomic test_odp test_addr test_cqex test_fork test_rdmacm test_relaxed_ordering test_buf test_dmah}"
src="${ODP_RDMA_CORE_SRC:-/nonexistent}"   # of the series env.sh picked
echo "# pyverbs: rdma-core $ODP_RDMA_CORE_SERIES (${ODP_RDMA_CORE:-none})"
if [ -d "$src/tests" ]; then
    pyv=""
    for m in $PYV_TESTS; do
        if [ -f "$src/tests/$m.py" ]; then pyv="$pyv $m"; else echo "# pyverbs: no $m in rdma-core $ODP_RDMA_CORE_SERIES"; fi
    done
    PYV_TESTS="${pyv# }"
fi
# 2 MiB pages for test_odp's huge-page cases (ODP MRs over huge pages).
echo 32 > /proc/sys/vm/nr_hugepages 2>/dev/null
if [ -n "$PYV_TESTS" ] && [ -d "${ODP_RDMA_CORE:-/nonexistent}/python/pyverbs" ] && [ -d "$src/tests" ]; then
    ( cd /tmp && PYTHONPATH="$ODP_RDMA_CORE/python" timeout 900 python3 \
        "$ODP_ROOT/guest-driver/tests/pyverbs-tap.py" "$src" --dev "$DEV" --gid "$ODP_GID" $PYV_TESTS ) \
        > "$LOG/pyverbs.log" 2>&1
    prc=$?
    n0=$T
    while IFS= read -r line; do
        case "$line" in
            "PASS "*) ok "pyverbs ${line#PASS tests.}" ;;
            "FAIL "*) not_ok "pyverbs ${line#FAIL tests.}" ;;
            "SKIP "*) id="${line#SKIP tests.}"; skip "pyverbs ${id%% *}" "${id#* }" ;;
            "#"*) echo "$line" ;;
            *) echo "# $line" ;;
        esac
    done < "$LOG/pyverbs.log"
    if [ "$T" -eq "$n0" ] || { [ "$prc" -ne 0 ] && [ "$FAILED" -eq 0 ]; }; then
        not_ok "pyverbs tests ran (exit $prc)"
        show "$LOG/pyverbs.log"
    fi
else
    skip "pyverbs tests" "no pyverbs in build/rdma-core-$ODP_RDMA_CORE_SERIES (cython3 missing?)"
fi

# Every byte of ODP traffic while pages are dropped, remapped, forked and
# migrated; unresolvable faults (guest-driver/tests/odp-verify.c).
odp_verify_tap
# The device's and the driver's counters over everything since the start.
counters_agree start end
. "$ODP_ROOT/guest-driver/tests/check-inject.sh"   # fault injection at a set rate during perftest (resets the device's counters)
# Resets, rmmod/insmod and kill -9 while faults are outstanding, a fault
# storm with invalidations racing it (check-midflight.sh; it leaves the
# driver loaded, on a new ib_device).
. "$ODP_ROOT/guest-driver/tests/check-midflight.sh"

# Behind a translating IOMMU (VM_IOMMU=1): it translated, and never faulted.
. "$ODP_ROOT/guest-driver/tests/check-iommu.sh"

check "odp_hca unloads after traffic" rmmod odp_hca
check "no WARN/BUG/lockdep splat in dmesg" \
    sh -c '! dmesg | grep -E "WARNING:|BUG:|Oops|circular locking|possible recursive locking|INFO: task .* blocked"'
if [ "$FAILED" -ne 0 ]; then
    echo "# dmesg (last lines):"
    dmesg | tail -n 30 | sed 's/^/# /'
fi
echo "1..$T"
exit "$FAILED"
