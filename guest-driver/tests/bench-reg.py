#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Registration times for make bench (guest-driver/tests/bench-guest.py).

  bench-reg.py <ib device>

Prints one JSON line per figure ({"kind": "reg", ...}): the time
ibv_reg_mr (pyverbs) takes for a 64 MiB, 1 GiB and 16 GiB region,
median of 3, with the memory mapped by mmap(2) first:

  pinned     the pages touched first, so that pinning finds them
             present (16 GiB would not fit the guest: not tried);
  odp        IBV_ACCESS_ON_DEMAND over the same mapping, untouched
             (MAP_NORESERVE: 16 GiB of address space, no memory);
  implicit   one implicit on-demand MR (the whole address space);

and the time to register 10000 pinned 4 KiB MRs, and to deregister
them.  Exit status 1 when pyverbs or the device is missing.
"""

import ctypes
import json
import mmap
import statistics
import sys
import time

try:
    from pyverbs.device import Context
    from pyverbs.pd import PD
    from pyverbs.mr import MR
    import pyverbs.enums as e
except ImportError as err:
    sys.exit("bench-reg.py: pyverbs: %s" % err)

MiB = 1 << 20
SIZES = (64 * MiB, 1024 * MiB, 16384 * MiB)
PINNED_MAX = 1024 * MiB
ACCESS = e.IBV_ACCESS_LOCAL_WRITE | e.IBV_ACCESS_REMOTE_WRITE | \
    e.IBV_ACCESS_REMOTE_READ
MAP_NORESERVE = 0x4000

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long)
libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
libc.memset.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t)


def map_anon(size, touch):
    addr = libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE,
                     mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap %d bytes" % size)
    if touch:
        libc.memset(addr, 1, size)
    return addr


def timed_reg(pd, size, access, touch=False, implicit=False):
    """Median seconds of 3 registrations (each deregistered after)."""
    times = []
    addr = None if implicit else map_anon(size, touch)
    try:
        for _ in range(3):
            t0 = time.perf_counter()
            if implicit:
                mr = MR(pd, 0, access, implicit=True)
            else:
                mr = MR(pd, size, access, address=addr)
            times.append(time.perf_counter() - t0)
            mr.close()
    finally:
        if addr is not None:
            libc.munmap(addr, size)
    return statistics.median(times)


def emit(**rec):
    print(json.dumps(dict(kind="reg", **rec)), flush=True)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench-reg.py <ib device>")
    with Context(name=sys.argv[1]) as ctx, PD(ctx) as pd:
        for size in SIZES:
            if size <= PINNED_MAX:
                emit(mem="pinned", bytes=size,
                     seconds=timed_reg(pd, size, ACCESS, touch=True))
            emit(mem="odp", bytes=size,
                 seconds=timed_reg(pd, size, ACCESS | e.IBV_ACCESS_ON_DEMAND))
        emit(mem="implicit", bytes=None,
             seconds=timed_reg(pd, 0, ACCESS | e.IBV_ACCESS_ON_DEMAND,
                               implicit=True))
        n, size = 10000, 4096
        addr = map_anon(n * size, True)
        mrs = []
        t0 = time.perf_counter()
        for i in range(n):
            mrs.append(MR(pd, size, ACCESS, address=addr + i * size))
        t1 = time.perf_counter()
        for mr in mrs:
            mr.close()
        t2 = time.perf_counter()
        libc.munmap(addr, n * size)
        emit(mem="pinned", bytes=size, count=n, seconds=t1 - t0,
             dereg_seconds=t2 - t1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
