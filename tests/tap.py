# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""TAP for the host-side test scripts (tests/plot, tests/bench).

    tap = Tap()
    tap(ok, "name", diag)        # "ok N - name", or "not ok" and diag
    tap(True, "name", skip=why)  # "ok N - name # SKIP why"
    return tap.plan()            # "1..N"; 1 when a test failed

Copyright (c) 2026 The odp-hca developers
"""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def __call__(self, ok, name, diag=None, skip=None):
        self.n += 1
        if skip is not None:
            print(f"ok {self.n} - {name} # SKIP {skip}", flush=True)
            return True
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}", flush=True)
        if not ok:
            self.failed += 1
            for line in str(diag or "").splitlines():
                print(f"#   {line}", flush=True)
        return ok

    def plan(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0
