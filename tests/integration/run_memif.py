#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Integration test over shared memory: sipwall on two net_memif ports, fed the mixed capture by memif_peer.

  run_memif.py --sipwall BIN --peer BIN --policy FILE --workdir DIR [--keep]

sipwall runs with two memif servers (sockets in DIR); memif_peer, a DPDK process of its own, connects to both as
their client, waits for the links, sends the mixed capture of gen_mixed_pcap.py into them and writes what comes
back to the captures check_pcap.py reads. Then sipwall is stopped (SIGTERM, which prints the final counters) and
everything is checked as run_pcap.py checks the net_pcap run: every output frame, and the counters. Exit 77 when
the EAL cannot start here (not root).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_pcap  # noqa: E402
import gen_mixed_pcap  # noqa: E402
from run_pcap import EXIT_EAL, SKIP, counter_errors, eal_base, eal_runtime_dir, finish  # noqa: E402


def memif_vdevs(d, role):
    return [a for i in (0, 1) for a in
            ("--vdev", f"net_memif{i},role={role},id=0,socket={d}/memif{i}.sock,socket-abstract=no")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sipwall", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (the EAL)")
        return SKIP
    d = os.path.abspath(args.workdir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    sys.argv = ["gen_mixed_pcap.py", d]
    gen_mixed_pcap.main()

    sw_prefix, peer_prefix = f"swmf{os.getpid()}", f"swmp{os.getpid()}"
    sw_cmd = ([args.sipwall] + eal_base(sw_prefix) + memif_vdevs(d, "server") +
              ["--", "--policy", args.policy, "--control", f"{d}/ctl.sock"])
    peer_cmd = ([args.peer] + eal_base(peer_prefix, "0") + memif_vdevs(d, "client") +
                ["--", "--send0", f"{d}/out_in.pcap", "--recv0", f"{d}/out_out.pcap",
                 "--send1", f"{d}/in_in.pcap", "--recv1", f"{d}/in_out.pcap", "--idle-ms", "1000"])
    errors = []
    print("+", " ".join(sw_cmd), flush=True)
    sw = subprocess.Popen(sw_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the servers' sockets exist once sipwall's ports started
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sw.poll() is None and not all(
                os.path.exists(f"{d}/memif{i}.sock") for i in (0, 1)):
            time.sleep(0.05)
        if sw.poll() is not None:
            out, err = sw.communicate()
            if sw.returncode == EXIT_EAL:
                print(f"SKIP: the EAL cannot start here:\n{err}")
                return SKIP
            print(f"FAIL: sipwall exited {sw.returncode} before its memif sockets were there\n{out}\n{err}")
            return 1
        if not all(os.path.exists(f"{d}/memif{i}.sock") for i in (0, 1)):
            errors.append("sipwall's memif sockets did not appear within 30 s")
        print("+", " ".join(peer_cmd), flush=True)
        peer = subprocess.run(peer_cmd, capture_output=True, text=True, timeout=120)
        sys.stdout.write(peer.stdout)
        if peer.returncode != 0:
            errors.append(f"memif_peer exited {peer.returncode}: {peer.stderr.strip()}")
        sw.send_signal(signal.SIGTERM)
        out, err = sw.communicate(timeout=60)
    finally:
        if sw.poll() is None:
            sw.kill()
            sw.wait()
        for p in (sw_prefix, peer_prefix):
            shutil.rmtree(eal_runtime_dir(p), ignore_errors=True)
    sys.stdout.write(out)
    if sw.returncode != 0:
        errors.append(f"sipwall exited {sw.returncode} on SIGTERM: {err.strip()}")

    stats = {"pass": 0, "reply": 0}
    if not errors:
        errors, stats = check_pcap.check(d)
    cerr, ncounters = counter_errors(d, out)
    return finish("run_memif", errors + cerr, stats, ncounters, d, args.keep)


if __name__ == "__main__":
    sys.exit(main())
