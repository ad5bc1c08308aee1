// HTTP core and operations: body rules (JSON, UTF-8, size, media type,
// length), request ids, security headers, 404/405, static assets with ETag,
// /health, /health/readiness, /metrics, robustness (disconnects, concurrency).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, extname, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startServer, assertOk, assertError, mustSignup, rawRequest, sleep, signin, createInvite, uniqueEmail,
} from './lib/server.mjs';
import { createChat, uniqueName, listMessages } from './lib/conv.mjs';

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const REQ_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

function assertSecurityHeaders(h, what) {
  const get = (k) => (typeof h.get === 'function' ? h.get(k) : h[k]);
  assert.ok(get('content-security-policy'), `${what}: Content-Security-Policy`);
  assert.equal(get('x-content-type-options'), 'nosniff', `${what}: X-Content-Type-Options`);
  assert.equal(get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.equal(get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.match(String(get('x-request-id')), REQ_ID_RE, `${what}: x-request-id`);
}

describe('http core', () => {
  let srv;
  let user;
  before(async () => {
    srv = await startServer();
    user = await mustSignup(srv, { workspace_name: 'HTTP' });
  });
  after(async () => { await srv?.stop(); });

  const post = (path, rawBody, headers = { 'content-type': 'application/json' }) => srv.api('POST', path, { rawBody, headers });

  describe('request bodies', () => {
    test('malformed JSON: 400 INVALID_JSON', async () => {
      for (const b of ['{"email":', 'not json', '{email: "a@b.c"}', '{"email":"a@b.c","password":"x"} trailing', "{'a':1}"]) {
        assertError(await post('/api/signin', b), 400, 'INVALID_JSON');
      }
    });

    test('JSON that is not an object: 400 INVALID_JSON', async () => {
      for (const b of ['[]', '[{"email":"a@b.c"}]', '"a string"', '42', 'null', 'true']) {
        assertError(await post('/api/signin', b), 400, 'INVALID_JSON');
      }
    });

    test('invalid UTF-8 in a body: 400 INVALID_JSON', async () => {
      const pre = Buffer.from('{"email":"');
      const post_ = Buffer.from('@example.test","password":"password123"}');
      const bad = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]];
      for (const bytes of bad) {
        const body = Buffer.concat([pre, Buffer.from(bytes), post_]);
        assertError(await post('/api/signin', body), 400, 'INVALID_JSON');
      }
      // and valid multi-byte UTF-8 is fine (401, not 400)
      assertError(await post('/api/signin', Buffer.from('{"email":"ünï@example.test","password":"password123"}')), 401, 'INVALID_CREDENTIALS');
    });

    test('deeply nested JSON is refused cleanly', async () => {
      const r = await post('/api/signin', '['.repeat(20000) + ']'.repeat(20000));
      assertError(r, 400, 'INVALID_JSON');
      assert.equal((await srv.api('GET', '/health')).status, 200);
    });

    test('body over 64 KiB: 413 PAYLOAD_TOO_LARGE from Content-Length, before the body', async () => {
      const head = `POST /api/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 + 1}\r\n\r\n`;
      const r = await rawRequest(srv.port, head);
      assert.equal(r.status, 413, r.raw.slice(0, 300));
      assert.equal(JSON.parse(r.body).error.code, 'PAYLOAD_TOO_LARGE');
      assertSecurityHeaders(r.headers, '413');
    });

    test('body over 64 KiB sent in full: 413', async () => {
      const body = JSON.stringify({ email: 'a@example.test', password: 'password123', pad: 'x'.repeat(70000) });
      const r = await rawRequest(srv.port, `POST /api/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      assert.equal(r.status, 413, r.raw.slice(0, 300));
      assert.equal((await srv.api('GET', '/health')).status, 200);
    });

    test('a body of exactly 64 KiB is accepted', async () => {
      const base = JSON.stringify({ email: 'nobody@example.test', password: 'password123' });
      const body = base.slice(0, -1) + ' '.repeat(64 * 1024 - base.length) + '}';
      assert.equal(Buffer.byteLength(body), 64 * 1024);
      assertError(await post('/api/signin', body), 401, 'INVALID_CREDENTIALS');
    });

    test('wrong Content-Type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const body = JSON.stringify({ email: 'nobody@example.test', password: 'password123' });
      for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'text/json']) {
        assertError(await post('/api/signin', body, { 'content-type': ct }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
      // no Content-Type at all
      const r = await rawRequest(srv.port, `POST /api/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      assert.equal(r.status, 415, r.raw.slice(0, 300));
      // parameters and case are fine
      for (const ct of ['application/json; charset=utf-8', 'Application/JSON']) {
        assertError(await post('/api/signin', body, { 'content-type': ct }), 401, 'INVALID_CREDENTIALS');
      }
    });

    test('POST without Content-Length: 411 LENGTH_REQUIRED', async () => {
      const chunked = await rawRequest(srv.port, 'POST /api/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
      assert.equal(chunked.status, 411, chunked.raw.slice(0, 300));
      assert.equal(JSON.parse(chunked.body).error.code, 'LENGTH_REQUIRED');
      assertSecurityHeaders(chunked.headers, '411');
      const none = await rawRequest(srv.port, 'POST /api/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n');
      assert.equal(none.status, 411, none.raw.slice(0, 300));
    });

    describe('NUL characters in JSON', () => {
      let chat;
      before(async () => {
        chat = await createChat(srv, user, { name: uniqueName('nul'), chat_type: 'PublicChannel', members: [] });
      });
      const sendRaw = (body) => srv.api('POST', `/api/chat/${chat.id}/messages`, {
        token: user.access_token, rawBody: Buffer.from(body, 'utf8'), headers: { 'content-type': 'application/json' },
      });

      test('a raw NUL byte in message content: 400 INVALID_JSON, nothing stored', async () => {
        assertError(await sendRaw('{"content":"before\0after"}'), 400, 'INVALID_JSON');
        const { data } = await listMessages(srv, user, chat.id);
        assert.ok(!data.some((m) => m.content.startsWith('before')), 'no cut message was stored');
      });

      test('a \\u0000 escape in message content: 400 INVALID_JSON', async () => {
        assertError(await sendRaw(JSON.stringify({ content: 'x\u0000y' })), 400, 'INVALID_JSON');
      });

      test('the text \\\\u0000 (escaped backslash, then u0000) is accepted and kept exactly', async () => {
        const content = 'path C:\\u0000 and \\\\u0000 end';
        const res = await sendRaw(JSON.stringify({ content }));
        assert.equal(assertOk(res, 201).content, content);
        const { data } = await listMessages(srv, user, chat.id);
        assert.equal(data[0].content, content);
      });

      test('sign-up: a password with a raw NUL is refused, not cut', async () => {
        const { code } = await createInvite(srv, user.access_token);
        const email = uniqueEmail('nul');
        const raw = `{"email":"${email}","password":"password1\0secret","fullname":"Nul","invite_code":"${code}"}`;
        assertError(await post('/api/signup', Buffer.from(raw, 'utf8')), 400, 'INVALID_JSON');
        assertError(await post('/api/signup', JSON.stringify({ email, password: 'password1\u0000secret', fullname: 'Nul', invite_code: code })), 400, 'INVALID_JSON');
        // no account exists with the cut password
        assertError(await signin(srv, email, 'password1'), 401, 'INVALID_CREDENTIALS');
        // a password holding the text \\u0000 works whole, and only whole
        const password = 'pass\\u0000word';
        assertOk(await srv.api('POST', '/api/signup', { body: { email, password, fullname: 'Nul', invite_code: code } }), 201);
        assertOk(await signin(srv, email, password));
      });
    });

    test('a wrongly typed field names it (VALIDATION_ERROR)', async () => {
      assertError(await srv.api('POST', '/api/signin', { body: { email: { a: 1 }, password: 'password123' } }), 400, 'VALIDATION_ERROR', 'email');
    });
  });

  describe('request ids and headers', () => {
    test('a valid x-request-id is echoed, on success and on errors', async () => {
      const id = 'abc-123._XYZ';
      const ok = await srv.api('GET', '/api/users/me', { token: user.access_token, headers: { 'x-request-id': id } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-request-id'), id);
      const err = await srv.api('GET', '/api/nowhere', { headers: { 'x-request-id': id } });
      assert.equal(err.status, 404);
      assert.equal(err.headers.get('x-request-id'), id);
      const long = 'a'.repeat(64);
      assert.equal((await srv.api('GET', '/health', { headers: { 'x-request-id': long } })).headers.get('x-request-id'), long);
    });

    test('a missing or invalid x-request-id is replaced by a generated one', async () => {
      const ids = new Set();
      for (const sent of [undefined, 'a'.repeat(65), 'bad id!', 'semi;colon', '']) {
        const headers = sent === undefined ? {} : { 'x-request-id': sent };
        const r = await srv.api('GET', '/api/users/me', { token: user.access_token, headers });
        const got = r.headers.get('x-request-id');
        assert.match(String(got), REQ_ID_RE, `generated id for ${sent}`);
        assert.notEqual(got, sent);
        ids.add(got);
      }
      assert.equal(ids.size, 5, 'generated ids differ');
    });

    test('security headers on API responses (success, 401, 404, 405) and elsewhere', async () => {
      assertSecurityHeaders((await srv.api('GET', '/api/users/me', { token: user.access_token })).headers, '200');
      assertSecurityHeaders((await srv.api('GET', '/api/users/me')).headers, '401');
      assertSecurityHeaders((await srv.api('GET', '/api/nowhere')).headers, '404');
      assertSecurityHeaders((await srv.api('GET', '/api/signin')).headers, '405');
      assertSecurityHeaders((await srv.api('GET', '/health')).headers, '/health');
      assertSecurityHeaders((await srv.api('GET', '/')).headers, 'static /');
    });

    test('API responses are JSON', async () => {
      const r = await srv.api('GET', '/api/users/me', { token: user.access_token });
      assert.match(r.headers.get('content-type'), /^application\/json/);
      const e = await srv.api('GET', '/api/nowhere');
      assert.match(e.headers.get('content-type'), /^application\/json/);
    });
  });

  describe('routing', () => {
    test('unknown /api routes: 404 NOT_FOUND (never the index page)', async () => {
      for (const p of ['/api/nowhere', '/api/users/me/extra', '/api/', '/api/workspace/nope']) {
        assertError(await srv.api('GET', p, { token: user.access_token }), 404, 'NOT_FOUND');
      }
    });

    test('a known path with another method: 405 METHOD_NOT_ALLOWED', async () => {
      assertError(await srv.api('GET', '/api/signin'), 405, 'METHOD_NOT_ALLOWED');
      assertError(await srv.api('DELETE', '/api/workspace', { token: user.access_token }), 405, 'METHOD_NOT_ALLOWED');
      assertError(await srv.api('PUT', '/api/users/me', { token: user.access_token, body: {} }), 405, 'METHOD_NOT_ALLOWED');
      assertError(await srv.api('POST', '/api/users', { token: user.access_token, body: {} }), 405, 'METHOD_NOT_ALLOWED');
    });
  });

  describe('static assets', () => {
    test('GET / serves index.html with a strong ETag and Cache-Control: no-cache', async () => {
      const r = await srv.api('GET', '/');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/html/);
      const etag = r.headers.get('etag');
      assert.ok(etag, 'ETag present');
      assert.match(etag, /^"[^"]+"$/, `strong ETag: ${etag}`);
      assert.match(r.headers.get('cache-control') ?? '', /no-cache/);
      assert.ok(r.text.length > 0);
      assert.match(r.text, /<html|<!doctype html/i);
    });

    test('If-None-Match with the ETag: 304 without a body; another ETag: 200', async () => {
      const first = await srv.api('GET', '/');
      const etag = first.headers.get('etag');
      const again = await srv.api('GET', '/', { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assertSecurityHeaders(again.headers, '304');
      assert.equal(again.text, '');
      assert.equal(again.headers.get('etag'), etag);
      const other = await srv.api('GET', '/', { headers: { 'if-none-match': '"not-the-etag"' } });
      assert.equal(other.status, 200);
      assert.equal(other.text, first.text);
      const list = await srv.api('GET', '/', { headers: { 'if-none-match': `"zzz", ${etag}` } });
      assert.equal(list.status, 304);
    });

    test('HEAD / answers like GET without a body', async () => {
      const get = await srv.api('GET', '/');
      const head = await srv.api('HEAD', '/');
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      assert.equal(head.headers.get('etag'), get.headers.get('etag'));
    });

    test('client routes (no dot, outside the server prefixes) serve index.html', async () => {
      const index = await srv.api('GET', '/');
      for (const p of ['/login', '/chat/42', '/settings/profile/', '/invite/abc-123']) {
        const r = await srv.api('GET', p);
        assert.equal(r.status, 200, p);
        assert.match(r.headers.get('content-type'), /^text\/html/, p);
        assert.equal(r.headers.get('etag'), index.headers.get('etag'), p);
        assert.equal(r.text, index.text, p);
        assertSecurityHeaders(r.headers, p);
      }
      const head = await srv.api('HEAD', '/login');
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
    });

    test('other unknown paths are 404 NOT_FOUND', async () => {
      for (const p of ['/no-such-file.js', '/deep/no-such.css', '/login.html', '/api/login', '/events/x', '/health/x',
        '/metrics/x', '/ws/x', '/apix/../api/x']) {
        assertError(await srv.api('GET', p), 404, 'NOT_FOUND');
      }
      // only GET and HEAD fall back
      assertError(await srv.api('POST', '/login', { body: {} }), 405, 'METHOD_NOT_ALLOWED');
    });

    test('every file of web/ is served with its MIME type and content', async () => {
      const types = {
        '.html': /^text\/html/, '.css': /^text\/css/, '.js': /^(text|application)\/javascript/, '.mjs': /^(text|application)\/javascript/,
        '.json': /^application\/json/, '.svg': /^image\/svg\+xml/, '.png': /^image\/png/, '.ico': /^image\/(x-icon|vnd\.microsoft\.icon)/,
        '.webmanifest': /^application\/(manifest\+json|json)/, '.woff2': /^font\/woff2/, '.txt': /^text\/plain/,
      };
      const files = [];
      const walk = (dir, rel) => {
        let entries = [];
        try { entries = readdirSync(dir); } catch { return; }
        for (const n of entries) {
          if (n.startsWith('.')) continue;
          const p = join(dir, n);
          if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
          else files.push([`${rel}${n}`, p]);
        }
      };
      walk(WEB_DIR, '/');
      let checked = 0;
      for (const [urlPath, p] of files.slice(0, 50)) {
        const want = types[extname(p)];
        if (!want) continue;
        const res = await fetch(srv.url + urlPath, { signal: AbortSignal.timeout(5000) });
        assert.equal(res.status, 200, urlPath);
        assert.match(res.headers.get('content-type') ?? '', want, urlPath);
        assert.ok(res.headers.get('etag'), `${urlPath} has an ETag`);
        const buf = Buffer.from(await res.arrayBuffer());
        assert.ok(buf.equals(readFileSync(p)), `${urlPath} content matches web/`);
        checked++;
      }
      assert.ok(checked >= 1, `at least index.html checked (web/ has ${files.length} files)`);
    });

    test('path traversal does not leave the embedded assets', async () => {
      for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/../schema/0001_init.sql']) {
        const r = await rawRequest(srv.port, `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        assert.ok(r.status >= 200, `answered ${p}`);
        assert.ok(!/root:.*:0:0:/.test(r.body), `no /etc/passwd for ${p}`);
        assert.ok(!/CREATE TABLE/.test(r.body), `no schema for ${p}`);
      }
    });
  });

  describe('operations', () => {
    test('GET /health: not enveloped; status, uptime, version, components', async () => {
      const r = await srv.api('GET', '/health');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      const h = r.json;
      assert.equal('success' in h, false, 'not enveloped');
      assert.equal(h.status, 'healthy');
      assert.equal(typeof h.uptime_seconds, 'number');
      assert.ok(h.uptime_seconds >= 0);
      assert.equal(typeof h.version, 'string');
      assert.ok(h.version.length > 0);
      assert.equal(typeof h.components, 'object');
      assert.ok('store' in h.components && 'disk' in h.components, JSON.stringify(h.components));
    });

    test('GET /health/readiness: 200 {status:"ready"}', async () => {
      const r = await srv.api('GET', '/health/readiness');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'ready' });
    });

    test('GET /metrics: Prometheus text with route labels, histogram and gauges', async () => {
      // traffic to count
      for (let i = 0; i < 3; i++) assert.equal((await srv.api('GET', '/api/users/me', { token: user.access_token })).status, 200);
      await srv.api('GET', `/api/users/${user.user.id}/profile`, { token: user.access_token });
      await srv.api('GET', '/api/users/987654321/profile', { token: user.access_token });
      const r = await srv.api('GET', '/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/plain/);
      assert.match(r.headers.get('content-type'), /version=0\.0\.4/);
      const lines = r.text.split('\n');
      const reqLines = lines.filter((l) => l.startsWith('fechatter_http_requests_total{'));
      assert.ok(reqLines.length > 0, 'fechatter_http_requests_total samples');
      for (const l of reqLines) {
        assert.match(l, /route="[^"]*"/, l);
        assert.match(l, /method="[A-Z]+"/, l);
        assert.match(l, /status="\d{3}"/, l);
        assert.match(l, /\} \d+(\.\d+)?(e\+\d+)?$/, l);
      }
      const meLine = reqLines.find((l) => /route="\/api\/users\/me"/.test(l) && /method="GET"/.test(l) && /status="200"/.test(l));
      assert.ok(meLine, `a sample for GET /api/users/me 200:\n${reqLines.join('\n')}`);
      assert.ok(Number(meLine.split(' ').pop()) >= 3, meLine);
      assert.ok(!reqLines.some((l) => l.includes('987654321')), 'route labels are patterns, not raw paths');
      assert.ok(!reqLines.some((l) => l.includes(`/api/users/${user.user.id}/`)), 'ids do not become labels');
      assert.ok(reqLines.some((l) => /route="\/api\/users\/\{[a-z_]+\}\/profile"/.test(l)), `the profile route is labelled by its pattern:\n${reqLines.join('\n')}`);
      assert.match(r.text, /^# TYPE fechatter_http_requests_total counter$/m);
      assert.match(r.text, /^# TYPE fechatter_http_request_duration_seconds histogram$/m);
      assert.match(r.text, /^fechatter_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m);
      assert.match(r.text, /^fechatter_http_request_duration_seconds_(sum|count)(\{[^}]*\})? [\d.e+-]+$/m);
      const open = /^fechatter_http_connections_open(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(r.text);
      assert.ok(open, 'fechatter_http_connections_open gauge');
      assert.ok(Number(open[1]) >= 1, 'this very connection is open');
      for (const m of ['fechatter_db_size_bytes', 'fechatter_wal_size_bytes', 'fechatter_uptime_seconds']) {
        assert.match(r.text, new RegExp(`^${m}(\\{[^}]*\\})? [\\d.e+-]+$`, 'm'), m);
      }
      const db = /^fechatter_db_size_bytes(?:\{[^}]*\})? ([\d.e+]+)$/m.exec(r.text);
      assert.ok(Number(db[1]) > 0, 'the database has a size');
    });

    test('unknown paths do not create new metric labels', async () => {
      const junk = `zz-junk-${Date.now()}`;
      assert.equal((await srv.api('GET', `/api/${junk}`)).status, 404);
      await srv.api('GET', `/${junk}.js`);
      const t = (await srv.api('GET', '/metrics')).text;
      assert.ok(!t.includes(junk), 'raw unknown paths are not labels');
    });

    test('the request counter goes up with traffic', async () => {
      const count = async () => {
        const t = (await srv.api('GET', '/metrics')).text;
        const l = t.split('\n').find((x) => x.startsWith('fechatter_http_requests_total{') && /route="\/api\/workspace"/.test(x) && /method="GET"/.test(x) && /status="200"/.test(x));
        return l ? Number(l.split(' ').pop()) : 0;
      };
      const before = await count();
      for (let i = 0; i < 4; i++) assertOk(await srv.api('GET', '/api/workspace', { token: user.access_token }));
      assert.equal(await count(), before + 4);
    });
  });

  describe('robustness', () => {
    test('clients that disconnect mid-body or mid-headers leave the server up', async () => {
      const net = await import('node:net');
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => {
          const s = net.connect(srv.port, '127.0.0.1', () => {
            if (i % 2 === 0) {
              s.write('POST /api/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":"a@b');
            } else {
              s.write('GET /api/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bear');
            }
            setTimeout(() => { s.destroy(); resolve(); }, 10);
          });
          s.on('error', () => resolve());
        });
      }
      await sleep(100);
      const h = await srv.api('GET', '/health');
      assert.equal(h.status, 200);
      assertOk(await srv.api('GET', '/api/users/me', { token: user.access_token }));
      assert.equal(srv.hasExited(), false);
    });

    test('garbage instead of HTTP is refused without taking the server down', async () => {
      const r = await rawRequest(srv.port, 'THIS IS NOT HTTP\r\n\r\n', { timeoutMs: 3000 });
      assert.ok(r.status === 0 || r.status >= 400, `status ${r.status}`);
      assert.equal((await srv.api('GET', '/health')).status, 200);
    });

    test('an oversized header is refused without taking the server down', async () => {
      const r = await rawRequest(srv.port, `GET /api/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\nConnection: close\r\n\r\n`, { timeoutMs: 3000 });
      assert.ok(r.status === 0 || r.status >= 400, `status ${r.status}`);
      assert.equal((await srv.api('GET', '/health')).status, 200);
    });

    test('idle keep-alive connections are counted by the gauge and do not block others', async () => {
      const net = await import('node:net');
      const socks = [];
      try {
        // each connection makes one request and, once answered, stays open and idle
        await Promise.all(Array.from({ length: 60 }, () => new Promise((resolve) => {
          const t = setTimeout(resolve, 5000);
          const done = () => { clearTimeout(t); resolve(); };
          const s = net.connect(srv.port, '127.0.0.1', () => s.write('GET /health/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
          s.once('data', done);
          s.on('error', done);
          socks.push(s);
        })));
        const m = await srv.api('GET', '/metrics');
        const open = /^fechatter_http_connections_open(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(m.text);
        assert.ok(open, 'gauge present');
        assert.ok(Number(open[1]) >= 60, `60 idle connections counted: ${open[1]}`);
        assertOk(await srv.api('GET', '/api/users/me', { token: user.access_token }));
      } finally {
        for (const s of socks) s.destroy();
      }
    });

    test('50 concurrent requests are all answered', async () => {
      const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => srv.api('GET', '/api/users/me', {
        token: user.access_token, headers: { 'x-request-id': `conc-${i}` },
      })));
      rs.forEach((r, i) => {
        assert.equal(r.status, 200, `request ${i}`);
        assert.equal(r.json.data.id, user.user.id);
        assert.equal(r.headers.get('x-request-id'), `conc-${i}`, 'each answer goes to its own request');
      });
    });

    test('20 concurrent sign-ins (password hashing off the loop) all succeed', async () => {
      const rs = await Promise.all(Array.from({ length: 20 }, () => signin(srv, user.email, user.password)));
      const tokens = new Set();
      for (const r of rs) tokens.add(assertOk(r).refresh_token);
      assert.equal(tokens.size, 20);
    });

    test('the server keeps answering while sign-ins are hashed', async () => {
      const slow = Array.from({ length: 8 }, () => signin(srv, user.email, user.password));
      const health = await srv.api('GET', '/health');
      assert.equal(health.status, 200);
      for (const r of await Promise.all(slow)) assertOk(r);
    });
  });
});
