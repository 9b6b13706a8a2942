"""The peer's SIP side against tools nobody here wrote: sipsak (Debian
`sipsak`) registers an AOR through peer A, an OPTIONS to the AOR through
peer B reaches the registered contact (a UAS that names itself in its
Server header), un-registering makes it 404, a lapsed registration 480.
Plus the peer's own OPTIONS answer, refusals (foreign domain, Max-Forwards 0,
Contact * misuse) and malformed SIP over UDP and TCP, after which the peer
still answers. 5 peers in one p2pmon-peer process, free ports, 127.0.0.1."""

import json
import os
import re
import socket
import subprocess
import sys
import time

from p2pmon_support import PEER, PLUGINS, PROBE, Swarm, ring_problem, stop_process, wait_for_binary, wait_until

DOMAIN = "localhost"  # sipsak resolves the host of -s itself: it must resolve
RESPONDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_responder.py")


def sipsak(*args, timeout=30):
    p = subprocess.run(["sipsak", "-vv", *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def final_response(out):
    """Status code and header block of the last final reply sipsak printed."""
    replies = re.findall(r"(?:message )?received:\n(SIP/2\.0 (\d{3}) [^\n]*\n(?:[^\n]+\n)*)", out)
    finals = [(int(code), block) for block, code in replies if int(code) >= 200]
    assert finals, out
    return finals[-1]


def header(block, name):
    m = re.search(rf"^{name}:\s*(.*)$", block, re.M | re.I)
    return m.group(1).strip() if m else None


class Responder:
    """tests/integration/sip_responder.py as the registered phone."""

    def __init__(self, server):
        self.proc = subprocess.Popen([sys.executable, RESPONDER, "--server", server],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening (\d+)\n", line)
        assert m, line
        self.port = int(m.group(1))

    def close(self):
        stop_process(self.proc, 15, 10, "sip_responder")


def raw_request(addr, text, transport="udp", timeout=3.0):
    """Sends bytes to host:port; returns the first final response, or None."""
    host, port = addr.split(":")
    port = int(port)
    data = text.encode() if isinstance(text, str) else text
    deadline = time.monotonic() + timeout
    if transport == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.sendto(data, (host, port))
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    reply = s.recv(65535).decode(errors="replace")
                except socket.timeout:
                    return None
                m = re.match(r"SIP/2\.0 (\d{3})", reply)
                if m and int(m.group(1)) >= 200:
                    return reply
            return None
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                return None
            if not chunk:
                break
            buf += chunk
            for m in re.finditer(rb"SIP/2\.0 (\d{3})[^\r]*\r\n", buf):
                if int(m.group(1)) >= 200:
                    return buf[m.start():].decode(errors="replace")
        return None


def options(uri, to_addr, extra="", branch="z9hG4bK-raw1", transport="udp"):
    proto = transport.upper()
    return (f"OPTIONS {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/{proto} 127.0.0.1:9;branch={branch};rport\r\n"
            f"From: <sip:tester@{DOMAIN}>;tag=1\r\n"
            f"To: <{uri}>\r\n"
            f"Call-ID: {branch}@test\r\n"
            f"CSeq: 1 OPTIONS\r\n{extra}"
            f"Content-Length: 0\r\n\r\n")


def status_of(reply):
    return int(reply.split(" ", 2)[1]) if reply else None


def test_own_options(a):
    code, block = final_response(sipsak("-s", f"sip:{DOMAIN}", "-p", a.sip)[1])
    assert code == 200, block
    assert header(block, "Server").startswith("p2pmon/"), block
    assert header(block, "X-P2PMON-Node-ID") == a.node_id, block
    for h in ("Allow", "Accept"):
        assert header(block, h), (h, block)
    assert "REGISTER" in header(block, "Allow") and "INVITE" in header(block, "Allow")
    assert re.search(r"^Supported:", block, re.M), block
    reply = raw_request(a.sip, options(f"sip:{a.sip}", a.sip, branch="z9hG4bK-tcp1",
                                       transport="tcp"), transport="tcp")
    assert status_of(reply) == 200 and a.node_id in reply, reply
    print("ok: OPTIONS to the peer itself (UDP by sipsak, TCP raw): 200, Server, Node-ID, Allow")


def test_probe_agrees_with_sipsak(a, b):
    """p2pmon-probe sip and sipsak on the same peer: same code, RTTs of a
    loopback round trip; the probe names the peer that answered."""
    for uri, sak_args, expected in ((f"sip:{a.sip}", ["-s", f"sip:{DOMAIN}", "-p", a.sip], 200),
                                    (f"sip:nobody@{DOMAIN}", ["-s", f"sip:nobody@{DOMAIN}",
                                                              "-p", b.sip], 404)):
        rc, out = sipsak(*sak_args)
        code, _ = final_response(out)
        rtt = re.search(r"reply received after ([0-9.]+) ms", out)
        assert rtt, out
        sak_rtt = float(rtt.group(1))
        peer = a if expected == 200 else b
        target = f"sip:{peer.sip}"
        p = subprocess.run([PROBE, "sip", "--target", target, "--request-uri", uri, "--json",
                            "--count", "3", "--interval", "20"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        doc = json.loads(p.stdout)
        assert doc["status"] == code == expected, (doc, code)
        if expected == 200:
            assert doc["node_id"] == a.node_id and doc["server"].startswith("p2pmon/"), doc
        assert 0 < doc["rtt_min_ms"] < 100 and 0 <= sak_rtt < 100, (doc, sak_rtt)
        assert abs(doc["rtt_min_ms"] - sak_rtt) < 50, (doc, sak_rtt)
    host, port = a.sip.split(":")
    p = subprocess.run([os.path.join(PLUGINS, "check_p2p_sip"), "-H", host, "-p", port,
                        "-w", "100", "-c", "500"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("P2P_SIP OK - 200 OK"), p.stdout
    assert f"(node {a.node_id[:8]})" in p.stdout and "| rtt=" in p.stdout, p.stdout
    print("ok: p2pmon-probe sip and sipsak agree on the peer (200 with its Node-ID, 404 for an "
          "unknown AOR); check_p2p_sip OK")


def test_register_and_route(a, b):
    phone = Responder("test-phone-bob")
    try:
        contact = f"sip:bob@127.0.0.1:{phone.port}"
        rc, out = sipsak("-U", "-s", f"sip:bob@{DOMAIN}", "-p", a.sip, "-C", contact, "-x", "300")
        assert rc == 0 and "OK" in out, out
        # Through another peer: it finds the binding in the DHT and proxies
        # (through A, which holds the registration) to the phone.
        code, block = final_response(sipsak("-s", f"sip:bob@{DOMAIN}", "-p", b.sip)[1])
        assert code == 200, block
        assert header(block, "Server") == "test-phone-bob", block
        # A MESSAGE (with a body) takes the same way.
        body = "hello through the overlay"
        message = (f"MESSAGE sip:bob@{DOMAIN} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-msg1;rport\r\n"
                   f"From: <sip:alice@{DOMAIN}>;tag=3\r\nTo: <sip:bob@{DOMAIN}>\r\n"
                   f"Call-ID: msg1@test\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n"
                   f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n{body}")
        reply = raw_request(b.sip, message)
        assert status_of(reply) == 200 and "Server: test-phone-bob" in reply, reply
        # Un-register: Expires 0 for the contact.
        rc, out = sipsak("-U", "-s", f"sip:bob@{DOMAIN}", "-p", a.sip, "-C", contact, "-x", "0")
        assert rc == 0, out
        code, block = final_response(sipsak("-s", f"sip:bob@{DOMAIN}", "-p", b.sip)[1])
        assert code == 404, block
        print("ok: sipsak REGISTER via A, OPTIONS and MESSAGE via B reach the phone; un-register gives 404")
        # A registration that lapses: 480 afterwards, not 404.
        rc, out = sipsak("-U", "-s", f"sip:carol@{DOMAIN}", "-p", a.sip,
                         "-C", f"sip:carol@127.0.0.1:{phone.port}", "-x", "1")
        assert rc == 0, out
        code, block = final_response(sipsak("-s", f"sip:carol@{DOMAIN}", "-p", b.sip)[1])
        assert code == 200, block
        time.sleep(1.5)
        code, block = final_response(sipsak("-s", f"sip:carol@{DOMAIN}", "-p", b.sip)[1])
        assert code == 480, block
        code, block = final_response(sipsak("-s", f"sip:nobody@{DOMAIN}", "-p", b.sip)[1])
        assert code == 404, block
        print("ok: a lapsed registration gives 480, an unknown AOR 404")
    finally:
        phone.close()


def test_refusals(a):
    # REGISTER for a domain the overlay does not serve.
    rc, out = sipsak("-U", "-s", "sip:eve@127.0.0.2", "-p", a.sip, "-C", "sip:eve@127.0.0.1:9")
    code, block = final_response(out)
    assert code == 403, block
    # Max-Forwards 0 on a request the peer would forward.
    reply = raw_request(a.sip, options(f"sip:bob@{DOMAIN}", a.sip, "Max-Forwards: 0\r\n",
                                       branch="z9hG4bK-mf0"))
    assert status_of(reply) == 483, reply
    # Contact: * needs Expires: 0.
    reg = (f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-star;rport\r\n"
           f"From: <sip:bob@{DOMAIN}>;tag=2\r\nTo: <sip:bob@{DOMAIN}>\r\n"
           f"Call-ID: star@test\r\nCSeq: 1 REGISTER\r\nContact: *\r\nExpires: 60\r\n"
           f"Content-Length: 0\r\n\r\n")
    assert status_of(raw_request(a.sip, reg)) == 400
    print("ok: foreign domain 403, Max-Forwards 0 483, bad Contact * 400")


def test_malformed(a):
    refused = (400, 413, 513)
    garbage = [
        b"\x00\xff garbage that is no SIP at all\r\n\r\n",
        b"OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-t\r\nFrom",
        b"OPTIONS sip:localhost SIP/2.0\r\nContent-Length: 5\r\n\r\n",
        b"INVITE sip:bob@localhost SIP/2.0\r\nVia: nonsense\r\nCSeq: x\r\n\r\n",
    ]
    for transport in ("udp", "tcp"):
        for g in garbage:
            reply = raw_request(a.sip, g, transport=transport, timeout=0.5)
            assert reply is None or status_of(reply) in refused, (transport, g[:40], reply)
    # A header of 60 kB fits the 64 KiB limit (and a UDP datagram): served.
    big = options(f"sip:{DOMAIN}", a.sip, "X-Big: " + "a" * 60000 + "\r\n", branch="z9hG4bK-big")
    assert status_of(raw_request(a.sip, big)) == 200
    # Beyond the limit over TCP (UDP cannot carry it): refused or dropped.
    huge = options(f"sip:{DOMAIN}", a.sip, "X-Huge: " + "a" * 100000 + "\r\n",
                   branch="z9hG4bK-huge", transport="tcp")
    reply = raw_request(a.sip, huge, transport="tcp", timeout=1.0)
    assert reply is None or status_of(reply) in refused, reply
    # A TCP stream of 200 kB without a header end: dropped, not buffered forever.
    reply = raw_request(a.sip, b"OPTIONS sip:localhost SIP/2.0\r\nX: " + b"b" * 200000,
                        transport="tcp", timeout=1.0)
    assert reply is None or status_of(reply) in refused, reply
    for transport in ("udp", "tcp"):
        reply = raw_request(a.sip, options(f"sip:{DOMAIN}", a.sip, branch="z9hG4bK-after-" +
                                           transport, transport=transport), transport=transport)
        assert status_of(reply) == 200, reply
    print("ok: garbage, truncated, oversized and bad headers over UDP and TCP: refused or "
          "dropped; the peer answers afterwards")


if __name__ == "__main__":
    assert wait_for_binary(PEER, timeout=60), f"{PEER} is not built (target p2pmon-peer)"
    with Swarm(size=5, stabilize_ms=200,
               args=["--sip-listen", "127.0.0.1:0", "--domain", DOMAIN]) as swarm:
        a, b = swarm.peers[0], swarm.peers[3]
        assert a.sip and b.sip, swarm.peers
        ids = [p.node_id for p in swarm.peers]
        wait_until(lambda: ring_problem(a.address, ids) is None, timeout=60, interval=0.5,
                   what="a consistent ring of 5 peers")
        test_own_options(a)
        test_probe_agrees_with_sipsak(a, b)
        test_register_and_route(a, b)
        test_refusals(a)
        test_malformed(a)
        assert swarm.stop() == 0, swarm.log()[-3000:]
