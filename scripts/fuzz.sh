#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A bounded libFuzzer campaign on one of the odp-hca generic-fuzz targets.
# Usage: fuzz.sh <qemu-fuzz-x86_64> <seconds> [target]   (target: odp-hca)
#
#  - corpus: build/fuzz/corpus/<target> (kept between runs; new inputs go
#    there), read together with the seeds in tests/fuzz/seeds;
#  - crashes, leaks, timeouts: build/fuzz/crashes/ (libFuzzer's artifacts),
#    each replayed into QTest commands by scripts/fuzz-replay.sh;
#  - log: build/fuzz/<target>.log (the whole libFuzzer output);
#  - summary: build/fuzz/<target>-summary.txt (what is printed at the end,
#    for the reliability report), and one line per campaign in
#    build/fuzz/history.tsv, whose sum is printed as the cumulative count.
# Two passes:
#  1. the campaign, with LeakSanitizer off: QEMU frees much of what an
#     input allocates only later (RCU), so libFuzzer would run a full leak
#     scan after nearly every input, about 8 times slower;
#  2. the corpus once more with leak detection on (a leak is pinned on the
#     input that caused it, as a leak-* artifact) and -print_coverage=1
#     (functions and edges hit, symbolized).
# Prints executions, exec/s, libFuzzer's coverage (cov, ft), the coverage
# of the odp-hca sources and any crash or leak with its reproducer; exits
# non-zero on one, or when the fuzzer could not run.
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-use_value_profile=1);
# FUZZ_TIMEOUT (default 30) is the seconds one input may take.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/sanitizer-env.sh"

[ $# -ge 2 ] || die "usage: fuzz.sh <qemu-fuzz-x86_64> <seconds> [target]"
BIN="$1"; secs="$2"; target="${3:-odp-hca}"
[ -x "$BIN" ] || die "$BIN not built; run 'make fuzz'"
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || die "FUZZ_SECONDS must be a positive number of seconds"

FUZZ_DIR="$ODP_BUILD/fuzz"
SEEDS="$ODP_ROOT/tests/fuzz/seeds"
CORPUS="$FUZZ_DIR/corpus/$target"
CRASHES="$FUZZ_DIR/crashes"
LOG="$FUZZ_DIR/$target.log"
COVLOG="$FUZZ_DIR/$target-coverage.log"
rm -f "$COVLOG"
mkdir -p "$CORPUS" "$CRASHES"
rel() { echo "${1#"$ODP_ROOT"/}"; }

odp_sanitizer_env
read -ra flags <<< "${FUZZ_FLAGS:-}"
marker="$FUZZ_DIR/.start-$target"
touch "$marker"

info "fuzzing generic-fuzz-$target for $secs s (corpus $(rel "$CORPUS"), $(find "$SEEDS" -name '*.bin' | wc -l) seeds)"
set +e
# Progress on the terminal; every line (NEW units, the stats) in the log.
ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
"$BIN" --fuzz-target="generic-fuzz-$target" \
    -max_total_time="$secs" -print_final_stats=1 -detect_leaks=0 \
    -timeout="${FUZZ_TIMEOUT:-30}" -artifact_prefix="$CRASHES/" \
    "${flags[@]}" "$CORPUS" "$SEEDS" 2>&1 | tee "$LOG" |
    grep --line-buffered -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE)[[:space:]]|^INFO: Seed:|^Matching objects|^  \* |^This process'
rc=${PIPESTATUS[0]}
set -e

lf_stat() { sed -n "s/^stat::$1: *//p" "$LOG" | tail -n1; }
execs="$(lf_stat number_of_executed_units)"
eps="$(lf_stat average_exec_per_sec)"
new="$(lf_stat new_units_added)"
rss="$(lf_stat peak_rss_mb)"
last="$(grep -E '^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+cov:' "$LOG" | tail -n1 || true)"
cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")"
ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")"
corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")"

new_artifacts() {
    find "$CRASHES" -maxdepth 1 -type f -newer "$marker" \( -name 'crash-*' \
        -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort
}
mapfile -t found < <(new_artifacts)

# Pass 2: leaks and coverage, over the corpus and the seeds.
if [ ${#found[@]} -eq 0 ] && [ "$rc" -eq 0 ]; then
    info "leaks and coverage: the corpus ($(find "$CORPUS" -type f | wc -l) inputs) once more, -detect_leaks=1 -print_coverage=1"
    set +e
    "$BIN" --fuzz-target="generic-fuzz-$target" -runs=0 -detect_leaks=1 \
        -print_coverage=1 -timeout="${FUZZ_TIMEOUT:-30}" \
        -artifact_prefix="$CRASHES/" "$CORPUS" "$SEEDS" > "$COVLOG" 2>&1
    rc=$?
    set -e
    mapfile -t found < <(new_artifacts)
fi

HISTORY="$FUZZ_DIR/history.tsv"
[ -f "$HISTORY" ] || printf 'date\ttarget\tseconds\texecutions\texec_per_s\tcrashes\n' > "$HISTORY"
printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$target" "$secs" \
    "${execs:-0}" "${eps:-0}" "${#found[@]}" >> "$HISTORY"
read -r cum_runs cum_execs cum_crashes < <(awk -F'\t' -v t="$target" \
    'NR > 1 && $2 == t { n++; e += $4; c += $6 } END { printf "%d %d %d\n", n, e, c }' "$HISTORY")

SUMMARY="$FUZZ_DIR/$target-summary.txt"
{
    echo "=== fuzz summary: generic-fuzz-$target, $secs s"
    echo "executions:   ${execs:-?} (${eps:-?} exec/s), new corpus units ${new:-?}, peak RSS ${rss:-?} MB"
    echo "cumulative:   $cum_execs executions in $cum_runs campaigns of generic-fuzz-$target in this build tree, $cum_crashes with a crash ($(rel "$HISTORY"))"
    echo "libFuzzer:    cov ${cov:-?} ft ${ft:-?} corpus ${corp:-?} (cov: instrumented edges hit, ft: features)"
    if [ -s "$COVLOG" ] && grep -q 'COVERED_FUNC' "$COVLOG"; then
        /usr/bin/python3 "$ODP_ROOT/scripts/fuzz-coverage.py" "$COVLOG"
    fi
    echo "logs:         $(rel "$LOG"), $(rel "$COVLOG")"
    if [ ${#found[@]} -gt 0 ]; then
        echo "result:       ${#found[@]} crash(es): $(for f in "${found[@]}"; do rel "$f"; done | xargs)"
    elif [ "$rc" -ne 0 ]; then
        echo "result:       the fuzzer failed (status $rc) without an artifact"
    else
        echo "result:       no crash, no leak"
    fi
} > "$SUMMARY"
echo
cat "$SUMMARY"

if [ ${#found[@]} -gt 0 ]; then
    echo
    echo "=== ${#found[@]} crash(es) in $(rel "$CRASHES")/"
    for f in "${found[@]}"; do
        echo "--- $(rel "$f") ($(stat -c %s "$f") bytes)"
        # The report's first line and the top of its stack.
        cat "$LOG" "$COVLOG" 2>/dev/null |
            grep -m1 -A60 -E "$ODP_SANITIZER_REPORT_RE|^==[0-9]+== ERROR: libFuzzer" |
            grep -E "$ODP_SANITIZER_REPORT_RE|ERROR: libFuzzer|^ +#[0-7] " |
            grep -v '^SUMMARY' | head -n 9 | sed 's/^ */    /' || true
        "$ODP_ROOT/scripts/fuzz-replay.sh" "$f" "$target" || true
    done
    echo
    echo "Replay one:   $(rel "$BIN") --fuzz-target=generic-fuzz-$target <file>"
    echo "As QTest:     scripts/fuzz-replay.sh <file> $target   (see README, 'Sanitizers and fuzzing')"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    tail -n 30 "$LOG" >&2
    die "the fuzzer exited with status $rc and left no artifact; see $(rel "$LOG")"
fi
