#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""The responder-fault study's measurements (make study, issue 11).

  study.py <out.json>

Boots two guests joined by a wire, once, the way check-wire2.sh does
(scripts/vm.sh twice, -netdev stream over a unix socket under
$STUDY_DIR, default build/study, one odp-hca with id hca0 in each),
guest-driver/tests/study-guest.sh in both: guest a is the responder,
guest b the requester.  Then, for each link (no loss, then 1% loss on
both ports: odp-hca-set-link-impairment loss=10000) and each responder
fault policy (odp-hca-set-responder-fault on both devices), it measures
one point per fault rate: odp-hca-inject-faults every=N on the
responder's device (every Nth translation of an on-demand region
faults, so only the faulting flow's ODP region is hit), both flows run
for a few seconds at once, the faulting flow's RDMA WRITEs into guest
a's ODP region and the bystander's into its pinned one, on their own
QPs of the same ports.  Before each point the counters are reset,
after it both devices' are read (query-odp-hca).  One point per link
without injection is the baseline.  Everything goes over the QEMUs' QMP
sockets (scripts/monitor.py), the guests only run the flows.

Then, with no loss, the policies whose requester waits on a timer the
responder names (rnr and notify) again at every fault rate, with each
responder QP's min_rnr_timer set to a conservative value: the RNR NAK's
wait is then long against the fault service, which is where notify's
"ready" message should earn its keep.

A policy the device refuses (no such command, or it names another
policy) is recorded as not available with the device's answer, and
measured not at all; "rnr" without the command is the device's only
behaviour and is measured.  A counter the device does not report is
left out of the point (null in the JSON), never taken as 0.

Writes <out.json> (the raw numbers; scripts/study-report.py turns them
into the report), even when the study stops early (then "aborted" says
why) and exits 1 in that case.

Environment: QEMU, STUDY_DIR (build/study), STUDY_SECONDS (traffic per
point, 6), STUDY_RATES (every= values, "100000 10000 1000 100 10"),
STUDY_POLICIES ("rnr drop stall notify"), STUDY_LOSSES (parts per
million, "0 10000"), STUDY_CLIENT_OPTS (study-rdma client options,
"-T 14 -r 7 -n 7 -b 16384 -q 8 -D 10"), STUDY_SERVER_OPTS ("-m 12 -s
1048576"), STUDY_RNR_TIMERS (the conservative min_rnr_timer values,
"20": 10.24 ms; "" for none), STUDY_RNR_POLICIES ("rnr notify"),
STUDY_TIMEOUT (seconds the guests may live, 1500),
STUDY_BUDGET (seconds from the start after which the points left are
skipped, and listed as such, 660: make study must end within 20 minutes
of a clean clone, builds included).
"""

import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kernel_series():
    """The guest kernel series, as scripts/lib.sh has it."""
    return subprocess.run(
        ["bash", "-c", 'source scripts/lib.sh && odp_kernel_check && '
         'echo "$ODP_KERNEL_SERIES"'], cwd=ROOT, check=True,
        stdout=subprocess.PIPE, text=True).stdout.strip()


sys.path.insert(0, os.path.join(ROOT, "scripts"))
import monitor  # noqa: E402  (scripts/monitor.py)

MAC = {"a": "52:54:00:0d:02:01", "b": "52:54:00:0d:02:02"}
DEV = "hca0"
SEED = 1
DRAIN = 20      # at least the client's -D: a point's longest wait after it


def env_list(name, default, conv=str):
    return [conv(x) for x in os.environ.get(name, default).split()]


class Aborted(Exception):
    pass


class Study:
    def __init__(self, out_json):
        self.out_json = out_json
        self.w = os.environ.get("STUDY_DIR", "build/study")
        self.secs = float(os.environ.get("STUDY_SECONDS", "6"))
        self.rates = env_list("STUDY_RATES", "100000 10000 1000 100 10", int)
        self.policies = env_list("STUDY_POLICIES", "rnr drop stall notify")
        self.losses = env_list("STUDY_LOSSES", "0 10000", int)
        self.copts = os.environ.get("STUDY_CLIENT_OPTS",
                                    "-T 14 -r 7 -n 7 -b 16384 -q 8 -D 10")
        self.sopts = os.environ.get("STUDY_SERVER_OPTS", "-m 12 -s 1048576")
        self.rnr_timers = env_list("STUDY_RNR_TIMERS", "20", int)
        self.rnr_policies = env_list("STUDY_RNR_POLICIES", "rnr notify")
        self.tmo = int(os.environ.get("STUDY_TIMEOUT", "1500"))
        self.budget = float(os.environ.get("STUDY_BUDGET", "660"))
        self.procs = {}
        self.point_no = 0
        self.t0 = time.monotonic()
        self.data = {
            "meta": {
                "seconds-per-point": self.secs,
                "rates-every": self.rates,
                "losses-ppm": self.losses,
                "rnr-timers": self.rnr_timers,
                "impairment-seed": SEED,
                "client-options": self.copts,
                "server-options": self.sopts,
                "injection": "QMP odp-hca-inject-faults every=N on the "
                             "responder's device (guest a): every Nth "
                             "translation of an on-demand region faults. "
                             "Not a guest-side page dropper: injection "
                             "hits the ODP region only, at a rate that "
                             "does not depend on guest timing, and costs "
                             "no guest CPU, which under TCG would slow "
                             "both flows",
                "started": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                         time.gmtime()),
            },
            "policies": {},
            "points": [],
            "skipped": [],
            "aborted": None,
        }

    # --- the guests ---------------------------------------------------
    def out(self, g):
        return os.path.join(self.w, g, "out")

    def qmp_sock(self, g):
        return os.path.join(self.w, g, "qmp.sock")

    def boot(self):
        sock = os.path.join(self.w, "link.sock")
        for g in "ab":
            os.makedirs(os.path.join(self.w, g), exist_ok=True)
            # the initramfs of the guest kernel series, as vm.sh names it
            initrd = "initramfs-%s.cpio.gz" % kernel_series()
            link = os.path.join(self.w, g, initrd)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(os.path.relpath(os.path.join(ROOT, "build", "vm",
                                                    initrd),
                                       os.path.join(self.w, g)), link)
            shutil.rmtree(self.out(g), ignore_errors=True)
        if os.path.lexists(sock):
            os.unlink(sock)
        for g in "ab":
            if g == "a":
                nd = "stream,id=p0,server=on,addr.type=unix,addr.path=" + sock
            else:
                nd = ("stream,id=p0,server=off,reconnect-ms=1000,"
                      "addr.type=unix,addr.path=" + sock)
                # b connects once a's QEMU listens
                self.wait(lambda: os.path.exists(sock), 30, "a's link socket")
            env = dict(os.environ, VM_DIR=os.path.join(self.w, g),
                       VM_QUIET="1", VM_TIMEOUT=str(self.tmo),
                       VM_DEVICE="odp-hca,id=%s,netdev=p0,mac=%s" % (DEV, MAC[g]),
                       VM_EXTRA="-netdev " + nd)
            cmd = ("STUDY_ROLE=%s STUDY_MAC=%s STUDY_OUT=%s "
                   "STUDY_CLIENT_OPTS='%s' STUDY_SERVER_OPTS='%s' "
                   "guest-driver/tests/study-guest.sh"
                   % (g, MAC[g], self.out(g), self.copts, self.sopts))
            log = open(os.path.join(self.w, g + ".log"), "w")
            self.procs[g] = subprocess.Popen(
                [os.path.join(ROOT, "scripts", "vm.sh"), "-c", cmd],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
        for g in "ab":
            self.wait(lambda g=g: os.path.exists(os.path.join(self.out(g), "ready")),
                      300, "guest %s to be ready" % g)
        self.say("both guests up after %.0f s" % (time.monotonic() - self.t0))

    def wait(self, cond, secs, what):
        end = time.monotonic() + secs
        while not cond():
            for g, p in self.procs.items():
                err = os.path.join(self.out(g), "error")
                if os.path.exists(err):
                    raise Aborted(open(err).read().strip())
                if p.poll() is not None:
                    raise Aborted("guest %s stopped (exit %d) while waiting "
                                  "for %s; console in %s/%s.log"
                                  % (g, p.returncode, what, self.w, g))
            if time.monotonic() > end:
                raise Aborted("timed out after %d s waiting for %s" % (secs, what))
            time.sleep(0.1)

    def shutdown(self):
        for g in self.procs:
            try:
                with open(os.path.join(self.out(g), "done"), "w"):
                    pass
            except OSError:
                pass
        end = time.monotonic() + 60
        for g, p in self.procs.items():
            try:
                p.wait(max(1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("guest %s did not power off: quitting its QEMU" % g)
                try:
                    monitor.qmp(self.qmp_sock(g), "quit")
                except Exception:
                    pass
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.terminate()
                    p.wait()

    # --- the devices ----------------------------------------------------
    def qmp(self, g, cmd, args=None):
        return monitor.qmp(self.qmp_sock(g), cmd, args)

    def query(self, g):
        return self.qmp(g, "query-odp-hca", {"id": DEV})[0]

    def set_policy(self, policy):
        """None when the device took it, else why not."""
        for g in "ab":
            try:
                self.qmp(g, "odp-hca-set-responder-fault",
                         {"id": DEV, "policy": policy})
            except RuntimeError as e:
                if policy == "rnr" and "CommandNotFound" in str(e):
                    self.data["policies"][policy] = {
                        "available": True,
                        "note": "the device has no odp-hca-set-responder-fault: "
                                "RNR NAK is its only behaviour"}
                    return None
                return str(e)
            have = self.query(g).get("responder-fault")
            if have is not None and have != policy:
                return "query-odp-hca reports responder-fault %r after " \
                       "setting %r" % (have, policy)
        self.data["policies"][policy] = {"available": True}
        return None

    def impair(self, loss):
        for g in "ab":
            args = {"id": DEV}
            if loss:
                args.update(loss=loss, seed=SEED)
            self.qmp(g, "odp-hca-set-link-impairment", args)

    # --- one point --------------------------------------------------------
    def point(self, policy, every, loss, warm=False, rnr=None):
        """rnr: the responder QPs' min_rnr_timer, None for the server's."""
        t = time.monotonic()
        if t - self.t0 > self.budget:
            self.data["skipped"].append({"policy": policy, "every": every,
                                         "loss-ppm": loss, "min-rnr-timer": rnr})
            self.say("point %s every=%s loss=%d skipped: past the %g s budget"
                     % (policy, every or "-", loss, self.budget))
            return None
        for g in "ab":
            self.qmp(g, "odp-hca-reset-stats", {"id": DEV})
        self.qmp("a", "odp-hca-inject-faults",
                 {"id": DEV, "every": every} if every else {"id": DEV})
        self.point_no += 1
        n = self.point_no
        name = os.path.join(self.out("b"), "point.%d" % n)
        with open(name + ".tmp", "w") as f:
            f.write("seconds %g warm %d%s\n" % (1 if warm else self.secs, warm,
                                                "" if rnr is None else " rnr %d" % rnr))
        os.rename(name + ".tmp", name)
        res = os.path.join(self.out("b"), "result.%d" % n)
        self.wait(lambda: os.path.exists(res), self.secs + DRAIN + 120,
                  "point %d's result" % n)
        self.qmp("a", "odp-hca-inject-faults", {"id": DEV})
        flows = {}
        with open(res) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        j = json.loads(line)
                    except ValueError as e:
                        j = {"flow": "?", "failed": "bad JSON line: %s" % e}
                    flows[j.get("flow", "?")] = j
        p = {"policy": policy, "every": every, "loss-ppm": loss,
             "min-rnr-timer": rnr, "warm-up": warm, "flows": flows,
             "responder": device_numbers(self.query("a")),
             "requester": device_numbers(self.query("b")),
             "wall-seconds": round(time.monotonic() - t, 1)}
        self.data["points"].append(p)
        self.say("point %d: %-6s every=%-6s loss=%-5d%s faulting %s, bystander %s (%.0f s)"
                 % (n, policy, every or "-", loss,
                    "" if rnr is None else " rnr=%d" % rnr,
                    brief(flows.get("faulting")),
                    brief(flows.get("bystander")), p["wall-seconds"]))
        return p

    def run(self):
        try:
            self.boot()
            # Map the ODP region once, untimed (not in the report).
            self.point("none", 0, 0, warm=True)
            available = []
            for pol in self.policies:
                why = self.set_policy(pol)
                if why:
                    self.data["policies"][pol] = {"available": False, "reason": why}
                    self.say("policy %s: not available in this device (%s)" % (pol, why))
                else:
                    available.append(pol)
            for loss in self.losses:
                self.impair(loss)
                if available:
                    self.set_policy(available[0])
                self.point("none", 0, loss)
                for pol in available:
                    self.set_policy(pol)
                    for every in self.rates:
                        self.point(pol, every, loss)
            self.impair(0)
            for rnr in self.rnr_timers:
                for pol in [p for p in self.rnr_policies if p in available]:
                    self.set_policy(pol)
                    for every in self.rates:
                        self.point(pol, every, 0, rnr=rnr)
        except Aborted as e:
            self.data["aborted"] = str(e)
            self.say("aborted: %s" % e)
        except Exception as e:      # a QMP failure: keep what was measured
            self.data["aborted"] = "%s: %s" % (type(e).__name__, e)
            self.say("aborted: %s" % self.data["aborted"])
        finally:
            self.shutdown()
            self.data["meta"]["wall-seconds"] = round(time.monotonic() - self.t0, 1)
            qp = next((f.get("qp") for p in self.data["points"]
                       for f in p["flows"].values() if f.get("qp")), None)
            if qp:
                self.data["meta"]["qp"] = qp
            os.makedirs(os.path.dirname(os.path.abspath(self.out_json)), exist_ok=True)
            with open(self.out_json + ".tmp", "w") as f:
                json.dump(self.data, f, indent=1)
                f.write("\n")
            os.rename(self.out_json + ".tmp", self.out_json)
        return 1 if self.data["aborted"] else 0

    def say(self, msg):
        print("study [%4.0f s] %s" % (time.monotonic() - self.t0, msg), flush=True)


def dig(d, *path):
    for k in path:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


# The numbers of one device the report uses; None where the device has
# no such counter (an older device: never read as 0).
NUMBERS = {
    "responder-fault": ("responder-fault",),
    "rnr-naks": ("counters", "rnr-naks"),
    "requester-retries": ("counters", "requester-retries"),
    "rnr-retries-exceeded": ("counters", "rnr-retries-exceeded"),
    "faults-requester": ("counters", "faults-requester"),
    "faults-responder": ("counters", "faults-responder"),
    "faults-injected": ("counters", "faults-injected"),
    "responder-drops": ("counters", "responder-drops"),
    "port-stalls": ("counters", "port-stalls"),
    "port-stall-ns": ("counters", "port-stall-ns"),
    "rx-stall-overflow": ("port", "drops", "rx-stall-overflow"),
    "retransmits": ("port", "roce", "retransmits"),
    "ack-timeouts": ("port", "roce", "ack-timeouts"),
    "impaired-dropped": ("port", "roce", "impaired", "dropped"),
    "fault-latency-median-ns": ("latency", "median-ns"),
    "fault-latency-p99-ns": ("latency", "p99-ns"),
    "fault-latency-max-ns": ("latency", "max-ns"),
    "fault-latency-count": ("latency", "count"),
}


def device_numbers(info):
    return {k: dig(info, *path) for k, path in NUMBERS.items()}


def brief(f):
    if not f:
        return "no result"
    if "failed" in f:
        return "failed (%s)" % f["failed"]
    lat = f.get("lat-us")
    s = "%.1f MB/s p99 %s" % (f["mbps"], "%.0f us" % lat["p99"] if lat
                                else "- (no completion)")
    if f.get("errors"):
        s += ", QP died: %s" % f.get("first-error")
    if f.get("stuck"):
        s += ", %d stuck" % f["stuck"]
    return s


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    os.chdir(ROOT)
    return Study(argv[1]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
