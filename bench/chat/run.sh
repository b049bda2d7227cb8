#!/usr/bin/env bash
# Chat benchmarks against the real `ragd serve` (see chat_bench.cc for what is measured):
# per-turn engine overhead at 100k chunks (extractive and openai-mock models, against a GET /v1/me
# baseline and retrieval alone), then concurrent streaming chats on tests/js/openai_mock.js.
#
#   bench/chat/run.sh [chat_bench flags...]    # e.g. --turns 200 --streams 500 --phases latency
#
# Environment knobs:
#   BUILD_DIR   build directory (default <repo>/build-bench; configured Release, tests off)
#   OUT         markdown results file (default $BUILD_DIR/bench-chat-results.md)
#   SKIP_BUILD  1: use the binaries already in BUILD_DIR
# Needs node (for the mock). The 100k-chunk knowledge base is generated and ingested through the
# API on every run (a few minutes); pass --work-dir DIR to keep it and reuse it next time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-chat-results.md}

# 1,000 client sockets plus ragd's inbound and outbound ones: more than the usual 1024.
ulimit -n "$(ulimit -Hn)"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAGD_BUILD_TESTS=OFF \
    -DRAGD_BUILD_BENCH=ON >/dev/null
  ninja -C "$BUILD_DIR" -j2 ragd chat_bench >/dev/null
fi
command -v node >/dev/null || { echo "node missing (apt-get install nodejs)" >&2; exit 1; }

"$BUILD_DIR/bench/chat/chat_bench" --ragd "$BUILD_DIR/app/ragd" \
  --mock "$ROOT/tests/js/openai_mock.js" "$@" | tee "$OUT"
echo "[chat-bench] results: $OUT" >&2
