#!/usr/bin/env bash
# Install s3rver (pinned) into .cache/node/ and print the path of its binary.
#
# Why: the S3 blob store (src/openwer/server/blobs/) must be tested against a real S3-protocol
# server process, not only a fake. MinIO, Garage and SeaweedFS cannot be obtained here
# (../shared/reference/toolchain-notes.md §2.3); s3rver can, from npm. It is a real (subset)
# server in its own process that persists to a folder and refuses unknown access key ids. (It
# does not verify SigV4 signatures, whatever the toolchain notes say: its source calls that
# "unimplemented"; the tests use moto with IAM authentication on for wrong-secret checks.)
#
# The tests (tests/server/s3_server_process.py) call this script when the binary is missing; the
# Makefile may call it before `make test` too. Idempotent (does nothing when the pinned version is
# installed), safe to run concurrently (flock), quiet (npm's output is shown only on failure).
# Exit status 1 and one line on stderr when npm or the registry is unavailable; the S3 tests then
# skip with that reason. OPENWER_NODE_PREFIX moves the install folder.
set -euo pipefail

VERSION=3.7.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${OPENWER_NODE_PREFIX:-$ROOT/.cache/node}"
BIN="$PREFIX/node_modules/.bin/s3rver"
MANIFEST="$PREFIX/node_modules/s3rver/package.json"

installed() {
    [[ -x "$BIN" && -f "$MANIFEST" ]] && grep -q "\"version\": \"$VERSION\"" "$MANIFEST"
}

if installed; then
    echo "$BIN"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install-s3rver: npm is not installed" >&2
    exit 1
fi
mkdir -p "$PREFIX"
exec 9>"$PREFIX/.install.lock"
flock 9
if ! installed; then
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    if ! npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier \
        --prefer-offline --fetch-retries=1 --fetch-timeout=30000 --loglevel=error \
        "s3rver@$VERSION" >"$log" 2>&1; then
        code="$(grep -m1 -oE 'code [A-Z0-9_]+' "$log" | cut -d' ' -f2 || true)"
        echo "install-s3rver: npm install s3rver@$VERSION failed (${code:-see the npm output below})" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
fi
installed || { echo "install-s3rver: $BIN missing after npm install" >&2; exit 1; }
echo "$BIN"
