// fechatter export / import: a workspace made through the real API (users,
// channels, a DM, a group, threads, edits, deletes, reactions, mentions,
// files, an avatar, read markers, a suspension) is exported beside the
// running server, imported into a fresh data folder, and exported again:
// the two files are byte-identical (the export numbers ids 1..N per kind in
// id order, and import keeps that order). The imported appliance serves:
// people sign in with the passwords import wrote, see the same chats and
// unread counts, and search finds the imported messages. Bad files are
// refused with exit code 2 and a message naming the line, leaving nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, statSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, runBin, makeTempDir, assertOk, mustSignin, signin } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, createChat, memberIds, send, pngBytes, mustUpload, tok,
} from './lib/conv.mjs';

const sql = (db, q) => spawnSync('sqlite3', [db, q], { encoding: 'utf8' }).stdout.trim();
const lines = (buf) => buf.toString('utf8').split('\n').filter(Boolean);

describe('export and import', () => {
  let srv; let olive; let bob; let carol; let dan; let xena; let ws;
  const work = makeTempDir('fechatter-export-');
  const e1 = join(work, 'one.ndjson');
  const e2 = join(work, 'two.ndjson');
  const d2 = makeTempDir('fechatter-import-');
  let imported;
  const unreadByName = {};

  before(async () => {
    const w = await setupWorkspace({ args: ['--registration', 'open'], names: ['Bob Brown', 'Carol Clark', 'Dan Dare'] });
    ({ srv } = w);
    olive = w.owner;
    ({ bob, carol, dan } = w.byName);
    ws = olive.workspace.id;
    // another workspace on the same appliance: never part of Acme's export
    xena = await otherWorkspaceUser(srv);
    const xchat = await createChat(srv, xena, { chat_type: 'PublicChannel', name: 'xena-only' });
    await send(srv, xena, xchat.id, 'outside words xylophone');

    assertOk(await srv.api('PATCH', `/api/workspace/users/${bob.user.id}`, { token: tok(olive), body: { role: 'admin' } }));
    const pic = await mustUpload(srv, olive, pngBytes(2, 2, `avatar-${process.pid}`), { filename: 'me.png' });
    assertOk(await srv.api('PUT', '/api/users/profile', {
      token: tok(olive), body: { avatar_file_id: pic.id, title: 'Boss', bio: 'line one\nline two', timezone: 'Europe/Paris' },
    }));

    const general = await createChat(srv, olive, { chat_type: 'PublicChannel', name: 'general', description: 'all hands', members: memberIds(bob, carol) });
    const secret = await createChat(srv, olive, { chat_type: 'PrivateChannel', name: 'secret', members: memberIds(bob) });
    const dm = await createChat(srv, olive, { chat_type: 'Single', members: memberIds(carol) });
    const group = await createChat(srv, bob, { chat_type: 'Group', members: memberIds(carol, dan) });
    assertOk(await srv.api('PATCH', `/api/chat/${secret.id}/members/${bob.user.id}`, { token: tok(olive), body: { role: 'admin' } }));

    const root = await send(srv, olive, general.id, 'Welcome everyone, the raspberry pi is here');
    const r1 = await send(srv, bob, general.id, 'Thanks @Carol Clark, see the thread', { reply_to: root.id });
    await send(srv, carol, general.id, 'A reply to a reply joins the root', { reply_to: r1.id });
    await send(srv, bob, general.id, '@here stand-up in five', { idempotency_key: 'standup-1' });
    const doc = await mustUpload(srv, bob, pngBytes(4, 3, `doc-${process.pid}`), { filename: 'diagram.png' });
    const withFile = await send(srv, bob, general.id, 'the diagram', { files: [doc.id] });
    const edited = await send(srv, carol, general.id, 'a typo in here');
    assertOk(await srv.api('PATCH', `/api/chat/${general.id}/messages/${edited.id}`, { token: tok(carol), body: { content: 'no typo any more' } }));
    const gone = await send(srv, carol, general.id, 'this one goes away');
    assertOk(await srv.api('POST', `/api/chat/${general.id}/messages/${gone.id}/reactions`, { token: tok(bob), body: { emoji: '👀' } }), 201);
    assertOk(await srv.api('DELETE', `/api/chat/${general.id}/messages/${gone.id}`, { token: tok(carol) }));
    for (const [u, e] of [[bob, '👍'], [carol, '👍'], [olive, '🎉']]) {
      assertOk(await srv.api('POST', `/api/chat/${general.id}/messages/${root.id}/reactions`, { token: tok(u), body: { emoji: e } }), 201);
    }
    assertOk(await srv.api('POST', `/api/chat/${general.id}/messages/${withFile.id}/reactions`, { token: tok(olive), body: { emoji: 'ok' } }), 201);
    await send(srv, olive, secret.id, 'Café ünïcödé\n\ttabbed, and 日本語のメッセージ');
    await send(srv, bob, secret.id, 'secret plans');
    await send(srv, olive, dm.id, 'just between us');
    await send(srv, carol, dm.id, 'sure thing');
    await send(srv, dan, group.id, 'group hello');
    assertOk(await srv.api('POST', `/api/chat/${general.id}/join`, { token: tok(dan) }));
    await send(srv, dan, general.id, 'late to the party');
    assertOk(await srv.api('POST', `/api/chat/${general.id}/read`, { token: tok(carol), body: { message_id: withFile.id } }));
    const more = await send(srv, carol, dm.id, 'one more');
    assertOk(await srv.api('POST', `/api/chat/${dm.id}/read`, { token: tok(olive), body: { message_id: more.id } }));
    assertOk(await srv.api('PATCH', `/api/workspace/users/${dan.user.id}`, { token: tok(olive), body: { status: 'Suspended' } }));

    for (const u of [olive, bob, carol]) {
      const chats = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(u) }));
      const counts = assertOk(await srv.api('GET', '/api/unread-counts', { token: tok(u) }));
      unreadByName[u.email] = chats.map((c) => {
        const n = counts.find((x) => x.chat_id === c.id);
        return `${c.chat_type}:${c.name}:${n.unread_count}:${n.mention_count}`;
      }).sort();
    }
  });
  after(async () => { await srv?.stop(); await imported?.stop(); });

  test('export works beside the running server; one workspace, no secrets, header first, end last', () => {
    const r = runBin(['export', '--data', srv.dataDir, '--workspace', String(ws), '--out', e1]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exported 4 users, 4 chats, 14 messages/);
    const ls = lines(readFileSync(e1)).map((l) => JSON.parse(l));
    assert.deepEqual(ls[0], { type: 'header', format: 'fechatter-export', version: 1, users: 4, chats: 4, messages: 14 });
    assert.equal(ls.at(-1).type, 'end');
    const text = readFileSync(e1, 'utf8');
    for (const secret of ['password', 'token', 'argon2', 'refresh', xena.email, 'xylophone', olive.invite?.code ?? 'no-invite-here']) {
      assert.ok(!text.includes(secret), `the export holds no ${secret}`);
    }
    const types = ls.map((l) => l.type);
    assert.deepEqual([...new Set(types)], ['header', 'workspace', 'user', 'file', 'avatar', 'chat', 'member', 'message', 'reaction', 'read', 'end']);
    const users = ls.filter((l) => l.type === 'user');
    assert.deepEqual(users.map((u) => u.id), [1, 2, 3, 4], 'ids are the file\'s own numbering');
    assert.deepEqual(users.map((u) => [u.role, u.status]), [['owner', 'Active'], ['admin', 'Active'], ['member', 'Active'], ['member', 'Suspended']]);
    const msgs = ls.filter((l) => l.type === 'message');
    const deleted = msgs.find((m) => m.deleted_at);
    assert.equal(deleted.content, '', 'a deleted message is a tombstone');
    assert.ok(msgs.some((m) => m.edited_at && m.content === 'no typo any more'));
    assert.ok(msgs.some((m) => m.files.length === 1));
    assert.ok(msgs.some((m) => m.mentions_all && m.idempotency_key === 'standup-1'));
    assert.ok(msgs.some((m) => m.mentions.length === 1));
    assert.equal(msgs.filter((m) => m.reply_to === msgs[0].id).length, 2, 'both replies point at the root');
    assert.equal(msgs[0].reply_count, 2);
    const files = ls.filter((l) => l.type === 'file');
    assert.equal(files.length, 2);
    assert.match(files[0].sha256, /^[0-9a-f]{64}$/);
    // several workspaces: --workspace is needed
    const amb = runBin(['export', '--data', srv.dataDir, '--out', join(work, 'x.ndjson')]);
    assert.equal(amb.code, 2);
    assert.match(amb.stderr, /holds 2 workspaces: choose one with --workspace ID/);
    const none = runBin(['export', '--data', srv.dataDir, '--workspace', '999999', '--out', join(work, 'x.ndjson')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no workspace with id 999999/);
    assert.ok(!existsSync(join(work, 'x.ndjson')) && !existsSync(join(work, 'x.ndjson.tmp')));
    assert.equal(runBin(['export', '--data', srv.dataDir]).code, 2, 'export without --out');
    // to stdout: the same bytes
    const out = runBin(['export', '--data', srv.dataDir, '--workspace', String(ws), '--out', '-', '--log-level', 'warn']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, readFileSync(e1, 'utf8'), 'export to stdout gives the same bytes');
  });

  test('import into a fresh folder, then export again: byte-identical; the indexes check out', () => {
    const r = runBin(['import', '--data', d2, '--in', e1], { timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /imported 4 users, 4 chats, 14 messages/);
    const pw = join(d2, 'import-passwords.txt');
    assert.equal(statSync(pw).mode & 0o777, 0o600);
    assert.equal(readFileSync(pw, 'utf8').trim().split('\n').length, 4);
    const again = runBin(['export', '--data', d2, '--out', e2]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(readFileSync(e2).equals(readFileSync(e1)), 'export → import → export gives the same bytes');
    // the export carries file metadata, not bytes: without the files, check
    // names them missing; with files/ copied over (docs/EXPORT.md) it is ok
    const bare = runBin(['check', '--data', d2]);
    assert.equal(bare.code, 1, bare.stdout);
    assert.match(bare.stdout, /files: damaged: 2 missing/);
    cpSync(join(srv.dataDir, 'files'), join(d2, 'files'), { recursive: true });
    const check = runBin(['check', '--data', d2]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /fts5 messages_scoped: ok/);
    const db = join(d2, 'fechatter.db');
    assert.equal(sql(db, "select count(*) from users where password_hash like '$argon2id$%'"), '4');
    assert.equal(sql(db, 'select count(*) from chats where last_message_id is null'), '0');
    assert.equal(sql(db, "select count(*) from chats where chat_type = 'Single' and single_key is not null"), '1');
  });

  test('the imported appliance serves: new passwords, same chats and unread counts, search, suspension', async () => {
    imported = await startServer({ dataDir: d2 });
    const pw = Object.fromEntries(readFileSync(join(d2, 'import-passwords.txt'), 'utf8').trim().split('\n').map((l) => l.split('\t')));
    assert.equal((await signin(imported, olive.email, olive.password)).status, 401, 'the old password is not carried over');
    for (const u of [olive, bob, carol]) {
      const s = await mustSignin(imported, u.email, pw[u.email]);
      const chats = assertOk(await imported.api('GET', '/api/workspace/chats', { token: s.access_token }));
      const counts = assertOk(await imported.api('GET', '/api/unread-counts', { token: s.access_token }));
      const mine = chats.map((c) => {
        const n = counts.find((x) => x.chat_id === c.id);
        return `${c.chat_type}:${c.name}:${n.unread_count}:${n.mention_count}`;
      }).sort();
      assert.deepEqual(mine, unreadByName[u.email], `${u.email}: chats and unread counts`);
    }
    assert.equal((await signin(imported, dan.email, pw[dan.email])).status, 403, 'still suspended');
    const o = await mustSignin(imported, olive.email, pw[olive.email]);
    const me = assertOk(await imported.api('GET', '/api/users/me', { token: o.access_token }));
    assert.equal(me.bio, 'line one\nline two');
    assert.match(me.avatar_url, /^\/api\/files\/[0-9a-f]{64}\.png$/);
    for (const [q, n] of [['raspberry', 1], ['ünïcödé', 1], ['日本語', 1], ['typo', 1], ['goes', 0], ['xylophone', 0]]) {
      const r = assertOk(await imported.api('GET', `/api/search/messages?q=${encodeURIComponent(q)}`, { token: o.access_token }));
      assert.equal(r.total, n, `search ${q}`);
    }
  });

  test('import refuses a folder in use (exit 1) and a folder that holds users (exit 2)', async () => {
    const busy = runBin(['import', '--data', d2, '--in', e1]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /in use by another fechatter process/);
    await imported.stop();
    imported = null;
    const full = runBin(['import', '--data', d2, '--in', e1]);
    assert.equal(full.code, 2);
    assert.match(full.stderr, /already holds 4 users: import needs an empty appliance/);
    assert.equal(runBin(['import', '--data', makeTempDir()]).code, 2, 'import without --in');
  });

  // Each bad file: exit 2, a message naming the line, and nothing left behind.
  const mutate = (f) => () => {
    const ls = lines(readFileSync(e1));
    return Buffer.from(`${f(ls).join('\n')}\n`);
  };
  const at = (ls, type, i = 0) => ls.findIndex((l) => JSON.parse(l).type === type) + i;
  const edit = (l, fn) => { const o = JSON.parse(l); fn(o); return JSON.stringify(o); };
  const cases = [
    ['not JSON', mutate((ls) => { ls[2] = '{"type":"user", oops'; return ls; }), /line 3: not a JSON object/],
    ['not an object', mutate((ls) => { ls[2] = '[1,2]'; return ls; }), /line 3: not a JSON object/],
    ['wrong version', mutate((ls) => { ls[0] = edit(ls[0], (o) => { o.version = 2; }); return ls; }), /line 1: export format version 2; this binary reads version 1/],
    ['not an export', () => Buffer.from('{"type":"header","format":"other","version":1}\n'), /line 1: header: "format" must be "fechatter-export"/],
    ['missing field', mutate((ls) => { ls[2] = edit(ls[2], (o) => { delete o.email; }); return ls; }), /line 3: user: missing field "email"/],
    ['wrong type', mutate((ls) => { ls[2] = edit(ls[2], (o) => { o.id = '1'; }); return ls; }), /line 3: user: "id" must be an integer/],
    ['bad enum', mutate((ls) => { ls[3] = edit(ls[3], (o) => { o.role = 'root'; }); return ls; }), /line 4: user: "role" must be one of owner\|admin\|member/],
    ['unknown reference', mutate((ls) => { const i = at(ls, 'message', 3); ls[i] = edit(ls[i], (o) => { o.sender = 99; }); return ls; }), /line \d+: message: unknown sender \(user 99\)/],
    ['reply to a later message', mutate((ls) => { const i = at(ls, 'message'); ls[i] = edit(ls[i], (o) => { o.reply_to = 5; }); return ls; }), /line \d+: message: reply_to names unknown message 5/],
    ['duplicate id', mutate((ls) => { ls.splice(3, 0, edit(ls[2], (o) => { o.email = 'twin@example.test'; })); return ls; }), /line 4: user: duplicate user id 1/],
    ['duplicate email', mutate((ls) => { ls[3] = edit(ls[3], (o) => { o.email = JSON.parse(ls[2]).email.toUpperCase(); }); return ls; }), /line 4: user: another user has this email/],
    ['bad UTF-8', () => {
      const b = readFileSync(e1);
      const i = b.indexOf('raspberry');
      const c = Buffer.from(b);
      c[i] = 0xff;
      return c;
    }, /line \d+: not valid UTF-8/],
    ['truncated (no end record)', mutate((ls) => ls.slice(0, -1)), /line \d+: the file ends without its end record \(truncated\?\)/],
    ['truncated (counts)', mutate((ls) => { const i = at(ls, 'message', 13); ls.splice(i, 1); return ls.filter((l) => { const o = JSON.parse(l); return !(o.type === 'reaction' || o.type === 'read'); }); }), /the header announces 14 messages but the file holds 13/],
    ['out of order', mutate((ls) => { const u = ls.splice(5, 1)[0]; ls.splice(at(ls, 'chat'), 0, u); return ls; }), /line \d+: a "user" record after the "avatar" records \(out of order\)/],
    ['no header', mutate((ls) => ls.slice(1)), /line 1: the file must start with a header record, not "workspace"/],
    ['empty file', () => Buffer.alloc(0), /the file ends without its end record \(empty file\)/],
    ['late failure rolls back everything', mutate((ls) => { const i = at(ls, 'read'); ls[i] = edit(ls[i], (o) => { o.chat = 42; }); return ls; }), /line \d+: read: unknown chat 42/],
  ];
  for (const [name, make, re] of cases) {
    test(`bad file: ${name} → exit 2, the line named, nothing imported`, () => {
      const dir = makeTempDir();
      const f = join(dir, 'bad.ndjson');
      writeFileSync(f, make());
      const data = join(dir, 'data');
      const r = runBin(['import', '--data', data, '--in', f], { timeoutMs: 60000 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /nothing was imported/);
      assert.equal(sql(join(data, 'fechatter.db'), 'select (select count(*) from users) + (select count(*) from workspaces) + (select count(*) from messages) + (select count(*) from files)'), '0');
      assert.ok(!existsSync(join(data, 'import-passwords.txt')) && !existsSync(join(data, 'import-passwords.txt.tmp')), 'no passwords file');
      if (name.startsWith('late failure')) {
        // the folder is still an empty appliance: the good file imports
        const ok = runBin(['import', '--data', data, '--in', e1], { timeoutMs: 60000 });
        assert.equal(ok.code, 0, ok.stderr);
      }
    });
  }
});
