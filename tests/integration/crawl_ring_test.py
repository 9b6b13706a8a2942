"""p2pmon-crawl on larger and stranger overlays, over real UDP:

1. 500 peers in eight separate p2pmon-peer processes (three swarms of
   165 and five single peers): the crawl finds exactly the peers the
   processes announced and a consistent ring. One swarm (a third) is
   killed and crawled at once, before the ring heals: the dead peers are
   reported unreachable and the pointers to them dangling; once healed,
   the ring is consistent again with exactly the survivors.
2. Two separate rings bridged by one peer (a fake peer naming one ring as
   its successors and the other as its predecessors): two rings of the
   right sizes.
3. Fake peers that loop, name huge lists of fresh peers, contradict
   themselves or send malformed answers: the crawl stays within its
   bounds and reports them.
Free ports; only its own processes are stopped, by pid."""

import json
import os
import select
import subprocess
import sys
import tempfile
import time

from p2pmon_support import BUILD_DIR, Swarm, stop_process, wait_until

CRAWL = os.path.join(BUILD_DIR, "probes", "p2pmon-crawl")
FAKE = os.path.join(BUILD_DIR, "tests", "fake_diag_peer")


def crawl(bootstrap, *args, timeout=120):
    started = time.monotonic()
    p = subprocess.run([CRAWL, "-b", bootstrap, "--json", "-", "--replica-keys", "0", *args],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, json.loads(p.stdout), time.monotonic() - started


class Fake:
    def __init__(self, mode, *args):
        self.proc = subprocess.Popen([FAKE, "--mode", mode, "--seconds", "300", *args],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        ready = select.select([self.proc.stdout], [], [], 10)[0]
        assert ready, "fake_diag_peer did not start"
        _, self.node_id, self.address = self.proc.stdout.readline().split()

    def close(self):
        if self.proc.poll() is None:
            stop_process(self.proc, 15, 10, f"fake_diag_peer {self.proc.pid}")
        self.proc.stdout.close()


def consistent(swarm):
    """Every peer of the swarm found and the ring consistent (exit 0)."""
    code, doc, _ = crawl(swarm.first.address)
    return code == 0 and ids_of(doc) == {p.node_id for p in swarm.peers}


def ids_of(doc, reachable=True):
    return {p["node_id"] for p in doc["peers"] if p["reachable"] == reachable}


def kill_a_third(work):
    started = []
    try:
        first = Swarm(size=165, stabilize_ms=200, workdir=work, name="swarm0").start(timeout=120)
        started.append(first)
        for i in (1, 2):
            started.append(Swarm(size=165, bootstrap=[first.first], stabilize_ms=200, workdir=work,
                                 name=f"swarm{i}").start(timeout=120))
        for i in range(5):
            started.append(Swarm(bootstrap=[first.first], stabilize_ms=200, workdir=work,
                                 name=f"single{i}").start(timeout=60))
        expected = {p.node_id for s in started for p in s.peers}
        assert len(expected) == 500

        def healthy():
            code, doc, _ = crawl(first.first.address)
            return doc if code == 0 and ids_of(doc) == expected else None

        doc = wait_until(healthy, timeout=240, interval=2.0, what="a consistent ring of 500")
        assert doc["ring"]["rings"] == [500] and doc["summary"]["requests_per_peer"] == 1.0

        victim = started.pop(2)
        dead = {p.node_id for p in victim.peers}
        victim.kill()
        code, doc, took = crawl(first.first.address, "--timeout", "500", "--attempts", "2")
        print(f"right after killing 165: exit {code}, {doc['summary']['failed']} unreachable, "
              f"{doc['ring']['dangling_pointers']} dangling pointers, rings {doc['ring']['rings']}, "
              f"{took:.1f} s")
        assert code == 1
        survivors = expected - dead
        found, lost = ids_of(doc), ids_of(doc, reachable=False)
        # A peer deep inside a run of dead ones may be named by no live
        # peer's lists at all, and on a loaded machine a live one may miss
        # both attempts; nearly every peer is seen as it is.
        assert found <= survivors and len(survivors - found) <= 3, len(survivors - found)
        assert len(lost - dead) <= 3, len(lost - dead)
        assert len(lost & dead) >= 0.9 * len(dead), (len(lost & dead), len(dead))
        assert doc["ring"]["consistent"] is False and doc["ring"]["dangling_neighbours"] > 0
        assert all(d["to"] in dead for d in doc["ring"]["samples"]["dangling"])

        def healed():
            _, d, _ = crawl(first.first.address, "--timeout", "300", "--attempts", "2")
            return d if d["ring"]["consistent"] and ids_of(d) == survivors else None

        doc = wait_until(healed, timeout=240, interval=2.0, what="the ring healed")
        assert doc["ring"]["rings"] == [335], doc["ring"]["rings"]
        print(f"healed: {len(ids_of(doc))} peers, consistent, "
              f"{doc['ring']['dangling_pointers']} finger pointers to dead peers left")
    finally:
        for s in started:
            s.close()


def bridged(work):
    a = Swarm(size=30, stabilize_ms=200, workdir=work, name="ringA").start(timeout=60)
    b = Swarm(size=20, stabilize_ms=200, workdir=work, name="ringB").start(timeout=60)
    fake = None
    try:
        for s in (a, b):
            wait_until(lambda: consistent(s), timeout=120, interval=1.0,
                       what="each ring consistent on its own")
        args = [x for p in a.peers[:4] for x in ("--successor", f"{p.node_id}@{p.address}")]
        args += [x for p in b.peers[:3] for x in ("--predecessor", f"{p.node_id}@{p.address}")]
        fake = Fake("bridge", *args)
        code, doc, _ = crawl(fake.address)
        assert code == 1
        assert doc["summary"]["answered"] == 51, doc["summary"]
        assert doc["ring"]["rings"] == [30, 20], doc["ring"]["rings"]
        assert doc["ring"]["consistent"] is False
        print(f"bridged: rings {doc['ring']['rings']}, found {doc['ring']['found']}")
    finally:
        if fake:
            fake.close()
        a.close()
        b.close()


def liars(work):
    ring = Swarm(size=20, stabilize_ms=200, workdir=work, name="honest").start(timeout=60)
    fakes = []
    try:
        wait_until(lambda: consistent(ring), timeout=120, interval=1.0,
                   what="the honest ring consistent")
        bounds = ["--max-peers", "300", "--max-duration", "15", "--timeout", "300", "--attempts", "2"]

        fakes.append(Fake("loop"))
        code, doc, took = crawl(fakes[-1].address, *bounds)
        assert doc["summary"]["discovered"] == 1 and doc["summary"]["requests"] == 1, doc["summary"]
        print(f"loop: {doc['summary']['discovered']} peer, {took:.2f} s")

        fakes.append(Fake("huge", "--sockets", "400"))
        code, doc, took = crawl(fakes[-1].address, *bounds, timeout=60)
        s = doc["summary"]
        assert s["discovered"] <= 300 and s["peer_limit_hit"] is True, s
        assert s["requests"] <= 2 * 300 and took < 30, (s, took)
        print(f"huge: stopped at {s['discovered']} peers, {s['requests']} requests, {took:.1f} s")

        peers = [x for p in ring.peers for x in ("--successor", f"{p.node_id}@{p.address}")]
        fakes.append(Fake("contradict", *peers))
        code, doc, took = crawl(fakes[-1].address, *bounds)
        assert ids_of(doc) >= {p.node_id for p in ring.peers}
        assert doc["summary"]["discovered"] == 21 and doc["summary"]["requests"] == 21, doc["summary"]
        assert doc["ring"]["consistent"] is False  # its lists disagree with the ring
        print(f"contradict: {doc['summary']['answered']} answered, "
              f"{doc['ring']['successor_disagreements']} successor disagreements")

        fakes.append(Fake("garbage"))
        code, doc, took = crawl(fakes[-1].address, *bounds)
        assert code == 2 and doc["summary"]["bad_answers"] == 2, doc["summary"]
        assert doc["peers"][0]["error"] == "timeout", doc["peers"]
        print(f"garbage: exit {code}, {doc['summary']['bad_answers']} bad answers, {took:.2f} s")
    finally:
        for f in fakes:
            f.close()
        ring.close()


def main():
    work = tempfile.mkdtemp(prefix="p2pmon-crawl-ring-")
    try:
        liars(work)
        bridged(work)
        kill_a_third(work)
    finally:
        subprocess.run(["rm", "-rf", work])
    print("crawl: 500 peers with a third killed, bridged rings, lying peers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
