#!/usr/bin/env bash
# Runs each cmocka unit-test binary given as argument; writes "pass fail" per
# binary into $RESULTS (when set) and prints each binary's summary.
set -u
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
rc=0
limit=120
[ -n "${FECHATTER_LAUNCHER:-}" ] && limit=600   # emulation is several times slower
for t in "$@"; do
  name=$(basename "$t")
  log="$results/unit-$name.log"
  # FECHATTER_LAUNCHER (e.g. qemu-aarch64-static) runs a cross-built test
  timeout "$limit" ${FECHATTER_LAUNCHER:-} "$t" >"$log" 2>&1
  code=$?
  pass=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  fail=$(grep -oE '^\[  FAILED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  pass=${pass:-0}; fail=${fail:-0}
  if [ "$code" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi   # crashed or timed out
  echo "$pass $fail" > "$results/unit-$name.counts"
  printf 'unit %-28s %3d passed, %d failed\n' "$name" "$pass" "$fail"
  if [ "$fail" -ne 0 ]; then rc=1; grep -E 'FAILED|ERROR|Failure|error:|runtime error|Sanitizer' "$log" | head -20; fi
done
exit $rc
