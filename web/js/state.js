// Client state and the operations on it. Views subscribe with onChange.
import { api, list } from './api.js';

export const S = {
  me: null,
  workspace: null,
  users: new Map(),
  chats: new Map(),
  presence: new Map(),
  typing: new Map(), // chat id -> Map(user id -> {name, until})
  msgs: new Map(), // chat id -> {byId: Map, hasOlder, nextBefore, hasNewer, loaded}
  outbox: new Map(), // idempotency key -> pending send
  open: null, // open chat id
  panel: null, // {kind: 'thread'|'members'|'search', ...}
  conn: 'offline',
};

const subs = new Map();
export function on(what, fn) { if (!subs.has(what)) subs.set(what, new Set()); subs.get(what).add(fn); }
export function changed(what, arg) { subs.get(what)?.forEach((fn) => fn(arg)); }

export const userName = (id) => S.users.get(id)?.fullname || `User ${id}`;

export function chatName(c) {
  if (!c) return '';
  if (c.chat_type === 'Single') {
    const other = (c.chat_members || []).find((id) => id !== S.me.id);
    return other ? userName(other) : (c.name || 'Direct message');
  }
  if (c.name) return c.name;
  const others = (c.chat_members || []).filter((id) => id !== S.me.id).map(userName);
  return others.slice(0, 3).join(', ') + (others.length > 3 ? ` +${others.length - 3}` : '') || 'Group';
}

export const isChannel = (c) => c.chat_type === 'PublicChannel' || c.chat_type === 'PrivateChannel';
export const dmPeer = (c) => c.chat_type === 'Single' ? (c.chat_members || []).find((id) => id !== S.me.id) : null;
export const isAdmin = () => S.me && (S.me.role === 'owner' || S.me.role === 'admin');

export function lastActivity(c) {
  return c.last_message?.created_at || c.updated_at || c.created_at || '';
}

export async function loadUsers() {
  const users = await api('GET', '/api/users');
  S.users = new Map(users.map((u) => [u.id, u]));
  const me = S.users.get(S.me.id);
  if (me) Object.assign(S.me, me);
  changed('users');
}

export async function loadChats() {
  const chats = await api('GET', '/api/workspace/chats');
  S.chats = new Map(chats.map((c) => [c.id, c]));
  changed('chats');
}

export async function loadPresence() {
  try {
    const list = await api('GET', '/api/online-users');
    S.presence = new Map(list.map((p) => [p.user_id, p.status]));
    changed('presence');
  } catch { /* optional */ }
}

export function upsertChat(c) {
  const old = S.chats.get(c.id);
  // a chat pushed by an event carries the counts of whoever caused it: keep ours
  if (old) c = { ...old, ...c, unread_count: old.unread_count, mention_count: old.mention_count };
  S.chats.set(c.id, c);
  changed('chats');
}

// the chat as the caller sees it (members, role, counts): fetched, not taken from the event
export async function fetchChat(id) {
  try { upsertChat(await api('GET', `/api/chat/${id}`)); } catch { /* not visible to us */ }
}

// ------------------------------------------------------------ messages
export function box(chatId) {
  let b = S.msgs.get(chatId);
  if (!b) { b = { byId: new Map(), hasOlder: true, nextBefore: null, hasNewer: false, loaded: false }; S.msgs.set(chatId, b); }
  return b;
}

export function putMessages(chatId, arr) {
  const b = box(chatId);
  for (const m of arr) b.byId.set(m.id, m);
}

export function sortedMessages(chatId) {
  const b = S.msgs.get(chatId);
  if (!b) return [];
  return [...b.byId.values()].sort((a, b2) => a.id - b2.id);
}

export function newestId(chatId) {
  let max = 0;
  for (const id of box(chatId).byId.keys()) if (id > max) max = id;
  return max;
}

// the cursor for the next older page
const older = (r) => r.meta.next_before ?? (r.data.length ? r.data[r.data.length - 1].id : null);

export async function loadLatest(chatId) {
  const r = await list(`/api/chat/${chatId}/messages?limit=50`);
  const b = box(chatId);
  b.byId.clear();
  putMessages(chatId, r.data);
  b.hasOlder = !!r.meta.has_more;
  b.nextBefore = older(r);
  b.hasNewer = false;
  b.loaded = true;
  changed('messages', chatId);
}

export async function loadOlder(chatId) {
  const b = box(chatId);
  if (!b.loaded || !b.hasOlder || b.loadingOlder) return 0; // not before the first page
  b.loadingOlder = true;
  try {
    const before = b.nextBefore ?? Math.min(...b.byId.keys());
    const r = await list(`/api/chat/${chatId}/messages?limit=50&before=${before}`);
    putMessages(chatId, r.data);
    b.hasOlder = !!r.meta.has_more && r.data.length > 0;
    b.nextBefore = older(r);
    changed('messages', chatId);
    return r.data.length;
  } finally { b.loadingOlder = false; }
}

// Everything after the newest message held (catch-up and forward paging).
export async function loadNewer(chatId, all = true) {
  const b = box(chatId);
  if (b.loadingNewer) return;
  b.loadingNewer = true;
  try {
    for (let i = 0; i < 20; i++) {
      const after = newestId(chatId);
      const r = await list(`/api/chat/${chatId}/messages?limit=100&after=${after}`);
      putMessages(chatId, r.data);
      if (r.data.length < 100) { b.hasNewer = false; break; }
      if (!all) break;
    }
    changed('messages', chatId);
  } finally { b.loadingNewer = false; }
}

// A window of history around one message (jump to a search hit).
export async function loadAround(chatId, mid) {
  const [before, newer] = await Promise.all([
    list(`/api/chat/${chatId}/messages?limit=30&before=${mid + 1}`),
    list(`/api/chat/${chatId}/messages?limit=30&after=${mid}`),
  ]);
  const b = box(chatId);
  b.byId.clear();
  putMessages(chatId, before.data);
  putMessages(chatId, newer.data);
  b.hasOlder = !!before.meta.has_more;
  b.nextBefore = older(before);
  b.hasNewer = newer.data.length >= 30;
  b.loaded = true;
  changed('messages', chatId);
}

export function applyReaction(m, emoji, userId, added) {
  const mine = userId === S.me.id;
  const list = m.reactions || (m.reactions = []);
  let r = list.find((x) => x.emoji === emoji);
  if (mine) {
    if (added && r?.me) return;
    if (!added && (!r || !r.me)) return;
  }
  if (added) {
    if (!r) { r = { emoji, count: 0, me: false }; list.push(r); }
    r.count += 1;
    if (mine) r.me = true;
  } else if (r) {
    r.count -= 1;
    if (mine) r.me = false;
    if (r.count <= 0) list.splice(list.indexOf(r), 1);
  }
}

export function findMessage(chatId, id) {
  return S.msgs.get(chatId)?.byId.get(id) || (S.panel?.kind === 'thread' && S.panel.chatId === chatId ? S.panel.byId.get(id) : null);
}
