#!/usr/bin/env bash
# Read cache: hit rate and the request-rate gain of the cached reads over the
# same reads without a cache, in one run.
#
# Data: USERS users (the owner + members) in CHATS group chats (everyone in
# every chat), MESSAGES messages per chat, seeded once through the API and
# copied, so both modes start from the same database.
# Mix (wrk -t2 -c32, keep-alive, cache-mix.lua; a user and a chat uniformly
# at random per request, pre-generated tokens):
#   80% GET /api/chat/{id}/messages?limit=50 (the first page, cached per viewer)
#   10% GET /api/workspace/chats, 5% GET /api/unread-counts,
#    5% POST /api/chat/{id}/messages (each drops that chat's cached pages
#       and its members' unread counters)
# Each mode: a fresh server on its own copy, a 2 s warm-up of the mix, then
# CACHE_MIX_DURATION (10 s) measured; the hit rate is the delta of
# /api/cache/stats over the measured part. Then the pure first-page read:
# wrk -t2 -c32 -d5s on one URL (one user, one chat, no writes).
# Modes: the default cache (32 MiB) and --cache-size 0 (the baseline).
# Numbers only, never pass/fail on time; exit status is non-zero when
# something could not run or a correctness check failed (non-2xx, socket errors).
# usage: cache.sh [BIN]  (env: CACHE_USERS=20 CACHE_CHATS=10 CACHE_MESSAGES=200
#   CACHE_MIX_DURATION=10s CACHE_ONE_DURATION=5s MIX_PAGE/MIX_LIST/MIX_UNREAD/MIX_POST)
set -uo pipefail
BIN="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/fechatter}"
[ -x "$BIN" ] || { echo "cache.sh: $BIN is not an executable (run make)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools wrk

USERS="${CACHE_USERS:-20}"
CHATS="${CACHE_CHATS:-10}"
MESSAGES="${CACHE_MESSAGES:-200}"
MIX_DURATION="${CACHE_MIX_DURATION:-10s}"
ONE_DURATION="${CACHE_ONE_DURATION:-5s}"
THREADS=2
CONNS=32
export MIX_PAGE="${MIX_PAGE:-80}" MIX_LIST="${MIX_LIST:-10}" MIX_UNREAD="${MIX_UNREAD:-5}" MIX_POST="${MIX_POST:-5}"

mktmp WORK
SEED="$WORK/seed"
mkdir -p "$SEED"
log "== cache: $USERS users in $CHATS chats x $MESSAGES messages; mix $MIX_PAGE% first page, $MIX_LIST% chat list," \
	"$MIX_UNREAD% unread-counts, $MIX_POST% send; wrk -t$THREADS -c$CONNS -d$MIX_DURATION"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(node --version)"

# ---------------------------------------------------------------- seed once
port="$(free_port)"
start_server "$BIN" "$port" "$SEED" || exit 1
setup="$(timeout 300 node "$BENCH_DIR/cache-setup.mjs" "$port" "$WORK" "$USERS" "$CHATS" "$MESSAGES")" ||
	{ log "cache-setup.mjs failed"; exit 1; }
stop_server "$SERVER_PID"
jget() { node -e 'const o=JSON.parse(process.argv[1]);const v=o[process.argv[2]];console.log(Array.isArray(v)?v.join(","):v)' "$setup" "$1"; }
CHAT_IDS="$(jget chats)"
OWNER_TOKEN="$(jget owner_token)"
ONE_CHAT="${CHAT_IDS%%,*}"
ONE_TOKEN="$(sed -n 2p "$WORK/tokens.txt")" # a plain member
log "seeded: chats $CHAT_IDS, $(jget messages) messages"

stats() { # stats PORT: the data of /api/cache/stats (owner)
	curl -s --max-time 5 -H "Authorization: Bearer $OWNER_TOKEN" "http://$HOST:$1/api/cache/stats"
}

# hitrate S0 S1: "overall messages" hit rates over the interval (or n/a)
hitrate() {
	node -e '
const [a, b] = process.argv.slice(1).map((s) => JSON.parse(s).data.families);
const z = { hits: 0, misses: 0 };
const rate = (fs) => {
  let h = 0, m = 0;
  for (const f of fs) { h += (b[f] ?? z).hits - (a[f] ?? z).hits; m += (b[f] ?? z).misses - (a[f] ?? z).misses; }
  return h + m ? (h / (h + m)).toFixed(3) : "n/a";
};
const all = [...new Set([...Object.keys(a), ...Object.keys(b)])];
const ev = all.reduce((s, f) => s + ((b[f] ?? {}).evictions ?? 0), 0);
const by = all.map((f) => `${f}=${rate([f])}`).join(",");
console.log(`${rate(all)} ${rate(["messages"])} ${rate(["unread"])} ${ev} ${by || "none"}`);' "$1" "$2"
}

status=0
run_mode() { # run_mode cached|off
	local mode="$1" data port out line s0 s1 hr args=()
	[ "$mode" = off ] && args=(--cache-size 0)
	data="$WORK/$mode"
	cp -a "$SEED" "$data" || return 1
	port="$(free_port)"
	result "cache_${mode}_loadavg" "$(cut -d' ' -f1 /proc/loadavg)"
	start_server "$BIN" "$port" "$data" "${args[@]}" || return 1
	BENCH_TOKENS="$WORK/tokens.txt" BENCH_CHATS="$CHAT_IDS" timeout 30 \
		wrk -t"$THREADS" -c"$CONNS" -d2s --timeout 10s -s "$BENCH_DIR/cache-mix.lua" "http://$HOST:$port/" >/dev/null ||
		{ log "warm-up failed"; stop_server "$SERVER_PID"; return 1; }
	s0="$(stats "$port")"
	out="$(BENCH_TOKENS="$WORK/tokens.txt" BENCH_CHATS="$CHAT_IDS" timeout 120 \
		wrk -t"$THREADS" -c"$CONNS" -d"$MIX_DURATION" --timeout 10s --latency -s "$BENCH_DIR/cache-mix.lua" "http://$HOST:$port/")"
	s1="$(stats "$port")"
	line="$(printf '%s\n' "$out" | grep '^RESULT ')"
	[ -n "$line" ] || { log "wrk gave no RESULT line"; printf '%s\n' "$out" >&2; stop_server "$SERVER_PID"; return 1; }
	local R_requests R_rps R_p50_ms R_p99_ms R_non2xx R_connect_err R_read_err R_write_err R_timeout_err
	local R_sent_page R_sent_list R_sent_unread R_sent_post R_duration_us R_max_ms
	eval "$(printf '%s\n' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/R_/')"
	local errs=$((R_connect_err + R_read_err + R_write_err + R_timeout_err))
	read -r hr_all hr_msg hr_unread evictions hr_by <<<"$(hitrate "$s0" "$s1")"
	result "cache_${mode}_mix_rps" "$R_rps"
	result "cache_${mode}_mix_p50_ms" "$R_p50_ms"
	result "cache_${mode}_mix_p99_ms" "$R_p99_ms"
	result "cache_${mode}_mix_requests" "$R_requests"
	result "cache_${mode}_mix_sent" "page=$R_sent_page,list=$R_sent_list,unread=$R_sent_unread,post=$R_sent_post"
	result "cache_${mode}_mix_non2xx" "$R_non2xx"
	result "cache_${mode}_mix_socket_errors" "$errs"
	result "cache_${mode}_hit_rate" "$hr_all"
	result "cache_${mode}_hit_rate_messages" "$hr_msg"
	result "cache_${mode}_hit_rate_unread" "$hr_unread"
	result "cache_${mode}_hit_rate_by_family" "$hr_by"
	result "cache_${mode}_evictions" "$evictions"
	[ "$R_non2xx" -eq 0 ] && [ "$errs" -eq 0 ] || { log "correctness: mix $mode: non-2xx $R_non2xx, socket errors $errs"; status=1; }

	# the pure first-page read: one URL, no writes
	out="$(timeout 60 wrk -t"$THREADS" -c"$CONNS" -d"$ONE_DURATION" --timeout 10s --latency \
		-H "Authorization: Bearer $ONE_TOKEN" "http://$HOST:$port/api/chat/$ONE_CHAT/messages?limit=50")"
	local one_rps one_non2xx one_p50 one_p99
	one_rps="$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { print $2 }')"
	one_non2xx="$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')"
	one_p50="$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')"
	one_p99="$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')"
	result "cache_${mode}_page_rps" "${one_rps:-n/a}"
	result "cache_${mode}_page_p50" "${one_p50:-n/a}"
	result "cache_${mode}_page_p99" "${one_p99:-n/a}"
	result "cache_${mode}_page_non2xx" "${one_non2xx:-0}"
	[ -n "$one_rps" ] && [ -z "$one_non2xx" ] || { log "correctness: first page $mode: non-2xx ${one_non2xx:-?}"; status=1; }
	local page_bytes
	page_bytes="$(curl -s --max-time 5 -H "Authorization: Bearer $ONE_TOKEN" -o /dev/null -w '%{size_download}' \
		"http://$HOST:$port/api/chat/$ONE_CHAT/messages?limit=50")"
	result "cache_${mode}_page_bytes" "$page_bytes"
	stop_server "$SERVER_PID"
	log "  $mode: mix $R_rps req/s (p50 $R_p50_ms ms, p99 $R_p99_ms ms; sent page $R_sent_page, list $R_sent_list," \
		"unread $R_sent_unread, post $R_sent_post; non-2xx $R_non2xx), hit rate $hr_all (messages $hr_msg," \
		"unread $hr_unread; $hr_by; evictions $evictions); first page alone $one_rps req/s ($page_bytes bytes)"
	declare -g "MIX_$mode=$R_rps" "ONE_$mode=$one_rps"
}

run_mode cached || { log "cached run failed"; exit 1; }
run_mode off || { log "baseline run failed"; exit 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
result cache_mix_ratio "$(ratio "$MIX_cached" "$MIX_off")"
result cache_page_ratio "$(ratio "$ONE_cached" "$ONE_off")"
{
	echo
	echo "== cache summary ($USERS users, $CHATS chats x $MESSAGES messages; wrk -t$THREADS -c$CONNS)"
	printf '%-44s %12s %12s %8s\n' "" "cache 32MiB" "off (base)" "ratio"
	printf '%-44s %12s %12s %8s\n' "mix req/s ($MIX_PAGE/$MIX_LIST/$MIX_UNREAD/$MIX_POST, $MIX_DURATION)" "$MIX_cached" "$MIX_off" \
		"$(ratio "$MIX_cached" "$MIX_off")"
	printf '%-44s %12s %12s %8s\n' "first page only req/s ($ONE_DURATION, one URL)" "$ONE_cached" "$ONE_off" \
		"$(ratio "$ONE_cached" "$ONE_off")"
} >&2
exit $status
