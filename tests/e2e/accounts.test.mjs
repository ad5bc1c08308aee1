// Accounts: signup (validation, first workspace, invites, duplicates),
// signin, refresh rotation and reuse, cookies, logout, logout-all,
// change-password, suspension, login rate limits.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertOk, assertError, assertUser, mustSignup, mustSignin, signin, signup,
  uniqueEmail, createInvite, refreshCookie, decodeJwt, PASSWORD,
} from './lib/server.mjs';

const REFRESH_RE = /^[A-Za-z0-9_-]{43}$/;

function assertAuthResult(d) {
  assertUser(d.user);
  assert.equal(typeof d.workspace, 'object');
  assert.ok(Number.isInteger(d.workspace.id));
  assert.equal(d.workspace.id, d.user.workspace_id);
  assert.equal(typeof d.workspace.name, 'string');
  assert.equal(d.token_type, 'Bearer');
  assert.equal(d.expires_in, 1800);
  assert.equal(typeof d.access_token, 'string');
  assert.equal(d.access_token.split('.').length, 3, 'access token is a JWT');
  assert.match(d.refresh_token, REFRESH_RE, 'refresh token: 43 chars of base64url');
}

function assertCookieCleared(res) {
  const c = refreshCookie(res);
  assert.ok(c, `a refresh_token Set-Cookie is sent: ${JSON.stringify(res.cookies)}`);
  const maxAgeZero = c.attrs['max-age'] !== undefined && Number(c.attrs['max-age']) <= 0;
  const expired = c.attrs.expires !== undefined && Date.parse(c.attrs.expires) < Date.now();
  assert.ok(maxAgeZero || expired, `cookie is cleared (Max-Age=0 or past Expires): ${c.raw}`);
  assert.ok(c.value === '' || maxAgeZero || expired, c.raw);
}

describe('accounts (invite registration)', () => {
  let srv;
  let owner; // auth result of the first account
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.stop(); });

  describe('signup validation on a fresh appliance', () => {
    const good = { email: 'valid@example.test', password: 'password123', fullname: 'Val Id' };
    const cases = [
      ['missing email', { email: undefined }, 'email'],
      ['email not a string', { email: 42 }, 'email'],
      ['email without @', { email: 'not-an-email' }, 'email'],
      ['email without domain', { email: 'someone@' }, 'email'],
      ['email longer than 254', { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.test` }, 'email'],
      ['missing password', { password: undefined }, 'password'],
      ['password of 7 chars', { password: 'short77' }, 'password'],
      ['password of 129 chars', { password: 'p'.repeat(129) }, 'password'],
      ['password not a string', { password: 12345678 }, 'password'],
      ['missing fullname', { fullname: undefined }, 'fullname'],
      ['blank fullname', { fullname: '    ' }, 'fullname'],
      ['fullname of 51 chars', { fullname: 'f'.repeat(51) }, 'fullname'],
      ['fullname not a string', { fullname: ['x'] }, 'fullname'],
      ['empty workspace_name', { workspace_name: '' }, 'workspace_name'],
      ['workspace_name of 51 chars', { workspace_name: 'w'.repeat(51) }, 'workspace_name'],
      ['workspace_name not a string', { workspace_name: 7 }, 'workspace_name'],
      ['invite_code not a string', { invite_code: 1234 }, 'invite_code'],
    ];
    for (const [name, patch, field] of cases) {
      test(name, async () => {
        const body = { ...good, ...patch };
        for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
        assertError(await signup(srv, body), 400, 'VALIDATION_ERROR', field);
      });
    }
    test('email of exactly 254 characters is accepted by validation (no 400)', async () => {
      // a 254-char address, signed up later as a member; here only checked not to be a 400 on email
      const email = `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.te`;
      assert.equal(email.length, 254);
      const res = await signup(srv, { ...good, email, invite_code: 'x'.repeat(16) });
      assert.notEqual(res.json?.error?.field, 'email', res.text);
    });
  });

  test('the first account creates the workspace and owns it', async () => {
    const email = uniqueEmail('owner');
    const res = await signup(srv, { email, password: 'eightch8', fullname: 'F'.repeat(50), workspace_name: 'W'.repeat(50) });
    const d = assertOk(res, 201);
    assertAuthResult(d);
    assert.equal(d.user.role, 'owner');
    assert.equal(d.user.status, 'Active');
    assert.equal(d.user.email, email);
    assert.equal(d.user.fullname, 'F'.repeat(50));
    assert.equal(d.workspace.name, 'W'.repeat(50));
    assert.equal(d.workspace.owner_id, d.user.id);
    // refresh cookie
    const c = refreshCookie(res);
    assert.ok(c, `Set-Cookie refresh_token: ${JSON.stringify(res.cookies)}`);
    assert.equal(c.value, d.refresh_token);
    assert.equal(c.attrs.path, '/api');
    assert.equal(c.attrs.httponly, true);
    assert.equal(String(c.attrs.samesite).toLowerCase(), 'strict');
    assert.equal(c.attrs['max-age'], '1209600');
    assert.equal(c.attrs.secure, undefined, 'Secure only over TLS');
    owner = { ...d, email, password: 'eightch8' };
    const ws = assertOk(await srv.api('GET', '/api/workspace', { token: d.access_token }));
    assert.equal(ws.owner_id, d.user.id);
    assert.equal(ws.member_count, 1);
  });

  test('without an invite, a later signup is 403 INVITE_REQUIRED', async () => {
    const res = await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'No Invite', workspace_name: 'Other' });
    assertError(res, 403, 'INVITE_REQUIRED');
  });

  test('with an invite the account joins that workspace as member; unknown fields ignored', async () => {
    const inv = await createInvite(srv, owner.access_token, { max_uses: 3 });
    const email = uniqueEmail('member');
    const res = await signup(srv, {
      email, password: PASSWORD, fullname: 'Mem Ber', invite_code: inv.code, workspace_name: 'Ignored?', favourite_colour: 'blue',
    });
    const d = assertOk(res, 201);
    assertAuthResult(d);
    assert.equal(d.user.role, 'member');
    assert.equal(d.user.workspace_id, owner.workspace.id);
    assert.equal(d.workspace.id, owner.workspace.id);
    assert.equal(d.workspace.name, owner.workspace.name, 'joined the invite\'s workspace, not a new one');
  });

  test('lengths are counted in characters, not bytes', async () => {
    const inv = await createInvite(srv, owner.access_token, { max_uses: 10 });
    const ok1 = await mustSignup(srv, { invite_code: inv.code, fullname: 'é'.repeat(50), password: 'ü'.repeat(8) });
    assert.equal(ok1.user.fullname, 'é'.repeat(50));
    assertOk(await signin(srv, ok1.email, 'ü'.repeat(8)));
    const ok2 = await mustSignup(srv, { invite_code: inv.code, fullname: '名前', password: '密'.repeat(100) });
    assertOk(await signin(srv, ok2.email, '密'.repeat(100)));
    assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'é'.repeat(51), invite_code: inv.code }), 400, 'VALIDATION_ERROR', 'fullname');
    assertError(await signup(srv, { email: uniqueEmail(), password: 'ü'.repeat(7), fullname: 'Short Pw', invite_code: inv.code }), 400, 'VALIDATION_ERROR', 'password');
    assertError(await signup(srv, { email: uniqueEmail(), password: '密'.repeat(129), fullname: 'Long Pw', invite_code: inv.code }), 400, 'VALIDATION_ERROR', 'password');
  });

  test('duplicate email is 409 USER_EXISTS, case-insensitively', async () => {
    const inv = await createInvite(srv, owner.access_token, { max_uses: 5 });
    const email = uniqueEmail('dup');
    await mustSignup(srv, { email, invite_code: inv.code });
    assertError(await signup(srv, { email, password: PASSWORD, fullname: 'Again', invite_code: inv.code }), 409, 'USER_EXISTS');
    assertError(await signup(srv, { email: email.toUpperCase(), password: PASSWORD, fullname: 'Upper', invite_code: inv.code }), 409, 'USER_EXISTS');
    assertError(await signup(srv, { email: owner.email.toUpperCase(), password: PASSWORD, fullname: 'Owner again', invite_code: inv.code }), 409, 'USER_EXISTS');
  });

  test('signin returns the auth result and a refresh cookie', async () => {
    const res = await signin(srv, owner.email, owner.password);
    const d = assertOk(res, 200);
    assertAuthResult(d);
    assert.equal(d.user.id, owner.user.id);
    assert.equal(d.workspace.id, owner.workspace.id);
    assert.equal(refreshCookie(res)?.value, d.refresh_token);
    assert.notEqual(d.refresh_token, owner.refresh_token, 'a new refresh token per sign-in');
    const me = assertOk(await srv.api('GET', '/api/users/me', { token: d.access_token }));
    assert.equal(me.id, owner.user.id);
  });

  test('signin email is case-insensitive', async () => {
    const d = assertOk(await signin(srv, owner.email.toUpperCase(), owner.password));
    assert.equal(d.user.id, owner.user.id);
  });

  test('wrong password and unknown email give the identical 401 INVALID_CREDENTIALS', async () => {
    const wrong = await signin(srv, owner.email, 'not the password');
    const unknown = await signin(srv, uniqueEmail('ghost'), 'not the password');
    assertError(wrong, 401, 'INVALID_CREDENTIALS');
    assertError(unknown, 401, 'INVALID_CREDENTIALS');
    assert.deepEqual(wrong.json, unknown.json, 'same body whether the email exists or not');
    assert.equal(refreshCookie(wrong), null, 'no cookie on failure');
  });

  test('signin validation: missing or mistyped fields', async () => {
    assertError(await srv.api('POST', '/api/signin', { body: { email: owner.email } }), 400, 'VALIDATION_ERROR', 'password');
    assertError(await srv.api('POST', '/api/signin', { body: { password: 'whatever1' } }), 400, 'VALIDATION_ERROR', 'email');
    assertError(await srv.api('POST', '/api/signin', { body: { email: 5, password: 'whatever1' } }), 400, 'VALIDATION_ERROR', 'email');
    assertError(await srv.api('POST', '/api/signin', { body: { email: owner.email, password: true } }), 400, 'VALIDATION_ERROR', 'password');
  });

  test('refresh rotates; reusing a rotated token is TOKEN_REUSED and kills the family', async () => {
    const s = await mustSignin(srv, owner.email, owner.password);
    const other = await mustSignin(srv, owner.email, owner.password); // another family
    const r0 = s.refresh_token;
    const res1 = await srv.api('POST', '/api/refresh', { body: { refresh_token: r0 } });
    const d1 = assertOk(res1);
    assertAuthResult(d1);
    assert.equal(d1.user.id, owner.user.id);
    assert.notEqual(d1.refresh_token, r0, 'rotated');
    assert.equal(refreshCookie(res1)?.value, d1.refresh_token, 'cookie carries the new token');
    assertOk(await srv.api('GET', '/api/users/me', { token: d1.access_token }));
    const d2 = assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: d1.refresh_token } }));
    assert.notEqual(d2.refresh_token, d1.refresh_token);
    // r0 was rotated long ago: reuse
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: r0 } }), 401, 'TOKEN_REUSED');
    // the newest token of that family is now refused too
    const newest = await srv.api('POST', '/api/refresh', { body: { refresh_token: d2.refresh_token } });
    assert.equal(newest.status, 401, newest.text);
    assert.ok(['INVALID_REFRESH_TOKEN', 'TOKEN_REUSED'].includes(newest.json?.error?.code), newest.text);
    // another family of the same user is untouched
    assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: other.refresh_token } }));
  });

  test('an unknown refresh token is 401 INVALID_REFRESH_TOKEN', async () => {
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: 'A'.repeat(43) } }), 401, 'INVALID_REFRESH_TOKEN');
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: 'garbage' } }), 401, 'INVALID_REFRESH_TOKEN');
  });

  test('refresh with no token at all is refused', async () => {
    const res = await srv.api('POST', '/api/refresh', { body: {} });
    assert.ok([400, 401].includes(res.status), res.text);
    assert.equal(res.json?.success, false);
  });

  test('refresh via the cookie (among other cookies)', async () => {
    const s = await mustSignin(srv, owner.email, owner.password);
    const res = await srv.api('POST', '/api/refresh', {
      headers: { cookie: `theme=dark; refresh_token=${s.refresh_token}; lang=en` },
    });
    const d = assertOk(res);
    assertAuthResult(d);
    assert.equal(d.user.id, owner.user.id);
    const c = refreshCookie(res);
    assert.equal(c?.value, d.refresh_token);
    assert.notEqual(d.refresh_token, s.refresh_token);
    // the old cookie value is now a rotated token
    assertError(await srv.api('POST', '/api/refresh', { headers: { cookie: `refresh_token=${s.refresh_token}` } }), 401, 'TOKEN_REUSED');
  });

  test('logout with a body token revokes it and clears the cookie', async () => {
    const s = await mustSignin(srv, owner.email, owner.password);
    const res = await srv.api('POST', '/api/logout', { token: s.access_token, body: { refresh_token: s.refresh_token } });
    const d = assertOk(res);
    assert.deepEqual(d, {});
    assertCookieCleared(res);
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'INVALID_REFRESH_TOKEN');
  });

  test('logout with the cookie revokes the cookie token', async () => {
    const s = await mustSignin(srv, owner.email, owner.password);
    const res = await srv.api('POST', '/api/logout', { token: s.access_token, headers: { cookie: `refresh_token=${s.refresh_token}` } });
    assertOk(res);
    assertCookieCleared(res);
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }), 401, 'INVALID_REFRESH_TOKEN');
  });

  test('logout needs auth', async () => {
    const s = await mustSignin(srv, owner.email, owner.password);
    assertError(await srv.api('POST', '/api/logout', { body: { refresh_token: s.refresh_token } }), 401, 'UNAUTHORIZED');
    // and the token was not revoked by the refused call
    assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }));
  });

  test('logout-all revokes every refresh token and every access token at once', async () => {
    const inv = await createInvite(srv, owner.access_token);
    const u = await mustSignup(srv, { invite_code: inv.code });
    const b = await mustSignin(srv, u.email, u.password);
    const res = await srv.api('POST', '/api/logout-all', { token: u.access_token });
    const d = assertOk(res);
    assert.equal(d.revoked, 2, `two sessions revoked: ${res.text}`);
    for (const t of [u.access_token, b.access_token]) {
      assertError(await srv.api('GET', '/api/users/me', { token: t }), 401, 'INVALID_TOKEN');
    }
    for (const r of [u.refresh_token, b.refresh_token]) {
      const x = await srv.api('POST', '/api/refresh', { body: { refresh_token: r } });
      assert.equal(x.status, 401, x.text);
    }
    // signing in again works, with a newer token version
    const again = await mustSignin(srv, u.email, u.password);
    assert.ok(decodeJwt(again.access_token).claims.tv > decodeJwt(u.access_token).claims.tv, 'tv bumped');
    assertOk(await srv.api('GET', '/api/users/me', { token: again.access_token }));
    assertError(await srv.api('POST', '/api/logout-all', {}), 401, 'UNAUTHORIZED');
  });

  test('change-password: checks, fresh pair, other sessions revoked', async () => {
    const inv = await createInvite(srv, owner.access_token);
    const u = await mustSignup(srv, { invite_code: inv.code });
    const other = await mustSignin(srv, u.email, u.password);
    const path = '/api/users/change-password';
    assertError(await srv.api('POST', path, { token: u.access_token, body: { current_password: 'wrong password', new_password: 'brand new pass' } }), 401, 'INVALID_CREDENTIALS');
    assertError(await srv.api('POST', path, { token: u.access_token, body: { current_password: u.password, new_password: 'short' } }), 400, 'VALIDATION_ERROR', 'new_password');
    assertError(await srv.api('POST', path, { token: u.access_token, body: { current_password: u.password, new_password: 'x'.repeat(129) } }), 400, 'VALIDATION_ERROR', 'new_password');
    assertError(await srv.api('POST', path, { token: u.access_token, body: { new_password: 'brand new pass' } }), 400, 'VALIDATION_ERROR', 'current_password');
    assertError(await srv.api('POST', path, { token: u.access_token, body: { current_password: u.password } }), 400, 'VALIDATION_ERROR', 'new_password');
    assertError(await srv.api('POST', path, { body: { current_password: u.password, new_password: 'brand new pass' } }), 401, 'UNAUTHORIZED');
    // the failed attempts changed nothing
    assertOk(await srv.api('GET', '/api/users/me', { token: other.access_token }));

    const res = await srv.api('POST', path, { token: u.access_token, body: { current_password: u.password, new_password: 'brand new pass' } });
    const d = assertOk(res);
    assertAuthResult(d);
    assert.equal(d.user.id, u.user.id);
    assertOk(await srv.api('GET', '/api/users/me', { token: d.access_token }));
    assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: d.refresh_token } }));
    // the other session is gone: access and refresh
    assertError(await srv.api('GET', '/api/users/me', { token: other.access_token }), 401, 'INVALID_TOKEN');
    const r = await srv.api('POST', '/api/refresh', { body: { refresh_token: other.refresh_token } });
    assert.equal(r.status, 401, r.text);
    // passwords
    assertError(await signin(srv, u.email, u.password), 401, 'INVALID_CREDENTIALS');
    assertOk(await signin(srv, u.email, 'brand new pass'));
  });

  test('a suspended user cannot sign in and loses every token; reactivation restores sign-in', async () => {
    const inv = await createInvite(srv, owner.access_token);
    const m = await mustSignup(srv, { invite_code: inv.code });
    const s2 = await mustSignin(srv, m.email, m.password);
    const upd = assertOk(await srv.api('PATCH', `/api/workspace/users/${m.user.id}`, { token: owner.access_token, body: { status: 'Suspended' } }));
    assertUser(upd, { id: m.user.id, status: 'Suspended' });
    for (const t of [m.access_token, s2.access_token]) {
      const r = await srv.api('GET', '/api/users/me', { token: t });
      assert.equal(r.status, 401, r.text);
    }
    for (const t of [m.refresh_token, s2.refresh_token]) {
      const r = await srv.api('POST', '/api/refresh', { body: { refresh_token: t } });
      assert.equal(r.status, 401, r.text);
    }
    assertError(await signin(srv, m.email, m.password), 403, 'ACCOUNT_SUSPENDED');
    const users = assertOk(await srv.api('GET', '/api/users', { token: owner.access_token }));
    assert.equal(users.find((x) => x.id === m.user.id)?.status, 'Suspended');

    const back = assertOk(await srv.api('PATCH', `/api/workspace/users/${m.user.id}`, { token: owner.access_token, body: { status: 'Active' } }));
    assert.equal(back.status, 'Active');
    const again = assertOk(await signin(srv, m.email, m.password));
    assertOk(await srv.api('GET', '/api/users/me', { token: again.access_token }));
  });
});

describe('first workspace default name', () => {
  test('without workspace_name the first workspace is "Default"', async () => {
    const srv = await startServer();
    try {
      const d = await mustSignup(srv, {});
      assert.equal(d.workspace.name, 'Default');
      assert.equal(d.user.role, 'owner');
      assert.equal(d.workspace.owner_id, d.user.id);
    } finally {
      await srv.stop();
    }
  });
});

describe('login rate limiting', () => {
  test('per client address: the 6th attempt within a minute is 429 with Retry-After', async () => {
    const srv = await startServer({ env: { FECHATTER_LOGIN_RATE_IP: '5', FECHATTER_LOGIN_RATE_ACCOUNT: '1000' } });
    try {
      const statuses = [];
      let limited = null;
      // 5 allowed; the 6th must be refused. A 7th is tolerated only because the
      // sliding window is approximated with two buckets (a bucket boundary
      // between the 5th and the 6th attempt lets one more through).
      for (let i = 0; i < 7; i++) {
        const r = await signin(srv, `nobody${i}@example.test`, 'wrong password');
        statuses.push(r.status);
        if (r.status === 429) { limited = r; break; }
      }
      assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], `statuses ${statuses}`);
      assert.ok(limited, `a 429 came: ${statuses}`);
      assertError(limited, 429, 'RATE_LIMITED');
      const ra = limited.headers.get('retry-after');
      assert.match(String(ra), /^\d+$/, `Retry-After is whole seconds: ${ra}`);
      assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `Retry-After ${ra}`);
      // still limited right after, even with a different email
      const again = await signin(srv, 'someone.else@example.test', 'wrong password');
      assertError(again, 429, 'RATE_LIMITED');
      // other routes are not limited
      assert.equal((await srv.api('GET', '/health')).status, 200);
    } finally {
      await srv.stop();
    }
  });

  test('per account: the 4th attempt on one email is 429 with limit 3; other emails unaffected', async () => {
    const srv = await startServer({ env: { FECHATTER_LOGIN_RATE_IP: '1000', FECHATTER_LOGIN_RATE_ACCOUNT: '3' } });
    try {
      const u = await mustSignup(srv, {});
      const statuses = [];
      let limited = null;
      for (let i = 0; i < 5; i++) {
        const r = await signin(srv, u.email, 'wrong password');
        statuses.push(r.status);
        if (r.status === 429) { limited = r; break; }
      }
      assert.deepEqual(statuses.slice(0, 3), [401, 401, 401], `statuses ${statuses}`);
      assert.ok(limited, `a 429 came: ${statuses}`);
      assertError(limited, 429, 'RATE_LIMITED');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      // even the right password is refused while limited
      assertError(await signin(srv, u.email, u.password), 429, 'RATE_LIMITED');
      // another email from the same address is not limited
      assertError(await signin(srv, uniqueEmail('other'), 'wrong password'), 401, 'INVALID_CREDENTIALS');
    } finally {
      await srv.stop();
    }
  });
});
