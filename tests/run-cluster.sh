#!/usr/bin/env bash
# Runs the cluster suites (tests/cluster/*.test.mjs: PostgreSQL + nats-server
# + several appliances of build/fechatter-cluster on loopback) and, when the
# Makefile has it, `make test-pg` (the end-to-end suites on the PostgreSQL
# store). Writes "pass fail" per
# part into $RESULTS, as tests/run-e2e.sh does, for tests/summary.sh.
# Binaries: FECHATTER_CLUSTER_BIN (default build/fechatter-cluster) and
# FECHATTER_STATIC_BIN (default build/fechatter, the single box).
# CLUSTER_SUITES="failover limits" runs only those suites.
set -u
here=$(cd "$(dirname "$0")" && pwd)
results=${RESULTS:-$(mktemp -d)}
mkdir -p "$results"
files=$(ls "$here"/cluster/*.test.mjs 2>/dev/null)
if [ -n "${CLUSTER_SUITES:-}" ]; then
  files=$(for s in $CLUSTER_SUITES; do echo "$here/cluster/$s.test.mjs"; done)
fi
cluster_bin=${FECHATTER_CLUSTER_BIN:-$here/../build/fechatter-cluster}
static_bin=${FECHATTER_STATIC_BIN:-$here/../build/fechatter}
status=0
if [ -z "$files" ]; then
  echo "cluster: no suites"; echo "0 0" > "$results/cluster.counts"
else
  cd "$here"
  # one file at a time (each starts its own PostgreSQL, NATS and appliances;
  # two cores), each bounded
  tp=0; tf=0
  # suites make test-pg runs itself are left to it (below)
  pg_recipe=$(sed -n '/^test-pg:/,/^$/p' "$here/../Makefile")
  for f in $files; do
    b=$(basename "$f" .test.mjs)
    if [ -z "${CLUSTER_SUITES:-}" ] && printf '%s' "$pg_recipe" | grep -q "cluster/$b.test.mjs"; then
      printf 'cluster %-26s (run by make test-pg)\n' "$b"
      continue
    fi
    flog="$results/cluster-$b.log"
    start=$(date +%s)
    # the binaries: a suite that reads FECHATTER_CLUSTER_BIN (the cluster
    # binary) gets the single-box one in FECHATTER_BIN (it compares them);
    # the others get the cluster binary in FECHATTER_BIN
    bin=$cluster_bin
    grep -q FECHATTER_CLUSTER_BIN "$f" && bin=$static_bin
    FECHATTER_BIN=$bin FECHATTER_CLUSTER_BIN=$cluster_bin \
      timeout "${CLUSTER_TIMEOUT:-600}" node --test --test-reporter=tap "$f" >"$flog" 2>&1
    code=$?
    pass=$(grep -E '^# pass [0-9]+' "$flog" | awk '{print $3}' | tail -1)
    fail=$(grep -E '^# fail [0-9]+' "$flog" | awk '{print $3}' | tail -1)
    pass=${pass:-0}; fail=${fail:-0}
    if [ "$code" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
    [ "$code" -eq 124 ] && echo "cluster $b: timed out"
    tp=$((tp + pass)); tf=$((tf + fail))
    printf 'cluster %-26s %3d passed, %d failed (%d s)\n' "$b" "$pass" "$fail" "$(( $(date +%s) - start ))"
    if [ "$fail" -ne 0 ]; then grep -E '^\s*not ok' "$flog" | head -20; status=1; fi
  done
  echo "$tp $tf" > "$results/cluster.counts"
fi
# the e2e suites on the PostgreSQL store (the pg-store adapter's target)
if grep -qE '^test-pg:' "$here/../Makefile" && [ -z "${CLUSTER_SUITES:-}" ]; then
  pglog="$results/test-pg.log"
  start=$(date +%s)
  (cd "$here/.." && timeout "${PG_TIMEOUT:-1800}" make --no-print-directory test-pg) >"$pglog" 2>&1
  code=$?
  # its closing lines: "test-pg: N suites on PostgreSQL: P passed, F failed
  # (...)" and "breaker: ok" or "breaker: FAILED ..."
  line=$(grep -E '^test-pg:.* [0-9]+ passed, [0-9]+ failed' "$pglog" | tail -1 | grep -oE '[0-9]+ passed, [0-9]+ failed')
  if [ -n "$line" ]; then
    p=$(echo "$line" | awk '{print $1}'); q=$(echo "$line" | awk '{print $3}')
    grep -q '^breaker: ok' "$pglog" && p=$((p + 1))
    grep -q '^breaker: FAILED' "$pglog" && q=$((q + 1))
  else
    p=$([ "$code" -eq 0 ] && echo 1 || echo 0); q=$([ "$code" -eq 0 ] && echo 0 || echo 1)
  fi
  if [ "$code" -ne 0 ] && [ "$q" -eq 0 ]; then q=1; fi
  echo "$p $q" > "$results/test-pg.counts"
  printf 'make test-pg %-21s %3d passed, %d failed (%d s)\n' "" "$p" "$q" "$(( $(date +%s) - start ))"
  [ "$q" -ne 0 ] && { tail -20 "$pglog"; status=1; }
fi
exit $status
