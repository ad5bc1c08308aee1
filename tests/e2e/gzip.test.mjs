// gzip answers (Content-Encoding: gzip) for clients that send
// Accept-Encoding: gzip: the cached first page of a chat's messages (kept
// compressed in the cache), the workspace's users (also a kept page) and
// other large JSON answers (compressed per request). A gzip answer must
// decompress to exactly the bytes the same read gives without
// Accept-Encoding: cold and warm cache, after an edit invalidates the page,
// with the cache off; HEAD gives the same head as GET; Range is ignored on
// JSON reads; no gzip without Accept-Encoding or when gzip is refused
// (q=0). The web client's assets have a precompressed form with its own ETag. Requests go through node:http, which adds no Accept-Encoding and
// does not decompress (fetch does both).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { HOST, assertOk } from './lib/server.mjs';
import { setupWorkspace, createChat, send, tok } from './lib/conv.mjs';

// One request on a fresh connection: {status, headers, body (Buffer)}.
function get(srv, path, { token, headers = {}, method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const req = http.request({ host: HOST, port: srv.port, path, method, headers: h, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.setTimeout(15000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const GZ = { 'accept-encoding': 'gzip' };
const varies = (res) => (res.headers.vary ?? '').toLowerCase().split(/\s*,\s*/).includes('accept-encoding');

// Asserts res is a gzip answer whose body inflates to exactly identity.
function assertGzipOf(res, identity, what) {
  assert.equal(res.status, 200, `${what}: status`);
  assert.equal(res.headers['content-encoding'], 'gzip', `${what}: Content-Encoding`);
  assert.ok(varies(res), `${what}: Vary: Accept-Encoding (got ${res.headers.vary})`);
  assert.equal(Number(res.headers['content-length']), res.body.length, `${what}: Content-Length is the gzip length`);
  assert.ok(res.body.length < identity.length, `${what}: smaller than the identity answer`);
  const plain = zlib.gunzipSync(res.body);
  assert.ok(plain.equals(identity), `${what}: inflates to the identity answer byte for byte`);
}

// Asserts res is a plain answer (no Content-Encoding).
function assertIdentity(res, what) {
  assert.equal(res.status, 200, `${what}: status`);
  assert.equal(res.headers['content-encoding'], undefined, `${what}: no Content-Encoding`);
  assert.equal(Number(res.headers['content-length']), res.body.length, `${what}: Content-Length`);
  JSON.parse(res.body.toString('utf8'));
}

// Asserts res is a plain 200 answer of any type (no Content-Encoding).
function assertIdentity2(res, what) {
  assert.equal(res.status, 200, `${what}: status`);
  assert.equal(res.headers['content-encoding'], undefined, `${what}: no Content-Encoding`);
  assert.equal(Number(res.headers['content-length']), res.body.length, `${what}: Content-Length`);
}

// Distinct sentences (compressible as real chat text is, not one repeated line).
const WORDS = ['lunch', 'deploy', 'review', 'meeting', 'coffee', 'release', 'bug', 'design', 'tomorrow', 'noon',
  'ticket', 'merge', 'server', 'client', 'budget', 'slides', 'customer', 'invoice', 'backup', 'holiday'];
const sentence = (i) => Array.from({ length: 8 + (i % 5) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ') + ` #${i}`;

for (const mode of [{ name: 'default cache', args: [] }, { name: 'cache off', args: ['--cache-size', '0'] }]) {
  describe(`gzip answers (${mode.name})`, () => {
    let srv; let owner; let alice; let chat; let page; let mids;
    before(async () => {
      const w = await setupWorkspace({ args: mode.args, names: ['Alice Anders', 'Bob Brown', 'Carol Clark', 'Dave Doyle', 'Erin Evans', 'Frank Fisher', 'Gina Gold', 'Hank Hill'] });
      ({ srv, owner } = w);
      alice = w.byName.alice;
      chat = await createChat(srv, owner, { name: 'gz', chat_type: 'PublicChannel', members: [alice.user.id] });
      mids = [];
      for (let i = 0; i < 40; i++) mids.push((await send(srv, i % 2 ? alice : owner, chat.id, sentence(i))).id);
      page = `/api/chat/${chat.id}/messages?limit=50`;
    });
    after(async () => { await srv?.stop(); });

    const stats = async () => (await get(srv, '/api/cache/stats', { token: tok(owner) }));
    const hits = async () => {
      const s = await stats();
      return s.status === 200 ? JSON.parse(s.body).data.families.messages?.hits ?? 0 : 0;
    };

    test('first page: gzip cold and warm, identity cold and warm, all the same bytes', async () => {
      const gzCold = await get(srv, page, { token: tok(alice), headers: GZ });
      const idWarm = await get(srv, page, { token: tok(alice) });
      assertIdentity(idWarm, 'identity after gzip');
      assert.ok(varies(idWarm), 'the identity answer varies on Accept-Encoding too');
      assert.ok(idWarm.body.length > 4000, `a page worth compressing (${idWarm.body.length} B)`);
      assertGzipOf(gzCold, idWarm.body, 'gzip, cold cache');
      const h0 = await hits();
      const gzWarm = await get(srv, page, { token: tok(alice), headers: GZ });
      assertGzipOf(gzWarm, idWarm.body, 'gzip, warm cache');
      if (mode.args.length === 0) {
        assert.ok((await hits()) > h0, 'the warm gzip read was a cache hit');
        assert.ok(gzWarm.body.equals(gzCold.body), 'the kept gzip form is what the cold read sent');
      }
      // the same page through a cursor (never cached) equals the first page
      const fresh = await get(srv, `${page}&before=1000000000000000`, { token: tok(alice) });
      assert.ok(fresh.body.equals(idWarm.body), 'the cached page equals the uncached one');
      // identity first on another viewer's page (its own cache entry)
      const idCold = await get(srv, page, { token: tok(owner) });
      assertIdentity(idCold, 'identity, cold cache');
      assertGzipOf(await get(srv, page, { token: tok(owner), headers: GZ }), idCold.body, 'gzip after identity');
    });

    test('an edit invalidates both forms', async () => {
      const before0 = await get(srv, page, { token: tok(alice), headers: GZ });
      const mid = mids[mids.length - 1];
      assertOk(await srv.api('PATCH', `/api/chat/${chat.id}/messages/${mid}`, { token: tok(alice), body: { content: 'edited: gzip invalidation check' } }));
      const gz = await get(srv, page, { token: tok(alice), headers: GZ });
      const id = await get(srv, page, { token: tok(alice) });
      assertIdentity(id, 'identity after the edit');
      assertGzipOf(gz, id.body, 'gzip after the edit');
      assert.ok(!gz.body.equals(before0.body), 'the gzip answer changed');
      const m = JSON.parse(id.body).data.find((x) => x.id === mid);
      assert.equal(m.content, 'edited: gzip invalidation check', 'the edit shows in the page');
      // a new message too, read gzip first then identity
      await send(srv, owner, chat.id, 'one more after the edit');
      const gz2 = await get(srv, page, { token: tok(alice), headers: GZ });
      const id2 = await get(srv, page, { token: tok(alice) });
      assertGzipOf(gz2, id2.body, 'gzip after a send');
      assert.equal(JSON.parse(id2.body).data[0].content, 'one more after the edit');
    });

    test('HEAD gives the head of GET in either form, without a body', async () => {
      const g = await get(srv, page, { token: tok(alice), headers: GZ });
      const h = await get(srv, page, { token: tok(alice), headers: GZ, method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.body.length, 0, 'no body');
      assert.equal(h.headers['content-encoding'], 'gzip');
      assert.equal(h.headers['content-length'], String(g.body.length), 'HEAD says the gzip length');
      const gi = await get(srv, page, { token: tok(alice) });
      const hi = await get(srv, page, { token: tok(alice), method: 'HEAD' });
      assert.equal(hi.headers['content-encoding'], undefined);
      assert.equal(hi.headers['content-length'], String(gi.body.length), 'HEAD says the identity length');
    });

    test('Range is ignored on JSON reads: 200 with the whole answer, either form', async () => {
      const id = await get(srv, page, { token: tok(alice) });
      const r1 = await get(srv, page, { token: tok(alice), headers: { range: 'bytes=0-9' } });
      assertIdentity(r1, 'identity with Range');
      assert.equal(r1.headers['content-range'], undefined);
      assert.ok(r1.body.equals(id.body));
      const r2 = await get(srv, page, { token: tok(alice), headers: { ...GZ, range: 'bytes=0-9' } });
      assert.equal(r2.headers['content-range'], undefined);
      assertGzipOf(r2, id.body, 'gzip with Range');
    });

    test('Accept-Encoding rules: no header, q=0, other codings, wildcards, case', async () => {
      const id = await get(srv, page, { token: tok(alice) });
      for (const ae of ['gzip;q=0', 'identity', 'deflate, br', 'gzip; q=0.000, deflate', '*;q=0', 'gzip;q=0, *', 'gzip;q=bad']) {
        const r = await get(srv, page, { token: tok(alice), headers: { 'accept-encoding': ae } });
        assertIdentity(r, `Accept-Encoding: ${ae}`);
        assert.ok(r.body.equals(id.body), `Accept-Encoding: ${ae}: the identity bytes`);
      }
      for (const ae of ['gzip', 'GZIP', 'deflate, gzip;q=0.5', 'x-gzip', '*', 'br;q=1, *;q=0.1', 'gzip;q=0.001', 'gzip;q=1.0']) {
        const r = await get(srv, page, { token: tok(alice), headers: { 'accept-encoding': ae } });
        assertGzipOf(r, id.body, `Accept-Encoding: ${ae}`);
      }
    });

    test('web assets: precompressed gzip form with its own ETag; small ones as they are', async () => {
      const id = await get(srv, '/js/chatview.js');
      assertIdentity2(id, 'asset, identity');
      assert.ok(varies(id), 'an asset with a gzip form varies on Accept-Encoding');
      const gz = await get(srv, '/js/chatview.js', { headers: GZ });
      assertGzipOf(gz, id.body, 'asset, gzip');
      assert.ok(gz.headers.etag && id.headers.etag && gz.headers.etag !== id.headers.etag, `one ETag per form (${id.headers.etag}, ${gz.headers.etag})`);
      const again = await get(srv, '/js/chatview.js', { headers: { ...GZ, 'if-none-match': gz.headers.etag } });
      assert.equal(again.status, 304, 'the gzip ETag revalidates the gzip form');
      const cross = await get(srv, '/js/chatview.js', { headers: { 'if-none-match': gz.headers.etag } });
      assert.equal(cross.status, 200, 'but not the identity form');
      assert.ok(cross.body.equals(id.body));
      const head = await get(srv, '/js/chatview.js', { headers: GZ, method: 'HEAD' });
      assert.equal(head.headers['content-length'], String(gz.body.length));
      assert.equal(head.headers['content-encoding'], 'gzip');
      const fav = await get(srv, '/favicon.svg', { headers: GZ });
      assertIdentity2(fav, 'a small asset is sent as it is');
      const route = await get(srv, '/chat/42', { headers: GZ });
      assert.equal(route.headers['content-encoding'], undefined, 'index.html (under 1 KiB) as it is');
    });

    test('other large JSON answers (users, chat list) gzip; small ones never', async () => {
      const users = await get(srv, '/api/users', { token: tok(alice) });
      assertIdentity(users, 'users, identity');
      assert.ok(users.body.length >= 1024, `the user list is big enough (${users.body.length} B)`);
      assertGzipOf(await get(srv, '/api/users', { token: tok(alice), headers: GZ }), users.body, 'users, gzip');
      assertGzipOf(await get(srv, '/api/users', { token: tok(alice), headers: GZ }), users.body, 'users, gzip again');
      for (let i = 0; i < 6; i++) await createChat(srv, owner, { name: `gz-more-${i}`, chat_type: 'PublicChannel', members: [alice.user.id] });
      const chats = await get(srv, '/api/workspace/chats', { token: tok(alice) });
      assertIdentity(chats, 'chats, identity');
      assert.ok(chats.body.length >= 1024, `the chat list is big enough (${chats.body.length} B)`);
      assertGzipOf(await get(srv, '/api/workspace/chats', { token: tok(alice), headers: GZ }), chats.body, 'chats, gzip');
      const me = await get(srv, '/api/users/me', { token: tok(alice), headers: GZ });
      assertIdentity(me, 'a small answer is never compressed');
      const err = await get(srv, '/api/chat/999999/messages', { token: tok(alice), headers: GZ });
      assert.equal(err.headers['content-encoding'], undefined, 'errors are never compressed');
    });
  });
}
