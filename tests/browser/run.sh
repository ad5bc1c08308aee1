#!/usr/bin/env bash
# Browser tests of the web client: real Chromium (playwright-core) against
# the real binary. TAP output; bounded in time; everything started here is
# stopped here (the suites stop their servers and browsers; the process
# group is killed on timeout).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export FECHATTER_BIN=${FECHATTER_BIN:-$root/build/fechatter}
if [ ! -x "$FECHATTER_BIN" ]; then echo "browser: $FECHATTER_BIN missing (run make)"; exit 1; fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then echo "browser: /usr/bin/chromium missing (apt-get install chromium)"; exit 1; fi
if [ ! -d "$root/tests/node_modules/playwright-core" ]; then (cd "$root/tests" && npm install --no-audit --no-fund >/dev/null 2>&1); fi
cd "$root"
# setsid: one process group for node, its test processes, servers and browsers
setsid timeout --kill-after=10 210 node --test --test-reporter=tap --test-concurrency=2 tests/browser/*.test.mjs &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null; wait $pid' INT TERM
wait $pid
code=$?
kill -KILL -- -$pid 2>/dev/null || true
exit $code
