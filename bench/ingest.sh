#!/usr/bin/env bash
# Ingest benchmark (prints figures, asserts nothing): the same N results
# through NSCA to the stock nsca daemon (plain command file) and to
# p2pmon-collector (SQLite commits), with p2pmon-nsca-loadgen and with the
# real send_nsca, side by side and alternating; then N results as HTTP JSON
# batches; then GET /api/v1/hosts with 10,000 hosts in the store.
# Everything runs on 127.0.0.1 on free ports in a temporary directory; only
# processes started here are stopped (by pid). See bench/README.md.
#
# Usage: bench/ingest.sh BUILD_DIR        (make bench does this)
# Environment (all optional):
#   P2PMON_BENCH_RESULTS=100000  P2PMON_BENCH_ROUNDS=3
#   P2PMON_BENCH_CONNECTIONS=4   P2PMON_BENCH_PER_CONNECTION=1000
#   P2PMON_BENCH_SENDNSCA_PROCS=10  P2PMON_BENCH_HTTP_BATCH=1000
#   P2PMON_BENCH_HTTP_CONNECTIONS=4  P2PMON_BENCH_KEEP=1 (keep the temp dir)
#   P2PMON_BENCH_ONLY=http (only the HTTP JSON runs: no NSCA, no GET hosts)
set -euo pipefail

BUILD=${1:?usage: bench/ingest.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
UTIL="python3 $HERE/ingest_util.py"

N=${P2PMON_BENCH_RESULTS:-100000}
ROUNDS=${P2PMON_BENCH_ROUNDS:-3}
CONNS=${P2PMON_BENCH_CONNECTIONS:-4}
PER_CONN=${P2PMON_BENCH_PER_CONNECTION:-1000}
PROCS=${P2PMON_BENCH_SENDNSCA_PROCS:-10}
BATCH=${P2PMON_BENCH_HTTP_BATCH:-1000}
HTTP_CONNS=${P2PMON_BENCH_HTTP_CONNECTIONS:-4}
ONLY=${P2PMON_BENCH_ONLY:-}
case "$ONLY" in ''|http) ;; *) echo "ingest.sh: P2PMON_BENCH_ONLY must be empty or http" >&2; exit 2;; esac
HOSTS=1000           # distinct hosts in the NSCA and HTTP loads (x SERVICES)
SERVICES=5
GET_HOSTS=10000      # hosts in the store for the GET /api/v1/hosts timing
GET_REQUESTS=50
PASSWORD=p2pmon-bench
NSCA_BIN=${NSCA_BIN:-/usr/sbin/nsca}
SEND_NSCA_BIN=${SEND_NSCA_BIN:-/usr/sbin/send_nsca}

COLLECTOR=$BUILD/collector/p2pmon-collector
NSCA_LOADGEN=$BUILD/bench/p2pmon-nsca-loadgen
HTTP_LOADGEN=$BUILD/bench/p2pmon-http-loadgen
for f in "$COLLECTOR" "$NSCA_LOADGEN" "$HTTP_LOADGEN" "$NSCA_BIN" "$SEND_NSCA_BIN"; do
  [ -x "$f" ] || { echo "ingest.sh: missing $f (build first; make bench installs nsca)" >&2; exit 2; }
done
if (( N % PROCS != 0 )); then echo "ingest.sh: results must divide by send_nsca processes" >&2; exit 2; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/p2pmon-bench.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [ "${P2PMON_BENCH_KEEP:-0}" = 1 ]; then echo "ingest.sh: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started here (by pid) and forgets it.
stop_pid() {
  local pid=$1 keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

RESULTS=$TMP/results.jsonl
: >"$RESULTS"
log() { printf '%s\n' "$*" >&2; }

# --- servers -----------------------------------------------------------------
# Stock nsca 2.10 as Debian ships it (single-process poll loop, XOR), except
# that the command file is a plain file appended to instead of Nagios' FIFO.
# Sets NSCA_PID, NSCA_PORT, NSCA_CMD.
start_stock_nsca() {
  local dir=$TMP/nsca.$1
  mkdir -p "$dir"
  NSCA_PORT=$($UTIL free-port)
  NSCA_CMD=$dir/nsca.cmd
  : >"$NSCA_CMD"
  cat >"$dir/nsca.cfg" <<EOF
pid_file=$dir/nsca.pid
server_address=127.0.0.1
server_port=$NSCA_PORT
debug=0
command_file=$NSCA_CMD
alternate_dump_file=$dir/nsca.dump
aggregate_writes=0
append_to_file=1
max_packet_age=30
password=$PASSWORD
decryption_method=1
EOF
  "$NSCA_BIN" -c "$dir/nsca.cfg" -f --single >"$dir/nsca.log" 2>&1 &
  NSCA_PID=$!
  PIDS+=("$NSCA_PID")
  $UTIL wait-port "$NSCA_PORT" --timeout 10
}

# A fresh collector with an empty database. Sets COLL_PID, COLL_URL, COLL_NSCA_PORT.
start_collector() {
  local dir=$TMP/collector.$1
  mkdir -p "$dir"
  "$COLLECTOR" --db "$dir/p2pmon.db" --nsca-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --nsca-password "$PASSWORD" --nsca-encryption 1 --log-level warning \
    >"$dir/stdout" 2>"$dir/stderr" </dev/null &
  COLL_PID=$!
  PIDS+=("$COLL_PID")
  local ports
  ports=$($UTIL wait-line "$dir/stdout" 'HTTP API on (http://[0-9.]+:[0-9]+)/.*NSCA on [0-9.]+:([0-9]+)' \
    --timeout 10) || { cat "$dir/stderr" >&2; exit 1; }
  COLL_URL=${ports% *}
  COLL_NSCA_PORT=${ports#* }
}

# --- measurements ----------------------------------------------------------
# Each appends one JSON line (label, stored, seconds, rate, ...) to $RESULTS.
record() { tee -a "$RESULTS" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
c = "" if r["complete"] else "  INCOMPLETE: %d of %d stored" % (r["stored"], r["expected"])
print("  %-24s %8.0f results/s  (%.3f s end to end, client done after %.3f s; cpu: server %.2f s,"
      " client %.2f s, other work %.0f%% of the machine)%s"
      % (r["label"], r["rate"], r["seconds"], r["client_seconds"], r["server_cpu_s"],
         r["client_cpu_s"], 100 * r["other_cpu_share"], c), file=sys.stderr)'; }

LOADGEN_ARGS=(--results "$N" --connections "$CONNS" --per-connection "$PER_CONN"
  --password "$PASSWORD" --encryption 1 --hosts "$HOSTS" --services "$SERVICES")

run_loadgen_stock() {
  start_stock_nsca "lg$1"
  $UTIL measure --label loadgen/stock-nsca --expect "$N" --lines "$NSCA_CMD" --server-pid "$NSCA_PID" -- \
    "$NSCA_LOADGEN" --target "127.0.0.1:$NSCA_PORT" "${LOADGEN_ARGS[@]}" | record
  stop_pid "$NSCA_PID"
}

run_loadgen_collector() {
  start_collector "lg$1"
  $UTIL measure --label loadgen/collector --expect "$N" --status "$COLL_URL" --server-pid "$COLL_PID" -- \
    "$NSCA_LOADGEN" --target "127.0.0.1:$COLL_NSCA_PORT" "${LOADGEN_ARGS[@]}" | record
  stop_pid "$COLL_PID"
}

# send_nsca: PROCS processes started together, each sending N/PROCS
# ETB-separated records on its one connection (a burst of agents reporting
# at once). Inputs are written beforehand; send_nsca's own cost (it fills
# every packet with rand() bytes) is part of the figure for both servers.
SENDNSCA_CFG=$TMP/send_nsca.cfg
printf 'password=%s\nencryption_method=1\n' "$PASSWORD" >"$SENDNSCA_CFG"
$UTIL sendnsca-input --prefix "$TMP/send_nsca." --files "$PROCS" --per-file $((N / PROCS)) \
  --hosts "$HOSTS" --services "$SERVICES"
SENDNSCA_RUN=$TMP/send_nsca_all.sh
cat >"$SENDNSCA_RUN" <<EOF
#!/bin/sh
# \$1: port. Starts all send_nsca processes, waits for every one of them.
pids=""
for i in \$(seq 0 $((PROCS - 1))); do
  "$SEND_NSCA_BIN" -H 127.0.0.1 -p "\$1" -to 60 -c "$SENDNSCA_CFG" --quiet <"$TMP/send_nsca.\$i.in" &
  pids="\$pids \$!"
done
rc=0
for p in \$pids; do wait \$p || rc=1; done
exit \$rc
EOF
chmod +x "$SENDNSCA_RUN"

run_sendnsca_stock() {
  start_stock_nsca "sn$1"
  $UTIL measure --label send_nsca/stock-nsca --expect "$N" --lines "$NSCA_CMD" --server-pid "$NSCA_PID" -- \
    "$SENDNSCA_RUN" "$NSCA_PORT" | record
  stop_pid "$NSCA_PID"
}

run_sendnsca_collector() {
  start_collector "sn$1"
  $UTIL measure --label send_nsca/collector --expect "$N" --status "$COLL_URL" --server-pid "$COLL_PID" -- \
    "$SENDNSCA_RUN" "$COLL_NSCA_PORT" | record
  stop_pid "$COLL_PID"
}

# The same send_nsca load against a server that only counts packets: what
# the send_nsca processes themselves can do on this machine (the ceiling
# for any server in the send_nsca figures).
run_sendnsca_null() {
  local dir=$TMP/null.$1 port
  mkdir -p "$dir"
  port=$($UTIL free-port)
  : >"$dir/packets"
  $UTIL null-sink "$port" --lines "$dir/packets" 2>"$dir/stderr" &
  local pid=$!
  PIDS+=("$pid")
  $UTIL wait-port "$port" --timeout 10
  $UTIL measure --label send_nsca/null-sink --expect "$N" --lines "$dir/packets" --server-pid "$pid" -- \
    "$SENDNSCA_RUN" "$port" | record
  stop_pid "$pid"
}

run_http() {
  start_collector "http$1"
  # The loadgen times itself; a 200 means committed, so its time is end to end.
  $UTIL measure --label http/collector --expect "$N" --status "$COLL_URL" --transport http \
    --server-pid "$COLL_PID" --interval 0.25 -- \
    "$HTTP_LOADGEN" --url "$COLL_URL" --results "$N" --batch "$BATCH" \
    --connections "$HTTP_CONNS" --hosts "$HOSTS" --services "$SERVICES" |
    python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
c = r.get("client") or {}
if c.get("rate"):
    # The loadgen clock: first request sent .. last commit acknowledged.
    r["rate"], r["seconds"] = c["rate"], c["seconds"]
r["complete"] = r["complete"] and c.get("accepted") == r["expected"]
print(json.dumps(r))' | record
  stop_pid "$COLL_PID"
}

run_hosts_get() {
  start_collector hosts
  log "  populating $GET_HOSTS hosts x $SERVICES services over HTTP"
  "$HTTP_LOADGEN" --url "$COLL_URL" --results $((GET_HOSTS * SERVICES)) --batch "$BATCH" \
    --connections "$HTTP_CONNS" --hosts "$GET_HOSTS" --services "$SERVICES" >"$TMP/populate.json"
  local url=$COLL_URL/api/v1/hosts times=$TMP/get_times.txt bytes
  bytes=$(curl -sf --max-time 10 "$url" | wc -c)  # warm-up, and the size
  $UTIL quiet >/dev/null
  : >"$times"
  for _ in $(seq "$GET_REQUESTS"); do
    curl -sf --max-time 10 -o /dev/null -w '%{time_total}\n' "$url" >>"$times"
  done
  $UTIL get-times "$times" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
r.update(label="hosts/get", hosts='"$GET_HOSTS"', bytes='"$bytes"')
print(json.dumps(r))' | tee -a "$RESULTS" >/dev/null
  python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readlines()[-1]); print("  GET /api/v1/hosts: median %.2f ms, p95 %.2f ms (%d requests, %d bytes)" % (r["median_ms"], r["p95_ms"], r["requests"], r["bytes"]), file=sys.stderr)' "$RESULTS"
  stop_pid "$COLL_PID"
}

# --- run -----------------------------------------------------------------------
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
log "p2pmon ingest benchmark: $N results, $ROUNDS round(s), $(nproc) CPUs, load average $LOAD_START, temp dir $TMP"
log "  nsca: $("$NSCA_BIN" --help 2>&1 | sed -n 's/^Version: //p'), collector: $("$COLLECTOR" --version)"
for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS"
  if [ "$ONLY" = http ]; then run_http "$r"; continue; fi
  # Alternate which server goes first, so neither always gets the warmer cache.
  if (( r % 2 == 1 )); then
    run_loadgen_stock "$r"; run_loadgen_collector "$r"
    run_sendnsca_stock "$r"; run_sendnsca_collector "$r"
  else
    run_loadgen_collector "$r"; run_loadgen_stock "$r"
    run_sendnsca_collector "$r"; run_sendnsca_stock "$r"
  fi
  run_sendnsca_null "$r"
  run_http "$r"
done
[ "$ONLY" = http ] || run_hosts_get
LOAD_END=$(loadavg)
log "load average at the end: $LOAD_END (other work on the machine skews every figure)"

$UTIL summary "$RESULTS" --n "$N" --rounds "$ROUNDS" --connections "$CONNS" \
  --per-connection "$PER_CONN" --procs "$PROCS" --batch "$BATCH" --http-connections "$HTTP_CONNS" \
  --cpus "$(nproc)" --load-start "$LOAD_START" --load-end "$LOAD_END"
