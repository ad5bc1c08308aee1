// The first visit: GET /api/setup tells an unauthenticated client whether
// the appliance still needs its first account (the owner) and how
// registration works; the first sign-up without an invite is allowed once,
// even with invite-only registration, and makes the owner of the first
// workspace; sign-ups racing it are refused.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertOk, assertError, signup, signin, mustSignup, uniqueEmail, createInvite, PASSWORD,
} from './lib/server.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });
async function server(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

async function setup(srv) {
  const res = await srv.api('GET', '/api/setup');
  const d = assertOk(res, 200);
  assert.deepEqual(Object.keys(d).sort(), ['needs_owner', 'registration'], `nothing else is told: ${res.text}`);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return d;
}

describe('first visit, invite-only registration (the default)', () => {
  let srv;
  let owner;

  test('a fresh appliance needs an owner; no token is needed to ask', async () => {
    srv = await server();
    assert.deepEqual(await setup(srv), { needs_owner: true, registration: 'invite' });
    // HEAD answers like GET, and other methods are refused
    assert.equal((await srv.api('HEAD', '/api/setup')).status, 200);
    assertError(await srv.api('POST', '/api/setup', { body: {} }), 405, 'METHOD_NOT_ALLOWED');
  });

  test('first sign-ups racing: exactly one becomes the owner, the others are 403 INVITE_REQUIRED', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => ({
      email: uniqueEmail(`first${i}`), password: PASSWORD, fullname: `First ${i}`, workspace_name: `Team ${i}`,
    }));
    const results = await Promise.all(bodies.map((b) => signup(srv, b)));
    const won = results.filter((r) => r.status === 201);
    assert.equal(won.length, 1, `one winner: ${results.map((r) => r.status).join(',')}`);
    for (const r of results.filter((x) => x.status !== 201)) assertError(r, 403, 'INVITE_REQUIRED', 'invite_code');
    const d = won[0].json.data;
    assert.equal(d.user.role, 'owner');
    assert.equal(d.workspace.owner_id, d.user.id);
    const i = results.indexOf(won[0]);
    assert.equal(d.workspace.name, bodies[i].workspace_name);
    owner = { ...d, email: bodies[i].email };
    // the refused ones have no account
    for (const [k, r] of results.entries()) {
      if (r.status !== 201) assertError(await signin(srv, bodies[k].email), 401, 'INVALID_CREDENTIALS');
    }
    // only the one workspace exists: the owner sees one member, itself
    const ws = assertOk(await srv.api('GET', '/api/workspace', { token: owner.access_token }));
    assert.equal(ws.member_count, 1);
  });

  test('after the first sign-up the appliance no longer needs an owner', async () => {
    assert.deepEqual(await setup(srv), { needs_owner: false, registration: 'invite' });
  });

  test('a second "first" sign-up without an invite is refused; with an invite it joins as member', async () => {
    assertError(await signup(srv, { email: uniqueEmail('late'), password: PASSWORD, fullname: 'Late', workspace_name: 'Mine' }),
      403, 'INVITE_REQUIRED', 'invite_code');
    const inv = await createInvite(srv, owner.access_token);
    const m = await mustSignup(srv, { invite_code: inv.code });
    assert.equal(m.user.role, 'member');
    assert.equal(m.user.workspace_id, owner.user.workspace_id);
    assert.equal((await setup(srv)).needs_owner, false);
  });

  test('the answer survives a restart (read from the database, not the first process)', async () => {
    const { dataDir } = srv;
    await srv.stop();
    servers.splice(servers.indexOf(srv), 1);
    srv = await server({ dataDir });
    assert.deepEqual(await setup(srv), { needs_owner: false, registration: 'invite' });
    assertError(await signup(srv, { email: uniqueEmail('again'), password: PASSWORD, fullname: 'Again' }), 403, 'INVITE_REQUIRED');
  });
});

describe('first visit, open registration', () => {
  test('fresh: needs an owner; after the first sign-up not; later sign-ups still create their own workspace', async () => {
    const srv = await server({ args: ['--registration', 'open'] });
    assert.deepEqual(await setup(srv), { needs_owner: true, registration: 'open' });
    const first = await mustSignup(srv, { workspace_name: 'Acme' });
    assert.equal(first.user.role, 'owner');
    assert.deepEqual(await setup(srv), { needs_owner: false, registration: 'open' });
    const second = await mustSignup(srv, { workspace_name: 'Beta' });
    assert.equal(second.user.role, 'owner');
    assert.notEqual(second.user.workspace_id, first.user.workspace_id);
  });

  test('a refused first sign-up (validation) leaves the appliance fresh', async () => {
    const srv = await server({ args: ['--registration', 'open'] });
    assertError(await signup(srv, { email: 'nope', password: PASSWORD, fullname: 'X' }), 400, 'VALIDATION_ERROR', 'email');
    assert.equal((await setup(srv)).needs_owner, true);
  });
});

describe('first visit, the start-up log', () => {
  test('a fresh appliance says at start-up that the first visit creates the owner; a set-up one does not', async () => {
    const srv = await server({ args: ['--log-level', 'info'] });
    await setup(srv);
    const ready = () => /main: ready/.test(srv.output().stderr);
    for (let i = 0; i < 100 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    // logged before "main: ready", so it is in by the time that line is
    assert.match(srv.output().stderr, /no account yet: the first visit to the web page creates the owner account/);
    await mustSignup(srv, { workspace_name: 'Logged' });
    const { dataDir } = srv;
    await srv.stop();
    servers.splice(servers.indexOf(srv), 1);
    const again = await server({ dataDir, args: ['--log-level', 'info'] });
    await setup(again);
    for (let i = 0; i < 100 && !/main: ready/.test(again.output().stderr); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(again.output().stderr, /main: ready/);
    assert.doesNotMatch(again.output().stderr, /no account yet/);
  });
});

describe('first visit, demo', () => {
  test('a seeded demo appliance does not need an owner', async () => {
    const srv = await server({ command: 'demo' });
    assert.deepEqual(await setup(srv), { needs_owner: false, registration: 'invite' });
  });
});
