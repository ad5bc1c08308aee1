#!/usr/bin/env bash
# Search latency at scale: 1,000,000 stored messages in 1,000 chats, a user
# who is a member of 20 of them. p50/p99 over 200 queries of each kind
# (common word ~10% of messages, rare word, two words, "phrase", prefix)
# through the real HTTP API of the real binary (GET /api/search/messages),
# and, as the baseline in the same run, the plain approach run by a tiny C
# program (search-baseline.c, the same libsqlite3) on a copy of the
# database that gets its own plain FTS5 table (plain_fts, external content
# over messages): MATCH joined to a membership filter, ORDER BY rank
# LIMIT 20. Also the database size with and without the search index, and
# the time of `fechatter reindex`. Numbers only, never pass/fail on time; exit status is
# non-zero when something could not run or a correctness check failed.
#
# The messages are generated directly into the database (HTTP would be far
# too slow): the server creates the schema and the accounts, then stops; the
# sqlite3 CLI bulk-inserts chats, members and 1M messages in big
# transactions (no triggers: the chat-scoped word index messages_scoped is
# written by the server's C code; before schema 5 a CJK trigram index had
# triggers), then
# `fechatter reindex` (server stopped) builds messages_scoped from the
# messages table; then the server serves them.
#
# A second, heavy user is a member of 200 of the 1,000 chats (same
# password, measured over HTTP only, no baseline). After both runs: the
# server's resident memory (VmRSS) and peak, and the index sizes (dbstat:
# messages_scoped against the plain FTS5 table of the baseline copy).
#
# usage: search.sh [BIN] (env: SEARCH_MESSAGES=1000000 SEARCH_QUERIES=200;
# SEARCH_BASELINE=0 skips the plain-FTS5 timings, for quick iterations;
# SEARCH_KEEP=DIR keeps the generated data, SEARCH_DATA=DIR measures it again)
set -uo pipefail
BIN="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/fechatter}"
[ -x "$BIN" ] || { echo "search.sh: $BIN is not an executable (run make)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
need_tools sqlite3

NMSG="${SEARCH_MESSAGES:-1000000}"
NQ="${SEARCH_QUERIES:-200}"
NCHATS=1000
NMEMBER=20
NHEAVY=200
BATCH=50000
NSENDERS=50
VOCAB=5000
SLOTS=1048576 # Zipf lookup table (2^20 slots)

mktmp WORK
DATA="$WORK/data"
mkdir -p "$DATA"
DB="$DATA/fechatter.db"
GEN="$WORK/gen.db"
T0=$(date +%s)
elapsed() { echo "$(($(date +%s) - T0)) s"; }
sql() { sqlite3 -batch -bail -cmd '.timeout 10000' "$@"; }

# SEARCH_DATA=DIR (a folder SEARCH_KEEP filled): measure that data again,
# skipping the generation, the reindex and the baseline (A/B runs of
# builds or flags on the same data; server flags through a wrapper BIN
# that execs the binary with them)
if [ -n "${SEARCH_DATA:-}" ]; then
	[ -f "$SEARCH_DATA/data/fechatter.db" ] || { echo "search.sh: no kept data in $SEARCH_DATA" >&2; exit 1; }
	cp -r "$SEARCH_DATA/data/." "$DATA/" || exit 1
	cp "$SEARCH_DATA"/sample*.txt "$SEARCH_DATA/vocab.txt" "$WORK/" || exit 1
	CHATS="$(cat "$SEARCH_DATA/chats")"
	HEAVY_CHATS="$(cat "$SEARCH_DATA/heavy-chats")"
	STORED="$(sql "$DB" 'SELECT count(*) FROM messages')"
	size_with=0 size_with_vac=0 size_without=1 REINDEX_MS=0 PLAIN_MS=0 IDX_SIZES=n/a SCOPED_B=n/a PLAIN_B=n/a IDX_RATIO=n/a
	SEARCH_BASELINE=0
	log "== search benchmark on the kept data $SEARCH_DATA: $STORED messages, $NQ queries per kind (no baseline)"
	log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
else
log "== search benchmark: $NMSG messages, $NCHATS chats, a user in $NMEMBER of them, $NQ queries per kind"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(sqlite3 -version | cut -d' ' -f1) CLI, $(node --version)"

# ---------------------------------------------------------------- 1. schema and accounts (through the API)
port="$(free_port)"
start_server "$BIN" "$port" "$DATA" || exit 1
ids="$(timeout 60 node "$HERE/setup.mjs" "$port" 0)" || { log "setup.mjs failed"; exit 1; }
jget() { node -e 'const o=JSON.parse(process.argv[1]);console.log(o[process.argv[2]])' "$ids" "$1"; }
OWNER_ID="$(jget owner_id)"
USER_ID="$(jget member_id)"
CHAT1="$(jget chat_id)"
stop_server "$SERVER_PID"
log "schema and accounts ready (owner $OWNER_ID, user $USER_ID, chat $CHAT1) [$(elapsed)]"

# ---------------------------------------------------------------- 2. vocabulary: 5,000 six-letter words, Zipf (s = 1)
# word i = three consonant-vowel syllables; the first two are unique per i,
# so a whole word used as a prefix matches only itself.
sql "$GEN" <<EOF >/dev/null || { log "vocabulary failed"; exit 1; }
PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
CREATE TABLE syl(i INTEGER PRIMARY KEY, s TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 89)
INSERT INTO syl SELECT i, substr('bcdfghjklmnprstvwz', i / 5 + 1, 1) || substr('aeiou', i % 5 + 1, 1) FROM n;
CREATE TABLE words(rnk INTEGER PRIMARY KEY, w TEXT UNIQUE, cum REAL);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $VOCAB - 1)
INSERT INTO words(rnk, w) SELECT i + 1,
  (SELECT s FROM syl WHERE i = n.i % 90) || (SELECT s FROM syl WHERE i = (n.i / 90) % 90) ||
  (SELECT s FROM syl WHERE i = (n.i * 37 + 11) % 90) FROM n;
WITH c AS (SELECT rnk, sum(1.0 / rnk) OVER (ORDER BY rnk) AS s FROM words)
UPDATE words SET cum = (SELECT s FROM c WHERE c.rnk = words.rnk) / (SELECT sum(1.0 / rnk) FROM words);
CREATE INDEX words_cum ON words(cum);
CREATE TABLE slotw(slot INTEGER PRIMARY KEY, w TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $SLOTS - 1)
INSERT INTO slotw SELECT i, (SELECT w FROM words WHERE cum >= (i + 0.5) / $SLOTS ORDER BY cum LIMIT 1) FROM n;
EOF
log "vocabulary: $(sql "$GEN" 'SELECT count(*) FROM words') words, $(sql "$GEN" 'SELECT count(DISTINCT w) FROM slotw') in the Zipf table [$(elapsed)]"

# ---------------------------------------------------------------- 3. chats, senders, members
WSID="$(sql "$DB" "SELECT workspace_id FROM users WHERE id = $OWNER_ID")"
NOW_MS=$(($(date +%s) * 1000))
BASE_MS=$((NOW_MS - 365 * 86400 * 1000))
STEP_MS=$((365 * 86400 * 1000 / NMSG))
sql "$DB" <<EOF >/dev/null || { log "chats/members failed"; exit 1; }
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NCHATS - 1)
INSERT INTO chats(workspace_id, chat_type, name, name_key, created_by, last_activity_at, created_at, updated_at)
SELECT $WSID, 'PublicChannel', printf('bench-%04d', i), printf('bench-%04d', i), $OWNER_ID, $BASE_MS, $BASE_MS, $BASE_MS FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NSENDERS),
first(k, f) AS (VALUES (0,'Olivia'),(1,'Liam'),(2,'Emma'),(3,'Noah'),(4,'Ava'),(5,'Mateo'),(6,'Sofia'),(7,'Lucas'),(8,'Mia'),(9,'Élodie')),
last(k, l) AS (VALUES (0,'Martin'),(1,'Nguyen'),(2,'Garcia'),(3,'Müller'),(4,'Rossi'))
INSERT INTO users(workspace_id, email, fullname, password_hash, role, status, created_at, updated_at)
SELECT $WSID, printf('sender%02d@bench.test', i), (SELECT f FROM first WHERE k = i % 10) || ' ' || (SELECT l FROM last WHERE k = (i / 10) % 5),
  'x', 'member', 'Active', $BASE_MS, $BASE_MS FROM n;
INSERT OR IGNORE INTO chat_members(chat_id, user_id, role, joined_at) SELECT id, $OWNER_ID, 'owner', $BASE_MS FROM chats;
INSERT OR IGNORE INTO chat_members(chat_id, user_id, role, joined_at)
  SELECT c.id, u.id, 'member', $BASE_MS FROM chats c, users u WHERE u.email LIKE 'sender%@bench.test';
-- the user: chat $CHAT1 (from setup.mjs) and 19 others spread over the range
INSERT OR IGNORE INTO chat_members(chat_id, user_id, role, joined_at)
  SELECT id, $USER_ID, 'member', $BASE_MS FROM chats WHERE id != $CHAT1 AND id % ($NCHATS / $NMEMBER) = 7 LIMIT $NMEMBER - 1;
-- the heavy user (the member's password): $NHEAVY chats spread over the range
INSERT INTO users(workspace_id, email, fullname, password_hash, role, status, created_at, updated_at)
  SELECT workspace_id, 'heavy@bench.test', 'Heavy Reader', password_hash, role, status, created_at, updated_at
  FROM users WHERE id = $USER_ID;
INSERT OR IGNORE INTO chat_members(chat_id, user_id, role, joined_at)
  SELECT id, (SELECT id FROM users WHERE email = 'heavy@bench.test'), 'member', $BASE_MS FROM chats
  WHERE id % ($NCHATS / $NHEAVY) = 3 LIMIT $NHEAVY;
COMMIT;
EOF
CHATS="$(sql "$DB" "SELECT group_concat(chat_id) FROM (SELECT chat_id FROM chat_members WHERE user_id = $USER_ID ORDER BY chat_id)")"
HEAVY_ID="$(sql "$DB" "SELECT id FROM users WHERE email = 'heavy@bench.test'")"
HEAVY_CHATS="$(sql "$DB" "SELECT group_concat(chat_id) FROM (SELECT chat_id FROM chat_members WHERE user_id = $HEAVY_ID ORDER BY chat_id)")"
SENDER0="$(sql "$DB" "SELECT min(id) FROM users WHERE email LIKE 'sender%@bench.test'")"
CHAT0="$(sql "$DB" "SELECT min(id) FROM chats")"
log "chats: $(sql "$DB" 'SELECT count(*) FROM chats'); the user's chats: $CHATS [$(elapsed)]"
[ "$(sql "$DB" "SELECT count(*) FROM chats")" = "$NCHATS" ] || { log "expected $NCHATS chats"; exit 1; }
[ "$(tr ',' '\n' <<<"$CHATS" | wc -l)" = "$NMEMBER" ] || { log "expected the user in $NMEMBER chats"; exit 1; }
[ "$(tr ',' '\n' <<<"$HEAVY_CHATS" | wc -l)" = "$NHEAVY" ] || { log "expected the heavy user in $NHEAVY chats"; exit 1; }

# ---------------------------------------------------------------- 4. 1M messages, 8..16 words each (mean 12)
wexpr() { printf "(SELECT w FROM g.slotw WHERE slot = (b.r%d & %d))" "$1" $((SLOTS - 1)); }
content="$(wexpr 1)"
for k in $(seq 2 8); do content="$content || ' ' || $(wexpr "$k")"; done
for k in $(seq 9 16); do content="$content || CASE WHEN b.n >= $k THEN ' ' || $(wexpr "$k") ELSE '' END"; done
rands="$(for k in $(seq 1 16); do printf ', random() AS r%d' "$k"; done)"
{
	echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; PRAGMA temp_store=MEMORY;"
	echo "ATTACH '$GEN' AS g;"
	for ((off = 0; off < NMSG; off += BATCH)); do
		n=$((NMSG - off < BATCH ? NMSG - off : BATCH))
		cat <<EOF
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $n - 1),
b AS MATERIALIZED (SELECT i + $off AS i, $CHAT0 + abs(random()) % $NCHATS AS chat, $SENDER0 + abs(random()) % $NSENDERS AS sender,
  8 + abs(random()) % 9 AS n $rands FROM s)
INSERT INTO messages(chat_id, sender_id, content, created_at, sender_name)
SELECT b.chat, b.sender, $content, $BASE_MS + b.i * $STEP_MS, (SELECT fullname FROM users WHERE id = b.sender) FROM b ORDER BY b.i;
COMMIT;
SELECT 'loaded ' || $((off + n)) || ' messages';
EOF
	done
	echo "UPDATE chats SET last_message_id = (SELECT max(id) FROM messages m WHERE m.chat_id = chats.id),"
	echo "  last_activity_at = coalesce((SELECT max(created_at) FROM messages m WHERE m.chat_id = chats.id), last_activity_at);"
	echo "PRAGMA wal_checkpoint(TRUNCATE);"
} >"$WORK/load.sql"
log "loading $NMSG messages in transactions of $BATCH (not yet in the word index) ..."
sql "$DB" <"$WORK/load.sql" | while IFS= read -r line; do
	case "$line" in loaded*) log "  $line [$(elapsed)]" ;; esac
done
[ "${PIPESTATUS[0]}" = 0 ] || { log "loading failed"; exit 1; }
STORED="$(sql "$DB" 'SELECT count(*) FROM messages')"
MINE="$(sql "$DB" "SELECT count(*) FROM messages WHERE chat_id IN ($CHATS)")"
log "stored $STORED messages; the user's chats hold $MINE [$(elapsed)]"
[ "$STORED" -ge "$NMSG" ] || { log "expected $NMSG messages"; exit 1; }

# ---------------------------------------------------------------- 4b. the word index: fechatter reindex (server stopped)
R0=$(date +%s%N)
"$BIN" reindex --data "$DATA" --log-level warn >"$WORK/reindex.log" 2>&1 || { log "reindex failed:"; cat "$WORK/reindex.log" >&2; exit 1; }
REINDEX_MS=$((($(date +%s%N) - R0) / 1000000))
log "reindex: $REINDEX_MS ms for $STORED messages [$(elapsed)]"
sql "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null || { log "checkpoint failed"; exit 1; }
# every live message is a row of the index; and chat $CHAT1's messages are
# found through their chat-scoped sender first names (who column)
INDEXED_ALL="$(sql "$DB" 'SELECT count(*) FROM messages_scoped_docsize')"
LIVE="$(sql "$DB" 'SELECT count(*) FROM messages WHERE deleted_at IS NULL')"
# (the index holds folded tokens: lower case, diacritics removed; the
# bench's only non-ASCII first name is Élodie)
WHO="$(sql "$DB" "SELECT group_concat('\"k' || $CHAT1 || 'x' || lower(replace(f, 'É', 'E')) || '\"', ' OR ') FROM (SELECT DISTINCT
  CASE WHEN instr(fullname, ' ') THEN substr(fullname, 1, instr(fullname, ' ') - 1) ELSE fullname END AS f FROM users)")"
INDEXED="$(sql "$DB" "SELECT count(*) FROM messages_scoped WHERE messages_scoped MATCH 'who : ($(sed "s/'/''/g" <<<"$WHO"))'")"
IN_CHAT1="$(sql "$DB" "SELECT count(*) FROM messages WHERE chat_id = $CHAT1 AND deleted_at IS NULL")"
log "index rows: $INDEXED_ALL for $LIVE live messages; chat $CHAT1: $INDEXED found by sender for $IN_CHAT1 stored"
[ "$INDEXED_ALL" = "$LIVE" ] || { log "index and table disagree (rows)"; exit 1; }
[ "$INDEXED" = "$IN_CHAT1" ] || { log "index and table disagree (chat $CHAT1)"; exit 1; }

# ---------------------------------------------------------------- 5. sizes with and without the index
size_with="$(stat -c %s "$DB")"
rm -f "$WORK/with.db"
sql "$DB" "VACUUM INTO '$WORK/with.db'" || { log "vacuum into failed"; exit 1; }
size_with_vac="$(stat -c %s "$WORK/with.db")"
rm -f "$WORK/with.db"
cp "$DB" "$WORK/plain.db"
sql "$WORK/plain.db" "DROP TRIGGER IF EXISTS messages_cjk_ai; DROP TRIGGER IF EXISTS messages_cjk_ad;
  DROP TRIGGER IF EXISTS messages_cjk_au; DROP TABLE messages_scoped; DROP TABLE IF EXISTS messages_cjk;
  DROP VIEW IF EXISTS messages_cjk_src; VACUUM;" || { log "drop failed"; exit 1; }
size_without="$(stat -c %s "$WORK/plain.db")"
rm -f "$WORK/plain.db"
log "database: $size_with bytes with the index (after reindex), $size_with_vac after VACUUM (copy), $size_without without (messages_scoped, messages_cjk and its view and triggers dropped, VACUUM) [$(elapsed)]"

# ---------------------------------------------------------------- 6. the baseline's copy and the queries
# The baseline's own copy gets a plain FTS5 table over messages (the old
# global approach); word document frequencies come from it (fts5vocab),
# and a sample of the user's messages gives two-word, phrase and prefix
# queries.
cp "$DB" "$WORK/baseline.db"
P0=$(date +%s%N)
sql "$WORK/baseline.db" <<EOF >/dev/null || { log "plain_fts build failed"; exit 1; }
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-500000;
CREATE VIRTUAL TABLE plain_fts USING fts5(content, sender_name, content='messages', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
INSERT INTO plain_fts(plain_fts) VALUES('rebuild');
INSERT INTO plain_fts(plain_fts) VALUES('optimize');
PRAGMA wal_checkpoint(TRUNCATE);
EOF
PLAIN_MS=$((($(date +%s%N) - P0) / 1000000))
PLAIN_ROWS="$(sql "$WORK/baseline.db" 'SELECT count(*) FROM plain_fts_docsize')"
[ "$PLAIN_ROWS" = "$STORED" ] || { log "plain_fts holds $PLAIN_ROWS rows, expected $STORED"; exit 1; }
IDX_SIZES="$(sql "$WORK/baseline.db" "SELECT group_concat(k || ' ' || b, ', ') FROM (SELECT CASE
  WHEN name LIKE 'messages_scoped%' THEN 'messages_scoped' WHEN name LIKE 'plain_fts%' THEN 'plain_fts'
  ELSE 'messages_cjk' END AS k, sum(pgsize) AS b FROM dbstat
  WHERE name LIKE 'messages_scoped%' OR name LIKE 'plain_fts%' OR name LIKE 'messages_cjk%' GROUP BY k)")"
log "baseline copy: plain_fts built in $PLAIN_MS ms ($PLAIN_ROWS rows); index bytes (dbstat): $IDX_SIZES [$(elapsed)]"
SCOPED_B="$(sql "$WORK/baseline.db" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_scoped%'")"
PLAIN_B="$(sql "$WORK/baseline.db" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'plain_fts%'")"
IDX_RATIO="$(awk -v a="$SCOPED_B" -v b="$PLAIN_B" 'BEGIN { printf "%.2f", a / b }')"
sql "$WORK/baseline.db" <<EOF >"$WORK/vocab.txt" || { log "vocab failed"; exit 1; }
ATTACH '$GEN' AS g;
CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, plain_fts, col);
SELECT term, doc FROM temp.v WHERE col = 'content' AND term IN (SELECT w FROM g.words);
EOF
sql "$DB" "SELECT content FROM messages WHERE chat_id IN ($CHATS) ORDER BY random() LIMIT $((NQ * 4))" >"$WORK/sample.txt" ||
	{ log "sample failed"; exit 1; }
sql "$DB" "SELECT content FROM messages WHERE chat_id IN ($HEAVY_CHATS) ORDER BY random() LIMIT $((NQ * 4))" >"$WORK/sample-heavy.txt" ||
	{ log "sample failed"; exit 1; }
log "queries prepared from $(wc -l <"$WORK/vocab.txt") words and $(wc -l <"$WORK/sample.txt") sampled messages [$(elapsed)]"

need cc gcc
cc -O2 -o "$WORK/search-baseline" "$HERE/search-baseline.c" -lsqlite3 || { log "cannot build search-baseline.c"; exit 1; }
fi # not SEARCH_DATA

# ---------------------------------------------------------------- 7. measure: HTTP, then the baseline (one at a time)
port="$(free_port)"
start_server "$BIN" "$port" "$DATA" || exit 1
log "server up on the loaded database [$(elapsed)]"
timeout 1800 node "$HERE/search-bench.mjs" \
	--port "$port" --email member@bench.test --password bench-password-1 \
	--chats "$CHATS" --messages "$STORED" --queries "$NQ" \
	--vocab "$WORK/vocab.txt" --sample "$WORK/sample.txt" \
	--baseline-db "$WORK/baseline.db" --baseline-bin "$WORK/search-baseline" --server-pid "$SERVER_PID" \
	--size-with "$size_with" --size-with-vacuum "$size_with_vac" --size-without "$size_without" \
	--reindex-ms "$REINDEX_MS" --plain-build-ms "$PLAIN_MS" --index-sizes "$IDX_SIZES" \
	${SEARCH_BASELINE:+--baseline "$SEARCH_BASELINE"}
status=$?
log "the heavy user ($NHEAVY chats, HTTP only) [$(elapsed)]"
timeout 1800 node "$HERE/search-bench.mjs" \
	--port "$port" --email heavy@bench.test --password bench-password-1 \
	--chats "$HEAVY_CHATS" --messages "$STORED" --queries "$NQ" \
	--vocab "$WORK/vocab.txt" --sample "$WORK/sample-heavy.txt" --baseline 0 --server-pid "$SERVER_PID" \
	--size-with "$size_with" --size-with-vacuum "$size_with_vac" --size-without "$size_without" \
	--reindex-ms "$REINDEX_MS" --plain-build-ms "$PLAIN_MS" --index-sizes "$IDX_SIZES" || status=1
RSS_KB="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"
HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")"
echo "server resident memory after the benchmark: $((RSS_KB / 1024)) MiB (VmRSS $RSS_KB KiB; peak VmHWM $HWM_KB KiB; target < 64 MiB)"
echo "index size (dbstat): messages_scoped $SCOPED_B bytes, plain FTS5 $PLAIN_B bytes: ratio $IDX_RATIO (target <= 1.5)"
echo "reindex (fechatter reindex, $STORED messages): $REINDEX_MS ms; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
stop_server "$SERVER_PID"
# SEARCH_KEEP=DIR keeps the loaded data folder there (for profiling)
if [ -n "${SEARCH_KEEP:-}" ]; then
	mkdir -p "$SEARCH_KEEP" && cp -r "$DATA" "$SEARCH_KEEP/" && echo "$CHATS" >"$SEARCH_KEEP/chats" &&
		echo "$HEAVY_CHATS" >"$SEARCH_KEEP/heavy-chats" && cp "$WORK"/sample*.txt "$WORK/vocab.txt" "$SEARCH_KEEP/"
fi
log "done [$(elapsed)]"
exit $status
