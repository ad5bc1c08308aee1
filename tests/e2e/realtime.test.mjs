// Real-time over WebSocket (/ws, docs/API.md "Real-time"): upgrade and auth,
// events of HTTP actions at every member and nobody else, sends over the
// socket (one ack, idempotent replay), malformed frames, membership changes,
// edits/deletes/reactions/read markers, typing (with its 10 s expiry),
// presence, token expiry (close 4001), revocation of open WebSocket and SSE
// streams (suspension, logout-all, password change), back-pressure on a
// client that stops reading (cut at 4 MiB), commit order of 1,000 messages
// from 10 senders; then, with servers of their own: the upgrade rules and
// the auth deadline, hand-built frames (RSV bits, no mask: close 1002),
// acks at SIGTERM, and commit-time errors (DISK_FULL) carrying their key.
// "Nothing (more) arrived" is asserted after an in-band barrier (a ping
// answered on the same connection), never after a fixed wait.
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertOk, assertError, RFC3339_MS, serverKey, signEdDSA, claimsFor, binPath, mustSignup, mustSignin, createInvite, PASSWORD,
  startServer, emulated, scaled, mountTinyTmpfs, dbQuery, onPostgres,
} from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, uniqueName, createChat, memberIds, send, allMessages, mapLimit, tok,
} from './lib/conv.mjs';
import {
  wsConnect, sseConnect, rawStalledClient, closeAll, isType, ofChat, barrier, barriers, assertSameMessage, shortLivedToken,
  memOf, isSanitizerBuild, WS_PROTOCOL, rawWebSocket, upgradeRequest,
} from './lib/rt.mjs';

describe('realtime over WebSocket', () => {
  let srv; let owner; let alice; let bob; let carol; let dan; let xena; let invite;
  let chat; // Group by owner: alice, bob
  before(async () => {
    const w = await setupWorkspace({
      args: ['--registration', 'open'],
      names: ['Alice Anders', 'Bob Brown', 'Carol Clark', 'Dan Dixon'],
    });
    ({ srv, owner, invite } = w);
    ({ alice, bob, carol, dan } = w.byName);
    xena = await otherWorkspaceUser(srv);
    chat = await createChat(srv, owner, { chat_type: 'Group', name: 'RT main', members: memberIds(alice, bob) });
  });
  afterEach(() => { closeAll(); });
  after(async () => { closeAll(); await srv?.stop(); });

  const ws = (user, name, extra = {}) => wsConnect(srv, { token: tok(user), name, ...extra });
  const api = (m, p, u, body) => srv.api(m, p, { token: u ? tok(u) : undefined, body });
  const newMsg = (id) => isType('new_message', { id });

  describe('connection and auth', () => {
    test('upgrade with subprotocol fechatter.v1; connection_confirmed comes first', async () => {
      const a1 = await ws(alice, 'alice#1');
      const a2 = await ws(alice, 'alice#2');
      assert.equal(a1.ws.protocol, WS_PROTOCOL, 'the server selects the fechatter.v1 subprotocol');
      for (const c of [a1, a2]) {
        assert.equal(c.log.events[0].type, 'connection_confirmed', 'the first event is connection_confirmed');
        assert.equal(c.log.events[0].user_id, alice.user.id);
        assert.ok('connection_id' in c.log.events[0], `has connection_id: ${JSON.stringify(c.log.events[0])}`);
        assert.equal(c.rawFrames[0].isBinary, false, 'events are text frames');
      }
      assert.notEqual(a1.confirmed.connection_id, a2.confirmed.connection_id, 'each connection has its own id');
    });

    test('ping op answers pong', async () => {
      const a = await ws(alice, 'alice');
      const since = a.log.mark();
      a.send({ op: 'ping' });
      await a.log.waitFor(isType('pong'), { since, label: 'pong' });
    });

    test('a bad, expired, forged or revoked-version token in access_token: the upgrade is refused with 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { privateKey } = serverKey(srv.dataDir);
      const good = signEdDSA(claimsFor(alice), privateKey);
      const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const cases = [
        ['garbage', 'not.a.jwt'],
        ['expired', signEdDSA(claimsFor(alice, { iat: now - 3600, exp: now - 60 }), privateKey)],
        ['bad signature', tampered],
        ['wrong audience', signEdDSA(claimsFor(alice, { aud: 'someone-else' }), privateKey)],
      ];
      // a token made invalid by logout-all (token version bumped)
      const temp = await mustSignup(srv, { fullname: 'Tina Temp', invite_code: invite.code });
      assertOk(await api('POST', '/api/logout-all', temp));
      cases.push(['revoked by logout-all', temp.access_token]);
      const observed = {};
      for (const [what, token] of cases) {
        try {
          await ws(alice, `bad token (${what})`, { token });
          observed[what] = 'accepted';
        } catch (e) {
          observed[what] = e.status ?? `no HTTP answer (${e.message.replace(/^.*?: /, '')})`;
        }
      }
      assert.deepEqual(observed, Object.fromEntries(cases.map(([what]) => [what, 401])), 'every bad token: upgrade refused with 401');
      // the forged token with the right claims works (the forging is right)
      const ok = await ws(alice, 'forged good', { token: good });
      assert.equal(ok.confirmed.user_id, alice.user.id);
    });

    test('without access_token, {"op":"auth","token"} as the first frame authenticates', async () => {
      const c = await wsConnect(srv, { name: 'auth-frame', authFrame: tok(bob) });
      assert.equal(c.confirmed.user_id, bob.user.id);
      // and the connection is live: it receives a message of bob's chat
      const m = await send(srv, alice, chat.id, 'after auth frame');
      const ev = await c.log.waitFor(newMsg(m.id), { label: `new_message ${m.id}` });
      assertSameMessage(ev, m);
    });

    test('a bad token in the auth frame: an error event, then close code 4001', async () => {
      const c = await wsConnect(srv, { name: 'bad auth frame', authFrame: 'not.a.jwt', waitConfirmed: false });
      const { code } = await Promise.race([c.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('socket not closed within 5 s')), 5000))]);
      assert.equal(c.log.matching(isType('connection_confirmed')).length, 0, 'never confirmed');
      const errs = c.log.matching(isType('error'));
      assert.equal(errs.length, 1, `one error event before the close (code ${code}); got ${JSON.stringify(c.log.events)}`);
      assert.equal(typeof errs[0].error?.code, 'string', JSON.stringify(errs[0]));
      assert.equal(code, 4001, 'close code 4001');
    });
  });

  describe('events of HTTP actions', () => {
    test('a message sent over HTTP arrives with every field at each member connection (the sender\'s too), WS and SSE', async () => {
      const a = await ws(alice, 'alice');
      const b1 = await ws(bob, 'bob#1');
      const b2 = await ws(bob, 'bob#2');
      const bs = await sseConnect(srv, { token: tok(bob), name: 'bob sse' });
      const m = await send(srv, alice, chat.id, 'hello @Bob Brown, real time');
      for (const c of [a, b1, b2, bs]) {
        const ev = await c.log.waitFor(newMsg(m.id), { label: `new_message ${m.id}` });
        assertSameMessage(ev, m, `${c.name} new_message`);
      }
      assert.deepEqual(m.mentions, [bob.user.id], 'sanity: the mention was parsed');
      await barriers(srv, a, b1, b2, bs);
      for (const c of [a, b1, b2, bs]) {
        assert.equal(c.log.matching(newMsg(m.id)).length, 1, `${c.name}: exactly one new_message ${m.id}`);
      }
    });

    test('a non-member of the workspace and a user of another workspace receive nothing of a private chat', async () => {
      const priv = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('priv'), members: memberIds(bob) });
      const b = await ws(bob, 'bob');
      const outsiders = [
        await ws(carol, 'carol ws'), await sseConnect(srv, { token: tok(carol), name: 'carol sse' }),
        await ws(xena, 'xena ws'), await sseConnect(srv, { token: tok(xena), name: 'xena sse' }),
      ];
      const a = await ws(alice, 'alice'); // connects after the outsiders: xena must not see alice's presence
      const m = await send(srv, alice, priv.id, 'secret plans');
      await b.log.waitFor(newMsg(m.id), { label: 'new_message' });
      assertOk(await api('PATCH', `/api/chat/${priv.id}/messages/${m.id}`, alice, { content: 'secret plans v2' }));
      assertOk(await api('POST', `/api/chat/${priv.id}/messages/${m.id}/reactions`, bob, { emoji: '🔒' }), 201);
      assertOk(await api('POST', `/api/chat/${priv.id}/read`, bob, { message_id: m.id }));
      a.send({ op: 'typing', chat_id: priv.id, state: 'start' });
      a.send({ op: 'typing', chat_id: priv.id, state: 'stop' });
      assertOk(await api('DELETE', `/api/chat/${priv.id}/messages/${m.id}`, alice));
      for (const [type, pred] of [['message_updated', isType('message_updated', { id: m.id })], ['reaction', isType('reaction', { message_id: m.id })],
        ['read', isType('read', { chat_id: priv.id })], ['typing_status', isType('typing_status', { chat_id: priv.id })],
        ['message_deleted', isType('message_deleted', { id: m.id })]]) {
        await b.log.waitFor(pred, { label: `${type} at the member` });
      }
      await barriers(srv, a, ...outsiders);
      const concerns = (e) => e.chat_id === priv.id || e.id === m.id || e.message_id === m.id;
      for (const o of outsiders) {
        assert.deepEqual(o.log.matching(concerns), [], `${o.name} received nothing of the private chat`);
      }
      for (const o of outsiders.slice(2)) {
        const wsUsers = new Set([owner, alice, bob, carol, dan].map((u) => u.user.id));
        assert.deepEqual(o.log.matching((e) => e.type === 'presence' && wsUsers.has(e.user_id)), [],
          `${o.name} (other workspace) gets no presence of this workspace`);
        assert.deepEqual(o.log.matching((e) => !['connection_confirmed', 'presence', 'pong'].includes(e.type)), [],
          `${o.name} (other workspace) received no event at all`);
      }
    });

    test('edits, deletes, reactions and read markers arrive as message_updated, message_deleted, reaction, read', async () => {
      const a = await ws(alice, 'alice');
      const b = await ws(bob, 'bob');
      const m = await send(srv, bob, chat.id, 'original text');
      await a.log.waitFor(newMsg(m.id), { label: 'new_message' });

      const edited = assertOk(await api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, bob, { content: 'edited text' }));
      const up = await a.log.waitFor(isType('message_updated', { id: m.id }), { label: 'message_updated' });
      assert.equal(up.chat_id, chat.id);
      assert.equal(up.content, 'edited text');
      assert.match(up.edited_at, RFC3339_MS);
      assert.equal(up.edited_at, edited.edited_at, 'edited_at as in the HTTP answer');
      assert.equal(up.sender_id, bob.user.id);
      assert.equal(up.created_at, m.created_at);
      await b.log.waitFor(isType('message_updated', { id: m.id }), { label: 'message_updated at the editor' });

      assertOk(await api('POST', `/api/chat/${chat.id}/messages/${m.id}/reactions`, alice, { emoji: '👍' }), 201);
      const r1 = await b.log.waitFor(isType('reaction', { message_id: m.id, added: true }), { label: 'reaction added' });
      assert.deepEqual({ chat_id: r1.chat_id, emoji: r1.emoji, user_id: r1.user_id }, { chat_id: chat.id, emoji: '👍', user_id: alice.user.id });
      assertOk(await api('DELETE', `/api/chat/${chat.id}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`, alice));
      const r2 = await b.log.waitFor(isType('reaction', { message_id: m.id, added: false }), { label: 'reaction removed' });
      assert.deepEqual({ chat_id: r2.chat_id, emoji: r2.emoji, user_id: r2.user_id }, { chat_id: chat.id, emoji: '👍', user_id: alice.user.id });

      // read over HTTP reaches the other member
      assertOk(await api('POST', `/api/chat/${chat.id}/read`, alice, { message_id: m.id }));
      const rd = await b.log.waitFor(isType('read', { user_id: alice.user.id, message_id: m.id }), { label: 'read (HTTP)' });
      assert.equal(rd.chat_id, chat.id);
      // read over WS
      const m2 = await send(srv, alice, chat.id, 'second');
      await b.log.waitFor(newMsg(m2.id), { label: 'new_message 2' });
      b.send({ op: 'read', chat_id: chat.id, message_id: m2.id });
      const rd2 = await a.log.waitFor(isType('read', { user_id: bob.user.id, message_id: m2.id }), { label: 'read (WS op)' });
      assert.equal(rd2.chat_id, chat.id);
      // a marker that does not move sends nothing
      const sinceA = a.log.mark();
      b.send({ op: 'read', chat_id: chat.id, message_id: m.id });
      b.send({ op: 'ping' });
      await b.log.waitFor(isType('pong'), { label: 'pong after the read op' });
      await barrier(srv, a);
      assert.deepEqual(a.log.matching(isType('read', { user_id: bob.user.id }), sinceA), [], 'no read event when the marker did not move');

      const del = assertOk(await api('DELETE', `/api/chat/${chat.id}/messages/${m.id}`, bob));
      assert.equal(del.deleted, true);
      const d = await a.log.waitFor(isType('message_deleted', { id: m.id }), { label: 'message_deleted' });
      assert.equal(d.chat_id, chat.id);
    });

    test('a removed member gets member_left and then nothing; a newly added member gets member_joined and then messages', async () => {
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('members'), members: memberIds(alice, carol) });
      const a = await ws(alice, 'alice');
      const c = await ws(carol, 'carol');
      const d = await ws(dan, 'dan');
      const m0 = await send(srv, owner, g.id, 'before removal');
      await c.log.waitFor(newMsg(m0.id), { label: 'new_message before removal' });

      assertOk(await api('DELETE', `/api/chat/${g.id}/members/${carol.user.id}`, owner));
      const left = await c.log.waitFor(isType('member_left', { chat_id: g.id, user_id: carol.user.id }), { label: 'member_left at the removed member' });
      const leftIdx = c.log.events.indexOf(left);
      await a.log.waitFor(isType('member_left', { chat_id: g.id, user_id: carol.user.id }), { label: 'member_left at a remaining member' });
      const m1 = await send(srv, owner, g.id, 'after removal');
      assertOk(await api('POST', `/api/chat/${g.id}/messages/${m0.id}/reactions`, alice, { emoji: 'x' }), 201);
      await a.log.waitFor(newMsg(m1.id), { label: 'new_message after removal' });
      await a.log.waitFor(isType('reaction', { message_id: m0.id }), { label: 'reaction after removal' });
      await barriers(srv, c, d);
      assert.deepEqual(c.log.matching(ofChat(g.id), leftIdx + 1), [], 'the removed member gets nothing of the chat after member_left');
      assert.deepEqual(c.log.matching((e) => e.id === m1.id), [], 'not the new message either');

      assert.deepEqual(d.log.matching(ofChat(g.id)), [], 'dan, not yet a member, got nothing');
      assertOk(await api('POST', `/api/chat/${g.id}/members`, owner, { user_ids: [dan.user.id] }));
      await d.log.waitFor(isType('member_joined', { chat_id: g.id, user_id: dan.user.id }), { label: 'member_joined at the new member' });
      await a.log.waitFor(isType('member_joined', { chat_id: g.id, user_id: dan.user.id }), { label: 'member_joined at a member' });
      const m2 = await send(srv, owner, g.id, 'welcome dan');
      const ev = await d.log.waitFor(newMsg(m2.id), { label: 'new_message at the new member' });
      assertSameMessage(ev, m2);
    });
  });

  describe('sending over the socket', () => {
    test('a send gets exactly one ack, once committed, and arrives at the other member', async () => {
      const a = await ws(alice, 'alice');
      const b = await ws(bob, 'bob');
      const key = `k-${uniqueName('ack')}`;
      a.send({ op: 'send', chat_id: chat.id, content: 'sent over the socket', idempotency_key: key });
      const ack = await a.log.waitFor(isType('ack', { idempotency_key: key }), { label: 'ack' });
      assert.equal(typeof ack.message, 'object', JSON.stringify(ack));
      assert.equal(ack.message.content, 'sent over the socket');
      assert.equal(ack.message.chat_id, chat.id);
      assert.equal(ack.message.sender_id, alice.user.id);
      assert.equal(ack.message.idempotency_key, key);
      assert.match(ack.message.created_at, RFC3339_MS);
      // committed: HTTP sees it
      const page = assertOk(await api('GET', `/api/chat/${chat.id}/messages?limit=5`, bob));
      const stored = page.find((x) => x.id === ack.message.id);
      assert.ok(stored, 'the acked message is stored');
      assert.deepEqual(stored, ack.message, 'the ack carries the stored message object');
      const ev = await b.log.waitFor(newMsg(ack.message.id), { label: 'new_message at the other member' });
      assertSameMessage(ev, ack.message);
      await barriers(srv, a, b);
      assert.equal(a.log.matching(isType('ack')).length, 1, 'exactly one ack');
      assert.equal(b.log.matching(newMsg(ack.message.id)).length, 1, 'exactly one new_message at the other member');
      assert.equal(b.log.matching(isType('ack')).length, 0, 'the other member gets no ack');
    });

    test('a replayed idempotency_key acks the same message and creates nothing', async () => {
      const a = await ws(alice, 'alice');
      const b = await ws(bob, 'bob');
      const key = `k-${uniqueName('replay')}`;
      a.send({ op: 'send', chat_id: chat.id, content: 'once only', idempotency_key: key });
      const ack1 = await a.log.waitFor(isType('ack', { idempotency_key: key }), { label: 'first ack' });
      await b.log.waitFor(newMsg(ack1.message.id), { label: 'new_message' });
      const before = await allMessages(srv, alice, chat.id);
      a.send({ op: 'send', chat_id: chat.id, content: 'once only', idempotency_key: key });
      const [, ack2] = await a.log.waitCount(isType('ack', { idempotency_key: key }), 2, { label: 'second ack' });
      assert.equal(ack2.message.id, ack1.message.id, 'the replay acks the stored message');
      // the same key over HTTP answers 200 with the same message
      const viaHttp = await send(srv, alice, chat.id, 'once only', { idempotency_key: key }, 200);
      assert.equal(viaHttp.id, ack1.message.id);
      await barriers(srv, a, b);
      const afterList = await allMessages(srv, alice, chat.id);
      assert.equal(afterList.length, before.length, 'no message was created by the replays');
      assert.equal(b.log.matching(newMsg(ack1.message.id)).length, 1, 'the other member saw one new_message only');
      assert.equal(afterList.filter((x) => x.idempotency_key === key).length, 1);
    });

    test('a send that cannot be done answers an error with op and idempotency_key', async () => {
      const a = await ws(alice, 'alice');
      const priv = await createChat(srv, bob, { chat_type: 'PrivateChannel', name: uniqueName('notalice'), members: memberIds(carol) });
      const cases = [
        ['empty content', { chat_id: chat.id, content: '   ' }, 'VALIDATION_ERROR'],
        ['content too long', { chat_id: chat.id, content: 'x'.repeat(4001) }, 'VALIDATION_ERROR'],
        ['a chat the sender is not in', { chat_id: priv.id, content: 'hi' }, 'NOT_FOUND'],
      ];
      for (const [what, body, code] of cases) {
        const key = `k-${uniqueName('err')}`;
        a.send({ op: 'send', ...body, idempotency_key: key });
        const err = await a.log.waitFor((e) => e.type === 'error' && e.idempotency_key === key, { label: `error for ${what}` });
        assert.equal(err.op, 'send', what);
        assert.equal(err.error?.code, code, `${what}: ${JSON.stringify(err)}`);
        assert.equal(typeof err.error.message, 'string');
        assert.equal(a.log.matching(isType('ack', { idempotency_key: key })).length, 0, `${what}: no ack`);
      }
      const data = assertOk(await api('GET', `/api/chat/${priv.id}/messages`, bob));
      assert.equal(data.length, 0, 'nothing was written into the foreign chat');
    });

    test('a send holding a NUL character is refused with its key, not stored cut short', async () => {
      // wsop_decode took {"content":"a\u0000b"} and cJSON cut the value at
      // the NUL, so "a" was stored (found by tests/fuzz/fuzz_wsop); a second
      // JSON value after the first was silently dropped
      const a = await ws(alice, 'alice');
      const frames = [
        ['a \\u0000 escape', (key) => JSON.stringify({ op: 'send', chat_id: chat.id, content: 'cut\u0000here', idempotency_key: key })],
        ['a raw NUL', (key) => `{"op":"send","chat_id":${chat.id},"content":"cut\u0000here","idempotency_key":"${key}"}`],
        ['a second value', (key) => `${JSON.stringify({ op: 'send', chat_id: chat.id, content: 'cut', idempotency_key: key })}{"op":"ping"}`],
      ];
      for (const [what, make] of frames) {
        const key = `k-${uniqueName('nul')}`;
        const since = a.log.mark();
        a.send(make(key));
        const err = await a.log.waitFor(isType('error'), { since, label: `error for ${what}` });
        assert.equal(err.error?.code, 'INVALID_JSON', `${what}: ${JSON.stringify(err)}`);
        if (what !== 'a second value') assert.equal(err.idempotency_key, key, `${what}: the error carries the key`);
        await barrier(srv, a);
        assert.equal(a.log.matching(isType('ack', { idempotency_key: key })).length, 0, `${what}: no ack`);
      }
      const data = assertOk(await api('GET', `/api/chat/${chat.id}/messages?limit=100`, alice));
      assert.equal(data.filter((m) => m.content === 'cut').length, 0, 'nothing stored cut short');
    });

    test('malformed frames get an error event and the connection stays usable', async () => {
      const a = await ws(alice, 'alice');
      const b = await ws(bob, 'bob');
      const frames = [
        ['not JSON', 'this is not json', undefined],
        ['a JSON array', '[1,2,3]', undefined],
        ['no op', JSON.stringify({ chat_id: chat.id }), undefined],
        ['an unknown op', JSON.stringify({ op: 'dance' }), 'dance'],
        ['typing without chat_id', JSON.stringify({ op: 'typing', state: 'start' }), 'typing'],
        ['typing with a bad state', JSON.stringify({ op: 'typing', chat_id: chat.id, state: 'maybe' }), 'typing'],
        ['presence with a bad status', JSON.stringify({ op: 'presence', status: 'invisible' }), 'presence'],
        ['read with a string message_id', JSON.stringify({ op: 'read', chat_id: chat.id, message_id: 'x' }), 'read'],
      ];
      for (const [what, frame, op] of frames) {
        const since = a.log.mark();
        a.send(frame);
        const err = await a.log.waitFor(isType('error'), { since, label: `error event for ${what}` });
        assert.equal(typeof err.error?.code, 'string', `${what}: ${JSON.stringify(err)}`);
        assert.equal(typeof err.error.message, 'string', what);
        if (op) assert.equal(err.op, op, `${what}: op`);
        assert.equal(a.ws.readyState, a.ws.OPEN, `${what}: the connection stays open`);
      }
      // still usable: ping and a send
      const since = a.log.mark();
      a.send({ op: 'ping' });
      await a.log.waitFor(isType('pong'), { since, label: 'pong after the malformed frames' });
      const key = `k-${uniqueName('after')}`;
      a.send({ op: 'send', chat_id: chat.id, content: 'still alive', idempotency_key: key });
      const ack = await a.log.waitFor(isType('ack', { idempotency_key: key }), { label: 'ack after the malformed frames' });
      await b.log.waitFor(newMsg(ack.message.id), { label: 'new_message after the malformed frames' });
    });
  });

  describe('typing', () => {
    // This test waits ~10 s for the typing expiry anyway: meanwhile a /ws
    // connection without access_token that never sends the auth frame must
    // be closed by the server (docs: the auth frame is due within 10 s).
    test('start reaches the other members (never the typer), lists in typing/users, expires after ~10 s; stop ends it; HTTP forms (meanwhile: /ws without any auth is closed after 10 s)', async () => {
      const idle = await wsConnect(srv, { name: 'no token, no auth frame', waitConfirmed: false });
      const idleStart = Date.now();
      const a = await ws(alice, 'alice');
      const b = await ws(bob, 'bob');
      const c = await ws(carol, 'carol (not a member)');
      const typing = (u, fields = {}) => isType('typing_status', { chat_id: chat.id, user_id: u.user.id, ...fields });

      a.send({ op: 'typing', chat_id: chat.id, state: 'start' });
      const t1 = await b.log.waitFor(typing(alice, { is_typing: true }), { label: 'typing_status true' });
      assert.equal(t1.user_name, 'Alice Anders');
      const tu = assertOk(await api('GET', `/api/chat/${chat.id}/typing/users`, bob));
      assert.ok(Array.isArray(tu), 'typing/users is an array');
      const entry = tu.find((x) => x.user_id === alice.user.id);
      assert.ok(entry, `typing/users lists alice: ${JSON.stringify(tu)}`);
      assert.equal(entry.user_name, 'Alice Anders');
      assert.match(entry.expires_at, RFC3339_MS);
      assert.ok(Date.parse(entry.expires_at) > Date.now() - 1000, 'expires_at is in the future');
      assert.ok(Date.parse(entry.expires_at) <= Date.now() + 11000, 'expires_at is at most ~10 s away');

      // expiry without a stop (bounded at 15 s)
      const sinceB = b.log.events.indexOf(t1) + 1;
      const t2 = await b.log.waitFor(typing(alice), { since: sinceB, timeoutMs: 15000, label: 'typing_status false by expiry' });
      assert.equal(t2.is_typing, false, `the next typing_status after the start is the expiry: ${JSON.stringify(t2)}`);
      const tu2 = assertOk(await api('GET', `/api/chat/${chat.id}/typing/users`, bob));
      assert.equal(tu2.find((x) => x.user_id === alice.user.id), undefined, 'alice no longer typing');

      // start then stop over WS
      const s2 = b.log.mark();
      a.send({ op: 'typing', chat_id: chat.id, state: 'start' });
      await b.log.waitFor(typing(alice, { is_typing: true }), { since: s2, label: 'typing_status true (2)' });
      a.send({ op: 'typing', chat_id: chat.id, state: 'stop' });
      await b.log.waitFor(typing(alice, { is_typing: false }), { since: s2, label: 'typing_status false after stop' });

      // HTTP forms, by bob: alice receives
      const s3 = a.log.mark();
      assertOk(await api('POST', `/api/chat/${chat.id}/typing/start`, bob));
      const h1 = await a.log.waitFor(typing(bob, { is_typing: true }), { since: s3, label: 'typing_status true (HTTP start)' });
      assert.equal(h1.user_name, 'Bob Brown');
      const tu3 = assertOk(await api('GET', `/api/chat/${chat.id}/typing/users`, alice));
      assert.deepEqual(tu3.map((x) => x.user_id), [bob.user.id], `only bob is typing: ${JSON.stringify(tu3)}`);
      assertOk(await api('POST', `/api/chat/${chat.id}/typing/stop`, bob));
      await a.log.waitFor(typing(bob, { is_typing: false }), { since: s3, label: 'typing_status false (HTTP stop)' });

      // non-members: HTTP 404, and their connection got nothing
      assertError(await api('POST', `/api/chat/${chat.id}/typing/start`, carol), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${chat.id}/typing/users`, carol), 404, 'NOT_FOUND');
      await barriers(srv, a, b, c);
      assert.deepEqual(a.log.matching(typing(alice)), [], 'the typer never gets its own typing_status');
      assert.deepEqual(b.log.matching(typing(bob)), [], 'the typer never gets its own typing_status (HTTP)');
      assert.deepEqual(c.log.matching(isType('typing_status')), [], 'a non-member gets no typing_status');

      const left = Math.max(0, 15000 - (Date.now() - idleStart));
      const idleEnd = await Promise.race([idle.closed, new Promise((res) => setTimeout(() => res(null), left))]);
      assert.ok(idleEnd, 'a /ws connection without a token and without an auth frame is still open 15 s later');
      assert.deepEqual(idle.log.matching(isType('connection_confirmed')), [], 'it was never confirmed');
    });
  });

  describe('presence', () => {
    // a workspace of its own, so that no other test's connections interfere
    let p1; let p2; let p3; let pChat;
    before(async () => {
      p1 = await otherWorkspaceUser(srv, 'Pia Presence');
      const inv = await createInvite(srv, tok(p1), { max_uses: 5 });
      p2 = await mustSignup(srv, { fullname: 'Quinn Quiet', invite_code: inv.code });
      p3 = await mustSignup(srv, { fullname: 'Rex Remote', invite_code: inv.code });
      pChat = await createChat(srv, p1, { chat_type: 'Group', name: 'pres', members: memberIds(p2) });
    });
    const pres = (u, status) => isType('presence', { user_id: u.user.id, status });
    const online = async (u) => assertOk(await api('GET', '/api/online-users', u));

    test('online on connect, away (WS op and HTTP), offline only when the last connection closes; online-users', async () => {
      const w1 = await ws(p1, 'pia');
      const x = await ws(xena, 'xena (other workspace)');
      const q1 = await ws(p2, 'quinn#1');
      const on = await w1.log.waitFor(pres(p2, 'online'), { label: 'presence online of quinn' });
      assert.match(on.last_seen, RFC3339_MS);

      let list = await online(p1);
      assert.ok(Array.isArray(list));
      const byId = (l, u) => l.find((e) => e.user_id === u.user.id);
      assert.equal(byId(list, p2)?.status, 'online', `quinn online: ${JSON.stringify(list)}`);
      assert.equal(byId(list, p1)?.status, 'online', 'pia online');
      assert.equal(byId(list, p3), undefined, 'rex (not connected) is not listed');
      assert.equal(byId(list, xena), undefined, 'no user of another workspace');
      assert.match(byId(list, p2).last_seen, RFC3339_MS);

      // away via the WS op
      q1.send({ op: 'presence', status: 'away' });
      await w1.log.waitFor(pres(p2, 'away'), { label: 'presence away (WS op)' });
      assert.equal(byId(await online(p1), p2)?.status, 'away');
      // online, then away via HTTP
      const s1 = w1.log.mark();
      assertOk(await api('POST', '/api/realtime/presence', p2, { status: 'online' }));
      await w1.log.waitFor(pres(p2, 'online'), { since: s1, label: 'presence online (HTTP)' });
      assertOk(await api('POST', '/api/realtime/presence', p2, { status: 'away' }));
      const awayHttp = await w1.log.waitFor(pres(p2, 'away'), { since: s1, label: 'presence away (HTTP)' });
      assert.match(awayHttp.last_seen, RFC3339_MS);
      assertError(await api('POST', '/api/realtime/presence', p2, { status: 'invisible' }), 400, 'VALIDATION_ERROR', 'status');

      // online-users?chat_id=: only the chat's members (rex connects but is not in pChat)
      const r = await ws(p3, 'rex');
      await w1.log.waitFor(pres(p3, 'online'), { label: 'presence online of rex' });
      const inChat = assertOk(await api('GET', `/api/online-users?chat_id=${pChat.id}`, p1));
      assert.deepEqual(inChat.map((e) => e.user_id).sort((m, n) => m - n), memberIds(p1, p2).sort((m, n) => m - n), JSON.stringify(inChat));
      assertError(await api('GET', `/api/online-users?chat_id=${pChat.id}`, p3), 404);

      // a second connection of quinn; closing the first is not offline
      const q2 = await ws(p2, 'quinn#2');
      const s2 = w1.log.mark();
      await q1.closeGracefully();
      const sp = w1.log.mark();
      w1.send({ op: 'ping' });
      await w1.log.waitFor(isType('pong'), { since: sp, label: 'pong' });
      assert.deepEqual(w1.log.matching(pres(p2, 'offline'), s2), [], 'not offline while a connection of quinn remains');
      assert.ok(byId(await online(p1), p2), 'quinn still listed in online-users');
      q2.close();
      const off = await w1.log.waitFor(pres(p2, 'offline'), { since: s2, label: 'presence offline when the last connection closed' });
      assert.match(off.last_seen, RFC3339_MS);
      assert.equal(byId(await online(p1), p2), undefined, 'quinn no longer in online-users');
      r.close();
      await w1.log.waitFor(pres(p3, 'offline'), { label: 'rex offline' });
      assert.deepEqual(x.log.matching(isType('presence')).filter((e) => [p1, p2, p3].some((u) => u.user.id === e.user_id)), [],
        'a user of another workspace gets no presence of this one');
      assert.deepEqual(w1.log.matching(pres(xena, 'online')), [], 'nor the other way round');
    });

    test('a user whose only connection is an SSE stream goes offline when the client closes it', async () => {
      const w1 = await ws(p1, 'pia');
      const since = w1.log.mark();
      const r = await sseConnect(srv, { token: tok(p3), name: 'rex sse' });
      await w1.log.waitFor(pres(p3, 'online'), { since, label: 'presence online of rex (SSE)' });
      r.close(); // the client goes away (TCP FIN); the server must notice without writing first
      await w1.log.waitFor(pres(p3, 'offline'), { since, timeoutMs: 10000, label: 'presence offline of rex after his SSE stream closed' });
      assert.equal((await online(p1)).find((e) => e.user_id === p3.user.id), undefined, 'rex no longer in online-users');
    });
  });

  describe('token expiry', () => {
    test('an access token that expires: TOKEN_EXPIRED error event, then close code 4001', async () => {
      const token = shortLivedToken(srv, alice, 3);
      const c = await ws(alice, 'alice (3 s token)', { token });
      const m = await send(srv, bob, chat.id, 'before expiry');
      await c.log.waitFor(newMsg(m.id), { label: 'new_message before expiry' });
      const err = await c.log.waitFor(isType('error'), { timeoutMs: 10000, label: 'TOKEN_EXPIRED error event' });
      assert.equal(err.op, 'auth', JSON.stringify(err));
      assert.equal(err.error?.code, 'TOKEN_EXPIRED', JSON.stringify(err));
      const { code } = await Promise.race([c.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('not closed within 5 s after TOKEN_EXPIRED')), 5000))]);
      assert.equal(code, 4001, 'close code 4001');
      const errIdx = c.log.events.indexOf(err);
      assert.equal(errIdx, c.log.events.length - 1, 'the error event is the last one');
    });
  });

  describe('revocation reaches open streams', () => {
    // each case revokes a fresh member of its own chat; alice (a member
    // too) keeps her connection and watches
    const NEW_PASSWORD = 'a different horse battery';
    const revokers = {
      suspension: async (v) => assertOk(await api('PATCH', `/api/workspace/users/${v.user.id}`, owner, { status: 'Suspended' })),
      'logout-all': async (v) => assertOk(await api('POST', '/api/logout-all', v)),
      'password change': async (v) => assertOk(await api('POST', '/api/users/change-password', v, { current_password: PASSWORD, new_password: NEW_PASSWORD })),
    };
    const victim = async (what) => {
      const v = await mustSignup(srv, { fullname: `Victim ${uniqueName(what)}`, invite_code: invite.code });
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('revoke'), members: memberIds(v, alice) });
      return { v, g };
    };
    const withinSeconds = (p, s, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what} not within ${s} s`)), s * 1000))]);
    // after a logout-all or a password change the user may sign in again: a
    // stream opened with the new token lives on and gets the chat
    const freshStreamLives = async (action, v, g, transport) => {
      if (action === 'suspension') return;
      const s = await mustSignin(srv, v.user.email, action === 'password change' ? NEW_PASSWORD : PASSWORD);
      const c = transport === 'WebSocket' ? await wsConnect(srv, { token: s.access_token, name: 'victim, fresh token' })
        : await sseConnect(srv, { token: s.access_token, name: 'victim, fresh token (SSE)' });
      const m = await send(srv, owner, g.id, 'for the fresh session');
      await c.log.waitFor(newMsg(m.id), { label: 'new_message on the stream of the fresh token' });
      assert.equal(c.log.ended, false, 'the stream of the current token version stays open');
    };

    for (const action of Object.keys(revokers)) {
      test(`${action}: the open WebSocket gets TOKEN_REVOKED and close 4001; nothing more is delivered or accepted`, async () => {
        const { v, g } = await victim(action);
        const c = await ws(v, 'victim ws');
        const watcher = await ws(alice, 'alice (watcher)');
        const key0 = `k-${uniqueName('before')}`;
        c.send({ op: 'send', chat_id: g.id, content: 'sent before the revocation', idempotency_key: key0 });
        const ack0 = await c.log.waitFor(isType('ack', { idempotency_key: key0 }), { label: 'ack before the revocation' });

        await revokers[action](v);
        // the revocation is committed and answered: from now on the socket
        // is dead to the server, even if its close has not reached us yet
        const key1 = `k-${uniqueName('after')}`;
        if (c.ws.readyState === c.ws.OPEN) c.send({ op: 'send', chat_id: g.id, content: 'sent after the revocation', idempotency_key: key1 });
        const m1 = await send(srv, owner, g.id, 'posted after the revocation');
        const { code } = await withinSeconds(c.closed, 5, 'close of the revoked socket');
        assert.equal(code, 4001, 'close code 4001');
        const errs = c.log.matching(isType('error'));
        assert.deepEqual(errs.map((e) => `${e.op} ${e.error?.code}`), ['auth TOKEN_REVOKED'], `one TOKEN_REVOKED error: ${JSON.stringify(errs)}`);
        assert.equal(c.log.events.at(-1), errs[0], 'the error is the last event');
        assert.deepEqual(c.log.matching(newMsg(m1.id)), [], 'no message posted after the revocation reaches the revoked socket');
        assert.deepEqual(c.log.matching(isType('ack', { idempotency_key: key1 })), [], 'no ack for a send after the revocation');
        // the watcher is not affected and sees what was stored
        await watcher.log.waitFor(newMsg(m1.id), { label: 'the watcher gets the message' });
        await barrier(srv, watcher);
        assert.equal(watcher.log.ended, false, 'the other member stays connected');
        const stored = await allMessages(srv, owner, g.id);
        assert.ok(stored.some((m) => m.id === ack0.message.id), 'the send acknowledged before the revocation is stored');
        assert.deepEqual(stored.filter((m) => m.content === 'sent after the revocation'), [], 'the send after the revocation is not stored');
        await freshStreamLives(action, v, g, 'WebSocket');
      });

      test(`${action}: the open SSE stream gets TOKEN_REVOKED and ends; nothing more is delivered`, async () => {
        const { v, g } = await victim(`${action} sse`);
        const c = await sseConnect(srv, { token: tok(v), name: 'victim sse' });
        const m0 = await send(srv, owner, g.id, 'before the revocation');
        await c.log.waitFor(newMsg(m0.id), { label: 'new_message before the revocation' });
        await revokers[action](v);
        const m1 = await send(srv, owner, g.id, 'posted after the revocation');
        await c.log.waitEnd({ timeoutMs: 5000, label: 'the end of the revoked stream' });
        const errs = c.log.matching(isType('error'));
        assert.deepEqual(errs.map((e) => `${e.op} ${e.error?.code}`), ['auth TOKEN_REVOKED'], `one TOKEN_REVOKED error: ${JSON.stringify(errs)}`);
        assert.equal(c.log.events.at(-1), errs[0], 'the error is the last event');
        assert.deepEqual(c.log.matching(newMsg(m1.id)), [], 'no message posted after the revocation reaches the revoked stream');
        // the connection is gone from the hub: the barrier endpoint does not know it
        const ping = await srv.api('POST', '/api/realtime/ping', { token: tok(alice), body: { connection_id: c.confirmed.connection_id } });
        assert.equal(ping.status, 404, 'a revoked connection is no longer registered');
        await freshStreamLives(action, v, g, 'SSE');
      });
    }
  });

  describe('back-pressure', () => {
    test('clients that stop reading are disconnected; the others get everything; server RSS stays bounded', async (t) => {
      // stated bound: peak resident memory (VmHWM) below 64 MiB for a regular
      // build; a sanitizer build only gets the growth bound (its shadow memory
      // and quarantine dominate)
      const RSS_BOUND_KIB = 64 * 1024;
      const GROWTH_BOUND_KIB = 48 * 1024;
      const sanitized = isSanitizerBuild(binPath());
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('flood'), members: memberIds(alice, bob) });
      const memBefore = memOf(srv.proc.pid);
      const slowWs = await rawStalledClient(srv, `/ws?access_token=${encodeURIComponent(tok(bob))}`, { websocket: true });
      assert.equal(slowWs.status, 101, `raw WebSocket handshake: ${slowWs.head}`);
      const slowSse = await rawStalledClient(srv, `/events?access_token=${encodeURIComponent(tok(bob))}`);
      assert.equal(slowSse.status, 200, `raw SSE request: ${slowSse.head}`);
      const reader = await ws(alice, 'alice (reads)');
      // 700 messages of 3,900 characters of a 3-byte character: ~8.2 MB of
      // events per connection, beyond the 1 MiB queue plus what the kernel
      // buffers hold for a client that never reads (on loopback the server's
      // send buffer autotunes up to tcp_wmem max, 4 MiB here: 300 messages,
      // ~3.5 MB, can fit entirely in the kernel and the queue)
      const N = 700;
      const content = '€'.repeat(3900);
      // two senders at a time: the reading client must keep up (a burst is the next test)
      const sent = await mapLimit(Array.from({ length: N }, (_, i) => i), 2, async (i) => (await send(srv, owner, g.id, `${i} ${content}`)).id);
      await reader.log.waitCount((e) => e.type === 'new_message' && e.chat_id === g.id, N, { timeoutMs: 30000, label: `${N} new_message at the reading client` });
      const got = reader.log.matching((e) => e.type === 'new_message' && e.chat_id === g.id).map((e) => e.id);
      assert.deepEqual(got, [...sent].sort((x, y) => x - y), 'the reading client got every message, in order');
      const memAfter = memOf(srv.proc.pid);
      // resume reading: a disconnected client sees its socket end after the buffered bytes
      for (const [name, cl] of [['WebSocket', slowWs], ['SSE', slowSse]]) {
        cl.resume();
        const r = await Promise.race([cl.closed, new Promise((res) => setTimeout(() => res(null), scaled(10000)))]);
        assert.ok(r, `the server did not disconnect the ${name} client that stopped reading (it received ${cl.bytes()} bytes once resumed, ~${(N * 11.7 / 1024).toFixed(1)} MB were sent)`);
        assert.ok(r.bytes < N * 11700, `${name}: the stalled client got less than everything (${r.bytes} bytes)`);
      }
      // the server is still fine
      assert.ok(!srv.hasExited(), 'server still running');
      assertOk(await api('GET', '/api/users/me', alice));
      if (emulated) {
        // under qemu-user the process's memory is the emulator's (its code
        // cache and its own allocations), not the server's
        t.diagnostic(`memory bounds not checked: the server runs under ${process.env.FECHATTER_LAUNCHER}, whose RSS (VmHWM ${memAfter.hwm} KiB) is not the server's`);
        return;
      }
      const growth = memAfter.hwm - memBefore.rss;
      t.diagnostic(`server memory: VmRSS before ${memBefore.rss} KiB, after ${memAfter.rss} KiB, VmHWM ${memAfter.hwm} KiB${sanitized ? ' (sanitizer build)' : ''}`);
      assert.ok(growth < GROWTH_BOUND_KIB, `server memory grew by ${growth} KiB (bound ${GROWTH_BOUND_KIB} KiB)`);
      if (!sanitized) {
        assert.ok(memAfter.hwm < RSS_BOUND_KIB, `server peak RSS ${memAfter.hwm} KiB (bound ${RSS_BOUND_KIB} KiB)`);
      }
    });
  });

  describe('stalled reader cut', () => {
    test('a reader that stops reading is cut once its queue passes 4 MiB (docs/API.md), WS and SSE alike', async (t) => {
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('cut'), members: memberIds(alice, bob) });
      const dropped = async () => Number(/^fechatter_slow_consumers_dropped_total (\d+)$/m.exec((await srv.api('GET', '/metrics')).text)?.[1]);
      const before = await dropped();
      const slowWs = await rawStalledClient(srv, `/ws?access_token=${encodeURIComponent(tok(bob))}`, { websocket: true });
      const slowSse = await rawStalledClient(srv, `/events?access_token=${encodeURIComponent(tok(bob))}`);
      assert.equal(slowWs.status, 101);
      assert.equal(slowSse.status, 200);
      // one message at a time: the fan-out (and a cut) happens before the
      // HTTP answer, so the counter read after each send is exact
      const content = '€'.repeat(3900); // ~11.7 KB per event
      const MAX = 500; // 5.6 MiB: beyond 4 MiB plus what the kernel buffers hold
      let bytes = 0;
      let n = 0;
      for (; n < MAX && (await dropped()) < before + 2; n++) {
        await send(srv, owner, g.id, `${n} ${content}`);
        bytes += 11700;
      }
      t.diagnostic(`both stalled readers were cut after ${n} messages (~${(bytes / 1048576).toFixed(2)} MiB of events each)`);
      assert.equal(await dropped(), before + 2, `both stalled readers are cut within ${MAX} messages (~${(MAX * 11700 / 1048576).toFixed(1)} MiB); after ${n} only ${(await dropped()) - before}`);
      assert.ok(bytes > 4 * 1048576, `not cut before 4 MiB was queued (${bytes} bytes)`);
      for (const cl of [slowWs, slowSse]) {
        cl.resume();
        await Promise.race([cl.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('a cut reader was not closed within 10 s')), 10000))]);
      }
    });
  });

  describe('burst', () => {
    test('clients that keep reading (WS and SSE) are not dropped by a burst of large messages from 8 concurrent sends', async () => {
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('burst'), members: memberIds(alice, bob) });
      const readers = [await ws(alice, 'alice ws (reads)'), await sseConnect(srv, { token: tok(bob), name: 'bob sse (reads)' })];
      // 300 messages of ~11.7 KB (3.5 MB, below the 4 MiB queue bound, so a
      // reader that falls behind on a loaded machine is still never cut)
      const N = 300;
      const content = '€'.repeat(3900);
      const sent = await mapLimit(Array.from({ length: N }, (_, i) => i), 8, async (i) => (await send(srv, owner, g.id, `${i} ${content}`)).id);
      const isNew = (e) => e.type === 'new_message' && e.chat_id === g.id;
      for (const r of readers) {
        await r.log.waitCount(isNew, N, { timeoutMs: 20000, label: `${N} new_message at a client that reads` });
        assert.deepEqual(r.log.matching(isNew).map((e) => e.id), [...sent].sort((x, y) => x - y), `${r.name}: every message in order`);
        assert.equal(r.log.ended, false, `${r.name} still connected`);
      }
    });
  });

  describe('ordering', () => {
    test('1,000 messages from 10 senders arrive at every subscriber (3 WS + 1 SSE) in GET order', async () => {
      const senders = [];
      for (let i = 0; i < 10; i++) senders.push(await mustSignup(srv, { fullname: `Sender ${i}`, invite_code: invite.code }));
      const g = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('order'), members: memberIds(...senders) });
      const subs = [
        await ws(senders[0], 'sub ws sender0'), await ws(senders[5], 'sub ws sender5'), await ws(owner, 'sub ws owner'),
        await sseConnect(srv, { token: tok(senders[9]), name: 'sub sse sender9' }),
      ];
      const PER = 100;
      const jobs = [];
      for (let i = 0; i < PER; i++) for (const s of senders) jobs.push([s, i]);
      await mapLimit(jobs, 20, async ([s, i]) => send(srv, s, g.id, `${s.user.fullname} #${i}`));
      const total = senders.length * PER;
      const listed = (await allMessages(srv, owner, g.id)).reverse().map((m) => m.id);
      assert.equal(listed.length, total, 'GET returns every message');
      const isNew = (e) => e.type === 'new_message' && e.chat_id === g.id;
      for (const s of subs) {
        await s.log.waitCount(isNew, total, { timeoutMs: 30000, label: `${total} new_message` });
      }
      await barriers(srv, ...subs);
      for (const s of subs) {
        const ids = s.log.matching(isNew).map((e) => e.id);
        assert.equal(ids.length, total, `${s.name}: exactly ${total} new_message (no duplicates)`);
        const firstDiff = ids.findIndex((id, i) => id !== listed[i]);
        assert.equal(firstDiff, -1, `${s.name}: order differs from GET at #${firstDiff}: got ${ids.slice(firstDiff, firstDiff + 5)} expected ${listed.slice(firstDiff, firstDiff + 5)}`);
      }
    });
  });
});

describe('WebSocket upgrade, authentication deadline and frame strictness', () => {
  // --ws-auth-timeout 1: a socket that does not authenticate is closed after 1 s
  let srv; let alice;
  before(async () => {
    const w = await setupWorkspace({ args: ['--ws-auth-timeout', '1'], names: ['Alice Anders'] });
    ({ srv } = w);
    ({ alice } = w.byName);
  });
  afterEach(() => { closeAll(); });
  after(async () => { closeAll(); await srv?.stop(); });

  const refusal = (r, status, code, what) => {
    assert.equal(r.status, status, `${what}: ${r.status} ${r.raw?.slice(0, 300)}`);
    assert.match(String(r.headers['content-type']), /^application\/json/, `${what}: a JSON answer`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', `${what}: security headers`);
    assert.equal(r.headers['x-frame-options'], 'DENY', `${what}: security headers`);
    const body = JSON.parse(r.body);
    assert.equal(body.success, false, what);
    assert.equal(body.error?.code, code, `${what}: ${r.body}`);
    assert.equal(typeof body.error.message, 'string', what);
  };

  test('only /ws offering fechatter.v1 upgrades; anything else is refused with a JSON 4xx', async () => {
    const t = encodeURIComponent(tok(alice));
    refusal(await upgradeRequest(srv, '/ws'), 400, 'UNSUPPORTED_SUBPROTOCOL', '/ws without a subprotocol');
    refusal(await upgradeRequest(srv, `/ws?access_token=${t}`), 400, 'UNSUPPORTED_SUBPROTOCOL', '/ws with a token, without a subprotocol');
    refusal(await upgradeRequest(srv, '/ws', { protocol: 'chat.v2' }), 400, 'UNSUPPORTED_SUBPROTOCOL', '/ws with another subprotocol');
    refusal(await upgradeRequest(srv, '/ws', { protocol: 'http' }), 400, 'UNSUPPORTED_SUBPROTOCOL', '/ws asking for the "http" protocol');
    refusal(await upgradeRequest(srv, '/ws', { protocol: `http, ${WS_PROTOCOL}` }), 400, 'UNSUPPORTED_SUBPROTOCOL', '"http" offered before fechatter.v1');
    refusal(await upgradeRequest(srv, '/', {}), 404, 'NOT_FOUND', '/ without a subprotocol');
    refusal(await upgradeRequest(srv, '/anything', { protocol: WS_PROTOCOL }), 404, 'NOT_FOUND', 'another path with the subprotocol');
    refusal(await upgradeRequest(srv, '/api/users/me', { protocol: WS_PROTOCOL }), 404, 'NOT_FOUND', 'an API path');
    refusal(await upgradeRequest(srv, '/ws', { protocol: WS_PROTOCOL, method: 'POST' }), 405, 'METHOD_NOT_ALLOWED', 'POST /ws');
    refusal(await upgradeRequest(srv, '/ws?access_token=not.a.jwt', { protocol: WS_PROTOCOL }), 401, 'INVALID_TOKEN', 'a bad token');
    // the server is fine and the right upgrade works (also with fechatter.v1 among others)
    const c = await wsConnect(srv, { token: tok(alice), name: 'alice' });
    assert.equal(c.confirmed.user_id, alice.user.id);
    const raw = await rawWebSocket(srv, `/ws?access_token=${t}`, { protocol: `chat.v2, ${WS_PROTOCOL}` });
    await raw.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
    // a plain GET of /ws is not a WebSocket: 426 (401 without a token)
    const plain = await srv.api('GET', '/ws', { token: tok(alice) });
    assert.equal(plain.status, 426, plain.text);
    assert.equal(plain.json?.error?.code, 'UPGRADE_REQUIRED');
    assert.equal((await srv.api('GET', '/ws')).status, 401);
  });

  test('a socket that does not authenticate is closed with 4001 at the deadline (--ws-auth-timeout); one that does stays', async () => {
    const idle = await wsConnect(srv, { name: 'no token, no auth frame', waitConfirmed: false });
    const late = await wsConnect(srv, { name: 'authenticates at once', authFrame: tok(alice) });
    const { code } = await Promise.race([idle.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('not closed within 10 s (deadline 1 s)')), 10000))]);
    assert.equal(code, 4001, 'close code 4001');
    assert.deepEqual(idle.log.matching(isType('connection_confirmed')), [], 'never confirmed');
    // the authenticated one outlived the deadline
    await barrier(srv, late);
    assert.equal(late.log.ended, false, 'an authenticated socket is not closed by the deadline');
  });

  test('frames with a reserved bit set or without the client mask are refused with close 1002 (RFC 6455 5.1, 5.2)', async () => {
    const t = encodeURIComponent(tok(alice));
    // sanity: a well-formed masked frame is answered
    const good = await rawWebSocket(srv, `/ws?access_token=${t}`);
    await good.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
    good.writeFrame({ payload: JSON.stringify({ op: 'ping' }) });
    await good.waitFrame((f) => f.text?.includes('"pong"'), { label: 'pong to a well-formed frame' });
    const cases = [
      ['RSV1 on a text frame', { rsv: 4, payload: JSON.stringify({ op: 'ping' }) }],
      ['RSV2 on a text frame', { rsv: 2, payload: JSON.stringify({ op: 'ping' }) }],
      ['an unmasked text frame', { mask: false, payload: JSON.stringify({ op: 'ping' }) }],
      ['an unmasked ping control frame', { mask: false, opcode: 9, payload: 'hi' }],
    ];
    for (const [what, frame] of cases) {
      const c = await rawWebSocket(srv, `/ws?access_token=${t}`);
      await c.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
      const since = c.frames.length;
      c.writeFrame(frame);
      c.writeFrame({ payload: JSON.stringify({ op: 'ping' }) }); // a good frame after it must not be served
      const { closeCode } = await Promise.race([c.ended, new Promise((_, rej) => setTimeout(() => rej(new Error(`${what}: the server did not close within 5 s; frames ${JSON.stringify(c.frames)}`)), 5000))]);
      assert.equal(closeCode, 1002, `${what}: close 1002; frames ${JSON.stringify(c.frames.slice(since))}`);
      assert.deepEqual(c.frames.slice(since).filter((f) => f.opcode !== 8), [], `${what}: nothing but the close frame (no pong) after it`);
    }
  });
});

describe('shutdown', () => {
  test('SIGTERM with many sends in flight: every message that is in the database got its ack before the socket closed', async (t) => {
    const w = await setupWorkspace({ names: ['Alice Anders'] });
    const { srv, owner } = w;
    try {
      const chatId = (await createChat(srv, owner, { chat_type: 'Group', name: 'shutdown', members: memberIds(w.byName.alice) })).id;
      const c = await wsConnect(srv, { token: tok(owner), name: 'sender' });
      const N = 3000;
      const keys = [];
      for (let i = 0; i < N; i++) {
        const key = `sd-${i}`;
        keys.push(key);
        c.send({ op: 'send', chat_id: chatId, content: `shutdown ${i}`, idempotency_key: key });
      }
      // SIGTERM while the server is still working through the sends
      await c.log.waitCount(isType('ack'), 50, { timeoutMs: 20000, label: 'the first 50 acks' });
      const code = await srv.stop();
      assert.equal(code, 0, 'the server exits 0');
      await Promise.race([c.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('the socket did not close after the server exited')), 5000))]);
      const acked = new Set(c.log.matching(isType('ack')).map((e) => e.idempotency_key));
      const refused = c.log.matching(isType('error'));
      const stored = dbQuery(srv, `select idempotency_key from messages where idempotency_key like 'sd-%'`).split('\n').filter(Boolean);
      const unacked = stored.filter((k) => !acked.has(k));
      t.diagnostic(`${N} sends: ${stored.length} stored, ${acked.size} acked, ${refused.length} refused while shutting down (${[...new Set(refused.map((e) => e.error?.code))].join(', ')}), close ${c.log.endReason}`);
      assert.ok(stored.length >= 50, `at least the acked sends are stored (${stored.length})`);
      assert.deepEqual(unacked, [], `${unacked.length} stored message(s) never got their ack`);
      assert.deepEqual([...acked].filter((k) => !stored.includes(k)), [], 'every ack is for a stored message');
      for (const e of refused) {
        assert.equal(e.error?.code, 'SHUTTING_DOWN', JSON.stringify(e));
        assert.ok(keys.includes(e.idempotency_key), `a refusal carries the send's key: ${JSON.stringify(e)}`);
      }
    } finally {
      closeAll();
      await srv.stop();
    }
  });
});

// A full disk (4 MiB tmpfs, as in diskfull.test.mjs; needs root)
// (on PostgreSQL the database is not in DATA: a full DATA is no full database)
const full = onPostgres ? null : mountTinyTmpfs('fechatter-rt-full-');
const fullMnt = full?.dir;

describe('WebSocket errors at commit time', {
  skip: onPostgres ? 'the database is not in DATA on PostgreSQL' : full ? false : 'needs root to mount a tmpfs',
}, () => {
  let srv; let owner; let chatId;
  before(async () => {
    srv = await startServer({ dataDir: join(fullMnt, 'data') });
    owner = await mustSignup(srv, { fullname: 'Olive Owner' });
    chatId = (await createChat(srv, owner, { name: 'general', chat_type: 'PublicChannel', members: [] })).id;
  });
  after(async () => {
    closeAll();
    if (srv) await srv.stop();
    full.unmount();
  });

  test('a send refused by the group commit (DISK_FULL) answers an error carrying its idempotency_key', async () => {
    const c = await wsConnect(srv, { token: tok(owner), name: 'sender' });
    assert.ok(full.fill(), 'the tmpfs filled up');
    const keys = Array.from({ length: 5 }, (_, i) => `full-${i}`);
    for (const key of keys) c.send({ op: 'send', chat_id: chatId, content: `${'x'.repeat(3000)} ${key}`, idempotency_key: key });
    const answers = [];
    for (const key of keys) {
      answers.push(await c.log.waitFor((e) => (e.type === 'error' || e.type === 'ack') && e.idempotency_key === key, { timeoutMs: 10000, label: `the answer to ${key} (an error must carry the key)` }));
    }
    const codes = answers.map((a) => (a.type === 'ack' ? 'ack' : `${a.op} ${a.error?.code}`));
    assert.ok(codes.includes('send DISK_FULL'), `DISK_FULL among ${codes.join(', ')}`);
    await barrier(srv, c);
    const keyless = c.log.matching((e) => e.type === 'error' && !e.idempotency_key);
    assert.deepEqual(keyless, [], 'no error without the key of its op');
    rmSync(join(fullMnt, 'filler'));
  });
});
