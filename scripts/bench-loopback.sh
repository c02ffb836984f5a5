#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# make bench-loopback: the loopback bandwidth of one odp-hca device, so
# that a change of the guest <-> device transport can be measured against
# the figures of the transport before it.  Boots one guest the way
# `make check-guest` does (scripts/vm.sh, -device odp-hca) and runs
# scripts/in-guest/bench-loopback.sh in it (perftest ib_write_bw, server
# and client in the guest, pinned memory, 64 KiB and 1 MiB, three runs
# each).  Its "bench-loopback ..." lines go to the terminal and, after a
# line saying what was measured (commit, accelerator), to
# <results-dir>/bench-loopback.txt.
#
# Usage: bench-loopback.sh <results-dir> <timeout-seconds>
# Environment: QEMU, VM_ACCEL (tcg: the figures are only comparable between
# runs under the same accelerator, and TCG is what every machine of this
# project has; "auto" takes KVM when it works), BENCH_RUNS, BENCH_CASES
# (see the guest script), and vm.sh's knobs.
# A benchmark: it asserts nothing about speed; it fails only when a run
# produced no figure (or the guest did not get that far).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: bench-loopback.sh <results-dir> <timeout-seconds>"
results="$1" tmo="$2"
cd "$ODP_ROOT"
mkdir -p "$results"
out="$results/bench-loopback.txt"
log="$results/bench-loopback.log"
export VM_ACCEL="${VM_ACCEL:-tcg}"

# The guest inherits nothing from this environment but the command line:
# hand the knobs over in it.
gcmd="BENCH_RUNS='${BENCH_RUNS:-3}' BENCH_CASES='${BENCH_CASES:-65536:100000 1048576:10000}'"
gcmd="$gcmd scripts/in-guest/bench-loopback.sh"

info "bench-loopback: $gcmd (accel $VM_ACCEL)"
set +e
timeout -k 10 "$tmo" scripts/vm.sh -c "$gcmd" < /dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# The serial console ends lines with CR LF.
rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || rev="$rev+changes"
{
    echo "# bench-loopback $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $rev accel $VM_ACCEL"
    tr -d '\r' < "$log" | grep -E '^(# )?bench-loopback' || true
} > "$out"
echo "=== bench-loopback (also in $out)"
cat "$out"
if [ "$rc" -ne 0 ]; then
    case "$rc" in
        124|137) echo "bench-loopback: timed out after ${tmo}s" >&2 ;;
        *) echo "bench-loopback: exit status $rc (a run gave no figure, or the guest failed; $log)" >&2 ;;
    esac
fi
exit "$rc"
