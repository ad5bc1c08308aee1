// A profile picture is a file the whole workspace may load (it shows next
// to the owner's messages everywhere), and nobody outside the workspace.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setupWorkspace, otherWorkspaceUser, pngBytes, mustUpload, fetchBytes, tok } from './lib/conv.mjs';

describe('profile pictures', () => {
  let w, alice, bob, xena, file;
  before(async () => {
    w = await setupWorkspace({ args: ['--registration', 'open'], names: ['Alice Archer', 'Bob Baker'] });
    ({ alice, bob } = w.byName);
    xena = await otherWorkspaceUser(w.srv);
    file = await mustUpload(w.srv, alice, pngBytes(4, 4, 'avatar'), { filename: 'me.png', type: 'image/png' });
  });
  after(async () => { await w?.srv.stop(); });

  test('before it is a profile picture only the uploader reads it; after, the workspace does, others still not', async () => {
    assert.equal((await fetchBytes(w.srv, file.url, { token: tok(bob) })).status, 404);
    const r = await w.srv.api('PUT', '/api/users/profile', { token: tok(alice), body: { avatar_url: file.url } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.data.avatar_url, file.url);
    assert.equal((await fetchBytes(w.srv, file.url, { token: tok(bob) })).status, 200);
    assert.equal((await fetchBytes(w.srv, file.url, { token: tok(xena) })).status, 404);
    // another picture: the old one is private again
    const next = await mustUpload(w.srv, alice, pngBytes(5, 5, 'avatar 2'), { filename: 'me2.png', type: 'image/png' });
    await w.srv.api('PUT', '/api/users/profile', { token: tok(alice), body: { avatar_url: next.url } });
    assert.equal((await fetchBytes(w.srv, file.url, { token: tok(bob) })).status, 404);
    assert.equal((await fetchBytes(w.srv, next.url, { token: tok(bob) })).status, 200);
  });
});
