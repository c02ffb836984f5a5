#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Tests of scripts/bench-report.py (the report of make bench), printing
# TAP; part of make check-plot.  No guest: a small bench JSON made here,
# its numbers chosen so that each can be found in the report and each
# target's verdict follows from them.
#
# Usage: test-bench-report.py <work-dir>
#
# 1. A bench with every kind of result: the bandwidth table holds each
#    configuration's MB/s and the ratios of the same run, the cold,
#    latency, fault, registration and scale tables their numbers, each
#    target is met, not met or not measured as its numbers say, a run
#    without a figure is listed with its reason; the three PNGs are PNGs.
# 2. Bad input: no file, not JSON, wrong shape: exit status 1 and a
#    message, no traceback, no report.
#
# Copyright (c) 2026 The odp-hca developers

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "scripts", "bench-report.py")
MiB = 1 << 20

sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

tap = Tap()


def bw(test, dev, mem, size, mbps, mpps):
    return {"kind": "bw", "test": test, "dev": dev, "mem": mem, "size": size,
            "seconds": 2.0, "iterations": 1000, "mbps": mbps, "mpps": mpps}


def xfer(mode, size, p50, n=100, faults=0, policy="rnr"):
    return {"kind": "xfer", "dev": "odp-hca", "mode": mode, "size": size,
            "policy": policy, "iterations": n, "min_rnr_timer": 12,
            "us": {"p50": p50, "min": p50 / 2, "max": p50 * 3,
                   "mean": p50 * 1.1},
            "mbps": size / p50, "faults": faults, "fault-pages": faults * 16,
            "prefetch-pages": 0}


def cold_snap(run, mbps):
    return {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
            "mem": "odp", "size": MiB, "iterations": 300, "mbps": mbps,
            "mpps": mbps / MiB, "faults": 0, "faults-requester": 0,
            "faults-responder": 0, "pages-resolved": 0, "run": run,
            "policy": "rnr", "snapshot": True, "snapshot-pages": 512}


def lat(dev, run, typical, p99):
    return {"kind": "lat", "test": "ib_write_lat", "dev": dev,
            "mem": "pinned", "size": 8, "run": run, "min-us": typical / 2,
            "typical-us": typical, "avg-us": typical + 1, "p99-us": p99,
            "max-us": p99 * 3}


def wq_round(run, p50, p99):
    return {"kind": "faults", "test": "ib_write_bw", "dev": "odp-hca",
            "size": 65536, "every": 100, "faults": 210, "injected": 200,
            "context": "workqueue", "run": run, "mbps": 900.0, "mpps": 0.01,
            "iterations": 1,
            "latency": {"count": 210, "min-ns": 90000, "median-ns": p50,
                        "p99-ns": p99, "max-ns": p99 + 1,
                        "buckets": [{"le-ns": p50, "count": 200},
                                    {"le-ns": p99, "count": 10}]}}


def bench():
    r = [
        bw("ib_write_bw", "odp-hca", "pinned", 64, 12.5, 0.2048),
        bw("ib_write_bw", "odp-hca", "odp", 64, 11.5, 0.1884),
        bw("ib_write_bw", "soft-roce", "pinned", 64, 1.5, 0.0200),
        bw("ib_write_bw", "odp-hca", "pinned", 65536, 4640.0, 0.0742),
        bw("ib_write_bw", "odp-hca", "odp", 65536, 4500.0, 0.072),
        bw("ib_write_bw", "soft-roce", "pinned", 65536, 25.0, 0.0004),
        bw("ib_write_bw", "odp-hca", "pinned", MiB, 5500.0, 0.0052),
        # three rounds at 4 KiB: ratios 0.90, 1.05, 0.80
        dict(bw("ib_write_bw", "odp-hca", "pinned", 4096, 100.0, 0.024), run=0),
        dict(bw("ib_write_bw", "odp-hca", "odp", 4096, 90.0, 0.022), run=0),
        dict(bw("ib_write_bw", "odp-hca", "pinned", 4096, 200.0, 0.048), run=1),
        dict(bw("ib_write_bw", "odp-hca", "odp", 4096, 210.0, 0.051), run=1),
        dict(bw("ib_write_bw", "odp-hca", "pinned", 4096, 300.0, 0.073), run=2),
        dict(bw("ib_write_bw", "odp-hca", "odp", 4096, 240.0, 0.059), run=2),
        bw("ib_write_bw", "soft-roce", "pinned", MiB, 0.0, 0.0),
        # three rounds: pinned, then --odp under rnr and notify
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": MiB, "iterations": 300, "mbps": 5000.0,
         "mpps": 0.005, "run": 0},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 4250.0,
         "mpps": 0.004, "faults": 6, "faults-requester": 3,
         "faults-responder": 3, "pages-resolved": 768, "run": 0,
         "policy": "rnr"},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 4750.0,
         "mpps": 0.004, "faults": 2, "faults-requester": 1,
         "faults-responder": 1, "pages-resolved": 512, "run": 0,
         "policy": "notify"},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": MiB, "iterations": 300, "mbps": 2000.0,
         "mpps": 0.002, "run": 1},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 1000.0,
         "mpps": 0.001, "faults": 2, "faults-requester": 1,
         "faults-responder": 1, "pages-resolved": 512, "run": 1,
         "policy": "rnr"},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 1900.0,
         "mpps": 0.002, "faults": 2, "faults-requester": 1,
         "faults-responder": 1, "pages-resolved": 512, "run": 1,
         "policy": "notify"},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": MiB, "iterations": 300, "mbps": 4000.0,
         "mpps": 0.004, "run": 2},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 3600.0,
         "mpps": 0.0036, "faults": 2, "faults-requester": 1,
         "faults-responder": 1, "pages-resolved": 512, "run": 2,
         "policy": "rnr"},
        {"kind": "cold", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "odp", "size": MiB, "iterations": 300, "mbps": 3800.0,
         "mpps": 0.0038, "faults": 2, "faults-requester": 1,
         "faults-responder": 1, "pages-resolved": 512, "run": 2,
         "policy": "notify"},
        # the driver's defaults: the pages mapped at registration
        cold_snap(0, 4900.0), cold_snap(1, 1900.0), cold_snap(2, 4100.0),
        xfer("pinned", 65536, 30.0),
        xfer("odp-warm", 65536, 33.0),
        xfer("odp-cold", 65536, 1200.0, faults=200),
        xfer("odp-cold", 65536, 300.0, faults=200, policy="notify"),
        xfer("cpu-cold", 65536, 60.0),
        xfer("pinned", 64 * MiB, 36000.0, n=3),
        xfer("odp-cold", 64 * MiB, 300000.0, n=3, faults=96),
        # three latency rounds: the medians are 41 and 51 us, but the
        # median of the rounds' ratios is 41 / 60
        lat("odp-hca", 0, 41.0, 77.0), lat("soft-roce", 0, 60.0, 88.0),
        lat("odp-hca", 1, 30.0, 70.0), lat("soft-roce", 1, 51.0, 99.0),
        lat("odp-hca", 2, 50.0, 80.0), lat("soft-roce", 2, 40.0, 50.0),
        {"kind": "faults", "test": "ib_write_bw", "dev": "odp-hca",
         "size": 65536, "every": 100, "faults": 321, "injected": 300,
         "context": "irq-thread",
         "mbps": 1234.5, "mpps": 0.02, "iterations": 1,
         "latency": {"count": 321, "min-ns": 90000, "median-ns": 131072,
                     "p99-ns": 2097152, "max-ns": 3000000,
                     "buckets": [{"le-ns": 131072, "count": 300},
                                 {"le-ns": 2097152, "count": 21}]}},
        {"kind": "faults", "test": "ib_write_bw", "dev": "odp-hca",
         "size": 65536, "every": 100, "faults": 222, "injected": 200,
         "context": "workqueue", "run": 0,
         "mbps": 999.0, "mpps": 0.01, "iterations": 1,
         "latency": {"count": 222, "min-ns": 95000, "median-ns": 262144,
                     "p99-ns": 4194304, "max-ns": 5000000,
                     "buckets": [{"le-ns": 262144, "count": 200},
                                 {"le-ns": 4194304, "count": 22}]}},
        # two more rounds: medians of the three 262144 and 1048576 ns
        wq_round(1, 131072, 1048576), wq_round(2, 524288, 524288),
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": 65536, "mbps": 300.0, "mpps": 0.0046},
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "soft-roce",
         "mem": "pinned", "size": 65536, "mbps": 10.0, "mpps": 0.00015},
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": 1048576, "mbps": 350.0, "mpps": 0.00033},
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "soft-roce",
         "mem": "pinned", "size": 1048576, "mbps": 50.0, "mpps": 0.00005},
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": 4096, "mbps": 20.0, "mpps": 0.005},
        {"kind": "wire-bw", "test": "ib_write_bw", "dev": "soft-roce",
         "mem": "pinned", "size": 4096, "mbps": 10.0, "mpps": 0.0025},
        {"kind": "wire-lat", "test": "ib_write_lat", "dev": "odp-hca",
         "mem": "pinned", "size": 8, "min-us": 20.0, "typical-us": 43.0,
         "avg-us": 50.0, "p99-us": 99.0, "max-us": 500.0},
        {"kind": "callgrind", "size": 65536, "writes": [4, 20],
         "device-ir": [1000000, 9000000], "memcpy-ir": [100000, 900000],
         "entry-points": ["odp_hca_db_write", "odp_hca_qp_bh"],
         "device-ir-per-byte": 7.62939453125,
         "memcpy-ir-per-byte": 0.762939453125},
        {"kind": "reg", "dev": "odp-hca", "mem": "pinned", "bytes": 64 * MiB,
         "seconds": 0.125},
        {"kind": "reg", "dev": "odp-hca", "mem": "odp", "bytes": 64 * MiB,
         "seconds": 0.002},
        {"kind": "reg", "dev": "odp-hca", "mem": "odp", "bytes": 16384 * MiB,
         "seconds": 0.0025},
        {"kind": "reg", "dev": "odp-hca", "mem": "implicit", "bytes": None,
         "seconds": 0.0015},
        {"kind": "reg", "dev": "odp-hca", "mem": "pinned", "bytes": 4096,
         "count": 10000, "seconds": 2.5, "dereg_seconds": 1.5},
        {"kind": "scale", "test": "ib_write_bw", "dev": "odp-hca",
         "mem": "pinned", "size": 65536, "qps": 16, "mbps": 3999.5,
         "mpps": 0.061, "iterations": 1,
         "qp-bytes": {"qps": 16, "min": 400000000, "median": 500000000,
                      "max": 600000000, "destroyed-dropped": 0}},
        {"kind": "error", "of": "bw", "test": "ib_read_bw", "dev": "soft-roce",
         "mem": "pinned", "size": 64, "error": "client exit 1 (Couldn't connect)"},
    ]
    return {"meta": {"commit": "abc1234", "accel": "tcg", "wall-seconds": 321,
                     "perftest-seconds": 2.0,
                     "date": "2026-11-28T00:00:00Z", "kernel": "6.12.95",
                     "cpus": 2, "perftest": "4.5", "host-cpus": 2,
                     "device": "odp-hca,id=hca0"},
            "results": r}


def run(args):
    return subprocess.run([sys.executable, TOOL] + args, capture_output=True,
                          text=True)


def has(text, *needles):
    missing = [n for n in needles if n not in text]
    return not missing, "missing: %s" % missing


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def test_report(work):
    """The report of a bench with every kind of result."""
    js, md = os.path.join(work, "bench.json"), os.path.join(work, "bench.md")
    with open(js, "w") as f:
        json.dump(bench(), f)
    r = run([js, md])
    if not tap(r.returncode == 0 and os.path.exists(md),
               "a bench: report written", r.stderr):
        return
    text = open(md).read()
    rows = {}
    for line in text.splitlines():      # the first row of each name
        if line.startswith("| ") and line.count("|") > 3:
            rows.setdefault(line.split("|")[1].strip(), line)

    ok, why = has(rows.get("64 B", ""), "12.5", "11.5", "0.92", "1.5",
                  "8.3x", "0.205", "0.020")
    tap(ok, "bandwidth: 64 B's MB/s, ODP/pinned 0.92, odp-hca/Soft-RoCE "
        "8.3x, message rates", why)
    ok, why = has(rows.get("4 KiB", ""), "| 200.0 | 210.0 | 0.90 |")
    tap(ok, "bandwidth: three rounds give the median MB/s of each and the "
        "median of the rounds' ratios", why)
    ok, why = has(verdict_row(text, "ODP warm"), "worst median 0.90 "
                  "(ib_write_bw 4 KiB, 3 rounds, 0.80-1.05)")
    tap(ok, "warm target: the worst size's median ratio, with its rounds",
        why)
    ok, why = has(rows.get("64 KiB", ""), "4640.0", "4500.0", "0.97",
                  "185.6x")
    tap(ok, "bandwidth: 64 KiB's row with its ratios", why)
    row = rows.get("1 MiB", "")
    ok, why = has(row, "5500.0", "0.0\\*")
    tap(ok and "x |" not in row and
        "perftest reported no message in its timed window" in text,
        "bandwidth: a run whose window saw no message is marked, "
        "with no ratio taken of it", why + "\n" + row)
    cold = [line for line in text.split("## Cold runs")[1].split("##")[0]
            .splitlines() if line.startswith("| ib_write_bw")]
    # the defaults first: 0.98, 0.95, 1.025 -> 0.98, no fault, the pages
    # mapped at registration
    ok, why = has(cold[0] if cold else "", "| 1 MiB | snapshot, rnr | 3 | "
                  "4000.0 | 4100.0 | 0.98 (0.95-1.02) | 0 + 0 | 512 | 0.00 |")
    tap(ok, "cold runs: the driver's defaults first, the pages its "
        "registration mapped", why)
    # rnr's rounds: 0.85, 0.50, 0.90 -> median 0.85; pinned median 4000,
    # ODP 3600; the worst round's faults a side: 3 over 1.5 MiB -> 2 MiB
    ok, why = has(cold[1] if len(cold) > 1 else "", "| 1 MiB | "
                  "reg_snapshot=0, rnr | 3 | 4000.0 | 3600.0 | 0.85 "
                  "(0.50-0.90) | 1 + 1 | - | 1.50 |")
    tap(ok, "cold runs: the median of three rounds' ratios with its range, "
        "the last round's faults, the worst round's faults per MiB", why)
    ok, why = has(cold[2] if len(cold) > 2 else "", "| 1 MiB | "
                  "reg_snapshot=0, notify | 3 |", "0.95 (0.95-0.95)")
    tap(ok, "cold runs: notify's rounds in a row of their own", why)
    xf = [line for line in text.split("## One WRITE")[1].split("##")[0]
          .splitlines() if line.startswith("| 64 KiB")] \
        if "## One WRITE" in text else []
    ok, why = has(xf[0] if xf else "", "| 30.0 |", "33.0 (1.10x)",
                  "1200.0 (40.00x)", "300.0 (10.00x)", "60.0 (2.00x)",
                  "| 2.0 | 1.00 |")
    tap(ok, "one WRITE: p50 against pinned for each memory state, notify's "
        "cold, memcpy, faults a WRITE and per cold MiB", why)
    ok, why = has(rows.get("ib_write_lat", ""), "| 3 |", "41.0 (77.0)",
                  "51.0 (88.0)", "0.68 (0.59-1.25)")
    tap(ok, "latency: the rounds' median typical (p99), and the median of "
        "the rounds' ratios to Soft-RoCE with its range", why)
    ok, why = has(text, "| interrupt thread (fault_wq=0) | 321 (300) | "
                  "1234.5 | 90 us | 131 us | 2.1 ms | 3.0 ms |",
                  "| workqueue (the default), round 1 | 222 (200) | 999.0 | "
                  "95 us | 262 us | 4.2 ms | 5.0 ms |",
                  "| workqueue (the default), median of 3 rounds | | | | "
                  "262 us | 1.0 ms | |")
    tap(ok, "fault service, each place faults are resolved in: count, "
        "MB/s, min, p50, p99, max, a row a round and the rounds' medians",
        why)
    ok, why = has(verdict_row(text, "fault service"), "p50 <= 262 us, p99 "
                  "<= 1.0 ms; workqueue (the default), median of 3 rounds")
    tap(ok, "fault target: the default's medians over its rounds", why)
    ok, why = has(text, "| 64 MiB | 125.00 ms | 2.00 ms | 1.50 ms |",
                  "| 16 GiB |" if "| 16 GiB |" in text else "| 16384 MiB |",
                  "not tried (guest memory)", "10000 pinned MRs of 4 KiB: "
                  "2.50 s to register, 1.50 s to deregister (250 us each)")
    tap(ok, "registration: pinned, on-demand, implicit, 10000 MRs", why)
    ok, why = has(rows.get("16", ""), "3999.5", "0.061", "| 16 |",
                  "400.0 / 500.0 / 600.0", "| 1.50 |")
    tap(ok, "scale: 16 QPs' aggregate, what each QP moved and the spread",
        why)
    ok, why = has(text, "## Across the wire", "| ib_write_bw, 64 KiB | "
                  "300.0 (4600) | 10.0 (150) | 30.0x |", "| ib_write_bw, "
                  "1 MiB | 350.0 (330) | 50.0 (50) | 7.0x |",
                  "odp-hca typical 43.0 (p99 99.0)")
    tap(ok and "soft-roce typical" not in text,
        "wire: MB/s (messages/s) a side and the ratio; the latency there "
        "is, none made up for the side that is not", why)
    ok, why = has(text, "## Host instructions per byte", "4 and then 20 "
                  "RDMA WRITEs", "| odp-hca | 1000000 | 9000000 | 7.629 |",
                  "| memcpy | 100000 | 900000 | 0.763 |")
    tap(ok, "callgrind: both counts a side and the instructions a byte",
        why)
    ok, why = has(verdict_row(text, "device instructions"),
                  "10.0x (7.629 against 0.763 a byte)")
    tap(ok, "callgrind target: the ratio of the two", why)
    ok, why = has(verdict_row(text, "across the wire"),
                  "lowest 7.0x (ib_write_bw 1 MiB: 350.0 against 50.0 MB/s)")
    tap(ok, "wire target: the lowest ratio at 64 KiB and beyond", why)
    ok, why = has(verdict_row(text, "a cold transfer"),
                  "1.50 a side (perftest cold runs); 0.25 (a cold 64 MiB "
                  "WRITE)")
    tap(ok, "faults target: the perftest rounds' worst and the largest "
        "cold WRITE's faults per cold MiB (96 over 3 x 2 x 64 MiB)", why)
    ok, why = has(verdict_row(text, "cold 64 KiB"), "worst median 0.98 "
                  "(ib_write_bw 1 MiB, 3 rounds), snapshot, rnr; "
                  "reg_snapshot=0, rnr worst 0.85 (ib_write_bw 1 MiB); "
                  "reg_snapshot=0, notify worst 0.95")
    tap(ok, "cold target: judged on the defaults' median, the others "
        "given beside it", why)

    targets = {line.split("|")[1].strip(): line for line in
               text.split("## Targets")[1].split("##")[0].splitlines()
               if line.startswith("| ") and "target" not in line}

    def verdict(prefix):
        return next((v for k, v in targets.items() if k.startswith(prefix)),
                    "")
    checks = [
        ("fault service p50", "**not met**", "the default's p50 262 us > "
         "220 us"),
        ("a cold transfer costs", "**not met**", "1.50 faults per MiB"),
        ("cold 64 KiB and 1 MiB", "| met", "the defaults' median 0.98 >= 0.8"),
        ("ODP warm", "**not met**", "0.92 < 0.95"),
        ("ib_write_lat", "**not met**", "0.68 > 1/4"),
        ("message rate", "| met", "10.2x"),
        ("across the wire", "**not met**", "7.0x at 1 MiB, the lowest at "
         "64 KiB and beyond; 4 KiB's 2x not counted"),
        ("ODP registration", "| met", "1.25x"),
        ("device instructions", "**not met**", "10.0x > 3x"),
    ]
    for prefix, want, why in checks:
        v = verdict(prefix)
        tap(want in v, "target '%s...': %s (%s)" % (prefix, want.strip("|* "),
                                                   why), v or "no such row")
    ok, why = has(text, "## Runs that gave no figure", "of bw, test "
                  "ib_read_bw, dev soft-roce, mem pinned, size 64: client exit "
                  "1 (Couldn't connect)")
    tap(ok, "a run without a figure is listed with its reason", why)
    for suffix in ("bw", "lat", "faults"):
        p = os.path.join(work, "bench-%s.png" % suffix)
        tap(is_png(p), "bench-%s.png is a PNG" % suffix)


def verdict_row(text, prefix):
    return next((line for line in text.split("## Targets")[1]
                 .split("##")[0].splitlines()
                 if line.startswith("| " + prefix)), "")


def test_bad(work):
    md = os.path.join(work, "bad.md")
    cases = [("no file", os.path.join(work, "nope.json"), "cannot read"),
             ("not JSON", "{", "is not JSON"),
             ("wrong shape", json.dumps({"meta": {}}), "is not a bench"),
             ("a result without a kind",
              json.dumps({"meta": {}, "results": [{}]}), "without a kind")]
    for name, content, want in cases:
        path = content
        if not content.endswith(".json"):
            path = os.path.join(work, "bad.json")
            with open(path, "w") as f:
                f.write(content)
        if os.path.exists(md):
            os.unlink(md)
        r = run([path, md])
        tap(r.returncode == 1 and want in r.stderr and
            "Traceback" not in r.stderr and not os.path.exists(md),
            "bad input (%s): exit 1, says '%s', no report" % (name, want),
            r.stderr)


def main():
    if len(sys.argv) != 2:
        print("usage: test-bench-report.py <work-dir>", file=sys.stderr)
        return 2
    work = sys.argv[1]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    test_report(work)
    test_bad(work)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
