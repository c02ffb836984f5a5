# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
# Fault injection from the monitor during perftest runs (issue 4).
# Sourced by check-guest.sh near its end, after the device's and the
# driver's counters were compared over the suite (odp-hca-reset-stats here
# clears the device's counters) and before the driver is unloaded; it
# continues that suite's TAP numbering with its ok, not_ok, skip, show and
# perftest (run_pair) and uses its T, FAILED, DEV, ODP_GID, LOG, port and
# ODP_ROOT.
#
# For ib_write_bw, ib_read_bw and ib_send_bw --odp in loopback, asking the
# host over QMP (scripts/in-guest/monitor.sh):
#   odp-hca-reset-stats; odp-hca-inject-faults every=N; the perftest pair;
#   odp-hca-inject-faults with neither every nor key (stop); query-odp-hca
# and then, one TAP line each:
#   - client and server exit 0 and the client reports a bandwidth line;
#   - faults-injected > 0 and equal to the records marked injected, the
#     fault ring (fault-ring-size) having held every fault of the run;
#   - every injected fault was resumed (none failed, pending or flushed),
#     resumes-ok >= faults-injected, resumes-failed 0;
#   - the rate: the device counts on-demand translations and injects at
#     every Nth one (hw/odp-hca-fault.c), an injected translation counting
#     as neither an IOTLB hit nor a miss (hw/odp-hca-translate.c), so with
#     only on-demand MRs in use (perftest --odp) and the counter starting
#     at the inject call (nothing else translates between reset-stats
#     and the query),
#         injected == floor((iotlb-hits + iotlb-misses + injected
#                            - injections-deferred) / N)
#     where injections-deferred counts the injections that fell due on
#     the spared retry of an injected page and went to the next
#     translation (each makes one cycle a translation longer; a retry
#     comes late when the other side translated meanwhile);
#   - the driver's hw_counters: odp_faults grew by at least faults-injected
#     (exactly the faults the device raised), every fault got a RESUME,
#     odp_faults_failed did not move.
# A control run (ib_write_bw --odp with every=0) must inject nothing.
#
# Environment: INJECT_EVERY (32), INJECT_SIZE (65536), INJECT_ITERS (100).
# The defaults keep a run's faults (108: 106 injected, 2 real) within the
# default fault-ring-size of 256, so every record of the run is checked
# with the harness's plain -device odp-hca; the check says so when a run
# did not fit.  The four runs add about 20 s under TCG.

if ! declare -F perftest > /dev/null || ! declare -F not_ok > /dev/null; then
    echo "check-inject.sh: source it from check-guest.sh (it needs its TAP helpers)" >&2
    # shellcheck disable=SC2317 # reached when run rather than sourced
    return 2 2> /dev/null || exit 2
fi

_INJ_EVERY="${INJECT_EVERY:-32}"
_INJ_SIZE="${INJECT_SIZE:-65536}"
_INJ_ITERS="${INJECT_ITERS:-100}"
_inj_port="${port:-18600}"

_inj_qmp() { "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp "$@"; }

# The driver's fault counters (hw_counters of port 1; cached for 10 ms).
_inj_drv() {
    local c
    sleep 0.1
    for c in odp_faults odp_resumes odp_faults_failed; do
        cat "/sys/class/infiniband/$DEV/ports/1/hw_counters/$c" 2> /dev/null || echo 0
    done | tr '\n' ' '
}

# _inj_check <query.json> <every> <tool> <driver before> <driver after>:
# the device's account of one run, "ok - ..."/"not ok - ..."/"# ..." lines.
_inj_check() {
    python3 - "$@" << 'EOF'
import json
import sys
from collections import Counter

path, every, tool = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d0 = [int(x) for x in sys.argv[4].split()]
d1 = [int(x) for x in sys.argv[5].split()]
d_faults, d_resumes, d_failed = (b - a for a, b in zip(d0, d1))
with open(path) as f:
    devs = json.load(f)
if len(devs) != 1:
    print("not ok - %s every=%d: query-odp-hca lists %d devices, expected 1"
          % (tool, every, len(devs)))
    sys.exit(1)
dev = devs[0]
c, recs, ring = dev["counters"], dev["faults"], dev["fault-ring-size"]
inj = c["faults-injected"]
faults = c["faults-requester"] + c["faults-responder"]
hits, misses = c["iotlb-hits"], c["iotlb-misses"]
irecs = [r for r in recs if r["injected"]]
outcomes = Counter(r["outcome"] for r in irecs)
other = Counter(r["outcome"] for r in recs if not r["injected"])
whole = faults <= ring and len(recs) == faults
lat = dev["latency"]
print("#   device: faults %d (requester %d, responder %d), injected %d, "
      "records %d (%d injected), ring %d" % (faults, c["faults-requester"],
      c["faults-responder"], inj, len(recs), len(irecs), ring))
print("#   device: iotlb hits %d misses %d, table walks %d, resumes ok %d "
      "failed %d, RNR NAKs %d, retries %d; service median %d ns p99 %d ns"
      % (hits, misses, c["table-walks"], c["resumes-ok"],
         c["resumes-failed"], c["rnr-naks"], c["requester-retries"],
         lat["median-ns"], lat["p99-ns"]))
print("#   injected records by outcome: %s; other records: %s"
      % (dict(outcomes) or "none", dict(other) or "none"))
print("#   driver: odp_faults +%d, odp_resumes +%d, odp_faults_failed +%d"
      % (d_faults, d_resumes, d_failed))
failed = 0


def check(ok, desc):
    global failed
    print("%s - %s" % ("ok" if ok else "not ok", desc))
    failed += not ok


name = "%s --odp, injection every=%d" % (tool, every)
if every == 0:
    check(inj == 0 and not irecs and whole,
          "%s (control): faults-injected %d, %d records marked injected, "
          "%d faults all recorded (ring %d)"
          % (name, inj, len(irecs), faults, ring))
    sys.exit(1 if failed else 0)

check(inj > 0 and whole and len(irecs) == inj,
      "%s: faults-injected %d > 0 = %d records marked injected; the ring "
      "held all %d faults of the run (%d records, fault-ring-size %d)"
      % (name, inj, len(irecs), faults, len(recs), ring))
check(inj > 0 and outcomes["resumed"] == len(irecs) and
      c["resumes-ok"] >= inj and c["resumes-failed"] == 0,
      "%s: every injected fault resumed (%d of %d records), resumes-ok %d "
      ">= faults-injected %d, resumes-failed %d"
      % (name, outcomes["resumed"], len(irecs), c["resumes-ok"], inj,
         c["resumes-failed"]))
deferred = c["injections-deferred"]
want = (hits + misses + inj - deferred) // every
check(inj >= 1 and inj == want,
      "%s: rate: faults-injected %d = floor((iotlb hits %d + misses %d + "
      "injected %d - deferred %d) / %d) = %d"
      % (name, inj, hits, misses, inj, deferred, every, want))
check(d_faults >= inj and d_faults == faults and d_resumes == d_faults and
      d_failed == 0,
      "%s: driver: odp_faults +%d >= faults-injected %d (device raised %d), "
      "odp_resumes +%d, odp_faults_failed +%d"
      % (name, d_faults, inj, faults, d_resumes, d_failed))
sys.exit(1 if failed else 0)
EOF
}

# _inj_run <tool> <every>: one perftest pair under injection, its checks.
_inj_run() {
    local t="$1" every="$2" n0 f0 d0 d1 t0 t1 out json line args
    local desc="$t --odp -s $_INJ_SIZE -n $_INJ_ITERS, injection every=$every"
    json="$LOG/inject-$t-$every.json"
    out="$LOG/inject-$t-$every.mon"
    _inj_port=$((_inj_port + 1))
    d0="$(_inj_drv)"
    args="{\"id\": \"$_INJ_ID\", \"every\": $every}"
    if ! _inj_qmp odp-hca-reset-stats "{\"id\": \"$_INJ_ID\"}" > "$out" 2>&1 ||
       ! _inj_qmp odp-hca-inject-faults "$args" >> "$out" 2>&1; then
        not_ok "$desc: odp-hca-reset-stats, odp-hca-inject-faults $args"
        show "$out"
        _inj_qmp odp-hca-inject-faults "{\"id\": \"$_INJ_ID\"}" > /dev/null 2>&1
        return
    fi
    t0="$(date +%s.%N)"
    perftest "$desc" 120 "$_inj_port" \
        "$t" -d "$DEV" -x "$ODP_GID" -p "$_inj_port" -F -s "$_INJ_SIZE" -n "$_INJ_ITERS" --odp
    t1="$(date +%s.%N)"
    # Stop injecting before anything else can go wrong.
    if ! _inj_qmp odp-hca-inject-faults "{\"id\": \"$_INJ_ID\"}" > "$out" 2>&1; then
        not_ok "$desc: odp-hca-inject-faults without every or key (stop)"
        show "$out"
        return
    fi
    d1="$(_inj_drv)"
    if ! _inj_qmp query-odp-hca "{\"id\": \"$_INJ_ID\"}" > "$json" 2> "$out"; then
        not_ok "$desc: query-odp-hca after the run"
        show "$json"; show "$out"
        return
    fi
    echo "# $t under injection every=$every: the pair ran $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
    _inj_check "$json" "$every" "$t" "$d0" "$d1" > "$out" 2>&1
    n0="$T" f0="$FAILED"
    relay_tap "$out"
    [ "$T" -gt "$n0" ] || not_ok "$desc: the query was checked (python3)"
    [ "$FAILED" -eq "$f0" ] || echo "# query-odp-hca after the run: $json"
}

_inj_main() {
    local t0="$SECONDS" out="$LOG/inject-query.json" rc t
    "$ODP_ROOT/scripts/in-guest/monitor.sh" qmp query-odp-hca > "$out" 2>&1
    rc=$?
    if [ "$rc" -eq 3 ]; then
        skip "fault injection during perftest" "no answer to query-odp-hca from the host"
        return
    fi
    # The device's QOM path: odp-hca-inject-faults wants an id or a path,
    # and the harness's -device odp-hca (VM_DEVICE) need not have an id.
    # (monitor.py prints the answer one key a line; no python3 start-up,
    # seconds under TCG, for this.)
    _INJ_ID="$(sed -n 's/^ *"qom-path": "\([^"]*\)",\{0,1\}$/\1/p' "$out")"
    if [ "$rc" -ne 0 ] || [ -z "$_INJ_ID" ] || [ "$(printf '%s\n' "$_INJ_ID" | wc -l)" -ne 1 ]; then
        not_ok "fault injection: query-odp-hca names one odp-hca device (exit $rc)"
        show "$out"
        return
    fi
    echo "# fault injection on $_INJ_ID: every $_INJ_EVERY on-demand translations, perftest -s $_INJ_SIZE -n $_INJ_ITERS"
    for t in ib_write_bw ib_read_bw ib_send_bw; do
        _inj_run "$t" "$_INJ_EVERY"
    done
    _inj_run ib_write_bw 0
    echo "# fault injection checks took $((SECONDS - t0)) s"
}

_inj_main
port="$_inj_port"
