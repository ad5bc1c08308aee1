// The first visit: a fresh appliance offers to set it up (the owner account
// and the first workspace) instead of a sign-in form, lands the owner signed
// in with a hint to invite people; once set up, the page greets with
// "Welcome back"; a set-up overtaken by another one falls back to sign-in.
import { test, before, after } from 'node:test';
import { launch, newPage, shot, setupUI, signUpUI, startServer, api, uniqueEmail, PASSWORD, assert } from './lib.mjs';

let srv, browser;
const owner = { fullname: 'Olivia Owner', email: uniqueEmail('olivia'), password: PASSWORD, workspace: 'Harbour Lab' };

before(async () => {
  srv = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('a fresh appliance shows "Set up your Fechatter", not a sign-in form', async () => {
  const P = await newPage(browser, srv.url);
  await P.goto('/');
  await P.waitForSelector('#auth:not([hidden]) form[aria-label="Set up"]');
  assert.equal((await P.textContent('#auth h1')).trim(), 'Set up your Fechatter');
  assert.match(await P.textContent('#auth'), /no account on this server yet/);
  assert.equal(await P.locator('text=Welcome back').count(), 0);
  assert.equal(await P.locator('#auth a:has-text("Create an account")').count(), 0);
  for (const name of ['workspace_name', 'fullname', 'email', 'password']) {
    assert.equal(await P.locator(`#auth input[name=${name}]`).count(), 1, name);
  }
  assert.equal(await P.locator('#auth input[name=invite_code]').count(), 0);
  await shot(P, 'setup');
  assert.deepEqual(P.errors, []);
  await P.context().close();
});

test('set-up creates the owner and the workspace and lands signed in, with a hint to invite people', async () => {
  const P = await newPage(browser, srv.url);
  await setupUI(P, owner);
  assert.equal(await P.textContent('.ws-name'), owner.workspace);
  const me = await P.evaluate(() => window.__fechatter.S.me);
  assert.equal(me.role, 'owner');
  assert.equal(me.email, owner.email);
  // alone in the workspace: the empty state points at invites
  await P.waitForSelector('.empty h2:has-text("Welcome to Harbour Lab")');
  await shot(P, 'first-owner');
  await P.click('.empty button:has-text("Invite people")');
  await P.click('dialog button:has-text("Create invite")');
  const code = (await P.locator('dialog .row code').first().textContent()).trim();
  assert.match(code, /^[\w-]{16}$/);
  await P.keyboard.press('Escape');
  // a teammate joins by the invite; once the owner's list has them, the usual empty state is back
  const Q = await newPage(browser, srv.url);
  await signUpUI(Q, { fullname: 'Tom Teammate', email: uniqueEmail('tom'), password: PASSWORD, invite: code });
  assert.equal(await Q.textContent('.ws-name'), owner.workspace);
  assert.equal(await Q.evaluate(() => window.__fechatter.S.me.role), 'member');
  await Q.waitForSelector('.empty h2:has-text("Pick a conversation")'); // a member gets no invite hint
  await P.reload();
  await P.waitForSelector('html[data-ready]');
  await P.waitForSelector('.empty h2:has-text("Pick a conversation")');
  assert.deepEqual(P.errors, []);
  assert.deepEqual(Q.errors, []);
  await P.context().close();
  await Q.context().close();
});

test('once set up, a new visitor gets "Welcome back" and the sign-in form', async () => {
  const P = await newPage(browser, srv.url);
  await P.goto('/');
  await P.waitForSelector('#auth:not([hidden]) form[aria-label="Sign in"]');
  assert.equal((await P.textContent('#auth h1')).trim(), 'Welcome back');
  assert.equal(await P.locator('form[aria-label="Set up"]').count(), 0);
  await shot(P, 'sign-in');
  // invite-only registration: signing up asks for an invite code and offers no workspace of one's own
  await P.click('#auth a:has-text("Create an account")');
  await P.waitForSelector('#auth form[aria-label="Sign up"]');
  assert.equal(await P.locator('#auth input[name=invite_code]').getAttribute('required'), '');
  assert.equal(await P.locator('#auth input[name=workspace_name]').isVisible(), false);
  await P.click('#auth a:has-text("Sign in")');
  await P.waitForSelector('#auth form[aria-label="Sign in"]');
  // an API error is shown as its message
  await P.fill('input[name=email]', 'nobody@example.test');
  await P.fill('input[name=password]', 'wrong password');
  await P.click('#auth button[type=submit]');
  await P.waitForSelector('.form-error:not([hidden])');
  assert.match(await P.textContent('.form-error'), /\S/);
  // the owner signs in
  await P.fill('input[name=email]', owner.email);
  await P.fill('input[name=password]', owner.password);
  await P.click('#auth button[type=submit]');
  await P.waitForSelector('html[data-ready]');
  assert.equal(await P.textContent('.ws-name'), owner.workspace);
  assert.deepEqual(P.errors, []);
  await P.context().close();
});

test('a set-up overtaken by another one ends on the sign-in screen with a notice', async () => {
  const fresh = await startServer();
  try {
    const P = await newPage(browser, fresh.url);
    await P.goto('/');
    await P.waitForSelector('form[aria-label="Set up"]');
    // someone else sets the appliance up first (over the API)
    const first = await api(fresh.url, 'POST', '/api/signup', { body: { email: uniqueEmail('quick'), password: PASSWORD, fullname: 'Quick', workspace_name: 'Quick' } });
    assert.equal(first.status, 201, first.text);
    await P.fill('input[name=workspace_name]', 'Slow');
    await P.fill('input[name=fullname]', 'Slow Sam');
    await P.fill('input[name=email]', uniqueEmail('slow'));
    await P.fill('input[name=password]', PASSWORD);
    await P.click('#auth button[type=submit]');
    await P.waitForSelector('#auth form[aria-label="Sign in"]');
    assert.equal((await P.textContent('#auth h1')).trim(), 'Welcome back');
    assert.match(await P.textContent('#auth .notice'), /just been set up by someone else/);
    assert.deepEqual(P.errors, []);
    await P.context().close();
  } finally {
    await fresh.stop();
  }
});
