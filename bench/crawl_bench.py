#!/usr/bin/env python3
"""Crawl benchmark (prints figures, asserts nothing; see bench/README.md).

For each size in P2PMON_BENCH_CRAWL_SIZES (default "1000,5000"): one
`p2pmon-peer --swarm N` process on free loopback ports (stabilisation every
P2PMON_BENCH_CRAWL_STABILIZE ms, default 500), waits until a crawl finds a
consistent ring of N (bounded), then runs P2PMON_BENCH_ROUNDS (3) crawls
under /usr/bin/time and prints the median wall time, peers per second,
requests per peer, peers found and the crawler's maximum resident memory.
The swarm is stopped by its pid at the end.
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
SIZES = [int(x) for x in os.environ.get("P2PMON_BENCH_CRAWL_SIZES", "1000,5000").split(",")]
ROUNDS = int(os.environ.get("P2PMON_BENCH_ROUNDS", "3"))
STABILIZE = os.environ.get("P2PMON_BENCH_CRAWL_STABILIZE", "500")


def crawl(bootstrap, out):
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", CRAWL, "-b", bootstrap, "--json", out, "-q",
                        "--timeout", "500"], capture_output=True, text=True, timeout=300)
    wall = time.monotonic() - t0
    rss_kb = int(p.stderr.strip().splitlines()[-1])
    doc = json.load(open(out))
    return p.returncode, wall, rss_kb, doc


def bench(n, work):
    out = open(os.path.join(work, f"swarm{n}.out"), "w+")
    swarm = subprocess.Popen([PEER, "--swarm", str(n), "--base-port", "0", "--listen", "127.0.0.1:0",
                              "--stabilize-interval", STABILIZE], stdout=out, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            out.seek(0)
            text = out.read()
            if re.search(r"^ready ", text, re.M):
                break
            time.sleep(0.5)
        bootstrap = re.search(r"^peer \S+ (\S+)", text, re.M).group(1)
        path = os.path.join(work, "crawl.json")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # until the ring has settled
            code, _, _, doc = crawl(bootstrap, path)
            if code == 0 and doc["summary"]["answered"] == n:
                break
            time.sleep(2)
        runs = [crawl(bootstrap, path) for _ in range(ROUNDS)]
        wall = statistics.median(r[1] for r in runs)
        doc = runs[-1][3]
        return {"peers": n, "found": doc["summary"]["answered"], "consistent": doc["ring"]["consistent"],
                "wall_s": wall, "crawl_s": statistics.median(r[3]["seconds"] for r in runs),
                "peers_per_s": n / wall, "requests_per_peer": doc["summary"]["requests_per_peer"],
                "rss_mb": max(r[2] for r in runs) / 1024.0, "runs": [round(r[1], 3) for r in runs]}
    finally:
        swarm.send_signal(signal.SIGTERM)
        try:
            swarm.wait(timeout=30)
        except subprocess.TimeoutExpired:
            swarm.kill()
            swarm.wait()


def main():
    work = tempfile.mkdtemp(prefix="p2pmon-crawlbench-")
    rows = []
    try:
        for n in SIZES:
            rows.append(bench(n, work))
            print(f"crawl-bench: {n} done", file=sys.stderr, flush=True)
    finally:
        subprocess.run(["rm", "-rf", work])
    print(f"\np2pmon-crawl, median of {ROUNDS} (wall time includes process start)")
    print(f"{'peers':>6} {'found':>6} {'consistent':>10} {'wall s':>8} {'crawl s':>8} {'peers/s':>9} "
          f"{'req/peer':>8} {'RSS MB':>7}  runs")
    for r in rows:
        print(f"{r['peers']:>6} {r['found']:>6} {str(r['consistent']):>10} {r['wall_s']:>8.3f} "
              f"{r['crawl_s']:>8.3f} {r['peers_per_s']:>9.0f} {r['requests_per_peer']:>8.2f} "
              f"{r['rss_mb']:>7.1f}  {r['runs']}")
    print("BENCH_JSON " + json.dumps({"crawl": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
