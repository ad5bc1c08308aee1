#!/usr/bin/env bash
# Slow-body attack at the descriptor limit, measured. Starts the server under
# `prlimit --nofile=1024:1024` (systemd's default) and attacks it from
# 127.0.0.1 with ATTACK (1500) connections, each sending a body one byte
# every 10 s, for DURATION_MS (30000); the server runs with
# --max-connections-per-ip raised so the one attacking address can reach the
# total cap (as many addresses would). Prints the connections (descriptors)
# the server held, /health p50/p99 on a kept-alive connection during the
# attack, how new connections fared, and the log bytes written.
# usage: tests/bench/slowbody.sh [BIN]     (bounded: about DURATION_MS + 10 s)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
BIN="${1:-$BENCH_DIR/../../build/fechatter}"
HOST=127.0.0.1
command -v prlimit >/dev/null || { echo "slowbody: prlimit (util-linux) is needed" >&2; exit 2; }
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
data="$(mktemp -d)"
log="$data.log"
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	[ -n "${KEEP_LOG:-}" ] && cp "$log" "$KEEP_LOG"; rm -rf "$data" "$log"
}
trap cleanup EXIT
extra=()
# (a binary from before the caps has no such flag: it can then be measured too)
"$BIN" --help | grep -q -- --max-connections-per-ip && extra=(--max-connections-per-ip 100000)
prlimit --nofile=1024:1024 -- "$BIN" serve --bind "$HOST" --port "$port" --data "$data" --log-level info \
	"${extra[@]}" >"$log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
	curl -s -o /dev/null --max-time 1 "http://$HOST:$port/health/readiness" && break
	kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.05
done
grep -m1 'max_connections=' "$log" || true
# the attacker needs more descriptors than the server has
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
node "$BENCH_DIR/slowbody.mjs" "$port" "$pid" "$log"
echo "server log lines: $(wc -l <"$log"); repeated-line summaries:"
grep -E 'repeated|not logged' "$log" | tail -3 || true
