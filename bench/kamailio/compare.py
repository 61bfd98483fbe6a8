#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""CPU time per message: Kamailio (Debian's, kamailio.cfg here) against sipwall's core, on the same messages.

  compare.py --build BUILD_DIR [--count N] [--port P] [--json OUT]

1. bench/traffic/sipgen.py writes the realistic mix (its stated proportions) as a classic pcap addressed to
   127.0.0.1; its SIP datagrams are the messages of both sides.
2. Kamailio runs on 127.0.0.1:P with one UDP worker (-n 1) and kamailio.cfg (the same checks as lab/policy.yaml:
   size, Request-URI length, Max-Forwards, scanner User-Agents, sanity; stateless replies). The datagrams are sent
   over loopback in batches of 256, each batch once Kamailio's socket queue is empty (/proc/net/udp), so none is
   lost to a full buffer (the socket's drop counter is checked). Kamailio's CPU time is utime + stime of all its
   processes (/proc/PID/stat) before and after, minus what they use idle over the same wall time.
   The same with kamailio-floor.cfg (an empty route) gives Kamailio's receive path alone.
3. sipwall: build/bench/bench_mix on the same pcap with lab/policy.yaml (sw_judge + sw_respond in process, the
   worker's per-message path without the NIC), its thread CPU time per message.

Neither side sends what passes (Kamailio drops it, bench_mix has no NIC). Kamailio's figure includes the
recvfrom() and the reply's sendto() system calls, which are part of its architecture; sipwall's dataplane
receives and sends through DPDK without a system call per packet (bench_dataplane measures that path).
Exit 77 without kamailio; writes bench/results/kamailio.json.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TICK = os.sysconf("SC_CLK_TCK")


def payloads(pcap):
    """UDP payloads to port 5060 of a classic Ethernet/IPv4 pcap (sipgen's output)."""
    out = []
    with open(pcap, "rb") as f:
        f.read(24)
        while len(rec := f.read(16)) == 16:
            frame = f.read(struct.unpack("<IIII", rec)[2])
            off = 18 if frame[12:14] == b"\x81\x00" else 14
            ip = frame[off:]
            if frame[off - 2:off] != b"\x08\x00" or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            if struct.unpack("!H", udp[2:4])[0] == 5060:
                out.append(udp[8:struct.unpack("!H", udp[4:6])[0]])
    return out


def family(pid):
    """pid and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            kids = open(f"/proc/{p}/task/{p}/children").read().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return pids


def cpu_seconds(pids):
    total = 0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / TICK


def udp_queue(port):
    """(rx_queue bytes, drops) of the 127.0.0.1:port UDP socket."""
    want = f"0100007F:{port:04X}"
    for line in open("/proc/net/udp").read().splitlines()[1:]:
        f = line.split()
        if f[1] == want:
            return int(f[4].split(":")[1], 16), int(f[12])
    return 0, 0


def run_kamailio(args, msgs, work, cfg="kamailio.cfg"):
    port = args.port
    cmd = ["kamailio", "-f", os.path.join(HERE, cfg), "-DD", "-E", "-n", "1",
           "-l", f"udp:127.0.0.1:{port}", "-Y", work, "-P", os.path.join(work, "kamailio.pid"),
           "-m", "64", "-M", "8", "-w", work]
    log = open(os.path.join(work, "kamailio.log"), "w")
    k = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        for _ in range(50):
            time.sleep(0.1)
            if k.poll() is not None:
                raise RuntimeError(f"kamailio exited {k.returncode}: {open(log.name).read()[-600:]}")
            if udp_queue(port) != (0, 0) or any(l.split()[1] == f"0100007F:{port:04X}"
                                                for l in open("/proc/net/udp").read().splitlines()[1:]):
                break
        time.sleep(0.5)
        pids = family(k.pid)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        replies = {}

        def drain():
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    return
                st = data.split(b" ", 2)[1].decode() if data.startswith(b"SIP/2.0 ") else "?"
                replies[st] = replies.get(st, 0) + 1

        def send_all(seq):
            for i in range(0, len(seq), 256):
                for m in seq[i:i + 256]:
                    s.sendto(m, ("127.0.0.1", port))
                while udp_queue(port)[0]:
                    drain()
                    time.sleep(0.0005)
                drain()

        send_all(msgs[:2000])  # warm-up: caches, lazy allocations
        time.sleep(0.3)
        # idle cost of its processes (timers) over a second, subtracted from the measurement per wall second
        c0, t0 = cpu_seconds(pids), time.monotonic()
        time.sleep(1.0)
        idle_rate = (cpu_seconds(pids) - c0) / (time.monotonic() - t0)
        replies.clear()
        drops0 = udp_queue(port)[1]
        seq = (msgs * (args.count // len(msgs) + 1))[:args.count]
        c0, t0 = cpu_seconds(pids), time.monotonic()
        send_all(seq)
        time.sleep(0.2)
        drain()
        wall = time.monotonic() - t0
        cpu = cpu_seconds(pids) - c0
        drops = udp_queue(port)[1] - drops0
        handled = len(seq) - drops
        return {"messages": len(seq), "socket_drops": drops, "processes": len(pids), "wall_s": round(wall, 3),
                "cpu_s": cpu, "idle_cpu_per_s": idle_rate,
                "cpu_ns_per_msg": max(cpu - idle_rate * wall, 0) / handled * 1e9,
                "cpu_ns_per_msg_raw": cpu / handled * 1e9, "replies": replies,
                "version": subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout.split("\n")[0]}
    finally:
        os.killpg(k.pid, signal.SIGTERM)
        try:
            k.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(k.pid, signal.SIGKILL)
            k.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=100000, help="messages sent to Kamailio (default 100,000)")
    ap.add_argument("--port", type=int, default=15060 + os.getpid() % 1000)
    ap.add_argument("--policy", default=os.path.join(ROOT, "lab", "policy.yaml"))
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "kamailio.json"))
    a = ap.parse_args()
    if not shutil.which("kamailio"):
        print("SKIP: kamailio not installed (scripts/install-deps.sh)")
        return 77
    bench_mix = os.path.join(os.path.abspath(a.build), "bench", "bench_mix")
    if not os.access(bench_mix, os.X_OK):
        print(f"compare.py: {bench_mix} not built", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="sipwall-kam-")
    try:
        pcap = os.path.join(work, "mix.pcap")
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "traffic", "sipgen.py"), "--mix", "realistic",
                        "--count", "10000", "--src-net", "127.0.1", "--dst-ip", "127.0.0.1", "--mtu", "65535", "-o", pcap],
                       check=True)
        msgs = payloads(pcap)
        kam = run_kamailio(a, msgs, work)
        floor = run_kamailio(a, msgs, work, "kamailio-floor.cfg")
        mix_json = os.path.join(work, "mix.json")
        subprocess.run([bench_mix, "--pcap", pcap, "--policy", a.policy, "--json", mix_json, "--quiet"],
                       check=True)
        sw = json.load(open(mix_json))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = kam["cpu_ns_per_msg"] / sw["cpu_ns_per_msg"] if sw["cpu_ns_per_msg"] else None
    rep = {"bench": "kamailio", "machine": sw.get("machine"), "mix": "sipgen.py --mix realistic (10,000 messages)",
           "sip_messages_in_mix": len(msgs), "kamailio": kam, "kamailio_floor": floor,
           "sipwall": {k: sw[k] for k in ("messages", "pass", "drop", "reply", "ns_per_msg_median",
                                          "ns_per_msg_min", "cpu_ns_per_msg")},
           "ratio_cpu_kamailio_over_sipwall": ratio}
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(rep, f, indent=1)
    kr = sum(kam["replies"].values())
    print(f"{'':28}{'CPU ns/msg':>12}{'replies':>9}  notes")
    print(f"{'Kamailio ' + kam['version'].split()[2]:28}{kam['cpu_ns_per_msg']:12.0f}{kr:9d}  "
          f"{kam['messages']} msgs over loopback, {kam['processes']} processes, idle subtracted "
          f"(raw {kam['cpu_ns_per_msg_raw']:.0f}), socket drops {kam['socket_drops']}")
    print(f"{'Kamailio, empty route':28}{floor['cpu_ns_per_msg']:12.0f}{sum(floor['replies'].values()):9d}  "
          f"its receive path alone (kamailio-floor.cfg): what the checks add is the difference")
    print(f"{'sipwall core (bench_mix)':28}{sw['cpu_ns_per_msg']:12.0f}"
          f"{round(sw['reply'] * kam['messages'] / sw['messages']):9d}  judge + respond in process; "
          f"TSC median {sw['ns_per_msg_median']:.0f} ns/msg")
    print(f"Kamailio / sipwall: {ratio:.1f}x CPU per message -> {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
