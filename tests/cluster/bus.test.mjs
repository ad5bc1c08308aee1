// The NATS bus (--bus nats, build/fechatter-cluster): events published on
// NATS per chat / per user after commit, events of other appliances
// delivered to this one's clients and caches, Resync after a reconnection,
// the link's state in /health, start-up without NATS.
//
// Two appliances A and B share one nats-server and one database: a fresh
// PostgreSQL database (startPostgres().createDb(), --store postgres), or,
// with FECHATTER_CLUSTER_STORE=sqlite, one SQLite file both open (B's data
// folder links to A's database and signing key; SQLite's WAL works across
// processes on one host), which runs without PostgreSQL: the bus is what is
// under test, and either store makes A's writes readable on B.
//
//   cd tests && FECHATTER_BIN=$PWD/../build/fechatter-cluster node --test cluster/bus.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HOST, startServer, makeTempDir, freePort, sleep, mustSignup, createInvite, assertOk, runBin,
} from '../e2e/lib/server.mjs';
import { tok, createChat, send, listMessages, unreadOf } from '../e2e/lib/conv.mjs';
import {
  wsConnect, sseConnect, isType, barrier, until, closeAll,
} from '../e2e/lib/rt.mjs';
import { startNats, startPostgres } from './lib/services.mjs';

const here = dirname(fileURLToPath(import.meta.url));
if (!process.env.FECHATTER_BIN) process.env.FECHATTER_BIN = join(here, '../../build/fechatter-cluster');
const usePg = process.env.FECHATTER_CLUSTER_STORE !== 'sqlite';

// ---------------------------------------------------------------- a raw NATS client
// The protocol is text: INFO, CONNECT, SUB, PUB, MSG, PING/PONG.
function natsClient(port) {
  const sock = net.connect(port, HOST);
  const msgs = [];
  const waiters = new Set();
  let buf = Buffer.alloc(0);
  let pongs = 0;
  const pongWaiters = [];
  const check = () => { for (const w of [...waiters]) w(); };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const line = buf.subarray(0, eol).toString();
      if (line.startsWith('MSG ')) {
        const parts = line.split(' ');
        const size = Number(parts[parts.length - 1]);
        if (buf.length < eol + 2 + size + 2) return;
        const payload = buf.subarray(eol + 2, eol + 2 + size).toString();
        buf = buf.subarray(eol + 2 + size + 2);
        let json;
        try { json = JSON.parse(payload); } catch { json = null; }
        msgs.push({ subject: parts[1], payload, json });
        check();
        continue;
      }
      buf = buf.subarray(eol + 2);
      if (line === 'PING') sock.write('PONG\r\n');
      else if (line === 'PONG') { pongs++; while (pongWaiters.length && pongWaiters[0].n <= pongs) pongWaiters.shift().resolve(); }
      else if (line.startsWith('-ERR')) throw new Error(`NATS: ${line}`);
    }
  });
  const ready = new Promise((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let pings = 0;
  const c = {
    msgs,
    async open() {
      await ready;
      sock.write('CONNECT {"verbose":false,"pedantic":false,"name":"bus-test"}\r\n');
      sock.write('SUB fechatter.> 1\r\n');
      await c.flush();
    },
    // resolves once the server has processed everything written before
    flush() {
      const n = ++pings;
      const p = new Promise((resolve) => pongWaiters.push({ n, resolve }));
      sock.write('PING\r\n');
      return p;
    },
    pub(subject, text) {
      sock.write(`PUB ${subject} ${Buffer.byteLength(text)}\r\n${text}\r\n`);
    },
    waitFor(pred, { timeoutMs = 5000, label = 'a NATS message' } = {}) {
      return new Promise((resolve, reject) => {
        const w = () => {
          const m = msgs.find(pred);
          if (m) { waiters.delete(w); clearTimeout(timer); resolve(m); }
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out waiting for ${label}; got:\n  ${msgs.slice(-10).map((m) => `${m.subject} ${m.payload.slice(0, 200)}`).join('\n  ')}`));
        }, timeoutMs);
        waiters.add(w);
        w();
      });
    },
    close() { sock.destroy(); },
  };
  return c;
}

// ---------------------------------------------------------------- the cluster
let nats;
let pg;
let A;
let B;

async function startAppliance(extra = {}) {
  return startServer({
    args: ['--registration', 'open', '--bus', 'nats', '--nats-url', extra.natsUrl ?? nats.url, ...(extra.args ?? [])],
    dataDir: extra.dataDir,
  });
}

// /health is not enveloped
async function health(srv) {
  const r = await srv.api('GET', '/health');
  assert.equal(r.status, 200, `/health: ${r.status} ${r.text.slice(0, 200)}`);
  return r.json;
}

async function startPair(natsUrl = nats.url) {
  if (usePg) {
    const url = pg.createDb(`bus_${process.pid}_${Math.random().toString(36).slice(2, 8)}`);
    const files = makeTempDir('fechatter-files-');
    const args = ['--store', 'postgres', '--pg-url', url, '--files', files];
    const a = await startAppliance({ args, natsUrl });
    const b = await startAppliance({ args, natsUrl });
    return [a, b];
  }
  const a = await startAppliance({ natsUrl });
  const dirB = makeTempDir();
  symlinkSync(join(a.dataDir, 'fechatter.db'), join(dirB, 'fechatter.db'));
  symlinkSync(join(a.dataDir, 'jwt_ed25519.key'), join(dirB, 'jwt_ed25519.key'));
  const b = await startAppliance({ dataDir: dirB, args: ['--files', join(a.dataDir, 'files')], natsUrl });
  return [a, b];
}

before(async () => {
  nats = await startNats();
  if (usePg) pg = await startPostgres();
  [A, B] = await startPair();
});

after(async () => {
  closeAll();
  await A?.stop();
  await B?.stop();
  await nats?.stop();
  await pg?.stop?.();
});

// A workspace made on A: owner Olive, members Bob and Cy, one group chat of
// the three. Tokens work on both appliances (one signing key, one database).
async function workspace() {
  const owner = await mustSignup(A, { fullname: 'Olive Owner', workspace_name: `Acme-${Math.random().toString(36).slice(2, 8)}` });
  const invite = await createInvite(A, tok(owner), { max_uses: 10 });
  const bob = await mustSignup(A, { fullname: 'Bob Second', invite_code: invite.code });
  const cy = await mustSignup(A, { fullname: 'Cy Third', invite_code: invite.code });
  const chat = await createChat(A, owner, {
    name: `bus-${Math.random().toString(36).slice(2, 8)}`, chat_type: 'PrivateChannel', members: [bob.user.id, cy.user.id],
  });
  return { owner, bob, cy, chat, ws: owner.user.workspace_id };
}

// ---------------------------------------------------------------- one appliance and NATS
test('an event is published on NATS on its chat\'s subject after commit, with the whole message', async () => {
  const { owner, chat, ws } = await workspace();
  const sub = natsClient(nats.port);
  await sub.open();
  try {
    const m = await send(A, owner, chat.id, 'hello over NATS', { idempotency_key: 'nats-pub-1' });
    const got = await sub.waitFor((x) => x.json?.t === 1 && x.json?.msg?.id === m.id, { label: `message ${m.id} on NATS` });
    assert.equal(got.subject, `fechatter.${ws}.chat.${chat.id}`);
    assert.equal(got.json.msg.x, 'hello over NATS');
    assert.equal(got.json.msg.k, 'nats-pub-1');
    assert.equal(got.json.msg.sn, 'Olive Owner');
    assert.equal(got.json.c, chat.id);
    assert.equal(got.json.w, ws);
    assert.ok(typeof got.json.o === 'string' && got.json.o.length > 0, 'the origin travels');
    // a personal event: logout-all publishes SessionsRevoked on the user's subject
    const other = await mustSignup(A, { fullname: 'Lou Logout', invite_code: (await createInvite(A, tok(owner))).code });
    assertOk(await A.api('POST', '/api/logout-all', { token: tok(other) }));
    const rev = await sub.waitFor((x) => x.json?.t === 13 && x.json?.u === other.user.id, { label: 'SessionsRevoked on NATS' });
    assert.equal(rev.subject, `fechatter.${ws}.user.${other.user.id}`);
    assert.ok(rev.json.tv >= 1, 'the token version travels');
  } finally {
    sub.close();
  }
});

test('what arrives on NATS from another origin reaches local clients; bad payloads are dropped, the appliance stays up', async () => {
  const { owner, bob, chat, ws } = await workspace();
  const c = await wsConnect(A, { token: tok(bob), name: 'bob@A' });
  const pub = natsClient(nats.port);
  await pub.open();
  try {
    pub.pub(`fechatter.${ws}.chat.${chat.id}`, 'not json at all');
    pub.pub(`fechatter.${ws}.chat.${chat.id}`, '{"o":"x","t":999}');
    pub.pub(`fechatter.${ws}.chat.${chat.id}`, JSON.stringify({
      o: 'another-appliance', t: 11, w: ws, c: chat.id, a: owner.user.id, u: owner.user.id, ad: 1, n: 'Olive Owner',
    }));
    await pub.flush();
    const ev = await c.log.waitFor(isType('typing_status', { chat_id: chat.id }), { label: 'typing from NATS' });
    assert.equal(ev.user_id, owner.user.id);
    assert.equal(ev.user_name, 'Olive Owner');
    assert.equal(ev.is_typing, true);
    assert.equal((await health(A)).components.bus, 'connected');
  } finally {
    pub.close();
    c.close();
  }
});

// ---------------------------------------------------------------- two appliances
test('a message sent on A (HTTP) arrives live on B over WebSocket and SSE, once; the sender\'s socket on A gets it once', async () => {
  const { owner, bob, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob ws@B' });
  const sseB = await sseConnect(B, { token: tok(bob), name: 'bob sse@B' });
  const wsA = await wsConnect(A, { token: tok(owner), name: 'olive ws@A' });
  const m = await send(A, owner, chat.id, 'from A to B', { idempotency_key: 'a-to-b' });
  const e1 = await wsB.log.waitFor(isType('new_message', { id: m.id }), { label: 'new_message on B (WS)' });
  const e2 = await sseB.log.waitFor(isType('new_message', { id: m.id }), { label: 'new_message on B (SSE)' });
  for (const e of [e1, e2]) {
    assert.equal(e.content, 'from A to B');
    assert.equal(e.chat_id, chat.id);
    assert.equal(e.sender.fullname, 'Olive Owner');
    assert.equal(e.idempotency_key, 'a-to-b');
    assert.equal(e.created_at, m.created_at);
  }
  // exactly once on each socket (A does not take its own event back from NATS)
  await barrier(A, wsA);
  await barrier(B, wsB);
  assert.equal(wsA.log.matching(isType('new_message', { id: m.id })).length, 1);
  assert.equal(wsB.log.matching(isType('new_message', { id: m.id })).length, 1);
  wsA.close(); wsB.close(); sseB.close();
});

test('edit, delete and react on B are seen on A', async () => {
  const { owner, bob, chat } = await workspace();
  const wsA = await wsConnect(A, { token: tok(owner), name: 'olive@A' });
  const m = await send(B, bob, chat.id, 'to be edited');
  await wsA.log.waitFor(isType('new_message', { id: m.id }), { label: 'new_message from B' });
  assertOk(await B.api('PATCH', `/api/chat/${chat.id}/messages/${m.id}`, { token: tok(bob), body: { content: 'edited on B' } }));
  const up = await wsA.log.waitFor(isType('message_updated', { id: m.id }), { label: 'message_updated from B' });
  assert.equal(up.content, 'edited on B');
  assert.ok(up.edited_at);
  assertOk(await B.api('POST', `/api/chat/${chat.id}/messages/${m.id}/reactions`, { token: tok(bob), body: { emoji: '👍' } }), 201);
  const r = await wsA.log.waitFor(isType('reaction', { message_id: m.id }), { label: 'reaction from B' });
  assert.equal(r.emoji, '👍');
  assert.equal(r.added, true);
  assert.equal(r.user_id, bob.user.id);
  assertOk(await B.api('DELETE', `/api/chat/${chat.id}/messages/${m.id}`, { token: tok(bob) }));
  await wsA.log.waitFor(isType('message_deleted', { id: m.id, chat_id: chat.id }), { label: 'message_deleted from B' });
  // A's page (read after the events arrived) shows the deletion
  const { data } = await listMessages(A, owner, chat.id);
  const row = data.find((x) => x.id === m.id);
  assert.ok(row && row.deleted, 'the tombstone on A');
  wsA.close();
});

test('typing on A is seen on B (never by the typer)', async () => {
  const { owner, bob, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  const wsA = await wsConnect(A, { token: tok(owner), name: 'olive@A' });
  wsA.send({ op: 'typing', chat_id: chat.id, state: 'start' });
  const t = await wsB.log.waitFor(isType('typing_status', { chat_id: chat.id, user_id: owner.user.id }), { label: 'typing on B' });
  assert.equal(t.is_typing, true);
  assert.equal(t.user_name, 'Olive Owner');
  await barrier(A, wsA);
  assert.equal(wsA.log.matching(isType('typing_status')).length, 0, 'the typer does not hear itself');
  wsA.close(); wsB.close();
});

test('a read marker moved on A moves the unread count read on B (no stale cached count)', async () => {
  const { owner, bob, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  const m1 = await send(A, owner, chat.id, 'one');
  const m2 = await send(A, owner, chat.id, 'two');
  await wsB.log.waitFor(isType('new_message', { id: m2.id }), { label: 'both messages on B' });
  assert.equal((await unreadOf(B, bob, chat.id)).unread_count, 2); // B caches the counts now
  assertOk(await A.api('POST', `/api/chat/${chat.id}/read`, { token: tok(bob), body: { message_id: m1.id } }));
  await wsB.log.waitFor(isType('read', { chat_id: chat.id, user_id: bob.user.id, message_id: m1.id }), { label: 'read on B' });
  assert.equal((await unreadOf(B, bob, chat.id)).unread_count, 1);
  // and a message from A raises it on B again
  const m3 = await send(A, owner, chat.id, 'three');
  await wsB.log.waitFor(isType('new_message', { id: m3.id }), { label: 'third message on B' });
  assert.equal((await unreadOf(B, bob, chat.id)).unread_count, 2);
  wsB.close();
});

test('the cached first page on B shows a message sent on A right after (no stale page)', async () => {
  const { owner, bob, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  const m1 = await send(A, owner, chat.id, 'before');
  await wsB.log.waitFor(isType('new_message', { id: m1.id }), { label: 'first message on B' });
  // twice: the second read is served from B's cache
  for (let i = 0; i < 2; i++) assert.equal((await listMessages(B, bob, chat.id)).data[0].id, m1.id);
  const m2 = await send(A, owner, chat.id, 'after');
  await wsB.log.waitFor(isType('new_message', { id: m2.id }), { label: 'second message on B' });
  const { data } = await listMessages(B, bob, chat.id);
  assert.equal(data[0].id, m2.id, 'B\'s first page has the message sent on A');
  assert.equal(data[0].content, 'after');
  // an edit on A too
  assertOk(await A.api('PATCH', `/api/chat/${chat.id}/messages/${m2.id}`, { token: tok(owner), body: { content: 'after, edited' } }));
  await wsB.log.waitFor(isType('message_updated', { id: m2.id }), { label: 'edit on B' });
  assert.equal((await listMessages(B, bob, chat.id)).data[0].content, 'after, edited');
  wsB.close();
});

test('a suspension on A closes the user\'s WebSocket and SSE on B, and B refuses the old token at once', async () => {
  const { owner, bob } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob ws@B' });
  const sseB = await sseConnect(B, { token: tok(bob), name: 'bob sse@B' });
  // B has checked (and cached) Bob's account state
  assertOk(await B.api('GET', '/api/unread-counts', { token: tok(bob) }));
  assertOk(await A.api('PATCH', `/api/workspace/users/${bob.user.id}`, { token: tok(owner), body: { status: 'Suspended' } }));
  const closed = await wsB.closed;
  assert.equal(closed.code, 4001);
  assert.ok(wsB.log.matching((e) => e.type === 'error' && e.error?.code === 'TOKEN_REVOKED').length === 1);
  await sseB.log.waitEnd({ label: 'the end of the SSE stream on B' });
  assert.ok(sseB.log.matching((e) => e.type === 'error' && e.error?.code === 'TOKEN_REVOKED').length === 1);
  const r = await B.api('GET', '/api/unread-counts', { token: tok(bob) });
  assert.equal(r.status, 401, `B refuses the suspended user's token: ${r.status} ${r.text.slice(0, 200)}`);
});

test('presence: a user connecting on B is seen online by a member connected to A', async () => {
  const { owner, bob, cy, chat } = await workspace();
  const wsA = await wsConnect(A, { token: tok(owner), name: 'olive@A' });
  const wsB = await wsConnect(B, { token: tok(cy), name: 'cy@B' });
  const p = await wsA.log.waitFor(isType('presence', { user_id: cy.user.id, status: 'online' }), { label: 'cy online, seen on A' });
  assert.ok(p.last_seen);
  wsB.close();
  await wsA.log.waitFor(isType('presence', { user_id: cy.user.id, status: 'offline' }), { label: 'cy offline, seen on A' });
  // connected to both: leaving B is no "offline" on A, where cy is still connected
  const cyA = await wsConnect(A, { token: tok(cy), name: 'cy@A' });
  const cyB = await wsConnect(B, { token: tok(cy), name: 'cy@B (2)' });
  const bobB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  const since = wsA.log.mark();
  cyB.close();
  // B handled the close once its own watcher heard cy go (B holds none of cy's connections)
  await bobB.log.waitFor(isType('presence', { user_id: cy.user.id, status: 'offline' }), { label: 'cy offline on B' });
  await busBarrier(B, bob, chat, wsA);
  assert.equal(wsA.log.matching(isType('presence', { user_id: cy.user.id, status: 'offline' }), since).length, 0,
    'no offline on A while cy is connected there');
  cyA.close();
  await wsA.log.waitFor(isType('presence', { user_id: cy.user.id, status: 'offline' }), { since, label: 'cy offline on A once gone from A' });
  wsA.close(); bobB.close();
});

test('an SSE client moving from A to B with A\'s Last-Event-ID starts with resync, then gets live events', async () => {
  const { owner, bob, chat } = await workspace();
  const onA = await sseConnect(A, { token: tok(bob), name: 'bob sse@A' });
  const m1 = await send(A, owner, chat.id, 'seen on A');
  const e1 = await onA.log.waitFor(isType('new_message', { id: m1.id }), { label: 'the message on A' });
  assert.ok(e1.__id, 'SSE events carry ids');
  onA.close(); // A "goes away" for this client
  const m2 = await send(A, owner, chat.id, 'sent while moving');
  const onB = await sseConnect(B, { token: tok(bob), name: 'bob sse@B', lastEventId: e1.__id });
  const rs = await onB.log.waitFor(isType('resync'), { label: 'resync on B' });
  await barrier(B, onB);
  const first = onB.log.events.filter((e) => e.type !== 'connection_confirmed' && e.type !== 'presence');
  assert.equal(first[0], rs, `B starts the stream with resync, no replay of its own numbering: ${JSON.stringify(first.slice(0, 3))}`);
  // the catch-up is over HTTP: m2 is there
  const { data } = await listMessages(B, bob, chat.id);
  assert.ok(data.some((x) => x.id === m2.id), 'the message sent meanwhile is on B\'s page');
  const m3 = await send(A, owner, chat.id, 'live again');
  await onB.log.waitFor(isType('new_message', { id: m3.id }), { label: 'live on B after the move' });
  onB.close();
});

// An in-band barrier across the bus: NATS keeps one publisher's order and B
// handles what arrives in that order, so once a message sent on A after
// some change has reached a socket on B, B has handled the change's event.
async function busBarrier(from, sender, chat, to) {
  const m = await send(from, sender, chat.id, `barrier ${Math.random().toString(36).slice(2, 8)}`);
  await to.log.waitFor(isType('new_message', { id: m.id }), { label: 'the barrier message' });
}

test('logout-all on A closes the user\'s WebSocket on B; a role change on A applies on B once its event arrived', async () => {
  const { owner, bob, cy, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(cy), name: 'cy@B' });
  assertOk(await A.api('POST', '/api/logout-all', { token: tok(cy) }));
  assert.equal((await wsB.closed).code, 4001);
  // role: Bob made admin on A may create invites on B, and not after being made member again
  const bobB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  assert.equal((await B.api('POST', '/api/workspace/invites', { token: tok(bob), body: {} })).status, 403); // B caches Bob's state
  assertOk(await A.api('PATCH', `/api/workspace/users/${bob.user.id}`, { token: tok(owner), body: { role: 'admin' } }));
  await busBarrier(A, owner, chat, bobB);
  const afterPromote = await B.api('POST', '/api/workspace/invites', { token: tok(bob), body: {} });
  assert.equal(afterPromote.status, 201, `admin on B: ${afterPromote.text.slice(0, 200)}`);
  assertOk(await A.api('PATCH', `/api/workspace/users/${bob.user.id}`, { token: tok(owner), body: { role: 'member' } }));
  await busBarrier(A, owner, chat, bobB);
  const afterDemote = await B.api('POST', '/api/workspace/invites', { token: tok(bob), body: {} });
  assert.equal(afterDemote.status, 403, `member again on B: ${afterDemote.text.slice(0, 200)}`);
  assert.equal(bobB.ws.readyState, 1, 'a role change closes no stream');
  bobB.close();
});

test('a profile change, a sign-up and a workspace rename on A are seen on B\'s cached pages', async () => {
  const { owner, bob, chat } = await workspace();
  const wsB = await wsConnect(B, { token: tok(bob), name: 'bob@B' });
  const m = await send(A, owner, chat.id, 'signed by Olive');
  await wsB.log.waitFor(isType('new_message', { id: m.id }), { label: 'the message on B' });
  // B caches its pages (each read twice: the second from the cache)
  for (let i = 0; i < 2; i++) {
    assert.equal((await listMessages(B, bob, chat.id)).data[0].sender.fullname, 'Olive Owner');
    assertOk(await B.api('GET', '/api/users', { token: tok(bob) }));
    assertOk(await B.api('GET', '/api/workspace', { token: tok(bob) }));
  }
  const before = assertOk(await B.api('GET', '/api/workspace', { token: tok(bob) }));
  assertOk(await A.api('PUT', '/api/users/profile', { token: tok(owner), body: { fullname: 'Olive Renamed' } }));
  const newcomer = await mustSignup(A, { fullname: 'Nina Newcomer', invite_code: (await createInvite(A, tok(owner))).code });
  const wsName = `Renamed-${Math.random().toString(36).slice(2, 8)}`;
  assertOk(await A.api('PATCH', '/api/workspace', { token: tok(owner), body: { name: wsName } }));
  // barrier: a typing event from A (it invalidates nothing itself) reaching B
  assertOk(await A.api('POST', `/api/chat/${chat.id}/typing/start`, { token: tok(owner) }));
  await wsB.log.waitFor(isType('typing_status', { chat_id: chat.id, user_id: owner.user.id }), { label: 'the typing barrier' });
  assert.equal((await listMessages(B, bob, chat.id)).data[0].sender.fullname, 'Olive Renamed', 'the message page on B has the new name');
  const users = assertOk(await B.api('GET', '/api/users', { token: tok(bob) }));
  const list = Array.isArray(users) ? users : users.users ?? users.data ?? [];
  assert.ok(JSON.stringify(list).includes('Nina Newcomer'), `the user list on B has the newcomer ${newcomer.user.id}`);
  assert.ok(JSON.stringify(list).includes('Olive Renamed'), 'the user list on B has the new name');
  const w = assertOk(await B.api('GET', '/api/workspace', { token: tok(bob) }));
  assert.equal(w.name, wsName, 'the workspace name on B');
  assert.equal(w.member_count, before.member_count + 1, 'the member count on B');
  wsB.close();
});

// ---------------------------------------------------------------- the link
function spawnNats(port) {
  const bin = ['/usr/bin/nats-server', '/usr/sbin/nats-server'].find((p) => existsSync(p)) || 'nats-server';
  const proc = spawn(bin, ['-a', HOST, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const ready = (async () => {
    for (let i = 0; i < 200 && !err.includes('Server is ready'); i++) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited: ${err}`);
      await sleep(50);
    }
    if (!err.includes('Server is ready')) throw new Error(`nats-server did not start: ${err}`);
  })();
  return {
    ready,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}

test('NATS going away: /health says reconnecting (degraded); back: connected, clients get a resync and the caches start over', async () => {
  const port = await freePort();
  let n = spawnNats(port);
  await n.ready;
  const [a, b] = await startPair(`nats://${HOST}:${port}`);
  try {
    for (const srv of [a, b]) {
      const h = await health(srv);
      assert.equal(h.components.bus, 'connected');
      assert.equal(h.status, 'healthy');
    }
    const { owner, bob, chat } = await (async () => {
      const o = await mustSignup(a, { fullname: 'Rhea Resync', workspace_name: `Resync-${Math.random().toString(36).slice(2, 8)}` });
      const inv = await createInvite(a, tok(o), { max_uses: 5 });
      const bb = await mustSignup(a, { fullname: 'Bob Behind', invite_code: inv.code });
      const c = await createChat(a, o, { name: 'resync', chat_type: 'PrivateChannel', members: [bb.user.id] });
      return { owner: o, bob: bb, chat: c };
    })();
    const wsA = await wsConnect(a, { token: tok(owner), name: 'rhea@A' });
    const wsB = await wsConnect(b, { token: tok(bob), name: 'bob@B' });
    const sseB = await sseConnect(b, { token: tok(bob), name: 'bob sse@B' });
    const m0 = await send(a, owner, chat.id, 'before the outage');
    await wsB.log.waitFor(isType('new_message', { id: m0.id }), { label: 'the first message on B' });
    for (let i = 0; i < 2; i++) assert.equal((await listMessages(b, bob, chat.id)).data[0].id, m0.id); // cached on B
    await n.stop();
    for (const srv of [a, b]) {
      const h = await until(async () => {
        const r = await srv.api('GET', '/health');
        return r.json?.components?.bus === 'reconnecting' ? r : null;
      }, { label: '/health: bus reconnecting' });
      assert.equal(h.status, 200);
      assert.equal(h.json.status, 'degraded');
    }
    // A keeps serving: the send commits and reaches A's own clients; B misses its event
    const m1 = await send(a, owner, chat.id, 'during the outage');
    await wsA.log.waitFor(isType('new_message', { id: m1.id }), { label: 'local delivery on A without NATS' });
    n = spawnNats(port);
    await n.ready;
    await wsB.log.waitFor(isType('resync'), { timeoutMs: 15000, label: 'resync on B after the reconnection' });
    await sseB.log.waitFor(isType('resync'), { label: 'resync on B (SSE)' });
    await wsA.log.waitFor(isType('resync'), { timeoutMs: 15000, label: 'resync on A after the reconnection' });
    // B's cache started over: its first page has what it missed
    const { data } = await listMessages(b, bob, chat.id);
    assert.equal(data[0].id, m1.id, 'B serves no stale page after the outage');
    for (const srv of [a, b]) {
      const h = await health(srv);
      assert.equal(h.components.bus, 'connected');
      assert.equal(h.status, 'healthy');
    }
    wsA.close(); wsB.close(); sseB.close();
  } finally {
    await a.stop();
    await b.stop();
    await n.stop();
  }
});

test('start-up with NATS unreachable fails at once with a clear message (exit 1)', async () => {
  const port = await freePort(); // nothing listens there
  const r = await runBin(['serve', '--bind', HOST, '--port', String(await freePort()), '--data', makeTempDir(),
    '--bus', 'nats', '--nats-url', `nats://${HOST}:${port}`], { timeoutMs: 20000 });
  assert.equal(r.code, 1, `exit code: ${JSON.stringify(r).slice(0, 500)}`);
  assert.match(r.stderr + r.stdout, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
});
