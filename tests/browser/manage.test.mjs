// Round 2 of the web client: chat settings (rename, describe, delete), chat
// roles in the members panel, search filters and paging, the profile with a
// picture, the status menu, the keyboard emoji picker. Three people; the
// fixtures are made over the API, the steps through the UI.
import { test, before, after } from 'node:test';
import { launch, newPage, shot, signInUI, startServer, api, uniqueEmail, PASSWORD, navItem, openChat, msg, png, assert } from './lib.mjs';

let srv, browser, O, M;
const U = {};
const call = (who, method, path, opts = {}) => api(srv.url, method, path, { token: U[who].access_token, ...opts });
const yesterday = () => { const d = new Date(Date.now() - 86400000); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`; };

before(async () => {
  srv = await startServer();
  const ro = await api(srv.url, 'POST', '/api/signup', { body: { email: uniqueEmail('olivia'), password: PASSWORD, fullname: 'Olivia Owner', workspace_name: 'Managers' } });
  U.o = ro.json.data;
  for (const [k, name] of [['m', 'Max Member'], ['c', 'Carla Cole']]) {
    const inv = await call('o', 'POST', '/api/workspace/invites', { body: {} });
    U[k] = (await api(srv.url, 'POST', '/api/signup', { body: { email: uniqueEmail(k), password: PASSWORD, fullname: name, invite_code: inv.json.data.code } })).json.data;
  }
  const mk = async (name, description) => { const r = await call('o', 'POST', '/api/workspace/chats', { body: { name, description, chat_type: 'PublicChannel', members: [U.m.user.id, U.c.user.id] } }); assert.equal(r.status, 201, r.text); return r.json.data.id; };
  U.design = await mk('design', 'Pixels');
  U.general = await mk('general', 'Everything else');
  U.scratch = await mk('scratch', '');
  assert.equal((await call('o', 'POST', '/api/workspace/chats', { body: { chat_type: 'Single', members: [U.m.user.id] } })).status, 201);
  for (let i = 0; i < 24; i++) await call('o', 'POST', `/api/chat/${U.design}/messages`, { body: { content: `quarterly report draft ${i}` } });
  await call('m', 'POST', `/api/chat/${U.general}/messages`, { body: { content: 'the quarterly report from Max' } });
  browser = await launch();
  O = await newPage(browser, srv.url);
  M = await newPage(browser, srv.url);
  await signInUI(O, U.o.user.email, PASSWORD);
  await signInUI(M, U.m.user.email, PASSWORD);
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('chat settings: rename and describe (owner/admin only), delete with confirmation', async () => {
  await openChat(O, 'design');
  await openChat(M, 'design');
  assert.equal(await M.locator('button[aria-label="Conversation settings"]').count(), 0, 'a member has no settings');
  await O.click('button[aria-label="Conversation settings"]');
  await O.fill('dialog input[name=name]', 'design-team');
  await O.fill('dialog textarea[name=description]', 'Pixels, type and the design system');
  await shot(O, 'settings-dialog');
  await O.click('dialog button[type=submit]');
  await O.waitForSelector('.chat-title:has-text("design-team")');
  await M.waitForSelector('.chat-title:has-text("design-team")');
  await M.waitForSelector('.chat-desc:has-text("design system")');
  assert.equal(await M.getAttribute('.chat .composer .input', 'placeholder'), 'Message #design-team');
  await navItem(M, 'design-team').waitFor();
  // a taken name is refused with the server's message
  await O.click('button[aria-label="Conversation settings"]');
  await O.fill('dialog input[name=name]', 'general');
  await O.click('dialog button[type=submit]');
  await O.waitForSelector('dialog .form-error:not([hidden])');
  await O.keyboard.press('Escape');
  // delete: cancel first, then confirm
  await openChat(O, 'scratch');
  await O.click('button[aria-label="Conversation settings"]');
  await O.click('dialog button:has-text("Delete")');
  await O.click('dialog:last-of-type button:has-text("Cancel")');
  await O.click('dialog button:has-text("Delete")');
  await O.click('dialog:last-of-type .btn.danger:has-text("Delete")');
  await navItem(O, 'scratch').waitFor({ state: 'detached' });
  await navItem(M, 'scratch').waitFor({ state: 'detached' });
  assert.equal((await call('o', 'GET', `/api/chat/${U.scratch}`)).status, 404);
});

test('members panel: roles shown, the owner changes them, an admin removes', async () => {
  await openChat(O, 'design-team');
  await O.click('.members-btn');
  await O.waitForSelector('.panel .member:has-text("Olivia Owner") .pill.role-owner');
  await O.selectOption('.panel select[aria-label="Role of Max Member"]', 'admin');
  await O.waitForSelector('.toast:has-text("Max Member is now admin")');
  const members = (await call('o', 'GET', `/api/chat/${U.design}/members`)).json.data;
  assert.equal(members.find((m) => m.user_id === U.m.user.id).role, 'admin');
  // Max, now admin, gets the settings and may remove Carla but not the owner; he cannot change roles
  await M.waitForSelector('button[aria-label="Conversation settings"]');
  await M.click('.members-btn');
  await M.waitForSelector('.panel .member:has-text("Max Member") .pill.role-admin');
  assert.equal(await M.locator('.panel select[aria-label^="Role of"]').count(), 0);
  assert.equal(await M.locator('.panel button[aria-label="Remove Olivia Owner"]').count(), 0);
  await M.click('.panel button[aria-label="Remove Carla Cole"]');
  await M.click('dialog button:has-text("Remove")');
  await O.waitForSelector('.panel .member:has-text("Carla Cole")', { state: 'detached' });
  // back to member: his settings button goes away
  await O.selectOption('.panel select[aria-label="Role of Max Member"]', 'member');
  await M.waitForSelector('button[aria-label="Conversation settings"]', { state: 'detached' });
  await O.keyboard.press('Escape');
  await M.keyboard.press('Escape');
});

test('search: filters by chat, sender and date, sort by date, more results', async () => {
  await M.fill('.search-input', 'quarterly');
  await M.press('.search-input', 'Enter');
  await M.waitForSelector('.panel .search-status:has-text("25 results")');
  assert.equal(await M.locator('.panel .hit').count(), 20);
  await M.click('.panel button:has-text("More results")');
  await M.waitForFunction(() => document.querySelectorAll('.panel .hit').length === 25);
  assert.ok(await M.locator('.panel .more').isHidden());
  // sender
  await M.selectOption('.panel select[aria-label=From]', { label: 'Max Member (you)' });
  await M.waitForSelector('.panel .search-status:has-text("1 result")');
  await M.locator('.panel .hit:has-text("from Max")').waitFor();
  // chat
  await M.selectOption('.panel select[aria-label=From]', '');
  await M.selectOption('.panel select[aria-label="In conversation"]', { label: '#design-team' });
  await M.waitForSelector('.panel .search-status:has-text("24 results")');
  // newest first
  await M.selectOption('.panel select[aria-label="Sort by"]', 'date');
  await M.waitForSelector('.panel .hit >> nth=0 >> text=draft 23');
  await shot(M, 'search-filters');
  // up to yesterday: nothing; from yesterday on: everything again
  await M.fill('.panel input[aria-label="To date"]', yesterday());
  await M.waitForSelector('.panel .search-status:has-text("0 results")');
  await M.fill('.panel input[aria-label="To date"]', '');
  await M.fill('.panel input[aria-label="From date"]', yesterday());
  await M.waitForSelector('.panel .search-status:has-text("24 results")');
  // the header's search button scopes to the open chat
  await M.click('button:has-text("Clear filters")');
  await M.waitForSelector('.panel .search-status:has-text("25 results")');
  await M.keyboard.press('Escape');
  await openChat(M, 'general');
  await M.click('button[aria-label="Search in this conversation"]');
  await M.waitForSelector('.panel .search-status:has-text("1 result")');
  await M.keyboard.press('Escape');
});

test('profile: details and a picture', async () => {
  await M.click('button[aria-label="Account settings"]');
  await M.fill('dialog input[name=title]', 'Staff Engineer');
  await M.fill('dialog input[name=department]', 'Platform');
  await M.fill('dialog input[name=timezone]', 'Europe/Berlin');
  await M.fill('dialog textarea[name=bio]', 'Keeps the servers humming.');
  await M.setInputFiles('dialog input[type=file]', { name: 'me.png', mimeType: 'image/png', buffer: png(64, 64) });
  await M.waitForSelector('.toast:has-text("Picture updated")');
  await M.click('dialog button:has-text("Save profile")');
  await M.waitForSelector('.toast:has-text("Profile saved")');
  await M.waitForFunction(() => [...document.querySelectorAll('dialog .me-card .avatar img, .mebox .avatar img')].filter((i) => i.complete && i.naturalWidth === 64).length === 2);
  await shot(M, 'profile');
  const me = (await call('m', 'GET', '/api/users/me')).json.data;
  assert.equal(me.title, 'Staff Engineer');
  assert.equal(me.department, 'Platform');
  assert.equal(me.timezone, 'Europe/Berlin');
  assert.equal(me.bio, 'Keeps the servers humming.');
  assert.match(me.avatar_url, /^\/api\/files\/[0-9a-f]{64}\.png$/);
  await M.keyboard.press('Escape');
  // own messages show the picture
  await M.fill('.chat .composer .input', 'with my new picture');
  await M.press('.chat .composer .input', 'Enter');
  await M.waitForFunction(() => [...document.querySelectorAll('.chat .msg .gutter .avatar img')].some((i) => i.complete && i.naturalWidth === 64));
});

test('status menu: away and back, seen by others; emoji picker by keyboard', async () => {
  await navItem(O, 'Max Member').locator('.dot.online').waitFor();
  await M.click('button[aria-label="Set your status"]');
  await M.click('.menu [role=menuitemradio]:has(.block:text-is("Away"))');
  await M.waitForSelector('.mebox .conn:has-text("Away")');
  await navItem(O, 'Max Member').locator('.dot.away').waitFor();
  // keyboard: open, move down, choose
  await M.focus('button[aria-label="Set your status"]');
  await M.keyboard.press('Enter');
  await M.waitForFunction(() => document.activeElement.matches('.menu [aria-checked=true]') && /Away/.test(document.activeElement.textContent));
  await M.keyboard.press('ArrowUp');
  await M.keyboard.press('Enter');
  await navItem(O, 'Max Member').locator('.dot.online').waitFor();
  // emoji picker: categories, arrows, Enter
  await openChat(O, 'general');
  const m = msg(O, 'with my new picture');
  await m.hover();
  await m.locator('button[aria-label="Add reaction"]').click();
  assert.ok(await O.locator('.picker button').count() >= 110);
  await shot(O, 'emoji-picker');
  await O.waitForFunction(() => document.activeElement.matches('.picker button[aria-label="React 👍"]'));
  await O.keyboard.press('ArrowRight');
  await O.keyboard.press('ArrowDown');
  await O.keyboard.press('ArrowLeft');
  const picked = await O.evaluate(() => document.activeElement.textContent);
  await O.keyboard.press('Enter');
  await msg(M, 'with my new picture').locator(`.reaction:has-text("${picked}")`).waitFor();
  const title = await msg(M, 'with my new picture').locator('.reaction').getAttribute('title');
  assert.match(title, /1 person reacted/);
  assert.deepEqual(O.errors.concat(M.errors), []);
});
