#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The sipwall lab: real SIP calls and an attack mix through sipwall between two network namespaces.

  outside netns sw-out-PID                      root netns                           inside netns sw-in-PID
  10.99.0.1   sipp UAC (calls)                                                         10.99.0.2
  10.99.0.50  attack mix         swloPIDp ══ swloPID [XDP prefilter ─► AF_XDP ─┐       Kamailio :5060 ─►
  10.99.0.60/61 new scanner                       net_af_xdp0   sipwall worker │         sipp UAS :5070
  10.99.0.66  blocklisted                          net_af_xdp1 ◄───────────────┘       tcpdump (what reached
                                                                                        the server)
  10.99.0.77  flood                         swliPID ══ swliPIDp ─────────────────────────────┘
                                   (swlbPID: a bridge of swloPID + swliPID carries what is not SIP: ARP)

Steps: offline check of every probe (sipwallctl check) → sipwall on net_af_xdp with the XDP prefilter
(xdp_prog=) → its maps adopted into a private bpffs, configured from the policy, a source blocklisted → sipp
calls from outside to inside, and while they run: the attack mix (each probe expects its status or a drop), the
blocklisted source, a new scanner User-Agent before and after `sipwallctl rule add`, a flood from one source →
the calls must complete, nothing hostile may reach the server → summary; exit 1 if any expectation failed,
77 when the machine cannot run the lab (not root, no netns, no BPF, no sipp). Everything created is removed on
success, failure, SIGINT and SIGTERM.

  lab.py --build BUILD_DIR [--calls N] [--rate CPS] [--flood N] [--short] [--server kamailio|sipp]
         [--workdir DIR] [--keep]
"""
import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "bench", "traffic"))
import sipgen  # noqa: E402  (the templates shared with the benchmarks and pktgen)

SKIP = 77
NET = "10.99.0"
CLIENT, SERVER = f"{NET}.1", f"{NET}.2"
ATTACKER, NEWSCAN, NEWSCAN_BEFORE, BLOCKED, FLOODER = (f"{NET}.{i}" for i in (50, 60, 61, 66, 77))
OUTSIDE_ADDRS = (CLIENT, ATTACKER, NEWSCAN, NEWSCAN_BEFORE, BLOCKED, FLOODER)
# Sources whose datagrams may reach the server: the calls' client and the new scanner before its rule exists.
ALLOWED_AT_SERVER = {CLIENT, NEWSCAN_BEFORE}
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class Skip(Exception):
    pass


class Stop(Exception):
    """SIGINT/SIGTERM: unwind through the cleanup."""


def probe_table(tag):
    """The attack mix: (name, source, payload, expected status or 'drop'). Payloads from sipgen's templates,
    each spoiled in one way (the 400 kinds follow docs/verdict.md steps 6, 8, 9 and 10)."""
    def req(n, **kw):
        return sipgen.request(kw.pop("method", "OPTIONS"), kw.pop("uri", "sip:bob@example.net"),
                              (ATTACKER, 5060), n, **kw).decode("latin-1")

    base = req(1)
    table = [
        ("scanner friendly-scanner", req(2, ua="friendly-scanner"), "drop"),
        ("scanner sipvicious", req(3, method="REGISTER", uri="sip:example.net", ua="SIPVicious/0.3"), "drop"),
        ("400 no Call-ID", req(4, call_id=False), 400),
        ("400 CSeq method mismatch", req(5, method="INVITE", cseq_method="BYE"), 400),
        ("400 bare LF ending a header", base.replace("\r\nTo: ", "\nTo: ", 1), 400),
        ("400 header without colon", req(6).replace("To: ", "To ", 1), 400),
        ("400 Max-Forwards not a number", req(7, max_forwards="seventy"), 400),
        ("400 Content-Length beyond body", req(8).replace("Content-Length: 0", "Content-Length: 80"), 400),
        ("400 no From", re.sub(r"From: [^\r]*\r\n", "", req(9)), 400),
        ("400 two Call-IDs", req(10).replace("Call-ID: ", "Call-ID: x@y\r\nCall-ID: ", 1), 400),
        ("400 CSeq not a number", re.sub(r"CSeq: \d+", "CSeq: 1x", req(17)), 400),
        ("400 NUL in a header", req(18).replace("User-Agent: ", "User-Agent: a\0", 1), 400),
        ("Via without host: no address to answer", re.sub(r"Via: SIP/2.0/UDP [^;]*;", "Via: SIP/2.0/UDP ;",
                                                          req(19)), "drop"),
        ("400 <> around Request-URI", req(11, uri="<sip:bob@example.net>"), 400),
        ("413 oversized MESSAGE", req(12, method="MESSAGE", body="x" * 1050), 413),
        ("414 long Request-URI", req(13, uri="sip:" + "a" * 300 + "@example.net"), 414),
        ("420 unknown Proxy-Require", req(14, extra="Proxy-Require: com.example.secret"), 420),
        ("483 Max-Forwards 0", req(15, max_forwards="0"), 483),
        ("505 SIP/3.0", req(16).replace(" SIP/2.0\r\n", " SIP/3.0\r\n", 1), 505),
        ("junk bytes", "".join(chr(b) for b in os.urandom(120)).replace("\r", "x"), "drop"),
    ]
    # sipgen writes Content-Type: application/sdp only with a body; a MESSAGE body here is text
    table = [(n, p.replace("application/sdp", "text/plain") if n.startswith("413") else p, e) for n, p, e in table]
    return [{"name": n, "src": ATTACKER, "payload": p, "expect": e} for n, p, e in table]


def new_scanner_probe(src, n, name):
    return sipgen.request("OPTIONS", "sip:100@example.net", (src, 5060), n, ua=name).decode("latin-1")


def read_pcap(path):
    """(src ip, dst ip, dst port, udp payload) of each IPv4/UDP frame of a classic pcap (tcpdump -w)."""
    out = []
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return out
        endian = "<" if struct.unpack("<I", hdr[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        linktype = struct.unpack(endian + "I", hdr[20:24])[0]
        while len(rec := f.read(16)) == 16:
            caplen = struct.unpack(endian + "IIII", rec)[2]
            frame = f.read(caplen)
            off = 14 if linktype == 1 else 16 if linktype == 113 else 0
            if linktype == 1 and frame[12:14] != b"\x08\x00":
                continue
            ip = frame[off:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            udp = ip[ihl:]
            out.append((".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20])),
                        struct.unpack("!H", udp[2:4])[0], udp[8:]))
    return out


class Lab:
    def __init__(self, args):
        self.a = args
        self.tag = str(os.getpid())
        self.ns_out, self.ns_in = f"sw-out-{self.tag}", f"sw-in-{self.tag}"
        self.vo, self.vi, self.br = f"swlo{self.tag}", f"swli{self.tag}", f"swlb{self.tag}"
        self.prefix = f"swlab{self.tag}"
        self.work = args.workdir or tempfile.mkdtemp(prefix=f"sipwall-lab-{self.tag}-")
        os.makedirs(self.work, exist_ok=True)
        self.bpffs = os.path.join(self.work, "bpffs")
        self.ctl_sock = os.path.join(self.work, "control.sock")
        self.env = dict(os.environ, SIPWALL_PIN_ROOT=os.path.join(self.bpffs, "sipwall"), LIBXDP_BPFFS=self.bpffs,
                        SIPWALL_SOCKET=self.ctl_sock)
        self.procs = {}
        self.created_ns, self.created_links, self.mounted = [], [], False
        self.results = []          # (step, ok, detail)
        self.replies = {}          # status -> replies received by the lab's clients
        self.summary = {}

    # -- helpers ---------------------------------------------------------------------------------------------
    def sh(self, *cmd, check=True, ns=None, timeout=60):
        full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
        r = subprocess.run(full, capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(full)}: exit {r.returncode}: {r.stderr.strip() or r.stdout.strip()}")
        return r

    def ctl(self, *args, check=True):
        return self.sh(self.a.sipwallctl, *args, check=check)

    def expect(self, step, ok, detail):
        self.results.append((step, bool(ok), detail))
        print(f"  [{'ok' if ok else 'FAIL'}] {step}: {detail}", flush=True)

    def spawn(self, name, cmd, ns=None):
        full = (["ip", "netns", "exec", ns] if ns else []) + cmd
        log = open(os.path.join(self.work, name + ".log"), "w")
        # own process group: a Ctrl-C at the terminal reaches the lab, which stops each child in order
        self.procs[name] = subprocess.Popen(full, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                            start_new_session=True, cwd=self.work)
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        p = self.procs.get(name)
        if not p or p.poll() is not None:
            return p.returncode if p else None
        os.killpg(p.pid, sig)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            return p.wait()

    def log(self, name):
        with open(os.path.join(self.work, name + ".log")) as f:
            return f.read()

    # -- setup -----------------------------------------------------------------------------------------------
    def preflight(self):
        if os.geteuid() != 0:
            raise Skip("the lab needs root (network namespaces, XDP, AF_XDP)")
        for tool in ("ip", "ethtool", "sipp", "tcpdump", "mount"):
            if not shutil.which(tool):
                raise Skip(f"{tool} not found (scripts/install-deps.sh installs it)")
        for f in (self.a.sipwall, self.a.sipwallctl, self.a.xdp_obj):
            if not os.path.exists(f):
                raise Skip(f"{f} not built (meson: -Ddataplane=enabled -Dbpf=enabled)")
        self.has_rule_cmd = self.ctl("rule", "--help", check=False).returncode == 0
        self.has_control = "--control" in self.sh(self.a.sipwall, "--help", check=False).stdout

    def setup_net(self):
        for ns in (self.ns_out, self.ns_in):
            r = self.sh("ip", "netns", "add", ns, check=False)
            if r.returncode:
                raise Skip(f"cannot create network namespaces: {r.stderr.strip()}")
            self.created_ns.append(ns)
        for host, ns, addrs in ((self.vo, self.ns_out, OUTSIDE_ADDRS), (self.vi, self.ns_in, (SERVER,))):
            peer = host + "p"
            self.sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            self.created_links.append(host)
            self.sh("ip", "link", "set", peer, "netns", ns)
            self.sh("ip", "link", "set", host, "up")
            for a in addrs:
                self.sh("ip", "addr", "add", f"{a}/24", "dev", peer, ns=ns)
            self.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
            self.sh("ip", "link", "set", peer, "up", ns=ns)
            self.sh("ip", "link", "set", "lo", "up", ns=ns)
            # veth leaves UDP checksums to "hardware" (CHECKSUM_PARTIAL): have them written, as a NIC would,
            # since sipwall checks them
            self.sh("ethtool", "-K", peer, "tx", "off", ns=ns)
        # the prefilter hands only SIP to the AF_XDP socket and passes the rest (ARP) to the kernel: a bridge
        # carries it across, as in front of real NICs (docs/dataplane.md)
        self.sh("ip", "link", "add", self.br, "type", "bridge")
        self.created_links.append(self.br)
        for link in (self.vo, self.vi):
            self.sh("ip", "link", "set", link, "master", self.br)
        self.sh("ip", "link", "set", self.br, "up")
        os.makedirs(self.bpffs, exist_ok=True)
        r = self.sh("mount", "-t", "bpf", "bpf", self.bpffs, check=False)
        if r.returncode:
            raise Skip(f"cannot mount a bpffs: {r.stderr.strip()}")
        self.mounted = True

    def start_sipwall(self):
        self.policy = os.path.join(self.work, "policy.yaml")
        shutil.copy(self.a.policy, self.policy)
        cmd = [self.a.sipwall, "--no-huge", "-m", "512", "--file-prefix", self.prefix, "-l", "0,1", "--no-pci",
               "--vdev", f"net_af_xdp0,iface={self.vo},start_queue=0,queue_count=1,xdp_prog={self.a.xdp_obj}",
               "--vdev", f"net_af_xdp1,iface={self.vi},start_queue=0,queue_count=1",
               "--", "--policy", self.policy]
        if self.has_control:
            cmd += ["--control", self.ctl_sock]
        print("+ " + " ".join(cmd), flush=True)
        p = self.spawn("sipwall", cmd)
        for _ in range(100):
            time.sleep(0.1)
            if p.poll() is not None:
                out = self.log("sipwall")
                if p.returncode == 3:
                    raise Skip(f"the EAL could not start: {out.strip()[-400:]}")
                raise RuntimeError(f"sipwall exited {p.returncode}: {out.strip()[-800:]}")
            if self.sh("ip", "link", "show", self.vo, check=False).stdout.find("xdp") >= 0 and \
                    (not self.has_control or os.path.exists(self.ctl_sock)):
                break
        time.sleep(0.5)
        # DPDK loaded the prefilter with fresh, unpinned maps: pin them in the lab's bpffs, configure them from
        # the policy (ports, sizes, rate limit) and blocklist one lab source
        self.ctl("xdp", "adopt", self.vo)
        self.ctl("xdp", "config", "--policy", self.policy)
        self.ctl("xdp", "block", "add", f"{BLOCKED}/32", "--reason", "lab: known abuser")
        self.expect("prefilter", True, f"DPDK loaded {os.path.basename(self.a.xdp_obj)} on {self.vo}; maps "
                    f"adopted, configured from the policy, {BLOCKED}/32 blocklisted")

    def xdp_counters(self):
        st = json.loads(self.ctl("xdp", "status", "-j").stdout)
        c = st.get("counters", st)
        return {k: v for k, v in c.items() if isinstance(v, int)}

    # -- steps -----------------------------------------------------------------------------------------------
    def offline_check(self, probes):
        """What the core says about each probe, before any packet moves (sipwallctl check, the offline tool)."""
        d = os.path.join(self.work, "probes")
        os.makedirs(d, exist_ok=True)
        files = []
        for i, p in enumerate(probes):
            files.append(os.path.join(d, f"{i:02d}.dat"))
            with open(files[-1], "wb") as f:
                f.write(p["payload"].encode("latin-1"))
        r = self.ctl("check", "--json", "--policy", self.a.policy, "--source", f"{ATTACKER}:5060", *files,
                     check=False)
        lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
        bad = []
        for p, v in zip(probes, lines):
            want = p["expect"]
            if p["name"] == "junk bytes":
                continue  # the prefilter drops it before the core sees it (drop_not_sip)
            got = v.get("status") if v["action"] == "reply" else v["action"]
            if got != want:
                bad.append(f"{p['name']}: core says {got} ({v.get('why')}), lab expects {want}")
        self.expect("offline check", len(lines) == len(probes) and not bad,
                    f"sipwallctl check agrees on {len(lines) - len(bad)}/{len(probes)} probes" +
                    ("; " + "; ".join(bad) if bad else ""))

    def start_server_and_calls(self):
        self.spawn("tcpdump", ["tcpdump", "-i", self.vi + "p", "-Q", "in", "-n", "-U", "--immediate-mode", "-w",
                               os.path.join(self.work, "inside.pcap"), "udp", "and", "dst", "port", "5060"],
                   ns=self.ns_in)
        if self.a.server == "kamailio":
            # Kamailio on :5060, a stateful proxy to the sipp UAS on :5070 that answers the calls
            kw = os.path.join(self.work, "kamailio")
            os.makedirs(kw, exist_ok=True)
            self.spawn("uas", ["sipp", "-sn", "uas", "-i", SERVER, "-p", "5070", "-nostdin", "-trace_err"],
                       ns=self.ns_in)
            self.spawn("kamailio", ["kamailio", "-f", os.path.join(HERE, "kamailio-inside.cfg"), "-DD", "-E",
                                    "-n", "2", "-l", f"udp:{SERVER}:5060", "-Y", kw, "-P",
                                    os.path.join(kw, "kamailio.pid"), "-w", kw, "-m", "64", "-M", "8"],
                       ns=self.ns_in)
        else:
            self.spawn("uas", ["sipp", "-sn", "uas", "-i", SERVER, "-p", "5060", "-nostdin", "-trace_err"],
                       ns=self.ns_in)
        time.sleep(1.5)
        for name in ("uas", "kamailio"):
            p = self.procs.get(name)
            if p and p.poll() is not None:
                raise RuntimeError(f"the server's {name} exited {p.returncode}: {self.log(name).strip()[-600:]}")
        self.expect("server", True, "Kamailio (stateful proxy) on 10.99.0.2:5060 in front of a sipp UAS on :5070"
                    if self.a.server == "kamailio" else "sipp UAS on 10.99.0.2:5060")
        self.spawn("uac", ["sipp", "-sn", "uac", f"{SERVER}:5060", "-i", CLIENT, "-p", "5062", "-nostdin",
                           "-m", str(self.a.calls), "-r", str(self.a.rate), "-d", "200", "-timeout", "120s",
                           "-trace_stat", "-stf", os.path.join(self.work, "uac_stats.csv"), "-fd", "1",
                           "-trace_err"], ns=self.ns_out)

    def run_client(self, *args, timeout=60):
        r = self.sh(PY, os.path.join(HERE, "attack.py"), *args, ns=self.ns_out, timeout=timeout)
        return json.loads(r.stdout)

    def attack_mix(self, probes):
        path = os.path.join(self.work, "probes.json")
        with open(path, "w") as f:
            json.dump(probes, f)
        got = self.run_client("probes", path, f"{SERVER}:5060", "2")
        for p in probes:
            rx = got[p["name"]]
            for r in rx:
                self.replies[r["status"]] = self.replies.get(r["status"], 0) + 1
            if p["expect"] == "drop":
                ok, what = not rx, "dropped" if not rx else f"got {[r['status'] for r in rx]}"
            else:
                ok = len(rx) == 1 and rx[0]["status"] == p["expect"] and rx[0]["from"] == f"{SERVER}:5060"
                what = ", ".join(f"{r['status']} from {r['from']} ({r['len']} B)" for r in rx) or "no reply"
            self.expect(f"attack {p['name']}", ok, f"expected {p['expect']}: {what}")

    def blocklisted(self):
        before = self.xdp_counters().get("drop_blocklist", 0)
        probes = [{"name": f"blocked {i}", "src": BLOCKED, "payload": sipgen.request(
            "OPTIONS", "sip:bob@example.net", (BLOCKED, 5060), 100 + i).decode("latin-1")} for i in range(5)]
        path = os.path.join(self.work, "blocked.json")
        with open(path, "w") as f:
            json.dump(probes, f)
        got = self.run_client("probes", path, f"{SERVER}:5060", "1")
        n = self.xdp_counters().get("drop_blocklist", 0) - before
        answered = sum(len(v) for v in got.values())
        self.expect("blocklisted source", n >= 5 and answered == 0,
                    f"{BLOCKED}: 5 valid OPTIONS sent, {answered} answered, drop_blocklist +{n}")

    def policy_change(self):
        ua = f"lab-scanner-{self.tag}"
        one = [{"name": "before", "src": NEWSCAN_BEFORE, "payload": new_scanner_probe(NEWSCAN_BEFORE, 200, ua)}]
        path = os.path.join(self.work, "newscan.json")
        with open(path, "w") as f:
            json.dump(one, f)
        self.run_client("probes", path, f"{SERVER}:5060", "0.5")
        t0 = time.monotonic()
        if self.has_rule_cmd and self.has_control:
            self.ctl("-s", self.ctl_sock, "rule", "add", "lab-new-scanner", "--where", "header User-Agent",
                     "--literal", ua, "--caseless", "--action", "drop")
            how = "sipwallctl rule add"
        else:
            # a build without the control socket (docs/control.md): the same rule through the policy file + SIGHUP
            with open(self.policy, "a") as f:
                f.write(f"  - id: lab-new-scanner\n    where: header User-Agent\n    caseless: true\n"
                        f"    literal: [{ua}]\n    action: drop\n")
            self.procs["sipwall"].send_signal(signal.SIGHUP)
            how = "SIGHUP reload (this build has no control socket)"
        took = time.monotonic() - t0
        time.sleep(0.5)
        after = [{"name": f"after {i}", "src": NEWSCAN, "payload": new_scanner_probe(NEWSCAN, 210 + i, ua.upper())}
                 for i in range(5)]
        with open(path, "w") as f:
            json.dump(after, f)
        got = self.run_client("probes", path, f"{SERVER}:5060", "1")
        answered = sum(len(v) for v in got.values())
        hits = "?"
        if how.startswith("sipwallctl"):
            st = self.ctl("-s", self.ctl_sock, "rule", "stats", "-j", check=False)
            try:
                hits = next(r["dropped"] for r in json.loads(st.stdout)["rules"] if r["id"] == "lab-new-scanner")
            except (ValueError, KeyError, StopIteration):
                hits = f"unreadable: {st.stdout.strip()[:200]} {st.stderr.strip()[:200]}"
        self.policy_how = how
        self.expect("policy change", answered == 0 and hits in (5, "?"),
                    f"User-Agent {ua}: 1 request before the rule (must reach the server), rule added by {how} "
                    f"({took:.2f} s, calls running), 5 after it in upper case: {answered} answered, rule "
                    f"lab-new-scanner dropped {hits}")

    def flood(self):
        before = self.xdp_counters()
        payload = os.path.join(self.work, "flood.dat")
        with open(payload, "wb") as f:
            f.write(sipgen.request("OPTIONS", "sip:bob@example.net", (FLOODER, 5060), 300, max_forwards="0"))
        r = self.run_client("flood", FLOODER, f"{SERVER}:5060", str(self.a.flood), payload, timeout=120)
        after = self.xdp_counters()
        rate = after.get("drop_rate", 0) - before.get("drop_rate", 0)
        got = sum(r["replies"].values())
        for st, n in r["replies"].items():
            self.replies[int(st)] = self.replies.get(int(st), 0) + n
        # per_prefix_burst + per_prefix_pps * elapsed bounds the replies to one /32 (+2 s of listening, +5 slack)
        pol = open(self.policy).read()
        burst = int(re.search(r"per_prefix_burst:\s*(\d+)", pol).group(1))
        pps = int(re.search(r"per_prefix_pps:\s*(\d+)", pol).group(1))
        bound = burst + pps * (r["seconds"] + 2) + 5
        self.flood_result = (r, rate)
        self.expect("flood from one source", rate > 0 and got <= bound,
                    f"{FLOODER}: {r['sent']} requests (Max-Forwards 0) in {r['seconds']} s: XDP drop_rate +{rate}, "
                    f"{got} replies (budget bound {bound:.0f})")

    def wait_calls(self):
        p = self.procs["uac"]
        try:
            rc = p.wait(timeout=max(60, self.a.calls / self.a.rate * 3 + 30))
        except subprocess.TimeoutExpired:
            rc = self.stop("uac")
        ok_calls = failed = 0
        try:
            rows = open(os.path.join(self.work, "uac_stats.csv")).read().splitlines()
            head, last = rows[0].split(";"), rows[-1].split(";")
            ok_calls = int(last[head.index("SuccessfulCall(C)")])
            failed = int(last[head.index("FailedCall(C)")])
        except (OSError, IndexError, ValueError) as e:
            print(f"  (sipp statistics unreadable: {e})")
        self.calls = (ok_calls, failed, rc)
        self.expect("sipp calls", rc == 0 and ok_calls == self.a.calls,
                    f"{ok_calls}/{self.a.calls} calls completed (INVITE, 180, 200, ACK, BYE, 200), {failed} failed, "
                    f"sipp exit {rc}")

    def reached_server(self):
        time.sleep(1.0)  # tcpdump hands over what it holds before it is stopped
        self.stop("tcpdump", signal.SIGINT)
        pkts = read_pcap(os.path.join(self.work, "inside.pcap"))
        by_src, calls = {}, {}
        for src, dst, dport, payload in pkts:
            by_src[src] = by_src.get(src, 0) + 1
            if src == CLIENT:
                m = payload.split(b" ", 1)[0].decode("latin-1")
                calls[m] = calls.get(m, 0) + 1
        hostile = {s: n for s, n in by_src.items() if s not in ALLOWED_AT_SERVER}
        self.reached = by_src
        self.expect("nothing hostile reached the server", not hostile and by_src.get(NEWSCAN_BEFORE, 0) == 1,
                    f"datagrams at the server by source: {by_src or 'none'}" +
                    (f"; HOSTILE: {hostile}" if hostile else "") +
                    ("" if by_src.get(NEWSCAN_BEFORE, 0) == 1 else "; the control request before the rule did not "
                     "arrive, so the path was not proven"))
        short = [m for m in ("INVITE", "ACK", "BYE") if calls.get(m, 0) < self.a.calls]
        self.expect("the calls reached the server", not short,
                    f"requests from the UAC at the server: {calls}" + (f"; fewer than {self.a.calls}: {short}"
                                                                        if short else ""))

    def finish_sipwall(self):
        self.xdp_final = self.xdp_counters()
        self.live_stats = None
        if self.has_control:  # the running daemon's own view, through its control socket (kept in summary.json)
            r = self.ctl("-s", self.ctl_sock, "stats", "-j", check=False)
            try:
                self.live_stats = json.loads(r.stdout.splitlines()[0])
            except (ValueError, IndexError):
                self.live_stats = {"error": (r.stderr or r.stdout).strip()[:300]}
        self.stop("kamailio")
        self.stop("uas", signal.SIGINT)
        rc = self.stop("sipwall")
        counters = {}
        for line in self.log("sipwall").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counters[parts[0]] = int(parts[1])
        self.dp = counters
        self.expect("sipwall stopped cleanly", rc == 0, f"exit {rc}")
        live = (self.live_stats or {}).get("dataplane", {}).get("counters")
        if live:
            same = live.get("tx_reply") == counters.get("tx_reply") and live.get("rx", 0) <= counters.get("rx", 0)
            self.expect("sipwallctl stats agrees", same,
                        f"control socket before the stop: rx {live.get('rx')}, replies {live.get('tx_reply')}; "
                        f"final counters: rx {counters.get('rx')}, replies {counters.get('tx_reply')}")

    def report(self):
        ok = all(r[1] for r in self.results)
        print("\n== sipwall lab summary " + "=" * 60)
        if hasattr(self, "calls"):
            print(f"calls completed          {self.calls[0]} of {self.a.calls} (failed {self.calls[1]})")
        print("replies to the lab's clients, by status: " +
              ", ".join(f"{k}: {v}" for k, v in sorted(self.replies.items())))
        xdp = {k: v for k, v in getattr(self, "xdp_final", {}).items() if v}
        print("XDP prefilter            " + ", ".join(f"{k} {v}" for k, v in sorted(xdp.items())))
        dp = getattr(self, "dp", {})
        drops = {k[5:]: v for k, v in dp.items() if k.startswith("drop.") and v}
        verdicts = {k[8:]: v for k, v in dp.items() if k.startswith("verdict.") and v}
        replies = {k[6:]: v for k, v in dp.items() if k.startswith("reply.") and v}
        print(f"dataplane                rx {dp.get('rx', '?')}, passed {dp.get('tx_pass', '?')}, replied "
              f"{dp.get('tx_reply', '?')}, dropped {dp.get('dropped', '?')}")
        print("  drops by reason        " + ", ".join(f"{k} {v}" for k, v in sorted(drops.items())))
        print("  verdicts               " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
        print("  replies by status      " + ", ".join(f"{k} {v}" for k, v in sorted(replies.items())))
        print("reached the server       " + ", ".join(f"{k}: {v}" for k, v in sorted(getattr(self, "reached", {})
                                                                                          .items())))
        failed = [r for r in self.results if not r[1]]
        print(f"expectations             {len(self.results) - len(failed)} met, {len(failed)} failed" +
              "".join(f"\n  FAILED: {s}: {d}" for s, d, _ in [(f[0], f[2], 0) for f in failed]))
        kept = not ok or self.a.keep or self.a.workdir
        print(f"logs and captures        {self.work}" + ("" if kept else " (removed at exit; --keep keeps them)"))
        with open(os.path.join(self.work, "summary.json"), "w") as f:
            json.dump({"ok": ok, "expectations": [{"step": s, "ok": o, "detail": d} for s, o, d in self.results],
                       "replies": self.replies, "xdp": getattr(self, "xdp_final", {}), "dataplane": dp,
                       "reached_server": getattr(self, "reached", {}),
                       "sipwallctl_stats": getattr(self, "live_stats", None)}, f, indent=1)
        return ok

    # -- teardown --------------------------------------------------------------------------------------------
    def cleanup(self, keep_work=False):
        """Stop what the lab started, delete its links and namespaces, unmount its bpffs. The work directory
        (logs, captures, summary.json) stays after a failure, or with --keep / --workdir."""
        for name in ("uac", "kamailio", "uas", "tcpdump", "sipwall"):
            self.stop(name, signal.SIGINT if name not in ("sipwall", "kamailio") else signal.SIGTERM, timeout=10)
        for link in self.created_links:
            self.sh("ip", "link", "del", link, check=False)
        for ns in self.created_ns:
            self.sh("ip", "netns", "del", ns, check=False)
        if self.mounted:
            self.sh("umount", self.bpffs, check=False)
        for d in ("/var/run/dpdk", os.environ.get("XDG_RUNTIME_DIR", "/tmp") + "/dpdk"):
            shutil.rmtree(os.path.join(d, self.prefix), ignore_errors=True)
        if not (keep_work or self.a.keep or self.a.workdir):
            shutil.rmtree(self.work, ignore_errors=True)


def stop_on_signal(signum, _frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Stop(f"signal {signum}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="meson build directory")
    ap.add_argument("--sipwall"), ap.add_argument("--sipwallctl"), ap.add_argument("--xdp-obj")
    ap.add_argument("--policy", default=os.path.join(HERE, "policy.yaml"))
    ap.add_argument("--calls", type=int, default=200, help="sipp calls (default 200)")
    ap.add_argument("--rate", type=float, default=20, help="calls per second (default 20)")
    ap.add_argument("--flood", type=int, default=5000, help="requests in the one-source flood (default 5000)")
    ap.add_argument("--short", action="store_true", help="the test suite's lab: 20 calls, a 2,000-request flood")
    ap.add_argument("--server", choices=("kamailio", "sipp"),
                    default="kamailio" if shutil.which("kamailio") else "sipp",
                    help="inside: Kamailio proxying to a sipp UAS (default when installed), or the sipp UAS alone")
    ap.add_argument("--workdir", help="keep logs, captures and summary.json here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary work directory")
    a = ap.parse_args()
    if a.short:
        a.calls, a.rate, a.flood = 20, 10, 2000
    a.build, a.policy = os.path.abspath(a.build), os.path.abspath(a.policy)
    a.sipwall = a.sipwall or os.path.join(a.build, "dataplane", "sipwall")
    a.sipwallctl = a.sipwallctl or os.path.join(a.build, "control", "sipwallctl")
    a.xdp_obj = a.xdp_obj or os.path.join(a.build, "bpf", "sw_xdp.bpf.o")
    a.sipwall, a.sipwallctl, a.xdp_obj = map(os.path.abspath, (a.sipwall, a.sipwallctl, a.xdp_obj))
    lab = Lab(a)
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    ok = False
    try:
        lab.preflight()
        probes = probe_table(lab.tag)
        print(f"== sipwall lab {lab.tag}: {a.calls} calls at {a.rate}/s, {len(probes)} attack probes, "
              f"a {a.flood}-request flood; work directory {lab.work}", flush=True)
        lab.offline_check(probes)
        lab.setup_net()
        lab.start_sipwall()
        lab.start_server_and_calls()
        time.sleep(min(2.0, a.calls / a.rate / 4))  # calls flowing before the attacks start
        lab.attack_mix(probes)
        lab.blocklisted()
        lab.policy_change()
        lab.flood()
        lab.wait_calls()
        lab.reached_server()
        lab.finish_sipwall()
        ok = lab.report()
    except Skip as e:
        print(f"SKIP: {e}")
        ok = True  # nothing to look at afterwards: the work directory goes too
        return SKIP
    except Stop as e:
        print(f"\nlab interrupted ({e}): cleaning up")
        lab.expect("lab ran to the end", False, f"interrupted by {e}")
        lab.report()
    except Exception as e:  # noqa: BLE001 - any failure must still reach the cleanup and the summary
        print(f"lab error: {type(e).__name__}: {e}")
        lab.expect("lab ran to the end", False, str(e))
        lab.report()
    finally:
        lab.cleanup(keep_work=not ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
