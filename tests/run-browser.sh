#!/usr/bin/env bash
# Runs the browser suites (real Chromium, tests/browser/run.sh) and writes
# "pass fail" into $RESULTS like the other runners. Screenshots go to
# build/screenshots/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
log="$results/browser.log"
bash "$here/browser/run.sh" >"$log" 2>&1
code=$?
pass=$(grep -E '^# pass [0-9]+' "$log" | awk '{print $3}' | tail -1)
fail=$(grep -E '^# fail [0-9]+' "$log" | awk '{print $3}' | tail -1)
pass=${pass:-0}; fail=${fail:-0}
if [ "$code" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; tail -5 "$log"; fi
echo "$pass $fail" > "$results/browser.counts"
printf 'browser %-25s %3d passed, %d failed\n' "all suites" "$pass" "$fail"
if [ "$fail" -ne 0 ]; then grep -E '^\s*not ok' "$log" | head -20; fi
exit $([ "$fail" -eq 0 ] && echo 0 || echo 1)
