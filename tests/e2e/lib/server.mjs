// Harness for the end-to-end suites: starts the real binary on a free port
// with a fresh data folder, talks to it over real sockets (127.0.0.1 only),
// and makes sure every child process is gone when the test file ends.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import assert from 'node:assert/strict';

export const HOST = '127.0.0.1';

export function binPath() {
  const bin = process.env.FECHATTER_BIN;
  if (!bin) throw new Error('FECHATTER_BIN is not set (absolute path of build/fechatter)');
  if (!existsSync(bin)) throw new Error(`FECHATTER_BIN=${bin} does not exist (run make)`);
  return bin;
}

// FECHATTER_LAUNCHER: a command put in front of the binary, e.g.
// qemu-aarch64-static for a cross-built one (make test ARCH=arm64);
// FECHATTER_BIN stays the binary's path.
export function launcher() {
  return (process.env.FECHATTER_LAUNCHER ?? '').split(/\s+/).filter(Boolean);
}

// True when the binary runs under an emulator (tests that measure what
// emulation changes, such as the server's memory, are skipped then).
export const emulated = launcher().length > 0;

// A small tmpfs for full-disk tests (mounting needs root): { dir, unmount },
// or null where it cannot be mounted (the suite is skipped then).
export function mountTinyTmpfs(prefix, size = '4m') {
  if (process.getuid() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    // Fills the file system with dir/filler; true when it is full.
    fill() {
      const fd = openSync(join(dir, 'filler'), 'w');
      const block = Buffer.alloc(64 * 1024, 1);
      let full = false;
      for (let i = 0; i < 200 && !full; i++) {
        try { writeSync(fd, block); } catch (e) { full = e.code === 'ENOSPC'; }
      }
      closeSync(fd);
      return full;
    },
    unmount() {
      try { execFileSync('umount', [dir]); rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
    },
  };
}

// Under an emulator everything runs several times slower (more on a busy
// machine): the harness's bounded waits (readiness, requests, real-time
// events) are multiplied by this factor (FECHATTER_TIMEOUT_SCALE, default 6).
// A wait only ever ends early when what it waits for arrives, so a longer
// bound changes no verdict, only how long a failure takes to be reported.
export const timeScale = emulated ? Number(process.env.FECHATTER_TIMEOUT_SCALE || 6) : 1;
export const scaled = (ms) => ms * timeScale;

function command(argv) {
  const l = launcher();
  return l.length ? [l[0], [...l.slice(1), binPath(), ...argv]] : [binPath(), argv];
}

// ---------------------------------------------------------------- cleanup
const children = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  for (const p of children) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of tempDirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
});

export function makeTempDir(prefix = 'fechatter-e2e-') {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

// The environment given to the binary: the test runner's, without any
// FECHATTER_* variable (so only what a test sets reaches the server).
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('FECHATTER_')) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls url until it answers 200, the process exits, or timeoutMs passes.
export async function waitReady(url, { timeoutMs = 10000, exited = () => false } = {}) {
  const deadline = Date.now() + scaled(timeoutMs);
  let last = 'no answer';
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    if (exited()) return { ok: false, reason: 'process exited', exited: true };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(scaled(1000)) });
      await res.arrayBuffer();
      if (res.status === 200) return { ok: true };
      last = `status ${res.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await sleep(50);
  }
  return { ok: false, reason: `not ready after ${scaled(timeoutMs)} ms (${last})` };
}

function tail(buf) {
  return buf.length > 4000 ? buf.slice(-4000) : buf;
}

// Spawns a process of the binary, tracked for cleanup. Returns {proc, exit,
// output()} where exit resolves with {code, signal}.
export function spawnBin(argv, { env = cleanEnv(), cwd } = {}) {
  const [file, args] = command(argv);
  const proc = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => { stdout = tail(stdout + d); });
  let sanitizer = '';
  proc.stderr.on('data', (d) => {
    stderr = tail(stderr + d);
    // a sanitizer build reports memory errors and leaks on stderr: keep the first report whole
    if (!sanitizer && SANITIZER_RE.test(String(d))) sanitizer = String(d).slice(0, 8000);
  });
  let exited = false;
  const exit = new Promise((resolve) => {
    proc.on('error', (e) => { exited = true; children.delete(proc); resolve({ code: null, signal: null, error: e }); });
    proc.on('exit', (code, signal) => { exited = true; children.delete(proc); resolve({ code, signal }); });
  });
  return { proc, exit, hasExited: () => exited, output: () => ({ stdout, stderr }), sanitizer: () => sanitizer };
}

const SANITIZER_RE = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/;

// Runs the binary to completion (for --help, --check-config, start-up errors).
export function runBin(argv, { env = cleanEnv(), timeoutMs = 10000, cwd } = {}) {
  const [file, args] = command(argv);
  const r = spawnSync(file, args, { env, cwd, encoding: 'utf8', timeout: scaled(timeoutMs), killSignal: 'SIGKILL' });
  if (SANITIZER_RE.test(r.stderr ?? '')) throw new Error(`sanitizer report:\n${r.stderr.slice(0, 8000)}`);
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

// ---------------------------------------------------------------- PostgreSQL
// FECHATTER_STORE=postgres (make test-pg, tests/run-pg.mjs): every server
// startServer starts gets `--store postgres --pg-url URL` with a fresh
// database of its own (one per data folder, so that a restart on the same
// folder finds its data), created on the PostgreSQL at
// FECHATTER_PG_ADMIN_URL (a URL whose user may CREATE DATABASE; the runner
// starts a private one with tests/cluster/lib/services.mjs).
export const onPostgres = process.env.FECHATTER_STORE === 'postgres';
let pgSeq = 0;
const pgDbOf = new Map();
const PSQL = ['/usr/bin/psql', '/usr/lib/postgresql/15/bin/psql'].find((p) => existsSync(p)) || 'psql';

function pgUrlFor(dataDir) {
  if (pgDbOf.has(dataDir)) return pgDbOf.get(dataDir);
  const admin = process.env.FECHATTER_PG_ADMIN_URL;
  if (!admin) throw new Error('FECHATTER_STORE=postgres needs FECHATTER_PG_ADMIN_URL (make test-pg sets it)');
  const name = `fe_${process.pid}_${++pgSeq}`;
  execFileSync(PSQL, [admin, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const u = new URL(admin);
  u.pathname = `/${name}`;
  pgDbOf.set(dataDir, u.toString());
  return u.toString();
}

/**
 * Starts `BIN serve --bind 127.0.0.1 --port P --data D --log-level warn ...args`.
 * opts: args (extra argv), env (extra variables; undefined deletes), dataDir
 * (reuse a folder), port, command ('serve' by default; null for none),
 * baseArgs:false to pass only args, readyTimeoutMs.
 */
export async function startServer(opts = {}) {
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? makeTempDir();
  const command = opts.command === undefined ? 'serve' : opts.command;
  const argv = [];
  if (command) argv.push(command);
  if (opts.baseArgs !== false) {
    argv.push('--bind', HOST, '--port', String(port), '--data', dataDir, '--log-level', 'warn');
  }
  argv.push(...(opts.args ?? []));
  if (onPostgres && ['serve', 'demo'].includes(command) && !argv.includes('--store')) {
    argv.push('--store', 'postgres', '--pg-url', pgUrlFor(dataDir));
  }
  const env = cleanEnv({
    FECHATTER_LOGIN_RATE_IP: '1000',
    FECHATTER_LOGIN_RATE_ACCOUNT: '1000',
    // per-user limits off: suites drive the server far faster than a person;
    // tests/e2e/limits.test.mjs and search.test.mjs turn them on with flags
    FECHATTER_SEND_RATE: '0',
    FECHATTER_UPLOAD_RATE: '0',
    FECHATTER_SEARCH_RATE: '0',
    FECHATTER_INVITE_RATE: '0',
    FECHATTER_PROFILE_RATE: '0',
    FECHATTER_SEARCH_CONCURRENCY: '0',
    ...(opts.env ?? {}),
  });
  const child = spawnBin(argv, { env });
  const url = `http://${HOST}:${port}`;
  const ready = await waitReady(`${url}/health/readiness`, {
    timeoutMs: opts.readyTimeoutMs ?? 10000,
    exited: child.hasExited,
  });
  const srv = {
    url,
    port,
    dataDir,
    proc: child.proc,
    argv,
    exit: child.exit,
    output: child.output,
    hasExited: child.hasExited,
    api: (method, path, o) => api(url, method, path, o),
    async stop() {
      if (!child.hasExited()) {
        child.proc.kill('SIGTERM');
        const timer = setTimeout(() => {
          try { child.proc.kill('SIGKILL'); } catch { /* gone */ }
        }, scaled(5000));
        const r = await child.exit;
        clearTimeout(timer);
        if (child.sanitizer()) throw new Error(`sanitizer report from the server:\n${child.sanitizer()}`);
        return r.code;
      }
      const code = (await child.exit).code;
      if (child.sanitizer()) throw new Error(`sanitizer report from the server:\n${child.sanitizer()}`);
      return code;
    },
  };
  if (!ready.ok) {
    await srv.stop();
    const { stderr, stdout } = child.output();
    const ex = await child.exit;
    throw new Error(`server did not become ready: ${ready.reason} (exit code ${ex.code}, signal ${ex.signal}${ex.error ? `, ${ex.error.message}` : ''})\nargv: ${argv.join(' ')}\nstderr: ${stderr}\nstdout: ${stdout}`);
  }
  return srv;
}

// ---------------------------------------------------------------- HTTP
/**
 * api(base, method, path, {token, body, headers, rawBody})
 * body is sent as JSON with Content-Type application/json (unless the caller
 * gives one); rawBody (string or Buffer) is sent as it is.
 * Returns {status, headers, json, text, cookies}.
 */
export async function api(base, method, path, { token, body, headers = {}, rawBody, timeoutMs = 15000 } = {}) {
  const h = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) {
    payload = rawBody;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    if (!('content-type' in h)) h['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, {
    method,
    headers: h,
    body: payload,
    redirect: 'manual',
    signal: AbortSignal.timeout(scaled(timeoutMs)),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text, cookies: res.headers.getSetCookie() };
}

/**
 * Sends raw bytes on a fresh TCP connection and reads one response (until
 * Content-Length bytes of body arrived, the peer closed, or timeoutMs).
 * Returns {status, headers, body, raw} (status 0 when nothing came back).
 */
export function rawRequest(port, data, { timeoutMs = 5000, host = HOST } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parseResponse(buf));
    };
    const timer = setTimeout(finish, scaled(timeoutMs));
    sock.on('connect', () => {
      sock.write(data, () => { /* written */ });
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const p = parseResponse(buf);
      if (p.complete) finish();
    });
    sock.on('error', finish);
    sock.on('close', finish);
  });
}

// The status and headers (names lower-cased) of the response head that
// starts s (latin1 text); end is the index of its blank line, -1 when the
// head is not complete yet.
export function parseHead(s) {
  const end = s.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, end };
  const lines = s.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: m ? Number(m[1]) : 0, headers, end };
}

function parseResponse(buf) {
  const s = buf.toString('latin1');
  const { status, headers, end } = parseHead(s);
  if (end < 0) return { status: 0, headers: {}, body: '', raw: s, complete: false };
  const body = buf.subarray(Buffer.byteLength(s.slice(0, end + 4), 'latin1'));
  const cl = headers['content-length'];
  const complete = cl !== undefined ? body.length >= Number(cl) : false;
  return { status, headers, body: body.toString('utf8'), raw: s, complete };
}

// ---------------------------------------------------------------- assertions
export const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function assertError(res, status, code, field) {
  const ctx = `${status} ${code}${field ? ` (${field})` : ''}; got ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, ctx);
  assert.equal(typeof res.json, 'object', `error body is JSON: ${ctx}`);
  assert.equal(res.json.success, false, ctx);
  assert.equal(typeof res.json.error, 'object', ctx);
  if (code !== undefined) assert.equal(res.json.error.code, code, ctx);
  assert.equal(typeof res.json.error.message, 'string', ctx);
  assert.ok(res.json.error.message.length > 0, `message is not empty: ${ctx}`);
  if (field !== undefined) assert.equal(res.json.error.field, field, ctx);
  return res.json.error;
}

export function assertOk(res, status = 200) {
  assert.equal(res.status, status, `expected ${status}; got ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.json?.success, true, res.text.slice(0, 300));
  assert.ok('data' in res.json, 'envelope has data');
  return res.json.data;
}

export function assertUser(u, expect = {}) {
  assert.equal(typeof u, 'object');
  for (const k of ['id', 'fullname', 'email', 'workspace_id', 'role', 'status', 'avatar_url', 'created_at']) {
    assert.ok(k in u, `user has ${k}: ${JSON.stringify(u)}`);
  }
  assert.ok(Number.isInteger(u.id) && u.id > 0, 'user id is a positive integer');
  assert.ok(Number.isInteger(u.workspace_id), 'workspace_id is an integer');
  assert.ok(['owner', 'admin', 'member'].includes(u.role), `role ${u.role}`);
  assert.ok(['Active', 'Suspended'].includes(u.status), `status ${u.status}`);
  assert.match(u.created_at, RFC3339_MS);
  assert.equal('password_hash' in u || 'password' in u, false, 'no password material in a user object');
  for (const [k, v] of Object.entries(expect)) assert.equal(u[k], v, `user.${k}`);
}

// ---------------------------------------------------------------- accounts
let emailCounter = 0;
export function uniqueEmail(prefix = 'user') {
  emailCounter += 1;
  return `${prefix}.${process.pid}.${emailCounter}.${Math.random().toString(36).slice(2, 8)}@example.test`;
}

export const PASSWORD = 'correct horse battery';

export function signup(srv, body) {
  return srv.api('POST', '/api/signup', { body });
}

// Signs up and asserts 201; returns the auth result plus the password used.
export async function mustSignup(srv, body = {}) {
  const full = { email: uniqueEmail(), password: PASSWORD, fullname: 'Test User', ...body };
  const res = await signup(srv, full);
  const data = assertOk(res, 201);
  return { ...data, password: full.password, email: full.email, res };
}

export async function signin(srv, email, password = PASSWORD, headers = {}) {
  return srv.api('POST', '/api/signin', { body: { email, password }, headers });
}

export async function mustSignin(srv, email, password = PASSWORD) {
  const res = await signin(srv, email, password);
  return { ...assertOk(res, 200), res };
}

export async function createInvite(srv, token, body = {}) {
  const res = await srv.api('POST', '/api/workspace/invites', { token, body });
  return assertOk(res, 201);
}

// The refresh_token cookie out of Set-Cookie headers: {value, attrs:{lower name: value}, raw}.
export function refreshCookie(res) {
  for (const c of res.cookies) {
    const parts = c.split(';').map((p) => p.trim());
    const [name, ...rest] = parts[0].split('=');
    if (name !== 'refresh_token') continue;
    const attrs = {};
    for (const p of parts.slice(1)) {
      const i = p.indexOf('=');
      if (i < 0) attrs[p.toLowerCase()] = true;
      else attrs[p.slice(0, i).toLowerCase()] = p.slice(i + 1);
    }
    return { value: rest.join('='), attrs, raw: c };
  }
  return null;
}

// ---------------------------------------------------------------- JWT
import crypto from 'node:crypto';

export const b64u = (buf) => Buffer.from(buf).toString('base64url');
export const b64uJson = (obj) => b64u(Buffer.from(JSON.stringify(obj)));

export function decodeJwt(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: s,
  };
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ed25519FromSeed(seed) {
  assert.equal(seed.length, 32);
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

// The server's signing key: {seed, pub, privateKey}.
export function serverKey(dataDir) {
  // on PostgreSQL the key is in the database (table signing_key), not in DATA
  const raw = onPostgres && pgDbOf.has(dataDir)
    ? Buffer.from(dbQuery({ dataDir }, "SELECT encode(key, 'hex') FROM signing_key WHERE id = 1"), 'hex')
    : readFileSync(join(dataDir, 'jwt_ed25519.key'));
  assert.equal(raw.length, 64, 'jwt_ed25519.key is 64 bytes');
  const seed = raw.subarray(0, 32);
  return { seed, pub: raw.subarray(32), privateKey: ed25519FromSeed(seed) };
}

export function signEdDSA(claims, privateKey, header = { alg: 'EdDSA', typ: 'JWT' }) {
  const input = `${b64uJson(header)}.${b64uJson(claims)}`;
  const sig = crypto.sign(null, Buffer.from(input), privateKey);
  return `${input}.${b64u(sig)}`;
}

export function signHS256(claims, secret) {
  const input = `${b64uJson({ alg: 'HS256', typ: 'JWT' })}.${b64uJson(claims)}`;
  const sig = crypto.createHmac('sha256', secret).update(input).digest();
  return `${input}.${b64u(sig)}`;
}

export function unsignedToken(claims) {
  return `${b64uJson({ alg: 'none', typ: 'JWT' })}.${b64uJson(claims)}.`;
}

export function claimsFor(authResult, overrides = {}) {
  const now = Math.floor(Date.now() / 1000);
  const tv = decodeJwt(authResult.access_token).claims.tv;
  return {
    iss: 'fechatter',
    aud: 'fechatter-api',
    sub: String(authResult.user.id),
    iat: now,
    exp: now + 600,
    wid: authResult.workspace?.id ?? authResult.user.workspace_id,
    role: authResult.user.role,
    tv,
    ...overrides,
  };
}

export function sha256hex(s) {
  return crypto.createHash('sha256').update(s).digest('hex');
}

// sqlite3 command-line shell, when installed (used to age rows for expiry tests).
export function sqliteAvailable() {
  const r = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
  return r.status === 0;
}

export function sqlite(dbPath, sql) {
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', dbPath, sql], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

// The server's database, whichever the store: SQL runs with the sqlite3
// shell on DATA/fechatter.db, or with psql on the server's PostgreSQL
// database (FECHATTER_STORE=postgres). Write SQL both dialects accept.
export function dbAvailable() {
  return onPostgres || sqliteAvailable();
}

// The rows sql returns, one per line ('|' between columns).
export function dbQuery(srv, sql) {
  if (!onPostgres) return sqlite(join(srv.dataDir, 'fechatter.db'), sql);
  const url = pgDbOf.get(srv.dataDir);
  if (!url) throw new Error(`no PostgreSQL database for ${srv.dataDir}`);
  const r = spawnSync(PSQL, [url, '-XAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
}

// Runs one UPDATE or DELETE; returns the number of rows it changed.
export function dbChange(srv, sql) {
  if (!onPostgres) return Number(sqlite(join(srv.dataDir, 'fechatter.db'), `${sql}; SELECT changes();`));
  const m = dbQuery(srv, sql).match(/^(?:UPDATE|DELETE|INSERT \d+) (\d+)$/m);
  if (!m) throw new Error(`no row count from: ${sql}`);
  return Number(m[1]);
}
