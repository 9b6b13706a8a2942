"""p2pmon-crawl against real peers: a 200-peer swarm plus two separate
p2pmon-peer processes joined to it. The crawl finds exactly the peers the
processes announced, all reachable, the ring consistent (exit 0), with
the JSON document's fields; one separate process is killed and a crawl
right after reports it unreachable and the pointers to it (exit 1). Free
ports; only its own processes are stopped, by pid."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from p2pmon_support import BUILD_DIR, Swarm, wait_until

CRAWL = os.path.join(BUILD_DIR, "probes", "p2pmon-crawl")


def crawl(bootstrap, *args):
    p = subprocess.run([CRAWL, "-b", bootstrap, "--json", "-", *args],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, json.loads(p.stdout), p.stderr


def main():
    work = tempfile.mkdtemp(prefix="p2pmon-crawl-")
    swarm = Swarm(size=200, stabilize_ms=200, workdir=work, name="swarm").start(timeout=120)
    singles = []
    try:
        for i in range(2):
            singles.append(Swarm(bootstrap=[swarm.first], stabilize_ms=200, workdir=work,
                                 name=f"single{i}").start(timeout=60))
        expected = {p.node_id: p.address for s in [swarm, *singles] for p in s.peers}

        def healthy():
            code, doc, _ = crawl(swarm.first.address)
            return (code, doc) if code == 0 and doc["summary"]["answered"] == 202 else None

        # A sanitizer build joins and answers several times slower.
        code, doc = wait_until(healthy, timeout=180, interval=1.0, what="a consistent ring of 202")
        found = {p["node_id"]: p["address"] for p in doc["peers"] if p["reachable"]}
        assert found == expected, (len(found), len(expected))
        assert doc["format"] == "p2pmon-crawl/1" and doc["ring"]["consistent"] is True, doc["ring"]
        assert doc["ring"]["rings"] == [202] and doc["summary"]["failed"] == 0
        assert doc["summary"]["requests_per_peer"] == 1.0, doc["summary"]
        assert all(p["software_version"].startswith("p2pmon-peer ") for p in doc["peers"])
        assert sorted(doc["ring"]["order"]) == sorted(expected)

        victim = singles.pop()
        dead = victim.first.node_id
        victim.kill()
        code, doc, err = crawl(swarm.first.address, "--attempts", "2", "--timeout", "500")
        print(err.strip())
        assert code == 1, (code, err)
        lost = [p for p in doc["peers"] if not p["reachable"]]
        assert [p["address"] for p in lost] == [expected[dead]], lost
        assert lost[0]["error"] == "timeout" and lost[0]["attempts"] == 2, lost
        assert lost[0]["node_id"] == dead, lost
        assert doc["ring"]["consistent"] is False
        ring = {k: v for k, v in doc["ring"].items() if k != "order"}
        assert ring["dangling_neighbours"] > 0, ring
        assert all(d["to"] == dead for d in ring["samples"]["dangling"]), ring
    finally:
        for s in singles + [swarm]:
            s.close()
        subprocess.run(["rm", "-rf", work])
    print("crawl: every peer found, a killed one reported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
