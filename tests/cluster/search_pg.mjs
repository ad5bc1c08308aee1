// Runs end-to-end suites against PostgreSQL (issue 15 item 2): starts a
// private PostgreSQL (lib/services.mjs), then `node --test` on the suites
// given (default: the three search suites) with FECHATTER_BIN set to
// pg_bin.sh, so every server a suite starts is build/fechatter-cluster
// with --store postgres on a fresh database. Exits with node's code.
//   node cluster/search_pg.mjs [e2e/search.test.mjs ...]
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from './lib/services.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const suites = process.argv.slice(2);
const files = suites.length ? suites : ['e2e/search.test.mjs', 'e2e/search_filters.test.mjs', 'e2e/search_scripts.test.mjs'];
const pg = await startPostgres();
const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...files], {
  cwd: join(here, '..'),
  stdio: 'inherit',
  env: {
    ...process.env,
    FECHATTER_BIN: join(here, 'pg_bin.sh'),
    PGWRAP_CLUSTER_BIN: process.env.FECHATTER_CLUSTER_BIN || join(root, 'build', 'fechatter-cluster'),
    PGWRAP_PORT: String(pg.port),
  },
});
const code = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
await pg.stop();
process.exit(code);
