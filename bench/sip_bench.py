#!/usr/bin/env python3
"""SIP benchmark (prints figures, asserts nothing; see bench/README.md).

1. A swarm of P2PMON_BENCH_SIP_PEERS (200) p2pmon-peer peers with SIP on,
   one process, 127.0.0.1, free ports.
2. Capture run: an OPTIONS sweep of P2PMON_BENCH_SIP_CAPTURED (20,000)
   probes over all peers with `p2pmon-probe sip --targets-from`, while
   dumpcap records the loopback; the probe's RTT of each exchange is set
   against the capture's (first request on the wire to the final response,
   matched by Call-ID).
3. Long run: P2PMON_BENCH_SIP_PROBES (1,000,000) probes, no capture; the
   probe's resident memory is sampled every second from /proc (flat or not),
   plus the probe's own --stats line at the end.
4. check_p2p_sip's whole-process wall time against one peer next to
   `sipsak -s` on the same target, alternating, P2PMON_BENCH_SIP_RUNS (50) each.

Only processes started here are stopped, by their pid; the temporary
directory is removed unless P2PMON_BENCH_KEEP=1.
"""

import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
PEER = os.path.join(BUILD, "overlay-agent", "p2pmon-peer")
PROBE = os.path.join(BUILD, "probes", "p2pmon-probe")
CHECK = os.path.join(BUILD, "plugins", "check_p2p_sip")
PEERS = int(os.environ.get("P2PMON_BENCH_SIP_PEERS", "200"))
CAPTURED = int(os.environ.get("P2PMON_BENCH_SIP_CAPTURED", "20000"))
PROBES = int(os.environ.get("P2PMON_BENCH_SIP_PROBES", "1000000"))
IN_FLIGHT = int(os.environ.get("P2PMON_BENCH_SIP_IN_FLIGHT", "64"))
RUNS = int(os.environ.get("P2PMON_BENCH_SIP_RUNS", "50"))
DOMAIN = "localhost"


def log(msg):
    print(f"sip-bench: {msg}", file=sys.stderr, flush=True)


def pct(values, p):
    s = sorted(values)
    if not s:
        return None
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def stop(proc, sig=signal.SIGTERM, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def start_swarm(workdir):
    logf = open(os.path.join(workdir, "peers.log"), "wb")
    proc = subprocess.Popen(
        [PEER, "--swarm", str(PEERS), "--listen", "127.0.0.1:0", "--base-port", "0",
         "--sip-listen", "127.0.0.1:0", "--domain", DOMAIN, "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=logf, stdin=subprocess.DEVNULL, text=True)
    sips = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        m = re.match(r"peer [0-9a-f]{32} \S+ sip=(\S+)", line)
        if m:
            sips.append(m.group(1))
        if line.startswith("ready"):
            break
        if time.monotonic() > deadline:
            break
    assert len(sips) == PEERS, f"swarm did not start: {len(sips)} SIP peers"
    return proc, sips


def write_targets(path, sips, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(f"sip:{sips[i % len(sips)]}\n")


def sweep(workdir, targets, n, json_out=None, sample_rss=False):
    """Runs one sweep; returns (seconds, stats line, rss samples)."""
    out = open(json_out, "w") if json_out else subprocess.DEVNULL
    errf = os.path.join(workdir, "probe-stats.txt")
    with open(errf, "w") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [PROBE, "sip", "--targets-from", targets, "--max-in-flight", str(IN_FLIGHT),
             "--timeout", "2000", "--stats"] + (["--json"] if json_out else []),
            stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        samples = []
        while proc.poll() is None:
            time.sleep(1.0)
            if sample_rss:
                r = rss_kb(proc.pid)
                if r is not None:
                    samples.append((round(time.monotonic() - t0, 1), r))
        seconds = time.monotonic() - t0
    if json_out:
        out.close()
    with open(errf) as f:
        lines = [l for l in f.read().splitlines() if l.startswith("{")]
    stats = json.loads(lines[-1]) if lines else {}
    return seconds, stats, samples


def capture_rtts(pcap):
    """Call-ID -> (first OPTIONS on the wire, final response) from the capture, in ms."""
    p = subprocess.run(
        ["tshark", "-r", pcap, "-Y", "sip.CSeq.method == \"OPTIONS\"", "-T", "fields",
         "-e", "frame.time_epoch", "-e", "sip.Call-ID", "-e", "sip.Status-Code"],
        capture_output=True, text=True, check=True)
    first, final = {}, {}
    for line in p.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        t, call, status = float(parts[0]), parts[1], parts[2]
        if not status:
            first.setdefault(call, t)
        elif int(status) >= 200 and call not in final:
            final[call] = t
    return {c: (final[c] - first[c]) * 1000.0 for c in final if c in first}


def main():
    for tool in (PEER, PROBE, CHECK):
        assert os.access(tool, os.X_OK), f"{tool} is not built"
    for tool in ("dumpcap", "tshark", "sipsak"):
        assert shutil.which(tool), f"{tool} is missing (make bench installs it)"
    workdir = tempfile.mkdtemp(prefix="p2pmon-sip-bench-")
    swarm = dumpcap = None
    summary = {"peers": PEERS, "in_flight": IN_FLIGHT}
    try:
        log(f"starting {PEERS} peers with SIP")
        swarm, sips = start_swarm(workdir)
        time.sleep(3)  # let the ring settle; OPTIONS to a peer does not need it

        # 2. capture run
        targets = os.path.join(workdir, "targets-captured.txt")
        write_targets(targets, sips, CAPTURED)
        pcap = os.path.join(workdir, "sip.pcapng")
        dumpcap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", "udp", "-B", "64",
                                    "-w", pcap], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        time.sleep(2)
        log(f"capture run: {CAPTURED} probes")
        jsonl = os.path.join(workdir, "probes.jsonl")
        seconds, stats, _ = sweep(workdir, targets, CAPTURED, json_out=jsonl)
        time.sleep(1)
        stop(dumpcap, signal.SIGINT)
        dumpcap = None
        probe = {}
        with open(jsonl) as f:
            for line in f:
                r = json.loads(line)
                if r.get("ok") and r.get("call_id"):
                    probe[r["call_id"]] = r["rtt_ms"]
        wire = capture_rtts(pcap)
        both = [c for c in probe if c in wire]
        diffs = [probe[c] - wire[c] for c in both]
        summary["captured"] = {
            "probes": CAPTURED, "answered": len(probe), "matched_in_capture": len(both),
            "rate_per_s": round(CAPTURED / seconds),
            "probe_rtt_ms": {"median": pct([probe[c] for c in both], 50),
                             "p99": pct([probe[c] for c in both], 99)},
            "capture_rtt_ms": {"median": round(pct([wire[c] for c in both], 50), 3),
                               "p99": round(pct([wire[c] for c in both], 99), 3)},
            "probe_minus_capture_ms": {"median": round(pct(diffs, 50), 3),
                                       "p99": round(pct(diffs, 99), 3),
                                       "max": round(max(diffs), 3) if diffs else None},
        }
        log(json.dumps(summary["captured"]))

        # 3. long run
        targets = os.path.join(workdir, "targets-long.txt")
        write_targets(targets, sips, PROBES)
        log(f"long run: {PROBES} probes, resident memory sampled every second")
        seconds, stats, samples = sweep(workdir, targets, PROBES, sample_rss=True)
        tail = [r for _, r in samples]
        summary["long"] = {
            "probes": PROBES, "seconds": round(seconds, 1), "rate_per_s": round(PROBES / seconds),
            "rss_kb_first_sample": tail[0] if tail else None,
            "rss_kb_at_half": tail[len(tail) // 2] if tail else None,
            "rss_kb_last_sample": tail[-1] if tail else None,
            "rss_kb_max_sample": max(tail) if tail else None,
            "probe_stats": stats,
            "swarm_rss_kb_after": rss_kb(swarm.pid),
        }
        log(json.dumps(summary["long"]))

        # 4. check_p2p_sip against sipsak, whole process wall time
        host, port = sips[0].split(":")
        check_t, sipsak_t = [], []
        check_rc, sipsak_rc = set(), set()
        for _ in range(RUNS):
            t0 = time.monotonic()
            p = subprocess.run([CHECK, "-H", host, "-p", port, "-w", "100", "-c", "500"],
                               capture_output=True, stdin=subprocess.DEVNULL)
            check_t.append((time.monotonic() - t0) * 1000)
            check_rc.add(p.returncode)
            t0 = time.monotonic()
            p = subprocess.run(["sipsak", "-s", f"sip:{DOMAIN}", "-p", sips[0]],
                               capture_output=True, stdin=subprocess.DEVNULL)
            sipsak_t.append((time.monotonic() - t0) * 1000)
            sipsak_rc.add(p.returncode)
        summary["wall_ms"] = {
            "runs": RUNS,
            "check_p2p_sip": {"median": round(statistics.median(check_t), 2),
                              "p90": round(pct(check_t, 90), 2), "exit": sorted(check_rc)},
            "sipsak_s": {"median": round(statistics.median(sipsak_t), 2),
                         "p90": round(pct(sipsak_t, 90), 2), "exit": sorted(sipsak_rc)},
            "ratio_check_over_sipsak": round(statistics.median(check_t) /
                                             statistics.median(sipsak_t), 2),
        }
        print(json.dumps(summary, indent=2))
    finally:
        stop(dumpcap, signal.SIGINT)
        stop(swarm)
        if os.environ.get("P2PMON_BENCH_KEEP") == "1":
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
