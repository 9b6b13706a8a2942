"""`p2pmon-probe rtp --listen` with kernel loss, against Wireshark: two
network namespaces joined by a veth pair (the topology of
../shared/rigs/rtp_rig.sh "live", with names of this test's own), nftables
random loss on the sender's output (`numgen random mod 1000 < N drop`), the
rig's generator (rtp_gen.py: jitter, duplicates, reordering, a sequence
wrap) sending in real time, the probe listening in the receiver's namespace
and dumpcap (or tcpdump) capturing the same traffic on the receiver's
interface. The probe's packet and loss counts must equal tshark's `-z
rtp,streams` on the capture, its maximum jitter within 1 %. Needs root;
skipped (exit 77) where namespaces cannot be made or the rig is missing.
Cleans up its namespaces and processes (by pid) whatever happens."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from p2pmon_support import PROBE, stop_process

SKIPPED = 77
_CANDIDATES = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                            "rigs", "rtp_gen.py"),
               "/work/shared/rigs/rtp_gen.py"]
RIG = os.environ.get("P2PMON_RTP_RIG") or next((c for c in _CANDIDATES if os.path.exists(c)), _CANDIDATES[0])
TAG = f"p2r{os.getpid() % 100000}"
TX, RX = TAG + "t", TAG + "r"
TXIP, RXIP, PORT = "10.78.0.1", "10.78.0.2", 40002
LOSS_PERMILLE = 30
GEN_ARGS = ["--n", "500", "--jitter", "10", "--seed", "3", "--dup", "0.01", "--reorder", "0.01"]

TSHARK_LINE = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9a-fA-F]+)\s+(\S+)\s+(\d+)\s+(-?\d+)\s+"
    r"\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")


def sh(*args, check=True, timeout=20, **kw):
    return subprocess.run(list(args), check=check, timeout=timeout, capture_output=True, text=True, **kw)


def cleanup():
    for n in (TX, RX):
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


def setup():
    cleanup()
    sh("ip", "netns", "add", TX)
    sh("ip", "netns", "add", RX)
    sh("ip", "link", "add", "v_tx", "netns", TX, "type", "veth", "peer", "name", "v_rx", "netns", RX)
    for n, dev, ip in ((TX, "v_tx", TXIP), (RX, "v_rx", RXIP)):
        sh("ip", "-n", n, "addr", "add", ip + "/24", "dev", dev)
        sh("ip", "-n", n, "link", "set", dev, "up")
        sh("ip", "-n", n, "link", "set", "lo", "up")
    rules = (f"table inet imp {{\n chain out {{ type filter hook output priority 0; "
             f"udp dport {PORT} numgen random mod 1000 < {LOSS_PERMILLE} counter drop; }}\n}}\n")
    sh("ip", "netns", "exec", TX, "nft", "-f", "-", input=rules)


def capture_cmd(path):
    if shutil.which("tcpdump"):
        return ["tcpdump", "-i", "v_rx", "-s", "0", "-U", "-w", path, "udp", "port", str(PORT)], "listening"
    return ["dumpcap", "-i", "v_rx", "-P", "-f", f"udp port {PORT}", "-w", path], "Capturing on"


def wait_for(path, word, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if word in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def tshark_streams(pcap):
    out = sh("tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-d", f"udp.port=={PORT},rtp", "-z",
             "rtp,streams", "-r", pcap, timeout=120).stdout
    rows = []
    for line in out.splitlines():
        m = TSHARK_LINE.match(line)
        if m:
            rows.append({"ssrc": m.group(5).lower(), "packets": int(m.group(7)), "lost": int(m.group(8)),
                         "max_jitter_ms": float(m.group(14))})
    return rows


def run(workdir):
    setup()
    pcap = os.path.join(workdir, "live.pcap")
    cap_log = os.path.join(workdir, "capture.log")
    procs = []
    try:
        cmd, ready = capture_cmd(pcap)
        with open(cap_log, "w") as log:
            cap = subprocess.Popen(["ip", "netns", "exec", RX, *cmd], stdout=log, stderr=log)
        procs.append(cap)
        probe = subprocess.Popen(["ip", "netns", "exec", RX, PROBE, "rtp", "--listen", f"{RXIP}:{PORT}",
                                  "--duration", "16", "--json"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        procs.append(probe)
        assert "listening on" in probe.stderr.readline()
        assert wait_for(cap_log, ready, cap), open(cap_log).read()
        time.sleep(1.0)  # the capture needs a moment after it says so (voip_nat.md §2.0)
        gen = sh("ip", "netns", "exec", TX, sys.executable, RIG, "--bind", f"{TXIP}:40000", "--send",
                 f"{RXIP}:{PORT}", *GEN_ARGS, timeout=60)
        truth = json.loads(gen.stdout)
        out, err = probe.communicate(timeout=40)
        assert probe.returncode == 0, (probe.returncode, err)
        time.sleep(0.5)
        stop_process(cap, signal.SIGINT, 10, "capture")
        drops = sh("ip", "netns", "exec", TX, "nft", "list", "ruleset").stdout
        m = re.search(r"counter packets (\d+)", drops)
        kernel = int(m.group(1)) if m else 0
        doc = json.loads(out)
        rows = tshark_streams(pcap)
        assert len(rows) == 1 and len(doc["streams"]) == 1, (rows, doc["streams"])
        s, t = doc["streams"][0], rows[0]
        print(f"generator: {truth['received']} scheduled, {truth.get('kernel_output_drops')} refused by "
              f"nftables (counter {kernel}); probe: packets {s['packets']} lost {s['lost']} "
              f"jitter max {s['jitter_max_ms']} ms; tshark: {t}")
        assert kernel > 0, "nftables dropped nothing: no loss was injected"
        assert s["ssrc"] == t["ssrc"] == "0x11223344", (s, t)
        assert s["packets"] == t["packets"], (s["packets"], t)
        assert s["lost"] == t["lost"], (s["lost"], t)
        assert abs(s["jitter_max_ms"] - t["max_jitter_ms"]) <= max(0.01 * t["max_jitter_ms"], 0.001), (s, t)
        assert s["packets"] == truth["received"] - kernel, (s["packets"], truth, kernel)
    finally:
        for p in procs:
            if p.poll() is None:
                stop_process(p, signal.SIGKILL, 10, "netns helper")
        cleanup()


def main():
    if not os.path.exists(RIG):
        print(f"SKIPPED: the RTP rig generator is missing: {RIG} (set P2PMON_RTP_RIG)")
        return SKIPPED
    if os.geteuid() != 0 or shutil.which("nft") is None:
        print("SKIPPED: needs root and nft to build network namespaces")
        return SKIPPED
    probe_ns = subprocess.run(["ip", "netns", "add", TAG + "x"], capture_output=True, text=True)
    if probe_ns.returncode != 0:
        print(f"SKIPPED: cannot create network namespaces: {probe_ns.stderr.strip()}")
        return SKIPPED
    subprocess.run(["ip", "netns", "del", TAG + "x"], capture_output=True)
    if shutil.which("tshark") is None or (shutil.which("tcpdump") is None and shutil.which("dumpcap") is None):
        print("tshark and tcpdump or dumpcap are needed (make test-deps installs them)")
        return 1
    workdir = tempfile.mkdtemp(prefix="p2pmon-rtp-netns-")
    try:
        run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("rtp_netns_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
