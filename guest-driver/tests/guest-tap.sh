# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# The TAP lines of the two-guest scripts (wire2-*.sh, peerkill-guest.sh):
# "ok - guest <role>: ..." lines that the host numbers into one stream.
# Source it with ROLE set; FAILED counts the not_ok lines.
#
#   ok <text>              not_ok <text>          skip <text> <why>
#   show <file> [lines]    the file's last lines (30) as TAP comments
#   wanted <description>   0 when WIRE2_ONLY is unset or matches it

FAILED=0
ok() { echo "ok - guest $ROLE: $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - guest $ROLE: $*"; }
skip() { echo "ok - guest $ROLE: $1 # SKIP $2"; }
show() { sed 's/^/# /' "$1" | tail -n "${2:-30}"; }
wanted() { [ -z "${WIRE2_ONLY:-}" ] || echo "$1" | grep -qE "$WIRE2_ONLY"; }
