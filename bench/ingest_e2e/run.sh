#!/usr/bin/env bash
# End-to-end ingestion: pages/s from upload to `indexed` through the real `ragd serve`, with the
# default local embedder (USE-lite) and the hashing embedder, next to pdftotext on the same files
# in the same run (see ingest_e2e_bench.cc).
#
#   bench/ingest_e2e/run.sh [ingest_e2e_bench flags...]    # e.g. --pages 600 --embedders hashing
#
# Environment knobs:
#   BUILD_DIR   build directory (default <repo>/build-bench; configured Release, tests off)
#   OUT         markdown results file (default $BUILD_DIR/bench-ingest-e2e-results.md)
#   SKIP_BUILD  1: use the binaries already in BUILD_DIR
# Reads the PDF fixtures from ../shared/testdata/pdf (override with --pdf-dir). USE-lite needs
# the model files in models/use-lite-en (scripts/fetch_model.sh); without them "local" falls back to the
# hashing embedder, which the embedder column then shows.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-ingest-e2e-results.md}

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAGD_BUILD_TESTS=OFF \
    -DRAGD_BUILD_BENCH=ON >/dev/null
  ninja -C "$BUILD_DIR" -j2 ragd ingest_e2e_bench >/dev/null
fi
command -v pdftotext >/dev/null || { echo "pdftotext missing (apt-get install poppler-utils)" >&2; exit 1; }

"$BUILD_DIR/bench/ingest_e2e/ingest_e2e_bench" --ragd "$BUILD_DIR/app/ragd" "$@" | tee "$OUT"
echo "[ingest-e2e] results: $OUT" >&2
