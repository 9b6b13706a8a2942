"""Shared fixtures for p2pmon's integration tests: start the real binaries on
127.0.0.1 with free ports, wait with bounded loops, and clean up only the
processes a test started (by pid). Python standard library only."""

import hashlib
import json
import os
import re
import select
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


def start_stun_server():
    """A p2pmon-probe stun-server on free ports of 127.0.0.1 with its
    alternate address on 127.0.0.2 (RFC 5780); returns the process and its
    primary address."""
    p = subprocess.Popen([PROBE, "stun-server", "--listen", "127.0.0.1:0", "--alt-listen",
                          "127.0.0.2:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    line = p.stdout.readline()
    m = re.match(r"STUN server on (127\.0\.0\.1:\d+)", line)
    if not m:
        stop_process(p, signal.SIGKILL, 10, "stun-server")
        raise AssertionError(f"stun-server did not start: {line!r}")
    return p, m.group(1)


def stop_process(proc, sig, timeout, what):
    """Signals a process this test started (by its pid) and waits for it;
    SIGKILL and an AssertionError when it does not stop in time. Returns
    its exit code."""
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"{what} did not stop within {timeout}s")
    return proc.returncode


class Collector:
    """A p2pmon-collector process on free ports with its own database."""

    def __init__(self, workdir=None, db=None, args=(), env=None, http_port=0):
        self.http_port = http_port  # 0: a free port; fixed to come back on the same one
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
        cmd = [COLLECTOR, "--db", self.db, "--http-listen", f"127.0.0.1:{self.http_port}",
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
        code = stop_process(self.proc, sig, timeout, "collector") if self.proc else None
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


# ---- overlay peers ---------------------------------------------------------

PEER = os.path.join(BUILD_DIR, "overlay-agent", "p2pmon-peer")
PROBE = os.path.join(BUILD_DIR, "probes", "p2pmon-probe")


class Peer:
    """One overlay peer as p2pmon-peer announced it:
    `peer <node-id> <addr>:<port>[ sip=..][ stun=..][ stun-alt=..][ rtp=..]`."""

    def __init__(self, node_id, address, sip=None, services=None):
        self.node_id = node_id
        self.address = address
        self.sip = sip  # "127.0.0.1:PORT" when the peer runs SIP
        self.services = services or {}  # {"sip": .., "stun": .., "stun-alt": .., "rtp": ..}

    def __repr__(self):
        return f"Peer({self.node_id[:8]} {self.address})"


class Swarm:
    """A p2pmon-peer process: one peer, or `size` peers with --swarm, on
    127.0.0.1 free ports. start() reads the startup lines (bounded), stop()
    signals the process by its pid, close() also removes the work directory
    this object made. stderr goes to <workdir>/peer.log (see log())."""

    def __init__(self, size=None, bootstrap=(), state_dir=None, stabilize_ms=None,
                 args=(), workdir=None, name="peer"):
        self.size = size
        self.owns_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="p2pmon-it-peer-")
        self.logfile = os.path.join(self.workdir, f"{name}.log")
        self.cmd = [PEER, "--listen", "127.0.0.1:0"]
        if size is not None:
            self.cmd += ["--swarm", str(size), "--base-port", "0"]
        for b in bootstrap:
            self.cmd += ["--bootstrap", b.address if isinstance(b, Peer) else b]
        if state_dir:
            self.cmd += ["--state-dir", state_dir]
        if stabilize_ms:
            self.cmd += ["--stabilize-interval", str(stabilize_ms)]
        self.cmd += list(args)
        self.proc = None
        self.peers = []
        self.started_at = None

    def start(self, timeout=60.0):
        self._log = open(self.logfile, "ab")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        expected = self.size or 1
        for line in self._lines(timeout):
            m = re.fullmatch(r"peer ([0-9a-f]{32}) (\S+:\d+)((?: [a-z-]+=\S+:\d+)*)", line)
            if m:
                services = dict(kv.split("=", 1) for kv in m.group(3).split())
                self.peers.append(Peer(m.group(1), m.group(2), services.get("sip"), services))
                continue
            m = re.fullmatch(r"ready (\d+) peers", line)
            if m:
                assert int(m.group(1)) == expected == len(self.peers), (line, self.peers)
                return self
            raise AssertionError(f"unexpected p2pmon-peer output {line!r}")
        self.kill()
        raise AssertionError(f"p2pmon-peer did not start within {timeout}s: {self.log()[-2000:]}")

    def _lines(self, timeout):
        """stdout lines until EOF or the deadline (select: never blocks past it)."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        buf = b""
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                yield line.decode()
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            buf += chunk

    @property
    def first(self):
        return self.peers[0]

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signals the process (by pid) and waits; returns its exit code."""
        if self.proc is None:
            return None
        code = stop_process(self.proc, sig, timeout, f"p2pmon-peer {self.proc.pid}")
        self.proc.stdout.close()
        self._log.close()
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def close(self):
        """Kills the process if still running and removes the work directory this object made."""
        try:
            self.kill()
        finally:
            if self.owns_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def wait_for_binary(path, timeout=0.0):
    """True once `path` is an executable (another build may still be producing it)."""
    deadline = time.monotonic() + timeout
    while True:
        if os.access(path, os.X_OK):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(1.0)


def probe(*args, timeout=30):
    """Runs p2pmon-probe; returns (exit code, parsed JSON or None, stderr)."""
    p = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=timeout)
    try:
        doc = json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        doc = None
    return p.returncode, doc, p.stderr


def diag(address, timeout_ms=1000):
    """p2pmon-probe diag of one peer: its JSON, or None when it did not answer."""
    code, doc, _ = probe("diag", "--peer", address, "--timeout", str(timeout_ms))
    return doc if code == 0 else None


def resource_id(kind, name):
    """Resource-ID as an int: top 128 bits of SHA-1(kind byte + name); kind "user" or "proxy"."""
    kind_byte = {"user": 1, "proxy": 2}[kind]
    return int.from_bytes(hashlib.sha1(bytes([kind_byte]) + name.encode()).digest()[:16], "big")


def ring_problem(start, expected_ids, timeout_ms=1000):
    """Walks successor pointers from `start` (an address) with diag. None when
    the walk visits every id of `expected_ids` exactly once in Node-ID order,
    returns to the start and every pred(succ(n)) is n; else why not."""
    order = sorted(expected_ids)
    first = diag(start, timeout_ms)
    if first is None:
        return f"{start} does not answer diag"
    i = order.index(first["node_id"]) if first["node_id"] in order else None
    if i is None:
        return f"{start} has unexpected Node-ID {first['node_id']}"
    want = order[i:] + order[:i]
    current = first
    for step in range(1, len(want) + 1):
        if not current["successors"]:
            return f"{current['node_id'][:8]} has no successor"
        succ = current["successors"][0]
        expect = want[step % len(want)]
        if succ["node_id"] != expect:
            return (f"step {step}: successor of {current['node_id'][:8]} is "
                    f"{succ['node_id'][:8]}, expected {expect[:8]}")
        nxt = diag(succ["address"], timeout_ms)
        if nxt is None:
            return f"successor {succ['address']} does not answer diag"
        preds = nxt["predecessors"]
        if not preds or preds[0]["node_id"] != current["node_id"]:
            got = preds[0]["node_id"][:8] if preds else "none"
            return (f"predecessor of {nxt['node_id'][:8]} is {got}, "
                    f"expected {current['node_id'][:8]}")
        current = nxt
    return None
