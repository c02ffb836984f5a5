#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The guest side of `make bench-loopback` (run by scripts/vm.sh -c in the
# booted guest): Debian's perftest ib_write_bw in loopback, server and
# client in this guest on odp_hca0, pinned memory, a few runs per message
# size.  It measures what one device moves when both ends are the same
# device, i.e. the cost of the guest <-> device transport itself, so that a
# change of that transport can be compared with today's figures.
#
# Prints one line per run and one per size with the median "BW average"
# (MB/s, perftest's column 4), each starting with "bench-loopback " so that
# scripts/bench-loopback.sh can pick them out of the console.  A benchmark:
# nothing is asserted about speed; the exit status is 1 only when a run
# produced no figure.
#
# Environment: ODP_DEV (odp_hca0), ODP_GID (GID index; default: the first
# non-zero GID of port 1, as in check-guest.sh), BENCH_RUNS (3),
# BENCH_CASES ("size:iterations ...", default "65536:100000 1048576:10000":
# a few seconds of transfer per run under TCG; at 2000 and 300 iterations
# the transfer took 50-80 ms and runs were 20 % apart).
set -u

DEV="${ODP_DEV:-odp_hca0}"
RUNS="${BENCH_RUNS:-3}"
CASES="${BENCH_CASES:-65536:100000 1048576:10000}"
LOG=/tmp/bench-loopback
mkdir -p "$LOG"
rc=0

if [ ! -d "/sys/class/infiniband/$DEV" ]; then
    echo "bench-loopback: no RDMA device $DEV (is ${ODP_KMOD_DIR#"$ODP_ROOT"/}/odp_hca.ko built?)"
    exit 1
fi

# RoCE needs a GID: the first non-zero one of port 1.
if [ -z "${ODP_GID:-}" ]; then
    ODP_GID=0
    for g in /sys/class/infiniband/"$DEV"/ports/1/gids/*; do
        v="$(cat "$g" 2>/dev/null)" || continue
        case "$v" in ""|0000:0000:0000:0000:0000:0000:0000:0000) continue ;; esac
        ODP_GID="${g##*/}"
        break
    done
fi

wait_port() {
    local port="$1"
    for _ in $(seq 1 100); do
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# The median of numbers (one per argument); with an even count the lower
# middle one (we run an odd number of times anyway).
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

echo "# bench-loopback: kernel $(uname -r), $(nproc) CPUs, $DEV, GID index $ODP_GID, $RUNS runs per size"
# A fresh port for every run: a server's port may still be in TIME_WAIT.
port=18600
for c in $CASES; do
    size="${c%%:*}" iters="${c##*:}"
    figs=() failed=0
    for r in $(seq 1 "$RUNS"); do
        port=$((port + 1))
        slog="$LOG/$size.$r.server.log" clog="$LOG/$size.$r.client.log"
        cmd=(ib_write_bw -d "$DEV" -x "$ODP_GID" -p "$port" -F -s "$size" -n "$iters")
        : > "$clog"
        timeout 300 "${cmd[@]}" > "$slog" 2>&1 &
        spid=$!
        if wait_port "$port"; then
            t0=$(date +%s.%N)
            timeout 300 "${cmd[@]}" localhost > "$clog" 2>&1
            crc=$?
            t1=$(date +%s.%N)
            wait "$spid"
            src=$?
        else
            kill "$spid" 2>/dev/null
            wait "$spid" 2>/dev/null
            crc=255 src=255 t0=0 t1=0
        fi
        # The result line: "#bytes #iterations BW peak BW average MsgRate".
        res="$(grep -E '^[[:space:]]*[0-9]+([[:space:]]+[0-9.]+){4}[[:space:]]*$' "$clog" | tail -n 1)"
        bw="$(echo "$res" | awk '{ print $4 }')"
        if [ "$crc" -eq 0 ] && [ "$src" -eq 0 ] && [ -n "$bw" ]; then
            figs+=("$bw")
            printf 'bench-loopback ib_write_bw %s run %d %s MB/s (-n %s, client %.1f s)\n' \
                "$size" "$r" "$bw" "$iters" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
        else
            failed=1
            echo "bench-loopback ib_write_bw $size run $r FAILED (client exit $crc, server exit $src)"
            echo "# server:"; tail -n 15 "$slog" | sed 's/^/#   /'
            echo "# client:"; tail -n 15 "$clog" | sed 's/^/#   /'
        fi
    done
    if [ "$failed" = 0 ]; then
        echo "bench-loopback ib_write_bw $size median $(median "${figs[@]}") MB/s (runs: ${figs[*]})"
    else
        echo "bench-loopback ib_write_bw $size no median: a run failed (runs: ${figs[*]})"
        rc=1
    fi
done
exit "$rc"
