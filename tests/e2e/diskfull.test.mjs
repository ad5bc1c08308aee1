// A full disk: writes answer 507 DISK_FULL, the server stays up, /health says
// degraded, committed messages stay intact, and writing works again once
// space is freed. Needs root to mount a small tmpfs for the data folder
// (CI runs as root); skipped otherwise.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, mustSignup, mountTinyTmpfs } from './lib/server.mjs';
import { createChat, send, listMessages, tok } from './lib/conv.mjs';

const tiny = mountTinyTmpfs('fechatter-full-');
const mnt = tiny?.dir;

describe('a full disk', { skip: tiny ? false : 'needs root to mount a tmpfs' }, () => {
  let srv, owner, chat;
  const filler = () => join(mnt, 'filler');
  before(async () => {
    srv = await startServer({ dataDir: join(mnt, 'data') });
    owner = await mustSignup(srv, { fullname: 'Olive Owner' });
    chat = await createChat(srv, owner, { name: 'general', chat_type: 'PublicChannel', members: [] });
  });
  after(async () => {
    if (srv) await srv.stop();
    tiny.unmount();
  });

  test('sends answer 507 DISK_FULL while the disk is full; nothing committed is lost; writing resumes after space is freed', async () => {
    const kept = await send(srv, owner, chat.id, 'written before the disk filled up');
    // fill the file system
    assert.ok(tiny.fill(), 'the tmpfs filled up');
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const r = await srv.api('POST', `/api/chat/${chat.id}/messages`, { token: tok(owner), body: { content: `${'x'.repeat(3000)} ${i}` } });
      statuses.push(`${r.status} ${r.json?.error?.code}`);
    }
    assert.ok(statuses.includes('507 DISK_FULL'), `507 DISK_FULL expected among ${statuses.join(', ')}`);
    const health = await srv.api('GET', '/health');
    assert.equal(health.json.status, 'degraded');
    assert.equal(health.json.components.disk, 'low');
    const during = await listMessages(srv, owner, chat.id);
    assert.ok(during.data.some((m) => m.id === kept.id && m.content === kept.content), 'the committed message is intact');
    rmSync(filler());
    const later = await send(srv, owner, chat.id, 'written after space came back');
    const all = await listMessages(srv, owner, chat.id);
    assert.deepEqual(all.data.map((m) => m.id).slice(0, 2), [later.id, kept.id]);
  });
});
