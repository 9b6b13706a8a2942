#!/usr/bin/env python3
"""Helpers for bench/ingest.sh (Python standard library only): free ports,
bounded waits, end-to-end timing of one load run, send_nsca input files and
the final summary. Every wait is bounded; nothing here kills processes it
did not start."""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port(_args):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def wait_port(args):
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", args.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    sys.exit(f"port {args.port} not listening after {args.timeout}s")


def wait_line(args):
    """Prints the groups of the first line of FILE matching REGEX."""
    rx = re.compile(args.regex)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = rx.search(line)
                    if m:
                        print(" ".join(m.groups()))
                        return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    sys.exit(f"no line matching {args.regex!r} in {args.file} after {args.timeout}s")


class LineCounter:
    """Counts newlines in a growing file, reading only what is new."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.count = 0

    def __call__(self):
        while True:
            chunk = self.f.read(1 << 20)
            if not chunk:
                return self.count
            self.count += chunk.count(b"\n")


class StatusCounter:
    """results_accepted[transport] from the collector's /api/v1/status."""

    def __init__(self, url, transport):
        self.url = url.rstrip("/") + "/api/v1/status"
        self.transport = transport
        self.count = 0

    def __call__(self):
        try:
            with urllib.request.urlopen(self.url, timeout=5) as r:
                self.count = json.loads(r.read())["results_accepted"][self.transport]
        except (OSError, ValueError, KeyError):
            pass
        return self.count


TICK = os.sysconf("SC_CLK_TCK")


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
    total = sum(v[:8])  # guest time is already counted in user
    return (total - idle) / TICK, total / TICK


def process_cpu(pid):
    """CPU seconds used so far by process `pid` (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def busy_share(seconds):
    b0, t0 = machine_cpu()
    time.sleep(seconds)
    b1, t1 = machine_cpu()
    return (b1 - b0) / max(t1 - t0, 1e-9)


def wait_quiet(limit, max_wait):
    """Waits (bounded) until the machine is mostly idle before a run, since
    every figure here is CPU-bound; returns the busy share last seen."""
    deadline = time.monotonic() + max_wait
    share = busy_share(1.0)
    while share > limit and time.monotonic() < deadline:
        share = busy_share(1.0)
    return share


def quiet(args):
    share = wait_quiet(args.limit, args.max_wait)
    print(json.dumps({"busy_before": round(share, 3)}))


def measure(args):
    """Starts the load command and times until the server side has counted
    --expect results (end to end), polling every --interval seconds (each
    /api/v1/status poll costs the collector CPU, so not too often). Also
    reports how much CPU went to other work on the machine meanwhile
    (machine busy time minus the server's and the client's)."""
    counter = LineCounter(args.lines) if args.lines else StatusCounter(args.status, args.transport)
    busy_before = wait_quiet(args.quiet_limit, args.quiet_wait)
    base = counter()
    expect = base + args.expect
    server0 = process_cpu(args.server_pid) if args.server_pid else 0.0
    children0 = os.times()
    self0 = children0.user + children0.system
    machine0, total0 = machine_cpu()
    start = time.monotonic()
    proc = subprocess.Popen(args.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    client_done = None
    done_at = None
    last_change = start
    last = base
    deadline = start + args.timeout
    while True:
        now = time.monotonic()
        n = counter()
        if n != last:
            last, last_change = n, now
        if client_done is None and proc.poll() is not None:
            client_done = now
        if n >= expect:
            done_at = now
            break
        # Nothing arrives any more after the client finished: results were lost.
        if client_done is not None and now - last_change > args.stall:
            break
        if now > deadline:
            break
        time.sleep(args.interval)
    try:
        out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    if client_done is None:
        client_done = time.monotonic()
    machine1, total1 = machine_cpu()
    server_cpu = (process_cpu(args.server_pid) - server0) if args.server_pid else 0.0
    children1 = os.times()
    client_cpu = (children1.children_user + children1.children_system
                  - children0.children_user - children0.children_system)
    own_cpu = children1.user + children1.system - self0  # this poller
    other_cpu = max(0.0, (machine1 - machine0) - server_cpu - client_cpu - own_cpu)
    stored = last - base
    seconds = (done_at or time.monotonic()) - start
    client = None
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                client = json.loads(line)
            except ValueError:
                pass
    result = {
        "label": args.label,
        "expected": args.expect,
        "stored": stored,
        "complete": done_at is not None,
        "seconds": round(seconds, 4),
        "rate": round(stored / seconds, 1) if seconds > 0 else 0,
        "client_seconds": round(client_done - start, 4),
        "client_exit": proc.returncode,
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
        "poller_cpu_s": round(own_cpu, 2),
        # CPU taken by anything else on the machine during the run, as a
        # share of the machine's capacity (0.5 = one of two CPUs).
        "other_cpu_share": round(other_cpu / max(total1 - total0, 1e-9), 3),
        "busy_before": round(busy_before, 3),
    }
    if client is not None:
        result["client"] = client
    if proc.returncode != 0:
        result["client_stderr"] = err.decode(errors="replace")[-500:]
    print(json.dumps(result))


def null_sink(args):
    """An NSCA server that decodes nothing: sends the 132-byte init packet
    (zero IV), reads and discards, and appends one newline per complete
    4304-byte packet to --lines. Measures what the clients alone can do."""
    import selectors
    sel = selectors.DefaultSelector()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(128)
    srv.setblocking(False)
    sel.register(srv, selectors.EVENT_READ)
    init = bytes(128) + int(time.time()).to_bytes(4, "big")
    have = {}
    out = open(args.lines, "ab", buffering=0)
    while True:
        for key, _ in sel.select():
            if key.fileobj is srv:
                try:
                    c, _ = srv.accept()
                except BlockingIOError:
                    continue
                c.sendall(init)
                c.setblocking(False)
                have[c] = 0
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                data = c.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(c)
                c.close()
                del have[c]
                continue
            before = have[c] // 4304
            have[c] += len(data)
            n = have[c] // 4304 - before
            if n:
                out.write(b"\n" * n)


def sendnsca_input(args):
    """Writes --files inputs of --per-file ETB-separated records in
    p2pmon-nsca-loadgen's spread and wording (bench/nsca_loadgen.cpp)."""
    i = 0
    for f in range(args.files):
        parts = []
        for _ in range(args.per_file):
            h = (i // args.services) % args.hosts
            s = i % args.services
            k = h * args.services + s
            rc = 2 if k % 20 == 0 else (1 if k % 7 == 0 else 0)
            host = f"bench-node-{h}"
            out = (["OK", "WARNING", "CRITICAL"][rc] +
                   f" - overlay lookup via {host} took {10 + k % 90} ms"
                   f" | rtt={10 + k % 90}ms;100;200;0 hops={1 + k % 6};;;0 loss=0%;5;10;0;100")
            parts.append(f"{host}\tp2p-check-{s}\t{rc}\t{out}")
            i += 1
        with open(f"{args.prefix}{f}.in", "wb") as fh:
            fh.write(("\x17".join(parts) + "\x17").encode())


def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def get_times(args):
    """Reads curl's time_total lines (seconds) and prints ms statistics."""
    ms = [float(x) * 1000 for x in open(args.file).read().split()]
    print(json.dumps({"requests": len(ms), "median_ms": round(statistics.median(ms), 2),
                      "p95_ms": round(percentile(ms, 0.95), 2),
                      "min_ms": round(min(ms), 2), "max_ms": round(max(ms), 2)}))


DISTURBED = 0.10


def summary(args):
    runs = [json.loads(line) for line in open(args.results) if line.strip()]

    def pick(label):
        return [r for r in runs if r.get("label") == label]

    def med(label):
        rs = pick(label)
        rates = [r["rate"] for r in rs]
        return {"median": round(statistics.median(rates), 1) if rates else None,
                "runs": rates,
                "other": [r.get("other_cpu_share") for r in rs],
                "all_complete": all(r.get("complete", True) for r in rs),
                "median_seconds": round(statistics.median([r["seconds"] for r in rs]), 3)
                if rs else None}

    def ratio(a, b):
        return round(a / b, 2) if a and b else None

    lg_stock, lg_coll = med("loadgen/stock-nsca"), med("loadgen/collector")
    sn_stock, sn_coll = med("send_nsca/stock-nsca"), med("send_nsca/collector")
    sn_null = med("send_nsca/null-sink")
    http = med("http/collector")
    hosts = pick("hosts/get")
    hosts = hosts[-1] if hosts else {}
    out = {
        "results": args.n,
        "rounds": args.rounds,
        "nsca_loadgen": {"stock_nsca": lg_stock, "collector": lg_coll,
                         "ratio": ratio(lg_coll["median"], lg_stock["median"]),
                         "connections": args.connections, "per_connection": args.per_connection},
        "send_nsca": {"stock_nsca": sn_stock, "collector": sn_coll,
                      "ratio": ratio(sn_coll["median"], sn_stock["median"]),
                      "null_sink": sn_null,
                      "ceiling_ratio": ratio(sn_null["median"], sn_stock["median"]),
                      "processes": args.procs, "per_process": args.n // args.procs},
        "http_batches": {"collector": http, "batch": args.batch,
                         "connections": args.http_connections},
        "hosts_get": hosts,
        "machine": {"cpus": args.cpus, "load_start": args.load_start, "load_end": args.load_end},
    }
    goals = {
        "collector_ge_2x_stock_loadgen": (out["nsca_loadgen"]["ratio"] or 0) >= 2,
        "collector_ge_2x_stock_send_nsca": (out["send_nsca"]["ratio"] or 0) >= 2,
        "http_ge_100k_per_s": (http["median"] or 0) >= 100_000,
        "hosts_get_under_20ms": (hosts.get("p95_ms") or 1e9) < 20,
    }
    out["goals"] = goals

    def fmt(v):
        return "-" if v is None else f"{v:,.0f}"

    def runs_text(m):
        marks = ["*" if o is not None and o > DISTURBED else "" for o in m["other"]]
        return (" / ".join(fmt(x) + k for x, k in zip(m["runs"], marks)) +
                ("" if m["all_complete"] else "  (INCOMPLETE)"))

    print()
    print(f"== p2pmon ingest benchmark: {args.n:,} results, median of {args.rounds} run(s) ==")
    print(f"{'measurement':<52}{'results/s':>12}   runs")
    rows = [
        (f"NSCA loadgen ({args.connections} conn) -> stock nsca, file", lg_stock),
        (f"NSCA loadgen ({args.connections} conn) -> collector, SQLite", lg_coll),
        (f"send_nsca ({args.procs} procs) -> stock nsca, file", sn_stock),
        (f"send_nsca ({args.procs} procs) -> collector, SQLite", sn_coll),
        (f"send_nsca ({args.procs} procs) -> null sink (ceiling)", sn_null),
        (f"HTTP JSON, {args.http_connections} conn x batches of {args.batch} -> collector", http),
    ]
    for name, m in rows:
        print(f"{name:<52}{fmt(m['median']):>12}   {runs_text(m)}")
    print(f"{'ratio collector/stock, loadgen':<52}{out['nsca_loadgen']['ratio'] or '-':>12}")
    print(f"{'ratio collector/stock, send_nsca':<52}{out['send_nsca']['ratio'] or '-':>12}")
    print(f"{'ratio null sink/stock, send_nsca (ceiling)':<52}{out['send_nsca']['ceiling_ratio'] or '-':>12}")
    if hosts:
        print(f"GET /api/v1/hosts, {hosts.get('hosts', '?')} hosts, {hosts.get('requests')} requests: "
              f"median {hosts.get('median_ms')} ms, p95 {hosts.get('p95_ms')} ms, "
              f"{hosts.get('bytes', '?')} bytes")
    if any(o is not None and o > DISTURBED for _, m in rows for o in m["other"]):
        print(f"* other work on the machine took more than {DISTURBED:.0%} of its CPU during that "
              "run (other_cpu_share in BENCH_JSON); such figures are low")
    print("goals: " + ", ".join(f"{k}={'met' if v else 'MISSED'}" for k, v in goals.items()))
    print("BENCH_JSON " + json.dumps(out, separators=(",", ":")))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    sub.add_parser("free-port").set_defaults(fn=free_port)
    s = sub.add_parser("wait-port")
    s.add_argument("port", type=int)
    s.add_argument("--timeout", type=float, default=10)
    s.set_defaults(fn=wait_port)
    s = sub.add_parser("wait-line")
    s.add_argument("file")
    s.add_argument("regex")
    s.add_argument("--timeout", type=float, default=10)
    s.set_defaults(fn=wait_line)
    s = sub.add_parser("measure")
    s.add_argument("--label", required=True)
    s.add_argument("--expect", type=int, required=True)
    s.add_argument("--lines")
    s.add_argument("--status")
    s.add_argument("--transport", default="nsca")
    s.add_argument("--timeout", type=float, default=300)
    s.add_argument("--stall", type=float, default=5)
    s.add_argument("--interval", type=float, default=0.05)
    s.add_argument("--server-pid", type=int)
    s.add_argument("--quiet-limit", type=float, default=0.15)
    s.add_argument("--quiet-wait", type=float, default=30)
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s.set_defaults(fn=measure)
    s = sub.add_parser("quiet")
    s.add_argument("--limit", type=float, default=0.15)
    s.add_argument("--max-wait", type=float, default=30)
    s.set_defaults(fn=quiet)
    s = sub.add_parser("null-sink")
    s.add_argument("port", type=int)
    s.add_argument("--lines", required=True)
    s.set_defaults(fn=null_sink)
    s = sub.add_parser("sendnsca-input")
    s.add_argument("--prefix", required=True)
    s.add_argument("--files", type=int, required=True)
    s.add_argument("--per-file", type=int, required=True)
    s.add_argument("--hosts", type=int, default=1000)
    s.add_argument("--services", type=int, default=5)
    s.set_defaults(fn=sendnsca_input)
    s = sub.add_parser("get-times")
    s.add_argument("file")
    s.set_defaults(fn=get_times)
    s = sub.add_parser("summary")
    s.add_argument("results")
    for name in ("n", "rounds", "connections", "per_connection", "procs", "batch",
                 "http_connections", "cpus"):
        s.add_argument("--" + name.replace("_", "-"), type=int, required=True)
    s.add_argument("--load-start", default="")
    s.add_argument("--load-end", default="")
    s.set_defaults(fn=summary)
    args = p.parse_args()
    if getattr(args, "cmd", None) and args.cmd[0] == "--":
        args.cmd = args.cmd[1:]
    args.fn(args)


if __name__ == "__main__":
    main()
