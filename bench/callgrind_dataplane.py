#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per packet through the worker's burst function, per traffic class, under callgrind.

Runs bench_dataplane once per class (--only, one short round) under valgrind --tool=callgrind and reads, from the
call records of the profile, the inclusive instructions per call of sw_worker_burst (divided by the burst of 32) and
of its parts: sw_judge, sw_respond, dp_craft_reply, dp_budget_check and the received UDP checksum
(dp_udp_cksum_ok_mbuf). Instruction counts do not depend on the other processes sharing the CPUs, so two builds
compare on a busy machine where nanoseconds do not.

valgrind cannot decode AVX-512: build with -Dc_args=-march=x86-64-v3 (add -g for callgrind_annotate), e.g.
  meson setup build-cg -Dc_args=-march=x86-64-v3,-g && ninja -C build-cg bench/bench_dataplane
  bench/callgrind_dataplane.py build-cg [--classes 400 413 483] [--keep DIR]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

CLASSES = ["400 no Call-ID", "413", "414", "420", "483", "505", "INVITE+SDP 802.1Q", "non-SIP UDP"]
PARTS = ["sw_worker_burst", "sw_judge", "sw_respond", "dp_craft_reply", "dp_budget_check", "dp_udp_cksum_ok_mbuf"]
BURST = 32


def per_call(path, event="Ir", skip_callers=("op_core",)):
    """{function: (calls, inclusive count of event)} summed over every call site in a callgrind profile but those in
    a function of skip_callers: by default bench_dataplane's core-only rows (op_core: sw_judge under the 1,000-rule
    policy only), whose calls would otherwise weigh in the parts' averages and move their difference into rest."""
    names, calls, incl = {}, collections.Counter(), collections.Counter()
    fn, cfn, pending, col = None, None, None, 0

    def name(s):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?", s)
        if not m:
            return s
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), s)

    with open(path) as f:
        for line in f:
            if line.startswith("events:"):
                col = 1 + line.split()[1:].index(event)
            elif line.startswith("fn="):
                fn = name(line[3:].strip())
            elif line.startswith("cfn="):
                cfn = name(line[4:].strip())
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0])
            elif pending is not None and line[:1] and (line[0].isdigit() or line[0] in "+-*"):
                fields = line.split()
                if fn not in skip_callers:
                    calls[cfn] += pending
                    incl[cfn] += int(fields[col]) if len(fields) > col else 0
                pending = None
    return {fn: (calls[fn], incl[fn]) for fn in calls}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", help="meson build directory with bench/bench_dataplane")
    ap.add_argument("--classes", nargs="+", default=CLASSES, help="--only substrings, one run each")
    ap.add_argument("--keep", help="keep the callgrind profiles in this directory")
    ap.add_argument("--cache-sim", action="store_true",
                    help="also simulate the caches (valgrind's model, not the CPU's): L1 instruction-cache misses per "
                         "packet and per part, for code that outgrows the L1i")
    a = ap.parse_args()
    exe = os.path.join(a.build, "bench", "bench_dataplane")
    if not os.access(exe, os.X_OK):
        print(f"callgrind_dataplane: {exe}: not built", file=sys.stderr)
        return 1
    out_dir = a.keep or tempfile.mkdtemp(prefix="cg_dataplane.")
    os.makedirs(out_dir, exist_ok=True)
    head = f"{'class':22} {'Ir/pkt':>7} {'judge':>6} {'respond':>7} {'craft':>6} {'budget':>6} {'udp ck':>6} {'rest':>6}"
    print(head + (f"  {'I1mr/pkt':>8} {'judge':>6} {'respond':>7} {'craft':>6}" if a.cache_sim else ""))
    for c in a.classes:
        prof = os.path.join(out_dir, "cg." + re.sub(r"[^A-Za-z0-9]+", "_", c))
        cmd = ["valgrind", "--tool=callgrind", f"--cache-sim={'yes' if a.cache_sim else 'no'}",
               f"--callgrind-out-file={prof}", exe, "--pps-ms", "0", "--rounds", "1",
               "--round-ms", "10", "--only", c, "--json", os.path.join(out_dir, "bench.json"), "--quiet"]
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print(f"callgrind_dataplane: {c}: bench_dataplane failed:\n{r.stderr[-2000:]}", file=sys.stderr)
            return 1
        pc = per_call(prof)
        v = {p: (pc[p][1] / pc[p][0] if p in pc and pc[p][0] else 0.0) for p in PARTS}
        pkt = v["sw_worker_burst"] / BURST
        # the parts are per call; every packet of these single-class runs takes each part at most once
        rest = pkt - sum(v[p] for p in PARTS[1:])
        line = (f"{c:22} {pkt:7.0f} {v['sw_judge']:6.0f} {v['sw_respond']:7.0f} {v['dp_craft_reply']:6.0f} "
                f"{v['dp_budget_check']:6.0f} {v['dp_udp_cksum_ok_mbuf']:6.0f} {rest:6.0f}")
        if a.cache_sim:
            mc = per_call(prof, "I1mr")
            m = {p: (mc[p][1] / mc[p][0] if p in mc and mc[p][0] else 0.0) for p in PARTS}
            line += (f"  {m['sw_worker_burst'] / BURST:8.1f} {m['sw_judge']:6.1f} {m['sw_respond']:7.1f} "
                     f"{m['dp_craft_reply']:6.1f}")
        print(line)
        if not a.keep:
            os.unlink(prof)
    if not a.keep:
        for f in os.listdir(out_dir):
            os.unlink(os.path.join(out_dir, f))
        os.rmdir(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
