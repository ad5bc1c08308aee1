// HTTP/1.1 strictness over raw sockets: request smuggling (duplicated or
// conflicting framing headers, white space before a colon) and heads that
// libwebsockets answered with its HTML 403 page or not at all (unknown
// methods, TRACE, OPTIONS *, absolute-form targets, the HTTP/2 preface,
// headers over 4 KiB, %00 in the path). Each gets the JSON envelope with the
// security headers, a fitting status, and the connection is closed.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, mustSignup, HOST, parseHead } from './lib/server.mjs';

// Sends data on a fresh connection and reads until the server closes it (or
// timeoutMs). Returns {raw, closed, responses: [{status, headers, body}]}.
function exchange(port, data, { timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(port, HOST);
    let buf = Buffer.alloc(0);
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ raw: buf.toString('latin1'), closed, responses: parseAll(buf) });
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.on('end', () => { closed = true; });
    sock.on('close', () => { closed = true; done(); });
    sock.on('error', () => {});
  });
}

// Splits a byte stream into the HTTP responses it holds (Content-Length framed).
function parseAll(buf) {
  const out = [];
  let s = buf.toString('latin1');
  while (s.length) {
    const { status, headers, end } = parseHead(s);
    if (end < 0) break;
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: s.slice(end + 4, end + 4 + len) });
    s = s.slice(end + 4 + len);
  }
  return out;
}

// One JSON error answer with the security headers, then the connection closed.
function assertRefused(r, status, code, what) {
  const ctx = `${what}: ${r.raw.slice(0, 400)}`;
  assert.equal(r.responses.length, 1, `exactly one answer: ${ctx}`);
  const [res] = r.responses;
  assert.equal(res.status, status, ctx);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, ctx);
  const body = JSON.parse(res.body);
  assert.equal(body.success, false, ctx);
  assert.equal(body.error.code, code, ctx);
  assert.ok(body.error.message.length > 0, ctx);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', ctx);
  assert.equal(res.headers['x-frame-options'], 'DENY', ctx);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', ctx);
  assert.ok(res.headers['content-security-policy'], ctx);
  assert.match(res.headers['x-request-id'] ?? '', /^[A-Za-z0-9._-]{1,64}$/, ctx);
  assert.equal(res.headers.connection, 'close', ctx);
  assert.ok(r.closed, `the server closed the connection: ${ctx}`);
  return res;
}

describe('HTTP strictness', () => {
  let srv;
  before(async () => {
    srv = await startServer();
    await mustSignup(srv, { workspace_name: 'Strict' });
  });
  after(async () => { await srv?.stop(); });

  const head = (lines) => `${lines.join('\r\n')}\r\n\r\n`;
  const json = 'Content-Type: application/json';

  describe('request smuggling (RFC 9112 section 6.3)', () => {
    test('two Content-Length headers: 400, and the rest of the body never runs as a request', async () => {
      const smuggled = 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n';
      const body = `{}${smuggled}`;
      const r = await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, 'Content-Length: 2',
        `Content-Length: ${body.length}`]) + body);
      assertRefused(r, 400, 'BAD_REQUEST', 'duplicate Content-Length');
      assert.ok(!r.raw.includes('"healthy"'), 'the smuggled /health was not answered');
      // the same with equal values, and a list in one header
      assertRefused(await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, 'Content-Length: 2',
        'content-length: 2']) + '{}'), 400, 'BAD_REQUEST', 'equal duplicates');
      assertRefused(await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json,
        'Content-Length: 2, 2']) + '{}'), 400, 'BAD_REQUEST', 'a list');
    });

    test('Content-Length with Transfer-Encoding: 400', async () => {
      for (const order of [['Content-Length: 2', 'Transfer-Encoding: chunked'], ['Transfer-Encoding: chunked', 'Content-Length: 2']]) {
        const r = await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, ...order]) + '{}');
        assertRefused(r, 400, 'BAD_REQUEST', order.join(' + '));
      }
    });

    test('white space before a header colon: 400 (Transfer-Encoding : chunked and others)', async () => {
      for (const line of ['Transfer-Encoding : chunked', 'Transfer-Encoding\t: chunked', 'Content-Length : 2', 'X-Any  : 1']) {
        const r = await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, 'Content-Length: 2', line]) + '{}');
        const res = assertRefused(r, 400, 'BAD_REQUEST', line);
        assert.match(JSON.parse(res.body).error.message, /colon/);
      }
    });

    test('a header line without a colon (would swallow the next line): 400', async () => {
      const r = await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, 'X-No-Colon',
        'Transfer-Encoding: chunked', 'Content-Length: 2']) + '{}');
      assertRefused(r, 400, 'BAD_REQUEST', 'no colon');
    });

    test('one Content-Length still works', async () => {
      const body = JSON.stringify({ email: 'nobody@example.test', password: 'password123' });
      const r = await exchange(srv.port, head(['POST /api/signin HTTP/1.1', 'Host: x', json, `Content-Length: ${body.length}`,
        'Connection: close']) + body);
      assert.deepEqual(r.responses.map((x) => x.status), [401], r.raw.slice(0, 500));
      assert.equal(JSON.parse(r.responses[0].body).error.code, 'INVALID_CREDENTIALS');
    });
  });

  describe('methods, targets and sizes lws refused with HTML or silence', () => {
    const cases = [
      ['an unknown method', 'FOO / HTTP/1.1', 501, 'NOT_IMPLEMENTED'],
      ['TRACE', 'TRACE / HTTP/1.1', 405, 'METHOD_NOT_ALLOWED'],
      ['CONNECT', 'CONNECT example.test:443 HTTP/1.1', 405, 'METHOD_NOT_ALLOWED'],
      ['OPTIONS *', 'OPTIONS * HTTP/1.1', 405, 'METHOD_NOT_ALLOWED'],
      ['an absolute-form target', 'GET http://127.0.0.1/health HTTP/1.1', 400, 'BAD_REQUEST'],
      ['%00 in the path', 'GET /api/users%00/me HTTP/1.1', 400, 'BAD_REQUEST'],
      ['%00 in the query', 'GET /api/search/messages?q=a%00 HTTP/1.1', 400, 'BAD_REQUEST'],
      ['a malformed escape', 'GET /a%zz HTTP/1.1', 400, 'BAD_REQUEST'],
    ];
    for (const [what, line, status, code] of cases) {
      test(`${what}: ${status} ${code}`, async () => {
        const res = assertRefused(await exchange(srv.port, head([line, 'Host: x'])), status, code, what);
        if (status === 405) assert.match(res.headers.allow ?? '', /GET/, 'a 405 says what is allowed');
      });
    }

    test('the HTTP/2 preface: 501 NOT_IMPLEMENTED', async () => {
      const r = await exchange(srv.port, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      assertRefused(r, 501, 'NOT_IMPLEMENTED', 'PRI');
    });

    test('headers over 4 KiB: 431 HEADERS_TOO_LARGE', async () => {
      const r = await exchange(srv.port, head(['GET /health HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(4200)}`]));
      assertRefused(r, 431, 'HEADERS_TOO_LARGE', 'one big header');
      const many = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(20)}`);
      assertRefused(await exchange(srv.port, head(['GET /health HTTP/1.1', 'Host: x', ...many])), 431, 'HEADERS_TOO_LARGE', 'many headers');
    });

    test('a query with more parameters than lws has room for: 431 HEADERS_TOO_LARGE', async () => {
      const query = Array.from({ length: 150 }, (_, i) => `a${i}=1`).join('&');
      assertRefused(await exchange(srv.port, head([`GET /health?${query} HTTP/1.1`, 'Host: x'])), 431, 'HEADERS_TOO_LARGE', '150 parameters');
    });

    test('a head just under 4 KiB is still served', async () => {
      const base = head(['GET /health/readiness HTTP/1.1', 'Host: x', 'Connection: close', 'X-Pad: ']);
      const pad = 'p'.repeat(4096 - base.length);
      const r = await exchange(srv.port, head(['GET /health/readiness HTTP/1.1', 'Host: x', 'Connection: close', `X-Pad: ${pad}`]));
      assert.equal(r.responses[0]?.status, 200, r.raw.slice(0, 300));
    });

    test('the server is still healthy', async () => {
      assert.equal((await srv.api('GET', '/health')).status, 200);
      assert.equal(srv.hasExited(), false);
    });
  });
});
