#!/usr/bin/env python3
"""The embedded agent's spool and pushers (issue 6) end to end, through
tests/support/outbox_driver (makeOutbox, numbered results "n=<i>" at a steady
rate, time t0 + i/100, so a number submitted again is an exact duplicate).

HTTP, against p2pmon-collector:
  1. the collector is SIGKILLed at an arbitrary moment (a batch may be
     committed with its reply lost) and stays away ~3 s while the driver
     keeps submitting; meanwhile the driver itself is SIGKILLed and started
     again on the same spool; the collector comes back on the same port and
     database
  2. later the driver is SIGKILLed again at an arbitrary moment (a send may
     be in flight) and started again
  3. every number 0..N-1 is in the collector's history exactly once, in
     order of arrival and of time; an identical result posted again is
     accepted and counted as a duplicate, not stored twice
NSCA, against the stock Debian `nsca` writing to a plain command file: the
same, except that the far end is stopped and the driver killed only when no
send is in flight (NSCA has no acknowledgement: a batch the server dies
reading is lost or, killed after writing, sent again; docs/operations.md),
and the check is each number exactly once: the stock nsca serves
connections side by side, so batches sent back to back may interleave.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from p2pmon_support import BUILD_DIR, COLLECTOR, free_port, stop_process, wait_until

DRIVER = os.path.join(BUILD_DIR, "tests", "outbox_driver")
N = 1000
RATE = 100  # results per second
WAIT = 60.0  # bound on any single wait (sanitizer builds on a loaded machine)
T0 = time.monotonic()


def step(msg):
    print(f"[{time.monotonic() - T0:5.1f}s] {msg}", flush=True)


class Driver:
    """One outbox_driver process; its stdout lines are collected by a thread."""

    def __init__(self, workdir, far_end, spool, t0, start_from=0):
        self.log = open(os.path.join(workdir, "driver.log"), "ab")
        cmd = [DRIVER, *far_end, "--spool", spool, "--from", str(start_from), "--count", str(N),
               "--rate", str(RATE), "--t0", repr(t0), "--step", "0.01", "--batch", "50",
               "--flush-ms", "200", "--grace-ms", "5000"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        self.lines = []
        self.cv = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_for(r"ready")

    def _read(self):
        for raw in self.proc.stdout:
            with self.cv:
                self.lines.append(raw.decode().strip())
                self.cv.notify_all()

    def mark(self):
        with self.cv:
            return len(self.lines)

    def wait_for(self, pattern, since=0, timeout=WAIT):
        """The first line from index `since` on matching `pattern` (bounded)."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines[since:]:
                    m = re.fullmatch(pattern, line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.reader.is_alive():
                    raise AssertionError(f"driver: no line {pattern!r} after {timeout}s; "
                                         f"last lines {self.lines[-5:]}")
                self.cv.wait(min(left, 0.5))

    def submitted(self):
        with self.cv:
            nums = [int(l.split()[1]) for l in self.lines if l.startswith("submitted ")]
        return max(nums) if nums else -1

    def pause(self):
        """Stops submitting; returns the next number it would have submitted."""
        self.paused_since = self.mark()
        os.kill(self.proc.pid, signal.SIGUSR1)
        return int(self.wait_for(r"paused next=(\d+)", self.paused_since).group(1))

    def resume(self):
        since = self.mark()
        os.kill(self.proc.pid, signal.SIGUSR2)
        self.wait_for(r"resumed", since)

    def _closed(self):
        self.reader.join(timeout=5)
        self.proc.stdout.close()
        self.log.close()

    def kill(self):
        stop_process(self.proc, signal.SIGKILL, 10, "outbox_driver")
        self._closed()

    def terminate(self):
        code = stop_process(self.proc, signal.SIGTERM, 30, "outbox_driver")
        self._closed()
        assert code == 0, f"driver exited {code}"
        return self.wait_for(r"stats (.*)").group(1)


def log_has(workdir, text):
    with open(os.path.join(workdir, "driver.log"), errors="replace") as f:
        return text in f.read()


def collector_start(workdir, port, db):
    log = open(os.path.join(workdir, "collector.log"), "ab")
    proc = subprocess.Popen([COLLECTOR, "--db", db, "--http-listen", f"127.0.0.1:{port}",
                             "--nsca-listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=log, stdin=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    log.close()
    if "HTTP API on" not in line:
        stop_process(proc, signal.SIGKILL, 10, "collector")
        raise AssertionError(f"collector did not start: {line!r}")
    return proc


def collector_stop(proc, sig):
    stop_process(proc, sig, 20, "collector")
    proc.stdout.close()


def http_json(port, method, path, body=None):
    import json
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def history(port):
    results = http_json(port, "GET", "/api/v1/results?host=drv-host&service=seq&limit=10000")
    return sorted(results["results"], key=lambda r: r["id"])


def check_transitions(workdir, what):
    """Each driver logs "unreachable" and "back" once per outage: the first
    driver saw the far end go, the second started without it and saw it
    come back."""
    with open(os.path.join(workdir, "driver.log"), errors="replace") as f:
        log = f.read()
    down, back = log.count("collector unreachable: "), log.count("collector back: ")
    assert (down, back) == (2, 1), f"{what}: {down} unreachable and {back} back lines:\n{log}"


def check_sequence(numbers, what, ordered=True):
    seen = {}
    for n in numbers:
        seen[n] = seen.get(n, 0) + 1
    twice = sorted(n for n, c in seen.items() if c > 1)
    missing = sorted(set(range(N)) - set(seen))
    assert not twice, f"{what}: numbers delivered twice: {twice[:20]}"
    assert not missing, f"{what}: numbers lost: {missing[:20]} ({len(missing)} in all)"
    if ordered:
        wrong = [i for i in range(N) if numbers[i] != i]
        assert not wrong, f"{what}: out of order from position {wrong[0]}: {numbers[wrong[0]:wrong[0] + 20]}"
    else:
        moved = sum(1 for a, b in zip(numbers, numbers[1:]) if b < a)
        step(f"{what}: {moved} places where a number came before a smaller one")


def test_http():
    workdir = tempfile.mkdtemp(prefix="p2pmon-it-spool-http-")
    port, db, spool = free_port(), os.path.join(workdir, "collector.db"), os.path.join(workdir, "spool")
    t0 = float(int(time.time()) - 100)
    far_end = ["--http", f"http://127.0.0.1:{port}"]
    collector = driver = None
    try:
        collector = collector_start(workdir, port, db)
        driver = Driver(workdir, far_end, spool, t0)
        driver.wait_for(r"submitted 150")
        collector_stop(collector, signal.SIGKILL)
        collector = None
        step(f"collector killed after {driver.submitted() + 1} submitted")
        driver.wait_for(r"submitted 250")
        k = driver.pause()
        driver.kill()
        step(f"driver killed with the collector away, next={k}")
        driver = Driver(workdir, far_end, spool, t0, start_from=k)
        driver.wait_for(r"submitted 400")
        collector = collector_start(workdir, port, db)
        step(f"collector back after {driver.submitted() + 1} submitted")
        wait_until(lambda: log_has(workdir, "collector back: "), timeout=WAIT,
                   what="the driver to find the collector again")
        wait_until(lambda: driver.submitted() >= 550, timeout=WAIT, what="550 submitted")
        k = driver.pause()
        driver.kill()  # a send may be in flight: its batch is sent again, the collector drops it
        step(f"driver killed while sending, next={k}")
        driver = Driver(workdir, far_end, spool, t0, start_from=k)
        driver.wait_for(r"done")
        driver.wait_for(r"drained")
        stats = driver.terminate()
        driver = None
        step(f"driver done: {stats}")
        assert "queued=0" in stats, stats
        check_transitions(workdir, "HTTP")
        rows = history(port)
        check_sequence([int(r["output"][2:]) for r in rows], "HTTP")
        times = [r["time"] for r in rows]
        assert times == sorted(times) and len(set(times)) == N, "HTTP: times out of order"
        # An identical result again (a resend whose first reply was lost).
        before = http_json(port, "GET", "/api/v1/status")["results_duplicate_total"]
        again = {"host": "drv-host", "service": "seq", "state": 0, "output": "n=5",
                 "time": t0 + 5 * 0.01, "source": "outbox_driver"}
        assert http_json(port, "POST", "/api/v1/results", [again])["accepted"] == 1
        assert len(history(port)) == N
        after = http_json(port, "GET", "/api/v1/status")["results_duplicate_total"]
        assert after == before + 1, (before, after)
        step(f"HTTP: {N} results, each exactly once, in order; duplicates dropped by the "
             f"collector: {after}")
    finally:
        if driver:
            driver.kill()
        if collector:
            collector_stop(collector, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)
    print("ok: HTTP pushing survives collector and agent kills, none lost, none twice")


class StockNsca:
    """The Debian nsca daemon in the foreground, appending to a plain file."""

    def __init__(self, workdir, password):
        self.port = free_port()
        self.cmd_file = os.path.join(workdir, "nsca.cmd")
        self.cfg = os.path.join(workdir, "nsca.cfg")
        open(self.cmd_file, "w").close()  # nsca writes to alternate_dump_file when it is missing
        with open(self.cfg, "w") as f:
            f.write(f"server_address=127.0.0.1\nserver_port={self.port}\n"
                    f"command_file={self.cmd_file}\nalternate_dump_file={workdir}/dump\n"
                    f"pid_file={workdir}/nsca.pid\nappend_to_file=1\naggregate_writes=0\n"
                    f"max_packet_age=0\ndebug=0\ndecryption_method=1\npassword={password}\n"
                    f"nsca_user={os.getuid()}\nnsca_group={os.getgid()}\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["nsca", "-f", "-c", self.cfg, "--single"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_until(listening, timeout=WAIT, what="stock nsca to listen")

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, 20, "nsca")
        self.proc = None

    def numbers(self):
        with open(self.cmd_file) as f:
            return [int(m.group(1)) for m in
                    (re.search(r"PROCESS_SERVICE_CHECK_RESULT;drv-host;seq;0;n=(\d+)$", l.rstrip("\n"))
                     for l in f) if m]


def test_nsca():
    workdir = tempfile.mkdtemp(prefix="p2pmon-it-spool-nsca-")
    nsca = StockNsca(workdir, "pw")
    spool = os.path.join(workdir, "spool")
    t0 = float(int(time.time()) - 100)
    far_end = ["--nsca", f"127.0.0.1:{nsca.port}", "--password", "pw"]
    driver = None
    try:
        nsca.start()
        driver = Driver(workdir, far_end, spool, t0)
        driver.wait_for(r"submitted 150")
        # No send in flight: submitting paused, the spool empty, nsca has
        # written every line.
        k = driver.pause()
        driver.wait_for(r"drained", driver.paused_since)
        wait_until(lambda: len(nsca.numbers()) == k, timeout=WAIT, what="nsca to write all lines")
        nsca.stop()
        driver.resume()
        step(f"nsca stopped after {k} results")
        driver.wait_for(r"submitted 300")
        k = driver.pause()
        driver.kill()  # the pusher can only be failing to connect now
        step(f"driver killed with nsca away, next={k}")
        driver = Driver(workdir, far_end, spool, t0, start_from=k)
        driver.wait_for(r"submitted 450")
        nsca.start()
        step(f"nsca back after {driver.submitted() + 1} submitted")
        wait_until(lambda: log_has(workdir, "collector back: "), timeout=WAIT,
                   what="the driver to find nsca again")
        driver.wait_for(r"done")
        driver.wait_for(r"drained")
        wait_until(lambda: len(nsca.numbers()) >= N, timeout=WAIT, what="nsca to write all lines")
        time.sleep(0.5)  # anything written twice would show now
        stats = driver.terminate()
        driver = None
        step(f"driver done: {stats}")
        check_transitions(workdir, "NSCA")
        # The stock nsca serves connections side by side (one select loop),
        # so batches sent back to back may interleave in its command file:
        # each number exactly once is what NSCA can promise.
        check_sequence(nsca.numbers(), "NSCA", ordered=False)
        step(f"NSCA: {N} command lines, each number exactly once")
    finally:
        if driver:
            driver.kill()
        if nsca.proc:
            nsca.proc.kill()
            nsca.proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    print("ok: NSCA pushing to the stock nsca survives its restart and an agent kill")


if __name__ == "__main__":
    test_http()
    test_nsca()
