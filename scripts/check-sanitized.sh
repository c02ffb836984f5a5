#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a TAP test program (and the QEMU processes it starts) under the
# sanitizer settings of scripts/sanitizer-env.sh, and fail on any
# sanitizer report in its output, also one that a process printed without
# failing the test (a QEMU child's report goes to the same stderr).
# Usage: check-sanitized.sh <command> [args...]
# Output passes through unchanged; a report adds a TAP line
#   not ok - sanitizer report: <its first line>
# and the exit status is then 1 (else the command's own).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ODP_ROOT/scripts/sanitizer-env.sh"

[ $# -ge 1 ] || die "usage: check-sanitized.sh <command> [args...]"
odp_sanitizer_env
# QEMU (QTEST_QEMU_BINARY, run by libqtest through sh -c) gets the full
# settings, LeakSanitizer at exit included.  The test program itself is
# checked for everything but leaks: its driver library keeps the objects
# it creates until the process ends (ODP_ASAN_TEST_LEAKS=1 checks them too).
if [ -n "${QTEST_QEMU_BINARY:-}" ]; then
    export QTEST_QEMU_BINARY="env ASAN_OPTIONS=$ASAN_OPTIONS $QTEST_QEMU_BINARY"
    if [ -z "${ODP_ASAN_TEST_LEAKS:-}" ]; then
        export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
    fi
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

reports="$(grep -cE "$ODP_SANITIZER_REPORT_RE" "$out" || true)"
if [ "$reports" -gt 0 ]; then
    first="$(grep -m1 -E "$ODP_SANITIZER_REPORT_RE" "$out" | sed 's/^[ \t=0-9]*//')"
    echo "not ok - sanitizer report: $first"
    echo "# $reports sanitizer report line(s) above; the first:"
    grep -m1 -B2 -A30 -E "$ODP_SANITIZER_REPORT_RE" "$out" | sed 's/^/# /'
    exit 1
fi
exit "$rc"
