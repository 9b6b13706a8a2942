"""The collector's HTTP side: results ingest with per-result rejections, the
bearer token, the size bound, NRDP submission, the read API, /metrics, and
durability: what was acknowledged survives SIGKILL, SIGTERM flushes NSCA
results, retention prunes old history."""

import gzip
import json
import os
import signal
import time
import urllib.parse
import urllib.request

from p2pmon_support import Collector, send_nsca, wait_until

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def result(host, service, state=0, output="OK", perfdata="", t=None):
    r = {"host": host, "service": service, "state": state, "output": output, "perfdata": perfdata}
    if t is not None:
        r["time"] = t
    return r


def test_token_and_batches():
    with Collector(args=["--token", TOKEN, "--max-body-mb", "1"]) as c:
        code, body = c.request("POST", "/api/v1/results", result("h", "s"))
        assert code == 401, (code, body)
        code, _ = c.request("POST", "/api/v1/results", result("h", "s"),
                            headers={"Authorization": "Bearer wrong"})
        assert code == 401
        assert c.get("/api/v1/hosts")["hosts"] == []  # nothing got in
        batch = [result("h1", "sip_options", 1, "SIP WARNING - slow", "rtt=120ms;100;200;0"),
                 result("h1", "bad;svc"),
                 {"host": "h2", "service": "s", "state": 7, "output": "x"},
                 result("h2", "s", 2, "CRIT\nlong line 1\nlong line 2", "a=1 b=2c")]
        code, body = c.request("POST", "/api/v1/results", batch, headers=AUTH)
        assert code == 200, (code, body)
        reply = json.loads(body)
        assert reply["accepted"] == 2, reply
        assert [(r["index"], r["code"]) for r in reply["rejected"]] == [(1, "bad_name"), (2, "bad_state")]
        # A 200 means committed: readable at once.
        svc = c.get("/api/v1/hosts/h2/services/s")
        assert svc["state"] == 2 and svc["output"] == "CRIT\nlong line 1\nlong line 2", svc
        # All rejected: 400 with the reasons.
        code, body = c.request("POST", "/api/v1/results", [result("", "s")], headers=AUTH)
        assert code == 400 and json.loads(body)["rejected"][0]["code"] == "missing_host"
        code, body = c.request("POST", "/api/v1/results", b"{not json", headers=AUTH)
        assert code == 400 and json.loads(body)["error"] == "bad_json"
        big = [result("h", "s", output="x" * 1000)] * 1500  # ~1.6 MB > 1 MiB
        code, body = c.request("POST", "/api/v1/results", big, headers=AUTH)
        assert code == 413, code
        st = c.status()
        assert st["results_accepted"]["http"] == 2
        assert st["results_rejected"]["http"]["bad_name"] == 1
    print("ok: token, per-result rejections, 400 and 413")


def test_read_api_and_metrics():
    with Collector() as c:
        now = time.time()
        batch = [result("peer-1", "sip_options", 0, "SIP OK", f"rtt={i}ms;50;200;0", now - 100 + i)
                 for i in range(10)]
        batch += [result("peer-2", "rtp_quality", 2, "RTP CRITICAL", "mos=2.1;3.6;3.1", now)]
        code, _ = c.request("POST", "/api/v1/results", batch)
        assert code == 200
        hosts = {h["host"]: h for h in c.get("/api/v1/hosts")["hosts"]}
        assert hosts["peer-1"]["worst_state"] == 0 and hosts["peer-2"]["worst_state"] == 2
        assert abs(hosts["peer-2"]["last_check"] - now) < 0.01
        services = c.get("/api/v1/hosts/peer-1/services")["services"]
        assert len(services) == 1 and services[0]["perfdata"] == "rtt=9ms;50;200;0"
        assert "last_state_change" in services[0]
        hist = c.get("/api/v1/results?host=peer-1&service=sip_options&limit=3")["results"]
        assert [r["perfdata"] for r in hist] == [f"rtt={i}ms;50;200;0" for i in (9, 8, 7)]
        since = c.get(f"/api/v1/results?host=peer-1&since={now - 95}")["results"]
        assert len(since) == 5
        m = c.get("/api/v1/metrics?host=peer-1&service=sip_options&label=rtt")["series"]
        assert m[0]["uom"] == "ms" and [p[1] for p in m[0]["points"]] == list(range(10))
        code, body = c.request("GET", "/api/v1/results?limit=zero")
        assert code == 400
        code, _ = c.request("GET", "/api/v1/hosts/nobody/services")
        assert code == 404
        code, body = c.request("GET", "/metrics")
        text = body.decode()
        assert 'p2pmon_collector_results_accepted_total{transport="http"} 11' in text, text
        assert 'p2pmon_collector_services{state="critical"} 1' in text
        st = c.status()
        assert st["database_bytes"] > 0 and st["uptime_seconds"] > 0 and st["hosts"] == 2
        # Browsers accept brotli; they get gzip (httplib's brotli is quality 11: slow).
        req = urllib.request.Request(c.http + "/api/v1/hosts",
                                     headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.headers["Content-Encoding"] == "gzip", r.headers
            assert json.loads(gzip.decompress(r.read()))["hosts"][0]["host"] == "peer-1"
        req = urllib.request.Request(c.http + "/api/v1/hosts", headers={"Accept-Encoding": "br"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.headers["Content-Encoding"] is None
            assert json.loads(r.read())["hosts"][0]["host"] == "peer-1"
    print("ok: hosts, services, history filters, metrics, /metrics, /status, gzip not brotli")


def nrdp(c, **params):
    body = urllib.parse.urlencode(params).encode()
    code, reply = c.request("POST", "/nrdp/", body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert code == 200, code
    return reply


def test_nrdp():
    with Collector(args=["--token", TOKEN]) as c:
        doc = {"checkresults": [
            {"checkresult": {"type": "service"}, "hostname": "nrdp-h", "servicename": "svc",
             "state": "1", "output": "WARNING - nrdp | x=5;3;8"},
            {"checkresult": {"type": "host"}, "hostname": "nrdp-h", "state": "0", "output": "UP"}]}
        reply = json.loads(nrdp(c, token=TOKEN, cmd="submitcheck", json=json.dumps(doc)))
        assert reply == {"result": {"status": 0, "message": "OK",
                                    "meta": {"output": "2 checks processed"}}}, reply
        svc = c.get("/api/v1/hosts/nrdp-h/services/svc")
        assert svc["state"] == 1 and svc["perfdata"] == "x=5;3;8"
        reply = json.loads(nrdp(c, token="bad", cmd="submitcheck", json=json.dumps(doc)))
        assert reply["result"] == {"status": -1, "message": "BAD TOKEN"}, reply
        reply = json.loads(nrdp(c, token=TOKEN, cmd="submitcheck", json="{oops"))
        assert reply["result"]["message"] == "BAD JSON"
        hello = json.loads(nrdp(c, cmd="hello"))
        assert hello["response"]["status"] == 0
        assert c.status()["results_accepted"]["nrdp"] == 2
    print("ok: NRDP submitcheck, bad token, bad JSON, hello")


def count_history(c, host):
    return len(c.get(f"/api/v1/results?host={host}&limit=10000")["results"])


def test_durability():
    c = Collector(args=["--nsca-encryption", "0"])
    c.start()
    try:
        acked = 0
        for b in range(20):
            batch = [result(f"dur-{b % 4}", f"s{i}", i % 4, f"r{b}-{i}") for i in range(500)]
            code, body = c.request("POST", "/api/v1/results", batch)
            assert code == 200
            acked += json.loads(body)["accepted"]
        c.kill()  # SIGKILL right after the acknowledgements
        c.start()
        assert sum(count_history(c, f"dur-{h}") for h in range(4)) == acked == 10000
        # SIGTERM right after NSCA results: they are flushed, not lost.
        p = send_nsca(c.nsca_port, [("term-h", f"s{i}", 0, "ok") for i in range(200)], method=0)
        assert p.returncode == 0
        assert c.stop(signal.SIGTERM) == 0
        c.start()
        assert count_history(c, "term-h") == 200
    finally:
        c.close()
    print("ok: 10000 acknowledged results survive SIGKILL; SIGTERM flushes NSCA results")


def test_retention():
    c = Collector()
    c.start()
    try:
        code, _ = c.request("POST", "/api/v1/results", [result("old", "s", t=time.time() - 5)])
        assert code == 200
        c.stop()
        # Three seconds of retention: "old" is older by then; "new" stays
        # younger than that even on a loaded machine (a sanitizer run).
        time.sleep(3.2)
        c.args = ["--retention-days", str(3.0 / 86400)]
        c.start()
        code, _ = c.request("POST", "/api/v1/results", [result("new", "s")])
        wait_until(lambda: count_history(c, "old") == 0, what="retention to prune")
        assert count_history(c, "new") == 1
        assert c.get("/api/v1/hosts/old/services/s")["output"] == "OK"  # current state stays
    finally:
        c.close()
    print("ok: retention prunes old history, keeps current state")


if __name__ == "__main__":
    test_token_and_batches()
    test_read_api_and_metrics()
    test_nrdp()
    test_durability()
    test_retention()
