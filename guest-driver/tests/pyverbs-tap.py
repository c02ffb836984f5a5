#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Run rdma-core's own pyverbs test modules (tests/test_*.py of the
build/rdma-core-src-<series> tree) and print one line per test case for
check-guest.sh to turn into TAP:

    PASS <id> | FAIL <id> | SKIP <id> <reason>
    # <detail lines of failures>

Usage: pyverbs-tap.py <rdma-core-src> --dev odp_hca0 --gid N test_odp ...
"""
import errno
import os
import struct
import sys
import unittest
from importlib.machinery import SourceFileLoader


def ucma_write_cm_event():
    """None when the kernel's rdma_ucm has RDMA_USER_CM_CMD_WRITE_CM_EVENT
    (not in 6.12's, in 7.2's), else why not.  librdmacm's
    rdma_resolve_addrinfo() (rdma-core 65) queues its event through it.
    Probe: the command with an id no one has; a kernel that knows the
    command answers ENOENT, one that does not EINVAL."""
    cmd = 24  # RDMA_USER_CM_CMD_WRITE_CM_EVENT, kernel-headers/rdma/rdma_user_cm.h
    try:
        fd = os.open('/dev/infiniband/rdma_cm', os.O_RDWR)
    except OSError:
        return None  # no rdma_ucm: let the test find out
    try:
        os.write(fd, struct.pack('<IHHI', cmd, 256, 0, 0xffffffff) + bytes(252))
    except OSError as ex:
        if ex.errno == errno.EINVAL:
            return (f'the kernel ({os.uname().release}) has no '
                    'RDMA_USER_CM_CMD_WRITE_CM_EVENT (newer than 6.12), which '
                    'rdma_resolve_addrinfo() needs')
    finally:
        os.close(fd)
    return None


# Tests that need a kernel interface the guest's kernel may lack, and the
# probe saying why they cannot run (None: they run).  Nothing of the
# device's or the driver's goes here.
KERNEL_NEEDS = {
    'test_rdmacm.CMTestCase.test_rdmacm_async_resolve_addrinfo': ucma_write_cm_event,
}


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main():
    src = sys.argv.pop(1)
    testdir = os.path.join(src, 'tests')
    sys.path.insert(0, testdir)
    from args_parser import parser  # rdma-core's: --dev, --gid, ...
    tests = SourceFileLoader('tests', os.path.join(testdir, '__init__.py')).load_module()
    parser.parse_args()  # leaves the module names in sys.argv[1:]
    suite = unittest.TestSuite()
    for name in sys.argv[1:]:
        mod = sys.modules.get('tests.' + name) or getattr(tests, name, None)
        if mod is None:
            print(f'FAIL {name} (no such test module)')
            continue
        for t in flatten(unittest.defaultTestLoader.loadTestsFromModule(mod)):
            probe = KERNEL_NEEDS.get(t.id().removeprefix('tests.'))
            why = probe() if probe else None
            if why:
                print(f'SKIP {t.id()} {why}', flush=True)
            else:
                suite.addTest(t)

    class Tap(unittest.TestResult):
        def addSuccess(self, test):
            print(f'PASS {test.id()}', flush=True)

        def addSkip(self, test, reason):
            print(f'SKIP {test.id()} {reason}', flush=True)

        def _bad(self, test, err):
            print(f'FAIL {test.id()}', flush=True)
            for line in self._exc_info_to_string(err, test).splitlines()[-12:]:
                print(f'# {line}', flush=True)

        def addFailure(self, test, err):
            self._bad(test, err)

        def addError(self, test, err):
            self._bad(test, err)

        def addExpectedFailure(self, test, err):
            print(f'SKIP {test.id()} expected failure', flush=True)

        def addUnexpectedSuccess(self, test):
            print(f'FAIL {test.id()} (unexpected success)', flush=True)

    result = Tap()
    suite.run(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
