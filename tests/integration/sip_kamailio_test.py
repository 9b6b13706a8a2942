"""p2pmon-probe sip and check_p2p_sip against a real SIP server: Kamailio on
127.0.0.1 (a free port, UDP and TCP) with a minimal config of our own that
answers OPTIONS statelessly, compared with sipsak on the same target: the
codes agree and both RTTs are plausible. Kamailio runs in the foreground
(-DD -E) with its pid and runtime files in a temporary directory and is
stopped by its pid."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from p2pmon_support import PLUGINS, PROBE, free_port, stop_process, wait_until

NODE_ID = "00112233445566778899aabbccddeeff"

CONFIG = """#!KAMAILIO
debug=1
log_stderror=yes
children=2
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
server_header="Server: kamailio-p2pmon-test"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
request_route {{
  if (is_method("OPTIONS")) {{
    append_to_reply("X-P2PMON-Node-ID: {node_id}\\r\\n");
    if ($rU == "nobody") {{
      sl_send_reply("404", "Not Here");
      exit;
    }}
    sl_send_reply("200", "OK");
    exit;
  }}
  sl_send_reply("501", "Not Implemented");
}}
"""


class Kamailio:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="p2pmon-kamailio-")
        self.port = free_port()
        self.cfg = os.path.join(self.dir, "kamailio.cfg")
        with open(self.cfg, "w") as f:
            f.write(CONFIG.format(port=self.port, node_id=NODE_ID))
        self.proc = None

    def __enter__(self):
        self.log = open(os.path.join(self.dir, "kamailio.log"), "wb")
        self.proc = subprocess.Popen(
            ["kamailio", "-f", self.cfg, "-DD", "-E", "-Y", self.dir, "-P",
             os.path.join(self.dir, "kamailio.pid"), "-w", self.dir, "-m", "32", "-M", "4"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_until(self.answers, timeout=20, interval=0.2, what="kamailio to answer OPTIONS")
        return self

    def answers(self):
        assert self.proc.poll() is None, self.logtext()
        p = subprocess.run([PROBE, "sip", "--target", f"sip:127.0.0.1:{self.port}", "--timeout", "300"],
                           capture_output=True, text=True, timeout=30)
        return p.returncode == 0

    def logtext(self):
        with open(os.path.join(self.dir, "kamailio.log"), errors="replace") as f:
            return f.read()[-3000:]

    def __exit__(self, *exc):
        # The main process we started stops its children on SIGTERM.
        stop_process(self.proc, signal.SIGTERM, 20, "kamailio")
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def sipsak(uri):
    """sipsak's answer to one OPTIONS: (status code, RTT in ms)."""
    p = subprocess.run(["sipsak", "-s", uri, "-vv"], capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    code = re.search(r"^SIP/2\.0 (\d{3}) ", out, re.M)
    rtt = re.search(r"reply received after ([0-9.]+) ms", out)
    assert code and rtt, out
    return int(code.group(1)), float(rtt.group(1))


def test_against_kamailio(k):
    for user, expected in (("", 200), ("nobody@", 404)):
        uri = f"sip:{user}127.0.0.1:{k.port}"
        sak_code, sak_rtt = sipsak(uri)
        for transport in ("udp", "tcp"):
            p = subprocess.run([PROBE, "sip", "--target", f"{uri};transport={transport}", "--json",
                                "--count", "3", "--interval", "20"],
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            doc = json.loads(p.stdout)
            assert doc["status"] == sak_code == expected, (doc, sak_code)
            assert doc["server"] == "kamailio-p2pmon-test" and doc["node_id"] == NODE_ID, doc
            assert doc["answered"] == 3 and doc["retransmissions"] == 0, doc
            # Both measure a loopback round trip: well under 100 ms, and
            # within 50 ms of each other.
            assert 0 < doc["rtt_min_ms"] < 100 and 0 <= sak_rtt < 100, (doc, sak_rtt)
            assert abs(doc["rtt_min_ms"] - sak_rtt) < 50, (doc, sak_rtt)
            print(f"ok: {uri} over {transport}: probe {doc['status']} in {doc['rtt_min_ms']} ms, "
                  f"sipsak {sak_code} in {sak_rtt} ms")


def test_check_against_kamailio(k):
    check = os.path.join(PLUGINS, "check_p2p_sip")
    p = subprocess.run([check, "-H", "127.0.0.1", "-p", str(k.port), "-w", "100", "-c", "500"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout
    assert re.match(rf"P2P_SIP OK - 200 OK in [0-9.]+ ms from sip:127\.0\.0\.1:{k.port} "
                    r"\(node 00112233\) \| rtt=[0-9.]+ms;100;500;0;10000 retransmissions=0;;;0$",
                    p.stdout.strip()), p.stdout
    p = subprocess.run([check, "-H", "127.0.0.1", "-p", str(k.port), "-u",
                        f"sip:nobody@127.0.0.1:{k.port}", "--expect", "200"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "404 Not Here" in p.stdout, p.stdout
    print("ok: check_p2p_sip against kamailio")


if __name__ == "__main__":
    for tool in ("kamailio", "sipsak"):
        assert shutil.which(tool), f"{tool} is missing (scripts/install-deps.sh test installs it)"
    with Kamailio() as kam:
        test_against_kamailio(kam)
        test_check_against_kamailio(kam)
