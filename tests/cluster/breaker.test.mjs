// The PostgreSQL store's circuit breaker (issue 15): one appliance
// (build/fechatter-cluster, FECHATTER_BIN) on a private PostgreSQL; the
// database is killed (SIGKILL) under a stream of sends and started again.
// While it is away: /health is 200 "degraded" with a reason and
// components.store "down", sends answer 503 SERVICE_UNAVAILABLE, a cached
// page of messages is still served. Once it is back: the same process (no
// restart) accepts sends again, and every send it acknowledged, before,
// during or after the outage, is in the database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres } from './lib/services.mjs';
import { startServer, mustSignup, assertOk } from '../e2e/lib/server.mjs';

// Polls fn until it returns a truthy value; bounded in tries (no timing
// assertion: the bound only stops a hung run).
async function until(fn, label, tries = 400) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${label}`);
}

describe('postgres circuit breaker', () => {
  let pg;
  let srv;
  let owner;
  let chatId;
  let streamChat;
  before(async () => {
    pg = await startPostgres();
    const url = pg.createDb('breaker');
    srv = await startServer({ args: ['--store', 'postgres', '--pg-url', url] });
    owner = await mustSignup(srv, { workspace_name: 'Breaker' });
    const chat = assertOk(await srv.api('POST', '/api/workspace/chats', {
      token: owner.access_token,
      body: { chat_type: 'PublicChannel', name: 'outage', members: [] },
    }), 201);
    chatId = chat.id;
    streamChat = assertOk(await srv.api('POST', '/api/workspace/chats', {
      token: owner.access_token,
      body: { chat_type: 'PublicChannel', name: 'stream', members: [] },
    }), 201).id;
  });
  after(async () => {
    await srv?.stop();
    await pg?.stop();
  });

  test('database killed under sends: degraded, 503 with a code, cached reads, recovery, nothing acknowledged lost', async (t) => {
    const acked = new Set();
    const codes = new Map();
    let seq = 0;
    const sendOne = async (chat = chatId) => {
      const key = `br-${++seq}`;
      let r;
      try {
        r = await srv.api('POST', `/api/chat/${chat}/messages`, {
          token: owner.access_token, body: { content: `message ${key}`, idempotency_key: key }, timeoutMs: 10000,
        });
      } catch (e) {
        codes.set('network', (codes.get('network') ?? 0) + 1);
        return { status: 0 };
      }
      if (r.status === 201 || r.status === 200) acked.add(key);
      else codes.set(`${r.status} ${r.json?.error?.code}`, (codes.get(`${r.status} ${r.json?.error?.code}`) ?? 0) + 1);
      return r;
    };
    // a stream of sends to another chat beside the test's own steps (so
    // that the page cached below is not invalidated by them), bounded in count
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; i < 2000 && streaming; i++) {
        await sendOne(streamChat);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    for (let i = 0; i < 5; i++) assert.equal((await sendOne()).status, 201, 'sends work before the outage');
    // the first page, read twice: the second comes from the cache
    const page = `/api/chat/${chatId}/messages?limit=20`;
    assertOk(await srv.api('GET', page, { token: owner.access_token }));
    const before = assertOk(await srv.api('GET', page, { token: owner.access_token }));
    assert.ok(before.length > 0);

    await pg.kill();
    const health = await until(async () => {
      const r = await srv.api('GET', '/health');
      return r.json?.status === 'degraded' ? r : null;
    }, '/health degraded');
    assert.equal(health.status, 200);
    assert.equal(health.json.components.store, 'down');
    assert.match(health.json.reason, /PostgreSQL/);
    const ready = await srv.api('GET', '/health/readiness');
    assert.equal(ready.status, 503, 'not ready while the database is away');

    // a send now: refused with a code (the breaker is open)
    const refused = await until(async () => {
      const r = await sendOne(streamChat);
      return r.status === 503 ? r : null;
    }, 'a 503 send');
    assert.equal(refused.json.error.code, 'SERVICE_UNAVAILABLE');

    // the page cached before the outage still answers (no send to its chat
    // succeeded since, so nothing invalidated it)
    const cached = await srv.api('GET', page, { token: owner.access_token });
    assert.equal(cached.status, 200, 'the cached page is served during the outage');

    await pg.start();
    await until(async () => (await srv.api('GET', '/health')).json?.status === 'healthy', '/health healthy again');
    const okAgain = await until(async () => {
      const r = await sendOne();
      return r.status === 201 ? r : null;
    }, 'a send accepted after recovery');
    assert.ok(okAgain.json.data?.id ?? okAgain.json.id);
    assert.equal(srv.hasExited(), false, 'recovered without a restart');

    streaming = false;
    await stream;
    const stored = new Set(pg.psql('breaker', "SELECT idempotency_key FROM messages WHERE idempotency_key LIKE 'br-%'")
      .split('\n').filter(Boolean));
    const lost = [...acked].filter((k) => !stored.has(k));
    t.diagnostic(`${seq} sends: ${acked.size} acknowledged, ${stored.size} stored; refused: ${JSON.stringify(Object.fromEntries(codes))}`);
    assert.deepEqual(lost, [], 'every acknowledged send is stored');
    assert.ok(codes.get('503 SERVICE_UNAVAILABLE') > 0, 'sends were refused with 503 during the outage');
  });
});
