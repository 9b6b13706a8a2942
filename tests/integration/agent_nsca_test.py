"""The embedded agents of a 30-peer swarm pushing through the stock nsca
daemon (Debian's nsca, appending to a plain command file). The daemon is
down when the swarm starts, so the first results wait in the agents' spool;
once it listens they arrive. After SIGTERM the command file holds exactly
as many results as the agents say they sent, none twice, a result for
every peer and check. (NSCA packets carry the time of sending, not the
check's, so the spooled results show as the spool's bytes before the
daemon started and as nothing missing after.)

The daemon is started late rather than stopped in the middle: NSCA has no
acknowledgement, so a daemon killed while a batch is on the wire may have
written part of it, and nobody can tell which part (docs/operations.md).
Starts and stops only its own processes, by pid; every wait is bounded."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time

from agent_spool_test import StockNsca
from p2pmon_support import Swarm, wait_until

PEERS = 30
CHECKS = ("peer_health", "sip_options", "dht_lookup")
SLOW = 3 if os.environ.get("P2PMON_BUILD_DIR", "").rstrip("/").endswith("asan") else 1
LINE = re.compile(r"^\[(\d+)\] PROCESS_SERVICE_CHECK_RESULT;(peer-[0-9a-f]{8});([a-z_]+);(\d);")


def lines(nsca):
    with open(nsca.cmd_file) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def main():
    workdir = tempfile.mkdtemp(prefix="p2pmon-agent-nsca-")
    nsca = StockNsca(workdir, "pw")
    args = ["--sip-base-port", "0", "--domain", "agent.test",
            "--agent-nsca", f"127.0.0.1:{nsca.port}", "--agent-nsca-password", "pw",
            "--agent-spool", os.path.join(workdir, "spool"), "--agent-flush-ms", "500",
            "--agent-checks", ",".join(CHECKS)]
    for c in CHECKS:
        args += ["--agent-interval", f"{c}=5"]
    swarm = Swarm(size=PEERS, stabilize_ms=500, args=args, workdir=workdir)
    try:
        swarm.start(timeout=60 * SLOW)
        hosts = {f"peer-{p.node_id[:8]}" for p in swarm.peers}
        wait_until(lambda: "collector unreachable" in swarm.log(), timeout=60 * SLOW, interval=0.5,
                   what="the agents to find nsca down")
        time.sleep(8)
        spool = os.path.join(workdir, "spool")
        spooled = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool))
        assert spooled > 10_000, f"only {spooled} bytes spooled while nsca was down"
        nsca.start()

        def every():
            seen = {(m.group(2), m.group(3)) for m in map(LINE.match, lines(nsca)) if m}
            return seen >= {(h, c) for h in hosts for c in CHECKS}
        wait_until(every, timeout=90 * SLOW, interval=1, what="a result per peer and check via nsca")
        time.sleep(2)

        code = swarm.stop(signal.SIGTERM, timeout=30 * SLOW)
        assert code == 0, swarm.log()[-2000:]
        log = swarm.log()
        out = re.search(r"agent outbox: submitted (\d+), sent (\d+), rejected (\d+), "
                        r"dropped \(spool full\) (\d+), left in spool (\d+)", log)
        assert out, log[-3000:]
        submitted, sent, rejected, dropped, left = map(int, out.groups())
        assert rejected == 0 and dropped == 0 and submitted == sent + left, out.group(0)
        # nsca writes each packet as it reads it; give it a moment after the last send.
        wait_until(lambda: len(lines(nsca)) >= sent, timeout=10, interval=0.2, what="nsca's last lines")
        got = lines(nsca)
        assert all(LINE.match(l) for l in got), [l for l in got if not LINE.match(l)][:3]
        assert len(got) == sent, f"agents sent {sent}, nsca wrote {len(got)}"
        assert len(set(got)) == len(got), "a result written twice"
        print(f"agents via stock nsca: {spooled} bytes spooled while it was down; {sent} sent, "
              f"{len(got)} written, none twice")
    finally:
        swarm.close()
        if nsca.proc:
            nsca.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
