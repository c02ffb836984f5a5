#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# Tests of scripts/study-report.py (the report of make study), printing
# TAP; part of make check-plot.  No guest: a small study JSON made here,
# its numbers chosen so that each one can be found in the report.
#
# Usage: test-study-report.py <work-dir>
#
# 1. A study with a policy measured on a device without the new
#    counters, one with them, one refused: the tables per link hold
#    every point with its numbers, a missing counter reads "absent"
#    (never 0), the refused policy "not available in this device" with
#    the device's answer, a dead QP its status, a flow without a
#    completion no latency; both PNGs are PNGs.
# 2. An aborted study with a skipped point: the report says so.
# 3. Bad input: no file, not JSON, wrong shape: exit status 1 and a
#    message, no traceback, no report.
#
# Copyright (c) 2026 The odp-hca developers

import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "scripts", "study-report.py")

sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

tap = Tap()


def flow(name, mbps, p50, p99, mx, errors=0, first="", stuck=0):
    return {"flow": name, "mbps": mbps, "ops": 100, "seconds": 4.0,
            "lat-us": {"p50": p50, "p99": p99, "max": mx} if p50 else None,
            "errors": errors, "first-error": first, "stuck": stuck,
            "qp": {"timeout": 14, "retry_cnt": 7, "rnr_retry": 7,
                   "min_rnr_timer": 12}}


OLD = {"responder-fault": None, "responder-drops": None, "port-stalls": None,
       "port-stall-ns": None, "rx-stall-overflow": None}


def dev(new, **kw):
    d = dict(kw)
    if new:
        d.update({"responder-fault": "drop", "responder-drops": 4321,
                  "port-stalls": 0, "port-stall-ns": 0,
                  "rx-stall-overflow": 0})
    else:
        d.update(OLD)
    return d


def study():
    pts = [
        # the warm-up, which the report leaves out
        {"policy": "none", "every": 0, "loss-ppm": 0, "warm-up": True,
         "flows": {"faulting": flow("faulting", 999.9, 1, 2, 3),
                   "bystander": flow("bystander", 999.8, 1, 2, 3)},
         "responder": dev(False), "requester": dev(False), "wall-seconds": 2},
        {"policy": "none", "every": 0, "loss-ppm": 0,
         "flows": {"faulting": flow("faulting", 71.5, 1100, 9000, 18000),
                   "bystander": flow("bystander", 72.5, 1200, 7000, 13000)},
         "responder": dev(False, **{"faults-injected": 0, "rnr-naks": 0}),
         "requester": dev(False, **{"requester-retries": 0, "retransmits": 0,
                                    "rnr-retries-exceeded": 0}),
         "wall-seconds": 6},
    ]
    for every, mb in ((1000, 61.25), (10, 5.75)):
        pts.append({"policy": "rnr", "every": every, "loss-ppm": 0,
                    "flows": {"faulting": flow("faulting", mb, 1300, 8900 + every, 13000),
                              "bystander": flow("bystander", 66.5, 1300, 7800, 16000)},
                    "responder": dev(False, **{"faults-injected": 126 + every, "rnr-naks": 152}),
                    "requester": dev(False, **{"requester-retries": 153, "retransmits": 10879,
                                               "rnr-retries-exceeded": 0}),
                    "wall-seconds": 7})
        pts.append({"policy": "drop", "every": every, "loss-ppm": 10000,
                    "flows": {"faulting": flow("faulting", mb / 2,
                                               None if every == 10 else 1300, 70000, 80000,
                                               errors=8 if every == 10 else 0,
                                               first="transport retry counter exceeded"
                                               if every == 10 else ""),
                              "bystander": {"flow": "bystander",
                                            "failed": "exit 2: connect"}
                              if every == 10 else flow("bystander", 40.5, 900, 69000, 72000)},
                    "responder": dev(True, **{"faults-injected": 64, "rnr-naks": 0}),
                    "requester": dev(True, **{"requester-retries": 1508, "retransmits": 94141,
                                              "rnr-retries-exceeded": 0}),
                    "wall-seconds": 8})
    # the conservative min_rnr_timer: rnr and notify, no loss
    for pol, mb in (("rnr", 2.5), ("notify", 31.25)):
        pts.append({"policy": pol, "every": 10, "loss-ppm": 0, "min-rnr-timer": 20,
                    "flows": {"faulting": flow("faulting", mb, 1300, 21000, 30000),
                              "bystander": flow("bystander", 66.5, 1300, 7800, 16000)},
                    "responder": dev(True, **{"faults-injected": 77, "rnr-naks": 5}),
                    "requester": dev(True, **{"requester-retries": 9, "retransmits": 99,
                                              "rnr-retries-exceeded": 0}),
                    "wall-seconds": 7})
    return {"meta": {"seconds-per-point": 4, "wall-seconds": 400.5,
                     "client-options": "-T 14", "server-options": "-m 12",
                     "impairment-seed": 1, "injection": "inject every=N",
                     "qp": {"timeout": 14, "retry_cnt": 7, "rnr_retry": 7,
                            "min_rnr_timer": 12}},
            "policies": {"rnr": {"available": True},
                         "drop": {"available": True},
                         "stall": {"available": False,
                                   "reason": "CommandNotFound: no such command xyzzy"}},
            "points": pts, "skipped": [], "aborted": None}


def run(*args):
    return subprocess.run(["/usr/bin/python3", TOOL, *args], capture_output=True,
                          text=True, timeout=120)


def section(md, title):
    """The table rows of one "## title" section."""
    rows, on = [], False
    for line in md.splitlines():
        if line.startswith("## "):
            on = line[3:].strip() == title
        elif on and line.startswith("| ") and not line.startswith("| policy"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def is_png(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return False
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    w, h = struct.unpack(">II", head[16:24])
    return 300 <= w <= 4000 and 200 <= h <= 4000


def good(work):
    js = os.path.join(work, "s.json")
    md = os.path.join(work, "out", "r.md")
    with open(js, "w") as f:
        json.dump(study(), f)
    r = run(js, md)
    if not tap(r.returncode == 0, "a study's report is written (exit 0)",
               r.stdout + r.stderr):
        return
    text = open(md).read()
    tap("999.9" not in text, "the warm-up point is left out")
    no_loss = section(text, "No loss")
    lossy = section(text, "1% loss")
    tap(len(no_loss) == 3 and len(lossy) == 2,
        "one row per point: 3 without loss, 2 with 1% loss",
        f"{no_loss}\n{lossy}")
    by = {(r[0], r[1]): r for r in no_loss + lossy}
    slow = section(text, "No loss, min_rnr_timer 20 (10.24 ms)")
    tap([(r[0], r[3]) for r in slow] == [("rnr", "2.5"), ("notify", "31.2")],
        "the conservative min_rnr_timer points have a table of their own, "
        "named with the timer's value in ms", slow)
    rnr10 = by.get(("rnr", "10"))
    tap(rnr10 is not None and rnr10[2] == "136" and rnr10[3] == "5.8"
        and rnr10[4] == "1.30 / 8.91 / 13.00",
        "rnr every=10: faults injected, MB/s, p50/p99/max in ms", rnr10)
    tap(rnr10 is not None and rnr10[7:10] == ["153", "10879", "152"],
        "rnr every=10: requester retries, packets resent, RNR NAKs", rnr10)
    tap(rnr10 is not None and rnr10[10] == "absent" and rnr10[11] == "absent"
        and rnr10[12] == "absent" and rnr10[14] == "0",
        "counters the device lacks read 'absent', a dead-free point 0",
        rnr10)
    d1000 = by.get(("drop", "1000"))
    tap(d1000 is not None and d1000[10] == "0 / 0.0" and d1000[11] == "4321",
        "the new counters are shown where the device has them", d1000)
    d10 = by.get(("drop", "10"))
    tap(d10 is not None and "transport retry counter exceeded" in d10[14]
        and d10[5].startswith("failed: exit 2"),
        "a dead QP's status and a flow that failed to start are reported",
        d10)
    tap(d10 is not None and d10[4] == "no completion",
        "a flow without a completion has no latency (not 0)", d10)
    base = by.get(("(no faults)", "-"))
    tap(base is not None and base[3] == "71.5", "the point without faults", base)
    tap("| stall | not available in this device: CommandNotFound: no such command xyzzy |"
        in text, "a refused policy: not available, with the device's answer")
    tap("timeout 14" in text and "min_rnr_timer 12" in text and "4 s of traffic" in text,
        "the QP settings and the time per point are stated")
    for kind in ("throughput", "p99"):
        png = os.path.join(work, "out", f"r-{kind}.png")
        tap(is_png(png), f"{kind} plot is a PNG of a sane size")
        tap(f"(r-{kind}.png)" in text, f"the report shows the {kind} plot")


def aborted(work):
    s = study()
    s["aborted"] = "guest a stopped (exit 125)"
    s["skipped"] = [{"policy": "notify", "every": 10, "loss-ppm": 10000},
                    {"policy": "rnr", "every": 100, "loss-ppm": 0,
                     "min-rnr-timer": 20}]
    js = os.path.join(work, "a.json")
    with open(js, "w") as f:
        json.dump(s, f)
    r = run(js, os.path.join(work, "a.md"))
    text = open(os.path.join(work, "a.md")).read() if r.returncode == 0 else ""
    tap("stopped early: guest a stopped (exit 125)" in text
        and "notify every=10 1% loss" in text
        and "rnr every=100 no loss, min_rnr_timer 20 (10.24 ms)" in text,
        "an aborted study: the report says why and what was skipped",
        r.stderr)


def bad(work):
    cases = [("no such file", None, "cannot read"),
             ("not JSON", "{]", "not JSON"),
             ("a list", "[]", "not a study"),
             ("a point without flows",
              json.dumps({"meta": {}, "policies": {}, "points": [{"policy": "rnr"}]}),
              "a point without")]
    for name, content, msg in cases:
        js = os.path.join(work, "bad.json")
        if os.path.exists(js):
            os.unlink(js)
        if content is not None:
            with open(js, "w") as f:
                f.write(content)
        md = os.path.join(work, "bad.md")
        r = run(js, md)
        tap(r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr
            and not os.path.exists(md),
            f"bad input ({name}): exit 1 and a message",
            f"exit {r.returncode}: {r.stderr}")


def main():
    if len(sys.argv) != 2:
        print("usage: test-study-report.py <work-dir>", file=sys.stderr)
        return 2
    work = os.path.abspath(sys.argv[1])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        import matplotlib  # noqa: F401  (the report needs it)
    except ImportError:
        print("Bail out! python3-matplotlib is not installed (make setup)")
        return 1
    good(work)
    aborted(work)
    bad(work)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
