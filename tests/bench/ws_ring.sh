#!/usr/bin/env bash
# WebSocket fan-out against the ring reference (issue 14): ONE chat,
# WS_CONNS (1,000) subscribers on 127.0.0.1, one sender, the same load
# client (wsbench.c) for both servers. The reference is ws_ring_server (a
# bare lws 4.1.6 broadcast server with an O(1) ring and flow control; build
# it first: make -C ../shared/baselines LWS=$PWD/build/deps/prefix
# OUT=$PWD/build/baselines), driven with `-m raw -s bench`. Every server is
# pinned to CPU 0 and the client to CPU 1 (taskset), reference and
# Fechatter alternate, WS_ROUNDS (3) rounds; the summary keeps the best of
# the rounds (highest deliveries/s, lowest p99) and the ratio, with the load
# average at the start of each run and the client's CPU. Fechatter runs with
# durability full (the default). Numbers only, never pass/fail on time.
# usage: ws_ring.sh BIN [RING_SERVER]   (env: WS_CONNS WS_THREADS WS_ROUNDS
#        WS_TPUT_RATE WS_TPUT_SECONDS WS_LOW_RATE WS_LOW_SECONDS WS_BYTES)
set -uo pipefail
BIN="${1:?usage: ws_ring.sh BIN [RING_SERVER]}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools
need gcc gcc
need taskset util-linux
ROOT="$(cd "$BENCH_DIR/../.." && pwd)"
RING="${2:-$ROOT/build/baselines/ws_ring_server}"
[ -x "$RING" ] || { log "no ring server at $RING (see the header of $0)"; exit 1; }
OUT="$ROOT/build/bench"
CONNS="${WS_CONNS:-1000}"
THREADS="${WS_THREADS:-1}"
ROUNDS="${WS_ROUNDS:-3}"
TPUT="-r ${WS_TPUT_RATE:-300} -d ${WS_TPUT_SECONDS:-5}"
LOW="-r ${WS_LOW_RATE:-10} -d ${WS_LOW_SECONDS:-5}"
BYTES="${WS_BYTES:-390}" # about the size of Fechatter's new_message event
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((CONNS + 100)) ] || { log "ulimit -n $(ulimit -n) is too low for $CONNS connections"; exit 1; }
mkdir -p "$OUT"
gcc -O2 -std=gnu11 -pthread -Wall -o "$OUT/wsbench" "$BENCH_DIR/wsbench.c" || exit 1
mktmp work
RES="$work/results"
: >"$RES"

pin() { taskset -a -pc 0 "$1" >/dev/null; }

# run NAME MODE ARGS...: one wsbench run (client on CPU 1), RESULT kept with its load.
run() {
	local name="$1" mode="$2" line
	shift 2
	local load
	load="$(cut -d' ' -f1 /proc/loadavg)"
	line="$(timeout 120 taskset -c 1 "$OUT/wsbench" -n "$CONNS" -t "$THREADS" -l "$name-$mode" "$@" | grep '^RESULT ' | tail -1)"
	[ -n "$line" ] || { log "$name $mode: wsbench gave no RESULT"; return 1; }
	printf '%s %s load=%s %s\n' "$name" "$mode" "$load" "${line#RESULT }" >>"$RES"
	log "$name $mode (load $load): $(printf '%s\n' "$line" | tr ' ' '\n' | grep -E '^(deliveries_per_s|p50_ms|p99_ms|missing|client_cpu_pct|server_us_per_delivery|rss_per_conn_kb)=' | tr '\n' ' ')"
}

ring_round() {
	local port pid
	port="$(free_port)"
	"$RING" "$port" 2>"$work/ring.log" &
	pid=$!
	BENCH_PIDS+=("$pid")
	pin "$pid"
	sleep 0.3
	local a=(-p "$port" -m raw -s bench -b "$BYTES" -P "$pid")
	[ "$1" = 1 ] && run ring idle "${a[@]}" -S 1
	# shellcheck disable=SC2086
	run ring tput "${a[@]}" -S 0 $TPUT
	# shellcheck disable=SC2086
	run ring low "${a[@]}" -S 0 $LOW
	stop_server "$pid"
}

fech_round() {
	local port data setup sub snd chat
	port="$(free_port)"
	mktmp data
	start_server "$BIN" "$port" "$data" --max-connections-per-ip $((CONNS + 64)) || return 1
	pin "$SERVER_PID"
	setup="$(node --input-type=module - "$port" <<'JS'
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
JS
)" || { log "fechatter setup failed"; stop_server "$SERVER_PID"; return 1; }
	read -r sub snd chat <<<"$setup"
	local a=(-p "$port" -s fechatter.v1 -m fechatter -c "$chat" -u "/ws?access_token=$sub" -U "/ws?access_token=$snd" -P "$SERVER_PID")
	[ "$1" = 1 ] && run fechatter idle "${a[@]}" -S 1
	# shellcheck disable=SC2086
	run fechatter tput "${a[@]}" -S 0 $TPUT
	# shellcheck disable=SC2086
	run fechatter low "${a[@]}" -S 0 $LOW
	stop_server "$SERVER_PID"
}

log "== ws_ring: $CONNS subscribers, $ROUNDS rounds, server on CPU 0, client on CPU 1 ($(nproc) CPUs)"
for ((r = 1; r <= ROUNDS; r++)); do
	ring_round "$r"
	fech_round "$r"
done

# best of the rounds: highest deliveries/s (tput), lowest p99 (low)
field() { awk -v n="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == n) print kv[2] } }'; }
best() { # best NAME MODE FIELD max|min
	grep "^$1 $2 " "$RES" | field "$3" | sort -g | { [ "$4" = max ] && tail -1 || head -1; }
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
{
	echo
	echo "== ws fan-out vs ws_ring_server: $CONNS subscribers, best of $ROUNDS, pinned (server CPU 0, client CPU 1)"
	printf '%-40s %14s %14s %8s\n' "" "fechatter" "ring" "f/ring"
	for m in "tput deliveries_per_s max deliveries/s" "low p50_ms min p50_ms" "low p99_ms min p99_ms" \
		"tput server_us_per_delivery min server_us/delivery(tput)" "low server_us_per_delivery min server_us/delivery(low)" \
		"idle rss_per_conn_kb min KiB/idle_connection"; do
		set -- $m
		f="$(best fechatter "$1" "$2" "$3")"
		g="$(best ring "$1" "$2" "$3")"
		printf '%-40s %14s %14s %8s\n' "$1 $4" "${f:-n/a}" "${g:-n/a}" "$(ratio "$f" "$g")"
	done
	echo "-- every run (load = 1-minute load average at its start):"
	awk '{ out = $1 " " $2; for (i = 3; i <= NF; i++) if ($i ~ /^(load|deliveries_per_s|received|expected|missing|p50_ms|p99_ms|client_cpu_pct|server_us_per_delivery|rss_per_conn_kb)=/) out = out " " $i; print out }' "$RES"
} >&2
cp "$RES" "$OUT/ws_ring.results"
