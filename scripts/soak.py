#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Soak: sipwall on a looping capture for a long time, with policy churn and a fragment flood (issue 8).

  scripts/soak.py [--build DIR] [--seconds 600] [--churn-ms 500] [--sample-s 10] [--workdir DIR]

Not part of the test suite (it runs for ten minutes by default). What it does:
  - writes a capture that mixes valid calls, every reply class, scanners, junk, non-SIP, and a fragment flood: whole
    fragmented INVITEs (IPv4 and IPv6, in and out of order) and a few hundred first fragments whose datagrams never
    complete, so the reassembly table fills, times out and is reclaimed over and over;
  - runs sipwall on two net_pcap ports that loop it (infinite_rx=1) into /dev/null, with --no-huge;
  - replaces the policy every --churn-ms, alternating two policies that differ in a rule and a limit: through the
    control socket (`sipwallctl policy load`) when the daemon has one, else by rewriting the file and SIGHUP;
  - samples every --sample-s over DPDK telemetry and /proc: the counters, the mbufs in use, the DPDK heap and the
    process RSS.
It fails (exit 1) when: a sample saw no new packets on a worker (a stall); the counters ever disagree
(rx != tx_pass + tx_reply + dropped, beyond the packets of one burst in flight); mbufs in use, DPDK heap or RSS grow
after the warm-up beyond a small slack (memory not flat); a policy load failed; the final counters do not add up.
Prints one line per sample and a summary. Exit 77 when the EAL cannot start here.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import gen_mixed_pcap as G  # noqa: E402
import pcaplib as P  # noqa: E402
import daemon  # noqa: E402
import run_pcap  # noqa: E402
import telemetry  # noqa: E402
from telemetry import Telemetry  # noqa: E402

POLICY = """\
# soak policy {name}
limits:
  max_message_bytes: {max_bytes}
  max_request_uri_bytes: 256
dataplane:
  sip_ports: [5060, 5070]
fragments:
  action: reassemble
  max_in_flight: 1024
  timeout_ms: 200
reply_budget:
  per_prefix_pps: 1000000
  per_prefix_burst: 10000000
  global_pps: 10000000
  global_burst: 10000000
rules:
  - id: scanners
    where: header User-Agent
    literal: [friendly-scanner, sipvicious]
    caseless: true
    action: {scanner_action}
"""
MB = 1 << 20


def write_policies(d):
    paths = []
    for name, action, size in (("a", "drop", 4096), ("b", "count", 4000)):
        p = os.path.join(d, f"policy-{name}.yaml")
        with open(p, "w") as f:
            f.write(POLICY.format(name=name, scanner_action=action, max_bytes=size))
        paths.append(p)
    return paths


def make_capture(d):
    """The mixed capture of the integration test plus a fragment flood, on the outside; some inside traffic."""
    g = G.build()
    flood = []
    body = G.SDP + "".join(f"a=x-soak-{i}:{'q' * 60}\r\n" for i in range(30))
    for i in range(300):       # first fragments of datagrams that never complete: held until the timeout
        src = G.ipaddress.ip_address(f"2001:db8:5:{i:x}::9" if i % 3 == 0 else f"198.19.{i >> 8}.{i & 255}")
        payload = G.sip_request("INVITE", f"soakfl{i}", str(src), 5062, body=body)
        frame = g.udp_frame(src, payload)
        if src.version == 4:
            ip = bytearray(frame[14:])
            ip[4:6] = P.struct.pack("!H", (0x5000 + i) & 0xffff)
            ip[10:12] = b"\0\0"
            ip[10:12] = P.struct.pack("!H", P.csum(bytes(ip[:20])))
            frags = P.fragments_v4(frame[:14], bytes(ip), 1000)
        else:
            frags = P.fragments_v6(frame[:14], frame[14:], 1232, 0x500000 + i)
        flood.append(frags[0])
        if i % 2:
            flood.append(frags[-1])   # and sometimes the last one, still missing the middle
    # net_pcap's infinite_rx cannot loop frames larger than one mbuf: jumbo frames stay out of the loop
    frames = [f for f in g.frames["outside"] + flood if len(f) <= 1518]
    P.write_pcap(os.path.join(d, "out_in.pcap"), frames)
    P.write_pcap(os.path.join(d, "in_in.pcap"), g.frames["inside"] or frames[:3])
    nfrag = sum(1 for f in frames if is_fragment(f))
    return len(frames), nfrag


def is_fragment(frame):
    """An IPv4 fragment (MF or an offset) or an IPv6 packet with a Fragment header right after the base header."""
    off = 14
    while frame[off - 2:off] in (b"\x81\x00", b"\x88\xa8"):
        off += 4
    et = frame[off - 2:off]
    if et == b"\x08\x00":
        return (P.struct.unpack("!H", frame[off + 6:off + 8])[0] & 0x3fff) != 0
    return et == b"\x86\xdd" and frame[off + 6] == 44


def wait_for(pred, what):
    """telemetry.wait_for for up to 30 s; a refused or closed connection (the daemon starting or stopping) is a no."""
    return telemetry.wait_for(pred, what, timeout=30.0, retry_on=OSError)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Churn:
    """Alternates the two policies: over the control socket when the daemon has one, else by SIGHUP."""

    def __init__(self, dm, ctl, sock, live, policies):
        self.dm, self.ctl, self.sock, self.live, self.policies = dm, ctl, sock, live, policies
        self.n = 0
        self.failures = []
        self.via = "socket" if sock and os.path.exists(sock) else "sighup"

    def step(self):
        src = self.policies[self.n % 2]
        self.n += 1
        if self.via == "socket":
            r = subprocess.run([self.ctl, "-s", self.sock, "policy", "load", src], capture_output=True, text=True)
            if r.returncode != 0:
                self.failures.append(r.stderr.strip() or r.stdout.strip())
        else:
            shutil.copy(src, self.live)
            self.dm.send(signal.SIGHUP)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--churn-ms", type=float, default=500)
    ap.add_argument("--sample-s", type=float, default=10)
    ap.add_argument("--warmup-s", type=float, default=30)
    ap.add_argument("--workdir", default="/tmp/sipwall-soak")
    args = ap.parse_args()
    sipwall = os.path.join(args.build, "dataplane", "sipwall")
    ctl = os.path.join(args.build, "control", "sipwallctl")
    if not os.access(sipwall, os.X_OK):
        print(f"soak: no {sipwall}: build first (meson setup build && ninja -C build)", file=sys.stderr)
        return 1
    d = os.path.abspath(args.workdir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    nframes, nfrag = make_capture(d)
    policies = write_policies(d)
    live = os.path.join(d, "policy.yaml")
    shutil.copy(policies[0], live)
    prefix = f"swsoak{os.getpid()}"
    ctl_sock = os.path.join(d, "ctl.sock")
    eal = ["--no-huge", "-m", "512", "--file-prefix", prefix, "-l", "0,1", "--no-pci", "--log-level", "lib.*:notice",
           "--vdev", f"net_pcap0,rx_pcap={d}/out_in.pcap,tx_pcap=/dev/null,infinite_rx=1",
           "--vdev", f"net_pcap1,rx_pcap={d}/in_in.pcap,tx_pcap=/dev/null,infinite_rx=1"]
    opts = ["--policy", live]
    has_control = "--control" in subprocess.run([sipwall, "--help"], capture_output=True, text=True).stdout
    if has_control:
        opts += ["--control", ctl_sock]
    cmd = [sipwall] + eal + ["--"] + opts
    print(f"soak: {nframes} frames ({nfrag} fragments) looping, {args.seconds:.0f} s, policy churn every {args.churn_ms:.0f} ms",
          flush=True)
    errors, samples = [], []
    with open(os.path.join(d, "sipwall.log"), "w") as log, daemon.Daemon(cmd, prefix, stderr=log) as dm:
        tsock = os.path.join(dm.runtime_dir, "dpdk_telemetry.v2")
        try:
            try:
                tel = dm.start(lambda: os.path.exists(tsock) and Telemetry(tsock), "a telemetry connection")
            except RuntimeError as e:
                raise AssertionError(f"{e} (see {d}/sipwall.log)")
            if tel is None:
                return run_pcap.SKIP
            wait_for(lambda: not dm.alive() or isinstance(tel("/sipwall/stats"), dict), "the /sipwall commands")
            if not dm.alive():
                raise AssertionError(f"sipwall exited {dm.proc.returncode} at start (see {d}/sipwall.log)")
            if has_control:
                wait_for(lambda: os.path.exists(ctl_sock), "the control socket")
            churn = Churn(dm, ctl, ctl_sock if has_control else None, live, policies)
            print(f"soak: policy churn via {churn.via}", flush=True)
            has_mempool = isinstance(safe(tel, "/sipwall/mempool"), dict)
            if not has_mempool:
                print("soak: no /sipwall/mempool telemetry: mbufs in use not checked", flush=True)
            start = time.time()
            next_sample = start
            prev = None
            print(f"{'t_s':>6} {'rx_Mpps':>8} {'rx':>12} {'frag_reasm':>10} {'mbuf_used':>9} {'heap_MB':>8} "
                  f"{'rss_MB':>7} {'version':>7}", flush=True)
            while time.time() - start < args.seconds:
                if not dm.alive():
                    raise AssertionError(f"sipwall exited {dm.proc.returncode} during the soak")
                churn.step()
                now = time.time()
                if now >= next_sample:
                    next_sample += args.sample_s
                    s = sample(tel, dm.proc.pid, nworkers=1, has_mempool=has_mempool)
                    s["t"] = now - start
                    check_sample(s, prev, errors, held_max=nfrag)
                    samples.append(s)
                    rate = (s["rx"] - prev["rx"]) / (s["t"] - prev["t"]) / 1e6 if prev else 0.0
                    print(f"{s['t']:6.0f} {rate:8.2f} {s['rx']:12d} {s['frag_reassembled']:10d} "
                          f"{s.get('mbuf_in_use', -1):9d} {s['heap_alloc'] / MB:8.1f} {s['rss'] / MB:7.1f} "
                          f"{s['version']:7d}", flush=True)
                    prev = s
                time.sleep(args.churn_ms / 1000)
            check_flat(samples, args.warmup_s, errors)
            if churn.failures:
                errors.append(f"{len(churn.failures)} policy loads failed, first: {churn.failures[0]}")
            print(f"soak: {churn.n} policy replacements via {churn.via}", flush=True)
        except AssertionError as e:
            errors.append(str(e))
        dm.stop()
    out = dm.out
    c = run_pcap.parse_counters(out)
    if not c.get("rx") or c["rx"] != c["tx_pass"] + c["tx_reply"] + c["dropped"]:
        errors.append(f"final counters do not add up: {c}")
    else:
        print(f"soak: final rx {c['rx']} = tx_pass {c['tx_pass']} + tx_reply {c['tx_reply']} + "
              f"dropped {c['dropped']}")
    if dm.returncode != 0:
        errors.append(f"sipwall exit status {dm.returncode} after SIGTERM (see {d}/sipwall.log)")
    for e in errors:
        print("FAIL:", e)
    print(f"soak: {'FAILED' if errors else 'OK'} ({len(samples)} samples)")
    return 1 if errors else 0


def safe(tel, cmd):
    try:
        return tel(cmd)
    except (OSError, KeyError, ValueError):
        return None


def sample(tel, pid, nworkers, has_mempool):
    st = tel("/sipwall/stats")
    s = {k: st[k] for k in ("rx", "tx_pass", "tx_reply", "dropped", "frag_reassembled")}
    s["workers_rx"] = [tel(f"/sipwall/worker,{i}")["rx"] for i in range(st.get("workers", nworkers))]
    s["version"] = tel("/sipwall/policy")["version"]
    s["heap_alloc"] = tel("/eal/heap_info,0")["Alloc_size"]
    s["rss"] = rss_bytes(pid)
    if has_mempool:
        s["mbuf_in_use"] = tel("/sipwall/mempool")["in_use"]
    return s


def check_sample(s, prev, errors, held_max):
    # The counters are read one after the other while the workers run: allow a few bursts in flight, and the
    # fragments the reassembler holds (at most every fragment of the capture, each datagram being held once).
    gap = s["rx"] - (s["tx_pass"] + s["tx_reply"] + s["dropped"])
    if not 0 <= gap <= 4 * 32 + held_max:
        errors.append(f"t={s.get('t', 0):.0f}s: rx {s['rx']} vs tx_pass + tx_reply + dropped: gap {gap}")
    if prev:
        for i, (a, b) in enumerate(zip(prev["workers_rx"], s["workers_rx"])):
            if b <= a:
                errors.append(f"t={s['t']:.0f}s: worker {i} received nothing since the last sample: stalled")


def check_flat(samples, warmup, errors):
    after = [s for s in samples if s["t"] >= warmup]
    if len(after) < 2:
        errors.append("too few samples after the warm-up to judge memory (run longer than --warmup-s)")
        return
    base = after[0]
    for key, slack, unit in (("heap_alloc", 1 * MB, "bytes"), ("rss", 16 * MB, "bytes"), ("mbuf_in_use", 512, "mbufs")):
        if key not in base:
            continue
        top = max(s[key] for s in after)
        if top - base[key] > slack:
            errors.append(f"{key} grew by {top - base[key]} {unit} after the warm-up (slack {slack}): not flat")
        else:
            print(f"soak: {key} flat after the warm-up: {base[key]} .. {top} (slack {slack} {unit})")


if __name__ == "__main__":
    sys.exit(main())
