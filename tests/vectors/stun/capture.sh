#!/usr/bin/env bash
# Re-captures the golden STUN vectors of this folder from real tools on the
# loopback (root, for dumpcap on lo): Debian stun-client (vovida, RFC 3489)
# against coturn's turnserver and against stund, and coturn's
# turnutils_stunclient / turnutils_natdiscovery (RFC 5389/5780) against
# turnserver. Servers run in the foreground with their own temp dir and are
# stopped by pid. Writes NAME.bin (one datagram each) and prints a summary.
# Usage: tests/vectors/stun/capture.sh [OUTDIR]   (default: this folder)
set -eu
out=${1:-$(cd "$(dirname "$0")" && pwd)}
tmp=$(mktemp -d /tmp/stun-capture.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$tmp"; }
trap cleanup EXIT
P=34780      # turnserver primary port (alt = P+1), on 127.0.0.1 and 127.0.0.2
S=34790      # stund primary port (alt = S+1), on 127.0.0.1 and 127.0.0.3

cat >"$tmp/turnserver.conf" <<CONF
listening-ip=127.0.0.1
listening-ip=127.0.0.2
listening-port=$P
alt-listening-port=$((P + 1))
no-tls
no-dtls
no-tcp
no-cli
no-auth
realm=p2pmon
software-name=coturn-vectors
pidfile=$tmp/turnserver.pid
log-file=$tmp/turnserver.log
simple-log
CONF

timeout 120 dumpcap -q -i lo -f "udp portrange $P-$((P + 1)) or udp portrange $S-$((S + 1))" \
  -w "$tmp/cap.pcapng" >"$tmp/dumpcap.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q "File:" "$tmp/dumpcap.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
timeout 60 turnserver -c "$tmp/turnserver.conf" >"$tmp/turnserver.out" 2>&1 &
pids+=($!)
timeout 60 stund -h 127.0.0.1 -a 127.0.0.3 -p $S -o $((S + 1)) >"$tmp/stund.out" 2>&1 &
pids+=($!)
sleep 1.5

# 1: vovida stun-client against coturn (RFC 3489 requests, no magic cookie)
timeout 15 stun 127.0.0.1:$P -v -p 40100 >"$tmp/stun_coturn.txt" 2>&1 || true
# 2: vovida stun-client against stund
timeout 15 stun 127.0.0.1:$S -v -p 41300 >"$tmp/stun_stund.txt" 2>&1 || true
# 3: coturn's RFC 5389 client
timeout 15 turnutils_stunclient -p $P -L 127.0.0.1 127.0.0.1 >"$tmp/stunclient.txt" 2>&1 || true
# 4: coturn's RFC 5780 discovery (CHANGE-REQUEST, OTHER-ADDRESS, RESPONSE-ORIGIN)
timeout 30 turnutils_natdiscovery -m -f -p $P 127.0.0.1 >"$tmp/natdisc.txt" 2>&1 || true
# 5: a binding request with SOFTWARE and FINGERPRINT (CRC-32 by Python's zlib), so
#    that coturn answers with a FINGERPRINT of its own
timeout 10 python3 - "$P" <<'PY' || true
import socket, struct, sys, zlib
tid = bytes.fromhex("70326d6f6e2d766563746f72")            # "p2pmon-vector"[:12]
sw = b"p2pmon-vectors"
attrs = struct.pack("!HH", 0x8022, len(sw)) + sw + b"\0" * (-len(sw) % 4)
body_len = len(attrs) + 8
msg = struct.pack("!HHI", 0x0001, body_len, 0x2112A442) + tid + attrs
crc = (zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF
msg += struct.pack("!HHI", 0x8028, 4, crc)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.bind(("127.0.0.1", 40300)); s.sendto(msg, ("127.0.0.1", int(sys.argv[1]))); s.recvfrom(2048)
PY
sleep 0.5
kill "${pids[0]}" 2>/dev/null || true
wait "${pids[0]}" 2>/dev/null || true

# one line per datagram: frame number, src, dst, payload hex
tshark -r "$tmp/cap.pcapng" -T fields -e frame.number -e ip.src -e udp.srcport \
  -e ip.dst -e udp.dstport -e data.data -d "udp.port==$P,data" -d "udp.port==$((P + 1)),data" \
  -d "udp.port==$S,data" -d "udp.port==$((S + 1)),data" >"$tmp/frames.tsv" 2>/dev/null
cp "$tmp/frames.tsv" "$out/frames.tsv"
# name the datagrams the tests use (frame numbers of one clean run: no
# retransmissions on the loopback) and list them in MANIFEST.tsv
python3 - "$out" <<'PY'
import csv, os, sys
out = sys.argv[1]
names = {1: "vovida_binding_request", 2: "coturn_classic_binding_response",
         3: "vovida_change_ip_request", 4: "coturn_classic_change_ip_response",
         5: "vovida_change_port_request", 6: "coturn_classic_change_port_response",
         10: "stund_binding_response", 12: "stund_change_ip_response",
         17: "coturn_client_binding_request", 18: "coturn_binding_response",
         19: "coturn_client_response_port_request", 20: "coturn_response_port_response",
         21: "coturn_client_padding_request", 22: "coturn_padding_response",
         29: "natdisc_change_ip_port_request", 30: "natdisc_change_ip_port_response",
         31: "fingerprint_request", 32: "coturn_fingerprint_response"}
with open(os.path.join(out, "frames.tsv")) as f, open(os.path.join(out, "MANIFEST.tsv"), "w") as m:
    m.write("# file\tframe\tfrom\tto\n")
    for row in csv.reader(f, delimiter="\t"):
        n = int(row[0])
        if n in names:
            with open(os.path.join(out, names[n] + ".bin"), "wb") as b:
                b.write(bytes.fromhex(row[5]))
            m.write(f"{names[n]}.bin\t{n}\t{row[1]}:{row[2]}\t{row[3]}:{row[4]}\n")
PY
cp "$tmp"/stun_coturn.txt "$tmp"/stun_stund.txt "$tmp"/stunclient.txt "$tmp"/natdisc.txt "$out/" 2>/dev/null || true
wc -l "$out/frames.tsv"
