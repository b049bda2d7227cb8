#!/usr/bin/env bash
# Quick start #2: set up, build, and run the whole test suite (unit, black-box, reference-SDK).
#   RAGD_BUILD_DIR / RAGD_SANITIZE select another build (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR="${RAGD_BUILD_DIR:-build}"
cd "$BUILD_DIR"
ctest --output-on-failure -j"${RAGD_TEST_JOBS:-2}" --timeout 600
