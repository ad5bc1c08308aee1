#!/usr/bin/env bash
# make bench-capacity: how many people does this box hold? N simulated
# people (capacity.mjs; mapping in README-capacity.md) for rising N against
# one server (durability full, per-user limits off), server pinned to CPU 0,
# the load generator to CPU 1. Prints the per-step tables and the curve;
# writes build/bench/capacity.txt and capacity.json. Numbers only: the exit
# status is non-zero only when the run could not be made.
# usage: capacity.sh BIN
#   env: CAP_STEPS=50,100,200,400,800,1600 CAP_FACTOR=10 CAP_STEP_SECONDS=40
#        CAP_PROCS=2 CAP_VISIBLE=0.1 CAP_BUDGET_SECONDS=900
set -uo pipefail
BIN="${1:?usage: capacity.sh BIN}"
[ -x "$BIN" ] || { echo "capacity.sh: $BIN is not an executable" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/lib.sh"
need_tools
need taskset util-linux
[ -d "$ROOT/tests/node_modules/ws" ] || { log "tests/node_modules/ws is missing (cd tests && npm ci)"; exit 1; }

STEPS="${CAP_STEPS:-50,100,200,400,800,1600}"
FACTOR="${CAP_FACTOR:-10}"
STEP_S="${CAP_STEP_SECONDS:-40}"
PROCS="${CAP_PROCS:-2}"
VISIBLE="${CAP_VISIBLE:-0.1}"
BUDGET="${CAP_BUDGET_SECONDS:-900}"
OUT="$ROOT/build/bench"
mkdir -p "$OUT"
T0=$(date +%s)

max_n="${STEPS##*,}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((4 * max_n + 200)) ] || { log "ulimit -n $(ulimit -n) is too low for $max_n people"; exit 1; }

port="$(free_port)"
data=""
mktmp data
log "== capacity: steps $STEPS, time factor $FACTOR, $STEP_S s per step, $PROCS generator processes; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# each person: a WebSocket and up to 2 keep-alive HTTP connections, all from 127.0.0.1
FECHATTER_LOGIN_RATE_IP=100000 FECHATTER_LOGIN_RATE_ACCOUNT=100000 \
	taskset -c 0 "$BIN" serve --bind "$HOST" --port "$port" --data "$data" --log-level warn "${BENCH_LIMITS_OFF[@]}" \
	--durability full --max-connections-per-ip $((4 * max_n + 100)) >"$data.log" 2>&1 &
SERVER_PID=$!
BENCH_PIDS+=("$SERVER_PID")
BENCH_TMP+=("$data.log")
for ((i = 0; i < 1500; i++)); do
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$data.log" >&2; log "server exited"; exit 1; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$port/health/readiness")" = 200 ] && break
	sleep 0.01
done

status=0
timeout $((BUDGET + 300)) taskset -c 1 node "$HERE/capacity.mjs" --port "$port" --server-pid "$SERVER_PID" \
	--steps "$STEPS" --factor "$FACTOR" --step-seconds "$STEP_S" --procs "$PROCS" --visible "$VISIBLE" \
	--budget-seconds "$BUDGET" --json "$OUT/capacity.json" | tee "$OUT/capacity.txt" || status=1
kill -0 "$SERVER_PID" 2>/dev/null || { log "the server died during the run:"; tail -20 "$data.log" >&2; status=1; }
stop_server "$SERVER_PID"
echo "make bench-capacity took $(($(date +%s) - T0)) s; load average now $(cut -d' ' -f1-3 /proc/loadavg); $OUT/capacity.txt, $OUT/capacity.json" |
	tee -a "$OUT/capacity.txt"
exit $status
