#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Talk to a running guest's QEMU monitors (QMP and HMP unix sockets).

  monitor.py qmp <qmp.sock> <command> [<arguments as JSON>]
      run one QMP command, print its "return" as JSON (exit 1 on "error")
  monitor.py hmp <hmp.sock> <command line>
      run one HMP command, print what it printed
  monitor.py serve <dir> <qmp.sock> <hmp.sock>
      answer monitor requests a guest drops into <dir> (the harness's
      writable 9p share, see scripts/vm.sh and scripts/in-guest/monitor.sh)
      until killed

Requests for "serve": <dir>/<name>.req holds one line, "qmp <command>
[<arguments as JSON>]" or "hmp <command line>".  The answer is written to
<name>.out (the output) and <name>.rc (0, or 1 with the error in .out),
.rc last, each through a rename, so a reader that sees .rc sees the rest.
Each request opens its own connection, so the sockets stay free for
people in between.

QMP goes through QEMU's own client library, python/qemu/qmp of QEMU's
source tree, which needs only the standard library: the one in
$ODP_HCA_QEMU_PYTHON, else the one `make build` unpacks,
<build>/qemu-src-<series>/python, <build> being $ODP_BUILD or build/ in this
repository.  HMP is a plain socket.
"""

import asyncio
import glob
import json
import os
import re
import socket
import sys
import time

TIMEOUT = 60
# QMPClient reads at most 10 MiB a message by default; query-odp-hca
# returns about 16 MiB for a device whose 65536 fault records are all used.
QMP_READ_LIMIT = 1 << 30


class QMPLibraryNotFound(Exception):
    """QEMU's python/qemu/qmp is not where we look for it."""


def _qemu_src(build):
    """The QEMU source tree of QEMU_SERIES, else the newest one built."""
    series = os.environ.get("QEMU_SERIES")
    if series:
        return os.path.join(build, "qemu-src-" + series)
    trees = glob.glob(os.path.join(build, "qemu-src-*[0-9]"))
    key = lambda t: [int(x) for x in t.rsplit("-", 1)[1].split(".")
                     if x.isdigit()]
    return max(trees, key=key) if trees else os.path.join(build, "qemu-src-*")


def _qemu_qmp():
    """Import and return QEMU's qemu.qmp package."""
    path = os.environ.get("ODP_HCA_QEMU_PYTHON")
    if path:
        where = "ODP_HCA_QEMU_PYTHON=" + path
    else:
        root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
        build = os.environ.get("ODP_BUILD") or os.path.join(root, "build")
        path = where = os.path.join(_qemu_src(build), "python")
    if not os.path.isfile(os.path.join(path, "qemu", "qmp", "__init__.py")):
        raise QMPLibraryNotFound(
            "QEMU's QMP library is not in %s (no qemu/qmp/__init__.py): "
            "run `make build`, which unpacks QEMU into build/qemu-src-<series>, or "
            "set ODP_HCA_QEMU_PYTHON to the python/ directory of a QEMU "
            "source tree" % where)
    if path not in sys.path:
        sys.path.insert(0, path)
    import qemu.qmp
    return qemu.qmp


def _hmp_connect(path):
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


async def _qmp_connect(lib, client, path):
    deadline = time.monotonic() + 10
    while True:
        try:
            await asyncio.wait_for(client.connect(path), TIMEOUT)
            return
        except asyncio.TimeoutError:
            raise TimeoutError("timed out") from None
        except lib.ConnectError as e:
            cause = e.exc
        # QEMU not listening yet, or another client holds the monitor.
        if (isinstance(cause, (FileNotFoundError, ConnectionRefusedError))
                and time.monotonic() <= deadline):
            await asyncio.sleep(0.1)
            continue
        if isinstance(cause, OSError):
            raise cause from None
        if isinstance(cause, EOFError):
            raise ConnectionError("QMP connection closed") from None
        raise ConnectionError("no QMP greeting: %s"
                              % " ".join(str(cause).split())) from None


async def _qmp(lib, path, command, arguments):
    client = lib.QMPClient()
    client._limit = QMP_READ_LIMIT      # pylint: disable=protected-access
    await _qmp_connect(lib, client, path)
    try:
        return await asyncio.wait_for(client.execute(command, arguments),
                                      TIMEOUT)
    except asyncio.TimeoutError:
        raise TimeoutError("timed out") from None
    except lib.ExecuteError as e:
        raise RuntimeError("%s: %s" % (e.error_class,
                                       e.error.error.desc)) from None
    except lib.ExecInterruptedError:
        raise ConnectionError("QMP connection closed") from None
    finally:
        try:
            await client.disconnect()
        except Exception:           # e.g. QEMU quit: we have the answer
            pass


def qmp(path, command, arguments=None):
    """Run one QMP command; return its "return" value, raise on "error"."""
    return asyncio.run(_qmp(_qemu_qmp(), path, command, arguments or None))


_PROMPT = b"(qemu) "
_ESC = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]|\x1b[=>]?")


def hmp(path, line):
    """Run one HMP command line; return its output as text."""
    with _hmp_connect(path) as s:
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
