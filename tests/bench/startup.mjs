// Start-up time: from exec of the binary to the first 200 from GET /health,
// polled every 1 ms with a fresh connection (connection refused is cheap).
// N starts, each with a fresh data folder; every child is stopped by its PID.
// usage: node startup.mjs BIN [N]   prints one JSON line
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';

const bin = process.argv[2];
const runs = Math.min(Number(process.argv[3] || 10), 100);
const children = new Set();
const dirs = new Set();
process.on('exit', () => {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { } }
  for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch { } }
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((res, rej) => {
  const s = net.createServer(); s.on('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});
const get = (port, path) => new Promise((res) => {
  const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (r) => {
    r.resume(); r.on('end', () => res(r.statusCode));
  });
  req.on('error', () => res(0));
  req.on('timeout', () => { req.destroy(); res(0); });
});

async function stop(child) {
  if (child.exitCode !== null) { children.delete(child); return; }
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await gone; clearTimeout(t); children.delete(child);
}

const times = [];
let polls = 0;
for (let i = 0; i < runs; i++) {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'fechatter-bench-start-')); dirs.add(data);
  const env = { ...process.env, FECHATTER_LOGIN_RATE_IP: '100000', FECHATTER_LOGIN_RATE_ACCOUNT: '100000' };
  const t0 = process.hrtime.bigint();
  const child = spawn(bin, ['serve', '--bind', '127.0.0.1', '--port', String(port), '--data', data,
    '--log-level', 'warn'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  let ms = null;
  const deadline = Date.now() + 15000;
  for (let k = 0; k < 15000 && Date.now() < deadline && child.exitCode === null; k++) {
    polls++;
    if ((await get(port, '/health')) === 200) {
      ms = Number(process.hrtime.bigint() - t0) / 1e6;
      break;
    }
    await sleep(1);
  }
  await stop(child);
  rmSync(data, { recursive: true, force: true }); dirs.delete(data);
  if (ms === null) { console.error(`start ${i + 1}: no 200 from /health`); process.exit(1); }
  times.push(ms);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]
  : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
console.log(JSON.stringify({
  runs, median_ms: +median.toFixed(2), min_ms: +sorted[0].toFixed(2),
  max_ms: +sorted.at(-1).toFixed(2), all_ms: times.map((t) => +t.toFixed(2)), polls,
}));
