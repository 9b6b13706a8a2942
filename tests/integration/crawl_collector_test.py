"""Crawl snapshots in the collector and check_p2p_overlay, black-box: a
40-peer swarm plus one separate peer process, p2pmon-collector with a token
and a Nagios command file, p2pmon-crawl --collector. Checks GET
/api/v1/crawls, /crawls/latest and /crawls/{id} field by field, one
overlay_neighbours result per peer (current state, history, forwarded),
bad documents refused with 400 and nothing stored, a killed peer reported
CRITICAL and its neighbours WARNING with churn; check_p2p_overlay live (OK,
thresholds, dead bootstrap, bad usage) and from the collector (no crawl
yet, OK, stale). Free ports, bounded waits; only its own processes are
stopped, by pid."""

import json
import os
import subprocess
import sys
import tempfile
import time

from p2pmon_support import BUILD_DIR, PLUGINS, Collector, Swarm, free_port, wait_until

CRAWL = os.path.join(BUILD_DIR, "probes", "p2pmon-crawl")
CHECK = os.path.join(PLUGINS, "check_p2p_overlay")
TOKEN = "s3cret"
AUTH = {"Authorization": "Bearer " + TOKEN}


def run(*cmd, timeout=60):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check(*args, timeout=60):
    code, out, err = run(CHECK, *args, timeout=timeout)
    assert out.count("\n") >= 1 and out.startswith("P2P_OVERLAY "), (code, out, err)
    print(f"check_p2p_overlay {' '.join(args)}\n  -> {code} {out.splitlines()[0]}")
    return code, out.splitlines()[0]


def perf(line):
    return dict(kv.split("=", 1) for kv in line.split(" | ", 1)[1].split())


def main():
    work = tempfile.mkdtemp(prefix="p2pmon-crawlc-")
    cmd_file = os.path.join(work, "nagios.cmd")
    open(cmd_file, "w").close()
    swarm = Swarm(size=40, stabilize_ms=200, workdir=work, name="swarm").start(timeout=120)
    single = None
    collector = Collector(workdir=work, args=["--token", TOKEN, "--nagios-command-file", cmd_file])
    try:
        single = Swarm(bootstrap=[swarm.first], stabilize_ms=200, workdir=work,
                       name="single").start(timeout=60)
        ids = {p.node_id: p.address for s in (swarm, single) for p in s.peers}
        boot = swarm.first.address
        host, port = boot.rsplit(":", 1)

        def healthy():
            code, out, _ = run(CRAWL, "-b", boot, "--json", "-", "-q")
            return code == 0 and json.loads(out)["summary"]["answered"] == len(ids)

        wait_until(healthy, timeout=180, interval=1.0, what="a consistent ring of 41")
        collector.start()
        url = collector.http

        # From the collector before any crawl: UNKNOWN.
        code, line = check("-U", url)
        assert code == 3 and "no crawl at the collector" in line, line

        # A wrong token: the crawl runs, the post is refused, exit 3.
        code, out, err = run(CRAWL, "-b", boot, "--collector", url, "--token", "wrong", "-q")
        assert code == 3 and "HTTP 401 unauthorized" in err, (code, err)

        code, out, err = run(CRAWL, "-b", boot, "--collector", url, "--token", TOKEN)
        assert code == 0, (code, out, err)
        assert "crawl 1 stored at " + url + ", 41 peer results" in out, out

        listed = collector.get("/api/v1/crawls?limit=10")["crawls"]
        assert len(listed) == 1, listed
        c = listed[0]
        for k, v in {"id": 1, "overlay": "p2pmon", "found": 41, "reachable": 41, "unreachable": 0,
                     "unvisited": 0, "unreachable_percent": 0, "consistent": True, "rings": [41],
                     "partitioned": False, "dangling": 0, "churn": None,
                     "peers_stored": True}.items():
            assert c[k] == v, (k, c)
        assert c["started_at"] <= c["received"] and 0 <= c["seconds"] < 60, c

        latest = collector.get("/api/v1/crawls/latest")
        assert latest["id"] == 1 and latest["bootstrap"] == [boot], latest["bootstrap"]
        assert latest["summary"]["answered"] == 41 and latest["ring"]["consistent"] is True
        assert "order" not in latest["ring"] and "samples" in latest["ring"]
        peers = latest["peers"]
        assert {p["node_id"]: p["address"] for p in peers} == ids
        ring = sorted(ids)
        for p in peers:
            i = ring.index(p["node_id"])
            assert p["host"] == "peer-" + p["node_id"][:8], p
            assert p["reachable"] is True and p["error"] is None and p["rtt_ms"] >= 0, p
            assert p["software_version"].startswith("p2pmon-peer ") and p["uptime_s"] >= 0, p
            assert p["successor"] == ring[(i + 1) % len(ring)], p
            assert p["predecessor"] == ring[i - 1], p
            assert p["state"] == 0 and p["state_name"] == "OK", p
            assert p["successors"][0] == p["successor"] and p["fingers"], p
        assert collector.get("/api/v1/crawls/1") == latest
        assert "peers" not in collector.get("/api/v1/crawls/latest?peers=false")
        assert collector.request("GET", "/api/v1/crawls/99")[0] == 404
        assert collector.request("GET", "/api/v1/crawls/latest?overlay=nope")[0] == 404

        # One overlay_neighbours result per peer: current state, history, forwarded.
        for node in ids:
            s = collector.get(f"/api/v1/hosts/peer-{node[:8]}/services/overlay_neighbours")
            assert s["state"] == 0 and s["source"] == "crawl:1", s
            assert s["output"].startswith("NEIGHBOURS OK - answered in "), s
            assert "successors=" in s["perfdata"] and "rtt=" in s["perfdata"], s
        hist = collector.get("/api/v1/results?service=overlay_neighbours&limit=1000")["results"]
        assert len(hist) == 41, len(hist)

        def forwarded():
            with open(cmd_file) as f:
                return sum(";overlay_neighbours;0;NEIGHBOURS OK" in l for l in f) == 41
        wait_until(forwarded, timeout=20, what="41 results in the Nagios command file")

        # Bad documents: 401 without the token, 400 with the reason, nothing stored.
        doc = json.loads(run(CRAWL, "-b", boot, "--json", "-", "-q")[1])
        hosts_before = len(collector.get("/api/v1/hosts")["hosts"])
        assert collector.request("POST", "/api/v1/crawls", doc)[0] == 401
        status, body = collector.request("POST", "/api/v1/crawls", b"{nope", headers=AUTH)
        assert status == 400 and json.loads(body)["error"] == "bad_json", body
        bad = json.loads(json.dumps(doc))
        bad["peers"][3]["node_id"] = "zz"
        status, body = collector.request("POST", "/api/v1/crawls", bad, headers=AUTH)
        assert status == 400, body
        assert json.loads(body) == {"error": "bad_crawl",
                                    "message": "peers[3].node_id: not 32 lowercase hex digits"}
        bad = json.loads(json.dumps(doc))
        bad["peers"][0]["node_id"] = "f" * 32  # a new host, in a document that fails later
        del bad["peers"][-1]["address"]
        status, body = collector.request("POST", "/api/v1/crawls", bad, headers=AUTH)
        assert status == 400 and "address: missing" in json.loads(body)["message"], body
        assert len(collector.get("/api/v1/crawls")["crawls"]) == 1
        assert len(collector.get("/api/v1/hosts")["hosts"]) == hosts_before

        # check_p2p_overlay from the collector: OK, then stale (CRITICAL by default).
        code, line = check("-U", url, "--peers-w", "10:", "--peers-c", "3:")
        assert code == 0 and line.startswith("P2P_OVERLAY OK - overlay 'p2pmon': 41 peers found, "
                                             "41 reachable (0% unreachable), ring consistent, crawl 1 "), line
        p = perf(line)
        assert p["peers"] == "41;10:;3:;0" and p["unreachable"] == "0%;;;0;100", p
        assert p["rings"] == "1;;;0" and p["dangling"] == "0;;;0" and p["age"].endswith("s;;1800;0"), p
        time.sleep(2.2)
        code, line = check("-U", url, "--max-age", "1")
        assert code == 2 and "latest crawl is " in line and "old (max 1s)" in line, line
        code, line = check("-U", url, "--max-age", "1", "--stale-state", "unknown")
        assert code == 3, line

        # Live: OK, thresholds, bad usage, a dead bootstrap.
        code, line = check("-H", host, "-p", port)
        assert code == 0 and "41 peers found, 41 reachable" in line and "age=" not in line, line
        code, line = check("-H", host, "-p", port, "--peers-w", "50:")
        assert code == 1 and perf(line)["peers"] == "41;50:;;0", line
        code, line = check("-H", host, "-p", port, "--peers-w", "50:", "--peers-c", "45:")
        assert code == 2, line
        dead_port = str(free_port())
        t0 = time.monotonic()
        code, line = check("-H", "127.0.0.1", "-p", dead_port, "-t", "4")
        assert code == 2 and "no peer answered" in line and time.monotonic() - t0 < 6, line
        assert perf(line)["reachable"] == "0;;;0", line
        for bad_args in ([], ["-H", host], ["-H", host, "-p", port, "-U", url],
                         ["-U", url, "--peers-w", "x:y"], ["-U", url, "--partition-state", "odd"],
                         ["--bogus"]):
            code, line = check(*bad_args)
            assert code == 3 and "bad usage" in line, (bad_args, line)

        # A peer dies: CRITICAL for it, WARNING for its neighbours, churn.
        dead = single.first
        single.kill()
        code, out, err = run(CRAWL, "-b", boot, "--attempts", "1", "--timeout", "300",
                             "--collector", url, "--token", TOKEN)
        assert code == 1, (code, out, err)
        second = collector.get("/api/v1/crawls/latest")
        assert second["id"] == 2 and second["unreachable"] == 1 and second["consistent"] is False
        assert second["churn"] == {"joined": 0, "left": 1, "restarted": 0}, second["churn"]
        states = {p["node_id"]: p["state"] for p in second["peers"]}
        assert states[dead.node_id] == 2, states
        s = collector.get(f"/api/v1/hosts/peer-{dead.node_id[:8]}/services/overlay_neighbours")
        assert s["state"] == 2 and "no answer at " + dead.address in s["output"], s
        i = ring.index(dead.node_id)
        for n in (ring[i - 1], ring[(i + 1) % len(ring)]):
            assert states[n] == 1, (n, states[n])
        code, line = check("-U", url, "--unreachable-w", "1", "-v")
        assert code == 1 and "41 peers found, 40 reachable (2.4% unreachable)" in line, line
    finally:
        collector.close()
        for s in (single, swarm):
            if s is not None:
                s.close()
        subprocess.run(["rm", "-rf", work])
    print("crawl collector: stored, served, one result per peer, check_p2p_overlay live and stored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
