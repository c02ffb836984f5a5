#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""make bench's wire part (issue 12): one side of perftest between two
guests, odp-hca to odp-hca against Soft-RoCE to Soft-RoCE on the same
pair of guests.  The host side is scripts/bench.sh, which boots both
guests (build/bench-wire/<a|b>) with an odp-hca and a virtio-net port
each, the two odp-hcas joined by one -netdev stream link, the two
virtio-nets by another.

  bench-wire-guest.py <a|b> <out.jsonl>

Guest a (10.0.0.1 on its odp-hca's port, 10.9.0.1 on its virtio-net,
rxe0 there) serves: on TCP 10.0.0.1:18799 it takes one JSON request a
line from b, starts that perftest server, answers once it listens,
and, when b says the client is done, answers with the server's exit.
Guest b (10.0.0.2, 10.9.0.2) runs every client and writes one JSON
line a figure (kinds "wire-bw" and "wire-lat") to <out.jsonl>, an
"error" line for a run that gave none, as bench-guest.py does.

Environment: BENCH_WIRE_ODP_MAC and BENCH_WIRE_RXE_MAC (this guest's
ports), BENCH_WIRE_SIZES
("64 4096 65536 1048576"), BENCH_WIRE_TESTS ("write read").
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "bench_guest", os.path.join(HERE, "bench-guest.py"))
bg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bg)

CTRL_PORT = 18799
ADDR = {"a": ("10.0.0.1", "10.9.0.1"), "b": ("10.0.0.2", "10.9.0.2")}
SIZES = [int(x) for x in os.environ.get(
    "BENCH_WIRE_SIZES", "64 4096 65536 1048576").split()]
TESTS = os.environ.get("BENCH_WIRE_TESTS", "write read").split()


def up(mac, ip):
    """Address and raise the port with @mac; its interface name."""
    for _ in range(100):
        ifname = bg.netdev_by_mac(mac)
        if ifname:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("no port with MAC %s" % mac)
    bg.sh("ip", "addr", "add", ip + "/24", "dev", ifname, check=False)
    bg.sh("ip", "link", "set", ifname, "up")
    return ifname


def gid_of(ib, ip):
    """The port-1 index of @ip's RoCE v2 GID (::ffff:a.b.c.d): both
    sides use their IPv4 GIDs, which every RoCE v2 stack routes."""
    want = "0000:0000:0000:0000:0000:ffff:%02x%02x:%02x%02x" % tuple(
        int(x) for x in ip.split("."))
    base = "/sys/class/infiniband/%s/ports/1" % ib
    for _ in range(100):
        for i in os.listdir(base + "/gids"):
            try:
                g = open("%s/gids/%s" % (base, i)).read().strip()
                t = open("%s/gid_attrs/types/%s" % (base, i)).read().strip()
            except OSError:
                continue
            if g == want and t == "RoCE v2":
                return i
        time.sleep(0.1)
    raise RuntimeError("%s has no RoCE v2 GID for %s" % (ib, ip))


def setup(role):
    """{dev name: (ib device, GID index)} of this guest."""
    odp_ip, rxe_ip = ADDR[role]
    up(os.environ["BENCH_WIRE_ODP_MAC"], odp_ip)
    bg.sh("modprobe", "virtio_net", check=False)
    rxe_if = up(os.environ["BENCH_WIRE_RXE_MAC"], rxe_ip)
    bg.sh("modprobe", "rdma_rxe")
    if not os.path.isdir("/sys/class/infiniband/rxe0"):
        bg.sh("rdma", "link", "add", "rxe0", "type", "rxe", "netdev", rxe_if)
    return {"odp-hca": ("odp_hca0", gid_of("odp_hca0", odp_ip)),
            "soft-roce": ("rxe0", gid_of("rxe0", rxe_ip))}


def perftest_cmd(devs, req):
    ib, gid = devs[req["dev"]]
    return [req["tool"], "-d", ib, "-x", gid, "-p", str(req["port"]),
            "-F"] + req["args"]


# --- guest a ---------------------------------------------------------

def serve(devs):
    ls = socket.create_server((ADDR["a"][0], CTRL_PORT))
    conn, _ = ls.accept()
    conn.settimeout(bg.RUN_TIMEOUT + 120)
    f = conn.makefile("rw")
    for line in f:
        req = json.loads(line)
        if req["op"] == "quit":
            return 0
        # a file, not a pipe: nobody reads it until the run is over
        log = tempfile.TemporaryFile(mode="w+")
        p = subprocess.Popen(perftest_cmd(devs, req), stdout=log,
                             stderr=subprocess.STDOUT, text=True)
        for _ in range(200):
            if bg.listening(req["port"]) or p.poll() is not None:
                break
            time.sleep(0.05)
        f.write(json.dumps({"ready": p.poll() is None}) + "\n")
        f.flush()
        f.readline()                        # {"op": "done"}
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.seek(0)
        tail = (log.read().strip().splitlines() or ["?"])[-1]
        f.write(json.dumps({"rc": p.returncode, "tail": tail}) + "\n")
        f.flush()
    return 0


# --- guest b ---------------------------------------------------------

class Peer:
    def __init__(self):
        for _ in range(300):
            try:
                self.conn = socket.create_connection((ADDR["a"][0], CTRL_PORT),
                                                     timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("guest a's control port does not answer")
        self.conn.settimeout(bg.RUN_TIMEOUT + 120)
        self.f = self.conn.makefile("rw")
        self.port = 18900

    def ask(self, msg):
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise RuntimeError("guest a hung up")
        return json.loads(line)

    def run(self, devs, dev, tool, args):
        """The client's output of <tool> against guest a's server."""
        self.port += 1
        req = {"op": "run", "dev": dev, "tool": tool, "args": args,
               "port": self.port}
        if not self.ask(req)["ready"]:
            self.ask({"op": "done"})
            raise RuntimeError("guest a's server did not start")
        try:
            c = subprocess.run(perftest_cmd(devs, req) + [ADDR["a"][0]],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=bg.RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.ask({"op": "done"})
            raise RuntimeError("timed out after %d s" % bg.RUN_TIMEOUT)
        srv = self.ask({"op": "done"})
        if c.returncode or srv["rc"]:
            raise RuntimeError("client exit %d (%s), server exit %s (%s)" % (
                c.returncode, (c.stdout.strip().splitlines() or ["?"])[-1],
                srv["rc"], srv["tail"]))
        return c.stdout

    def quit(self):
        self.f.write(json.dumps({"op": "quit"}) + "\n")
        self.f.flush()


def iterations(size):
    """-n for @size: 64 MiB, 100 to 10000 messages, counted rather than
    timed (-D), so that both devices move the same bytes."""
    return max(100, min(10000, (64 << 20) // size))


def bw(peer, devs, dev, tool, size):
    return bg.measured(lambda: peer.run(devs, dev, tool, [
        "-s", str(size), "-n", str(iterations(size))]), bg.parse_bw)


def lat(peer, devs, dev):
    return bg.measured(lambda: peer.run(devs, dev, "ib_write_lat",
                                        ["-s", "8", "-n", "1000"]),
                       bg.parse_lat)


def drive(devs):
    peer = Peer()
    try:
        for t in TESTS:
            tool = "ib_%s_bw" % t
            for size in SIZES:
                for dev in ("odp-hca", "soft-roce"):
                    bg.measure({"kind": "wire-bw", "test": tool, "dev": dev,
                                "mem": "pinned", "size": size,
                                "iterations-asked": iterations(size)},
                               lambda: bw(peer, devs, dev, tool, size))
        for dev in ("odp-hca", "soft-roce"):
            bg.measure({"kind": "wire-lat", "test": "ib_write_lat",
                        "dev": dev, "mem": "pinned", "size": 8},
                       lambda: lat(peer, devs, dev))
    finally:
        peer.quit()
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ADDR:
        sys.exit("usage: bench-wire-guest.py <a|b> <out.jsonl>")
    role = sys.argv[1]
    bg.out = open(sys.argv[2], "w")
    try:
        devs = setup(role)
    except (RuntimeError, OSError) as e:
        bg.emit({"kind": "error", "of": "wire-setup", "error":
                 "guest %s: %s" % (role, e)})
        return 1
    return serve(devs) if role == "a" else drive(devs)


if __name__ == "__main__":
    sys.exit(main())
