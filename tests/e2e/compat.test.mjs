// The original system's API forms (issue 12, docs/API.md "Compatibility"):
// the requests its existing clients send, exactly as they send them, and
// the holes of the original that are not copied (file links without
// authentication, find-or-create of workspaces by name, CORS for anyone).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import {
  startServer, assertOk, assertError, mustSignup, mustSignin, signin, createInvite, uniqueEmail, PASSWORD,
  refreshCookie, decodeJwt, HOST, freePort, runBin,
} from './lib/server.mjs';
import {
  createChat, memberIds, send, tok, pngBytes, mustUpload, upload, fetchBytes, sha256Hex,
} from './lib/conv.mjs';

// Set-Cookie headers named name: [{value, attrs, raw}].
function cookiesNamed(res, name) {
  const out = [];
  for (const c of res.cookies ?? []) {
    const parts = c.split(';').map((p) => p.trim());
    const i = parts[0].indexOf('=');
    if (parts[0].slice(0, i) !== name) continue;
    const attrs = {};
    for (const p of parts.slice(1)) {
      const k = p.indexOf('=');
      if (k < 0) attrs[p.toLowerCase()] = true;
      else attrs[p.slice(0, k).toLowerCase()] = p.slice(k + 1);
    }
    out.push({ value: parts[0].slice(i + 1), attrs, raw: c });
  }
  return out;
}

// The file cookie's value out of an auth answer (both paths carry the same token).
function fileCookie(res) {
  const c = cookiesNamed(res, 'file_token');
  assert.equal(c.length, 2, `two file_token cookies (one per file path): ${JSON.stringify(res.cookies)}`);
  assert.equal(c[0].value, c[1].value);
  return c[0].value;
}

const withCookie = (value) => ({ cookie: `file_token=${value}` });

describe('compatibility: the original clients\' requests', () => {
  let srv; let owner; let bob; let carol; let other; let invite; let dm; let chan;
  before(async () => {
    srv = await startServer({ args: ['--registration', 'open'] });
    owner = await mustSignup(srv, { fullname: 'Olive Owner', workspace_name: 'Acme' });
    invite = await createInvite(srv, tok(owner), { max_uses: 20 });
    bob = await mustSignup(srv, { fullname: 'Bob Builder', invite_code: invite.code });
    carol = await mustSignup(srv, { fullname: 'Carol Chan', invite_code: invite.code });
    other = await mustSignup(srv, { fullname: 'Olga Other', workspace_name: 'Elsewhere' });
    // the first chat of a fresh server is chat 1, as in the request
    chan = await createChat(srv, owner, { chat_type: 'PrivateChannel', name: 'general', members: memberIds(bob) });
    assert.equal(chan.id, 1);
    await send(srv, owner, chan.id, 'We store everything in SQLite with WAL');
    await send(srv, bob, chan.id, 'SQLite FTS5 finds it');
    dm = await createChat(srv, owner, { chat_type: 'Single', name: 'ignored for a Single', members: memberIds(carol) });
  });
  after(async () => { await srv?.stop(); });

  // ------------------------------------------------------------ 1. search by POST
  test('1. POST /api/chat/1/messages/search?q=SQLite&limit=50&offset=0&strategy=full_text&highlight=true&sort=relevance: 200 with the hits', async () => {
    const r = await srv.api('POST', '/api/chat/1/messages/search?q=SQLite&limit=50&offset=0&strategy=full_text&highlight=true&sort=relevance', { token: tok(bob) });
    const d = assertOk(r);
    assert.equal(d.total, 2, r.text);
    assert.equal(d.page.limit, 50);
    assert.ok(d.hits.every((h) => h.chat_id === 1 && /<mark>SQLite<\/mark>/i.test(h.snippet)));
  });

  test('1. POST /api/search/messages with the parameters in a JSON body (numbers or strings); sort=relevance_time', async () => {
    const a = assertOk(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'SQLite', limit: 1, offset: 0, strategy: 'full_text', highlight: true, sort: 'relevance_time' } }));
    assert.equal(a.total, 2);
    assert.equal(a.hits.length, 1);
    assert.equal(a.page.has_more, true);
    const b = assertOk(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'SQLite', limit: '1', offset: '1', chat_id: String(chan.id) } }));
    assert.equal(b.hits.length, 1);
    assert.notEqual(b.hits[0].id, a.hits[0].id, 'offset 1 is the other hit');
    // GET keeps working, with relevance_time too
    assert.equal(assertOk(await srv.api('GET', '/api/search/messages?q=SQLite&sort=relevance_time', { token: tok(bob) })).total, 2);
    // the query string wins over the body
    assert.equal(assertOk(await srv.api('POST', '/api/search/messages?q=FTS5', { token: tok(bob), body: { q: 'WAL' } })).total, 1);
  });

  test('1. search by POST: bad input is 400 naming the field; other callers see nothing', async () => {
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: {} }), 400, 'VALIDATION_ERROR', 'q');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'x', limit: 'ten' } }), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'x', limit: [1] } }), 400, 'VALIDATION_ERROR', 'limit');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'x', offset: 1e300 } }), 400, 'VALIDATION_ERROR', 'offset');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 'x', sort: 'random' } }), 400, 'VALIDATION_ERROR', 'sort');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), body: { q: 7.5 } }), 400, 'VALIDATION_ERROR', 'q');
    assertError(await srv.api('POST', '/api/search/messages', { token: tok(bob), rawBody: 'q=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    assertError(await srv.api('POST', '/api/search/messages?q=SQLite'), 401);
    assertError(await srv.api('POST', `/api/chat/${chan.id}/messages/search?q=SQLite`, { token: tok(other) }), 404);
    assertError(await srv.api('POST', `/api/chat/${chan.id}/messages/search?q=SQLite`, { token: tok(carol) }), 404);
    assert.equal(assertOk(await srv.api('POST', '/api/search/messages?q=SQLite', { token: tok(carol) })).total, 0, 'not a member: no hits');
    assert.equal(assertOk(await srv.api('POST', '/api/search/messages?q=SQLite', { token: tok(other) })).total, 0, 'another workspace: no hits');
  });

  // ------------------------------------------------------------ 2. upload answers 200
  test('2. POST /api/files/single answers 200 with the file object', async () => {
    const png = pngBytes(2, 2, 'compat-upload');
    const r = await upload(srv, tok(bob), png, { filename: 'c.png', type: 'image/png' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    for (const k of ['id', 'url', 'filename', 'mime_type', 'size', 'created_at']) assert.ok(k in r.json.data, k);
    assert.equal(r.json.data.url, `/api/files/${sha256Hex(png)}.png`);
  });

  // ------------------------------------------------------------ 4. GET /api/users/profile
  test('4. GET /api/users/profile: the caller\'s own profile, the shape of /api/users/me', async () => {
    const me = assertOk(await srv.api('GET', '/api/users/me', { token: tok(bob) }));
    const p = assertOk(await srv.api('GET', '/api/users/profile', { token: tok(bob) }));
    assert.deepEqual(p, me);
    assert.equal(p.id, bob.user.id);
    assertError(await srv.api('GET', '/api/users/profile'), 401);
  });

  // ------------------------------------------------------------ 5. and 6. chat names, last_message.sender_name
  test('5. a Single\'s name is the other person\'s full name, as each of the two sees it; a name sent at creation is ignored', async () => {
    assert.equal(dm.name, 'Carol Chan', 'the creator sees the other person');
    const mine = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(owner) })).find((c) => c.id === dm.id);
    const hers = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(carol) })).find((c) => c.id === dm.id);
    assert.equal(mine.name, 'Carol Chan');
    assert.equal(hers.name, 'Olive Owner');
    assert.equal(assertOk(await srv.api('GET', `/api/chat/${dm.id}`, { token: tok(carol) })).name, 'Olive Owner');
    // the existing pair answered again (200) carries the name too
    const again = assertOk(await srv.api('POST', '/api/workspace/chats', { token: tok(carol), body: { chat_type: 'Single', name: 'x', members: [owner.user.id] } }));
    assert.equal(again.id, dm.id);
    assert.equal(again.name, 'Olive Owner');
    // a channel keeps its own name
    assert.equal(assertOk(await srv.api('GET', `/api/chat/${chan.id}`, { token: tok(bob) })).name, 'general');
  });

  test('5. and 6. a rename shows at once in the Single\'s name and in last_message.sender_name (cached lists stay right)', async () => {
    await send(srv, carol, dm.id, 'hello Olive');
    const before1 = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(owner) })).find((c) => c.id === dm.id);
    assert.equal(before1.last_message.sender_name, 'Carol Chan');
    assert.equal(before1.last_message.sender.fullname, 'Carol Chan');
    // warm the caches (user, chat, first page), then rename
    await srv.api('GET', `/api/chat/${dm.id}/messages`, { token: tok(owner) });
    assertOk(await srv.api('PUT', '/api/users/profile', { token: tok(carol), body: { fullname: 'Carol Renamed' } }));
    const list = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(owner) })).find((c) => c.id === dm.id);
    assert.equal(list.name, 'Carol Renamed');
    assert.equal(list.last_message.sender_name, 'Carol Renamed');
    assert.equal(assertOk(await srv.api('GET', `/api/chat/${dm.id}`, { token: tok(owner) })).name, 'Carol Renamed');
    assert.equal(assertOk(await srv.api('GET', `/api/chat/${dm.id}/messages`, { token: tok(owner) }))[0].sender.fullname, 'Carol Renamed');
    // her own view still names the other person
    assert.equal(assertOk(await srv.api('GET', `/api/chat/${dm.id}`, { token: tok(carol) })).name, 'Olive Owner');
  });

  test('6. last_message.sender_name in the chat list, and null last_message for an empty chat', async () => {
    const list = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(bob) }));
    const g = list.find((c) => c.id === chan.id);
    assert.equal(g.last_message.sender_name, 'Bob Builder');
    assert.equal(g.last_message.sender_name, g.last_message.sender.fullname);
    const empty = await createChat(srv, bob, { chat_type: 'Group', name: '', members: memberIds(owner) });
    assert.equal(empty.last_message, null);
  });

  test('5. another workspace\'s user cannot make or see a Single with a member', async () => {
    const r = await srv.api('POST', '/api/workspace/chats', { token: tok(other), body: { chat_type: 'Single', members: [carol.user.id] } });
    assertError(r, 400, 'VALIDATION_ERROR', 'members');
    assertError(await srv.api('GET', `/api/chat/${dm.id}`, { token: tok(other) }), 404);
  });

  // ------------------------------------------------------------ 7. open registration without a workspace name
  test('7. open registration without workspace_name: a new workspace "<name>\'s workspace", made unique, never an existing one', async () => {
    const a = await mustSignup(srv, { fullname: 'Dana Doe' });
    assert.equal(a.workspace.name, "Dana Doe's workspace");
    assert.equal(a.user.role, 'owner');
    const b = await mustSignup(srv, { fullname: 'Dana Doe' });
    assert.equal(b.workspace.name, "Dana Doe's workspace 2");
    assert.notEqual(b.workspace.id, a.workspace.id);
    assert.equal(b.user.role, 'owner');
    // the two are strangers: neither sees the other
    assertError(await srv.api('GET', `/api/users/${a.user.id}/profile`, { token: tok(b) }), 404);
    // naming an existing workspace is still 409, never a join
    assertError(await srv.api('POST', '/api/signup', { body: { email: uniqueEmail('fc'), password: PASSWORD, fullname: 'Finder', workspace_name: 'acme' } }), 409, 'WORKSPACE_EXISTS');
    // a long name stays within the 50 characters of a workspace name
    const long = await mustSignup(srv, { fullname: 'Ž'.repeat(50) });
    assert.ok([...long.workspace.name].length <= 50, long.workspace.name);
    assert.ok(long.workspace.name.endsWith("'s workspace"));
  });

  // ------------------------------------------------------------ 8. refresh without cookies
  test('8. POST /api/refresh with Authorization: Bearer <refresh token>: a new pair; the rotated token again revokes the family', async () => {
    const s = await mustSignin(srv, bob.email);
    const r1 = await srv.api('POST', '/api/refresh', { headers: { authorization: `Bearer ${s.refresh_token}` } });
    const d1 = assertOk(r1);
    assert.notEqual(d1.refresh_token, s.refresh_token);
    assert.equal(decodeJwt(d1.access_token).claims.sub, String(bob.user.id));
    // reuse of the rotated one: the whole family goes
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: `Bearer ${s.refresh_token}` } }), 401, 'TOKEN_REUSED');
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: `Bearer ${d1.refresh_token}` } }), 401, 'INVALID_REFRESH_TOKEN');
  });

  test('8. POST /api/refresh with {"refresh_token": ...}: rotation and reuse detection the same way', async () => {
    const s = await mustSignin(srv, bob.email);
    const d1 = assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } }));
    const d2 = assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: d1.refresh_token } }));
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: d1.refresh_token } }), 401, 'TOKEN_REUSED');
    assertError(await srv.api('POST', '/api/refresh', { body: { refresh_token: d2.refresh_token } }), 401, 'INVALID_REFRESH_TOKEN');
  });

  test('8. refresh by header: an access token, a non-bearer header or a revoked session is 401', async () => {
    const s = await mustSignin(srv, bob.email);
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: `Bearer ${s.access_token}` } }), 401, 'INVALID_REFRESH_TOKEN');
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: `Basic ${s.refresh_token}` } }), 401, 'INVALID_REFRESH_TOKEN');
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: 'Bearer nope' } }), 401, 'INVALID_REFRESH_TOKEN');
    assertOk(await srv.api('POST', '/api/logout-all', { token: s.access_token }));
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: `Bearer ${s.refresh_token}` } }), 401);
    // the header wins over a cookie; the body wins over both
    const t = await mustSignin(srv, bob.email);
    const cookie = `refresh_token=${refreshCookie(t.res).value}`;
    assertError(await srv.api('POST', '/api/refresh', { headers: { authorization: 'Bearer nope', cookie } }), 401);
    assertOk(await srv.api('POST', '/api/refresh', { body: { refresh_token: t.refresh_token }, headers: { authorization: 'Bearer nope', cookie } }));
  });
});

// ---------------------------------------------------------------- 3. file links
describe('compatibility: file links a browser can load (the file cookie)', () => {
  let srv; let owner; let bob; let carol; let other; let chat; let file; let png;
  before(async () => {
    srv = await startServer({ args: ['--registration', 'open'] });
    owner = await mustSignup(srv, { fullname: 'Olive Owner', workspace_name: 'Acme' });
    const invite = await createInvite(srv, tok(owner), { max_uses: 20 });
    bob = await mustSignup(srv, { fullname: 'Bob Builder', invite_code: invite.code });
    carol = await mustSignup(srv, { fullname: 'Carol Chan', invite_code: invite.code });
    other = await mustSignup(srv, { fullname: 'Olga Other', workspace_name: 'Elsewhere' });
    chat = await createChat(srv, owner, { chat_type: 'PrivateChannel', name: 'pics', members: memberIds(bob, carol) });
    png = pngBytes(3, 3, `compat-file-${Date.now()}`);
    file = await mustUpload(srv, owner, png, { filename: 'p.png', type: 'image/png' });
    await send(srv, owner, chat.id, 'a picture', { files: [file.id] });
  });
  after(async () => { await srv?.stop(); });

  const sha = () => sha256Hex(png);

  test('3. sign-in, sign-up and refresh set file_token: HttpOnly, SameSite=Strict, Path=/api/files and /files, short-lived, no Secure on plain HTTP', async () => {
    for (const res of [bob.res, (await mustSignin(srv, bob.email)).res]) {
      const c = cookiesNamed(res, 'file_token');
      assert.deepEqual(c.map((x) => x.attrs.path).sort(), ['/api/files', '/files']);
      for (const x of c) {
        assert.equal(x.attrs.httponly, true, x.raw);
        assert.equal(x.attrs.samesite, 'Strict', x.raw);
        assert.equal(x.attrs['max-age'], '1800', x.raw);
        assert.equal(x.attrs.secure, undefined, x.raw);
      }
      const claims = decodeJwt(c[0].value).claims;
      assert.equal(claims.aud, 'fechatter-files');
      assert.equal(claims.sub, String(bob.user.id));
      assert.ok('tv' in claims, 'carries the token version');
    }
    const s = await mustSignin(srv, bob.email);
    const r = await srv.api('POST', '/api/refresh', { body: { refresh_token: s.refresh_token } });
    assertOk(r);
    assert.equal(decodeJwt(fileCookie(r)).claims.sub, String(bob.user.id));
  });

  test('3. GET /api/files/{sha}.{ext}, /files/{sha}.{ext} and /api/files/download/{name} with only the cookie (HEAD too)', async () => {
    const c = withCookie(fileCookie((await mustSignin(srv, bob.email)).res));
    for (const path of [`/api/files/${sha()}.png`, `/files/${sha()}.png`, `/api/files/download/${sha()}.png`, `/api/files/download/${sha().slice(6)}.png`]) {
      const r = await fetchBytes(srv, path, { headers: c });
      assert.equal(r.status, 200, path);
      assert.ok(r.body.equals(png), path);
      assert.equal(r.headers.get('content-type'), 'image/png');
    }
    assert.match((await fetchBytes(srv, `/api/files/download/${sha().slice(6)}.png`, { headers: c })).headers.get('content-disposition'), /^attachment/);
    const head = await fetch(`${srv.url}/files/${sha()}.png`, { method: 'HEAD', headers: c });
    assert.equal(head.status, 200);
    // the Authorization header works on the new routes as well
    assert.equal((await fetchBytes(srv, `/files/${sha()}.png`, { token: tok(carol) })).status, 200);
    assert.equal((await fetchBytes(srv, `/api/files/download/${sha().slice(6)}.png`, { token: tok(carol) })).status, 200);
  });

  test('3. the original\'s download name: wrong extension, a bad or unknown suffix, a partial hash are 404; no cookie 401', async () => {
    const c = withCookie(fileCookie((await mustSignin(srv, bob.email)).res));
    for (const name of [`${sha().slice(6)}.jpg`, `${sha().slice(7)}.png`, `${'0'.repeat(58)}.png`, `${sha().slice(6).toUpperCase()}.png`, `${sha().slice(6)}`, 'x.png']) {
      const r = await fetchBytes(srv, `/api/files/download/${name}`, { headers: c });
      assert.equal(r.status, 404, name);
    }
    assert.equal((await fetchBytes(srv, `/api/files/download/${sha().slice(6)}.png`)).status, 401);
    assert.equal((await fetchBytes(srv, `/files/${sha()}.png`)).status, 401);
  });

  test('3. today\'s read rule: another workspace\'s user and a removed member get 404 with their own cookie', async () => {
    const oc = withCookie(fileCookie((await mustSignin(srv, other.email)).res));
    for (const path of [`/api/files/${sha()}.png`, `/files/${sha()}.png`, `/api/files/download/${sha().slice(6)}.png`]) {
      assert.equal((await fetchBytes(srv, path, { headers: oc })).status, 404, path);
    }
    const cc = withCookie(fileCookie((await mustSignin(srv, carol.email)).res));
    assert.equal((await fetchBytes(srv, `/files/${sha()}.png`, { headers: cc })).status, 200);
    assertOk(await srv.api('DELETE', `/api/chat/${chat.id}/members/${carol.user.id}`, { token: tok(owner) }));
    for (const path of [`/api/files/${sha()}.png`, `/files/${sha()}.png`, `/api/files/download/${sha().slice(6)}.png`]) {
      assert.equal((await fetchBytes(srv, path, { headers: cc })).status, 404, path);
    }
  });

  test('3. revoked sessions: logout-all, a password change and a suspension end the cookie; logout clears it', async () => {
    const u = await mustSignup(srv, { fullname: 'Rita Revoked', invite_code: (await createInvite(srv, tok(owner), {})).code });
    await srv.api('POST', `/api/chat/${chat.id}/members`, { token: tok(owner), body: [u.user.id] });
    const path = `/files/${sha()}.png`;
    // logout-all
    let s = await mustSignin(srv, u.email);
    let c = withCookie(fileCookie(s.res));
    assert.equal((await fetchBytes(srv, path, { headers: c })).status, 200);
    const la = await srv.api('POST', '/api/logout-all', { token: s.access_token });
    assertOk(la);
    assert.ok(cookiesNamed(la, 'file_token').every((x) => x.value === '' && x.attrs['max-age'] === '0'), 'logout-all clears it');
    assert.equal((await fetchBytes(srv, path, { headers: c })).status, 401);
    // password change
    s = await mustSignin(srv, u.email);
    c = withCookie(fileCookie(s.res));
    const cp = await srv.api('POST', '/api/users/change-password', { token: s.access_token, body: { current_password: PASSWORD, new_password: 'another password 1' } });
    const fresh = assertOk(cp);
    assert.equal((await fetchBytes(srv, path, { headers: c })).status, 401, 'the old cookie is dead');
    assert.equal((await fetchBytes(srv, path, { headers: withCookie(fileCookie(cp)) })).status, 200, 'the new one works');
    // suspension
    c = withCookie(fileCookie(cp));
    assertOk(await srv.api('PATCH', `/api/workspace/users/${u.user.id}`, { token: tok(owner), body: { status: 'Suspended' } }));
    assert.equal((await fetchBytes(srv, path, { headers: c })).status, 401);
    assert.ok(fresh.access_token);
    // logout clears both cookies
    const b = await mustSignin(srv, bob.email);
    const lo = await srv.api('POST', '/api/logout', { token: b.access_token, body: { refresh_token: b.refresh_token } });
    assertOk(lo);
    const cleared = cookiesNamed(lo, 'file_token');
    assert.deepEqual(cleared.map((x) => x.attrs.path).sort(), ['/api/files', '/files']);
    assert.ok(cleared.every((x) => x.value === '' && x.attrs['max-age'] === '0'));
  });

  test('3. the cookie authenticates nothing but file GET/HEAD; an access token is no file cookie, nor the cookie a bearer token', async () => {
    const s = await mustSignin(srv, bob.email);
    const value = fileCookie(s.res);
    const c = withCookie(value);
    assertError(await srv.api('GET', '/api/users/me', { headers: c }), 401);
    assertError(await srv.api('GET', '/api/workspace/chats', { headers: c }), 401);
    assertError(await srv.api('POST', `/api/chat/${chat.id}/messages`, { headers: c, body: { content: 'csrf' } }), 401);
    const up = await fetch(`${srv.url}/api/files/single`, { method: 'POST', headers: c, body: (() => { const fd = new FormData(); fd.append('file', new Blob([png]), 'x.png'); return fd; })() });
    assert.equal(up.status, 401);
    assertError(await srv.api('GET', '/api/users/me', { token: value }), 401, 'INVALID_TOKEN');
    assert.equal((await fetchBytes(srv, `/files/${sha()}.png`, { headers: withCookie(s.access_token) })).status, 401);
    assert.equal((await fetchBytes(srv, `/files/${sha()}.png`, { headers: withCookie('garbage') })).status, 401);
  });

  test('3. over TLS the cookie is Secure', async () => {
    const port = await freePort();
    const tsrv = await startServer({ args: ['--tls-port', String(port)] });
    try {
      const body = JSON.stringify({ email: uniqueEmail('tls'), password: PASSWORD, fullname: 'Tess Tls' });
      const cookies = await new Promise((resolve, reject) => {
        const deadline = Date.now() + 10000;
        const attempt = () => {
          const req = https.request({ host: HOST, port, path: '/api/signup', method: 'POST', rejectUnauthorized: false, agent: false,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers['set-cookie'] ?? []));
          });
          req.on('error', (e) => (Date.now() < deadline ? setTimeout(attempt, 100) : reject(e)));
          req.end(body);
        };
        attempt();
      });
      const files = cookies.filter((x) => x.startsWith('file_token='));
      assert.equal(files.length, 2, JSON.stringify(cookies));
      assert.ok(files.every((x) => /;\s*Secure/.test(x)), JSON.stringify(files));
    } finally {
      await tsrv.stop();
    }
  });
});

// ---------------------------------------------------------------- 9. CORS
describe('compatibility: CORS for clients served elsewhere (--cors-origin)', () => {
  const A = 'https://app.example.com';
  const B = 'http://localhost:5173';
  let srv; let user;
  before(async () => {
    srv = await startServer({ args: ['--cors-origin', A, '--cors-origin', B] });
    user = await mustSignup(srv, { fullname: 'Cora Cors' });
  });
  after(async () => { await srv?.stop(); });

  const preflight = (origin, path = '/api/signin', method = 'POST') => srv.api('OPTIONS', path, {
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
  });

  test('9. a preflight from a listed origin: 204 with the methods, headers, max-age, the origin echoed and credentials', async () => {
    for (const o of [A, B]) {
      const r = await preflight(o);
      assert.equal(r.status, 204, r.text);
      assert.equal(r.headers.get('access-control-allow-origin'), o);
      assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
      assert.match(r.headers.get('access-control-allow-methods'), /POST/);
      assert.match(r.headers.get('access-control-allow-methods'), /DELETE/);
      assert.match(r.headers.get('access-control-allow-headers').toLowerCase(), /authorization/);
      assert.match(r.headers.get('access-control-allow-headers').toLowerCase(), /content-type/);
      assert.ok(Number(r.headers.get('access-control-max-age')) > 0);
      assert.match(r.headers.get('vary') ?? '', /Origin/);
      assert.equal(r.text, '');
      assert.equal(r.headers.get('content-length'), null, 'a 204 has no Content-Length');
    }
    assert.equal((await preflight(A, `/api/chat/1/messages/search`)).status, 204);
  });

  test('9. actual requests from a listed origin carry the origin and credentials, never "*"', async () => {
    const r = await srv.api('GET', '/api/users/me', { token: tok(user), headers: { origin: A } });
    assertOk(r);
    assert.equal(r.headers.get('access-control-allow-origin'), A);
    assert.equal(r.headers.get('access-control-allow-credentials'), 'true');
    assert.match(r.headers.get('vary') ?? '', /Origin/);
    assert.equal(r.headers.get('access-control-allow-methods'), null, 'preflight headers only on the preflight');
    const e = await srv.api('GET', '/api/users/me', { headers: { origin: B } });
    assert.equal(e.status, 401);
    assert.equal(e.headers.get('access-control-allow-origin'), B, 'errors too, so the client can read them');
  });

  test('9. unlisted origins get no CORS headers (preflight or not); near misses do not match', async () => {
    for (const o of ['https://evil.example.com', 'https://app.example.com.evil.net', 'http://app.example.com', 'https://app.example.com:444', 'null', `${A}/`]) {
      const p = await preflight(o);
      assert.notEqual(p.status, 204, o);
      for (const h of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods']) {
        assert.equal(p.headers.get(h), null, `${o} ${h}`);
      }
      const r = await srv.api('GET', '/api/users/me', { token: tok(user), headers: { origin: o } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), null, o);
      assert.equal(r.headers.get('access-control-allow-credentials'), null, o);
    }
    // no Origin at all: no CORS headers
    const r = await srv.api('GET', '/api/users/me', { token: tok(user) });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  test('9. a preflight does not authenticate anything: the request itself still needs its token', async () => {
    assert.equal((await preflight(A, '/api/users/me', 'GET')).status, 204);
    assert.equal((await srv.api('GET', '/api/users/me', { headers: { origin: A } })).status, 401);
    // unknown path: 404 (with the CORS headers, so the client sees it)
    const p = await preflight(A, '/api/nope');
    assert.equal(p.status, 404);
  });

  test('9. --cors-origin is checked at start-up: an origin only (scheme, host, port), exit 2 otherwise; the values add up', () => {
    for (const bad of ['*', 'null', 'ftp://x.example', 'https://x.example/', 'https://x.example/app', 'https://', 'https://x.example:0', 'https://x.example:70000', 'https://a b']) {
      const r = runBin(['--check-config', '--cors-origin', bad]);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /cors-origin/);
    }
    const ok = runBin(['--check-config', '--cors-origin', A, '--cors-origin', B, '--cors-origin', A], { env: { ...process.env, FECHATTER_CORS_ORIGIN: 'https://[::1]:8443' } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^cors-origin https://\\[::1\\]:8443 ${A} ${B}$`, 'm'));
    assert.match(runBin(['--check-config']).stdout, /^cors-origin -$/m);
  });

  test('9. without --cors-origin: no CORS headers at all, OPTIONS stays 405', async () => {
    const plain = await startServer();
    try {
      const p = await plain.api('OPTIONS', '/api/signin', { headers: { origin: A, 'access-control-request-method': 'POST' } });
      assert.equal(p.status, 405);
      assert.equal(p.headers.get('access-control-allow-origin'), null);
      const r = await plain.api('GET', '/health', { headers: { origin: A } });
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      assert.equal(r.headers.get('vary'), null);
    } finally {
      await plain.stop();
    }
  });
});
