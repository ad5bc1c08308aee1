// Failover (issue 15, item 7: reconnecting elsewhere). Two appliances A and B
// on one PostgreSQL and one NATS. Clients on A send under load (a bounded
// count: WebSocket sends with idempotency keys, a window of several in
// flight, and one client over HTTP); when about a third is acknowledged A is
// killed with kill -9. Each client then does what the web client does: it
// reconnects to B, sends again what was not acknowledged with the same
// idempotency keys, sends the rest, and catches up through the API
// (GET /api/chat/{id}/messages?after=<last id it saw live>). Then:
//  - every acknowledged message (WebSocket ack or HTTP 201/200) is on B
//    exactly once, with the id it was acknowledged with;
//  - each sender's messages are in the order it sent them;
//  - every client's view (live events + the catch-up pages) holds every
//    acknowledged message;
//  - B kept serving throughout: its readiness answered 200 to every poll,
//    and a WebSocket client on B stayed open and answers an in-band ping.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertOk, mustSignup, createInvite, PASSWORD, sleep, scaled,
} from '../e2e/lib/server.mjs';
import { wsConnect, closeAll, isType } from '../e2e/lib/rt.mjs';
import { startCluster } from './lib/cluster.mjs';

const WS_SENDERS = 4;
const PER_SENDER = 60;
const HTTP_PER_SENDER = 40;
const WINDOW = 6; // sends in flight per WebSocket
const KILL_AFTER = Math.floor((WS_SENDERS * PER_SENDER + HTTP_PER_SENDER) / 3);

after(() => closeAll());

// A token valid on srv for user u: the one issued by another appliance when
// the cluster shares its signing key, else a fresh sign-in on srv (what a
// client does when its token is refused).
async function tokenOn(srv, u) {
  const me = await srv.api('GET', '/api/users/me', { token: u.access_token });
  if (me.status === 200) return u.access_token;
  const r = await srv.api('POST', '/api/signin', { body: { email: u.email, password: PASSWORD } });
  return assertOk(r, 200).access_token;
}

// Reads the whole timeline of a chat forwards with after= (each page is the
// `limit` messages right after the cursor, newest first).
async function pageAfter(srv, token, chatId, afterId) {
  const out = [];
  let cursor = afterId;
  for (let guard = 0; guard < 1000; guard++) {
    const r = await srv.api('GET', `/api/chat/${chatId}/messages?limit=100&after=${cursor}`, { token });
    const page = assertOk(r, 200);
    const msgs = Array.isArray(page) ? page : page.messages ?? page.items ?? [];
    if (msgs.length === 0) break;
    const asc = [...msgs].sort((a, b) => a.id - b.id);
    assert.ok(asc[0].id > cursor, `after=${cursor} answered id ${asc[0].id}`);
    out.push(...asc);
    cursor = asc.at(-1).id;
    if (msgs.length < 100) break;
  }
  return out;
}

// One WebSocket sender: keys k0..k(n-1) sent in order, WINDOW in flight.
class WsSender {
  constructor(name, user, chatId, n) {
    this.name = name;
    this.user = user;
    this.chatId = chatId;
    this.keys = Array.from({ length: n }, (_, i) => `${name}-${process.pid}-${i}`);
    this.next = 0; // index of the next key never sent
    this.inflight = new Map(); // key -> index
    this.acked = new Map(); // key -> message id
    this.errors = [];
    this.live = new Map(); // id -> message seen live (new_message)
    this.lastLiveBeforeKill = 0;
    this.resent = 0; // sends in flight when a connection ended
  }

  // Runs on client c until every key is acknowledged (resolves 'done') or
  // the connection ends (resolves 'closed'); unacknowledged sends go back
  // into the queue, in order, for the next connection.
  pump(c, onAck) {
    return new Promise((resolve) => {
      const fill = () => {
        while (this.inflight.size < WINDOW && this.next < this.keys.length && c.ws.readyState === 1) {
          const key = this.keys[this.next];
          this.inflight.set(key, this.next);
          this.next += 1;
          c.send({ op: 'send', chat_id: this.chatId, content: `${key} payload`, idempotency_key: key });
        }
        if (this.acked.size === this.keys.length) resolve('done');
      };
      c.ws.on('message', (data) => {
        let ev;
        try { ev = JSON.parse(String(data)); } catch { return; }
        if (ev.type === 'new_message' && ev.chat_id === this.chatId) this.live.set(ev.id, ev);
        if (ev.type === 'ack' && this.inflight.has(ev.idempotency_key)) {
          this.inflight.delete(ev.idempotency_key);
          this.acked.set(ev.idempotency_key, ev.message.id);
          onAck();
          fill();
        } else if (ev.type === 'error' && ev.op === 'send') {
          this.errors.push(ev);
        }
      });
      c.closed.then(() => {
        // what was in flight was not acknowledged: send it again, same keys
        const back = [...this.inflight.values()].sort((a, b) => a - b);
        this.resent += back.length;
        this.inflight.clear();
        if (back.length) this.next = Math.min(this.next, back[0]);
        // keys between back[0] and next that were acknowledged are sent again
        // too (harmless: a replayed key is acknowledged with the stored message)
        resolve('closed');
      });
      fill();
    });
  }
}

describe('failover: kill -9 an appliance under load, clients move to the other', () => {
  test('nothing acknowledged is lost, nothing is doubled, order holds, B serves throughout', { timeout: scaled(240000) }, async () => {
    const c = await startCluster({ n: 2, args: ['--registration', 'open'] });
    const [A, B] = c.apps;
    let polling = true;
    const pollFailures = [];
    let polls = 0;
    try {
      // a workspace on A, every account signed up there
      const owner = await mustSignup(A, { fullname: 'Olive Owner', workspace_name: `Failover-${process.pid}` });
      const invite = await createInvite(A, owner.access_token, { max_uses: 50 });
      const users = [];
      for (let i = 0; i < WS_SENDERS + 1; i++) users.push(await mustSignup(A, { fullname: `Sender ${i}`, invite_code: invite.code }));
      const chat = assertOk(await A.api('POST', '/api/workspace/chats', {
        token: owner.access_token,
        body: { chat_type: 'Group', name: `failover-${Date.now()}`, members: users.map((u) => u.user.id) },
      }), 201);

      // B must see the same workspace (shared store) before the load starts
      const ownerOnB = await tokenOn(B, owner);
      assertOk(await B.api('GET', `/api/chat/${chat.id}/messages?limit=1`, { token: ownerOnB }), 200);

      // B serves throughout: readiness polled back to back, and a WebSocket on B
      const observer = await wsConnect(B, { token: ownerOnB, name: 'observer on B' });
      const poller = (async () => {
        while (polling) {
          polls += 1;
          try {
            const r = await fetch(`${B.url}/health/readiness`, { signal: AbortSignal.timeout(scaled(5000)) });
            await r.arrayBuffer();
            if (r.status !== 200) pollFailures.push(`status ${r.status}`);
          } catch (e) {
            pollFailures.push(e.cause?.code || e.message);
          }
          await sleep(20);
        }
      })();

      // the load on A
      const senders = users.slice(0, WS_SENDERS).map((u, i) => new WsSender(`ws${i}`, u, chat.id, PER_SENDER));
      const httpUser = users[WS_SENDERS];
      const httpKeys = Array.from({ length: HTTP_PER_SENDER }, (_, i) => `http-${process.pid}-${i}`);
      const httpAcked = new Map();
      let acks = 0;
      let killed = null;
      const onAck = () => {
        acks += 1;
        if (acks >= KILL_AFTER && !killed) killed = c.kill(0);
      };
      const conns = await Promise.all(senders.map((s) => wsConnect(A, { token: s.user.access_token, name: `${s.name} on A` })));
      const httpSend = async (srv, token, i) => {
        const r = await srv.api('POST', `/api/chat/${chat.id}/messages`, {
          token, body: { content: `${httpKeys[i]} payload`, idempotency_key: httpKeys[i] }, timeoutMs: 10000,
        });
        if (r.status !== 201 && r.status !== 200) throw new Error(`HTTP send ${i}: ${r.status} ${r.text.slice(0, 200)}`);
        httpAcked.set(httpKeys[i], r.json.data.id);
        onAck();
      };
      const httpOnA = (async () => {
        let i = 0;
        for (; i < httpKeys.length; i++) {
          try { await httpSend(A, httpUser.access_token, i); } catch { break; } // A went away: not acknowledged
        }
        return i;
      })();
      const firstRound = await Promise.all(senders.map((s, i) => s.pump(conns[i], onAck)));
      const httpNext = await httpOnA;
      if (!killed) killed = c.kill(0); // the load was too quick: kill now (the rest still moves to B)
      await killed;
      assert.ok(A.hasExited(), 'A is gone');
      const ackedOnA = acks;
      for (const s of senders) s.lastLiveBeforeKill = Math.max(0, ...s.live.keys());

      // every client moves to B: reconnects, sends the rest again, catches up
      const secondRound = await Promise.all(senders.map(async (s) => {
        const token = await tokenOn(B, s.user);
        s.tokenB = token;
        const conn = await wsConnect(B, { token, name: `${s.name} on B` });
        const how = await s.pump(conn, onAck);
        s.page = await pageAfter(B, token, chat.id, s.lastLiveBeforeKill);
        return how;
      }));
      const httpTokenB = await tokenOn(B, httpUser);
      for (let i = httpNext; i < httpKeys.length; i++) await httpSend(B, httpTokenB, i);
      assert.deepEqual(secondRound, senders.map(() => 'done'), `every sender finished on B (first round on A: ${firstRound})`);
      for (const s of senders) assert.deepEqual(s.errors, [], `${s.name}: no send refused`);

      polling = false;
      await poller;

      // the whole timeline, read on B
      const all = await pageAfter(B, ownerOnB, chat.id, 0);
      const byKey = new Map();
      for (const m of all) {
        if (!m.idempotency_key) continue;
        byKey.set(m.idempotency_key, [...(byKey.get(m.idempotency_key) ?? []), m]);
      }
      const ids = all.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, 'no message id twice in the timeline');
      const check = (key, ackedId, what) => {
        const found = byKey.get(key) ?? [];
        assert.equal(found.length, 1, `${what} ${key} (acknowledged as ${ackedId}) is on B exactly once: ${found.length}`);
        assert.equal(found[0].id, ackedId, `${key}: the id it was acknowledged with`);
        assert.equal(found[0].content, `${key} payload`);
      };
      for (const s of senders) {
        assert.equal(s.acked.size, PER_SENDER, `${s.name}: every send acknowledged in the end`);
        for (const [key, id] of s.acked) check(key, id, 'WebSocket send');
        // in the order sent
        const order = s.keys.map((k) => byKey.get(k)[0].id);
        for (let i = 1; i < order.length; i++) assert.ok(order[i] > order[i - 1], `${s.name}: message ${i} after ${i - 1} (${order[i - 1]} < ${order[i]})`);
      }
      assert.equal(httpAcked.size, HTTP_PER_SENDER, 'every HTTP send acknowledged in the end');
      for (const [key, id] of httpAcked) check(key, id, 'HTTP send');
      const httpOrder = httpKeys.map((k) => byKey.get(k)[0].id);
      for (let i = 1; i < httpOrder.length; i++) assert.ok(httpOrder[i] > httpOrder[i - 1], `HTTP sender: message ${i} after ${i - 1}`);
      assert.equal(all.length, WS_SENDERS * PER_SENDER + HTTP_PER_SENDER, 'nothing else in the chat');

      // each client's view: what it saw live plus what it paged after the
      // last id it saw live before A went away
      const everyAcked = [...senders.flatMap((s) => [...s.acked.values()]), ...httpAcked.values()];
      for (const s of senders) {
        const view = new Set([...s.live.keys(), ...s.page.map((m) => m.id)]);
        const missing = everyAcked.filter((id) => !view.has(id));
        assert.deepEqual(missing, [], `${s.name} caught up on B (after=${s.lastLiveBeforeKill}): missing ${missing.length}`);
      }

      // B served throughout
      assert.ok(polls > 0);
      assert.deepEqual(pollFailures, [], `B's readiness during the failover (${polls} polls)`);
      assert.equal(observer.ws.readyState, 1, 'the WebSocket on B is still open');
      const mark = observer.log.mark();
      observer.send({ op: 'ping' });
      await observer.log.waitFor(isType('pong'), { since: mark, timeoutMs: 10000, label: 'pong from B' });
      assert.ok(ackedOnA >= 1, `some sends were acknowledged by A before it died (${ackedOnA})`);
      const resent = senders.reduce((n, s) => n + s.resent, 0);
      console.log(`# failover: ${ackedOnA} acknowledged on A before kill -9, ${resent} WebSocket sends in flight then (sent again on B),`
        + ` ${HTTP_PER_SENDER - httpNext} HTTP sends moved to B, ${all.length} messages on B, each once; B readiness polled ${polls} times, 0 failures`);
    } finally {
      polling = false;
      closeAll();
      await c.stop();
    }
  });
});
