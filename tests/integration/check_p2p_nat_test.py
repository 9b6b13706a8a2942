"""check_p2p_nat black-box on loopback (no root needed): against a
`p2pmon-probe stun-server` with an alternate address on 127.0.0.2 the path
is open (OK, or --unexpected-state with another --expect); TCP reachability
of a listening and a closed port; --warn-on-change through a state file;
a server without an alternate address is UNKNOWN; a port where nobody
answers is CRITICAL (UDP blocked); bad usage is UNKNOWN; -h and -V exit 3.
Starts and stops its own server by pid."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

from p2pmon_support import PLUGINS, PROBE, free_port, stop_process

CHECK = os.path.join(PLUGINS, "check_p2p_nat")


def run(*args, timeout=60):
    p = subprocess.run([CHECK, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout


def start_server(*args):
    p = subprocess.Popen([PROBE, "stun-server", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    m = re.match(r"STUN server on 127\.0\.0\.1:(\d+)", line)
    if not m:
        stop_process(p, signal.SIGKILL, 10, "stun-server")
        raise AssertionError(f"stun-server did not start: {line!r}")
    return p, m.group(1)


def main():
    workdir = tempfile.mkdtemp(prefix="p2pmon-natcheck-")
    state = os.path.join(workdir, "state")
    server, port = start_server("--listen", "127.0.0.1:0", "--alt-listen", "127.0.0.2:0")
    single, single_port = start_server("--listen", "127.0.0.1:0")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    open_port, closed_port = listener.getsockname()[1], free_port()
    try:
        code, out = run("-H", "127.0.0.1", "-p", port, "--expect", "open", "--warn-on-change",
                        "--state-file", state)
        assert code == 0, out
        assert re.match(r"P2P_NAT OK - open \(mapping endpoint_independent, filtering "
                        r"endpoint_independent\), mapped 127\.0\.0\.1:\d+, hairpinning \| "
                        r"time=[0-9.]+ms;;;0\n$", out), out
        assert open(state).read() == "open\n"

        code, out = run("-H", "127.0.0.1", "-p", port, "--expect", "full_cone,symmetric")
        assert code == 1 and ", expected full_cone,symmetric |" in out, out
        code, out = run("-H", "127.0.0.1", "-p", port, "--expect", "full_cone",
                        "--unexpected-state", "critical")
        assert code == 2 and out.startswith("P2P_NAT CRITICAL - open"), out

        with open(state, "w") as f:
            f.write("symmetric\n")
        code, out = run("-H", "127.0.0.1", "-p", port, "--warn-on-change", "--state-file", state)
        assert code == 1 and "changed from symmetric" in out, out
        assert open(state).read() == "open\n"

        code, out = run("-H", "127.0.0.1", "-p", port, "--tcp-port", str(open_port), "--no-hairpin")
        assert code == 0 and f", TCP {open_port} reachable" in out and "tcp_reachable=1;;;0;1" in out, out
        code, out = run("-H", "127.0.0.1", "-p", port, "--tcp-port", str(open_port), "--tcp-port",
                        str(closed_port), "--tcp-state", "critical", "-v")
        assert code == 2 and f"TCP not reachable: {closed_port} refused" in out, out
        assert "mapping X1 (primary): 127.0.0.1:" in out, out

        code, out = run("-H", "127.0.0.1", "-p", single_port)
        assert code == 3 and out.startswith("P2P_NAT UNKNOWN - NAT type undetermined via "), out
        code, out = run("-H", "127.0.0.1", "-p", single_port, "--tcp-port", str(open_port))
        assert code == 3, out

        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        code, out = run("-H", "127.0.0.1", "-p", str(silent.getsockname()[1]))
        silent.close()
        assert code == 2 and out.startswith("P2P_NAT CRITICAL - UDP blocked: no STUN answer"), out

        for args, why in ((["-p", port], "-H host is required"),
                          (["-H", "127.0.0.1", "--expect", "cone"], "'cone' is not a NAT type"),
                          (["-H", "127.0.0.1", "-p", "0"], "-p must be 1..65535"),
                          (["-H", "127.0.0.1", "--tcp-port", "1", "--tcp-port", "2", "--tcp-port", "3",
                            "--tcp-port", "4", "--tcp-port", "5"], "at most 4 ports"),
                          (["-H", "127.0.0.1", "--unexpected-state", "bad"], "--unexpected-state"),
                          (["-H", "127.0.0.1", "--bogus"], "bad usage")):
            code, out = run(*args)
            assert code == 3 and out.startswith("P2P_NAT UNKNOWN - ") and why in out, (args, out)
        code, out = run("-h")
        assert code == 3 and "Usage: check_p2p_nat" in out, out
        code, out = run("-V")
        assert code == 3 and out.startswith("check_p2p_nat "), out
    finally:
        listener.close()
        for p in (server, single):
            stop_process(p, signal.SIGTERM, 10, "stun-server")
            p.stdout.close()
        subprocess.run(["rm", "-rf", workdir])
    print("check_p2p_nat black-box: all cases right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
