#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The lab's traffic client: runs inside the `outside` namespace (ip netns exec) and sends what lab.py asks.

  attack.py probes FILE.json     each probe {name, src, payload (latin-1)} from its own socket bound to src
                                 (a fresh port), all sent at once; prints {name: [status or -1 per datagram
                                 received, with its source]} after --wait seconds of listening
  attack.py flood SRC DST N      N copies of one request from one socket as fast as the kernel takes them;
                                 prints {"sent": N, "replies": {status: count}, "seconds": elapsed}

Standard library only (Debian's python3). Replies are read by status line; a datagram that is not a SIP response
counts as -1, so an unexpected echo is visible rather than ignored.
"""
import json
import select
import socket
import sys
import time


def status_of(data):
    parts = data.split(b" ", 2)
    if len(parts) >= 2 and parts[0] == b"SIP/2.0" and parts[1].isdigit():
        return int(parts[1])
    return -1


def probes(path, dst, wait):
    spec = json.load(open(path))
    socks = {}
    for p in spec:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((p["src"], 0))
        s.setblocking(False)
        socks[s] = p["name"]
    got = {p["name"]: [] for p in spec}
    for s, p in zip(socks, spec):
        s.sendto(p["payload"].encode("latin-1"), dst)
    deadline = time.monotonic() + wait
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(list(socks), [], [], left)
        for s in ready:
            data, peer = s.recvfrom(65535)
            got[socks[s]].append({"status": status_of(data), "from": f"{peer[0]}:{peer[1]}", "len": len(data)})
    print(json.dumps(got))
    return 0


def flood(src, dst, n, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((src, 0))
    s.setblocking(False)
    replies = {}

    def drain():
        while True:
            try:
                data, _ = s.recvfrom(65535)
            except BlockingIOError:
                return
            st = status_of(data)
            replies[st] = replies.get(st, 0) + 1

    t0 = time.monotonic()
    sent = 0
    while sent < n:
        try:
            s.sendto(payload, dst)
            sent += 1
        except BlockingIOError:
            select.select([], [s], [], 0.01)
        if sent % 64 == 0:
            drain()
    elapsed = time.monotonic() - t0
    end = time.monotonic() + 1.5
    while (left := end - time.monotonic()) > 0:
        if select.select([s], [], [], left)[0]:
            drain()
    print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "replies": replies}))
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "probes":
        dst = sys.argv[3].rsplit(":", 1)
        return probes(sys.argv[2], (dst[0], int(dst[1])), float(sys.argv[4]) if len(sys.argv) > 4 else 2.0)
    if len(sys.argv) == 6 and sys.argv[1] == "flood":
        dst = sys.argv[3].rsplit(":", 1)
        return flood(sys.argv[2], (dst[0], int(dst[1])), int(sys.argv[4]), open(sys.argv[5], "rb").read())
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
