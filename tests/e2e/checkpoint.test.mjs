// The write-ahead log is checkpointed outside the commits (issue 14): the
// writer thread's connection only notes the log's length at each commit and
// the thread copies the log into the database after handing the batch over
// (core/writer.c, adapters/sqlite_store.c sqlite_store_checkpoints), once
// the log reached 1000 pages; the loop's connection keeps SQLite's automatic
// checkpoint only as a 4000-page backstop. Sends alone (every commit on the
// writer thread) must still get the log copied: in WAL mode the database
// file changes only at a checkpoint, so its size grows once the messages'
// new pages are copied. 200 sends of 10 to 20 pages of log each pass 1000
// pages well before the last one, and the writer finishes a checkpoint
// before it commits the next batch, so it is done when the last send is
// answered (no wait, no timing).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setupWorkspace, createChat, memberIds, send, allMessages } from './lib/conv.mjs';

const metric = (text, name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);

describe('write-ahead log checkpoints', () => {
  let srv; let owner; let bob; let chat;
  before(async () => {
    ({ srv, owner, byName: { bob } } = await setupWorkspace({ names: ['Bob Builder'] }));
    chat = await createChat(srv, owner, { name: 'ckpt', chat_type: 'PublicChannel', members: memberIds(bob) });
  });
  after(async () => { await srv?.stop(); });

  const sizes = async () => {
    const res = await srv.api('GET', '/metrics');
    assert.equal(res.status, 200);
    return { db: metric(res.text, 'fechatter_db_size_bytes'), wal: metric(res.text, 'fechatter_wal_size_bytes') };
  };

  test('sends alone get the log copied into the database, and nothing is lost', async () => {
    const before = await sizes();
    assert.ok(before.db > 0 && before.wal >= 0, JSON.stringify(before));
    const N = 200;
    for (let i = 0; i < N; i++) await send(srv, i % 2 ? bob : owner, chat.id, `checkpointed message ${i} ${'x'.repeat(200)}`);
    const now = await sizes();
    assert.ok(now.db > before.db, `database file ${before.db} -> ${now.db} bytes: the log was never checkpointed`);
    const msgs = await allMessages(srv, owner, chat.id);
    assert.equal(msgs.length, N);
  });
});
