"""The ResultSink implementations through p2pmon-send: the NSCA sender talks
to the stock Debian nsca daemon (which writes Nagios command lines to a file)
and to p2pmon-collector, in both packet sizes; the HTTP sender posts to the
collector with its token and reports per-result refusals."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from p2pmon_support import BUILD_DIR, Collector, free_port, wait_until

SEND = os.path.join(BUILD_DIR, "plugins", "p2pmon-send")


def send(args, lines):
    return subprocess.run([SEND, *args], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=60)


def stock_nsca(workdir, password, method=1):
    port = free_port()
    cmd_file = os.path.join(workdir, "nsca.cmd")
    cfg = os.path.join(workdir, "nsca.cfg")
    open(cmd_file, "w").close()  # nsca writes to alternate_dump_file when it is missing
    with open(cfg, "w") as f:
        f.write(f"server_address=127.0.0.1\nserver_port={port}\ncommand_file={cmd_file}\n"
                f"alternate_dump_file={workdir}/dump\npid_file={workdir}/nsca.pid\n"
                f"append_to_file=1\naggregate_writes=0\nmax_packet_age=0\ndebug=0\n"
                f"decryption_method={method}\npassword={password}\n"
                f"nsca_user={os.getuid()}\nnsca_group={os.getgid()}\n")
    proc = subprocess.Popen(["nsca", "-f", "-c", cfg, "--single"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False
    wait_until(listening, what="stock nsca to listen")
    return proc, port, cmd_file


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.rstrip("\n") for l in f]


def test_nsca_sender_to_stock_nsca():
    workdir = tempfile.mkdtemp(prefix="p2pmon-sink-")
    proc, port, cmd_file = stock_nsca(workdir, "pw")
    try:
        now = time.time()
        results = [
            json.dumps({"host": "peer-a", "service": "sip_options", "state": 1,
                        "output": "SIP WARNING - slow\nsecond line", "perfdata": "rtt=120ms;100;200;0",
                        "time": now}),
            json.dumps({"host": "peer-a", "service": "", "state": 0, "output": "UP", "time": now}),
        ]
        p = send(["--nsca", f"127.0.0.1:{port}", "--password", "pw"], results)
        assert p.returncode == 0, p.stdout + p.stderr
        lines = wait_until(lambda: len(read_lines(cmd_file)) >= 2 and read_lines(cmd_file),
                           what="nsca to write the command file")
        bodies = [l.split("] ", 1)[1] for l in lines]
        assert bodies[0] == ("PROCESS_SERVICE_CHECK_RESULT;peer-a;sip_options;1;"
                             "SIP WARNING - slow | rtt=120ms;100;200;0\\nsecond line"), bodies
        assert bodies[1] == "PROCESS_HOST_CHECK_RESULT;peer-a;0;UP", bodies
        p = send(["--nsca", f"127.0.0.1:{port}", "--password", "pw", "--legacy", "--tab"],
                 ["legacy-h\tsvc\t2\tCRITICAL legacy | x=1", "legacy-h\tsvc2\t0\tOK"])
        assert p.returncode == 0, p.stdout + p.stderr
        wait_until(lambda: len(read_lines(cmd_file)) == 4, what="legacy packets")
        assert read_lines(cmd_file)[2].endswith(
            "PROCESS_SERVICE_CHECK_RESULT;legacy-h;svc;2;CRITICAL legacy | x=1")
        # A host name the NSCA packet cannot carry is refused before sending.
        p = send(["--nsca", f"127.0.0.1:{port}", "--password", "pw", "--tab"],
                 ["h" * 70 + "\tsvc\t0\tOK"])
        assert p.returncode == 1 and "name_too_long" in p.stderr, p.stderr
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    print("ok: NSCA sender -> stock nsca 2.10 (4304 and 720-byte packets)")


def test_senders_to_collector():
    with Collector(args=["--token", "tk", "--nsca-password", "pw"]) as c:
        p = send(["--nsca", f"127.0.0.1:{c.nsca_port}", "--password", "pw", "--tab"],
                 [f"n-h\ts{i}\t{i % 4}\tout {i} | v={i}" for i in range(50)])
        assert p.returncode == 0, p.stdout + p.stderr
        wait_until(lambda: c.status()["results_accepted"]["nsca"] == 50, what="NSCA sink results")
        assert c.get("/api/v1/hosts/n-h/services/s7")["perfdata"] == "v=7"
        good = json.dumps({"host": "h-h", "service": "s", "state": 2, "output": "CRIT"})
        bad = json.dumps({"host": "h-h", "service": "s;x", "state": 0, "output": "x"})
        p = send(["--http", c.http, "--token", "tk"], [good, bad])
        assert p.returncode == 1, p.stdout + p.stderr
        assert "result 2 (h-h/s;x) refused: bad_name" in p.stderr, p.stderr
        assert c.get("/api/v1/hosts/h-h/services/s")["state"] == 2
        p = send(["--http", c.http, "--token", "wrong"], [good])
        assert p.returncode == 2 and "auth" in p.stderr, p.stderr
        p = send(["--http", f"http://127.0.0.1:{free_port()}"], [good])
        assert p.returncode == 2 and "refused" in p.stderr, p.stderr
    print("ok: NSCA and HTTP senders -> collector, refusals and transport errors reported")


if __name__ == "__main__":
    test_nsca_sender_to_stock_nsca()
    test_senders_to_collector()
