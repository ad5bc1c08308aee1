#!/usr/bin/env bash
# Runs the end-to-end suites (Node's test runner, real binary over real
# sockets). Needs FECHATTER_BIN. Writes "pass fail" into $RESULTS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
log="$results/e2e.log"
files=$(ls "$here"/e2e/*.test.mjs 2>/dev/null)
# E2E_SUITES="accounts messages" runs only those suites (a smoke set)
if [ -n "${E2E_SUITES:-}" ]; then
  files=$(for s in $E2E_SUITES; do echo "$here/e2e/$s.test.mjs"; done)
fi
if [ -z "$files" ]; then echo "e2e: no suites"; echo "0 0" > "$results/e2e.counts"; exit 0; fi
cd "$here"
limit=900
[ -n "${FECHATTER_LAUNCHER:-}" ] && limit=3000   # under emulation (make test ARCH=...)
timeout "$limit" node --test --test-reporter=tap --test-concurrency=2 $files >"$log" 2>&1
code=$?
pass=$(grep -E '^# pass [0-9]+' "$log" | awk '{print $3}' | tail -1)
fail=$(grep -E '^# fail [0-9]+' "$log" | awk '{print $3}' | tail -1)
pass=${pass:-0}; fail=${fail:-0}
if [ "$code" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "$pass $fail" > "$results/e2e.counts"
printf 'e2e  %-28s %3d passed, %d failed\n' "all suites" "$pass" "$fail"
if [ "$fail" -ne 0 ]; then grep -E '^\s*not ok' "$log" | head -40; fi
exit $([ "$fail" -eq 0 ] && echo 0 || echo 1)
