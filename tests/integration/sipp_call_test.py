"""A call through the overlay with SIPp (Debian `sip-tester`): SIPp
registers bob's phone through peer A, a SIPp UAS is that phone, and a SIPp
UAC calls sip:bob@localhost through peer B. The INVITE/180/200/ACK/BYE
scenario must complete on both sides, with A and B in the Record-Route
that both ends see (the scenarios check it) and the ACK and BYE taking the
route set through both peers. Free ports, 127.0.0.1, SIPp's files in a
temporary directory; every process stopped by its pid."""

import os
import shutil
import subprocess
import tempfile

from p2pmon_support import (PEER, Swarm, free_port, ring_problem, stop_process, wait_for_binary,
                            wait_until)

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "sipp")
DOMAIN = "localhost"


def scenario_file(workdir, name, rr=None):
    """The scenario, with the Record-Route expressions written in."""
    with open(os.path.join(SCENARIOS, name)) as f:
        text = f.read()
    for i, expr in enumerate(rr or [], start=1):
        text = text.replace(f"@RR{i}@", expr)
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sipp(workdir, scenario, *args, remote=None):
    cmd = ["sipp"]
    if remote:
        cmd.append(remote)
    cmd += ["-sf", scenario, "-i", "127.0.0.1", "-p", str(free_port()),
            "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
            "-trace_err", "-set", "domain", DOMAIN, *args]
    return subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def errors(workdir):
    out = []
    for name in sorted(os.listdir(workdir)):
        if name.endswith("_errors.log"):
            with open(os.path.join(workdir, name), errors="replace") as f:
                out.append(f"{name}:\n{f.read()[-3000:]}")
    return "\n".join(out)


def finish(proc, what, workdir, timeout=40):
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(proc, 9, 5, what)
        raise AssertionError(f"{what} did not finish within {timeout}s\n{errors(workdir)}")
    assert code == 0, f"{what} exit {code}: {proc.stderr.read()[-2000:]}\n{errors(workdir)}"


def test_call(a, b):
    workdir = tempfile.mkdtemp(prefix="p2pmon-it-sipp-")
    uas = None
    try:
        rr = [a.sip.replace(".", r"\.") + ";lr", b.sip.replace(".", r"\.") + ";lr"]
        uas_port = free_port()
        uas_cmd_port = ["-p", str(uas_port)]
        uas = subprocess.Popen(
            ["sipp", "-sf", scenario_file(workdir, "uas.xml", rr), "-i", "127.0.0.1",
             *uas_cmd_port, "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "40s",
             "-timeout_error", "-trace_err"],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        reg = sipp(workdir, scenario_file(workdir, "register.xml"), "-s", "bob", "-set", "contact",
                   f"sip:bob@127.0.0.1:{uas_port}", "-set", "expires", "300", remote=a.sip)
        finish(reg, "SIPp REGISTER", workdir)
        print("ok: SIPp registered sip:bob@localhost through peer A")
        uac = sipp(workdir, scenario_file(workdir, "uac.xml", rr), "-s", "bob", remote=b.sip)
        finish(uac, "SIPp UAC", workdir)
        finish(uas, "SIPp UAS", workdir)
        uas = None
        print("ok: SIPp UAC -> peer B -> peer A -> SIPp UAS: INVITE/180/200/ACK/BYE completed, "
              "both peers in the Record-Route on both sides")
    finally:
        if uas is not None and uas.poll() is None:
            stop_process(uas, 9, 5, "SIPp UAS")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    assert shutil.which("sipp"), "sipp is missing (Debian sip-tester; make test installs it)"
    assert wait_for_binary(PEER, timeout=60), f"{PEER} is not built (target p2pmon-peer)"
    with Swarm(size=5, stabilize_ms=200,
               args=["--sip-listen", "127.0.0.1:0", "--domain", DOMAIN]) as swarm:
        a, b = swarm.peers[1], swarm.peers[4]
        ids = [p.node_id for p in swarm.peers]
        wait_until(lambda: ring_problem(a.address, ids) is None, timeout=60, interval=0.5,
                   what="a consistent ring of 5 peers")
        test_call(a, b)
        assert swarm.stop() == 0, swarm.log()[-3000:]
