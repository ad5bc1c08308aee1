#!/usr/bin/env bash
# Start-up time (exec -> first 200 from /health, median of 10 starts with a
# fresh data folder each), idle resident memory (after start; after 1 signup
# and 100 messages), stripped binary size, `file` output. Numbers only.
# usage: startup.sh BIN
set -uo pipefail
BIN="${1:?usage: startup.sh BIN}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools file strip

log "== startup"
json="$(timeout 300 node "$BENCH_DIR/startup.mjs" "$BIN" 10)" || { log "startup.mjs failed"; exit 1; }
jget() { node -e 'const o=JSON.parse(process.argv[1]);const v=o[process.argv[2]];console.log(Array.isArray(v)?v.join(","):v)' "$json" "$1"; }
result startup_median_ms "$(jget median_ms)"
result startup_min_ms "$(jget min_ms)"
result startup_max_ms "$(jget max_ms)"
log "  exec -> first 200 /health, 10 starts (ms): $(jget all_ms)"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

port="$(free_port)"
mktmp data
start_server "$BIN" "$port" "$data" || exit 1
sleep 1
result rss_idle_kb "$(rss_kb "$SERVER_PID")"
# setup.mjs solo: one signup (the owner), one channel, 100 messages.
node "$BENCH_DIR/setup.mjs" "$port" 100 solo >/dev/null || { log "setup failed"; exit 1; }
sleep 1
result rss_after_100msg_kb "$(rss_kb "$SERVER_PID")"
result rss_peak_kb "$(hwm_kb "$SERVER_PID")"
stop_server "$SERVER_PID"

mktmp tmpbin
tmpbin="$tmpbin/fechatter.stripped"
strip -o "$tmpbin" "$BIN"
result binary_bytes "$(stat -c %s "$BIN")"
result stripped_bytes "$(stat -c %s "$tmpbin")"
result file "\"$(file -b "$BIN")\""
exit 0
