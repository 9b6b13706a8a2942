#!/bin/sh
# The main job of `make demo`: the collector on its defaults, a swarm of 50
# overlay peers in one p2pmon-peer process whose embedded agents push their
# checks to it, a STUN server for the agents' NAT check, and a crawl of the
# overlay every minute posted to the collector.
set -eu
build=${1:-build}
peers=50
mkdir -p demo-data

# Both daemons run in the background and are stopped by their pids,
# whatever ends the demo: a background job of a script ignores the
# terminal's Ctrl-C, and `wait` (unlike a foreground job) lets the traps run.
peer_pid=
collector_pid=
stun_pid=
crawl_pid=
stop_all() {
  for pid in $crawl_pid $collector_pid $peer_pid $stun_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

collector=http://127.0.0.1:8080
echo "demo: starting p2pmon-collector: JSON API on $collector/api/v1/, NSCA on 127.0.0.1:5667"
"$build/collector/p2pmon-collector" --db demo-data/p2pmon.db 2>demo-data/collector.log &
collector_pid=$!

# A STUN server with an alternate address for the agents' nat_behaviour check.
: >demo-data/stun.txt
"$build/probes/p2pmon-probe" stun-server --listen 127.0.0.1:0 --alt-listen 127.0.0.2:0 \
  >demo-data/stun.txt 2>demo-data/stun.log &
stun_pid=$!
waited=0
until grep -q '^STUN server on ' demo-data/stun.txt; do
  waited=$((waited + 1))
  if [ "$waited" -gt 100 ] || ! kill -0 "$stun_pid" 2>/dev/null; then
    echo "demo: the STUN server did not start (see demo-data/stun.log)" >&2
    exit 1
  fi
  sleep 0.1
done
stun=$(awk '/^STUN server on /{sub(/,$/, "", $4); print $4; exit}' demo-data/stun.txt)

: >demo-data/peers.txt  # before the peers start: the wait below reads it at once
echo "demo: starting $peers overlay peers (p2pmon-peer --swarm $peers) on 127.0.0.1, free UDP ports,"
echo "demo:   their agents pushing to the collector (spool: demo-data/agent-spool)"
"$build/overlay-agent/p2pmon-peer" --swarm "$peers" --base-port 0 --listen 127.0.0.1:0 \
  --sip-listen 127.0.0.1:0 --domain localhost \
  --stun-listen 127.0.0.1:0 --stun-alt-listen 127.0.0.2:0 --rtp-reflector 0 \
  --agent-collector "$collector" --agent-spool demo-data/agent-spool --agent-stun "$stun" \
  >demo-data/peers.txt 2>demo-data/peers.log &
peer_pid=$!
waited=0
until grep -q '^ready ' demo-data/peers.txt; do
  if ! kill -0 "$peer_pid" 2>/dev/null; then
    echo "demo: p2pmon-peer did not start:" >&2
    cat demo-data/peers.log >&2
    exit 1
  fi
  waited=$((waited + 1))
  if [ "$waited" -gt 300 ]; then
    echo "demo: the swarm did not start within 30 s (see demo-data/peers.log)" >&2
    exit 1
  fi
  sleep 0.1
done
first=$(awk '/^peer /{print $3; exit}' demo-data/peers.txt)
field() {  # field NAME: the first peer's NAME=ADDR:PORT, without the name
  awk -v k="$1=" '/^peer /{for (i = 4; i <= NF; i++) if (index($i, k) == 1) {print substr($i, length(k) + 1); exit}}' \
    demo-data/peers.txt
}
first_sip=$(field sip)
first_stun=$(field stun)
first_rtp=$(field rtp)
echo "demo: overlay 'p2pmon' of $peers peers; the first peer listens on UDP $first"
echo "demo:   every peer: demo-data/peers.txt, their log: demo-data/peers.log"
echo "demo:   query it:   $build/probes/p2pmon-probe diag --peer $first"
echo "demo: every peer is also a SIP registrar/proxy for sip:USER@localhost; the first on $first_sip"
echo "demo:   register:   sipsak -U -s sip:alice@localhost -p $first_sip -C sip:alice@127.0.0.1:5999"
echo "demo:   ask it:     sipsak -vv -s sip:localhost -p $first_sip"
echo "demo:   probe it:   $build/probes/p2pmon-probe sip --target sip:$first_sip --count 3 --interval 200"
echo "demo:   check it:   $build/plugins/check_p2p_sip -H ${first_sip%:*} -p ${first_sip##*:} -w 50 -c 200"
echo "demo: every peer runs a STUN server (alternate address on 127.0.0.2) and an RTP reflector; the first's:"
echo "demo:   NAT check:  $build/plugins/check_p2p_nat -H ${first_stun%:*} -p ${first_stun##*:} --expect open"
echo "demo:   RTP probe:  $build/probes/p2pmon-probe rtp --target $first_rtp --duration 5 --codec pcmu"
echo "demo:   RTP check:  $build/plugins/check_p2p_rtp -H ${first_rtp%:*} -p ${first_rtp##*:} --duration 5 --mos-w 3.6 --mos-c 3.1"
echo "demo:   a record:   $build/probes/p2pmon-probe put --peer $first --kind user --name sip:alice@example.org --contact sip:alice@192.0.2.1 --transport udp:192.0.2.1:5060"


# A crawl every minute, as cron would run it, posted to the collector; the
# previous crawl's document gives the churn. The loop stops its own sleep.
(
  trap 'kill $sleep_pid 2>/dev/null; exit 0' TERM
  while :; do
    "$build/probes/p2pmon-crawl" -b "$first" --sip --collector "$collector" -q \
      --previous demo-data/crawl.json --json demo-data/crawl.json >>demo-data/crawl.log 2>&1 || true
    sleep 60 &
    sleep_pid=$!
    wait $sleep_pid
  done
) &
crawl_pid=$!

echo "demo: agents push peer_health, sip_options, rtp_quality, nat_behaviour (STUN $stun) and dht_lookup"
echo "demo:   results:    curl $collector/api/v1/hosts   (one host per peer, peer-XXXXXXXX)"
echo "demo:   a check:    $build/plugins/check_p2p_result -H peer-XXXXXXXX -s peer_health   (names: the hosts above)"
echo "demo: a crawl every minute (demo-data/crawl.json, demo-data/crawl.log), posted to the collector:"
echo "demo:   crawls:     curl $collector/api/v1/crawls/latest"
echo "demo:   overlay:    $build/plugins/check_p2p_overlay -U $collector --max-age 180"
echo "demo:   live:       $build/plugins/check_p2p_overlay -H ${first%:*} -p ${first##*:} --peers-w 40: --peers-c 10:"
echo "demo: Nagios:      $build/collector/p2pmon-collector --db demo-data/p2pmon.db --write-nagios-config demo-data/nagios --nagios-plugin-dir $(cd "$build" && pwd)/plugins"
echo "demo:   (or curl $collector/api/v1/nagios/objects.cfg), then include demo-data/nagios/p2pmon.cfg in nagios.cfg"
echo "demo: the dashboard: $collector/   (overview, ring, peers, services, history; live)"
echo "demo: NSCA on 127.0.0.1:5667 (send_nsca with encryption_method=1, no password); Ctrl-C stops everything"
wait "$collector_pid"
