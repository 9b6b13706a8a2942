"""p2pmon-probe rtp --pcap against Wireshark: captures with a known
impairment schedule from the shared rig generator (rtp_gen.py: loss,
duplicates, reordering, jitter, a sequence wrap), analysed by the probe and
by `tshark -q -z rtp,streams -o rtp.heuristic_rtp:TRUE`. The probe must
report exactly tshark's packet and lost counts and its maximum jitter within
1 %, and exactly the generator's own RFC 3550 truth. Also: two streams in one
capture, the table form, and a missing file."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from p2pmon_support import PROBE

# The shared rig lives beside the project (../shared/rigs/), or in the
# workspace's /work/shared/rigs for a clone made elsewhere; P2PMON_RTP_RIG
# overrides. Without it the test is skipped (exit 77), saying so.
_CANDIDATES = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                            "rigs", "rtp_gen.py"),
               "/work/shared/rigs/rtp_gen.py"]
RIG = os.environ.get("P2PMON_RTP_RIG") or next(
    (c for c in _CANDIDATES if os.path.exists(c)), _CANDIDATES[0])
SKIPPED = 77

# tshark -z rtp,streams line: start end src sport dst dport ssrc payload pkts lost (pct) ...
TSHARK_LINE = re.compile(
    r"^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9a-fA-F]+)\s+(\S+)\s+(\d+)\s+(-?\d+)\s+"
    r"\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")

CASES = [
    # (name, rtp_gen.py arguments)
    ("drops", ["--n", "500", "--drop", "10,11,12,100"]),
    ("seed7_mix", ["--n", "500", "--seed", "7", "--loss", "0.03", "--dup", "0.01", "--reorder", "0.02",
                   "--jitter", "15"]),
    ("seed1_lossy", ["--n", "1500", "--seed", "1", "--loss", "0.08", "--jitter", "30"]),
    ("seed2_dups", ["--n", "1500", "--seed", "2", "--dup", "0.05", "--jitter", "5"]),
    ("seed3_reorder", ["--n", "1500", "--seed", "3", "--reorder", "0.05", "--jitter", "10"]),
    ("seed4_all", ["--n", "3000", "--seed", "4", "--loss", "0.02", "--dup", "0.02", "--reorder", "0.02",
                   "--jitter", "40"]),
    ("seed5_wrap_from_0", ["--n", "2000", "--seed", "5", "--seq0", "0", "--loss", "0.01", "--jitter", "8"]),
    ("seed6_bursty", ["--n", "1000", "--seed", "6", "--drop", ",".join(str(i) for i in range(200, 230)),
                      "--loss", "0.01"]),
]


def gen(workdir, name, args, extra=()):
    pcap = os.path.join(workdir, name + ".pcap")
    out = subprocess.run([sys.executable, RIG, "--pcap", pcap, *args, *extra], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    return pcap, json.loads(out)


def tshark_streams(pcap):
    out = subprocess.run(["tshark", "-q", "-o", "rtp.heuristic_rtp:TRUE", "-z", "rtp,streams", "-r", pcap],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    rows = {}
    for line in out.splitlines():
        m = TSHARK_LINE.match(line)
        if m:
            key = (f"{m.group(1)}:{m.group(2)}", f"{m.group(3)}:{m.group(4)}", m.group(5).lower())
            rows[key] = {"packets": int(m.group(7)), "lost": int(m.group(8)),
                         "max_delta_ms": float(m.group(11)), "max_jitter_ms": float(m.group(14))}
    return rows


def probe(pcap, *args):
    p = subprocess.run([PROBE, "rtp", "--pcap", pcap, "--json", *args], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, (p.returncode, p.stderr)
    return json.loads(p.stdout)


def check_against_tshark(doc, ts, what):
    assert len(doc["streams"]) == len(ts), (what, doc["streams"], ts)
    for s in doc["streams"]:
        key = (s["src"], s["dst"], s["ssrc"])
        assert key in ts, (what, key, list(ts))
        t = ts[key]
        assert s["packets"] == t["packets"], (what, s["packets"], t)
        assert s["lost"] == t["lost"], (what, s["lost"], t)
        tol = max(0.01 * t["max_jitter_ms"], 0.001)
        assert abs(s["jitter_max_ms"] - t["max_jitter_ms"]) <= tol, (what, s["jitter_max_ms"], t)
        assert abs(s["max_delta_ms"] - t["max_delta_ms"]) <= 0.001, (what, s["max_delta_ms"], t)


def check_against_truth(s, truth, what):
    assert s["ssrc"] == f"0x{int(truth['ssrc'], 16):08x}", (what, s["ssrc"])
    assert s["received"] == truth["received"], (what, s, truth)
    assert s["base_seq"] == truth["base_seq"], (what, s, truth)
    assert s["ext_highest_seq"] == truth["ext_highest_seq"], (what, s, truth)
    assert s["expected"] == truth["expected"], (what, s, truth)
    assert s["lost"] == truth["cumulative_lost"], (what, s, truth)
    assert s["fraction_lost"] == truth["fraction_lost_8bit"], (what, s, truth)
    # The generator counts every index never delivered; a receiver only
    # knows the losses between the first and the highest number it saw.
    outside = truth["sent_indices"] - truth["expected"]
    assert s["unique_lost"] == truth["unique_lost"] - outside, (what, s, truth)
    assert s["duplicates"] == truth["duplicates"], (what, s, truth)
    assert abs(s["jitter_ms"] - truth["jitter_ms_final"]) <= 0.001, (what, s["jitter_ms"], truth)
    assert abs(s["jitter_max_ms"] - truth["jitter_ms_max"]) <= 0.001, (what, s["jitter_max_ms"], truth)


def test_rig_captures(workdir):
    for name, args in CASES:
        pcap, truth = gen(workdir, name, args)
        doc = probe(pcap)
        assert doc["link_type"] == 1 and doc["frames"] == truth["received"], (name, doc)
        assert doc["rtp_packets"] == truth["received"] and doc["not_rtp"] == 0, (name, doc)
        assert len(doc["streams"]) == 1, (name, doc["streams"])
        s = doc["streams"][0]
        assert s["src"] == "10.0.0.1:40000" and s["dst"] == "10.0.0.2:40002", s
        assert s["payload_type"] == 0 and s["encoding"] == "PCMU" and s["clock_rate"] == 8000, s
        check_against_truth(s, truth, name)
        check_against_tshark(doc, tshark_streams(pcap), name)
        e = s["emodel"]
        assert 1.0 <= e["mos"] <= 4.5 and e["codec"] == "g711", e
        print(f"{name}: packets {s['packets']} lost {s['lost']} dup {s['duplicates']} "
              f"reord {s['reordered']} jitter max {s['jitter_max_ms']} ms, MOS {e['mos']}: "
              f"= tshark, = rig truth")


def test_two_streams_in_one_capture(workdir):
    a, ta = gen(workdir, "a", ["--n", "800", "--seed", "11", "--loss", "0.02", "--jitter", "12"])
    b, tb = gen(workdir, "b", ["--n", "600", "--seed", "12", "--dup", "0.03", "--reorder", "0.03"],
                ["--ssrc", "0x5eed0001", "--src", "10.0.0.3:41000", "--dst", "10.0.0.2:40004"])
    merged = os.path.join(workdir, "merged.pcap")
    subprocess.run(["mergecap", "-F", "pcap", "-w", merged, a, b], check=True, timeout=60)
    doc = probe(merged)
    check_against_tshark(doc, tshark_streams(merged), "merged")
    by_ssrc = {s["ssrc"]: s for s in doc["streams"]}
    check_against_truth(by_ssrc["0x11223344"], ta, "merged a")
    check_against_truth(by_ssrc["0x5eed0001"], tb, "merged b")


def test_table_and_errors(workdir):
    pcap, _ = gen(workdir, "table", ["--n", "100"])
    p = subprocess.run([PROBE, "rtp", "--pcap", pcap], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:4] == ["src", "dst", "ssrc", "pt"], lines
    assert "0x11223344" in lines[1] and " 100 " in lines[1], lines
    p = subprocess.run([PROBE, "rtp", "--pcap", os.path.join(workdir, "missing.pcap")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith("p2pmon-probe rtp: bad_usage: cannot read"), p.stderr
    p = subprocess.run([PROBE, "rtp"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "bad_usage" in p.stderr, p.stderr
    p = subprocess.run([PROBE, "rtp", "--pcap", pcap, "--codec", "opus"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "--codec" in p.stderr, p.stderr


def main():
    if shutil.which("tshark") is None or shutil.which("mergecap") is None:
        print("tshark/mergecap missing (make test-deps installs them)")
        return 1
    if not os.path.exists(RIG):
        print(f"SKIPPED: the RTP rig generator is missing: {RIG} (set P2PMON_RTP_RIG)")
        return SKIPPED
    workdir = tempfile.mkdtemp(prefix="p2pmon-rtp-")
    try:
        test_rig_captures(workdir)
        test_two_streams_in_one_capture(workdir)
        test_table_and_errors(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("rtp_pcap_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
