#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write build/results/reliability.md from what `make check` just ran.

Usage: reliability-report.py <results-dir> [fuzz-summary]

It reads the TAP logs that scripts/run-tap.sh left in <results-dir>
(qtest.log, asan.log, guest.log, fuzz.log) and, when given, the summary
of the last fuzz campaign (scripts/fuzz.sh writes one), and says for
every class of hostile input which tests cover it and how they fared, in
the plain build and under AddressSanitizer + UndefinedBehaviorSanitizer,
what the fuzzer did, and how every mid-flight scenario in the guest
ended.  A class whose tests did not run says so: nothing is assumed.
"""

import fnmatch
import os
import re
import sys
import time

# Each class of hostile input, and the qtests (paths, globs allowed)
# that drive it.  Keep in step with the tests in tests/qtest/odp-hca/*-tests.c.
CLASSES = [
    ("Reset while the device is busy: FLR or secondary bus reset set by "
     "the device's own DMA or MSI-X through ECAM, during a SEND, an error "
     "completion or a RESUME", ["/odp-hca/reset/self/*"]),
    ("Reset by the driver (FLR, CTRL.RESET) with faults pending, timers "
     "armed, after FATAL", ["/odp-hca/reset/flr", "/odp-hca/reset/ctrl",
                            "/odp-hca/reset/timers", "/odp-hca/reset/fatal"]),
    ("Device DMA and MSI-X aimed at its own BARs",
     ["/odp-hca/hostile/dma-to-self", "/odp-hca/hostile/msix-to-self"]),
    ("Ring descriptions: sizes, strides, page lists, pages outside RAM",
     ["/odp-hca/hostile/rings", "/odp-hca/hostile/ring-pages"]),
    ("Doorbell counters: beyond the ring, backwards, on foreign UARs",
     ["/odp-hca/hostile/doorbell-counter",
      "/odp-hca/hostile/doorbell-backwards",
      "/odp-hca/hostile/doorbell-uar"]),
    ("Commands: unknown opcodes, stale or foreign handles, ownership",
     ["/odp-hca/hostile/opcode", "/odp-hca/hostile/handles",
      "/odp-hca/hostile/cmdq-owner"]),
    ("Object parameters: MRs, QP creation, QP states and attributes",
     ["/odp-hca/hostile/mr", "/odp-hca/hostile/qp-create",
      "/odp-hca/hostile/qp-state", "/odp-hca/hostile/qp-attr"]),
    ("Work requests: opcodes, SGE counts, lengths, inline data",
     ["/odp-hca/hostile/wqe"]),
    ("Translation tables: reserved bits, missing levels, bad addresses",
     ["/odp-hca/hostile/pte"]),
    ("Full queues: CQ overflow, EQ full",
     ["/odp-hca/hostile/cq-overflow", "/odp-hca/hostile/eq-full"]),
    ("Registers: sizes, offsets, values", ["/odp-hca/hostile/registers"]),
    ("Random commands and doorbells", ["/odp-hca/hostile/garbage"]),
]

TAP = re.compile(r"^(ok|not ok) \d+ (\S+)(.*)$")


def tap_results(path):
    """{test path: 'pass' | 'FAIL' | 'skip'} from a TAP log, or None."""
    if not os.path.exists(path):
        return None
    res = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = TAP.match(line.rstrip("\n"))
            if not m:
                continue
            ok, name, rest = m.groups()
            if re.search(r"#\s*(SKIP|skip)", rest):
                res[name] = "skip"
            else:
                res[name] = "pass" if ok == "ok" else "FAIL"
    return res


def tap_lines(path, pattern):
    """The TAP result lines of a log whose text matches @pattern."""
    if not os.path.exists(path):
        return None
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if re.match(r"^(ok|not ok) ", line) and re.search(pattern, line):
                out.append(line)
    return out


def verdict(res, globs):
    """'n/m pass' over the tests matching @globs in @res."""
    if res is None:
        return "not run"
    names = [n for n in res if any(fnmatch.fnmatchcase(n, g) for g in globs)]
    if not names:
        return "no such test ran"
    bad = [n for n in names if res[n] == "FAIL"]
    passed = sum(1 for n in names if res[n] == "pass")
    text = "%d/%d pass" % (passed, len(names))
    if bad:
        text += " (**failed: %s**)" % ", ".join(bad)
    return text


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: reliability-report.py <results-dir> [fuzz-summary]")
    results = sys.argv[1]
    fuzz_summary = sys.argv[2] if len(sys.argv) > 2 else ""
    plain = tap_results(os.path.join(results, "qtest.log"))
    asan = tap_results(os.path.join(results, "asan.log"))
    out = []
    out.append("# odp-hca reliability report")
    out.append("")
    out.append("Written by `make check` on %s from the logs in this "
               "directory; see the README, \"Reliability\"." %
               time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    out.append("")
    out.append("## Hostile input, class by class (qtests)")
    out.append("")
    out.append("| class | tests | plain build | ASan + UBSan build |")
    out.append("| --- | --- | --- | --- |")
    for what, globs in CLASSES:
        out.append("| %s | %s | %s | %s |" % (
            what, ", ".join("`%s`" % g for g in globs),
            verdict(plain, globs), verdict(asan, globs)))
    out.append("")
    if asan is not None:
        total = len(asan)
        bad = sum(1 for v in asan.values() if v == "FAIL")
        out.append("Under the sanitizers the whole qtest suite ran: %d tests, "
                   "%d failed (a sanitizer report fails its test)." %
                   (total, bad))
    else:
        out.append("The sanitizer suite (`make check-asan`) did not run.")
    out.append("")

    out.append("## Fuzzing (generic-fuzz-odp-hca, libFuzzer, ASan + UBSan)")
    out.append("")
    if fuzz_summary and os.path.exists(fuzz_summary):
        out.append("The last campaign in this build tree (`make check` runs "
                   "a short one; `make fuzz FUZZ_SECONDS=N` a long one):")
        out.append("")
        with open(fuzz_summary, errors="replace") as f:
            out.extend("    " + line.rstrip("\n") for line in f)
    else:
        out.append("No campaign ran in this build tree.")
    fuzz = tap_lines(os.path.join(results, "fuzz.log"), r".")
    if fuzz:
        out.append("")
        out.extend("    " + line for line in fuzz)
    out.append("")

    out.append("## Faults mid-flight in the guest")
    out.append("")
    mid = tap_lines(os.path.join(results, "guest.log"), r"mid-flight")
    if mid is None:
        out.append("The guest suite did not run.")
    elif not mid:
        out.append("The guest suite ran no mid-flight scenario.")
    else:
        out.append("Each line is one check of `guest-driver/tests/"
                   "check-midflight.sh`, as the guest suite reported it:")
        out.append("")
        out.extend("    " + line for line in mid)
    out.append("")

    path = os.path.join(results, "reliability.md")
    with open(path, "w") as f:
        f.write("\n".join(out))
    print("reliability report: %s" % path)


if __name__ == "__main__":
    main()
