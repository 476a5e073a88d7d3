#!/usr/bin/env bash
# Debian packages the benchmarks need, installed when missing (as root; a non-root user gets a
# one-line message and the benchmarks that need a package say so and stop).
#   wrk — the HTTP load generator of benchmarks/bench_stage1.py and bench_bundle.py (a C event
#         loop with a Lua hook per request, so that the generator, not Python, is never the
#         bottleneck; each benchmark checks it against /healthz first).
# Bugsink (the side-by-side reference of bench_bundle.py) is installed by that benchmark into its
# own venv under .cache/bench/, never into the project's.
# Idempotent; exit status 0 when everything is there, 1 when something could not be installed.
set -euo pipefail
needed=()
command -v wrk >/dev/null 2>&1 || needed+=(wrk)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-bench-deps: not root, cannot install ${needed[*]}: run 'sudo apt-get install ${needed[*]}'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
if ! apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null 2>&1; then
  echo "install-bench-deps: apt-get install ${needed[*]} failed (no network or no such package?)" >&2
  exit 1
fi
