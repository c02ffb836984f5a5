#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Turn a generic-fuzz input (a crash from make fuzz, or a seed) into the
# QTest commands it issues, and replay them on the sanitizer build's
# qemu-system-x86_64 without the fuzzer.
# Usage: fuzz-replay.sh <input> [target]        (target: odp-hca)
# Writes next to the input:
#   <input>.qtest-log  the fuzzer's QTEST_LOG=1 output, with the sanitizer report
#   <input>.qtest      the QTest commands (DMA fills moved before the
#                      access that triggered them: QEMU's
#                      scripts/oss-fuzz/reorder_fuzzer_qtest_trace.py)
#   <input>.sh         the upstream-style shell reproducer (all commands piped
#                      into qemu-system-x86_64 -qtest stdio at once;
#                      scripts/oss-fuzz/output_reproducer.py -bash)
#   <input>.c          the same as a C qtest function (output_reproducer.py -c),
#                      the start of a regression qtest
#   <input>.replay.log the replay's output: the commands fed one at a time by
#                      scripts/qtest-replay.py, as the fuzzer runs them
#                      (piped all at once, QEMU may read several before a
#                      bottom half of the device runs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/sanitizer-env.sh"

[ $# -ge 1 ] || die "usage: fuzz-replay.sh <input> [target]"
# To replay by hand: scripts/qtest-replay.py <input>.qtest \
#     build/qemu-fuzz-<series>/qemu-system-x86_64 <the args in <input>.sh>
input="$1"; target="${2:-odp-hca}"
[ -f "$input" ] || die "no such input: $input"
BLD="$ODP_QEMU_FUZZ"
BIN="$BLD/qemu-fuzz-x86_64"
QEMU="$BLD/qemu-system-x86_64"
OSS="$ODP_QEMU_SRC/scripts/oss-fuzz"
[ -x "$BIN" ] && [ -x "$QEMU" ] || die "build the sanitizer build first: make fuzz"
rel() { echo "${1#"$ODP_ROOT"/}"; }

odp_sanitizer_env
# Serialize the QTest commands so that QTEST_LOG prints them, the ones the
# config's pre-input hook issues (ECAM on) included.
QTEST_LOG=1 FUZZ_SERIALIZE_QTEST=1 "$BIN" --fuzz-target="generic-fuzz-$target" \
    "$input" > "$input.qtest-log" 2>&1 || true

args="$(sed -n 's/^Starting [^ ]* with Arguments: //p' "$input.qtest-log" | head -n1)"
[ -n "$args" ] || die "no QEMU command line in $(rel "$input.qtest-log")"
args="${args/-qtest \/dev\/null/}"
# generic-fuzz says "accel=qtest," (a trailing comma that output_reproducer.py
# would leave behind as a stray argument).
args="${args/accel=qtest,/accel=qtest}"
# QEMU 10.0's qtest log complains (GLib-CRITICAL, timer != NULL) between
# the "[DMA] " tag of a fill and the fill itself: drop those messages so
# that the reorder script sees the tag.
sed -z "s/[A-Za-z0-9_-]*: GLib: g_timer_elapsed: assertion 'timer != NULL' failed\n//g" \
    "$input.qtest-log" > "$input.qtest-log.clean"
# Only QTest commands: a sanitizer report can start on a logged line.
/usr/bin/python3 "$OSS/reorder_fuzzer_qtest_trace.py" "$input.qtest-log.clean" |
    grep -E '^(in[bwl]|out[bwl]|read[bwlq]?|write[bwlq]?|memset|b64read|b64write|clock_step|clock_set)( |$)' \
    > "$input.qtest" || true
rm -f "$input.qtest-log.clean"
QEMU_PATH="$QEMU" QEMU_ARGS="$args" \
    /usr/bin/python3 "$OSS/output_reproducer.py" -bash "$input.qtest" > "$input.sh"
name="test_fuzz_$(basename "$input" | tr -c 'A-Za-z0-9\n' _ | cut -c1-40)"
QEMU_PATH="$QEMU" QEMU_ARGS="$args" \
    /usr/bin/python3 "$OSS/output_reproducer.py" -c -name "$name" "$input.qtest" > "$input.c"

echo "    qtest commands: $(rel "$input.qtest") ($(wc -l < "$input.qtest") commands)"
echo "    reproducers:    $(rel "$input.sh") (shell), $(rel "$input.c") (C qtest function)"
# shellcheck disable=SC2086
timeout -k 5 "${FUZZ_REPLAY_TIMEOUT:-60}" /usr/bin/python3 "$ODP_ROOT/scripts/qtest-replay.py" \
    "$input.qtest" "$QEMU" $args > "$input.replay.log" 2>&1 || true
if grep -qE "$ODP_SANITIZER_REPORT_RE" "$input.replay.log"; then
    echo "    replayed without the fuzzer: $(grep -m1 -E "$ODP_SANITIZER_REPORT_RE" "$input.replay.log" | sed 's/^==[0-9]*==//')"
    grep -m1 -A12 -E '^ *#0 ' "$input.replay.log" | sed 's/^/        /' || true
else
    echo "    replayed without the fuzzer: no sanitizer report (see $(rel "$input.replay.log"))"
fi
