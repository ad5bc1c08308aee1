// Several appliances behind one address (issue 15): a real nginx on loopback
// with an upstream of A and B (proxy_next_upstream: a request that cannot
// reach one appliance goes to the other) in front of a cluster. A client
// that only knows nginx's address keeps working when A is killed with
// kill -9: its HTTP requests are answered (a send that failed on the way is
// sent again with its idempotency key, as the web client does), its
// WebSocket reconnects through the same address and lands on B, where it
// receives a message sent after the kill live, and every acknowledged
// message is in the chat once.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  api, assertOk, freePort, makeTempDir, sleep, scaled, uniqueEmail, PASSWORD, HOST,
} from '../e2e/lib/server.mjs';
import { wsConnect, closeAll, isType } from '../e2e/lib/rt.mjs';
import { startCluster } from './lib/cluster.mjs';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

after(() => closeAll());

// nginx in front of the appliances: {port, url, stop()}; plain HTTP on loopback.
async function startNginx(apps) {
  const dir = makeTempDir('fechatter-nginx-cluster-');
  chmodSync(dir, 0o755);
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, t));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $fechatter_connection { default upgrade; '' ''; }
  upstream fechatter {
${apps.map((a) => `    server ${HOST}:${a.port} max_fails=1 fail_timeout=30s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen ${HOST}:${port};
    client_max_body_size 11m;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $fechatter_connection;
    proxy_read_timeout 1h;
    proxy_buffering off;
    # an appliance that cannot be reached: the next one (a POST only when
    # it was not sent yet; the client sends again with its idempotency key)
    proxy_next_upstream error timeout http_502 http_503;
    proxy_connect_timeout 2s;
    location / { proxy_pass http://fechatter; }
  }
}
`);
  const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exit = new Promise((r) => proc.on('exit', r));
  const kill = () => { try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', kill);
  const px = {
    port, url: `http://${HOST}:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGQUIT');
      const t = setTimeout(kill, scaled(5000));
      await exit;
      clearTimeout(t);
      process.off('exit', kill);
    },
    log: () => `${out}\n${existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''}`,
  };
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${px.log()}`);
    try {
      const r = await fetch(`${px.url}/health/readiness`);
      await r.arrayBuffer();
      if (r.status === 200) return px;
    } catch { /* not yet */ }
    await sleep(100);
  }
  await px.stop();
  throw new Error(`nginx did not answer: ${px.log()}`);
}

describe('two appliances behind one nginx address', { skip: NGINX ? false : 'nginx is not installed' }, () => {
  test('a client through nginx keeps working when appliance A is killed', { timeout: scaled(180000) }, async () => {
    const c = await startCluster({ n: 2, args: ['--registration', 'open', '--trust-proxy', '127.0.0.1'] });
    const px = await startNginx(c.apps);
    try {
      const call = (method, path, o) => api(px.url, method, path, o);
      let retries = 0;
      // a send as the web client does it: again with the same key when the
      // answer did not come back
      const send = async (token, chatId, key) => {
        for (let attempt = 0; attempt < 4; attempt++) {
          let r;
          try {
            r = await call('POST', `/api/chat/${chatId}/messages`, { token, body: { content: `${key} text`, idempotency_key: key } });
          } catch { r = { status: 0 }; }
          if (r.status === 201 || r.status === 200) return r.json.data;
          assert.ok(r.status === 0 || r.status >= 500, `send ${key}: ${r.status} ${r.text}`);
          retries += 1;
          await sleep(100);
        }
        throw new Error(`send ${key}: no answer after 4 attempts`);
      };
      const email = uniqueEmail('px');
      const owner = assertOk(await call('POST', '/api/signup', {
        body: { email, password: PASSWORD, fullname: 'Px Owner', workspace_name: `Px-${process.pid}` },
      }), 201);
      const chat = assertOk(await call('POST', '/api/workspace/chats', {
        token: owner.access_token, body: { chat_type: 'PublicChannel', name: `px-${Date.now()}`, members: [] },
      }), 201);
      const acked = new Map();
      for (let i = 0; i < 10; i++) acked.set(`before-${i}`, (await send(owner.access_token, chat.id, `before-${i}`)).id);

      // two WebSockets through nginx: round robin puts one on A, one on B
      const pxSrv = { port: px.port };
      const socks = [];
      for (let i = 0; i < 2; i++) socks.push(await wsConnect(pxSrv, { token: owner.access_token, name: `ws${i} via nginx` }));

      await c.kill(0);

      // the one on A ends (bounded wait); the other, on B, stays open
      let timer;
      const ended = await Promise.race([
        ...socks.map((w, i) => w.closed.then(() => i)),
        new Promise((r) => { timer = setTimeout(() => r(-1), scaled(10000)); }),
      ]);
      clearTimeout(timer);
      assert.ok(ended >= 0, 'one of the two WebSockets was on A and ended with it');
      assert.equal(socks[1 - ended].ws.readyState, 1, 'the WebSocket on B stays open');

      // HTTP keeps working through the one address
      for (let i = 0; i < 20; i++) acked.set(`after-${i}`, (await send(owner.access_token, chat.id, `after-${i}`)).id);
      const me = await call('GET', '/api/users/me', { token: owner.access_token });
      assert.equal(me.status, 200, me.text);

      // the client reconnects to the same address; nginx takes it to B
      socks[ended] = await wsConnect(pxSrv, { token: owner.access_token, name: 'ws via nginx, again' });
      const marks = socks.map((w) => w.log.mark());
      const live = await send(owner.access_token, chat.id, 'live-after-kill');
      acked.set('live-after-kill', live.id);
      for (const [i, w] of socks.entries()) {
        await w.log.waitFor(isType('new_message', { id: live.id }), { since: marks[i], timeoutMs: 10000, label: 'the message sent after the kill, live' });
      }

      // every acknowledged message once, read through nginx
      const page = assertOk(await call('GET', `/api/chat/${chat.id}/messages?limit=100&after=0`, { token: owner.access_token }), 200);
      const msgs = Array.isArray(page) ? page : page.messages;
      for (const [key, id] of acked) {
        const found = msgs.filter((m) => m.idempotency_key === key);
        assert.equal(found.length, 1, `${key} once`);
        assert.equal(found[0].id, id, `${key}: its acknowledged id`);
      }
      assert.equal(msgs.length, acked.size, 'nothing else in the chat');
      console.log(`# nginx: ${acked.size} sends through one address across kill -9 of A, ${retries} sent again by the client`);
    } finally {
      closeAll();
      await px.stop();
      await c.stop();
    }
  });
});
