#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Zero-loss policy swap: sipwall judges a looping capture (net_pcap infinite_rx=1, --no-huge) while its policy is
replaced LOADS times (200) through the control socket, alternating two policies that differ only in the scanner
rule: A drops it (rule "scan-a"), B answers it 403 (rule "scan-b"); both count the requests with the tests' User-Agent (rule "ua-count").
Asserts that

  * every load committed, versions 2..LOADS+1 in order;
  * nothing was lost: rx = tx_pass + tx_reply + dropped, and no TX drop;
  * every frame got a verdict of A or B: the only verdicts are valid, check (the 483 case), rule_drop (A's scanner
    verdict) and rule_reply (B's), both A's and B's appear, and per class the counts match the capture (one of
    each per loop, so they differ by at most one): valid ~ check ~ rule_drop + rule_reply ~ unjudged DNS;
  * B's answers are all 403 and A's drops all rule drops; the 483s are all 483;
  * ua-count's hits, carried across all versions, match the valid + 483 requests of the whole run;
  * the workers never stalled: between samples every worker's rx and its QSBR heartbeats advanced, its last
    heartbeat was recent, and every swap (commit -> all workers on the new version) finished within SWAP_MAX_MS.

  test_zero_loss.py SIPWALL WORKDIR [LOADS [WORKERS]]     exit 0, 1, or 77 when the EAL cannot start
(WORKERS > 1: one RX queue per worker on each port, each looping the capture)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import check  # noqa: E402

COMMON = """limits:
  max_message_bytes: 4096
dataplane:
  sip_ports: [5060, 5070]
reply_budget:
  per_prefix_pps: 1000000
  per_prefix_burst: 10000000
  global_pps: 100000000
  global_burst: 100000000
rules:
  - id: ua-count
    where: header User-Agent
    literal: [integration/1.0]
    action: count
"""
POLICY_A = COMMON + """  - id: scan-a
    where: header User-Agent
    literal: [friendly-scanner]
    action: drop
"""
POLICY_B = COMMON + """  - id: scan-b
    where: header User-Agent
    literal: [friendly-scanner]
    action: reply
    status: 403
    reason: Scanners Not Welcome
"""
SWAP_MAX_MS = 1000.0     # a generous bound on a shared, noisy 2-core machine; typical swaps take microseconds
HEARTBEAT_MAX_MS = 1000.0
ALLOWED_VERDICTS = {"valid", "check", "rule_drop", "rule_reply"}

def sample(dm):
    s = dm({"cmd": "stats"})
    return [(w["rx"], w["heartbeats"], w["last_seen_ms"]) for w in s["workers"]]


def swap_loop(dm, loads):
    prev = sample(dm)
    versions, swaps = [], []
    t0 = time.time()
    for i in range(loads):
        text = POLICY_B if i % 2 == 0 else POLICY_A
        r = dm({"cmd": "policy.load", "name": "B" if i % 2 == 0 else "A", "text": text})
        if not check(r.get("ok"), f"load {i}: {r}"):
            return
        versions.append(r["version"])
        swaps.append(r["swap_ms"])
        if i % 10 == 9:
            cur = sample(dm)
            for w, (a, b) in enumerate(zip(prev, cur)):
                check(b[0] > a[0], f"worker {w}: rx did not advance between loads {i - 9} and {i}")
                check(b[1] > a[1], f"worker {w}: no heartbeat between loads {i - 9} and {i}")
                check(0 <= b[2] < HEARTBEAT_MAX_MS, f"worker {w}: last heartbeat {b[2]} ms ago at load {i}")
            prev = cur
    dt = time.time() - t0
    check(versions == list(range(2, loads + 2)), f"versions {versions[:5]}...{versions[-5:]}")
    # the count rule is in every version: its hits carry over, so they cover the whole run, not the last version
    s = dm({"cmd": "stats", "rules": True})
    uc = [r for r in s["rules"] if r["id"] == "ua-count"]
    # rules run before the protocol checks, so the 483 case (same User-Agent) is counted as well
    want = s["verdicts"]["valid"] + s["verdicts"]["check"]
    check(uc and abs(uc[0]["counted"] - want) <= max(256, want // 100),
          f"ua-count counted {uc[0]['counted'] if uc else None} over {loads} versions, want ~{want}")
    swaps.sort()
    print(f"{loads} loads in {dt:.1f} s; swap ms: median {swaps[len(swaps) // 2]:.3f}, "
          f"p99 {swaps[int(len(swaps) * 0.99) - 1]:.3f}, max {swaps[-1]:.3f}", flush=True)
    check(swaps[-1] < SWAP_MAX_MS, f"a swap took {swaps[-1]:.1f} ms")


WORKERS = 1


def near(a, b, what):
    """Each worker's queue loops the capture on its own: per class, one frame of difference per queue."""
    check(abs(a - b) <= WORKERS, f"{what}: {a} vs {b}")


def verify(c):
    print({k: v for k, v in sorted(c.items())}, flush=True)
    check(c.get("rx", 0) > 0, "frames received")
    check(c["rx"] == c["tx_pass"] + c["tx_reply"] + c["dropped"],
          f"rx {c['rx']} != tx_pass {c['tx_pass']} + tx_reply {c['tx_reply']} + dropped {c['dropped']}")
    check(c.get("drop.tx_full", 0) == 0, "no TX drops")
    verdicts = {k[8:]: v for k, v in c.items() if k.startswith("verdict.")}
    drops = {k[5:]: v for k, v in c.items() if k.startswith("drop.")}
    replies = {k[6:]: v for k, v in c.items() if k.startswith("reply.")}
    check(set(verdicts) <= ALLOWED_VERDICTS, f"verdicts outside A and B: {verdicts}")
    check(set(drops) <= {"verdict"}, f"drops other than the verdicts: {drops}")
    check(set(replies) <= {"403", "483"}, f"reply statuses: {replies}")
    a, b = verdicts.get("rule_drop", 0), verdicts.get("rule_reply", 0)
    check(a > 0 and b > 0, f"both policies judged the scanner: A dropped {a}, B answered {b}")
    check(replies.get("403", 0) == b, f"B's answers are the 403s: {replies.get('403', 0)} vs {b}")
    check(drops.get("verdict", 0) == a, f"A's drops are the verdict drops: {drops.get('verdict', 0)} vs {a}")
    check(replies.get("483", 0) == verdicts.get("check", 0), "every 483 check answered")
    check(c["judged"] == sum(verdicts.values()), f"judged {c['judged']} = sum of verdicts {sum(verdicts.values())}")
    valid = verdicts.get("valid", 0)
    near(valid, verdicts.get("check", 0), "valid vs 483 per loop")
    near(valid, a + b, "valid vs scanner (A + B) per loop")
    near(valid, c.get("pass_other", 0), "valid vs unjudged DNS per loop")


def main():
    global WORKERS
    sipwall, workdir = sys.argv[1:3]
    loads = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    WORKERS = int(sys.argv[4]) if len(sys.argv) > 4 else 1

    def body(dm, d):
        time.sleep(0.5)
        swap_loop(dm, loads)

    return H.run_test("test_zero_loss", sipwall, workdir, POLICY_A, body, verify, workers=WORKERS)


if __name__ == "__main__":
    sys.exit(main())
