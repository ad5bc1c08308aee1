# Shared helpers for the benchmark scripts (sourced, not run).
# Only 127.0.0.1 is used; every process started here is recorded by PID and
# stopped by that PID on exit; every wait loop is bounded in count and time.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HOST=127.0.0.1

# PIDs and temp folders to clean up on exit.
BENCH_PIDS=()
BENCH_TMP=()

bench_cleanup() {
	local pid d i
	for pid in "${BENCH_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	for d in "${BENCH_TMP[@]}"; do
		[ -n "$d" ] && rm -rf -- "$d"
	done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

# Debian packages only: install a tool when missing.
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 (for $1)"
	(apt-get update -qq && apt-get install -y -qq "$2") >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	command -v "$1" >/dev/null 2>&1 || { log "cannot install $2"; exit 1; }
}

need_tools() {
	need curl curl
	need node nodejs
	for t in "$@"; do
		case "$t" in
		wrk) need wrk wrk ;;
		sqlite3) need sqlite3 sqlite3 ;;
		file) need file file ;;
		strip) need strip binutils ;;
		esac
	done
}

mktmp() { # mktmp VAR: VAR = a fresh temp folder, removed on exit
	local d
	d="$(mktemp -d /tmp/fechatter-bench.XXXXXX)" || exit 1
	BENCH_TMP+=("$d")
	printf -v "$1" '%s' "$d"
}

free_port() {
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Per-user limits and the search deadline off for every benchmark server
# (send.sh drives wrk -c64 sends from one user, ws.sh one sender, cache.sh
# and search.sh one user's reads and searches): the numbers measure the
# server, not the abuse limits, and stay comparable with earlier runs. A
# flag given to start_server after these wins (the last one counts).
BENCH_LIMITS_OFF=(--send-rate 0 --upload-rate 0 --search-rate 0 --invite-rate 0 --profile-rate 0
	--search-concurrency 0 --search-timeout 0)

# start_server BIN PORT DATA [extra flags...]: sets SERVER_PID, waits for
# GET /health/readiness == 200 (at most 15 s).
start_server() {
	local bin="$1" port="$2" data="$3"
	shift 3
	FECHATTER_LOGIN_RATE_IP=100000 FECHATTER_LOGIN_RATE_ACCOUNT=100000 \
		"$bin" serve --bind "$HOST" --port "$port" --data "$data" --log-level warn "${BENCH_LIMITS_OFF[@]}" "$@" \
		>"$data.log" 2>&1 &
	SERVER_PID=$!
	BENCH_PIDS+=("$SERVER_PID")
	BENCH_TMP+=("$data.log")
	local i code
	for ((i = 0; i < 1500; i++)); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			log "server exited during start-up:"
			cat "$data.log" >&2
			return 1
		fi
		code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$port/health/readiness" || true)"
		[ "$code" = 200 ] && return 0
		sleep 0.01
	done
	log "server not ready after 15 s"
	return 1
}

# stop_server PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_server() {
	local pid="$1" i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "server $pid did not stop in 10 s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# metric PORT NAME: the value of an unlabelled metric.
metric() {
	curl -s --max-time 5 "http://$HOST:$1/metrics" | awk -v n="$2" '$1 == n { print $2; exit }'
}

# result KEY VALUE: one line for the summary (file given by BENCH_RESULTS).
result() {
	printf '%s=%s\n' "$1" "$2"
	[ -n "${BENCH_RESULTS:-}" ] && printf '%s=%s\n' "$1" "$2" >>"$BENCH_RESULTS"
	return 0
}
