// Real-time resilience: the server restarts under two open clients; the
// sockets reconnect with backoff, a message sent while it was down is
// delivered once, and catch-up fills what was posted meanwhile.
import { test, before, after } from 'node:test';
import { launch, newPage, signInUI, startServer, api, uniqueEmail, PASSWORD, openChat, send, msg, assert } from './lib.mjs';

let srv, browser, A, B, owner, member, chatId;

before(async () => {
  srv = await startServer();
  const ra = await api(srv.url, 'POST', '/api/signup', { body: { email: uniqueEmail('owner'), password: PASSWORD, fullname: 'Olivia Owner', workspace_name: 'Resilient' } });
  owner = { ...ra.json.data, email: JSON.parse(ra.text).data.user.email };
  const inv = await api(srv.url, 'POST', '/api/workspace/invites', { token: owner.access_token, body: {} });
  const rb = await api(srv.url, 'POST', '/api/signup', { body: { email: uniqueEmail('member'), password: PASSWORD, fullname: 'Max Member', invite_code: inv.json.data.code } });
  member = rb.json.data;
  const c = await api(srv.url, 'POST', '/api/workspace/chats', { token: owner.access_token, body: { name: 'ops', chat_type: 'PublicChannel', members: [member.user.id] } });
  chatId = c.json.data.id;
  browser = await launch();
  A = await newPage(browser, srv.url);
  B = await newPage(browser, srv.url);
  await signInUI(A, owner.user.email, PASSWORD);
  await signInUI(B, member.user.email, PASSWORD);
  await openChat(A, 'ops');
  await openChat(B, 'ops');
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('a message sent live before the restart', async () => {
  await send(A, 'before the restart');
  await msg(B, 'before the restart').waitFor();
});

test('server restart: reconnect, pending send delivered, catch-up, nothing lost', async (t) => {
  const { port, dataDir } = srv;
  await srv.stop();
  await A.waitForSelector('.conn.reconnecting');
  await B.waitForSelector('.conn.reconnecting');
  // sent while the server is down: shown at once as pending
  await send(A, 'sent while the server was down');
  await A.waitForSelector('.chat .msg.pending:has-text("sent while the server was down")');
  srv = await startServer({ port, dataDir });
  // posted by someone else right away, probably before the browsers reconnect
  const statusThen = await B.evaluate(() => window.__fechatter.rt.status);
  t.diagnostic(`member's socket when the message was posted: ${statusThen} (not online: delivered by catch-up)`);
  const r = await api(srv.url, 'POST', `/api/chat/${chatId}/messages`, { token: owner.access_token, body: { content: 'posted during the reconnect' } });
  assert.equal(r.status, 201, r.text);
  await A.waitForSelector('.conn.online', { timeout: 20000 });
  await B.waitForSelector('.conn.online', { timeout: 20000 });
  await msg(B, 'sent while the server was down').waitFor({ timeout: 15000 });
  await msg(B, 'posted during the reconnect').waitFor({ timeout: 15000 });
  await A.waitForSelector('.chat .msg:not(.pending):has-text("sent while the server was down")');
  // live again after the reconnect
  await send(B, 'after the restart');
  await msg(A, 'after the restart').waitFor();
  // exactly what the server holds, once each
  const all = await api(srv.url, 'GET', `/api/chat/${chatId}/messages?limit=100`, { token: owner.access_token });
  const server = all.json.data.map((m) => m.content).reverse();
  for (const page of [A, B]) {
    const shown = await page.locator('.chat .msg-list .msg .body').allTextContents();
    assert.deepEqual(shown.map((s) => s.trim()), server);
  }
  assert.deepEqual(A.errors.concat(B.errors), []);
});
