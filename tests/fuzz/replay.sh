#!/usr/bin/env bash
# Replays the committed fuzz corpora as regression tests: replay.sh BIN...
# where each BIN is a harness linked with tests/fuzz/replay.c (make test
# builds them with the normal compiler, under SANITIZE too). One check per
# target: passed when every input of tests/fuzz/corpus/<target>/ ran without
# a crash, a sanitizer report (UBSan's included) or a failed invariant. Writes "pass fail" per
# target into $RESULTS (when set), as tests/run-unit.sh does.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
rc=0
limit=300
[ -n "${FECHATTER_LAUNCHER:-}" ] && limit=900 # emulation is several times slower
for b in "$@"; do
  name=$(basename "$b")
  t=${name#fuzz_}
  log="$results/fuzz-$t.log"
  # FECHATTER_LAUNCHER (e.g. qemu-aarch64-static) runs a cross-built harness
  timeout "$limit" ${FECHATTER_LAUNCHER:-} "$b" "$top/tests/fuzz/corpus/$t" >"$log" 2>&1
  code=$?
  n=$(grep -oE '^replayed [0-9]+' "$log" | grep -oE '[0-9]+$')
  # UBSan reports and goes on unless told otherwise: a report is a failure
  if grep -q 'runtime error:' "$log"; then code=99; fi
  if [ "$code" -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
    echo "1 0" > "$results/fuzz-$t.counts"
    printf 'fuzz-replay %-12s %5d inputs, passed\n' "$t" "$n"
  else
    echo "0 1" > "$results/fuzz-$t.counts"
    printf 'fuzz-replay %-12s FAILED (exit %d)\n' "$t" "$code"
    grep -E 'ERROR: |runtime error|invariant failed|#[0-9]+ 0x' "$log" | head -12
    rc=1
  fi
done
exit $rc
