#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fuzz suite of `make check`: a short, bounded campaign of
# generic-fuzz-<target> from the seeds (scripts/fuzz.sh), as one TAP test.
# It fails when the fuzzer finds a crash, a leak or a sanitizer report,
# or cannot run.  `make fuzz FUZZ_SECONDS=N` is the long campaign.
# Usage: check-fuzz.sh <qemu-fuzz-x86_64> <seconds> [target...] (one
# TAP test each)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${1:?usage: check-fuzz.sh <qemu-fuzz-x86_64> <seconds> [target...]}"
secs="${2:?seconds}"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(odp-hca)

echo "1..${#targets[@]}"
n=0
for target in "${targets[@]}"; do
    n=$((n + 1))
    summary="$ODP_BUILD/fuzz/$target-summary.txt"
    rm -f "$summary"
    "$ODP_ROOT/scripts/fuzz.sh" "$BIN" "$secs" "$target" 2>&1 | sed 's/^/# /'
    rc=${PIPESTATUS[0]}
    execs="$(sed -n 's/^executions: *\([0-9]*\).*/\1/p' "$summary" 2>/dev/null)"
    if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
        echo "ok $n - generic-fuzz-$target: $execs executions in $secs s, no crash, no leak"
    else
        echo "not ok $n - generic-fuzz-$target: $(sed -n 's/^result: *//p' "$summary" 2>/dev/null || echo "the campaign did not run") (status $rc)"
    fi
done
