"""The embedded agent end to end (issue 6): a 100-peer p2pmon-peer swarm with
SIP and RTP reflectors on, its agents given a STUN server (p2pmon-probe
stun-server with an alternate address on 127.0.0.2) and short intervals,
pushing to a p2pmon-collector over HTTP. The collector must hold a current
result for every peer and every check, with the DESIGN.md model (host
peer-XXXXXXXX, source agent:<node id>, output "LABEL STATE - text", valid
perfdata) and sane states on a healthy swarm. Then the collector is stopped
for a while and started again on the same port and database: the results
of that time wait in the agents' spool and arrive; after SIGTERM (exit 0,
the agent's summary lines in the log) the database holds exactly as many
agent results as the agents say they sent, none twice. Starts and stops only its own processes,
by pid; every wait is bounded."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from p2pmon_support import (Collector, Swarm, free_port, start_stun_server, stop_process,
                            wait_until)

PEERS = 100
CHECKS = ("peer_health", "sip_options", "rtp_quality", "nat_behaviour", "dht_lookup")
LABELS = {"peer_health": "PEER", "sip_options": "SIP", "rtp_quality": "RTP",
          "nat_behaviour": "NAT", "dht_lookup": "DHT"}
INTERVALS = {"peer_health": 5, "sip_options": 5, "dht_lookup": 5, "rtp_quality": 30,
             "nat_behaviour": 30}
# Sanitizer builds run several times slower on a shared machine.
SLOW = 3 if os.environ.get("P2PMON_BUILD_DIR", "").rstrip("/").endswith("asan") else 1
PERFDATA_ITEM = re.compile(r"'?[^'=]+'?=[-0-9.U]+[a-zA-Z%]*(;[^; ]*){0,4}$")


def current_results(collector, hosts):
    """{host: {service: entry}} of the collector's current results."""
    out = {}
    for h in hosts:
        try:
            doc = collector.get(f"/api/v1/hosts/{h}/services")
        except Exception:  # 404 until the first result of the host
            continue
        out[h] = {s["service"]: s for s in doc["services"]}
    return out


def missing(current, hosts, max_age):
    """(host, check) pairs without a current result."""
    gaps = []
    for h in hosts:
        for c in CHECKS:
            s = current.get(h, {}).get(c)
            if s is None or s["age"] > max_age:
                gaps.append((h, c))
    return gaps


def main():
    workdir = tempfile.mkdtemp(prefix="p2pmon-agent-it-")
    stun, stun_addr = start_stun_server()
    collector = Collector(workdir=workdir, http_port=free_port()).start()
    args = ["--sip-base-port", "0", "--domain", "agent.test", "--rtp-reflector", "0",
            "--agent-collector", collector.http, "--agent-stun", stun_addr,
            "--agent-spool", os.path.join(workdir, "spool"),
            "--agent-rtp-duration", "0.3", "--agent-rtp-concurrency", "4",
            "--agent-flush-ms", "500"]
    for check, seconds in INTERVALS.items():
        args += ["--agent-interval", f"{check}={seconds}"]
    swarm = Swarm(size=PEERS, stabilize_ms=500, args=args, workdir=workdir)
    try:
        swarm.start(timeout=60 * SLOW)
        ids = {f"peer-{p.node_id[:8]}": p.node_id for p in swarm.peers}
        hosts = sorted(ids)
        assert len(hosts) == PEERS, "two peers share a host name"
        max_age = 3 * max(INTERVALS.values()) * SLOW

        # Every peer and check has a current result (bounded).
        state = {}

        def complete():
            state["current"] = current_results(collector, hosts)
            state["gaps"] = missing(state["current"], hosts, max_age)
            return not state["gaps"]

        try:
            wait_until(complete, timeout=150 * SLOW, interval=2, what="a result per peer and check")
        except AssertionError:
            raise AssertionError(f"{len(state['gaps'])} missing, e.g. {state['gaps'][:5]}; "
                                 f"peer log: {swarm.log()[-2000:]}")

        # A healthy swarm is OK everywhere; allow a while for the odd WARNING
        # of a loaded machine (a late OPTIONS answer, RTP jitter) to clear.
        def problems():
            cur = current_results(collector, hosts)
            return [(h, c, s["output"]) for h, svc in cur.items() for c, s in svc.items()
                    if s["state"] != 0]

        deadline = time.monotonic() + 60 * SLOW
        bad = problems()
        while bad and time.monotonic() < deadline:
            time.sleep(2)
            bad = problems()
        serious = [b for b in bad if not b[2].split(" ")[1] == "WARNING"]
        assert not serious, f"CRITICAL/UNKNOWN results on a healthy swarm: {serious[:5]}"
        assert len(bad) <= PEERS * len(CHECKS) // 50, f"too many WARNINGs: {bad[:5]}"

        # The result model of DESIGN.md.
        current = current_results(collector, hosts)
        for h in hosts:
            for c in CHECKS:
                s = current[h][c]
                assert s["source"] == f"agent:{ids[h]}", s
                assert re.match(rf"{LABELS[c]} (OK|WARNING|CRITICAL|UNKNOWN) - \S", s["output"]), s
                assert s["output"].split(" ")[1] == s["state_name"], s
                for item in s["perfdata"].split():
                    assert PERFDATA_ITEM.match(item), (c, s["perfdata"])
        some = current[hosts[0]]
        assert some["sip_options"]["perfdata"].startswith("answered="), some["sip_options"]
        assert "found at" in some["dht_lookup"]["output"], some["dht_lookup"]
        assert "mos=" in some["rtp_quality"]["perfdata"], some["rtp_quality"]
        assert "open" in some["nat_behaviour"]["output"], some["nat_behaviour"]
        listed = collector.get("/api/v1/hosts")["hosts"]
        assert {h["host"] for h in listed} >= set(hosts), "hosts missing from /api/v1/hosts"

        # The collector goes away for a while and comes back on the same
        # port and database: what the agents produced meanwhile was spooled.
        collector.stop()
        time.sleep(12)
        collector = Collector(workdir=workdir, db=collector.db, http_port=collector.http_port).start()
        wait_until(lambda: "collector back" in swarm.log(), timeout=60 * SLOW, interval=1,
                   what="the agents' pusher to find the collector again")
        time.sleep(3)  # the spool drains in batches of 500

        code = swarm.stop(signal.SIGTERM, timeout=30 * SLOW)
        assert code == 0, f"exit {code}: {swarm.log()[-2000:]}"
        log = swarm.log()
        m = re.search(r"agent: 100 peer\(s\); results peer_health=(\d+) sip_options=(\d+) "
                      r"rtp_quality=(\d+) nat_behaviour=(\d+) dht_lookup=(\d+);", log)
        assert m and all(int(n) >= PEERS for n in m.groups()), log[-3000:]
        out = re.search(r"agent outbox: submitted (\d+), sent (\d+), rejected (\d+), "
                        r"dropped \(spool full\) (\d+), left in spool (\d+)", log)
        assert out, log[-3000:]
        submitted, sent, rejected, dropped, left = map(int, out.groups())
        assert "collector unreachable" in log, "the outage was not noticed"
        assert rejected == 0 and dropped == 0 and submitted == sent + left, out.group(0)
        collector.stop()
        with sqlite3.connect(collector.db) as db:
            stored = db.execute("SELECT count(*) FROM results").fetchone()[0]
            twice = db.execute("SELECT count(*) FROM (SELECT 1 FROM results GROUP BY service_id, "
                               "time, state, output HAVING count(*) > 1)").fetchone()[0]
        assert twice == 0, f"{twice} results stored twice"
        assert stored == sent, f"agents sent {sent}, the collector stored {stored}"
        print(f"collector outage: {sent} results sent, {stored} stored, none twice, {left} left")
        print(f"agent swarm: {PEERS} peers x {len(CHECKS)} checks current; {m.group(0)}")
    finally:
        swarm.close()
        collector.stop()
        stop_process(stun, signal.SIGTERM, 10, "stun-server")
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
