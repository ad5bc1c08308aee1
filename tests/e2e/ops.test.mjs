// Operations (issue 9, items 9, 11-14): signals never kill the server and
// SIGHUP reopens the log file; one process at a time on a data folder (a
// second server, reindex and check refuse beside a running server, backup
// works); a damaged database page turns /health failing and the API to 503
// DATABASE_CORRUPT, and `fechatter check` finds it; an empty database file
// beside an earlier run's data refuses to start.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, openSync, writeSync, closeSync, truncateSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startServer, runBin, makeTempDir, mustSignup, signin, assertError, sqlite, sqliteAvailable, sleep, PASSWORD,
} from './lib/server.mjs';
import { createChat, send, tok } from './lib/conv.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });
const start = async (opts) => { const s = await startServer(opts); servers.push(s); return s; };
const stop = async (s) => { const code = await s.stop(); servers.splice(servers.indexOf(s), 1); return code; };
const lines = (file, re) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => re.test(l)).length : 0);

// Waits (bounded in count) until cond() holds; the signal handler runs
// asynchronously to the kill() that sent it.
async function until(cond, what) {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await sleep(25);
  }
  assert.fail(`never happened: ${what}`);
}

describe('signals', () => {
  test('SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT and SIGPIPE leave the server running and answering', async () => {
    const srv = await start();
    for (const sig of ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGPIPE', 'SIGHUP']) {
      srv.proc.kill(sig);
      const h = await srv.api('GET', '/health');
      assert.equal(h.status, 200, `after ${sig}`);
      assert.equal(srv.hasExited(), false, `still running after ${sig}`);
    }
    const u = await mustSignup(srv, { fullname: 'Sig Nal' });
    assert.ok(u.access_token);
    assert.equal(await stop(srv), 0, 'SIGTERM still stops it cleanly');
  });

  test('--log-file: after the file is renamed, SIGHUP makes new lines go to a new file', async () => {
    const dir = makeTempDir();
    const log = join(dir, 'fechatter.log');
    const srv = await start({ args: ['--log-level', 'info', '--log-file', log] });
    assert.equal(lines(log, /main: ready/), 1, 'the log goes to the file');
    renameSync(log, `${log}.1`);
    srv.proc.kill('SIGHUP');
    await until(() => existsSync(log), 'the log file is made again');
    const bad = await signin(srv, 'nobody@example.test', 'wrong password');
    assert.equal(bad.status, 401);
    assert.equal(await stop(srv), 0);
    assert.equal(lines(`${log}.1`, /main: ready/), 1);
    assert.equal(lines(`${log}.1`, /stopped cleanly|auth: signin failed/), 0, 'nothing new in the rotated file');
    assert.equal(lines(log, /auth: signin failed/), 1, 'new lines in the new file');
    assert.equal(lines(log, /main: stopped cleanly/), 1);
  });
});

describe('one process per data folder', () => {
  test('a second server, reindex and check refuse beside a running server, naming its pid; backup works; once it stopped they run', async () => {
    const srv = await start();
    const owner = await mustSignup(srv, { fullname: 'Lock Holder' });
    const chat = await createChat(srv, owner, { name: 'general', chat_type: 'PublicChannel', members: [] });
    await send(srv, owner, chat.id, 'findable raspberry');
    const pid = String(srv.proc.pid);

    const second = runBin(['serve', '--bind', '127.0.0.1', '--port', String(srv.port + 1), '--data', srv.dataDir]);
    assert.equal(second.code, 1, `second server: ${second.stderr}`);
    assert.match(second.stderr, new RegExp(`in use by another fechatter process \\(pid ${pid}\\)`));

    const reindex = runBin(['reindex', '--data', srv.dataDir]);
    assert.equal(reindex.code, 1, reindex.stderr);
    assert.match(reindex.stderr, new RegExp(`reindex refused: .*pid ${pid}`));

    const check = runBin(['check', '--data', srv.dataDir]);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stderr, new RegExp(`check refused: .*pid ${pid}`));

    const out = join(makeTempDir(), 'copy.db');
    const backup = runBin(['backup', '--data', srv.dataDir, '--out', out]);
    assert.equal(backup.code, 0, backup.stderr);

    // the running server was not disturbed
    const found = await srv.api('GET', '/api/search/messages?q=raspberry', { token: tok(owner) });
    assert.equal(found.status, 200);
    assert.equal(found.json.data.total, 1);
    await send(srv, owner, chat.id, 'still writing');

    assert.equal(await stop(srv), 0);
    const again = runBin(['reindex', '--data', srv.dataDir]);
    assert.equal(again.code, 0, again.stderr);
    const ok = runBin(['check', '--data', srv.dataDir]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^integrity_check: ok$/m);
    assert.match(ok.stdout, /^fts5 messages_scoped: ok$/m);
    assert.match(ok.stdout, /^ok$/m);
    const restarted = await start({ dataDir: srv.dataDir });
    assert.equal((await signin(restarted, owner.email, PASSWORD)).status, 200);
  });
});

describe('a damaged database', { skip: sqliteAvailable() ? false : 'needs the sqlite3 shell' }, () => {
  test('a corrupted page: writes answer 503 DATABASE_CORRUPT, /health fails with one log line, check exits 1', async () => {
    const first = await start();
    const owner = await mustSignup(first, { fullname: 'Corrie Page' });
    const chat = await createChat(first, owner, { name: 'general', chat_type: 'PublicChannel', members: [] });
    for (let i = 0; i < 20; i++) await send(first, owner, chat.id, `message ${i}`);
    assert.equal(await stop(first), 0);
    const db = join(first.dataDir, 'fechatter.db');
    const pageSize = Number(sqlite(db, 'PRAGMA page_size'));
    const root = Number(sqlite(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'messages'"));
    assert.ok(root > 1);
    // the b-tree page header's type byte: 0xFF is no page type
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.from([0xff]), 0, 1, (root - 1) * pageSize);
    closeSync(fd);

    const srv = await start({ dataDir: first.dataDir, args: ['--log-level', 'info'] });
    const me = await signin(srv, owner.email, PASSWORD);
    assert.equal(me.status, 200, me.text);
    const token = me.json.data.access_token;
    const w = await srv.api('POST', `/api/chat/${chat.id}/messages`, { token, body: { content: 'onto a broken page' } });
    assertError(w, 503, 'DATABASE_CORRUPT');
    const w2 = await srv.api('POST', `/api/chat/${chat.id}/messages`, { token, body: { content: 'again' } });
    assertError(w2, 503, 'DATABASE_CORRUPT');
    // a search (its own read connection, on a worker) answers the same
    const q = await srv.api('GET', `/api/search/messages?q=message`, { token });
    assertError(q, 503, 'DATABASE_CORRUPT');
    const h = await srv.api('GET', '/health');
    assert.equal(h.status, 503);
    assert.equal(h.json.status, 'unhealthy');
    assert.equal(h.json.components.store, 'corrupt');
    assert.equal((await srv.api('GET', '/health/readiness')).status, 503);
    assert.equal(srv.hasExited(), false, 'the server stays up');
    await stop(srv);
    assert.equal((srv.output().stderr.match(/store: the database file is damaged/g) ?? []).length, 1, srv.output().stderr);

    const check = runBin(['check', '--data', first.dataDir]);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout, /^integrity_check: ok$/m);
    assert.match(check.stdout, /^damaged$/m);
  });

  test('an empty database file beside an earlier run refuses to start; in a fresh folder it starts', async () => {
    const srv = await start();
    await mustSignup(srv, { fullname: 'Old Owner' });
    assert.equal(await stop(srv), 0);
    const db = join(srv.dataDir, 'fechatter.db');
    truncateSync(db, 0);
    for (const f of ['-wal', '-shm']) rmSync(db + f, { force: true });
    const r = runBin(['serve', '--bind', '127.0.0.1', '--port', String(srv.port), '--data', srv.dataDir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /fechatter\.db is empty \(0 bytes\).*refusing to start/);
    assert.equal(readFileSync(db).length, 0, 'the file is left as it was');

    const fresh = makeTempDir();
    writeFileSync(join(fresh, 'fechatter.db'), '');
    const ok = await start({ dataDir: fresh });
    await mustSignup(ok, { fullname: 'New Owner' });
  });
});
