// Configuration: flags > FECHATTER_* environment > config file; --help,
// --check-config, start-up errors (exit 2), serve as default command,
// SIGTERM, persistence of the data folder across restarts.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, statSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  runBin, cleanEnv, makeTempDir, startServer, freePort, spawnBin, waitReady, HOST,
  assertOk, assertError, mustSignup, mustSignin, serverKey, decodeJwt, scaled,
} from './lib/server.mjs';

const OPTIONS = ['--bind', '--port', '--tls-port', '--cert', '--key', '--data', '--durability',
  '--upload-limit', '--log-level', '--registration', '--login-rate-ip', '--login-rate-account', '--config'];

function configFile(text) {
  const dir = makeTempDir('fechatter-conf-');
  const f = join(dir, 'fechatter.conf');
  writeFileSync(f, text);
  return f;
}

// A line of the effective configuration that sets `key` to `value`
// (accepts "key value", "key = value", "key: value", "--key value", JSON-ish).
function showsSetting(out, key, value) {
  const k = key.replace(/[-]/g, '[-_]');
  const re = new RegExp(`(^|[^A-Za-z0-9_-])${k}["']?\\s*[:=]?\\s*["']?${String(value).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![A-Za-z0-9_.-])`, 'mi');
  return re.test(out);
}

const ENV = cleanEnv();
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

describe('--help and --check-config', () => {
  test('--help prints usage listing every option and exits 0', () => {
    const r = runBin(['--help'], { env: ENV });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const out = r.stdout;
    for (const o of OPTIONS) assert.ok(out.includes(o), `usage mentions ${o}:\n${out}`);
    assert.match(out, /serve/, 'usage mentions the serve command');
  });

  test('--check-config prints the effective configuration and exits 0', () => {
    const data = makeTempDir();
    const r = runBin(['--check-config', '--port', '9123', '--data', data, '--durability', 'normal',
      '--registration', 'open', '--login-rate-ip', '37'], { env: ENV });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const out = r.stdout + r.stderr;
    assert.ok(showsSetting(out, 'port', 9123), `shows port 9123:\n${out}`);
    assert.ok(showsSetting(out, 'durability', 'normal'), `shows durability normal:\n${out}`);
    assert.ok(showsSetting(out, 'registration', 'open'), `shows registration open:\n${out}`);
    assert.ok(showsSetting(out, 'login-rate-ip', 37), `shows login-rate-ip 37:\n${out}`);
    assert.ok(out.includes(data), `shows the data folder:\n${out}`);
  });

  test('--check-config shows the documented defaults', () => {
    const r = runBin(['--check-config'], { env: ENV });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    const out = r.stdout + r.stderr;
    assert.ok(showsSetting(out, 'durability', 'full'), `default durability full:\n${out}`);
    assert.ok(showsSetting(out, 'registration', 'invite'), `default registration invite:\n${out}`);
    assert.ok(showsSetting(out, 'login-rate-ip', 20), `default login-rate-ip 20:\n${out}`);
    assert.ok(showsSetting(out, 'login-rate-account', 10), `default login-rate-account 10:\n${out}`);
  });
});

describe('precedence: flags > environment > config file', () => {
  const file = configFile('# a comment line\n\nport 9001\nlogin-rate-ip 11\n  # indented comment\nregistration open\n');

  test('config file values are used', () => {
    const r = runBin(['--check-config', '--config', file], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(showsSetting(out, 'port', 9001), out);
    assert.ok(showsSetting(out, 'login-rate-ip', 11), out);
    assert.ok(showsSetting(out, 'registration', 'open'), out);
  });

  test('environment overrides the config file', () => {
    const env = cleanEnv({ FECHATTER_PORT: '9002', FECHATTER_LOGIN_RATE_IP: '12' });
    const r = runBin(['--check-config', '--config', file], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(showsSetting(out, 'port', 9002), out);
    assert.ok(!showsSetting(out, 'port', 9001), out);
    assert.ok(showsSetting(out, 'login-rate-ip', 12), out);
    assert.ok(showsSetting(out, 'registration', 'open'), 'file value kept where env says nothing');
  });

  test('flags override environment and config file', () => {
    const env = cleanEnv({ FECHATTER_PORT: '9002', FECHATTER_LOGIN_RATE_IP: '12' });
    const r = runBin(['--check-config', '--config', file, '--port', '9003', '--login-rate-ip', '13'], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout + r.stderr;
    assert.ok(showsSetting(out, 'port', 9003), out);
    assert.ok(!showsSetting(out, 'port', 9002), out);
    assert.ok(showsSetting(out, 'login-rate-ip', 13), out);
  });

  test('flags given before --config still win', () => {
    const r = runBin(['--port', '9004', '--config', file, '--check-config'], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(showsSetting(r.stdout + r.stderr, 'port', 9004), r.stdout);
  });

  test('unknown FECHATTER_ variables are ignored', () => {
    const env = cleanEnv({ FECHATTER_NOT_AN_OPTION: 'x' });
    const r = runBin(['--check-config'], { env });
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('configuration errors exit 2 naming the option', () => {
  const cases = [
    ['unknown flag', ['--frobnicate', '1'], 'frobnicate'],
    ['port out of range', ['--port', '70000'], 'port'],
    ['port not a number', ['--port', 'abc'], 'port'],
    ['tls-port out of range', ['--tls-port', '99999'], 'tls-port'],
    ['bad durability', ['--durability', 'maybe'], 'durability'],
    ['upload-limit 0', ['--upload-limit', '0'], 'upload-limit'],
    ['upload-limit not a number', ['--upload-limit', 'lots'], 'upload-limit'],
    ['bad log level', ['--log-level', 'loud'], 'log-level'],
    ['bad registration mode', ['--registration', 'closed'], 'registration'],
    ['login-rate-ip not a number', ['--login-rate-ip', 'many'], 'login-rate-ip'],
    ['login-rate-account not a number', ['--login-rate-account', '-3'], 'login-rate-account'],
    ['flag without its value', ['--port'], 'port'],
  ];
  for (const [name, args, key] of cases) {
    test(`--check-config: ${name}`, () => {
      const r = runBin(['--check-config', ...args], { env: ENV });
      assert.equal(r.code, 2, `exit code for ${args.join(' ')}; stdout ${r.stdout} stderr ${r.stderr}`);
      assert.ok(r.stderr.includes(key), `stderr names ${key}: ${r.stderr}`);
    });
  }

  test('unknown key in the config file', () => {
    const file = configFile('port 9000\nfrobnicator 5\n');
    const r = runBin(['--check-config', '--config', file], { env: ENV });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes('frobnicator'), `stderr names the key: ${r.stderr}`);
  });

  test('bad value in the config file', () => {
    const file = configFile('durability sometimes\n');
    const r = runBin(['--check-config', '--config', file], { env: ENV });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes('durability'), r.stderr);
  });

  test('bad value in a FECHATTER_ variable', () => {
    const r = runBin(['--check-config'], { env: cleanEnv({ FECHATTER_PORT: 'not-a-port' }) });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(/port/i.test(r.stderr), r.stderr);
  });

  test('missing config file', () => {
    const r = runBin(['--check-config', '--config', join(makeTempDir(), 'nope.conf')], { env: ENV });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.length > 0, 'says why');
  });

  test('serve refuses to start on an unknown flag (exit 2)', async () => {
    const port = await freePort();
    const r = runBin(['serve', '--bind', HOST, '--data', makeTempDir(), '--port', String(port), '--bogus-flag'], { env: ENV, timeoutMs: 8000 });
    assert.equal(r.code, 2, `stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes('bogus-flag'), r.stderr);
  });

  test('serve refuses to start on an unknown config key (exit 2)', async () => {
    const port = await freePort();
    const file = configFile(`port ${port}\ndata ${makeTempDir()}\nbind ${HOST}\nnot-a-key yes\n`);
    const r = runBin(['--config', file], { env: ENV, timeoutMs: 8000 });
    assert.equal(r.code, 2, `stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes('not-a-key'), r.stderr);
  });

  test('serve refuses an out-of-range port (exit 2)', () => {
    const r = runBin(['serve', '--data', makeTempDir(), '--port', '70000'], { env: ENV, timeoutMs: 8000 });
    assert.equal(r.code, 2, `stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes('port'), r.stderr);
  });
});

describe('starting the server', () => {
  test('serve is the default command; SIGTERM exits 0', async () => {
    const srv = await startServer({ command: null });
    servers.push(srv);
    const res = await srv.api('GET', '/health/readiness');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ready' });
    const code = await srv.stop();
    assert.equal(code, 0, `exit code after SIGTERM; stderr: ${srv.output().stderr}`);
  });

  test('FECHATTER_PORT and FECHATTER_DATA start a server there', async () => {
    const port = await freePort();
    const data = makeTempDir();
    const child = spawnBin(['serve', '--log-level', 'warn'], {
      env: cleanEnv({ FECHATTER_PORT: port, FECHATTER_DATA: data, FECHATTER_BIND: HOST }),
    });
    try {
      const ready = await waitReady(`http://${HOST}:${port}/health/readiness`, { exited: child.hasExited });
      assert.ok(ready.ok, `${ready.reason}; stderr ${child.output().stderr}`);
      assert.ok(existsSync(join(data, 'jwt_ed25519.key')), 'the signing key is made in FECHATTER_DATA');
    } finally {
      child.proc.kill('SIGTERM');
      const t = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
      const r = await child.exit;
      clearTimeout(t);
      assert.equal(r.code, 0);
    }
  });

  test('a config file alone starts a server with its port and data', async () => {
    const port = await freePort();
    const data = makeTempDir();
    const file = configFile(`# appliance\nbind ${HOST}\nport ${port}\ndata ${data}\nlog-level warn\n`);
    const child = spawnBin(['--config', file], { env: ENV });
    try {
      const ready = await waitReady(`http://${HOST}:${port}/health/readiness`, { exited: child.hasExited });
      assert.ok(ready.ok, `${ready.reason}; stderr ${child.output().stderr}`);
      assert.ok(existsSync(join(data, 'jwt_ed25519.key')));
    } finally {
      child.proc.kill('SIGTERM');
      const t = setTimeout(() => child.proc.kill('SIGKILL'), 5000);
      await child.exit;
      clearTimeout(t);
    }
  });

  test('a data folder that does not exist yet is created', async () => {
    const data = join(makeTempDir(), 'fresh'); // like --data /tmp/x
    const srv = await startServer({ dataDir: data });
    servers.push(srv);
    assert.ok(existsSync(join(data, 'jwt_ed25519.key')));
    assert.equal(await srv.stop(), 0);
  });

  test('SIGTERM with requests in flight: they are answered, then exit 0', async () => {
    const srv = await startServer();
    servers.push(srv);
    const u = await mustSignup(srv, {});
    const inflight = Array.from({ length: 6 }, () => srv.api('POST', '/api/signin', { body: { email: u.email, password: u.password } })
      .then((r) => r.status, (e) => `error ${e.cause?.code || e.message}`));
    // a head start for the server to read them (longer under an emulator)
    await new Promise((r) => setTimeout(r, scaled(20)));
    const code = await srv.stop();
    const { signal } = await srv.exit;
    const statuses = await Promise.all(inflight);
    assert.equal(code, 0, `exit code ${code}, signal ${signal}; stderr ${srv.output().stderr}`);
    for (const s of statuses) assert.ok(s === 200 || s === 503, `in-flight request got ${s}`);
  });

  test('after a clean shutdown the WAL is checkpointed', async () => {
    const srv = await startServer();
    servers.push(srv);
    await mustSignup(srv, {});
    assert.equal(await srv.stop(), 0);
    for (const f of readdirSync(srv.dataDir)) {
      if (f.endsWith('-wal')) assert.equal(statSync(join(srv.dataDir, f)).size, 0, `${f} is empty after shutdown`);
    }
  });

  test('the login rate given by flag beats the environment (behaviour)', async () => {
    // environment says 1000, flag says 3: the 4th sign-in attempt is refused
    const srv = await startServer({ args: ['--login-rate-ip', '3'], env: { FECHATTER_LOGIN_RATE_IP: '1000' } });
    servers.push(srv);
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const r = await srv.api('POST', '/api/signin', { body: { email: `nobody${i}@example.test`, password: 'whatever1' } });
      statuses.push(r.status);
      if (r.status === 429) break;
    }
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401], `statuses ${statuses}`);
    assert.ok(statuses.includes(429), `refused after 3 attempts: ${statuses}`);
    assert.ok(statuses.length <= 5 && statuses.indexOf(429) <= 4, `statuses ${statuses}`);
    await srv.stop();
  });

  test('the environment beats the config file (behaviour)', async () => {
    const file = configFile('login-rate-ip 2\nlogin-rate-account 1000\n');
    const srv = await startServer({ args: ['--config', file], env: { FECHATTER_LOGIN_RATE_IP: '4' } });
    servers.push(srv);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const r = await srv.api('POST', '/api/signin', { body: { email: `nobody${i}@example.test`, password: 'whatever1' } });
      statuses.push(r.status);
      if (r.status === 429) break;
    }
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401], `env limit 4 wins over file limit 2: ${statuses}`);
    assert.ok(statuses.includes(429), `refused after 4: ${statuses}`);
    await srv.stop();
  });
});

describe('data folder', () => {
  test('signing key: 64 bytes, mode 0600, public half matches the seed', async () => {
    const srv = await startServer();
    servers.push(srv);
    const path = join(srv.dataDir, 'jwt_ed25519.key');
    const st = statSync(path);
    assert.equal(st.size, 64);
    assert.equal(st.mode & 0o777, 0o600, `mode ${(st.mode & 0o777).toString(8)}`);
    const { pub, privateKey } = serverKey(srv.dataDir);
    const { createPublicKey } = await import('node:crypto');
    const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
    assert.deepEqual(Buffer.from(derived), Buffer.from(pub));
    await srv.stop();
  });

  test('accounts, workspace and tokens survive a restart on the same folder', async () => {
    const srv = await startServer();
    servers.push(srv);
    const owner = await mustSignup(srv, { workspace_name: 'Persisted' });
    const keyBefore = readFileSync(join(srv.dataDir, 'jwt_ed25519.key'));
    assert.equal(await srv.stop(), 0);

    const again = await startServer({ dataDir: srv.dataDir });
    servers.push(again);
    assert.deepEqual(readFileSync(join(srv.dataDir, 'jwt_ed25519.key')), keyBefore, 'key kept');
    // the access token issued before the restart is still valid
    const me = assertOk(await again.api('GET', '/api/users/me', { token: owner.access_token }));
    assert.equal(me.id, owner.user.id);
    assert.equal(me.workspace.name, 'Persisted');
    // the refresh token too
    const r = assertOk(await again.api('POST', '/api/refresh', { body: { refresh_token: owner.refresh_token } }));
    assert.equal(decodeJwt(r.access_token).claims.sub, String(owner.user.id));
    // sign-in with the stored password hash
    const s = await mustSignin(again, owner.email, owner.password);
    assert.equal(s.user.id, owner.user.id);
    // the appliance is no longer fresh: a signup without invite is refused
    const res = await again.api('POST', '/api/signup', {
      body: { email: 'late@example.test', password: 'password123', fullname: 'Late' },
    });
    assertError(res, 403, 'INVITE_REQUIRED');
    assert.equal(await again.stop(), 0);
  });
});
