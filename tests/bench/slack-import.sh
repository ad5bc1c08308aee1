#!/usr/bin/env bash
# Slack import at scale (issue 16): tests/fixtures/slack_gen.mjs makes a
# synthetic export of SLACK_MESSAGES (default 100,000) messages over 50
# channels (threads, reactions, mentions, links, files, edits, joins),
# zipped; `fechatter import --slack` brings it into a fresh data folder, then
# runs again on the same folder (nothing new). For each run: wall time and
# peak RSS (/usr/bin/time -v, "Maximum resident set size") and the import's
# own summary line; then the row counts before and after the second run
# (equal), and the sizes of the zip and the database. Numbers only, never
# pass/fail on time or memory; exit status non-zero when a step fails or
# the second run changed a count.
#
# usage: slack-import.sh [BIN] (env: SLACK_MESSAGES=100000)
set -uo pipefail
BIN="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/fechatter}"
[ -x "$BIN" ] || { echo "slack-import.sh: $BIN is not an executable (run make)" >&2; exit 1; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"
need_tools sqlite3
need time time
need zip zip

NMSG="${SLACK_MESSAGES:-100000}"
mktmp WORK
log "generating an export of $NMSG messages"
node "$HERE/../fixtures/slack_gen.mjs" "$WORK" --messages "$NMSG" --zip >"$WORK/summary.json" || exit 1
log "export: $(cat "$WORK/summary.json"), zip $(stat -c %s "$WORK/export.zip") bytes"
COUNTS="select (select count(*) from messages)||' messages, '||(select count(*) from users)||' users, '||
  (select count(*) from chats)||' chats, '||(select count(*) from reactions)||' reactions, '||
  (select count(*) from mentions)||' mentions, '||(select count(*) from messages where reply_to is not null)||' replies'"
run() { # run LABEL
	/usr/bin/time -v "$BIN" import --slack "$WORK/export.zip" --data "$WORK/data" --log-level info \
		>"$WORK/links-$1.txt" 2>"$WORK/$1.log" || { tail -5 "$WORK/$1.log"; exit 1; }
	local wall rss
	wall=$(grep 'Elapsed (wall clock)' "$WORK/$1.log" | awk '{print $NF}')
	rss=$(grep 'Maximum resident set size' "$WORK/$1.log" | awk '{print $NF}')
	printf '%-6s wall %s  peak RSS %s KiB  (%s links printed)\n' "$1" "$wall" "$rss" "$(wc -l <"$WORK/links-$1.txt")"
	grep 'main: slack import' "$WORK/$1.log" | sed 's/^.*main: /       /'
}
echo "command: /usr/bin/time -v $BIN import --slack export.zip --data DIR"
run first
c1=$(sqlite3 "$WORK/data/fechatter.db" "$COUNTS")
run again
c2=$(sqlite3 "$WORK/data/fechatter.db" "$COUNTS")
echo "after the first run:  $c1"
echo "after the second run: $c2"
echo "database: $(stat -c %s "$WORK/data/fechatter.db") bytes"
[ "$c1" = "$c2" ] || { echo "slack-import.sh: the second run changed the counts"; exit 1; }
