#!/usr/bin/env bash
# Debian packages the test suite uses, installed when missing (as root; a non-root user is told
# what is missing and the tests that need a package skip with a one-line reason).
#   gcab — cross-checks our CAB bundles against an independent implementation.
#   chromium — the real browser the dashboard's browser tests drive (through Playwright).
#   lldb — an independent minidump reader: it must open every dump the native-capture tests write.
#   gcc  — the native-capture tests build small crashing C programs.
#   gdb  — the stack-walk tests compare our frames with gdb's backtrace of a real crash.
set -euo pipefail
needed=()
command -v gcab >/dev/null 2>&1 || needed+=(gcab)
[ -x /usr/bin/chromium ] || needed+=(chromium)
command -v lldb >/dev/null 2>&1 || needed+=(lldb)
command -v gcc >/dev/null 2>&1 || needed+=(gcc)
command -v gdb >/dev/null 2>&1 || needed+=(gdb)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: not root, cannot install: ${needed[*]} (the tests that need them will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null 2>&1 \
  || echo "note: could not install ${needed[*]} (the tests that need them will skip)" >&2
