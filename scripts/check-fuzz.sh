#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fuzz suite of `make check`: a short, bounded campaign of
# generic-fuzz-<target> from the seeds (scripts/fuzz.sh), as one TAP test.
# It fails when the fuzzer finds a crash, a leak or a sanitizer report,
# or cannot run.  `make fuzz FUZZ_SECONDS=N` is the long campaign.
# Usage: check-fuzz.sh <qemu-fuzz-x86_64> <seconds> [target]
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${1:?usage: check-fuzz.sh <qemu-fuzz-x86_64> <seconds> [target]}"
secs="${2:?seconds}"; target="${3:-odp-hca}"
summary="$ODP_BUILD/fuzz/$target-summary.txt"

echo "1..1"
rm -f "$summary"
"$ODP_ROOT/scripts/fuzz.sh" "$BIN" "$secs" "$target" 2>&1 | sed 's/^/# /'
rc=${PIPESTATUS[0]}
execs="$(sed -n 's/^executions: *\([0-9]*\).*/\1/p' "$summary" 2>/dev/null)"
if [ "$rc" -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
    echo "ok 1 - generic-fuzz-$target: $execs executions in $secs s, no crash, no leak"
else
    echo "not ok 1 - generic-fuzz-$target: $(sed -n 's/^result: *//p' "$summary" 2>/dev/null || echo "the campaign did not run") (status $rc)"
fi
