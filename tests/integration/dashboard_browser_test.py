"""The operators' dashboard in a real browser (Debian's Chromium, driven by
playwright-core from the build's web-npm/): p2pmon-collector serving the
bundle at /, a 29-peer swarm plus one separate peer process whose agents
push every few seconds, a STUN server for their NAT check, and crawls
posted with p2pmon-crawl --collector, as `make demo` runs them.
dashboard_browser.mjs checks the overview against the API, the ring (every
crawled peer drawn), a click on a peer opening its page with its charts,
and, without a reload, the separate peer turning red in the ring after it
is killed and the overlay crawled again; no console errors. Screenshots go
to the build directory (dashboard-*.png). Exit 77 (skipped) without
/usr/bin/chromium. Free ports, bounded waits; only its own processes are
stopped, by pid."""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from p2pmon_support import (BUILD_DIR, Collector, Swarm, start_stun_server, stop_process,
                            wait_until)

CHROMIUM = "/usr/bin/chromium"
CRAWL = os.path.join(BUILD_DIR, "probes", "p2pmon-crawl")
NODE = shutil.which("node") or shutil.which("nodejs")
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboard_browser.mjs")
PLAYWRIGHT = os.path.join(BUILD_DIR, "web-npm", "node_modules", "playwright-core")
WEB_ROOT = os.path.join(BUILD_DIR, "web")
SWARM = 29
INTERVALS = {"peer_health": 3, "sip_options": 3, "dht_lookup": 3, "rtp_quality": 4,
             "nat_behaviour": 8}
SLOW = 3 if os.environ.get("P2PMON_BUILD_DIR", "").rstrip("/").endswith("asan") else 1


def agent_args(collector, stun, spool):
    args = ["--rtp-reflector", "0", "--domain", "dash.test", "--agent-collector", collector.http,
            "--agent-stun", stun, "--agent-spool", spool, "--agent-rtp-duration", "0.3",
            "--agent-rtp-concurrency", "4", "--agent-flush-ms", "500"]
    for check, seconds in INTERVALS.items():
        args += ["--agent-interval", f"{check}={seconds}"]
    return args


def crawl(boot, url, *extra):
    p = subprocess.run([CRAWL, "-b", boot, "--collector", url, "-q", *extra],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def read_line(proc, timeout):
    """One line of the browser script's stdout, or None at EOF/deadline (select: bounded)."""
    deadline = time.monotonic() + timeout
    line = b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            break
        ch = os.read(fd, 1)
        if not ch:
            return None
        if ch == b"\n":
            return line.decode()
        line += ch
    return None


def main():
    if not os.access(CHROMIUM, os.X_OK):
        print(f"skipped: {CHROMIUM} missing (scripts/install-deps.sh test installs chromium)")
        return 77
    assert NODE, "node is missing (scripts/install-deps.sh installs nodejs)"
    assert os.path.isdir(PLAYWRIGHT), f"{PLAYWRIGHT} missing: build the web_dashboard target"
    assert os.path.isfile(os.path.join(WEB_ROOT, "index.html")), f"{WEB_ROOT} has no bundle"

    work = tempfile.mkdtemp(prefix="p2pmon-dash-")
    stun, stun_addr = start_stun_server()
    collector = Collector(workdir=work, args=["--web-root", WEB_ROOT])
    swarm = single = browser = None
    try:
        collector.start()
        url = collector.http
        swarm = Swarm(size=SWARM, stabilize_ms=500, workdir=work, name="swarm",
                      args=["--sip-base-port", "0"] +
                      agent_args(collector, stun_addr, os.path.join(work, "spool"))
                      ).start(timeout=90 * SLOW)
        single = Swarm(bootstrap=[swarm.first], stabilize_ms=500, workdir=work, name="single",
                       args=["--sip-listen", "127.0.0.1:0"] +
                       agent_args(collector, stun_addr, os.path.join(work, "spool-single"))
                       ).start(timeout=60 * SLOW)
        boot = swarm.first.address
        peers = swarm.peers + single.peers
        hosts = sorted(f"peer-{p.node_id[:8]}" for p in peers)
        victim = f"peer-{single.first.node_id[:8]}"

        def consistent():
            p = subprocess.run([CRAWL, "-b", boot, "--json", "-", "-q"], capture_output=True,
                               text=True, timeout=60)
            doc = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
            return doc and doc["ring"]["consistent"] and doc["ring"]["reachable"] == len(peers)
        wait_until(consistent, timeout=120 * SLOW, interval=1.0, what="a consistent ring of 30")
        code, out, err = crawl(boot, url)
        assert code == 0, (code, out, err)

        # Charts need a few points: every host with its checks, twice.
        def charted():
            for h in hosts:
                for svc in ("sip_options", "rtp_quality", "dht_lookup"):
                    try:
                        hist = collector.get(f"/api/v1/results?host={h}&service={svc}&limit=2")
                    except Exception:
                        return False
                    if len(hist["results"]) < 2:
                        return False
            return True
        wait_until(charted, timeout=120 * SLOW, interval=2.0, what="two results per host and check")
        code, out, err = crawl(boot, url)  # a second crawl: churn and history have two points
        assert code == 0, (code, out, err)

        env = dict(os.environ, DASH_URL=url, DASH_OUT=BUILD_DIR, DASH_VICTIM=victim,
                   DASH_PEERS=str(len(peers)), DASH_PLAYWRIGHT=PLAYWRIGHT,
                   DASH_CHROMIUM=CHROMIUM, DASH_PROFILE=os.path.join(work, "chromium-profile"))
        browser = subprocess.Popen([NODE, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=sys.stderr, env=env)
        killed = False
        deadline = time.monotonic() + 300 * SLOW
        while time.monotonic() < deadline:
            line = read_line(browser, deadline - time.monotonic())
            if line is None:
                break
            print(f"browser: {line}", flush=True)
            if line == "KILL" and not killed:
                # The separate peer dies; crawl at once, while its neighbours still name it.
                single.kill()
                killed = True
                code, out, err = crawl(boot, url, "--attempts", "1", "--timeout", "300")
                assert code in (1, 2), (code, out, err)
                latest = collector.get("/api/v1/crawls/latest?peers=false")
                assert latest["unreachable"] >= 1, latest
                browser.stdin.write(b"GO\n")
                browser.stdin.flush()
        code = stop_process(browser, signal.SIGTERM, 20, "dashboard_browser.mjs")
        browser = None
        assert killed, "the browser script never asked for the kill"
        assert code == 0, f"dashboard_browser.mjs failed with exit code {code}"
    finally:
        if browser is not None:
            stop_process(browser, signal.SIGKILL, 10, "dashboard_browser.mjs")
        for s in (single, swarm):
            if s is not None:
                s.close()
        collector.close()
        stop_process(stun, signal.SIGTERM, 10, "stun-server")
        shutil.rmtree(work, ignore_errors=True)
    print("dashboard: overview, ring, peer page and a dead peer live in Chromium; screenshots in",
          BUILD_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
