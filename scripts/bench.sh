#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# make bench (issue 12): odp-hca against pinned memory, against Soft-RoCE,
# and the cost of a fault, measured side by side in one guest in one run.
# Boots one guest (scripts/vm.sh; VM_DIR build/bench) with an odp-hca
# (id hca0, room for 1024 QPs a side and 10000 MRs) and a virtio-net port
# on a hub of its own, on which the guest puts Soft-RoCE (rxe0); every run
# there is a loopback inside one device.  The wire part then boots two
# guests (bench_wire below) and runs perftest between them, and the
# callgrind part counts QEMU's instructions per byte on the host
# (scripts/bench-callgrind.sh).  guest-driver/tests/bench-guest.py runs
# the figures into the out share; this script wraps them with what was
# measured where (commit, accelerator, host) into <results>/bench.json
# and has scripts/bench-report.py write <results>/bench.md and its plots.
#
# Usage: bench.sh <results-dir> <timeout-seconds>
# Environment: QEMU, QTEST_BIN (the callgrind part), VM_ACCEL (tcg unless
# told otherwise, so that figures compare between machines; "auto" takes
# KVM when it really runs a guest), BENCH_PARTS (the one guest's parts of
# bench-guest.py, and "wire" and "callgrind"), BENCH_* (see
# bench-guest.py, bench-wire-guest.py, bench-callgrind.sh), and vm.sh's
# knobs.
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
# The initramfs of the guest kernel series, by the name vm.sh looks for.
initrd="initramfs-$ODP_KERNEL_SERIES.cpio.gz"
[ -f "build/vm/$initrd" ] || die "no build/vm/$initrd (make vm-initramfs)"
ln -sfr "build/vm/$initrd" "$VM_DIR/$initrd"
raw="$VM_DIR/out/bench.jsonl"
rm -f "$raw"

# The parts of the one guest, and whether the two-guest wire part runs.
wire_dir="${BENCH_WIRE_DIR:-build/bench-wire}"
rm -f "$VM_DIR/bench.log"
parts="${BENCH_PARTS:-bw cold lat faults reg xfer scale wire callgrind}"
wire=no callgrind=no one=
for p in $parts; do
    case "$p" in
        wire) wire=yes ;;
        callgrind) callgrind=yes ;;
        *) one="$one $p" ;;
    esac
done

# The guests inherit nothing but their command line: hand the knobs over.
knobs() {
    local v k=
    for v in "$@"; do
        if [ -n "${!v:-}" ]; then k="$k $v='${!v}'"; fi
    done
    echo "$k"
}

# The wire part: two guests (build/bench-wire/a and b), each with an
# odp-hca and a virtio-net port (rxe0); the odp-hcas joined by one
# -netdev stream link, the virtio-nets by another, both unix sockets
# under the directory.  Guest a serves perftest, guest b runs the
# clients (guest-driver/tests/bench-wire-guest.py) and writes the
# figures, which join the one guest's.
bench_wire() {
    local w="$wire_dir" g pids=() rc=0 i
    local cmd srv dev extra
    declare -A omac=([a]=52:54:00:0d:04:01 [b]=52:54:00:0d:04:02)
    declare -A rmac=([a]=52:54:00:0d:05:01 [b]=52:54:00:0d:05:02)

    rm -f "$w/odp.sock" "$w/rxe.sock" "$w/b/out/wire.jsonl"
    for g in a b; do
        mkdir -p "$w/$g/out"
        ln -sfr "build/vm/$initrd" "$w/$g/$initrd"
    done
    for g in a b; do
        if [ "$g" = a ]; then
            srv="server=on"
        else
            srv="server=off,reconnect-ms=1000"
            # b connects once a's QEMU listens
            for i in $(seq 1 300); do
                [ -S "$w/odp.sock" ] && [ -S "$w/rxe.sock" ] && break
                sleep 0.1
            done
        fi
        dev="odp-hca,id=hca0,netdev=p0,mac=${omac[$g]}"
        extra="-netdev stream,id=p0,$srv,addr.type=unix,addr.path=$w/odp.sock"
        extra="$extra -netdev stream,id=p1,$srv,addr.type=unix,addr.path=$w/rxe.sock"
        extra="$extra -device virtio-net-pci,netdev=p1,mac=${rmac[$g]},romfile="
        cmd="BENCH_WIRE_ODP_MAC=${omac[$g]} BENCH_WIRE_RXE_MAC=${rmac[$g]}"
        cmd="$cmd$(knobs BENCH_WIRE_SIZES BENCH_WIRE_TESTS)"
        cmd="$cmd python3 guest-driver/tests/bench-wire-guest.py $g $w/$g/out/wire.jsonl"
        info "bench wire, guest $g: $cmd"
        VM_DIR="$w/$g" VM_MEM=2G VM_DEVICE="$dev" VM_EXTRA="$extra" \
            timeout -k 10 "$tmo" scripts/vm.sh -c "$cmd" < /dev/null \
            > "$w/$g.log" 2>&1 &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i" || rc=$?
    done
    [ -f "$w/b/out/wire.jsonl" ] && cat "$w/b/out/wire.jsonl" >> "$raw"
    # a side that could not set up says so in its own file
    [ -f "$w/a/out/wire.jsonl" ] && cat "$w/a/out/wire.jsonl" >> "$raw"
    return "$rc"
}

t0=$(date +%s)
rc=0
if [ -n "$one" ]; then
    gcmd="BENCH_RXE_MAC=$rxe_mac BENCH_PARTS='${one# }'"
    gcmd="$gcmd$(knobs BENCH_SECONDS BENCH_SIZES BENCH_TESTS BENCH_QPS BENCH_INJECT_EVERY \
        BENCH_COLD_REPEAT BENCH_BW_REPEAT BENCH_FAULTS_REPEAT BENCH_LAT_REPEAT \
        BENCH_XFER_SIZES)"
    gcmd="$gcmd python3 guest-driver/tests/bench-guest.py $VM_DIR/out/bench.jsonl"
    info "bench: $gcmd (accel $VM_ACCEL)"
    set +e
    timeout -k 10 "$tmo" scripts/vm.sh -c "$gcmd" < /dev/null > "$VM_DIR/bench.log" 2>&1
    rc=$?
    set -e
fi
if [ "$wire" = yes ]; then
    set +e
    bench_wire
    wrc=$?
    set -e
    [ "$rc" -ne 0 ] || rc=$wrc
fi
if [ "$callgrind" = yes ]; then
    # on the host, no guest: QEMU under callgrind with qtest
    scripts/bench-callgrind.sh "$raw" "${BENCH_CG_DIR:-build/bench-callgrind}" ||
        [ "$rc" -ne 0 ] || rc=1
fi
secs=$(($(date +%s) - t0))

# what the guest really ran under: vm.sh's command line (auto may pick KVM)
accel="$(cat "$VM_DIR/bench.log" "$wire_dir/a.log" 2>/dev/null |
         grep -o -- '-accel [a-z]*' | head -n1 | cut -d' ' -f2 || true)"
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
