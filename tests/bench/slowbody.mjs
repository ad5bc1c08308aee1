// Slow-body attack at the descriptor limit (driven by slowbody.sh): keeps
// ATTACK connections open to 127.0.0.1, each sending a POST body one byte
// every BYTE_EVERY_MS (re-opening those the server cuts or refuses), for
// DURATION_MS; meanwhile asks /health every 100 ms on one keep-alive
// connection opened before the attack, and once a second on a new
// connection. Prints one JSON line of measurements.
// usage: node slowbody.mjs PORT SERVER_PID LOGFILE
import net from 'node:net';
import { readdirSync, statSync } from 'node:fs';

const [port, pid, logFile] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const ATTACK = Number(process.env.ATTACK ?? 1500);
const DURATION_MS = Number(process.env.DURATION_MS ?? 30000);
const BYTE_EVERY_MS = Number(process.env.BYTE_EVERY_MS ?? 10000);
const HOST = '127.0.0.1';
const t0 = Date.now();
const running = () => Date.now() - t0 < DURATION_MS;

let open = 0; let opened = 0; let cut = 0;
const socks = new Set();
function attacker() {
  if (!running()) return;
  const s = net.connect(port, HOST);
  socks.add(s);
  let timer;
  s.on('connect', () => {
    open++; opened++;
    s.write(`POST /api/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n`);
    timer = setInterval(() => s.write(' '), BYTE_EVERY_MS);
  });
  s.on('error', () => {});
  s.on('close', (hadErr) => {
    clearInterval(timer);
    if (s.connecting === false) open = Math.max(0, open - 1);
    cut++;
    socks.delete(s);
    setTimeout(attacker, 50); // keep the pressure up
  });
}

function health(sock) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    let buf = '';
    const done = (status) => { sock.off('data', onData); clearTimeout(t); resolve({ status, ms: Number(process.hrtime.bigint() - start) / 1e6 }); };
    const t = setTimeout(() => done(0), 10000);
    const onData = (d) => {
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
      if (buf.length >= end + 4 + len) done(Number(buf.slice(9, 12)));
    };
    sock.on('data', onData);
    sock.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

function freshHealth() {
  return new Promise((resolve) => {
    const s = net.connect(port, HOST);
    let buf = '';
    const t = setTimeout(() => { s.destroy(); resolve(0); }, 5000);
    s.on('connect', () => s.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => { buf += d; });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(t); resolve(Number(buf.slice(9, 12)) || 0); });
  });
}

const fdCount = () => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return -1; } };
const logSize = () => { try { return statSync(logFile).size; } catch { return 0; } };

const keep = net.connect(port, HOST);
await new Promise((r) => keep.once('connect', r));
keep.on('error', () => {});
await health(keep);
const log0 = logSize();
for (let i = 0; i < ATTACK; i++) { attacker(); if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20)); }

const lat = []; let failed = 0; let maxFds = 0; const fresh = { ok: 0, refused: 0 };
let lastFresh = 0;
while (running()) {
  const h = await health(keep);
  if (h.status === 200) lat.push(h.ms); else failed++;
  maxFds = Math.max(maxFds, fdCount());
  if (Date.now() - lastFresh > 1000) {
    lastFresh = Date.now();
    (await freshHealth()) === 200 ? fresh.ok++ : fresh.refused++;
  }
  await new Promise((r) => setTimeout(r, 100));
}
const heldEnd = fdCount();
for (const s of socks) s.destroy();
keep.destroy();
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))].toFixed(2) : null);
console.log(JSON.stringify({
  attack_connections: ATTACK, byte_every_ms: BYTE_EVERY_MS, duration_s: DURATION_MS / 1000,
  attack_opened: opened, attack_closed_by_server: cut,
  server_fds_max: maxFds, server_fds_at_end: heldEnd,
  health_keepalive: { answered: lat.length, failed, p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: lat.length ? lat[lat.length - 1].toFixed(2) : null },
  health_new_connection: fresh,
  log_bytes_during_attack: logSize() - log0,
}));
process.exit(0);
