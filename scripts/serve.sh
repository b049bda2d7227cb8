#!/usr/bin/env bash
# Quick start #1: set up, build, and run ragd on embedded defaults with the demo bot.
# Prints the URL and an admin API key. Data lives in ./ragd-data (override: RAGD_DATA_DIR).
# Extra arguments go to `ragd serve` (e.g. --server-port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
RAGD_TARGET=ragd scripts/setup.sh
exec build/app/ragd serve --demo --data-dir "${RAGD_DATA_DIR:-ragd-data}" "$@"
