// The authorization matrix: for every route printed by `fechatter routes`,
// the expected HTTP status for each of five callers. A printed route
// without a row fails, and so does a row for a route that is not printed:
// a new route must be added here with its expectations.
//
// Callers:
//   anon     no token
//   other    the owner of another workspace
//   outsider a plain member of the workspace who is not in the chat
//   member   a plain member of the workspace and a member of the chat
//   admin    a plain member of the workspace with chat role admin
// The fixture chat is a PrivateChannel created by the workspace owner (the
// chat owner, not a caller) with member, admin and `extra` as members; it
// holds a message by the chat admin, a reply by the member and a message of
// the owner referencing an uploaded file. Mutating cells use throwaway
// fixtures so that later cells still find theirs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runBin, assertOk, mustSignin, signin, createInvite, PASSWORD, uniqueEmail } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, uniqueName, createChat, memberIds, send, setChatRole,
  pngBytes, mustUpload, upload, fetchBytes, tok,
} from './lib/conv.mjs';
import { wsConnect, closeAll } from './lib/rt.mjs';

const CALLERS = ['anon', 'other', 'outsider', 'member', 'admin'];

// ---------------------------------------------------------------- the route table
function loadRoutes() {
  if (!process.env.FECHATTER_BIN) return { routes: [], error: 'FECHATTER_BIN is not set' };
  let r;
  try { r = runBin(['routes']); } catch (e) { return { routes: [], error: e.message }; }
  if (r.code !== 0) return { routes: [], error: `\`fechatter routes\` exited ${r.code}: ${r.stderr.trim().slice(0, 200)}` };
  const routes = [];
  const bad = [];
  for (const line of r.stdout.split('\n')) {
    const l = line.trim();
    if (!l) continue;
    const m = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)\s+(\S+)$/.exec(l);
    if (!m) { bad.push(l); continue; }
    routes.push({ method: m[1], pattern: m[2], auth: m[3], key: keyOf(m[1], m[2]) });
  }
  return { routes, error: bad.length ? `unparsable lines: ${bad.slice(0, 5).join(' | ')}` : null };
}

// Parameter names do not matter for matching: {id} and {chat_id} are alike.
const keyOf = (method, pattern) => `${method} ${pattern.replace(/\{[^}]*\}/g, '{}')}`;

const LISTING = loadRoutes();

// ---------------------------------------------------------------- the matrix
// expect: statuses for [anon, other, outsider, member, admin].
// run(caller, ctx): performs the request and returns {status, text}.
// ctx.call(caller, method, path, body), ctx.F (main fixture), ctx.fresh(opts).
const ROWS = [
  // accounts
  { route: 'POST /api/signup', expect: [201, 201, 201, 201, 201],
    run: (c, x) => x.call(c, 'POST', '/api/signup', { email: uniqueEmail('mx'), password: PASSWORD, fullname: 'Matrix Signup', invite_code: x.invite.code }) },
  { route: 'POST /api/signin', expect: [200, 200, 200, 200, 200],
    run: (c, x) => x.call(c, 'POST', '/api/signin', { email: x.spare.email, password: PASSWORD }) },
  // a password-set link (issue 16): open to everyone; an unknown token is 400 for all
  { route: 'POST /api/set-password', expect: [400, 400, 400, 400, 400],
    run: (c, x) => x.call(c, 'POST', '/api/set-password', { token: 'no-such-link', password: PASSWORD }) },
  { route: 'POST /api/refresh', expect: [200, 200, 200, 200, 200],
    run: async (c, x) => x.call(c, 'POST', '/api/refresh', { refresh_token: (await mustSignin(x.srv, x.spare.email)).refresh_token }) },
  // the first-visit question: open to everyone, the same answer for all
  { route: 'GET /api/setup', expect: [200, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/setup') },
  { route: 'POST /api/logout', expect: [401, 200, 200, 200, 200],
    run: async (c, x) => {
      // a session of its own, so the caller's main token is untouched
      const s = c.u ? await mustSignin(x.srv, c.u.email, c.u.password) : await mustSignin(x.srv, x.spare.email);
      return x.call(c.u ? { ...c, token: s.access_token } : c, 'POST', '/api/logout', { refresh_token: s.refresh_token });
    } },
  { route: 'POST /api/logout-all', expect: [401, 200, 200, 200, 200],
    run: (c, x) => x.call(c, 'POST', '/api/logout-all'),
    after: (c, x) => x.relogin(c) },
  { route: 'POST /api/users/change-password', expect: [401, 200, 200, 200, 200],
    run: (c, x) => {
      c.newPassword = `new-${Math.random().toString(36).slice(2)}-pw`;
      return x.call(c, 'POST', '/api/users/change-password', { current_password: c.u?.password ?? PASSWORD, new_password: c.newPassword });
    },
    after: (c, x, res) => {
      if (c.u && res.status === 200) c.u.password = c.newPassword;
      return x.relogin(c);
    } },
  // users and workspace
  { route: 'GET /api/users/me', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/users/me') },
  { route: 'GET /api/users', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/users') },
  { route: 'GET /api/users/{id}/profile', expect: [401, 404, 200, 200, 200],
    run: (c, x) => x.call(c, 'GET', `/api/users/${x.extra.user.id}/profile`) },
  // the original's clients read their own profile here (issue 12)
  { route: 'GET /api/users/profile', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/users/profile') },
  { route: 'PUT /api/users/profile', expect: [401, 200, 200, 200, 200],
    run: (c, x) => x.call(c, 'PUT', '/api/users/profile', { title: 'Matrix title' }) },
  { route: 'GET /api/workspace', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/workspace') },
  // "other" owns its own workspace: it may rename that one
  { route: 'PATCH /api/workspace', expect: [401, 200, 403, 403, 403],
    run: (c, x) => x.call(c, 'PATCH', '/api/workspace', { name: uniqueName('Renamed') }) },
  { route: 'POST /api/workspace/invites', expect: [401, 201, 403, 403, 403],
    run: (c, x) => x.call(c, 'POST', '/api/workspace/invites', { max_uses: 1 }) },
  { route: 'GET /api/workspace/invites', expect: [401, 200, 403, 403, 403], run: (c, x) => x.call(c, 'GET', '/api/workspace/invites') },
  { route: 'DELETE /api/workspace/invites/{code}', expect: [401, 404, 403, 403, 403],
    run: async (c, x) => x.call(c, 'DELETE', `/api/workspace/invites/${(await createInvite(x.srv, tok(x.owner), {})).code}`) },
  { route: 'PATCH /api/workspace/users/{id}', expect: [401, 404, 403, 403, 403],
    run: (c, x) => x.call(c, 'PATCH', `/api/workspace/users/${x.extra.user.id}`, { status: 'Active' }) },
  // operations and static assets: open to everyone
  { route: 'GET /health', expect: [200, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/health') },
  { route: 'GET /health/readiness', expect: [200, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/health/readiness') },
  { route: 'GET /metrics', expect: [200, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/metrics') },
  { route: 'GET *', expect: [200, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/') },

  // chats
  { route: 'GET /api/workspace/chats', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/workspace/chats') },
  { route: 'POST /api/workspace/chats', expect: [401, 201, 201, 201, 201],
    run: (c, x) => x.call(c, 'POST', '/api/workspace/chats', { chat_type: 'PrivateChannel', name: uniqueName('mx'), members: [] }) },
  { route: 'GET /api/workspace/chats/public', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/workspace/chats/public') },
  { route: 'GET /api/chat/{id}', expect: [401, 404, 404, 200, 200], run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}`) },
  { route: 'PATCH /api/chat/{id}', expect: [401, 404, 404, 403, 200],
    run: (c, x) => x.call(c, 'PATCH', `/api/chat/${x.F.chat.id}`, { description: `set by ${c.name}` }) },
  { route: 'DELETE /api/chat/{id}', expect: [401, 404, 404, 403, 403],
    run: async (c, x) => x.call(c, 'DELETE', `/api/chat/${(await x.fresh()).chat.id}`) },
  // join needs a public channel (the outsider may join it; for a private one see chats.test.mjs)
  { route: 'POST /api/chat/{id}/join', expect: [401, 404, 200, 200, 200],
    run: async (c, x) => x.call(c, 'POST', `/api/chat/${(await x.fresh({ type: 'PublicChannel' })).chat.id}/join`) },
  { route: 'POST /api/chat/{id}/leave', expect: [401, 404, 404, 200, 200],
    run: async (c, x) => x.call(c, 'POST', `/api/chat/${(await x.fresh()).chat.id}/leave`) },
  { route: 'GET /api/chat/{id}/members', expect: [401, 404, 404, 200, 200], run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}/members`) },
  { route: 'POST /api/chat/{id}/members', expect: [401, 404, 404, 403, 200],
    run: async (c, x) => x.call(c, 'POST', `/api/chat/${(await x.fresh({ extra: false })).chat.id}/members`, [x.extra.user.id]) },
  { route: 'DELETE /api/chat/{id}/members/{user_id}', expect: [401, 404, 404, 403, 200],
    run: async (c, x) => x.call(c, 'DELETE', `/api/chat/${(await x.fresh()).chat.id}/members/${x.extra.user.id}`) },
  // chat owner only (the owner is not a caller): an admin gets 403 too
  { route: 'PATCH /api/chat/{id}/members/{user_id}', expect: [401, 404, 404, 403, 403],
    run: (c, x) => x.call(c, 'PATCH', `/api/chat/${x.F.chat.id}/members/${x.extra.user.id}`, { role: 'member' }) },

  // messages
  { route: 'GET /api/chat/{id}/messages', expect: [401, 404, 404, 200, 200], run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}/messages`) },
  { route: 'POST /api/chat/{id}/messages', expect: [401, 404, 404, 201, 201],
    run: (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/messages`, { content: `hello from ${c.name}` }) },
  { route: 'PATCH /api/chat/{id}/messages/{mid}', expect: [401, 404, 404, 403, 200],
    run: (c, x) => x.call(c, 'PATCH', `/api/chat/${x.F.chat.id}/messages/${x.F.msg.id}`, { content: `edited by ${c.name}` }) },
  { route: 'DELETE /api/chat/{id}/messages/{mid}', expect: [401, 404, 404, 403, 200],
    run: async (c, x) => x.call(c, 'DELETE', `/api/chat/${x.F.chat.id}/messages/${(await x.freshMessage()).id}`) },
  { route: 'GET /api/chat/{id}/messages/{mid}/replies', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}/messages/${x.F.msg.id}/replies`) },
  { route: 'POST /api/chat/{id}/messages/{mid}/reactions', expect: [401, 404, 404, 201, 201],
    run: async (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/messages/${(await x.freshMessage()).id}/reactions`, { emoji: '👍' }) },
  { route: 'DELETE /api/chat/{id}/messages/{mid}/reactions/{emoji}', expect: [401, 404, 404, 200, 200],
    run: async (c, x) => {
      const m = await x.freshMessage();
      for (const u of [x.owner, x.member, x.admin]) {
        const r = await x.srv.api('POST', `/api/chat/${x.F.chat.id}/messages/${m.id}/reactions`, { token: tok(u), body: { emoji: '👍' } });
        assert.equal(r.status, 201, `fixture reaction: ${r.text}`);
      }
      return x.call(c, 'DELETE', `/api/chat/${x.F.chat.id}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`);
    } },
  { route: 'POST /api/chat/{id}/read', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/read`, { message_id: x.F.msg.id }) },
  { route: 'GET /api/unread-counts', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/unread-counts') },

  // the cache's statistics are for workspace admins ("other" owns its own workspace)
  { route: 'GET /api/cache/stats', expect: [401, 200, 403, 403, 403], run: (c, x) => x.call(c, 'GET', '/api/cache/stats') },

  // search
  { route: 'GET /api/search/messages', expect: [401, 200, 200, 200, 200],
    run: (c, x) => x.call(c, 'GET', '/api/search/messages?q=hello') },
  { route: 'GET /api/chat/{id}/messages/search', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}/messages/search?q=hello`) },
  // search by POST (the original's clients; issue 12): query string or JSON body
  { route: 'POST /api/search/messages', expect: [401, 200, 200, 200, 200],
    run: (c, x) => x.call(c, 'POST', '/api/search/messages', { q: 'hello', limit: 5 }) },
  { route: 'POST /api/chat/{id}/messages/search', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/messages/search?q=hello&strategy=full_text&highlight=true&sort=relevance_time`) },

  // real-time
  { route: 'GET /events', expect: [401, 200, 200, 200, 200],
    run: async (c, x) => {
      const ac = new AbortController();
      const headers = c.u ? { authorization: `Bearer ${tok(c.u)}` } : {};
      const res = await fetch(`${x.srv.url}/events`, { headers, signal: ac.signal });
      ac.abort();
      return { status: res.status, text: '' };
    } },
  // the WebSocket: a caller with a token is confirmed (101); without one the
  // first frame must authenticate, anything else is refused (close 4001,
  // counted as 401). A plain GET without the upgrade is 426 (401 without a token).
  { route: 'GET /ws', expect: [401, 101, 101, 101, 101],
    run: async (c, x) => {
      const plain = await x.call(c, 'GET', '/ws');
      if (plain.status !== (c.u ? 426 : 401)) return plain;
      try {
        const ws = await wsConnect(x.srv, { token: c.u ? tok(c.u) : undefined, name: `matrix ${c.name}`, waitConfirmed: !!c.u });
        if (c.u) { ws.close(); return { status: 101, text: '' }; }
        ws.send({ op: 'ping' });
        const { code } = await ws.closed;
        return { status: code === 4001 ? 401 : code, text: JSON.stringify(ws.log.events) };
      } catch (e) {
        return { status: e.status ?? 0, text: e.message };
      } finally {
        closeAll();
      }
    } },
  // the in-band barrier reaches only the caller's own connection (here: the member's)
  { route: 'POST /api/realtime/ping', expect: [401, 404, 404, 200, 404],
    run: async (c, x) => {
      const mine = await wsConnect(x.srv, { token: tok(x.member), name: 'member ws' });
      try {
        return await x.call(c, 'POST', '/api/realtime/ping', { connection_id: mine.confirmed.connection_id });
      } finally {
        closeAll();
      }
    } },
  { route: 'POST /api/chat/{id}/typing/start', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/typing/start`) },
  { route: 'POST /api/chat/{id}/typing/stop', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'POST', `/api/chat/${x.F.chat.id}/typing/stop`) },
  { route: 'GET /api/chat/{id}/typing/users', expect: [401, 404, 404, 200, 200],
    run: (c, x) => x.call(c, 'GET', `/api/chat/${x.F.chat.id}/typing/users`) },
  // presence applies to a connected user: each caller holds an SSE stream open meanwhile
  { route: 'POST /api/realtime/presence', expect: [401, 200, 200, 200, 200],
    run: async (c, x) => {
      const ac = new AbortController();
      if (c.u) {
        const res = await fetch(`${x.srv.url}/events`, { headers: { authorization: `Bearer ${tok(c.u)}` }, signal: ac.signal });
        const reader = res.body.getReader();
        await reader.read(); // connection_confirmed: the server has registered the stream
      }
      try {
        return await x.call(c, 'POST', '/api/realtime/presence', { status: 'away' });
      } finally {
        ac.abort();
      }
    } },
  { route: 'GET /api/online-users', expect: [401, 200, 200, 200, 200], run: (c, x) => x.call(c, 'GET', '/api/online-users') },

  // files
  { route: 'POST /api/files/single', expect: [401, 200, 200, 200, 200],
    run: (c, x) => upload(x.srv, c.u ? tok(c.u) : undefined, pngBytes(2, 2, `mx-${c.name}-${Math.random()}`), { filename: 'mx.png' }) },
  { route: 'GET /api/files/{sha256}.{ext}', aliases: ['GET /api/files/{name}', 'GET /api/files/{file}', 'GET /api/files/{}'],
    expect: [401, 404, 404, 200, 200],
    run: (c, x) => fetchBytes(x.srv, x.F.file.url, { token: c.u ? tok(c.u) : undefined }) },
  // the original's file links (issue 12), under the same read rule
  { route: 'GET /files/{name}', expect: [401, 404, 404, 200, 200],
    run: (c, x) => fetchBytes(x.srv, x.F.file.url.replace(/^\/api/, ''), { token: c.u ? tok(c.u) : undefined }) },
  { route: 'GET /api/files/download/{name}', expect: [401, 404, 404, 200, 200],
    run: (c, x) => fetchBytes(x.srv, `/api/files/download/${x.F.file.url.split('/').pop().slice(6)}`, { token: c.u ? tok(c.u) : undefined }) },
];

const rowKeys = (row) => [row.route, ...(row.aliases ?? [])].map((r) => {
  const i = r.indexOf(' ');
  return keyOf(r.slice(0, i), r.slice(i + 1));
});

const N = LISTING.routes.length;
describe(`authorization matrix: ${N} routes x ${CALLERS.length} callers = ${N * CALLERS.length} cells (table: ${ROWS.length} rows)`, () => {
  const x = {};
  const callers = {};
  before(async () => {
    const w = await setupWorkspace({ args: ['--registration', 'open'], names: ['Otto Outsider', 'Mona Member', 'Adam Admin', 'Ezra Extra', 'Spare Signin'] });
    x.srv = w.srv;
    x.owner = w.owner;
    x.invite = await createInvite(x.srv, tok(w.owner), { max_uses: 100 });
    const { otto, mona, adam, ezra, spare } = w.byName;
    x.member = mona; x.admin = adam; x.extra = ezra; x.spare = spare;
    for (const u of [otto, mona, adam, ezra, spare]) u.password = PASSWORD;
    const other = await otherWorkspaceUser(x.srv, 'Olga Other');
    other.password = PASSWORD;
    callers.anon = { name: 'anon', u: null };
    callers.other = { name: 'other', u: other };
    callers.outsider = { name: 'outsider', u: otto };
    callers.member = { name: 'member', u: mona };
    callers.admin = { name: 'admin', u: adam };

    x.call = async (c, method, path, body) => {
      const token = c.token ?? (c.u ? tok(c.u) : undefined);
      const r = await x.srv.api(method, path, { token, body });
      return r;
    };
    x.relogin = async (c) => {
      if (!c.u) return;
      const s = await signin(x.srv, c.u.email, c.u.password);
      c.u.access_token = assertOk(s).access_token;
    };
    // A throwaway chat like the main fixture: owner creates, member, admin
    // (and extra) join, admin gets chat role admin, admin sends a message.
    x.fresh = async ({ type = 'PrivateChannel', extra = true } = {}) => {
      const members = [x.member, x.admin, ...(extra ? [x.extra] : [])];
      const chat = await createChat(x.srv, x.owner, { chat_type: type, name: uniqueName('fx'), members: memberIds(...members) });
      await setChatRole(x.srv, x.owner, chat.id, x.admin, 'admin');
      const msg = await send(x.srv, x.admin, chat.id, 'fixture message by the chat admin');
      return { chat, msg };
    };
    x.F = await x.fresh();
    x.F.reply = await send(x.srv, x.member, x.F.chat.id, 'a reply by the member', { reply_to: x.F.msg.id });
    x.F.file = await mustUpload(x.srv, x.owner, pngBytes(4, 4, `matrix-fixture-${Date.now()}`), { filename: 'fixture.png' });
    x.F.fileMsg = await send(x.srv, x.owner, x.F.chat.id, 'the fixture file', { files: [x.F.file.id] });
    x.freshMessage = () => send(x.srv, x.admin, x.F.chat.id, `throwaway ${Math.random()}`);
  });
  after(async () => { await x.srv?.stop(); });

  test(`\`fechatter routes\` lists ${N} routes, each with exactly one row (and no row without a route)`, (t) => {
    t.diagnostic(`matrix: ${N} routes x ${CALLERS.length} callers = ${N * CALLERS.length} cells`);
    assert.equal(LISTING.error, null, LISTING.error ?? '');
    assert.ok(N > 0, 'routes printed');
    const printed = new Map(LISTING.routes.map((r) => [r.key, r]));
    assert.equal(printed.size, N, 'no route printed twice');
    const missingRows = LISTING.routes.filter((r) => !ROWS.some((row) => rowKeys(row).includes(r.key))).map((r) => `${r.method} ${r.pattern}`);
    const staleRows = ROWS.filter((row) => !rowKeys(row).some((k) => printed.has(k))).map((row) => row.route);
    const doubled = LISTING.routes.filter((r) => ROWS.filter((row) => rowKeys(row).includes(r.key)).length > 1).map((r) => r.key);
    assert.deepEqual({ missingRows, staleRows, doubled }, { missingRows: [], staleRows: [], doubled: [] },
      'every printed route needs a row in ROWS; every row needs a printed route');
  });

  test('the AUTH column agrees with the table: a route open to anonymous callers is printed as not needing auth', () => {
    const wrong = [];
    for (const r of LISTING.routes) {
      const row = ROWS.find((rw) => rowKeys(rw).includes(r.key));
      if (!row) continue;
      const anonOk = row.expect[0] !== 401;
      const printedOpen = /^(none|public|anon|anonymous|-)$/i.test(r.auth);
      if (anonOk !== printedOpen) wrong.push(`${r.method} ${r.pattern} ${r.auth} (anon expects ${row.expect[0]})`);
    }
    assert.deepEqual(wrong, []);
  });

  test('?access_token= is accepted only where the route table says user+query (files, the SSE stream, the WebSocket): every other authenticated GET answers 401 with it', async () => {
    const wrong = [];
    const token = tok(callers.member.u);
    const fill = { id: x.F.chat.id, mid: x.F.msg.id, user_id: x.member.user.id, code: 'x', emoji: '%F0%9F%91%8D' };
    for (const r of LISTING.routes) {
      // user+query+cookie: the file routes, which also take the file cookie
      if (r.method !== 'GET' || /^(none|public|anon|anonymous|-)$/i.test(r.auth) || r.auth.startsWith('user+query')) continue;
      if (/^\/(api\/)?files\//.test(r.pattern) || r.pattern === '/events') throw new Error(`${r.pattern} should be printed as user+query`);
      const path = r.pattern.replace(/\{([^}]*)\}/g, (_, k) => String(fill[k] ?? x.member.user.id));
      const res = await x.srv.api('GET', `${path}?access_token=${encodeURIComponent(token)}`);
      if (res.status !== 401) wrong.push(`GET ${path}: ${res.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('the file cookie (file_token) is accepted only where the route table says user+query+cookie (the file GETs): every other route answers 401 with it', async () => {
    const s = await signin(x.srv, callers.member.u.email, callers.member.u.password);
    assertOk(s);
    const ft = s.cookies.find((c) => c.startsWith('file_token='));
    assert.ok(ft, 'sign-in sets file_token');
    const cookie = ft.split(';')[0];
    const fill = { id: x.F.chat.id, mid: x.F.msg.id, user_id: x.member.user.id, code: 'x', emoji: '%F0%9F%91%8D', name: x.F.file.url.split('/').pop() };
    const wrong = [];
    for (const r of LISTING.routes) {
      if (/^(none|public|anon|anonymous|-)$/i.test(r.auth) || r.pattern === '/ws') continue;
      const path = r.pattern.replace(/\{([^}]*)\}/g, (_, k) => String(fill[k] ?? x.member.user.id));
      const res = await x.srv.api(r.method, path, { headers: { cookie }, body: r.method === 'GET' ? undefined : {} });
      const ok = res.status !== 401;
      if (ok !== (r.auth === 'user+query+cookie')) wrong.push(`${r.method} ${path} (${r.auth}): ${res.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  for (const row of ROWS) {
    test(`${row.route}: ${CALLERS.map((c, i) => `${c}=${row.expect[i]}`).join(' ')}`, async () => {
      const got = [];
      const details = [];
      for (const name of CALLERS) {
        const c = callers[name];
        const res = await row.run(c, x);
        got.push(res.status);
        if (res.status !== row.expect[CALLERS.indexOf(name)]) {
          const body = res.text ?? (res.body ? res.body.toString('utf8') : '');
          details.push(`${name}: ${res.status} ${String(body).slice(0, 120)}`);
        }
        if (row.after) await row.after(c, x, res);
      }
      assert.deepEqual(Object.fromEntries(CALLERS.map((c, i) => [c, got[i]])), Object.fromEntries(CALLERS.map((c, i) => [c, row.expect[i]])),
        `${row.route}\n${details.join('\n')}`);
    });
  }
});
