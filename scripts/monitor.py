#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Talk to a running guest's QEMU monitors (QMP and HMP unix sockets).

  monitor.py qmp <qmp.sock> <command> [<arguments as JSON>]
      run one QMP command, print its "return" as JSON (exit 1 on "error")
  monitor.py hmp <hmp.sock> <command line>
      run one HMP command, print what it printed
  monitor.py serve <dir> <qmp.sock> <hmp.sock>
      answer monitor requests a guest drops into <dir> (the harness's
      writable 9p share, see scripts/vm.sh and scripts/guest-monitor.sh)
      until killed

Requests for "serve": <dir>/<name>.req holds one line, "qmp <command>
[<arguments as JSON>]" or "hmp <command line>".  The answer is written to
<name>.out (the output) and <name>.rc (0, or 1 with the error in .out),
.rc last, each through a rename, so a reader that sees .rc sees the rest.
Each request opens its own connection, so the sockets stay free for
people in between.  Only the Python standard library is used.
"""

import json
import os
import re
import socket
import sys
import time

TIMEOUT = 60


def _connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            # QEMU not listening yet, or another client holds the monitor.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def qmp(path, command, arguments=None):
    """Run one QMP command; return its "return" value, raise on "error"."""
    with _connect(path) as s:
        f = s.makefile("rwb")

        def recv():
            while True:
                line = f.readline()
                if not line:
                    raise ConnectionError("QMP connection closed")
                msg = json.loads(line)
                if "event" not in msg:
                    return msg

        def send(cmd, args=None):
            msg = {"execute": cmd}
            if args:
                msg["arguments"] = args
            f.write(json.dumps(msg).encode() + b"\n")
            f.flush()
            return recv()

        greeting = recv()
        if "QMP" not in greeting:
            raise ConnectionError("no QMP greeting: %r" % greeting)
        send("qmp_capabilities")
        r = send(command, arguments)
        if "error" in r:
            raise RuntimeError("%s: %s" % (r["error"].get("class"),
                                           r["error"].get("desc")))
        return r.get("return")


_PROMPT = b"(qemu) "
_ESC = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b[=>]?")


def hmp(path, line):
    """Run one HMP command line; return its output as text."""
    with _connect(path) as s:
        buf = b""

        def until_prompt(buf):
            while not buf.endswith(_PROMPT):
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("HMP connection closed")
                buf += chunk
            return buf

        until_prompt(b"")               # banner and first prompt
        s.sendall(line.encode() + b"\n")
        buf = until_prompt(b"")
        buf = _ESC.sub(b"", buf[:-len(_PROMPT)]).replace(b"\r", b"")
        # The monitor echoes (and redraws) the command line first.
        return buf.partition(b"\n")[2].decode(errors="replace")


def _run(kind, sock, words):
    if kind == "qmp":
        args = json.loads(words[1]) if len(words) > 1 and words[1] else None
        return json.dumps(qmp(sock, words[0], args), indent=2) + "\n"
    return hmp(sock, " ".join(words))


def _put(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(data)
    os.rename(tmp, path)


def serve(d, qmp_sock, hmp_sock):
    os.makedirs(d, exist_ok=True)
    while True:
        for name in sorted(os.listdir(d)):
            if not name.endswith(".req"):
                continue
            base = os.path.join(d, name[:-4])
            try:
                with open(base + ".req") as f:
                    req = f.read().strip()
                os.unlink(base + ".req")
            except OSError:
                continue
            kind, _, rest = req.partition(" ")
            try:
                if kind == "qmp":
                    cmd, _, args = rest.strip().partition(" ")
                    out = _run("qmp", qmp_sock, [cmd, args.strip()])
                elif kind == "hmp":
                    out = _run("hmp", hmp_sock, [rest])
                else:
                    raise ValueError("unknown request %r" % req)
                rc = 0
            except Exception as e:      # report every failure to the guest
                out, rc = "%s: %s\n" % (type(e).__name__, e), 1
            _put(base + ".out", out)
            _put(base + ".rc", "%d\n" % rc)
        time.sleep(0.05)


def main(argv):
    if len(argv) >= 4 and argv[1] in ("qmp", "hmp"):
        try:
            sys.stdout.write(_run(argv[1], argv[2], argv[3:]))
        except Exception as e:
            print("monitor.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            return 1
        return 0
    if len(argv) == 5 and argv[1] == "serve":
        try:
            serve(argv[2], argv[3], argv[4])
        except KeyboardInterrupt:
            pass
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
