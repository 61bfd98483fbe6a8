#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipwall between real kernel stacks: two network namespaces joined through it by veth pairs (net_af_packet).

  run_netns.py --sipwall BIN --policy FILE

  client netns (10.77.0.1, fd77::1) ─veth─ [net_af_packet0  sipwall  net_af_packet1] ─veth─ server netns
  (10.77.0.2, fd77::2)

The kernels on both sides are the checkers here: ARP / neighbour discovery must cross (non-SIP passes), a valid
OPTIONS must reach the server's socket, and a request with Max-Forwards 0 must come back to the client's socket
as a 483 from the server's address and port — which the client kernel delivers only when the IP and UDP
checksums sipwall wrote are right. IPv4 and IPv6. The namespaces and links are removed afterwards.
Exit 77 without the rights to create namespaces or start the EAL.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
from telemetry import Telemetry  # noqa: E402

SKIP = 77
SERVER_PY = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 5060))
s.settimeout(20)
seen = set()
while len(seen) < 2:
    data, peer = s.recvfrom(65535)
    seen.add(peer[0].startswith("::ffff:"))
    print("server got", data.split(b"\r\n")[0].decode(), "from", peer[0], flush=True)
"""
CLIENT_PY = r"""
import socket, sys
def req(branch, mf, host):
    return ("OPTIONS sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP %s:5062;branch=z9hG4bK%s;rport\r\n"
            "Max-Forwards: %s\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.net>\r\n"
            "Call-ID: %s@netns\r\nCSeq: 1 OPTIONS\r\nContact: <sip:alice@%s:5062>\r\nUser-Agent: netns-test\r\n"
            "Content-Length: 0\r\n\r\n" % (host, branch, mf, branch, host)).encode()
fails = 0
for fam, me, srv in ((socket.AF_INET, "10.77.0.1", "10.77.0.2"), (socket.AF_INET6, "fd77::1", "fd77::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((me, 5062))
    s.settimeout(5)
    host = me if fam == socket.AF_INET else "[" + me + "]"
    for attempt in range(5):                      # the first may wait for ARP / ND across sipwall
        s.sendto(req("ok%d%d" % (fam, attempt), "70", host), (srv, 5060))
        s.sendto(req("mf%d%d" % (fam, attempt), "0", host), (srv, 5060))
        try:
            data, peer = s.recvfrom(65535)
            break
        except socket.timeout:
            data, peer = b"", None
    line = data.split(b"\r\n")[0].decode()
    ok = line.startswith("SIP/2.0 483 ") and peer[0] == srv and peer[1] == 5060
    print("client", "ok" if ok else "FAIL", repr(line), "from", peer, flush=True)
    fails += not ok
sys.exit(1 if fails else 0)
"""


def vdev(args, n, iface):
    if args.pmd == "af_packet":
        return f"net_af_packet{n},iface={iface}"
    prog = f",xdp_prog={args.xdp_prog}" if args.xdp_prog and n == 0 else ""
    return f"net_af_xdp{n},iface={iface},start_queue=0,queue_count=1{prog}"


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipwall", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--pmd", choices=("af_packet", "af_xdp"), default="af_packet")
    ap.add_argument("--xdp-prog", help="net_af_xdp only: the XDP object to load on the outside port")
    ap.add_argument("--sipwallctl", help="with --xdp-prog: check the daemon adopted and configures the prefilter")
    args = ap.parse_args()
    if not shutil.which("ip") or not shutil.which("ethtool"):
        print("SKIP: needs ip and ethtool")
        return SKIP
    tag = str(os.getpid() % 100000)
    ns_c, ns_s = f"swc{tag}", f"sws{tag}"
    vo, vi = f"swo{tag}", f"swi{tag}"
    dm = srv = None
    bpffs = None
    env = dict(os.environ)
    try:
        try:
            sh("ip", "netns", "add", ns_c)
            sh("ip", "netns", "add", ns_s)
        except subprocess.CalledProcessError as e:
            print(f"SKIP: cannot create network namespaces: {e.stderr.strip()}")
            return SKIP
        for host, peer, ns, v4, v6 in ((vo, vo + "p", ns_c, "10.77.0.1/24", "fd77::1/64"),
                                       (vi, vi + "p", ns_s, "10.77.0.2/24", "fd77::2/64")):
            sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", ns)
            sh("ip", "link", "set", host, "up")
            nx = ["ip", "netns", "exec", ns]
            sh(*nx, "ip", "addr", "add", v4, "dev", peer)
            sh(*nx, "ip", "addr", "add", v6, "dev", peer, "nodad")
            sh(*nx, "ip", "link", "set", peer, "up")
            sh(*nx, "ip", "link", "set", "lo", "up")
            # veth leaves UDP checksums to "hardware" (CHECKSUM_PARTIAL): have them written, as a NIC would
            sh(*nx, "ethtool", "-K", peer, "tx", "off")
        if args.xdp_prog:
            # the prefilter hands only SIP to the AF_XDP socket and passes the rest to the kernel: put the two
            # ports in a Linux bridge so that the kernel carries what is not SIP (ARP, ND, everything else)
            sh("ip", "link", "add", f"swb{tag}", "type", "bridge")
            for link in (vo, vi):
                sh("ip", "link", "set", link, "master", f"swb{tag}")
            sh("ip", "link", "set", f"swb{tag}", "up")
        prefix = f"swns{tag}"
        opts = ["--policy", args.policy]
        if args.xdp_prog and args.sipwallctl:
            # a bpffs of this test's own, so the host's /sys/fs/bpf/sipwall is never touched
            bpffs = tempfile.mkdtemp(prefix="swns-bpffs-")
            sh("mount", "-t", "bpf", "bpf", bpffs)
            env["SIPWALL_PIN_ROOT"] = os.path.join(bpffs, "sipwall")
            policy = os.path.join(bpffs + "-policy.yaml")
            shutil.copy(args.policy, policy)
            opts = ["--policy", policy, "--control", bpffs + "-ctl.sock"]
        cmd = [args.sipwall, "--no-huge", "-m", "512", "--file-prefix", prefix, "-l", "0,1", "--no-pci",
               "--vdev", vdev(args, 0, vo), "--vdev", vdev(args, 1, vi), "--"] + opts
        dm = daemon.Daemon(cmd, prefix, env=env)
        tsock = os.path.join(dm.runtime_dir, "dpdk_telemetry.v2")
        # ready once the workers run: the /sipwall telemetry commands are registered after the ports start
        try:
            if dm.start(lambda: os.path.exists(tsock) and isinstance(Telemetry(tsock)("/sipwall/stats"), dict),
                        "the /sipwall telemetry commands") is None:
                return SKIP
        except RuntimeError as e:
            print(f"FAIL: {e}")
            return 1
        srv = subprocess.Popen(["ip", "netns", "exec", ns_s, sys.executable, "-c", SERVER_PY],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        cli = subprocess.run(["ip", "netns", "exec", ns_c, sys.executable, "-c", CLIENT_PY],
                             capture_output=True, text=True, timeout=60)
        print(cli.stdout, cli.stderr, end="")
        srv_out, _ = srv.communicate(timeout=30)
        print(srv_out, end="")
        fails = []
        if bpffs:
            fails += check_adopted(args, env, opts[3])
        dm.stop(timeout=30)
        print(dm.out, end="")
        if cli.returncode != 0:
            fails.append("the client did not get its 483 replies")
        if "from ::ffff:10.77.0.1" not in srv_out or "from fd77::1" not in srv_out:
            fails.append("the valid OPTIONS did not reach the server (IPv4 and IPv6)")
        if dm.returncode != 0:
            fails.append(f"sipwall exited {dm.returncode}: {dm.err}")
        for f in fails:
            print("FAIL:", f)
        print(f"run_netns: {len(fails)} errors")
        return 1 if fails else 0
    finally:
        if dm:
            dm.close()
        if srv and srv.poll() is None:
            srv.kill()
            srv.communicate()
        for link in (vo, vi, f"swb{tag}"):
            sh("ip", "link", "del", link, check=False)
        for ns in (ns_c, ns_s):
            sh("ip", "netns", "del", ns, check=False)
        if bpffs:
            sh("umount", bpffs, check=False)
            os.rmdir(bpffs)
            for f in (bpffs + "-policy.yaml", bpffs + "-ctl.sock"):
                if os.path.exists(f):
                    os.unlink(f)


def check_adopted(args, env, ctl_sock):
    """The daemon pinned the prefilter's maps and wrote the policy's prefilter section; a new version rewrites it."""
    fails = []

    def xdp_config():
        r = subprocess.run([args.sipwallctl, "xdp", "config", "-j"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            fails.append(f"sipwallctl xdp config: {r.stderr.strip()}")
            return {}
        return json.loads(r.stdout)

    cfg = xdp_config()
    print("xdp config after start:", cfg, flush=True)
    if cfg and sorted(cfg.get("sip_ports", [])) != [5060, 5070]:
        fails.append(f"the prefilter is not configured from the policy (sip_ports [5060, 5070]): {cfg}")
    r = subprocess.run([args.sipwallctl, "-s", ctl_sock, "stats", "-j"], capture_output=True, text=True, env=env)
    xdp = json.loads(r.stdout).get("xdp") if r.returncode == 0 else None
    if not xdp or not xdp.get("redirect"):
        fails.append(f"no redirect counted by the adopted prefilter: {r.stdout.strip()} {r.stderr.strip()}")
    # a new policy version through the control socket reconfigures it
    with open(args.policy) as f:
        text = f.read()
    newp = ctl_sock + ".new.yaml"
    with open(newp, "w") as f:
        f.write(text.replace("sip_ports: [5060, 5070]", "sip_ports: [5060, 5080]") +
                "prefilter:\n  max_payload_bytes: 3000\n")
    r = subprocess.run([args.sipwallctl, "-s", ctl_sock, "policy", "load", newp], capture_output=True, text=True,
                       env=env)
    os.unlink(newp)
    if r.returncode != 0:
        fails.append(f"policy load: {r.stderr.strip()}")
    cfg = xdp_config()
    print("xdp config after policy load:", cfg, flush=True)
    if cfg and (sorted(cfg.get("sip_ports", [])) != [5060, 5080] or cfg.get("max_payload") != 3000):
        fails.append(f"the new version did not reconfigure the prefilter: {cfg}")
    return fails


if __name__ == "__main__":
    sys.exit(main())
