#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One benchmark report: run every benchmark of the project, merge their results, draw one chart.

  bench/report.py [--build DIR] [--collect-only] [--quick] [--kamailio-count N]

1. bench/run.sh BUILD: bench_core (parse and verdict per message, vs libosip2), bench_rules (ns per message against
   rule count), bench_xdp (the prefilter per path; root), bench_dataplane (the worker per traffic class, pps) and
   bench_swap.py (policy swap latency on a running sipwall, 10 / 1,000 / 10,000 rules), each writing
   bench/results/<name>.json;
2. bench/kamailio/compare.py: Kamailio from Debian against sipwall's core, CPU time per message on the same mix,
   -> bench/results/kamailio.json;
3. all of bench/results/*.json merged into bench/results/report.json, a summary table on stdout, and
   bench/results/report.png (matplotlib): ns per packet per traffic class (dataplane), ns per message against rule
   count (with the swap latencies), the XDP prefilter per path, and the Kamailio row.

--collect-only skips 1-2 (merge and draw what is there); --quick runs fewer, shorter rounds. A bench that is not
built or cannot run (bench_xdp without root) is left out and said so; exit 1 only when a bench failed.
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")


def run(cmd):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def run_all(a):
    failed = []
    extra = ["--", "--rounds", "5", "--round-ms", "20"] if a.quick else []
    # run.sh runs bench_core, bench_rules, bench_xdp, bench_dataplane and bench_swap.py (swap latency)
    if run([os.path.join(HERE, "run.sh"), a.build] + extra):
        failed.append("bench/run.sh")
    rc = run([sys.executable, os.path.join(HERE, "kamailio", "compare.py"), "--build", a.build,
              "--count", str(a.kamailio_count)])
    if rc not in (0, 77):
        failed.append("kamailio/compare.py")
    return failed


def load_results(since=None):
    """Every bench/results/*.json but the report; with since (a time.time()), also the names of the files older
    than it: results of an earlier run that this run did not replace (a bench that failed or was skipped)."""
    out, stale = {}, []
    for path in sorted(glob.glob(os.path.join(RESULTS, "*.json"))):
        name = os.path.basename(path)[:-5]
        if name == "report":
            continue
        try:
            out[name] = json.load(open(path))
        except (OSError, ValueError) as e:
            print(f"report: {path}: {e}", file=sys.stderr)
            continue
        if since is not None and os.path.getmtime(path) < since:
            stale.append(name)
    return out, stale


def summary(res):
    """Headline figures, each with where it comes from."""
    s = {}
    dp = res.get("dataplane", {})
    for m in dp.get("memory", []):
        s[f"dataplane {m['class']} ns/pkt (0 / 1000 rules)"] = (
            round(m["rules_0"]["ns_per_pkt_median"]), round(m["rules_1000"]["ns_per_pkt_median"]))
    for p in dp.get("pps", []):
        s[f"dataplane {p['class']} pps (net_pcap -> net_null)"] = round(p["pps"])
    core = res.get("core", {})
    for r in core.get("rows", []):
        if r["op"] in ("parse+verdict", "parse+verdict+response"):
            s[f"core {r['message']} {r['op']} ns"] = round(r["ns_median"])
    rules = res.get("rules", {})
    for r in rules.get("rows", []):
        if r["message"] == "INVITE":
            s[f"rules {r['set']} INVITE judge ns"] = round(r["judge_ns"])
    xdp = res.get("xdp", {})
    for p in xdp.get("paths", []):
        s[f"xdp {p['path']} ns"] = p["ns_median"]
    for r in res.get("swap", {}).get("results", []):
        s[f"swap {r['rules']} rules: latency / compile ms (median)"] = (round(r["latency_ms"]["median"], 2),
                                                                         round(r["compile_ms"]["median"], 1))
    kam = res.get("kamailio", {})
    if kam:
        s["Kamailio CPU ns/msg (realistic mix)"] = round(kam["kamailio"]["cpu_ns_per_msg"])
        if "kamailio_floor" in kam:
            s["Kamailio CPU ns/msg, empty route (receive path)"] = round(kam["kamailio_floor"]["cpu_ns_per_msg"])
        s["sipwall core CPU ns/msg (same mix)"] = round(kam["sipwall"]["cpu_ns_per_msg"])
        s["Kamailio / sipwall CPU per message"] = round(kam["ratio_cpu_kamailio_over_sipwall"], 1)
    return s


def draw(res, path, stale=()):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(2, 2, figsize=(15, 10.5))
    fig.suptitle("sipwall benchmarks: " + res.get("dataplane", res.get("core", {})).get("machine", {})
                 .get("cpu_model", "") + ", " + datetime.date.today().isoformat(), fontsize=13)

    a = ax[0][0]  # dataplane, per class
    mem = res.get("dataplane", {}).get("memory", [])
    if mem:
        names = [m["class"] for m in mem][::-1]
        y = range(len(names))
        for off, key, label in ((-0.27, "baseline", "forwarding baseline"), (0, "rules_0", "sipwall, 0 rules"),
                                (0.27, "rules_1000", "sipwall, 1,000 literal rules")):
            vals = [m[key]["ns_per_pkt_median"] for m in mem][::-1]
            a.barh([i + off for i in y], vals, height=0.27, label=label)
        a.set_yticks(list(y), names)
        a.set_xlabel("ns per packet (median; one worker, sw_worker_burst, bursts of 32)")
        a.set_title("Dataplane: ns per packet per traffic class")
        a.legend(loc="lower right", fontsize=8)
        a.grid(axis="x", alpha=0.3)
    else:
        a.text(0.5, 0.5, "bench_dataplane: no results", ha="center")

    a = ax[0][1]  # rules against rule count
    rows = res.get("rules", {}).get("rows", [])
    if rows:
        for msg in sorted({r["message"] for r in rows}):
            lit = sorted((r["rules"], r["judge_ns"]) for r in rows if r["message"] == msg and
                         r["set"].startswith("literal-") and "regex" not in r["set"])
            a.plot([x for x, _ in lit], [v for _, v in lit], "o-", label=f"{msg}: literal rules")
            base = [r["baseline_ns"] for r in rows if r["message"] == msg]
            if base:
                a.axhline(sum(base) / len(base), ls=":", lw=1, color=a.lines[-1].get_color(),
                          label=f"{msg}: no rules")
            for r in rows:
                if r["message"] == msg and "regex" in r["set"]:
                    a.plot([r["rules"]], [r["judge_ns"]], "s", color=a.lines[-1].get_color())
                    a.annotate(r["set"], (r["rules"], r["judge_ns"]), fontsize=7, xytext=(4, 4),
                               textcoords="offset points")
        a.set_xscale("log")
        a.set_xlabel("rules in the policy (log)")
        a.set_ylabel("ns per message (parse + rules + verdict, median)")
        a.set_title("Rules: ns per message against rule count")
        a.legend(fontsize=8)
        a.grid(alpha=0.3)
        a.set_ylim(bottom=0)
        swaps = res.get("swap", {}).get("results", [])
        if swaps:
            a.text(0.98, 0.5, "swap latency on a running sipwall\n(commit to all workers, median)\n" +
                   "\n".join(f"{r['rules']:>6,} rules: {r['latency_ms']['median']:.1f} ms "
                             f"(compile {r['compile_ms']['median']:.0f} ms)" for r in swaps),
                   transform=a.transAxes, ha="right", va="center", fontsize=8, family="monospace",
                   bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})

    a = ax[1][0]  # XDP paths + core
    paths = res.get("xdp", {}).get("paths", [])
    core = [r for r in res.get("core", {}).get("rows", []) if r["op"] in ("parse+verdict",
                                                                           "parse+verdict+response")]
    if paths:
        names = [p["path"] for p in paths][::-1]
        a.barh(range(len(names)), [p["ns_median"] for p in paths][::-1], color="tab:green")
        a.set_yticks(range(len(names)), names, fontsize=8)
        a.set_xlabel("ns per packet (BPF_PROG_TEST_RUN, median)")
        a.set_title("XDP prefilter: ns per packet per path")
        a.grid(axis="x", alpha=0.3)
    elif core:
        names = [f"{r['message']} ({r['op']})" for r in core][::-1]
        a.barh(range(len(names)), [r["ns_median"] for r in core][::-1])
        a.set_yticks(range(len(names)), names, fontsize=8)
        a.set_xlabel("ns per message")
        a.set_title("SIP core per message")

    a = ax[1][1]  # Kamailio comparison + core per class
    kam = res.get("kamailio")
    if kam:
        labels = [f"Kamailio {kam['kamailio']['version'].split()[2]}\nsanity, maxfwd, size",
                  "sipwall core\njudge + respond"]
        vals = [kam["kamailio"]["cpu_ns_per_msg"], kam["sipwall"]["cpu_ns_per_msg"]]
        colors = ["tab:red", "tab:blue"]
        if "kamailio_floor" in kam:
            labels.insert(1, "Kamailio\nempty route")
            vals.insert(1, kam["kamailio_floor"]["cpu_ns_per_msg"])
            colors.insert(1, "lightcoral")
        bars = a.bar(labels, vals, color=colors)
        a.set_yscale("log")
        a.set_ylim(min(vals) / 4, max(vals) * 2)
        for b, v in zip(bars, vals):
            a.annotate(f"{v:,.0f} ns", (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom")
        a.set_ylabel("CPU time per message, ns (log)")
        a.set_title(f"Same mix ({kam['sip_messages_in_mix']:,} SIP messages, sipgen realistic): "
                    f"Kamailio / sipwall = {kam['ratio_cpu_kamailio_over_sipwall']:.0f}x", fontsize=10)
        a.grid(axis="y", alpha=0.3)
    else:
        a.text(0.5, 0.5, "Kamailio comparison: no results", ha="center")
    for a, name in ((ax[0][0], "dataplane"), (ax[0][1], "rules"), (ax[1][0], "xdp"), (ax[1][1], "kamailio")):
        if name in stale:
            date = res[name].get("machine", {}).get("date", "an earlier run")
            a.set_title(a.get_title() + f"\n(not re-run: results of {date})", fontsize=10, color="tab:red")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--collect-only", action="store_true", help="merge and draw the results already there")
    ap.add_argument("--quick", action="store_true", help="5 rounds of 20 ms per row")
    ap.add_argument("--kamailio-count", type=int, default=100000)
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    started = time.time()
    failed = [] if a.collect_only else run_all(a)
    res, stale = load_results(None if a.collect_only else started)
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip()
    missing = [b for b in ("core", "rules", "xdp", "dataplane", "swap", "kamailio") if b not in res]
    s = summary(res)
    report = {"generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "revision": rev, "missing": missing, "failed": failed,
              "stale": stale, "summary": s, "benches": res}
    with open(os.path.join(RESULTS, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    png = os.path.join(RESULTS, "report.png")
    try:
        draw(res, png, stale)
    except ImportError:
        print("report: matplotlib missing (apt-get install python3-matplotlib): no chart", file=sys.stderr)
        png = None
    width = max(len(k) for k in s) if s else 10
    print(f"\n== sipwall benchmark report ({rev})")
    for k, v in s.items():
        print(f"  {k:{width}}  {v}")
    if missing:
        print("  not in this report: " + ", ".join(missing))
    if stale:
        print("  from an earlier run (not replaced by this one): " + ", ".join(stale))
    if failed:
        print("  FAILED in this run: " + ", ".join(failed))
    print(f"== {os.path.join(RESULTS, 'report.json')}" + (f", {png}" if png else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
