// fechatter migrate --to postgres (issue 15 item 6): a single-box appliance
// filled through the API is stopped, its database copied into an empty
// PostgreSQL database by build/fechatter-cluster, and checked: the per-table
// report (row counts and content hashes), then the data seen through the API
// of build/fechatter-cluster serving on PostgreSQL (same pages, same ids,
// old passwords, search, new ids above the old ones), a second migrate
// refused on the now non-empty database, a file that is not a database
// refused, and the static binary pointing at fechatter-cluster.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer, runBin, makeTempDir, assertOk, mustSignin, PASSWORD, cleanEnv,
} from '../e2e/lib/server.mjs';
import {
  setupWorkspace, createChat, memberIds, send, allMessages, tok, mustUpload, pngBytes, fetchBytes, listChats,
} from '../e2e/lib/conv.mjs';
import { startPostgres } from './lib/services.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLUSTER_BIN = process.env.FECHATTER_CLUSTER_BIN || join(ROOT, 'build', 'fechatter-cluster');

// Runs build/fechatter-cluster to completion.
function runCluster(argv) {
  const r = spawnSync(CLUSTER_BIN, argv, { env: cleanEnv(), encoding: 'utf8', timeout: 300000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const migrate = (args) => runCluster(['migrate', '--to', 'postgres', ...args]);

// startServer with build/fechatter-cluster (lib/server.mjs reads the binary
// from FECHATTER_BIN when it spawns).
async function startCluster(opts) {
  const was = process.env.FECHATTER_BIN;
  process.env.FECHATTER_BIN = CLUSTER_BIN;
  try {
    return await startServer(opts);
  } finally {
    process.env.FECHATTER_BIN = was;
  }
}

describe('migrate --to postgres', () => {
  let pg; let srv; let data; let w; let url;
  const seen = {}; // what the single box answered, to compare after
  before(async () => {
    pg = await startPostgres();
    url = pg.createDb('migrated'); // empty: migrate applies the schema, as the store does
    w = await setupWorkspace({ names: ['Alice Anders', 'Bob Brown', 'Émile Zola'] });
    srv = w.srv;
    data = srv.dataDir;
    const { owner } = w;
    const { alice, bob, émile: emile } = w.byName;
    const pub = await createChat(srv, owner, { chat_type: 'PublicChannel', name: 'general', members: memberIds(alice, bob) });
    const priv = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: 'secret', members: memberIds(bob) });
    const dm = await createChat(srv, alice, { chat_type: 'Single', members: memberIds(bob) });
    const group = await createChat(srv, bob, { chat_type: 'Group', name: '', members: memberIds(alice, emile) });
    const gone = await createChat(srv, owner, { chat_type: 'PrivateChannel', name: 'deleted-later', members: [] });
    await send(srv, owner, gone.id, 'a chat that goes away');
    const root = await send(srv, owner, pub.id, 'the deployment checklist for friday');
    await send(srv, alice, pub.id, 'reply one: tabs and spaces', { reply_to: root.id });
    await send(srv, bob, pub.id, 'reply two', { reply_to: root.id });
    await send(srv, emile, group.id, 'rendez-vous au Café Crème');
    await send(srv, alice, group.id, '明日は大阪で打ち合わせ');
    for (let i = 0; i < 30; i++) await send(srv, i % 2 ? alice : bob, dm.id, `dm line ${i} with\ttab and "quotes" \\ backslash`);
    const edited = await send(srv, alice, priv.id, 'first draft');
    assertOk(await srv.api('PATCH', `/api/chat/${priv.id}/messages/${edited.id}`, { token: tok(alice), body: { content: 'second draft, edited' } }));
    const del = await send(srv, bob, priv.id, 'to be deleted');
    assertOk(await srv.api('DELETE', `/api/chat/${priv.id}/messages/${del.id}`, { token: tok(bob) }));
    const png = pngBytes(3, 2, 'migrate');
    const file = await mustUpload(srv, alice, png, { filename: 'pic.png', type: 'image/png' });
    await send(srv, alice, pub.id, 'see the picture', { files: [file.id] });
    assertOk(await srv.api('POST', `/api/chat/${pub.id}/messages/${root.id}/reactions`, { token: tok(alice), body: { emoji: '👍' } }), 201);
    assertOk(await srv.api('POST', `/api/chat/${pub.id}/messages/${root.id}/reactions`, { token: tok(bob), body: { emoji: '🎉' } }), 201);
    assertOk(await srv.api('POST', `/api/chat/${pub.id}/read`, { token: tok(bob), body: { message_id: root.id } }));
    assertOk(await srv.api('DELETE', `/api/chat/${gone.id}`, { token: tok(owner) }));
    // what each user sees, to compare after the move
    seen.chats = {};
    seen.messages = {};
    seen.unread = {};
    for (const u of [owner, alice, bob, emile]) {
      const chats = await listChats(srv, u);
      seen.chats[u.user.email] = chats.map((c) => c.id).sort((a, b) => a - b);
      for (const c of chats) seen.messages[c.id] ??= await allMessages(srv, u, c.id);
      seen.unread[u.user.email] = assertOk(await srv.api('GET', '/api/unread-counts', { token: tok(u) }));
    }
    seen.file = { url: file.url, bytes: png };
    seen.pub = pub;
    seen.maxId = Math.max(...Object.values(seen.messages).flat().map((m) => m.id));
    assert.equal(await srv.stop(), 0);
  });
  after(async () => {
    await srv?.stop();
    await pg?.stop();
  });

  let report;
  test('copies every table; the per-table check matches; exit 0', async () => {
    const files = makeTempDir('fechatter-shared-files-');
    const r = await migrate(['--pg-url', url, '--data', data, '--files', files]);
    report = r.stdout;
    console.log(r.stdout);
    assert.equal(r.code, 0, `exit 0\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    for (const t of ['workspaces', 'users', 'chats', 'chat_members', 'messages', 'reactions', 'files', 'message_files', 'read_markers', 'refresh_tokens', 'invites', 'mentions']) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${t} `));
      assert.ok(line, `a check line for ${t}`);
      assert.match(line, / ok$/, line);
      const [, a, b] = line.split(/\s+/);
      assert.equal(a, b, `${t}: same row count`);
    }
    assert.match(r.stdout, /migrate: ok, every table matches/);
    assert.match(r.stdout, /signing key: the single box's, stored/);
    const n = Number(pg.psql('migrated', 'SELECT count(*) FROM messages').trim());
    assert.equal(n, Number(r.stdout.split('\n').find((l) => l.startsWith('messages ')).split(/\s+/)[1]));
    // the indexes dropped for the copy are there again
    const idx = pg.psql('migrated', "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'messages'").trim().split(',');
    for (const i of ['messages_chat', 'messages_idempotency', 'messages_search', 'messages_substring', 'messages_tsv']) assert.ok(idx.includes(i), `index ${i} after migrate: ${idx}`);
    // the ids went on past the highest one SQLite handed out
    const next = Number(pg.psql('migrated', "SELECT nextval(pg_get_serial_sequence('messages', 'id'))").trim());
    assert.ok(next > seen.maxId, `next message id ${next} above ${seen.maxId}`);
    // the deleted chat's id is not handed out again either
    const chatSeq = Number(pg.psql('migrated', "SELECT last_value FROM pg_sequences WHERE sequencename LIKE 'chats%'").trim());
    assert.ok(chatSeq >= Math.max(...Object.keys(seen.messages).map(Number)) + 1, 'the chats sequence is past the deleted chat');
    const sha = seen.file.url.split('/').pop().split('.')[0];
    assert.ok(readdirSync(files, { recursive: true }).some((p) => String(p).endsWith(sha.slice(2)) || String(p).includes(sha.slice(2))), 'the uploaded file was copied to --files');
    seen.files = files;
  });

  test('a second migrate into the now non-empty database is refused (exit 2), nothing changes', async () => {
    const before = pg.psql('migrated', 'SELECT count(*) FROM messages').trim();
    const r = await migrate(['--pg-url', url, '--data', data]);
    assert.equal(r.code, 2, `exit 2: ${r.stderr}`);
    assert.match(r.stderr, /not empty/);
    assert.equal(pg.psql('migrated', 'SELECT count(*) FROM messages').trim(), before);
  });

  test('a data folder whose database is not an SQLite file: clear message, exit 2', async () => {
    const bad = makeTempDir('fechatter-bad-');
    writeFileSync(join(bad, 'fechatter.db'), Buffer.alloc(8192, 0x41));
    const empty = pg.createDb('empty_for_bad');
    const r = await migrate(['--pg-url', empty, '--data', bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not an SQLite database|not a readable fechatter database/);
    assert.equal(pg.psql('empty_for_bad', "SELECT count(*) FROM pg_tables WHERE tablename = 'users'").trim(), '0', 'PostgreSQL untouched');
    const none = makeTempDir('fechatter-none-');
    const r2 = await migrate(['--pg-url', empty, '--data', none]);
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /no such database/);
  });

  test('PostgreSQL unreachable: clear message, exit 2', async () => {
    const r = await migrate(['--pg-url', `postgresql://postgres@127.0.0.1:1/none?connect_timeout=2`, '--data', data]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /PostgreSQL at --pg-url/);
  });

  test('the static binary says migrate needs fechatter-cluster (exit 2)', async () => {
    const r = await runBin(['migrate', '--to', 'postgres', '--pg-url', url, '--data', data]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /fechatter-cluster/);
  });

  test('fechatter-cluster on the migrated database serves the same data', async (t) => {
    if (process.env.FECHATTER_MIGRATE_SERVE === '0') return t.skip('FECHATTER_MIGRATE_SERVE=0');
    assert.ok(seen.files, 'the migrate test ran');
    const fresh = makeTempDir('fechatter-cluster-data-');
    const c = await startCluster({ dataDir: fresh, args: ['--store', 'postgres', '--pg-url', url, '--files', seen.files] });
    try {
      // the single box's access token still works: the signing key moved along
      assertOk(await c.api('GET', '/api/workspace/chats', { token: tok(w.byName.alice) }));
      const users = {};
      for (const u of [w.owner, ...w.users]) {
        users[u.user.email] = await mustSignin(c, u.user.email, PASSWORD); // the old password
        assert.equal(users[u.user.email].user.id, u.user.id, 'same user id');
      }
      for (const [email, ids] of Object.entries(seen.chats)) {
        const u = users[email];
        const chats = await listChats(c, u);
        assert.deepEqual(chats.map((x) => x.id).sort((a, b) => a - b), ids, `${email}: same chats`);
        for (const ch of chats) {
          const msgs = await allMessages(c, u, ch.id);
          const strip = (m) => ({ ...m, reactions: m.reactions.map((r) => ({ emoji: r.emoji, count: r.count })) });
          assert.deepEqual(msgs.map(strip), seen.messages[ch.id].map(strip), `${email}: same pages of chat ${ch.id}`);
        }
        const unread = assertOk(await c.api('GET', '/api/unread-counts', { token: tok(u) }));
        assert.deepEqual(unread, seen.unread[email], `${email}: same unread counts`);
      }
      const alice = users[w.byName.alice.user.email];
      const s = assertOk(await c.api('GET', `/api/search/messages?q=${encodeURIComponent('deployment')}`, { token: tok(alice) }));
      assert.ok(s.hits.some((h) => h.content.startsWith('the deployment checklist')), 'search finds an old message');
      const f = await fetchBytes(c, seen.file.url, { token: tok(alice) });
      assert.equal(f.status, 200);
      assert.deepEqual(Buffer.from(f.body), Buffer.from(seen.file.bytes));
      const m = await send(c, alice, seen.pub.id, 'the first message on PostgreSQL');
      assert.ok(m.id > seen.maxId, `new id ${m.id} above the old ones (${seen.maxId})`);
    } finally {
      await c.stop();
    }
  });
});
