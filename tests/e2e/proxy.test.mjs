// Behind a reverse proxy (--trust-proxy, packaging/nginx/fechatter.conf,
// packaging/caddy/Caddyfile). First the server alone: X-Forwarded-For and
// X-Forwarded-Proto are believed only from a trusted peer (the sign-in rate
// limit per client address, Secure cookies, the per-address connection
// cap). Then through a real nginx (and Caddy when installed) run from the
// shipped files, with only ports, certificate paths and the server name
// substituted: TLS, the HTTP -> HTTPS redirect, sign-up/sign-in, a message
// received live on WebSocket and on SSE, an upload and its download, and
// the server telling clients apart that all reach it from the proxy's
// address (clients use several loopback source addresses: 127.0.0.2, ...).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import {
  startServer, freePort, makeTempDir, scaled, sleep, uniqueEmail, PASSWORD, assertOk, refreshCookie, HOST,
} from './lib/server.mjs';
import { EventLog, isType, WS_PROTOCOL } from './lib/rt.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------- the server alone

const signinFrom = (srv, headers = {}) => srv.api('POST', '/api/signin', {
  body: { email: 'nobody@example.test', password: 'wrong password' }, headers,
});

// Failed sign-ins by the attempt functions in turn (cycled): when they all
// count against one client address, the first `limit` are 401 and a 429
// comes at attempt limit + 1, or limit + 2 (the limiter's two-bucket sliding
// window may let one more through at a minute boundary). Attempts spread
// over several addresses would get no 429 that soon (each function is used
// at most limit / n + 1 times).
async function sameClient(what, limit, attempts) {
  const statuses = [];
  for (let i = 0; i < limit + 2; i++) {
    const r = await attempts[i % attempts.length](i);
    statuses.push(r.status);
    if (r.status === 429) {
      assert.equal(r.json?.error?.code, 'RATE_LIMITED', r.text);
      break;
    }
  }
  assert.deepEqual(statuses.slice(0, limit), Array(limit).fill(401), `${what}: statuses ${statuses}`);
  assert.equal(statuses.at(-1), 429, `${what}: one client, limited after ${limit} attempts: statuses ${statuses}`);
}

const forged = (i) => `203.0.113.${(i * 37 + Math.floor(Math.random() * 200)) % 250 + 1}`;

describe('--trust-proxy: X-Forwarded-For and X-Forwarded-Proto', () => {
  test('a forged X-Forwarded-For from an untrusted peer does not dodge the per-address sign-in limit', async () => {
    const srv = await startServer({ env: { FECHATTER_LOGIN_RATE_IP: '3' } });
    try {
      await sameClient('forged addresses, untrusted peer', 3, [
        (i) => signinFrom(srv, { 'x-forwarded-for': forged(i) }),
        (i) => signinFrom(srv, { 'x-forwarded-for': `${forged(i)}, 198.51.100.${i + 1}` }),
      ]);
    } finally {
      await srv.stop();
    }
  });

  test('from a trusted proxy the right-most untrusted X-Forwarded-For address is the client', async () => {
    const srv = await startServer({ env: { FECHATTER_LOGIN_RATE_IP: '3' }, args: ['--trust-proxy', '127.0.0.1,10.0.0.0/8'] });
    try {
      // trusted hops (10.0.0.0/8) are skipped; a forged left part is not believed
      await sameClient('198.51.100.1', 3, [
        () => signinFrom(srv, { 'x-forwarded-for': '198.51.100.1' }),
        (i) => signinFrom(srv, { 'x-forwarded-for': `${forged(i)}, 198.51.100.1, 10.1.2.3` }),
        (i) => signinFrom(srv, { 'x-forwarded-for': `${forged(i)},198.51.100.1:${1000 + i}` }),
      ]);
      // another client behind the same proxy has its own budget
      let r = await signinFrom(srv, { 'x-forwarded-for': '198.51.100.2' });
      assert.equal(r.status, 401, `198.51.100.2 is not limited: ${r.text}`);
      // IPv6 clients, bracketed with a port or not, are one address
      await sameClient('2001:db8::5', 3, ['2001:db8::5', '[2001:DB8::5]:4711', '2001:db8:0::5'].map(
        (xff) => () => signinFrom(srv, { 'x-forwarded-for': xff }),
      ));
      // garbage: the proxy's own address is the client
      r = await signinFrom(srv, { 'x-forwarded-for': 'unknown' });
      assert.equal(r.status, 401, r.text);
    } finally {
      await srv.stop();
    }
  });

  test('X-Forwarded-Proto: https makes the refresh cookie Secure, only from a trusted proxy', async () => {
    const trusted = await startServer({ args: ['--trust-proxy', '127.0.0.1', '--registration', 'open'] });
    const untrusted = await startServer({ args: ['--trust-proxy', '10.0.0.1', '--registration', 'open'] });
    try {
      const body = () => ({ email: uniqueEmail(), password: PASSWORD, fullname: 'Proxy User', workspace_name: uniqueEmail('ws') });
      let r = await trusted.api('POST', '/api/signup', { body: body(), headers: { 'x-forwarded-proto': 'https' } });
      assertOk(r, 201);
      assert.equal(refreshCookie(r).attrs.secure, true, `Secure behind a trusted TLS proxy: ${refreshCookie(r).raw}`);
      r = await trusted.api('POST', '/api/signup', { body: body(), headers: { 'x-forwarded-proto': 'http' } });
      assertOk(r, 201);
      assert.equal(refreshCookie(r).attrs.secure, undefined, `not Secure for http: ${refreshCookie(r).raw}`);
      r = await untrusted.api('POST', '/api/signup', { body: body(), headers: { 'x-forwarded-proto': 'https' } });
      assertOk(r, 201);
      assert.equal(refreshCookie(r).attrs.secure, undefined, `a forged X-Forwarded-Proto is ignored: ${refreshCookie(r).raw}`);
    } finally {
      await trusted.stop();
      await untrusted.stop();
    }
  });

  test('a trusted proxy is not held to --max-connections-per-ip (its clients share its address)', async () => {
    const trusted = await startServer({ args: ['--trust-proxy', '127.0.0.1', '--max-connections-per-ip', '2'] });
    const untrusted = await startServer({ args: ['--max-connections-per-ip', '2'] });
    const socks = [];
    const hold = async (port) => {
      const s = net.connect(port, HOST);
      socks.push(s);
      await new Promise((resolve, reject) => { s.on('connect', resolve); s.on('error', reject); });
    };
    // a request on a fresh connection while two idle ones are held open
    const third = (srv) => new Promise((resolve) => {
      const req = http.get({ host: HOST, port: srv.port, path: '/health', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', (e) => resolve(`error ${e.code}`));
      req.setTimeout(scaled(5000), () => { req.destroy(); resolve('timeout'); });
    });
    try {
      for (const srv of [trusted, untrusted]) {
        await hold(srv.port);
        await hold(srv.port);
      }
      assert.equal(await third(trusted), 200, 'the trusted proxy gets a third connection');
      assert.equal(await third(untrusted), 503, 'an ordinary client does not');
    } finally {
      for (const s of socks) s.destroy();
      await trusted.stop();
      await untrusted.stop();
    }
  });
});

// ---------------------------------------------------------------- through a real proxy

function which(name) {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  return null;
}

// A self-signed certificate for 127.0.0.1 (openssl): {cert, key, pem}.
function makeCert(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { stdio: 'ignore' });
  return { cert, key, pem: readFileSync(cert) };
}

// Replaces each [from, to] of pairs in text, each exactly `count` times
// (default 1), so a shipped file that changed shape fails the test loudly.
function substitute(text, pairs) {
  for (const [from, to, count = 1] of pairs) {
    const n = text.split(from).length - 1;
    assert.equal(n, count, `the shipped file should contain ${JSON.stringify(from)} ${count} time(s), found ${n}`);
    text = text.split(from).join(to);
  }
  return text;
}

// A child process (the proxy), stopped by its pid at the end.
function spawnProxy(file, args, opts) {
  const proc = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exit = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const onExit = () => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', onExit);
  return {
    proc,
    output: () => out,
    exited: () => proc.exitCode !== null || proc.signalCode !== null,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, signal);
      const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } }, scaled(5000));
      const r = await exit;
      clearTimeout(timer);
      process.off('exit', onExit);
      return r;
    },
  };
}

// One HTTPS (or HTTP) request through the proxy from a chosen loopback
// source address. Returns {status, headers, body (Buffer), text, json}.
function request(px, method, path, { from = '127.0.0.2', token, body, headers = {}, rawBody, plain = false } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = rawBody;
  if (body !== undefined) {
    payload = Buffer.from(JSON.stringify(body));
    h['content-type'] = 'application/json';
  }
  if (payload !== undefined) h['content-length'] = String(payload.length);
  const mod = plain ? http : https;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: HOST, port: plain ? px.httpPort : px.tlsPort, path, method, headers: h, localAddress: from,
      agent: false, ca: px.ca, servername: undefined,
    }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json, cookies: res.headers['set-cookie'] ?? [] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(scaled(15000), () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.end(payload);
  });
}

async function waitProxyReady(px, child) {
  const deadline = Date.now() + scaled(15000);
  let last = '';
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`the proxy exited:\n${child.output()}`);
    try {
      const r = await request(px, 'GET', '/health/readiness');
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (e) {
      last = e.code || e.message;
    }
    await sleep(100);
  }
  throw new Error(`the proxy did not answer (${last}):\n${child.output()}`);
}

function wssConnect(px, token, from) {
  const log = new EventLog(`wss from ${from}`);
  const ws = new WebSocket(`wss://${HOST}:${px.tlsPort}/ws?access_token=${encodeURIComponent(token)}`, [WS_PROTOCOL], {
    ca: px.ca, localAddress: from, perMessageDeflate: false, handshakeTimeout: scaled(5000),
  });
  ws.on('message', (d) => { try { log.push(JSON.parse(String(d))); } catch { log.push({ type: '__unparsable__' }); } });
  ws.on('close', (code) => log.end(`close ${code}`));
  ws.on('error', (e) => log.end(`error ${e.message}`));
  return { ws, log, close: () => ws.terminate() };
}

function sseOpen(px, token, from) {
  const log = new EventLog(`sse from ${from}`);
  const client = { log, headers: null, status: 0 };
  const req = https.request({
    host: HOST, port: px.tlsPort, path: `/events?access_token=${encodeURIComponent(token)}`, method: 'GET',
    headers: { accept: 'text/event-stream' }, localAddress: from, agent: false, ca: px.ca,
  }, (res) => {
    client.status = res.statusCode;
    client.headers = res.headers;
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (data) { try { log.push(JSON.parse(data)); } catch { log.push({ type: '__unparsable__', data }); } }
      }
    });
    res.on('end', () => log.end('end'));
  });
  req.on('error', (e) => log.end(`error ${e.message}`));
  req.end();
  client.close = () => req.destroy();
  return client;
}

function multipart(bytes, filename) {
  const boundary = `----fechatter${crypto.randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n`
    + 'Content-Type: application/octet-stream\r\n\r\n');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The whole journey through one proxy px ({tlsPort, httpPort, ca}) in front
 * of srv (started with --trust-proxy 127.0.0.1 and a sign-in limit of
 * `rate` per client address).
 */
async function journey(px, srv, rate, { hsts }) {
  // plain HTTP is redirected to HTTPS, path and query kept
  const redirect = await request(px, 'GET', '/chat/42?x=1', { plain: true });
  assert.ok([301, 302, 308].includes(redirect.status), `plain http redirects: ${redirect.status}`);
  assert.match(String(redirect.headers.location), /^https:\/\/127\.0\.0\.1(:\d+)?\/chat\/42\?x=1$/, `Location: ${redirect.headers.location}`);

  // sign up the owner from 127.0.0.2 and a member from 127.0.0.3; the refresh cookie is Secure
  const owner = await request(px, 'POST', '/api/signup', {
    from: '127.0.0.2', body: { email: uniqueEmail('owner'), password: PASSWORD, fullname: 'Olive Owner', workspace_name: 'Proxied' },
  });
  assert.equal(owner.status, 201, owner.text);
  assert.match(owner.cookies.join('\n'), /refresh_token=[^;]+;.*; Secure/, `Secure cookie over the proxy's TLS: ${owner.cookies}`);
  if (hsts) assert.match(String(owner.headers['strict-transport-security']), /max-age=\d+/);
  const ownerTok = owner.json.data.access_token;
  const invite = await request(px, 'POST', '/api/workspace/invites', { from: '127.0.0.2', token: ownerTok, body: { max_uses: 5 } });
  assert.equal(invite.status, 201, invite.text);
  const aliceEmail = uniqueEmail('alice');
  const alice0 = await request(px, 'POST', '/api/signup', {
    from: '127.0.0.3', body: { email: aliceEmail, password: PASSWORD, fullname: 'Alice Anders', invite_code: invite.json.data.code },
  });
  assert.equal(alice0.status, 201, alice0.text);
  const alice = await request(px, 'POST', '/api/signin', { from: '127.0.0.3', body: { email: aliceEmail, password: PASSWORD } });
  assert.equal(alice.status, 200, alice.text);
  const aliceTok = alice.json.data.access_token;
  const chat = await request(px, 'POST', '/api/workspace/chats', {
    from: '127.0.0.2', token: ownerTok, body: { chat_type: 'Group', name: 'through the proxy', members: [alice.json.data.user.id] },
  });
  assert.equal(chat.status, 201, chat.text);
  const chatId = chat.json.data.id;

  // alice listens on WebSocket (wss) and SSE through the proxy
  const ws = wssConnect(px, aliceTok, '127.0.0.3');
  const sse = sseOpen(px, aliceTok, '127.0.0.3');
  try {
    await ws.log.waitFor(isType('connection_confirmed'), { timeoutMs: 10000, label: 'connection_confirmed (wss)' });
    await sse.log.waitFor(isType('connection_confirmed'), { timeoutMs: 10000, label: 'connection_confirmed (sse)' });
    assert.match(String(sse.headers['content-type']), /^text\/event-stream/);

    // the owner uploads a file and sends a message carrying it
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 17);
    const mp = multipart(bytes, 'big.bin');
    const up = await request(px, 'POST', '/api/files/single', { from: '127.0.0.2', token: ownerTok, rawBody: mp.body, headers: { 'content-type': mp.type } });
    assert.equal(up.status, 200, up.text);
    const file = up.json.data;
    assert.equal(file.size, bytes.length);
    const sent = await request(px, 'POST', `/api/chat/${chatId}/messages`, {
      from: '127.0.0.2', token: ownerTok, body: { content: 'hello through the proxy', files: [file.id] },
    });
    assert.equal(sent.status, 201, sent.text);
    const msgId = sent.json.data.id;
    const viaWs = await ws.log.waitFor(isType('new_message', { id: msgId }), { timeoutMs: 10000, label: 'new_message on wss' });
    const viaSse = await sse.log.waitFor(isType('new_message', { id: msgId }), { timeoutMs: 10000, label: 'new_message on sse' });
    assert.equal(viaWs.content, 'hello through the proxy');
    assert.equal(viaSse.content, 'hello through the proxy');

    // a WebSocket send is acknowledged and reaches the SSE stream too
    ws.ws.send(JSON.stringify({ op: 'send', chat_id: chatId, content: 'reply over wss', idempotency_key: 'k1' }));
    const ack = await ws.log.waitFor(isType('ack', { idempotency_key: 'k1' }), { timeoutMs: 10000, label: 'ack' });
    await sse.log.waitFor(isType('new_message', { id: ack.message.id }), { timeoutMs: 10000, label: 'the wss send on sse' });

    // alice downloads the file she received, byte for byte
    const got = await request(px, 'GET', viaWs.files[0].url, { from: '127.0.0.3', token: aliceTok });
    assert.equal(got.status, 200, got.text.slice(0, 200));
    assert.equal(got.body.length, bytes.length);
    assert.ok(got.body.equals(bytes), 'the downloaded bytes are the uploaded ones');

    // a file just over the server's --upload-limit (10 MiB) passes the
    // proxy's body limit and gets the server's own answer
    const over = multipart(Buffer.alloc(10 * 1024 * 1024 + 1, 7), 'over.bin');
    const refused = await request(px, 'POST', '/api/files/single', { from: '127.0.0.2', token: ownerTok, rawBody: over.body, headers: { 'content-type': over.type } });
    assert.equal(refused.status, 413, refused.text.slice(0, 300));
    assert.equal(refused.json?.error?.code, 'PAYLOAD_TOO_LARGE', refused.text.slice(0, 300));
  } finally {
    ws.close();
    sse.close();
  }

  // the server tells clients apart although all reach it from 127.0.0.1:
  // 127.0.0.4's attempts through the proxy, with or without a forged
  // X-Forwarded-For, and straight to the server with X-Forwarded-For:
  // 127.0.0.4 (127.0.0.1 is trusted) count against one budget ...
  const wrong = { email: 'nobody@example.test', password: 'wrong password' };
  await sameClient('127.0.0.4', rate, [
    () => request(px, 'POST', '/api/signin', { from: '127.0.0.4', body: wrong }),
    (i) => request(px, 'POST', '/api/signin', { from: '127.0.0.4', body: wrong, headers: { 'x-forwarded-for': forged(i) } }),
    () => srv.api('POST', '/api/signin', { body: wrong, headers: { 'x-forwarded-for': '127.0.0.4' } }),
  ]);
  // ... and 127.0.0.5 has its own
  const r = await request(px, 'POST', '/api/signin', { from: '127.0.0.5', body: wrong });
  assert.equal(r.status, 401, `127.0.0.5 has its own budget: ${r.text}`);
}

// The nginx process and its prefix folder for the shipped server block in
// front of srv: {child, px}.
async function startNginx(bin, srv) {
  const dir = makeTempDir('fechatter-nginx-');
  chmodSync(dir, 0o755); // the workers (nobody when run as root) reach their temp folders
  const { cert, key, pem } = makeCert(dir);
  const tlsPort = await freePort();
  const httpPort = await freePort();
  const shipped = readFileSync(join(repo, 'packaging/nginx/fechatter.conf'), 'utf8');
  const site = substitute(shipped, [
    ['listen 80;', `listen ${HOST}:${httpPort};`],
    ['listen 443 ssl http2;', `listen ${HOST}:${tlsPort} ssl http2;`],
    ['    listen [::]:80;\n', ''],
    ['    listen [::]:443 ssl http2;\n', ''],
    ['server 127.0.0.1:8080;', `server 127.0.0.1:${srv.port};`],
    ['/etc/ssl/certs/fechatter-fullchain.pem', cert],
    ['/etc/ssl/private/fechatter-key.pem', key],
  ]);
  writeFileSync(join(dir, 'fechatter.conf'), site);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t));
  // what Debian's /etc/nginx/nginx.conf has around sites-enabled/, with
  // every path in the prefix folder
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  gzip on;
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/fechatter.conf;
}
`);
  const child = spawnProxy(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;']);
  const px = { tlsPort, httpPort, ca: pem, dir };
  try {
    await waitProxyReady(px, child);
  } catch (e) {
    await child.stop('SIGKILL');
    const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
    throw new Error(`${e.message}\nerror.log:\n${log}`);
  }
  return { child, px };
}

// Caddy with the shipped Caddyfile in front of srv: its own certificate
// line uncommented, no ACME, no admin endpoint, loopback ports, its state
// in a temporary folder.
async function startCaddy(bin, srv) {
  const dir = makeTempDir('fechatter-caddy-');
  const { cert, key, pem } = makeCert(dir);
  const tlsPort = await freePort();
  const httpPort = await freePort();
  const shipped = readFileSync(join(repo, 'packaging/caddy/Caddyfile'), 'utf8');
  const site = substitute(shipped, [
    ['chat.example.org {', `${HOST} {`],
    ['#tls /etc/ssl/certs/fechatter-fullchain.pem /etc/ssl/private/fechatter-key.pem', `tls ${cert} ${key}`],
    ['reverse_proxy 127.0.0.1:8080 {', `reverse_proxy 127.0.0.1:${srv.port} {`],
  ]);
  const global = `{
	admin off
	http_port ${httpPort}
	https_port ${tlsPort}
	default_bind ${HOST}
	skip_install_trust
	storage file_system ${dir}/storage
	# Caddy 2.6 keeps an HTTP/1.1 SSE stream's upstream open after its
	# client left, and waits for it forever on shutdown without this
	grace_period 2s
	servers {
		protocols h1 h2
	}
}
`;
  writeFileSync(join(dir, 'Caddyfile'), global + site);
  const child = spawnProxy(bin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    cwd: dir, env: { ...process.env, HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  const px = { tlsPort, httpPort, ca: pem, dir };
  try {
    await waitProxyReady(px, child);
  } catch (e) {
    await child.stop('SIGKILL');
    throw e;
  }
  return { child, px };
}

const RATE = 4;
for (const [name, file, start, stopSignal] of [
  ['nginx', 'packaging/nginx/fechatter.conf', startNginx, 'SIGQUIT'],
  ['caddy', 'packaging/caddy/Caddyfile', startCaddy, 'SIGTERM'],
]) {
  const bin = which(name);
  describe(`through ${name} (${file})`, { skip: bin ? false : `${name} is not installed (packaging/deps.sh installs it)` }, () => {
    let srv; let proxy;
    before(async () => {
      srv = await startServer({ env: { FECHATTER_LOGIN_RATE_IP: String(RATE) }, args: ['--trust-proxy', '127.0.0.1'] });
      proxy = await start(bin, srv);
    });
    after(async () => {
      if (proxy) {
        const r = await proxy.child.stop(stopSignal); // by its pid, gracefully
        assert.ok(r.code === 0 || r.signal === stopSignal, `${name} ended with ${JSON.stringify(r)}:\n${proxy.child.output()}`);
      }
      await srv?.stop();
    });

    test('TLS, redirect, sign-up/in, WebSocket and SSE live, upload/download, rate limit per real client', async () => {
      await journey(proxy.px, srv, RATE, { hsts: true });
    });

    test('/metrics is not served through the proxy; /health is', async () => {
      assert.equal((await request(proxy.px, 'GET', '/metrics')).status, 404);
      assert.equal((await request(proxy.px, 'GET', '/health')).status, 200);
    });
  });
}
