// The system calls of an answer, counted with strace on the real server:
// an answer whose body is in memory goes out in ONE send (head and body
// together, even a 16 KiB page: more than lws's default 8 KiB per send), and
// a request on a kept-alive connection costs no getpeername (the peer is read
// once per connection) and no getrandom (request ids come from a keyed
// stream). Counts, not timings. Skipped where strace is missing or cannot
// trace (and under an emulator).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HOST, startServer, makeTempDir, emulated, assertOk, mustSignup } from './lib/server.mjs';

const strace = spawnSync('strace', ['-qq', '-e', 'trace=none', 'true']).status === 0;
const skip = !strace ? 'strace is not available here' : emulated ? 'under an emulator' : false;

// GETs on one kept-alive connection, in sequence: [{status, headers, body}].
async function many(port, path, n, headers) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(await new Promise((resolve, reject) => {
      const req = http.request({ host: HOST, port, path, headers, agent }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
      req.end();
    }));
  }
  agent.destroy();
  return out;
}

describe('system calls per answer (strace)', { skip }, () => {
  let srv; let log;
  before(async () => {
    const dir = makeTempDir();
    log = join(dir, 'strace.log');
    const keep = process.env.FECHATTER_LAUNCHER;
    process.env.FECHATTER_LAUNCHER = `strace -f -qq -o ${log} -e trace=sendto,getrandom,getpeername`;
    try {
      srv = await startServer({ args: ['--cache-size', '32'] });
    } finally {
      if (keep === undefined) delete process.env.FECHATTER_LAUNCHER;
      else process.env.FECHATTER_LAUNCHER = keep;
    }
  });
  after(async () => {
    // strace ignores SIGTERM: stop the server it runs (its child)
    const pid = srv?.proc.pid;
    if (pid && existsSync(`/proc/${pid}/task/${pid}/children`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
        try { process.kill(Number(c), 'SIGTERM'); } catch { /* gone */ }
      }
    }
    await srv?.stop();
  });

  // counts of each traced call in the log so far
  const counts = () => {
    const c = { sendto: 0, getrandom: 0, getpeername: 0 };
    for (const l of readFileSync(log, 'utf8').split('\n')) {
      const m = /^\d+\s+(\w+)\(/.exec(l);
      if (m && m[1] in c) c[m[1]] += 1;
    }
    return c;
  };

  test('a 16 KiB page: one send per answer, identity and gzip; no getrandom or getpeername per request', async () => {
    const user = await mustSignup(srv, { fullname: 'Sys Call' });
    const chat = assertOk(await srv.api('POST', '/api/workspace/chats', { token: user.access_token, body: { name: 'sys', chat_type: 'PublicChannel', members: [] } }), 201);
    const chatId = chat.id;
    for (let i = 0; i < 50; i++) {
      assertOk(await srv.api('POST', `/api/chat/${chatId}/messages`, { token: user.access_token, body: { content: `message ${i} about the plan for the release of the week, ${i * 7919 % 1000}` } }), 201);
    }
    const path = `/api/chat/${chatId}/messages?limit=50`;
    const auth = { authorization: `Bearer ${user.access_token}` };
    await many(srv.port, path, 1, auth); // warm
    const N = 40;
    const c0 = counts();
    const id = await many(srv.port, path, N, auth);
    const c1 = counts();
    const gz = await many(srv.port, path, N, { ...auth, 'accept-encoding': 'gzip' });
    const c2 = counts();
    for (const r of id) assert.equal(r.status, 200);
    assert.ok(id[0].body.length > 16384, `the page is bigger than 16 KiB (${id[0].body.length} B)`);
    for (const r of gz) assert.equal(r.headers['content-encoding'], 'gzip');
    const sends = (a, b) => b.sendto - a.sendto;
    assert.equal(sends(c0, c1), N, `identity: one send per answer (${JSON.stringify(c0)} -> ${JSON.stringify(c1)})`);
    assert.equal(sends(c1, c2), N, `gzip: one send per answer (${JSON.stringify(c1)} -> ${JSON.stringify(c2)})`);
    assert.equal(c2.getrandom - c0.getrandom, 0, 'no getrandom per request');
    assert.ok(c2.getpeername - c0.getpeername <= 2, `getpeername once per connection, not per request (${c2.getpeername - c0.getpeername} for 2 connections)`);
  });
});
