#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""The cable between the two guests of the peer-kill test.

  peerkill-relay.py <a.sock> <b.sock> <arm file> <cut file>

Listens on two unix sockets, one for each guest's `-netdev stream`
(server=off), and carries QEMU's stream framing (a 4-byte big-endian
length, then the Ethernet frame) between them unchanged.

An RC QP finds out that its peer has gone only through a request of its
own that is never answered: RoCE has no keepalive, and a dead guest sends
no DREQ.  rping is a ping-pong, so a guest killed at a random moment
leaves the survivor's rping, half of the time, waiting for a message
that will never come, with nothing of its own in flight: it then waits
for ever, on hardware as here.  The test therefore kills the peer at a
moment when the survivor is certain to notice: once <arm file> appears
(it holds the peer's rping QPN, decimal), the relay waits for the next
RC SEND frame from a to that QP, drops it and cuts the cable in both
directions, and writes what it saw to <cut file>; the caller then quits
guest b's QEMU.  From then on frames from a are read and discarded, as a
switch port whose other side has gone would.
"""

import os
import selectors
import socket
import struct
import sys

ROCE_PORT = 4791
# BTH opcodes of RC SEND packets: FIRST, MIDDLE, LAST, LAST_IMM, ONLY,
# ONLY_IMM, LAST_INV, ONLY_INV.
RC_SENDS = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x16, 0x17}


def bth_of(frame):
    """(opcode, dest QPN, PSN) of a RoCEv2 frame, or None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    off = 14
    if ethertype == 0x0800:
        if len(frame) < off + 20:
            return None
        ihl = (frame[off] & 0x0F) * 4
        proto = frame[off + 9]
        off += ihl
    elif ethertype == 0x86DD:
        if len(frame) < off + 40:
            return None
        proto = frame[off + 6]
        off += 40
    else:
        return None
    if proto != 17 or len(frame) < off + 8 + 12:
        return None
    if struct.unpack_from("!H", frame, off + 2)[0] != ROCE_PORT:
        return None
    bth = off + 8
    opcode = frame[bth]
    qpn = struct.unpack_from("!I", frame, bth + 4)[0] & 0xFFFFFF
    psn = struct.unpack_from("!I", frame, bth + 8)[0] & 0xFFFFFF
    return opcode, qpn, psn


class Side:
    """One guest's end of the cable."""

    def __init__(self, name, path):
        self.name = name
        if os.path.exists(path):
            os.unlink(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.conn = None
        self.buf = b""

    def frames(self, data):
        """Split what arrived into whole frames (with their length)."""
        self.buf += data
        while len(self.buf) >= 4:
            n = struct.unpack_from("!I", self.buf)[0]
            if len(self.buf) < 4 + n:
                break
            yield self.buf[:4 + n]
            self.buf = self.buf[4 + n:]


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    a = Side("a", sys.argv[1])
    b = Side("b", sys.argv[2])
    arm_file, cut_file = sys.argv[3], sys.argv[4]
    other = {a: b, b: a}
    sel = selectors.DefaultSelector()
    for s in (a, b):
        sel.register(s.listener, selectors.EVENT_READ, ("listen", s))
    armed_qpn = None
    cut = False

    while True:
        if armed_qpn is None and not cut and os.path.exists(arm_file):
            # the host renames the file into place, but a QPN that is
            # not there yet is read again on the next turn, never guessed
            with open(arm_file) as f:
                words = f.read().split()
            if words:
                armed_qpn = int(words[0])
        for key, _ in sel.select(timeout=0.1):
            kind, side = key.data
            if kind == "listen":
                conn, _ = side.listener.accept()
                if side.conn:
                    sel.unregister(side.conn)
                    side.conn.close()
                side.conn, side.buf = conn, b""
                sel.register(conn, selectors.EVENT_READ, ("data", side))
                continue
            try:
                data = side.conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(side.conn)
                side.conn.close()
                side.conn = None
                continue
            for frame in side.frames(data):
                if cut:
                    continue
                if side is a and armed_qpn is not None:
                    bth = bth_of(frame[4:])
                    if bth and bth[0] in RC_SENDS and bth[1] == armed_qpn:
                        cut = True
                        tmp = cut_file + ".tmp"
                        with open(tmp, "w") as f:
                            f.write("RC SEND opcode 0x%02x to QP %d, PSN %d\n"
                                    % bth)
                        os.rename(tmp, cut_file)
                        continue
                peer = other[side]
                if peer.conn:
                    try:
                        peer.conn.sendall(frame)
                    except OSError:
                        pass


if __name__ == "__main__":
    main()
