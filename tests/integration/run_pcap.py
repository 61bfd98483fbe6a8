#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test without a NIC: sipwall between two net_pcap ports, fed the mixed capture.

  run_pcap.py --sipwall BIN --policy FILE --workdir DIR [--keep]

Writes the captures (gen_mixed_pcap.py), runs `sipwall --no-huge -m 512 -l 0,1 --vdev net_pcap0,... --vdev
net_pcap1,... -- --policy FILE --exit-when-idle 500` (one worker: the pcap PMD has one queue per file), then
checks every output frame (check_pcap.py) and the final counters sipwall prints. Exit 77 when the EAL cannot
start here (not root).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pcap  # noqa: E402
import gen_mixed_pcap  # noqa: E402

SKIP = 77
EXIT_EAL = 3


def eal_runtime_dir(prefix):
    """Where the EAL puts its runtime files (and the telemetry socket): /var/run/dpdk/PREFIX for root, else
    $XDG_RUNTIME_DIR/dpdk/PREFIX, or /tmp/dpdk/PREFIX (DPDK 22.11 eal_create_runtime_dir)."""
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return os.path.join(base, "dpdk", prefix)


def eal_base(prefix, lcores="0,1"):
    """The EAL options every integration run gives a DPDK process: no hugepages, its own file prefix, no PCI."""
    return ["--no-huge", "-m", "512", "--file-prefix", prefix, "-l", lcores, "--no-pci", "--log-level",
            "lib.*:notice"]


def eal_args(prefix, d, infinite=False):
    inf = ",infinite_rx=1" if infinite else ""
    tx_out = "" if infinite else f",tx_pcap={d}/out_out.pcap"
    tx_in = "" if infinite else f",tx_pcap={d}/in_out.pcap"
    return eal_base(prefix) + ["--vdev", f"net_pcap0,rx_pcap={d}/out_in.pcap{tx_out}{inf}",
                               "--vdev", f"net_pcap1,rx_pcap={d}/in_in.pcap{tx_in}{inf}"]


def run_sipwall(args, prefix, extra, timeout=120):
    cmd = [args.sipwall] + eal_args(prefix, args.workdir) + ["--", "--policy", args.policy] + extra
    print("+", " ".join(cmd), flush=True)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        # a clean exit removes the EAL's runtime directory itself (dp_eal_cleanup())
        p.left_runtime_dir = os.path.exists(eal_runtime_dir(prefix))
    finally:
        shutil.rmtree(eal_runtime_dir(prefix), ignore_errors=True)
    return p


def parse_counters(stdout):
    c = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            c[parts[0]] = int(parts[1])
    return c


def expected_counters(exp):
    """What the final counters must say, from the cases (and the classes gen_mixed_pcap.py gives them)."""
    cases = exp["cases"]
    names = {c["name"]: c for c in cases}

    def n(name):
        return len(names[name]["frames"])

    frames_in = sum(len(c["frames"]) for c in cases)
    want = {
        "rx": frames_in,
        "tx_reply": sum(1 for c in cases if c["expect"] == "reply"),
        "tx_pass": sum(len(c["frames"]) for c in cases if c["expect"] == "pass"),
        "pass_inside": sum(len(c["frames"]) for c in cases if c["side"] == "inside"),
        "frag_reassembled": sum(1 for c in cases if len(c["frames"]) > 1),
        "frag_rx": sum(len(c["frames"]) for c in cases if len(c["frames"]) > 1),
        "drop.bad_l2": n("truncated Ethernet header"),
        "drop.bad_l3": n("truncated in the IPv4 header"),
        "drop.bad_len": n("truncated in the SIP payload") + n("IPv4 total length beyond the frame") +
        n("UDP length beyond the datagram"),
        "drop.bad_udp_cksum": n("bad UDP checksum") + n("UDP checksum 0 over IPv6 (illegal)"),
        "drop.bad_ip_cksum": n("bad IPv4 header checksum"),
        "drop.budget_prefix": sum(1 for c in cases if c["name"].startswith("budget flood") and c["expect"] == "drop"),
        "drop.no_reply_address": n("400 from a multicast source"),
        "drop.verdict": n("friendly-scanner") + n("sipvicious") + n("junk to 5060"),
        "verdict.rule_drop": 2,
        "verdict.reply_budget": 5,
        # the 413 to a fragmented MESSAGE: one reply for its fragments, the others counted as absorbed
        "drop.frag_answered": sum(len(c["frames"]) - 1 for c in cases
                                  if c["expect"] == "reply" and len(c["frames"]) > 1),
    }
    for st in (400, 413, 414, 420, 483, 505):
        want[f"reply.{st}"] = sum(1 for c in cases if c["expect"] == "reply" and c["status"] == st)
    return want


def counter_errors(workdir, stdout):
    """The final counters sipwall printed (stdout) against what the cases of workdir/expect.json make them:
    (errors, number of counters checked). Every frame must be accounted for exactly once, fragments included."""
    errors = []
    with open(os.path.join(workdir, "expect.json")) as f:
        want = expected_counters(json.load(f))
    got = parse_counters(stdout)
    if got.get("rx") != got.get("tx_pass", 0) + got.get("tx_reply", 0) + got.get("dropped", 0):
        errors.append(f"rx {got.get('rx')} != tx_pass + tx_reply + dropped ({got})")
    for k, v in want.items():
        if got.get(k, 0) != v:
            errors.append(f"counter {k} = {got.get(k, 0)}, want {v}")
    return errors, len(want)


def finish(name, errors, stats, ncounters, workdir, keep):
    """Print the errors and a summary line; remove workdir when all went well (unless keep). The exit code."""
    for e in errors:
        print("FAIL:", e)
    print(f"{name}: {stats['pass']} passes, {stats['reply']} replies checked; {ncounters} counters; "
          f"{len(errors)} errors")
    if not errors and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipwall", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.workdir = os.path.abspath(args.workdir)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    sys.argv = ["gen_mixed_pcap.py", args.workdir]
    gen_mixed_pcap.main()

    prefix = f"swit{os.getpid()}"
    p = run_sipwall(args, prefix, ["--exit-when-idle", "500"])
    sys.stdout.write(p.stdout)
    if p.returncode == EXIT_EAL:
        print(f"SKIP: the EAL cannot start here:\n{p.stderr}")
        return SKIP
    if p.returncode != 0:
        print(f"FAIL: sipwall exited {p.returncode}\n{p.stderr}")
        return 1

    errors, stats = check_pcap.check(args.workdir)
    if p.left_runtime_dir:
        errors.append(f"the EAL runtime directory {eal_runtime_dir(prefix)} was left behind")
    cerr, ncounters = counter_errors(args.workdir, p.stdout)
    return finish("run_pcap", errors + cerr, stats, ncounters, args.workdir, args.keep)


if __name__ == "__main__":
    sys.exit(main())
