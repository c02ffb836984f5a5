#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""The guest side of make bench (issue 12): one guest, its odp-hca
(odp_hca0) and a Soft-RoCE device (rxe0, rdma_rxe on a virtio-net port
with no peer: every run is a loopback inside its device), measured side
by side in one run.

  bench-guest.py <out.jsonl>

Writes one JSON object per line to <out.jsonl> (the host's share;
scripts/bench-report.py makes the report), each with a "kind":

  bw       perftest ib_{write,read,send}_bw in loopback, server and
           client in this guest, -D seconds (a run long enough that the
           first touches of --odp are amortized: "ODP warm"), per device,
           memory (pinned, odp) and message size: MB/s and messages/s;
           odp-hca pinned and ODP in BENCH_BW_REPEAT rounds, Soft-RoCE
           once;
  cold     the same with -n 300 (the issue's "cold" run: the first
           touches dominate), pinned and --odp on odp-hca, with the
           device's faults and pages resolved during the --odp run;
           --odp with the driver's defaults (perftest writes its
           buffers before registering them, and the driver maps pages
           already present at registration: its snapshot), then with
           reg_snapshot=0, where the first touches fault, under the
           device's default responder-fault policy (rnr) and under
           notify; BENCH_COLD_REPEAT rounds of each (they last
           milliseconds: one run says little);
  lat      perftest ib_{write,read,send}_lat -s 8 -n 1000: typical
           (median), average and 99th percentile in microseconds, in
           BENCH_LAT_REPEAT rounds of every device and memory (a ratio
           of two single runs of a few milliseconds is mostly noise);
  faults   the device's fault service histogram (query-odp-hca, event
           posted to RESUME) over ib_write_bw --odp while every Nth
           on-demand translation faults (odp-hca-inject-faults), with
           the driver resolving faults on a workqueue (the default) and
           then in its event interrupt thread (fault_wq=0), in
           BENCH_FAULTS_REPEAT rounds;
  reg      ibv_reg_mr time (pyverbs) of 64 MiB, 1 GiB and 16 GiB
           regions: pinned (memory touched first; not 16 GiB), on-demand,
           and implicit on-demand; 10000 pinned 4 KiB MRs;
  xfer     guest-driver/tests/bench-xfer: one RDMA WRITE's time at
           4 KiB, 64 KiB, 1 MiB and 64 MiB with the memory pinned,
           prefetched (odp-warm, implicit-warm) or dropped before every
           WRITE (odp-cold, implicit-cold; odp-cold also under notify),
           and memcpy of the same bytes, warm and cold (the CPU's own
           first-touch cost);
  scale    ib_write_bw -q N (1, 16, 256, 1024 QPs) at 64 KiB, aggregate
           (-t 16384/N WRs in flight per QP, at most 128: perftest's CQ
           is N x that deep, the device's at most 32768), and the bytes
           each QP's WRITEs moved (query-odp-hca-qps): the spread between
           the fastest and the slowest QP;
  error    a run that gave no figure, with why (the report lists it).

Nothing is asserted about speed: the exit status is 1 only when the
devices could not be set up.  Environment: BENCH_SECONDS (2),
BENCH_SIZES ("64 1024 16384 65536 1048576 4194304"), BENCH_TESTS
("write read send"), BENCH_PARTS ("bw cold lat faults reg xfer scale"),
BENCH_QPS ("1 16 256 1024"), BENCH_INJECT_EVERY (100),
BENCH_COLD_REPEAT (3), BENCH_BW_REPEAT (3), BENCH_FAULTS_REPEAT (3),
BENCH_LAT_REPEAT (3),
BENCH_XFER_SIZES ("4096 65536 1048576 67108864").
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("ODP_ROOT", os.getcwd())
MON = os.path.join(ROOT, "scripts/in-guest/monitor.sh")
RXE_MAC = os.environ.get("BENCH_RXE_MAC", "52:54:00:0d:03:01")
SECONDS = os.environ.get("BENCH_SECONDS", "2")
SIZES = [int(x) for x in os.environ.get(
    "BENCH_SIZES", "64 1024 16384 65536 1048576 4194304").split()]
TESTS = os.environ.get("BENCH_TESTS", "write read send").split()
PARTS = os.environ.get("BENCH_PARTS", "bw cold lat faults reg xfer scale").split()
QPS = [int(x) for x in os.environ.get("BENCH_QPS", "1 16 256 1024").split()]
INJECT_EVERY = int(os.environ.get("BENCH_INJECT_EVERY", "100"))
COLD_REPEAT = int(os.environ.get("BENCH_COLD_REPEAT", "3"))
BW_REPEAT = int(os.environ.get("BENCH_BW_REPEAT", "3"))
FAULTS_REPEAT = int(os.environ.get("BENCH_FAULTS_REPEAT", "3"))
LAT_REPEAT = int(os.environ.get("BENCH_LAT_REPEAT", "3"))
XFER_SIZES = [int(x) for x in os.environ.get(
    "BENCH_XFER_SIZES", "4096 65536 1048576 67108864").split()]
# The test programs of the guest's rdma-core series (scripts/in-guest/env.sh
# sets ODP_GUEST_TESTS); the host's tests import this file without it.
XFER = os.path.join(os.environ.get("ODP_GUEST_TESTS", ""), "bench-xfer")
RUN_TIMEOUT = 300

out = None
port = 18800


def emit(rec):
    out.write(json.dumps(rec) + "\n")
    out.flush()
    print("bench:", json.dumps(rec), flush=True)


def sh(*cmd, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stdout.strip()))
    return r.stdout


# --- devices ---------------------------------------------------------

def first_gid(ib):
    """The first non-zero GID index of port 1 (loopback needs any)."""
    d = "/sys/class/infiniband/%s/ports/1/gids" % ib
    for i in sorted(os.listdir(d), key=int):
        try:
            with open(os.path.join(d, i)) as f:
                g = f.read().strip()
        except OSError:
            continue
        if g and set(g.replace(":", "")) != {"0"}:
            return i
    return None


def netdev_by_mac(mac):
    for n in os.listdir("/sys/class/net"):
        try:
            with open("/sys/class/net/%s/address" % n) as f:
                if f.read().strip() == mac:
                    return n
        except OSError:
            pass
    return None


def setup_rxe():
    """rxe0 on the virtio-net port; None (and why) when it cannot be."""
    sh("modprobe", "virtio_net", check=False)
    for _ in range(50):
        ifname = netdev_by_mac(RXE_MAC)
        if ifname:
            break
        time.sleep(0.1)
    else:
        return None, "no virtio-net port with MAC %s" % RXE_MAC
    sh("ip", "addr", "add", "10.9.0.1/24", "dev", ifname, check=False)
    sh("ip", "link", "set", ifname, "up")
    sh("modprobe", "rdma_rxe")
    if not os.path.isdir("/sys/class/infiniband/rxe0"):
        sh("rdma", "link", "add", "rxe0", "type", "rxe", "netdev", ifname)
    return "rxe0", None


def wait_gid(ib):
    for _ in range(100):
        g = first_gid(ib)
        if g is not None:
            return g
        time.sleep(0.1)
    return None


# --- perftest --------------------------------------------------------

BW_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
LAT_LINE = re.compile(r"^\s*(\d+)\s+(\d+)((\s+[\d.]+){7})\s*$")


def listening(p):
    return subprocess.run(["ss", "-Hltn", "sport = :%d" % p],
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def perftest(tool, ib, gid, args):
    """Run <tool> in loopback (server, then client to localhost): the
    client's output, or raise with the reason."""
    global port
    port += 1
    cmd = [tool, "-d", ib, "-x", gid, "-p", str(port), "-F"] + args
    # The server writes to a file, not a pipe: nobody reads it until the
    # client is done, and with -q 256 perftest prints more than a pipe
    # holds (two address lines a QP), so it would block mid-handshake.
    slog = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(cmd, stdout=slog, stderr=subprocess.STDOUT,
                              text=True)
    try:
        for _ in range(200):
            if listening(port) or server.poll() is not None:
                break
            time.sleep(0.05)
        client = subprocess.run(cmd + ["localhost"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                timeout=RUN_TIMEOUT)
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise RuntimeError("timed out after %d s" % RUN_TIMEOUT)
    finally:
        slog.seek(0)
        sout = slog.read()
        slog.close()
    if client.returncode or server.returncode:
        tail = (client.stdout.strip().splitlines() or ["?"])[-1]
        stail = (sout.strip().splitlines() or ["?"])[-1]
        raise RuntimeError("client exit %d (%s), server exit %s (%s)" % (
            client.returncode, tail, server.returncode, stail))
    return client.stdout


def last_lines(o, n=3):
    """The end of perftest's output, for a run that gave no figure."""
    return " | ".join(o.strip().splitlines()[-n:]) or "(nothing)"


# perftest converts its cycle counts with a CPU clock it measures itself
# (get_cpu_mhz(): timed samples of the TSC, fitted to a line); under TCG
# the samples can fit badly, and then it prints this, takes the clock as
# 0 and reports 0.00 MB/s (or no latency) for a run that moved data.
NO_CLOCK = "Correlation coefficient"
TRIES = 3


def measured(run, parse):
    """run() (a perftest run: its output), again while perftest could not
    measure the CPU's clock: the figure parse() takes from the output,
    with the tries it took."""
    for n in range(1, TRIES + 1):
        o = run()
        r = parse(o)
        zero = r.pop("zero") if r else True
        if r is not None and not (zero and NO_CLOCK in o):
            r["tries"] = n
            return r
        if NO_CLOCK not in o:
            raise RuntimeError("no result line; it ended: %s" % last_lines(o))
    raise RuntimeError("perftest could not measure the CPU's clock in %d "
                       "tries (%s)" % (TRIES, NO_CLOCK))


def parse_bw(o):
    rows = [m for m in map(BW_LINE.match, o.splitlines()) if m]
    if not rows:
        return None
    m = rows[-1]
    return {"iterations": int(m.group(2)), "mbps": float(m.group(4)),
            "mpps": float(m.group(5)), "zero": float(m.group(4)) == 0}


def parse_lat(o):
    rows = [m for m in map(LAT_LINE.match, o.splitlines()) if m]
    if not rows:
        return None
    v = [float(x) for x in rows[-1].group(3).split()]
    # t_min t_max t_typical t_avg t_stdev 99% 99.9%
    return {"min-us": v[0], "typical-us": v[2], "avg-us": v[3],
            "p99-us": v[5], "max-us": v[1], "zero": v[2] == 0}


def bw_run(tool, ib, gid, size, args):
    return measured(lambda: perftest(tool, ib, gid, ["-s", str(size)] + args),
                    parse_bw)


def lat_run(tool, ib, gid, args):
    return measured(lambda: perftest(tool, ib, gid,
                                     ["-s", "8", "-n", "1000"] + args),
                    parse_lat)


# --- the device over the monitor -------------------------------------

def qmp(cmd, args=None):
    r = subprocess.run([MON, "qmp", cmd] + ([json.dumps(args)] if args else []),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    if r.returncode:
        raise RuntimeError("%s: %s" % (cmd, r.stdout.strip()))
    return json.loads(r.stdout) if r.stdout.strip() else None


def device():
    return qmp("query-odp-hca", {"id": "hca0"})[0]


# --- the parts -------------------------------------------------------

def measure(rec, fn):
    try:
        rec.update(fn())
        emit(rec)
    except (RuntimeError, ValueError, OSError) as e:
        rec.update({"error": str(e), "of": rec.get("kind")})
        rec["kind"] = "error"
        emit(rec)


def part_bw(devs):
    """BW_REPEAT rounds of odp-hca pinned then ODP (the ratio is a
    round's), Soft-RoCE in the first round only."""
    for t in TESTS:
        tool = "ib_%s_bw" % t
        for size in SIZES:
            for run in range(BW_REPEAT):
                for dev, ib, gid, mem in devs:
                    if run and dev != "odp-hca":
                        continue
                    args = ["-D", SECONDS] + (["--odp"] if mem == "odp" else [])
                    measure({"kind": "bw", "test": tool, "dev": dev,
                             "mem": mem, "size": size, "run": run,
                             "seconds": float(SECONDS)},
                            lambda: bw_run(tool, ib, gid, size, args))


def driver_counter(name):
    with open("/sys/class/infiniband/odp_hca0/ports/1/hw_counters/" + name) as f:
        return int(f.read())


def odp_cold(tool, ib, gid, size):
    qmp("odp-hca-reset-stats", {"id": "hca0"})
    s0 = driver_counter("odp_snapshot_pages")
    r = bw_run(tool, ib, gid, size, ["-n", "300", "--odp"])
    c = device()["counters"]
    r.update({"faults": c["faults-requester"] + c["faults-responder"],
              "faults-requester": c["faults-requester"],
              "faults-responder": c["faults-responder"],
              "pages-resolved": c["pages-resolved"],
              "snapshot-pages": driver_counter("odp_snapshot_pages") - s0})
    return r


SNAPSHOT = "/sys/module/odp_hca/parameters/reg_snapshot"


def set_snapshot(on):
    with open(SNAPSHOT, "w") as f:
        f.write("1" if on else "0")


def set_policy(policy):
    qmp("odp-hca-set-responder-fault", {"id": "hca0", "policy": policy})


COLD_CONFIGS = ((True, "rnr"), (False, "rnr"), (False, "notify"))


def part_cold(ib, gid):
    """Pinned, then --odp with the driver's defaults and with
    reg_snapshot=0 under rnr and under notify, next to each other,
    COLD_REPEAT times round."""
    for t in TESTS:
        tool = "ib_%s_bw" % t
        for size in (65536, 1048576):
            for run in range(COLD_REPEAT):
                base = {"kind": "cold", "test": tool, "dev": "odp-hca",
                        "size": size, "iterations": 300, "run": run}
                measure(dict(base, mem="pinned"),
                        lambda: bw_run(tool, ib, gid, size, ["-n", "300"]))
                for snap, policy in COLD_CONFIGS:
                    set_snapshot(snap)
                    set_policy(policy)
                    try:
                        measure(dict(base, mem="odp", policy=policy,
                                     snapshot=snap),
                                lambda: odp_cold(tool, ib, gid, size))
                    finally:
                        set_policy("rnr")
                        set_snapshot(True)


XFER_MODES = ("pinned", "odp-warm", "odp-cold", "implicit-warm",
              "implicit-cold", "cpu-warm", "cpu-cold")


def xfer_run(mode, size):
    n = 100 if size <= 65536 else 20 if size <= 1 << 20 else 3
    r = subprocess.run([XFER, "-d", "odp_hca0", "-m", mode, "-s", str(size),
                        "-n", str(n)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True,
                       timeout=RUN_TIMEOUT)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode or not lines:
        raise RuntimeError("bench-xfer exit %d: %s" % (
            r.returncode, last_lines(r.stdout, 2)))
    rec = json.loads(lines[-1])
    rec.pop("mode", None)
    rec.pop("size", None)
    return rec


def part_xfer():
    for size in XFER_SIZES:
        for mode in XFER_MODES:
            measure({"kind": "xfer", "dev": "odp-hca", "mode": mode,
                     "size": size, "policy": "rnr"},
                    lambda: xfer_run(mode, size))
        set_policy("notify")
        try:
            measure({"kind": "xfer", "dev": "odp-hca", "mode": "odp-cold",
                     "size": size, "policy": "notify"},
                    lambda: xfer_run("odp-cold", size))
        finally:
            set_policy("rnr")


def part_lat(devs):
    """LAT_REPEAT rounds, each of every device and memory (the ratio
    to Soft-RoCE is a round's)."""
    for run in range(LAT_REPEAT):
        for t in TESTS:
            tool = "ib_%s_lat" % t
            for dev, ib, gid, mem in devs:
                args = ["--odp"] if mem == "odp" else []
                measure({"kind": "lat", "test": tool, "dev": dev,
                         "mem": mem, "size": 8, "run": run},
                        lambda: lat_run(tool, ib, gid, args))


def faults_run(ib, gid):
    qmp("odp-hca-reset-stats", {"id": "hca0"})
    qmp("odp-hca-inject-faults", {"id": "hca0", "every": INJECT_EVERY})
    try:
        r = bw_run("ib_write_bw", ib, gid, 65536, ["-D", "4", "--odp"])
    finally:
        qmp("odp-hca-inject-faults", {"id": "hca0"})
    d = device()
    c = d["counters"]
    r.update({"every": INJECT_EVERY, "latency": d["latency"],
              "faults": c["faults-requester"] + c["faults-responder"],
              "injected": c["faults-injected"]})
    return r


FAULT_WQ = "/sys/module/odp_hca/parameters/fault_wq"


def set_fault_wq(on):
    with open(FAULT_WQ, "w") as f:
        f.write("1" if on else "0")


def part_faults(ib, gid):
    """The driver's default, faults resolved on a workqueue, then in its
    event interrupt thread (odp_hca fault_wq=0) for comparison, in
    FAULTS_REPEAT rounds (a p99 of a few hundred faults is its third or
    fourth slowest)."""
    for run in range(FAULTS_REPEAT):
        for ctx, wq in (("workqueue", True), ("irq-thread", False)):
            set_fault_wq(wq)
            try:
                measure({"kind": "faults", "test": "ib_write_bw",
                         "dev": "odp-hca", "size": 65536, "context": ctx,
                         "run": run},
                        lambda: faults_run(ib, gid))
            finally:
                set_fault_wq(True)


def part_reg(ib):
    r = subprocess.run([sys.executable, os.path.join(ROOT,
                        "guest-driver/tests/bench-reg.py"), ib],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=900)
    for line in r.stdout.splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            rec["dev"] = "odp-hca"
            emit(rec)
    if r.returncode:
        emit({"kind": "error", "of": "reg", "dev": "odp-hca",
              "error": "bench-reg.py exit %d: %s" % (
                  r.returncode, (r.stdout.strip().splitlines() or ["?"])[-1])})


def scale_run(ib, gid, q, depth):
    """perftest's aggregate, and what each of its QPs moved: the device's
    per-QP counts (query-odp-hca-qps), the QPs that completed WRITEs."""
    qmp("odp-hca-reset-stats", {"id": "hca0"})
    r = bw_run("ib_write_bw", ib, gid, 65536,
               ["-D", SECONDS, "-q", str(q), "-t", str(depth)])
    qps = qmp("query-odp-hca-qps", {"id": "hca0"})
    sent = sorted(x["bytes"] for x in qps["qps"]
                  if x["type"] == "rc" and x["wqes"] > 0)
    if sent:
        r["qp-bytes"] = {"qps": len(sent), "min": sent[0],
                         "median": sent[len(sent) // 2], "max": sent[-1],
                         "destroyed-dropped": qps["destroyed-dropped"]}
    return r


def part_scale(ib, gid):
    for q in QPS:
        # perftest's CQ holds tx-depth x QPs entries; the device's at most
        # 32768 (its max-cqe): fewer WRs in flight per QP as QPs grow
        depth = max(1, min(128, 16384 // q))
        measure({"kind": "scale", "test": "ib_write_bw", "dev": "odp-hca",
                 "mem": "pinned", "size": 65536, "qps": q, "tx-depth": depth},
                lambda: scale_run(ib, gid, q, depth))


def main():
    global out
    if len(sys.argv) != 2:
        sys.exit("usage: bench-guest.py <out.jsonl>")
    out = open(sys.argv[1], "w")
    odp_gid = wait_gid("odp_hca0")
    if odp_gid is None:
        emit({"kind": "error", "of": "setup", "error": "odp_hca0 has no GID"})
        return 1
    rxe, why = setup_rxe()
    rxe_gid = wait_gid(rxe) if rxe else None
    devs = [("odp-hca", "odp_hca0", odp_gid, "pinned"),
            ("odp-hca", "odp_hca0", odp_gid, "odp")]
    if rxe_gid is not None:
        devs.append(("soft-roce", rxe, rxe_gid, "pinned"))
    else:
        emit({"kind": "error", "of": "setup", "dev": "soft-roce",
              "error": why or "rxe0 has no GID"})
    emit({"kind": "meta", "kernel": os.uname().release,
          "cpus": os.cpu_count(), "perftest-seconds": float(SECONDS),
          "perftest": sh("dpkg-query", "-W", "-f", "${Version}", "perftest",
                         check=False).strip(),
          "soft-roce-odp": "none in this kernel (rdma_rxe has no on-demand paging before 6.15)"})
    for part in PARTS:
        t0 = time.time()
        if part == "bw":
            part_bw(devs)
        elif part == "cold":
            part_cold("odp_hca0", odp_gid)
        elif part == "lat":
            part_lat(devs)
        elif part == "faults":
            part_faults("odp_hca0", odp_gid)
        elif part == "reg":
            part_reg("odp_hca0")
        elif part == "xfer":
            part_xfer()
        elif part == "scale":
            part_scale("odp_hca0", odp_gid)
        print("bench: part %s took %.0f s" % (part, time.time() - t0),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
