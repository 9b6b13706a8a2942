"""p2pmon-probe and check_p2p_lookup black-box against a real swarm: 20
p2pmon-peer peers on 127.0.0.1 (one process, free ports). put through one
peer, get through another, diag fields and ring consistency, a path track to
the responsible peer, and the plugin's states, status lines and perfdata."""

import os
import re
import socket
import subprocess
import time

from p2pmon_support import (PEER, PLUGINS, PROBE, Swarm, probe, resource_id, ring_problem,
                            wait_for_binary, wait_until)

LOOKUP = os.path.join(PLUGINS, "check_p2p_lookup")
AOR = "sip:alice@example.org"


class Ring:
    """The ring the swarm's announced Node-IDs make, for expected answers."""

    def __init__(self, swarm):
        self.addresses = {p.node_id: p.address for p in swarm.peers}
        self.ids = sorted(self.addresses)

    def successors_of(self, node_id, k):
        i = self.ids.index(node_id)
        return [self.ids[(i + j) % len(self.ids)] for j in range(1, k + 1)]

    def predecessor_of(self, node_id):
        return self.ids[self.ids.index(node_id) - 1]

    def responsible_for(self, rid):
        """Chord: the first peer at or after the id, clockwise."""
        return next((n for n in self.ids if int(n, 16) >= rid), self.ids[0])


def plugin(*args, timeout=30):
    t0 = time.monotonic()
    p = subprocess.run([LOOKUP, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, time.monotonic() - t0


def silent_udp_port():
    """A UDP port nobody listens on (bound, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_put_get_diag_path(swarm):
    ring = Ring(swarm)
    peers = swarm.peers
    rc, put, err = probe("put", "--peer", peers[0].address, "--kind", "user", "--name", AOR,
                         "--contact", "sip:alice@192.0.2.1", "--transport", "udp:192.0.2.1:5060",
                         "--transport", "tcp:192.0.2.1:5060", "--lifetime", "600")
    assert rc == 0, (rc, put, err)
    assert put["ok"] is True and put["hops"] >= 1 and put["latency_ms"] >= 0, put
    owner = ring.responsible_for(resource_id("user", AOR))
    assert put["responsible"] == {"node_id": owner, "address": ring.addresses[owner]}, put

    rc, got, err = probe("get", "--peer", peers[7].address, "--kind", "user", "--name", AOR)
    assert rc == 0, (rc, got, err)
    assert got["ok"] is True and got["error"] is None, got
    assert got["responsible"]["node_id"] == owner, got
    assert got["hops"] >= 1 and got["latency_ms"] >= 0, got
    assert got["record"]["kind"] == "user" and got["record"]["name"] == AOR, got
    [entry] = got["record"]["entries"]
    assert entry["key"] == "sip:alice@192.0.2.1", entry
    assert entry["values"] == ["udp:192.0.2.1:5060", "tcp:192.0.2.1:5060"], entry
    assert entry["lifetime"] == 600 and abs(entry["storage_time"] / 1000 - time.time()) < 60, entry

    rc, missing, err = probe("get", "--peer", peers[7].address, "--kind", "user",
                             "--name", "sip:nobody@example.org")
    assert rc == 1, (rc, missing, err)
    assert missing["ok"] is False and missing["error"] == "not_found", missing
    assert missing["record"] is None and missing["responsible"]["node_id"], missing
    print("ok: put through one peer, get through another, not_found exits 1")

    peer = peers[3]
    want = ring.successors_of(peer.node_id, 4)

    def settled_diag():
        rc, d, err = probe("diag", "--peer", peer.address)
        assert rc == 0, (rc, d, err)
        return d if [s["node_id"] for s in d["successors"]] == want else None
    d = wait_until(settled_diag, timeout=20, interval=0.5, what="diag successors in ring order")
    for field in ("node_id", "address", "uptime", "software_version", "routing_table_size",
                  "successors", "predecessors", "fingers", "records_stored", "bytes_stored",
                  "messages", "services", "rtt_ms"):
        assert field in d, (field, d)
    assert d["node_id"] == peer.node_id and d["address"] == peer.address, d
    assert all(s["address"] == ring.addresses[s["node_id"]] for s in d["successors"]), d
    assert d["predecessors"][0]["node_id"] == ring.predecessor_of(peer.node_id), d
    assert all(f["node_id"] in ring.addresses for f in d["fingers"]), d
    assert d["routing_table_size"] >= 1 and d["rtt_ms"] >= 0 and d["uptime"] >= 0, d
    assert set(d["services"]) == {"sip", "stun", "rtp"}, d
    assert all(set(m) == {"code", "name", "sent", "received"} for m in d["messages"]), d
    names = {m["name"]: m for m in d["messages"]}
    assert names["diag_req"]["code"] == 15 and names["diag_req"]["received"] >= 1, d["messages"]
    rc, holder, _ = probe("diag", "--peer", ring.addresses[owner])
    assert rc == 0 and holder["records_stored"] >= 1 and holder["bytes_stored"] > 0, holder
    print("ok: diag fields present, successors and predecessor follow the ring")

    rc, path, err = probe("path", "--peer", peers[12].address, "--kind", "user", "--name", AOR)
    assert rc == 0, (rc, path, err)
    assert int(path["target"], 16) == resource_id("user", AOR), path
    assert path["complete"] is True and path["error"] is None, path
    assert path["responsible"] == {"node_id": owner, "address": ring.addresses[owner]}, path
    hops = path["hops"]
    assert path["hop_count"] == len(hops) >= 1 and hops[0]["address"] == peers[12].address, path
    assert hops[-1]["node_id"] == owner and hops[-1]["step"]["done"], path
    assert len({h["node_id"] for h in hops}) == len(hops), "a peer twice on the path"
    for h in hops:
        assert h["rtt_ms"] >= 0 and h["address"] == ring.addresses[h["node_id"]], h
        assert h["successors"] and "records_stored" in h, h
    rc, own, _ = probe("path", "--peer", peers[0].address, "--target", peers[5].node_id)
    assert rc == 0 and own["responsible"]["node_id"] == peers[5].node_id, own
    rc, short, err = probe("path", "--peer", peers[0].address, "--target", peers[5].node_id,
                           "--max-hops", "1")
    assert rc == 2 and short["hop_count"] == 1 and not short["complete"], (rc, short)
    assert short["error"] == "ttl_exceeded" and short["responsible"] is None, short
    assert err.startswith("p2pmon-probe path: ttl_exceeded"), err
    print(f"ok: path reaches the responsible peer in {path['hop_count']} hops")
    return owner


def test_probe_errors():
    rc, out, err = probe("diag", "--peer", f"127.0.0.1:{silent_udp_port()}", "--timeout", "500")
    assert rc == 2 and out is None, (rc, out, err)
    assert re.match(r"^p2pmon-probe diag: (refused|timeout): ", err), err
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        t0 = time.monotonic()
        rc, out, err = probe("diag", "--peer", f"127.0.0.1:{silent.getsockname()[1]}",
                             "--timeout", "300")
        took = time.monotonic() - t0
        assert rc == 2 and err.startswith("p2pmon-probe diag: timeout: no answer"), (rc, err)
        assert took < 3, took
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as liar:
        # An answer that is not an overlay message.
        liar.bind(("127.0.0.1", 0))
        liar.settimeout(5)
        proc = subprocess.Popen([PROBE, "diag", "--peer", f"127.0.0.1:{liar.getsockname()[1]}",
                                 "--timeout", "3000"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        _, sender = liar.recvfrom(9000)
        liar.sendto(b"not an overlay message", sender)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 2, (proc.returncode, err)
        assert err.startswith("p2pmon-probe diag: bad_response: undecodable answer"), err
    for args in (["diag"], ["diag", "--peer", "127.0.0.1"], ["put", "--peer", "127.0.0.1:1"],
                 ["path", "--peer", "127.0.0.1:1", "--target", "abc"], ["bogus"], []):
        rc, out, err = probe(*args)
        assert rc == 2 and "bad_usage" in err, (args, rc, err)
    assert subprocess.run([PROBE, "--help"], capture_output=True).returncode == 0
    print("ok: refused, timeout, bad_response, bad_usage exit 2 with a stable code on stderr")


def test_check_p2p_lookup(swarm, owner):
    peers = swarm.peers
    host, port = peers[9].address.rsplit(":", 1)
    rc, out, _ = plugin("-H", host, "-p", port, "--aor", AOR)
    assert rc == 0, (rc, out)
    m = re.match(r"^P2P_LOOKUP OK - sip:alice@example\.org found at ([0-9a-f]{8}) in (\d+) hops?, "
                 r"([0-9.]+) ms \| latency=\3ms;;;0;10000 hops=\2;;;0\n$", out)
    assert m and m.group(1) == owner[:8], out

    rc, out, _ = plugin("-H", host, "-p", port, "--aor", AOR, "-w", "0:0.000001", "-c", "5000")
    assert rc == 1 and re.match(r"^P2P_LOOKUP WARNING - sip:alice@example\.org found at "
                                r"[0-9a-f]{8} in \d+ hops?, [0-9.]+ ms \| "
                                r"latency=[0-9.]+ms;0:0\.000001;5000;0;10000 hops=\d+;;;0\n$",
                                out), (rc, out)
    rc, out, _ = plugin("-H", host, "-p", port, "--aor", AOR, "-w", "@0:5000", "-c", "0.000001")
    assert rc == 2 and out.startswith("P2P_LOOKUP CRITICAL - sip:alice@example.org found at"), out
    assert ";@0:5000;0.000001;0;10000 " in out, out

    rc, out, _ = plugin("-H", host, "-p", port, "--aor", "sip:nobody@example.org", "-t", "5")
    assert rc == 2, (rc, out)
    assert re.match(r"^P2P_LOOKUP CRITICAL - sip:nobody@example\.org not found \(asked [0-9a-f]{8} "
                    r"in \d+ hops?, [0-9.]+ ms\) \| latency=[0-9.]+ms;;;0;5000 hops=\d+;;;0\n$",
                    out), out

    # --canary: the agent's record of that peer (these peers run no agent: none stored).
    rc, out, _ = plugin("-H", host, "-p", port, "--canary", peers[3].node_id, "-t", "5")
    assert rc == 2 and out.startswith(
        f"P2P_LOOKUP CRITICAL - canary.{peers[3].node_id}@p2pmon not found (asked "), out

    rc, out, _ = plugin("-H", host, "-p", port, "--aor", AOR, "-vv")
    lines = out.splitlines()
    assert rc == 0 and lines[1].startswith(f"responsible peer {owner} at "), out
    assert lines[2] == "contact sip:alice@192.0.2.1: udp:192.0.2.1:5060 tcp:192.0.2.1:5060", out

    dead = silent_udp_port()
    rc, out, took = plugin("-H", "127.0.0.1", "-p", str(dead), "--aor", AOR, "-t", "1")
    assert rc == 3, (rc, out)
    assert re.match(rf"^P2P_LOOKUP UNKNOWN - no answer from 127\.0\.0\.1:{dead} \(timeout after "
                    r"[0-9.]+ ms\) \| latency=[0-9.]+ms;;;0;1000\n$", out), out
    assert took < 4, took
    rc, out, _ = plugin("-H", "127.0.0.1", "-p", str(dead), "--aor", AOR, "-t", "1",
                        "--timeout-state", "critical")
    assert rc == 2 and out.startswith("P2P_LOOKUP CRITICAL - no answer"), out

    # A removal wins over the entry: the AOR is gone, CRITICAL.
    rc, _, err = probe("put", "--peer", peers[4].address, "--kind", "user", "--name", AOR,
                       "--contact", "sip:alice@192.0.2.1", "--remove")
    assert rc == 0, err
    rc, out, _ = plugin("-H", host, "-p", port, "--aor", AOR)
    assert rc == 2 and "sip:alice@example.org not found" in out, out
    print("ok: check_p2p_lookup OK, WARNING, CRITICAL (latency, missing, removed), UNKNOWN")


def test_plugin_usage():
    for args in (["-h"], ["-V"], [], ["-H", "127.0.0.1"], ["-H", "h", "-p", "1", "--aor", "alice"],
                 ["-H", "h", "-p", "1", "--aor", AOR, "-w", "5:1"], ["--bogus"],
                 ["-H", "h", "-p", "1", "--aor", AOR, "-t", "0"],
                 ["-H", "h", "-p", "1", "--canary", "abc"],
                 ["-H", "h", "-p", "1", "--aor", AOR, "--canary", "0" * 32]):
        rc, out, _ = plugin(*args)
        assert rc == 3, (args, rc, out)
    rc, out, _ = plugin("-H", "127.0.0.1")
    assert out.startswith("P2P_LOOKUP UNKNOWN - bad usage"), out
    print("ok: usage errors, -h and -V exit 3")


if __name__ == "__main__":
    test_plugin_usage()
    test_probe_errors()
    # p2pmon-peer may still be building in a parallel job: wait a little for it.
    assert wait_for_binary(PEER, timeout=60), f"{PEER} is not built (target p2pmon-peer)"
    with Swarm(size=20) as swarm:
        # "ready" means every peer joined; stabilisation still has to close the ring.
        ids = [p.node_id for p in swarm.peers]
        wait_until(lambda: ring_problem(swarm.first.address, ids) is None, timeout=60,
                   interval=0.5, what="a consistent ring of 20 peers")
        test_check_p2p_lookup(swarm, test_put_get_diag_path(swarm))
