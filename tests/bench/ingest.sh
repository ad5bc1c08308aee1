#!/usr/bin/env bash
# Durable ingest against the SQLite insert ceiling, in the same run:
#   - the ceiling: build/baselines/sqlite_ceiling DB ROWS FULL B 1 at B = 8,
#     16 and 64 rows per transaction (build it first, see the baselines'
#     README: make -C <baselines> LWS=$PWD/build/deps/prefix OUT=$PWD/build/baselines);
#   - WebSocket ingest: 1 sender with 64 unacknowledged sends in flight
#     (wsbench -m fechatter -r 0 -w 64, one subscriber), durability full;
#     msg/s = acknowledged sends / seconds of sending; messages per commit
#     from the server's fechatter_write_{ops,batches}_total;
#   - HTTP sends: wrk -t1 -c64 with send.lua.
# Server and ceiling pinned to CPU 0, clients to CPU 1; the load average is
# printed before each measure. Rounds alternate reference and server(s);
# with a second binary (BIN_BEFORE) both are measured in every round, and
# BIN a second time with --sync-pipeline on ("pipeline"; INGEST_PIPELINE=0
# leaves it out).
# Reports numbers only; the checks are correctness ones (every
# acknowledged send stored). Bounded: each wsbench/wrk run lasts
# INGEST_SECONDS (default 5) plus a bounded drain.
# usage: ingest.sh BIN [BIN_BEFORE]
set -uo pipefail
BIN="${1:?usage: ingest.sh BIN [BIN_BEFORE]}"
BEFORE="${2:-}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools wrk sqlite3
need gcc gcc
need taskset util-linux

ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
OUT="$ROOT/build/bench"
CEIL="$ROOT/build/baselines/sqlite_ceiling"
ROUNDS="${INGEST_ROUNDS:-2}"
SECS="${INGEST_SECONDS:-5}"
ROWS="${INGEST_CEILING_ROWS:-30000}"
[ -x "$CEIL" ] || { log "missing $CEIL: build the baselines first (see the header)"; exit 1; }
mkdir -p "$OUT"
gcc -O2 -std=gnu11 -pthread -Wall -o "$OUT/wsbench" "$BENCH_DIR/wsbench.c" || exit 1

load() { cut -d' ' -f1-3 /proc/loadavg; }

ceiling() { # ceiling BATCH
	local line
	line="$(taskset -c 0 "$CEIL" "$CEIL_DIR/c.db" "$ROWS" FULL "$1" 1)" || return 1
	rm -f "$CEIL_DIR"/c.db*
	printf '%s\n' "$line" | tr ' ' '\n' | awk -F= '$1 == "rows_s" { print $2 }'
}

mktmp CEIL_DIR
# server_run NAME BIN [FLAGS...]: sets RUN="ws_msg_s per_commit http_rps check"
server_run() {
	local name="$1" bin="$2" port data setup tok chat b0 o0 b1 o1 line n_acked dur ws http stored
	port="$(free_port)"
	mktmp data
	FECHATTER_LOGIN_RATE_IP=100000 FECHATTER_LOGIN_RATE_ACCOUNT=100000 taskset -c 0 \
		"$bin" serve --bind "$HOST" --port "$port" --data "$data" --log-level warn "${BENCH_LIMITS_OFF[@]}" \
		--durability full "${@:3}" >"$data.log" 2>&1 &
	SERVER_PID=$!
	BENCH_PIDS+=("$SERVER_PID")
	local i
	for ((i = 0; i < 1500; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$port/health/readiness")" = 200 ] && break
		sleep 0.01
	done
	setup="$(node "$BENCH_DIR/setup.mjs" "$port")" || { log "setup failed"; return 1; }
	tok="$(node -e 'console.log(JSON.parse(process.argv[1]).token)' "$setup")"
	chat="$(node -e 'console.log(JSON.parse(process.argv[1]).chat_id)' "$setup")"
	b0="$(metric "$port" fechatter_write_batches_total)"
	o0="$(metric "$port" fechatter_write_ops_total)"
	log "  [$name] load $(load): ws ingest, 1 sender, 64 in flight, $SECS s"
	line="$(taskset -c 1 timeout 120 "$OUT/wsbench" -p "$port" -n 1 -s fechatter.v1 -m fechatter -c "$chat" \
		-u "/ws?access_token=$tok" -U "/ws?access_token=$tok" -r 0 -w 64 -d "$SECS" -D 30 -S 0 \
		-l "$name" 2>/dev/null | grep '^RESULT ')"
	b1="$(metric "$port" fechatter_write_batches_total)"
	o1="$(metric "$port" fechatter_write_ops_total)"
	n_acked="$(printf '%s\n' "$line" | tr ' ' '\n' | awk -F= '$1 == "acked" { print $2 }')"
	dur="$(printf '%s\n' "$line" | tr ' ' '\n' | awk -F= '$1 == "duration_s" { print $2 }')"
	ws="$(awk -v a="${n_acked:-0}" -v d="${dur:-0}" 'BEGIN { if (d > 0) printf "%.0f", a / d; else print 0 }')"
	local pc
	pc="$(awk -v o="$((o1 - o0))" -v b="$((b1 - b0))" 'BEGIN { if (b > 0) printf "%.1f", o / b; else print "n/a" }')"
	log "  [$name] load $(load): http sends, wrk -t1 -c64, $SECS s"
	http="$(BENCH_TOKEN="$tok" BENCH_CHAT="$chat" taskset -c 1 timeout 60 wrk -t1 -c64 -d"${SECS}s" \
		--timeout 10s -s "$BENCH_DIR/send.lua" "http://$HOST:$port/" | grep '^RESULT ')"
	local rps non2xx reqs
	rps="$(printf '%s\n' "$http" | tr ' ' '\n' | awk -F= '$1 == "rps" { printf "%.0f", $2 }')"
	non2xx="$(printf '%s\n' "$http" | tr ' ' '\n' | awk -F= '$1 == "non2xx" { print $2 }')"
	reqs="$(printf '%s\n' "$http" | tr ' ' '\n' | awk -F= '$1 == "requests" { print $2 }')"
	sleep 1
	stop_server "$SERVER_PID"
	stored="$(sqlite3 "$data/fechatter.db" 'select count(*) from messages')"
	local check=ok
	[ "${non2xx:-1}" = 0 ] || check="non2xx=$non2xx"
	[ "$stored" -ge $((n_acked + reqs - non2xx)) ] || check="$check LOST: stored $stored < acked $((n_acked + reqs - non2xx))"
	RUN="$ws $pc $rps $check"
}

declare -A BEST
best() { # best KEY VALUE: keeps the largest
	local k="$1" v="$2"
	[ -n "$v" ] || return 0
	if [ -z "${BEST[$k]:-}" ] || awk -v a="$v" -v b="${BEST[$k]}" 'BEGIN { exit !(a > b) }'; then
		BEST[$k]="$v"
	fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
ROUNDLOG=()
log "== ingest: $ROUNDS rounds, $(nproc) CPUs, server/ceiling on CPU 0, clients on CPU 1"
for ((r = 1; r <= ROUNDS; r++)); do
	declare -A CUR=()
	for b in 8 16 64; do
		log "  [ceiling $b/tx] load $(load)"
		v="$(ceiling "$b")"
		log "    $v rows/s"
		best "ceil$b" "$v"
		CUR[$b]="$v"
	done
	for who in after pipeline before; do
		bin="$BIN"
		flags=()
		if [ "$who" = before ]; then
			[ -n "$BEFORE" ] || continue
			bin="$BEFORE"
		elif [ "$who" = pipeline ]; then
			[ "${INGEST_PIPELINE:-1}" = 1 ] || continue
			flags=(--sync-pipeline on)
		fi
		server_run "$who" "$bin" "${flags[@]}" || continue
		read -r ws pc rps check <<<"$RUN"
		log "    $who: ws $ws msg/s, $pc per commit, http $rps req/s, check $check"
		log "    round $r $who: ws/ceil8 $(ratio "$ws" "${CUR[8]}") ws/ceil16 $(ratio "$ws" "${CUR[16]}")" \
			"ws/ceil64 $(ratio "$ws" "${CUR[64]}") http/ceil64 $(ratio "$rps" "${CUR[64]}")"
		line="round $r: ceil 8/16/64 ${CUR[8]}/${CUR[16]}/${CUR[64]} rows/s; $who ws $ws msg/s"
		line="$line ($pc per commit) = $(ratio "$ws" "${CUR[64]}")x ceil64,"
		ROUNDLOG+=("$line http $rps req/s = $(ratio "$rps" "${CUR[64]}")x ceil64")
		[ "$check" = ok ] || log "    CHECK FAILED: $check"
		best "ws_$who" "$ws"
		best "http_$who" "$rps"
		best "pc_$who" "$pc"
	done
done
{
	echo
	echo "== ingest, ratios within each round"
	printf '%s\n' "${ROUNDLOG[@]}"
	echo "== ingest summary (best of $ROUNDS; load at the end $(load))"
	printf '%-34s %10s %10s %10s %10s %10s\n' "" "value" "/ceil8" "/ceil16" "/ceil64" ""
	for b in 8 16 64; do
		printf '%-34s %10s\n' "sqlite ceiling FULL fts $b/tx rows/s" "${BEST[ceil$b]:-n/a}"
	done
	for who in after pipeline before; do
		[ -n "${BEST[ws_$who]:-}" ] || continue
		printf '%-34s %10s %10s %10s %10s\n' "$who: ws ingest msg/s" "${BEST[ws_$who]}" \
			"$(ratio "${BEST[ws_$who]}" "${BEST[ceil8]:-}")" "$(ratio "${BEST[ws_$who]}" "${BEST[ceil16]:-}")" \
			"$(ratio "${BEST[ws_$who]}" "${BEST[ceil64]:-}")"
		printf '%-34s %10s\n' "$who: messages per commit (best)" "${BEST[pc_$who]}"
		printf '%-34s %10s %10s %10s %10s\n' "$who: http sends -c64 req/s" "${BEST[http_$who]}" \
			"$(ratio "${BEST[http_$who]}" "${BEST[ceil8]:-}")" "$(ratio "${BEST[http_$who]}" "${BEST[ceil16]:-}")" \
			"$(ratio "${BEST[http_$who]}" "${BEST[ceil64]:-}")"
	done
} >&2
