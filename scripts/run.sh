#!/usr/bin/env bash
# `make run` until the collection server exists: a real walk through the client side.
# It files a report through the Python API and lets a program crash under openwer.install(),
# both into a local store kept in ./data/openwer-home
# (OPENWER_HOME moves every openwer path there, so your real stores are untouched), then lists
# and shows it with the CLI. Run it again and the queue grows; `make run` with the server
# replaces this script when the server lands.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENWER_HOME="${OPENWER_HOME:-$PWD/data/openwer-home}"
mkdir -p "$OPENWER_HOME"
BIN=.venv/bin

echo "openwer $($BIN/openwer --version | awk '{print $NF}') — OPENWER_HOME=$OPENWER_HOME"
echo
echo "== Filing a report through the API (openwer.Report) =="
$BIN/python examples/file_a_report.py
echo
echo "== A program that crashes, with openwer.install() (examples/crashing_app.py) =="
$BIN/python examples/crashing_app.py 2>&1 | tail -n 3 || true
echo
echo "== openwer reports list =="
$BIN/openwer reports list
echo
echo "== openwer reports show <newest> =="
key=$($BIN/openwer reports list --json | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)[-1]["key"])')
$BIN/openwer reports show "$key"
echo
echo "== openwer store stats =="
$BIN/openwer store stats
echo
echo "Try: OPENWER_HOME=$OPENWER_HOME $BIN/openwer --help"
