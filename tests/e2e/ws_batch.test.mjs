// Batched sends (docs/API.md "Real-time"): when several events are queued
// for one connection, one send carries them all (http/realtime.c,
// http/wsbatch.c). Checked on the wire with a raw socket: a burst of ops
// written in one TCP write gets every answer as a whole, final text frame
// (none cut at a batch boundary, lengths on both sides of the 7/16-bit
// header boundary and beyond the 16 KiB batch), in the order the ops came,
// and /metrics shows they went in batches. Frames written at once during the
// fan-out never follow the server's close frame. A reader that stops reading is
// still cut (the back-pressure tests in realtime.test.mjs and sse.test.mjs).
import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { setupWorkspace, createChat, memberIds, allMessages, send, mapLimit, tok } from './lib/conv.mjs';
import { closeAll, rawWebSocket, assertSameMessage } from './lib/rt.mjs';

// One masked client text frame (RFC 6455 5.2).
function clientFrame(text) {
  const data = Buffer.from(text);
  const head = [0x81];
  if (data.length < 126) head.push(0x80 | data.length);
  else if (data.length < 65536) head.push(0x80 | 126, data.length >> 8, data.length & 0xff);
  else throw new Error('frame too large for this helper');
  const key = crypto.randomBytes(4);
  return Buffer.concat([Buffer.from(head), key, Buffer.from(data.map((b, i) => b ^ key[i % 4]))]);
}

const metric = (text, name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);

describe('batched real-time sends', () => {
  let srv; let alice; let bob; let chat;
  before(async () => {
    const w = await setupWorkspace({ names: ['Alice Anders', 'Bob Brown'] });
    ({ srv } = w);
    ({ alice, bob } = w.byName);
    chat = await createChat(srv, alice, { chat_type: 'Group', name: 'batch', members: memberIds(bob) });
  });
  afterEach(() => { closeAll(); });
  after(async () => { closeAll(); await srv?.stop(); });

  test('a burst of ops in one TCP write: every answer arrives whole, in order, in batched sends', async () => {
    const before = (await srv.api('GET', '/metrics')).text;
    const a = await rawWebSocket(srv, `/ws?access_token=${encodeURIComponent(tok(alice))}`);
    const b = await rawWebSocket(srv, `/ws?access_token=${encodeURIComponent(tok(bob))}`);
    const json = (c) => c.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.text));
    await a.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
    // Per round i: a ping (pong), a send to a chat that does not exist (an
    // error event carrying a key of 1..60 characters: frames of about 100 to
    // 200 bytes, across the 125/126 header boundary), and a real send whose
    // content goes from 1 character to 3,900 three-byte characters (events
    // of ~11.7 KB: two never share a 16 KiB batch).
    const N = 60;
    const sizes = [1, 60, 100, 125, 126, 300, 1000, 3900];
    const content = (i) => `${i} ${(i % 3 ? 'c' : '€').repeat(sizes[i % sizes.length])}`;
    const parts = [];
    for (let i = 0; i < N; i++) {
      parts.push(clientFrame(JSON.stringify({ op: 'ping' })));
      parts.push(clientFrame(JSON.stringify({ op: 'send', chat_id: 999999999, content: 'x', idempotency_key: `e${i}-${'k'.repeat(i % 58)}` })));
      parts.push(clientFrame(JSON.stringify({ op: 'send', chat_id: chat.id, content: content(i), idempotency_key: `s${i}` })));
    }
    a.sock.write(Buffer.concat(parts));
    const isNew = (e) => e.type === 'new_message' && e.chat_id === chat.id;
    const done = (c) => { const e = json(c); return e.filter(isNew).length === N && (c !== a || e.filter((x) => x.type === 'ack').length === N); };
    await a.waitFrame(() => done(a), { label: `${N} acks and ${N} new_message at alice`, timeoutMs: 30000 });
    await b.waitFrame(() => done(b), { label: `${N} new_message at bob`, timeoutMs: 30000 });

    for (const [name, c] of [['alice', a], ['bob', b]]) {
      for (const f of c.frames) {
        assert.equal(f.opcode, 1, `${name}: only text frames (${JSON.stringify(f).slice(0, 200)})`);
        assert.equal(f.fin, true, `${name}: every frame is a whole message`);
        assert.equal(f.rsv, 0, `${name}: no reserved bit`);
      }
    }
    const ev = json(a);
    // the answers made at once (pong, refused send) keep the order of the ops
    const direct = ev.filter((e) => e.type === 'pong' || (e.type === 'error' && e.op === 'send'));
    const want = [];
    for (let i = 0; i < N; i++) want.push('pong', `e${i}-${'k'.repeat(i % 58)}`);
    assert.deepEqual(direct.map((e) => (e.type === 'pong' ? 'pong' : e.idempotency_key)), want, 'pongs and errors in the order of the ops');
    // acks in the order of the sends; events in commit (GET) order with the content sent
    const acks = ev.filter((e) => e.type === 'ack');
    assert.deepEqual(acks.map((e) => e.idempotency_key), Array.from({ length: N }, (_, i) => `s${i}`), 'acks in send order');
    const listed = (await allMessages(srv, alice, chat.id)).reverse();
    for (const [name, c] of [['alice', a], ['bob', b]]) {
      const got = json(c).filter(isNew);
      assert.deepEqual(got.map((e) => e.id), listed.map((m) => m.id), `${name}: new_message in GET order`);
      assert.deepEqual(got.map((e) => e.content), listed.map((m) => m.content), `${name}: every content whole`);
    }
    assert.deepEqual(listed.map((m) => m.content), Array.from({ length: N }, (_, i) => content(i)), 'stored in send order');

    const after = (await srv.api('GET', '/metrics')).text;
    const batched = metric(after, 'fechatter_realtime_batched_total') - metric(before, 'fechatter_realtime_batched_total');
    const writes = metric(after, 'fechatter_realtime_writes_total') - metric(before, 'fechatter_realtime_writes_total');
    const delivered = metric(after, 'fechatter_deliveries_total') - metric(before, 'fechatter_deliveries_total');
    assert.ok(batched >= N, `the burst's answers went in batched sends (${batched} messages batched)`);
    assert.ok(writes < delivered, `fewer sends (${writes}) than messages delivered (${delivered})`);
  });

  test('an ack carries the very bytes of its new_message event\'s message; a repeat carries the stored message', async () => {
    // the ack reuses the message object the event rendered (http/ws.c
    // send_done, rt_message_json): checked byte for byte on the wire, with
    // sends of another user committed in the same batches, and a repeated
    // key (created false: no event, rendered from the stored message)
    const a = await rawWebSocket(srv, `/ws?access_token=${encodeURIComponent(tok(alice))}`);
    await a.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
    const N = 30;
    const parts = [];
    for (let i = 0; i < N; i++) {
      parts.push(clientFrame(JSON.stringify({ op: 'send', chat_id: chat.id, content: `raw ${i} "q" \\ é\t😀 </x>`, idempotency_key: `r${i}` })));
    }
    const others = mapLimit(Array.from({ length: 10 }, (_, i) => i), 4, (i) => send(srv, bob, chat.id, `bob ${i}`));
    a.sock.write(Buffer.concat(parts));
    const texts = () => a.frames.filter((f) => f.opcode === 1).map((f) => f.text);
    await a.waitFrame(() => texts().filter((t) => t.startsWith('{"type":"ack"')).length === N, { label: `${N} acks`, timeoutMs: 30000 });
    await others;
    const tail = ',"type":"new_message"}';
    const events = new Map();
    for (const t of texts()) {
      if (!t.endsWith(tail)) continue;
      const e = JSON.parse(t);
      if (e.type === 'new_message') events.set(e.id, t.slice(0, -tail.length) + '}');
    }
    const listed = new Map((await allMessages(srv, alice, chat.id)).map((m) => [m.id, m]));
    for (const t of texts().filter((x) => x.startsWith('{"type":"ack"'))) {
      const ack = JSON.parse(t);
      assert.equal(ack.created, true);
      const prefix = `{"type":"ack","idempotency_key":${JSON.stringify(ack.idempotency_key)},"created":true,"message":`;
      assert.ok(t.startsWith(prefix) && t.endsWith('}'), `ack layout: ${t.slice(0, 120)}`);
      const raw = t.slice(prefix.length, -1);
      // the event was published before the ack was queued: it came first
      assert.equal(raw, events.get(ack.message.id), `ack ${ack.idempotency_key}: the event's bytes`);
      assertSameMessage(ack.message, listed.get(ack.message.id), `ack ${ack.idempotency_key}`);
    }
    // a repeat of a key: no event, the stored message (not the newest rendered one)
    a.sock.write(Buffer.concat([clientFrame(JSON.stringify({ op: 'send', chat_id: chat.id, content: 'again', idempotency_key: 'r3' })),
      clientFrame(JSON.stringify({ op: 'send', chat_id: chat.id, content: 'fresh', idempotency_key: 'r-new' }))]));
    const acks = () => texts().filter((t) => t.startsWith('{"type":"ack"')).map((t) => JSON.parse(t));
    await a.waitFrame(() => acks().length === N + 2, { label: 'two more acks', timeoutMs: 10000 });
    const repeat = acks().find((x) => x.idempotency_key === 'r3' && x.created === false);
    assert.ok(repeat, 'the repeat is answered created false');
    const first = acks().find((x) => x.idempotency_key === 'r3' && x.created === true);
    assert.deepEqual(repeat.message, first.message, 'the repeat carries the first message');
    const fresh = acks().find((x) => x.idempotency_key === 'r-new');
    assert.equal(fresh.message.content, 'fresh');
  });

  test('a client that closes while messages stream in gets no frame after the close frame', async () => {
    const a = await rawWebSocket(srv, `/ws?access_token=${encodeURIComponent(tok(alice))}`);
    await a.waitFrame((f) => f.text?.includes('connection_confirmed'), { label: 'connection_confirmed' });
    const N = 40;
    const sends = mapLimit(Array.from({ length: N }, (_, i) => i), 4, (i) => send(srv, bob, chat.id, `closing ${i}`));
    await a.waitFrame((f) => f.text?.includes('"new_message"'), { label: 'a first new_message', timeoutMs: 10000 });
    a.writeFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }); // close 1000
    const { closeCode } = await a.ended;
    await sends;
    assert.equal(closeCode, 1000, 'the server answered the close');
    const at = a.frames.findIndex((f) => f.opcode === 8);
    assert.equal(at, a.frames.length - 1, `nothing after the close frame: ${JSON.stringify(a.frames.slice(at + 1)).slice(0, 300)}`);
    for (const f of a.frames.slice(0, at)) JSON.parse(f.text); // every frame before it whole
  });
});
