# SPDX-License-Identifier: BSD-3-Clause
"""sipwall's DPDK telemetry socket from Python (the protocol of usertools/dpdk-telemetry.py), for the integration
tests and scripts/soak.py. Standard library only."""
import json
import socket
import time


class Telemetry:
    """A connection to the telemetry socket at path; calling it with "/cmd[,param]" returns the command's value."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.connect(path)
        self.info = json.loads(self.s.recv(1 << 16))

    def __call__(self, cmd):
        self.s.send(cmd.encode())
        raw = self.s.recv(1 << 16)
        if not raw:
            # an empty read is the daemon closing the socket (it stopped or died), not a malformed reply
            raise OSError("telemetry socket closed")
        reply = json.loads(raw)
        return reply[cmd.split(",")[0]]


def wait_for(pred, what, timeout=20.0, retry_on=()):
    """Poll pred every 0.1 s until it returns something true, and return that; an exception of a type in retry_on
    counts as false. AssertionError naming what after timeout seconds."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = pred()
        except retry_on:
            v = None
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
