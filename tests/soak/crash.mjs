// make soak: TRIALS (default 20) crash trials in a row (see crash-trial.mjs):
// kill -9 under HTTP and WebSocket send load, restart, check. Prints one
// line per trial and the totals; exits 1 when a trial lost an acknowledged
// message, stored one twice, or left a database that fails its checks.
// SEED=N replays a run (trial i uses seed N+i-1); DURABILITY=full|normal and
// GROUP_COMMIT=on|off fix the server's set-up (drawn from the seed otherwise).
import { runTrial, formatTrial, sqliteAvailable } from './crash-trial.mjs';

const trials = Number(process.env.TRIALS ?? 20);
if (!Number.isInteger(trials) || trials < 1 || trials > 1000) {
  console.error(`TRIALS=${process.env.TRIALS}: want 1..1000`);
  process.exit(2);
}
if (![undefined, '', 'full', 'normal'].includes(process.env.DURABILITY) || ![undefined, '', 'on', 'off'].includes(process.env.GROUP_COMMIT)) {
  console.error('DURABILITY: full|normal, GROUP_COMMIT: on|off');
  process.exit(2);
}
if (!Number.isSafeInteger(Number(process.env.SEED ?? 0))) {
  console.error(`SEED=${process.env.SEED}: want an integer`);
  process.exit(2);
}
if (!sqliteAvailable()) {
  console.error('the sqlite3 shell is missing (packaging/deps.sh installs it)');
  process.exit(2);
}
const base = Number(process.env.SEED ?? (Date.now() % 1000000007));
console.log(`crash soak: ${trials} trials, SEED=${base}`);
const tot = { trials: 0, failed: 0, sent: 0, acked: 0, ackedHttp: 0, ackedWs: 0, lost: 0, storedUnacked: 0, duplicates: 0, replays: 0, integrityOk: 0, ftsOk: 0 };
const started = Date.now();
for (let i = 1; i <= trials; i++) {
  const r = await runTrial({
    trial: i, seed: base + i - 1, durability: process.env.DURABILITY || undefined, groupCommit: process.env.GROUP_COMMIT || undefined,
  });
  console.log(formatTrial(r));
  for (const f of r.failures) console.log(`    ${f}`);
  tot.trials += 1;
  if (r.failures.length) tot.failed += 1;
  for (const k of ['sent', 'acked', 'ackedHttp', 'ackedWs', 'lost', 'storedUnacked', 'duplicates', 'replays']) tot[k] += r[k];
  if (r.integrity === 'ok') tot.integrityOk += 1;
  if (r.fts === 'ok') tot.ftsOk += 1;
}
console.log(`total: ${tot.trials} trials in ${Math.round((Date.now() - started) / 1000)} s, sent ${tot.sent}, `
  + `acknowledged ${tot.acked} (http ${tot.ackedHttp}, ws ${tot.ackedWs}), lost ${tot.lost}, `
  + `stored-unacked ${tot.storedUnacked}, duplicates ${tot.duplicates}, replays ${tot.replays}, `
  + `integrity ok ${tot.integrityOk}/${tot.trials}, fts ok ${tot.ftsOk}/${tot.trials}, failed trials ${tot.failed}`);
process.exit(tot.failed ? 1 : 0);
