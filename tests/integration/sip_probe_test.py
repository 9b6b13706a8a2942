"""p2pmon-probe sip and check_p2p_sip black-box against sip_responder.py (a
UAS the test controls): codes, delays as RTT, silence as timeout with
retransmissions, a closed port as refused, garbage as bad_response, TCP; a
sweep with a bound on requests in flight and flat memory; the plugin's
states, status lines and perfdata (present on every outcome)."""

import json
import os
import re
import socket
import subprocess
import tempfile
import time

from p2pmon_support import BUILD_DIR, PLUGINS, PROBE
from sip_responder import Responder

CHECK = os.path.join(PLUGINS, "check_p2p_sip")
NODE_ID = "3fa9c2d1aaaaaaaabbbbbbbbcccccccc"
PERF = re.compile(r" \| rtt=(\d+(?:\.\d+)?)ms;[^;]*;[^;]*;0;(\d+) retransmissions=(\d+);;;0$")


def closed_port():
    """A port nobody listens on, UDP and TCP (bound, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sip(*args, timeout=60, stdin=None):
    """p2pmon-probe sip ... --json: (exit code, JSON document, stderr)."""
    p = subprocess.run([PROBE, "sip", *args, "--json"], capture_output=True, text=True,
                       timeout=timeout, input=stdin)
    doc = json.loads(p.stdout) if p.stdout.strip() and "--targets-from" not in args else None
    return p.returncode, doc, p.stdout, p.stderr


def test_probe_answers():
    with Responder(code=200, node_id=NODE_ID.upper(), server="uas/1.0", allow="OPTIONS, INVITE") as r:
        for transport in ("udp", "tcp"):
            rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port};transport={transport}")
            assert rc == 0, (rc, doc, err)
            assert doc["ok"] is True and doc["error"] is None and doc["status"] == 200, doc
            assert doc["reason"] == "OK" and doc["server"] == "uas/1.0", doc
            assert doc["allow"] == ["OPTIONS", "INVITE"] and doc["node_id"] == NODE_ID, doc
            assert doc["transport"] == transport and doc["address"] == f"127.0.0.1:{r.port}", doc
            assert 0 <= doc["rtt_ms"] < 500 and doc["retransmissions"] == 0, doc
            assert doc["sent"] == 1 and doc["answered"] == 1 and len(doc["probes"]) == 1, doc
        # Names resolve through getaddrinfo (sofia's resolver does not read /etc/hosts).
        rc, doc, _, err = sip("--target", f"sip:localhost:{r.port}", "--count", "3", "--interval", "50")
        assert rc == 0 and doc["sent"] == 3 and doc["answered"] == 3, (rc, doc, err)
        assert doc["rtt_min_ms"] <= doc["rtt_avg_ms"] <= doc["rtt_max_ms"], doc
    with Responder(code=404, reason="Not Found", server="", allow="") as r:
        rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port}")
        assert rc == 0 and doc["status"] == 404 and doc["server"] is None, (rc, doc, err)
        assert doc["allow"] == [] and doc["node_id"] is None, doc
    with Responder(delay_ms=300) as r:
        rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port}", "--t1", "1000")
        assert rc == 0 and 295 <= doc["rtt_ms"] < 1000, (rc, doc, err)
        assert doc["retransmissions"] == 0, doc
    # The far end ignores the first two transmissions: NTA retransmits at
    # T1 and 3*T1 and the third one is answered.
    with Responder(drop_first=2) as r:
        rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port}", "--t1", "100")
        assert rc == 0 and doc["status"] == 200, (rc, doc, err)
        assert doc["retransmissions"] == 2 and 280 <= doc["rtt_ms"] < 1000, doc
    print("ok: codes, headers, Node-ID, delays as RTT, retransmissions, TCP, names")


def test_probe_failures():
    with Responder(mode="silent") as r:
        for transport, retrans in (("udp", 3), ("tcp", 0)):
            rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port};transport={transport}",
                                  "--timeout", "1000", "--t1", "100")
            assert rc == 2 and doc["ok"] is False and doc["error"] == "timeout", (rc, doc, err)
            assert 990 <= doc["rtt_ms"] < 3000 and doc["status"] is None, doc
            # UDP: sent at 0, 100, 300, 700 ms; TCP is reliable, nothing to retransmit.
            assert doc["retransmissions"] == retrans, doc
            assert err.startswith("p2pmon-probe sip: timeout: "), err
    port = closed_port()
    for transport in ("udp", "tcp"):
        rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{port};transport={transport}")
        assert rc == 2 and doc["error"] == "refused" and doc["rtt_ms"] < 500, (rc, doc, err)
        assert err.startswith("p2pmon-probe sip: refused: "), err
    for mode in ("garbage", "badstatus"):
        with Responder(mode=mode) as r:
            for transport in ("udp", "tcp"):
                rc, doc, _, err = sip("--target", f"sip:127.0.0.1:{r.port};transport={transport}",
                                      "--timeout", "1000")
                assert rc == 2 and doc["error"] == "bad_response", (mode, transport, rc, doc, err)
    rc, doc, _, err = sip("--target", "sip:no-such-host.invalid:5060")
    assert rc == 2 and doc["error"] == "unreachable" and doc["address"] is None, (rc, doc, err)
    for bad in (["--target", "http://x"], ["--target", "sip:h;transport=tls"], [],
                ["--target", "sip:h", "--targets-from", "-"], ["--target", "sip:h", "--timeout", "0"]):
        rc, _, out, err = sip(*bad)
        assert rc == 2 and out == "" and "p2pmon-probe sip: bad_usage: " in err, (bad, rc, err)
    print("ok: timeout with retransmissions, refused, bad_response, unreachable, bad usage")


def test_sweep():
    with Responder() as up, Responder(mode="silent") as silent:
        closed = closed_port()
        lines = ["# a comment, then a blank line", ""]
        want = {}
        for i in range(40):
            t = f"sip:u{i}@127.0.0.1:{up.port}"
            lines.append(t)
            want[f"sip:u{i}@127.0.0.1:{up.port};transport=udp"] = None
        lines += [f"sip:127.0.0.1:{silent.port}", f"sip:127.0.0.1:{closed};transport=tcp",
                  "not-a-uri", f"  sip:127.0.0.1:{up.port};transport=tcp  "]
        want[f"sip:127.0.0.1:{silent.port};transport=udp"] = "timeout"
        want[f"sip:127.0.0.1:{closed};transport=tcp"] = "refused"
        want["not-a-uri"] = "bad_usage"
        want[f"sip:127.0.0.1:{up.port};transport=tcp"] = None
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            for source, stdin in ((f.name, None), ("-", "\n".join(lines))):
                t0 = time.monotonic()
                p = subprocess.run([PROBE, "sip", "--targets-from", source, "--max-in-flight", "4",
                                    "--timeout", "1500", "--json", "--stats"],
                                   capture_output=True, text=True, timeout=60, input=stdin)
                assert p.returncode == 0, p.stderr
                results = [json.loads(x) for x in p.stdout.splitlines()]
                assert len(results) == len(want), (len(results), p.stdout)
                got = {x["target"]: x["error"] for x in results}
                assert got == want, got
                stats = json.loads(p.stderr.strip().splitlines()[-1])
                assert stats["started"] == stats["finished"] == len(want), stats
                assert 1 <= stats["peak_in_flight"] <= 4 and stats["in_flight_at_end"] == 0, stats
                assert stats["nta_transactions_after_drain"] == 0, stats
                # The silent target holds one slot for 1.5 s; the rest go through the other three.
                assert time.monotonic() - t0 < 10
        finally:
            os.unlink(f.name)
    print("ok: sweep from a file and stdin, one result per target, in-flight bound kept")


def sweep_memory(port, n):
    p = subprocess.run([PROBE, "sip", "--targets-from", "-", "--max-in-flight", "32",
                        "--max-transactions", "512", "--json", "--stats"], input=f"sip:127.0.0.1:{port}\n" * n, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    answered = p.stdout.count('"ok":true')
    stats = json.loads(p.stderr.strip().splitlines()[-1])
    return answered, stats


def sanitized():
    """ASan's quarantine holds freed memory back, so RSS says nothing there."""
    try:
        with open(os.path.join(BUILD_DIR, "CMakeCache.txt")) as f:
            return "P2PMON_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


def test_sweep_memory_stays_flat():
    """Finished transactions do not pile up: ten times the probes, the same peak
    RSS, and NTA never holds more transactions (live or in timer K) than allowed."""
    with Responder() as r:
        small_ok, small = sweep_memory(r.port, 2000)
        big_ok, big = sweep_memory(r.port, 20000)
    assert small_ok >= 1990 and big_ok >= 19900, (small_ok, big_ok)
    for s in (small, big):
        assert s["peak_in_flight"] <= 32 and s["in_flight_at_end"] == 0, s
        assert s["nta_transactions_after_drain"] == 0, s
        assert s["peak_nta_transactions"] <= 512, s
    growth = big["peak_rss_kb"] - small["peak_rss_kb"]
    if sanitized():
        print("note: sanitizer build, RSS not compared")
    else:
        assert growth < 4 * 1024, (small, big)
    print(f"ok: 2000 vs 20000 probes, peak RSS {small['peak_rss_kb']} vs {big['peak_rss_kb']} kB, "
          f"peak NTA transactions {big['peak_nta_transactions']}")


def check(*args, timeout=60):
    p = subprocess.run([CHECK, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout


def assert_perf(out, timeout_ms):
    line = out.splitlines()[0]
    m = PERF.search(line)
    assert m, line
    assert int(m.group(2)) == timeout_ms, line
    return float(m.group(1)), int(m.group(3))


def test_check_p2p_sip():
    with Responder(node_id=NODE_ID) as r:
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-w", "100", "-c", "1000", "-t", "5")
        assert rc == 0, out
        assert re.match(rf"P2P_SIP OK - 200 OK in [0-9.]+ ms from sip:127\.0\.0\.1:{r.port} "
                        rf"\(node 3fa9c2d1\) \| ", out), out
        rtt, _ = assert_perf(out, 5000)
        assert rtt < 100
        rc, out = check("-H", "localhost", "-p", str(r.port), "--transport", "tcp",
                        "-u", f"sip:ping@127.0.0.1:{r.port}", "-v")
        assert rc == 0 and f";transport=tcp" in out.splitlines()[0], out
        assert f"request-uri sip:ping@127.0.0.1:{r.port}" in out, out
        assert f"node-id {NODE_ID}" in out, out
        assert_perf(out, 10000)
    with Responder(delay_ms=150) as r:
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-w", "100", "-c", "1000")
        assert rc == 1 and out.startswith("P2P_SIP WARNING - 200 OK in "), out
        assert assert_perf(out, 10000)[0] >= 150
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-w", "50", "-c", "100")
        assert rc == 2 and out.startswith("P2P_SIP CRITICAL - 200 OK in "), out
    with Responder(mode="silent") as r:
        t0 = time.monotonic()
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-w", "50", "-c", "100", "-t", "1")
        assert rc == 2 and out.startswith(f"P2P_SIP CRITICAL - no response from sip:127.0.0.1:{r.port}"
                                          " within "), out
        assert time.monotonic() - t0 < 5
        rtt, retrans = assert_perf(out, 1000)
        assert 990 <= rtt < 3000 and retrans >= 1, out
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-t", "0.5", "--timeout-state", "unknown")
        assert rc == 3 and out.startswith("P2P_SIP UNKNOWN - no response"), out
        assert_perf(out, 500)
    rc, out = check("-H", "127.0.0.1", "-p", str(closed_port()), "-w", "50", "-c", "100")
    assert rc == 2 and " refused the request after " in out, out
    assert_perf(out, 10000)
    with Responder(code=503, reason="Service Unavailable") as r:
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port))
        assert rc == 2 and out.startswith("P2P_SIP CRITICAL - 503 Service Unavailable in "), out
        assert "(expected 2xx,3xx,4xx)" in out, out
        assert_perf(out, 10000)
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "--expect", "5xx")
        assert rc == 0, out
    with Responder(code=404, reason="Not Found") as r:
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port))
        assert rc == 0 and out.startswith("P2P_SIP OK - 404 Not Found in "), out
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "--expect", "200")
        assert rc == 2 and "(expected 200)" in out, out
    with Responder(mode="garbage") as r:
        rc, out = check("-H", "127.0.0.1", "-p", str(r.port), "-t", "1")
        assert rc == 2 and "bad response from" in out, out
        assert_perf(out, 1000)
    rc, out = check("-H", "no-such-host.invalid")
    assert rc == 2 and "cannot reach sip:no-such-host.invalid:5060" in out, out
    assert_perf(out, 10000)
    for bad in ([], ["-H", "h", "-p", "0"], ["-H", "h", "--transport", "tls"], ["-H", "h", "-w", "x"],
                ["-H", "h", "--expect", "7xx"], ["-H", "h", "--timeout-state", "maybe"],
                ["-H", "h", "-u", "http://x"], ["--bogus"]):
        rc, out = check(*bad)
        assert rc == 3 and out.startswith("P2P_SIP UNKNOWN - bad usage"), (bad, out)
    for flag in ("-h", "-V"):
        rc, out = check(flag)
        assert rc == 3 and "check_p2p_sip" in out, out
    print("ok: check_p2p_sip OK, WARNING, CRITICAL, timeout, refused, unexpected code, usage")


if __name__ == "__main__":
    test_probe_answers()
    test_probe_failures()
    test_sweep()
    test_sweep_memory_stays_flat()
    test_check_p2p_sip()
