// Release (issue 10, item 3): the version computed by the Makefile from
// `git describe` (make print-version) is what `fechatter version` prints and
// what /health reports; the example config shipped in the release archives
// and the Debian package (packaging/fechatter.conf) loads.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, runBin, cleanEnv, launcher } from './lib/server.mjs';

const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

// The version the Makefile gives the build (VERSION, from packaging/version.sh).
function makeVersion() {
  const r = spawnSync('make', ['-s', '--no-print-directory', 'print-version'], { cwd: top, encoding: 'utf8' });
  assert.equal(r.status, 0, `make print-version: ${r.stderr}`);
  return r.stdout.trim();
}

// The architecture the binary was built for, as the archive names spell it.
function expectedArch() {
  const l = launcher()[0] ?? '';
  if (/aarch64/.test(l)) return 'arm64';
  if (/arm/.test(l)) return 'armhf';
  return { x64: 'x86_64', arm64: 'arm64', arm: 'armhf' }[process.arch];
}

describe('version', () => {
  test('`fechatter version` prints the Makefile version and the architecture, exit 0', () => {
    const want = makeVersion();
    assert.match(want, /^[0-9][0-9A-Za-z.+~-]*$/, 'a well-formed version from the Makefile');
    const r = runBin(['version'], { env: cleanEnv() });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.stdout, `fechatter ${want} linux-${expectedArch()}\n`,
      'the binary\'s version is the Makefile\'s (after changing files, rebuild with make)');
  });

  test('/health reports the same version as `fechatter version`', async () => {
    const printed = runBin(['version'], { env: cleanEnv() }).stdout.split(' ')[1];
    const srv = await startServer();
    servers.push(srv);
    const h = await srv.api('GET', '/health');
    assert.equal(h.status, 200);
    assert.equal(h.json.version, printed);
    assert.equal(h.json.version, makeVersion());
  });

  test('an unknown command still exits 2 (version is a command, not a catch-all)', () => {
    const r = runBin(['versions'], { env: cleanEnv() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'versions'/);
  });
});

describe('example config (packaging/fechatter.conf)', () => {
  test('loads with --check-config: data in /var/lib/fechatter, listening on localhost', () => {
    const r = runBin(['--check-config', '--config', join(top, 'packaging', 'fechatter.conf')], { env: cleanEnv() });
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stdout, /^data \/var\/lib\/fechatter$/m);
    assert.match(r.stdout, /^bind 127\.0\.0\.1$/m);
    assert.match(r.stdout, /^durability full$/m);
    assert.match(r.stdout, /configuration ok/);
  });
});
