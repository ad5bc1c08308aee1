// Slow bodies and connection exhaustion: a body trickling in is cut after
// --body-timeout (408), connections beyond --max-connections-per-ip are
// refused at once while allowed connections keep working, and at a low
// descriptor limit a flood of slow connections from many addresses leaves
// /health answering and the log small. All over 127.0.0.0/8 (loopback
// addresses 127.0.0.2 and up stand for other clients).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import {
  startServer, HOST, freePort, makeTempDir, binPath, launcher, cleanEnv, waitReady, sleep,
} from './lib/server.mjs';

// Opens a connection from localAddress; resolves with the socket once connected.
function connect(port, localAddress = HOST) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: HOST, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// Collects what arrives on s until it closes or timeoutMs passes: {text, closed}.
function untilClosed(s, timeoutMs) {
  return new Promise((resolve) => {
    let text = '';
    let closed = false;
    const t = setTimeout(() => resolve({ text, closed }), timeoutMs);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => { closed = true; clearTimeout(t); resolve({ text, closed }); });
  });
}

// Sends one GET on an open keep-alive socket and reads its answer.
function getOn(s, path) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => { s.off('data', onData); reject(new Error(`no answer to ${path}`)); }, 10000);
    const onData = (d) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      clearTimeout(t);
      s.off('data', onData);
      resolve({ status: Number(buf.slice(9, 12)), body: buf.slice(end + 4, end + 4 + len) });
    };
    s.on('data', onData);
    s.once('close', () => { clearTimeout(t); reject(new Error(`closed before answering ${path}`)); });
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

// A slow POST: the head and then one body byte every intervalMs (until closed).
function slowPost(s, intervalMs, length = 1000) {
  s.write(`POST /api/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
  const timer = setInterval(() => { if (!s.destroyed) s.write(' '); }, intervalMs);
  s.on('close', () => clearInterval(timer));
  return () => clearInterval(timer);
}

// A refused connection: closed by the server, with a 503 JSON answer if any came.
function assertRefused(r, what) {
  assert.ok(r.closed, `${what}: the server closed the connection`);
  if (r.text) {
    assert.match(r.text, /^HTTP\/1\.1 503 /, what);
    assert.match(r.text, /"TOO_MANY_CONNECTIONS"/, what);
  }
}

describe('abuse limits', () => {
  const socks = [];
  after(() => { for (const s of socks) s.destroy(); });

  test('a body sent one byte at a time is cut with 408 after --body-timeout', async () => {
    const srv = await startServer({ args: ['--body-timeout', '2', '--body-min-rate', '100'] });
    try {
      const s = await connect(srv.port);
      socks.push(s);
      const done = untilClosed(s, 20000);
      const stop = slowPost(s, 300);
      const r = await done;
      stop();
      // 1,000 bytes at 3 a second would take 5 minutes; the cut came long before
      assert.ok(r.closed, 'the slow body was cut');
      assert.match(r.text, /^HTTP\/1\.1 408 /, r.text.slice(0, 200));
      assert.match(r.text, /"REQUEST_TIMEOUT"/);
      assert.match(r.text, /x-content-type-options: nosniff/);
      // a body at a normal pace under the same settings is served, and so is
      // an explicitly empty one (Content-Length: 0 starts no clock)
      const ok = await srv.api('POST', '/api/signin', { body: { email: 'a@example.test', password: 'password123' } });
      assert.equal(ok.status, 401);
      const empty = await srv.api('POST', '/api/signin', { rawBody: '', headers: { 'content-type': 'application/json' } });
      assert.equal(empty.status, 400, empty.text);
    } finally {
      await srv.stop();
    }
  });

  test('a body that stops is cut too (idle), and the server stays up', async () => {
    const srv = await startServer({ args: ['--body-timeout', '1'] });
    try {
      const s = await connect(srv.port);
      socks.push(s);
      const done = untilClosed(s, 20000);
      s.write('POST /api/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"em');
      const r = await done;
      assert.match(r.text, /^HTTP\/1\.1 408 /, r.text.slice(0, 200));
      assert.equal((await srv.api('GET', '/health')).status, 200);
    } finally {
      await srv.stop();
    }
  });

  test('--max-connections-per-ip refuses the excess at once; allowed connections keep working; closing frees a place', async () => {
    const srv = await startServer({ args: ['--max-connections-per-ip', '4'] });
    try {
      const keep = await connect(srv.port);
      socks.push(keep);
      assert.equal((await getOn(keep, '/health')).status, 200);
      // fill the allowance (the harness's own pooled connection may hold a place
      // too): each connection is admitted once it answers on it
      const idle = [];
      let refusedAt = 0;
      for (let i = 0; i < 6 && !refusedAt; i++) {
        const s = await connect(srv.port);
        socks.push(s);
        try {
          assert.equal((await getOn(s, '/health/readiness')).status, 200);
          idle.push(s);
        } catch {
          refusedAt = i + 2;
        }
      }
      assert.ok(refusedAt >= 4 && refusedAt <= 5, `refused from the 5th connection on (harness: 1): ${refusedAt}`);
      for (let i = 0; i < 3; i++) {
        const extra = await connect(srv.port);
        socks.push(extra);
        assertRefused(await untilClosed(extra, 10000), `one more connection (${i})`);
      }
      assert.equal((await getOn(keep, '/health')).status, 200, '/health on an allowed connection');
      // another address has its own allowance
      const other = await connect(srv.port, '127.0.0.2');
      socks.push(other);
      assert.equal((await getOn(other, '/health')).status, 200, 'another address is admitted');
      // a closed connection frees its place (the count drops when lws destroys it)
      idle[0].destroy();
      let admitted = false;
      for (let i = 0; i < 100 && !admitted; i++) {
        const s = await connect(srv.port);
        socks.push(s);
        try {
          admitted = (await getOn(s, '/health/readiness')).status === 200;
        } catch { /* refused: the close was not processed yet */ }
        if (!admitted) await sleep(50);
      }
      assert.ok(admitted, 'a new connection is admitted after one closed');
    } finally {
      await srv.stop();
    }
  });

  test('at a descriptor limit of 128, a flood of slow connections leaves /health answering and the log small', async () => {
    const port = await freePort();
    const data = makeTempDir();
    const proc = spawn('prlimit', ['--nofile=128:128', '--', ...launcher(), binPath(), 'serve', '--bind', HOST, '--port', String(port),
      '--data', data, '--log-level', 'warn'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let logBytes = 0;
    proc.stdout.on('data', (d) => { logBytes += d.length; log = (log + d).slice(-4000); });
    proc.stderr.on('data', (d) => { logBytes += d.length; log = (log + d).slice(-4000); });
    const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    let gone = false;
    exited.then(() => { gone = true; });
    try {
      const ready = await waitReady(`http://${HOST}:${port}/health/readiness`, { exited: () => gone });
      assert.ok(ready.ok, `server ready: ${ready.reason} ${log}`);
      const keep = await connect(port);
      socks.push(keep);
      assert.equal((await getOn(keep, '/health')).status, 200);
      // 8 addresses x 25 slow bodies = 200 connections, far past the 128 descriptors
      const flood = [];
      let refused = 0;
      for (let a = 2; a < 10; a++) {
        for (let i = 0; i < 25; i++) {
          let s;
          try { s = await connect(port, `127.0.0.${a}`); } catch { refused++; continue; }
          socks.push(s);
          s.on('error', () => {});
          s.resume(); // read the 503, so that the close is seen
          s.on('close', () => { refused++; });
          slowPost(s, 1000);
          flood.push(s);
        }
      }
      // a connection after the flood is refused: the server took the whole
      // queue in order, holding the flood at its cap and refusing the rest
      const late = await connect(port, '127.0.0.20');
      socks.push(late);
      assertRefused(await untilClosed(late, 30000), 'a new connection at the cap');
      for (let i = 0; i < 5; i++) assert.equal((await getOn(keep, '/health')).status, 200, '/health during the flood');
      assert.ok(refused > 0, 'connections past the cap were refused');
      assert.equal(gone, false, 'the server is up');
      assert.ok(logBytes < 20000, `the log stayed small: ${logBytes} bytes\n${log}`);
      assert.ok(!/errno 24/.test(log) || logBytes < 20000, 'no accept flood');
      for (const s of flood) s.destroy();
    } finally {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
});
