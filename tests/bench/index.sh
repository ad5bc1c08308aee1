#!/usr/bin/env bash
# Search index cost, small and quick: N generated messages (default
# 100,000) in 100 chats, loaded straight into the database, then
# `fechatter reindex` timed (server stopped) and the index's bytes measured
# (dbstat: the messages_scoped tables, and messages_cjk where the build has
# it), with the reindex's CPU time (user + system: the machine may be
# busy). Two corpora: "latin" (8..16 six-letter words from a 5,000-word
# vocabulary, as bench-search) and "scripts" (two real sentences drawn from
# 20 scripts, Chinese, Japanese and Thai among them, and a number). Numbers
# only, never pass/fail on time. Compare builds by running it with each
# binary: the first start migrates the schema of the build under test.
#
# usage: index.sh [BIN] (env: INDEX_MESSAGES=100000)
set -uo pipefail
BIN="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/fechatter}"
[ -x "$BIN" ] || { echo "index.sh: $BIN is not an executable (run make)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
need_tools sqlite3

NMSG="${INDEX_MESSAGES:-100000}"
NCHATS=100
sql() { sqlite3 -batch -bail -cmd '.timeout 10000' "$@"; }

SENTENCES="('Le café est très chaud à Paris'),('Zażółć gęślą jaźń'),('Καλημέρα κόσμε, τι κάνεις;'),
('Привет, как дела?'),('Բարեւ ձեզ, ինչպես եք'),('გამარჯობა მეგობარო'),('שָׁלוֹם עוֹלָם'),
('كَتَبَ الوَلَدُ الدَّرْسَ'),('قرأ المعلم الكتاب'),('deploy नमस्ते दुनिया done'),('আমি বাংলায় গান গাই'),
('வணக்கம் உலகம்'),('สวัสดีครับ ยินดีต้อนรับ'),('ສະບາຍດີ ເພື່ອນ'),('我们明天下午开会'),
('東京タワーに行きました'),('안녕하세요 세계 여러분'),('ሰላም ለዓለም'),('🎉launchday❤️party 👍shipped'),
('the release is scheduled for friday')"

run_corpus() { # run_corpus NAME CONTENT_SQL
	local name="$1" content="$2" work data db port ids owner chat0
	mktmp work
	data="$work/data"
	mkdir -p "$data"
	db="$data/fechatter.db"
	port="$(free_port)"
	start_server "$BIN" "$port" "$data" || exit 1
	ids="$(timeout 60 node "$HERE/setup.mjs" "$port" 0)" || { log "setup.mjs failed"; exit 1; }
	stop_server "$SERVER_PID"
	owner="$(node -e 'console.log(JSON.parse(process.argv[1]).owner_id)' "$ids")"
	sql "$db" <<EOF >/dev/null || { log "$name: loading failed"; exit 1; }
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NCHATS)
INSERT INTO chats(workspace_id, chat_type, name, name_key, created_by, last_activity_at, created_at, updated_at)
SELECT (SELECT workspace_id FROM users WHERE id = $owner), 'PublicChannel', printf('idx-%03d', i), printf('idx-%03d', i),
  $owner, 0, 0, 0 FROM n;
CREATE TEMP TABLE syl(i INTEGER PRIMARY KEY, s TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 89)
INSERT INTO syl SELECT i, substr('bcdfghjklmnprstvwz', i / 5 + 1, 1) || substr('aeiou', i % 5 + 1, 1) FROM n;
CREATE TEMP TABLE words(i INTEGER PRIMARY KEY, w TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
INSERT INTO words SELECT i, (SELECT s FROM syl WHERE i = n.i % 90) || (SELECT s FROM syl WHERE i = (n.i / 90) % 90) ||
  (SELECT s FROM syl WHERE i = (n.i * 37 + 11) % 90) FROM n;
CREATE TEMP TABLE sent(i INTEGER PRIMARY KEY, s TEXT);
INSERT INTO sent(s) VALUES $SENTENCES;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $NMSG - 1),
b AS MATERIALIZED (SELECT i, (SELECT min(id) FROM chats) + abs(random()) % $NCHATS AS chat,
  8 + abs(random()) % 9 AS nw, random() AS r1, random() AS r2, random() AS r3 FROM n)
INSERT INTO messages(chat_id, sender_id, content, created_at, sender_name)
SELECT chat, $owner, $content, i, 'Olive Owner' FROM b ORDER BY i;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
	local r0 ms idx cjk total cpu
	r0=$(date +%s%N)
	cpu="$(TIMEFORMAT='%U %S'; { time { "$BIN" reindex --data "$data" --log-level warn >"$work/reindex.log" 2>&1; echo $? >"$work/rc"; }; } 2>&1)"
	[ "$(cat "$work/rc")" = 0 ] || { log "reindex failed:"; cat "$work/reindex.log" >&2; exit 1; }
	ms=$((($(date +%s%N) - r0) / 1000000))
	cpu="$(awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { printf "%.1f", u + s }')"
	sql "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	idx="$(sql "$db" "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'messages_scoped%'")"
	cjk="$(sql "$db" "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'messages_cjk%'")"
	total="$(sql "$db" "SELECT count(*) FROM messages")"
	printf '%-8s %7d messages  reindex %6d ms wall, %6s s CPU  messages_scoped %9d bytes  messages_cjk %8d bytes  file %9d bytes\n' \
		"$name" "$total" "$ms" "$cpu" "$idx" "$cjk" "$(stat -c %s "$db")"
}

log "== index cost: $NMSG messages per corpus, $BIN"
wexpr() { printf "(SELECT w FROM words WHERE i = abs(%s) %% 5000)" "$1"; }
latin="$(wexpr 'b.r1')"
for k in $(seq 2 16); do latin="$latin || CASE WHEN b.nw >= $k THEN ' ' || $(wexpr "b.r1 / $k + b.r2 * $k") ELSE '' END"; done
run_corpus latin "$latin"
run_corpus scripts "(SELECT s FROM sent WHERE i = 1 + abs(b.r1) % 20) || ' ' || (SELECT s FROM sent WHERE i = 1 + abs(b.r2) % 20) || ' ' || (abs(b.r3) % 100000)"
