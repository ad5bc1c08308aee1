// Event-loop stall check: p50/p99 latency of GET /health, 1,000 sequential
// requests when idle, then 1,000 more while 20 POST /api/signin are kept in
// flight (each finished sign-in is re-issued at once). Password hashing runs
// on worker threads, so /health should not wait for it. Numbers only.
// usage: node stall.mjs BIN   prints RESULT key=value lines
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';

const bin = process.argv[2];
if (!bin) { console.error('usage: stall.mjs BIN'); process.exit(2); }
const N = 1000;
const INFLIGHT = 20;

let child = null;
let data = null;
process.on('exit', () => {
  if (child && child.exitCode === null) { try { child.kill('SIGKILL'); } catch { } }
  if (data) { try { rmSync(data, { recursive: true, force: true }); } catch { } }
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));
const hardStop = setTimeout(() => { console.error('stall.mjs: 180 s limit'); process.exit(1); }, 180000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((res, rej) => {
  const s = net.createServer(); s.on('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

let port;
function request(agent, method, path, body) {
  return new Promise((res) => {
    const headers = {};
    let buf = null;
    if (body !== undefined) {
      buf = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
      headers['content-length'] = buf.length;
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 30000 }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => res({ status: 0, body: e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (buf) req.write(buf);
    req.end();
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) };
}

const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const signinAgent = new http.Agent({ keepAlive: true, maxSockets: INFLIGHT });

async function healthRun(n) {
  const ms = [];
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await request(healthAgent, 'GET', '/health');
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 200) bad++;
  }
  return { ...stats(ms), bad };
}

// ------------------------------------------------------------------ server
port = await freePort();
data = mkdtempSync(join(tmpdir(), 'fechatter-bench-stall-'));
child = spawn(bin, ['serve', '--bind', '127.0.0.1', '--port', String(port), '--data', data, '--log-level', 'warn'], {
  env: { ...process.env, FECHATTER_LOGIN_RATE_IP: '100000', FECHATTER_LOGIN_RATE_ACCOUNT: '100000' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
let ready = false;
for (let i = 0; i < 1500 && child.exitCode === null; i++) {
  if ((await request(false, 'GET', '/health/readiness')).status === 200) { ready = true; break; }
  await sleep(10);
}
if (!ready) { console.error('server not ready'); process.exit(1); }

const creds = { email: 'stall@bench.test', password: 'bench-password-1' };
const su = await request(false, 'POST', '/api/signup', { ...creds, fullname: 'Stall Bench' });
if (su.status !== 201) { console.error(`signup: ${su.status} ${su.body}`); process.exit(1); }

// ------------------------------------------------------------------ idle
await healthRun(50); // warm-up (connection, caches)
const idle = await healthRun(N);

// ------------------------------------------------------------------ loaded
let stop = false;
const signin = { done: 0, bad: 0, ms: [] };
async function signinLoop() {
  for (let k = 0; k < 100000 && !stop; k++) {
    const t0 = process.hrtime.bigint();
    const r = await request(signinAgent, 'POST', '/api/signin', creds);
    signin.ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    signin.done++;
    if (r.status !== 200) signin.bad++;
  }
}
const loops = Array.from({ length: INFLIGHT }, signinLoop);
await sleep(50); // let the 20 sign-ins reach the server
const t0 = process.hrtime.bigint();
const loaded = await healthRun(N);
const loadedSecs = Number(process.hrtime.bigint() - t0) / 1e9;
const doneDuring = signin.done;
stop = true;
await Promise.all(loops);
const si = stats(signin.ms);

// ------------------------------------------------------------------ stop
const gone = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM');
const kt = setTimeout(() => child.kill('SIGKILL'), 10000);
await gone; clearTimeout(kt);
healthAgent.destroy(); signinAgent.destroy();

const f = (x) => x.toFixed(3);
const out = {
  stall_idle_p50_ms: f(idle.p50), stall_idle_p99_ms: f(idle.p99), stall_idle_max_ms: f(idle.max),
  stall_load_p50_ms: f(loaded.p50), stall_load_p99_ms: f(loaded.p99), stall_load_max_ms: f(loaded.max),
  stall_p99_ratio: (loaded.p99 / idle.p99).toFixed(2),
  stall_health_non200: idle.bad + loaded.bad,
  stall_signins_during: doneDuring, stall_load_secs: loadedSecs.toFixed(2),
  stall_signins_total: signin.done, stall_signin_non200: signin.bad,
  stall_signin_p50_ms: f(si.p50), stall_signin_p99_ms: f(si.p99),
};
for (const [k, v] of Object.entries(out)) console.log(`${k}=${v}`);
clearTimeout(hardStop);
