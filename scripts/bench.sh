#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# make bench (issue 12): odp-hca against pinned memory, against Soft-RoCE,
# and the cost of a fault, measured side by side in one guest in one run.
# Boots one guest (scripts/vm.sh; VM_DIR build/bench) with an odp-hca
# (id hca0, room for 1024 QPs a side and 10000 MRs) and a virtio-net port
# on a hub of its own, on which the guest puts Soft-RoCE (rxe0); every run
# is a loopback inside one device.  guest-driver/tests/bench-guest.py runs
# the figures into the out share; this script wraps them with what was
# measured where (commit, accelerator, host) into <results>/bench.json
# and has scripts/bench-report.py write <results>/bench.md and its plots.
#
# Usage: bench.sh <results-dir> <timeout-seconds>
# Environment: QEMU, VM_ACCEL (tcg unless told otherwise, so that figures
# compare between machines; "auto" takes KVM when it really runs a guest),
# BENCH_* (see bench-guest.py), and vm.sh's knobs.
# A benchmark: it asserts nothing about speed; it fails when the guest
# did not run the parts to the end or the report could not be written.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 2 ] || die "usage: bench.sh <results-dir> <timeout-seconds>"
results="$1" tmo="$2"
cd "$ODP_ROOT"
mkdir -p "$results"
export VM_DIR="${BENCH_DIR:-build/bench}"   # relative to the clone, as vm.sh wants
export VM_ACCEL="${VM_ACCEL:-tcg}"
export VM_MEM="${VM_MEM:-4G}"
export VM_DEVICE="odp-hca,id=hca0,max-qps=4096,max-cqs=4096,max-mrs=16384"
rxe_mac=52:54:00:0d:03:01
export VM_EXTRA="-netdev hubport,id=bn0,hubid=9 -device virtio-net-pci,netdev=bn0,mac=$rxe_mac,romfile= ${VM_EXTRA:-}"
mkdir -p "$VM_DIR/out"
[ -f build/vm/initramfs.cpio.gz ] || die "no build/vm/initramfs.cpio.gz (make vm-initramfs)"
ln -sfr build/vm/initramfs.cpio.gz "$VM_DIR/initramfs.cpio.gz"
raw="$VM_DIR/out/bench.jsonl"
rm -f "$raw"

# The guest inherits nothing but its command line: hand the knobs over.
gcmd="BENCH_RXE_MAC=$rxe_mac"
for v in BENCH_SECONDS BENCH_SIZES BENCH_TESTS BENCH_PARTS BENCH_QPS BENCH_INJECT_EVERY; do
    if [ -n "${!v:-}" ]; then gcmd="$gcmd $v='${!v}'"; fi
done
gcmd="$gcmd python3 guest-driver/tests/bench-guest.py $VM_DIR/out/bench.jsonl"
info "bench: $gcmd (accel $VM_ACCEL)"
t0=$(date +%s)
set +e
timeout -k 10 "$tmo" scripts/vm.sh -c "$gcmd" < /dev/null > "$VM_DIR/bench.log" 2>&1
rc=$?
set -e
secs=$(($(date +%s) - t0))

# what the guest really ran under: vm.sh's command line (auto may pick KVM)
accel="$(grep -o -- '-accel [a-z]*' "$VM_DIR/bench.log" | head -n1 | cut -d' ' -f2)"
rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || rev="$rev+changes"
/usr/bin/python3 - "$raw" "$results/bench.json" "$rev" "${accel:-$VM_ACCEL}" "$secs" "$rc" "$VM_DEVICE" <<'EOF'
import json, os, sys, time
raw, out, rev, accel, secs, rc, device = sys.argv[1:]
recs = []
if os.path.exists(raw):
    for line in open(raw):
        line = line.strip()
        if line:
            recs.append(json.loads(line))
meta = {"commit": rev, "accel": accel, "wall-seconds": int(secs),
        "guest-exit": int(rc), "device": device, "host-cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
for r in recs:
    if r.get("kind") == "meta":
        meta.update({k: v for k, v in r.items() if k != "kind"})
json.dump({"meta": meta, "results": [r for r in recs if r.get("kind") != "meta"]},
          open(out, "w"), indent=1)
EOF
echo "bench: $(grep -c . "$raw" 2>/dev/null || echo 0) figures in ${secs} s (guest log $VM_DIR/bench.log)"
/usr/bin/python3 scripts/bench-report.py "$results/bench.json" "$results/bench.md" || rc=1
if [ "$rc" -ne 0 ]; then
    case "$rc" in
        124|137) echo "bench: timed out after ${tmo}s" >&2 ;;
        *) echo "bench: exit status $rc ($VM_DIR/bench.log)" >&2 ;;
    esac
fi
exit "$rc"
