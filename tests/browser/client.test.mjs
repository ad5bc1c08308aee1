// The web client end to end: two people in two browser contexts against the
// real server. Steps run in order and build on each other.
import { test, before, after } from 'node:test';
import { launch, newPage, shot, setupUI, signUpUI, signInUI, startServer, api, uniqueEmail, PASSWORD, navItem, openChat, send, msg, png, assert } from './lib.mjs';

let srv, browser, A, B;
const alice = { fullname: 'Alice Archer', email: uniqueEmail('alice'), password: PASSWORD, workspace: 'Acme' };
const bob = { fullname: 'Bob Baker', email: uniqueEmail('bob'), password: PASSWORD };
let aliceToken;

before(async () => {
  srv = await startServer();
  browser = await launch();
  A = await newPage(browser, srv.url);
  B = await newPage(browser, srv.url);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('set-up of the owner on the first visit, time to interactive', async (t) => {
  // the fresh appliance's first visit (tests/browser/first.test.mjs covers the screens)
  await setupUI(A, alice);
  assert.equal(await A.textContent('.ws-name'), 'Acme');
  // reload: the session comes back from the HttpOnly refresh cookie
  await A.reload();
  await A.waitForSelector('html[data-ready]');
  const tti = await A.evaluate(() => performance.getEntriesByName('fechatter-ready')[0]?.startTime);
  t.diagnostic(`time to interactive (signed in, loopback): ${Math.round(tti)} ms`);
  assert.ok(tti > 0 && tti < 5000, `time to interactive ${tti}`);
  aliceToken = await A.evaluate(() => fetch('/api/refresh', { method: 'POST' }).then((r) => r.json()).then((j) => j.data.access_token));
});

test('admin panel: create an invite; the second person signs up with it', async () => {
  await A.click('button[aria-label="Administration"]');
  await A.click('dialog button:has-text("Create invite")');
  const code = (await A.locator('dialog .row code').first().textContent()).trim();
  assert.match(code, /^[\w-]{16}$/);
  await shot(A, 'admin-panel');
  await A.click('dialog .tab:has-text("Members")');
  await A.waitForSelector('dialog .row:has-text("Alice Archer")');
  await A.keyboard.press('Escape');
  await signUpUI(B, { ...bob, invite: code });
  assert.equal(await B.textContent('.ws-name'), 'Acme');
});

test('create a channel, browse and join it', async () => {
  await A.click('button[aria-label="Create channel"]');
  await A.fill('dialog input[type=text]', 'general');
  await A.fill('dialog textarea', 'Company-wide announcements and chatter');
  await A.click('dialog button[type=submit]');
  await A.waitForSelector('.chat-title:has-text("general")');
  await B.click('.nav-item:has-text("Browse channels")');
  await B.click('dialog button[aria-label="Join general"]');
  await B.waitForSelector('.chat-title:has-text("general")');
  await A.waitForSelector('.members-btn:has-text("2")');
  // a second channel, Bob added by the picker
  await A.click('button[aria-label="Create channel"]');
  await A.fill('dialog input[type=text]', 'random');
  await A.click('dialog label.person:has-text("Bob Baker")');
  await A.click('dialog button[type=submit]');
  await A.waitForSelector('.chat-title:has-text("random")');
  await navItem(B, 'random').waitFor();
  await openChat(A, 'general');
});

test('send and receive live, typing, edit with Up, delete, react', async () => {
  await send(A, 'Hello **Bob**, welcome to the team');
  await msg(B, 'welcome to the team').waitFor();
  assert.equal(await msg(B, 'welcome to the team').locator('strong').textContent(), 'Bob');
  // typing indicator
  await B.fill('.chat .composer .input', 'typing something');
  await B.dispatchEvent('.chat .composer .input', 'input');
  await A.waitForSelector('.typing.on:has-text("Bob Baker is typing")');
  await B.press('.chat .composer .input', 'Enter');
  await msg(A, 'typing something').waitFor();
  // edit the last own message with the Up key
  await send(A, 'Lunch at noon?');
  await msg(B, 'Lunch at noon?').waitFor();
  await A.click('.chat .composer .input');
  await A.press('.chat .composer .input', 'ArrowUp');
  const box = A.locator('.chat .edit-box');
  await box.fill('Lunch at one?');
  await box.press('Enter');
  await msg(B, 'Lunch at one?').locator('.edited').waitFor();
  // delete
  await send(A, 'oops, wrong channel');
  const oops = msg(A, 'oops, wrong channel');
  await msg(B, 'oops, wrong channel').waitFor();
  await oops.hover();
  await oops.locator('button[aria-label="Delete message"]').click();
  await A.click('dialog button:has-text("Delete")');
  await B.locator('.chat .msg .tomb').first().waitFor();
  assert.equal(await msg(B, 'oops, wrong channel').count(), 0);
  // react
  const m = msg(B, 'Lunch at one?');
  await m.hover();
  await m.locator('button[aria-label="Add reaction"]').click();
  await B.click('.picker button[aria-label="React 👍"]');
  await msg(A, 'Lunch at one?').locator('.reaction:has-text("👍")').waitFor();
  assert.equal((await msg(A, 'Lunch at one?').locator('.reaction .count').textContent()).trim(), '1');
  // Alice adds hers by clicking the chip: 2
  await msg(A, 'Lunch at one?').locator('.reaction').click();
  await B.waitForFunction(() => [...document.querySelectorAll('.chat .reaction .count')].some((c) => c.textContent === '2'));
});

test('reply in a thread', async () => {
  const root = msg(A, 'Hello Bob, welcome');
  await root.hover();
  await root.locator('button[aria-label="Reply in thread"]').click();
  await A.waitForSelector('.panel .thread');
  await A.fill('.panel .composer .input', 'First reply in the thread');
  await A.press('.panel .composer .input', 'Enter');
  await msg(A, 'First reply in the thread', '.panel .msg-list').waitFor();
  await msg(B, 'Hello Bob, welcome').locator('.thread-link:has-text("1 reply")').waitFor();
  await msg(B, 'Hello Bob, welcome').locator('.thread-link').click();
  await msg(B, 'First reply in the thread', '.panel .msg-list').waitFor();
  await B.fill('.panel .composer .input', 'Thanks, glad to be here!');
  await B.press('.panel .composer .input', 'Enter');
  await msg(A, 'glad to be here', '.panel .msg-list').waitFor();
  // thread replies stay out of the main timeline
  assert.equal(await msg(A, 'glad to be here').count(), 0);
  await shot(A, 'thread-panel');
  await A.keyboard.press('Escape');
  await B.keyboard.press('Escape');
  await A.waitForSelector('.panel', { state: 'hidden' });
});

test('mention autocomplete and unread / mention badges', async () => {
  await openChat(B, 'random');
  await A.click('.chat .composer .input');
  await A.keyboard.type('Ping @Bo');
  await A.waitForSelector('.mention-pop li:has-text("Bob Baker")');
  await A.keyboard.press('Enter');
  assert.equal(await A.inputValue('.chat .composer .input'), 'Ping @Bob Baker ');
  await A.keyboard.type('can you check?');
  await A.keyboard.press('Enter');
  await send(A, 'And one more thing');
  const item = navItem(B, 'general');
  await item.locator('.badge:not(.mention)').filter({ hasText: '2' }).waitFor();
  await item.locator('.badge.mention').filter({ hasText: '@1' }).waitFor();
  await item.click();
  await B.waitForSelector('.chat-title:has-text("general")');
  await msg(B, 'can you check?').locator('.mention.me').waitFor();
  assert.equal(await navItem(B, 'general').locator('.badge').count(), 0);
  // the server agrees: nothing unread any more
  await B.waitForFunction(async () => {
    const r = await fetch('/api/refresh', { method: 'POST' }).then((x) => x.json());
    const u = await fetch('/api/unread-counts', { headers: { authorization: `Bearer ${r.data.access_token}` } }).then((x) => x.json());
    return u.data.every((c) => c.unread_count === 0);
  }, null, { polling: 300, timeout: 5000 });
});

test('upload an image with progress and see the preview', async () => {
  await A.setInputFiles('.chat .composer input[type=file]', { name: 'diagram.png', mimeType: 'image/png', buffer: png() });
  await A.waitForSelector('.chat .upload.done');
  await A.fill('.chat .composer .input', 'Here is the diagram');
  await A.press('.chat .composer .input', 'Enter');
  const img = msg(B, 'Here is the diagram').locator('img.file-img');
  await img.waitFor();
  await B.waitForFunction(() => [...document.querySelectorAll('.chat img.file-img')].some((i) => i.complete && i.naturalWidth === 96));
  // loaded with the HttpOnly file cookie: no token in the address (issue 12)
  assert.match(await img.getAttribute('src'), /^\/api\/files\/[0-9a-f]{64}\.png$/);
  // a non-image file is a download link
  await A.setInputFiles('.chat .composer input[type=file]', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain notes\n') });
  await A.waitForSelector('.chat .upload.done');
  await A.press('.chat .composer .input', 'Enter');
  await B.locator('.chat a.file-link:has-text("notes.txt")').waitFor();
});

test('an XSS attempt renders as text', async () => {
  const payload = '<img src=x onerror=alert(1)> and [x](javascript:alert(1)) <script>alert(2)</script>';
  await send(A, payload);
  const m = msg(B, 'onerror=alert(1)');
  await m.waitFor();
  assert.equal((await m.locator('.body').textContent()).trim(), payload);
  assert.equal(await B.locator('.chat .msg-list img[src="x"]').count(), 0);
  assert.equal(await B.locator('.chat .msg-list a[href^="javascript"]').count(), 0);
  assert.equal(await B.locator('.chat .msg-list script').count(), 0);
  // a safe link opens in a new tab without opener
  await send(A, 'Docs: [the guide](https://example.com/guide)');
  const a = msg(B, 'Docs:').locator('a');
  await a.waitFor();
  assert.equal(await a.getAttribute('target'), '_blank');
  assert.match(await a.getAttribute('rel'), /noopener/);
  await B.waitForTimeout(300);
  assert.deepEqual(A.dialogs.concat(B.dialogs), [], 'no dialog fired');
  assert.deepEqual(A.errors.concat(B.errors), [], 'no page errors or CSP violations');
});

test('screenshots: chat light, dark, phone', async () => {
  await shot(A, 'chat-light');
  const D = await newPage(browser, srv.url, { colorScheme: 'dark' });
  await signInUI(D, alice.email, alice.password);
  await openChat(D, 'general');
  await msg(D, 'Here is the diagram').waitFor();
  await D.waitForFunction(() => [...document.querySelectorAll('.chat img.file-img')].every((i) => i.complete));
  await shot(D, 'chat-dark');
  await D.context().close();
  const P = await newPage(browser, srv.url, { viewport: { width: 390, height: 844 } });
  await signInUI(P, bob.email, bob.password);
  await shot(P, 'phone-sidebar');
  await navItem(P, 'general').click();
  await msg(P, 'Here is the diagram').waitFor();
  assert.equal(await P.locator('.sidebar').isVisible(), false, 'one column on a phone');
  await shot(P, 'phone-chat');
  await P.click('button[aria-label="Back to conversations"]');
  await P.waitForSelector('.sidebar');
  await P.context().close();
});

test('search and jump to the message', async () => {
  // more history so the hit is far up the timeline
  for (let i = 0; i < 60; i++) {
    const r = await api(srv.url, 'POST', '/api/chat/1/messages', { token: aliceToken, body: { content: i === 5 ? 'The pineapple budget is approved' : `filler message ${i}` } });
    assert.equal(r.status, 201, r.text);
  }
  await msg(B, 'filler message 59').waitFor();
  await B.fill('.search-input', 'pineapple');
  await B.press('.search-input', 'Enter');
  const hit = B.locator('.panel .hit').first();
  await hit.waitFor();
  assert.equal((await hit.locator('mark').first().textContent()).toLowerCase(), 'pineapple');
  await shot(B, 'search-results');
  await hit.click();
  await B.waitForSelector('.chat .msg.flash:has-text("pineapple budget")');
  assert.ok(await msg(B, 'pineapple budget').isVisible());
});

test('infinite scroll upward through history after a reload', async () => {
  await B.evaluate(() => { location.hash = '#/chat/1'; });
  await B.reload();
  await B.waitForSelector('html[data-ready]');
  await msg(B, 'filler message 59').waitFor();
  const first = await B.locator('.chat .msg-list .msg').count();
  assert.ok(first <= 60, `one page at first (${first})`);
  for (let i = 0; i < 10 && !(await B.locator('.chat .intro').count()); i++) {
    await B.evaluate(() => { document.querySelector('.chat .scroller').scrollTop = 0; });
    await B.waitForTimeout(300);
  }
  await B.locator('.chat .intro:has-text("Welcome to #general")').waitFor();
  await msg(B, 'Hello Bob, welcome').waitFor();
  assert.ok(await B.locator('.chat .msg-list .msg').count() > first);
  assert.equal(await B.locator('.chat .day').count(), 1, 'one day separator');
});

test('direct message, members panel: remove, add back, leave', async () => {
  await A.click('button[aria-label="New direct message"]');
  await A.click('dialog label.person:has-text("Bob Baker")');
  await A.click('dialog button[type=submit]');
  await A.waitForSelector('.chat-title:has-text("Bob Baker")');
  await send(A, 'A private word');
  await navItem(B, 'Alice Archer').locator('.dot.online, .dot.away').waitFor(); // presence dot (another tab of Alice's may have said away)
  await navItem(B, 'Alice Archer').locator('.badge').waitFor();
  // remove Bob from #random, then add him back
  await openChat(A, 'random');
  await A.click('.members-btn');
  await A.click('.panel button[aria-label="Remove Bob Baker"]');
  await A.click('dialog button:has-text("Remove")');
  await navItem(B, 'random').waitFor({ state: 'detached' });
  await A.selectOption('.panel select', { label: 'Bob Baker' });
  // a presence change re-renders the open panel: the person chosen stays chosen
  const bobToken = await B.evaluate(() => fetch('/api/refresh', { method: 'POST' }).then((r) => r.json()).then((j) => j.data.access_token));
  const presence = (status) => api(srv.url, 'POST', '/api/realtime/presence', { token: bobToken, body: { status } });
  assert.equal((await presence('away')).status, 200);
  await navItem(A, 'Bob Baker').locator('.dot.away').waitFor();
  assert.equal(await A.locator('.panel select[aria-label="Person to add"]').inputValue(), (await A.locator('.panel select option:has-text("Bob Baker")').getAttribute('value')));
  await A.click('.panel button:has-text("Add")');
  await A.waitForSelector('.panel .member:has-text("Bob Baker")');
  await presence('online');
  await navItem(B, 'random').waitFor();
  await A.keyboard.press('Escape');
  // Bob leaves #random himself
  await openChat(B, 'random');
  await B.click('.members-btn');
  await B.click('.panel button:has-text("Leave channel")');
  await B.click('dialog button:has-text("Leave")');
  await navItem(B, 'random').waitFor({ state: 'detached' });
  await A.waitForSelector('.members-btn:has-text("1")');
});

test('admin: roles and suspension; account: change password, sign out, sign in', async () => {
  await A.click('button[aria-label="Administration"]');
  await A.click('dialog .tab:has-text("Members")');
  await A.selectOption('dialog select[aria-label="Role of Bob Baker"]', 'admin');
  await A.waitForSelector('.toast:has-text("Bob Baker updated")');
  let users = (await api(srv.url, 'GET', '/api/users', { token: aliceToken })).json.data;
  assert.equal(users.find((u) => u.fullname === 'Bob Baker').role, 'admin');
  await A.selectOption('dialog select[aria-label="Role of Bob Baker"]', 'member');
  await A.click('dialog button[aria-label="Suspend Bob Baker"]');
  await A.waitForSelector('dialog button[aria-label="Reactivate Bob Baker"]');
  users = (await api(srv.url, 'GET', '/api/users', { token: aliceToken })).json.data;
  assert.equal(users.find((u) => u.fullname === 'Bob Baker').status, 'Suspended');
  // a suspended account cannot sign in: the API's message is shown
  const S = await newPage(browser, srv.url);
  await S.goto('/');
  await S.waitForSelector('#auth:not([hidden]) form');
  await S.fill('input[name=email]', bob.email);
  await S.fill('input[name=password]', bob.password);
  await S.click('#auth button[type=submit]');
  await S.waitForSelector('.form-error:not([hidden])');
  await A.click('dialog button[aria-label="Reactivate Bob Baker"]');
  await A.waitForSelector('dialog button[aria-label="Suspend Bob Baker"]');
  await A.keyboard.press('Escape');
  // Bob (signed out by the suspension) signs in again, changes his password, signs out
  await S.click('#auth button[type=submit]');
  await S.waitForSelector('html[data-ready]');
  await S.click('button[aria-label="Account settings"]');
  await S.click('dialog .tab:has-text("Password")');
  await S.fill('dialog input[autocomplete=current-password]', bob.password);
  await S.fill('dialog input[autocomplete=new-password]', 'a brand new secret');
  await S.click('dialog button:has-text("Change password")');
  await S.waitForSelector('.toast:has-text("Password changed")');
  await S.click('dialog button.btn.danger:has-text("Sign out")');
  await S.waitForSelector('#auth:not([hidden]) form');
  await S.fill('input[name=email]', bob.email);
  await S.fill('input[name=password]', 'a brand new secret');
  await S.click('#auth button[type=submit]');
  await S.waitForSelector('html[data-ready]');
  assert.deepEqual(S.errors, []);
  await S.context().close();
});
