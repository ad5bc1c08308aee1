#!/bin/bash
# A stand-in for FECHATTER_BIN that runs the end-to-end suites against
# PostgreSQL: `serve ... --data DIR ...` becomes build/fechatter-cluster with
# --store postgres on a database of its own, named after DIR (created on the
# first start, kept across restarts of the same folder), on the server
# tests/cluster/search_pg.mjs started (PGWRAP_PORT; names outside FECHATTER_* since the suites strip those). Any other command
# goes to build/fechatter-cluster unchanged.
set -euo pipefail
: "${PGWRAP_CLUSTER_BIN:?}" "${PGWRAP_PORT:?}"
data=""
prev=""
for a in "$@"; do
	[ "$prev" = "--data" ] && data="$a"
	prev="$a"
done
if [ "${1:-}" = serve ] && [ -n "$data" ]; then
	db="fe_$(printf %s "$data" | md5sum | cut -c1-20)"
	"${PG_BIN:-/usr/lib/postgresql/15/bin}/createdb" -h 127.0.0.1 -p "$PGWRAP_PORT" -U postgres "$db" 2>/dev/null || true
	exec "$PGWRAP_CLUSTER_BIN" "$@" --store postgres --pg-url "postgresql://postgres@127.0.0.1:$PGWRAP_PORT/$db"
fi
exec "$PGWRAP_CLUSTER_BIN" "$@"
