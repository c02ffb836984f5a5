#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Feed a QTest trace to QEMU one command at a time.

    qtest-replay.py <trace> <qemu-system-x86_64> [qemu args...]

Starts QEMU with "-qtest stdio" appended, sends each command of the trace
and waits for its answer before the next one, so that QEMU's main loop
runs (bottom halves, as odp-hca's command queue and QPs use) between
commands, as it does between the operations of a generic-fuzz input.
Piping the whole trace at once (the shell reproducer of
scripts/oss-fuzz/output_reproducer.py) lets QEMU read many commands
before a bottom half runs, and a fault or reset may then not happen.
QEMU's own output goes to stderr; exits with QEMU's status when it dies
(a sanitizer report, for one), 0 when every command was answered.
"""

import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    trace, qemu = sys.argv[1], sys.argv[2:]
    p = subprocess.Popen(qemu + ["-qtest", "stdio"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
    n = 0
    with open(trace) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                p.stdin.write(line)
                p.stdin.flush()
            except BrokenPipeError:
                break
            while True:
                r = p.stdout.readline()
                if not r or r.startswith(("OK", "FAIL", "ERR")):
                    break
            if not r:
                break
            n += 1
    alive = p.poll() is None
    if alive:
        p.kill()
    status = p.wait()
    print(f"qtest-replay: {n} commands answered; QEMU "
          f"{'still running, stopped' if alive else f'exited with status {status}'}",
          file=sys.stderr)
    sys.exit(0 if alive else (status if status > 0 else 128 - status))


if __name__ == "__main__":
    main()
