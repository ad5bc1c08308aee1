#!/usr/bin/env bash
# Export and import at scale: EXPORT_MESSAGES (default 100,000) messages in
# 50 channels from 20 senders, with threads (every 10th message replies to
# its chat's first), reactions (every 7th), mentions (every 11th), edits
# (every 13th), deletions (every 17th) and read markers. The accounts come
# through the API; the bulk comes straight into the database with the
# sqlite3 CLI (HTTP would be slow), then `fechatter reindex` builds the
# search index. Then, with the server running:
#   export (beside the server) -> import into a fresh folder -> export
# and the two files are compared with cmp. For each command: wall time and
# peak RSS (/usr/bin/time -v, "Maximum resident set size"), and the sizes
# of the file and the databases. Numbers only, never pass/fail on time or
# memory; exit status non-zero when a step fails or the files differ.
#
# usage: export.sh [BIN] (env: EXPORT_MESSAGES=100000; EXPORT_ONLY=1 stops
# after the first export, to measure the export of a bigger workspace)
set -uo pipefail
BIN="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/fechatter}"
[ -x "$BIN" ] || { echo "export.sh: $BIN is not an executable (run make)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
need_tools sqlite3
need time time

NMSG="${EXPORT_MESSAGES:-100000}"
NCHATS=50
NSENDERS=20
mktmp WORK
DATA="$WORK/data"
DATA2="$WORK/imported"
mkdir -p "$DATA"
DB="$DATA/fechatter.db"
sql() { sqlite3 -batch -bail -cmd '.timeout 10000' "$@"; }

log "== export/import benchmark: $NMSG messages, $NCHATS chats, $NSENDERS senders"
log "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

port="$(free_port)"
start_server "$BIN" "$port" "$DATA" || exit 1
ids="$(timeout 60 node "$HERE/setup.mjs" "$port" 0)" || { log "setup.mjs failed"; exit 1; }
OWNER_ID="$(node -e 'console.log(JSON.parse(process.argv[1]).owner_id)' "$ids")"
stop_server "$SERVER_PID"

WSID="$(sql "$DB" "SELECT workspace_id FROM users WHERE id = $OWNER_ID")"
BASE_MS=$((($(date +%s) - 86400 * 365) * 1000))
sql "$DB" <<EOF >/dev/null || { log "bulk load failed"; exit 1; }
PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NSENDERS)
INSERT INTO users(workspace_id, email, fullname, password_hash, role, status, created_at, updated_at)
SELECT $WSID, printf('sender%02d@bench.test', i), printf('Sender %02d', i), 'x', 'member', 'Active', $BASE_MS, $BASE_MS FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NCHATS)
INSERT INTO chats(workspace_id, chat_type, name, name_key, created_by, last_activity_at, created_at, updated_at)
SELECT $WSID, 'PublicChannel', printf('load-%03d', i), printf('load-%03d', i), $OWNER_ID, $BASE_MS, $BASE_MS, $BASE_MS FROM n;
INSERT OR IGNORE INTO chat_members(chat_id, user_id, role, joined_at)
  SELECT c.id, u.id, CASE WHEN u.id = $OWNER_ID THEN 'owner' ELSE 'member' END, $BASE_MS
  FROM chats c, users u WHERE c.name LIKE 'load-%' AND u.workspace_id = $WSID;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $NMSG - 1)
INSERT INTO messages(chat_id, sender_id, content, created_at, sender_name)
SELECT (SELECT min(id) FROM chats WHERE name LIKE 'load-%') + i % $NCHATS,
  (SELECT min(id) FROM users WHERE email LIKE 'sender%') + (i * 7) % $NSENDERS,
  printf('message %d about %s and %s, see 日本語 %d', i, hex(randomblob(3)), hex(randomblob(2)), i % 97),
  $BASE_MS + i * 1000, printf('Sender %02d', 1 + (i * 7) % $NSENDERS) FROM s;
UPDATE messages SET reply_to = (SELECT min(id) FROM messages r WHERE r.chat_id = messages.chat_id)
  WHERE id % 10 = 0 AND id != (SELECT min(id) FROM messages r WHERE r.chat_id = messages.chat_id);
UPDATE messages SET reply_count = (SELECT count(*) FROM messages r WHERE r.reply_to = messages.id)
  WHERE id IN (SELECT reply_to FROM messages WHERE reply_to IS NOT NULL);
UPDATE messages SET content = content || ' (edited)', edited_at = created_at + 5000 WHERE id % 13 = 0;
UPDATE messages SET content = '', sender_name = '', deleted_at = created_at + 9000 WHERE id % 17 = 0;
INSERT INTO reactions(message_id, user_id, emoji, created_at)
  SELECT id, $OWNER_ID, '👍', created_at + 1000 FROM messages WHERE id % 7 = 0 AND deleted_at IS NULL;
INSERT INTO mentions(message_id, user_id, chat_id)
  SELECT id, $OWNER_ID, chat_id FROM messages WHERE id % 11 = 0 AND deleted_at IS NULL;
INSERT INTO read_markers(chat_id, user_id, message_id, updated_at)
  SELECT chat_id, $OWNER_ID, max(id) - 100, $BASE_MS FROM messages GROUP BY chat_id;
UPDATE chats SET last_message_id = (SELECT max(id) FROM messages m WHERE m.chat_id = chats.id),
  last_activity_at = coalesce((SELECT max(created_at) FROM messages m WHERE m.chat_id = chats.id), last_activity_at);
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
"$BIN" reindex --data "$DATA" --log-level warn || { log "reindex failed"; exit 1; }
log "loaded: $(sql "$DB" 'SELECT count(*) FROM messages') messages, $(sql "$DB" 'SELECT count(*) FROM reactions') reactions"

# run_timed NAME CMD...: runs CMD under /usr/bin/time -v; prints wall time and peak RSS
run_timed() {
	local name="$1"
	shift
	local t="$WORK/$name.time"
	if ! /usr/bin/time -v -o "$t" "$@" 2>"$WORK/$name.err" >/dev/null; then
		log "$name failed:"
		cat "$WORK/$name.err" >&2
		exit 1
	fi
	result "${name}_wall" "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")"
	result "${name}_cpu_s" "$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$t")"
	result "${name}_peak_rss_kib" "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")"
}

start_server "$BIN" "$port" "$DATA" || exit 1
run_timed export1 "$BIN" export --data "$DATA" --out "$WORK/one.ndjson" --log-level warn
stop_server "$SERVER_PID"
result file_bytes "$(stat -c %s "$WORK/one.ndjson")"
result source_db_bytes "$(stat -c %s "$DB")"
[ "${EXPORT_ONLY:-0}" = 1 ] && exit 0
run_timed import "$BIN" import --data "$DATA2" --in "$WORK/one.ndjson" --log-level warn
run_timed export2 "$BIN" export --data "$DATA2" --out "$WORK/two.ndjson" --log-level warn
result file_lines "$(wc -l <"$WORK/one.ndjson")"
result imported_db_bytes "$(stat -c %s "$DATA2/fechatter.db")"
if cmp "$WORK/one.ndjson" "$WORK/two.ndjson"; then
	result roundtrip identical
else
	result roundtrip DIFFERENT
	exit 1
fi
"$BIN" check --data "$DATA2" --log-level warn | tail -1
