// The set-password page (issue 16): a link printed by `fechatter import
// --slack` opens "Choose your password"; setting it lands the imported
// person signed in, in the imported workspace, with the imported channels
// and messages; the same link again falls back to the sign-in form saying
// it was used.
import { test, before, after } from 'node:test';
import { join } from 'node:path';
import { launch, newPage, shot, startServer, PASSWORD, ROOT, assert, openChat, msg } from './lib.mjs';
import { makeTempDir, runBin } from '../e2e/lib/server.mjs';

let srv, browser, link;

before(async () => {
  const data = makeTempDir('fechatter-slack-ui-');
  const r = runBin(['import', '--slack', join(ROOT, 'tests/fixtures/slack-small'), '--data', data, '--log-level', 'warn']);
  assert.equal(r.code, 0, r.stderr);
  link = r.stdout.split('\n').find((l) => l.startsWith('bob@example.com')).split('\t')[2];
  srv = await startServer({ dataDir: data });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('a set-password link: choose a password, land signed in with the Slack history; the link works once', async () => {
  const P = await newPage(browser, srv.url);
  await P.goto(link);
  await P.waitForSelector('#auth:not([hidden]) form[aria-label="Set your password"]');
  assert.equal((await P.textContent('#auth h1')).trim(), 'Choose your password');
  await shot(P, 'set-password');
  await P.fill('input[name=password]', PASSWORD);
  await P.fill('input[name=password_again]', PASSWORD + 'x');
  await P.click('#auth button[type=submit]');
  await P.waitForSelector('#auth .form-error:has-text("differ")');
  await P.fill('input[name=password_again]', PASSWORD);
  await P.click('#auth button[type=submit]');
  await P.waitForSelector('html[data-ready]');
  const me = await P.evaluate(() => window.__fechatter.S.me);
  assert.equal(me.email, 'bob@example.com');
  assert.equal(me.fullname, 'Bob Baker');
  await openChat(P, 'general');
  await msg(P, 'Thread root about').waitFor();
  assert.deepEqual(P.errors, []);
  await P.context().close();

  const Q = await newPage(browser, srv.url);
  await Q.goto(link);
  await Q.fill('input[name=password]', 'another password');
  await Q.fill('input[name=password_again]', 'another password');
  await Q.click('#auth button[type=submit]');
  await Q.waitForSelector('#auth form[aria-label="Sign in"]');
  assert.match(await Q.textContent('#auth .notice'), /used already/);
  await Q.context().close();
});
