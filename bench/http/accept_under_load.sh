#!/usr/bin/env bash
# How fast does a loaded server accept new connections? While 900 keep-alive connections drive
# /health, 100 new connections arrive at once; prints the listen socket's accept queue (ss Recv-Q)
# every 100 ms and the new connections' latency (their first request waits until accepted).
#
#   bench/http/accept_under_load.sh            # ragd
#   bench/http/accept_under_load.sh httplib    # the cpp-httplib baseline, one thread per connection
#
# Uses the binaries in BUILD_DIR (default <repo>/build-bench; run bench/http/run.sh once first).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
which=${1:-ragd}
WORK=$(mktemp -d /tmp/ragd-accept.XXXXXX)
ulimit -n "$(ulimit -Hn)"

if [[ "$which" == ragd ]]; then
  "$BUILD_DIR/app/ragd" serve --demo --data-dir "$WORK/data" --server-port 0 >"$WORK/server.out" \
    2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q "Admin API key" "$WORK/server.out" && break; sleep 0.1; done
  port=$(sed -n 's#.*running at http://127.0.0.1:\([0-9]*\).*#\1#p' "$WORK/server.out")
else
  "$BUILD_DIR/bench/httplib_baseline" --port 0 --key rgd_benchkey00001_0123456789abcdefghijklmnopqrstuv \
    --threads 1000 --keep-alive-max 1000000000 >"$WORK/server.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$WORK/server.out" && break; sleep 0.1; done
  port=$(sed -n 's/listening \([0-9]*\)/\1/p' "$WORK/server.out")
fi
trap 'kill $pid 2>/dev/null || true' EXIT

wrk -t1 -c900 -d12s "http://127.0.0.1:$port/health" >"$WORK/background.txt" &
background=$!
sleep 4
wrk -t1 -c100 -d5s --latency -s "$ROOT/bench/http/wrk_report.lua" "http://127.0.0.1:$port/health" |
  grep '^RESULT' >"$WORK/new.txt" &
newcomers=$!
queue=""
for _ in $(seq 25); do
  queue="$queue $(ss -Hltn "sport = :$port" | awk '{print $2}')"
  sleep 0.1
done
wait "$background" "$newcomers"
echo "$which: accept queue every 100 ms after 100 new connections:$queue"
echo "$which: the 100 new connections: $(cat "$WORK/new.txt")"
echo "$which: the 900 old connections: $(grep Requests/sec "$WORK/background.txt")"
