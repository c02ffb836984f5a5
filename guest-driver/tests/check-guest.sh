#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The guest test suite (make check-guest): runs inside the guest harness
# (scripts/vm.sh -c), prints TAP for scripts/run-tap.sh.
#
#   - the device is on the bus, the driver bound, odp_hca0 registered;
#   - ibv_devices / ibv_devinfo -v list it with its ODP capabilities;
#   - ibv_rc_pingpong loopback, pinned and ODP (-o, -O, -o -P), two sizes;
#   - perftest loopback (write, read, send, atomic; with and without --odp);
#   - the driver unloads after traffic; dmesg has no WARN/BUG/lockdep splat.
#
# Tests that need the driver are skipped while build/kmod/odp_hca.ko does
# not exist.  Environment: ODP_DEV (odp_hca0), ODP_GID (GID index; default:
# the first non-zero GID of port 1), CHECK_GUEST_QUICK=1 (one size only).
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

# loopback <description> <timeout> <port> <server+client command...>:
# run the command as a server, then again as a client of localhost.
loopback() {
    local desc="$1" tmo="$2" port="$3" n=$((T + 1))
    shift 3
    local slog="$LOG/$n.server.log" clog="$LOG/$n.client.log" spid rc src
    timeout "$tmo" "$@" > "$slog" 2>&1 &
    spid=$!
    if ! wait_port "$port"; then
        kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
        not_ok "$desc (server did not listen)"
        show "$slog"
        return
    fi
    timeout "$tmo" "$@" localhost > "$clog" 2>&1
    rc=$?
    wait "$spid"
    src=$?
    if [ "$rc" -eq 0 ] && [ "$src" -eq 0 ]; then
        ok "$desc"
        grep -E 'bytes in|iters in|^ *[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+' "$clog" | head -n 3 | sed 's/^/# /'
    else
        not_ok "$desc (client exit $rc, server exit $src)"
        echo "# server:"; show "$slog" 15
        echo "# client:"; show "$clog" 15
    fi
}

echo "# kernel $(uname -r), $(nproc) CPUs, $(ls -d /sys/devices/system/node/node* | wc -l) NUMA nodes"

check "odp-hca is on the PCI bus (1af4:10f0)" \
    sh -c 'lspci -n -d 1af4:10f0 | grep -q .'

KO="$ODP_ROOT/build/kmod/odp_hca.ko"
if [ ! -f "$KO" ]; then
    for t in "odp_hca.ko loaded" "ibv_devices lists $DEV" "ibv_devinfo -v shows ODP caps" \
             "ibv_rc_pingpong loopback" "perftest loopback" "odp_hca unloads" ; do
        skip "$t" "no build/kmod/odp_hca.ko (kernel driver not built)"
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

SIZES="4096 1048576"
[ "${CHECK_GUEST_QUICK:-0}" = 1 ] && SIZES=4096
port=18515
for opts in "" "-o" "-O" "-o -P"; do
    for size in $SIZES; do
        iters=200
        [ "$size" -gt 65536 ] && iters=20
        port=$((port + 1))
        loopback "ibv_rc_pingpong ${opts:-pinned} -s $size -n $iters" 120 "$port" \
            ibv_rc_pingpong -d "$DEV" -g "$ODP_GID" -p "$port" -s "$size" -n "$iters" $opts
    done
done

# perftest (Debian's binaries against the build's libibverbs).
for t in ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw; do
    for odp in "" "--odp"; do
        size=65536
        [ "$t" = ib_atomic_bw ] && size=8
        port=$((port + 1))
        loopback "$t ${odp:-pinned} -s $size" 180 "$port" \
            "$t" -d "$DEV" -x "$ODP_GID" -p "$port" -F -s "$size" -n 100 $odp
    done
done
# One run large enough that faults happen while it moves data.
port=$((port + 1))
loopback "ib_write_bw --odp -s 4194304 -n 20 (faults during the run)" 300 "$port" \
    ib_write_bw -d "$DEV" -x "$ODP_GID" -p "$port" -F -s 4194304 -n 20 --odp

check "odp_hca unloads after traffic" rmmod odp_hca
check "no WARN/BUG/lockdep splat in dmesg" \
    sh -c '! dmesg | grep -E "WARNING:|BUG:|Oops|circular locking|possible recursive locking|INFO: task .* blocked"'
if [ "$FAILED" -ne 0 ]; then
    echo "# dmesg (last lines):"
    dmesg | tail -n 30 | sed 's/^/# /'
fi
echo "1..$T"
exit "$FAILED"
