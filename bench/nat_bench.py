#!/usr/bin/env python3
"""NAT probe benchmark (prints figures, asserts nothing; see bench/README.md).

Builds each NAT kind of tests/integration/nat_rig_test.py in network
namespaces (needs root; prints a note and exits 0 without), runs the STUN
server inside a p2pmon-peer (--stun-listen, --stun-alt-listen) on the
server side, and times from the client side, P2PMON_BENCH_ROUNDS (3) runs
each, median:
  - `p2pmon-probe nat --no-hairpin`: mapping and filtering tests, the verdict;
  - `p2pmon-probe nat`: the same plus hairpinning (the default);
  - Debian's stun-client (`stun`, RFC 3489 classic flow) against the same server;
  - coturn's `turnutils_natdiscovery -m -f` against a coturn on the server side.
Time to a verdict is dominated by the tests that get no answer: each waits
for its retransmissions (p2pmon: 100+200+400+800 ms by default).
"""

import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
os.environ.setdefault("P2PMON_BUILD_DIR", BUILD)
import nat_rig_test as rig  # noqa: E402  (after P2PMON_BUILD_DIR is set)
from p2pmon_support import stop_process  # noqa: E402

PEER = os.path.join(BUILD, "overlay-agent", "p2pmon-peer")
PROBE = os.path.join(BUILD, "probes", "p2pmon-probe")
ROUNDS = int(os.environ.get("P2PMON_BENCH_ROUNDS", "3"))
KINDS = ["open", "fullcone", "restricted", "portrestricted", "symmetric", "blocked"]


def timed(*cmd):
    t0 = time.monotonic()
    subprocess.run(["ip", "netns", "exec", rig.CLI, *cmd], capture_output=True, timeout=120)
    return (time.monotonic() - t0) * 1000.0


def median(f):
    return statistics.median(f() for _ in range(ROUNDS))


def bench_kind(kind, workdir):
    rig.setup(kind)
    peer = subprocess.Popen(["ip", "netns", "exec", rig.SRV, PEER, "--listen", f"{rig.S1}:6084",
                             "--stun-listen", f"{rig.S1}:3478", "--stun-alt-listen", f"{rig.S2}:3479"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    procs = [peer]
    try:
        assert "stun=" in peer.stdout.readline()
        log = open(os.path.join(workdir, f"{kind}.turnserver.log"), "w")
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", rig.SRV, "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls",
             "--no-tcp", "-L", rig.S1, "-L", rig.S2, "-p", "3480", "--alt-listening-port", "3481",
             "--no-auth", "-r", "rig", "--log-file", "stdout", "--simple-log",
             "--pidfile", os.path.join(workdir, "turnserver.pid")], stdout=log, stderr=subprocess.STDOUT))
        rig.wait_until(lambda: "3481" in rig.sh("ip", "netns", "exec", rig.SRV, "ss", "-uln").stdout,
                       timeout=10, what="turnserver listening")
        return {
            "p2pmon verdict": median(lambda: timed(PROBE, "nat", "--server", f"{rig.S1}:3478",
                                                   "--no-hairpin")),
            "p2pmon + hairpin": median(lambda: timed(PROBE, "nat", "--server", f"{rig.S1}:3478")),
            "stun-client": median(lambda: timed("stun", rig.S1, "-p", "40000")),
            "natdiscovery": median(lambda: timed("turnutils_natdiscovery", "-m", "-f", "-p", "3480",
                                                 rig.S1)),
        }
    finally:
        for p in procs:
            stop_process(p, 15, 10, "bench server")
        peer.stdout.close()


def main():
    if os.geteuid() != 0:
        print("nat-bench: needs root for network namespaces; skipped")
        return 0
    import tempfile
    workdir = tempfile.mkdtemp(prefix="p2pmon-natbench-")
    rows = {}
    try:
        for kind in KINDS:
            rows[kind] = bench_kind(kind, workdir)
            print(f"nat-bench: {kind} done", file=sys.stderr, flush=True)
    finally:
        rig.cleanup()
        subprocess.run(["rm", "-rf", workdir])
    cols = ["p2pmon verdict", "p2pmon + hairpin", "stun-client", "natdiscovery"]
    print(f"\nNAT probe: time to a verdict per kind, ms (median of {ROUNDS})")
    print(f"{'kind':<16}" + "".join(f"{c:>18}" for c in cols))
    for kind, row in rows.items():
        print(f"{kind:<16}" + "".join(f"{row[c]:>18.0f}" for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
