// make test-pg: the end-to-end suites that make sense on PostgreSQL, run
// against build/fechatter-cluster with --store postgres. Starts one private
// PostgreSQL 15 for the run (tests/cluster/lib/services.mjs; each server the
// suites start gets a fresh database on it, see e2e/lib/server.mjs), runs
// the suites with Node's test runner, stops PostgreSQL, and prints
// "N passed, N failed" (the TAP log is in $RESULTS/pg.log).
//
// Skipped, because they test the SQLite file itself or the single-box
// binary: backup, crash (kill -9 recovery of the WAL), diskfull (SQLite on a
// full tmpfs), upgrade (old database files), export (export/import of the
// SQLite database), syscalls (the static binary's system calls), release
// (the release archive), commands (check/backup/restore commands on DATA),
// search, search_filters, search_scripts (FTS5; PostgreSQL search is another
// adapter's), tls, proxy, config, gzip, abuse, ops, ws_batch, avatar (not
// store-specific: they pass or fail the same on either store; E2E_SUITES
// runs them too).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './cluster/lib/services.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT = 'accounts workspace chats messages realtime sse unread tokens authz files limits cache compat strict http setup';
const suites = (process.env.E2E_SUITES || DEFAULT).split(/\s+/).filter(Boolean);
const results = process.env.RESULTS || join(here, '..', 'build', 'test-results');
mkdirSync(results, { recursive: true });
const logPath = join(results, 'pg.log');

const pg = await startPostgres();
const files = suites.map((s) => join(here, 'e2e', `${s}.test.mjs`));
const log = createWriteStream(logPath);
const child = spawn(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=2', ...files], {
  cwd: here,
  env: { ...process.env, FECHATTER_STORE: 'postgres', FECHATTER_PG_ADMIN_URL: pg.url('postgres') },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d) => { out += d; log.write(d); });
child.stderr.on('data', (d) => log.write(d));
const limit = setTimeout(() => child.kill('SIGKILL'), 1500 * 1000);
const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
clearTimeout(limit);
log.end();
await pg.stop();
const num = (re) => Number((out.match(re) || [])[1] || 0);
const pass = num(/^# pass (\d+)/m);
let fail = num(/^# fail (\d+)/m);
if (code !== 0 && fail === 0) fail = 1;
writeFileSync(join(results, 'pg.counts'), `${pass} ${fail}\n`);
const notOk = out.split('\n').filter((l) => /^\s*not ok/.test(l));
for (const l of notOk.slice(0, 60)) console.log(l);
console.log(`test-pg: ${suites.length} suites on PostgreSQL: ${pass} passed, ${fail} failed (log: ${logPath})`);
process.exit(fail === 0 ? 0 : 1);
