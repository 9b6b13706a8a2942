#!/usr/bin/env python3
"""RTP analysis benchmark (prints figures, asserts nothing; see bench/README.md).

Writes one large capture (P2PMON_BENCH_RTP_PACKETS, default 2,000,000 RTP
packets: P2PMON_BENCH_RTP_STREAMS G.711 streams of 20 ms side by side, with
1 % loss, 0.5 % duplicates, 0.5 % reordered pairs and up to 0.1 ms of
jitter, deterministic for P2PMON_BENCH_RTP_SEED), then times
`p2pmon-probe rtp --pcap FILE --json` (best of P2PMON_BENCH_ROUNDS runs) and
`tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r FILE` (one run) on
it, and compares per stream: packets and lost must be identical, the
maximum jitter within 1 %. Only processes started here are run, each to its
end; the temporary directory is removed unless P2PMON_BENCH_KEEP=1.

Then the RTP reflector at full load: `p2pmon-probe rtp-reflector` on
127.0.0.1 and P2PMON_BENCH_REFLECTOR_STREAMS (100) `p2pmon-probe rtp
--target` G.711 streams of 20 ms at once (5,000 packets/s into the
reflector) for P2PMON_BENCH_REFLECTOR_SECONDS (10); the reflector's CPU
time from /proc/PID/stat (utime + stime over the wall time, % of one core)
and the loss and jitter the probes saw in both directions.
P2PMON_BENCH_MEDIA_PARTS picks the parts: "capture,reflector" (default).
"""

import json
import os
import random
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
PROBE = os.path.join(BUILD, "probes", "p2pmon-probe")
PACKETS = int(os.environ.get("P2PMON_BENCH_RTP_PACKETS", "2000000"))
STREAMS = int(os.environ.get("P2PMON_BENCH_RTP_STREAMS", "100"))
SEED = int(os.environ.get("P2PMON_BENCH_RTP_SEED", "1"))
ROUNDS = int(os.environ.get("P2PMON_BENCH_ROUNDS", "3"))
REFLECTOR_STREAMS = int(os.environ.get("P2PMON_BENCH_REFLECTOR_STREAMS", "100"))
REFLECTOR_SECONDS = float(os.environ.get("P2PMON_BENCH_REFLECTOR_SECONDS", "10"))
PARTS = os.environ.get("P2PMON_BENCH_MEDIA_PARTS", "capture,reflector").split(",")

TSHARK_LINE = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9a-fA-F]+)\s+(\S+)\s+(\d+)\s+(-?\d+)\s+"
    r"\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")


def log(msg):
    print(f"media-bench: {msg}", file=sys.stderr, flush=True)


def write_capture(path):
    """Slot i of 20 ms carries packet i of every stream; stream s sends from
    10.1.(s/250).(s%250+1):40000 to 10.2.0.1:(20000+2s), SSRC 0x1000+s.
    Arrival times stay in slot order, so no sort is needed."""
    rnd = random.Random(SEED)
    slots = PACKETS // STREAMS
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    payload = b"\xff" * 160
    headers = []
    for s in range(STREAMS):
        src = bytes([10, 1, s // 250, s % 250 + 1])
        dst = bytes([10, 2, 0, 1])
        udp = struct.pack("!HHHH", 40000, 20000 + 2 * s, 8 + 12 + 160, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xb8, 20 + 8 + 12 + 160, 0, 0, 64, 17, 0, src, dst)
        headers.append(eth + ip + udp)
    frame_len = len(headers[0]) + 12 + 160
    rec = struct.Struct("<IIII")
    rtp = struct.Struct("!BBHII")
    t0 = 1700000000
    written = 0
    held = [None] * STREAMS  # a packet held back one slot (reordered)
    with open(path, "wb", buffering=1 << 20) as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        out = []

        def emit(s, usec_total, seq, ts):
            sec, usec = divmod(usec_total, 1000000)
            out.append(rec.pack(t0 + sec, usec, frame_len, frame_len) + headers[s] +
                       rtp.pack(0x80, 0, seq, ts, 0x1000 + s) + payload)

        for i in range(slots):
            base = i * 20000
            for s in range(STREAMS):
                usec = base + s * 150 + rnd.randrange(100)
                seq = (s * 1000 + i) & 0xffff
                ts = (i * 160) & 0xffffffff
                r = rnd.random()
                if r < 0.01:
                    pass  # lost
                elif r < 0.015 and held[s] is None and i + 1 < slots:
                    held[s] = (seq, ts)  # sent after the next one
                    continue
                else:
                    emit(s, usec, seq, ts)
                    written += 1
                    if r < 0.02:
                        emit(s, usec + 1, seq, ts)  # duplicate
                        written += 1
                if held[s] is not None and held[s][0] != seq:
                    emit(s, usec + 2, *held[s])
                    written += 1
                    held[s] = None
            if len(out) > 20000:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))
    return written


def run_timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p, wall, cpu, after.ru_maxrss


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/PID/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def reflector_bench():
    """The reflector under STREAMS concurrent probe streams; returns the figures."""
    refl = subprocess.Popen([PROBE, "rtp-reflector", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    probes = []
    try:
        m = re.match(r"RTP reflector on 127\.0\.0\.1:(\d+)", refl.stdout.readline())
        if not m:
            log("reflector did not start")
            return None
        port = m.group(1)
        hz = os.sysconf("SC_CLK_TCK")
        ticks0, wall0 = cpu_ticks(refl.pid), time.monotonic()
        for _ in range(REFLECTOR_STREAMS):
            probes.append(subprocess.Popen([PROBE, "rtp", "--target", f"127.0.0.1:{port}", "--duration",
                                            str(REFLECTOR_SECONDS), "--wait", "1", "--json"],
                                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True))
        docs = []
        for p in probes:
            out, _ = p.communicate(timeout=REFLECTOR_SECONDS + 60)
            docs.append(json.loads(out) if out.strip() else None)
        wall = time.monotonic() - wall0
        cpu = (cpu_ticks(refl.pid) - ticks0) / hz
    finally:
        for p in probes:
            if p.poll() is None:
                p.kill()
                p.wait()
        if refl.poll() is None:
            refl.send_signal(2)  # SIGINT: it prints its counters and exits
        out, _ = refl.communicate(timeout=30)
    stats = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    ok = [d for d in docs if d and d.get("error") is None]
    sent = sum(d["sent"] for d in ok)
    fwd_exp = sum(d["forward"]["expected"] for d in ok)
    fwd_lost = sum(d["forward"]["lost"] for d in ok)
    ret_exp = sum(d["return"]["expected"] for d in ok)
    ret_lost = sum(d["return"]["lost"] for d in ok)
    rtts = sorted(d["rtt"]["median_ms"] for d in ok)
    result = {
        "streams": REFLECTOR_STREAMS, "measured_streams": len(ok), "seconds": REFLECTOR_SECONDS,
        "packets_sent": sent, "packets_per_s": round(sent / REFLECTOR_SECONDS),
        "reflector_cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
        "reflector_cpu_percent": round(100.0 * cpu / wall, 2),
        "forward_lost": fwd_lost, "forward_loss_percent": round(100.0 * fwd_lost / fwd_exp, 4) if fwd_exp else None,
        "return_lost": ret_lost, "return_loss_percent": round(100.0 * ret_lost / ret_exp, 4) if ret_exp else None,
        "jitter_max_ms": max((max(d["forward"]["jitter_max_ms"], d["return"]["jitter_max_ms"]) for d in ok),
                             default=None),
        "rtt_median_of_medians_ms": rtts[len(rtts) // 2] if rtts else None,
        "reflector": stats,
        "goal_cpu_under_10_percent": "met" if 100.0 * cpu / wall < 10 else "MISSED",
    }
    print(f"reflector: {REFLECTOR_STREAMS} streams, {sent} packets in {REFLECTOR_SECONDS:.0f} s "
          f"({sent / REFLECTOR_SECONDS:,.0f}/s): {result['reflector_cpu_percent']} % of one core "
          f"({cpu:.2f} s CPU over {wall:.2f} s); loss forward {result['forward_loss_percent']} %, "
          f"return {result['return_loss_percent']} %; worst jitter {result['jitter_max_ms']} ms")
    return result


def main():
    if "capture" not in PARTS:
        if not os.path.exists(PROBE):
            log(f"needs {PROBE}")
            return 2
        result = {"reflector": reflector_bench(), "machine": {"cpus": os.cpu_count(),
                                                                 "loadavg": os.getloadavg()}}
        print("BENCH_JSON " + json.dumps(result), flush=True)
        return 0 if result["reflector"] else 2
    if not os.path.exists(PROBE) or shutil.which("tshark") is None:
        log(f"needs {PROBE} and tshark (make test-deps)")
        return 2
    workdir = tempfile.mkdtemp(prefix="p2pmon-media-bench-")
    try:
        pcap = os.path.join(workdir, "media.pcap")
        start = time.monotonic()
        written = write_capture(pcap)
        log(f"capture: {written} packets, {STREAMS} streams, {os.path.getsize(pcap) / 1e6:.0f} MB "
            f"in {time.monotonic() - start:.1f} s")
        probe_runs = []
        doc = None
        for r in range(ROUNDS):
            p, wall, cpu, _ = run_timed([PROBE, "rtp", "--pcap", pcap, "--json"])
            if p.returncode != 0:
                log(f"probe failed: {p.stderr.strip()}")
                return 2
            doc = json.loads(p.stdout)
            probe_runs.append({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)})
            log(f"probe run {r + 1}: {wall:.3f} s wall, {cpu:.3f} s CPU")
        p, ts_wall, ts_cpu, _ = run_timed(["tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z",
                                           "rtp,streams", "-r", pcap])
        log(f"tshark: {ts_wall:.3f} s wall, {ts_cpu:.3f} s CPU")
        rows = {}
        for line in p.stdout.splitlines():
            m = TSHARK_LINE.match(line)
            if m:
                rows[(f"{m.group(1)}:{m.group(2)}", f"{m.group(3)}:{m.group(4)}", m.group(5).lower())] = (
                    int(m.group(7)), int(m.group(8)), float(m.group(14)))
        same_counts = len(rows) == len(doc["streams"])
        worst_jitter = 0.0
        for s in doc["streams"]:
            t = rows.get((s["src"], s["dst"], s["ssrc"]))
            if t is None or t[0] != s["packets"] or t[1] != s["lost"]:
                same_counts = False
                continue
            if t[2] > 0:
                worst_jitter = max(worst_jitter, abs(s["jitter_max_ms"] - t[2]) / t[2])
        best = min(r["wall_s"] for r in probe_runs)
        packets = doc["rtp_packets"]
        result = {
            "packets": packets, "streams": len(doc["streams"]), "capture_mb": round(os.path.getsize(pcap) / 1e6, 1),
            "probe": {"best_wall_s": best, "packets_per_s": round(packets / best), "runs": probe_runs},
            "tshark": {"wall_s": round(ts_wall, 3), "cpu_s": round(ts_cpu, 3),
                       "packets_per_s": round(packets / ts_wall)},
            "ratio": round(ts_wall / best, 1),
            "identical_counts": same_counts,
            "max_jitter_rel_diff": round(worst_jitter, 6),
            "goals": {"ratio_20x": "met" if ts_wall / best >= 20 else "MISSED",
                      "identical_counts": "met" if same_counts else "MISSED"},
            "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        }
        print(f"{'':<28}{'wall s':>10}{'packets/s':>14}")
        print(f"{'p2pmon-probe rtp (best)':<28}{best:>10.3f}{packets / best:>14,.0f}")
        print(f"{'tshark -z rtp,streams':<28}{ts_wall:>10.3f}{packets / ts_wall:>14,.0f}")
        print(f"ratio {ts_wall / best:.1f}x; counts identical: {same_counts}; "
              f"max jitter differs by at most {worst_jitter * 100:.3f} %")
        if "reflector" in PARTS:
            result["reflector"] = reflector_bench()
        print("BENCH_JSON " + json.dumps(result), flush=True)
        return 0
    finally:
        if os.environ.get("P2PMON_BENCH_KEEP") == "1":
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
