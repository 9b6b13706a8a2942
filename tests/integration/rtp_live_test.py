"""The RTP reflector and the live RTP probe on 127.0.0.1 with free ports:
`p2pmon-probe rtp-reflector` and `p2pmon-probe rtp --target` with no loss
(sub-millisecond jitter) and with the sender skipping every tenth packet
(10 % forward loss, none on return); malformed datagrams to the reflector
dropped and counted while it goes on; `p2pmon-probe rtp --listen` on a
stream sent from here; check_p2p_rtp black-box (OK, WARNING and CRITICAL
by thresholds, CRITICAL (--timeout-state) for a closed or silent port, UNKNOWN for bad usage,
perfdata). Only processes started here are stopped, by pid."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

from p2pmon_support import PLUGINS, PROBE, stop_process

CHECK = os.path.join(PLUGINS, "check_p2p_rtp")


class Reflector:
    def __init__(self):
        self.proc = subprocess.Popen([PROBE, "rtp-reflector", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"RTP reflector on 127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise AssertionError(f"reflector did not start: {line!r}")
        self.port = int(m.group(1))

    def stop(self):
        """SIGTERM; returns the counters it prints at the end."""
        stop_process(self.proc, signal.SIGTERM, 10, "rtp-reflector")
        out = self.proc.stdout.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None


def probe_target(port, *args, timeout=60):
    p = subprocess.run([PROBE, "rtp", "--target", f"127.0.0.1:{port}", "--json", *args],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None, p.stderr


def rtp(seq, ts, ssrc=0xabcdef01, pt=0, payload=b"\xff" * 160):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def test_clean_loopback(port):
    # Jitter on a shared CI machine includes the scheduler's delays: the
    # best of three runs must be under 1 ms; every run must be lossless.
    for attempt in range(3):
        code, doc, err = probe_target(port, "--duration", "3")
        assert code == 0, (code, err)
        assert doc["forward"]["lost"] == 0 and doc["return"]["lost"] == 0, doc
        if doc["forward"]["jitter_ms"] < 1.0 and doc["return"]["jitter_ms"] < 1.0:
            break
    assert doc["error"] is None and doc["codec"] == "pcmu" and doc["clock_rate"] == 8000, doc
    assert doc["sent"] == 150 and doc["reflections"] == 150, doc
    f, r = doc["forward"], doc["return"]
    assert f["expected"] == 150 and f["lost"] == 0 and r["lost"] == 0, doc
    assert f["jitter_ms"] < 1.0 and r["jitter_ms"] < 1.0, (f, r)
    assert doc["rtt"]["samples"] == 150 and doc["rtt"]["median_ms"] < 5, doc["rtt"]
    assert doc["mos"] > 4.3, doc
    print(f"clean: rtt median {doc['rtt']['median_ms']} ms, jitter {f['jitter_ms']} / "
          f"{r['jitter_ms']} ms, MOS {doc['mos']}")


def test_drop_every_tenth(port):
    code, doc, err = probe_target(port, "--duration", "5", "--drop-every", "10", "--codec", "pcma")
    assert code == 0, (code, err)
    f, r = doc["forward"], doc["return"]
    assert doc["sent"] == 225 and doc["skipped"] == 25, doc
    assert f["expected"] == 250 and f["lost"] == 25 and f["lost_percent"] == 10.0, f
    assert r["lost"] == 0 and r["expected"] == 225, r
    assert doc["loss_percent"] == 10.0 and doc["mos"] < 3.0, doc
    print(f"drop every 10th: forward lost {f['lost_percent']} %, return {r['lost_percent']} %, "
          f"MOS {doc['mos']}")


def test_opus(port):
    code, doc, _ = probe_target(port, "--duration", "1", "--codec", "opus")
    assert code == 0 and doc["clock_rate"] == 48000 and doc["payload_type"] == 111, doc
    assert doc["forward"]["lost"] == 0 and doc["emodel"]["codec"] == "g711-plc", doc


def test_malformed(reflector):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    to = ("127.0.0.1", reflector.port)
    bad = [b"\x80\x00", b"\x40" * 20, struct.pack("!BBHI", 0x80, 200, 1, 7) + b"\0" * 20,
           b"\x80" * 3000, b"\xa0" + rtp(1, 0)[1:12] + b"\x00\x00\x00\x50"]
    for b in bad:
        s.sendto(b, to)
        try:
            s.recvfrom(4096)
            raise AssertionError(f"malformed datagram {b[:4]!r} was reflected")
        except socket.timeout:
            pass
    s.sendto(rtp(5, 800), to)
    back, _ = s.recvfrom(4096)
    assert back[0] & 0x10 and back[2:4] == b"\x00\x05" and len(back) == 172 + 24, back[:20]
    s.close()
    stats = reflector.stop()
    d = stats["dropped"]
    assert d == {"too_short": 1, "bad_version": 1, "rtcp": 1, "too_long": 1, "bad_padding": 1}, stats
    print(f"malformed: dropped {d}; reflector counters {stats}")


def test_listen():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as t:
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
    p = subprocess.Popen([PROBE, "rtp", "--listen", f"127.0.0.1:{port}", "--duration", "2.5", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stderr.readline()
        assert "listening on 127.0.0.1:" in line, line
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        start = time.monotonic()
        for i in range(80):  # 1.6 s of 20 ms packets, 65530.. wraps; 3 lost
            if i not in (10, 11, 40):
                s.sendto(rtp(65530 + i, i * 160), ("127.0.0.1", port))
            time.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
        s.sendto(b"not rtp", ("127.0.0.1", port))
        s.close()
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            stop_process(p, signal.SIGKILL, 5, "probe --listen")
    assert p.returncode == 0, p.returncode
    doc = json.loads(out)
    assert doc["listen"] == f"127.0.0.1:{port}" and doc["not_rtp"] == 1 and doc["rtp_packets"] == 77, doc
    st = doc["streams"][0]
    assert st["ssrc"] == "0xabcdef01" and st["encoding"] == "PCMU", st
    assert st["packets"] == 77 and st["expected"] == 80 and st["lost"] == 3, st
    assert st["dst"] == f"127.0.0.1:{port}" and st["jitter_max_ms"] < 5, st
    assert "emodel" in st and "voip_metrics" in st and "burst" in st, st
    print(f"listen: {st['packets']} packets, lost {st['lost']}, jitter max {st['jitter_max_ms']} ms")


def check(*args, timeout=30):
    p = subprocess.run([CHECK, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout


PERF = re.compile(r"\| mos=[\d.]+;[^ ]*;[^ ]*;1;4\.5 r_factor=[\d.]+;;;0;100 loss=[\d.]+%;[^ ]*;[^ ]*;0;100 "
                  r"jitter=[\d.]+ms;[^ ]*;[^ ]*;0 rtt=[\d.]+ms;;;0$")


def test_check_plugin(port):
    base = ["-H", "127.0.0.1", "-p", str(port), "--duration", "1"]
    code, out = check(*base, "--mos-w", "3.6", "--mos-c", "3.1", "--loss-w", "1", "--loss-c", "5",
                      "--jitter-w", "20", "--jitter-c", "50")
    assert code == 0 and out.startswith("P2P_RTP OK - MOS "), out
    assert PERF.search(out.splitlines()[0]), out
    assert "mos=" in out and ";3.6:;3.1:;1;4.5" in out and "loss=0%;1;5;0;100" in out, out
    code, out = check(*base, "--mos-w", "4.5", "--mos-c", "3.1")
    assert code == 1 and out.startswith("P2P_RTP WARNING - "), out
    code, out = check(*base, "--mos-w", "4.6", "--mos-c", "4.5")
    assert code == 2 and out.startswith("P2P_RTP CRITICAL - "), out
    code, out = check(*base, "--mos-w", "3.6", "--mos-c", "3.1", "--jitter-c", "0:0")
    assert code in (0, 2), out  # exactly 0 jitter is possible but unlikely
    code, out = check(*base, "--mos-w", "3.6", "-v")
    lines = out.splitlines()
    assert code == 0 and lines[2].startswith("forward: ") and lines[3].startswith("return: "), out
    print(f"check_p2p_rtp: {lines[0]}")


def test_check_unreachable():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as t:
        t.bind(("127.0.0.1", 0))
        closed = t.getsockname()[1]
    code, out = check("-H", "127.0.0.1", "-p", str(closed), "--duration", "0.3", "--mos-w", "3.6")
    assert code == 2 and out.startswith("P2P_RTP CRITICAL - cannot reach 127.0.0.1:"), out
    code, out = check("-H", "127.0.0.1", "-p", str(closed), "--duration", "0.3", "--timeout-state",
                      "unknown")
    assert code == 3 and out.startswith("P2P_RTP UNKNOWN - cannot reach 127.0.0.1:"), out
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        code, out = check("-H", "127.0.0.1", "-p", str(silent.getsockname()[1]), "--duration", "0.3",
                          "-t", "1")
        assert code == 2 and "no reply from 127.0.0.1:" in out and "|" not in out, out
    for args, why in [(["-p", "1"], "-H host is required"), (["-H", "127.0.0.1"], "-p port"),
                      (["-H", "x", "-p", "1", "--mos-w", "abc"], "--mos-w"),
                      (["-H", "x", "-p", "1", "--duration", "20", "-t", "10"], "shorter than -t"),
                      (["-H", "x", "-p", "1", "--codec", "g729"], "--codec")]:
        code, out = check(*args)
        assert code == 3 and out.startswith("P2P_RTP UNKNOWN - bad usage") and why in out, (args, out)
    assert check("-h")[0] == 3 and check("-V")[0] == 3


def main():
    reflector = Reflector()
    try:
        test_clean_loopback(reflector.port)
        test_drop_every_tenth(reflector.port)
        test_opus(reflector.port)
        test_check_plugin(reflector.port)
        test_malformed(reflector)
    finally:
        if reflector.proc.poll() is None:
            reflector.stop()
    test_listen()
    test_check_unreachable()
    code, _, err = probe_target(9, "--duration", "x")
    assert code == 2 and "bad_usage" in err, err
    print("rtp_live_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
