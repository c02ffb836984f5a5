#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The interface between the device and its guest software, stated once.

A TAP test over the source tree (no build needed).  It checks what
docs/specs/odp-hca.rst and include/odp-hca-hw.h promise about the tree:

  - no function (or function-like macro) is defined both in the device
    (hw/) and in the guest software (guest-driver/): the device's command
    handlers and the driver calls that issue those commands have different
    names, so grep and cross-reference tools never mix the two sides up;
  - include/ holds only what the guest side may include: nothing in it
    pulls in QEMU's headers (the device-private header lives in hw/);
  - no object-like #define of the interface header is restated anywhere
    else (a second definition would drift from the first);
  - the rules the header states as helpers are not computed by hand
    elsewhere: the key layout, the 24-bit PSN mask, the CQE receive bit,
    the WQE stride limit and the maximum log stride.

Usage: check-interface.py [ROOT]   (default: the repository holding it)
"""

import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = "include/odp-hca-hw.h"

# The sides of the interface, by directory.
DEVICE = ["hw"]
GUEST = ["guest-driver"]
# Everything that uses the header (the qtests act as a driver too).
USERS = ["hw", "guest-driver", "tests/qtest"]

KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do",
            "else", "case", "defined", "__attribute__", "typeof"}


def c_files(dirs):
    for d in dirs:
        for base, _, names in os.walk(os.path.join(ROOT, d)):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(base, n), ROOT)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8",
              errors="replace") as f:
        return f.read()


def strip_comments(text):
    """Blank out comments and string literals, keeping line numbers."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, blank, text, flags=re.S)


def definitions(rel):
    """Names of the functions and function-like macros defined in a file."""
    text = strip_comments(read(rel))
    names = set()
    for m in re.finditer(r"^#\s*define\s+(\w+)\(", text, re.M):
        names.add(m.group(1))
    # A definition starts at column 0 (QEMU, kernel and rdma-core style):
    # return type and name, the parameter list, then a body.
    head = re.compile(r"^(?![#\s{}])[^;{}()=]*?\b(\w+)\s*\(", re.M)
    for m in head.finditer(text):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        rest = text[i:i + 400]
        body = re.match(r"[\s\w()]*\{", rest)   # attributes, then "{"
        if body:
            names.add(name)
    return names


def where(dirs):
    found = {}
    for rel in c_files(dirs):
        for name in definitions(rel):
            found.setdefault(name, []).append(rel)
    return found


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, problems=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
        for p in problems:
            print(f"#   {p}")


def literal_sites(pattern, dirs, skip=(HEADER,)):
    sites = []
    rx = re.compile(pattern)
    for rel in c_files(dirs):
        if rel in skip:
            continue
        for no, line in enumerate(strip_comments(read(rel)).splitlines(), 1):
            if rx.search(line):
                sites.append(f"{rel}:{no}: {line.strip()}")
    return sites


def main():
    t = Tap()
    print("TAP version 13")

    dev, guest = where(DEVICE), where(GUEST)
    shared = sorted(set(dev) & set(guest))
    t.check(not shared,
            "no function name is defined both in hw/ and in guest-driver/",
            [f"{n}: {', '.join(dev[n] + guest[n])}" for n in shared])

    qemu_inc = literal_sites(r'^\s*#\s*include\s+"(qemu|hw|qom|net|qapi|'
                             r'migration|exec|system|sysemu)/',
                             ["include"], skip=())
    t.check(not qemu_inc,
            "include/ pulls in no QEMU header (the device's own stays in hw/)",
            qemu_inc)

    defined = set(re.findall(r"^#\s*define\s+(ODP_HCA_\w+)(?!\()",
                             strip_comments(read(HEADER)), re.M))
    again = []
    for rel in c_files(USERS + ["include"]):
        if rel == HEADER:
            continue
        for no, line in enumerate(strip_comments(read(rel)).splitlines(), 1):
            m = re.match(r"\s*#\s*define\s+(\w+)", line)
            if m and m.group(1) in defined:
                again.append(f"{rel}:{no}: {m.group(1)}")
    t.check(not again and len(defined) > 50,
            f"none of the header's {len(defined)} constants is defined again",
            again)

    # Each rule the header computes, and the hand-written form it replaced.
    rules = [
        ("the key layout (index << 8 | variant) is built by the header's "
         "helper", r"<<\s*8\s*\)\s*\|(?!\s*QPCI_DEVFN)"),
        ("the 24-bit PSN mask is the header's", r"0x[fF]{6}\b(?![fF])"),
        ("the CQE receive bit is the header's",
         r"opcode\s*&\s*0x80\b|0x80\s*&\s*\w*opcode"),
        ("the WQE stride limit is the header's", r"MAX_WQE_STRIDE\s+\d"),
        ("the maximum log stride is the header's",
         r"log_stride\w*\s*>=?\s*1[0-2]\b"),
        ("the page size is the header's",
         r"#\s*define\s+\w*PAGE\w*\s+\(?(4096|0x1000|1u?\s*<<\s*12)"),
        ("the command queue's size range is the header's",
         r"cmdq_log_size\w*\s*[<>]=?\s*\d"),
    ]
    for what, pattern in rules:
        sites = literal_sites(pattern, USERS)
        t.check(not sites, what, sites)

    print(f"1..{t.n}")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
