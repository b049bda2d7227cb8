#!/usr/bin/env bash
# Where a request's user-space instructions go: runs a server under callgrind, sends N sequential
# requests on one keep-alive connection (instrumentation is on only while they are sent), and prints
# inclusive instructions per request for the functions that matter. Deterministic, unlike timings
# on a shared machine; kernel time (syscalls, TCP) is not counted.
#
#   bench/http/profile_callgrind.sh ragd /v1/me 2000 [extra ragd serve flags, e.g. --log-level warn]
#   bench/http/profile_callgrind.sh httplib /health 2000
#
# Uses BUILD_DIR (default <repo>/build-bench-prof: Release plus -g -fno-omit-frame-pointer, so perf
# works on it too; configured and built if missing).
# SETTLE: seconds to wait after start-up before the warm-up (default 2).
# Needs valgrind and python3. ragd runs with 1 io thread and 1 worker so the profile is sequential.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench-prof}
which=$1 route=$2 n=$3
shift 3
WORK=$(mktemp -d /tmp/ragd-callgrind.XXXXXX)

if [[ ! -x "$BUILD_DIR/app/ragd" || ! -x "$BUILD_DIR/bench/httplib_baseline" ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" -DRAGD_BUILD_TESTS=OFF -DRAGD_BUILD_BENCH=ON >/dev/null
  ninja -C "$BUILD_DIR" -j2 ragd httplib_baseline >/dev/null
fi

# N GET requests over one keep-alive connection.
cat >"$WORK/client.py" <<'EOF'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
headers = {"Authorization": "Bearer " + sys.argv[4]} if len(sys.argv) > 4 else {}
c = http.client.HTTPConnection("127.0.0.1", port)
bad = 0
for _ in range(n):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    r.read()
    bad += r.status != 200
if bad:
    sys.exit(f"{bad} of {n} responses were not 200")
EOF

out=$WORK/callgrind.out
vg=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out")
if [[ "$which" == ragd ]]; then
  # A plain server with one key, not `--demo`: the demo bot's background ingestion is slow under
  # valgrind and starves the io thread (valgrind runs one thread at a time).
  key=$("$BUILD_DIR/app/ragd" keys create --name bench --role user --data-dir "$WORK/data" \
    2>/dev/null | sed -n 's/^key: *//p')
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${vg[@]}" "$BUILD_DIR/app/ragd" serve --data-dir "$WORK/data" --server-port "$port" \
    --server-io-threads 1 --server-worker-threads 1 "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  pid=$!
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.2; done
else
  key=rgd_benchkey00001_0123456789abcdefghijklmnopqrstuv
  "${vg[@]}" "$BUILD_DIR/bench/httplib_baseline" --port 0 --key "$key" "$@" >"$WORK/server.out" 2>/dev/null &
  pid=$!
  for _ in $(seq 150); do grep -q "listening" "$WORK/server.out" 2>/dev/null && break; sleep 0.2; done
  port=$(sed -n 's/listening \([0-9]*\)/\1/p' "$WORK/server.out")
fi
sleep "${SETTLE:-2}"  # start-up work (engine threads, caches) settles before the warm-up
python3 "$WORK/client.py" "$port" "$route" 300 "$key"  # warm-up, not measured
callgrind_control -i on "$pid" >/dev/null 2>&1
python3 "$WORK/client.py" "$port" "$route" "$n" "$key"
callgrind_control -i off "$pid" >/dev/null 2>&1
kill -TERM "$pid"
wait "$pid" || true

callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null >"$WORK/annotate.txt"
python3 - "$WORK/annotate.txt" "$out" "$n" <<'EOF'
import re, sys
annotate, raw, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for line in open(annotate):
    m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*)", line)
    if m:
        rows.append((int(m.group(1).replace(",", "")), m.group(2)))
total = rows[0][0]
# Calls to malloc, from the raw profile.
names, cfn, mallocs = {}, None, 0
for line in open(raw):
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        if m.group(1) == "cfn":
            cfn = names.get(m.group(2))
        continue
    m = re.match(r"^calls=(\d+)", line)
    if m and cfn == "malloc":
        mallocs += int(m.group(1))
pats = [
    ("all (user space)", r"PROGRAM TOTALS"),
    ("ApiService::Handle", r":ragd::ApiService::Handle\("),
    ("  ApiKeyStore::Authenticate", r":ragd::ApiKeyStore::Authenticate\("),
    ("    Database::Read (SQLite read txn)", r":ragd::Database::Read\("),
    ("      Connection::Exec (BEGIN, COMMIT)", r":ragd::Connection::Exec\("),
    ("    Sha256Hex", r":ragd::Sha256Hex"),
    ("  ApiService::Record (metrics + access log)", r":ragd::ApiService::Record\("),
    ("    ragd::Log (the access log line)", r":ragd::Log\("),
    ("  route handler (HandleWhoAmI / HandleHealth)", r":ragd::Handle(WhoAmI|Health)\("),
    ("Server Session (the whole request path)", r":ragd::Server::Impl::Session\("),
    ("Server HeadOf (request head copy)", r"Server::Impl::HeadOf"),
    ("Router::Find", r":ragd::Router::Find\("),
    ("Server WriteResponse", r"Server::Impl::WriteResponse"),
    ("httplib Server::process_request", r"httplib::Server::process_request"),
    ("httplib Server::routing", r"httplib::Server::routing"),
    ("malloc", r":malloc$|:malloc "),
    ("free", r":free$|:free "),
]
print(f"{'function (inclusive)':48} {'instr/req':>10} {'share':>7}")
for name, p in pats:
    r = re.compile(p)
    best = max((v for v, s in rows if r.search(s)), default=None)
    if best is not None:
        print(f"{name:48} {best / n:10.0f} {100 * best / total:6.1f}%")
print(f"{'malloc calls per request':48} {mallocs / n:10.1f}")
EOF
echo "profile: $out (callgrind_annotate --inclusive=yes $out)"
