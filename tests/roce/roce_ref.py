# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (c) 2026 The odp-hca developers
"""An independent reference for RoCEv2 frames: walk a frame's headers and
compute its ICRC with zlib.crc32, the IPv4 header checksum and the UDP
checksum, written from the IBTA RoCEv2 annex and Linux rxe's rxe_icrc.c,
not from hw/odp-hca-roce.c.  Used by check-roce.py and, once, to make the
golden frames of tests/unit/odp-hca-roce-test.c."""

import struct
import subprocess
import zlib

ROCE_PORT = 4791


def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def split(frame):
    """(ip_offset, ipv6) of an Ethernet frame, 802.1Q tag allowed."""
    etype = struct.unpack_from("!H", frame, 12)[0]
    off = 14
    if etype == 0x8100:
        etype = struct.unpack_from("!H", frame, 16)[0]
        off = 18
    if etype == 0x0800:
        return off, False
    if etype == 0x86DD:
        return off, True
    raise ValueError("not IP: ethertype %#x" % etype)


def icrc(frame):
    """The ICRC the frame should carry, as an int (little-endian on the wire)."""
    off, v6 = split(frame)
    if v6:
        ip_len = 40 + struct.unpack_from("!H", frame, off + 4)[0]
        hl = 40
    else:
        ip_len = struct.unpack_from("!H", frame, off + 2)[0]
        hl = 20
    pkt = bytearray(frame[off:off + ip_len - 4])
    if v6:
        pkt[0] |= 0x0F           # traffic class (low nibble of byte 0 ...
        pkt[1:4] = b"\xff" * 3   # ... and byte 1) and flow label
        pkt[7] = 0xFF            # hop limit
    else:
        pkt[1] = 0xFF            # TOS
        pkt[8] = 0xFF            # TTL
        pkt[10:12] = b"\xff\xff"  # header checksum
    pkt[hl + 6:hl + 8] = b"\xff\xff"   # UDP checksum
    pkt[hl + 8 + 4] = 0xFF             # BTH resv8a
    return zlib.crc32(b"\xff" * 8 + bytes(pkt)) & 0xFFFFFFFF


def frame_icrc(frame):
    """The ICRC the frame carries."""
    off, v6 = split(frame)
    if v6:
        end = off + 40 + struct.unpack_from("!H", frame, off + 4)[0]
    else:
        end = off + struct.unpack_from("!H", frame, off + 2)[0]
    return struct.unpack_from("<I", frame, end - 4)[0]


def check_csums(frame):
    """None if the IPv4 header checksum and the UDP checksum (0 allowed)
    are right, else what is wrong."""
    off, v6 = split(frame)
    if v6:
        plen = struct.unpack_from("!H", frame, off + 4)[0]
        udp = frame[off + 40:off + 40 + plen]
        pseudo = frame[off + 8:off + 40] + struct.pack("!IxxxB", plen, 17)
    else:
        if inet_csum(frame[off:off + 20]) != 0:
            return "IPv4 header checksum"
        tot = struct.unpack_from("!H", frame, off + 2)[0]
        udp = frame[off + 20:off + tot]
        pseudo = frame[off + 12:off + 20] + struct.pack("!xBH", 17, len(udp))
    if struct.unpack_from("!H", udp, 6)[0] == 0:
        return "zero UDP checksum on IPv6" if v6 else None
    if inet_csum(pseudo + udp) != 0:
        return "UDP checksum"
    return None


def make_frame(v6, vlan, opcode, bth_rest, ext, payload, sport=0xC123):
    """A frame built here, independently: bth_rest is BTH bytes 1..11 with
    pad 0; ext the extended headers' bytes."""
    pad = -len(payload) % 4
    bth = bytes([opcode, bth_rest[0] | pad << 4]) + bytes(bth_rest[1:])
    body = bth + ext + payload + b"\0" * pad + b"\0\0\0\0"
    udp = struct.pack("!HHHH", sport, ROCE_PORT, 8 + len(body), 0) + body
    eth = bytes.fromhex("020000000002" "020000000001")
    if vlan:
        eth += struct.pack("!HH", 0x8100, 0x2005)
    if v6:
        src = bytes.fromhex("fe800000000000000000000000000001")
        dst = bytes.fromhex("fe800000000000000000000000000002")
        ip = struct.pack("!IHBB", 6 << 28 | 0x12 << 20 | 0xABCDE, len(udp), 17, 64) + src + dst
        eth += b"\x86\xdd"
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0x12, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        ip = ip[:10] + struct.pack("!H", inet_csum(ip)) + ip[12:]
        eth += b"\x08\x00"
    frame = bytearray(eth + ip + udp)
    end = len(frame)
    struct.pack_into("<I", frame, end - 4, icrc(bytes(frame)))
    if v6:
        off = len(eth)
        pseudo = frame[off + 8:off + 40] + struct.pack("!IxxxB", len(udp), 17)
        c = inet_csum(bytes(pseudo) + bytes(frame[off + 40:]))
        struct.pack_into("!H", frame, off + 40 + 6, c or 0xFFFF)
    return bytes(frame)


# Wireshark's guessers that would read an InfiniBand payload (random or
# program bytes) as their protocols: RPC over RDMA, SMB Direct, ...
PAYLOAD_HEURISTICS = ["rpcrdma_infiniband", "smcr_infiniband",
                      "smb_direct_infiniband", "iser_infiniband", "lnet_ib",
                      "nvme_rdma", "eth_over_ib", "mellanox_eoib",
                      "sdp_infiniband", "fc_infiniband", "drbd_rdma"]


def tshark_no_payload_guessers(tshark, pcap):
    """tshark options disabling those guessers this tshark knows (their
    names vary by version)."""
    opts = []
    for h in PAYLOAD_HEURISTICS:
        p = subprocess.run([tshark, "-r", pcap, "-c", "1", "--disable-heuristic", h],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if "No such" not in p.stderr:
            opts += ["--disable-heuristic", h]
    return opts


if __name__ == "__main__":
    # The golden frames of tests/unit/odp-hca-roce-test.c: RC SEND_ONLY,
    # P_Key 0xffff, dest QP 0x000011, AckReq, PSN 0x000123, 5 bytes
    # "hello" (3 bytes of pad); IPv4 untagged and IPv6 with a VLAN tag.
    rest = bytes([0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x11, 0x80, 0x00, 0x01, 0x23])
    for v6, vlan in ((False, False), (True, True)):
        f = make_frame(v6, vlan, 0x04, rest, b"", b"hello")
        print("v6=%d vlan=%d icrc=%08x" % (v6, vlan, icrc(f)))
        print(f.hex())

