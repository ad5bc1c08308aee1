// Unread counts and read markers: counts rise with others' messages only,
// POST read moves the marker forward only, deleted messages do not count,
// /api/unread-counts covers every chat of the caller.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, assertError } from './lib/server.mjs';
import {
  setupWorkspace, uniqueName, createChat, memberIds, send, unreadOf, listChats, getChat, tok,
} from './lib/conv.mjs';

describe('unread counts and read markers', () => {
  let srv; let alice; let bob; let carol;
  before(async () => {
    const w = await setupWorkspace({ names: ['Alice Anders', 'Bob Brown', 'Carol Clark'] });
    ({ srv } = w);
    ({ alice, bob, carol } = w.byName);
  });
  after(async () => { await srv?.stop(); });

  const api = (m, p, u, body) => srv.api(m, p, { token: u ? tok(u) : undefined, body });
  const read = (u, chatId, message_id) => api('POST', `/api/chat/${chatId}/read`, u, { message_id });
  const unread = async (u, chatId) => (await unreadOf(srv, u, chatId)).unread_count;

  test('B\'s unread_count rises with A\'s messages, never with B\'s own', async () => {
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('u'), members: memberIds(bob) });
    assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 0, mention_count: 0 });
    for (let i = 1; i <= 3; i++) {
      await send(srv, alice, c.id, `a${i}`);
      assert.equal(await unread(bob, c.id), i, `after ${i} message(s) of alice`);
    }
    await send(srv, bob, c.id, 'from bob');
    await send(srv, bob, c.id, 'from bob again');
    assert.equal(await unread(bob, c.id), 3, 'own messages never count');
    assert.equal(await unread(alice, c.id), 2, 'bob\'s messages count for alice');
    // the chat object and the list agree
    assert.equal((await getChat(srv, bob, c.id)).unread_count, 3);
    assert.equal((await listChats(srv, bob)).find((x) => x.id === c.id).unread_count, 3);
  });

  test('POST read moves the marker forward only', async () => {
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('r'), members: memberIds(bob) });
    const ids = [];
    for (let i = 1; i <= 5; i++) ids.push((await send(srv, alice, c.id, `m${i}`)).id);
    assert.equal(await unread(bob, c.id), 5);
    let d = assertOk(await read(bob, c.id, ids[2]));
    assert.deepEqual(d, { chat_id: c.id, message_id: ids[2] });
    assert.equal(await unread(bob, c.id), 2, 'two messages after the marker');
    d = assertOk(await read(bob, c.id, ids[0]));
    assert.deepEqual(d, { chat_id: c.id, message_id: ids[2] }, 'a lower message_id leaves the marker where it was');
    assert.equal(await unread(bob, c.id), 2);
    d = assertOk(await read(bob, c.id, ids[4]));
    assert.deepEqual(d, { chat_id: c.id, message_id: ids[4] });
    assert.equal(await unread(bob, c.id), 0);
    // new messages after the marker count again
    await send(srv, alice, c.id, 'm6');
    assert.equal(await unread(bob, c.id), 1);
    // alice's marker is her own: bob reading changed nothing for her
    assert.equal(await unread(alice, c.id), 0);
  });

  test('POST read validation: missing/non-integer message_id 400; non-member 404; message of another chat refused', async () => {
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('v'), members: memberIds(bob) });
    const other = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('o'), members: memberIds(carol) });
    const m = await send(srv, alice, c.id, 'x');
    const mo = await send(srv, alice, other.id, 'y');
    assertError(await api('POST', `/api/chat/${c.id}/read`, bob, {}), 400, 'VALIDATION_ERROR', 'message_id');
    assertError(await read(bob, c.id, 'abc'), 400, 'VALIDATION_ERROR', 'message_id');
    assertError(await read(carol, c.id, m.id), 404, 'NOT_FOUND');
    assertError(await read(null, c.id, m.id), 401);
    const cross = await read(bob, c.id, mo.id);
    assert.ok([400, 404].includes(cross.status), `a message of another chat: ${cross.status}`);
    assert.equal(await unread(bob, c.id), 1, 'the refused read moved nothing');
  });

  test('deleted messages do not count', async () => {
    const c = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('d'), members: memberIds(bob) });
    const ms = [];
    for (let i = 0; i < 3; i++) ms.push(await send(srv, alice, c.id, `d${i}`));
    assert.equal(await unread(bob, c.id), 3);
    assertOk(await api('DELETE', `/api/chat/${c.id}/messages/${ms[1].id}`, alice));
    assert.equal(await unread(bob, c.id), 2);
    assertOk(await api('DELETE', `/api/chat/${c.id}/messages/${ms[2].id}`, alice));
    assert.equal(await unread(bob, c.id), 1);
    // a deleted mention no longer counts either
    const men = await send(srv, alice, c.id, '@Bob Brown look');
    assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 2, mention_count: 1 });
    assertOk(await api('DELETE', `/api/chat/${c.id}/messages/${men.id}`, alice));
    assert.deepEqual(await unreadOf(srv, bob, c.id), { chat_id: c.id, unread_count: 1, mention_count: 0 });
  });

  test('/api/unread-counts lists every chat of the caller and only those', async () => {
    const s = await createChat(srv, carol, { chat_type: 'Single', members: [bob.user.id] });
    await send(srv, bob, s.id, 'dm');
    const d = assertOk(await api('GET', '/api/unread-counts', carol));
    assert.ok(Array.isArray(d));
    for (const e of d) {
      for (const k of ['chat_id', 'unread_count', 'mention_count']) assert.ok(k in e, `entry has ${k}`);
      assert.ok(Number.isInteger(e.unread_count) && e.unread_count >= 0);
    }
    const chats = await listChats(srv, carol);
    assert.deepEqual(d.map((e) => e.chat_id).sort((a, b) => a - b), chats.map((c) => c.id).sort((a, b) => a - b));
    assert.equal(d.find((e) => e.chat_id === s.id).unread_count, 1);
    assertError(await api('GET', '/api/unread-counts', null), 401);
  });
});
