#!/usr/bin/env bash
# `make run`: start the openwer collection server on http://127.0.0.1:8080 with SQLite and a
# local bundle folder under ./data/server, and keep it running until Ctrl-C.
# OPENWER_HOME=./data/openwer-home keeps every other openwer path (client stores, settings) out of
# your real home. Override with OPENWER_SERVER_HOST / OPENWER_SERVER_PORT / OPENWER_SERVER_DATABASE.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENWER_HOME="${OPENWER_HOME:-$PWD/data/openwer-home}"
DATA="$PWD/data/server"
HOST="${OPENWER_SERVER_HOST:-127.0.0.1}"
PORT="${OPENWER_SERVER_PORT:-8080}"
BIN="$PWD/.venv/bin"
mkdir -p "$OPENWER_HOME" "$DATA"

# The dashboard's first sign-in: an "admin" user with a random password, made once (the users
# command migrates an empty data folder). Later runs only remind how to sign in.
if [ "$("$BIN/openwer" users list --json --data-dir "$DATA")" = "[]" ]; then
  FIRST_PASSWORD="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
  printf '%s\n' "$FIRST_PASSWORD" \
    | "$BIN/openwer" users add admin --password-stdin --data-dir "$DATA" >/dev/null
  SIGN_IN="user admin, password $FIRST_PASSWORD   (shown once; change it: $BIN/openwer users passwd admin --data-dir $DATA)"
else
  SIGN_IN="your dashboard user (list: $BIN/openwer users list --data-dir $DATA; new: openwer users add NAME --data-dir $DATA)"
fi

cat <<TEXT
openwer $("$BIN/openwer" --version | awk '{print $NF}') collection server
  URL:        http://$HOST:$PORT   (try: curl http://$HOST:$PORT/healthz)
  dashboard:  http://$HOST:$PORT/   sign in with $SIGN_IN
  data:       $DATA (SQLite openwer.sqlite3, bundles in blobs/)
  API:        http://$HOST:$PORT/openapi.json

In another terminal:
  # a product and its ingest key (clients send it as Authorization: Bearer …)
  $BIN/openwer products add myapp --data-dir $DATA
  # an admin token for the query API (GET /api/v1/buckets …)
  $BIN/openwer tokens create --data-dir $DATA
  # point a client at the server and send its queued reports
  OPENWER_SERVER_URL=http://$HOST:$PORT OPENWER_SERVER_KEY=<key> $BIN/openwer reports upload
  curl -H "Authorization: Bearer <token>" http://$HOST:$PORT/api/v1/buckets

Ctrl-C stops the server.
TEXT
exec "$BIN/openwer" serve --host "$HOST" --port "$PORT" --data-dir "$DATA"
