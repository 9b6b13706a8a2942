"""check_p2p_result black-box: run the binary, check exit code, status line
and perfdata for fresh, stale, missing and unreachable results."""

import os
import re
import socket
import subprocess
import time

from p2pmon_support import PLUGINS, Collector, free_port

PLUGIN = os.path.join(PLUGINS, "check_p2p_result")


def run(*args, timeout=30):
    t0 = time.monotonic()
    p = subprocess.run([PLUGIN, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, time.monotonic() - t0


def test_against_collector():
    with Collector() as c:
        now = time.time()
        batch = [
            {"host": "peer-1", "service": "sip_options", "state": 1, "output": "SIP WARNING - 150 ms",
             "perfdata": "rtt=150ms;100;200;0", "time": now - 3},
            {"host": "peer-1", "service": "old", "state": 0, "output": "OK - long ago\nline two",
             "perfdata": "", "time": now - 1000},
        ]
        code, _ = c.request("POST", "/api/v1/results", batch)
        assert code == 200

        rc, out, _ = run("-H", "peer-1", "-s", "sip_options", "-U", c.http)
        assert rc == 1, (rc, out)
        # Ages are whole seconds since the result; allow a slow machine a few.
        assert re.match(r"^P2P_RESULT WARNING - SIP WARNING - 150 ms \(([3-6])s ago\) \| "
                        r"age=\1s;;900 rtt=150ms;100;200;0\n$", out), out

        rc, out, _ = run("-H", "peer-1", "-s", "old", "-U", c.http, "--max-age", "300")
        assert rc == 2, (rc, out)
        lines = out.splitlines()
        assert re.match(r"P2P_RESULT CRITICAL - last result for peer-1/old is (100[0-3])s old "
                        r"\(max 300s\): OK - long ago \| age=\1s;;300$", lines[0]), out
        assert lines[1] == "line two", out

        rc, out, _ = run("-H", "peer-1", "-s", "old", "-U", c.http, "--max-age", "300",
                         "--stale-state", "warning")
        assert rc == 1 and out.startswith("P2P_RESULT WARNING - last result"), out

        rc, out, _ = run("-H", "peer-1", "-s", "old", "-U", c.http, "--max-age", "0")
        assert rc == 0 and re.search(r"\| age=100[0-3]s$", out.splitlines()[0]), out

        rc, out, _ = run("-H", "peer-1", "-s", "missing", "-U", c.http)
        assert rc == 3 and out.startswith("P2P_RESULT UNKNOWN - no result for peer-1/missing"), out

        rc, out, _ = run("-H", "peer-1", "-s", "sip_options", "-U", c.http, "-v")
        assert "source: " in out and "last state change" in out, out
    print("ok: fresh, stale, stale-state, missing, verbose")


def test_unreachable_and_timeout():
    port = free_port()
    rc, out, _ = run("-H", "h", "-s", "s", "-U", f"http://127.0.0.1:{port}")
    assert rc == 3 and out.startswith("P2P_RESULT UNKNOWN - cannot reach the collector"), out
    # A listener that accepts but never answers: -t bounds the wait.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        rc, out, took = run("-H", "h", "-s", "s", "-U",
                            f"http://127.0.0.1:{silent.getsockname()[1]}", "-t", "1")
    assert rc == 3 and "cannot reach the collector" in out, out
    assert took < 5, took
    print("ok: unreachable and timeout are UNKNOWN")


def test_usage():
    for args in (["-h"], ["-V"], [], ["-H", "h"], ["-H", "h", "-s", "s", "--stale-state", "bad"],
                 ["--bogus"]):
        rc, out, _ = run(*args)
        assert rc == 3, (args, rc, out)
    rc, out, _ = run("-H", "h")
    assert out.startswith("P2P_RESULT UNKNOWN - bad usage"), out
    print("ok: usage errors, -h and -V exit 3")


if __name__ == "__main__":
    test_against_collector()
    test_unreachable_and_timeout()
    test_usage()
