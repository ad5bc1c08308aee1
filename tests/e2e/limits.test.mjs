// Per-user limits (core/limits): sends over HTTP and WebSocket share one
// window, uploads, searches, invites and profile changes each have theirs.
// Beyond the limit: 429 RATE_LIMITED with Retry-After (HTTP), an error event
// carrying the op's idempotency_key (WebSocket); /metrics counts refusals
// per limit. Other users are not affected. The server runs with small
// limits given as flags (the harness turns them off for the other suites).
//
// The window is a sliding minute approximated by two fixed buckets: when a
// bucket boundary falls between two actions the previous bucket's count
// starts to decay, so one more action than the limit may pass. Each check
// therefore allows the first refusal after `limit` or `limit + 1` actions.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, assertError, runBin, cleanEnv } from './lib/server.mjs';
import { setupWorkspace, otherWorkspaceUser, createChat, memberIds, tok, upload, pngBytes } from './lib/conv.mjs';
import { wsConnect, isType, closeAll } from './lib/rt.mjs';

const SEND = 5;
const UPLOAD = 2;
const SEARCH = 3;
const INVITE = 2;
const PROFILE = 2;

// Runs action(i) until it answers 429 (at most limit + 2 times); returns the
// number of actions that passed and the 429 response.
async function untilLimited(limit, action) {
  for (let i = 0; i < limit + 2; i++) {
    const res = await action(i);
    if (res.status === 429) return { passed: i, res };
    assert.ok(res.status >= 200 && res.status < 300, `action ${i}: ${res.status} ${res.text?.slice(0, 200)}`);
  }
  assert.fail(`no 429 after ${limit + 2} actions (limit ${limit})`);
}

function assertLimited({ passed, res }, limit, what) {
  assert.ok(passed === limit || passed === limit + 1, `${what}: ${passed} passed before the 429 (limit ${limit})`);
  assertError(res, 429, 'RATE_LIMITED');
  const ra = res.headers.get('retry-after');
  assert.match(ra ?? '', /^[0-9]+$/, `${what}: Retry-After is whole seconds: ${ra}`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `${what}: Retry-After ${ra} within the one-minute window`);
}

async function metric(srv, name, labels) {
  const res = await srv.api('GET', '/metrics');
  assert.equal(res.status, 200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  assert.ok(line, `/metrics has ${name}{${labels}}:\n${res.text.slice(0, 2000)}`);
  return Number(line.split(' ')[1]);
}

describe('per-user limits', () => {
  let srv; let owner; let alice; let bob; let carol; let chat;
  const refused = { send: 0, upload: 0, search: 0, invite: 0, profile: 0 };
  before(async () => {
    const w = await setupWorkspace({
      args: ['--registration', 'open', '--send-rate', String(SEND), '--upload-rate', String(UPLOAD),
        '--search-rate', String(SEARCH), '--invite-rate', String(INVITE), '--profile-rate', String(PROFILE)],
      names: ['Alice Anders', 'Bob Brown', 'Carol Clark'],
    });
    ({ srv, owner } = w);
    ({ alice, bob, carol } = w.byName);
    chat = await createChat(srv, owner, { chat_type: 'Group', name: 'limits', members: memberIds(alice, bob, carol) });
  });
  after(async () => { closeAll(); await srv?.stop(); });

  const sendHttp = (user, content) => srv.api('POST', `/api/chat/${chat.id}/messages`, { token: tok(user), body: { content } });

  test('HTTP sends: 429 RATE_LIMITED with Retry-After after the limit; nothing stored; others unaffected', async () => {
    const r = await untilLimited(SEND, (i) => sendHttp(alice, `alice ${i}`));
    assertLimited(r, SEND, 'send');
    refused.send += 1;
    // the refused message was not stored
    const list = assertOk(await srv.api('GET', `/api/chat/${chat.id}/messages?limit=100`, { token: tok(alice) }));
    assert.equal(list.filter((m) => m.sender_id === alice.user.id).length, r.passed);
    // another user of the same chat still sends
    assertOk(await sendHttp(carol, 'carol is not limited'), 201);
    // a bad request is still a 400, not a 429 (validation comes first)
    assertError(await sendHttp(alice, ''), 400, 'VALIDATION_ERROR');
  });

  test('WebSocket sends share the window with HTTP; the error event carries the op\'s idempotency_key', async () => {
    // two sends over HTTP, the rest over the socket
    for (let i = 0; i < 2; i++) assertOk(await sendHttp(bob, `bob http ${i}`), 201);
    const ws = await wsConnect(srv, { token: tok(bob), name: 'bob' });
    const keys = [];
    let passed = 2;
    let error;
    for (let i = 0; i < SEND + 2 && !error; i++) {
      const key = `bob-ws-${i}-${Date.now()}`;
      keys.push(key);
      const since = ws.log.mark();
      ws.send({ op: 'send', chat_id: chat.id, content: `bob ws ${i}`, idempotency_key: key });
      const ev = await ws.log.waitFor((e) => (e.type === 'ack' || e.type === 'error') && e.idempotency_key === key,
        { since, label: `answer to ${key}` });
      if (ev.type === 'ack') passed += 1;
      else error = ev;
    }
    assert.ok(error, `a send over the socket was refused (${passed} passed)`);
    assert.ok(passed === SEND || passed === SEND + 1, `${passed} sends passed before the refusal (limit ${SEND}, 2 over HTTP)`);
    assert.equal(error.op, 'send');
    assert.equal(error.idempotency_key, keys[keys.length - 1], 'the error names the refused op');
    assert.equal(error.error.code, 'RATE_LIMITED');
    assert.match(error.error.message, /retry in [0-9]+ s/);
    refused.send += 1;
    // the socket stays usable (an in-band barrier: ping answered after the refusal)
    ws.send({ op: 'ping' });
    await ws.log.waitFor(isType('pong'), { label: 'pong after the refusal' });
    // and HTTP is refused too now: one window for both transports
    const res = await sendHttp(bob, 'bob http again');
    assertError(res, 429, 'RATE_LIMITED');
    refused.send += 1;
    ws.close();
  });

  test('uploads: 429 before the body is read', async () => {
    const r = await untilLimited(UPLOAD, (i) => upload(srv, tok(alice), pngBytes(1, 1, `up${i}`), { filename: `p${i}.png`, type: 'image/png' }));
    assertLimited(r, UPLOAD, 'upload');
    refused.upload += 1;
    assert.equal((await upload(srv, tok(carol), pngBytes(1, 1, 'carol'), { filename: 'c.png', type: 'image/png' })).status, 200);
  });

  test('searches: 429 RATE_LIMITED after the limit', async () => {
    const r = await untilLimited(SEARCH, () => srv.api('GET', '/api/search/messages?q=alice', { token: tok(alice) }));
    assertLimited(r, SEARCH, 'search');
    refused.search += 1;
    // the other search route shares the limit
    assertError(await srv.api('GET', `/api/chat/${chat.id}/messages/search?q=alice`, { token: tok(alice) }), 429, 'RATE_LIMITED');
    refused.search += 1;
    assertOk(await srv.api('GET', '/api/search/messages?q=alice', { token: tok(carol) }));
  });

  test('invites: 429 RATE_LIMITED after the limit', async () => {
    const boss = await otherWorkspaceUser(srv, 'Ivan Inviter'); // an owner with no invite made yet
    const r = await untilLimited(INVITE, () => srv.api('POST', '/api/workspace/invites', { token: tok(boss), body: {} }));
    assertLimited(r, INVITE, 'invite');
    refused.invite += 1;
  });

  test('profile changes: 429 RATE_LIMITED after the limit', async () => {
    const r = await untilLimited(PROFILE, (i) => srv.api('PUT', '/api/users/profile', { token: tok(carol), body: { title: `title ${i}` } }));
    assertLimited(r, PROFILE, 'profile');
    refused.profile += 1;
    // reading is not limited
    assertOk(await srv.api('GET', '/api/users/me', { token: tok(carol) }));
  });

  test('/metrics counts every refusal by limit', async () => {
    for (const [k, n] of Object.entries(refused)) {
      assert.equal(await metric(srv, 'fechatter_rate_limited_total', `limit="${k}"`), n, `refusals of ${k}`);
    }
    assert.equal(await metric(srv, 'fechatter_rate_limited_total', 'limit="search_running"'), 0);
    // and as 429s of the routes
    const res = await srv.api('GET', '/metrics');
    assert.match(res.text, /fechatter_http_requests_total\{route="\/api\/chat\/\{id\}\/messages",method="POST",status="429"\} 2\n/);
  });
});

describe('limit settings', () => {
  test('defaults a person never reaches; 0 turns a limit off; out of range refused', () => {
    const r = runBin(['--check-config'], { env: cleanEnv() });
    assert.equal(r.code, 0, r.stderr);
    for (const [k, v] of [['send-rate', 600], ['upload-rate', 60], ['search-rate', 60], ['invite-rate', 30],
      ['profile-rate', 30], ['search-concurrency', 3], ['search-timeout', 10000], ['search-workers', 2]]) {
      assert.match(r.stdout, new RegExp(`^${k} ${v}$`, 'm'), `${k} defaults to ${v}`);
    }
    const off = runBin(['--check-config', '--send-rate', '0', '--search-concurrency', '0', '--search-timeout', '0'], { env: cleanEnv() });
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^send-rate 0$/m);
    const bad = runBin(['--check-config', '--send-rate', '-1'], { env: cleanEnv() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /send-rate/);
    const bad2 = runBin(['--check-config', '--search-workers', '0'], { env: cleanEnv() });
    assert.equal(bad2.code, 2);
  });
});
