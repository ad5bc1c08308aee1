// Messages: send (fields, content validation, invalid UTF-8), cursor paging
// over 1,000 messages while another client keeps sending, `after` paging,
// limit validation, idempotent replay, edit and delete rights, tombstones,
// threads, reactions and mentions.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, assertError, RFC3339_MS } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, uniqueName, createChat, memberIds, send, listMessages, allMessages,
  assertMessage, setChatRole, unreadOf, mapLimit, tok,
} from './lib/conv.mjs';

describe('messages', () => {
  let srv; let owner; let alice; let bob; let carol; let dan; let emile; let xena;
  let chat; // Group by owner: alice, bob, carol (admin); dan is outside
  before(async () => {
    const w = await setupWorkspace({
      args: ['--registration', 'open'],
      names: ['Alice Anders', 'Bob Brown', 'Carol Clark', 'Dan Dixon', 'Émile Zola'],
    });
    ({ srv, owner } = w);
    ({ alice, bob, carol, dan } = w.byName);
    emile = w.byName['émile'];
    xena = await otherWorkspaceUser(srv);
    chat = await createChat(srv, owner, { chat_type: 'Group', name: 'Main', members: memberIds(alice, bob, carol) });
    await setChatRole(srv, owner, chat.id, carol, 'admin');
  });
  after(async () => { await srv?.stop(); });

  const api = (m, p, u, body, extra = {}) => srv.api(m, p, { token: u ? tok(u) : undefined, body, ...extra });
  const post = (u, chatId, body) => api('POST', `/api/chat/${chatId}/messages`, u, body);
  const freshChat = (creator, members, name) => createChat(srv, creator, { chat_type: 'Group', name: name ?? uniqueName('g'), members: memberIds(...members) });

  describe('send', () => {
    test('201 with the full message object', async () => {
      const m = await send(srv, alice, chat.id, 'hello world');
      assertMessage(m, {
        chat_id: chat.id, sender_id: alice.user.id, content: 'hello world', files: [], reply_to: null, reply_count: 0,
        reactions: [], mentions: [], mentions_all: false, edited_at: null, deleted: false,
      });
      assert.equal(m.sender.fullname, 'Alice Anders');
      assert.ok(m.idempotency_key === null || m.idempotency_key === undefined, 'no key given');
      const { data } = await listMessages(srv, bob, chat.id, 'limit=1');
      assert.equal(data[0].id, m.id, 'newest message first');
      assert.deepEqual(data[0].content, 'hello world');
      assert.equal(data[0].created_at, m.created_at);
    });

    test('ids increase with each send', async () => {
      const a = await send(srv, alice, chat.id, 'first');
      const b = await send(srv, bob, chat.id, 'second');
      assert.ok(b.id > a.id, `${b.id} > ${a.id}`);
      assert.ok(b.created_at >= a.created_at);
    });

    const bad = [
      ['empty content', { content: '' }],
      ['only spaces', { content: '     ' }],
      ['4001 characters', { content: 'x'.repeat(4001) }],
      ['bell control character', { content: 'ring \u0007 ring' }],
        ['escape character', { content: 'a\u001bb' }],
      ['content not a string', { content: 42 }],
      ['content missing', {}],
    ];
    for (const [name, body] of bad) {
      test(`content validation: ${name} is 400 field content`, async () => {
        assertError(await post(alice, chat.id, body), 400, 'VALIDATION_ERROR', 'content');
      });
    }

    test('a NUL character (\\u0000) is refused with 400', async () => {
      // docs/API.md: no control characters; the parser may refuse it before validation
      const r = await post(alice, chat.id, { content: 'a\u0000b' });
      assertError(r, 400);
      assert.ok(['VALIDATION_ERROR', 'INVALID_JSON'].includes(r.json.error.code), r.text);
    });

    test('4000 characters are accepted (ASCII and multi-byte)', async () => {
      const a = await send(srv, alice, chat.id, 'y'.repeat(4000));
      assert.equal(a.content.length, 4000);
      const e = await send(srv, alice, chat.id, 'é'.repeat(4000));
      assert.equal(e.content, 'é'.repeat(4000), 'characters are counted, not bytes');
      assertError(await post(alice, chat.id, { content: 'é'.repeat(4001) }), 400, 'VALIDATION_ERROR', 'content');
      const padded = await send(srv, alice, chat.id, `  ${'z'.repeat(4000)}  `);
      assert.equal(padded.content, 'z'.repeat(4000), 'the length is checked after trimming');
    });

    test('newline and tab are kept; leading and trailing spaces are trimmed', async () => {
      const m = await send(srv, alice, chat.id, 'line one\n\tindented');
      assert.equal(m.content, 'line one\n\tindented');
      const t = await send(srv, alice, chat.id, '   padded text   ');
      assert.equal(t.content, 'padded text');
      const { data } = await listMessages(srv, alice, chat.id, 'limit=2');
      assert.deepEqual(data.map((x) => x.content), ['padded text', 'line one\n\tindented']);
    });

    test('invalid UTF-8 bytes in the raw body are 400', async () => {
      const raw = Buffer.concat([Buffer.from('{"content":"bad '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
      const before = (await listMessages(srv, alice, chat.id, 'limit=1')).data[0].id;
      const r = await api('POST', `/api/chat/${chat.id}/messages`, alice, undefined, { rawBody: raw, headers: { 'content-type': 'application/json' } });
      assertError(r, 400);
      assert.ok(['INVALID_JSON', 'VALIDATION_ERROR'].includes(r.json.error.code), r.json.error.code);
      // overlong encoding of "/" and a lone surrogate
      for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
        const b = Buffer.concat([Buffer.from('{"content":"x'), Buffer.from(bytes), Buffer.from('"}')]);
        assertError(await api('POST', `/api/chat/${chat.id}/messages`, alice, undefined, { rawBody: b, headers: { 'content-type': 'application/json' } }), 400);
      }
      assert.equal((await listMessages(srv, alice, chat.id, 'limit=1')).data[0].id, before, 'nothing stored');
    });

    test('non-members cannot send (404); anonymous 401', async () => {
      assertError(await post(dan, chat.id, { content: 'let me in' }), 404, 'NOT_FOUND');
      assertError(await post(xena, chat.id, { content: 'let me in' }), 404, 'NOT_FOUND');
      assertError(await post(null, chat.id, { content: 'let me in' }), 401);
      assertError(await post(alice, 99999999, { content: 'nowhere' }), 404, 'NOT_FOUND');
    });
  });

  describe('paging', () => {
    test('1,000 messages paged by 100 with next_before while another client keeps sending: no gap, no duplicate', async (t) => {
      const c = await freshChat(alice, [bob]);
      const sent = await mapLimit(Array.from({ length: 1000 }, (_, i) => i), 16, async (i) => {
        const m = await send(srv, alice, c.id, `bulk ${i}`);
        return m.id;
      });
      const existing = new Set(sent);
      assert.equal(existing.size, 1000, 'every send got its own id');
      const maxExisting = Math.max(...sent);

      // a concurrent writer: bob keeps sending until paging ends (bounded)
      let stop = false;
      const written = [];
      const writer = (async () => {
        for (let i = 0; i < 400 && !stop; i++) {
          written.push((await send(srv, bob, c.id, `live ${i}`)).id);
        }
      })();
      // let the writer get going before paging starts
      for (let i = 0; i < 200 && written.length < 3; i++) await new Promise((r) => setTimeout(r, 5));

      const pages = [];
      let beforeId;
      try {
        for (let i = 0; i < 30; i++) {
          const q = `limit=100${beforeId !== undefined ? `&before=${beforeId}` : ''}`;
          const { data, meta } = await listMessages(srv, alice, c.id, q);
          assert.equal(typeof meta, 'object', 'meta is present');
          pages.push({ ids: data.map((m) => m.id), meta });
          if (!meta.has_more) break;
          assert.ok(Number.isInteger(meta.next_before), `next_before: ${meta.next_before}`);
          beforeId = meta.next_before;
        }
      } finally {
        stop = true;
        await writer;
      }
      assert.ok(written.length >= 3, `the writer was sending during paging (${written.length})`);
      const live = new Set(written);
      for (const id of written) assert.ok(id > maxExisting, 'newer sends have higher ids');

      const seen = new Set();
      const dups = [];
      pages.forEach((p, n) => {
        assert.ok(p.ids.length <= 100, 'at most limit items');
        for (let i = 1; i < p.ids.length; i++) assert.ok(p.ids[i] < p.ids[i - 1], `page ${n} is newest first`);
        for (const id of p.ids) {
          if (seen.has(id)) dups.push(id);
          seen.add(id);
          if (n > 0) assert.ok(!live.has(id), `message ${id} sent after paging started appears in older page ${n}`);
          assert.ok(existing.has(id) || live.has(id), `unknown id ${id}`);
        }
        if (n > 0) assert.ok(Math.max(...p.ids) < pages[n - 1].meta.next_before, 'page below its cursor');
        if (n < pages.length - 1) assert.equal(p.ids.length, 100, `page ${n} is full`);
      });
      t.diagnostic(`${pages.length} pages; ${written.length} messages sent concurrently, ${pages[0].ids.filter((id) => live.has(id)).length} of them on the first page`);
      assert.deepEqual(dups, [], 'no duplicates');
      const old = [...seen].filter((id) => existing.has(id));
      const missing = sent.filter((id) => !seen.has(id));
      assert.deepEqual(missing.slice(0, 10), [], `no gap (${missing.length} missing)`);
      assert.equal(old.length, 1000);
      assert.equal(pages.at(-1).meta.has_more, false, 'the last page says has_more: false');

      // a second pass from a cursor above the bulk: exactly the 1,000, 10 pages
      const again = [];
      let cur = maxExisting + 1;
      for (let i = 0; i < 15; i++) {
        const { data, meta } = await listMessages(srv, bob, c.id, `limit=100&before=${cur}`);
        again.push(...data.map((m) => m.id));
        if (!meta.has_more) break;
        cur = meta.next_before;
      }
      assert.deepEqual(again, [...sent].sort((a, b) => b - a), 'exactly the existing ids, newest first');
    });

    test('before and after cursors; default limit 50', async () => {
      const c = await freshChat(alice, [bob]);
      const ids = [];
      for (let i = 1; i <= 10; i++) ids.push((await send(srv, alice, c.id, `m${i}`)).id);
      const get = async (q) => (await listMessages(srv, bob, c.id, q));
      let r = await get(`after=${ids[2]}&limit=3`);
      assert.deepEqual(r.data.map((m) => m.id), [ids[5], ids[4], ids[3]], 'the 3 right after m3, newest first');
      r = await get(`after=${ids[7]}&limit=5`);
      assert.deepEqual(r.data.map((m) => m.id), [ids[9], ids[8]]);
      r = await get(`after=${ids[9]}`);
      assert.deepEqual(r.data, []);
      r = await get(`before=${ids[4]}&limit=2`);
      assert.deepEqual(r.data.map((m) => m.id), [ids[3], ids[2]]);
      assert.equal(r.meta.has_more, true);
      assert.equal(r.meta.next_before, ids[2]);
      r = await get(`before=${ids[1]}&limit=5`);
      assert.deepEqual(r.data.map((m) => m.id), [ids[0]]);
      assert.equal(r.meta.has_more, false);
      r = await get('limit=10');
      assert.deepEqual(r.data.map((m) => m.id), [...ids].reverse());
      assert.equal(r.meta.has_more, false, 'exactly limit messages and no more: has_more false');
      // default limit
      await mapLimit(Array.from({ length: 45 }, (_, i) => i), 8, (i) => send(srv, bob, c.id, `more ${i}`));
      r = await get('');
      assert.equal(r.data.length, 50, 'default limit is 50');
      assert.equal(r.meta.has_more, true);
      r = await get('limit=100');
      assert.equal(r.data.length, 55);
    });

    test('after=0 returns the oldest messages (0 is a cursor below every id, not "no cursor")', async () => {
      const c = await freshChat(alice, [bob]);
      const ids = [];
      for (let i = 1; i <= 4; i++) ids.push((await send(srv, alice, c.id, `o${i}`)).id);
      const { data } = await listMessages(srv, bob, c.id, 'after=0&limit=2');
      assert.deepEqual(data.map((m) => m.id), [ids[1], ids[0]]);
    });

    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5']) {
      test(`GET messages?${q} is 400 field limit`, async () => {
        assertError(await api('GET', `/api/chat/${chat.id}/messages?${q}`, alice), 400, 'VALIDATION_ERROR', 'limit');
      });
    }
    test('GET messages?before=abc / after=abc is 400', async () => {
      assertError(await api('GET', `/api/chat/${chat.id}/messages?before=abc`, alice), 400, 'VALIDATION_ERROR', 'before');
      assertError(await api('GET', `/api/chat/${chat.id}/messages?after=abc`, alice), 400, 'VALIDATION_ERROR', 'after');
    });
  });

  describe('idempotency', () => {
    test('same key from the same sender: 200 with the stored message, nothing new; another sender: a new message', async () => {
      const c = await freshChat(alice, [bob]);
      const key = `k-${Math.random().toString(36).slice(2)}`;
      const first = await send(srv, alice, c.id, 'once', { idempotency_key: key }, 201);
      assert.equal(first.idempotency_key, key);
      const countBefore = (await allMessages(srv, alice, c.id)).length;
      const replay = await send(srv, alice, c.id, 'once but different', { idempotency_key: key }, 200);
      assert.equal(replay.id, first.id);
      assert.equal(replay.content, 'once', 'the stored message, not the new content');
      assert.equal((await allMessages(srv, alice, c.id)).length, countBefore, 'the message count did not change');
      const other = await send(srv, bob, c.id, 'same key, other sender', { idempotency_key: key }, 201);
      assert.notEqual(other.id, first.id);
      assert.equal((await allMessages(srv, alice, c.id)).length, countBefore + 1);
    });

    test('concurrent sends with one key: exactly one 201, the rest 200 with the same id', async () => {
      const c = await freshChat(alice, [bob]);
      const key = `par-${Math.random().toString(36).slice(2)}`;
      const rs = await Promise.all(Array.from({ length: 8 }, () => post(alice, c.id, { content: 'racing', idempotency_key: key })));
      const statuses = rs.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 201], statuses.join(','));
      assert.equal(new Set(rs.map((r) => r.json.data.id)).size, 1);
      assert.equal((await allMessages(srv, bob, c.id)).length, 1);
    });

    test('idempotency_key of 65 characters is 400', async () => {
      assertError(await post(alice, chat.id, { content: 'x', idempotency_key: 'k'.repeat(65) }), 400, 'VALIDATION_ERROR', 'idempotency_key');
      assertError(await post(alice, chat.id, { content: 'x', idempotency_key: '' }), 400, 'VALIDATION_ERROR', 'idempotency_key');
      await send(srv, alice, chat.id, 'x', { idempotency_key: `${'k'.repeat(50)}${Date.now()}`.slice(0, 64) });
    });
  });

  describe('edit and delete', () => {
    test('the sender edits (edited_at set); another member 403; bad content 400', async () => {
      const m = await send(srv, alice, chat.id, 'typo');
      const e = assertOk(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, alice, { content: '  fixed  ' }));
      assertMessage(e, { id: m.id, content: 'fixed', deleted: false, created_at: m.created_at });
      assert.match(e.edited_at, RFC3339_MS);
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, bob, { content: 'mine now' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, owner, { content: 'chat owner edit' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, alice, { content: '' }), 400, 'VALIDATION_ERROR', 'content');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, alice, { content: 'a\u0007' }), 400, 'VALIDATION_ERROR', 'content');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/99999999`, alice, { content: 'x' }), 404, 'NOT_FOUND');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, dan, { content: 'x' }), 404, 'NOT_FOUND');
      const listed = (await listMessages(srv, bob, chat.id, 'limit=100')).data.find((x) => x.id === m.id);
      assert.equal(listed.content, 'fixed');
      assert.equal(listed.edited_at, e.edited_at);
    });

    test('the sender, the chat owner and a chat admin delete; a plain member 403; tombstone in listings', async () => {
      const m1 = await send(srv, alice, chat.id, 'delete me myself');
      const m2 = await send(srv, bob, chat.id, 'deleted by the chat owner');
      const m3 = await send(srv, alice, chat.id, 'deleted by the chat admin');
      const m4 = await send(srv, alice, chat.id, 'bob may not delete this');
      assertError(await api('DELETE', `/api/chat/${chat.id}/messages/${m4.id}`, bob), 403, 'FORBIDDEN');
      assertError(await api('DELETE', `/api/chat/${chat.id}/messages/${m4.id}`, dan), 404, 'NOT_FOUND');
      for (const [m, who] of [[m1, alice], [m2, owner], [m3, carol]]) {
        const t = assertOk(await api('DELETE', `/api/chat/${chat.id}/messages/${m.id}`, who));
        assertMessage(t, { id: m.id, content: '', deleted: true, files: [], reactions: [], mentions: [], created_at: m.created_at });
      }
      const { data } = await listMessages(srv, bob, chat.id, 'limit=10');
      const byId = Object.fromEntries(data.map((x) => [x.id, x]));
      for (const m of [m1, m2, m3]) {
        assert.ok(byId[m.id], `tombstone ${m.id} stays in the listing`);
        assert.equal(byId[m.id].deleted, true);
        assert.equal(byId[m.id].content, '');
        assert.equal(byId[m.id].created_at, m.created_at);
      }
      assert.equal(byId[m4.id].deleted, false);
      assert.equal(byId[m4.id].content, 'bob may not delete this');
      // a deleted message cannot be edited
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m1.id}`, alice, { content: 'revive' }), 404, 'NOT_FOUND');
    });

    test('a message id of another chat is 404 under this chat', async () => {
      const c = await freshChat(alice, [bob]);
      const m = await send(srv, alice, c.id, 'elsewhere');
      assertError(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, alice, { content: 'x' }), 404, 'NOT_FOUND');
      assertError(await api('DELETE', `/api/chat/${chat.id}/messages/${m.id}`, owner), 404, 'NOT_FOUND');
      assert.equal((await listMessages(srv, alice, c.id)).data[0].deleted, false);
    });
  });

  describe('threads', () => {
    test('replies: thread oldest first, parent reply_count, replies in the timeline, a reply to a reply joins the root', async () => {
      const c = await freshChat(alice, [bob, carol]);
      const root = await send(srv, alice, c.id, 'root');
      const r1 = await send(srv, bob, c.id, 'reply 1', { reply_to: root.id });
      assert.equal(r1.reply_to, root.id);
      const r2 = await send(srv, carol, c.id, 'reply 2', { reply_to: root.id });
      const r3 = await send(srv, alice, c.id, 'reply to a reply', { reply_to: r1.id });
      await send(srv, alice, c.id, 'unrelated');
      const th = assertOk(await api('GET', `/api/chat/${c.id}/messages/${root.id}/replies`, bob));
      assert.deepEqual(th.map((m) => m.id), [r1.id, r2.id, r3.id], 'the thread, oldest first');
      assert.deepEqual(th.map((m) => m.content), ['reply 1', 'reply 2', 'reply to a reply']);
      const { data } = await listMessages(srv, bob, c.id);
      const parent = data.find((m) => m.id === root.id);
      assert.equal(parent.reply_count, 3, 'the root counts every reply of its thread');
      assert.equal(data.find((m) => m.id === r2.id)?.reply_to, root.id, 'replies appear in the timeline with reply_to');
      assert.ok(data.some((m) => m.id === r3.id));
      // limit and after
      const p1 = assertOk(await api('GET', `/api/chat/${c.id}/messages/${root.id}/replies?limit=2`, alice));
      assert.deepEqual(p1.map((m) => m.id), [r1.id, r2.id]);
      const p2 = assertOk(await api('GET', `/api/chat/${c.id}/messages/${root.id}/replies?limit=2&after=${r2.id}`, alice));
      assert.deepEqual(p2.map((m) => m.id), [r3.id]);
      assertError(await api('GET', `/api/chat/${c.id}/messages/${root.id}/replies`, dan), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}/messages/99999999/replies`, alice), 404, 'NOT_FOUND');
    });

    test('reply_to a message of another chat (or unknown) is 400 field reply_to', async () => {
      const c = await freshChat(alice, [bob]);
      const elsewhere = await send(srv, alice, chat.id, 'in the main chat');
      assertError(await post(alice, c.id, { content: 'cross', reply_to: elsewhere.id }), 400, 'VALIDATION_ERROR', 'reply_to');
      assertError(await post(alice, c.id, { content: 'ghost', reply_to: 99999999 }), 400, 'VALIDATION_ERROR', 'reply_to');
      assertError(await post(alice, c.id, { content: 'typed', reply_to: 'one' }), 400, 'VALIDATION_ERROR', 'reply_to');
      assert.deepEqual((await listMessages(srv, alice, c.id)).data, [], 'nothing stored');
    });
  });

  describe('reactions', () => {
    test('add 201, again 200; counts and me for two users; remove with a URL-encoded emoji', async () => {
      const c = await freshChat(alice, [bob, carol]);
      const m = await send(srv, carol, c.id, 'react to me');
      const url = `/api/chat/${c.id}/messages/${m.id}/reactions`;
      let r = await api('POST', url, alice, { emoji: '👍' });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json.data, [{ emoji: '👍', count: 1, me: true }]);
      r = await api('POST', url, alice, { emoji: '👍' });
      assert.equal(r.status, 200, 'already there: 200');
      assert.deepEqual(r.json.data, [{ emoji: '👍', count: 1, me: true }]);
      r = await api('POST', url, bob, { emoji: '👍' });
      assert.equal(r.status, 201);
      assert.deepEqual(r.json.data.find((x) => x.emoji === '👍'), { emoji: '👍', count: 2, me: true });
      r = await api('POST', url, bob, { emoji: '🎉' });
      assert.equal(r.status, 201);
      const view = async (u) => {
        const mm = (await listMessages(srv, u, c.id)).data.find((x) => x.id === m.id);
        return Object.fromEntries(mm.reactions.map((x) => [x.emoji, { count: x.count, me: x.me }]));
      };
      assert.deepEqual(await view(alice), { '👍': { count: 2, me: true }, '🎉': { count: 1, me: false } });
      assert.deepEqual(await view(bob), { '👍': { count: 2, me: true }, '🎉': { count: 1, me: true } });
      assert.deepEqual(await view(carol), { '👍': { count: 2, me: false }, '🎉': { count: 1, me: false } });
      // remove
      r = await api('DELETE', `${url}/${encodeURIComponent('👍')}`, alice);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.fromEntries(r.json.data.map((x) => [x.emoji, { count: x.count, me: x.me }])),
        { '👍': { count: 1, me: false }, '🎉': { count: 1, me: false } });
      assert.deepEqual(await view(bob), { '👍': { count: 1, me: true }, '🎉': { count: 1, me: true } });
      r = await api('DELETE', `${url}/${encodeURIComponent('🎉')}`, bob);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.data, [{ emoji: '👍', count: 1, me: true }]);
      assert.deepEqual(await view(carol), { '👍': { count: 1, me: false } });
    });

    test('emoji validation: empty, spaces, over 32 bytes are 400 field emoji', async () => {
      const m = await send(srv, alice, chat.id, 'emoji rules');
      const url = `/api/chat/${chat.id}/messages/${m.id}/reactions`;
      for (const emoji of ['', 'a b', '😀'.repeat(9), 'x\u0007', 5]) {
        assertError(await api('POST', url, bob, { emoji }), 400, 'VALIDATION_ERROR', 'emoji');
      }
      const ok = await api('POST', url, bob, { emoji: '😀'.repeat(8) });
      assert.equal(ok.status, 201, `32 bytes of emoji are fine: ${ok.text}`);
    });

    test('a message of another chat cannot be reacted to through this chat (404)', async () => {
      const c = await freshChat(alice, [bob]);
      const m = await send(srv, alice, c.id, 'other chat');
      assertError(await api('POST', `/api/chat/${chat.id}/messages/${m.id}/reactions`, bob, { emoji: '👍' }), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${chat.id}/messages/${m.id}/replies`, bob), 404, 'NOT_FOUND');
      assert.deepEqual((await listMessages(srv, alice, c.id)).data[0].reactions, []);
    });

    test('a reaction on a deleted message is 404; non-members 404', async () => {
      const m = await send(srv, alice, chat.id, 'short lived');
      const url = `/api/chat/${chat.id}/messages/${m.id}/reactions`;
      assertError(await api('POST', url, dan, { emoji: '👍' }), 404, 'NOT_FOUND');
      assertOk(await api('DELETE', `/api/chat/${chat.id}/messages/${m.id}`, alice));
      assertError(await api('POST', url, bob, { emoji: '👍' }), 404, 'NOT_FOUND');
      assertError(await api('POST', `/api/chat/${chat.id}/messages/99999999/reactions`, bob, { emoji: '👍' }), 404, 'NOT_FOUND');
    });
  });

  describe('mentions', () => {
    test('@Full Name is case-insensitive for non-ASCII names too (@émile zola)', async () => {
      const c = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('uni'), members: memberIds(alice, emile) });
      const exact = await send(srv, alice, c.id, 'hi @Émile Zola');
      assert.deepEqual(exact.mentions, [emile.user.id]);
      const lower = await send(srv, alice, c.id, 'hi @émile zola');
      assert.deepEqual(lower.mentions, [emile.user.id], 'case-insensitive');
      const upper = await send(srv, alice, c.id, 'hi @ÉMILE ZOLA');
      assert.deepEqual(upper.mentions, [emile.user.id], 'case-insensitive');
      const longer = await send(srv, alice, c.id, 'hi @Émile Zolaé');
      assert.deepEqual(longer.mentions, [], 'followed by a (non-ASCII) letter: not a mention');
      assert.equal((await unreadOf(srv, emile, c.id)).mention_count, 3);
    });

    test('@Full Name raises mention_count of that member only; @everyone of every other member', async () => {
      const c = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('men'), members: memberIds(alice, bob, carol) });
      const counts = async () => ({
        owner: (await unreadOf(srv, owner, c.id)).mention_count,
        alice: (await unreadOf(srv, alice, c.id)).mention_count,
        bob: (await unreadOf(srv, bob, c.id)).mention_count,
        carol: (await unreadOf(srv, carol, c.id)).mention_count,
      });
      assert.deepEqual(await counts(), { owner: 0, alice: 0, bob: 0, carol: 0 });
      const m = await send(srv, alice, c.id, 'hello @Bob Brown, please look');
      assert.deepEqual(m.mentions, [bob.user.id]);
      assert.equal(m.mentions_all, false);
      assert.deepEqual(await counts(), { owner: 0, alice: 0, bob: 1, carol: 0 });
      const lower = await send(srv, alice, c.id, '@bob brown again');
      assert.deepEqual(lower.mentions, [bob.user.id], 'case-insensitive');
      const notName = await send(srv, alice, c.id, '@Bob Browning is someone else, @Dan Dixon is not a member');
      assert.deepEqual(notName.mentions, [], 'followed by a letter or not a member: no mention');
      assert.deepEqual(await counts(), { owner: 0, alice: 0, bob: 2, carol: 0 });
      const end = await send(srv, carol, c.id, 'thanks @Bob Brown');
      assert.deepEqual(end.mentions, [bob.user.id], 'a name at the end of the content');
      const apos = await send(srv, carol, c.id, "@Bob Brown's idea and @ALICE ANDERS!");
      assert.deepEqual([...apos.mentions].sort((a, b) => a - b), [alice.user.id, bob.user.id].sort((a, b) => a - b), 'followed by a non-letter');
      const self = await send(srv, alice, c.id, 'note to @Alice Anders');
      assert.ok(self.mentions.every((id) => id === alice.user.id), `self mention: ${JSON.stringify(self.mentions)}`);
      assert.deepEqual(await counts(), { owner: 0, alice: 1, bob: 4, carol: 0 }, 'own message never counts, even mentioning oneself');
      const all = await send(srv, alice, c.id, '@everyone ship it');
      assert.equal(all.mentions_all, true);
      assert.deepEqual(await counts(), { owner: 1, alice: 1, bob: 5, carol: 1 }, 'everyone but the sender');
      const here = await send(srv, carol, c.id, 'ping @here');
      assert.equal(here.mentions_all, true);
      assert.deepEqual(await counts(), { owner: 2, alice: 2, bob: 6, carol: 1 });
      // reading clears the counts
      assertOk(await api('POST', `/api/chat/${c.id}/read`, bob, { message_id: here.id }));
      assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 0, mention_count: 0 });
    });
  });
});
