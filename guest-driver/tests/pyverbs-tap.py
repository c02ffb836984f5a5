#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Run rdma-core's own pyverbs test modules (tests/test_*.py of the
build/rdma-core-src tree) and print one line per test case for
check-guest.sh to turn into TAP:

    PASS <id> | FAIL <id> | SKIP <id> <reason>
    # <detail lines of failures>

Usage: pyverbs-tap.py <rdma-core-src> --dev odp_hca0 --gid N test_odp ...
"""
import os
import sys
import unittest
from importlib.machinery import SourceFileLoader


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
        suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(mod))

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
