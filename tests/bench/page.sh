#!/usr/bin/env bash
# The cached first page against the bare lws server sending the same bytes
# (issue 14): GET /api/chat/{id}/messages?limit=50 with PAGE_MESSAGES messages
# in the chat, identity and gzip (Accept-Encoding: gzip), against
# http_fixed_server PORT BYTES (BYTES = the identity page's size), each server
# pinned to CPU 0 and wrk to CPU 1, reference and server alternated for
# PAGE_ROUNDS rounds; prints every run and the best of each with ratios.
# Numbers only, never pass/fail on time. Exit status non-zero when something
# could not run or an answer was not 2xx.
# usage: page.sh BIN BASELINES_DIR  (env: PAGE_ROUNDS=3 PAGE_DURATION=5s
#   PAGE_CONNS=16 PAGE_MESSAGES=60)
set -uo pipefail
BIN="${1:?usage: page.sh BIN BASELINES_DIR}"
BASE="${2:?usage: page.sh BIN BASELINES_DIR}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tools wrk
ROUNDS="${PAGE_ROUNDS:-3}"
DUR="${PAGE_DURATION:-5s}"
CONNS="${PAGE_CONNS:-16}"
NMSG="${PAGE_MESSAGES:-60}"

mktmp WORK
port="$(free_port)"
start_server "$BIN" "$port" "$WORK/data" || exit 1
setup="$(timeout 300 node "$BENCH_DIR/setup.mjs" "$port" 0)" || { log "setup.mjs failed"; exit 1; }
TOKEN="$(node -e 'console.log(JSON.parse(process.argv[1]).token)' "$setup")"
CHAT="$(node -e 'console.log(JSON.parse(process.argv[1]).chat_id)' "$setup")"
# NMSG messages of varied chat text (a fixed pseudo-random choice of words,
# so it compresses as chat does, not as one line repeated)
timeout 300 node - "$port" "$TOKEN" "$CHAT" "$NMSG" <<'JS' || { log "seeding failed"; exit 1; }
const [port, token, chat, n] = process.argv.slice(2);
const W = ('the a we it is on for to at in of and but so our my your this that lunch meeting deploy review ' +
  'release bug fix design tomorrow today noon later ticket merge server client budget slides customer ' +
  'invoice backup holiday office call notes draft plan week sprint demo build test green red done ' +
  'thanks sure okay maybe great please check ship update coffee team docs').split(' ');
let x = 12345;
const rnd = (k) => { x = (x * 1103515245 + 12345) % 2147483648; return x % k; };
for (let i = 0; i < Number(n); i++) {
  const words = Array.from({ length: 4 + rnd(6) }, () => W[rnd(W.length)]);
  const res = await fetch(`http://127.0.0.1:${port}/api/chat/${chat}/messages`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: words.join(' ') + (rnd(3) ? '.' : '?') }),
  });
  if (res.status !== 201) throw new Error(`send: ${res.status}`);
}
JS
URL="http://$HOST:$port/api/chat/$CHAT/messages?limit=50"
ident="$(curl -s -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $TOKEN" "$URL")"
gz="$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' -H "Authorization: Bearer $TOKEN" "$URL")"
log "page: $ident B identity, $gz B with Accept-Encoding: gzip; load average $(cut -d' ' -f1-3 /proc/loadavg)"
result page_identity_bytes "$ident"
result page_gzip_bytes "$gz"

rport="$(free_port)"
taskset -c 0 "$BASE/http_fixed_server" "$rport" "$ident" 2>/dev/null &
REF_PID=$!
BENCH_PIDS+=("$REF_PID")
for ((i = 0; i < 100; i++)); do curl -s -o /dev/null --max-time 1 "http://$HOST:$rport/" && break; sleep 0.05; done
taskset -a -p -c 0 "$SERVER_PID" >/dev/null || exit 1

ticks() { # CPU time (user + system, clock ticks) of process $1, all threads
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
run() { # run NAME PID URL [header...]: prints req/s, fails on non-2xx; logs
	# the server's CPU time per answer too (less moved by other load than req/s)
	local name="$1" pid="$2" url="$3" out rps bad n t0 t1
	shift 3
	t0="$(ticks "$pid")"
	out="$(taskset -c 1 wrk -t1 -c"$CONNS" -d"$DUR" "$@" "$url" 2>&1)"
	t1="$(ticks "$pid")"
	rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
	n="$(awk '/requests in/ {print $1}' <<<"$out")"
	bad="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
	[ -n "$bad" ] && { log "$name: $bad non-2xx answers"; STATUS=1; }
	printf '%-8s %9s req/s  server CPU %s us/answer  load=%s\n' "$name" "$rps" \
		"$(awk -v t=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')" \
		"$(cut -d' ' -f1 /proc/loadavg)" >&2
	printf '%s' "${rps%.*}"
}
STATUS=0
best_ref=0 best_id=0 best_gz=0
A=(-H "Authorization: Bearer $TOKEN")
for ((k = 1; k <= ROUNDS; k++)); do
	v="$(run ref "$REF_PID" "http://$HOST:$rport/")"; ((v > best_ref)) && best_ref=$v
	v="$(run identity "$SERVER_PID" "$URL" "${A[@]}")"; ((v > best_id)) && best_id=$v
	v="$(run gzip "$SERVER_PID" "$URL" "${A[@]}" -H 'Accept-Encoding: gzip')"; ((v > best_gz)) && best_gz=$v
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
result page_ref_rps "$best_ref"
result page_identity_rps "$best_id"
result page_gzip_rps "$best_gz"
result page_identity_ratio "$(ratio "$best_id" "$best_ref")"
result page_gzip_ratio "$(ratio "$best_gz" "$best_ref")"
exit $STATUS
