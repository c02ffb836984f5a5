#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In the guest: have the host run a QEMU monitor command for us and print
# its output.  The host side is scripts/monitor.py serve, which scripts/vm.sh
# runs next to QEMU: the request goes through the harness's writable 9p
# share (<odp.out>/monitor), the host talks to QEMU's QMP or HMP socket.
#
#   monitor.sh qmp <command> ['<arguments as JSON>']
#   monitor.sh hmp '<command line>'
#
# Exits 0 with the output (QMP: the "return" value as JSON), 1 when the
# command failed (the error on stdout), 2 on bad usage, 3 when the host did
# not answer within GUEST_MONITOR_TIMEOUT seconds (default 60).
set -u

usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 2 ] || usage
kind="$1"
shift
case "$kind" in
    qmp) [ $# -le 2 ] || usage ;;
    hmp) ;;
    *) usage ;;
esac

out=
for a in $(cat /proc/cmdline); do
    case "$a" in odp.out=*) out="${a#*=}" ;; esac
done
dir="$out/monitor"
if [ -z "$out" ] || [ ! -d "$dir" ]; then
    echo "in-guest monitor: no monitor request directory (not in the harness of scripts/vm.sh?)" >&2
    exit 3
fi

name="$(hostname 2>/dev/null || echo g)-$$-$RANDOM"
base="$dir/$name"
printf '%s %s\n' "$kind" "$*" > "$dir/.$name.tmp" && mv "$dir/.$name.tmp" "$base.req" || exit 3

tmo="${GUEST_MONITOR_TIMEOUT:-60}"
end=$((SECONDS + tmo))
while [ ! -f "$base.rc" ]; do
    if [ "$SECONDS" -ge "$end" ]; then
        rm -f "$base.req"
        echo "in-guest monitor: the host did not answer within ${tmo}s (is scripts/monitor.py serve running?)" >&2
        exit 3
    fi
    sleep 0.05
done
rc="$(cat "$base.rc")"
cat "$base.out"
rm -f "$base.out" "$base.rc"
[ "$rc" = 0 ]
