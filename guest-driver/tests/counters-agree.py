#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""Do the device's and the driver's counters agree about the fault path?

  counters-agree.py <driver-before> <driver-after> <device-before> <device-after>

The driver's counters are "name value" lines (the files of
/sys/class/infiniband/<dev>/ports/1/hw_counters, as `rdma statistic`
shows them); the device's are query-odp-hca's JSON answer (the QMP
command, run on the host by scripts/monitor.py for the guest).  Both are
compared as differences between the two snapshots.  Prints one line per
check, "ok - ..." or "not ok - ...", with "# ..." details.

What the driver counts (guest-driver/kernel/odp_hca_stats.c) against
what the device counts (hw/odp-hca-fault.c, hw/odp-hca-cmd.c):
  odp_faults_requester/_responder  each fault event received, by side
  odp_faults_read/_write/_atomic   the same, by access
  odp_resumes                      RESUME commands sent (OK or FAIL)
  odp_faults_failed                faults answered RESUME(FAIL)
  odp_resume_errors                RESUMEs the device refused
  odp_invalidations                INVALIDATEs from the MMU notifier; the
                                   driver also sends one after every
                                   DESTROY_MR (the barrier for DMA in
                                   flight), which it does not count there
  commands / command_errors        every command / those that failed
"""

import json
import sys


def driver(path):
    c = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                c[parts[0]] = int(parts[1])
    return c


def device(path):
    with open(path) as f:
        devs = json.load(f)
    if len(devs) != 1:
        raise SystemExit("not ok - query-odp-hca lists %d devices, expected 1"
                         % len(devs))
    c = dict(devs[0]["counters"])
    for cc in c.pop("commands"):
        c["cmd:" + cc["command"]] = cc["count"]
    return c


def delta(a, b):
    return {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 2
    v = delta(driver(argv[1]), driver(argv[2]))
    d = delta(device(argv[3]), device(argv[4]))
    dv = lambda k: d.get(k, 0)
    vv = lambda k: v.get(k, 0)
    failed = 0

    def check(ok, desc, *details):
        nonlocal failed
        print("%s - %s" % ("ok" if ok else "not ok", desc))
        if not ok:
            failed += 1
            for line in details:
                print("#   " + line)

    dev_cmds = sum(n for k, n in d.items() if k.startswith("cmd:"))
    print("# device (query-odp-hca, over QMP from the host), during the suite:")
    print("#   faults requester %d responder %d | read %d write %d atomic %d"
          " | injected %d" % (dv("faults-requester"), dv("faults-responder"),
                              dv("faults-read"), dv("faults-write"),
                              dv("faults-atomic"), dv("faults-injected")))
    print("#   resumes ok %d failed %d | invalidations %d (entries %d)"
          " | commands %d (errors %d) | RNR NAKs %d | events dropped %d"
          % (dv("resumes-ok"), dv("resumes-failed"), dv("invalidations"),
             dv("entries-invalidated"), dev_cmds, dv("command-errors"),
             dv("rnr-naks"), dv("events-dropped")))
    print("# driver (hw_counters, rdma statistic), during the suite:")
    print("#   " + " ".join("%s %d" % (k, v[k]) for k in sorted(v) if v[k]))

    req, resp = dv("faults-requester"), dv("faults-responder")
    check(req == vv("odp_faults_requester") and
          resp == vv("odp_faults_responder") and
          req + resp == vv("odp_faults") and req > 0 and resp > 0,
          "counters agree: faults by side, device requester %d + responder "
          "%d = driver %d + %d, both > 0"
          % (req, resp, vv("odp_faults_requester"),
             vv("odp_faults_responder")),
          "driver odp_faults %d" % vv("odp_faults"))

    acc = [(dv("faults-" + k), vv("odp_faults_" + k))
           for k in ("read", "write", "atomic")]
    check(all(a == b for a, b in acc),
          "counters agree: faults by access, device read/write/atomic "
          "%d/%d/%d = driver %d/%d/%d" % tuple(
              [a for a, _ in acc] + [b for _, b in acc]))

    ok_, fail_ = dv("resumes-ok"), dv("resumes-failed")
    resumes, ffail, rerr = (vv("odp_resumes"), vv("odp_faults_failed"),
                            vv("odp_resume_errors"))
    if rerr == 0:
        agree = ok_ == resumes - ffail and fail_ == ffail
    else:
        # a refused RESUME could have been an OK or a FAIL one
        agree = (ok_ + fail_ == resumes - rerr and
                 fail_ <= ffail <= fail_ + rerr)
    check(agree and dv("cmd:RESUME") == resumes and ok_ > 0 and fail_ > 0,
          "counters agree: resumes, device ok %d failed %d = driver %d "
          "resumes - %d failed faults (%d refused), both > 0"
          % (ok_, fail_, resumes, ffail, rerr),
          "device RESUME commands %d" % dv("cmd:RESUME"))

    check(req + resp == ok_ + fail_ and vv("odp_faults") == resumes,
          "counters agree: every fault raised was resolved, device %d faults"
          " = %d resumed + %d failed, driver %d faults = %d RESUMEs"
          % (req + resp, ok_, fail_, vv("odp_faults"), resumes))

    inv, notif, dmr = (dv("invalidations"), vv("odp_invalidations"),
                       dv("cmd:DESTROY_MR"))
    check(inv == dv("cmd:INVALIDATE") and inv == notif + dmr and notif > 0,
          "counters agree: invalidations, device %d INVALIDATE = driver %d "
          "(MMU notifier) + %d (after DESTROY_MR), > 0" % (inv, notif, dmr),
          "device INVALIDATE commands %d" % dv("cmd:INVALIDATE"))

    check(dev_cmds == vv("commands") and
          dv("command-errors") == vv("command_errors"),
          "counters agree: commands, device %d (errors %d) = driver %d "
          "(errors %d)" % (dev_cmds, dv("command-errors"), vv("commands"),
                           vv("command_errors")))

    check(dv("events-dropped") == 0,
          "no fault or completion event dropped (device: %d)"
          % dv("events-dropped"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
