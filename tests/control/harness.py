# SPDX-License-Identifier: BSD-3-Clause
"""Shared by the control tests and bench/bench_swap.py: sipwall on net_pcap vdevs that loop a capture forever
(infinite_rx=1, --no-huge), with its control socket in a private directory, and helpers to talk to it through
sipwallctl or the raw socket (docs/control.md)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import gen_mixed_pcap as G  # noqa: E402
import pcaplib as P  # noqa: E402
import daemon  # noqa: E402
import run_pcap  # noqa: E402

SKIP = 77


def make_capture(d, scanner_ua="friendly-scanner"):
    """Outside: a valid request, one answered 483, one from a scanner, a DNS datagram; inside: the DNS one."""
    g = G.Gen()
    g.request_case("valid", "pass")
    g.request_case("483", "reply", 483, max_forwards="0")
    g.request_case("scanner", "drop", ua=scanner_ua)
    src = g.client()
    g.add("DNS", [g.udp_frame(src, b"\x00" * 20, sport=33000, dport=53)], "pass")
    P.write_pcap(os.path.join(d, "out_in.pcap"), g.frames["outside"])
    P.write_pcap(os.path.join(d, "in_in.pcap"), g.frames["outside"][3:])
    return len(g.frames["outside"])


def raw_request(path, data, timeout=30.0, shutdown=True):
    """Send bytes, return the decoded response object (or None when the daemon closed without one)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(data)
        if shutdown:
            s.shutdown(socket.SHUT_WR)
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return json.loads(buf) if buf.strip() else None


def request(path, obj, timeout=300.0):
    return raw_request(path, (json.dumps(obj) + "\n").encode(), timeout)


class Daemon:
    """sipwall with --control SOCK and --policy POLICY under workdir. start() returns False when the EAL cannot
    start here (the caller skips)."""

    def __init__(self, sipwall, workdir, policy_text, workers=1, extra=()):
        self.sipwall = sipwall
        self.d = os.path.abspath(workdir)
        self.sock = os.path.join(self.d, "run", "sipwall.sock")
        self.policy = os.path.join(self.d, "policy.yaml")
        self.workers = workers
        self.extra = list(extra)
        self.dm = None
        with open(self.policy, "w") as f:
            f.write(policy_text)

    def start(self, timeout=30.0):
        prefix = f"swctl{os.getpid()}_{int(time.time() * 1000) % 100000}"
        eal = run_pcap.eal_args(prefix, self.d, infinite=True)
        if self.workers > 1:
            # one RX queue per worker: net_pcap makes a queue of every rx_pcap, each looping the capture on its own;
            # lcores mapped onto the CPUs there are (a 2-CPU host runs 1 + 2 lcores: the main one mostly sleeps)
            cpus = sorted(os.sched_getaffinity(0))
            i = eal.index("-l")
            eal[i:i + 2] = ["--lcores", ",".join(f"{k}@{cpus[k % len(cpus)]}" for k in range(self.workers + 1))]
            for k, a in enumerate(eal):
                if a.startswith("net_pcap"):
                    name, rest = a.split(",", 1)
                    rx = [x for x in rest.split(",") if x.startswith("rx_pcap=")][0]
                    eal[k] = ",".join([name] + [rx] * self.workers + [x for x in rest.split(",") if x != rx])
        cmd = [self.sipwall] + eal + ["--", "--policy", self.policy, "--control", self.sock] + self.extra
        self.dm = daemon.Daemon(cmd, prefix)
        try:
            return self.dm.start(lambda: os.path.exists(self.sock) and request(self.sock, {"cmd": "hello"},
                                                                                  timeout=5).get("ok"),
                                 "the control socket", timeout) is not None
        except Exception:
            self.dm.close()
            raise

    @property
    def proc(self):
        return self.dm.proc if self.dm else None

    @property
    def out(self):
        return self.dm.out if self.dm else ""

    @property
    def err(self):
        return self.dm.err if self.dm else ""

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stop it; returns the final counters (run_pcap.parse_counters) and keeps stdout/stderr."""
        if self.dm is None:
            return {}
        try:
            self.dm.stop(sig, timeout)
        finally:
            self.dm.close()
        return run_pcap.parse_counters(self.dm.out)

    def __call__(self, obj, timeout=300.0):
        return request(self.sock, obj, timeout)


def run_ctl(ctl, sock, *args, input=None, timeout=120):
    """sipwallctl -s SOCK ARGS...: (exit status, stdout, stderr)."""
    p = subprocess.run([ctl, "-s", sock] + list(args), capture_output=True, text=True, input=input,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


errors = []  # the failures check() recorded: a test process runs one test


def check(cond, msg):
    """Record msg as a failure (and print it) unless cond; returns cond."""
    if not cond:
        errors.append(msg)
        print("FAIL:", msg, flush=True)
    return cond


def run_test(name, sipwall, workdir, policy_text, body, verify, workers=1):
    """A control test's frame: a fresh workdir with make_capture's capture, sipwall started on policy_text,
    body(dm, workdir) with any exception a failure, the daemon stopped with SIGTERM and exit 0 checked, then
    verify(final counters). Prints NAME: N errors and removes the workdir when there were none. Returns the exit
    status: 0, 1 on a failure, SKIP when the EAL cannot start here."""
    d = os.path.abspath(workdir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    make_capture(d)
    dm = Daemon(sipwall, d, policy_text, workers=workers)
    if not dm.start():
        return SKIP
    try:
        body(dm, d)
    except Exception as e:  # noqa: BLE001 - any exception is a test failure, reported with the daemon's output
        check(False, f"exception: {e!r}")
    finally:
        c = dm.stop()
    check(dm.proc.returncode == 0, f"sipwall exit {dm.proc.returncode}: {dm.err[-2000:]}")
    verify(c)
    print(f"{name}: {len(errors)} errors")
    if not errors:
        shutil.rmtree(d, ignore_errors=True)
    return 1 if errors else 0
