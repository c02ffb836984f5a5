#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tests of tools/odp-hca-plot, printing TAP (make check-plot).
#
# Usage: test-plot.py <qemu-system-x86_64> <odp-hca-test> <work-dir>
#
# 1. A real run: the odp-hca qtest /odp-hca/monitor/counters writes the
#    query-odp-hca result of its scripted workload to $ODP_HCA_QMP_DUMP;
#    the tool draws it.  The PNGs must be PNGs
#    of a sane size, the SVGs SVG with paths, and the tool must have drawn
#    one marker per fault record (its summary line and the markers in the
#    SVG both count them).
# 2. The same through --qmp, against a QEMU started here with two odp-hca
#    devices (one with an id, one without), and with --id; --qmp without
#    QEMU's QMP library (a dump does not need it).
# 3. Bad input: not JSON, wrong shapes, a QMP error, no such device, no
#    such socket, nobody listening: exit status 1 and a clear message, no
#    traceback.
#
# Copyright (c) 2026 The odp-hca developers

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "odp-hca-plot")
# The qtest that writes the dump (its scripted monitor workload).
QTEST_PATH = os.environ.get("PLOT_QTEST_PATH", "/odp-hca/monitor/counters")
SVG_NS = "{http://www.w3.org/2000/svg}"
SUMMARY = re.compile(r"^device (.+): (\d+) faults plotted, (\d+) buckets$")

sys.path.insert(0, os.path.join(HERE, ".."))
from tap import Tap  # noqa: E402  (tests/tap.py)

tap = Tap()


def note(msg):
    for line in str(msg).splitlines():
        print(f"# {line}", flush=True)


def run_tool(*args, stdin=None, env=None):
    return subprocess.run([TOOL, *args], capture_output=True, text=True,
                          input=stdin, timeout=120,
                          env=dict(os.environ, **env) if env else None)


def summaries(stdout):
    """{device label: (faults plotted, buckets)} from the tool's output."""
    out = {}
    for line in stdout.splitlines():
        m = SUMMARY.match(line)
        if m:
            out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def label(dev):
    return dev.get("id") or dev["qom-path"]


def check_png(path):
    """None when @path is a sane PNG, else what is wrong with it."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        return f"cannot read {path}: {e.strerror}"
    if len(data) < 2000:
        return f"{path}: only {len(data)} bytes"
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return f"{path}: no PNG signature ({data[:8]!r})"
    length, ctype = struct.unpack(">I4s", data[8:16])
    if ctype != b"IHDR" or length != 13:
        return f"{path}: first chunk is {ctype!r}, not IHDR"
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    if not (400 <= width <= 4000 and 200 <= height <= 4000):
        return f"{path}: {width}x{height} pixels is not a sane size"
    if b"IEND" not in data[-12:]:
        return f"{path}: no IEND chunk at the end (truncated?)"
    return None


def svg_root(path):
    """(root, None) for a parsable SVG with paths, else (None, why)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        return None, f"{path}: {e}"
    if root.tag != SVG_NS + "svg":
        return None, f"{path}: root element is {root.tag}, not svg"
    n = sum(1 for _ in root.iter(SVG_NS + "path"))
    if n == 0:
        return None, f"{path}: no path element"
    return root, None


def svg_markers(root):
    """Fault markers drawn in a timeline SVG: the <use> elements (or, drawn
    one by one, the paths) in the groups the tool names fault-markers-*."""
    n = 0
    for g in root.iter(SVG_NS + "g"):
        if not g.get("id", "").startswith("fault-markers-"):
            continue
        uses = sum(1 for _ in g.iter(SVG_NS + "use"))
        if uses == 0:
            defs = {id(p) for d in g.iter(SVG_NS + "defs")
                    for p in d.iter(SVG_NS + "path")}
            uses = sum(1 for p in g.iter(SVG_NS + "path")
                       if id(p) not in defs)
        n += uses
    return n


def check_outputs(prefix, dev, stdout, what):
    """The four files of one device, and its summary line."""
    faults = len(dev["faults"])
    buckets = len(dev["latency"]["buckets"])
    got = summaries(stdout).get(label(dev))
    tap(got == (faults, buckets),
        f"{what}: summary says {faults} faults plotted, {buckets} buckets",
        f"expected ({faults}, {buckets}) for device {label(dev)}, "
        f"got {got}\nstdout:\n{stdout}")
    for kind in ("timeline", "latency"):
        png = f"{prefix}-{kind}.png"
        why = check_png(png)
        tap(why is None, f"{what}: {os.path.basename(png)} is a sane PNG",
            why)
        svg = f"{prefix}-{kind}.svg"
        root, why = svg_root(svg)
        tap(root is not None,
            f"{what}: {os.path.basename(svg)} is SVG with paths", why)
        if kind == "timeline" and root is not None:
            n = svg_markers(root)
            tap(n == faults,
                f"{what}: {n} fault markers in the SVG, one a record",
                f"{faults} fault records, {n} markers in {svg}")


# ---------------------------------------------------------------- 1

def real_run(qemu, qtest, work):
    dump = os.path.join(work, "qtest-dump.json")
    if os.path.exists(dump):
        os.unlink(dump)
    env = dict(os.environ, QTEST_QEMU_BINARY=qemu, ODP_HCA_QMP_DUMP=dump)
    cmd = [qtest, "--tap", "-k", "-p", QTEST_PATH]
    note(f"real run: ODP_HCA_QMP_DUMP={dump} {' '.join(cmd)}")
    try:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=600)
        qt_out, qt_rc = r.stdout + r.stderr, r.returncode
    except subprocess.TimeoutExpired:
        qt_out, qt_rc = "timed out", -1
    # Its own verdict is check-qtest's business: the dump is written
    # before the test checks the counters, and is what the device said.
    verdict = re.search(r"^(not ok|ok) \d+ ", qt_out, re.M)
    tap(verdict is not None,
        f"qtest {QTEST_PATH} ran"
        + (f" (its verdict: {verdict.group(1)}, see make check-qtest)"
           if verdict else ""),
        f"exit status {qt_rc}, output:\n{qt_out[-3000:]}")
    if verdict and verdict.group(1) != "ok":
        note(qt_out[-1500:])
    if not tap(os.path.isfile(dump) and os.path.getsize(dump) > 0,
               f"qtest {QTEST_PATH} wrote a query-odp-hca dump",
               f"no {dump}: does a test under {QTEST_PATH} honour "
               f"ODP_HCA_QMP_DUMP?"):
        return None
    try:
        with open(dump) as fh:
            devices = json.load(fh)
        if isinstance(devices, dict):
            devices = devices["return"]
        ok = (isinstance(devices, list) and devices
              and all(isinstance(d.get("faults"), list) for d in devices))
    except (ValueError, KeyError, AttributeError) as e:
        ok, devices = False, str(e)
    nfaults = sum(len(d["faults"]) for d in devices) if ok else 0
    tap(ok and nfaults > 0,
        f"the dump lists {len(devices) if ok else 0} device(s) and "
        f"{nfaults} fault records",
        f"not a query-odp-hca result with faults: {str(devices)[:300]}")
    return dump if ok else None


def plot_dump(dump, work):
    with open(dump) as fh:
        data = json.load(fh)
    devices = data["return"] if isinstance(data, dict) else data
    prefix = os.path.join(work, "real")
    r = run_tool(dump, "-o", prefix)
    tap(r.returncode == 0, "odp-hca-plot draws the real run",
        f"exit status {r.returncode}\n{r.stderr}")
    note(r.stdout.rstrip())
    names = file_names(devices)
    for dev, name in zip(devices, names):
        p = prefix if len(devices) == 1 else f"{prefix}-{name}"
        check_outputs(p, dev, r.stdout, f"real run, {label(dev)}")

    # The whole QMP response, on stdin, one device by --id, y = seq.
    dev = devices[0]
    wrapped = json.dumps({"return": devices})
    prefix = os.path.join(work, "real-wrapped")
    r = run_tool("-", "--id", label(dev), "--y", "seq", "-o", prefix,
                 stdin=wrapped)
    tap(r.returncode == 0,
        "a QMP response {\"return\": [...]} on stdin, --id, --y seq",
        f"exit status {r.returncode}\n{r.stderr}")
    check_outputs(prefix, dev, r.stdout, "QMP response form")

    # The same device twice, one without id: a file set a device.
    two = [dict(dev, id="hca-a"),
           {k: v for k, v in dev.items() if k != "id"}]
    two[1]["qom-path"] = "/machine/peripheral-anon/device[3]"
    path = os.path.join(work, "two.json")
    with open(path, "w") as fh:
        json.dump(two, fh)
    prefix = os.path.join(work, "two")
    r = run_tool(path, "-o", prefix)
    tap(r.returncode == 0 and len(summaries(r.stdout)) == 2,
        "two devices: a summary line each",
        f"exit status {r.returncode}\n{r.stdout}{r.stderr}")
    check_outputs(f"{prefix}-hca-a", two[0], r.stdout, "two devices, id")
    check_outputs(f"{prefix}-device-3", two[1], r.stdout,
                  "two devices, no id")

    # No fault records, no latencies: empty axes, a note, still files.
    empty = [dict(dev, faults=[], latency={
        "count": 0, "min-ns": 0, "median-ns": 0, "p99-ns": 0, "max-ns": 0,
        "buckets": []})]
    path = os.path.join(work, "empty.json")
    with open(path, "w") as fh:
        json.dump(empty, fh)
    prefix = os.path.join(work, "empty")
    r = run_tool(path, "-o", prefix)
    tap(r.returncode == 0, "no fault records: still drawn",
        f"exit status {r.returncode}\n{r.stderr}")
    check_outputs(prefix, empty[0], r.stdout, "no faults")

    # A dump needs no QEMU source tree: only --qmp uses its QMP library.
    r = run_tool(dump, "-o", os.path.join(work, "no-qemu-python"),
                 env={"ODP_HCA_QEMU_PYTHON":
                      os.path.join(work, "no-qemu-python")})
    tap(r.returncode == 0 and len(summaries(r.stdout)) == len(devices),
        "a dump is drawn without QEMU's QMP library",
        f"exit status {r.returncode}\n{r.stdout}{r.stderr}")


def file_names(devices):
    """The device part of the file names, as the tool makes it."""
    names, used = [], set()
    for d in devices:
        base = d.get("id") or d["qom-path"].rstrip("/").rsplit("/", 1)[-1]
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.") or "odp-hca"
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        names.append(name)
    return names


# ---------------------------------------------------------------- 2

def live_qmp(qemu, work):
    sock = os.path.join(work, "qmp.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    # Stopped (-S): the devices exist, no guest code runs.
    cmd = [qemu, "-machine", "q35", "-nodefaults", "-accel", "tcg", "-S",
           "-display", "none", "-m", "128M",
           "-device", "odp-hca,id=hca0", "-device", "odp-hca",
           "-qmp", f"unix:{sock},server=on,wait=off"]
    note("live: " + " ".join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if os.path.exists(sock) or proc.poll() is not None:
                break
            time.sleep(0.05)
        if not tap(os.path.exists(sock), "QEMU with two odp-hca is up",
                   f"no {sock}; QEMU said: "
                   f"{proc.communicate(timeout=5)[0] if proc.poll() is not None else ''}"):
            return
        prefix = os.path.join(work, "live")
        r = run_tool("--qmp", sock, "-o", prefix)
        s = summaries(r.stdout)
        tap(r.returncode == 0 and set(s) ==
            {"hca0", "/machine/peripheral-anon/device[0]"},
            "--qmp: both devices drawn",
            f"exit status {r.returncode}\n{r.stdout}{r.stderr}")
        for name in ("hca0", "device-0"):
            for kind in ("timeline", "latency"):
                why = check_png(f"{prefix}-{name}-{kind}.png")
                tap(why is None, f"--qmp: live-{name}-{kind}.png", why)
        r = run_tool("--qmp", sock, "--id", "hca0", "-o",
                     os.path.join(work, "live-one"))
        tap(r.returncode == 0 and list(summaries(r.stdout)) == ["hca0"]
            and summaries(r.stdout)["hca0"] == (0, 0)
            and check_png(os.path.join(work, "live-one-timeline.png"))
            is None,
            "--qmp --id hca0: one device, no faults, files without the id",
            f"exit status {r.returncode}\n{r.stdout}{r.stderr}")
        r = run_tool("--qmp", sock, "--id", "nosuch", "-o",
                     os.path.join(work, "live-bad"))
        bad_input(r, "--qmp --id nosuch", "Device 'nosuch' not found")
        # --qmp talks through QEMU's python/qemu/qmp: say where it was not.
        nowhere = os.path.join(work, "no-qemu-python")
        r = run_tool("--qmp", sock, "-o", os.path.join(work, "live-bad"),
                     env={"ODP_HCA_QEMU_PYTHON": nowhere})
        bad_input(r, "--qmp without QEMU's QMP library",
                  f"QEMU's QMP library, which is not in "
                  f"ODP_HCA_QEMU_PYTHON={nowhere}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- 3

def bad_input(r, what, expect):
    ok = (r.returncode == 1 and expect in r.stderr
          and r.stderr.startswith("odp-hca-plot: error: ")
          and "Traceback" not in r.stderr)
    tap(ok, f"{what}: exit 1, says '{expect}'",
        f"exit status {r.returncode}\nstderr: {r.stderr}")


def bad_inputs(work):
    def write(name, text):
        path = os.path.join(work, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    out = os.path.join(work, "bad")
    good_dev = {"qom-path": "/machine/peripheral/x", "id": "x",
                "fault-ring-size": 4, "counters": {},
                "latency": {"count": 0, "min-ns": 0, "median-ns": 0,
                            "p99-ns": 0, "max-ns": 0, "buckets": []},
                "faults": []}
    cases = [
        ("not JSON", write("bad1.json", "info odp-hca\n"), "not JSON"),
        ("empty file", write("bad2.json", ""), "empty file"),
        ("an object without return", write("bad3.json", '{"foo": 1}'),
         "without 'return'"),
        ("a number", write("bad4.json", "42"),
         "expected a list of odp-hca devices"),
        ("a list of numbers", write("bad5.json", "[1, 2]"),
         "device 0: expected an object"),
        ("a device without faults",
         write("bad6.json", json.dumps(
             [{k: v for k, v in good_dev.items() if k != "faults"}])),
         "missing 'faults'"),
        ("a fault with a bad outcome",
         write("bad7.json", json.dumps([dict(good_dev, faults=[{
             "seq": 1, "time-ns": 0, "qpn": 2, "side": "requester",
             "outcome": "lost", "injected": False}])])),
         "'outcome' should be one of resumed, failed, flushed, pending"),
        ("a bucket bound the device does not have (17 ns: after 16, "
         "buckets step by 2)",
         write("bad9.json", json.dumps([dict(good_dev, latency=dict(
             good_dev["latency"], count=1, buckets=[
                 {"le-ns": 18, "count": 0}, {"le-ns": 17, "count": 1}]))])),
         "latency bucket 1: 'le-ns' 17 is not a bucket bound"),
        ("a QMP error response",
         write("bad8.json", json.dumps({"error": {
             "class": "CommandNotFound",
             "desc": "The command query-odp-hca has not been found"}})),
         "a QMP error response"),
        ("a missing file", os.path.join(work, "does-not-exist.json"),
         "cannot read"),
    ]
    for what, path, expect in cases:
        bad_input(run_tool(path, "-o", out), what, expect)

    path = write("good.json", json.dumps([good_dev]))
    bad_input(run_tool(path, "--id", "nosuch", "-o", out),
              "--id naming no device", "no odp-hca device 'nosuch'")
    bad_input(run_tool(write("none.json", "[]"), "-o", out),
              "no device at all", "no odp-hca device in the input")

    bad_input(run_tool("--qmp", os.path.join(work, "no.sock"), "-o", out),
              "--qmp to no socket", "no such file")
    # A socket file nobody listens on any more.
    dead = os.path.join(work, "dead.sock")
    if os.path.exists(dead):
        os.unlink(dead)
    s = socket.socket(socket.AF_UNIX)
    s.bind(dead)
    s.close()
    bad_input(run_tool("--qmp", dead, "-o", out), "--qmp to a dead socket",
              "connection refused")
    # Something that is not QMP (an HMP-like banner).
    talk = os.path.join(work, "hmp.sock")
    if os.path.exists(talk):
        os.unlink(talk)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(talk)
    srv.listen(1)
    pid = os.fork()
    if pid == 0:
        try:
            c, _ = srv.accept()
            c.sendall(b"QEMU 10.0.0 monitor - type 'help' for more "
                      b"information\r\n(qemu) ")
            time.sleep(2)
        finally:
            os._exit(0)
    srv.close()
    r = run_tool("--qmp", talk, "--timeout", "5", "-o", out)
    os.waitpid(pid, 0)
    bad_input(r, "--qmp to an HMP socket", "not a QMP monitor")

    r = run_tool()
    tap(r.returncode == 2 and "usage:" in r.stderr,
        "no arguments: usage, exit 2",
        f"exit status {r.returncode}\n{r.stderr}")
    leftovers = [f for f in os.listdir(work) if f.startswith("bad-")]
    tap(not leftovers, "bad input leaves no files", f"{leftovers}")


def main():
    if len(sys.argv) != 4:
        print("usage: test-plot.py <qemu-system-x86_64> <odp-hca-test> "
              "<work-dir>", file=sys.stderr)
        return 2
    qemu, qtest, work = (os.path.abspath(a) for a in sys.argv[1:])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    note(f"images in {work}")
    try:
        import matplotlib  # noqa: F401  (the tool needs it)
    except ImportError:
        print("Bail out! python3-matplotlib is not installed (make setup)")
        return 1

    dump = real_run(qemu, qtest, work)
    if dump:
        plot_dump(dump, work)
    live_qmp(qemu, work)
    bad_inputs(work)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(main())
