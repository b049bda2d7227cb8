#!/usr/bin/env bash
# HTTP server benchmark (issue 2): ragd's Boost.Beast server against a cpp-httplib baseline
# measured in the same run, plus the 10k idle keep-alive connections test.
#
#   bench/http/run.sh                 # build (Release, build-bench/), run everything, print markdown
#
# Environment knobs:
#   BUILD_DIR   build directory (default <repo>/build-bench; configured Release, tests off)
#   DURATION    seconds per wrk run (default 10)
#   CONNS       connection counts (default "64 1000")
#   IDLE        idle keep-alive connections for the idle test (default 10000; 0 skips it)
#   RAGD_LOG    where ragd's stderr (JSON access log, one line per request) goes (default /dev/null)
#   OUT         markdown results file (default $BUILD_DIR/bench-http-results.md)
#   SKIP_BUILD  1: use the binaries already in BUILD_DIR
#   SERVERS     servers to measure (default "ragd httplib ragd-logwarn httplib-tpc")
#   BEFORE_RAGD another ragd binary (e.g. a build before a change); adds a "ragd-before" server,
#               measured like "ragd" in the same run (the name is not RAGD_*: ragd refuses
#               unknown RAGD_* environment variables)
#   QUIET_WAIT / QUIET_PCT  how long to wait for the machine to be under QUIET_PCT % busy before
#               each measurement (defaults 600 s / 10 %)
#
# Servers (each started fresh for every connection count, on a free loopback port):
#   ragd                 `ragd serve --demo` with defaults (io threads = cores, access log at info)
#   ragd, log warn       same with --log-level warn: no access log line per request
#   httplib              bench/http/httplib_baseline with the library defaults (8-thread pool,
#                        5 requests per keep-alive connection) + TCP_NODELAY; the reference
#   httplib, 1 thread/conn  the baseline with as many threads as connections and unbounded
#                        keep-alive (its best case for wrk; not viable for 10k idle connections)
# Every wrk run is `wrk -t2 -c<conns> -d<DURATION>s --latency` on the same machine as the server:
# wrk and the server share the cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
DURATION=${DURATION:-10}
CONNS=${CONNS:-"64 1000"}
IDLE=${IDLE:-10000}
RAGD_LOG=${RAGD_LOG:-/dev/null}
OUT=${OUT:-$BUILD_DIR/bench-http-results.md}
LUA=$ROOT/bench/http/wrk_report.lua
WORK=$(mktemp -d /tmp/ragd-bench-http.XXXXXX)
CLK_TCK=$(getconf CLK_TCK)

# wrk at 1,000 connections and the idle client need more descriptors than the usual 1024.
ulimit -n "$(ulimit -Hn)"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAGD_BUILD_TESTS=OFF \
    -DRAGD_BUILD_BENCH=ON >/dev/null
  ninja -C "$BUILD_DIR" -j2 ragd httplib_baseline idle_clients >/dev/null
fi
RAGD=$BUILD_DIR/app/ragd
BASELINE=$BUILD_DIR/bench/httplib_baseline
IDLE_CLIENTS=$BUILD_DIR/bench/idle_clients

SERVER_PID=""
IDLE_PID=""
cleanup() {
  [[ -n "$IDLE_PID" ]] && kill "$IDLE_PID" 2>/dev/null || true
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "[bench] $*" >&2; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mb() { awk -v v="$1" 'BEGIN {printf "%.1f", v / 1024}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Percent of all CPU time busy over the next $1 seconds (while our servers are idle, this is the
# load other processes put on the machine).
busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)
  sleep "$1"
  b=$(awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " ");
    busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f", (busy + idle > 0 ? 100 * busy / (busy + idle) : 0)}'
}

# Waits (up to QUIET_WAIT seconds, default 600) until the machine is nearly idle (< QUIET_PCT %
# busy, default 10), so other work on a shared machine does not pollute a run. Prints the busy %.
wait_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-600})) pct
  while :; do
    pct=$(busy_pct 2)
    if ((pct < ${QUIET_PCT:-10})) || ((SECONDS >= deadline)); then
      echo "$pct"
      return
    fi
    log "machine busy ($pct%), waiting"
  done
}

# Waits (up to 60 s: `--demo` start-up on a loaded machine) for a line matching $2 in file $1.
wait_for() {
  for _ in $(seq 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2
  cat "$1" >&2
  return 1
}

# start_server <name> <conns>: sets SERVER_PID, PORT, KEY.
KEY=""
PORT=""
start_server() {
  local name=$1 conns=$2 out=$WORK/server.out
  : >"$out"
  case "$name" in
    ragd | ragd-logwarn | ragd-before)
      local extra=() bin=$RAGD
      [[ "$name" == ragd-logwarn ]] && extra=(--log-level warn)
      [[ "$name" == ragd-before ]] && bin=$BEFORE_RAGD
      rm -rf "$WORK/data"
      "$bin" serve --demo --data-dir "$WORK/data" --server-port 0 "${extra[@]}" \
        >"$out" 2>"$RAGD_LOG" &
      SERVER_PID=$!
      wait_for "$out" "Admin API key"
      KEY=$(grep -o 'rgd_[A-Za-z0-9_]*' "$out" | head -1)
      PORT=$(sed -n 's#.*running at http://127.0.0.1:\([0-9]*\).*#\1#p' "$out")
      ;;
    httplib | httplib-tpc)
      KEY=rgd_benchkey00001_0123456789abcdefghijklmnopqrstuv
      local extra=()
      [[ "$name" == httplib-tpc ]] && extra=(--threads "$conns" --keep-alive-max 1000000000)
      "$BASELINE" --port 0 --key "$KEY" "${extra[@]}" >"$out" 2>&1 &
      SERVER_PID=$!
      wait_for "$out" "listening"
      PORT=$(sed -n 's/listening \([0-9]*\)/\1/p' "$out")
      ;;
  esac
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# run_wrk <threads> <conns> <seconds> <path> [key]: prints the RESULT line; wrk's own CPU seconds
# (user + system) go to $WORK/wrk.cpu.
run_wrk() {
  BENCH_KEY=${5:-} /usr/bin/time -f '%U %S' -o "$WORK/wrk.cpu" \
    wrk -t"$1" -c"$2" -d"$3"s --latency -s "$LUA" "http://127.0.0.1:$PORT$4" | grep '^RESULT'
}

# "busy idle" jiffies of the whole machine.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5}' /proc/stat; }

# server conns route rps p50 p99 errors rss_mb hwm_mb server_cpu_us_per_req wrk_cpu_us_per_req
# other_before_pct other_during_pct
ROWS=$WORK/rows.tsv
: >"$ROWS"

measure() {
  local name=$1 conns=$2
  start_server "$name" "$conns"
  log "$name (pid $SERVER_PID, port $PORT), $conns connections"
  run_wrk 2 "$conns" 2 /health >/dev/null  # warm-up: connections, allocator, page cache
  for route in /health /v1/me; do
    local key=""
    [[ "$route" == /v1/me ]] && key=$KEY
    local before cpu0 m0 rss_file=$WORK/rss
    before=$(wait_quiet)
    cpu0=$(cpu_ticks "$SERVER_PID")
    m0=$(machine_ticks)
    # RSS while the load is on (sampled 1 s before the end of the run).
    (sleep $((DURATION - 1)) && kb "$SERVER_PID" VmRSS >"$rss_file") &
    local sampler=$!
    local r
    r=$(run_wrk 2 "$conns" "$DURATION" "$route" "$key")
    wait "$sampler" || true
    local cpu1 m1 requests stats
    cpu1=$(cpu_ticks "$SERVER_PID")
    m1=$(machine_ticks)
    requests=$(field requests "$r")
    # server and wrk CPU per request; the rest of the machine's busy time during the run is
    # other processes (a shared machine) and is reported so a polluted row can be spotted.
    stats=$(awk -v s=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$requests" -v w="$(cat "$WORK/wrk.cpu")" \
      -v m0="$m0" -v m1="$m1" 'BEGIN {
        split(w, wc, " "); split(m0, a, " "); split(m1, b, " ");
        busy = b[1] - a[1]; total = busy + b[2] - a[2]; wrk = (wc[1] + wc[2]) * hz;
        other = total > 0 ? 100 * (busy - s - wrk) / total : 0; if (other < 0) other = 0;
        printf "%.1f\t%.1f\t%.0f", (n > 0 ? s / hz * 1e6 / n : 0), (n > 0 ? wrk / hz * 1e6 / n : 0), other
      }')
    local errors
    errors="$(field connect "$r")/$(field read "$r")/$(field write "$r")/$(field timeout "$r")/$(field status "$r")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$conns" "$route" \
      "$(field rps "$r")" "$(field p50_ms "$r")" "$(field p99_ms "$r")" "$errors" \
      "$(mb "$(cat "$rss_file")")" "$(mb "$(kb "$SERVER_PID" VmHWM)")" "$(cut -f1,2 <<<"$stats")" \
      "$before" "$(cut -f3 <<<"$stats")" >>"$ROWS"
    log "  $route (other load before $before%, during $(cut -f3 <<<"$stats")%): $r"
  done
  stop_server
}

SERVERS=${SERVERS:-"ragd httplib ragd-logwarn httplib-tpc"}
[[ -n "${BEFORE_RAGD:-}" ]] && SERVERS="$SERVERS ragd-before"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for conns in $CONNS; do
  for name in $SERVERS; do
    measure "$name" "$conns"
  done
done

# --- idle test: IDLE keep-alive connections held open against ragd --------------------------
IDLE_RESULT=""
if [[ "$IDLE" -gt 0 ]]; then
  start_server ragd 0
  log "idle test: ragd (pid $SERVER_PID, port $PORT), $IDLE idle connections"
  idle_busy=$(wait_quiet)
  rss_start=$(kb "$SERVER_PID" VmRSS)
  quiet=$(run_wrk 1 4 5 /health)
  rss_quiet=$(kb "$SERVER_PID" VmRSS)
  "$IDLE_CLIENTS" --port "$PORT" --count "$IDLE" >"$WORK/idle.out" &
  IDLE_PID=$!
  t0=$(date +%s.%N)
  for _ in $(seq 600); do grep -q '^ready' "$WORK/idle.out" && break; sleep 0.1; done
  t1=$(date +%s.%N)
  ready=$(grep '^ready' "$WORK/idle.out")
  sleep 1
  rss_idle=$(kb "$SERVER_PID" VmRSS)
  open=$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^ragd_http_open_connections /{print $2}')
  held=$(run_wrk 1 4 "$DURATION" /health)
  rss_held=$(kb "$SERVER_PID" VmRSS)
  kill -TERM "$IDLE_PID"
  wait "$IDLE_PID" || true
  IDLE_PID=""
  still_open=$(sed -n 's/still_open //p' "$WORK/idle.out")
  sleep 1
  rss_after=$(kb "$SERVER_PID" VmRSS)
  hwm=$(kb "$SERVER_PID" VmHWM)
  stop_server
  IDLE_RESULT=$(
    cat <<EOF
| measure | value |
| --- | --- |
| idle connections opened / failed (idle_clients) | $(cut -d' ' -f2,3 <<<"$ready" | sed 's# # / #') in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s |
| ragd_http_open_connections while held (/metrics) | $open |
| still open when released (after the ${DURATION} s wrk run) | $still_open |
| ragd RSS at start | $(mb "$rss_start") MB |
| ragd RSS after a 5 s wrk run, no idle connections | $(mb "$rss_quiet") MB |
| ragd RSS with $IDLE idle connections | $(mb "$rss_idle") MB |
| ragd RSS with $IDLE idle connections, after ${DURATION} s of /health load | $(mb "$rss_held") MB |
| ragd RSS 1 s after the idle connections closed | $(mb "$rss_after") MB |
| ragd peak RSS (VmHWM) | $(mb "$hwm") MB |
| /health, 4 connections, no idle connections: req/s, p50, p99 | $(field rps "$quiet"), $(field p50_ms "$quiet") ms, $(field p99_ms "$quiet") ms |
| /health, 4 connections, $IDLE idle held: req/s, p50, p99, max | $(field rps "$held"), $(field p50_ms "$held") ms, $(field p99_ms "$held") ms, $(field max_ms "$held") ms |
| other load on the machine before the test | $idle_busy % |
| /health errors with idle held (connect/read/write/timeout/non-2xx) | $(field connect "$held")/$(field read "$held")/$(field write "$held")/$(field timeout "$held")/$(field status "$held") |
EOF
  )
fi

# --- report ----------------------------------------------------------------------------------
{
  echo "Machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
    "kernel $(uname -r); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); load average before: $LOAD_BEFORE," \
    "after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "wrk -t2 -d${DURATION}s --latency, same machine as the server; ragd stderr -> $RAGD_LOG"
  echo
  echo "| server | conns | route | req/s | ratio to httplib | p50 ms | p99 ms | errors c/r/w/t/non2xx | RSS under load MB | peak RSS MB | server CPU µs/req | wrk CPU µs/req | other load before / during % |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' '
    { key = $2 SUBSEP $3; row[NR] = $0; if ($1 == "httplib") base[key] = $4 }
    END {
      for (i = 1; i <= NR; i++) {
        split(row[i], f, "\t"); key = f[2] SUBSEP f[3]
        ratio = (key in base && base[key] > 0) ? sprintf("%.2f", f[4] / base[key]) : "-"
        printf "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s |\n",
          f[1], f[2], f[3], f[4], ratio, f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13]
      }
    }' "$ROWS"
  if [[ -n "$IDLE_RESULT" ]]; then
    echo
    echo "Idle test: $IDLE idle keep-alive connections to ragd (each sent one /health first)"
    echo
    echo "$IDLE_RESULT"
  fi
} | tee "$OUT"
log "results: $OUT (raw: $WORK)"
