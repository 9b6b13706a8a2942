"""p2pmon-peer on real UDP sockets: a 100-peer swarm process plus three
single-peer processes form one consistent Chord ring; records put through
one peer are found through others and survive a SIGKILLed peer on its
replicas; restarted with its --state-dir that peer is back with its Node-ID;
malformed datagrams are dropped and counted while the peer keeps answering;
SIGTERM leaves and exits 0.
Queries go through p2pmon-probe (diag, put, get). Only 127.0.0.1; every
wait is bounded; processes are stopped by their pid."""

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from p2pmon_support import (PEER, PROBE, Swarm, diag, probe, resource_id, ring_problem,
                            wait_for_binary, wait_until)

SWARM_SIZE = 100
SINGLES = 3
RING_TIMEOUT = 120.0   # seconds for 103 peers to form one consistent ring
HEAL_TIMEOUT = 60.0    # seconds for the ring to close over a killed peer
# The engine keeps a failed Node-ID out of its tables for 30 s
# (PeerConfig::failedMemoryMs), also when that peer restarts and joins again.
REJOIN_TIMEOUT = 90.0


def wait_ring(start, ids, timeout, what):
    """Seconds until ring_problem() is None; fails with the last problem seen."""
    t0 = time.monotonic()
    problem = "not checked"
    while time.monotonic() - t0 < timeout:
        problem = ring_problem(start, ids)
        if problem is None:
            return time.monotonic() - t0
        time.sleep(0.5)
    raise AssertionError(f"{what}: no consistent ring after {timeout}s: {problem}")


def put(peer, name, contact, kind="user", transports=("udp:192.0.2.1:5060",)):
    args = ["put", "--peer", peer.address, "--kind", kind, "--name", name, "--contact", contact]
    for t in transports:
        args += ["--transport", t]
    code, doc, err = probe(*args)
    assert code == 0 and doc and doc["ok"], (name, code, doc, err)
    return doc


def get(peer, name, kind="user"):
    code, doc, _ = probe("get", "--peer", peer.address, "--kind", kind, "--name", name)
    return doc if code == 0 and doc and doc["ok"] else None


def has_contact(doc, contact, transport):
    return any(e["key"] == contact and transport in e["values"] for e in doc["record"]["entries"])


def names_in_range(low, high, count, prefix):
    """`count` user AORs whose Resource-ID falls in the ring interval (low, high]."""
    out, k = [], 0
    while len(out) < count:
        name = f"sip:{prefix}{k}@example.org"
        rid = resource_id("user", name)
        inside = low < rid <= high if low < high else (rid > low or rid <= high)
        if inside:
            out.append(name)
        k += 1
    return out


def test_swarm_ring_records_and_failure():
    swarm = Swarm(size=SWARM_SIZE, name="swarm")
    singles = []
    try:
        swarm.start(timeout=60)
        victim_state = os.path.join(swarm.workdir, "victim-state")
        for i in range(SINGLES):
            singles.append(Swarm(bootstrap=[swarm.first], workdir=swarm.workdir, name=f"single{i}",
                                 state_dir=victim_state if i == 2 else None).start(timeout=20))
        assert len(swarm.peers) == SWARM_SIZE
        everyone = swarm.peers + [s.first for s in singles]
        ids = [p.node_id for p in everyone]
        assert len(set(ids)) == len(ids)

        # a. One ring over all 103 peers, in Node-ID order, pred(succ(n)) = n.
        waited = wait_ring(singles[0].first.address, ids, RING_TIMEOUT, "103 peers")
        since_start = time.monotonic() - swarm.started_at
        print(f"ok: ring of {len(ids)} peers consistent {since_start:.1f}s after the swarm "
              f"started ({waited:.1f}s after the last single peer)")

        # b. Records put through one single peer are found through the others.
        writer, reader, victim = singles[0].first, singles[1].first, singles[2].first
        names = [f"sip:user{k}@example.org" for k in range(20)]
        for name in names:
            put(writer, name, f"sip:{name[4:]};contact", transports=("udp:192.0.2.7:5060",
                                                                   "tcp:192.0.2.7:5060"))
        put(writer, "example.org", "sip:proxy.example.org", kind="proxy",
            transports=("udp:192.0.2.9:5060",))
        for via in (reader, swarm.peers[SWARM_SIZE // 2]):
            for name in names:
                doc = get(via, name)
                assert doc and has_contact(doc, f"sip:{name[4:]};contact", "tcp:192.0.2.7:5060"), \
                    (via, name, doc)
            doc = get(via, "example.org", kind="proxy")
            assert doc and has_contact(doc, "sip:proxy.example.org", "udp:192.0.2.9:5060"), doc
        code, doc, _ = probe("get", "--peer", reader.address, "--kind", "user",
                             "--name", "sip:nobody@example.org")
        assert code == 1 and doc["error"] == "not_found", (code, doc)
        print(f"ok: {len(names) + 1} records put through {writer} found through {reader} "
              f"and a swarm peer")

        # c. Records the killed peer was responsible for live on in its replicas.
        order = sorted(int(i, 16) for i in ids)
        v = order.index(int(victim.node_id, 16))
        owned = names_in_range(order[v - 1], order[v], 5, "owned")
        others = [f"sip:other{k}@example.org" for k in range(10)]
        for name in owned:
            doc = put(writer, name, "sip:c@192.0.2.3")
            assert doc["responsible"]["node_id"] == victim.node_id, (name, doc)
        for name in others:
            put(writer, name, "sip:c@192.0.2.3")
        stored = diag(victim.address)["records_stored"]
        assert stored >= len(owned), stored
        killed_at = time.monotonic()
        assert singles[2].kill() == -9
        missing = list(owned + others)

        def all_found():
            missing[:] = [n for n in missing if not get(reader, n)]
            return not missing
        wait_until(all_found, timeout=30, interval=0.5,
                   what="records of the killed peer through its replicas")
        found_after = time.monotonic() - killed_at
        survivors = [i for i in ids if i != victim.node_id]
        healed = wait_ring(writer.address, survivors, HEAL_TIMEOUT, "after SIGKILL")
        print(f"ok: {len(owned)} records of the SIGKILLed peer (records_stored={stored}) and "
              f"{len(others)} others found {found_after:.1f}s after the kill; ring of "
              f"{len(survivors)} consistent again {found_after + healed:.1f}s after it")

        # e. Restarted with its --state-dir, the killed peer is back with its
        # Node-ID, the ring takes it in again and it serves its records.
        singles[2] = Swarm(bootstrap=[swarm.first], workdir=swarm.workdir, name="single2-again",
                           state_dir=victim_state).start(timeout=20)
        assert singles[2].first.node_id == victim.node_id
        back = wait_ring(writer.address, ids, REJOIN_TIMEOUT, "after the restart")
        for name in owned:
            doc = get(reader, name)
            assert doc and doc["responsible"]["node_id"] == victim.node_id, (name, doc)
        print(f"ok: restarted with its --state-dir, the peer is back as {victim.node_id[:8]}; "
              f"ring of {len(ids)} consistent {back:.1f}s after the restart, its records served")

        # f. SIGTERM: every engine leaves, the process exits 0 within a few seconds.
        t0 = time.monotonic()
        code = swarm.stop(timeout=10)
        took = time.monotonic() - t0
        assert code == 0, (code, swarm.log()[-2000:])
        assert took < 5.0, took
        assert f"stopped {SWARM_SIZE} peer(s)" in swarm.log(), swarm.log()[-2000:]
        for s in singles[:2]:
            assert s.stop() == 0
        print(f"ok: SIGTERM stopped the {SWARM_SIZE}-peer swarm with exit 0 in {took:.2f}s")
    finally:
        for s in singles:
            s.close()
        swarm.close()


# ---- malformed datagrams ----------------------------------------------------

PING_ANS, DIAG_REQ, DIAG_ANS = 2, 15, 16


def overlay_hash(name):
    return int.from_bytes(hashlib.sha1(name.encode()).digest()[:4], "big")


def datagram(code, body, overlay="p2pmon", version=1, length=None, tx=0x1234):
    """The 48-byte header (magic, version, ttl, flags, reserved, overlay,
    transaction, code, body length, sender Node-ID, auth tag) and the body."""
    length = len(body) if length is None else length
    header = (b"P2PM" + struct.pack(">BBBBIQHH", version, 32, 0, 0, overlay_hash(overlay), tx,
                                    code, length) + bytes(range(1, 17)) + bytes(8))
    assert len(header) == 48
    return header + body


def diag_req(**kw):
    return datagram(DIAG_REQ, struct.pack(">Q", 0x1f), **kw)


def test_malformed_datagrams_are_dropped_and_counted():
    with Swarm(name="target") as target:
        host, port = target.first.address.split(":")
        addr = (host, int(port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(2.0)
            # The encoder here is right: a well-formed DiagReq gets its DiagAns.
            s.sendto(diag_req(tx=0xABCDEF), addr)
            answer, _ = s.recvfrom(65536)
            code, tx = struct.unpack(">H", answer[20:22])[0], struct.unpack(">Q", answer[12:20])[0]
            assert (code, tx) == (DIAG_ANS, 0xABCDEF), (code, hex(tx))
            assert answer[24:40].hex() == target.first.node_id

            rng = random.Random(7)
            expected = {}
            sends = []
            for _ in range(150):
                n = rng.randint(0, 1400)
                junk = bytes(rng.getrandbits(8) for _ in range(n))
                if junk[:4] == b"P2PM":
                    continue
                sends.append(junk)
                key = "truncated" if n < 48 else "bad_magic"
                expected[key] = expected.get(key, 0) + 1
            valid = diag_req()
            cases = [
                ("truncated", valid[:30]),                          # header cut short
                ("too_large", valid + bytes(9000 - len(valid))),    # over 8192 bytes
                ("wrong_overlay", diag_req(overlay="another-overlay")),
                ("truncated", diag_req(length=200)),                # length says more than sent
                ("bad_length", diag_req(length=2)),                 # length says less than sent
                ("bad_version", diag_req(version=9)),
                ("bad_code", datagram(999, b"")),
                ("bad_body", datagram(DIAG_REQ, b"\x00\x01\x02")),  # flags cut short
                ("unexpected_answer", datagram(PING_ANS, struct.pack(">I", 5), tx=42)),
            ]
            for key, data in cases:
                sends.append(data)
                expected[key] = expected.get(key, 0) + 1
            # In batches, each closed by a DiagReq whose answer shows the peer has
            # read everything before it: a full socket buffer would drop, not test.
            barriers = 0
            for first in range(0, len(sends), 20):
                for data in sends[first:first + 20]:
                    s.sendto(data, addr)
                barriers += 1
                s.sendto(diag_req(tx=1000 + barriers), addr)
                answer, _ = s.recvfrom(65536)
                assert struct.unpack(">Q", answer[12:20])[0] == 1000 + barriers
            # Still serving: the probe's diag and our own DiagReq are answered.
            doc = diag(target.first.address)
            assert doc and doc["node_id"] == target.first.node_id, doc
            s.sendto(diag_req(tx=7), addr)
            answer, _ = s.recvfrom(65536)
            assert struct.unpack(">H", answer[20:22])[0] == DIAG_ANS
        # Diag counters count decoded messages only: the DiagReqs (the probe's
        # answer was built at its own) and the stray PingAns, not the junk.
        received = {m["name"]: m["received"] for m in doc["messages"] if m["received"]}
        assert received == {"diag_req": 2 + barriers, "ping_ans": 1}, doc["messages"]
        # The drops per reason reach the log (DiagAns has no field for them).
        assert target.stop() == 0
        log = target.log()
        m = re.search(r"stopped 1 peer\(s\);.* dropped datagrams: (.*)", log)
        assert m, log
        counted = dict(kv.split("=") for kv in m.group(1).split())
        counted = {k: int(v) for k, v in counted.items()}
        assert counted == expected, (counted, expected)
    print(f"ok: {len(sends)} malformed datagrams dropped and counted by reason {counted}; "
          f"the peer kept answering diag")


# ---- state directory and signals ---------------------------------------------

def test_state_dir_keeps_node_id():
    state = tempfile.mkdtemp(prefix="p2pmon-it-state-")
    try:
        with Swarm(state_dir=state, name="first") as p:
            first = p.first.node_id
        with open(os.path.join(state, "node-id")) as f:
            assert f.read().strip() == first
        with Swarm(state_dir=state, name="again") as p:
            assert p.first.node_id == first, (p.first.node_id, first)
        swarm_dir = os.path.join(state, "swarm")
        with Swarm(size=3, state_dir=swarm_dir, name="swarm") as p:
            ids = [x.node_id for x in p.peers]
        assert sorted(os.listdir(swarm_dir)) == ["node-id.0", "node-id.1", "node-id.2"]
        with Swarm(size=3, state_dir=swarm_dir, name="swarm-again") as p:
            assert [x.node_id for x in p.peers] == ids
        bad = os.path.join(state, "bad")
        os.mkdir(bad)
        with open(os.path.join(bad, "node-id"), "w") as f:
            f.write("not-a-node-id\n")
        r = subprocess.run([PEER, "--listen", "127.0.0.1:0", "--state-dir", bad],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "does not hold a Node-ID" in r.stderr, r
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print("ok: --state-dir keeps the Node-ID across restarts (single and swarm)")


def test_sigint_and_bad_options():
    with Swarm(name="sigint") as p:
        assert p.stop(signal.SIGINT) == 0
    r = subprocess.run([PEER, "--swarm", "3", "--base-port", "70000"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "--base-port" in r.stderr, r
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        r = subprocess.run([PEER, "--listen", f"127.0.0.1:{port}"], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 2 and f"cannot bind UDP 127.0.0.1:{port}" in r.stderr, r
        # A swarm peer after the first that cannot bind: the others leave, exit 2.
        if port > 1024:
            r = subprocess.run([PEER, "--swarm", "2", "--base-port", str(port - 1)],
                               capture_output=True, text=True, timeout=10)
            first_bound = r.stdout.startswith("peer ")
            assert r.returncode == 2 and "cannot bind" in r.stderr, r
            assert not first_bound or f"peer 1: cannot bind UDP 127.0.0.1:{port}" in r.stderr, r
    print("ok: SIGINT exits 0; bad options and ports in use exit 2 with one line")


if __name__ == "__main__":
    assert os.access(PEER, os.X_OK), f"{PEER} is not built"
    test_state_dir_keeps_node_id()
    test_sigint_and_bad_options()
    if not wait_for_binary(PROBE, timeout=0):
        print(f"FAIL: {PROBE} is not built; the tests that query peers need it")
        sys.exit(1)
    test_malformed_datagrams_are_dropped_and_counted()
    test_swarm_ring_records_and_failure()
