#!/usr/bin/env bash
# WebSocket fan-out: ONE chat, WS_CONNS (1,000) subscribed WebSocket
# connections on 127.0.0.1, one sender connection. Fechatter (durability
# full, the default) against a bare libwebsockets 4.1.6 broadcast server (the
# lws minimal example, compiled from the fetched lws source) in the same run.
# For each server: resident memory per idle connection, throughput (300 msg/s
# for 5 s), latency (100 msg/s for 5 s) and unloaded latency (10 msg/s for
# 5 s): deliveries/s, p50/p99/max
# send-to-receive latency, expected vs received. Numbers only, never
# pass/fail on time; non-zero exit only when a run could not be made.
# usage: ws.sh BIN          (env: WS_CONNS WS_THREADS WS_TPUT_RATE
#        WS_TPUT_SECONDS WS_LAT_RATE WS_LAT_SECONDS WS_LOW_RATE WS_LOW_SECONDS
#        WS_BASELINE=plain|ring WS_BASELINE_BYTES WS_BASELINE_RX)
set -uo pipefail
BIN="${1:?usage: ws.sh BIN}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools
need gcc gcc

ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
OUT="$ROOT/build/bench"
DEPS="$ROOT/build/deps"
LWS_EX="$DEPS/libwebsockets-4.1.6/minimal-examples/ws-server"
CONNS="${WS_CONNS:-1000}"
THREADS="${WS_THREADS:-1}"
TPUT_RATE="${WS_TPUT_RATE:-300}"
TPUT_SECS="${WS_TPUT_SECONDS:-5}"
LAT_RATE="${WS_LAT_RATE:-100}"
LAT_SECS="${WS_LAT_SECONDS:-5}"
LOW_RATE="${WS_LOW_RATE:-10}"
LOW_SECS="${WS_LOW_SECONDS:-5}"
# Baseline message text size: about the size of Fechatter's new_message event.
BASE_BYTES="${WS_BASELINE_BYTES:-390}"
BASELINE="${WS_BASELINE:-plain}"

# 1,000 sockets on each side, plus the server's own.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((CONNS + 100)) ] || { log "ulimit -n $(ulimit -n) is too low for $CONNS connections"; exit 1; }

mkdir -p "$OUT"
log "== ws: building the load client and the lws baseline into $OUT"
gcc -O2 -std=gnu11 -pthread -Wall -o "$OUT/wsbench" "$BENCH_DIR/wsbench.c" || exit 1

# The baseline: an lws minimal example compiled as it is, except that the port
# (hard-coded 7681) comes from $WSB_PORT and it listens on 127.0.0.1 only.
#  plain: minimal-ws-server: one message slot; a message that arrives before
#         the previous one reached everybody replaces it (counted as missing);
#         its 128-byte rx buffer is set to the lws default (WS_BASELINE_RX=128
#         keeps it).
#  ring:  minimal-ws-server-ring: an 8-message lws_ring; every write walks
#         the subscriber list (O(N^2) per message), laggards are culled.
case "$BASELINE" in
plain) ex=minimal-ws-server ;;
ring) ex=minimal-ws-server-ring ;;
*) log "WS_BASELINE must be plain or ring"; exit 2 ;;
esac
if [ ! -f "$LWS_EX/$ex/$ex.c" ]; then
	log "lws source not found at $LWS_EX (run make first)"
	exit 1
fi
rm -rf "$OUT/lws-$BASELINE-src"
mkdir -p "$OUT/lws-$BASELINE-src"
cp "$LWS_EX/$ex/$ex.c" "$LWS_EX/$ex/protocol_lws_minimal.c" "$OUT/lws-$BASELINE-src/"
sed -i 's|info.port = 7681;|info.port = getenv("WSB_PORT") ? atoi(getenv("WSB_PORT")) : 7681; info.iface = "127.0.0.1";|' \
	"$OUT/lws-$BASELINE-src/$ex.c"
grep -q 'getenv("WSB_PORT")' "$OUT/lws-$BASELINE-src/$ex.c" || { log "could not set the port in $ex.c"; exit 1; }
if [ "$BASELINE" = plain ] && [ "${WS_BASELINE_RX:-0}" != 128 ]; then
	# Its protocol asks for a 128-byte rx buffer: lws then reads the sender's
	# socket 128 bytes per service pass, the input backs up (seconds at 300
	# msg/s) and frames are relayed cut. 0 = the lws default (4096).
	sed -i 's|^\t\t128, \\$|\t\t0, /* rx buffer: lws default */ \\|' "$OUT/lws-$BASELINE-src/protocol_lws_minimal.c"
	grep -q 'rx buffer: lws default' "$OUT/lws-$BASELINE-src/protocol_lws_minimal.c" ||
		{ log "could not set the rx buffer in protocol_lws_minimal.c"; exit 1; }
fi
gcc -O2 -include stdlib.h -I"$DEPS/prefix/include" -o "$OUT/lws-baseline-$BASELINE" \
	"$OUT/lws-$BASELINE-src/$ex.c" "$DEPS/prefix/lib/libwebsockets.a" \
	-l:libmbedtls.a -l:libmbedx509.a -l:libmbedcrypto.a -lpthread -lm || exit 1

# wsbench ... : one run; its RESULT line is parsed into R_* variables.
bench() {
	local line
	line="$(timeout 120 "$OUT/wsbench" -n "$CONNS" -t "$THREADS" "$@")"
	local rc=$?
	line="$(printf '%s\n' "$line" | grep '^RESULT ' | tail -1)"
	[ -n "$line" ] || { log "wsbench gave no RESULT (exit $rc)"; return 1; }
	eval "$(printf '%s\n' "${line#RESULT }" | tr ' ' '\n' | grep '=' | sed 's/^/R_/')"
	return $rc
}

# report NAME MODE: result lines from the last bench run.
report() {
	local k="ws_$1_$2"
	result "${k}_rate" "$R_rate"
	result "${k}_sent" "$R_sent"
	result "${k}_acked" "$R_acked"
	result "${k}_expected" "$R_expected"
	result "${k}_received" "$R_received"
	result "${k}_missing" "$R_missing"
	result "${k}_corrupt" "$R_corrupt"
	result "${k}_dps" "$R_deliveries_per_s"
	result "${k}_window_s" "$R_window_s"
	result "${k}_p50_ms" "$R_p50_ms"
	result "${k}_p99_ms" "$R_p99_ms"
	result "${k}_max_ms" "$R_max_ms"
	result "${k}_client_cpu_s" "$R_client_cpu_s"
	result "${k}_server_cpu_s" "$R_server_cpu_s"
	result "${k}_bytes" "$R_avg_bytes"
}

# run_all NAME PID BENCH_ARGS...: memory, throughput, latency.
run_all() {
	local name="$1" pid="$2"
	shift 2
	bench -P "$pid" -S 1 -l "$name-idle" "$@" || return 1
	result "ws_${name}_rss_before_kb" "$R_rss_before_kb"
	result "ws_${name}_rss_after_kb" "$R_rss_after_kb"
	result "ws_${name}_rss_per_conn_kb" "$R_rss_per_conn_kb"
	sleep 1
	bench -P "$pid" -S 0 -l "$name-tput" -r "$TPUT_RATE" -d "$TPUT_SECS" "$@" || return 1
	report "$name" tput
	sleep 1
	bench -P "$pid" -S 0 -l "$name-lat" -r "$LAT_RATE" -d "$LAT_SECS" "$@" || return 1
	report "$name" lat
	sleep 1
	bench -P "$pid" -S 0 -l "$name-low" -r "$LOW_RATE" -d "$LOW_SECS" "$@" || return 1
	report "$name" low
	result "ws_${name}_rss_end_kb" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
}

wait_port() { # wait_port PORT PID: at most 10 s
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$2" 2>/dev/null || return 1
		curl -s -o /dev/null --max-time 1 "http://$HOST:$1/" && return 0
		sleep 0.05
	done
	return 1
}

# Results go to $BENCH_RESULTS (run.sh's file, else one of our own) for the summary.
if [ -z "${BENCH_RESULTS:-}" ]; then
	mktmp BENCH_RESULTS
	BENCH_RESULTS="$BENCH_RESULTS/results"
	: >"$BENCH_RESULTS"
fi
status=0

# ---- baseline ----
log "== ws: baseline lws 4.1.6 $ex, $CONNS subscribers"
port="$(free_port)"
(cd "$OUT/lws-$BASELINE-src" && WSB_PORT="$port" exec "$OUT/lws-baseline-$BASELINE" -d 3) >"$OUT/lws-baseline.log" 2>&1 &
LWS_PID=$!
BENCH_PIDS+=("$LWS_PID")
if wait_port "$port" "$LWS_PID"; then
	run_all lws "$LWS_PID" -p "$port" -s lws-minimal -m raw -b "$BASE_BYTES" || { log "baseline run failed"; status=1; }
else
	log "baseline server did not start"
	status=1
fi
stop_server "$LWS_PID"

# ---- fechatter ----
log "== ws: fechatter $BIN, durability full, $CONNS subscribers (all the same user), 1 sender (another user)"
port="$(free_port)"
mktmp data
# all subscribers come from 127.0.0.1: raise the per-address cap above them
if start_server "$BIN" "$port" "$data" --max-connections-per-ip $((CONNS + 64)); then
	setup="$(node --input-type=module - "$port" <<'EOF'
const base = `http://127.0.0.1:${process.argv[2]}`;
async function call(method, path, body, token, want) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers,
    body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10000) });
  const json = await res.json().catch(() => null);
  if (res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}
const pw = 'bench-password-1';
const owner = await call('POST', '/api/signup', { email: 'sub@bench.test', password: pw, fullname: 'Bench Subscriber' }, null, 201);
const invite = await call('POST', '/api/workspace/invites', { max_uses: 1000 }, owner.access_token, 201);
const sender = await call('POST', '/api/signup', { email: 'sender@bench.test', password: pw, fullname: 'Bench Sender', invite_code: invite.code }, null, 201);
const chat = await call('POST', '/api/workspace/chats', { name: 'fanout', chat_type: 'PublicChannel', members: [sender.user.id] }, owner.access_token, 201);
console.log(`${owner.access_token} ${sender.access_token} ${chat.id}`);
EOF
)" || setup=""
	if [ -n "$setup" ]; then
		read -r sub_token snd_token chat <<<"$setup"
		run_all fechatter "$SERVER_PID" -p "$port" -s fechatter.v1 -m fechatter -c "$chat" \
			-u "/ws?access_token=$sub_token" -U "/ws?access_token=$snd_token" ||
			{ log "fechatter run failed"; status=1; }
	else
		log "fechatter setup failed"
		status=1
	fi
	stop_server "$SERVER_PID"
else
	status=1
fi

# ---- summary ----
r() { local v; v="$(grep "^$1=" "$BENCH_RESULTS" | tail -1 | cut -d= -f2-)"; printf '%s' "${v:-n/a}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
	echo
	echo "== ws fan-out summary: 1 chat, $CONNS WebSocket subscribers on 127.0.0.1, client threads $THREADS, $(nproc) CPUs"
	echo "   fechatter: the $CONNS subscribers are connections of ONE user; the sender is a second user; durability full"
	echo "   baseline: lws 4.1.6 $ex (bare broadcast, no storage)"
	printf '%-38s %16s %16s %8s\n' "" "fechatter" "lws baseline" "f/base"
	for m in tput lat low; do
		case $m in
		tput) rate=$TPUT_RATE secs=$TPUT_SECS ;;
		lat) rate=$LAT_RATE secs=$LAT_SECS ;;
		low) rate=$LOW_RATE secs=$LOW_SECS ;;
		esac
		echo "-- $m: $rate msg/s for $secs s"
		printf '%-38s %16s %16s %8s\n' "deliveries/s" "$(r ws_fechatter_${m}_dps)" "$(r ws_lws_${m}_dps)" \
			"$(ratio "$(r ws_fechatter_${m}_dps)" "$(r ws_lws_${m}_dps)")"
		printf '%-38s %16s %16s %8s\n' "p50 latency ms" "$(r ws_fechatter_${m}_p50_ms)" "$(r ws_lws_${m}_p50_ms)" \
			"$(ratio "$(r ws_fechatter_${m}_p50_ms)" "$(r ws_lws_${m}_p50_ms)")"
		printf '%-38s %16s %16s %8s\n' "p99 latency ms" "$(r ws_fechatter_${m}_p99_ms)" "$(r ws_lws_${m}_p99_ms)" \
			"$(ratio "$(r ws_fechatter_${m}_p99_ms)" "$(r ws_lws_${m}_p99_ms)")"
		printf '%-38s %16s %16s\n' "max latency ms" "$(r ws_fechatter_${m}_max_ms)" "$(r ws_lws_${m}_max_ms)"
		printf '%-38s %16s %16s\n' "received / expected" \
			"$(r ws_fechatter_${m}_received)/$(r ws_fechatter_${m}_expected)" "$(r ws_lws_${m}_received)/$(r ws_lws_${m}_expected)"
		printf '%-38s %16s %16s\n' "missing (cut frames)" \
			"$(r ws_fechatter_${m}_missing) ($(r ws_fechatter_${m}_corrupt))" "$(r ws_lws_${m}_missing) ($(r ws_lws_${m}_corrupt))"
		printf '%-38s %16s %16s\n' "sent / acked (fechatter) or echoed" \
			"$(r ws_fechatter_${m}_sent)/$(r ws_fechatter_${m}_acked)" "$(r ws_lws_${m}_sent)/$(r ws_lws_${m}_acked)"
		printf '%-38s %16s %16s\n' "client / server CPU s" \
			"$(r ws_fechatter_${m}_client_cpu_s) / $(r ws_fechatter_${m}_server_cpu_s)" "$(r ws_lws_${m}_client_cpu_s) / $(r ws_lws_${m}_server_cpu_s)"
		printf '%-38s %16s %16s\n' "bytes per delivery (frame payload)" "$(r ws_fechatter_${m}_bytes)" "$(r ws_lws_${m}_bytes)"
	done
	echo "-- memory (VmRSS of the server, before/after $CONNS idle connections)"
	printf '%-38s %16s %16s %8s\n' "KiB per idle connection" "$(r ws_fechatter_rss_per_conn_kb)" "$(r ws_lws_rss_per_conn_kb)" \
		"$(ratio "$(r ws_fechatter_rss_per_conn_kb)" "$(r ws_lws_rss_per_conn_kb)")"
	printf '%-38s %16s %16s\n' "VmRSS KiB before / after" \
		"$(r ws_fechatter_rss_before_kb)/$(r ws_fechatter_rss_after_kb)" "$(r ws_lws_rss_before_kb)/$(r ws_lws_rss_after_kb)"
	printf '%-38s %16s %16s\n' "VmRSS KiB at the end" "$(r ws_fechatter_rss_end_kb)" "$(r ws_lws_rss_end_kb)"
} >&2
exit $status
