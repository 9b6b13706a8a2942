#!/usr/bin/env python3
"""The generated Nagios configuration end to end with Debian's nagios4: a
swarm of 9 peers plus one peer in a process of its own, their agents pushing
every 3 s to the collector, which forwards to Nagios' command file; a crawl
posted with p2pmon-crawl --collector; `p2pmon-collector --write-nagios-config`
(idempotent, the same bytes as GET /api/v1/nagios/objects.cfg); `nagios4 -v`;
Nagios running the active check_p2p_sip/check_p2p_lookup/check_p2p_overlay
against the swarm; status.dat with every peer host and service in the
collector's state; then the lone peer is killed and goes CRITICAL in Nagios:
its active checks fail and its passive services go stale through freshness
and check_p2p_result. Only its own processes, by pid; every wait bounded."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from nagios_forward_test import NAGIOS, nagios_main_cfg, read_status, start_nagios, stop_nagios
from p2pmon_support import (BUILD_DIR, COLLECTOR, PLUGINS, Collector, Swarm, free_port,
                            wait_until)

CRAWL = os.path.join(BUILD_DIR, "probes", "p2pmon-crawl")
SWARM_PEERS = 9
INTERVAL = 3  # agent checks, seconds
AGENT_CHECKS = ("peer_health", "sip_options", "dht_lookup")
SLOW = 3 if os.environ.get("P2PMON_BUILD_DIR", "").rstrip("/").endswith("asan") else 1
T0 = time.monotonic()


def step(msg):
    print(f"[{time.monotonic() - T0:5.1f}s] {msg}", flush=True)


def run(*cmd, timeout=60):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


# What every Nagios site has and the generated file leaves to it: a contact,
# a time period and the templates the generated ones inherit from
# (--nagios-host-template site-host --nagios-service-template site-service).
SITE = """\
define timeperiod {
  timeperiod_name  24x7
  alias            always
  sunday     00:00-24:00
  monday     00:00-24:00
  tuesday    00:00-24:00
  wednesday  00:00-24:00
  thursday   00:00-24:00
  friday     00:00-24:00
  saturday   00:00-24:00
}
define command {
  command_name  notify-nobody
  command_line  /bin/true
}
define contact {
  contact_name                   nobody
  host_notifications_enabled     0
  service_notifications_enabled  0
  host_notification_period       24x7
  service_notification_period    24x7
  host_notification_options      n
  service_notification_options   n
  host_notification_commands     notify-nobody
  service_notification_commands  notify-nobody
}
define host {
  name                   site-host
  register               0
  contacts               nobody
  check_period           24x7
  notification_period    24x7
  notifications_enabled  0
}
define service {
  name                   site-service
  register               0
  contacts               nobody
  check_period           24x7
  notification_period    24x7
  notifications_enabled  0
}
"""


def nagios_cfg(d, objects):
    """nagios.cfg with every path in d; interval_length=1 makes intervals seconds."""
    site = os.path.join(d, "site.cfg")
    with open(site, "w") as f:
        f.write(SITE)
    return nagios_main_cfg(d, [site, objects], """\
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
accept_passive_service_checks=1
accept_passive_host_checks=1
execute_service_checks=1
execute_host_checks=1
check_service_freshness=1
service_freshness_check_interval=1
check_host_freshness=0
additional_freshness_latency=2
service_check_timeout=30
enable_notifications=0
enable_event_handlers=0
enable_flap_detection=0
process_performance_data=0
log_rotation_method=n
use_syslog=0
log_passive_checks=0
log_external_commands=0
log_initial_states=0
check_for_updates=0
check_workers=2
illegal_object_name_chars=`~!$%^&*|'"<>?,()=
illegal_macro_output_chars=`~$&|'"<>
""")


def history_counts(col, host):
    out = {}
    for c in AGENT_CHECKS:
        doc = col.get(f"/api/v1/results?host={host}&service={c}&limit=10")
        out[c] = len(doc["results"])
    return out


def collector_states(col, hosts):
    """{(host, service): state} of the collector's current results."""
    out = {}
    for h in hosts:
        for s in col.get(f"/api/v1/hosts/{h}/services")["services"]:
            if s["service"]:
                out[(h, s["service"])] = s["state"]
    return out


def generated_objects(text):
    """(hosts, {(host, service): check_command}) defined in the generated file."""
    hosts, services = set(), {}
    for kind, body in re.findall(r"^define (host|service) \{\n(.*?)^\}", text, re.M | re.S):
        fields = dict(re.findall(r"^  (\S+)\s+(.*)$", body, re.M))
        if "register" in fields:
            continue
        if kind == "host":
            hosts.add(fields["host_name"])
        else:
            services[(fields["host_name"], fields["service_description"])] = fields["check_command"]
    return hosts, services


def main():
    for binary in (COLLECTOR, CRAWL, NAGIOS):
        assert os.access(binary, os.X_OK), f"missing {binary}"
    d = tempfile.mkdtemp(prefix="p2pmon-nagios-e2e-")
    fifo = os.path.join(d, "nagios.cmd")
    conf_dir = os.path.join(d, "conf.d")
    http_port = free_port()
    url = f"http://127.0.0.1:{http_port}"
    nagios_opts = ["--nagios-plugin-dir", os.path.abspath(PLUGINS), "--nagios-collector-url", url,
                   "--nagios-host-template", "site-host", "--nagios-service-template", "site-service"]
    col = swarm = victim = nagios = None
    ok = False
    try:
        step("1. collector (forwarding to the command file Nagios will create), swarm and lone peer")
        col = Collector(workdir=d, http_port=http_port,
                        args=["--nagios-command-file", fifo] + nagios_opts).start()
        agent = ["--agent-collector", col.http, "--agent-flush-ms", "300",
                 "--agent-checks", ",".join(AGENT_CHECKS)]
        for c in AGENT_CHECKS:
            agent += ["--agent-interval", f"{c}={INTERVAL}"]
        swarm = Swarm(size=SWARM_PEERS, stabilize_ms=300, workdir=d, name="swarm",
                      args=["--sip-base-port", "0", "--domain", "e2e.test"] + agent).start()
        victim = Swarm(bootstrap=[swarm.first], stabilize_ms=300, workdir=d, name="victim",
                       args=["--sip-listen", "127.0.0.1:0", "--domain", "e2e.test"] + agent).start()
        peers = swarm.peers + victim.peers
        hosts = sorted(f"peer-{p.node_id[:8]}" for p in peers)
        lone = f"peer-{victim.first.node_id[:8]}"
        assert len(set(hosts)) == SWARM_PEERS + 1

        step("2. every peer's agent reports each check at least 4 times (intervals inferable)")
        last = {}

        def reported():
            for h in hosts:
                try:
                    last[h] = history_counts(col, h)
                except Exception:  # noqa: BLE001 - 404 until the host's first result
                    return False
                if min(last[h].values()) < 4:
                    return False
            return True
        try:
            wait_until(reported, timeout=120 * SLOW, interval=1, what="4 results per peer and check")
        except AssertionError as e:
            raise AssertionError(f"{e}: {last}; swarm log: {swarm.log()[-1500:]}") from None

        step("3. a crawl posted to the collector (p2p_lookup fetches the agents' canaries)")
        code, out, err = run(CRAWL, "-b", swarm.first.address, "--collector", url, "-q")
        assert code == 0, (code, out, err)
        crawl = col.get("/api/v1/crawls/latest")
        assert crawl["reachable"] == SWARM_PEERS + 1, crawl

        step("4. --write-nagios-config: written, then unchanged; the same bytes as the API")
        # A host name Nagios cannot take (the collector accepts it): left out, reported.
        code, body = col.request("POST", "/api/v1/results", {
            "host": "odd host", "service": "peer_health", "state": 0, "output": "PEER OK - odd"})
        assert code == 200, (code, body)
        gen = [COLLECTOR, "--db", col.db, "--http-listen", f"127.0.0.1:{http_port}",
               "--write-nagios-config", conf_dir] + nagios_opts
        code, out, err = run(*gen)
        assert code == 0 and " written: " in out, (code, out, err)
        assert "left out host 'odd host': not a Nagios host name" in err, err
        cfg_file = os.path.join(conf_dir, "p2pmon.cfg")
        with open(cfg_file) as f:
            text = f.read()
        before = os.stat(cfg_file)
        code, out, err = run(*gen)
        assert code == 0 and " unchanged: " in out, (code, out, err)
        after = os.stat(cfg_file)
        assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
        with urllib.request.urlopen(url + "/api/v1/nagios/objects.cfg", timeout=30) as r:
            assert r.headers["Content-Type"].startswith("text/plain"), r.headers
            api_text = r.read().decode()
        assert api_text == text, "GET /api/v1/nagios/objects.cfg differs from the written file"
        code, out, err = run(COLLECTOR, "--db", os.path.join(d, "nope.db"),
                             "--write-nagios-config", conf_dir)
        assert code == 1 and "no database" in err, (code, out, err)
        defined_hosts, services = generated_objects(text)
        assert defined_hosts == set(hosts) | {"p2p-overlay"}, defined_hosts ^ set(hosts)
        assert text.split("\n\n")[0].endswith("; 1 left out"), text[:400]
        for h in hosts:
            for c in AGENT_CHECKS + ("overlay_neighbours",):
                assert services[(h, c)].startswith("p2pmon_check_p2p_result!"), (h, c)
            assert services[(h, "p2p_sip")] == "p2pmon_check_p2p_sip", h
            assert services[(h, "p2p_lookup")] == "p2pmon_check_p2p_lookup_canary!p2pmon", h
            assert services[(h, "peer_health")] == f"p2pmon_check_p2p_result!{3 * INTERVAL}"
        assert services[("p2p-overlay", "p2p_overlay")].startswith("p2pmon_check_p2p_overlay!p2pmon!")
        step(f"   {len(defined_hosts)} hosts, {len(services)} services in {cfg_file}")

        step("5. nagios4 -v, then nagios4")
        cfg, paths = nagios_cfg(d, cfg_file)
        v = subprocess.run([NAGIOS, "-v", cfg], capture_output=True, text=True, timeout=60)
        assert v.returncode == 0 and "Total Errors:   0" in v.stdout, v.stdout + v.stderr
        warnings = re.search(r"Total Warnings:\s+(\d+)", v.stdout)
        step(f"   nagios4 -v: 0 errors, {warnings.group(1) if warnings else '?'} warnings")
        nagios = start_nagios(cfg, d)
        wait_until(lambda: os.path.exists(fifo) or nagios.poll() is not None, timeout=60,
                   what="Nagios' command FIFO")
        assert nagios.poll() is None, open(os.path.join(d, "nagios.stdout")).read()

        step("6. status.dat: every host and service, in the collector's state")
        status = paths["status.dat"]
        seen = {}

        def consistent():
            st = read_status(status)
            if not st:
                return False
            want = collector_states(col, hosts)
            bad = []
            for h in hosts:
                if ("hoststatus", h, None) not in st:
                    bad.append((h, "host missing"))
                for (host, svc) in services:
                    if host != h:
                        continue
                    blk = st.get(("servicestatus", h, svc))
                    if blk is None or blk.get("has_been_checked") != "1":
                        bad.append((h, svc, "not checked"))
                    elif svc in ("p2p_sip", "p2p_lookup"):
                        if blk["current_state"] != "0":
                            bad.append((h, svc, blk["plugin_output"]))
                    elif int(blk["current_state"]) != want.get((h, svc)):
                        bad.append((h, svc, blk["current_state"], want.get((h, svc))))
            ov = st.get(("servicestatus", "p2p-overlay", "p2p_overlay"), {})
            if ov.get("current_state") != "0":
                bad.append(("p2p-overlay", ov.get("plugin_output")))
            seen["bad"] = bad
            return not bad
        try:
            wait_until(consistent, timeout=90 * SLOW, interval=1, what="status.dat to agree")
        except AssertionError as e:
            raise AssertionError(f"{e}: {seen['bad'][:8]}") from None
        st = read_status(status)
        step(f"   {len(hosts)} peer hosts, {len(services)} services agree; e.g. "
             f"{st[('servicestatus', lone, 'p2p_lookup')]['plugin_output']!r}")

        step(f"7. kill {lone} (its own process): CRITICAL in Nagios")
        victim.kill()
        killed = time.monotonic()
        expect_critical = ("p2p_sip", "p2p_lookup") + AGENT_CHECKS
        shown = {}

        def critical():
            st = read_status(status) or {}
            for svc in expect_critical:
                blk = st.get(("servicestatus", lone, svc), {})
                shown[svc] = (blk.get("current_state"), blk.get("plugin_output"))
            return all(s == "2" for s, _ in shown.values())
        try:
            wait_until(critical, timeout=60 * SLOW, interval=1, what=f"{lone} CRITICAL")
        except AssertionError as e:
            raise AssertionError(f"{e}: {shown}") from None
        for svc in AGENT_CHECKS:
            assert shown[svc][1].startswith("P2P_RESULT CRITICAL - last result for"), shown[svc]
        step(f"   after {time.monotonic() - killed:.0f}s: " +
             "; ".join(f"{s}: {o}" for s, (_, o) in sorted(shown.items())))
        assert nagios.poll() is None, "nagios4 died"
        ok = True
    finally:
        stop_nagios(nagios)
        for proc in (victim, swarm):
            if proc is not None:
                proc.kill()
        if col is not None and col.proc is not None:
            col.kill()
        if not ok:
            for name in ("collector.log", "nagios.stdout", "nagios.log"):
                path = os.path.join(d, name)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        print(f"--- {name} (tail)\n{f.read()[-2500:]}", file=sys.stderr)
        if os.environ.get("P2PMON_KEEP_TMP"):
            print(f"kept {d}", file=sys.stderr)
        else:
            shutil.rmtree(d, ignore_errors=True)
    step("PASS")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
