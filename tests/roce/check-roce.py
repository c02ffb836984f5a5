#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The odp-hca developers
"""check-roce: the RoCEv2 frame module (hw/odp-hca-roce.c), as TAP.

  check-roce.py UNIT_TEST [SANITIZED_UNIT_TEST] WORKDIR

1. The unit test (tests/unit/odp-hca-roce-test.c), each of its tests
   relayed as one of ours; again for the ASan+UBSan build if given.
2. A capture of one frame of every opcode, IPv4 and IPv6, with and without
   a VLAN tag (the unit test's --dump), checked by tests/roce/roce_ref.py,
   an independent implementation: ICRC (zlib.crc32), IPv4 header and UDP
   checksums.
3. The same capture decoded by tshark's InfiniBand dissector (RoCEv2 on
   UDP 4791): no malformed packet or expert error, with IP and UDP
   checksum validation on; every opcode decoded as itself with the
   extended headers it carries; BTH fields, payload length and the ICRC
   field as the builder wrote them.  Wireshark 4.0 shows the ICRC but
   does not check it; step 2 does.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roce_ref  # noqa: E402

n = 0


def tap(ok, name, diag=()):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
    for d in diag:
        print("# " + d)
    sys.stdout.flush()
    return ok


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


def run_unit(binary, label):
    """Each glib test result becomes one of ours; a crash is a failure."""
    p = subprocess.run([binary, "--tap"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    seen = 0
    for line in p.stdout.splitlines():
        m = re.match(r"^(ok|not ok) \d+ (\S+)(.*)$", line)
        if m:
            seen += 1
            tap(m.group(1) == "ok", "%s %s%s" % (label, m.group(2), m.group(3)))
        elif line.startswith("# ODP_ROCE_SEED") or line.startswith("Bail out") \
                or "ERROR" in line or "runtime error" in line \
                or "AddressSanitizer" in line:
            print("# %s: %s" % (label, line))
    tap(p.returncode == 0 and seen > 0,
        "%s: exit status %d, %d tests" % (label, p.returncode, seen),
        [] if p.returncode == 0 else p.stdout.splitlines()[-15:])


def read_pcap(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", "not a little-endian pcap"
    off, frames = 24, []
    while off < len(data):
        incl = int.from_bytes(data[off + 8:off + 12], "little")
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


# Which extended headers each opcode carries, written from the IBTA
# specification's table of opcodes, independently of hw/odp-hca-roce.c.
EXT = {
    0x00: "", 0x01: "", 0x02: "", 0x03: "immdt", 0x04: "", 0x05: "immdt",
    0x06: "reth", 0x07: "", 0x08: "", 0x09: "immdt", 0x0a: "reth",
    0x0b: "reth immdt", 0x0c: "reth", 0x0d: "aeth", 0x0e: "", 0x0f: "aeth",
    0x10: "aeth", 0x11: "aeth", 0x12: "aeth atomicacketh",
    0x13: "atomiceth", 0x14: "atomiceth", 0x16: "ieth", 0x17: "ieth",
    0x64: "deth", 0x65: "deth immdt",
}
NO_PAYLOAD = {0x0c, 0x11, 0x12, 0x13, 0x14}
# A field of each header whose presence tshark reports (the AtomicETH's
# VA and R_Key are shown with the RETH's fields, its DMA length is not).
HDR_FIELD = {
    "reth": "infiniband.reth.dmalen", "aeth": "infiniband.aeth.msn",
    "deth": "infiniband.deth.q_key", "atomiceth": "infiniband.atomiceth.swapdt",
    "atomicacketh": "infiniband.atomicacketh.origremdt",
    "immdt": "infiniband.immdt", "ieth": "infiniband.ieth",
}


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    unit, work = args[0], args[-1]
    san = args[1] if len(args) == 3 else None
    os.makedirs(work, exist_ok=True)

    # 1. The unit test, and its sanitized build.
    run_unit(unit, "unit")
    if san:
        run_unit(san, "asan+ubsan")

    # 2. The capture, against the independent reference.
    pcap = os.path.join(work, "roce-frames.pcap")
    p = subprocess.run([unit, "--dump", pcap], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    manifest = [line.split() for line in p.stdout.splitlines()]
    with open(os.path.join(work, "roce-frames.txt"), "w") as f:
        f.write(p.stdout)
    if not tap(p.returncode == 0 and len(manifest) == 4 * len(EXT),
               "dump: %d frames in %s" % (len(manifest), pcap),
               p.stderr.splitlines()):
        return
    frames = read_pcap(pcap)
    tap(len(frames) == len(manifest), "pcap holds %d frames" % len(frames))

    bad_icrc, bad_csum, bad_layout = [], [], []
    for m, f in zip(manifest, frames):
        try:
            want, got = roce_ref.icrc(f), roce_ref.frame_icrc(f)
        except Exception as e:  # noqa: BLE001
            bad_layout.append("frame %s: %s" % (m[0], e))
            continue
        if want != got:
            bad_icrc.append("frame %s (%s %s %s): ICRC %08x, reference %08x"
                            % (m[0], m[2], m[3], m[4], got, want))
        c = roce_ref.check_csums(f)
        if c:
            bad_csum.append("frame %s (%s %s): %s" % (m[0], m[2], m[3], c))
        off, v6 = roce_ref.split(f)
        if v6 != (m[3] == "ipv6") or (off == 18) != (m[4] == "vlan"):
            bad_layout.append("frame %s: header stack not %s %s" % (m[0], m[3], m[4]))
    tap(not bad_icrc, "ICRC of all %d frames = reference (zlib.crc32)"
        % len(frames), bad_icrc[:10])
    tap(not bad_csum, "IPv4 header and UDP checksums right (reference)",
        bad_csum[:10])
    tap(not bad_layout, "header stacks as asked", bad_layout[:10])

    # 3. tshark.
    tshark = shutil.which("tshark")
    if not tshark:
        skip("tshark decodes the capture", "no tshark (package tshark; make setup)")
        return
    ver = subprocess.run([tshark, "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout.splitlines()[0]
    print("# " + ver)
    # The payload is random bytes: keep Wireshark's guessers from reading
    # it as their protocols.
    opts = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"] + \
        roce_ref.tshark_no_payload_guessers(tshark, pcap)
    print("# tshark options: " + " ".join(opts))
    fields = ["frame.number", "frame.protocols", "infiniband.bth.opcode",
              "infiniband.bth.destqp", "infiniband.bth.psn",
              "infiniband.bth.p_key", "infiniband.bth.padcnt", "data.len",
              "infiniband.invariant.crc", "_ws.malformed",
              "_ws.expert.severity", "_ws.expert.message",
              "ip.checksum.status", "udp.checksum.status"] + \
        sorted(set(HDR_FIELD.values()))
    cmd = [tshark, "-n", "-r", pcap] + opts + ["-T", "fields", "-E",
                                               "separator=\t", "-E", "occurrence=f"]
    for fl in fields:
        cmd += ["-e", fl]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    rows = [dict(zip(fields, line.split("\t")))
            for line in p.stdout.splitlines()]
    if not tap(p.returncode == 0 and len(rows) == len(frames),
               "tshark read %d of %d frames" % (len(rows), len(frames)),
               p.stderr.splitlines()[-5:]):
        return

    malformed = ["frame %s: %s" % (r["frame.number"], r["_ws.expert.message"])
                 for r in rows if r["_ws.malformed"] or r["_ws.expert.severity"]]
    tap(not malformed, "no malformed frame, no expert note at all", malformed[:10])
    badsum = ["frame %s: ip %s udp %s" % (r["frame.number"], r["ip.checksum.status"],
                                         r["udp.checksum.status"])
              for r in rows if r["ip.checksum.status"] not in ("", "1")
              or r["udp.checksum.status"] not in ("1", "3")]
    # checksum status: 1 good, 3 not present (UDP checksum 0 on IPv4)
    tap(not badsum, "tshark: IP and UDP checksums good", badsum[:10])

    by_op = {}
    for m, r, f in zip(manifest, rows, frames):
        by_op.setdefault(int(m[1], 16), []).append((m, r, f))
    for op in sorted(EXT):
        errs = []
        for m, r, f in by_op.get(op, []):
            where = "frame %s (%s %s)" % (m[0], m[3], m[4])
            if "infiniband" not in r["frame.protocols"].split(":"):
                errs.append("%s: not decoded as InfiniBand: %s" % (where, r["frame.protocols"]))
                continue
            if r["infiniband.bth.opcode"] != str(op):
                errs.append("%s: opcode %s" % (where, r["infiniband.bth.opcode"]))
            for h, fl in HDR_FIELD.items():
                if (h in EXT[op].split()) != (r[fl] != ""):
                    errs.append("%s: %s %s" % (where, h, "missing" if r[fl] == "" else "unexpected"))
            if int(r["infiniband.bth.destqp"], 0) != int(m[5]) or \
                    r["infiniband.bth.psn"] != m[6] or r["infiniband.bth.p_key"] != m[7]:
                errs.append("%s: BTH qpn/psn/pkey %s %s %s, built %s %s %s" % (
                    where, r["infiniband.bth.destqp"], r["infiniband.bth.psn"],
                    r["infiniband.bth.p_key"], m[5], m[6], m[7]))
            plen = int(m[8])
            if op in NO_PAYLOAD:
                if r["data.len"]:
                    errs.append("%s: payload on an opcode without" % where)
            elif int(r["data.len"] or 0) != plen + -plen % 4 or \
                    int(r["infiniband.bth.padcnt"]) != -plen % 4:
                # Wireshark's data includes the pad.
                errs.append("%s: payload+pad %s pad %s, built payload %d" % (
                    where, r["data.len"], r["infiniband.bth.padcnt"], plen))
            # Wireshark shows the ICRC's 4 bytes big-endian.
            shown = int(r["infiniband.invariant.crc"] or "-1", 16)
            if shown != int.from_bytes(f[-4:], "big"):
                errs.append("%s: tshark's ICRC %08x is not the frame's last 4 bytes"
                            % (where, shown))
        if not by_op.get(op):
            errs.append("no frame")
        name = by_op[op][0][0][2] if by_op.get(op) else "?"
        tap(not errs, "tshark decodes opcode 0x%02x %s (IPv4/IPv6, VLAN or not)"
            % (op, name), errs[:10])


if __name__ == "__main__":
    main()
    print("1..%d" % n)
