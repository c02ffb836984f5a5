#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# make check-bench: what a short run of make bench wrote, as TAP.  Not a
# test of speed: every part the run was asked for produced its figures
# for every configuration, each a positive number, no run gave none,
# and the report was written with its targets table.
#
# Usage: check-smoke.py <bench.json> <bench.md> <bench exit status>
#
# Copyright (c) 2026 The odp-hca developers

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

tap = Tap()


def main():
    js, md, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tap(rc == 0, "make bench (short) exits 0", "exit status %d" % rc)
    try:
        data = json.load(open(js))
    except (OSError, ValueError) as e:
        tap(False, "bench.json is there and is JSON", e)
        return tap.plan()
    res = data["results"]
    errs = [r for r in res if r["kind"] == "error"]
    tap(not errs, "no run without a figure",
        "\n".join("%s: %s" % (r.get("of"), r["error"]) for r in errs))

    def figs(kind, **m):
        return [r for r in res if r["kind"] == kind and
                all(r.get(k) == v for k, v in m.items())]
    for dev, mem in (("odp-hca", "pinned"), ("odp-hca", "odp"),
                     ("soft-roce", "pinned")):
        b = figs("bw", dev=dev, mem=mem)
        tap(b and all(r["mbps"] > 0 and r["mpps"] > 0 for r in b),
            "bandwidth and message rate of %s %s" % (dev, mem), b)
        lt = figs("lat", dev=dev, mem=mem)
        tap(lt and all(0 < r["typical-us"] <= r["max-us"] for r in lt),
            "latency of %s %s" % (dev, mem), lt)
    c = figs("cold", mem="odp", snapshot=False)
    tap(c and all(r["mbps"] > 0 and r["faults"] > 0 and
                  r["pages-resolved"] > 0 for r in c) and
        {r.get("policy") for r in c} == {"rnr", "notify"},
        "cold --odp runs with reg_snapshot=0 under rnr and notify: MB/s, "
        "and the faults they took", c)
    c = figs("cold", mem="odp", snapshot=True)
    tap(c and all(r["mbps"] > 0 and r["snapshot-pages"] > 0 for r in c),
        "cold --odp runs with the driver's defaults: MB/s, and the pages "
        "registration mapped", c)
    x = {(r["mode"], r["policy"]): r for r in figs("xfer")}
    modes = ("pinned", "odp-warm", "odp-cold", "implicit-warm",
             "implicit-cold", "cpu-warm", "cpu-cold")
    tap(all((m, "rnr") in x for m in modes) and ("odp-cold", "notify") in x
        and all(0 < r["us"]["min"] <= r["us"]["p50"] <= r["us"]["max"]
                for r in x.values()),
        "one WRITE's time in every memory state, and memcpy's", sorted(x))
    tap(all(x.get((m, "rnr"), {}).get("faults", 0) > 0
            for m in ("odp-cold", "implicit-cold")) and
        all(x.get((m, "rnr"), {}).get("faults", 1) == 0
            for m in ("pinned", "odp-warm", "implicit-warm")),
        "cold WRITEs fault, prefetched and pinned ones do not",
        {k: v.get("faults") for k, v in x.items()})
    f = figs("faults")
    tap(f and f[0]["latency"]["count"] > 0 and f[0]["injected"] > 0 and
        f[0]["latency"]["min-ns"] <= f[0]["latency"]["median-ns"] <=
        f[0]["latency"]["p99-ns"],
        "fault service histogram under injected faults", f)
    reg = figs("reg")
    kinds = {(r["mem"], r["bytes"]) for r in reg}
    want = {("pinned", 64 << 20), ("odp", 64 << 20), ("odp", 16 << 30),
            ("implicit", None)}
    tap(want <= kinds and all(r["seconds"] > 0 for r in reg),
        "registration: pinned, on-demand 64 MiB and 16 GiB, implicit",
        sorted(map(str, kinds)))
    sc = figs("scale")
    tap(sc and all(r["mbps"] > 0 and r["qp-bytes"]["qps"] == r["qps"] and
                   0 < r["qp-bytes"]["min"] <= r["qp-bytes"]["max"]
                   for r in sc),
        "several QPs at once: the aggregate, and each QP's bytes from the "
        "device", sc)
    for dev in ("odp-hca", "soft-roce"):
        w = figs("wire-bw", dev=dev)
        tap(w and all(r["mbps"] > 0 and r["mpps"] > 0 for r in w),
            "across the wire, two guests: bandwidth of %s" % dev, w)
        wl = figs("wire-lat", dev=dev)
        tap(wl and all(0 < r["typical-us"] <= r["max-us"] for r in wl),
            "across the wire, two guests: latency of %s" % dev, wl)
    cg = figs("callgrind")
    tap(cg and cg[0]["device-ir-per-byte"] > 0 and
        cg[0]["memcpy-ir-per-byte"] > 0 and
        cg[0]["device-ir"][1] > cg[0]["device-ir"][0],
        "instructions per byte under callgrind, device and memcpy, more "
        "for more WRITEs", cg)
    try:
        text = open(md).read()
    except OSError as e:
        text = ""
        tap(False, "bench.md written", e)
    else:
        tap("## Targets" in text and "## Bandwidth" in text,
            "bench.md has its targets and bandwidth tables")
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
