#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# make bench's callgrind part (issue 12): the host's cost of the device,
# in instructions per byte moved, against a plain memcpy of the same
# bytes.  Instruction counts, unlike times, repeat from run to run.
#
# The device: QEMU under valgrind's callgrind runs the qtest
# /odp-hca/rc/write-repeat (64 KiB RDMA WRITEs in loopback, one after
# another on one QP, ODP_HCA_REPEAT of them) with qtest as accelerator,
# so no guest CPU is emulated; callgrind counts only inside the device's
# entry points (the doorbell and register writes, its bottom halves and
# timers: everything the device does for the WRITEs, its DMA included,
# and none of the qtest protocol).  Two counts of WRITEs, and the
# difference, divided by the bytes of the WRITEs between them, is the
# device's figure: what a WRITE costs whatever the set-up.  memcpy: the
# same with tests/bench/memcpy-loop.c, a 64 KiB memcpy in a loop.
#
# Usage: bench-callgrind.sh <out.jsonl> <work-dir>
# Environment: QEMU, QTEST_BIN, BENCH_CG_WRITES (the two counts, "4 20").
# Appends one JSON line (kind "callgrind", or "error" with the reason).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: bench-callgrind.sh <out.jsonl> <work-dir>"
out="$1" work="$2"
cd "$ODP_ROOT"
read -r n1 n2 <<< "${BENCH_CG_WRITES:-4 20}"
[ "$n2" -gt "$n1" ] || die "BENCH_CG_WRITES: the second count must be larger"
qemu="$(realpath "${QEMU:?}")" qtest="$(realpath "${QTEST_BIN:?}")"
mkdir -p "$work"
rm -f "$work"/cg.*

# The device's entry points (hw/odp-hca-pci.c, -qp.c, -link.c, -cmd.c,
# -port.c): the MMIO callbacks, bottom halves and QP timers.
entries="odp_hca_db_write odp_hca_reg_write odp_hca_qp_bh odp_hca_link_rx_bh
         odp_hca_cmd_bh odp_hca_port_bh odp_hca_qp_timer_expired"
toggles=
for e in $entries; do toggles="$toggles --toggle-collect=$e"; done

error() {
    printf '{"kind": "error", "of": "callgrind", "error": "%s"}\n' "$*" >> "$out"
    info "bench callgrind: $*"
    exit 1
}

# The instructions callgrind collected in <file>s (its "summary:" line).
ir_of() {
    awk '/^summary:/ { s += $2 } END { print s + 0 }' "$@"
}

device_ir() { # <writes>
    ODP_HCA_REPEAT="$1" \
    QTEST_QEMU_BINARY="valgrind --tool=callgrind --collect-atstart=no $toggles --callgrind-out-file=$work/cg.dev.$1.%p $qemu" \
        timeout 1200 "$qtest" --tap -k -p /odp-hca/rc/write-repeat \
        > "$work/dev.$1.log" 2>&1 || error "the qtest under callgrind failed ($1 WRITEs; $work/dev.$1.log)"
    grep -q '^ok ' "$work/dev.$1.log" || error "the qtest under callgrind did not pass ($work/dev.$1.log)"
    ir_of "$work"/cg.dev."$1".*
}

memcpy_ir() { # <copies>
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=copy_loop \
        --callgrind-out-file="$work/cg.memcpy.$1" "$work/memcpy-loop" "$1" \
        > "$work/memcpy.$1.log" 2>&1 || error "memcpy-loop under callgrind failed ($work/memcpy.$1.log)"
    ir_of "$work/cg.memcpy.$1"
}

command -v valgrind > /dev/null || error "no valgrind (make setup installs it)"
cc -O2 -o "$work/memcpy-loop" tests/bench/memcpy-loop.c ||
    error "cannot build tests/bench/memcpy-loop.c"
d1="$(device_ir "$n1")" d2="$(device_ir "$n2")"
m1="$(memcpy_ir "$n1")" m2="$(memcpy_ir "$n2")"
/usr/bin/python3 - "$out" "$n1" "$n2" "$d1" "$d2" "$m1" "$m2" "$entries" <<'EOF'
import json, sys
out, n1, n2, d1, d2, m1, m2, entries = sys.argv[1:]
n1, n2, d1, d2, m1, m2 = map(int, (n1, n2, d1, d2, m1, m2))
size = 65536
rec = {"kind": "callgrind", "size": size, "writes": [n1, n2],
       "device-ir": [d1, d2], "memcpy-ir": [m1, m2],
       "entry-points": entries.split(),
       "device-ir-per-byte": (d2 - d1) / ((n2 - n1) * size),
       "memcpy-ir-per-byte": (m2 - m1) / ((n2 - n1) * size)}
with open(out, "a") as f:
    f.write(json.dumps(rec) + "\n")
print("bench callgrind: device %.3f, memcpy %.3f instructions a byte" % (
    rec["device-ir-per-byte"], rec["memcpy-ir-per-byte"]))
EOF
