// The servers a cluster test needs, started for the test on loopback with
// free ports and temporary folders, and stopped by pid when the test process
// ends: PostgreSQL 15 (initdb into a temporary folder; as the unprivileged
// `postgres` account when the tests run as root, since postgres refuses to
// run as root) and nats-server. Nothing here touches a system-wide service.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, chownSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, HOST } from '../../e2e/lib/server.mjs';

const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid() === 0;

const children = new Set();
const dirs = new Set();
process.on('exit', () => {
  for (const p of children) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const d of dirs) {
    try { rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
});

function pgUser() {
  const out = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  return { uid: Number(out), gid: Number(gid) };
}

// Runs a PostgreSQL program (initdb, psql, createdb ...) as the account that
// owns the cluster.
function asOwner() {
  return isRoot ? { ...pgUser(), env: { ...process.env, HOME: '/tmp' }, cwd: '/tmp' } : {};
}

function pgRun(prog, args, opts = {}) {
  return execFileSync(join(PG_BIN, prog), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...asOwner(), ...opts });
}

/**
 * Starts a private PostgreSQL 15. Returns {port, url(db), createDb(name),
 * psql(db, sql), stop(), kill(), start()}. The superuser is `postgres`;
 * connections are by TCP on 127.0.0.1 with trust authentication (the folder is
 * private and the port loopback-only).
 */
export async function startPostgres({ fsync = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fechatter-pg-'));
  dirs.add(dir);
  const data = join(dir, 'data');
  if (isRoot) {
    const { uid, gid } = pgUser();
    chownSync(dir, uid, gid);
  }
  pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const port = await freePort();
  const conf = [
    `port = ${port}`,
    `listen_addresses = '${HOST}'`,
    `unix_socket_directories = '${dir}'`,
    `fsync = ${fsync ? 'on' : 'off'}`,
    'max_connections = 200',
    'shared_buffers = 64MB',
    "log_min_messages = 'warning'",
  ].join('\n');
  writeFileSync(join(data, 'postgresql.auto.conf'), conf + '\n');
  if (isRoot) {
    const { uid, gid } = pgUser();
    chownSync(join(data, 'postgresql.auto.conf'), uid, gid);
  }
  let proc = null;
  const pg = {
    port,
    dir,
    url: (db = 'postgres') => `postgresql://postgres@${HOST}:${port}/${db}`,
    async start() {
      proc = spawn(join(PG_BIN, 'postgres'), ['-D', data], { stdio: ['ignore', 'ignore', 'pipe'], ...asOwner() });
      children.add(proc);
      let err = '';
      proc.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
      proc.on('exit', () => children.delete(proc));
      for (let i = 0; i < 300; i++) {
        try {
          pgRun('pg_isready', ['-h', HOST, '-p', String(port), '-q']);
          return;
        } catch { await sleep(100); }
        if (proc.exitCode !== null) break;
      }
      throw new Error(`postgres did not start: ${err}`);
    },
    // A clean shutdown (fast mode), for a restart with start().
    async stop() {
      if (!proc || proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await done;
    },
    // The server goes away at once, as on a crash.
    async kill() {
      if (!proc || proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await done;
    },
    psql(db, sql) {
      return pgRun('psql', ['-h', HOST, '-p', String(port), '-U', 'postgres', '-d', db, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    },
    // A fresh, empty database; returns its URL.
    createDb(name) {
      pgRun('createdb', ['-h', HOST, '-p', String(port), '-U', 'postgres', name]);
      return pg.url(name);
    },
  };
  await pg.start();
  return pg;
}

/** Starts nats-server on a free loopback port. Returns {port, url, stop()}. */
export async function startNats() {
  const bin = ['/usr/bin/nats-server', '/usr/sbin/nats-server'].find((p) => existsSync(p)) || 'nats-server';
  const port = await freePort();
  const proc = spawn(bin, ['-a', HOST, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(proc);
  let err = '';
  proc.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
  proc.on('exit', () => children.delete(proc));
  for (let i = 0; i < 200; i++) {
    if (err.includes('Server is ready')) break;
    if (proc.exitCode !== null) throw new Error(`nats-server exited: ${err}`);
    await sleep(50);
  }
  if (!err.includes('Server is ready')) throw new Error(`nats-server did not start: ${err}`);
  return {
    port,
    url: `nats://${HOST}:${port}`,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
    },
  };
}
