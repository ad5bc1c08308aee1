// Helpers for the browser suites: real server (the e2e harness), real
// Chromium through playwright-core, screenshots into build/screenshots.
import { mkdirSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../..');
process.env.FECHATTER_BIN ||= join(ROOT, 'build/fechatter');
export const SHOTS = join(ROOT, 'build/screenshots');
mkdirSync(SHOTS, { recursive: true });

const { chromium } = await import('playwright-core');
export { startServer, api, uniqueEmail, PASSWORD } from '../e2e/lib/server.mjs';

export const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'];

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROME_ARGS, timeout: 30000 });
}

// A page that records dialogs, page errors and CSP violations.
export async function newPage(browser, base, { viewport = { width: 1280, height: 800 }, colorScheme = 'light' } = {}) {
  const ctx = await browser.newContext({ viewport, colorScheme, baseURL: base });
  ctx.setDefaultTimeout(10000);
  const page = await ctx.newPage();
  page.dialogs = [];
  page.errors = [];
  page.on('dialog', (d) => { page.dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

export async function shot(page, name) {
  await page.waitForTimeout(250); // let transitions settle
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export async function signUpUI(page, { fullname, email, password, workspace, invite }) {
  await page.goto(invite ? `/#/invite/${invite}` : '/');
  await page.waitForSelector('#auth:not([hidden]) form');
  if (!invite) await page.click('text=Create an account');
  await page.fill('input[name=fullname]', fullname);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  if (workspace) await page.fill('input[name=workspace_name]', workspace);
  await page.click('#auth button[type=submit]');
  await page.waitForSelector('html[data-ready]');
}

// The first visit of a fresh appliance: the set-up screen creates the owner
// account and the first workspace, and lands signed in.
export async function setupUI(page, { fullname, email, password, workspace }) {
  await page.goto('/');
  await page.waitForSelector('#auth:not([hidden]) form[aria-label="Set up"]');
  await page.fill('input[name=workspace_name]', workspace);
  await page.fill('input[name=fullname]', fullname);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('#auth button[type=submit]');
  await page.waitForSelector('html[data-ready]');
}

export async function signInUI(page, email, password) {
  await page.goto('/');
  await page.waitForSelector('#auth:not([hidden]) form');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('#auth button[type=submit]');
  await page.waitForSelector('html[data-ready]');
}

export const navItem = (page, name) => page.locator('.nav-item', { has: page.locator('.nav-name', { hasText: name }) });

export async function openChat(page, name) {
  await navItem(page, name).first().click();
  await page.waitForSelector(`.chat-title:has-text("${name}")`);
}

export async function send(page, text) {
  await page.fill('.chat .composer .input', text);
  await page.press('.chat .composer .input', 'Enter');
}

export const msg = (page, text, root = '.chat .msg-list') => page.locator(`${root} .msg`, { hasText: text });

// A small valid PNG (solid colour with a stripe), made without dependencies.
export function png(w = 96, h = 64) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const o = y * (w * 3 + 1) + 1 + x * 3;
    const stripe = Math.abs(x - y) < 6;
    raw[o] = stripe ? 255 : 91; raw[o + 1] = stripe ? 200 : 91; raw[o + 2] = stripe ? 60 : 214;
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export { assert };
