"""Shared fixtures for p2pmon's integration tests: start the real binaries on
127.0.0.1 with free ports, wait with bounded loops, and clean up only the
processes a test started (by pid). Python standard library only."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

BUILD_DIR = os.environ.get("P2PMON_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
COLLECTOR = os.path.join(BUILD_DIR, "collector", "p2pmon-collector")
PLUGINS = os.path.join(BUILD_DIR, "plugins")


def free_port():
    """A port nobody listens on right now (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Collector:
    """A p2pmon-collector process on free ports with its own database."""

    def __init__(self, workdir=None, db=None, args=(), env=None):
        self.owns_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="p2pmon-it-")
        self.db = db or os.path.join(self.workdir, "collector.db")
        self.args = list(args)
        self.env = env
        self.proc = None
        self.http = None
        self.nsca_port = None

    def start(self, timeout=10.0):
        self.log = open(os.path.join(self.workdir, "collector.log"), "ab")
        cmd = [COLLECTOR, "--db", self.db, "--http-listen", "127.0.0.1:0",
               "--nsca-listen", "127.0.0.1:0"] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL, env=self.env)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"HTTP API on (http://[0-9.]+:\d+)/.*NSCA on [0-9.]+:(\d+)", line)
        if not m:
            self.kill()
            raise AssertionError(f"collector did not start: {line!r}")
        self.http = m.group(1)
        self.nsca_port = int(m.group(2))
        return self

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.http + path, timeout=timeout) as r:
            return json.loads(r.read())

    def request(self, method, path, body=None, headers=None, timeout=30):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.http + path, data=data, method=method,
                                     headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def status(self):
        return self.get("/api/v1/status")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("collector did not stop on SIGTERM in time")
        code = self.proc.returncode if self.proc else None
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def close(self):
        """Kills the process and removes the work directory this object made."""
        self.kill()
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def send_nsca(port, records, password="", method=1, legacy=False, timeout=30):
    """Runs the real Debian send_nsca; records are (host, service, rc, output)
    tuples (service None for a host result), separated by ETB as send_nsca wants."""
    cfg = tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False)
    cfg.write(f"encryption_method={method}\n")
    if password:
        cfg.write(f"password={password}\n")
    if legacy:
        cfg.write("legacy_2_7_mode=1\n")
    cfg.close()
    parts = []
    for host, service, rc, output in records:
        if service is None:
            parts.append(f"{host}\t{rc}\t{output}")
        else:
            parts.append(f"{host}\t{service}\t{rc}\t{output}")
    data = ("\x17".join(parts) + "\x17").encode()
    try:
        p = subprocess.run(["send_nsca", "-H", "127.0.0.1", "-p", str(port), "-c", cfg.name],
                           input=data, capture_output=True, timeout=timeout)
    finally:
        os.unlink(cfg.name)
    return p
