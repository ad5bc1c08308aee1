// fechatter import --slack (issue 16): the hand-made export in
// tests/fixtures/slack-small is imported into a fresh data folder, then the
// real server is started on it and every message is checked through the API
// (authors, times, threads, reactions, mentions, links, files, edits, the
// skipped join, topic and unknown-author messages). The set-password links
// the import printed are used through the API (sign-in works after, a
// second use is 410, an expired link is 410, an account without a password
// cannot sign in). A second run adds nothing; a malformed export is refused
// with exit code 2 and a message naming the file, leaving nothing; the
// synthetic 100,000-message export (tests/fixtures/slack_gen.mjs, zipped)
// comes in whole and a re-run adds nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, runBin, makeTempDir, assertOk, assertError, signin, PASSWORD, sleep, emulated } from './lib/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SMALL = join(here, '..', 'fixtures', 'slack-small');
const GEN = join(here, '..', 'fixtures', 'slack_gen.mjs');
const sql = (db, q) => spawnSync('sqlite3', [db, q], { encoding: 'utf8' }).stdout.trim();
const COUNTS = "select (select count(*) from messages)||' '||(select count(*) from users)||' '||(select count(*) from chats)||' '||"
  + "(select count(*) from reactions)||' '||(select count(*) from mentions)||' '||(select count(*) from chat_members)||' '||"
  + "(select count(*) from messages where reply_to is not null)||' '||(select count(*) from import_map)";

function slackImport(path, data, extra = [], timeoutMs = 20000) {
  return runBin(['import', '--slack', path, '--data', data, '--log-level', 'info', ...extra], { timeoutMs });
}

// email, name, path, expiry per printed line
function links(stdout) {
  return stdout.split('\n').filter(Boolean).map((l) => {
    const [email, name, path, exp] = l.split('\t');
    return { email, name, path, token: path.replace('/#/set-password/', ''), expires: Number(exp) };
  });
}

describe('slack import: the hand-made export', () => {
  const data = makeTempDir('fechatter-slack-');
  let srv; let out; let alice; let byName; let chats;

  before(async () => {
    out = slackImport(SMALL, data);
    assert.equal(out.code, 0, out.stderr);
    srv = await startServer({ dataDir: data });
  });
  after(async () => { if (srv) await srv.stop(); });

  test('prints one single-use set-password link per imported person (not for bots or deleted users)', () => {
    const l = links(out.stdout);
    assert.deepEqual(l.map((x) => x.email), ['alice@example.com', 'bob@example.com', 'u003@slack-import.invalid']);
    assert.deepEqual(l.map((x) => x.name), ['Alice Archer', 'Bob Baker', 'Carol Cole']);
    for (const x of l) {
      assert.match(x.token, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(x.expires > Date.now() + 6 * 86400e3, 'valid 7 days by default');
    }
    // only hashes are stored
    const stored = sql(join(data, 'fechatter.db'), 'select token_hash from password_tokens');
    for (const x of l) assert.ok(!stored.includes(x.token));
    assert.match(out.stderr, /users 5 new.*1 bot accounts; chats 4 new.*messages 15 in the export, 12 new \(2 replies.*1 edited.*skipped: 2 system, 1 unknown author/s);
    assert.match(out.stderr, /general\/2024-03-01\.json: message 1709280540\.000900 skipped: its author U009 is not in users\.json/);
  });

  test('an imported account cannot sign in before it sets a password', async () => {
    // the stored hash is empty: no password, not even the empty one, matches
    for (const pw of ['', PASSWORD, 'anything at all']) assertError(await signin(srv, 'bob@example.com', pw), 401, 'INVALID_CREDENTIALS');
  });

  test('a set-password link: weak password 400, unknown 400, used once signs in, used twice 410', async () => {
    const l = links(out.stdout);
    const a = l.find((x) => x.email === 'alice@example.com');
    assertError(await srv.api('POST', '/api/set-password', { body: { token: a.token, password: 'short' } }), 400, 'VALIDATION_ERROR', 'password');
    assertError(await srv.api('POST', '/api/set-password', { body: { token: 'x'.repeat(43), password: PASSWORD } }), 400, 'INVALID_PASSWORD_TOKEN', 'token');
    const r = await srv.api('POST', '/api/set-password', { body: { token: a.token, password: PASSWORD } });
    assertOk(r, 200);
    assert.equal(r.json.data.user.email, 'alice@example.com');
    assert.ok(r.json.data.access_token);
    assertError(await srv.api('POST', '/api/set-password', { body: { token: a.token, password: 'another password' } }), 410, 'PASSWORD_TOKEN_USED', 'token');
    const s = await signin(srv, 'alice@example.com', PASSWORD);
    assertOk(s, 200);
    alice = s.json.data;
    // the second use changed nothing
    assertError(await signin(srv, 'alice@example.com', 'another password'), 401, 'INVALID_CREDENTIALS');
  });

  test('the workspace: made for the import, owned by the primary owner; roles and suspensions carried over', async () => {
    assert.equal(alice.user.role, 'owner');
    assert.equal(alice.workspace.name, 'Slack');
    const r = await srv.api('GET', '/api/users', { token: alice.access_token });
    assertOk(r);
    byName = Object.fromEntries(r.json.data.map((u) => [u.fullname, u]));
    assert.deepEqual(Object.keys(byName).sort(), ['Alice Archer', 'Bob Baker', 'CI', 'Carol Cole', 'Dave Gone', 'Deploy Bot']);
    assert.equal(byName['Dave Gone'].status, 'Suspended');
    assert.equal(byName['Deploy Bot'].status, 'Suspended');
    assert.equal(byName.CI.status, 'Suspended');
    assert.equal(byName['Bob Baker'].status, 'Active');
    assert.equal(byName['Carol Cole'].email, 'u003@slack-import.invalid');
    const c = await srv.api('GET', '/api/workspace/chats', { token: alice.access_token });
    assertOk(c);
    chats = Object.fromEntries(c.json.data.map((x) => [x.chat_type === 'Single' ? 'dm' : x.name, x]));
    assert.deepEqual(Object.keys(chats).sort(), ['dm', 'general', 'random', 'secret-plans']);
    assert.equal(chats.general.chat_type, 'PublicChannel');
    assert.equal(chats.general.description, 'Company-wide announcements');
    assert.equal(chats.random.description, 'Anything goes');
    assert.equal(chats['secret-plans'].chat_type, 'PrivateChannel');
    const m = await srv.api('GET', `/api/chat/${chats.general.id}/members`, { token: alice.access_token });
    assertOk(m);
    const roles = Object.fromEntries(m.json.data.map((x) => [x.user_id ?? x.id, x.role]));
    assert.equal(roles[byName['Alice Archer'].id], 'owner');
    assert.equal(roles[byName['Bob Baker'].id], 'member');
    assert.equal(Object.keys(roles).length, 3);
  });

  test('general: every message checked (text, author, time, thread, reactions, mentions, files, edits)', async () => {
    const r = await srv.api('GET', `/api/chat/${chats.general.id}/messages?limit=100`, { token: alice.access_token });
    assertOk(r);
    const msgs = r.json.data.slice().reverse(); // oldest first
    const A = byName['Alice Archer'].id; const B = byName['Bob Baker'].id; const C = byName['Carol Cole'].id;
    const at = (m) => (typeof m.created_at === 'number' ? m.created_at : Date.parse(m.created_at));
    const rows = msgs.map((m) => ({ who: m.sender_id, text: m.content, at: at(m) }));
    assert.deepEqual(rows, [
      { who: A, text: 'Hello @channel, welcome to #random!', at: 1709280000000 },
      { who: B, text: 'Thread root about [the docs](https://example.com/docs)', at: 1709280120000 },
      { who: C, text: 'Reply one, @Alice Archer look', at: 1709280180000 },
      { who: A, text: 'Reply two & done <3', at: 1709280240000 },
      { who: B, text: 'Here is the report\n[Q1 report](https://files.slack.com/files-pri/T1-F1/report.pdf)', at: 1709280360000 },
      { who: byName.CI.id, text: 'Build https://ci.example.com/1 passed', at: 1709280420000 },
      { who: byName['Dave Gone'].id, text: 'old message from dave', at: 1709280480000 },
      { who: C, text: '@Bob Baker and @Alice Archer: mail x@example.com', at: 1709366400000 },
      { who: B, text: '_waves_', at: 1709366460000 },
    ]);
    const [hello, root, r1, r2, , , , mention] = msgs;
    assert.equal(hello.mentions_all, true);
    assert.deepEqual(hello.reactions.map((x) => [x.emoji, x.count]).sort(), [[':custom_party:', 1], ['👍', 2]].sort());
    assert.equal(root.reply_count, 2);
    assert.equal(r1.reply_to, root.id);
    assert.equal(r2.reply_to, root.id);
    assert.deepEqual(r1.mentions, [A]);
    assert.ok(r2.edited_at, 'the edit time is kept');
    assert.equal(typeof r2.edited_at === 'number' ? r2.edited_at : Date.parse(r2.edited_at), 1709280300000);
    assert.deepEqual(mention.mentions.slice().sort((x, y) => x - y), [A, B].sort((x, y) => x - y));
    assert.deepEqual(mention.reactions.map((x) => x.emoji), ['👍']);
    const th = await srv.api('GET', `/api/chat/${chats.general.id}/messages/${root.id}/replies`, { token: alice.access_token });
    assertOk(th);
    assert.deepEqual(th.json.data.map((m) => m.id), [r1.id, r2.id]);
  });

  test('the other chats: random (topic change skipped), the private channel, the DM', async () => {
    const get = async (id) => (await srv.api('GET', `/api/chat/${id}/messages?limit=100`, { token: alice.access_token })).json.data;
    assert.deepEqual((await get(chats.random.id)).map((m) => m.content), ['random chatter :smile:']);
    assert.deepEqual((await get(chats['secret-plans'].id)).map((m) => [m.sender_id, m.content]), [[byName['Carol Cole'].id, 'private hello']]);
    assert.deepEqual((await get(chats.dm.id)).map((m) => m.content), ['hi bob, DM here']);
  });

  test('search finds imported messages; imported history is read', async () => {
    const s = await srv.api('GET', '/api/search/messages?q=report', { token: alice.access_token });
    assertOk(s);
    assert.ok(s.json.data.hits.some((h) => h.content.startsWith('Here is the report')));
    const u = await srv.api('GET', '/api/unread-counts', { token: alice.access_token });
    assertOk(u);
    for (const x of u.json.data) assert.equal(x.unread_count, 0, JSON.stringify(x));
  });

  test('a second run adds nothing (and prints fresh links only for who still has no password)', async () => {
    await srv.stop();
    srv = null;
    const db = join(data, 'fechatter.db');
    const before1 = sql(db, COUNTS);
    const again = slackImport(SMALL, data);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sql(db, COUNTS), before1);
    assert.match(again.stderr, /users 0 new, 5 already imported.*chats 0 new, 4 already imported.*0 new \(0 replies.*12 already imported/s);
    assert.deepEqual(links(again.stdout).map((x) => x.email), ['bob@example.com', 'u003@slack-import.invalid']);
    srv = await startServer({ dataDir: data });
  });
});

describe('slack import: links expire, a malformed export is refused', () => {
  test('an expired link is 410 PASSWORD_TOKEN_EXPIRED', async () => {
    const data = makeTempDir('fechatter-slack-ttl-');
    const out = slackImport(SMALL, data, ['--link-ttl', '1']);
    assert.equal(out.code, 0, out.stderr);
    const l = links(out.stdout);
    const srv = await startServer({ dataDir: data });
    try {
      // wait for the expiry the import printed (not a guess at timing)
      while (Date.now() <= l[0].expires) await sleep(50);
      assertError(await srv.api('POST', '/api/set-password', { body: { token: l[0].token, password: PASSWORD } }), 410, 'PASSWORD_TOKEN_EXPIRED', 'token');
      assertError(await signin(srv, l[0].email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    } finally { await srv.stop(); }
  });

  const cases = [
    ['a day file that is not JSON', (d) => writeFileSync(join(d, 'general', '2024-03-02.json'), '[{"ts": "1709366400.000100", '),
      /general\/2024-03-02\.json: not JSON/],
    ['a user without an id', (d) => writeFileSync(join(d, 'users.json'), JSON.stringify([{ id: 'U001', name: 'a' }, { name: 'nobody' }])),
      /users\.json: entry 1: missing string field "id"/],
    ['a field of the wrong type', (d) => writeFileSync(join(d, 'random', '2024-03-01.json'), JSON.stringify([{ ts: '1709280000.000500', user: 'U002', text: 5 }])),
      /random\/2024-03-01\.json: message 0: field "text" must be a string/],
    ['a bad timestamp', (d) => writeFileSync(join(d, 'random', '2024-03-01.json'), JSON.stringify([{ ts: 'yesterday', user: 'U002', text: 'x' }])),
      /random\/2024-03-01\.json: message 0: field "ts" is not a Slack timestamp/],
    ['channels.json missing', (d) => rmSync(join(d, 'channels.json')), /channels\.json: missing from the export/],
    ['not an export at all', (d) => rmSync(join(d, 'users.json')), /no users\.json/],
  ];
  for (const [name, spoil, message] of cases) {
    test(`${name}: exit 2, the file named, nothing written; the repaired export then imports`, () => {
      const work = makeTempDir('fechatter-slack-bad-');
      const exp = join(work, 'export');
      cpSync(SMALL, exp, { recursive: true });
      spoil(exp);
      const data = join(work, 'data');
      const r = slackImport(exp, data);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', 'no link printed');
      const db = join(data, 'fechatter.db');
      if (existsSync(db)) assert.equal(sql(db, COUNTS), '0 0 0 0 0 0 0 0');
      rmSync(exp, { recursive: true });
      cpSync(SMALL, exp, { recursive: true });
      const ok = slackImport(exp, data);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(sql(db, COUNTS).split(' ')[0], '12');
    });
  }

  test('a file that is neither a folder nor a zip: exit 2', () => {
    const work = makeTempDir('fechatter-slack-bad-');
    writeFileSync(join(work, 'x.zip'), 'not a zip');
    const r = slackImport(join(work, 'x.zip'), join(work, 'data'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /x\.zip: neither a folder nor a zip file/);
  });
});

// under emulation (make test ARCH=...) a fifth of it, the same shape
const BIG = emulated ? 20000 : 100000;
describe(`slack import: the synthetic ${BIG}-message export (zip)`, () => {
  test('everything comes in, a re-run adds nothing', { timeout: 600000 }, () => {
    const work = makeTempDir('fechatter-slack-big-');
    const g = spawnSync(process.execPath, [GEN, work, '--zip', '--messages', String(BIG)], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    const want = JSON.parse(g.stdout);
    assert.ok(want.messages + want.system >= BIG && want.channels === 50);
    const data = join(work, 'data');
    const r = slackImport(join(work, 'export.zip'), data, [], 240000);
    assert.equal(r.code, 0, r.stderr);
    const db = join(data, 'fechatter.db');
    const [messages, users, chats, reactions, mentions, , replies] = sql(db, COUNTS).split(' ').map(Number);
    assert.deepEqual({ messages, users, chats, reactions, mentions, replies },
      { messages: want.messages, users: want.users, chats: want.channels, reactions: want.reactions, mentions: want.mentions, replies: want.replies });
    const first = sql(db, COUNTS);
    const again = slackImport(join(work, 'export.zip'), data, [], 240000);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sql(db, COUNTS), first);
    rmSync(work, { recursive: true, force: true });
  });
});
