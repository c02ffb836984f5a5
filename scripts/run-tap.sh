#!/usr/bin/env bash
# Run one test suite that speaks TAP, keep its log and its counts.
# Usage: run-tap.sh <suite> <results-dir> <timeout-seconds> -- <command> [args...]
# Writes <results-dir>/<suite>.log and <suite>.counts ("passed failed skipped"),
# prints "N passed, N failed[, N skipped]" and exits non-zero when a test
# failed, none ran, or the command itself failed (crash, timeout, bail out).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 5 ] && [ "$4" = "--" ] || die "usage: run-tap.sh <suite> <results-dir> <timeout-seconds> -- <command> [args...]"
suite="$1"; results="$2"; tmo="$3"; shift 4
mkdir -p "$results"
log="$results/$suite.log"
counts="$results/$suite.counts"
rm -f "$counts"

info "running $suite: $*"
set +e
timeout -k 10 "$tmo" "$@" < /dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# Top-level TAP results only ("ok N ..." / "not ok N ..."); "# SKIP" counts as
# skipped, "# TODO" (expected failure / incomplete) too.
read -r passed failed skipped bailed < <(awk '
    /^not ok/ { if ($0 ~ /#[ \t]*(TODO|todo)/) s++; else f++; next }
    /^ok/     { if ($0 ~ /#[ \t]*(SKIP|skip)/) s++; else p++; next }
    /^Bail out!/ { b = 1 }
    END { printf "%d %d %d %d\n", p, f, s, b }' "$log")

if [ "$rc" -ne 0 ]; then
    case "$rc" in
        124|137) why="timed out after ${tmo}s" ;;
        *)       why="exited with status $rc" ;;
    esac
    bail="$(grep -m1 '^Bail out!' "$log" || true)"
    [ -n "$bail" ] && why="$why (${bail#Bail out! })"
    echo "not ok - $suite: $why" | tee -a "$log"
    failed=$((failed + 1))
elif [ "$bailed" -ne 0 ]; then
    echo "not ok - $suite: bailed out" | tee -a "$log"
    failed=$((failed + 1))
elif [ $((passed + failed + skipped)) -eq 0 ]; then
    echo "not ok - $suite: no test ran" | tee -a "$log"
    failed=$((failed + 1))
fi

echo "$passed $failed $skipped" > "$counts"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$suite: log in ${log#"$ODP_ROOT"/}"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
