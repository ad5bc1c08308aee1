// A profile picture is a picture its owner uploaded; the whole workspace may
// load it (it shows next to the owner's messages everywhere), nobody outside
// the workspace. Setting a picture never grants access to anyone else's file:
// the holes an outside probe found (issue 9, item 2) each have a test here.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, assertOk } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, pngBytes, mustUpload, fetchBytes, tok, createChat, memberIds, uniqueName, send,
} from './lib/conv.mjs';

describe('profile pictures', () => {
  let w, alice, bob, carol, dave, xena, file;
  before(async () => {
    w = await setupWorkspace({ args: ['--registration', 'open'], names: ['Alice Archer', 'Bob Baker', 'Carol Cook', 'Dave Diaz'] });
    ({ alice, bob, carol, dave } = w.byName);
    xena = await otherWorkspaceUser(w.srv);
    file = await mustUpload(w.srv, alice, pngBytes(4, 4, 'avatar'), { filename: 'me.png', type: 'image/png' });
  });
  after(async () => { await w?.srv.stop(); });

  const read = async (url, u) => (await fetchBytes(w.srv, url, { token: tok(u) })).status;
  const profile = (u, body) => w.srv.api('PUT', '/api/users/profile', { token: tok(u), body });

  test('before it is a profile picture only the uploader reads it; after, the workspace does, others still not', async () => {
    assert.equal(await read(file.url, bob), 404);
    const r = await profile(alice, { avatar_url: file.url });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.avatar_url, file.url);
    assert.equal(r.json.data.avatar_file_id, file.id);
    assert.equal(await read(file.url, bob), 200);
    assert.equal(await read(file.url, xena), 404);
    // another picture: the old one is private again
    const next = await mustUpload(w.srv, alice, pngBytes(5, 5, 'avatar 2'), { filename: 'me2.png', type: 'image/png' });
    assertOk(await profile(alice, { avatar_url: next.url }));
    assert.equal(await read(file.url, bob), 404);
    assert.equal(await read(next.url, bob), 200);
  });

  test('by file id: avatar_file_id sets it, the url follows; null or "" clears it', async () => {
    const f = await mustUpload(w.srv, dave, pngBytes(6, 6, 'dave by id'), { filename: 'dave.png', type: 'image/png' });
    const p = assertOk(await profile(dave, { avatar_file_id: f.id }));
    assert.equal(p.avatar_url, f.url);
    assert.equal(p.avatar_file_id, f.id);
    assert.equal(await read(f.url, bob), 200);
    const users = assertOk(await w.srv.api('GET', '/api/users', { token: tok(bob) }));
    assert.equal(users.find((u) => u.id === dave.user.id).avatar_url, f.url);
    const cleared = assertOk(await profile(dave, { avatar_file_id: null }));
    assert.equal(cleared.avatar_url, null);
    assert.equal(cleared.avatar_file_id, null);
    assert.equal(await read(f.url, bob), 404, 'no longer a picture: private again');
    assertOk(await profile(dave, { avatar_file_id: f.id }));
    assert.equal(assertOk(await profile(dave, { avatar_url: '' })).avatar_file_id, null);
    assert.equal(await read(f.url, bob), 404);
    // an outside address is not a file: it grants nothing and keeps no file id
    const ext = assertOk(await profile(dave, { avatar_url: 'https://example.test/d.png' }));
    assert.equal(ext.avatar_url, 'https://example.test/d.png');
    assert.equal(ext.avatar_file_id, null);
  });

  test('only a picture of your own: a file of someone else, an unknown one or a non-image is refused', async () => {
    const notes = await mustUpload(w.srv, bob, Buffer.from(`plain text notes ${Date.now()}\n`), { filename: 'notes.txt' });
    const bobs = await mustUpload(w.srv, bob, pngBytes(3, 3, `bob-${Date.now()}`), { filename: 'b.png' });
    const cases = [
      [{ avatar_file_id: file.id }, 'avatar_file_id'], // alice's, not bob's
      [{ avatar_file_id: 987654 }, 'avatar_file_id'],
      [{ avatar_file_id: notes.id }, 'avatar_file_id'], // bob's, but text
      [{ avatar_url: file.url }, 'avatar_url'],
      [{ avatar_url: `/api/files/${'0'.repeat(64)}.png` }, 'avatar_url'],
      [{ avatar_url: notes.url }, 'avatar_url'],
      [{ avatar_url: bobs.url.replace(/\.png$/, '.gif') }, 'avatar_url'],
    ];
    for (const [body, field] of cases) assertError(await profile(bob, body), 400, 'INVALID_AVATAR', field);
    assertError(await profile(bob, { avatar_file_id: 'x' }), 400, 'VALIDATION_ERROR', 'avatar_file_id');
    assertError(await profile(bob, { avatar_file_id: bobs.id, avatar_url: bobs.url }), 400, 'VALIDATION_ERROR', 'avatar_file_id');
    const me = assertOk(await w.srv.api('GET', '/api/users/me', { token: tok(bob) }));
    assert.equal(me.avatar_url, null, 'nothing was changed by the refused requests');
    assert.equal(await read(notes.url, carol), 404);
  });

  test('hole: a user of another workspace names a file as their picture and reads it', async () => {
    const secret = await mustUpload(w.srv, alice, pngBytes(7, 7, `cross-${Date.now()}`), { filename: 'secret.png' });
    const r = await profile(xena, { avatar_url: secret.url });
    assert.equal(await read(secret.url, xena), 404, 'the outsider cannot read it');
    assertError(r, 400, 'INVALID_AVATAR', 'avatar_url');
    assertError(await profile(xena, { avatar_file_id: secret.id }), 400, 'INVALID_AVATAR', 'avatar_file_id');
    assert.equal(await read(secret.url, xena), 404);
    // and neither can the outsider's workspace
    const xws = await w.srv.api('GET', '/api/users/me', { token: tok(xena) });
    assert.equal(assertOk(xws).avatar_url, null);
  });

  test('hole: a picture someone else set is seen by the workspace but cannot be laundered into a message', async () => {
    const pic = await mustUpload(w.srv, carol, pngBytes(8, 8, `carol-pic-${Date.now()}`), { filename: 'carol.png' });
    assertOk(await profile(carol, { avatar_url: pic.url }));
    assert.equal(await read(pic.url, bob), 200, 'the workspace sees carol\'s picture');
    const c = await createChat(w.srv, bob, { chat_type: 'Group', name: uniqueName('launder'), members: memberIds(dave) });
    const tries = [];
    for (const files of [[pic.id], [pic.url]]) {
      tries.push(await w.srv.api('POST', `/api/chat/${c.id}/messages`, { token: tok(bob), body: { content: 'look', files } }));
    }
    assertOk(await profile(carol, { avatar_url: '' }));
    assert.equal(await read(pic.url, bob), 404, 'cleared picture: private again');
    assert.equal(await read(pic.url, dave), 404);
    for (const r of tries) assertError(r, 400, 'VALIDATION_ERROR', 'files');
  });

  test('hole: a file of a private chat named as a picture, then attached to a message, stays readable after the picture is cleared', async () => {
    const priv = await mustUpload(w.srv, alice, pngBytes(9, 9, `priv-${Date.now()}`), { filename: 'plan.png' });
    const ac = await createChat(w.srv, alice, { chat_type: 'Group', name: uniqueName('private'), members: memberIds(carol) });
    await send(w.srv, alice, ac.id, 'the plan', { files: [priv.id] });
    assert.equal(await read(priv.url, bob), 404, 'bob is not in the chat');
    const set = await profile(bob, { avatar_url: priv.url });
    const bd = await createChat(w.srv, bob, { chat_type: 'Group', name: uniqueName('mine'), members: memberIds(dave) });
    const r = await w.srv.api('POST', `/api/chat/${bd.id}/messages`, { token: tok(bob), body: { content: 'got it', files: [priv.url] } });
    await profile(bob, { avatar_url: '' });
    assert.equal(await read(priv.url, bob), 404, 'bob cannot read it');
    assert.equal(await read(priv.url, dave), 404, 'nor can the chat bob attached it to');
    assertError(set, 400, 'INVALID_AVATAR', 'avatar_url');
    assertError(r, 400, 'VALIDATION_ERROR', 'files');
  });

  test('hole: a member removed from a chat regains its files through a picture', async () => {
    const f = await mustUpload(w.srv, alice, pngBytes(10, 10, `removed-${Date.now()}`), { filename: 'r.png' });
    const c = await createChat(w.srv, alice, { chat_type: 'Group', name: uniqueName('rm'), members: memberIds(bob, dave) });
    await send(w.srv, alice, c.id, 'for the team', { files: [f.id] });
    assert.equal(await read(f.url, dave), 200);
    assertOk(await w.srv.api('DELETE', `/api/chat/${c.id}/members/${dave.user.id}`, { token: tok(alice) }));
    assert.equal(await read(f.url, dave), 404, 'removed: no access');
    const r = await profile(dave, { avatar_url: f.url });
    assert.equal(await read(f.url, dave), 404, 'still no access');
    assertError(r, 400, 'INVALID_AVATAR', 'avatar_url');
    assertError(await profile(dave, { avatar_file_id: f.id }), 400, 'INVALID_AVATAR', 'avatar_file_id');
    assert.equal(await read(f.url, dave), 404);
    assert.equal(await read(f.url, bob), 200, 'the remaining member still reads it');
  });
});
