#!/usr/bin/env python3
"""Crawl benchmark (prints figures, asserts nothing; see bench/README.md).

For each size in P2PMON_BENCH_CRAWL_SIZES (default "1000,5000"): one
`p2pmon-peer --swarm N` process on free loopback ports (stabilisation every
P2PMON_BENCH_CRAWL_STABILIZE ms, default 500 up to 1,000 peers and 2,000
above: one swarm thread cannot keep 5,000 peers at 500 ms), waits until a crawl finds a
consistent ring of N (bounded), then runs P2PMON_BENCH_ROUNDS (3) crawls
under /usr/bin/time and prints the median wall time, peers per second,
requests per peer, peers found and the crawler's maximum resident memory.
The swarm is stopped by its pid at the end.

Then the agents' cost (P2PMON_BENCH_AGENT_PEERS, default 1000; 0 skips):
a swarm of that many peers with SIP and RTP reflectors, its embedded
agents off and on (pushing to a p2pmon-collector with their default
checks and intervals; nat_behaviour against a p2pmon-probe stun-server),
alternated P2PMON_BENCH_AGENT_ROUNDS times (default 2) so both see the
same machine. Each run waits for the ring to settle, lets the agents run
P2PMON_BENCH_AGENT_WARMUP s (default 30), then measures the swarm
process's CPU (utime + stime from /proc) over P2PMON_BENCH_AGENT_WINDOW s
(default 120) and its resident memory at the end. Agents' checks start at
a random phase of their interval, so a window of any length sees their
average rate. Prints medians and the on/off ratios (goals: CPU < 1.10,
memory < 1.20).
"""

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
PEER = os.path.join(BUILD, "overlay-agent", "p2pmon-peer")
CRAWL = os.path.join(BUILD, "probes", "p2pmon-crawl")
PROBE = os.path.join(BUILD, "probes", "p2pmon-probe")
COLLECTOR = os.path.join(BUILD, "collector", "p2pmon-collector")
AGENT_PEERS = int(os.environ.get("P2PMON_BENCH_AGENT_PEERS", "1000"))
AGENT_ROUNDS = int(os.environ.get("P2PMON_BENCH_AGENT_ROUNDS", "2"))
AGENT_WARMUP = float(os.environ.get("P2PMON_BENCH_AGENT_WARMUP", "30"))
AGENT_WINDOW = float(os.environ.get("P2PMON_BENCH_AGENT_WINDOW", "120"))
SIZES = [int(x) for x in os.environ.get("P2PMON_BENCH_CRAWL_SIZES", "1000,5000").split(",")]
ROUNDS = int(os.environ.get("P2PMON_BENCH_ROUNDS", "3"))
# One swarm thread runs every peer: 5,000 peers stabilising every 500 ms
# (about 70,000 datagrams/s) saturate it and the ring never settles, so
# bigger swarms stabilise every 2 s unless told otherwise.
STABILIZE = os.environ.get("P2PMON_BENCH_CRAWL_STABILIZE")


def stabilize_for(n):
    return STABILIZE or ("500" if n <= 1000 else "2000")


def crawl(bootstrap, out):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", CRAWL, "-b", bootstrap, "--json", out, "-q",
                        "--timeout", "500"], capture_output=True, text=True, timeout=300)
    wall = time.monotonic() - t0
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    doc = json.load(open(out))
    return p.returncode, wall, rss_kb, doc


def settled_swarm(cmd, n, work, name):
    """Starts `cmd` (a p2pmon-peer --swarm of n), waits for its ready line
    (120 s at most) and for a crawl of a consistent ring of n (180 s at
    most); returns the process and its first peer's address."""
    out = open(os.path.join(work, f"{name}.out"), "w+")
    swarm = subprocess.Popen(cmd, stdout=out, stderr=open(os.path.join(work, f"{name}.log"), "a"))
    try:
        deadline = time.monotonic() + 120
        text = ""
        while time.monotonic() < deadline and not re.search(r"^ready ", text, re.M):
            time.sleep(0.5)
            out.seek(0)
            text = out.read()
        bootstrap = re.search(r"^peer \S+ (\S+)", text, re.M).group(1)
        path = os.path.join(work, f"{name}-settle.json")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # until the ring has settled
            code, _, _, doc = crawl(bootstrap, path)
            if code == 0 and doc["summary"]["answered"] == n:
                break
            time.sleep(2)
        return swarm, bootstrap
    except BaseException:
        stop(swarm)
        raise


def bench(n, work):
    swarm, bootstrap = settled_swarm([PEER, "--swarm", str(n), "--base-port", "0", "--listen", "127.0.0.1:0",
                                      "--stabilize-interval", stabilize_for(n)], n, work, f"swarm{n}")
    try:
        path = os.path.join(work, "crawl.json")
        runs = [crawl(bootstrap, path) for _ in range(ROUNDS)]
        wall = statistics.median(r[1] for r in runs)
        doc = runs[-1][3]
        return {"peers": n, "found": doc["summary"]["answered"], "consistent": doc["ring"]["consistent"],
                "wall_s": wall, "crawl_s": statistics.median(r[3]["seconds"] for r in runs),
                "peers_per_s": n / wall, "requests_per_peer": doc["summary"]["requests_per_peer"],
                "rss_mb": max(r[2] for r in runs) / 1024.0, "runs": [round(r[1], 3) for r in runs]}
    finally:
        stop(swarm)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def agent_run(n, agents, work, collector_url, stun):
    cmd = [PEER, "--swarm", str(n), "--base-port", "0", "--listen", "127.0.0.1:0",
           "--stabilize-interval", "1000", "--sip-listen", "127.0.0.1:0", "--domain", "localhost",
           "--rtp-reflector", "0"]
    if agents:
        spool = os.path.join(work, "spool")
        subprocess.run(["rm", "-rf", spool])
        cmd += ["--agent-collector", collector_url, "--agent-spool", spool, "--agent-stun", stun]
    swarm, _ = settled_swarm(cmd, n, work, f"agents-{agents}")
    try:
        time.sleep(AGENT_WARMUP)
        c0, t0 = cpu_seconds(swarm.pid), time.monotonic()
        time.sleep(AGENT_WINDOW)
        c1, t1 = cpu_seconds(swarm.pid), time.monotonic()
        return {"agents": agents, "cpu_pct": 100.0 * (c1 - c0) / (t1 - t0), "rss_mb": rss_mb(swarm.pid)}
    finally:
        stop(swarm)


def agents_cost(work):
    port, nsca = free_port(), free_port()
    collector = subprocess.Popen([COLLECTOR, "--db", os.path.join(work, "agents.db"),
                                  "--http-listen", f"127.0.0.1:{port}", "--nsca-listen", f"127.0.0.1:{nsca}"],
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "collector.log"), "w"))
    stun = subprocess.Popen([PROBE, "stun-server", "--listen", "127.0.0.1:0", "--alt-listen", "127.0.0.2:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        m = re.match(r"STUN server on ([^,\s]+)", stun.stdout.readline())
        runs = []
        for _ in range(AGENT_ROUNDS):
            for agents in (False, True):
                runs.append(agent_run(AGENT_PEERS, agents, work, f"http://127.0.0.1:{port}", m.group(1)))
                print(f"crawl-bench: agents {'on' if agents else 'off'}: {runs[-1]}", file=sys.stderr, flush=True)
        hosts = json.loads(subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/api/v1/status"],
                                          capture_output=True, text=True).stdout or "{}")
        off = [r for r in runs if not r["agents"]]
        on = [r for r in runs if r["agents"]]
        row = {"peers": AGENT_PEERS, "window_s": AGENT_WINDOW,
               "cpu_off_pct": statistics.median(r["cpu_pct"] for r in off),
               "cpu_on_pct": statistics.median(r["cpu_pct"] for r in on),
               "rss_off_mb": statistics.median(r["rss_mb"] for r in off),
               "rss_on_mb": statistics.median(r["rss_mb"] for r in on),
               "collector_status": hosts, "runs": runs}
        row["cpu_ratio"] = row["cpu_on_pct"] / max(row["cpu_off_pct"], 1e-9)
        row["rss_ratio"] = row["rss_on_mb"] / max(row["rss_off_mb"], 1e-9)
        return row
    finally:
        stop(stun)
        stop(collector)


def main():
    work = tempfile.mkdtemp(prefix="p2pmon-crawlbench-")
    rows = []
    agents = None
    try:
        for n in SIZES:
            rows.append(bench(n, work))
            print(f"crawl-bench: {n} done", file=sys.stderr, flush=True)
        if AGENT_PEERS > 0:
            agents = agents_cost(work)
    finally:
        subprocess.run(["rm", "-rf", work])
    print(f"\np2pmon-crawl, median of {ROUNDS} (wall time includes process start)")
    print(f"{'peers':>6} {'found':>6} {'consistent':>10} {'wall s':>8} {'crawl s':>8} {'peers/s':>9} "
          f"{'req/peer':>8} {'RSS MB':>7}  runs")
    for r in rows:
        print(f"{r['peers']:>6} {r['found']:>6} {str(r['consistent']):>10} {r['wall_s']:>8.3f} "
              f"{r['crawl_s']:>8.3f} {r['peers_per_s']:>9.0f} {r['requests_per_peer']:>8.2f} "
              f"{r['rss_mb']:>7.1f}  {r['runs']}")
    if agents:
        print(f"\nagents' cost: {agents['peers']}-peer swarm, agents off vs on, median of "
              f"{AGENT_ROUNDS} alternated runs, CPU over {AGENT_WINDOW:.0f} s")
        print(f"  CPU    off {agents['cpu_off_pct']:6.2f}% of a core   on {agents['cpu_on_pct']:6.2f}%   "
              f"ratio {agents['cpu_ratio']:.3f} (goal < 1.10)")
        print(f"  memory off {agents['rss_off_mb']:6.1f} MB           on {agents['rss_on_mb']:6.1f} MB   "
              f"ratio {agents['rss_ratio']:.3f} (goal < 1.20)")
    print("BENCH_JSON " + json.dumps({"crawl": rows, "agents": agents}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
