// Files: multipart upload, sniffed type and extension, content-addressed
// storage, download rights (uploader, members of a chat that references the
// file), ?access_token=, ETag/304, Range (206/416), the upload limit (413),
// and odd names that must never reach the disk.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertOk, RFC3339_MS, startServer, mustSignup, rawRequest } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, uniqueName, createChat, memberIds, send, listMessages,
  pngBytes, sha256Hex, upload, mustUpload, fetchBytes, tok,
} from './lib/conv.mjs';
import { wsConnect, isType, closeAll } from './lib/rt.mjs';

const URL_RE = /^\/api\/files\/([0-9a-f]{64})\.([a-z0-9]+)$/;

describe('files', () => {
  let srv; let alice; let bob; let carol; let xena;
  let png; let pngFile;
  before(async () => {
    const w = await setupWorkspace({ args: ['--registration', 'open'], names: ['Alice Anders', 'Bob Brown', 'Carol Clark'] });
    ({ srv } = w);
    ({ alice, bob, carol } = w.byName);
    xena = await otherWorkspaceUser(srv);
    png = pngBytes(3, 2, `files-suite-${process.pid}-${Date.now()}`);
  });
  after(async () => { closeAll(); await srv?.stop(); });

  const get = (path, u, headers) => fetchBytes(srv, path, { token: u ? tok(u) : undefined, headers });

  test('upload a PNG: 200 {id, url, filename, mime_type, size, created_at}; the type is sniffed', async () => {
    pngFile = await mustUpload(srv, alice, png, { filename: 'pic.png', type: 'application/octet-stream' });
    assert.ok(Number.isInteger(pngFile.id) && pngFile.id > 0);
    assert.equal(pngFile.filename, 'pic.png');
    assert.equal(pngFile.mime_type, 'image/png');
    assert.equal(pngFile.size, png.length);
    assert.match(pngFile.created_at, RFC3339_MS);
    const m = URL_RE.exec(pngFile.url);
    assert.ok(m, `url shape: ${pngFile.url}`);
    assert.equal(m[1], sha256Hex(png), 'the url carries the SHA-256 of the bytes');
    assert.equal(m[2], 'png');
  });

  test('the uploader downloads it: 200 image/png inline, ETag; If-None-Match gives 304', async () => {
    const r = await get(pngFile.url, alice);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'image/png');
    assert.match(r.headers.get('content-disposition') ?? '', /^inline/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(r.body.equals(png), 'the exact bytes');
    const etag = r.headers.get('etag');
    assert.ok(etag && etag.length > 2, `ETag: ${etag}`);
    const c = await get(pngFile.url, alice, { 'if-none-match': etag });
    assert.equal(c.status, 304);
    assert.equal(c.body.length, 0);
    const other = await get(pngFile.url, alice, { 'if-none-match': '"not-the-etag"' });
    assert.equal(other.status, 200);
  });

  test('?access_token= works; no token at all does not', async () => {
    const r = await fetchBytes(srv, `${pngFile.url}?access_token=${encodeURIComponent(tok(alice))}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(png));
    const anon = await fetchBytes(srv, pngFile.url);
    assert.ok([401, 404].includes(anon.status), `anonymous: ${anon.status}`);
    assert.ok(!anon.body.equals(png));
    const bad = await fetchBytes(srv, `${pngFile.url}?access_token=not.a.token`);
    assert.ok([401, 404].includes(bad.status), `bad access_token: ${bad.status}`);
  });

  test('a chat member may download once a message in the chat references the file; others 404', async () => {
    const f = await mustUpload(srv, alice, pngBytes(5, 5, `shared-${Date.now()}`), { filename: 'shared.png' });
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('f'), members: memberIds(bob) });
    assert.equal((await get(f.url, bob)).status, 404, 'not referenced yet: 404');
    const m = await send(srv, alice, c.id, 'see attached', { files: [f.id] });
    assert.equal(m.files.length, 1);
    assert.deepEqual({ id: m.files[0].id, url: m.files[0].url, mime_type: m.files[0].mime_type }, { id: f.id, url: f.url, mime_type: 'image/png' });
    const listed = (await listMessages(srv, bob, c.id)).data.find((x) => x.id === m.id);
    assert.equal(listed.files[0].url, f.url);
    const r = await get(f.url, bob);
    assert.equal(r.status, 200, 'bob is a member of the chat');
    assert.equal(r.headers.get('content-type'), 'image/png');
    for (const u of [carol, xena]) {
      const n = await get(f.url, u);
      assert.equal(n.status, 404, `${u.user.fullname}: ${n.status}`);
    }
    // a file given by url works as well
    const f2 = await mustUpload(srv, alice, pngBytes(6, 6, `byurl-${Date.now()}`), { filename: 'byurl.png' });
    const m2 = await send(srv, alice, c.id, '', { files: [f2.url] });
    assert.equal(m2.content, '', 'content may be empty when files are given');
    assert.equal(m2.files[0].id, f2.id);
    assert.equal((await get(f2.url, bob)).status, 200);
  });

  test('access follows the reference: deleting the message or leaving the chat ends it', async () => {
    const f = await mustUpload(srv, alice, pngBytes(11, 11, `follow-${Date.now()}`), { filename: 'follow.png' });
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('acc'), members: memberIds(bob, carol) });
    const m = await send(srv, alice, c.id, 'attached', { files: [f.id] });
    assert.equal((await get(f.url, bob)).status, 200);
    assert.equal((await get(f.url, carol)).status, 200);
    // carol leaves: no longer a member of a chat that references it
    assert.equal((await srv.api('POST', `/api/chat/${c.id}/leave`, { token: tok(carol) })).status, 200);
    assert.equal((await get(f.url, carol)).status, 404, 'after leaving');
    // the message is deleted: the tombstone has no files, so no reference is left
    const t = assertOk(await srv.api('DELETE', `/api/chat/${c.id}/messages/${m.id}`, { token: tok(alice) }));
    assert.deepEqual(t.files, []);
    assert.equal((await get(f.url, bob)).status, 404, 'after the only referencing message was deleted');
    assert.equal((await get(f.url, alice)).status, 200, 'the uploader keeps access');
  });

  test('a file visible to the sender through a chat may be passed on to another chat', async () => {
    const f = await mustUpload(srv, alice, pngBytes(12, 12, `relay-${Date.now()}`), { filename: 'relay.png' });
    const c1 = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('r1'), members: memberIds(bob) });
    const c2 = await createChat(srv, bob, { chat_type: 'Group', name: uniqueName('r2'), members: memberIds(carol) });
    assertError(await srv.api('POST', `/api/chat/${c2.id}/messages`, { token: tok(bob), body: { content: 'not yet', files: [f.id] } }), 400, 'VALIDATION_ERROR', 'files');
    await send(srv, alice, c1.id, 'for bob', { files: [f.id] });
    const m = await send(srv, bob, c2.id, 'forwarded', { files: [f.url] });
    assert.equal(m.files[0].id, f.id);
    assert.equal((await get(f.url, carol)).status, 200, 'carol is in a chat that references it now');
  });

  test('a member removed from a chat can neither read nor pass on its files (issue 9)', async () => {
    const f = await mustUpload(srv, alice, pngBytes(13, 13, `removed-${Date.now()}`), { filename: 'team.png' });
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('rm'), members: memberIds(bob, carol) });
    const c2 = await createChat(srv, carol, { chat_type: 'Group', name: uniqueName('elsewhere'), members: memberIds(bob) });
    await send(srv, alice, c.id, 'for the team', { files: [f.id] });
    assert.equal((await get(f.url, carol)).status, 200);
    assertOk(await srv.api('DELETE', `/api/chat/${c.id}/members/${carol.user.id}`, { token: tok(alice) }));
    assert.equal((await get(f.url, carol)).status, 404);
    for (const files of [[f.id], [f.url]]) {
      assertError(await srv.api('POST', `/api/chat/${c2.id}/messages`, { token: tok(carol), body: { content: 'kept a copy', files } }), 400, 'VALIDATION_ERROR', 'files');
    }
    assertError(await srv.api('PUT', '/api/users/profile', { token: tok(carol), body: { avatar_url: f.url } }), 400, 'INVALID_AVATAR', 'avatar_url');
    assert.equal((await get(f.url, carol)).status, 404);
  });

  test('the WebSocket send follows the same rule: a picture seen in the workspace is not the sender\'s to share', async () => {
    const pic = await mustUpload(srv, alice, pngBytes(14, 14, `ws-pic-${Date.now()}`), { filename: 'face.png' });
    assertOk(await srv.api('PUT', '/api/users/profile', { token: tok(alice), body: { avatar_url: pic.url } }));
    assert.equal((await get(pic.url, carol)).status, 200, 'the workspace sees the picture');
    const c = await createChat(srv, carol, { chat_type: 'Group', name: uniqueName('wsend'), members: memberIds(bob) });
    const ws = await wsConnect(srv, { token: tok(carol), name: 'carol' });
    try {
      ws.send({ op: 'send', chat_id: c.id, content: 'look', idempotency_key: `pic-${Date.now()}`, files: [pic.id] });
      const err = await ws.log.waitFor(isType('error'), { timeoutMs: 5000, label: 'error for the send' });
      assert.equal(err.op, 'send');
      assert.equal(err.error.code, 'VALIDATION_ERROR');
      const own = await mustUpload(srv, carol, pngBytes(15, 15, `ws-own-${Date.now()}`), { filename: 'own.png' });
      const key = `own-${Date.now()}`;
      ws.send({ op: 'send', chat_id: c.id, content: 'mine', idempotency_key: key, files: [own.id] });
      const ack = await ws.log.waitFor(isType('ack', { idempotency_key: key }), { timeoutMs: 5000, label: 'ack' });
      assert.equal(ack.message.files[0].id, own.id);
    } finally {
      ws.close();
      assertOk(await srv.api('PUT', '/api/users/profile', { token: tok(alice), body: { avatar_url: '' } }));
    }
    assert.equal((await get(pic.url, bob)).status, 404, 'no message carries the picture');
  });

  test('one send decoder: a WebSocket send takes file urls like HTTP, and bad files get the same error on both (issue 11)', async () => {
    const c = await createChat(srv, carol, { chat_type: 'Group', name: uniqueName('dec'), members: memberIds(bob) });
    const own = await mustUpload(srv, carol, pngBytes(16, 16, `dec-own-${Date.now()}`), { filename: 'dec.png' });
    const secret = await mustUpload(srv, alice, pngBytes(17, 17, `dec-secret-${Date.now()}`), { filename: 'x.png' });
    const ws = await wsConnect(srv, { token: tok(carol), name: 'carol' });
    try {
      const key = `url-${Date.now()}`;
      ws.send({ op: 'send', chat_id: c.id, content: 'by url', idempotency_key: key, files: [own.url] });
      const ack = await ws.log.waitFor(isType('ack', { idempotency_key: key }), { timeoutMs: 5000, label: 'ack of the url send' });
      assert.equal(ack.message.files.length, 1);
      assert.equal(ack.message.files[0].id, own.id);
      assert.equal(ack.message.files[0].url, own.url);
      const viaHttp = await send(srv, carol, c.id, 'by url too', { files: [own.url] });
      assert.deepEqual(viaHttp.files, ack.message.files, 'the same attachment either way');
      const cases = [
        ['an unknown url', [`/api/files/${'0'.repeat(64)}.png`]],
        ['a url that is no file url', ['https://example.invalid/a.png']],
        ['someone else\'s file by url', [secret.url]],
        ['someone else\'s file by id', [secret.id]],
        ['not an array', own.url],
        ['a fraction', [1.5]],
        ['a zero', [0]],
        ['an object', [{ id: own.id }]],
        ['eleven files', Array(11).fill(own.id)],
      ];
      for (const [what, files] of cases) {
        const r = await srv.api('POST', `/api/chat/${c.id}/messages`, { token: tok(carol), body: { content: 'bad', files } });
        assertError(r, 400, 'VALIDATION_ERROR', 'files');
        const k = `bad-${uniqueName('f')}`;
        ws.send({ op: 'send', chat_id: c.id, content: 'bad', idempotency_key: k, files });
        const err = await ws.log.waitFor((e) => e.type === 'error' && e.idempotency_key === k, { timeoutMs: 5000, label: `error for ${what}` });
        assert.equal(err.op, 'send', what);
        assert.equal(err.error.code, r.json.error.code, what);
        assert.equal(err.error.message, r.json.error.message, `${what}: the same message over HTTP and WebSocket`);
      }
    } finally {
      ws.close();
    }
    const msgs = (await listMessages(srv, bob, c.id)).data;
    assert.equal(msgs.length, 2, 'only the two good sends were stored');
  });

  test('files in a message: at most 10, each visible to the sender', async () => {
    const c = await createChat(srv, carol, { chat_type: 'Group', name: uniqueName('lim'), members: memberIds(bob) });
    const f = await mustUpload(srv, carol, pngBytes(7, 7, `many-${Date.now()}`), { filename: 'm.png' });
    const r = await srv.api('POST', `/api/chat/${c.id}/messages`, { token: tok(carol), body: { content: 'too many', files: Array(11).fill(f.id) } });
    assertError(r, 400, 'VALIDATION_ERROR', 'files');
    // a file carol cannot see
    const secret = await mustUpload(srv, alice, pngBytes(8, 8, `secret-${Date.now()}`), { filename: 's.png' });
    const r2 = await srv.api('POST', `/api/chat/${c.id}/messages`, { token: tok(carol), body: { content: 'steal', files: [secret.id] } });
    assertError(r2, 400, 'VALIDATION_ERROR', 'files');
    assert.equal((await get(secret.url, bob)).status, 404, 'the refused message granted nothing');
    assert.equal((await get(secret.url, carol)).status, 404);
    assert.deepEqual((await listMessages(srv, bob, c.id)).data, []);
  });

  test('a text file named evil.png is text/plain, url .txt, served as attachment', async () => {
    const bytes = Buffer.from(`just some text, not an image ${Date.now()}\n`);
    const f = await mustUpload(srv, alice, bytes, { filename: 'evil.png', type: 'image/png' });
    assert.match(f.mime_type, /^text\/plain/);
    assert.match(f.url, /\.txt$/);
    assert.equal(URL_RE.exec(f.url)?.[1], sha256Hex(bytes));
    const r = await get(f.url, alice);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(r.headers.get('content-disposition') ?? '', /^attachment/);
    assert.ok(r.body.equals(bytes));
    // the same sha with the .png extension is not a file
    const wrong = await get(f.url.replace(/\.txt$/, '.png'), alice);
    assert.ok([400, 404].includes(wrong.status), `wrong ext: ${wrong.status}`);
  });

  test('other sniffed types: GIF inline, PDF attachment, binary octet-stream', async () => {
    const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.from([1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x3b]), Buffer.from(String(Date.now()))]);
    const g = await mustUpload(srv, alice, gif, { filename: 'a.bin' });
    assert.equal(g.mime_type, 'image/gif');
    assert.match(g.url, /\.gif$/);
    assert.match((await get(g.url, alice)).headers.get('content-disposition') ?? '', /^inline/);
    const pdf = Buffer.from(`%PDF-1.4\n% test ${Date.now()}\n%%EOF\n`);
    const p = await mustUpload(srv, alice, pdf, { filename: 'doc.png', type: 'image/png' });
    assert.equal(p.mime_type, 'application/pdf');
    assert.match(p.url, /\.pdf$/);
    const pr = await get(p.url, alice);
    assert.equal(pr.headers.get('content-type'), 'application/pdf');
    assert.match(pr.headers.get('content-disposition') ?? '', /^attachment/);
    const bin = Buffer.from([0, 1, 2, 3, 0xff, 0, 0xfe, Date.now() & 0xff]);
    const b = await mustUpload(srv, alice, bin, { filename: 'x.png', type: 'image/png' });
    assert.equal(b.mime_type, 'application/octet-stream');
    assert.doesNotMatch(b.url, /\.(png|txt)$/);
    assert.match((await get(b.url, alice)).headers.get('content-disposition') ?? '', /^attachment/);
  });

  test('the same content uploaded twice (by two users) has the same sha256 url; each uploader may read it', async () => {
    const bytes = pngBytes(9, 9, `twice-${Date.now()}`);
    const a = await mustUpload(srv, alice, bytes, { filename: 'one.png' });
    const a2 = await mustUpload(srv, alice, bytes, { filename: 'two.png' });
    assert.equal(a2.url, a.url);
    const b = await mustUpload(srv, bob, bytes, { filename: 'bobs.png' });
    assert.equal(b.url, a.url);
    assert.equal(b.filename, 'bobs.png');
    assert.equal((await get(b.url, bob)).status, 200);
    assert.equal((await get(b.url, carol)).status, 404, 'not an uploader, no chat: 404');
  });

  test('odd names never serve a file (404 or 400)', async () => {
    const sha = URL_RE.exec(pngFile.url)[1];
    const paths = [
      '/api/files/..%2f..%2fetc%2fpasswd',
      '/api/files/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/api/files/abc.png',
      `/api/files/${sha.toUpperCase()}.png`,
      `/api/files/${sha}.txt`,
      `/api/files/${sha}.PNG`,
      `/api/files/${sha}`,
      `/api/files/${sha}.png.bak`,
      `/api/files/${sha}.`,
      `/api/files/${sha.slice(0, 63)}.png`,
      `/api/files/${sha}0.png`,
      `/api/files/..%2f${sha}.png`,
      '/api/files/',
    ];
    const wrong = [];
    // lws resolves dot-segments (also %2f-encoded ones), so some of these end
    // outside /api/ as a client route (/etc/passwd): the web client's
    // index.html may answer them, never a file
    const index = (await get('/', alice)).body;
    for (const p of paths) {
      const r = await get(p, alice);
      const ok = [400, 404].includes(r.status) || (r.status === 200 && r.body.equals(index));
      if (!ok || r.body.equals(png) || /root:/.test(r.body.toString('latin1'))) wrong.push(`${p}: ${r.status}`);
    }
    // a raw request, so no client normalises the dots (a server may resolve
    // dot-segments, RFC 3986, but must never leave the files folder)
    for (const p of ['/api/files/../../etc/passwd', '/api/files/../../../../../../etc/passwd', '/api/files/..%2f..%2f..%2f..%2fetc/passwd']) {
      const r = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok(alice)}\r\nConnection: close\r\n\r\n`);
      if ((r.status === 200 && r.body !== index.toString('utf8')) || /root:/.test(r.body)) wrong.push(`raw ${p}: ${r.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('Range: bytes=0-3 is 206 with 4 bytes; bytes=-2 the last 2; past the end 416', async () => {
    const n = png.length;
    let r = await get(pngFile.url, alice, { range: 'bytes=0-3' });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes 0-3/${n}`);
    assert.ok(r.body.equals(png.subarray(0, 4)), `got ${r.body.toString('hex')}`);
    assert.equal(Number(r.headers.get('content-length')), 4);
    r = await get(pngFile.url, alice, { range: 'bytes=-2' });
    assert.equal(r.status, 206);
    assert.equal(r.headers.get('content-range'), `bytes ${n - 2}-${n - 1}/${n}`);
    assert.ok(r.body.equals(png.subarray(n - 2)));
    r = await get(pngFile.url, alice, { range: 'bytes=10-' });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(png.subarray(10)));
    r = await get(pngFile.url, alice, { range: 'bytes=0-0' });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(png.subarray(0, 1)));
    r = await get(pngFile.url, alice, { range: 'bytes=5-99999' });
    assert.equal(r.status, 206, 'an end past the size is clamped (RFC 9110)');
    assert.equal(r.headers.get('content-range'), `bytes 5-${n - 1}/${n}`);
    assert.ok(r.body.equals(png.subarray(5)));
    r = await get(pngFile.url, alice, { range: 'bytes=100000-' });
    assert.equal(r.status, 416);
    const cr = r.headers.get('content-range');
    if (cr !== null) assert.equal(cr, `bytes */${n}`);
    assert.ok(!r.body.equals(png));
  });

  test('upload failures: two file parts 400; a chunked body without Content-Length 411', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([pngBytes(2, 3, 'p1')]), 'a.png');
    fd.append('file', new Blob([pngBytes(3, 2, 'p2')]), 'b.png');
    const two = await fetch(`${srv.url}/api/files/single`, { method: 'POST', headers: { authorization: `Bearer ${tok(alice)}` }, body: fd });
    assert.equal(two.status, 400, await two.text());
    const boundary = 'fechatterBoundary';
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.txt"\r\nContent-Type: text/plain\r\n\r\nchunked ${Date.now()}\r\n--${boundary}--\r\n`;
    const r = await rawRequest(srv.port, `POST /api/files/single HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok(alice)}\r\n`
      + `Content-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`
      + `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n0\r\n\r\n`);
    assert.equal(r.status, 411, r.raw.slice(0, 200));
    assert.equal(JSON.parse(r.body).error.code, 'LENGTH_REQUIRED');
  });

  test('upload failures: anonymous 401, wrong field 400, JSON body 415/400', async () => {
    const anon = await upload(srv, null, pngBytes(1, 1, 'anon'), { filename: 'a.png' });
    assert.equal(anon.status, 401, anon.text);
    const wrongField = await upload(srv, tok(alice), pngBytes(1, 1, 'field'), { filename: 'a.png', field: 'upload' });
    assert.equal(wrongField.status, 400, wrongField.text);
    const json = await srv.api('POST', '/api/files/single', { token: tok(alice), body: { file: 'x' } });
    assert.ok([400, 415].includes(json.status), `JSON upload: ${json.status}`);
  });
});

describe('files: upload limit', () => {
  let srv; let user;
  before(async () => {
    srv = await startServer({ args: ['--upload-limit', '1024'] });
    user = await mustSignup(srv, { fullname: 'Lim It' });
  });
  after(async () => { await srv?.stop(); });

  test('2048 bytes over a 1024-byte limit is 413 PAYLOAD_TOO_LARGE; a small file passes', async () => {
    const big = Buffer.alloc(2048, 0x41);
    const r = await upload(srv, user.access_token, big, { filename: 'big.txt', type: 'text/plain' });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json?.error?.code, 'PAYLOAD_TOO_LARGE');
    const small = await upload(srv, user.access_token, Buffer.from('small enough\n'), { filename: 's.txt' });
    assert.equal(small.status, 200, small.text);
    // nothing of the big one was stored
    const big404 = await fetchBytes(srv, `/api/files/${sha256Hex(big)}.txt`, { token: user.access_token });
    assert.equal(big404.status, 404);
  });
});
