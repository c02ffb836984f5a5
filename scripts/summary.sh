#!/usr/bin/env bash
# Sum the counts of the given suites (written by run-tap.sh) and print
# "N passed, N failed[, N skipped]".  A suite without counts (it did not
# build or did not start) counts as one failure.  Exits non-zero on any
# failure or when nothing passed.
# Usage: summary.sh <results-dir> <suite>...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

results="${1:?usage: summary.sh <results-dir> <suite>...}"; shift
[ $# -gt 0 ] || die "no suites given"
P=0; F=0; S=0
for suite in "$@"; do
    if [ -f "$results/$suite.counts" ]; then
        read -r p f s < "$results/$suite.counts"
        echo "  $suite: $p passed, $f failed, $s skipped"
    else
        p=0; f=1; s=0
        echo "  $suite: no results (did not build or run)"
    fi
    P=$((P + p)); F=$((F + f)); S=$((S + s))
done
summary="$P passed, $F failed"
[ "$S" -gt 0 ] && summary="$summary, $S skipped"
echo "$summary"
[ "$F" -eq 0 ] && [ "$P" -gt 0 ]
