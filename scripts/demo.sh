#!/bin/sh
# The main job of `make demo`: the collector on its defaults. Later issues
# add the overlay swarm with its agents and the dashboard.
set -eu
build=${1:-build}
mkdir -p demo-data
echo "demo: starting p2pmon-collector (Ctrl-C stops it)"
echo "demo: the JSON API listens on http://127.0.0.1:8080/api/v1/ (try: curl http://127.0.0.1:8080/api/v1/status)"
echo "demo: NSCA on 127.0.0.1:5667 (send_nsca with encryption_method=1, no password)"
exec "$build/collector/p2pmon-collector" --db demo-data/p2pmon.db
