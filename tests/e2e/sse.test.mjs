// Real-time over Server-Sent Events (/events, docs/API.md "Server-Sent
// Events"): auth, unnamed `data:` events with `id:`, connection_confirmed
// first, message fields, several connections of one user, Last-Event-ID
// replay (header and query argument), resync beyond the 4,096-event ring,
// and the end of the stream at token expiry. Absence is asserted after an
// in-band barrier (POST /api/realtime/ping queues a pong on the stream).
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, serverKey, signEdDSA, claimsFor } from './lib/server.mjs';
import { setupWorkspace, createChat, memberIds, send, tok } from './lib/conv.mjs';
import { sseConnect, wsConnect, closeAll, isType, barrier, barriers, assertSameMessage, shortLivedToken } from './lib/rt.mjs';
import { sleep } from './lib/server.mjs';

describe('realtime over SSE', () => {
  let srv; let owner; let alice; let bob; let carol; let chat; // Group by owner: alice, bob
  before(async () => {
    const w = await setupWorkspace({ names: ['Alice Anders', 'Bob Brown', 'Carol Clark'] });
    ({ srv, owner } = w);
    ({ alice, bob, carol } = w.byName);
    chat = await createChat(srv, owner, { chat_type: 'Group', name: 'SSE main', members: memberIds(alice, bob) });
  });
  afterEach(() => { closeAll(); });
  after(async () => { closeAll(); await srv?.stop(); });

  const sse = (user, name, extra = {}) => sseConnect(srv, { token: tok(user), name, ...extra });
  const newMsg = (id) => isType('new_message', { id });
  const numId = (ev) => {
    assert.match(String(ev.__id), /^\d+$/, `event id is a decimal number: ${ev.__id}`);
    return Number(ev.__id);
  };

  test('without a token or with a bad or expired one: 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = signEdDSA(claimsFor(alice, { iat: now - 3600, exp: now - 60 }), serverKey(srv.dataDir).privateKey);
    for (const [what, token, code] of [['no token', undefined, 'UNAUTHORIZED'], ['garbage', 'x.y.z', 'INVALID_TOKEN'], ['expired', expired, 'TOKEN_EXPIRED']]) {
      const r = await sseConnect(srv, { token, name: what, expectError: true });
      assert.equal(r.status, 401, `${what}: status ${r.status} ${r.body?.slice(0, 200)}`);
      const body = JSON.parse(r.body);
      assert.equal(body.success, false);
      assert.equal(body.error.code, code, `${what}: ${r.body}`);
    }
  });

  test('text/event-stream of unnamed data events with id:, the first is connection_confirmed; a message arrives with every field', async () => {
    const a = await sse(alice, 'alice');
    assert.match(String(a.headers['content-type']), /^text\/event-stream/);
    const first = a.log.events[0];
    assert.equal(first.type, 'connection_confirmed', 'the first event is connection_confirmed');
    assert.equal(first.user_id, alice.user.id);
    assert.ok('connection_id' in first, JSON.stringify(first));

    const m1 = await send(srv, bob, chat.id, 'hello over SSE');
    const m2 = await send(srv, owner, chat.id, 'second over SSE');
    const e1 = await a.log.waitFor(newMsg(m1.id), { label: 'new_message 1' });
    const e2 = await a.log.waitFor(newMsg(m2.id), { label: 'new_message 2' });
    assertSameMessage(e1, m1);
    assertSameMessage(e2, m2);
    assert.ok(numId(e2) > numId(e1), `ids increase: ${e1.__id} then ${e2.__id}`);
    for (const f of a.frames) {
      assert.equal(f.event, undefined, `events are unnamed (no event: line): ${JSON.stringify(f).slice(0, 200)}`);
    }
    for (const f of a.frames.slice(1)) {
      assert.ok(f.id !== undefined && f.id !== '', `every event has an id: ${JSON.stringify(f).slice(0, 200)}`);
    }
    const ids = a.log.events.slice(1).map(numId);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `ids strictly increase: ${ids}`);
  });

  test('every event carries id:, connection_confirmed included (docs: each event is `id: N` then `data:`)', async () => {
    const a = await sse(alice, 'alice');
    const m = await send(srv, bob, chat.id, 'with ids');
    await a.log.waitFor(newMsg(m.id), { label: 'new_message' });
    const missing = a.frames.filter((f) => f.id === undefined || f.id === '').map((f) => f.data.slice(0, 80));
    assert.deepEqual(missing, [], 'events without an id: line');
  });

  test('a stream stays open and keeps delivering after 8 s (the keep-alive is a ping comment every 25 s)', async () => {
    const a = await sse(alice, 'alice (long-lived)');
    await sleep(8000);
    assert.equal(a.log.ended, false, `the stream is still open after 8 s (${a.log.endReason})`);
    const m = await send(srv, bob, chat.id, 'after 8 s');
    await a.log.waitFor(newMsg(m.id), { label: 'new_message after 8 s' });
  });

  test('two connections of one user both receive every event, with the same id; a non-member gets nothing', async () => {
    const b1 = await sse(bob, 'bob#1');
    const b2 = await sse(bob, 'bob#2');
    const c = await sse(carol, 'carol (not a member)');
    assert.notEqual(b1.confirmed.connection_id, b2.confirmed.connection_id, 'two connection ids');
    const m = await send(srv, alice, chat.id, 'to both tabs');
    const e1 = await b1.log.waitFor(newMsg(m.id), { label: 'new_message at tab 1' });
    const e2 = await b2.log.waitFor(newMsg(m.id), { label: 'new_message at tab 2' });
    assert.deepEqual(e1, e2, 'the same event object');
    assert.equal(e1.__id, e2.__id, 'the same event id on both connections');
    assertSameMessage(e1, m);
    await barriers(srv, b1, b2, c);
    assert.equal(b1.log.matching(newMsg(m.id)).length, 1, 'once per connection');
    assert.deepEqual(c.log.matching((e) => e.chat_id === chat.id), [], 'a non-member receives nothing of the chat');
  });

  for (const via of ['header', 'query argument']) {
    test(`reconnecting with Last-Event-ID (${via}) replays exactly the events missed meanwhile`, async () => {
      // a second connection of alice stays open all along (so presence does
      // not change and it shows which events were published)
      const keeper = await sse(alice, 'alice keeper');
      const s1 = await sse(alice, 'alice#1');
      const m0 = await send(srv, bob, chat.id, `before the gap (${via})`);
      await s1.log.waitFor(newMsg(m0.id), { label: 'new_message before the gap' });
      await keeper.log.waitFor(newMsg(m0.id), { label: 'new_message before the gap at the keeper' });
      await barriers(srv, s1, keeper);
      const lastId = s1.lastId;
      assert.equal(lastId, s1.log.events[s1.log.events.length - 1].__id, 'lastId is the id of the last event received');
      const keptFrom = keeper.log.mark();
      s1.close();
      await s1.ended;

      const missed = [];
      for (let i = 0; i < 5; i++) missed.push(await send(srv, i % 2 ? owner : bob, chat.id, `missed ${i} (${via})`));
      for (const m of missed) await keeper.log.waitFor(newMsg(m.id), { since: keptFrom, label: `new_message ${m.id} at the keeper` });
      await barrier(srv, keeper);
      // what alice received meanwhile, seen by her other connection (the barrier's pong aside)
      const notPong = (e) => e.type !== 'pong';
      const meanwhile = keeper.log.events.slice(keptFrom).filter(notPong);
      const missedIds = missed.map((m) => m.id);
      assert.deepEqual(meanwhile.filter((e) => e.type === 'new_message').map((e) => e.id), missedIds, 'sanity: the keeper saw the 5 messages');

      const opt = via === 'header' ? { lastEventId: lastId } : { lastEventIdQuery: lastId };
      const s2 = await sse(alice, 'alice#2 (resumed)', opt);
      await s2.log.waitCount((e) => e.type === 'new_message', 5, { label: 'the 5 missed messages' });
      await barrier(srv, s2);
      const replayed = s2.log.matching((e) => e.type !== 'connection_confirmed' && notPong(e));
      const brief = (e) => `${e.__id} ${e.type}${e.id ? `:${e.id}` : ''}`;
      assert.deepEqual(replayed.map(brief), meanwhile.map(brief), 'exactly the events missed meanwhile (as the other connection got them), in order, with their ids');
      assert.deepEqual(replayed.filter((e) => e.type === 'new_message').map((e) => e.id), missedIds, 'the 5 missed messages');
      replayed.filter((e) => e.type === 'new_message').forEach((e, i) => {
        assertSameMessage(e, missed[i], `replayed #${i}`);
        assert.ok(numId(e) > Number(lastId), 'replayed ids are after Last-Event-ID');
      });
      // and the stream goes on live, without repeats
      const m6 = await send(srv, bob, chat.id, `after the resume (${via})`);
      await s2.log.waitFor(newMsg(m6.id), { label: 'live message after the replay' });
      await barrier(srv, s2);
      assert.equal(s2.log.matching((e) => e.type === 'new_message').length, 6, 'the 5 replayed and the live one, no repeats');

      // resuming from the newest id replays nothing
      const s3 = await sse(alice, 'alice#3 (up to date)', via === 'header' ? { lastEventId: s2.lastId } : { lastEventIdQuery: s2.lastId });
      await barrier(srv, s3);
      assert.deepEqual(s3.log.matching((e) => e.type !== 'connection_confirmed' && notPong(e)), [], 'nothing to replay');
    });
  }

  test('an id older than the 4,096-event ring starts the stream with {"type":"resync"}', async () => {
    // a second connection of alice (WebSocket) stays open, so the reconnect changes no presence
    await wsConnect(srv, { token: tok(alice), name: 'alice ws keeper' });
    const a = await sse(alice, 'alice');
    const m0 = await send(srv, bob, chat.id, 'the old one');
    const e0 = await a.log.waitFor(newMsg(m0.id), { label: 'new_message' });
    const oldId = e0.__id;
    a.close();
    // 4,200 more events for alice's chat push the old id out of the ring;
    // sent over a WebSocket of bob's in windows of 300 (cheaper than 4,200 HTTP requests)
    const N = 4200;
    const WINDOW = 300;
    const filler = await wsConnect(srv, { token: tok(bob), name: 'bob ws filler' });
    for (let start = 0; start < N; start += WINDOW) {
      const keys = new Set();
      for (let i = start; i < Math.min(N, start + WINDOW); i++) {
        const key = `fill-${i}-${Math.random().toString(36).slice(2, 8)}`;
        keys.add(key);
        filler.send({ op: 'send', chat_id: chat.id, content: `fill ${i}`, idempotency_key: key });
      }
      await filler.log.waitCount((e) => e.type === 'ack' && keys.has(e.idempotency_key), keys.size, { timeoutMs: 20000, label: `acks of fill ${start}..` });
    }
    filler.close();
    const r = await sse(alice, 'alice (resumed too late)', { lastEventId: oldId });
    const rs = await r.log.waitFor(isType('resync'), { label: 'resync' });
    await barrier(srv, r);
    const first = r.log.events.filter((e) => e.type !== 'connection_confirmed');
    assert.equal(first[0], rs, `the stream starts with resync: ${JSON.stringify(first.slice(0, 3))}`);
    assert.equal(r.log.matching(isType('new_message')).length, 0, 'no partial replay after a resync');
    // the stream is live afterwards
    const m1 = await send(srv, bob, chat.id, 'after the resync');
    await r.log.waitFor(newMsg(m1.id), { label: 'live message after resync' });
  });

  test('at token expiry the stream sends a TOKEN_EXPIRED error event and ends', async () => {
    const token = shortLivedToken(srv, alice, 3);
    const a = await sseConnect(srv, { token, name: 'alice (3 s token)' });
    const m = await send(srv, bob, chat.id, 'before expiry');
    await a.log.waitFor(newMsg(m.id), { label: 'new_message before expiry' });
    const err = await a.log.waitFor(isType('error'), { timeoutMs: 10000, label: 'error event' });
    assert.equal(err.error?.code, 'TOKEN_EXPIRED', JSON.stringify(err));
    await a.log.waitEnd({ timeoutMs: 5000, label: 'the end of the stream after TOKEN_EXPIRED' });
    assert.equal(a.log.events[a.log.events.length - 1], err, 'the error is the last event');
    // a fresh token connects again
    const again = await sse(alice, 'alice (fresh token)');
    assert.equal(again.confirmed.user_id, alice.user.id);
    assertOk(await srv.api('GET', '/api/users/me', { token: tok(alice) }));
  });
});
