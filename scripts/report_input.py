# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Reading a measurement's JSON for the report scripts (study-report.py,
bench-report.py): a file that cannot be read or is not JSON becomes an
InputError with a message for the user, never a traceback.

Copyright (c) 2026 The odp-hca developers
"""

import json


class InputError(Exception):
    pass


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise InputError("cannot read %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise InputError("%s is not JSON: %s" % (path, e))
