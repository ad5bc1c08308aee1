#!/usr/bin/env bash
# Small answers against the bare lws reference, in one run: the reference
# (build/baselines/http_fixed_server PORT 1024) vs Fechatter's
# GET /api/users/me with a Bearer token and GET /health (no token).
# wrk -t1 -c16 keep-alive, every server pinned to CPU 0 (taskset -a),
# wrk to CPU 1; reference and server alternated AUTH_ROUNDS times (3),
# best of each kept. Prints measure, reference, Fechatter, ratio, and the
# load average at the start of each round; also each server's CPU time per
# request (user+system of the whole process over the run / requests, best
# of the rounds), which a loaded machine disturbs less than requests/s. Numbers only, never pass/fail
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
	printf -v "PID_$1" '%s' "$SERVER_PID"
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

cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# run PID URL [header]: prints "req/s cpu-us-per-request"; status=1 on
# non-2xx or socket errors
run() {
	local pid="$1" url="$2" out rps n t0 t1
	t0="$(cputicks "$pid")"
	if [ -n "${3:-}" ]; then
		out="$(taskset -c 1 wrk -t1 -c16 -d"$DUR" -H "$3" "$url" 2>&1)"
	else
		out="$(taskset -c 1 wrk -t1 -c16 -d"$DUR" "$url" 2>&1)"
	fi
	t1="$(cputicks "$pid")"
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		log "wrk: $(grep 'Non-2xx\|Socket errors' <<<"$out")"
		status=1
	fi
	rps="$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")"
	n="$(awk '/requests in/ { print $1 }' <<<"$out")"
	awk -v r="${rps:-0}" -v n="${n:-0}" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%d %.1f\n", r, (n > 0 ? t * 1e6 / hz / n : 0) }'
}
best() { [ "$1" -gt "$2" ] && echo "$1" || echo "$2"; }
low() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == 0 || a < b) ? a : b }'; }

ref=0 me=0 health=0 bme=0 bhealth=0 loads=""
cref=0 cme=0 chealth=0 cbme=0 cbhealth=0
for ((r = 1; r <= ROUNDS; r++)); do
	loads+="$(cut -d' ' -f1 /proc/loadavg) "
	read -r a ca <<<"$(run "$REF_PID" "http://$HOST:$rport/")"
	read -r b cb <<<"$(run "$PID_after" "http://$HOST:$PORT_after/api/users/me" "Authorization: Bearer $TOKEN_after")"
	read -r c cc <<<"$(run "$PID_after" "http://$HOST:$PORT_after/health")"
	line="round $r: reference $a ($ca us), /api/users/me $b ($cb us), /health $c ($cc us)"
	ref="$(best "$a" "$ref")" me="$(best "$b" "$me")" health="$(best "$c" "$health")"
	cref="$(low "$ca" "$cref")" cme="$(low "$cb" "$cme")" chealth="$(low "$cc" "$chealth")"
	if [ -n "${AUTH_BEFORE:-}" ]; then
		read -r d cd <<<"$(run "$PID_before" "http://$HOST:$PORT_before/api/users/me" "Authorization: Bearer $TOKEN_before")"
		read -r e ce <<<"$(run "$PID_before" "http://$HOST:$PORT_before/health")"
		line+="; before: /api/users/me $d ($cd us), /health $e ($ce us)"
		bme="$(best "$d" "$bme")" bhealth="$(best "$e" "$bhealth")"
		cbme="$(low "$cd" "$cbme")" cbhealth="$(low "$ce" "$cbhealth")"
	fi
	log "$line req/s (server CPU per request)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
row() { # row NAME REQS CPU: req/s and CPU us per request, with the ratios to the reference
	printf '%-34s %9s %9s %6s %9s %9s %6s\n' "$1" "$ref" "$2" "$(ratio "$ref" "$2")x" "$cref" "$3" \
		"$(ratio "$3" "$cref")x"
}
printf '%-34s %9s %9s %6s %9s %9s %6s\n' measure ref-req/s req/s ratio ref-us/r us/req ratio
if [ -n "${AUTH_BEFORE:-}" ]; then
	row "before: GET /api/users/me (Bearer)" "$bme" "$cbme"
	row "before: GET /health" "$bhealth" "$cbhealth"
fi
row "GET /api/users/me (Bearer)" "$me" "$cme"
row "GET /health" "$health" "$chealth"
printf 'load average at each round: %s\n' "$loads"
exit "$status"
