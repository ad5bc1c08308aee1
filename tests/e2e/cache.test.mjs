// The read-through cache never serves a stale read: after each kind of change
// the very next read, by anyone, shows it. Every scenario first warms the
// cache (the same read twice; with the cache on, /api/cache/stats must show a
// hit for the family concerned), then changes something, then reads again.
// The first page of messages is also compared with the same page taken
// through a cursor (?before=<beyond every id>), which is never cached: the
// two must be equal. The whole scenario set runs twice: with the default
// cache and with --cache-size 0 (no cache: the same reads must still work).
// Plus /api/cache/stats (403 for a plain member, per-family counters that
// move), evictions under a small budget, and the fechatter_cache_* series of
// /metrics. No timing assertions; every loop is bounded.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertOk, assertError, mustSignin, signin, RFC3339_MS, startServer } from './lib/server.mjs';
import {
  setupWorkspace, uniqueName, createChat, getChat, listChats, memberIds, send, listMessages, unreadOf, tok,
} from './lib/conv.mjs';

const FAMILIES = ['user', 'chat', 'messages', 'unread', 'workspace'];
const COUNTERS = ['hits', 'misses', 'evictions', 'entries', 'bytes'];
const BEYOND = 1e15; // a cursor above every message id: the same page as the first one, uncached
const ZERO = { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 };

const MODES = [
  { name: 'default cache', args: [], cached: true },
  { name: '--cache-size 0 (cache off)', args: ['--cache-size', '0'], cached: false },
];

const NAMES = ['Alice Anders', 'Bob Brown', 'Carol Clark', 'Dave Doyle', 'Erin Evans', 'Frank Fisher', 'Gina Gold'];

for (const mode of MODES) {
  describe(`no stale reads (${mode.name})`, () => {
    let srv; let owner; let alice; let bob; let carol; let dave; let erin; let frank; let gina;
    before(async () => {
      const w = await setupWorkspace({ args: mode.args, names: NAMES });
      ({ srv, owner } = w);
      ({ alice, bob, carol, dave, erin, frank, gina } = w.byName);
    });
    after(async () => { await srv?.stop(); });

    const api = (m, p, u, body) => srv.api(m, p, { token: u ? tok(u) : undefined, body });
    const stats = async () => assertOk(await api('GET', '/api/cache/stats', owner));
    const fam = (s, f) => s.families[f] ?? ZERO;

    // Runs every read twice (the second answer must equal the first); with the
    // cache on, the family's hits must have grown by at least minHits.
    async function warm(family, reads, minHits = 1) {
      const s0 = mode.cached ? await stats() : null;
      const out = [];
      for (const read of reads) {
        const a = await read();
        const b = await read();
        assert.deepEqual(b, a, `warm-up: the second read equals the first (${family})`);
        out.push(a);
      }
      if (mode.cached) {
        const s1 = await stats();
        const d = fam(s1, family).hits - fam(s0, family).hits;
        assert.ok(d >= minHits, `the warm-up reads hit the "${family}" cache (hits +${d}, want >= ${minHits}): ${JSON.stringify(s1.families)}`);
      }
      return out;
    }

    // The first page of messages as u sees it (possibly from the cache),
    // checked against the same page read through a cursor (never cached).
    async function page(u, chatId, limit) {
      const q = limit ? `limit=${limit}` : '';
      const first = await listMessages(srv, u, chatId, q);
      const fresh = await listMessages(srv, u, chatId, `${q ? `${q}&` : ''}before=${BEYOND}`);
      assert.deepEqual(first.data, fresh.data, `first page of chat ${chatId} for ${u.user.fullname} equals the uncached page`);
      assert.deepEqual(first.meta, fresh.meta, 'meta of the first page equals the uncached one');
      return first;
    }
    const ids = (p) => p.data.map((m) => m.id);
    const msgOf = (p, id) => {
      const m = p.data.find((x) => x.id === id);
      assert.ok(m, `message ${id} on the page: ${JSON.stringify(ids(p))}`);
      return m;
    };
    const inList = async (u, chatId) => (await listChats(srv, u)).find((c) => c.id === chatId);
    const unreadList = async (u) => assertOk(await api('GET', '/api/unread-counts', u));
    const unreadCount = async (u, chatId) => (await unreadOf(srv, u, chatId)).unread_count;
    const memberList = async (u, chatId) => assertOk(await api('GET', `/api/chat/${chatId}/members`, u));
    const memberUserIds = async (u, chatId) => (await memberList(u, chatId)).map((m) => m.user_id).sort((a, b) => a - b);
    const sorted = (...users) => memberIds(...users).sort((a, b) => a - b);
    const group = (creator, members, prefix = 'g') =>
      createChat(srv, creator, { chat_type: 'Group', name: uniqueName(prefix), members: memberIds(...members) });

    test('send: the next first page of every member, the chat list and unread counts show it', async () => {
      const c = await group(alice, [bob, carol], 'send');
      const m1 = await send(srv, alice, c.id, 'first');
      const m2 = await send(srv, alice, c.id, 'second');
      await warm('messages', [() => page(bob, c.id), () => page(carol, c.id), () => page(bob, c.id, 1), () => page(alice, c.id)]);
      const [u0, l0, g0] = await warm('unread', [
        () => unreadOf(srv, bob, c.id), () => inList(bob, c.id), () => getChat(srv, bob, c.id),
      ]);
      assert.equal(u0.unread_count, 2);
      assert.equal(l0.unread_count, 2);
      assert.equal(l0.last_message.id, m2.id);
      assert.equal(g0.unread_count, 2);

      const m3 = await send(srv, alice, c.id, 'third, after the warm-up');
      const pb = await page(bob, c.id);
      assert.deepEqual(ids(pb), [m3.id, m2.id, m1.id], "bob's first page shows the new message");
      assert.equal(pb.data[0].content, 'third, after the warm-up');
      assert.deepEqual(ids(await page(carol, c.id)), [m3.id, m2.id, m1.id], "carol's first page shows it");
      assert.deepEqual(ids(await page(alice, c.id)), [m3.id, m2.id, m1.id], "the sender's own first page shows it");
      const p1 = await page(bob, c.id, 1);
      assert.deepEqual(ids(p1), [m3.id], 'the limit=1 first page shows it');
      assert.equal(p1.meta.has_more, true);
      const l1 = await inList(bob, c.id);
      assert.equal(l1.last_message?.id, m3.id, "the chat list's last_message");
      assert.equal(l1.last_message?.content, 'third, after the warm-up');
      assert.equal(l1.unread_count, 3, "the chat list's unread_count");
      assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 3, mention_count: 0 }, '/api/unread-counts');
      const g1 = await getChat(srv, bob, c.id);
      assert.equal(g1.unread_count, 3, 'GET /api/chat/{id} unread_count');
      assert.equal(g1.last_message?.id, m3.id);
      assert.equal(await unreadCount(alice, c.id), 0, 'own messages never count');

      // a mention and a thread reply, each after a fresh warm-up
      await warm('unread', [() => unreadOf(srv, carol, c.id), () => unreadList(alice)]);
      await warm('messages', [() => page(carol, c.id)]);
      const r = await send(srv, bob, c.id, '@Carol Clark a reply', { reply_to: m1.id });
      const pc = await page(carol, c.id);
      assert.equal(pc.data[0].id, r.id);
      assert.equal(pc.data[0].reply_to, m1.id);
      assert.equal(msgOf(pc, m1.id).reply_count, 1, "the root's reply_count on the cached page");
      assert.deepEqual(await unreadOf(srv, carol, c.id), { chat_id: c.id, unread_count: 4, mention_count: 1 });
      assert.equal((await unreadList(alice)).find((x) => x.chat_id === c.id)?.unread_count, 1, "bob's reply counts for alice");
    });

    test('edit: the next first page of every member shows the new content', async () => {
      const c = await group(alice, [bob], 'edit');
      const m1 = await send(srv, alice, c.id, 'one, before the edit');
      const m2 = await send(srv, alice, c.id, 'two');
      const [pb0] = await warm('messages', [() => page(bob, c.id), () => page(alice, c.id)]);
      assert.equal(msgOf(pb0, m1.id).edited_at, null);
      const ed = assertOk(await api('PATCH', `/api/chat/${c.id}/messages/${m1.id}`, alice, { content: 'one, after the edit' }));
      assert.equal(ed.content, 'one, after the edit');
      for (const u of [bob, alice]) {
        const p = await page(u, c.id);
        assert.deepEqual(ids(p), [m2.id, m1.id]);
        assert.equal(msgOf(p, m1.id).content, 'one, after the edit', `${u.user.fullname} sees the edit`);
        assert.match(msgOf(p, m1.id).edited_at ?? '', RFC3339_MS, 'edited_at set');
      }
      // editing the newest message: the chat list's last_message follows
      await warm('messages', [() => page(bob, c.id)]);
      assertOk(await api('PATCH', `/api/chat/${c.id}/messages/${m2.id}`, alice, { content: 'two, edited' }));
      assert.equal((await page(bob, c.id)).data[0].content, 'two, edited');
      assert.equal((await inList(bob, c.id)).last_message?.content, 'two, edited');
    });

    test('delete: the next first page shows the tombstone and the unread count drops', async () => {
      const c = await group(alice, [bob], 'del');
      const m1 = await send(srv, alice, c.id, 'keep');
      const m2 = await send(srv, alice, c.id, 'delete me');
      await warm('messages', [() => page(bob, c.id), () => page(alice, c.id)]);
      const [u0] = await warm('unread', [() => unreadOf(srv, bob, c.id), () => inList(bob, c.id)]);
      assert.equal(u0.unread_count, 2);
      assertOk(await api('DELETE', `/api/chat/${c.id}/messages/${m2.id}`, alice));
      for (const u of [bob, alice]) {
        const p = await page(u, c.id);
        assert.deepEqual(ids(p), [m2.id, m1.id], 'the tombstone keeps its place');
        const t = msgOf(p, m2.id);
        assert.equal(t.deleted, true, `${u.user.fullname} sees the deletion`);
        assert.equal(t.content, '');
      }
      assert.equal(await unreadCount(bob, c.id), 1, 'deleted messages do not count (/api/unread-counts)');
      assert.equal((await inList(bob, c.id)).unread_count, 1, 'deleted messages do not count (chat list)');
    });

    test('reaction: the other member sees count and me=false, the reactor me=true', async () => {
      const c = await group(alice, [bob], 'react');
      const m = await send(srv, bob, c.id, 'react to me');
      const thumbs = '\u{1F44D}';
      const rx = async (u) => msgOf(await page(u, c.id), m.id).reactions;
      await warm('messages', [() => page(bob, c.id), () => page(alice, c.id)]);
      assertOk(await api('POST', `/api/chat/${c.id}/messages/${m.id}/reactions`, alice, { emoji: thumbs }), 201);
      assert.deepEqual(await rx(bob), [{ emoji: thumbs, count: 1, me: false }], "bob's page after alice's reaction");
      assert.deepEqual(await rx(alice), [{ emoji: thumbs, count: 1, me: true }], "alice's page after her reaction");

      await warm('messages', [() => page(bob, c.id), () => page(alice, c.id)]);
      assertOk(await api('POST', `/api/chat/${c.id}/messages/${m.id}/reactions`, bob, { emoji: thumbs }), 201);
      assert.deepEqual(await rx(alice), [{ emoji: thumbs, count: 2, me: true }], "alice's page after bob's reaction");
      assert.deepEqual(await rx(bob), [{ emoji: thumbs, count: 2, me: true }], "bob's page after his reaction");

      await warm('messages', [() => page(bob, c.id), () => page(alice, c.id)]);
      assertOk(await api('DELETE', `/api/chat/${c.id}/messages/${m.id}/reactions/${encodeURIComponent(thumbs)}`, alice));
      assert.deepEqual(await rx(alice), [{ emoji: thumbs, count: 1, me: false }], "alice's page after she removed hers");
      assert.deepEqual(await rx(bob), [{ emoji: thumbs, count: 1, me: true }], "bob's page after alice removed hers");
    });

    test('add member: the new member reads the chat at once, it is in their list, members lists update', async () => {
      const c = await group(alice, [bob], 'add');
      const m1 = await send(srv, alice, c.id, 'before dave');
      const m2 = await send(srv, bob, c.id, 'still before dave');
      await warm('chat', [
        async () => (await api('GET', `/api/chat/${c.id}`, dave)).status,
        async () => (await api('GET', `/api/chat/${c.id}/messages`, dave)).status,
        () => getChat(srv, bob, c.id),
        () => memberUserIds(bob, c.id),
      ]);
      assert.equal((await api('GET', `/api/chat/${c.id}`, dave)).status, 404, 'not a member yet');
      await warm('unread', [() => unreadList(dave)]);
      assert.equal((await unreadList(dave)).some((x) => x.chat_id === c.id), false);

      const res = assertOk(await api('POST', `/api/chat/${c.id}/members`, alice, { user_ids: [dave.user.id] }));
      assert.ok(res.some((x) => x.user_id === dave.user.id), 'the answer lists dave');
      const gd = await getChat(srv, dave, c.id);
      assert.equal(gd.my_role, 'member', "dave's role in the chat");
      assert.deepEqual([...gd.chat_members].sort((a, b) => a - b), sorted(alice, bob, dave));
      assert.deepEqual(ids(await page(dave, c.id)), [m2.id, m1.id], 'dave reads the history');
      assert.ok(await inList(dave, c.id), "the chat is in dave's list");
      assert.deepEqual(await unreadOf(srv, dave, c.id), { chat_id: c.id, unread_count: 0, mention_count: 0 }, "dave's unread-counts");
      const gb = await getChat(srv, bob, c.id);
      assert.equal(gb.member_count, 3, "bob's view of member_count");
      assert.deepEqual([...gb.chat_members].sort((a, b) => a - b), sorted(alice, bob, dave));
      assert.deepEqual(await memberUserIds(bob, c.id), sorted(alice, bob, dave), "bob's members list");
      await send(srv, alice, c.id, 'hello dave');
      assert.equal(await unreadCount(dave, c.id), 1, "the new member's unread count follows sends");
    });

    test('remove member: the removed one gets 404 at once, members lists update', async () => {
      const c = await group(alice, [bob, dave], 'rm');
      const m = await send(srv, alice, c.id, 'soon without dave');
      await warm('messages', [() => page(dave, c.id), () => page(bob, c.id)]);
      await warm('chat', [() => getChat(srv, dave, c.id), () => memberUserIds(dave, c.id), () => memberUserIds(bob, c.id)]);
      await warm('unread', [() => unreadList(dave)]);
      assert.deepEqual(await memberUserIds(bob, c.id), sorted(alice, bob, dave));

      assertOk(await api('DELETE', `/api/chat/${c.id}/members/${dave.user.id}`, alice));
      assertError(await api('GET', `/api/chat/${c.id}/messages`, dave), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}/messages?limit=1`, dave), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}`, dave), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}/members`, dave), 404, 'NOT_FOUND');
      assertError(await api('POST', `/api/chat/${c.id}/messages`, dave, { content: 'let me in' }), 404);
      assertError(await api('POST', `/api/chat/${c.id}/messages/${m.id}/reactions`, dave, { emoji: 'x' }), 404);
      assert.equal(await inList(dave, c.id), undefined, "gone from dave's list");
      assert.equal((await unreadList(dave)).some((x) => x.chat_id === c.id), false, "gone from dave's unread-counts");
      assert.deepEqual(await memberUserIds(bob, c.id), sorted(alice, bob), "bob's members list");
      const gb = await getChat(srv, bob, c.id);
      assert.equal(gb.member_count, 2);
      assert.deepEqual([...gb.chat_members].sort((a, b) => a - b), sorted(alice, bob));
      assert.deepEqual(ids(await page(bob, c.id)), [m.id], 'the others still read the chat');
    });

    test('join a public channel: readable at once, in the list, members lists update', async () => {
      const ch = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('pub'), members: memberIds(bob) });
      const m = await send(srv, alice, ch.id, 'welcome');
      await warm('chat', [
        async () => (await api('GET', `/api/chat/${ch.id}`, carol)).status,
        async () => (await api('GET', `/api/chat/${ch.id}/messages`, carol)).status,
        () => getChat(srv, bob, ch.id),
        () => memberUserIds(bob, ch.id),
      ]);
      assert.equal((await api('GET', `/api/chat/${ch.id}/messages`, carol)).status, 404);
      await warm('unread', [() => unreadList(carol)]);
      const pub0 = assertOk(await api('GET', '/api/workspace/chats/public', carol));
      assert.ok(pub0.some((x) => x.id === ch.id), 'browsable before joining');

      const j = assertOk(await api('POST', `/api/chat/${ch.id}/join`, carol));
      assert.equal(j.id, ch.id);
      const gc = await getChat(srv, carol, ch.id);
      assert.equal(gc.my_role, 'member');
      assert.equal(gc.member_count, 3);
      assert.deepEqual(ids(await page(carol, ch.id)), [m.id], 'carol reads the channel');
      assert.ok(await inList(carol, ch.id), "in carol's list");
      assert.ok((await unreadList(carol)).some((x) => x.chat_id === ch.id), "in carol's unread-counts");
      assert.deepEqual(await memberUserIds(bob, ch.id), sorted(alice, bob, carol), "bob's members list");
      assert.equal((await getChat(srv, bob, ch.id)).member_count, 3, "bob's member_count");
      const pub1 = assertOk(await api('GET', '/api/workspace/chats/public', carol));
      assert.equal(pub1.some((x) => x.id === ch.id), false, 'no longer offered to join');
    });

    test('leave: 404 at once for the one who left, members lists update', async () => {
      const ch = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('leave'), members: memberIds(bob, carol) });
      const m = await send(srv, alice, ch.id, 'bye soon');
      await warm('messages', [() => page(carol, ch.id)]);
      await warm('chat', [() => getChat(srv, carol, ch.id), () => memberUserIds(bob, ch.id)]);
      await warm('unread', [() => unreadList(carol)]);
      assertOk(await api('POST', `/api/chat/${ch.id}/leave`, carol));
      assertError(await api('GET', `/api/chat/${ch.id}/messages`, carol), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${ch.id}`, carol), 404, 'NOT_FOUND');
      assert.equal(await inList(carol, ch.id), undefined, "gone from carol's list");
      assert.equal((await unreadList(carol)).some((x) => x.chat_id === ch.id), false, "gone from carol's unread-counts");
      assert.deepEqual(await memberUserIds(bob, ch.id), sorted(alice, bob), "bob's members list");
      assert.equal((await getChat(srv, bob, ch.id)).member_count, 2);
      assert.deepEqual(ids(await page(bob, ch.id)), [m.id]);
    });

    test('read marker: the unread count drops at once everywhere', async () => {
      const c = await group(alice, [bob], 'read');
      const ms = [];
      for (let i = 1; i <= 4; i++) ms.push(await send(srv, alice, c.id, i === 3 ? '@Bob Brown number 3' : `number ${i}`));
      const [u0] = await warm('unread', [() => unreadOf(srv, bob, c.id), () => inList(bob, c.id), () => getChat(srv, bob, c.id)]);
      assert.deepEqual(u0, { chat_id: c.id, unread_count: 4, mention_count: 1 });
      assert.deepEqual(assertOk(await api('POST', `/api/chat/${c.id}/read`, bob, { message_id: ms[1].id })),
        { chat_id: c.id, message_id: ms[1].id });
      assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 2, mention_count: 1 }, 'after reading 2 of 4');
      assert.equal((await inList(bob, c.id)).unread_count, 2);
      assert.equal((await getChat(srv, bob, c.id)).unread_count, 2);

      await warm('unread', [() => unreadOf(srv, bob, c.id), () => inList(bob, c.id)]);
      assertOk(await api('POST', `/api/chat/${c.id}/read`, bob, { message_id: ms[3].id }));
      assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 0, mention_count: 0 }, 'after reading all');
      const l = await inList(bob, c.id);
      assert.equal(l.unread_count, 0);
      assert.equal(l.mention_count, 0);
      assert.equal((await getChat(srv, bob, c.id)).unread_count, 0);
    });

    test('chat rename: GET chat and the list show the new name at once', async () => {
      const c = await group(alice, [bob], 'old');
      await warm('chat', [() => getChat(srv, bob, c.id), () => inList(bob, c.id), () => getChat(srv, alice, c.id)]);
      const name = uniqueName('renamed');
      const up = assertOk(await api('PATCH', `/api/chat/${c.id}`, alice, { name, description: 'new description' }));
      assert.equal(up.name, name);
      for (const u of [bob, alice]) {
        const g = await getChat(srv, u, c.id);
        assert.equal(g.name, name, `${u.user.fullname}: GET /api/chat/{id} name`);
        assert.equal(g.description, 'new description');
        assert.equal((await inList(u, c.id))?.name, name, `${u.user.fullname}: chat list name`);
      }
      // a public channel: the browse list too
      const ch = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('chan'), members: [] });
      await warm('chat', [() => getChat(srv, alice, ch.id)]);
      const cname = uniqueName('chan-renamed');
      assertOk(await api('PATCH', `/api/chat/${ch.id}`, alice, { name: cname }));
      assert.equal((await getChat(srv, alice, ch.id)).name, cname);
      const pub = assertOk(await api('GET', '/api/workspace/chats/public', carol));
      assert.equal(pub.find((x) => x.id === ch.id)?.name, cname);
    });

    test('chat role change: my_role and the rights that follow from it change at once', async () => {
      const c = await group(alice, [bob], 'role');
      const [g0] = await warm('chat', [() => getChat(srv, bob, c.id)]);
      assert.equal(g0.my_role, 'member');
      assertError(await api('PATCH', `/api/chat/${c.id}`, bob, { description: 'by bob' }), 403, 'FORBIDDEN');
      assertOk(await api('PATCH', `/api/chat/${c.id}/members/${bob.user.id}`, alice, { role: 'admin' }));
      assert.equal((await getChat(srv, bob, c.id)).my_role, 'admin', "bob's my_role after promotion");
      assertOk(await api('PATCH', `/api/chat/${c.id}`, bob, { description: 'by bob' }));
      const roles = Object.fromEntries((await memberList(alice, c.id)).map((x) => [x.user_id, x.role]));
      assert.equal(roles[bob.user.id], 'admin');
      await warm('chat', [() => getChat(srv, bob, c.id)]);
      assertOk(await api('PATCH', `/api/chat/${c.id}/members/${bob.user.id}`, alice, { role: 'member' }));
      assert.equal((await getChat(srv, bob, c.id)).my_role, 'member', "bob's my_role after demotion");
      assertError(await api('PATCH', `/api/chat/${c.id}`, bob, { description: 'by bob again' }), 403, 'FORBIDDEN');
    });

    test('delete chat: every member gets 404 at once', async () => {
      const c = await group(alice, [bob], 'gone');
      await send(srv, alice, c.id, 'short-lived');
      await warm('messages', [() => page(bob, c.id)]);
      await warm('chat', [() => getChat(srv, bob, c.id)]);
      assertOk(await api('DELETE', `/api/chat/${c.id}`, alice));
      assertError(await api('GET', `/api/chat/${c.id}/messages`, bob), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}`, bob), 404, 'NOT_FOUND');
      assert.equal(await inList(bob, c.id), undefined);
      assert.equal((await unreadList(bob)).some((x) => x.chat_id === c.id), false);
    });

    test('profile rename: GET /api/users and /api/users/{id}/profile show it at once', async () => {
      const usersOf = async (u) => assertOk(await api('GET', '/api/users', u));
      const profile = async (u, id) => assertOk(await api('GET', `/api/users/${id}/profile`, u));
      const [l0] = await warm('workspace', [() => usersOf(alice), () => usersOf(owner)]);
      assert.equal(l0.find((x) => x.id === frank.user.id)?.fullname, 'Frank Fisher');
      await warm('user', [() => profile(alice, frank.user.id), () => profile(owner, frank.user.id)], 2);
      const p = assertOk(await api('PUT', '/api/users/profile', frank, { fullname: 'Francis Fisher-Renamed', title: 'Chief Cook' }));
      assert.equal(p.fullname, 'Francis Fisher-Renamed');
      for (const u of [alice, owner, frank]) {
        const l = await usersOf(u);
        assert.equal(l.find((x) => x.id === frank.user.id)?.fullname, 'Francis Fisher-Renamed', `GET /api/users as ${u.user.fullname}`);
      }
      const pr = await profile(alice, frank.user.id);
      assert.equal(pr.fullname, 'Francis Fisher-Renamed', 'GET /api/users/{id}/profile');
      assert.equal(pr.title, 'Chief Cook');
      assert.equal(assertOk(await api('GET', '/api/users/me', frank)).fullname, 'Francis Fisher-Renamed', '/api/users/me');
      // a new account shows up in the cached user list too
      await warm('workspace', [() => usersOf(alice)]);
      const inv = assertOk(await api('POST', '/api/workspace/invites', owner, {}), 201);
      const hank = assertOk(await api('POST', '/api/signup', null, {
        email: `hank.${process.pid}.${Date.now()}@example.test`, password: 'correct horse battery', fullname: 'Hank Hill', invite_code: inv.code,
      }), 201);
      assert.ok((await usersOf(alice)).some((x) => x.id === hank.user.id), 'a new member is in GET /api/users');
    });

    test('workspace record: a rename and a new member show at once in /api/workspace and /api/users/me', async () => {
      const wsOf = async (u) => assertOk(await api('GET', '/api/workspace', u));
      const meWs = async (u) => assertOk(await api('GET', '/api/users/me', u)).workspace;
      const [w0] = await warm('workspace', [() => wsOf(alice), () => meWs(bob)], 2);
      const name = `Renamed ${process.pid} ${Math.random().toString(36).slice(2, 7)}`;
      assertOk(await api('PATCH', '/api/workspace', owner, { name }));
      for (const read of [() => wsOf(alice), () => meWs(bob), () => wsOf(owner)]) {
        const w = await read();
        assert.equal(w.name, name, 'the new name at once');
        assert.equal(w.member_count, w0.member_count);
      }
      await warm('workspace', [() => wsOf(alice), () => meWs(bob)], 2);
      const inv = assertOk(await api('POST', '/api/workspace/invites', owner, {}), 201);
      assertOk(await api('POST', '/api/signup', null, {
        email: `ivy.${process.pid}.${Date.now()}@example.test`, password: 'correct horse battery', fullname: 'Ivy Ingram', invite_code: inv.code,
      }), 201);
      assert.equal((await wsOf(alice)).member_count, w0.member_count + 1, 'the new member is counted at once');
      assert.equal((await meWs(bob)).member_count, w0.member_count + 1);
    });

    test("profile rename: the cached first page of messages shows the sender's new name", async () => {
      const c = await group(alice, [frank], 'sender');
      const m = await send(srv, frank, c.id, 'who wrote this?');
      const before = (await listMessages(srv, alice, c.id)).data[0].sender.fullname;
      await warm('messages', [async () => (await listMessages(srv, alice, c.id)).data]);
      const name = `Frank Sender ${Math.random().toString(36).slice(2, 7)}`;
      assert.notEqual(before, name);
      assertOk(await api('PUT', '/api/users/profile', frank, { fullname: name, avatar_url: 'https://example.test/frank.png' }));
      const fresh = (await listMessages(srv, alice, c.id, `before=${BEYOND}`)).data;
      assert.equal(fresh[0].sender.fullname, name, 'the uncached page shows the new name');
      const first = (await listMessages(srv, alice, c.id)).data;
      assert.equal(first[0].id, m.id);
      assert.equal(first[0].sender.fullname, name, 'sender.fullname on the (cached) first page after the rename');
      assert.equal(first[0].sender.avatar_url, 'https://example.test/frank.png', 'sender.avatar_url on the first page');
    });

    test('workspace role change: the rights follow at once (the user record is cached)', async () => {
      // erin is a plain member: /api/cache/stats and invites are refused
      // (a request's token is checked against core/auth's own account cache;
      // erin's record in the user cache is read by /api/users/me and profiles)
      const erinReads = [
        async () => assertOk(await api('GET', '/api/users/me', erin)).role,
        async () => assertOk(await api('GET', `/api/users/${erin.user.id}/profile`, alice)).role,
      ];
      const [st] = await warm('user', [async () => (await api('GET', '/api/cache/stats', erin)).status, ...erinReads], 2);
      assert.equal(st, 403);
      assertError(await api('GET', '/api/cache/stats', erin), 403, 'FORBIDDEN');
      const up = assertOk(await api('PATCH', `/api/workspace/users/${erin.user.id}`, owner, { role: 'admin' }));
      assert.equal(up.role, 'admin');
      assertOk(await api('GET', '/api/cache/stats', erin));
      assertOk(await api('POST', '/api/workspace/invites', erin, {}), 201);
      assert.equal(assertOk(await api('GET', '/api/users/me', erin)).role, 'admin', '/api/users/me');
      assert.equal(assertOk(await api('GET', '/api/users', alice)).find((x) => x.id === erin.user.id)?.role, 'admin', 'GET /api/users');
      await warm('user', [async () => (await api('GET', '/api/cache/stats', erin)).status, ...erinReads], 2);
      assertOk(await api('PATCH', `/api/workspace/users/${erin.user.id}`, owner, { role: 'member' }));
      assertError(await api('GET', '/api/cache/stats', erin), 403, 'FORBIDDEN');
      assertError(await api('POST', '/api/workspace/invites', erin, {}), 403, 'FORBIDDEN');
    });

    test("suspension: the suspended user's token is refused at once", async () => {
      const c = await group(alice, [gina], 'susp');
      await warm('user', [
        async () => assertOk(await api('GET', '/api/users/me', gina)).status,
        async () => (await listChats(srv, gina)).length,
      ], 2);
      const s = assertOk(await api('PATCH', `/api/workspace/users/${gina.user.id}`, owner, { status: 'Suspended' }));
      assert.equal(s.status, 'Suspended');
      assertError(await api('GET', '/api/users/me', gina), 401, 'INVALID_TOKEN');
      assertError(await api('GET', '/api/workspace/chats', gina), 401, 'INVALID_TOKEN');
      assertError(await api('POST', `/api/chat/${c.id}/messages`, gina, { content: 'still here?' }), 401, 'INVALID_TOKEN');
      assert.equal(assertOk(await api('GET', '/api/users', alice)).find((x) => x.id === gina.user.id)?.status, 'Suspended', 'GET /api/users');
      assert.equal(assertOk(await api('GET', `/api/users/${gina.user.id}/profile`, alice)).status, 'Suspended', 'profile');
      assertError(await signin(srv, gina.email, gina.password), 403, 'ACCOUNT_SUSPENDED');
      // reactivated: the old token stays dead, a new sign-in works
      assertOk(await api('PATCH', `/api/workspace/users/${gina.user.id}`, owner, { status: 'Active' }));
      assertError(await api('GET', '/api/users/me', gina), 401, 'INVALID_TOKEN');
      const again = await mustSignin(srv, gina.email, gina.password);
      assert.equal(assertOk(await srv.api('GET', '/api/users/me', { token: again.access_token })).status, 'Active');
    });

    test('logout-all: every earlier access token is refused at once', async () => {
      const second = await mustSignin(srv, erin.email, erin.password);
      const me = (t) => srv.api('GET', '/api/users/me', { token: t });
      await warm('user', [async () => (await me(erin.access_token)).status, async () => (await me(second.access_token)).status], 2);
      assert.equal((await me(second.access_token)).status, 200);
      const r = assertOk(await srv.api('POST', '/api/logout-all', { token: second.access_token }));
      assert.ok(r.revoked >= 2, `revoked ${r.revoked}`);
      assertError(await me(erin.access_token), 401, 'INVALID_TOKEN');
      assertError(await me(second.access_token), 401, 'INVALID_TOKEN');
      const fresh = await mustSignin(srv, erin.email, erin.password);
      assert.equal(assertOk(await me(fresh.access_token)).id, erin.user.id);
    });

    test('change-password: the other sessions are refused at once', async () => {
      const other = await mustSignin(srv, dave.email, dave.password);
      const me = (t) => srv.api('GET', '/api/users/me', { token: t });
      await warm('user', [async () => (await me(other.access_token)).status], 2);
      const np = 'another horse battery';
      const r = assertOk(await api('POST', '/api/users/change-password', dave, { current_password: dave.password, new_password: np }));
      assertError(await me(other.access_token), 401, 'INVALID_TOKEN');
      assertError(await me(dave.access_token), 401, 'INVALID_TOKEN');
      assert.equal(assertOk(await me(r.access_token)).id, dave.user.id, 'the fresh pair works');
    });

    test('/api/cache/stats: 401 without a token, 403 for a plain member, 200 for the owner', async () => {
      assertError(await srv.api('GET', '/api/cache/stats'), 401);
      assertError(await api('GET', '/api/cache/stats', bob), 403, 'FORBIDDEN');
      const s = await stats();
      assert.equal(typeof s.families, 'object');
      assert.equal(typeof s.hit_rate, 'number');
      assert.ok(s.hit_rate >= 0 && s.hit_rate <= 1, `hit_rate ${s.hit_rate}`);
      if (mode.cached) {
        for (const f of FAMILIES) {
          assert.ok(s.families[f], `family ${f} is listed: ${JSON.stringify(s.families)}`);
          for (const k of COUNTERS) assert.ok(Number.isInteger(s.families[f][k]) && s.families[f][k] >= 0, `${f}.${k}`);
          assert.ok(s.families[f].hits > 0, `${f} has hits after the scenarios`);
        }
        let h = 0; let m = 0;
        for (const f of Object.values(s.families)) { h += f.hits; m += f.misses; }
        assert.ok(Math.abs(s.hit_rate - h / (h + m)) < 1e-9, `hit_rate ${s.hit_rate} = hits/(hits+misses) ${h / (h + m)}`);
      } else {
        assert.deepEqual(s.families, {}, 'no families without a cache');
        assert.equal(s.hit_rate, 0);
      }
    });

    if (mode.cached) {
      test('/api/cache/stats: the per-family counters move', async () => {
        const c = await group(alice, [bob], 'stats');
        await send(srv, alice, c.id, 'count me');
        const s0 = await stats();
        await listMessages(srv, bob, c.id);
        const s1 = await stats();
        const d = (a, b, f, k) => fam(b, f)[k] - fam(a, f)[k];
        assert.equal(d(s0, s1, 'messages', 'misses'), 1, 'the first read misses');
        assert.equal(d(s0, s1, 'messages', 'hits'), 0);
        assert.equal(d(s0, s1, 'messages', 'entries'), 1, 'and stores the page');
        assert.ok(d(s0, s1, 'messages', 'bytes') > 0, 'bytes grow');
        await listMessages(srv, bob, c.id);
        const s2 = await stats();
        assert.equal(d(s1, s2, 'messages', 'hits'), 1, 'the second read hits');
        assert.equal(d(s1, s2, 'messages', 'misses'), 0);
        assert.ok(s2.hit_rate > 0);
        await send(srv, alice, c.id, 'invalidate');
        const s3 = await stats();
        assert.equal(d(s2, s3, 'messages', 'entries'), -1, 'a send drops the cached page of the chat');
        assert.ok(d(s2, s3, 'messages', 'bytes') < 0);
        // the workspace family
        await api('GET', '/api/users', bob);
        await api('GET', '/api/users', bob);
        const s4 = await stats();
        assert.ok(d(s3, s4, 'workspace', 'hits') >= 1, 'GET /api/users hits the workspace family');
      });

      test('/metrics has the fechatter_cache_* series per family, matching /api/cache/stats', async () => {
        const s = await stats();
        const res = await srv.api('GET', '/metrics');
        assert.equal(res.status, 200);
        const t = res.text;
        for (const [k, type] of [['hits', 'counter'], ['misses', 'counter'], ['evictions', 'counter'], ['entries', 'gauge'], ['bytes', 'gauge']]) {
          assert.match(t, new RegExp(`^# TYPE fechatter_cache_${k} ${type}$`, 'm'), `TYPE of fechatter_cache_${k}`);
          for (const f of FAMILIES) {
            const m = new RegExp(`^fechatter_cache_${k}\\{family="${f}"\\} (\\d+)$`, 'm').exec(t);
            assert.ok(m, `fechatter_cache_${k}{family="${f}"} is present`);
            if (f !== 'user') assert.equal(Number(m[1]), s.families[f][k], `${k}{${f}} agrees with /api/cache/stats`);
          }
        }
      });
    } else {
      test('/metrics without a cache: the series are declared, no family has a sample', async () => {
        const res = await srv.api('GET', '/metrics');
        assert.equal(res.status, 200);
        assert.match(res.text, /^# TYPE fechatter_cache_hits counter$/m);
        assert.doesNotMatch(res.text, /^fechatter_cache_hits\{/m);
      });
    }
  });
}

describe('cache under a small budget (--cache-size 65536): evictions, never a wrong page', () => {
  let srv; let alice; let bob; let owner;
  before(async () => {
    const w = await setupWorkspace({ args: ['--cache-size', '65536'], names: ['Alice Anders', 'Bob Brown'] });
    ({ srv, owner } = w);
    ({ alice, bob } = w.byName);
  });
  after(async () => { await srv?.stop(); });

  test('many distinct first pages evict the least recently used; every read stays right', async () => {
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('small'), members: memberIds(bob) });
    const sent = [];
    // random text: the pages stay large in their gzip form too (node's fetch accepts gzip)
    for (let i = 0; i < 12; i++) sent.push(await send(srv, alice, c.id, `message ${i} ${randomBytes(150).toString('base64')}`));
    const want = sent.map((m) => m.id).reverse();
    for (let round = 0; round < 2; round++) {
      for (let limit = 1; limit <= 100; limit++) {
        const { data } = await listMessages(srv, bob, c.id, `limit=${limit}`);
        assert.deepEqual(data.map((m) => m.id), want.slice(0, limit), `limit=${limit}, round ${round}`);
      }
    }
    const s = assertOk(await srv.api('GET', '/api/cache/stats', { token: tok(owner) }));
    const m = s.families.messages;
    assert.ok(m.evictions > 0, `evictions under a 64 KiB budget: ${JSON.stringify(m)}`);
    let bytes = 0;
    for (const f of Object.values(s.families)) bytes += f.bytes;
    assert.ok(bytes <= 65536, `cached bytes ${bytes} stay within the budget`);
    const met = (await srv.api('GET', '/metrics')).text;
    const ev = /^fechatter_cache_evictions\{family="messages"\} (\d+)$/m.exec(met);
    assert.ok(ev && Number(ev[1]) >= m.evictions, 'evictions in /metrics');
    // after evictions, a change is still seen at once
    const last = await send(srv, alice, c.id, 'after the evictions');
    for (const limit of [1, 50, 100]) {
      const { data } = await listMessages(srv, bob, c.id, `limit=${limit}`);
      assert.equal(data[0].id, last.id, `limit=${limit} shows the new message`);
    }
  });
});
