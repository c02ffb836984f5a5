#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check a capture of an odp-hca link (QEMU's filter-dump, pcap).

  check-capture.py <capture.pcap> [<label>]

Every RoCEv2 frame in it (UDP to 4791) must carry the ICRC the RoCEv2
annex defines, computed here independently of the device
(tests/roce/roce_ref.py), and right IPv4/UDP checksums; tshark must
decode every one as InfiniBand with no malformed packet and no error
note.  Prints "ok - ..." / "not ok - ..." lines without numbers (the
caller numbers them) and "# ..." details: the opcodes seen, first
failures.  Exit status 1 when a check failed.
"""

import collections
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roce_ref  # noqa: E402

FAILED = 0


def tap(ok, name, diag=()):
    global FAILED
    print(("ok - " if ok else "not ok - ") + name)
    if not ok:
        FAILED += 1
        for d in list(diag)[:10]:
            print("# " + d)
    return ok


def read_pcap(path):
    """The frames of a pcap file (microsecond or nanosecond, either order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = struct.unpack_from("<I", data)[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off, frames = 24, []
    while off + 16 <= len(data):
        incl, orig = struct.unpack_from(end + "II", data, off + 8)
        off += 16
        frames.append((bytes(data[off:off + incl]), orig))
        off += incl
    return frames


def is_roce(frame):
    """UDP to 4791 over IPv4 or IPv6 (an 802.1Q tag allowed)."""
    off, etype = 12, struct.unpack_from("!H", frame, 12)[0] if len(frame) >= 14 else 0
    if etype == 0x8100 and len(frame) >= 18:
        off, etype = 16, struct.unpack_from("!H", frame, 16)[0]
    off += 2
    if etype == 0x0800 and len(frame) >= off + 28:
        ihl = (frame[off] & 15) * 4
        return frame[off + 9] == 17 and \
            struct.unpack_from("!H", frame, off + ihl + 2)[0] == 4791
    if etype == 0x86DD and len(frame) >= off + 48:
        return frame[off + 6] == 17 and \
            struct.unpack_from("!H", frame, off + 42)[0] == 4791
    return False


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else os.path.basename(path)
    frames = read_pcap(path)
    roce = [(i + 1, f) for i, (f, orig) in enumerate(frames)
            if len(f) == orig and is_roce(f)]
    if not tap(len(roce) > 0, "%s: %d RoCEv2 frames of %d captured" %
               (label, len(roce), len(frames))):
        return 1

    bad = []
    ops = collections.Counter()
    for n, f in roce:
        off, v6 = roce_ref.split(f)
        bth = off + (40 if v6 else 20) + 8
        ops[f[bth]] += 1
        if roce_ref.frame_icrc(f) != roce_ref.icrc(f):
            bad.append("frame %d: ICRC 0x%08x, want 0x%08x" %
                       (n, roce_ref.frame_icrc(f), roce_ref.icrc(f)))
        why = roce_ref.check_csums(f)
        if why:
            bad.append("frame %d: %s wrong" % (n, why))
    print("# opcodes: " + " ".join("0x%02x:%d" % kv for kv in sorted(ops.items())))
    tap(not bad, "%s: every RoCEv2 frame has a valid ICRC and checksums "
        "(computed independently)" % label, bad)

    tshark = shutil.which("tshark")
    if not tap(tshark is not None, "%s: tshark is there to decode the capture" % label):
        return 1
    # Payload bytes are whatever the programs sent: keep Wireshark's
    # guessers from reading them as their protocols.
    opts = roce_ref.tshark_no_payload_guessers(tshark, path)
    fields = ["frame.number", "frame.protocols", "_ws.malformed",
              "_ws.expert.severity", "_ws.expert.message"]
    cmd = [tshark, "-n", "-r", path] + opts + ["-Y", "udp.dstport == 4791",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for fl in fields:
        cmd += ["-e", fl]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    rows = [dict(zip(fields, line.split("\t"))) for line in p.stdout.splitlines()]
    if not tap(p.returncode == 0 and len(rows) == len(roce),
               "%s: tshark read the %d RoCEv2 frames (%d)" % (label, len(roce), len(rows)),
               p.stderr.splitlines()[-5:]):
        return 1
    undecoded = ["frame %s: %s" % (r["frame.number"], r["frame.protocols"])
                 for r in rows if "infiniband" not in r["frame.protocols"].split(":")]
    tap(not undecoded, "%s: tshark decodes every one as InfiniBand" % label, undecoded)
    # Severity: "error" marks malformed or broken packets; notes and chats
    # (e.g. a sequence analysis remark) are not faults of the frame.
    broken = ["frame %s: %s" % (r["frame.number"], r["_ws.expert.message"])
              for r in rows
              if r.get("_ws.malformed") or r.get("_ws.expert.severity") in
              ("8388608", "error")]
    tap(not broken, "%s: no malformed frame, no error note" % label, broken)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
