// TLS: a self-signed certificate made on first start, HTTPS beside HTTP,
// forward-secret AEAD ciphers only, Secure cookies, --cert/--key.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, freePort, HOST, refreshCookie, uniqueEmail, PASSWORD } from './lib/server.mjs';

// One HTTPS request; resolves {status, headers, body, cipher, protocol, cert, cookies}.
function httpsRequest(port, path, { method = 'GET', body, headers = {}, tlsOpts = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: HOST, port, path, method, rejectUnauthorized: false, agent: false, timeout: 8000,
      headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } : headers,
      ...tlsOpts,
    }, (res) => {
      const chunks = [];
      const cipher = res.socket.getCipher();
      const protocol = res.socket.getProtocol();
      const cert = res.socket.getPeerCertificate();
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), cipher, protocol, cert,
        cookies: res.headers['set-cookie'] ?? [],
      }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

// A bare TLS handshake; resolves {ok, error, cipher, protocol}.
function handshake(port, opts) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: HOST, port, rejectUnauthorized: false, ...opts });
    const t = setTimeout(() => { s.destroy(); resolve({ ok: false, error: 'timeout' }); }, 8000);
    s.on('secureConnect', () => {
      clearTimeout(t);
      const r = { ok: true, cipher: s.getCipher(), protocol: s.getProtocol() };
      s.end();
      resolve(r);
    });
    s.on('error', (e) => { clearTimeout(t); resolve({ ok: false, error: e.code || e.message }); });
  });
}

function forwardSecretAead(cipher, protocol) {
  const name = cipher.standardName || cipher.name;
  const aead = /GCM|CHACHA20/i.test(name);
  if (protocol === 'TLSv1.3') return aead; // TLS 1.3 key exchange is always ephemeral
  return aead && /ECDHE/i.test(name);
}

describe('tls', () => {
  let srv;
  let tlsPort;
  before(async () => {
    tlsPort = await freePort();
    srv = await startServer({ args: ['--tls-port', String(tlsPort)] });
    // the readiness poll ran over HTTP; wait for the TLS listener too
    for (let i = 0; i < 100; i++) {
      const h = await handshake(tlsPort, {});
      if (h.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => { await srv?.stop(); });

  test('a self-signed certificate and key are made in the data folder', () => {
    const cert = join(srv.dataDir, 'tls_cert.pem');
    const key = join(srv.dataDir, 'tls_key.pem');
    assert.ok(existsSync(cert), 'tls_cert.pem');
    assert.ok(existsSync(key), 'tls_key.pem');
    assert.match(readFileSync(cert, 'utf8'), /-----BEGIN CERTIFICATE-----/);
    assert.match(readFileSync(key, 'utf8'), /-----BEGIN (EC |)PRIVATE KEY-----/);
    assert.equal(statSync(key).mode & 0o077, 0, `key is private: mode ${(statSync(key).mode & 0o777).toString(8)}`);
  });

  test('HTTPS GET /health answers on the TLS port with a forward-secret AEAD cipher', async () => {
    const r = await httpsRequest(tlsPort, '/health');
    assert.equal(r.status, 200);
    const h = JSON.parse(r.body);
    assert.ok(['healthy', 'degraded'].includes(h.status), r.body);
    assert.ok(forwardSecretAead(r.cipher, r.protocol), `cipher ${JSON.stringify(r.cipher)} ${r.protocol}`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.ok(r.headers['x-request-id']);
  });

  test('the served certificate is the self-signed one from the data folder', async () => {
    const r = await httpsRequest(tlsPort, '/health/readiness');
    assert.equal(r.status, 200);
    const pem = readFileSync(join(srv.dataDir, 'tls_cert.pem'), 'utf8');
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    assert.ok(r.cert.raw.equals(der), 'same certificate');
    assert.deepEqual(r.cert.subject, r.cert.issuer, 'self-signed');
  });

  test('TLS 1.2: the negotiated cipher is ECDHE with GCM or CHACHA20', async () => {
    const h = await handshake(tlsPort, { maxVersion: 'TLSv1.2' });
    assert.ok(h.ok, `TLS 1.2 handshake: ${h.error}`);
    const name = h.cipher.standardName || h.cipher.name;
    assert.match(name, /ECDHE/, name);
    assert.match(name, /GCM|CHACHA20/, name);
  });

  test('a client offering only a non-ECDHE cipher (AES128-SHA256) fails the handshake', async () => {
    const h = await handshake(tlsPort, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA256' });
    assert.equal(h.ok, false, `handshake must fail, got ${JSON.stringify(h.cipher)}`);
  });

  test('a client offering only CBC ECDHE ciphers fails the handshake', async () => {
    const h = await handshake(tlsPort, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA' });
    assert.equal(h.ok, false, `handshake must fail, got ${JSON.stringify(h.cipher)}`);
  });

  test('plain HTTP keeps working beside HTTPS', async () => {
    const r = await srv.api('GET', '/health/readiness');
    assert.equal(r.status, 200);
  });

  test('over TLS the refresh cookie is Secure', async () => {
    const body = JSON.stringify({ email: uniqueEmail('tls'), password: PASSWORD, fullname: 'Tee Ls' });
    const r = await httpsRequest(tlsPort, '/api/signup', { method: 'POST', body });
    assert.equal(r.status, 201, r.body);
    const c = refreshCookie({ cookies: r.cookies });
    assert.ok(c, `cookie set: ${r.cookies}`);
    assert.equal(c.attrs.secure, true, c.raw);
    assert.equal(c.attrs.httponly, true, c.raw);
    // and an API call over TLS with the token works
    const token = JSON.parse(r.body).data.access_token;
    const me = await httpsRequest(tlsPort, '/api/users/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200, me.body);
    assert.equal(me.headers['x-frame-options'], 'DENY');
  });

  test('a restart keeps the certificate; --cert/--key serve the given files', async () => {
    const pem = readFileSync(join(srv.dataDir, 'tls_cert.pem'));
    assert.equal(await srv.stop(), 0);
    const again = await startServer({ dataDir: srv.dataDir, args: ['--tls-port', String(tlsPort)] });
    try {
      let r;
      for (let i = 0; i < 100 && !r; i++) {
        try { r = await httpsRequest(tlsPort, '/health'); } catch { await new Promise((res) => setTimeout(res, 50)); }
      }
      assert.ok(r, 'TLS answers after restart');
      assert.ok(readFileSync(join(srv.dataDir, 'tls_cert.pem')).equals(pem), 'certificate kept');
    } finally {
      assert.equal(await again.stop(), 0);
    }
    // the same files given explicitly to a server on another data folder
    const port2 = await freePort();
    const other = await startServer({
      args: ['--tls-port', String(port2), '--cert', join(srv.dataDir, 'tls_cert.pem'), '--key', join(srv.dataDir, 'tls_key.pem')],
    });
    try {
      let r;
      for (let i = 0; i < 100 && !r; i++) {
        try { r = await httpsRequest(port2, '/health'); } catch { await new Promise((res) => setTimeout(res, 50)); }
      }
      assert.ok(r, 'TLS answers with --cert/--key');
      const der = Buffer.from(pem.toString('utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      assert.ok(r.cert.raw.equals(der), 'serves the given certificate');
      assert.equal(existsSync(join(other.dataDir, 'tls_cert.pem')), false, 'no certificate made when one is given');
    } finally {
      await other.stop();
    }
  });
});
