// Crash trials (issue 9): the real binary under HTTP and WebSocket send
// load is killed with SIGKILL after a random 0.3..2 s, restarted on the same
// data folder, and checked: every acknowledged message stored with its id
// and content, no key or content twice, integrity_check and FTS5's
// integrity-check clean, the word index holding exactly the messages, and
// the server serving again. The trial itself is tests/soak/crash-trial.mjs
// (`make soak` runs 20 or more). The seed of a failed trial is in the
// message: `make soak TRIALS=1 SEED=<seed> DURABILITY=.. GROUP_COMMIT=..`
// replays its kill time, window and checks' samples.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runTrial, formatTrial, sqliteAvailable } from '../soak/crash-trial.mjs';

const skip = sqliteAvailable() ? false : 'sqlite3 command-line shell not installed';

describe('crash trials: kill -9 under send load, restart, nothing acknowledged lost', { skip }, () => {
  // the three server set-ups a crash can meet: the default (fsync every
  // group commit), synchronous=NORMAL, one commit per send
  const setups = [
    { durability: 'full', groupCommit: 'on' },
    { durability: 'normal', groupCommit: 'on' },
    { durability: 'full', groupCommit: 'off' },
    // the commit on the writer thread, its fdatasync on the syncer thread
    { durability: 'full', groupCommit: 'on', args: ['--sync-pipeline', 'on'] },
  ];
  for (const [i, setup] of setups.entries()) {
    const trial = i + 1;
    test(`trial ${trial} (durability ${setup.durability}, group commit ${setup.groupCommit}${setup.args ? ', ' + setup.args.join(' ') : ''}): acknowledged messages survive kill -9, database and index intact`, { timeout: 60000 }, async (t) => {
      const r = await runTrial({ trial, ...setup });
      const line = formatTrial(r);
      assert.deepEqual(r.failures, [], `${line}\n  ${r.failures.join('\n  ')}`);
      assert.equal(r.lost, 0, line);
      assert.equal(r.duplicates, 0, line);
      assert.equal(r.integrity, 'ok', line);
      assert.equal(r.fts, 'ok', line);
      assert.ok(r.ackedHttp > 0 && r.ackedWs > 0, `both transports acknowledged sends before the kill: ${line}`);
      t.diagnostic(line);
    });
  }
});
