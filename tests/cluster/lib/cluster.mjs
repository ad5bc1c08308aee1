// A cluster for a test: one private PostgreSQL and one nats-server
// (lib/services.mjs) and N appliances of build/fechatter-cluster on their own
// loopback ports, each with its own --data folder, all with --store postgres
// on one fresh database, --bus nats on the one server, and one shared --files
// folder. Appliances are started one after the other (the first one creates
// the schema). Clients use the single-box helpers of tests/e2e/lib (api,
// mustSignup, wsConnect, sseConnect ...) with an appliance as the server.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, makeTempDir, HOST } from '../../e2e/lib/server.mjs';
import { startPostgres, startNats } from './services.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

// The cluster binary: FECHATTER_BIN when it names fechatter-cluster, else
// build/fechatter-cluster (make cluster). The e2e harness reads FECHATTER_BIN.
export function clusterBin() {
  const env = process.env.FECHATTER_CLUSTER_BIN || process.env.FECHATTER_BIN;
  const bin = env && /fechatter-cluster$|cluster\/fechatter$/.test(env) ? env : join(repo, 'build', 'fechatter-cluster');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist (run make cluster)`);
  process.env.FECHATTER_BIN = bin;
  return bin;
}

let dbCounter = 0;

/**
 * Starts PostgreSQL, nats-server and n appliances.
 * opts: n (default 2), args (extra argv for every appliance), env (extra
 * variables for every appliance, e.g. FECHATTER_LOGIN_RATE_IP), argsOf(i)
 * (extra argv for appliance i), pg / nats (reuse running services).
 * Returns {pg, nats, pgUrl, natsUrl, files, apps: [srv ...], start(i),
 * kill(i), stop()}: start(i) (re)starts appliance i on its port and data
 * folder, kill(i) is kill -9 (resolves once it is gone).
 */
export async function startCluster(opts = {}) {
  clusterBin();
  const n = opts.n ?? 2;
  const pg = opts.pg ?? (await startPostgres());
  const nats = opts.nats ?? (await startNats());
  dbCounter += 1;
  const pgUrl = pg.createDb(`fechatter_${process.pid}_${dbCounter}`);
  const files = makeTempDir('fechatter-shared-files-');
  const cluster = {
    pg, nats, pgUrl, natsUrl: nats.url, files,
    apps: new Array(n).fill(null),
    argv(i) {
      return ['--store', 'postgres', '--pg-url', pgUrl, '--bus', 'nats', '--nats-url', nats.url,
        '--files', files, ...(opts.args ?? []), ...(opts.argsOf ? opts.argsOf(i) : [])];
    },
    async start(i) {
      const prev = cluster.apps[i];
      const srv = await startServer({
        args: cluster.argv(i),
        env: opts.env ?? {},
        port: prev?.port,
        dataDir: prev?.dataDir,
        readyTimeoutMs: 30000,
      });
      srv.name = String.fromCharCode(65 + i); // A, B, ...
      cluster.apps[i] = srv;
      return srv;
    },
    async kill(i) {
      const srv = cluster.apps[i];
      if (!srv || srv.hasExited()) return;
      srv.proc.kill('SIGKILL');
      await srv.exit;
    },
    async stop() {
      for (const srv of cluster.apps) {
        if (srv) await srv.stop().catch(() => {});
      }
      if (!opts.nats) await nats.stop();
      if (!opts.pg) await pg.stop();
    },
  };
  try {
    for (let i = 0; i < n; i++) await cluster.start(i);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** A URL of appliance srv (e.g. for fetch), for symmetry with srv.url. */
export const appUrl = (srv) => `http://${HOST}:${srv.port}`;
