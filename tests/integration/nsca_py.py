"""A minimal NSCA v3 client in Python for tests that need packets the real
send_nsca will not make (wrong password, flipped bits, truncation).
Layout: shared/reference/nagios.md section 1; zero padding."""

import socket
import struct
import zlib

PACKET = 4304
LEGACY = 720


def encode(iv, timestamp, host, service, rc, output, password=b"", method=1, size=PACKET):
    out_field = 4096 if size == PACKET else 512
    buf = bytearray(size)
    struct.pack_into(">h", buf, 0, 3)
    struct.pack_into(">I", buf, 8, timestamp)
    struct.pack_into(">h", buf, 12, rc)
    buf[14:14 + len(host)] = host
    buf[78:78 + len(service)] = service
    out = output[:out_field - 1]
    buf[206:206 + len(out)] = out
    struct.pack_into(">I", buf, 4, zlib.crc32(bytes(buf)) & 0xFFFFFFFF)
    if method == 1:
        for i in range(size):
            buf[i] ^= iv[i % 128]
            if password:
                buf[i] ^= password[i % len(password)]
    return bytes(buf)


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    init = b""
    while len(init) < 132:
        chunk = s.recv(132 - len(init))
        if not chunk:
            raise ConnectionError("server closed before the init packet")
        init += chunk
    iv, ts = init[:128], struct.unpack(">I", init[128:])[0]
    return s, iv, ts
