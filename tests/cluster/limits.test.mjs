// Shared limits (issue 15, item 4): in a cluster the sign-in/sign-up rate
// limits and the per-user limits hold as one, whichever appliance answers
// (adapters/pg_counters: the counters live in PostgreSQL). Requests go to
// appliances A and B in turn; with a limit of L per minute, the first L are
// answered as usual and the next one is 429 RATE_LIMITED, on either
// appliance. (The two-bucket sliding window may let one more through right
// at a minute boundary, as on a single box: tests/e2e/proxy.test.mjs.)
// Without shared counters each appliance would let L through, 2 L in all.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertOk, mustSignup, uniqueEmail, PASSWORD,
} from '../e2e/lib/server.mjs';
import { startCluster } from './lib/cluster.mjs';
import { startPostgres, startNats } from './lib/services.mjs';

let pg;
let nats;
async function services() {
  if (!pg) pg = await startPostgres();
  if (!nats) nats = await startNats();
  return { pg, nats };
}
after(async () => {
  if (nats) await nats.stop();
  if (pg) await pg.stop();
});

// Calls attempt(app, i) on A, B, A, B ... until a 429 or limit + 2 calls.
// Asserts the first `limit` answers are `okStatus` and the last is 429
// RATE_LIMITED with a Retry-After; returns the statuses with the appliance.
async function limitedAsOne(apps, limit, okStatus, attempt, what) {
  const seen = [];
  let last;
  for (let i = 0; i < limit + 2; i++) {
    const srv = apps[i % apps.length];
    last = await attempt(srv, i);
    seen.push(`${srv.name}:${last.status}`);
    if (last.status === 429) break;
  }
  const statuses = seen.map((s) => Number(s.split(':')[1]));
  assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(okStatus),
    `${what}: the first ${limit} over the cluster are answered as usual: ${seen.join(' ')}`);
  assert.equal(last.status, 429, `${what}: limited as one after ${limit} over A and B: ${seen.join(' ')}`);
  assert.equal(last.json?.error?.code, 'RATE_LIMITED', last.text);
  const ra = Number(last.headers.get('retry-after'));
  assert.ok(ra >= 1 && ra <= 61, `Retry-After ${last.headers.get('retry-after')}`);
  return seen;
}

describe('rate limits shared by the appliances of a cluster', () => {
  test('sign-in per client address: --login-rate-ip 5 over A and B is one limit of 5', async () => {
    const c = await startCluster({ ...(await services()), env: { FECHATTER_LOGIN_RATE_IP: '5' } });
    try {
      const seen = await limitedAsOne(c.apps, 5, 401, (srv, i) => srv.api('POST', '/api/signin', {
        body: { email: `nobody${i}@example.test`, password: 'wrong password' },
      }), 'failed sign-ins from 127.0.0.1');
      // both appliances took part before the refusal
      assert.ok(seen.some((s) => s.startsWith('A:')) && seen.some((s) => s.startsWith('B:')), seen.join(' '));
      // and the refusal holds on both now
      for (const srv of c.apps) {
        const r = await srv.api('POST', '/api/signin', { body: { email: 'x@example.test', password: 'wrong password' } });
        assert.equal(r.status, 429, `${srv.name} refuses too: ${r.text}`);
      }
    } finally {
      await c.stop();
    }
  });

  test('sign-in per account: --login-rate-account 3 over A and B is one limit of 3', async () => {
    const c = await startCluster({
      ...(await services()),
      env: { FECHATTER_LOGIN_RATE_ACCOUNT: '3' },
      args: ['--registration', 'open'],
    });
    try {
      const email = uniqueEmail('victim');
      await limitedAsOne(c.apps, 3, 401, (srv) => srv.api('POST', '/api/signin', {
        body: { email, password: 'wrong password' },
      }), `failed sign-ins for ${email}`);
      // another account from the same address is not limited (per account)
      const r = await c.apps[1].api('POST', '/api/signin', { body: { email: uniqueEmail('other'), password: 'wrong password' } });
      assert.equal(r.status, 401, r.text);
    } finally {
      await c.stop();
    }
  });

  test('sign-up per client address counts over A and B', async () => {
    const c = await startCluster({
      ...(await services()),
      env: { FECHATTER_LOGIN_RATE_IP: '4' },
      args: ['--registration', 'open'],
    });
    try {
      // invalid sign-ups (a short password) are counted as attempts too
      await limitedAsOne(c.apps, 4, 400, (srv) => srv.api('POST', '/api/signup', {
        body: { email: uniqueEmail(), password: 'short', fullname: 'Rate Limited' },
      }), 'sign-ups from 127.0.0.1');
    } finally {
      await c.stop();
    }
  });

  test('per-user send rate: --send-rate 5 over A and B is one limit of 5 (needs the shared store)', async () => {
    const c = await startCluster({
      ...(await services()),
      env: { FECHATTER_SEND_RATE: '5' },
      args: ['--registration', 'open'],
    });
    try {
      const [A, B] = c.apps;
      const u = await mustSignup(A, { fullname: 'Sam Sender', workspace_name: `Limits-${process.pid}` });
      // the same account on B (a shared store): signed in there
      const onB = await B.api('POST', '/api/signin', { body: { email: u.email, password: PASSWORD } });
      assert.equal(onB.status, 200, `the account made on A signs in on B (shared store): ${onB.text}`);
      const tokens = { A: u.access_token, B: onB.json.data.access_token };
      const chat = assertOk(await A.api('POST', '/api/workspace/chats', {
        token: tokens.A, body: { name: `limits-${Date.now()}`, chat_type: 'PublicChannel', members: [] },
      }), 201);
      await limitedAsOne(c.apps, 5, 201, (srv, i) => srv.api('POST', `/api/chat/${chat.id}/messages`, {
        token: tokens[srv.name], body: { content: `message ${i}` },
      }), 'sends by one user');
    } finally {
      await c.stop();
    }
  });

  test('while PostgreSQL is away each appliance limits on its own, and both answer when it is back', { timeout: 120000 }, async () => {
    // its own PostgreSQL: this test stops it
    const c = await startCluster({ env: { FECHATTER_LOGIN_RATE_IP: '3' } });
    try {
      await c.pg.stop();
      const attempt = (srv) => srv.api('POST', '/api/signin', { body: { email: 'nobody@example.test', password: 'wrong password' } });
      for (const srv of c.apps) {
        // sign-in cannot succeed without the database, but the limiter still
        // counts (in this appliance's own window): 3 answers, then 429
        const seen = [];
        let last;
        for (let i = 0; i < 5; i++) {
          last = await attempt(srv);
          seen.push(last.status);
          if (last.status === 429) break;
        }
        assert.ok(seen.slice(0, 3).every((st) => st !== 429), `${srv.name}: its own budget of 3 while the database is away: ${seen}`);
        assert.equal(last.status, 429, `${srv.name}: limited on its own: ${seen}`);
        assert.equal(last.json?.error?.code, 'RATE_LIMITED', last.text);
      }
      await c.pg.start();
      for (const srv of c.apps) {
        const r = await attempt(srv);
        assert.ok([401, 429, 503].includes(r.status), `${srv.name} answers once the database is back: ${r.status} ${r.text}`);
      }
    } finally {
      await c.stop();
    }
  });
});

// The pids of a PostgreSQL server started by lib/services.mjs: the
// postmaster (postmaster.pid) and its children (/proc).
function postgresPids(pg) {
  const main = Number(readFileSync(join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pids = [main];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === main) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

describe('shared counters and a frozen PostgreSQL', () => {
  test('a database that stops answering (SIGSTOP) does not hold the appliance: the limit is counted locally', { timeout: 120000 }, async () => {
    const c = await startCluster({ env: { FECHATTER_LOGIN_RATE_IP: '3' }, args: ['--registration', 'open'] });
    const frozen = postgresPids(c.pg);
    try {
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      // a sign-up with a short password touches only the limiter: 400 from
      // the first three (counted here once the shared counters gave up),
      // then 429
      const [A] = c.apps;
      const seen = [];
      for (let i = 0; i < 5; i++) {
        const r = await A.api('POST', '/api/signup', { body: { email: uniqueEmail(), password: 'short', fullname: 'Frozen' }, timeoutMs: 20000 });
        seen.push(r.status);
        if (r.status === 429) break;
      }
      assert.deepEqual(seen.slice(0, 3), [400, 400, 400], `answered while the database is frozen: ${seen}`);
      assert.equal(seen.at(-1), 429, `limited on its own: ${seen}`);
    } finally {
      for (const pid of frozen) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
      await c.stop();
    }
  });
});
