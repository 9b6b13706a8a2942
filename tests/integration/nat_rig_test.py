"""NAT kinds built in network namespaces (the topology and nftables rules of
../shared/rigs/nat_rig.sh, with names of this test's own): client -> NAT
gateway -> server with two IPs. For each kind, `p2pmon-probe nat` from the
private side against `p2pmon-probe stun-server` (two addresses) and against
coturn's turnserver must report the kind built, and agree with Debian's
stun-client (vovida, run against the p2pmon server) and with coturn's
turnutils_natdiscovery. Needs root; skipped (exit 77) only where
namespaces cannot be created. Cleans up its namespaces and processes (by
pid) whatever happens."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from p2pmon_support import BUILD_DIR, stop_process, wait_until

PROBE = os.path.join(BUILD_DIR, "probes", "p2pmon-probe")
TAG = f"p2n{os.getpid() % 100000}"
CLI, GW, SRV = TAG + "c", TAG + "g", TAG + "s"
PRIV, GWLAN, GWWAN, S1, S2 = "192.168.77.2", "192.168.77.1", "203.0.113.1", "203.0.113.10", "203.0.113.11"

NAT_PRE = f"chain pre {{ type nat hook prerouting priority dstnat; iif wan0 ip daddr {GWWAN} meta l4proto udp dnat to {PRIV}; }}"
NAT_POST_1TO1 = f"chain post {{ type nat hook postrouting priority srcnat; oif wan0 ip saddr {PRIV} meta l4proto udp snat to {GWWAN}; }}"
RULES = {
    "open": "",
    "fullcone": NAT_PRE + "\n" + NAT_POST_1TO1,
    # filter state per mapping (mapped port, remote IP), as in the rig
    "restricted": NAT_PRE + "\n" + NAT_POST_1TO1 + """
      set contacted { type inet_service . ipv4_addr; flags dynamic,timeout; timeout 60s; }
      chain filt { type filter hook forward priority filter; policy drop;
        iif lan0 meta l4proto udp update @contacted { udp sport . ip daddr } accept
        iif lan0 accept
        iif wan0 ct state established,related accept
        iif wan0 meta l4proto udp udp dport . ip saddr @contacted accept
      }""",
    "portrestricted": "chain post { type nat hook postrouting priority srcnat; oif wan0 masquerade; }",
    "symmetric": "chain post { type nat hook postrouting priority srcnat; oif wan0 masquerade random; }",
    "blocked": """chain post { type nat hook postrouting priority srcnat; oif wan0 masquerade; }
      chain filt { type filter hook forward priority filter; meta l4proto udp drop
      }""",
}
EXPECTED = {  # p2pmon type, (mapping, filtering) as natdiscovery names them
    "open": ("open", ("endpoint_independent", "endpoint_independent")),
    "fullcone": ("full_cone", ("endpoint_independent", "endpoint_independent")),
    "restricted": ("restricted_cone", ("endpoint_independent", "address_dependent")),
    "portrestricted": ("port_restricted_cone", ("endpoint_independent", "address_port_dependent")),
    "symmetric": ("symmetric", ("address_port_dependent", "address_port_dependent")),
    "blocked": ("blocked", None),
}
# stun-client's exit code, low nibble (shared/reference/voip_nat.md §2.2)
VOVIDA = {0x00: "open", 0x02: "full_cone", 0x04: "restricted_cone", 0x06: "port_restricted_cone",
          0x08: "symmetric", 0x0A: "symmetric_firewall", 0x0C: "blocked"}
NATDISC = [("Endpoint Independent Mapping", 0, "endpoint_independent"),
           ("Address Dependent Mapping", 0, "address_dependent"),
           ("Address and Port Dependent Mapping", 0, "address_port_dependent"),
           ("Endpoint Independent Filtering", 1, "endpoint_independent"),
           ("Address Dependent Filtering", 1, "address_dependent"),
           ("Address and Port Dependent Filtering", 1, "address_port_dependent")]


def sh(*args, check=True, timeout=20):
    return subprocess.run(list(args), check=check, timeout=timeout, capture_output=True, text=True)


def ns(name, *args, **kw):
    return sh("ip", "netns", "exec", name, *args, **kw)


def cleanup():
    for n in (CLI, GW, SRV):
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


def setup(mode):
    cleanup()
    for n in (CLI, GW, SRV):
        sh("ip", "netns", "add", n)
    sh("ip", "link", "add", "c0", "netns", CLI, "type", "veth", "peer", "name", "lan0", "netns", GW)
    sh("ip", "link", "add", "wan0", "netns", GW, "type", "veth", "peer", "name", "s0", "netns", SRV)
    for n in (CLI, GW, SRV):
        sh("ip", "-n", n, "link", "set", "lo", "up")
    sh("ip", "-n", CLI, "addr", "add", PRIV + "/24", "dev", "c0")
    sh("ip", "-n", CLI, "link", "set", "c0", "up")
    sh("ip", "-n", CLI, "route", "add", "default", "via", GWLAN)
    sh("ip", "-n", GW, "addr", "add", GWLAN + "/24", "dev", "lan0")
    sh("ip", "-n", GW, "addr", "add", GWWAN + "/24", "dev", "wan0")
    sh("ip", "-n", GW, "link", "set", "lan0", "up")
    sh("ip", "-n", GW, "link", "set", "wan0", "up")
    for a in (S1, S2):
        sh("ip", "-n", SRV, "addr", "add", a + "/24", "dev", "s0")
    sh("ip", "-n", SRV, "link", "set", "s0", "up")
    ns(GW, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    if mode == "open":
        sh("ip", "-n", SRV, "route", "add", "192.168.77.0/24", "via", GWWAN)
    subprocess.run(["ip", "netns", "exec", GW, "nft", "-f", "-"], check=True, timeout=20,
                   input=f"table ip rig {{\n{RULES[mode]}\n}}\n", text=True)


def start_servers(workdir, mode):
    procs = []
    out = open(os.path.join(workdir, f"{mode}.stun-server.log"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", SRV, PROBE, "stun-server", "--listen", f"{S1}:3478",
                          "--alt-listen", f"{S2}:3479"], stdout=subprocess.PIPE, stderr=out, text=True)
    procs.append(p)
    line = p.stdout.readline()
    assert "STUN server on" in line, line
    log = open(os.path.join(workdir, f"{mode}.turnserver.log"), "w")
    procs.append(subprocess.Popen(
        ["ip", "netns", "exec", SRV, "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--no-tcp",
         "-L", S1, "-L", S2, "-p", "3480", "--alt-listening-port", "3481", "--no-auth", "-r", "rig",
         "--log-file", "stdout", "--simple-log", "--pidfile", os.path.join(workdir, "turnserver.pid")],
        stdout=log, stderr=subprocess.STDOUT))
    wait_until(lambda: "3481" in sh("ip", "netns", "exec", SRV, "ss", "-uln").stdout, timeout=10,
               what="turnserver listening")
    return procs


def probe(port):
    p = ns(CLI, PROBE, "nat", "--server", f"{S1}:{port}", "--json", check=False, timeout=60)
    return json.loads(p.stdout), p.returncode


def natdiscovery():
    p = ns(CLI, "turnutils_natdiscovery", "-m", "-f", "-p", "3480", S1, check=False, timeout=60)
    got = [None, None]
    for text, i, value in NATDISC:
        if re.search(f"NAT with {text}!", p.stdout):
            got[i] = value
    return None if got == [None, None] else tuple(got)


def run_mode(mode, workdir):
    setup(mode)
    procs = start_servers(workdir, mode)
    try:
        want, want_behaviour = EXPECTED[mode]
        ours, rc = probe(3478)
        theirs, rc2 = probe(3480)
        vovida = ns(CLI, "stun", S1, "-p", "40000", check=False, timeout=60).returncode
        disc = natdiscovery()
        print(f"{mode}: p2pmon server {ours['type']}, coturn {theirs['type']}, "
              f"stun-client {VOVIDA.get(vovida & 0x0E, hex(vovida))}, natdiscovery {disc}")
        for name, report, code in (("p2pmon server", ours, rc), ("coturn", theirs, rc2)):
            assert report["type"] == want, f"{mode} via {name}: {report}"
            assert code == (2 if mode == "blocked" else 0), f"{mode} via {name}: exit {code}"
            if want_behaviour and mode != "open":
                assert (report["mapping"], report["filtering"]) == want_behaviour, report
        assert VOVIDA.get(vovida & 0x0E) == want, f"{mode}: stun-client exit {vovida:#x}"
        assert disc == want_behaviour, f"{mode}: natdiscovery {disc}"
        if mode != "blocked":
            assert (ours["mapping"], ours["filtering"]) == (theirs["mapping"], theirs["filtering"])
    finally:
        for p in procs:
            stop_process(p, signal.SIGTERM, 10, "server")
    stats = json.loads(procs[0].stdout.readline() or "{}")
    assert stats.get("answered", 0) > 0 or mode == "blocked", stats
    procs[0].stdout.close()


def main():
    if os.geteuid() != 0:
        print("SKIP: network namespaces need root")
        return 77
    try:
        sh("ip", "netns", "add", CLI)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"SKIP: cannot create network namespaces here: {getattr(e, 'stderr', e)}")
        return 77
    finally:
        cleanup()
    modes = sys.argv[1:] or ["open", "fullcone", "restricted", "portrestricted", "symmetric", "blocked"]
    workdir = tempfile.mkdtemp(prefix="p2pmon-nat-")
    try:
        for mode in modes:
            run_mode(mode, workdir)
    finally:
        cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print("nat rig: all kinds agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
