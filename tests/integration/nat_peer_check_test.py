"""check_p2p_nat against the STUN server a p2pmon-peer runs (--stun-listen
with --stun-alt-listen), through real NAT kinds built in network namespaces
(the topology and rules of nat_rig_test.py, and full cone, restricted and
port-restricted with the rig's HAIRPIN=1 rules). For each kind: the type,
the exit code and the status line; --expect with --unexpected-state;
--warn-on-change across kinds through a state file; hairpinning seen only
where the NAT hairpins, as Debian's stun-client sees it; TCP reachability
of a private peer's SIP port; the binding lifetime against a conntrack UDP
timeout set to 3 s; the peer's diagnostics name its STUN and RTP ports.
Needs root; exit 77 where namespaces cannot be made. Cleans up its
namespaces and processes (by pid)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import nat_rig_test as rig
from p2pmon_support import BUILD_DIR, PLUGINS, stop_process

PEER = os.path.join(BUILD_DIR, "overlay-agent", "p2pmon-peer")
PROBE = os.path.join(BUILD_DIR, "probes", "p2pmon-probe")
CHECK = os.path.join(PLUGINS, "check_p2p_nat")
STUN_PORT, ALT_PORT, RTP_PORT = 3482, 3483, 5004

# The rig's HAIRPIN=1 rules (shared/rigs/nat_rig.sh): a packet from the LAN
# to the public address is sent back in (dnat) and masqueraded.
HAIRPIN = (f"chain hpre {{ type nat hook prerouting priority dstnat; iif lan0 ip daddr {rig.GWWAN} "
           f"meta l4proto udp dnat to {rig.PRIV}; }}\n"
           f"chain hpost {{ type nat hook postrouting priority srcnat; oif lan0 ip saddr {rig.PRIV} "
           f"ip daddr {rig.PRIV} masquerade; }}")
for base in ("fullcone", "restricted", "portrestricted"):
    rig.RULES[base + "+hp"] = rig.RULES[base] + "\n" + HAIRPIN
TYPES = {"open": "open", "fullcone": "full_cone", "restricted": "restricted_cone",
         "portrestricted": "port_restricted_cone", "symmetric": "symmetric", "blocked": "blocked"}
TYPES.update({k + "+hp": TYPES[k] for k in ("fullcone", "restricted", "portrestricted")})
HAIRPINS = {"open", "fullcone+hp", "restricted+hp", "portrestricted+hp"}


def start_peer(workdir, mode):
    log = open(os.path.join(workdir, f"{mode}.peer.log"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", rig.SRV, PEER, "--listen", f"{rig.S1}:6084",
                          "--stun-listen", f"{rig.S1}:{STUN_PORT}",
                          "--stun-alt-listen", f"{rig.S2}:{ALT_PORT}",
                          "--rtp-reflector", str(RTP_PORT)],
                         stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    want = (rf"peer [0-9a-f]{{32}} {re.escape(rig.S1)}:6084 stun={re.escape(rig.S1)}:{STUN_PORT} "
            rf"stun-alt={re.escape(rig.S2)}:{ALT_PORT} rtp={re.escape(rig.S1)}:{RTP_PORT}")
    if not re.fullmatch(want, line):
        stop_process(p, signal.SIGKILL, 10, "p2pmon-peer")
        raise AssertionError(f"peer line {line!r}, want {want}")
    assert p.stdout.readline().strip() == "ready 1 peers"
    return p


def check(*args, timeout=90):
    p = rig.ns(rig.CLI, CHECK, "-H", rig.S1, "-p", str(STUN_PORT), *args, check=False,
               timeout=timeout)
    return p.returncode, p.stdout


def run_mode(mode, workdir, state):
    rig.setup(mode)
    peer = start_peer(workdir, mode)
    try:
        want = TYPES[mode]
        if mode == "open":
            diag = json.loads(rig.ns(rig.SRV, PROBE, "diag", "--peer", f"{rig.S1}:6084").stdout)
            assert diag["services"] == {"sip": None, "stun": STUN_PORT, "rtp": RTP_PORT}, diag
        previous = open(state).read().strip() if os.path.exists(state) else None
        # UDP blocked is CRITICAL unless --expect lists it.
        expect = "open" if mode == "blocked" else want
        code, out = check("--expect", expect, "--warn-on-change", "--state-file", state)
        print(f"{mode}: exit {code}: {out.strip()}")
        if mode == "blocked":
            assert code == 2 and out.startswith("P2P_NAT CRITICAL - UDP blocked"), out
        elif previous is not None and previous != want:
            assert code == 1 and f"changed from {previous}" in out, out
        else:
            assert code == 0, out
        if mode != "blocked":
            assert out.startswith(f"P2P_NAT {'OK' if code == 0 else 'WARNING'} - {want} "), out
            assert re.search(r"\| time=[0-9.]+ms;;;0$", out.splitlines()[0]), out
            assert (", hairpinning" in out) == (mode in HAIRPINS), out
            # Debian's stun-client against the same server: bit 0x10 of its
            # exit code means "no hairpin" (shared/reference/voip_nat.md).
            vovida = rig.ns(rig.CLI, "stun", f"{rig.S1}:{STUN_PORT}", "-p", "40000", check=False,
                            timeout=60).returncode
            if mode != "open":
                assert bool(vovida & 0x10) == (mode not in HAIRPINS), f"{mode}: stun-client {vovida:#x}"
            code, again = check("--expect", want, "--warn-on-change", "--state-file", state)
            assert code == 0, again
        assert open(state).read().strip() == want
        if mode in ("open", "portrestricted"):
            tcp_reachability(mode, workdir)
        if mode == "portrestricted":
            code, out = check("--expect", "full_cone,restricted_cone", "--unexpected-state",
                              "critical", "--no-hairpin", "-v")
            assert code == 2 and "expected full_cone,restricted_cone" in out, out
            assert "mapping X1 (primary): 203.0.113.1:" in out, out
            lifetime(mode)
    finally:
        code = stop_process(peer, signal.SIGTERM, 10, "p2pmon-peer")
        peer.stdout.close()
    log = open(os.path.join(workdir, f"{mode}.peer.log")).read()
    assert code == 0, log[-2000:]
    m = re.search(r"media services: STUN requests (\d+), answered (\d+)", log)
    assert m and (int(m.group(2)) > 0 or mode == "blocked"), log[-2000:]


def tcp_reachability(mode, workdir):
    """A peer on the private side runs SIP over TCP on PRIV:5060; the STUN
    server connects back to the client's public IP: reachable without NAT,
    not through the NAT (no port forwarding). 5061 listens nowhere."""
    log = open(os.path.join(workdir, f"{mode}.client-peer.log"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", rig.CLI, PEER, "--listen", f"{rig.PRIV}:6084",
                          "--sip-listen", f"{rig.PRIV}:5060", "--domain", "nat.test"],
                         stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True)
    try:
        assert " sip=" in p.stdout.readline()
        code, out = check("--tcp-port", "5060", "--tcp-port", "5061", "--no-hairpin")
        print(f"{mode} tcp: exit {code}: {out.strip()}")
        if mode == "open":
            assert code == 1 and "TCP not reachable: 5061 refused" in out, out
            assert "tcp_reachable=1;;;0;2" in out, out
            code, out = check("--tcp-port", "5060", "--no-hairpin")
            assert code == 0 and ", TCP 5060 reachable" in out, out
        else:
            assert code == 1 and re.search(r"TCP not reachable: 5060 (refused|timeout), 5061", out), out
            assert "tcp_reachable=0;;;0;2" in out, out
    finally:
        stop_process(p, signal.SIGTERM, 10, "client p2pmon-peer")
        p.stdout.close()


def lifetime(mode):
    """The NAT forgets an idle mapping after the conntrack UDP timeouts."""
    for key in ("nf_conntrack_udp_timeout", "nf_conntrack_udp_timeout_stream"):
        rig.ns(rig.GW, "sysctl", "-qw", f"net.netfilter.{key}=3")
    code, out = check("--lifetime", "--lifetime-max", "8", "--no-hairpin", "-t", "80")
    print(f"{mode} lifetime: exit {code}: {out.strip()}")
    m = re.search(r"binding lifetime >= (\d+) s and < (\d+) s", out)
    assert code == 0 and m, out
    alive, dead = int(m.group(1)), int(m.group(2))
    assert 2 <= alive <= 3 and dead == alive + 1, out
    assert re.search(rf"lifetime={alive}s;;;0$", out.splitlines()[0]), out


def main():
    if os.geteuid() != 0:
        print("SKIP: network namespaces need root")
        return 77
    try:
        rig.sh("ip", "netns", "add", rig.CLI)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"SKIP: cannot create network namespaces here: {getattr(e, 'stderr', e)}")
        return 77
    finally:
        rig.cleanup()
    modes = sys.argv[1:] or ["open", "fullcone", "fullcone+hp", "restricted", "restricted+hp",
                             "portrestricted", "portrestricted+hp", "symmetric", "blocked"]
    workdir = tempfile.mkdtemp(prefix="p2pmon-natcheck-")
    try:
        state = os.path.join(workdir, "check_p2p_nat.state")
        for mode in modes:
            run_mode(mode, workdir, state)
    finally:
        rig.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print("check_p2p_nat through the peer's STUN server: every kind right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
