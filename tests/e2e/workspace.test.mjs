// Users and workspace: /api/users/me, /api/users, profiles, the workspace,
// invites (max_uses, revocation, expiry), role and status changes, open
// registration and cross-workspace isolation.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, assertOk, assertError, assertUser, mustSignup, signup, uniqueEmail, createInvite,
  PASSWORD, RFC3339_MS, dbAvailable, dbQuery, dbChange,
} from './lib/server.mjs';

const PROFILE_FIELDS = ['title', 'department', 'bio', 'timezone', 'language'];

describe('workspace (invite registration)', () => {
  let srv;
  let owner;
  let admin;
  let member;
  let member2;
  before(async () => {
    srv = await startServer();
    owner = await mustSignup(srv, { workspace_name: 'Acme', fullname: 'Olive Owner' });
    const inv = await createInvite(srv, owner.access_token, { max_uses: 3 });
    admin = await mustSignup(srv, { invite_code: inv.code, fullname: 'Adam Admin' });
    member = await mustSignup(srv, { invite_code: inv.code, fullname: 'Mia Member' });
    member2 = await mustSignup(srv, { invite_code: inv.code, fullname: 'Max Member' });
    assertOk(await srv.api('PATCH', `/api/workspace/users/${admin.user.id}`, { token: owner.access_token, body: { role: 'admin' } }));
  });
  after(async () => { await srv?.stop(); });

  describe('users', () => {
    test('GET /api/users/me: profile plus workspace', async () => {
      const d = assertOk(await srv.api('GET', '/api/users/me', { token: member.access_token }));
      assertUser(d, { id: member.user.id, email: member.email, fullname: 'Mia Member', role: 'member', status: 'Active', workspace_id: owner.workspace.id });
      for (const k of PROFILE_FIELDS) assert.ok(k in d, `profile has ${k}`);
      assert.deepEqual(
        { id: d.workspace.id, name: d.workspace.name, owner_id: d.workspace.owner_id },
        { id: owner.workspace.id, name: 'Acme', owner_id: owner.user.id },
      );
      assert.equal(d.workspace.member_count, 4);
    });

    test('GET /api/users: the workspace\'s users by id', async () => {
      const d = assertOk(await srv.api('GET', '/api/users', { token: member.access_token }));
      assert.ok(Array.isArray(d));
      const ids = d.map((u) => u.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ordered by id');
      assert.deepEqual(new Set(ids), new Set([owner.user.id, admin.user.id, member.user.id, member2.user.id]));
      for (const u of d) assertUser(u, { workspace_id: owner.workspace.id });
      assert.equal(d.find((u) => u.id === admin.user.id).role, 'admin');
    });

    test('no password hash in users lists, profiles, /me or the log (issue 9, item 5)', async () => {
      // twice: the second list, /me and profile come from the cache
      const texts = [];
      for (let i = 0; i < 2; i++) {
        for (const path of ['/api/users', '/api/users/me', `/api/users/${owner.user.id}/profile`]) {
          const r = await srv.api('GET', path, { token: member.access_token });
          assert.equal(r.status, 200, path);
          texts.push(r.text);
        }
      }
      const hashes = [];
      if (dbAvailable()) hashes.push(...dbQuery(srv, 'SELECT password_hash FROM users').split('\n'));
      for (const h of hashes) assert.match(h, /^\$argon2id\$/, 'the stored hashes, read for the comparison');
      const { stderr, stdout } = srv.output();
      for (const t of [...texts, stderr, stdout]) {
        assert.ok(!t.includes('$argon2'), 'no argon2 hash');
        for (const h of hashes) assert.ok(!t.includes(h.split('$').pop()), 'no part of a stored hash');
      }
    });

    test('GET /api/users/{id}/profile: same workspace; unknown is 404', async () => {
      const d = assertOk(await srv.api('GET', `/api/users/${owner.user.id}/profile`, { token: member.access_token }));
      assertUser(d, { id: owner.user.id, role: 'owner', fullname: 'Olive Owner' });
      for (const k of PROFILE_FIELDS) assert.ok(k in d, `profile has ${k}`);
      assertError(await srv.api('GET', '/api/users/99999999/profile', { token: member.access_token }), 404, 'NOT_FOUND');
    });

    test('PUT /api/users/profile updates the caller\'s own profile', async () => {
      const body = {
        fullname: 'Mia M. Member', title: 'Engineer', department: 'R&D', avatar_url: 'https://example.test/a.png',
        bio: 'Hello – ünïcødé ✓', timezone: 'Europe/Paris', language: 'fr',
      };
      const d = assertOk(await srv.api('PUT', '/api/users/profile', { token: member.access_token, body }));
      for (const [k, v] of Object.entries(body)) assert.equal(d[k], v, k);
      assert.equal(d.id, member.user.id);
      const seen = assertOk(await srv.api('GET', `/api/users/${member.user.id}/profile`, { token: owner.access_token }));
      for (const [k, v] of Object.entries(body)) assert.equal(seen[k], v, `seen by others: ${k}`);
      // partial update keeps the other fields
      // an empty value clears the field (shown as "" or null: the contract leaves that open)
      const d2 = assertOk(await srv.api('PUT', '/api/users/profile', { token: member.access_token, body: { title: '' } }));
      assert.ok(d2.title === '' || d2.title === null, `cleared title: ${JSON.stringify(d2.title)}`);
      assert.equal(d2.bio, body.bio);
      assert.equal(d2.fullname, body.fullname);
      // the other accepted avatar form; a file url must name a picture the
      // caller uploaded (tests/e2e/avatar.test.mjs)
      assert.equal(assertOk(await srv.api('PUT', '/api/users/profile', { token: member.access_token, body: { avatar_url: 'http://example.test/b.png' } })).avatar_url, 'http://example.test/b.png');
      assertError(await srv.api('PUT', '/api/users/profile', { token: member.access_token, body: { avatar_url: '/api/files/abc.png' } }), 400, 'INVALID_AVATAR', 'avatar_url');
      const cleared = assertOk(await srv.api('PUT', '/api/users/profile', { token: member.access_token, body: { avatar_url: '' } })).avatar_url;
      assert.ok(cleared === '' || cleared === null, `cleared avatar_url: ${JSON.stringify(cleared)}`);
    });

    test('PUT /api/users/profile validation names the field', async () => {
      const cases = [
        [{ fullname: '' }, 'fullname'], [{ fullname: '   ' }, 'fullname'], [{ fullname: 'x'.repeat(51) }, 'fullname'],
        [{ fullname: 12 }, 'fullname'], [{ title: 'x'.repeat(101) }, 'title'], [{ title: 5 }, 'title'],
        [{ department: 'x'.repeat(101) }, 'department'], [{ avatar_url: 'ftp://example.test/a.png' }, 'avatar_url'],
        [{ avatar_url: 'javascript:alert(1)' }, 'avatar_url'], [{ avatar_url: `https://e.test/${'a'.repeat(490)}` }, 'avatar_url'],
        [{ bio: 'x'.repeat(1001) }, 'bio'], [{ timezone: 'x'.repeat(65) }, 'timezone'], [{ language: 'x'.repeat(17) }, 'language'],
      ];
      for (const [body, field] of cases) {
        assertError(await srv.api('PUT', '/api/users/profile', { token: member2.access_token, body }), 400, 'VALIDATION_ERROR', field);
      }
      // boundaries are accepted
      const ok = assertOk(await srv.api('PUT', '/api/users/profile', {
        token: member2.access_token,
        body: { title: 't'.repeat(100), bio: 'b'.repeat(1000), timezone: 'z'.repeat(64), language: 'l'.repeat(16), fullname: 'n'.repeat(50) },
      }));
      assert.equal(ok.bio.length, 1000);
      assertError(await srv.api('PUT', '/api/users/profile', { body: { title: 'x' } }), 401, 'UNAUTHORIZED');
    });
  });

  describe('workspace', () => {
    test('GET /api/workspace', async () => {
      const d = assertOk(await srv.api('GET', '/api/workspace', { token: member.access_token }));
      assert.equal(d.id, owner.workspace.id);
      assert.equal(d.name, 'Acme');
      assert.equal(d.owner_id, owner.user.id);
      assert.equal(d.member_count, 4);
      assert.match(d.created_at, RFC3339_MS);
    });

    test('PATCH /api/workspace: owner and admin rename; member 403; validation', async () => {
      assertError(await srv.api('PATCH', '/api/workspace', { token: member.access_token, body: { name: 'Hijack' } }), 403, 'FORBIDDEN');
      assertError(await srv.api('PATCH', '/api/workspace', { token: owner.access_token, body: { name: '' } }), 400, 'VALIDATION_ERROR', 'name');
      assertError(await srv.api('PATCH', '/api/workspace', { token: owner.access_token, body: { name: 'n'.repeat(51) } }), 400, 'VALIDATION_ERROR', 'name');
      assertError(await srv.api('PATCH', '/api/workspace', { token: owner.access_token, body: { name: 3 } }), 400, 'VALIDATION_ERROR', 'name');
      const d = assertOk(await srv.api('PATCH', '/api/workspace', { token: admin.access_token, body: { name: 'Acme Labs' } }));
      assert.equal(d.name, 'Acme Labs');
      const d2 = assertOk(await srv.api('PATCH', '/api/workspace', { token: owner.access_token, body: { name: 'Acme' } }));
      assert.equal(d2.name, 'Acme');
      assert.equal(assertOk(await srv.api('GET', '/api/workspace', { token: member.access_token })).name, 'Acme');
    });
  });

  describe('invites', () => {
    test('create with defaults: 16-char code, max_uses 1, 168 hours', async () => {
      const inv = await createInvite(srv, admin.access_token);
      assert.match(inv.code, /^[A-Za-z0-9_-]{16}$/);
      assert.equal(inv.workspace_id, owner.workspace.id);
      assert.equal(inv.created_by, admin.user.id);
      assert.equal(inv.max_uses, 1);
      assert.equal(inv.uses, 0);
      assert.match(inv.created_at, RFC3339_MS);
      assert.match(inv.expires_at, RFC3339_MS);
      const hours = (Date.parse(inv.expires_at) - Date.parse(inv.created_at)) / 3600000;
      assert.ok(Math.abs(hours - 168) < 0.01, `expires 168 h after creation, got ${hours}`);
      const inv2 = await createInvite(srv, owner.access_token, { max_uses: 1000, expires_in_hours: 720 });
      assert.equal(inv2.max_uses, 1000);
      assert.ok(Math.abs((Date.parse(inv2.expires_at) - Date.parse(inv2.created_at)) / 3600000 - 720) < 0.01);
      assert.notEqual(inv2.code, inv.code);
    });

    test('validation of max_uses and expires_in_hours', async () => {
      const cases = [
        [{ max_uses: 0 }, 'max_uses'], [{ max_uses: 1001 }, 'max_uses'], [{ max_uses: '5' }, 'max_uses'], [{ max_uses: 1.5 }, 'max_uses'],
        [{ expires_in_hours: 0 }, 'expires_in_hours'], [{ expires_in_hours: 721 }, 'expires_in_hours'], [{ expires_in_hours: 'soon' }, 'expires_in_hours'],
      ];
      for (const [body, field] of cases) {
        assertError(await srv.api('POST', '/api/workspace/invites', { token: owner.access_token, body }), 400, 'VALIDATION_ERROR', field);
      }
    });

    test('members cannot manage invites (403)', async () => {
      assertError(await srv.api('POST', '/api/workspace/invites', { token: member.access_token, body: {} }), 403, 'FORBIDDEN');
      assertError(await srv.api('GET', '/api/workspace/invites', { token: member.access_token }), 403, 'FORBIDDEN');
      const inv = await createInvite(srv, owner.access_token);
      assertError(await srv.api('DELETE', `/api/workspace/invites/${inv.code}`, { token: member.access_token }), 403, 'FORBIDDEN');
    });

    test('max_uses counting: uses go up, a used-up invite is INVALID_INVITE and leaves the list', async () => {
      const inv = await createInvite(srv, owner.access_token, { max_uses: 2 });
      const list0 = assertOk(await srv.api('GET', '/api/workspace/invites', { token: owner.access_token }));
      assert.equal(list0.find((i) => i.code === inv.code)?.uses, 0);
      const a = await mustSignup(srv, { invite_code: inv.code });
      assert.equal(a.user.role, 'member');
      const list1 = assertOk(await srv.api('GET', '/api/workspace/invites', { token: owner.access_token }));
      assert.equal(list1.find((i) => i.code === inv.code)?.uses, 1);
      await mustSignup(srv, { invite_code: inv.code });
      assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Third', invite_code: inv.code }), 400, 'INVALID_INVITE', 'invite_code');
      const list2 = assertOk(await srv.api('GET', '/api/workspace/invites', { token: owner.access_token }));
      assert.equal(list2.find((i) => i.code === inv.code), undefined, 'used up: not listed');
    });

    test('a failed signup does not use up an invite', async () => {
      const inv = await createInvite(srv, owner.access_token, { max_uses: 1 });
      assertError(await signup(srv, { email: member.email, password: PASSWORD, fullname: 'Dup', invite_code: inv.code }), 409, 'USER_EXISTS');
      assertError(await signup(srv, { email: uniqueEmail(), password: 'short', fullname: 'Bad', invite_code: inv.code }), 400, 'VALIDATION_ERROR', 'password');
      await mustSignup(srv, { invite_code: inv.code });
    });

    test('revoke: DELETE returns {code}; the invite is then INVALID_INVITE and unlisted; unknown is 404', async () => {
      const inv = await createInvite(srv, owner.access_token, { max_uses: 5 });
      const d = assertOk(await srv.api('DELETE', `/api/workspace/invites/${inv.code}`, { token: admin.access_token }));
      assert.deepEqual(d, { code: inv.code });
      assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Late', invite_code: inv.code }), 400, 'INVALID_INVITE', 'invite_code');
      const list = assertOk(await srv.api('GET', '/api/workspace/invites', { token: owner.access_token }));
      assert.equal(list.find((i) => i.code === inv.code), undefined);
      assertError(await srv.api('DELETE', '/api/workspace/invites/AAAAAAAAAAAAAAAA', { token: owner.access_token }), 404, 'NOT_FOUND');
    });

    test('unknown invite: 400 INVALID_INVITE', async () => {
      assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Who', invite_code: 'ZZZZZZZZZZZZZZZZ' }), 400, 'INVALID_INVITE', 'invite_code');
    });

    test('GET /api/workspace/invites lists only active invites with their fields', async () => {
      const inv = await createInvite(srv, owner.access_token, { max_uses: 7, expires_in_hours: 2 });
      const list = assertOk(await srv.api('GET', '/api/workspace/invites', { token: admin.access_token }));
      assert.ok(Array.isArray(list));
      const found = list.find((i) => i.code === inv.code);
      assert.deepEqual(found, inv);
      for (const i of list) {
        assert.equal(i.workspace_id, owner.workspace.id);
        assert.ok(i.uses < i.max_uses);
        assert.ok(Date.parse(i.expires_at) > Date.now());
      }
    });

    test('expired invite: 400 INVALID_INVITE (row aged with the sqlite3 shell or psql)',
      { skip: dbAvailable() ? false : 'sqlite3 command-line shell not installed' }, async () => {
        const inv = await createInvite(srv, owner.access_token, { max_uses: 5 });
        const n = dbChange(srv, `UPDATE invites SET expires_at = ${Date.now() - 1000} WHERE code = '${inv.code}'`);
        assert.equal(n, 1);
        assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Late', invite_code: inv.code }), 400, 'INVALID_INVITE', 'invite_code');
        const list = assertOk(await srv.api('GET', '/api/workspace/invites', { token: owner.access_token }));
        assert.equal(list.find((i) => i.code === inv.code), undefined, 'expired: not listed');
      });
  });

  describe('roles and status', () => {
    const patch = (token, id, body) => srv.api('PATCH', `/api/workspace/users/${id}`, { token, body });

    test('a member calling admin routes gets 403', async () => {
      assertError(await patch(member.access_token, member2.user.id, { status: 'Suspended' }), 403, 'FORBIDDEN');
      assertError(await patch(member.access_token, member2.user.id, { role: 'admin' }), 403, 'FORBIDDEN');
      assertError(await srv.api('PATCH', '/api/workspace', { token: member.access_token, body: { name: 'x' } }), 403, 'FORBIDDEN');
    });

    test('only the owner grants or takes admin', async () => {
      assertError(await patch(admin.access_token, member2.user.id, { role: 'admin' }), 403, 'FORBIDDEN');
      const up = assertOk(await patch(owner.access_token, member2.user.id, { role: 'admin' }));
      assertUser(up, { id: member2.user.id, role: 'admin' });
      assertError(await patch(admin.access_token, member2.user.id, { role: 'member' }), 403, 'FORBIDDEN');
      const down = assertOk(await patch(owner.access_token, member2.user.id, { role: 'member' }));
      assert.equal(down.role, 'member');
      const users = assertOk(await srv.api('GET', '/api/users', { token: owner.access_token }));
      assert.equal(users.find((u) => u.id === member2.user.id).role, 'member');
    });

    test('the owner cannot be changed, nobody changes themselves', async () => {
      assertError(await patch(admin.access_token, owner.user.id, { status: 'Suspended' }), 403, 'FORBIDDEN');
      assertError(await patch(admin.access_token, owner.user.id, { role: 'member' }), 403, 'FORBIDDEN');
      assertError(await patch(owner.access_token, owner.user.id, { role: 'admin' }), 403, 'FORBIDDEN');
      assertError(await patch(owner.access_token, owner.user.id, { status: 'Suspended' }), 403, 'FORBIDDEN');
      assertError(await patch(admin.access_token, admin.user.id, { role: 'member' }), 403, 'FORBIDDEN');
      assertError(await patch(admin.access_token, admin.user.id, { status: 'Suspended' }), 403, 'FORBIDDEN');
      const me = assertOk(await srv.api('GET', '/api/users/me', { token: owner.access_token }));
      assert.equal(me.role, 'owner');
      assert.equal(me.status, 'Active');
    });

    test('an admin may suspend and reactivate a member', async () => {
      const s = assertOk(await patch(admin.access_token, member2.user.id, { status: 'Suspended' }));
      assert.equal(s.status, 'Suspended');
      const a = assertOk(await patch(admin.access_token, member2.user.id, { status: 'Active' }));
      assert.equal(a.status, 'Active');
    });

    test('a role change takes effect for the user\'s next requests', async () => {
      const inv = await createInvite(srv, owner.access_token);
      const u = await mustSignup(srv, { invite_code: inv.code });
      assertError(await srv.api('POST', '/api/workspace/invites', { token: u.access_token, body: {} }), 403, 'FORBIDDEN');
      assertOk(await patch(owner.access_token, u.user.id, { role: 'admin' }));
      const fresh = assertOk(await srv.api('POST', '/api/signin', { body: { email: u.email, password: u.password } }));
      assert.equal(fresh.user.role, 'admin');
      assertOk(await srv.api('POST', '/api/workspace/invites', { token: fresh.access_token, body: {} }), 201);
      assertOk(await patch(owner.access_token, u.user.id, { role: 'member' }));
      const r = await srv.api('POST', '/api/workspace/invites', { token: fresh.access_token, body: {} });
      assert.ok([401, 403].includes(r.status), `a demoted admin's token no longer creates invites: ${r.status} ${r.text}`);
    });

    test('validation and unknown users', async () => {
      assertError(await patch(owner.access_token, member2.user.id, { role: 'owner' }), 400, 'VALIDATION_ERROR', 'role');
      assertError(await patch(owner.access_token, member2.user.id, { role: 'superuser' }), 400, 'VALIDATION_ERROR', 'role');
      assertError(await patch(owner.access_token, member2.user.id, { role: 1 }), 400, 'VALIDATION_ERROR', 'role');
      assertError(await patch(owner.access_token, member2.user.id, { status: 'Banned' }), 400, 'VALIDATION_ERROR', 'status');
      assertError(await patch(owner.access_token, member2.user.id, { status: 'active' }), 400, 'VALIDATION_ERROR', 'status');
      assertError(await patch(owner.access_token, 99999999, { status: 'Suspended' }), 404, 'NOT_FOUND');
    });
  });
});

describe('open registration and cross-workspace isolation', () => {
  let srv;
  let a; // owner of workspace Alpha
  let b; // owner of workspace Beta
  let aMember;
  before(async () => {
    srv = await startServer({ args: ['--registration', 'open'] });
    a = await mustSignup(srv, { workspace_name: 'Alpha' });
  });
  after(async () => { await srv?.stop(); });

  test('a signup without invite creates and owns a new workspace', async () => {
    b = await mustSignup(srv, { workspace_name: 'Beta' });
    assert.equal(b.user.role, 'owner');
    assert.notEqual(b.workspace.id, a.workspace.id);
    assert.equal(b.workspace.name, 'Beta');
    assert.equal(b.workspace.owner_id, b.user.id);
    const ws = assertOk(await srv.api('GET', '/api/workspace', { token: b.access_token }));
    assert.equal(ws.member_count, 1);
  });

  test('a taken workspace name (any case) is 409 WORKSPACE_EXISTS; nothing is joined', async () => {
    const email = uniqueEmail('taken');
    assertError(await signup(srv, { email, password: PASSWORD, fullname: 'Copy Cat', workspace_name: 'alpha' }), 409, 'WORKSPACE_EXISTS');
    assertError(await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Copy Cat', workspace_name: 'ALPHA' }), 409, 'WORKSPACE_EXISTS');
    // the refused email was not created
    const r = await srv.api('POST', '/api/signin', { body: { email, password: PASSWORD } });
    assertError(r, 401, 'INVALID_CREDENTIALS');
    const ws = assertOk(await srv.api('GET', '/api/workspace', { token: a.access_token }));
    assert.equal(ws.member_count, 1);
  });

  test('open mode without workspace_name and without an invite: a new workspace of its own (issue 12), never an existing one', async () => {
    const r = await signup(srv, { email: uniqueEmail(), password: PASSWORD, fullname: 'Nameless' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.data.workspace.name, "Nameless's workspace");
    assert.equal(r.json.data.user.role, 'owner');
    assert.notEqual(r.json.data.workspace.id, a.workspace.id);
  });

  test('an invite still joins its workspace in open mode', async () => {
    const inv = await createInvite(srv, a.access_token);
    aMember = await mustSignup(srv, { invite_code: inv.code, workspace_name: 'Gamma' });
    assert.equal(aMember.user.workspace_id, a.workspace.id);
    assert.equal(aMember.user.role, 'member');
  });

  test('renaming to another workspace\'s name is 409 WORKSPACE_EXISTS', async () => {
    assertError(await srv.api('PATCH', '/api/workspace', { token: b.access_token, body: { name: 'aLPHA' } }), 409, 'WORKSPACE_EXISTS');
    assert.equal(assertOk(await srv.api('GET', '/api/workspace', { token: b.access_token })).name, 'Beta');
  });

  test('users of another workspace are invisible (404) and unlisted', async () => {
    assertError(await srv.api('GET', `/api/users/${a.user.id}/profile`, { token: b.access_token }), 404, 'NOT_FOUND');
    assertError(await srv.api('GET', `/api/users/${aMember.user.id}/profile`, { token: b.access_token }), 404, 'NOT_FOUND');
    const listB = assertOk(await srv.api('GET', '/api/users', { token: b.access_token }));
    assert.deepEqual(listB.map((u) => u.id), [b.user.id]);
    const listA = assertOk(await srv.api('GET', '/api/users', { token: a.access_token }));
    assert.deepEqual(listA.map((u) => u.id).sort((x, y) => x - y), [a.user.id, aMember.user.id].sort((x, y) => x - y));
  });

  test('an owner cannot change users or invites of another workspace', async () => {
    const r = await srv.api('PATCH', `/api/workspace/users/${aMember.user.id}`, { token: b.access_token, body: { status: 'Suspended' } });
    assertError(r, 404, 'NOT_FOUND');
    const me = assertOk(await srv.api('GET', '/api/users/me', { token: aMember.access_token }));
    assert.equal(me.status, 'Active');
    const inv = await createInvite(srv, a.access_token);
    assertError(await srv.api('DELETE', `/api/workspace/invites/${inv.code}`, { token: b.access_token }), 404, 'NOT_FOUND');
    const listB = assertOk(await srv.api('GET', '/api/workspace/invites', { token: b.access_token }));
    assert.equal(listB.find((i) => i.code === inv.code), undefined);
    // still usable in its own workspace
    const j = await mustSignup(srv, { invite_code: inv.code });
    assert.equal(j.user.workspace_id, a.workspace.id);
  });
});
