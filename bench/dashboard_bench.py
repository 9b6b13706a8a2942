#!/usr/bin/env python3
"""Dashboard benchmark (prints figures, asserts nothing; see bench/README.md).

1. A real crawl document of P2PMON_BENCH_DASH_HOSTS peers (default 1000):
   one `p2pmon-peer --swarm` on free loopback ports, crawled once it has
   settled, then stopped by its pid.
2. A database filled by p2pmon-dashboard-seed from it: every peer a host,
   six services each, one result per service every 5 minutes over
   P2PMON_BENCH_DASH_DAYS days (default 7: about 12 million results for
   1,000 hosts), and the crawl stored every hour. The database is kept in
   BUILD/bench-dashboard/ and reused while it is less than a day old and
   made with the same figures (seeding takes minutes).
3. A p2pmon-collector on that database. Every API call the overview, ring,
   peer and history pages make is timed P2PMON_BENCH_DASH_CALLS times
   (default 200; peer-page calls on hosts drawn at random) over one
   keep-alive connection: median and p99 in milliseconds (goal: p99 under
   50 ms for every call).
4. Page load to first full render in Debian's Chromium (playwright-core,
   bench/dashboard_render.mjs), P2PMON_BENCH_DASH_LOADS times (default 5)
   for the overview, the ring and a peer page: median and worst
   (goal: under 1 s).
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crawl_bench as cb  # noqa: E402  (its swarm helpers; BUILD from argv[1] too)

BUILD = cb.BUILD
SEED = os.path.join(BUILD, "bench", "p2pmon-dashboard-seed")
HOSTS = int(os.environ.get("P2PMON_BENCH_DASH_HOSTS", "1000"))
DAYS = float(os.environ.get("P2PMON_BENCH_DASH_DAYS", "7"))
CALLS = int(os.environ.get("P2PMON_BENCH_DASH_CALLS", "200"))
LOADS = int(os.environ.get("P2PMON_BENCH_DASH_LOADS", "5"))
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def crawl_document(work):
    swarm, bootstrap = cb.settled_swarm(
        [cb.PEER, "--swarm", str(HOSTS), "--base-port", "0", "--listen", "127.0.0.1:0",
         "--stabilize-interval", cb.stabilize_for(HOSTS)], HOSTS, work, "dash-swarm")
    try:
        path = os.path.join(work, "crawl.json")
        cb.crawl(bootstrap, path)
        return path
    finally:
        cb.stop(swarm)


def seeded_database(store):
    os.makedirs(store, exist_ok=True)
    db = os.path.join(store, "seed.db")
    meta_path = os.path.join(store, "seed.json")
    want = {"hosts": HOSTS, "days": DAYS}
    try:
        meta = json.load(open(meta_path))
        if meta["made_for"] == want and time.time() - meta["made_at"] < 86400 and os.path.exists(db):
            print(f"dashboard: reusing {db} ({meta['seed']['results']} results)", file=sys.stderr)
            return db, meta["seed"]
    except (OSError, ValueError, KeyError):
        pass
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    with tempfile.TemporaryDirectory(prefix="p2pmon-dash-") as work:
        doc = crawl_document(work)
        print("dashboard: seeding (a few minutes)", file=sys.stderr)
        out = subprocess.run([SEED, "--db", db, "--crawl", doc, "--days", str(DAYS)],
                             check=True, capture_output=True, text=True, timeout=3600).stdout
    seed = json.loads(out)
    json.dump({"made_for": want, "made_at": time.time(), "seed": seed}, open(meta_path, "w"))
    return db, seed


def start_collector(db, work):
    port = cb.free_port()
    log = open(os.path.join(work, "collector.log"), "w")
    proc = subprocess.Popen([cb.COLLECTOR, "--db", db, "--http-listen", f"127.0.0.1:{port}",
                             "--nsca-listen", "127.0.0.1:0", "--retention-days", "0",
                             "--crawl-retention", "0"], stdout=log, stderr=log)
    deadline = time.monotonic() + 1800  # a store from before schema 5 is rolled up first
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/status")
            res = conn.getresponse()
            if res.status == 200 and json.loads(res.read())["rollup_lag"] == 0:
                return proc, port  # the hourly roll-ups have caught up (a backfill after an upgrade)
            time.sleep(1)
        except OSError:
            time.sleep(0.2)
    cb.stop(proc)
    raise RuntimeError("collector did not answer")


def get(conn, path):
    conn.request("GET", path)
    res = conn.getresponse()
    body = res.read()
    return res.status, body


def time_calls(port, calls):
    """calls: name -> function giving a path. Returns name -> figures."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    figures = {}
    for name, path_of in calls.items():
        for _ in range(5):  # warm the page cache and the connection pool
            get(conn, path_of())
        samples, statuses, size = [], set(), 0
        for _ in range(CALLS):
            path = path_of()
            t0 = time.perf_counter()
            status, body = get(conn, path)
            samples.append((time.perf_counter() - t0) * 1000)
            statuses.add(status)
            size = max(size, len(body))
        samples.sort()
        figures[name] = {"median_ms": round(statistics.median(samples), 2),
                         "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
                         "max_ms": round(samples[-1], 2), "status": sorted(statuses),
                         "bytes": size}
    return figures


def page_calls(hosts, now):
    """The calls the pages make (web/src/views), with their parameters."""
    pick = random.Random(1)
    host = lambda: pick.choice(hosts)  # noqa: E731
    week, day = now - 7 * 86400, now - 86400
    calls = {
        "live: GET /api/v1/version": lambda: "/api/v1/version",
        "overview: GET /api/v1/overview?problems=200": lambda: "/api/v1/overview?problems=200",
        "ring: GET /api/v1/ring": lambda: "/api/v1/ring",
        "peer: GET /api/v1/hosts/{h}/services": lambda: f"/api/v1/hosts/{host()}/services",
        "peer: GET /api/v1/hosts/{h}/peer": lambda: f"/api/v1/hosts/{host()}/peer",
        "history: GET /api/v1/overlay/summary?limit=1000": lambda: "/api/v1/overlay/summary?limit=1000",
        "services: GET /api/v1/services?state=2": lambda: "/api/v1/services?state=2&limit=200",
    }
    # The peer page's charts: three services, a week (hourly roll-ups) and a day (history rows).
    for service in ("sip_options", "rtp_quality", "dht_lookup"):
        calls[f"peer: GET /api/v1/metrics {service} 7 d step=3600"] = (
            lambda s=service: f"/api/v1/metrics?host={host()}&service={s}&since={week:.0f}&step=3600&limit=400")
        calls[f"peer: GET /api/v1/metrics {service} 24 h step=288"] = (
            lambda s=service: f"/api/v1/metrics?host={host()}&service={s}&since={day:.0f}&step=288&limit=400")
    # For comparison: a week of one service from the history rows, no step (before roll-ups).
    calls["(compare) GET /api/v1/metrics sip_options 7 d, every point"] = (
        lambda: f"/api/v1/metrics?host={host()}&service=sip_options&since={week:.0f}&limit=3000")
    return calls


def render_times(port, host):
    script = os.path.join(SOURCE, "bench", "dashboard_render.mjs")
    out = subprocess.run(["node", script, f"http://127.0.0.1:{port}/", host, str(LOADS), BUILD],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    return json.loads(out.stdout)


def main():
    db, seed = seeded_database(os.path.join(BUILD, "bench-dashboard"))
    with tempfile.TemporaryDirectory(prefix="p2pmon-dash-") as work:
        proc, port = start_collector(db, work)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            hosts = [h["host"] for h in json.loads(get(conn, "/api/v1/hosts")[1])["hosts"]]
            figures = time_calls(port, page_calls(hosts, time.time()))
            render = render_times(port, hosts[0])
        finally:
            cb.stop(proc)
    size_mb = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s)) / 1e6
    print(json.dumps({"seed": seed, "database_mb": round(size_mb), "calls": CALLS,
                      "api": figures, "first_render": render}, indent=1))
    worst = max(f["p99_ms"] for k, f in figures.items() if not k.startswith("(compare)"))
    print(f"dashboard: {seed['results']:,} results, {seed['hosts']} hosts; worst API p99 "
          f"{worst:.1f} ms (goal < 50)", file=sys.stderr)


if __name__ == "__main__":
    main()
