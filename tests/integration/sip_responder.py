"""A tiny SIP UAS for tests, so they control the far end of an OPTIONS probe.

Listens on 127.0.0.1 UDP and TCP on the same port (0: a free one), prints
`listening <port>` on stdout, then answers every request until SIGTERM:

  --code 200 --reason OK     the final response
  --delay-ms N               answer N ms after the request arrives
  --server TEXT              Server header ('' for none)
  --allow TEXT               Allow header ('' for none)
  --node-id HEX              X-P2PMON-Node-ID header
  --mode answer|silent|garbage|badstatus
                             silent never answers; garbage sends bytes that
                             are no SIP message; badstatus a status line 999
  --drop-first N             ignore the first N transmissions of each
                             transaction (by Via branch): forces retransmissions

Stateless and single-threaded (select with timers): it keeps nothing per
transaction but the drop counts, which it forgets after 64 s. Standard
library only. Tests start it through `Responder` below, which stops it by
its pid.
"""

import argparse
import heapq
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time


class Responder:
    """This script as a process for a test: `with Responder(code=404) as r:`
    then r.port; stopped (SIGTERM, by pid) when the block ends."""

    def __init__(self, **options):
        self.cmd = [sys.executable, os.path.abspath(__file__)]
        for key, value in options.items():
            self.cmd += ["--" + key.replace("_", "-"), str(value)]
        self.proc = None
        self.port = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("listening "):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"sip_responder did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--code", type=int, default=200)
    p.add_argument("--reason", default="OK")
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--server", default="p2pmon-test-uas/1.0")
    p.add_argument("--allow", default="INVITE, ACK, CANCEL, BYE, OPTIONS")
    p.add_argument("--node-id", default="")
    p.add_argument("--mode", choices=["answer", "silent", "garbage", "badstatus"], default="answer")
    p.add_argument("--drop-first", type=int, default=0)
    return p.parse_args()


HEADER_RE = re.compile(rb"^([A-Za-z0-9.!%*_+`'~-]+)\s*:\s*(.*)$")
COMPACT = {b"v": b"via", b"f": b"from", b"t": b"to", b"i": b"call-id", b"l": b"content-length"}


def headers_of(msg):
    head = msg.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    out = []
    for line in lines[1:]:
        m = HEADER_RE.match(line)
        if m:
            name = m.group(1).lower()
            out.append((COMPACT.get(name, name), m.group(2)))
    return lines[0], out


def response_for(msg, args):
    request_line, hdrs = headers_of(msg)
    if not request_line.endswith(b"SIP/2.0"):
        return None  # not a request: nothing to answer (never ping-pong)
    if args.mode == "garbage":
        # Not STUN either (sofia's transport would take 0x00 0x01 for STUN).
        return b"HELLO this is not SIP at all\r\nreally: not\r\n\r\n"

    code = 999 if args.mode == "badstatus" else args.code
    out = [f"SIP/2.0 {code} {args.reason}".encode()]
    for name, value in hdrs:
        if name == b"via":
            out.append(b"Via: " + value)
        elif name == b"from":
            out.append(b"From: " + value)
        elif name == b"to":
            out.append(b"To: " + value + (b"" if b"tag=" in value else b";tag=uas1"))
        elif name == b"call-id":
            out.append(b"Call-ID: " + value)
        elif name == b"cseq":
            out.append(b"CSeq: " + value)
    if args.server:
        out.append(b"Server: " + args.server.encode())
    if args.allow:
        out.append(b"Allow: " + args.allow.encode())
    if args.node_id:
        out.append(b"X-P2PMON-Node-ID: " + args.node_id.encode())
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


def branch_of(msg):
    m = re.search(rb"branch=([^;,\s]+)", msg)
    return m.group(1) if m else b""


def bind_both(port):
    """UDP and TCP sockets on one port; with port 0 a free UDP port whose TCP
    twin may be taken, so a few tries."""
    for _ in range(1 if port else 50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", port))
        chosen = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", chosen))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(128)
        return udp, tcp, chosen
    raise SystemExit("sip_responder: no port free for both UDP and TCP")


def main():
    args = parse_args()
    udp, tcp, port = bind_both(args.port)
    for s in (udp, tcp):
        s.setblocking(False)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print(f"listening {port}", flush=True)

    conns = {}   # socket -> buffered bytes
    timers = []  # (when, seq, send function, payload)
    seen = {}    # branch -> (transmissions, first seen)
    seq = 0

    def handle(msg, send):
        nonlocal seq
        if args.mode == "silent":
            return
        if args.drop_first:
            b = branch_of(msg)
            n, t0 = seen.get(b, (0, time.monotonic()))
            seen[b] = (n + 1, t0)
            if n < args.drop_first:
                return
        reply = response_for(msg, args)
        if reply is None:
            return
        if args.delay_ms > 0:
            seq += 1
            heapq.heappush(timers, (time.monotonic() + args.delay_ms / 1000.0, seq, send, reply))
        else:
            send(reply)

    while not stop:
        now = time.monotonic()
        while timers and timers[0][0] <= now:
            _, _, send, payload = heapq.heappop(timers)
            send(payload)
        if len(seen) > 10000:
            for b in [b for b, (_, t0) in seen.items() if now - t0 > 64]:
                del seen[b]
        wait = max(0.0, timers[0][0] - now) if timers else 0.5
        try:
            ready, _, _ = select.select([udp, tcp, *conns], [], [], min(wait, 0.5))
        except InterruptedError:
            continue
        for s in ready:
            if s is udp:
                for _ in range(256):
                    try:
                        data, addr = udp.recvfrom(65535)
                    except (BlockingIOError, ConnectionRefusedError):
                        break
                    handle(data, lambda payload, a=addr: udp.sendto(payload, a))
            elif s is tcp:
                try:
                    c, _ = tcp.accept()
                    c.setblocking(False)
                    conns[c] = b""
                except BlockingIOError:
                    pass
            else:
                try:
                    data = s.recv(65535)
                except (BlockingIOError, ConnectionResetError):
                    data = b"" if not isinstance(sys.exc_info()[1], BlockingIOError) else None
                if data is None:
                    continue
                if not data:
                    conns.pop(s, None)
                    s.close()
                    continue
                buf = conns[s] + data
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    m = re.search(rb"\r\n(?:content-length|l)\s*:\s*(\d+)", head, re.I)
                    length = int(m.group(1)) if m else 0
                    if len(rest) < length:
                        break
                    msg, buf = head + b"\r\n\r\n" + rest[:length], rest[length:]

                    def send(payload, c=s):
                        try:
                            c.sendall(payload)
                        except OSError:
                            pass
                    handle(msg, send)
                conns[s] = buf
    for c in conns:
        c.close()
    udp.close()
    tcp.close()


if __name__ == "__main__":
    main()
