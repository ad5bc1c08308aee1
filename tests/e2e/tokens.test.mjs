// Access and refresh tokens: the JWT's shape and signature, refused tokens
// (expired, forged, alg none, HS256, another key, wrong claims, stale
// token version), refresh token expiry.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { generateKeyPairSync } from 'node:crypto';
import {
  startServer, assertOk, assertError, mustSignup, mustSignin, createInvite, decodeJwt,
  serverKey, signEdDSA, signHS256, unsignedToken, claimsFor, b64u, b64uJson, sha256hex,
  dbAvailable, dbQuery, dbChange, timeScale, sleep,
} from './lib/server.mjs';

describe('tokens', () => {
  let srv;
  let owner;
  let member;
  let key;
  before(async () => {
    srv = await startServer();
    owner = await mustSignup(srv, { workspace_name: 'Tokens Inc' });
    const inv = await createInvite(srv, owner.access_token);
    member = await mustSignup(srv, { invite_code: inv.code });
    key = serverKey(srv.dataDir);
  });
  after(async () => { await srv?.stop(); });

  const me = (token) => srv.api('GET', '/api/users/me', { token });

  test('access token: EdDSA header and the documented claims', () => {
    const { header, claims } = decodeJwt(member.access_token);
    assert.deepEqual(header, { alg: 'EdDSA', typ: 'JWT' });
    assert.equal(claims.iss, 'fechatter');
    assert.equal(claims.aud, 'fechatter-api');
    assert.equal(claims.sub, String(member.user.id), 'sub is the user id as a decimal string');
    assert.equal(claims.wid, owner.workspace.id);
    assert.equal(claims.role, 'member');
    assert.ok(Number.isInteger(claims.tv), 'tv is an integer');
    assert.ok(Number.isInteger(claims.iat) && Number.isInteger(claims.exp));
    assert.equal(claims.exp - claims.iat, 1800, '30 minutes');
    assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 300, 'iat is about now');
    assert.equal(decodeJwt(owner.access_token).claims.role, 'owner');
    // no padding, base64url alphabet
    assert.match(member.access_token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  test('the signature verifies with the public key in DATA/jwt_ed25519.key', () => {
    const [h, p, s] = member.access_token.split('.');
    const pub = crypto.createPublicKey(key.privateKey);
    const ok = crypto.verify(null, Buffer.from(`${h}.${p}`), pub, Buffer.from(s, 'base64url'));
    assert.equal(ok, true);
  });

  test('a token forged with the server key and valid claims is accepted (harness check)', async () => {
    const t = signEdDSA(claimsFor(member), key.privateKey);
    const d = assertOk(await me(t));
    assert.equal(d.id, member.user.id);
  });

  test('no token: 401 UNAUTHORIZED', async () => {
    assertError(await me(undefined), 401, 'UNAUTHORIZED');
    assertError(await srv.api('GET', '/api/users', {}), 401, 'UNAUTHORIZED');
    assertError(await srv.api('GET', '/api/workspace', {}), 401, 'UNAUTHORIZED');
  });

  test('a non-Bearer Authorization header is refused', async () => {
    const r = await srv.api('GET', '/api/users/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    assert.equal(r.status, 401, r.text);
    assert.ok(['UNAUTHORIZED', 'INVALID_TOKEN'].includes(r.json?.error?.code), r.text);
  });

  test('the access token in the query string is not accepted on API routes', async () => {
    const r = await srv.api('GET', `/api/users/me?access_token=${member.access_token}`, {});
    assertError(r, 401, 'UNAUTHORIZED');
  });

  test('malformed tokens: 401 INVALID_TOKEN', async () => {
    for (const t of ['abc', 'abc.def', 'a.b.c', '...', `${member.access_token}.x`, member.access_token.split('.').slice(0, 2).join('.') + '.']) {
      assertError(await me(t), 401, 'INVALID_TOKEN');
    }
  });

  test('expired token: 401 TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const t = signEdDSA(claimsFor(member, { iat: now - 3600, exp: now - 60 }), key.privateKey);
    assertError(await me(t), 401, 'TOKEN_EXPIRED');
  });

  test('forged signature: 401 INVALID_TOKEN', async () => {
    const [h, p, s] = member.access_token.split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[0] ^= 0x01;
    assertError(await me(`${h}.${p}.${b64u(sig)}`), 401, 'INVALID_TOKEN');
  });

  test('a payload changed after signing: 401 INVALID_TOKEN', async () => {
    const [h, , s] = member.access_token.split('.');
    const claims = decodeJwt(member.access_token).claims;
    const p = b64uJson({ ...claims, role: 'owner', sub: String(owner.user.id) });
    assertError(await me(`${h}.${p}.${s}`), 401, 'INVALID_TOKEN');
  });

  test('alg none: 401 INVALID_TOKEN', async () => {
    assertError(await me(unsignedToken(claimsFor(member))), 401, 'INVALID_TOKEN');
    // alg none header in front of a real signature
    const [, p, s] = member.access_token.split('.');
    assertError(await me(`${b64uJson({ alg: 'none', typ: 'JWT' })}.${p}.${s}`), 401, 'INVALID_TOKEN');
  });

  test('HS256 (key confusion): 401 INVALID_TOKEN', async () => {
    assertError(await me(signHS256(claimsFor(member), key.pub)), 401, 'INVALID_TOKEN');
    assertError(await me(signHS256(claimsFor(member), Buffer.concat([key.seed, key.pub]))), 401, 'INVALID_TOKEN');
  });

  test('a token signed by another Ed25519 key: 401 INVALID_TOKEN', async () => {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    assertError(await me(signEdDSA(claimsFor(member), privateKey)), 401, 'INVALID_TOKEN');
  });

  test('wrong issuer or audience: 401 INVALID_TOKEN', async () => {
    assertError(await me(signEdDSA(claimsFor(member, { iss: 'someone-else' }), key.privateKey)), 401, 'INVALID_TOKEN');
    assertError(await me(signEdDSA(claimsFor(member, { aud: 'other-api' }), key.privateKey)), 401, 'INVALID_TOKEN');
  });

  test('iat far in the future: 401 INVALID_TOKEN', async () => {
    const now = Math.floor(Date.now() / 1000);
    assertError(await me(signEdDSA(claimsFor(member, { iat: now + 3600, exp: now + 5400 }), key.privateKey)), 401, 'INVALID_TOKEN');
  });

  test('missing claims: 401 INVALID_TOKEN', async () => {
    const c = claimsFor(member);
    for (const k of ['sub', 'exp', 'tv']) {
      const cc = { ...c };
      delete cc[k];
      assertError(await me(signEdDSA(cc, key.privateKey)), 401, 'INVALID_TOKEN');
    }
  });

  test('a validly signed token for a user that does not exist is refused', async () => {
    const r = await me(signEdDSA(claimsFor(member, { sub: '987654' }), key.privateKey));
    assert.equal(r.status, 401, r.text);
  });

  test('logout-all: earlier access tokens (tv) are refused at once, newer ones work', async () => {
    const inv = await createInvite(srv, owner.access_token);
    const u = await mustSignup(srv, { invite_code: inv.code });
    const oldTv = decodeJwt(u.access_token).claims.tv;
    assertOk(await me(u.access_token));
    assertOk(await srv.api('POST', '/api/logout-all', { token: u.access_token }));
    assertError(await me(u.access_token), 401, 'INVALID_TOKEN');
    // a fresh signature does not help: the token version is what counts
    assertError(await me(signEdDSA(claimsFor(u, { tv: oldTv }), key.privateKey)), 401, 'INVALID_TOKEN');
    const s = await mustSignin(srv, u.email, u.password);
    const newTv = decodeJwt(s.access_token).claims.tv;
    assert.ok(newTv > oldTv, `tv ${oldTv} -> ${newTv}`);
    assertOk(await me(s.access_token));
    assertOk(await me(signEdDSA(claimsFor(s), key.privateKey)));
  });

  test('refresh tokens are 43 base64url chars and unique per issue', async () => {
    const seen = new Set();
    for (let i = 0; i < 3; i++) {
      const s = await mustSignin(srv, member.email, member.password);
      assert.match(s.refresh_token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(s.refresh_token, 'base64url').length, 32);
      seen.add(s.refresh_token);
    }
    assert.equal(seen.size, 3);
  });

  describe('refresh token expiry (ages rows with the sqlite3 shell or psql)', () => {
    const skip = dbAvailable() ? false : 'sqlite3 command-line shell not installed';

    test('past its sliding expiry: 401 INVALID_REFRESH_TOKEN', { skip }, async () => {
      const s = await mustSignin(srv, member.email, member.password);
      const n = dbChange(srv, `UPDATE refresh_tokens SET expires_at = ${Date.now() - 1000} WHERE token_hash = '${sha256hex(s.refresh_token)}'`);
      assert.equal(n, 1, 'the token row was found by its SHA-256');
      assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'INVALID_REFRESH_TOKEN');
    });

    test('past its family\'s absolute expiry: 401 INVALID_REFRESH_TOKEN', { skip }, async () => {
      const s = await mustSignin(srv, member.email, member.password);
      const n = dbChange(srv, `UPDATE refresh_tokens SET family_expires_at = ${Date.now() - 1000} WHERE token_hash = '${sha256hex(s.refresh_token)}'`);
      assert.equal(n, 1);
      assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'INVALID_REFRESH_TOKEN');
    });

    test('a refresh slides the expiry forward', { skip }, async () => {
      const s = await mustSignin(srv, member.email, member.password);
      const soon = Date.now() + 60_000;
      dbChange(srv, `UPDATE refresh_tokens SET expires_at = ${soon} WHERE token_hash = '${sha256hex(s.refresh_token)}'`);
      const d = assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }));
      const exp = Number(dbQuery(srv, `SELECT expires_at FROM refresh_tokens WHERE token_hash = '${sha256hex(d.refresh_token)}'`));
      const days = (exp - Date.now()) / 86400000;
      assert.ok(days > 13.9 && days <= 14.01, `new token valid ~14 days, got ${days}`);
    });
  });
});

// The token cache (--token-cache): a token seen before skips its signature
// check (counted in /metrics), but every revocation rule still holds on the
// very next request.
describe('token cache', () => {
  let srv;
  let owner;
  let key;
  before(async () => {
    srv = await startServer();
    owner = await mustSignup(srv, { workspace_name: 'Cache Inc' });
    key = serverKey(srv.dataDir);
  });
  after(async () => { await srv?.stop(); });

  const me = (token) => srv.api('GET', '/api/users/me', { token });
  async function counters() {
    const res = await srv.api('GET', '/metrics');
    assert.equal(res.status, 200);
    const value = (r) => {
      const line = res.text.split('\n').find((l) => l.startsWith(`fechatter_token_cache_total{result="${r}"} `));
      assert.ok(line, `/metrics has fechatter_token_cache_total{result="${r}"}`);
      return Number(line.split(' ')[1]);
    };
    return { hit: value('hit'), miss: value('miss') };
  }
  // uses token twice and checks that the second use was a cache hit
  async function useCached(token) {
    assertOk(await me(token));
    const c0 = await counters();
    assertOk(await me(token));
    const c1 = await counters();
    assert.equal(c1.hit, c0.hit + 1, 'the second use is a hit');
    assert.equal(c1.miss, c0.miss, 'no signature verified the second time');
  }
  async function member() {
    const inv = await createInvite(srv, owner.access_token);
    return mustSignup(srv, { invite_code: inv.code });
  }
  // the request on token is a cache hit and answers 401 code
  async function refusedOnHit(token, code) {
    const c0 = await counters();
    assertError(await me(token), 401, code);
    const c1 = await counters();
    assert.equal(c1.hit, c0.hit + 1, 'the refused token was found in the cache');
  }

  test('a token seen before is a hit and answers the same', async () => {
    const c0 = await counters();
    const a = assertOk(await me(owner.access_token));
    const c1 = await counters();
    assert.equal(c1.miss, c0.miss + 1, 'first use: the signature is verified');
    const b = assertOk(await me(owner.access_token));
    const c2 = await counters();
    assert.equal(c2.hit, c1.hit + 1);
    assert.deepEqual(b, a);
  });

  test('a cached token is refused after logout-all', async () => {
    const u = await member();
    await useCached(u.access_token);
    assertOk(await srv.api('POST', '/api/logout-all', { token: u.access_token }));
    await refusedOnHit(u.access_token, 'INVALID_TOKEN');
  });

  test('a cached token is refused after a password change; the new one works', async () => {
    const u = await member();
    const other = await mustSignin(srv, u.email, u.password);
    await useCached(other.access_token);
    const d = assertOk(await srv.api('POST', '/api/users/change-password', {
      token: u.access_token, body: { current_password: u.password, new_password: 'brand new pass' },
    }));
    await refusedOnHit(other.access_token, 'INVALID_TOKEN');
    assertOk(await me(d.access_token));
  });

  test('a cached token is refused after a suspension, and stays refused after reactivation', async () => {
    const u = await member();
    await useCached(u.access_token);
    assertOk(await srv.api('PATCH', `/api/workspace/users/${u.user.id}`, { token: owner.access_token, body: { status: 'Suspended' } }));
    await refusedOnHit(u.access_token, 'INVALID_TOKEN');
    assertOk(await srv.api('PATCH', `/api/workspace/users/${u.user.id}`, { token: owner.access_token, body: { status: 'Active' } }));
    await refusedOnHit(u.access_token, 'INVALID_TOKEN');
  });

  test('a role change applies to a cached token at once', async () => {
    const u = await member();
    await useCached(u.access_token);
    assertError(await srv.api('GET', '/api/workspace/invites', { token: u.access_token }), 403, 'FORBIDDEN');
    assertOk(await srv.api('PATCH', `/api/workspace/users/${u.user.id}`, { token: owner.access_token, body: { role: 'admin' } }));
    assert.equal(assertOk(await me(u.access_token)).role, 'admin');
    assertOk(await srv.api('GET', '/api/workspace/invites', { token: u.access_token }));
  });

  test('a cached token is refused once it expires (TOKEN_EXPIRED)', async () => {
    const u = await member();
    const exp = Math.floor(Date.now() / 1000) + 3 * timeScale;
    const t = signEdDSA(claimsFor(u, { exp }), key.privateKey);
    await useCached(t);
    // wait (bounded: at most 3 s x timeScale) until the clock passes exp
    while (Date.now() < exp * 1000 + 50) await sleep(Math.min(200, exp * 1000 + 50 - Date.now()));
    await refusedOnHit(t, 'TOKEN_EXPIRED');
  });

  test('a forged token is never taken for the cached one', async () => {
    const u = await member();
    await useCached(u.access_token);
    const [h, p, s] = u.access_token.split('.');
    const flipped = `${s.slice(0, -3)}${s.at(-3) === 'A' ? 'B' : 'A'}${s.slice(-2)}`;
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = [
      `${h}.${p}.${flipped}`, // another signature
      signEdDSA(decodeJwt(u.access_token).claims, other), // the same claims, another key
      `${u.access_token}A`, // one byte more
    ];
    for (const t of forged) {
      const c0 = await counters();
      assertError(await me(t), 401, 'INVALID_TOKEN');
      const c1 = await counters();
      assert.equal(c1.hit, c0.hit, 'not a hit');
    }
    assertOk(await me(u.access_token));
  });

  test('a cached file-cookie token is no access token, nor an access token a file cookie', async () => {
    const u = await member();
    const file = (t) => srv.api('GET', '/api/files/no-such-file.png', { headers: { cookie: `file_token=${t}` } });
    // a file-cookie token, verified and cached on a file route (authenticated: then 404)
    const ft = signEdDSA(claimsFor(u, { aud: 'fechatter-files' }), key.privateKey);
    assert.equal((await file(ft)).status, 404);
    const c0 = await counters();
    assert.equal((await file(ft)).status, 404);
    assert.equal((await counters()).hit, c0.hit + 1, 'the file token is cached');
    await refusedOnHit(ft, 'INVALID_TOKEN');
    await useCached(u.access_token);
    const r = await file(u.access_token);
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error?.code, 'INVALID_TOKEN');
  });
});
