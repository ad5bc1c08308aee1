// PostgreSQL search (adapters/pg_search.c) stopping a running search: the
// deadline (--search-timeout) and a client that went away cancel the
// statement on the server (PQcancel), not only the answer. A search is made
// to run long without relying on speed: a second session holds an ACCESS
// EXCLUSIVE lock on messages, so the search's statement waits on it until
// cancelled; pg_stat_activity then shows whether it is still waiting.
// (The e2e suite's slow searches lean on FTS5's bm25 cost, which
// PostgreSQL does not share: those three tests fail on PostgreSQL, these
// cover the same behaviour there.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOk, assertError } from '../e2e/lib/server.mjs';
import { setupWorkspace, createChat, send, tok, uniqueName } from '../e2e/lib/conv.mjs';
import { until } from '../e2e/lib/rt.mjs';
import { startPostgres } from './lib/services.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLUSTER_BIN = process.env.FECHATTER_CLUSTER_BIN || join(ROOT, 'build', 'fechatter-cluster');
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';

// setupWorkspace with build/fechatter-cluster on database url.
async function clusterWorkspace(url, args) {
  const was = process.env.FECHATTER_BIN;
  process.env.FECHATTER_BIN = CLUSTER_BIN;
  try {
    return await setupWorkspace({ args: ['--store', 'postgres', '--pg-url', url, ...args], names: ['Sam Searcher'] });
  } finally {
    process.env.FECHATTER_BIN = was;
  }
}

async function metricValue(srv, series) {
  const res = await srv.api('GET', '/metrics');
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// A session holding ACCESS EXCLUSIVE on messages until release().
async function lockMessages(pg, db) {
  const p = spawn(join(PG_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', db, '-Xq',
    '-c', 'BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(300);'],
  { env: { ...process.env, PGAPPNAME: 'fe_lock_holder' }, stdio: 'ignore' });
  await until(() => pg.psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'messages' AND l.mode = 'AccessExclusiveLock' AND l.granted").trim() === '1',
    { timeoutMs: 10000, label: 'the lock is held' });
  return {
    async release() {
      pg.psql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fe_lock_holder' AND datname = current_database()");
      p.kill();
      await until(() => pg.psql(db, "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'messages' AND l.mode = 'AccessExclusiveLock'").trim() === '0',
        { timeoutMs: 10000, label: 'the lock is released' });
    },
  };
}

// Statements of the appliance waiting for the lock.
const waiting = (pg, db) => Number(pg.psql(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%fe_search%'").trim());

describe('PostgreSQL search: stopped searches are cancelled in the database', () => {
  let pg;
  before(async () => { pg = await startPostgres(); });
  after(async () => { await pg?.stop(); });

  test('past --search-timeout: 503 SEARCH_TIMEOUT and the statement is cancelled; searches work once the lock is gone', async () => {
    const url = pg.createDb('deadline');
    // the search waits on the lock however long the deadline; 2 s leaves
    // the quick search at the end room on a loaded machine
    const w = await clusterWorkspace(url, ['--search-timeout', '2000']);
    const { srv } = w;
    const sam = w.byName.sam;
    try {
      const c = await createChat(srv, sam, { chat_type: 'PrivateChannel', name: uniqueName('q'), members: [] });
      const m = await send(srv, sam, c.id, 'a quick rutabaga');
      const lock = await lockMessages(pg, 'deadline');
      try {
        const r = await srv.api('GET', '/api/search/messages?q=rutabaga', { token: tok(sam), timeoutMs: 60000 });
        assertError(r, 503, 'SEARCH_TIMEOUT');
        assert.equal(await metricValue(srv, 'fechatter_searches_total{outcome="timeout"}'), 1);
        await until(() => waiting(pg, 'deadline') === 0, { timeoutMs: 10000, label: 'no search statement left waiting' });
      } finally {
        await lock.release();
      }
      const d = assertOk(await srv.api('GET', '/api/search/messages?q=rutabaga', { token: tok(sam) }));
      assert.deepEqual(d.hits.map((h) => h.id), [m.id]);
    } finally {
      await srv.stop();
    }
  });

  test('a search whose client went away is cancelled while the statement still waits', async () => {
    const url = pg.createDb('cancel');
    const w = await clusterWorkspace(url, ['--search-timeout', '0', '--search-workers', '1']);
    const { srv } = w;
    const sam = w.byName.sam;
    try {
      const c = await createChat(srv, sam, { chat_type: 'PrivateChannel', name: uniqueName('q'), members: [] });
      await send(srv, sam, c.id, 'a quick rutabaga');
      const lock = await lockMessages(pg, 'cancel');
      try {
        const before = await metricValue(srv, 'fechatter_searches_total{outcome="cancelled"}');
        const ctl = new AbortController();
        const gone = fetch(`${srv.url}/api/search/messages?q=rutabaga`, { headers: { authorization: `Bearer ${tok(sam)}` }, signal: ctl.signal }).catch((e) => e);
        await until(() => waiting(pg, 'cancel') === 1, { timeoutMs: 10000, label: 'the search statement waits on the lock' });
        ctl.abort();
        assert.equal((await gone).name, 'AbortError');
        // with the lock still held: only a cancel ends the statement
        await until(() => waiting(pg, 'cancel') === 0, { timeoutMs: 10000, label: 'the statement was cancelled' });
        await until(async () => (await metricValue(srv, 'fechatter_searches_in_progress')) === 0, { timeoutMs: 10000, label: 'no search in progress' });
        assert.equal(await metricValue(srv, 'fechatter_searches_total{outcome="cancelled"}'), before + 1);
      } finally {
        await lock.release();
      }
    } finally {
      await srv.stop();
    }
  });
});
