#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Summarise libFuzzer's -print_coverage=1 output for the odp-hca sources.

    fuzz-coverage.py <log>

libFuzzer prints one line per instrumented function:
    COVERED_FUNC: hits: N edges: HIT/TOTAL name path:line
    UNCOVERED_FUNC: hits: 0 edges: 0/TOTAL name path:line
Only code under hw/ (and the fuzzer's entry point) is instrumented in
QEMU's fuzzing build.  Prints functions and edges hit per odp-hca source
file, their total, and the functions hit in all of QEMU's hw/.  The edge
totals include the blocks that report sanitizer errors (UBSan's checks),
which a clean run never enters: 100% is out of reach by design.
"""

import collections
import re
import sys

LINE = re.compile(r"^(UN)?COVERED_FUNC: hits: (\d+) edges: (\d+)/(\d+) (\S+) (\S+?):\d+")


def main():
    per_file = collections.OrderedDict()
    hw_funcs = hw_hit = 0
    with open(sys.argv[1], errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            uncovered, _, hit, total, _, path = m.groups()
            hit, total = int(hit), int(total)
            covered = not uncovered and hit > 0
            if "/hw/" in path:
                hw_funcs += 1
                hw_hit += covered
            name = path.rsplit("/", 1)[-1]
            if not re.match(r"odp-hca-.*\.c$", name):
                continue
            s = per_file.setdefault(name, [0, 0, 0, 0])
            s[0] += covered
            s[1] += 1
            s[2] += hit
            s[3] += total
    if not per_file:
        print("coverage:     no odp-hca function in the coverage output")
        return
    tot = [sum(v[i] for v in per_file.values()) for i in range(4)]
    pct = lambda a, b: f"{100.0 * a / b:5.1f}%" if b else "   - "
    print(f"odp-hca coverage (corpus + seeds): functions {tot[0]}/{tot[1]} "
          f"({pct(tot[0], tot[1]).strip()}), edges {tot[2]}/{tot[3]} "
          f"({pct(tot[2], tot[3]).strip()})")
    for name, (fh, ft, eh, et) in sorted(per_file.items()):
        note = "  (monitor: QMP/HMP only)" if name == "odp-hca-monitor.c" else ""
        print(f"    {name:24} functions {fh:3}/{ft:<3} edges {eh:5}/{et:<5} {pct(eh, et)}{note}")
    guest = [v for n, v in per_file.items() if n != "odp-hca-monitor.c"]
    g = [sum(v[i] for v in guest) for i in range(4)]
    print(f"    guest-reachable (all but the monitor): functions {g[0]}/{g[1]} "
          f"({pct(g[0], g[1]).strip()}), edges {g[2]}/{g[3]} ({pct(g[2], g[3]).strip()})")
    print(f"all of QEMU's hw/ (instrumented): {hw_hit} of {hw_funcs} functions hit")


if __name__ == "__main__":
    main()
