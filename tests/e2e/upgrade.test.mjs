// Upgrades (issue 10, item 6): a database made by the schema of version 0.1
// (schema/0001..0004, tests/fixtures/upgrade/make.mjs made it through the
// real binary) is opened by this build, which runs whatever migrations came
// since, and then works end to end: sign in, chats, messages and the
// thread, reactions, an edited and a deleted message, search, the attached
// file, a new message; `fechatter check` passes before and after serving.
// A later migration (a search reindex, a new column) is proven here.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, runBin, makeTempDir, mustSignin, sqlite, sqliteAvailable } from './lib/server.mjs';
import { send, tok, listChats, allMessages, fetchBytes, sha256Hex } from './lib/conv.mjs';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'upgrade');
const facts = JSON.parse(readFileSync(join(FIXTURE, 'facts.json'), 'utf8'));
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

describe('a version 0.1 (schema 4) database', () => {
  test('opens with this build, migrates, and works end to end', { timeout: 60000 }, async () => {
    const data = makeTempDir();
    copyFileSync(join(FIXTURE, 'v0.1-schema4.db'), join(data, 'fechatter.db'));
    cpSync(join(FIXTURE, 'files'), join(data, 'files'), { recursive: true });
    if (sqliteAvailable()) assert.equal(Number(sqlite(join(data, 'fechatter.db'), 'PRAGMA user_version')), facts.schema_version);

    const srv = await startServer({ dataDir: data, args: ['--log-level', 'info'] });
    servers.push(srv);
    const ada = await mustSignin(srv, facts.users.owner, facts.password);
    const grace = await mustSignin(srv, facts.users.grace, facts.password);

    const chats = await listChats(srv, ada);
    assert.deepEqual(chats.map((c) => c.id).sort((a, b) => a - b), [facts.chats.general, facts.chats.engineering]);
    const graceChats = (await listChats(srv, grace)).map((c) => c.id).sort((a, b) => a - b);
    assert.deepEqual(graceChats, [facts.chats.general, facts.chats.engineering, facts.chats.dm]);

    const msgs = await allMessages(srv, ada, facts.chats.general);
    const live = msgs.filter((m) => !m.deleted);
    assert.equal(live.length, facts.general_live_messages);
    const root = msgs.find((m) => m.id === facts.root.id);
    assert.equal(root.content, facts.root.content);
    assert.equal(root.reply_count, facts.root.replies);
    assert.deepEqual(Object.fromEntries(root.reactions.map((r) => [r.emoji, r.count])), facts.root.reactions);
    assert.equal(root.files.length, 1);
    assert.equal(root.files[0].url, facts.file.url);
    assert.equal(msgs.find((m) => m.id === facts.edited.id).content, facts.edited.content);
    assert.ok(msgs.find((m) => m.id === facts.edited.id).edited_at, 'edited_at kept');
    const tomb = msgs.find((m) => m.id === facts.deleted);
    assert.equal(tomb.deleted, true);
    assert.equal(tomb.content, '');

    const thread = await srv.api('GET', `/api/chat/${facts.chats.general}/messages/${facts.root.id}/replies`, { token: tok(ada) });
    assert.equal(thread.status, 200, thread.text);
    assert.equal(thread.json.data.length, facts.root.replies);
    assert.ok(thread.json.data.every((m) => m.reply_to === facts.root.id));

    const found = await srv.api('GET', `/api/search/messages?q=${facts.search_word}`, { token: tok(ada) });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.json.data.hits.map((h) => h.id), [facts.root.id]);
    const notDeleted = await srv.api('GET', '/api/search/messages?q=deleted', { token: tok(grace) });
    assert.equal(notDeleted.json.data.total, 0, 'the deleted message is not found');

    const pic = await fetchBytes(srv, facts.file.url, { token: tok(grace) });
    assert.equal(pic.status, 200);
    assert.equal(sha256Hex(pic.body), facts.file.sha256);

    const fresh = await send(srv, grace, facts.chats.general, 'written by the new build after the upgrade');
    assert.ok(fresh.id > facts.deleted, 'ids keep growing');
    const again = await srv.api('GET', '/api/search/messages?q=upgrade', { token: tok(ada) });
    assert.deepEqual(again.json.data.hits.map((h) => h.id), [fresh.id]);

    assert.equal(await srv.stop(), 0);
    servers.pop();
    if (sqliteAvailable()) {
      const now = Number(sqlite(join(data, 'fechatter.db'), 'PRAGMA user_version'));
      assert.ok(now >= facts.schema_version);
      for (let v = facts.schema_version + 1; v <= now; v++) {
        assert.match(srv.output().stderr, new RegExp(`store: migrated to=schema/${String(v).padStart(4, '0')}_`), `migration ${v} ran`);
      }
    }
    const check = runBin(['check', '--data', data], { timeoutMs: 30000 });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    // the live messages: general's, one in engineering, one direct, and the new one
    assert.match(check.stdout, new RegExp(`^search index: ok \\(${facts.general_live_messages + 3} messages\\)$`, "m"));
    assert.match(check.stdout, /^files: ok \(1 referenced/m);
  });
});
