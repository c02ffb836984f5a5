#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR Linux-OpenIB
"""The responder-fault study's report (make study, issue 11).

  study-report.py <study.json> <report.md>

Reads what scripts/study.py measured and writes <report.md>, its tables
per link (no loss, 1% loss; then no loss again with the responders'
min_rnr_timer set conservatively, where the study measured that), and
two PNGs next to it,
<report>-throughput.png and <report>-p99.png: the faulting and the
bystander flow's throughput and p99 completion latency against the
fault rate (1/N for every=N, log axis), one line per policy, the point
without faults as a dashed line.  A counter the device did not report
is written "absent", never 0; a policy the device refused is listed
with its answer and drawn not at all.  Needs matplotlib
(python3-matplotlib).  Exit status 1 with a message on bad input.
"""

import os
import sys

from report_input import InputError, read_json  # scripts/report_input.py

PROG = "study-report.py"
ABSENT = "absent"
FLOWS = ("faulting", "bystander")


def load(path):
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("points"), list) \
            or not isinstance(data.get("policies"), dict) \
            or not isinstance(data.get("meta"), dict):
        raise InputError("%s is not a study (meta, policies and points)" % path)
    for p in data["points"]:
        if not isinstance(p, dict) or not isinstance(p.get("flows"), dict) \
                or "policy" not in p or "every" not in p or "loss-ppm" not in p:
            raise InputError("%s: a point without policy, every, loss-ppm "
                             "or flows" % path)
    return data


def measured(data):
    """The points of the report: the warm-up left out."""
    return [p for p in data["points"] if not p.get("warm-up")]


# The InfiniBand min_rnr_timer encoding (IBA table 45), in ms: what a
# requester waits after an RNR NAK naming it.
RNR_MS = (655.36, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.12, 0.16, 0.24,
          0.32, 0.48, 0.64, 0.96, 1.28, 1.92, 2.56, 3.84, 5.12, 7.68, 10.24,
          15.36, 20.48, 30.72, 40.96, 61.44, 81.92, 122.88, 163.84, 245.76,
          327.68, 491.52)


def loss_name(ppm):
    return "no loss" if not ppm else "%g%% loss" % (ppm / 10000)


def rnr_name(t):
    if not isinstance(t, int) or not 0 <= t < len(RNR_MS):
        return "min_rnr_timer %r" % (t,)
    return "min_rnr_timer %d (%g ms)" % (t, RNR_MS[t])


def group_of(p):
    """A point's table: its link, and the responders' min_rnr_timer when
    the study set one (None: the server's own, the main grid)."""
    return (p["loss-ppm"], p.get("min-rnr-timer"))


def group_name(g):
    loss, rnr = g
    return loss_name(loss) + ("" if rnr is None else ", " + rnr_name(rnr))


def num(v, fmt="%d"):
    return ABSENT if v is None else fmt % v


def flow_ok(f):
    return isinstance(f, dict) and "failed" not in f and "mbps" in f


def flow_cells(f):
    if not flow_ok(f):
        why = f.get("failed", "no result") if isinstance(f, dict) else "no result"
        return ["failed: %s" % why, "-"]
    lat = f.get("lat-us")
    if not lat:
        return ["%.1f" % f["mbps"], "no completion"]
    return ["%.1f" % f["mbps"],
            "%.2f / %.2f / %.2f" % (lat["p50"] / 1000, lat["p99"] / 1000,
                                    lat["max"] / 1000)]


def died(p):
    """The flows whose QP died or stuck in the point, and why."""
    out = []
    for name in FLOWS:
        f = p["flows"].get(name)
        if not flow_ok(f):
            continue
        if f.get("errors"):
            out.append("%s: %s" % (name, f.get("first-error") or "error"))
        elif f.get("stuck"):
            out.append("%s: %d WRITEs stuck" % (name, f["stuck"]))
    return "; ".join(out) if out else "0"


def stalled(r):
    n, ns = r.get("port-stalls"), r.get("port-stall-ns")
    if n is None and ns is None:
        return ABSENT
    return "%s / %s" % (num(n), ABSENT if ns is None else "%.1f" % (ns / 1e6))


HEAD = ("| policy | every N | faults injected | faulting MB/s | faulting p50 / p99 / max ms "
        "| bystander MB/s | bystander p50 / p99 / max ms | requester retries | packets resent "
        "| RNR NAKs | port stalls / stalled ms | responder drops | stall-overflow drops "
        "| RNR retry exceeded | QPs died |")


def row(p):
    r, q = p.get("responder") or {}, p.get("requester") or {}
    cells = [p["policy"] if p["every"] else "(no faults)",
             str(p["every"]) if p["every"] else "-",
             num(r.get("faults-injected"))]
    for name in FLOWS:
        cells += flow_cells(p["flows"].get(name))
    cells += [num(q.get("requester-retries")), num(q.get("retransmits")),
              num(r.get("rnr-naks")), stalled(r), num(r.get("responder-drops")),
              num(r.get("rx-stall-overflow")), num(q.get("rnr-retries-exceeded")),
              died(p)]
    return "| " + " | ".join(cells) + " |"


def table(points):
    sep = "|" + "---|" * HEAD.count(" | ") + "---|"
    return "\n".join([HEAD, sep] + [row(p) for p in points])


def groups(data):
    seen = []
    for p in measured(data):
        if group_of(p) not in seen:
            seen.append(group_of(p))
    return seen


def policies(data):
    return [k for k, v in data["policies"].items() if v.get("available")]


def series(data, group, policy, flow, key):
    """(1/N, value) of one policy's line; flows that failed are left out."""
    xs, ys = [], []
    for p in measured(data):
        f = p["flows"].get(flow)
        if group_of(p) != group or p["policy"] != policy or not p["every"] \
                or not flow_ok(f) or (key != "mbps" and not f.get("lat-us")):
            continue
        xs.append(1 / p["every"])
        ys.append(f["mbps"] if key == "mbps" else f["lat-us"]["p99"] / 1000)
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    return [xs[i] for i in order], [ys[i] for i in order]


def baseline(data, loss, flow, key):
    """The point without faults on that link (no RNR NAK there: the
    same for every min_rnr_timer)."""
    for p in measured(data):
        f = p["flows"].get(flow)
        if p["loss-ppm"] == loss and not p["every"] and flow_ok(f) \
                and (key == "mbps" or f.get("lat-us")):
            return f["mbps"] if key == "mbps" else f["lat-us"]["p99"] / 1000
    return None


def plot(data, key, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    ls = groups(data) or [(0, None)]
    pols = policies(data)
    fig, axes = plt.subplots(len(ls), 2, figsize=(11, 3.6 * len(ls)),
                             squeeze=False)
    what = "throughput (MB/s)" if key == "mbps" else "p99 completion latency (ms)"
    for i, grp in enumerate(ls):
        for j, flow in enumerate(FLOWS):
            ax = axes[i][j]
            for pol in pols:
                xs, ys = series(data, grp, pol, flow, key)
                if xs:
                    ax.plot(xs, ys, marker="o", label=pol)
            b = baseline(data, grp[0], flow, key)
            if b is not None:
                ax.axhline(b, linestyle="--", color="grey", label="no faults")
            ax.set_xscale("log")
            if key == "mbps":
                ax.set_ylim(bottom=0)
            else:
                # log only where the latencies span a decade, plain numbers
                ys = [y for ln in ax.get_lines() for y in ln.get_ydata()]
                if ys and min(ys) > 0 and max(ys) / min(ys) > 10:
                    ax.set_yscale("log")
                    plain = FuncFormatter(lambda v, _: "%g" % v)
                    ax.yaxis.set_major_formatter(plain)
                    ax.yaxis.set_minor_formatter(plain)
                else:
                    ax.set_ylim(bottom=0)
            ax.set_title("%s flow, %s" % (flow, group_name(grp)), fontsize="medium")
            ax.set_xlabel("injected fault rate 1/N (every Nth translation)")
            ax.set_ylabel(what)
            ax.grid(True, which="both", alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small")
    gone = [k for k, v in data["policies"].items() if not v.get("available")]
    if gone:
        fig.text(0.01, 0.005, "not available in this device: " + ", ".join(gone),
                 fontsize="small")
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def report(data, md_path):
    base = os.path.splitext(md_path)[0]
    pngs = {"mbps": base + "-throughput.png", "p99": base + "-p99.png"}
    meta = data["meta"]
    qp = meta.get("qp") or {}
    pts = measured(data)
    out = ["# Responder faults: RNR NAK, drop, stall or notify (issue 11)", ""]
    if data.get("aborted"):
        out += ["**The study stopped early: %s.** The tables hold what was "
                "measured before." % data["aborted"], ""]
    out += [
        "Two guests (TCG) joined by a unix-socket wire, an odp-hca in each; "
        "guest b sends RDMA WRITEs to guest a in two flows at once, each its "
        "own RC QP on the same ports: the *faulting* flow into an on-demand "
        "(ODP) region, the *bystander* flow into a pinned one. "
        "Faults: %s. "
        "Each point ran %g s of traffic per flow (then drained); a point "
        "took %s s of wall time in all. The whole study took %s s."
        % (meta.get("injection", "?"), meta.get("seconds-per-point", 0),
           ("%.0f to %.0f" % (min(p.get("wall-seconds", 0) for p in pts),
                              max(p.get("wall-seconds", 0) for p in pts))
            if pts else "-"),
           meta.get("wall-seconds", "?")),
        "",
        "QP settings (requester; min_rnr_timer is the responder's): "
        + (", ".join("%s %s" % kv for kv in qp.items()) if qp else ABSENT)
        + ". Client options `%s`, server options `%s`; link impairment seed %s."
        % (meta.get("client-options", "?"), meta.get("server-options", "?"),
           meta.get("impairment-seed", "?")),
        "",
        "## Policies", "",
        "| policy | in this device |", "|---|---|"]
    for name, v in data["policies"].items():
        out.append("| %s | %s |" % (name, ("yes" + (" (%s)" % v["note"] if v.get("note") else ""))
                                    if v.get("available") else
                                    "not available in this device: %s" % v.get("reason", "?")))
    out += ["",
            "Columns: MB/s is the flow's WRITE payload per second over the "
            "point; latency is from posting a WRITE to polling its "
            "completion (\"no completion\": not one WRITE completed). Requester retries, packets resent and RNR retry "
            "exceeded are the requester's (guest b's) counters; RNR NAKs, "
            "port stalls, responder drops and stall-overflow drops the "
            "responder's (guest a's). \"absent\": this device does not "
            "report that counter. QPs died: flows that ended with an error "
            "completion (its status) or with WRITEs stuck after the drain.",
            ""]
    for grp in groups(data):
        out += ["## %s" % group_name(grp).capitalize(), ""]
        if grp[1] is not None:
            out += ["The responders' QPs take this min_rnr_timer instead: an "
                    "RNR NAK makes the requester wait it whatever the fault "
                    "costs, where a READY after NOT_READY ends the wait when "
                    "the fault is resolved. The point without faults is the "
                    "no-loss one above.", ""]
        out += [table([p for p in pts if group_of(p) == grp]), ""]
    if data.get("skipped"):
        out += ["Skipped (past the time budget): " + ", ".join(
            "%s every=%s %s" % (k.get("policy"), k.get("every") or "-",
                                group_name((k.get("loss-ppm", 0),
                                            k.get("min-rnr-timer"))))
            for k in data["skipped"]) + ".", ""]
    out += ["## Plots", "",
            "![throughput](%s)" % os.path.basename(pngs["mbps"]), "",
            "![p99 latency](%s)" % os.path.basename(pngs["p99"]), "",
            "Raw numbers: %s.json." % os.path.basename(base), ""]
    d = os.path.dirname(md_path)
    if d:
        os.makedirs(d, exist_ok=True)
    plot(data, "mbps", pngs["mbps"])
    plot(data, "p99", pngs["p99"])
    with open(md_path, "w") as f:
        f.write("\n".join(out))
    return [md_path, pngs["mbps"], pngs["p99"]]


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        data = load(argv[1])
    except InputError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("%s: error: matplotlib is missing: install python3-matplotlib "
              "(make setup) and run this with /usr/bin/python3" % PROG,
              file=sys.stderr)
        return 1
    for path in report(data, argv[2]):
        print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
