# SPDX-License-Identifier: BSD-3-Clause
"""sipwall as a child process, the one way the test scripts, the control harness and scripts/soak.py run it:
started, polled until it is ready, stopped with a signal, and its EAL runtime directory removed whatever happened.

  with Daemon(cmd, prefix) as dm:
      tel = dm.start(lambda: Telemetry(sock), "a telemetry connection")
      if tel is None:
          return SKIP              # the EAL cannot start here (not root, no memory)
      ...
      rc = dm.stop()               # SIGTERM, then its exit status; dm.out / dm.err hold what it printed
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_pcap  # noqa: E402


class Daemon:
    """cmd is the full command line, prefix its --file-prefix (for the runtime directory). stderr: PIPE (kept in
    .err) or an open file."""

    def __init__(self, cmd, prefix, env=None, stderr=subprocess.PIPE):
        self.cmd, self.prefix, self.env, self.stderr = list(cmd), prefix, env, stderr
        self.proc = None
        self.collected = False
        self.out = self.err = ""

    @property
    def runtime_dir(self):
        return run_pcap.eal_runtime_dir(self.prefix)

    @property
    def returncode(self):
        return self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, ready, what, timeout=30.0):
        """Start it and poll ready() every 0.1 s (an OSError counts as not yet) until it returns something true,
        which start returns. None when the EAL cannot start here (exit 3: the caller skips); RuntimeError when it
        exits otherwise or is not ready within timeout seconds."""
        print("+", " ".join(self.cmd), flush=True)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True, env=self.env)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                self._collect()
                if self.proc.returncode == run_pcap.EXIT_EAL:
                    print(f"SKIP: the EAL cannot start here:\n{self.err}")
                    return None
                raise RuntimeError(f"sipwall exited {self.proc.returncode} at start\n{self.out}\n{self.err}")
            try:
                v = ready()
            except OSError:
                v = None
            if v:
                return v
            time.sleep(0.1)
        raise RuntimeError(f"sipwall: timed out waiting for {what}")

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send sig (when it still runs), wait for it to exit and return its exit status."""
        if self.proc is None:
            return None
        if self.alive():
            self.proc.send_signal(sig)
        self._collect(timeout)
        return self.proc.returncode

    def _collect(self, timeout=None):
        if not self.collected:
            self.out, self.err = (s or "" for s in self.proc.communicate(timeout=timeout))
            self.collected = True

    def close(self):
        """Kill it if it still runs and remove its runtime directory."""
        try:
            if self.alive():
                self.proc.kill()
                self._collect()
        finally:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
