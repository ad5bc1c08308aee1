// For tests/bench/cluster.sh: starts a private PostgreSQL 15 (fsync on, as a
// durable deployment runs it) and nats-server on loopback, prints one JSON
// line {admin, port, nats} and keeps them until SIGTERM (then stops both).
import { startPostgres, startNats } from '../cluster/lib/services.mjs';

const pg = await startPostgres({ fsync: true });
const nats = await startNats();
console.log(JSON.stringify({ admin: pg.url('postgres'), port: pg.port, nats: nats.url }));
process.on('SIGTERM', async () => {
  await nats.stop();
  await pg.stop();
  process.exit(0);
});
setInterval(() => {}, 60000);
