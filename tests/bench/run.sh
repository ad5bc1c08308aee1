#!/usr/bin/env bash
# make bench: every hot path of the server measured against a reference
# program in the same run (issue 14), printed as ONE table: measure,
# reference, Fechatter, ratio, the issue's threshold as a pass/fail column,
# and the 1-minute load average at the start of each run. Also written as
# build/bench/bench.json and build/bench/bench.png (gnuplot).
#
# References: the programs of ../shared/baselines (built into build/baselines
# by this script only; nothing else depends on them): http_fixed_server PORT
# BYTES, ws_ring_server PORT, sqlite_ceiling DB ROWS FULL BATCH 1.
# Method (baselines README): every server, reference or ours, pinned to CPU 0
# (taskset -c 0), every load client to CPU 1 (taskset -c 1); reference and
# Fechatter alternated (odd rounds reference first, even rounds Fechatter
# first); the best of BENCH_ROUNDS (3; fan-out BENCH_WS_ROUNDS, 2) is kept.
#
# Thresholds are printed, never enforced: the exit status is non-zero only
# when a correctness check failed (non-2xx answers or socket errors,
# acknowledged messages not stored, messages lost, out of order or cut) or a
# benchmark could not run.
# usage: run.sh ABSOLUTE_PATH_OF_BINARY
#   env: BENCH_ROUNDS=3 BENCH_WS_ROUNDS=2 BENCH_DURATION=4 (seconds per wrk
#        run) BENCH_INGEST_SECONDS=4 BENCH_WS_CONNS=1000 BENCH_STALL=1
#        BENCH_BASELINES=<folder of the baselines' sources>
#        BENCH_ONLY=fanout (only the fan-out rows: throughput and p99 at
#        10 msg/s, with their correctness checks; the other rows read n/a)
set -uo pipefail
BIN="${1:?usage: run.sh BIN}"
[ -x "$BIN" ] || { echo "run.sh: $BIN is not an executable" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$HERE/lib.sh"
need_tools wrk sqlite3 file strip
need gcc gcc
need taskset util-linux
need gnuplot gnuplot-nox

ROUNDS="${BENCH_ROUNDS:-3}"
ONLY="${BENCH_ONLY:-}"
case "$ONLY" in "" | fanout) ;; *) echo "run.sh: BENCH_ONLY must be empty or fanout" >&2; exit 2 ;; esac
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; } # part NAME: this part of the bench runs
WS_ROUNDS="${BENCH_WS_ROUNDS:-2}"
DUR="${BENCH_DURATION:-4}"
INGEST_SECS="${BENCH_INGEST_SECONDS:-4}"
WS_CONNS="${BENCH_WS_CONNS:-1000}"
# fan-out: 300 msg/s for FAN_SECS; every delivery must arrive (drain at most 60 s)
FAN_SECS="${BENCH_FAN_SECONDS:-2}"
BASELINES="${BENCH_BASELINES:-$ROOT/../shared/baselines}"
[ -d "$BASELINES" ] || BASELINES=/work/shared/baselines
OUT="$ROOT/build/bench"
REFBIN="$ROOT/build/baselines"
SRV=(taskset -c 0)
CLI=(taskset -c 1)
T_START=$(date +%s)

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((WS_CONNS + 200)) ] || { log "ulimit -n $(ulimit -n) is too low for $WS_CONNS connections"; exit 1; }

export BENCH_RESULTS
mktmp WORK
BENCH_RESULTS="$WORK/results"
: >"$BENCH_RESULTS"
mkdir -p "$OUT"

log "fechatter benchmarks: $BIN"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), /tmp on $(stat -f -c %T /tmp)," \
	"$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2); rounds $ROUNDS (fan-out $WS_ROUNDS), wrk ${DUR}s per run"

# ---------------------------------------------------------------- builds
log "== building the references ($BASELINES -> build/baselines) and the WebSocket client"
make -s -C "$BASELINES" LWS="$ROOT/build/deps/prefix" OUT="$REFBIN" >&2 || { log "cannot build the references"; exit 1; }
gcc -O2 -std=gnu11 -pthread -Wall -o "$OUT/wsbench" "$HERE/wsbench.c" || { log "cannot build wsbench"; exit 1; }

status=0
fail() { log "CORRECTNESS: $*"; printf '%s\n' "$*" >>"$WORK/failures"; status=1; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# Best value (max, or min for latencies) and the loads at start, per key.
declare -A BEST LOADS
keep() { # keep KEY VALUE LOAD [min]
	local k="$1" v="$2" l="$3" mode="${4:-max}"
	LOADS[$k]="${LOADS[$k]:+${LOADS[$k]},}$l"
	[ -n "$v" ] || return 0
	if [ -z "${BEST[$k]:-}" ] || awk -v a="$v" -v b="${BEST[$k]}" -v m="$mode" \
		'BEGIN { exit !((m == "max" && a > b) || (m == "min" && a < b)) }'; then
		BEST[$k]="$v"
	fi
}

wait_port() { # wait_port PORT PID: accepts a TCP connection, at most 10 s
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

start_ref() { # start_ref VAR PORT CMD...: starts a reference on CPU 0, VAR=pid
	local var="$1" port="$2" pid
	shift 2
	"${SRV[@]}" "$@" >>"$WORK/refs.log" 2>&1 &
	pid=$!
	BENCH_PIDS+=("$pid")
	wait_port "$port" "$pid" || { log "reference $* did not start"; cat "$WORK/refs.log" >&2; exit 1; }
	printf -v "$var" '%s' "$pid"
}

# wrk_get NAME URL [wrk args...]: one read run (wrk -t1 -c16), kept as NAME.
wrk_get() {
	local name="$1" url="$2" l out rps non2xx errs
	shift 2
	l="$(load1)"
	out="$(timeout $((DUR + 30)) "${CLI[@]}" wrk -t1 -c16 -d"${DUR}s" --timeout 5s "$@" "$url" 2>&1)"
	rps="$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')"
	non2xx="$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')"
	errs="$(printf '%s\n' "$out" | awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }')"
	[ -n "$rps" ] || { log "wrk gave no result for $name:"; printf '%s\n' "$out" >&2; fail "$name: wrk did not run"; return 1; }
	[ -z "$non2xx" ] || fail "$name: $non2xx non-2xx answers"
	[ "${errs:-0}" = 0 ] || fail "$name: $errs socket errors"
	keep "$name" "$rps" "$l"
	log "  $name: $rps req/s (load $l)${non2xx:+, non-2xx $non2xx}${errs:+, socket errors $errs}"
}

# ---------------------------------------------------------------- Fechatter, seeded once
FPORT="$(free_port)"
FDATA="$WORK/fechatter"
log "== seeding Fechatter (durability full) on port $FPORT"
FECHATTER_LOGIN_RATE_IP=100000 FECHATTER_LOGIN_RATE_ACCOUNT=100000 \
	"${SRV[@]}" "$BIN" serve --bind "$HOST" --port "$FPORT" --data "$FDATA" --log-level warn \
	"${BENCH_LIMITS_OFF[@]}" --durability full --max-connections-per-ip $((WS_CONNS + 200)) \
	>"$WORK/fechatter.log" 2>&1 &
FPID=$!
BENCH_PIDS+=("$FPID")
for ((i = 0; i < 1500; i++)); do
	kill -0 "$FPID" 2>/dev/null || { cat "$WORK/fechatter.log" >&2; log "server exited"; exit 1; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$FPORT/health/readiness")" = 200 ] && break
	sleep 0.01
done
seed="$(timeout 120 node "$HERE/table-seed.mjs" "$FPORT" 60)" || { log "seeding failed"; exit 1; }
js() { node -e 'let o=JSON.parse(process.argv[1]);for(const k of process.argv[2].split("."))o=o[k];console.log(o)' "$seed" "$1"; }
OWNER_TOKEN="$(js owner_token)"
MEMBER_TOKEN="$(js member_token)"
PAGE_CHAT="$(js chats.page)"
INGEST_CHAT="$(js chats.ingest)"
SENDS_CHAT="$(js chats.sends)"
FANOUT_CHAT="$(js chats.fanout)"
PAGE_URL="http://$HOST:$FPORT/api/chat/$PAGE_CHAT/messages?limit=50"
AUTH="Authorization: Bearer $OWNER_TOKEN"
PAGE_BYTES="$(curl -s --max-time 5 -H "$AUTH" -o /dev/null -w '%{size_download}' "$PAGE_URL")"
ME_BYTES="$(curl -s --max-time 5 -H "$AUTH" -o /dev/null -w '%{size_download}' "http://$HOST:$FPORT/api/users/me")"
gz_headers="$(curl -s --max-time 5 -H "$AUTH" -H 'Accept-Encoding: gzip' -D - -o "$WORK/page.gz" "$PAGE_URL")"
GZ_BYTES="$(stat -c %s "$WORK/page.gz")"
GZ_ENC="$(printf '%s\n' "$gz_headers" | tr -d '\r' | awk -F': *' 'tolower($1) == "content-encoding" { print $2 }')"
GZ_ENC="${GZ_ENC:-identity}"
[ "$PAGE_BYTES" -gt 0 ] 2>/dev/null || { log "cannot read the first page"; exit 1; }
log "  first page: $PAGE_BYTES bytes; with Accept-Encoding: gzip: $GZ_BYTES bytes ($GZ_ENC); /api/users/me: $ME_BYTES bytes"

# ---------------------------------------------------------------- references
R1K_PORT="$(free_port)"
start_ref R1K_PID "$R1K_PORT" "$REFBIN/http_fixed_server" "$R1K_PORT" 1024
RPG_PORT="$(free_port)"
start_ref RPG_PID "$RPG_PORT" "$REFBIN/http_fixed_server" "$RPG_PORT" "$PAGE_BYTES"
ref_page_bytes="$(curl -s --max-time 5 -o /dev/null -w '%{size_download}' "http://$HOST:$RPG_PORT/")"
log "  references: bare HTTP 1 KiB on $R1K_PORT, bare HTTP $ref_page_bytes bytes on $RPG_PORT"

# ---------------------------------------------------------------- reads
http_ref() {
	wrk_get ref_1k "http://$HOST:$R1K_PORT/"
	wrk_get ref_page "http://$HOST:$RPG_PORT/"
}
http_fech() {
	wrk_get me "http://$HOST:$FPORT/api/users/me" -H "$AUTH"
	wrk_get health "http://$HOST:$FPORT/health"
	wrk_get page "$PAGE_URL" -H "$AUTH"
	wrk_get page_gzip "$PAGE_URL" -H "$AUTH" -H 'Accept-Encoding: gzip'
}
part reads && log "== reads: wrk -t1 -c16 -d${DUR}s, $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	part reads || break
	if ((r % 2)); then http_ref; http_fech; else http_fech; http_ref; fi
done

# ---------------------------------------------------------------- ingest
ceiling() { # ceiling BATCH ROWS
	local l out v
	l="$(load1)"
	out="$(timeout 120 "${SRV[@]}" "$REFBIN/sqlite_ceiling" "$WORK/ceiling.db" "$2" FULL "$1" 1)" ||
		{ fail "sqlite_ceiling $1/tx did not run"; return 1; }
	v="$(printf '%s\n' "$out" | tr ' ' '\n' | awk -F= '$1 == "rows_s" { print $2 }')"
	keep "ceil_$1" "$v" "$l"
	log "  sqlite_ceiling FULL $1/tx, FTS: $v rows/s (load $l)"
	rm -f "$WORK/ceiling.db" "$WORK/ceiling.db-wal" "$WORK/ceiling.db-shm"
}
# wsb ARGS...: one wsbench run on CPU 1; its RESULT line becomes R_* variables.
wsb() {
	local out line
	out="$(timeout 180 "${CLI[@]}" "$OUT/wsbench" "$@" 2>"$WORK/wsbench.err")"
	line="$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)"
	sed 's/^/    /' "$WORK/wsbench.err" >&2
	[ -n "$line" ] || { log "wsbench gave no RESULT"; return 1; }
	R_deliveries_per_s="" R_missing="" R_out_of_order="" R_corrupt="" R_sent="" R_acked="" R_send_errors=""
	R_p99_ms="" R_p50_ms="" R_rss_per_conn_kb=""
	eval "$(printf '%s\n' "${line#RESULT }" | tr ' ' '\n' | grep '^[a-z_0-9]*=[-0-9a-z_.]*$' | sed 's/^/R_/')"
}
lossless() { # lossless WHAT: the last wsbench run lost, reordered or cut nothing
	if [ "$R_missing" != 0 ] || [ "$R_out_of_order" != 0 ] || [ "$R_corrupt" != 0 ]; then
		fail "$1: missing $R_missing, out of order $R_out_of_order, cut $R_corrupt"
	fi
}
ws_ingest() {
	local l b0 o0 b1 o1 per
	l="$(load1)"
	b0="$(metric "$FPORT" fechatter_write_batches_total)"
	o0="$(metric "$FPORT" fechatter_write_ops_total)"
	wsb -p "$FPORT" -n 1 -t 1 -s fechatter.v1 -m fechatter -c "$INGEST_CHAT" -r 0 -w 64 -d "$INGEST_SECS" -D 20 \
		-u "/ws?access_token=$OWNER_TOKEN" -U "/ws?access_token=$MEMBER_TOKEN" -l ws-ingest ||
		{ fail "ws ingest did not run"; return 1; }
	b1="$(metric "$FPORT" fechatter_write_batches_total)"
	o1="$(metric "$FPORT" fechatter_write_ops_total)"
	per="$(awk -v o=$((o1 - o0)) -v b=$((b1 - b0)) 'BEGIN { if (b > 0) printf "%.1f", o / b; else print "n/a" }')"
	keep ws_ingest "$R_deliveries_per_s" "$l"
	# messages per commit of the best run
	[ "${BEST[ws_ingest]}" = "$R_deliveries_per_s" ] && INGEST_PER_COMMIT="$per"
	log "  ws ingest: $R_deliveries_per_s msg/s, $per messages per commit (load $l)"
	if [ "$R_sent" != "$R_acked" ] || [ "$R_send_errors" != 0 ]; then
		fail "ws ingest: sent $R_sent, acked $R_acked, errors $R_send_errors"
	fi
	lossless "ws ingest"
}
stored() { sqlite3 "file:$FDATA/fechatter.db?mode=ro" "select count(*) from messages where chat_id = $SENDS_CHAT" 2>/dev/null; }
http_sends() {
	local l out line n0 n1 ok
	l="$(load1)"
	n0="$(stored)"
	out="$(BENCH_TOKEN="$MEMBER_TOKEN" BENCH_CHAT="$SENDS_CHAT" timeout $((DUR + 40)) "${CLI[@]}" \
		wrk -t2 -c64 -d"${DUR}s" --timeout 10s -s "$HERE/send.lua" "http://$HOST:$FPORT/")"
	line="$(printf '%s\n' "$out" | grep '^RESULT ')"
	[ -n "$line" ] || { fail "http sends: wrk gave no RESULT"; return 1; }
	local R_requests="" R_rps="" R_non2xx="" R_connect_err="" R_read_err="" R_write_err="" R_timeout_err=""
	eval "$(printf '%s\n' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/R_/')"
	sleep 1 # requests in flight at the cut-off finish on the server
	n1="$(stored)"
	ok=$((R_requests - R_non2xx))
	keep http_sends "$R_rps" "$l"
	log "  http sends: $R_rps req/s, 2xx $ok, stored $((n1 - n0)) (load $l)"
	[ "$R_non2xx" = 0 ] || fail "http sends: $R_non2xx non-2xx"
	[ $((R_connect_err + R_read_err + R_write_err + R_timeout_err)) = 0 ] || fail "http sends: socket errors"
	[ $((n1 - n0)) -ge "$ok" ] || fail "http sends: LOST $((ok - n1 + n0)) acknowledged messages"
	[ $((n1 - n0)) -le $((ok + 64)) ] || fail "http sends: stored $((n1 - n0)) > 2xx $ok + 64"
}
ingest_ref() { ceiling 64 40000; ceiling 16 20000; ceiling 8 16000; }
ingest_fech() { ws_ingest; http_sends; }
part ingest && log "== ingest: durability full; WebSocket 1 sender 64 unacknowledged; HTTP wrk -t2 -c64; $ROUNDS rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	part ingest || break
	if ((r % 2)); then ingest_ref; ingest_fech; else ingest_fech; ingest_ref; fi
done

# ---------------------------------------------------------------- fan-out
RING_PORT="$(free_port)"
start_ref RING_PID "$RING_PORT" "$REFBIN/ws_ring_server" "$RING_PORT"
fan() { # fan ring|fech ROUND
	local who="$1" round="$2" l args
	if [ "$who" = ring ]; then
		args=(-p "$RING_PORT" -s bench -m raw -b 390 -P "$RING_PID")
	else
		args=(-p "$FPORT" -s fechatter.v1 -m fechatter -c "$FANOUT_CHAT" -P "$FPID"
			-u "/ws?access_token=$OWNER_TOKEN" -U "/ws?access_token=$MEMBER_TOKEN")
	fi
	l="$(load1)"
	wsb "${args[@]}" -n "$WS_CONNS" -t 1 -S 1 -r 300 -d "$FAN_SECS" -D 60 -l "$who-tput" || { fail "fan-out $who did not run"; return 1; }
	keep "fan_$who" "$R_deliveries_per_s" "$l"
	local tput="$R_deliveries_per_s"
	# memory per idle connection: the first round (a reused heap reads lower later)
	[ "$round" = 1 ] && keep "mem_$who" "$R_rss_per_conn_kb" "$l"
	lossless "fan-out $who (300 msg/s)"
	sleep 1
	l="$(load1)"
	wsb "${args[@]}" -n "$WS_CONNS" -t 1 -S 0 -r 10 -d 5 -D 20 -l "$who-low" || { fail "fan-out $who (10 msg/s) did not run"; return 1; }
	keep "p99_$who" "$R_p99_ms" "$l" min
	log "  fan-out $who: $tput deliveries/s at 300 msg/s; 10 msg/s: p50 $R_p50_ms ms, p99 $R_p99_ms ms (load $l)"
	lossless "fan-out $who (10 msg/s)"
	sleep 1
}
log "== fan-out: $WS_CONNS subscribers in one chat, 300 msg/s for $FAN_SECS s, then 10 msg/s for 5 s; $WS_ROUNDS rounds"
for ((r = 1; r <= WS_ROUNDS; r++)); do
	if ((r % 2)); then fan ring "$r"; fan fech "$r"; else fan fech "$r"; fan ring "$r"; fi
done
stop_server "$RING_PID"
stop_server "$R1K_PID"
stop_server "$RPG_PID"
stop_server "$FPID"

# ---------------------------------------------------------------- start-up, memory, size
r() { local v; v="$(grep "^$1=" "$BENCH_RESULTS" | tail -1 | cut -d= -f2-)"; printf '%s' "${v:-}"; }
if part startup; then
	l="$(load1)"
	bash "$HERE/startup.sh" "$BIN" >/dev/null || fail "startup.sh did not run"
	keep rss_idle "$(r rss_idle_kb)" "$l"
	keep startup "$(r startup_median_ms)" "$l"
	keep stripped "$(r stripped_bytes)" "$l"
fi

# ---------------------------------------------------------------- stall (event loop vs. password hashing)
if [ "${BENCH_STALL:-1}" = 1 ] && part stall; then
	l="$(load1)"
	log "== stall: GET /health idle vs. 20 sign-ins in flight"
	if out="$(timeout 200 node "$HERE/stall.mjs" "$BIN")"; then
		printf '%s\n' "$out" >>"$BENCH_RESULTS"
		keep stall_idle "$(r stall_idle_p99_ms)" "$l"
		keep stall_load "$(r stall_load_p99_ms)" "$l"
		[ "$(r stall_health_non200)" = 0 ] || fail "stall: /health non-200 $(r stall_health_non200)"
		[ "$(r stall_signin_non200)" = 0 ] || fail "stall: sign-in non-200 $(r stall_signin_non200)"
	else
		fail "stall.mjs did not run"
	fi
fi

# ---------------------------------------------------------------- the table
# row ID "measure" REFKEY FECHKEY KIND TARGET "fechatter note"
#   KIND: ratio_ge (Fechatter/reference >= TARGET), ratio_le (<=), abs_le / abs_lt (Fechatter value), none
ROWS=()
row() { ROWS+=("$(printf '%s\x1f' "$@")"); } # a separator that is not white space: empty fields stay
row users_me "GET /api/users/me ($ME_BYTES B), auth, wrk -t1 -c16 req/s" ref_1k me ratio_ge 0.7 ""
row health "GET /health req/s (ref: bare 1 KiB)" ref_1k health none "" ""
row page "cached first page, limit=50 ($PAGE_BYTES B) req/s" ref_page page ratio_ge 1.0 ""
row page_gzip "same, Accept-Encoding: gzip ($GZ_BYTES B sent, $GZ_ENC) req/s" ref_page page_gzip ratio_ge 2.0 ""
row ws_ingest "WS ingest, 1 sender, 64 unacked, msg/s (ref: SQLite FULL 64/tx)" ceil_64 ws_ingest ratio_ge 1.0 \
	"${INGEST_PER_COMMIT:-n/a} msg/commit"
row ws_ingest_16 "WS ingest vs SQLite FULL 16/tx" ceil_16 ws_ingest none "" ""
row ws_ingest_8 "WS ingest vs SQLite FULL 8/tx" ceil_8 ws_ingest none "" ""
row http_sends "HTTP sends wrk -t2 -c64 req/s (ref: SQLite FULL 64/tx)" ceil_64 http_sends ratio_ge 0.6 ""
row fanout "fan-out to $WS_CONNS subscribers, deliveries/s" fan_ring fan_fech ratio_ge 1.0 ""
row p99 "p99 ms at 10 msg/s to $WS_CONNS subscribers (lower wins)" p99_ring p99_fech ratio_le 1.0 ""
row mem "KiB per idle WebSocket" mem_ring mem_fech abs_le 4 ""
row rss "idle RSS KiB" "" rss_idle abs_lt 10240 ""
row startup "exec to ready (200 /health) ms, median of 10" "" startup abs_lt 100 ""
row size "stripped binary bytes" "" stripped abs_lt 6291456 ""
if [ "${BENCH_STALL:-1}" = 1 ]; then
	row stall "GET /health p99 ms: during 20 sign-ins (ref: idle)" stall_idle stall_load none "" ""
fi

fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else if (v + 0 >= 1000) printf "%.0f", v; else if (v + 0 >= 10) printf "%.1f", v; else printf "%.2f", v }'; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 > 0) printf "%.2f", a / b; else print "" }'; }
verdict() { # verdict KIND TARGET RATIO VALUE
	[ "$1" = none ] && { printf '%s' "-"; return; }
	local x="$3"
	case "$1" in abs_*) x="$4" ;; esac
	[ -n "$x" ] || { printf '%s' "n/a"; return; }
	awk -v k="$1" -v t="$2" -v x="$x" 'BEGIN {
		ok = (k == "ratio_ge" && x >= t) || (k == "ratio_le" && x <= t) || (k == "abs_le" && x <= t) || (k == "abs_lt" && x < t)
		printf "%s", ok ? "pass" : "FAIL" }'
}
target_txt() {
	case "$1" in
	ratio_ge) printf '>= %sx' "$2" ;; ratio_le) printf '<= %sx' "$2" ;;
	abs_le) printf '<= %s' "$2" ;; abs_lt) printf '< %s' "$2" ;; *) printf '%s' "-" ;;
	esac
}
TABLE="$OUT/bench.txt"
JSON="$OUT/bench.json"
DAT="$OUT/bench.dat"
elapsed=$(($(date +%s) - T_START))
{
	echo
	echo "== make bench: Fechatter vs. references, same run ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
		"servers on CPU 0, clients on CPU 1, best of $ROUNDS (fan-out $WS_ROUNDS), load average now $(cut -d' ' -f1-3 /proc/loadavg))"
	printf '%-66s %10s %10s %7s %9s %5s  %s\n' measure reference Fechatter ratio target pass "load at start: reference | Fechatter"
} >"$TABLE"
: >"$DAT"
printf '{\n  "date": "%s",\n  "cpus": %s,\n  "rounds": %s,\n  "ws_rounds": %s,\n  "seconds": %s,\n  "page_bytes": %s,\n  "page_gzip_bytes": %s,\n  "page_gzip_encoding": "%s",\n  "rows": [\n' \
	"$(date -u +%FT%TZ)" "$(nproc)" "$ROUNDS" "$WS_ROUNDS" "$elapsed" "$PAGE_BYTES" "$GZ_BYTES" "$GZ_ENC" >"$JSON"
first=1
for line in "${ROWS[@]}"; do
	IFS=$'\x1f' read -r id measure rk fk kind target note <<<"$line"
	rv="" lr="-" # rows without a reference have an empty key (not a valid subscript)
	if [ -n "$rk" ]; then
		rv="${BEST[$rk]:-}"
		lr="${LOADS[$rk]:-}"
	fi
	fv="${BEST[$fk]:-}"
	ra="$(ratio_of "$fv" "$rv")"
	v="$(verdict "$kind" "$target" "$ra" "$fv")"
	printf '%-66s %10s %10s %7s %9s %5s  %s | %s%s\n' "$measure" "$([ -n "$rk" ] && fmt "$rv" || echo -)" "$(fmt "$fv")" \
		"${ra:-n/a}" "$(target_txt "$kind" "$target")" "$v" "$lr" "${LOADS[$fk]:-}" "${note:+  ($note)}" >>"$TABLE"
	[ -n "$ra" ] && printf '"%s" %s %s\n' "$id" "$ra" "$( [ "${kind%_*}" = ratio ] && echo "$target" || echo NaN)" >>"$DAT"
	[ $first = 1 ] || printf ',\n' >>"$JSON"
	first=0
	printf '    {"id": "%s", "measure": "%s", "reference": %s, "fechatter": %s, "ratio": %s, "target": "%s", "pass": "%s", "load_reference": "%s", "load_fechatter": "%s", "note": "%s"}' \
		"$id" "$measure" "${rv:-null}" "${fv:-null}" "${ra:-null}" "$(target_txt "$kind" "$target")" "$v" "$lr" "${LOADS[$fk]:-}" "$note" >>"$JSON"
done
{
	if [ -s "$WORK/failures" ]; then
		echo "correctness: FAILED:"
		sed 's/^/  /' "$WORK/failures"
	else
		echo "correctness: every check passed (no non-2xx or socket errors; every acknowledged send stored;" \
			"nothing lost, out of order or cut in ingest and fan-out; /health and sign-ins all 200 during the stall check)"
	fi
	echo "make bench took $(($(date +%s) - T_START)) s; table: $TABLE, $JSON, $OUT/bench.png"
} >>"$TABLE"
printf '\n  ],\n  "correctness_failures": %s\n}\n' "$(if [ -s "$WORK/failures" ]; then wc -l <"$WORK/failures"; else echo 0; fi)" >>"$JSON"

gnuplot <<EOF 2>&1 | sed 's/^/gnuplot: /' >&2
set terminal pngcairo size 1000,520 font "sans,10" noenhanced
set output "$OUT/bench.png"
set title "Fechatter / same-run reference (higher is better except p99; dots: the issue's targets)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -30
set grid ytics
set key top left
plot "$DAT" using 2:xtic(1) title "ratio" lc rgb "#3b7dd8", \
     "" using 0:3 with points pt 7 ps 1.5 lc rgb "#d83b3b" title "target"
EOF
cat "$TABLE"
exit $status
