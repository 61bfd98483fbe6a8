#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipwallctl's offline commands end to end: check (raw files, pcap, JSON, --show-response, errors) and policy
validate (good and bad files, exit codes). Usage: test_cli.py SIPWALLCTL SOURCE_ROOT BUILD_DIR"""
import json
import os
import subprocess
import sys
import tempfile

CTL, ROOT, BUILD = sys.argv[1:4]
DATA = os.path.join(ROOT, "tests", "data")
results = {"passed": 0, "failed": 0}


def run(*args, input=None):
    p = subprocess.run([CTL, *args], capture_output=True, input=input, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check(name, cond, detail=""):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {detail}")


def torture(name):
    return os.path.join(DATA, "torture", "rfc4475", name + ".dat")


# check: one raw file per line, reply/drop/pass with the status and reason the core gives
rc, out, err = run("check", torture("zeromf"), torture("intmeth"), torture("bext01"))
check("check rc", rc == 0, f"rc={rc} err={err}")
lines = out.splitlines()
check("zeromf 483", lines[0].endswith("zeromf.dat: reply 483 Too Many Hops"), lines[0])
check("intmeth pass", lines[1].endswith("intmeth.dat: pass (valid)"), lines[1])
check("bext01 420", lines[2].endswith("bext01.dat: reply 420 Bad Extension"), lines[2])
check("summary", "summary: 3 messages: 1 pass, 0 drop, 2 reply" in out, out)

# --json: one object per line with the documented keys; the summary goes to stderr
rc, out, err = run("check", "--json", "--show-response", torture("bext01"), torture("bigcode"))
objs = [json.loads(l) for l in out.splitlines()]
check("json lines", len(objs) == 2, out)
o = objs[0]
check("json reply keys", o.get("action") == "reply" and o.get("status") == 420 and o.get("reason") == "Bad Extension",
      o)
check("json response", o.get("response", "").startswith("SIP/2.0 420 Bad Extension\r\n") and
      "Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n" in o["response"] and
      o["response"].endswith("Content-Length: 0\r\n\r\n"), o.get("response"))
check("json drop has no status", objs[1].get("action") == "drop" and "status" not in objs[1], objs[1])
check("json summary on stderr", "summary:" in err and "summary" not in out, err)

# unreadable input: error on stderr naming it, the others still get their lines, exit 1
rc, out, err = run("check", "/nonexistent/x.sip", torture("zeromf"))
check("missing input rc", rc == 1, rc)
check("missing input message", "/nonexistent/x.sip: No such file or directory" in err, err)
check("other inputs judged", "zeromf.dat: reply 483" in out, out)

# a pcap from the traffic generator: every class gets the answer sipgen says it should
with tempfile.TemporaryDirectory() as tmp:
    pcap = os.path.join(tmp, "demo.pcap")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "traffic", "sipgen.py"), "--mix", "demo", "-o", pcap],
                   check=True, capture_output=True)
    rc, out, err = run("check", "--json", pcap)
    objs = [json.loads(l) for l in out.splitlines()]
    check("pcap rc", rc == 0, err)
    check("pcap count", len(objs) == 15, len(objs))
    statuses = sorted(o["status"] for o in objs if o["action"] == "reply")
    check("pcap reply classes", statuses == [400, 400, 413, 414, 420, 483], statuses)
    check("pcap inputs named FILE#N", objs[0]["input"] == pcap + "#1", objs[0]["input"])
    check("pcap non-SIP port passes unjudged", objs[-1] == {"input": pcap + "#15", "action": "pass",
                                                           "why": "not_sip_port"}, objs[-1])
    # the example policy's scanner rule decides, and check names it
    rc, out, err = run("check", "--json", "--policy", os.path.join(ROOT, "policy", "example.yaml"), pcap)
    objs = [json.loads(l) for l in out.splitlines()]
    scanners = [o for o in objs if o.get("rule")]
    check("rule named", any(o["action"] == "drop" for o in scanners), out)

    # policy validate: ok, and a bad file with FILE:LINE:COL and exit 1, changing nothing
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("limits:\n  max_message_bytes: 12abc\n")
    rc, out, err = run("policy", "validate", os.path.join(ROOT, "policy", "example.yaml"))
    check("validate ok", rc == 0 and out.strip().endswith(": ok (5 rules)"), out + err)
    rc, out, err = run("policy", "validate", bad)
    check("validate bad rc", rc == 1, rc)
    check("validate bad position", f"{bad}:2:" in err, err)
    rc, out, err = run("check", "--policy", bad, torture("zeromf"))
    check("check with a bad policy fails", rc == 1 and f"{bad}:2:" in err and out == "", out + err)

# bad arguments: exit 1 with a message
for args in (["check"], ["check", "--source", "nonsense", torture("zeromf")], ["check", "--secret", "12", "x"],
             ["bogus-command"], ["policy", "validate"]):
    rc, out, err = run(*args)
    check("bad args " + " ".join(args), rc == 1 and err.strip() != "", f"rc={rc} err={err!r}")
rc, out, err = run("--help")
check("help", rc == 0 and "check" in out, out)

# --source sets received= on raw files; determinism of the To tag across runs
rc, out, err = run("check", "--json", "--show-response", "--source", "198.51.100.9:4000", torture("zeromf"))
r1 = json.loads(out.splitlines()[0])["response"]
check("source in received", "received=198.51.100.9" in r1, r1)
rc, out, err = run("check", "--json", "--show-response", "--source", "198.51.100.9:4000", torture("zeromf"))
check("deterministic response", json.loads(out.splitlines()[0])["response"] == r1)

print(f"cli: {results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
