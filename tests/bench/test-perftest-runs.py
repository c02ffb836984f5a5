#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
#
# How make bench reads perftest (guest-driver/tests/bench-guest.py,
# measured() and its parsers), on made-up output: a figure is taken from
# the result line; a run where perftest could not measure the CPU's clock
# (its "Correlation coefficient" line, then 0.00 MB/s or no latency) is
# run again, at most three times; a genuine zero or a run with no result
# line is not.  No guest, no perftest.
#
# Usage: test-perftest-runs.py
#
# Copyright (c) 2026 The odp-hca developers

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

_spec = importlib.util.spec_from_file_location(
    "bench_guest", os.path.join(HERE, "..", "..", "guest-driver", "tests",
                                "bench-guest.py"))
bg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bg)

tap = Tap()

HEAD = (" #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]"
        "   MsgRate[Mpps]\n")
NO_CLOCK = "Correlation coefficient r^2: 0.890595 < 0.9\n"


def bw_out(mbps, clock_ok=True):
    return ("" if clock_ok else NO_CLOCK) + HEAD + \
        " 4194304    2538             0.00               %.2f\t\t   %f\n" % (
            mbps, mbps / 4194304)


def lat_out(typical, clock_ok=True):
    return ("" if clock_ok else NO_CLOCK) + \
        " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]" \
        "    t_avg[usec]    t_stdev[usec]   99% percentile[usec]   " \
        "99.9% percentile[usec]\n" + \
        " 8       1000          %.2f        %.2f      %.2f     %.2f     " \
        "%.2f        %.2f        %.2f\n" % (
            typical / 2, typical * 9, typical, typical, 1.0, typical * 3,
            typical * 8)


def runs(*outputs):
    """A run() giving @outputs one after the other, counting its calls."""
    it = iter(outputs)

    def run():
        run.calls += 1
        return next(it)
    run.calls = 0
    return run


def raises(f):
    try:
        f()
    except RuntimeError as e:
        return str(e)
    return None


def main():
    r = runs(bw_out(4903.25))
    v = bg.measured(r, bg.parse_bw)
    tap(v == {"iterations": 2538, "mbps": 4903.25,
              "mpps": float("%f" % (4903.25 / 4194304)), "tries": 1}
        and r.calls == 1,
        "a good run: its MB/s, iterations and rate, one try", v)

    r = runs(bw_out(0.0, clock_ok=False), bw_out(4713.17))
    v = bg.measured(r, bg.parse_bw)
    tap(v["mbps"] == 4713.17 and v["tries"] == 2 and r.calls == 2,
        "perftest could not measure the clock (0.00 MB/s): run again", v)

    r = runs(*[bw_out(0.0, clock_ok=False)] * 4)
    e = raises(lambda: bg.measured(r, bg.parse_bw))
    tap(e is not None and "could not measure the CPU's clock in 3 tries"
        in e and r.calls == 3,
        "three runs without a clock: an error, and no fourth run",
        "%s, %d calls" % (e, r.calls))

    r = runs(bw_out(0.0), bw_out(100.0))
    v = bg.measured(r, bg.parse_bw)
    tap(v["mbps"] == 0.0 and v["tries"] == 1 and r.calls == 1,
        "0.00 MB/s with a clock measured is a figure (the report marks it), "
        "not run again", v)

    r = runs(HEAD + " perftest: some other end\n", bw_out(100.0))
    e = raises(lambda: bg.measured(r, bg.parse_bw))
    tap(e is not None and e.startswith("no result line") and r.calls == 1,
        "no result line and no clock trouble: an error at once",
        "%s, %d calls" % (e, r.calls))

    r = runs(NO_CLOCK + "no latency\n", lat_out(13.0))
    v = bg.measured(r, bg.parse_lat)
    tap(v.get("typical-us") == 13.0 and v.get("p99-us") == 39.0 and
        v.get("tries") == 2 and "zero" not in v,
        "latency: a run without a clock and no result line, then a good one",
        v)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
