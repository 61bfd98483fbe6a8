#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runtime policy replacement and telemetry: sipwall on net_pcap ports that loop a small capture forever
(infinite_rx=1), queried over the DPDK telemetry socket (the protocol of usertools/dpdk-telemetry.py).

  run_reload.py --sipwall BIN --policy FILE --workdir DIR

  1. every /sipwall/... command answers, and the counters move;
  2. SIGHUP with an edited policy (scanner rule removed): version 2, and from then on the scanner passes;
  3. SIGHUP with a broken policy: refused, version 2 keeps running, reload_failures 1;
  4. SIGTERM: exit 0 with the final counters, and every frame received is accounted for
     (rx = tx_pass + tx_reply + dropped: nothing lost across the reloads).
Exit 77 when the EAL cannot start here.
"""
import argparse
import os
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_mixed_pcap as G  # noqa: E402
import pcaplib as P  # noqa: E402
import daemon  # noqa: E402
import run_pcap  # noqa: E402
from telemetry import Telemetry, wait_for  # noqa: E402


def make_capture(d):
    g = G.Gen()
    g.request_case("valid", "pass")
    g.request_case("483", "reply", 483, max_forwards="0")
    g.request_case("scanner", "drop", ua="friendly-scanner")
    src = g.client()
    g.add("DNS", [g.udp_frame(src, b"\x00" * 20, sport=33000, dport=53)], "pass")
    P.write_pcap(os.path.join(d, "out_in.pcap"), g.frames["outside"])
    P.write_pcap(os.path.join(d, "in_in.pcap"), g.frames["outside"][3:])


def check(cond, msg, errors):
    if not cond:
        errors.append(msg)
        print("FAIL:", msg, flush=True)


def scenario(dm, tel, policy, errors):
    # the socket exists from EAL start; the /sipwall commands once the ports and workers are up
    wait_for(lambda: isinstance(tel("/sipwall/stats"), dict), "the /sipwall commands")
    for cmd in ("/sipwall/stats", "/sipwall/drops", "/sipwall/verdicts", "/sipwall/replies", "/sipwall/worker,0",
                "/sipwall/policy", "/sipwall/rules", "/sipwall/budget"):
        r = tel(cmd)
        check(isinstance(r, dict) and r, f"{cmd} answered {r!r}", errors)
    rx0 = tel("/sipwall/stats")["rx"]
    wait_for(lambda: tel("/sipwall/stats")["rx"] > rx0, "rx to grow")
    check(tel("/sipwall/policy")["version"] == 1, "first policy is version 1", errors)
    rules = tel("/sipwall/rules")
    check(rules.get("friendly_scanner", {}).get("id") == "friendly-scanner", f"/sipwall/rules: {rules}", errors)
    wait_for(lambda: tel("/sipwall/verdicts")["rule_drop"] > 0, "the scanner rule to drop")

    # 2. an edited policy: the scanner rule removed
    with open(policy) as f:
        text = f.read()
    with open(policy, "w") as f:
        f.write(text[:text.index("rules:")] + "rules: []\n")
    dm.send(signal.SIGHUP)
    wait_for(lambda: tel("/sipwall/policy")["version"] == 2, "version 2 after SIGHUP")
    pol = tel("/sipwall/policy")
    check(pol["reloads"] == 1 and pol["rules"] == 0, f"after reload: {pol}", errors)
    drops = tel("/sipwall/verdicts")["rule_drop"]
    valid = tel("/sipwall/verdicts")["valid"]
    time.sleep(0.5)
    v = tel("/sipwall/verdicts")
    check(v["rule_drop"] == drops, "no rule drop once the rule is gone", errors)
    check(v["valid"] > valid, "requests still judged after the reload", errors)

    # 3. a broken policy is refused and the running one stays
    with open(policy, "w") as f:
        f.write("limits:\n  max_message_bytes: nonsense\n")
    dm.send(signal.SIGHUP)
    wait_for(lambda: tel("/sipwall/policy")["reload_failures"] == 1, "the broken policy to be refused")
    pol = tel("/sipwall/policy")
    check(pol["version"] == 2 and pol["last_error"], f"after a refused reload: {pol}", errors)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipwall", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    d = os.path.abspath(args.workdir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    make_capture(d)
    policy = os.path.join(d, "policy.yaml")
    shutil.copy(args.policy, policy)
    prefix = f"swrl{os.getpid()}"
    cmd = [args.sipwall] + run_pcap.eal_args(prefix, d, infinite=True) + ["--", "--policy", policy]
    errors = []
    with daemon.Daemon(cmd, prefix) as dm:
        sock = os.path.join(dm.runtime_dir, "dpdk_telemetry.v2")
        try:
            tel = dm.start(lambda: os.path.exists(sock) and Telemetry(sock), "a telemetry connection")
        except RuntimeError as e:
            print(f"FAIL: {e}")
            return 1
        if tel is None:
            return run_pcap.SKIP
        try:
            scenario(dm, tel, policy, errors)
        except AssertionError as e:
            errors.append(str(e))
            print("FAIL:", e)
        dm.stop(timeout=30)
    out, err = dm.out, dm.err
    sys.stdout.write(out)
    check(dm.returncode == 0, f"exit status {dm.returncode} after SIGTERM\n{err}", errors)
    check("final counters" in out, "final counters printed", errors)
    c = run_pcap.parse_counters(out)
    check(c.get("rx", 0) > 0 and c["rx"] == c["tx_pass"] + c["tx_reply"] + c["dropped"],
          f"rx {c.get('rx')} != tx_pass + tx_reply + dropped", errors)
    check(c.get("drop.tx_full", 0) == 0, "no TX drops", errors)
    print(f"run_reload: {len(errors)} errors")
    if not errors:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
