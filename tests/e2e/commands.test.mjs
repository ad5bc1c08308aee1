// The subcommands beside serve: demo (a seeded workspace for trying the
// appliance offline) and backup (one archive, consistent while serving;
// tests/e2e/backup.test.mjs has the rest).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, runBin, makeTempDir } from './lib/server.mjs';

const signin = async (srv, email) => srv.api('POST', '/api/signin', { body: { email, password: 'demo-password' } });
const count = (db, sql) => Number(spawnSync('sqlite3', [db, sql], { encoding: 'utf8' }).stdout.trim());

describe('fechatter demo and backup', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });

  test('demo seeds an empty data folder once; the people can sign in and find their chats', async () => {
    const dataDir = makeTempDir();
    let srv = await startServer({ command: 'demo', dataDir });
    servers.push(srv);
    const ada = await signin(srv, 'ada@demo.local');
    assert.equal(ada.status, 200, ada.text);
    const chats = await srv.api('GET', '/api/workspace/chats', { token: ada.json.data.access_token });
    const names = chats.json.data.map((c) => `${c.chat_type}:${c.name}`).sort();
    // a Single is named after the other person (issue 12)
    assert.deepEqual(names, ['PrivateChannel:engineering', 'PublicChannel:general', 'Single:Grace Hopper']);
    const general = chats.json.data.find((c) => c.name === 'general');
    assert.ok(general.unread_count > 0, 'others wrote in #general');
    const found = await srv.api('GET', '/api/search/messages?q=raspberry', { token: ada.json.data.access_token });
    assert.equal(found.json.data.total, 1);
    await srv.stop();
    servers.pop();
    const before = count(join(dataDir, 'fechatter.db'), 'select count(*) from messages');
    srv = await startServer({ command: 'demo', dataDir });
    servers.push(srv);
    assert.equal((await signin(srv, 'grace@demo.local')).status, 200);
    await srv.stop();
    servers.pop();
    assert.equal(count(join(dataDir, 'fechatter.db'), 'select count(*) from messages'), before, 'not seeded twice');
  });

  test('backup writes one archive with a consistent copy of the database while the server runs; without --out it refuses', async () => {
    const srv = await startServer({ command: 'demo' });
    servers.push(srv);
    const dir = makeTempDir();
    const out = join(dir, 'backup.tar');
    const r = runBin(['backup', '--data', srv.dataDir, '--out', out, '--log-level', 'warn']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(out));
    const x = spawnSync('tar', ['xf', out, '-C', dir, 'fechatter.db'], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const copy = join(dir, 'fechatter.db');
    assert.equal(spawnSync('sqlite3', [copy, 'pragma integrity_check'], { encoding: 'utf8' }).stdout.trim(), 'ok');
    assert.equal(count(copy, 'select count(*) from messages'), count(join(srv.dataDir, 'fechatter.db'), 'select count(*) from messages'));
    const bad = runBin(['backup', '--data', srv.dataDir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--out/);
  });
});
