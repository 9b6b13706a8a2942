"""NSCA ingest against the real Debian send_nsca: 1,000 results with XOR and a
password, 1,000 with method 0, the legacy 720-byte packet, and bad traffic
(random bytes, truncated packets, bad CRCs, a wrong password) on other
connections while a good sender streams: bad ones are counted, good ones all
arrive, the daemon stays up."""

import os
import random
import socket
import threading
import time
import urllib.parse

import nsca_py
from p2pmon_support import Collector, send_nsca, wait_until

HOSTS, SERVICES = 100, 10


def records(tag):
    return [(f"{tag}-h{h:03d}", f"svc{s}", (h + s) % 4, f"{tag} result {h}/{s} | v={h * s};5;10;0")
            for h in range(HOSTS) for s in range(SERVICES)]


def check_all_arrived(c, tag):
    for h in range(HOSTS):
        host = f"{tag}-h{h:03d}"
        services = c.get(f"/api/v1/hosts/{urllib.parse.quote(host)}/services")["services"]
        got = {s["service"]: s for s in services}
        assert len(got) == SERVICES, (host, sorted(got))
        for s in range(SERVICES):
            entry = got[f"svc{s}"]
            assert entry["state"] == (h + s) % 4, entry
            assert entry["output"] == f"{tag} result {h}/{s}", entry
            assert entry["perfdata"] == f"v={h * s};5;10;0", entry


def accepted(c):
    return c.status()["results_accepted"]["nsca"]


def test_xor_with_password():
    with Collector(args=["--nsca-password", "s3cret", "--nsca-encryption", "1"]) as c:
        recs = records("xor")
        # Several send_nsca runs: many packets per connection and many connections.
        for i in range(0, len(recs), 250):
            p = send_nsca(c.nsca_port, recs[i:i + 250], password="s3cret", method=1)
            assert p.returncode == 0, p.stdout + p.stderr
        wait_until(lambda: accepted(c) == 1000, what="1000 XOR results committed")
        check_all_arrived(c, "xor")
        # The legacy 2.7 packet (720 bytes, one per connection).
        p = send_nsca(c.nsca_port, [("legacy-h", "svc", 0, "OK legacy")], password="s3cret",
                      method=1, legacy=True)
        assert p.returncode == 0, p.stdout + p.stderr
        wait_until(lambda: accepted(c) == 1001, what="legacy result")
        assert c.get("/api/v1/hosts/legacy-h/services/svc")["output"] == "OK legacy"
        # A wrong password from the real client is dropped and counted.
        send_nsca(c.nsca_port, [("intruder", "svc", 0, "x")], password="wrong", method=1)
        wait_until(lambda: c.status()["results_rejected"].get("nsca"), what="rejection count")
        assert accepted(c) == 1001
    print("ok: 1000 XOR results with a password, legacy packet, wrong password refused")


def test_method_zero_and_host_results():
    with Collector(args=["--nsca-encryption", "0"]) as c:
        recs = records("none")
        p = send_nsca(c.nsca_port, recs, method=0)
        assert p.returncode == 0, p.stdout + p.stderr
        p = send_nsca(c.nsca_port, [("none-host", None, 1, "DOWN - gone")], method=0)
        assert p.returncode == 0
        wait_until(lambda: accepted(c) == 1001, what="1001 method-0 results committed")
        check_all_arrived(c, "none")
        host = c.get("/api/v1/hosts/none-host/services/")
        assert host["state"] == 1 and host["service"] == "", host
        # Names that would inject fields into a Nagios command are refused.
        send_nsca(c.nsca_port, [("evil;host", "svc", 0, "x"), ("ok-host", "a;b", 0, "x")], method=0)
        wait_until(lambda: c.status()["results_rejected"].get("nsca", {}).get("bad_name") == 2,
                   what="bad names refused")
        assert accepted(c) == 1001
    print("ok: 1000 method-0 results, host result, unsafe names refused")


def attacker(port, password, stop, counts):
    """Bad traffic of every kind until told to stop (bounded count)."""
    rnd = random.Random(7)
    for i in range(400):
        if stop.is_set():
            break
        kind = i % 4
        try:
            s, iv, ts = nsca_py.connect(port)
            with s:
                good = nsca_py.encode(iv, ts, b"bad-h", b"svc", 0, b"x", password.encode(), 1)
                if kind == 0:  # random bytes, a whole packet's worth
                    s.sendall(bytes(rnd.getrandbits(8) for _ in range(nsca_py.PACKET)))
                elif kind == 1:  # truncated packet, then close
                    s.sendall(good[:1000])
                elif kind == 2:  # a flipped bit: CRC mismatch
                    bad = bytearray(good)
                    bad[500] ^= 0x40
                    s.sendall(bytes(bad))
                else:  # right layout, wrong password
                    s.sendall(nsca_py.encode(iv, ts, b"bad-h", b"svc", 0, b"x", b"nope", 1))
                s.shutdown(socket.SHUT_WR)
                s.recv(1)
            counts[kind] += 1
        except OSError:
            counts[kind] += 1


def test_bad_traffic_beside_a_good_sender():
    with Collector(args=["--nsca-password", "pw", "--nsca-encryption", "1"]) as c:
        stop = threading.Event()
        counts = [0, 0, 0, 0]
        t = threading.Thread(target=attacker, args=(c.nsca_port, "pw", stop, counts))
        t.start()
        recs = records("mix")
        try:
            for i in range(0, len(recs), 100):
                p = send_nsca(c.nsca_port, recs[i:i + 100], password="pw", method=1)
                assert p.returncode == 0, p.stdout + p.stderr
        finally:
            t.join(timeout=120)
            stop.set()
        assert not t.is_alive()
        wait_until(lambda: accepted(c) == 1000, what="all good results despite bad traffic")
        check_all_arrived(c, "mix")
        rejected = c.status()["results_rejected"]["nsca"]
        sent_bad = sum(counts)
        total_rejected = sum(rejected.values())
        assert total_rejected == sent_bad, (rejected, counts)
        assert rejected.get("bad_size", 0) == counts[1], (rejected, counts)
        assert rejected.get("bad_crc", 0) >= counts[2], (rejected, counts)
        assert c.proc.poll() is None, "collector died"
        with open(os.path.join(c.workdir, "collector.log")) as f:
            drops = [l for l in f if "dropped packet from 127.0.0.1" in l]
        assert len(drops) == 1, f"drops must be logged once per address, got {len(drops)}"
    print(f"ok: 1000 good results arrived beside {sent_bad} bad connections {rejected}")


if __name__ == "__main__":
    test_xor_with_password()
    test_method_zero_and_host_results()
    test_bad_traffic_beside_a_good_sender()
