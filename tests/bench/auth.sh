#!/usr/bin/env bash
# Small answers against the bare lws reference, in one run: the reference
# (build/baselines/http_fixed_server PORT 1024) vs Fechatter's
# GET /api/users/me with a Bearer token and GET /health (no token).
# wrk -t1 -c16 keep-alive, every server pinned to CPU 0 (taskset -a),
# wrk to CPU 1; reference and server alternated AUTH_ROUNDS times (3),
# best of each kept. Prints measure, reference, Fechatter, ratio, and the
# load average at the start of each round. Numbers only, never pass/fail
# on time; exit status non-zero when something could not run or wrk saw
# non-2xx answers or socket errors.
# With AUTH_BEFORE=another binary (e.g. an earlier build), that server is
# measured too, in the same rounds, for a before/after table of one run.
# usage: auth.sh [BIN] [REFERENCE]  (env: AUTH_ROUNDS=3 AUTH_DURATION=5s AUTH_BEFORE=)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${1:-$ROOT/build/fechatter}"
REF="${2:-$ROOT/build/baselines/http_fixed_server}"
[ -x "$BIN" ] || { echo "auth.sh: $BIN is not an executable (run make)" >&2; exit 1; }
[ -x "$REF" ] || { echo "auth.sh: $REF missing (make -C <baselines> OUT=build/baselines)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools wrk
ROUNDS="${AUTH_ROUNDS:-3}"
DUR="${AUTH_DURATION:-5s}"
status=0

mktmp WORK
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# serve NAME BIN: starts BIN pinned to CPU 0 with an owner; sets PORT_NAME, TOKEN_NAME
serve() {
	local port token
	port="$(free_port)"
	start_server "$2" "$port" "$WORK/$1" || exit 1
	taskset -a -cp 0 "$SERVER_PID" >/dev/null
	token="$(timeout 60 node "$BENCH_DIR/setup.mjs" "$port" 0 solo | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')"
	[ -n "$token" ] || { log "setup failed"; exit 1; }
	printf -v "PORT_$1" '%s' "$port"
	printf -v "TOKEN_$1" '%s' "$token"
}
serve after "$BIN"
[ -n "${AUTH_BEFORE:-}" ] && serve before "$AUTH_BEFORE"

rport="$(free_port)"
taskset -c 0 "$REF" "$rport" 1024 >/dev/null 2>&1 &
REF_PID=$!
BENCH_PIDS+=("$REF_PID")
for ((i = 0; i < 500; i++)); do
	curl -s -o /dev/null --max-time 1 "http://$HOST:$rport/" && break
	sleep 0.01
done

# run URL [header]: prints req/s; status=1 on non-2xx or socket errors
run() {
	local out rps
	if [ -n "${2:-}" ]; then
		out="$(taskset -c 1 wrk -t1 -c16 -d"$DUR" -H "$2" "$1" 2>&1)"
	else
		out="$(taskset -c 1 wrk -t1 -c16 -d"$DUR" "$1" 2>&1)"
	fi
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		log "wrk: $(grep 'Non-2xx\|Socket errors' <<<"$out")"
		status=1
	fi
	rps="$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")"
	echo "${rps:-0}"
}
best() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }

ref=0 me=0 health=0 bme=0 bhealth=0 loads=""
for ((r = 1; r <= ROUNDS; r++)); do
	loads+="$(cut -d' ' -f1 /proc/loadavg) "
	a="$(run "http://$HOST:$rport/")"
	b="$(run "http://$HOST:$PORT_after/api/users/me" "Authorization: Bearer $TOKEN_after")"
	c="$(run "http://$HOST:$PORT_after/health")"
	line="round $r: reference $a, /api/users/me $b, /health $c"
	ref="$(best "$a" "$ref")" me="$(best "$b" "$me")" health="$(best "$c" "$health")"
	if [ -n "${AUTH_BEFORE:-}" ]; then
		d="$(run "http://$HOST:$PORT_before/api/users/me" "Authorization: Bearer $TOKEN_before")"
		e="$(run "http://$HOST:$PORT_before/health")"
		line+="; before: /api/users/me $d, /health $e"
		bme="$(best "$d" "$bme")" bhealth="$(best "$e" "$bhealth")"
	fi
	log "$line req/s"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
printf '%-34s %10s %10s %6s\n' measure reference fechatter ratio
if [ -n "${AUTH_BEFORE:-}" ]; then
	printf '%-34s %10s %10s %6s\n' "before: GET /api/users/me (Bearer)" "$ref" "$bme" "$(ratio "$ref" "$bme")x"
	printf '%-34s %10s %10s %6s\n' "before: GET /health" "$ref" "$bhealth" "$(ratio "$ref" "$bhealth")x"
fi
printf '%-34s %10s %10s %6s\n' "GET /api/users/me (Bearer)" "$ref" "$me" "$(ratio "$ref" "$me")x"
printf '%-34s %10s %10s %6s\n' "GET /health" "$ref" "$health" "$(ratio "$ref" "$health")x"
printf 'load average at each round: %s\n' "$loads"
exit "$status"
