#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every sipwallctl command on a running sipwall (net_pcap vdevs looping a capture, --no-huge), through its
control socket: success and failure paths, the raw protocol's defences, serialised concurrent loads, the
write-back of the committed policy and a restart that comes up with it.

  test_control.py SIPWALL SIPWALLCTL WORKDIR            exit 0, 1 on a failure, 77 when the EAL cannot start
"""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from harness import check  # noqa: E402

BASE = """# the control test's policy: a scanner rule; replies kept within budget
limits:
  max_message_bytes: 4096
dataplane:
  sip_ports: [5060, 5070]
reply_budget:
  per_prefix_pps: 1000000
  per_prefix_burst: 1000000
  global_pps: 100000000
  global_burst: 100000000
rules:
  - id: friendly-scanner
    where: header User-Agent
    literal: [friendly-scanner, sipvicious]
    caseless: true
    action: drop
"""

def verify(c):
    check(c.get("rx", 0) > 0 and c["rx"] == c["tx_pass"] + c["tx_reply"] + c["dropped"],
          f"final counters: rx != tx_pass + tx_reply + dropped: {c}")


def main():
    sipwall, ctl, workdir = sys.argv[1:4]
    return H.run_test("test_control", sipwall, workdir, BASE, lambda dm, d: run_all(dm, ctl, d), verify)


def run_all(dm, ctl, d):
    sock = dm.sock

    def run(*args, **kw):
        return H.run_ctl(ctl, sock, *args, **kw)

    def ok(*args, **kw):
        rc, out, err = run(*args, **kw)
        check(rc == 0, f"sipwallctl {' '.join(args)}: exit {rc}: {err}")
        return out

    def refused(*args, want=None):
        rc, out, err = run(*args)
        check(rc == 1, f"sipwallctl {' '.join(args)}: exit {rc}, want 1")
        check(err.strip() != "", f"sipwallctl {' '.join(args)}: no message on stderr")
        if want:
            check(re.search(want, err), f"sipwallctl {' '.join(args)}: stderr {err!r} lacks {want!r}")
        return err

    def version():
        return dm({"cmd": "hello"})["version"]

    # -- the socket: mode 0660 with group sipwall when it exists, else 0600; directory 0750
    st = os.stat(sock)
    try:
        import grp
        has_group = bool(grp.getgrnam("sipwall"))
    except KeyError:
        has_group = False
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == (0o660 if has_group else 0o600),
          f"socket mode {oct(st.st_mode)}")
    check(stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o750, "socket directory mode 0750")
    socket_access(ctl, sock, has_group)

    # -- help on every command, bad arguments exit 1
    for args in (["--help"], ["policy", "--help"], ["policy", "load", "--help"], ["policy", "show", "--help"],
                 ["policy", "diff", "--help"], ["rule", "--help"], ["rule", "add", "--help"],
                 ["rule", "del", "--help"], ["rule", "list", "--help"], ["rule", "stats", "--help"],
                 ["limits", "--help"], ["limits", "set", "--help"], ["stats", "--help"], ["top", "--help"],
                 ["block", "--help"], ["check", "--help"]):
        rc, out, err = run(*args)
        check(rc == 0 and "Usage" in out, f"{' '.join(args)}: exit {rc}, usage on stdout")
    for args in (["nonsense"], ["policy", "load"], ["policy", "bogus"], ["rule"], ["rule", "add", "x"],
                 ["rule", "add", "x", "--where", "method", "--action", "drop"], ["rule", "del"],
                 ["rule", "list", "extra"], ["limits", "set", "max_message_bytes"], ["stats", "--watch", "0"],
                 ["stats", "--bogus"], ["top", "-n", "x"], ["rule", "add", "x", "--status", "abc"]):
        refused(*args)

    # -- policy show, text and JSON
    out = ok("policy", "show")
    check(out.startswith("# version 1,") and "friendly-scanner" in out, f"policy show: {out[:200]!r}")
    show = json.loads(ok("policy", "show", "-j"))
    check(show["version"] == 1 and show["rules"] == 1 and "at start" in show["source"], f"policy show -j: {show}")
    check(show["file"] == dm.policy, "policy show: file")
    out = ok("policy", "show", dm.policy)  # the offline form stays
    check(out.startswith("limits:"), "policy show FILE prints the file")

    # -- policy load: a new version, timed, written back
    new = BASE.replace("max_message_bytes: 4096", "max_message_bytes: 3000")
    pa = os.path.join(d, "a.yaml")
    with open(pa, "w") as f:
        f.write(new)
    r = json.loads(ok("policy", "load", pa, "-j"))
    check(r["version"] == 2 and r["compile_ms"] > 0 and r["swap_ms"] >= 0 and r["saved"], f"policy load -j: {r}")
    with open(dm.policy) as f:
        check(f.read() == new, "policy load: the committed text written back to --policy")
    out = ok("policy", "load", pa)
    check(re.match(r"policy version 3 loaded from .*: compile [0-9.]+ ms, swap [0-9.]+ ms", out), out)

    # -- a policy that fails to load or compile changes nothing and says why
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("limits:\n  max_message_bytes: nonsense\n")
    refused("policy", "load", bad, want=r"bad\.yaml:2:\d+: .*unsigned integer")
    badre = os.path.join(d, "badre.yaml")
    with open(badre, "w") as f:
        f.write(BASE + "  - id: broken\n    where: body\n    regex: ['(unclosed']\n    action: drop\n")
    refused("policy", "load", badre, want=r"broken")
    refused("policy", "load", os.path.join(d, "missing.yaml"), want="No such file")
    check(version() == 3, "version unchanged after refused loads")
    with open(dm.policy) as f:
        check(f.read() == new, "policy file unchanged after refused loads")
    show = dm({"cmd": "policy.show"})
    check(show["reload_failures"] == 2 and "broken" in show["last_error"], f"failures counted: {show}")  # the missing file never left the CLI

    # -- policy diff
    check(ok("policy", "diff", pa).strip() == "no changes", "diff against the same file: no changes")
    pb = os.path.join(d, "b.yaml")
    with open(pb, "w") as f:
        f.write(BASE.replace("sipvicious", "svwar") + "  - id: extra\n    where: method\n    literal: [PUBLISH]\n"
                "    action: reply\n    status: 405\n")
    out = ok("policy", "diff", pb)
    check("limits.max_message_bytes: 3000 -> 4096" in out and "rule added: extra" in out and
          "rule changed: friendly-scanner" in out, f"policy diff: {out}")
    dj = json.loads(ok("policy", "diff", pb, "--json"))
    check(dj["changes"] and dj["rules_added"] == ["extra"] and dj["rules_changed"] == ["friendly-scanner"],
          f"policy diff -j: {dj}")
    refused("policy", "diff", bad, want="bad.yaml:2")
    check(version() == 3, "diff changes nothing")

    # -- rule add / list / stats / del
    hits0 = [x for x in dm({"cmd": "rule.stats"})["rules"] if x["id"] == "friendly-scanner"][0]["matches"]
    out = ok("rule", "add", "ua-evil", "--where", "header User-Agent", "--literal", "evil", "--literal", "worse",
             "--caseless", "--action", "reply", "--status", "403", "--reason", "Go Away")
    check("rule ua-evil added: policy version 4" in out, out)
    ok("rule", "add", "first", "--where", "method", "--literal", "PUBLISH", "--action", "count",
       "--before", "friendly-scanner")
    lst = json.loads(ok("rule", "list", "-j"))
    ids = [x["id"] for x in lst["rules"]]
    check(ids == ["first", "friendly-scanner", "ua-evil"], f"rule list order: {ids}")
    ev = lst["rules"][2]
    check(ev["status"] == 403 and ev["reason"] == "Go Away" and ev["caseless"] and ev["literal"] == ["evil", "worse"],
          f"rule list: {ev}")
    out = ok("rule", "list")
    check("ua-evil" in out and "403" in out, out)
    refused("rule", "add", "ua-evil", "--where", "method", "--literal", "X", "--action", "drop", want="exists")
    # a bad pattern is named by the rule's id, not by a line of the serialised running policy the user never saw
    err = refused("rule", "add", "r2", "--where", "body", "--regex", "(unclosed", "--action", "drop",
                  want=r'rule "r2": regex "\(unclosed"')
    check("(line" not in err, f"rule add: the message cites a line: {err!r}")
    refused("rule", "add", "r3", "--where", "nowhere", "--literal", "X", "--action", "drop", want="where")
    refused("rule", "add", "r4", "--where", "method", "--literal", "X", "--action", "drop", "--before", "nope",
            want="nope")
    refused("rule", "del", "nope", want="no rule 'nope'")
    check(version() == 5, "refused rule changes leave the version")
    time.sleep(0.3)
    rs = json.loads(ok("rule", "stats", "-j"))
    sc = [x for x in rs["rules"] if x["id"] == "friendly-scanner"]
    check(sc and sc[0]["matches"] > 0 and sc[0]["dropped"] == sc[0]["matches"], f"rule stats: {rs}")
    check(sc and sc[0]["matches"] >= hits0 > 0, f"rule hits carried across versions: {hits0} then {sc}")
    out = ok("rule", "stats")
    check("friendly-scanner" in out and "MATCHES" in out, out)
    tricky = "a\"b'c\\d: {x} #y \u00e9\U0001f600"
    ok("rule", "add", "quoted", "--where", "body", "--literal", tricky, "--action", "count")
    got = [x for x in json.loads(ok("rule", "list", "-j"))["rules"] if x["id"] == "quoted"]
    check(got and got[0]["literal"] == [tricky], f"a literal with quotes, YAML syntax and non-ASCII: {got}")
    ok("rule", "del", "quoted")
    out = ok("rule", "del", "first")
    check("rule first deleted: policy version 8" in out, out)
    with open(dm.policy) as f:
        text = f.read()
    check("ua-evil" in text and "first" not in text, "rule changes written back")

    # -- limits set
    out = ok("limits", "set", "max_message_bytes", "2048")
    check("policy version 9" in out, out)
    ok("limits", "set", "dataplane.sip_ports", "[5060, 5070, 5080]")
    refused("limits", "set", "max_message_bytes", "20", want="out of range")
    refused("limits", "set", "no_such_key", "1", want="unknown key")
    refused("limits", "set", "max_message_bytes", "1\nrules: []", want="control characters")
    show = dm({"cmd": "policy.show"})
    check(show["version"] == 10 and "max_message_bytes: 2048" in show["yaml"] and "5080" in show["yaml"],
          f"limits applied: {show['version']}")

    # -- stats, --watch, top
    s = json.loads(ok("stats", "-j"))
    dp = s["dataplane"]
    check(dp["counters"]["rx"] > 0 and dp["verdicts"]["rule_drop"] > 0 and dp["workers"][0]["heartbeats"] > 0,
          f"stats -j: {dp['counters']}")
    check("xdp" in s, "stats -j has the xdp part")
    out = ok("stats")
    check("counters" in out and "rx" in out and "XDP prefilter" in out, out)
    lines = ok("stats", "--watch", "1", "--count", "2", "-j").strip().splitlines()
    check(len(lines) == 2 and "rates" in json.loads(lines[1]) and
          json.loads(lines[1])["rates"]["counters"]["rx"] > 0, f"stats --watch: {lines[-1][:300]}")
    rc, out, err = run("top", "-n", "2", input="")
    check(rc == 0 and "REPLIES BY STATUS" in out and "DROPS BY REASON" in out and "RULES" in out, f"top: {rc} {err}")
    p = subprocess.Popen([ctl, "-s", sock, "top"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.stdin.write("q")
    p.stdin.flush()
    check(p.wait(timeout=10) == 0, "top quits on q")
    p.stdout.close()
    p.stdin.close()

    # -- SIPWALL_SOCKET and an unreachable daemon
    env = dict(os.environ, SIPWALL_SOCKET=sock)
    p = subprocess.run([ctl, "rule", "list"], capture_output=True, text=True, env=env)
    check(p.returncode == 0, "SIPWALL_SOCKET finds the daemon")
    rc, out, err = H.run_ctl(ctl, os.path.join(d, "nope.sock"), "policy", "show")
    check(rc == 1 and "cannot reach sipwall" in err, f"unreachable: {err}")

    raw_protocol(dm, sock)
    hostile_policies(dm, refused, d)
    concurrent_loads(dm, ctl, d)
    restart(dm, ctl)


def raw_protocol(dm, sock):
    v = dm({"cmd": "hello"})["version"]
    for data, want in ((b"{not json\n", "malformed request"), (b"[1,2]\n", "expected a JSON object"),
                       (b'{"cmd": 5}\n', "expected a JSON object"), (b'{"cmd":"nope"}\n', "unknown command"),
                       (b'{"cmd":"policy.load"}\n', "missing string"), (b'{"cmd":"rule.add","rule":3}\n', "rule"),
                       (b'{"cmd":"hello","cmd":"x"}\n', "malformed"), (b"\xff\xfe\n", "malformed")):
        r = H.raw_request(sock, data)
        check(r and r["ok"] is False and want in r["error"], f"raw {data!r}: {r}")
    # oversize: 17 MiB with no newline is refused without reading it all into a policy
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    resp = b""
    try:
        chunk = b"x" * (1 << 20)
        for _ in range(17):
            s.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        resp = s.recv(1 << 16)
    except OSError:
        pass
    s.close()
    check(b"larger than" in resp, f"oversize request: {resp[:200]!r}")
    # a silent client does not wedge the loop: others are served meanwhile, and it is dropped at its deadline
    idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    idle.connect(sock)
    t0 = time.time()
    check(dm({"cmd": "hello"})["ok"], "served while a client sits silent")
    check(time.time() - t0 < 4, "not delayed by the silent client (it is cut off after 5 s)")
    idle.settimeout(15)
    got = idle.recv(4096)
    idle.close()
    check(b"timed out" in got, f"silent client timed out: {got!r}")
    check(dm({"cmd": "hello"})["version"] == v, "nothing changed by bad requests")


def socket_access(ctl, sock, has_group):
    """Who may use the socket, tried for real: an unprivileged user (nobody) with and without the sipwall group."""
    if not has_group or os.geteuid() != 0 or not shutil.which("setpriv"):
        print("note: socket access by group not tried (needs root, setpriv and the sipwall group: "
              "scripts/install-deps.sh creates it)", flush=True)
        return
    import grp
    gid = grp.getgrnam("sipwall").gr_gid
    check(os.stat(sock).st_gid == gid and os.stat(os.path.dirname(sock)).st_gid == gid,
          "socket and its directory belong to the group sipwall")
    # nobody must be able to reach the socket's directory through its parents for the test to mean anything
    parent, blocked = os.path.dirname(os.path.dirname(sock)), False
    while parent not in ("/", ""):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            blocked = True
        parent = os.path.dirname(parent)
    if blocked:
        print("note: socket access by group not tried: a parent directory is closed to others", flush=True)
        return
    base = ["setpriv", "--reuid=65534", "--regid=65534"]
    member = subprocess.run(base + [f"--groups={gid}", ctl, "-s", sock, "rule", "list"], capture_output=True,
                            text=True)
    check(member.returncode == 0, f"a member of sipwall may use the socket: {member.stderr}")
    other = subprocess.run(base + ["--clear-groups", ctl, "-s", sock, "rule", "list"], capture_output=True,
                           text=True)
    check(other.returncode == 1 and "ermission denied" in other.stderr,
          f"a user outside sipwall is refused: exit {other.returncode}: {other.stderr}")


def hostile_policies(dm, refused, d):
    """Policies an attacker or a mistake could send: each refused with a clear message, the running one unharmed."""
    v = dm({"cmd": "hello"})["version"]
    with open(dm.policy) as f:
        on_disk = f.read()
    rx0 = dm({"cmd": "stats"})["counters"]["rx"]
    cases = []
    # a file beyond the request limit (16 MiB): refused before it is parsed
    huge = os.path.join(d, "huge.yaml")
    with open(huge, "w") as f:
        f.write(BASE)
        line = "# " + "x" * 1021 + "\n"
        f.write(line * (17 << 10))
    cases.append((huge, r"larger than|too large"))
    # a pattern Hyperscan's parser takes but its compiler rejects (back-references are not supported)
    backref = os.path.join(d, "backref.yaml")
    with open(backref, "w") as f:
        f.write(BASE + "  - id: backref\n    where: body\n    regex: ['(abc)\\1']\n    action: drop\n")
    cases.append((backref, r"rule \"backref\".*Back-references are unsupported"))
    # more patterns than the compile budget allows (200,000 in all): refused with the budget named, nothing compiled
    many = os.path.join(d, "many.yaml")
    with open(many, "w") as f:
        f.write(BASE)
        for r in range(3):
            f.write(f"  - id: spray{r}\n    where: header User-Agent\n    literal:\n")
            f.writelines(f"      - ua{r}x{i:06d}\n" for i in range(70000))
            f.write("    action: drop\n")
    cases.append((many, r"patterns exceed the budget"))
    # the seed of a YAML bomb (an anchor expanded by aliases): the loader refuses aliases where they would be expanded
    bomb = os.path.join(d, "bomb.yaml")
    with open(bomb, "w") as f:
        f.write("extensions:\n  supported: &a [100rel, timer, t1, t2, t3, t4, t5, t6]\n"
                "rules:\n  - id: b\n    where: body\n    literal: *a\n    action: drop\n")
    cases.append((bomb, r"bomb\.yaml:\d+:\d+: YAML aliases are not supported"))
    for path, want in cases:
        t0 = time.time()
        refused("policy", "load", path, want=want)
        check(time.time() - t0 < 60, f"{os.path.basename(path)}: refused in {time.time() - t0:.1f} s")
        check(dm({"cmd": "hello"})["version"] == v, f"{os.path.basename(path)}: version unchanged")
    with open(dm.policy) as f:
        check(f.read() == on_disk, "policy file unchanged after the hostile loads")
    check(dm({"cmd": "stats"})["counters"]["rx"] > rx0, "traffic still flowing after the hostile loads")


def concurrent_loads(dm, ctl, d):
    """Eight loads at once, from eight processes: each gets its own version, in sequence, none interleaved."""
    v0 = dm({"cmd": "hello"})["version"]
    files = []
    for i in range(8):
        p = os.path.join(d, f"c{i}.yaml")
        with open(p, "w") as f:
            f.write(BASE.replace("max_message_bytes: 4096", f"max_message_bytes: {1000 + i}"))
        files.append(p)
    procs = [subprocess.Popen([ctl, "-s", dm.sock, "policy", "load", p, "-j"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in files]
    res = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"concurrent load: {err}")
        if p.returncode == 0:
            res.append(json.loads(out)["version"])
    check(sorted(res) == list(range(v0 + 1, v0 + 9)), f"concurrent loads got versions {sorted(res)}")
    show = dm({"cmd": "policy.show"})
    with open(dm.policy) as f:
        text = f.read()
    m = re.search(r"max_message_bytes: (\d+)", show["yaml"])
    check(m and f"max_message_bytes: {m.group(1)}" in text, "the file holds the last committed load")


def restart(dm, ctl):
    before = dm({"cmd": "policy.show"})["yaml"]
    dm.stop()
    if not check(dm.start(), "restart"):
        return
    after = dm({"cmd": "policy.show"})
    check(after["version"] == 1 and after["yaml"] == before, "a restart comes up with the last committed policy")


if __name__ == "__main__":
    sys.exit(main())
