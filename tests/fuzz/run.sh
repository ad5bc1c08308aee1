#!/usr/bin/env bash
# Runs libFuzzer harnesses: run.sh BUILD_DIR TARGET...  Each target runs
# FUZZ_SECONDS (default 180; with FUZZ_RUNS set, at most that many
# executions) on tests/fuzz/corpus/<target>/ (FUZZ_JOBS targets at a time,
# default 1); what it finds that adds coverage is merged
# into that corpus (libFuzzer -merge=1 keeps a minimal set). Prints the
# executions per target; exits 1 if any target crashed (the input is kept in
# BUILD_DIR/artifacts/<target>/, the report in BUILD_DIR/logs/<target>.log).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1; shift
secs=${FUZZ_SECONDS:-180}
jobs=${FUZZ_JOBS:-1}
runs=${FUZZ_RUNS:+-runs=$FUZZ_RUNS}
mkdir -p "$build/logs"
# readable stacks in the reports when a symbolizer is installed
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
fi

run_one() {
  local t=$1 bin="$build/fuzz_$1" corpus="$top/tests/fuzz/corpus/$1"
  local new="$build/new/$t" art="$build/artifacts/$t/" log="$build/logs/$t.log"
  mkdir -p "$corpus" "$art"
  rm -rf "$new" && mkdir -p "$new"
  # new inputs go to the first directory; the committed corpus is read only
  "$bin" -max_total_time="$secs" $runs -timeout=10 -close_fd_mask=3 -print_final_stats=1 \
    -artifact_prefix="$art" "$new" "$corpus" >"$log" 2>&1
  local rc=$?
  local execs; execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  local before; before=$(ls "$corpus" | wc -l)
  "$bin" -merge=1 -close_fd_mask=3 "$corpus" "$new" >>"$log" 2>&1
  local added=$(( $(ls "$corpus" | wc -l) - before ))
  if [ "$rc" -eq 0 ]; then
    local took; took=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+')
    printf 'fuzz %-12s %12s executions in %ss, %d inputs added to the corpus\n' "$t" "${execs:-?}" "${took:-$secs}" "$added"
  else
    printf 'fuzz %-12s CRASHED after %s executions: %s (report: %s)\n' "$t" "${execs:-?}" \
      "$(ls -t "$art" | head -1)" "$log"
    grep -E 'ERROR: |runtime error|invariant failed|#[0-9]+ 0x' "$log" | head -12
  fi
  return $rc
}

rc=0
pids=()
for t in "$@"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || rc=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
