#!/usr/bin/env bash
# Sends per second through POST /api/chat/{id}/messages, 64 keep-alive
# connections (wrk -t2 -c64 -d10s --latency), durability full, group commit
# on and off (the baseline) in the same run. Reports numbers and ratios; the
# only checks are correctness ones (non-2xx count, every message stored).
# usage: send.sh BIN
set -uo pipefail
BIN="${1:?usage: send.sh BIN}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools wrk sqlite3

DURATION="${BENCH_SEND_DURATION:-10s}"
CONNS=64
THREADS=2

run_mode() { # run_mode on|off
	local mode="$1" port data setup token chat b0 o0 b1 o1 out line n_before n_after
	port="$(free_port)"
	mktmp data
	result "send_${mode}_loadavg" "$(cut -d' ' -f1 /proc/loadavg)"
	start_server "$BIN" "$port" "$data" --durability full --group-commit "$mode" || return 1
	setup="$(node "$BENCH_DIR/setup.mjs" "$port")" || { log "setup failed"; return 1; }
	token="$(node -e 'console.log(JSON.parse(process.argv[1]).token)' "$setup")"
	chat="$(node -e 'console.log(JSON.parse(process.argv[1]).chat_id)' "$setup")"
	n_before="$(sqlite3 "file:$data/fechatter.db?mode=ro" 'select count(*) from messages' 2>/dev/null || echo 0)"
	b0="$(metric "$port" fechatter_write_batches_total)"
	o0="$(metric "$port" fechatter_write_ops_total)"

	out="$(BENCH_TOKEN="$token" BENCH_CHAT="$chat" timeout 60 \
		wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency \
		-s "$BENCH_DIR/send.lua" "http://$HOST:$port/")"
	printf '%s\n' "$out" | sed -n '/Thread Stats/,/Transfer/p' | sed 's/^/    /' >&2
	line="$(printf '%s\n' "$out" | grep '^RESULT ')"
	[ -n "$line" ] || { log "wrk gave no RESULT line"; printf '%s\n' "$out" >&2; return 1; }
	# Requests still in flight when wrk stopped finish on the server: let them.
	sleep 1
	b1="$(metric "$port" fechatter_write_batches_total)"
	o1="$(metric "$port" fechatter_write_ops_total)"
	stop_server "$SERVER_PID"
	n_after="$(sqlite3 "$data/fechatter.db" 'select count(*) from messages')"

	local kv requests rps p50 p99 non2xx errs commits writes factor stored ok2xx
	eval "$(printf '%s\n' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/local R_/')"
	requests=$R_requests
	non2xx=$R_non2xx
	errs=$((R_connect_err + R_read_err + R_write_err + R_timeout_err))
	ok2xx=$((requests - non2xx))
	commits=$((b1 - b0))
	writes=$((o1 - o0))
	factor="$(awk -v w="$writes" -v c="$commits" 'BEGIN { if (c > 0) printf "%.2f", w / c; else print "n/a" }')"
	stored=$((n_after - n_before))

	declare -g "RPS_$mode=$R_rps"
	result "send_${mode}_rps" "$R_rps"
	result "send_${mode}_p50_ms" "$R_p50_ms"
	result "send_${mode}_p99_ms" "$R_p99_ms"
	result "send_${mode}_requests" "$requests"
	result "send_${mode}_non2xx" "$non2xx"
	result "send_${mode}_socket_errors" "$errs"
	result "send_${mode}_commits" "$commits"
	result "send_${mode}_writes" "$writes"
	result "send_${mode}_factor" "$factor"
	result "send_${mode}_stored" "$stored"
	# Every acknowledged send is stored; at most CONNS more (in flight at
	# the cut-off, answered after wrk closed the socket) may be stored too.
	local check=ok
	[ "$non2xx" -eq 0 ] || check="NON-2XX=$non2xx"
	if [ "$stored" -lt "$ok2xx" ]; then
		check="$check; LOST $((ok2xx - stored)) acknowledged messages"
	elif [ "$stored" -gt $((ok2xx + CONNS)) ]; then
		check="$check; stored $stored > 2xx $ok2xx + $CONNS"
	fi
	[ "$stored" -eq "$writes" ] || check="$check; stored $stored != writes $writes"
	result "send_${mode}_check" "\"$check\""
	log "  group-commit $mode: $R_rps req/s, p50 $R_p50_ms ms, p99 $R_p99_ms ms, non-2xx $non2xx," \
		"socket errors $errs, 2xx $ok2xx, stored $stored, commits $commits, writes $writes," \
		"factor $factor, check: $check"
}

log "== send: POST /api/chat/{id}/messages, wrk -t$THREADS -c$CONNS -d$DURATION, durability full"
rc=0
run_mode on || rc=1
run_mode off || rc=1
if [ "$rc" = 0 ]; then
	result send_ratio "$(awk -v a="$RPS_on" -v b="$RPS_off" 'BEGIN { printf "%.2f", a / b }')"
fi
exit $rc
