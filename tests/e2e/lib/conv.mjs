// Helpers for the Conversations suites (chats, messages, files, unread,
// authorization matrix). Builds on lib/server.mjs; owns nothing global.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  HOST, startServer, assertOk, mustSignup, createInvite, RFC3339_MS,
} from './server.mjs';

export const tok = (u) => u.access_token;

/**
 * Starts a server and fills one workspace: the first account (owner) and
 * one account per name in `names`, joined with an invite code.
 * opts: names, args (server argv), workspaceName, ownerName.
 * Returns {srv, owner, users: [...], byName: {first word lowercased: user}, invite}.
 */
export async function setupWorkspace(opts = {}) {
  const srv = await startServer({ args: opts.args ?? [] });
  const owner = await mustSignup(srv, {
    fullname: opts.ownerName ?? 'Olive Owner',
    workspace_name: opts.workspaceName ?? 'Acme',
  });
  const invite = await createInvite(srv, owner.access_token, { max_uses: 50 });
  const users = [];
  for (const name of opts.names ?? []) {
    users.push(await mustSignup(srv, { fullname: name, invite_code: invite.code }));
  }
  const byName = {};
  for (const u of users) byName[u.user.fullname.split(' ')[0].toLowerCase()] = u;
  return { srv, owner, users, byName, invite };
}

// A user of a new workspace (the server must run with --registration open).
let wsCounter = 0;
export async function otherWorkspaceUser(srv, fullname = 'Xena Outsider') {
  wsCounter += 1;
  const u = await mustSignup(srv, {
    fullname,
    workspace_name: `Other-${process.pid}-${wsCounter}-${Math.random().toString(36).slice(2, 7)}`,
  });
  assert.equal(u.user.role, 'owner', 'a new workspace is owned by its creator');
  return u;
}

export async function inviteUser(srv, invite, fullname) {
  return mustSignup(srv, { fullname, invite_code: invite.code });
}

let nameCounter = 0;
export function uniqueName(prefix = 'chan') {
  nameCounter += 1;
  return `${prefix}-${nameCounter}-${Math.random().toString(36).slice(2, 7)}`;
}

// ---------------------------------------------------------------- chats
export async function createChat(srv, user, body, status = 201) {
  const res = await srv.api('POST', '/api/workspace/chats', { token: tok(user), body });
  return assertOk(res, status);
}

export const memberIds = (...users) => users.map((u) => u.user.id);

export async function getChat(srv, user, chatId) {
  return assertOk(await srv.api('GET', `/api/chat/${chatId}`, { token: tok(user) }));
}

export async function setChatRole(srv, actor, chatId, target, role) {
  return assertOk(await srv.api('PATCH', `/api/chat/${chatId}/members/${target.user.id}`, { token: tok(actor), body: { role } }));
}

export async function listChats(srv, user) {
  const d = assertOk(await srv.api('GET', '/api/workspace/chats', { token: tok(user) }));
  assert.ok(Array.isArray(d), 'chat list is an array');
  return d;
}

export function assertChat(c, expect = {}) {
  assert.equal(typeof c, 'object');
  for (const k of ['id', 'workspace_id', 'name', 'chat_type', 'description', 'created_by', 'created_at', 'updated_at',
    'last_message', 'unread_count', 'mention_count', 'chat_members', 'member_count', 'my_role']) {
    assert.ok(k in c, `chat has ${k}: ${JSON.stringify(c).slice(0, 300)}`);
  }
  assert.ok(Number.isInteger(c.id) && c.id > 0);
  assert.ok(['Single', 'Group', 'PrivateChannel', 'PublicChannel'].includes(c.chat_type), c.chat_type);
  assert.match(c.created_at, RFC3339_MS);
  assert.match(c.updated_at, RFC3339_MS);
  assert.ok(Array.isArray(c.chat_members));
  assert.equal(c.member_count, c.chat_members.length, 'member_count = chat_members.length');
  assert.ok(Number.isInteger(c.unread_count) && c.unread_count >= 0);
  assert.ok(Number.isInteger(c.mention_count) && c.mention_count >= 0);
  for (const [k, v] of Object.entries(expect)) {
    if (k === 'members') assert.deepEqual([...c.chat_members].sort((a, b) => a - b), [...v].sort((a, b) => a - b), 'chat_members');
    else assert.deepEqual(c[k], v, `chat.${k}`);
  }
  return c;
}

// ---------------------------------------------------------------- messages
export async function send(srv, user, chatId, content, extra = {}, status = 201) {
  const res = await srv.api('POST', `/api/chat/${chatId}/messages`, { token: tok(user), body: { content, ...extra } });
  return assertOk(res, status);
}

export async function listMessages(srv, user, chatId, query = '') {
  const res = await srv.api('GET', `/api/chat/${chatId}/messages${query ? `?${query}` : ''}`, { token: tok(user) });
  const d = assertOk(res);
  assert.ok(Array.isArray(d), 'message list is an array');
  return { data: d, meta: res.json.meta };
}

// Every message of a chat, newest first, paging with next_before (bounded).
export async function allMessages(srv, user, chatId, maxPages = 50) {
  const out = [];
  let before;
  for (let i = 0; i < maxPages; i++) {
    const q = `limit=100${before ? `&before=${before}` : ''}`;
    const { data, meta } = await listMessages(srv, user, chatId, q);
    out.push(...data);
    if (!meta?.has_more || data.length === 0) return out;
    before = meta.next_before;
  }
  throw new Error(`more than ${maxPages} pages`);
}

export function assertMessage(m, expect = {}) {
  for (const k of ['id', 'chat_id', 'sender_id', 'sender', 'content', 'files', 'reply_to', 'reply_count', 'reactions',
    'mentions', 'mentions_all', 'idempotency_key', 'created_at', 'edited_at', 'deleted']) {
    assert.ok(k in m, `message has ${k}: ${JSON.stringify(m).slice(0, 300)}`);
  }
  assert.ok(Number.isInteger(m.id) && m.id > 0);
  assert.equal(typeof m.sender, 'object');
  assert.equal(m.sender.id, m.sender_id, 'sender.id = sender_id');
  assert.ok('fullname' in m.sender && 'avatar_url' in m.sender, 'sender {id, fullname, avatar_url}');
  assert.ok(Array.isArray(m.files) && Array.isArray(m.reactions) && Array.isArray(m.mentions));
  assert.match(m.created_at, RFC3339_MS);
  assert.equal(typeof m.deleted, 'boolean');
  for (const [k, v] of Object.entries(expect)) assert.deepEqual(m[k], v, `message.${k}`);
  return m;
}

export async function unreadOf(srv, user, chatId) {
  const d = assertOk(await srv.api('GET', '/api/unread-counts', { token: tok(user) }));
  assert.ok(Array.isArray(d), 'unread-counts is an array');
  const e = d.find((x) => x.chat_id === chatId);
  assert.ok(e, `unread-counts has chat ${chatId}: ${JSON.stringify(d).slice(0, 300)}`);
  return { chat_id: e.chat_id, unread_count: e.unread_count, mention_count: e.mention_count };
}

// Runs fn over items with at most `limit` in flight; results in order.
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------- files
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// A small PNG: signature, IHDR (width x height, 8-bit RGBA), optional tEXt, IEND.
export function pngBytes(width = 1, height = 1, text = '') {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (text) parts.push(pngChunk('tEXt', Buffer.from(`Comment\0${text}`, 'latin1')));
  parts.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

export const sha256Hex = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/**
 * Uploads bytes as multipart field `field` (default "file").
 * Returns {status, json, text, headers}.
 */
export async function upload(srv, token, bytes, { filename = 'file.bin', type = 'application/octet-stream', field = 'file' } = {}) {
  const fd = new FormData();
  fd.append(field, new Blob([bytes], { type }), filename);
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${srv.url}/api/files/single`, { method: 'POST', headers, body: fd, signal: AbortSignal.timeout(15000) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}

export async function mustUpload(srv, user, bytes, opts) {
  const r = await upload(srv, tok(user), bytes, opts);
  assert.equal(r.status, 200, `upload: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.json?.success, true);
  return r.json.data;
}

/** GET of a file path (or any path) returning the raw bytes. */
export async function fetchBytes(srv, path, { token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(srv.url + path, { headers: h, redirect: 'manual', signal: AbortSignal.timeout(15000) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

export { HOST };
