// The conversation area: the empty state, the open chat (header, message
// list with paging and scrolling, typing line, composer, drag and drop), the
// route #/chat/<id>[/m/<id>], sending (the outbox, with HTTP fallback and
// retry), incoming messages and their real-time events, read marks, and the
// thread of a message (shown in the side panel's shell).
// Owns: S.open, S.outbox, S.typing, S.editing (with messages.js), S.panel of
//   kind 'thread'; the scroll position ("stick" to the bottom).
// Exports: chatView() (builds the element, once per layout), route(),
//   renderChat(reset), renderHead(c), markRead(chatId),
//   dropChat(id), resendOutbox(), catchUp() (after a reconnect).
// Reads: S.chats, S.msgs, S.users, S.presence, S.me; the state events
//   'chats', 'users', 'messages', 'message', 'imgload'; the real-time events
//   status, ack, error, new_message, message_updated, message_deleted,
//   reaction, typing_status; hashchange; Escape (closes the side panel).
// Fills messages.js hooks (openThread, retry, discard) and panels.js
//   hooks.dropChat.
import { h, $, clear, avatar, icon, toast, uid, closePop } from './dom.js';
import { api, list } from './api.js';
import { rt } from './ws.js';
import { S, on, chatName, isChannel, dmPeer, isAdmin, userName, loadUsers, loadChats, loadPresence, upsertChat, fetchChat, box,
  sortedMessages, putMessages, newestId, loadLatest, loadOlder, loadNewer, loadAround, applyReaction, findMessage, changed } from './state.js';
import { items, renderScrolled, reconcile, hooks, startEdit, canModerate } from './messages.js';
import { composer } from './composer.js';
import { newChatDialog, browseDialog, adminDialog, chatSettingsDialog } from './dialogs.js';
import { renderSidebar, searchText } from './sidebar.js';
import { hooks as panelHooks, panelShell, closePanel, togglePanel, openSearch } from './panels.js';

const V = {}; // elements of the conversation area

export function chatView() {
  V.title = h('h1', { class: 'chat-title' });
  V.desc = h('p', { class: 'chat-desc' });
  V.headActions = h('div', { class: 'head-actions' });
  V.head = h('header', { class: 'chat-head' },
    h('button', { class: 'icon-btn back', 'aria-label': 'Back to conversations', onclick: () => { location.hash = '#/'; } }, icon('back')),
    h('div', { class: 'titles' }, V.title, V.desc), V.headActions);
  V.list = h('div', { class: 'msg-list' });
  V.top = h('div', { class: 'list-top' });
  V.scroller = h('div', { class: 'scroller', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite', tabindex: '0' }, V.top, V.list);
  V.scroller.addEventListener('scroll', onScroll, { passive: true });
  V.latest = h('button', { class: 'jump-latest', hidden: true, text: 'Jump to latest ↓', onclick: () => jumpLatest() });
  V.typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  V.composerSlot = h('div', { class: 'composer-slot' });
  V.drop = h('div', { class: 'drop', 'aria-hidden': 'true' }, h('div', { text: 'Drop files to upload' }));
  V.empty = h('div', { class: 'empty' });
  renderEmpty();
  V.chat = h('main', { class: 'chat', 'aria-label': 'Conversation' }, V.head, V.scroller, V.latest, V.typing, V.composerSlot, V.drop);
  V.main = h('div', { class: 'main' }, V.empty, V.chat);
  // drag and drop onto the conversation
  let depth = 0;
  V.chat.addEventListener('dragenter', (e) => { if (e.dataTransfer?.types.includes('Files')) { depth++; V.chat.classList.add('dragging'); } });
  V.chat.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; V.chat.classList.remove('dragging'); } });
  V.chat.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault(); });
  V.chat.addEventListener('drop', (e) => {
    e.preventDefault(); depth = 0; V.chat.classList.remove('dragging');
    if (e.dataTransfer?.files.length && V.composer) V.composer.addFiles([...e.dataTransfer.files]);
  });
  return V.main;
}

// The empty main area: "pick a conversation", or for an owner or admin
// still alone in the workspace (right after the first set-up) a welcome
// that points at the invite feature.
function renderEmpty() {
  if (!V.empty) return;
  const alone = isAdmin() && S.users.has(S.me.id) && ![...S.users.values()].some((u) => u.id !== S.me.id);
  if (V.empty.dataset.alone === String(alone)) return;
  V.empty.dataset.alone = String(alone);
  const art = h('div', { class: 'empty-art', 'aria-hidden': 'true' }, icon(alone ? 'users' : 'chat'));
  if (alone) {
    V.empty.replaceChildren(art, h('h2', { text: `Welcome to ${S.workspace?.name || 'your workspace'}` }),
      h('p', { class: 'muted', text: 'You are the only one here so far. Invite your team with a link, then start a channel for everyone.' }),
      h('div', { class: 'actions center' }, h('button', { class: 'btn primary', text: 'Invite people', onclick: () => adminDialog() }),
        h('button', { class: 'btn', text: 'Create a channel', onclick: () => newChatDialog('channel') })));
  } else {
    V.empty.replaceChildren(art, h('h2', { text: 'Pick a conversation' }),
      h('p', { class: 'muted', text: 'Choose a channel or a direct message on the left, or start a new one.' }),
      h('div', { class: 'actions center' }, h('button', { class: 'btn primary', text: 'New conversation', onclick: () => newChatDialog() }),
        h('button', { class: 'btn', text: 'Browse channels', onclick: () => browseDialog() })));
  }
}

// ------------------------------------------------------------ routing
export function route() {
  if (!S.me) return;
  const m = /^#\/chat\/(\d+)(?:\/m\/(\d+))?/.exec(location.hash);
  if (m) openChat(Number(m[1]), m[2] ? Number(m[2]) : null);
  else openChat(null);
}
window.addEventListener('hashchange', route);

async function openChat(id, jumpTo = null) {
  const changedChat = id !== S.open;
  if (changedChat && S.panel && S.panel.kind !== 'search') closePanel();
  S.open = id && S.chats.has(id) ? id : null;
  if (id && !S.open) {
    try { upsertChat(await api('GET', `/api/chat/${id}`)); S.open = id; } catch (e) { toast(e.message, 'error'); location.hash = '#/'; return; }
  }
  $('#app').classList.toggle('show-chat', !!S.open);
  S.editing = null;
  renderSidebar();
  renderChat(changedChat);
  if (!S.open) return;
  const b = box(id);
  try {
    if (jumpTo) {
      if (!b.byId.has(jumpTo)) await loadAround(id, jumpTo);
      showMessage(id, jumpTo);
    } else if (!b.loaded) { await loadLatest(id); scrollBottom(); } else if (changedChat) { await loadNewer(id); scrollBottom(); }
    fillUp();
  } catch (e) { toast(e.message, 'error'); }
  markRead(id);
}

function showMessage(chatId, mid) {
  const m = box(chatId).byId.get(mid);
  if (m?.reply_to) { openThread(chatId, m.reply_to, mid); return; }
  renderMessages(chatId);
  const el = document.getElementById(`m-${mid}`);
  if (el) { el.scrollIntoView({ block: 'center' }); flash(el); stick = false; }
}

function flash(el) { el.classList.remove('flash'); void el.offsetWidth; el.classList.add('flash'); }

// ------------------------------------------------------------ chat view
let stick = true;
function onScroll() {
  const sc = V.scroller;
  stick = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60;
  if (!S.open) return;
  const b = box(S.open);
  if (sc.scrollTop < 300 && b.hasOlder && !b.loadingOlder) loadOlder(S.open).catch((e) => toast(e.message, 'error'));
  if (stick && b.hasNewer && !b.loadingNewer) loadNewer(S.open, false).catch(() => {});
  if (stick) markRead(S.open);
}

function scrollBottom() { stick = true; V.scroller.scrollTop = V.scroller.scrollHeight; }

async function fillUp() {
  for (let i = 0; i < 5 && S.open; i++) {
    const b = box(S.open);
    if (!b.hasOlder || V.scroller.scrollHeight > V.scroller.clientHeight + 300) break;
    await loadOlder(S.open);
  }
}

async function jumpLatest() {
  await loadLatest(S.open).catch((e) => toast(e.message, 'error'));
  scrollBottom();
}

export function renderChat(reset) {
  const c = S.chats.get(S.open);
  V.empty.hidden = !!c;
  V.chat.hidden = !c;
  if (!c) { V.composer = null; return; }
  renderHead(c);
  const placeholder = `Message ${isChannel(c) ? '#' : ''}${chatName(c)}`;
  if (reset || !V.composer || V.composer.chatId !== c.id) {
    V.list._cache = null;
    clear(V.list);
    const comp = composer({
      chatId: c.id,
      placeholder,
      onSend: (content, files) => sendMessage(c.id, content, files, null),
      onTyping: (state) => rt.send({ op: 'typing', chat_id: c.id, state }),
      onEditLast: () => editLast(c.id, false),
    });
    comp.chatId = c.id;
    V.composer = comp;
    V.composerSlot.replaceChildren(comp.el);
    stick = true;
    if (matchMedia('(pointer: fine)').matches) comp.focus();
  }
  V.composer.input.placeholder = placeholder; // after a rename
  V.composer.input.setAttribute('aria-label', placeholder);
  renderMessages(c.id);
  renderTyping();
}

export function renderHead(c) {
  clear(V.title);
  if (c.chat_type === 'Single') {
    const peer = dmPeer(c);
    V.title.append(h('span', { class: `dot ${S.presence.get(peer) || 'offline'}`, title: S.presence.get(peer) || 'offline' }));
  } else V.title.append(icon(c.chat_type === 'PrivateChannel' ? 'lock' : c.chat_type === 'Group' ? 'users' : 'hash'));
  V.title.append(h('span', { text: chatName(c) }));
  V.desc.textContent = c.description || (c.chat_type === 'Single' ? 'Direct message' : c.chat_type === 'Group' ? 'Group conversation' : '');
  V.desc.hidden = !V.desc.textContent;
  const ids = c.chat_members || [];
  const stack = h('span', { class: 'stack' }, ids.slice(0, 3).map((id) => avatar(userName(id), id, 'xs')));
  clear(V.headActions).append(
    h('button', { class: 'members-btn', 'aria-label': `Members (${c.member_count ?? ids.length})`, title: 'Members', onclick: () => togglePanel('members') },
      stack, h('span', { text: c.member_count ?? ids.length })),
    canModerate(c) && c.chat_type !== 'Single' ? h('button', { class: 'icon-btn', 'aria-label': 'Conversation settings', title: 'Settings', onclick: () => chatSettingsDialog(c, dropChat) }, icon('edit')) : '',
    h('button', { class: 'icon-btn', 'aria-label': 'Search in this conversation', title: 'Search', onclick: () => openSearch({ q: searchText(), chat: c.id }) }, icon('search')));
}

function timeline(chatId) {
  const msgs = sortedMessages(chatId).filter((m) => !m.reply_to);
  const pend = [...S.outbox.values()].filter((e) => e.chat_id === chatId && !e.reply_to);
  return msgs.concat(pend);
}

function renderMessages(chatId) {
  if (chatId !== S.open || !V.list) return;
  const c = S.chats.get(chatId);
  const b = box(chatId);
  clear(V.top);
  if (b.loaded && !b.hasOlder) {
    V.top.append(h('div', { class: 'intro' }, h('div', { class: 'intro-icon', 'aria-hidden': 'true' }, c.chat_type === 'Single' ? avatar(chatName(c), dmPeer(c), 'lg') : icon(isChannel(c) ? 'hash' : 'users')),
      h('h2', { text: c.chat_type === 'Single' ? chatName(c) : `Welcome to ${isChannel(c) ? '#' : ''}${chatName(c)}` }),
      h('p', { class: 'muted', text: c.chat_type === 'Single' ? `This is the beginning of your conversation with ${chatName(c)}.` : (c.description || `This is the very beginning of ${chatName(c)}.`) })));
  } else if (b.hasOlder) V.top.append(h('div', { class: 'loading', text: b.loaded ? 'Loading older messages…' : 'Loading…' }));
  renderScrolled(V.scroller, V.list, items(timeline(chatId), { chat: c }), { stick });
  V.latest.hidden = !b.hasNewer;
}

function renderTyping() {
  if (!V.typing) return;
  const now = Date.now();
  const names = [];
  for (const [, t] of S.typing.get(S.open) || []) if (t.until > now) names.push(t.name);
  V.typing.textContent = !names.length ? '' : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : 'Several people are typing…';
  V.typing.classList.toggle('on', names.length > 0);
}
setInterval(renderTyping, 2000);

function editLast(chatId, inThread) {
  const pool = inThread && S.panel?.kind === 'thread' ? [...S.panel.byId.values()] : sortedMessages(chatId).filter((m) => !m.reply_to);
  const mine = pool.filter((m) => m.sender_id === S.me.id && !m.deleted).sort((a, b) => b.id - a.id)[0];
  if (!mine) return false;
  startEdit(mine);
  return true;
}

let readTimer = 0;
export function markRead(chatId) {
  if (!chatId || chatId !== S.open || document.hidden) return;
  const c = S.chats.get(chatId);
  const nid = newestId(chatId);
  if (c && (c.unread_count || c.mention_count)) { c.unread_count = 0; c.mention_count = 0; renderSidebar(); }
  if (!nid || (c && c._read >= nid)) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    if (c) c._read = nid;
    api('POST', `/api/chat/${chatId}/read`, { message_id: nid }).catch(() => {});
  }, 300);
}

// ------------------------------------------------------------ sending
function sendMessage(chatId, content, files, replyTo) {
  const key = uid();
  const e = { key, pending: true, chat_id: chatId, content, files, reply_to: replyTo, sender_id: S.me.id, sender: { id: S.me.id, fullname: S.me.fullname },
    reactions: [], created_at: new Date().toISOString() };
  S.outbox.set(key, e);
  stick = true;
  transmit(e);
  redraw(chatId);
}

function frame(e) {
  const f = { op: 'send', chat_id: e.chat_id, content: e.content, idempotency_key: e.key };
  if (e.reply_to) f.reply_to = e.reply_to;
  if (e.files?.length) f.files = e.files.map((x) => x.id);
  return f;
}

function transmit(e) {
  e.failed = false; e.error = null;
  clearTimeout(e.timer);
  if (rt.send(frame(e))) {
    e.timer = setTimeout(() => { if (S.outbox.get(e.key) === e) fail(e, 'no answer from the server yet', true); }, 15000);
    return;
  }
  // not connected: try HTTP; if the server is unreachable the socket resends it on reconnect
  const { op, chat_id, ...body } = frame(e);
  api('POST', `/api/chat/${chat_id}/messages`, body)
    .then((m) => confirm(e.key, m))
    .catch((err) => { if (err.status) fail(e, err.message, false); });
}

function fail(e, msg, auto) {
  e.failed = true; e.error = msg; e.auto = auto;
  redraw(e.chat_id);
}

function confirm(key, m) {
  const e = S.outbox.get(key);
  if (e) { clearTimeout(e.timer); S.outbox.delete(key); }
  ingest(m);
}

hooks.retry = (key) => { const e = S.outbox.get(key); if (e) { transmit(e); redraw(e.chat_id); } };
hooks.discard = (key) => { const e = S.outbox.get(key); if (e) { clearTimeout(e.timer); S.outbox.delete(key); redraw(e.chat_id); } };
hooks.openThread = (chatId, id) => openThread(chatId, id);

function redraw(chatId) {
  renderMessages(chatId);
  if (S.panel?.kind === 'thread' && S.panel.chatId === chatId) renderThread();
}

// A stored message arrived (event, ack or HTTP answer).
function ingest(m) {
  const b = S.msgs.get(m.chat_id);
  const known = b?.byId.has(m.id) || (S.panel?.kind === 'thread' && S.panel.byId.has(m.id));
  if (m.reply_to) {
    const root = findMessage(m.chat_id, m.reply_to);
    if (root && !known) root.reply_count = (root.reply_count || 0) + 1;
    if (S.panel?.kind === 'thread' && S.panel.chatId === m.chat_id && S.panel.rootId === m.reply_to) S.panel.byId.set(m.id, m);
  }
  if (b && b.loaded && !b.hasNewer) b.byId.set(m.id, m);
  const c = S.chats.get(m.chat_id);
  if (!c) fetchChat(m.chat_id);
  else {
    if (!c.last_message || c.last_message.id <= m.id) c.last_message = m;
    if (!known && m.sender_id !== S.me.id && (m.chat_id !== S.open || document.hidden)) {
      c.unread_count = (c.unread_count || 0) + 1;
      if (m.mentions_all || (m.mentions || []).includes(S.me.id)) c.mention_count = (c.mention_count || 0) + 1;
    }
  }
  const t = S.typing.get(m.chat_id);
  if (t?.delete(m.sender_id)) renderTyping();
  renderSidebar();
  redraw(m.chat_id);
  if (m.chat_id === S.open && stick) markRead(m.chat_id);
}

// ------------------------------------------------------------ real time
rt.on('status', (s) => V.chat?.classList.toggle('offline', s !== 'online'));

// the outbox after a (re)connection: sent again unless it failed for good
export function resendOutbox() {
  for (const e of S.outbox.values()) if (!e.failed || e.auto) { e.failed = false; transmit(e); }
}

export async function catchUp() {
  try {
    await Promise.all([loadChats(), loadPresence(), loadUsers()]);
    for (const [id, b] of S.msgs) {
      if (!S.chats.has(id)) { S.msgs.delete(id); continue; }
      if (id !== S.open) { b.loaded = false; continue; } // reloaded when opened
      if (!b.hasNewer) await loadNewer(id);
      // refresh edits, deletes and reactions of the recent page
      const r = await list(`/api/chat/${id}/messages?limit=50`);
      putMessages(id, r.data);
    }
    if (S.panel?.kind === 'thread') await loadThread();
    if (S.open && !S.chats.has(S.open)) location.hash = '#/';
    else if (S.open) { redraw(S.open); markRead(S.open); }
  } catch (e) { console.warn('catch-up failed', e); }
}

rt.on('ack', (ev) => confirm(ev.idempotency_key, ev.message));
rt.on('error', (ev) => {
  if (ev.op === 'send' && ev.idempotency_key) {
    const e = S.outbox.get(ev.idempotency_key);
    if (e) { clearTimeout(e.timer); fail(e, ev.error?.message || 'failed', false); toast(ev.error?.message || 'Message not sent', 'error'); }
  }
});
rt.on('new_message', (ev) => {
  const m = { ...ev }; delete m.type;
  if (m.sender_id === S.me.id && m.idempotency_key && S.outbox.has(m.idempotency_key)) { confirm(m.idempotency_key, m); return; }
  ingest(m);
});
rt.on('message_updated', (ev) => {
  const m = findMessage(ev.chat_id, ev.id);
  if (m) { const n = { ...ev }; delete n.type; Object.assign(m, n); redraw(ev.chat_id); }
});
rt.on('message_deleted', (ev) => {
  const m = findMessage(ev.chat_id, ev.id);
  if (m) { Object.assign(m, { deleted: true, content: '', files: [], reactions: [], mentions: [] }); if (S.editing?.id === m.id) S.editing = null; redraw(ev.chat_id); }
  if (S.panel?.kind === 'thread' && S.panel.rootId === ev.id && S.panel.root) S.panel.root.deleted = true;
});
rt.on('reaction', (ev) => {
  const m = findMessage(ev.chat_id, ev.message_id);
  if (m) { applyReaction(m, ev.emoji, ev.user_id, ev.added); redraw(ev.chat_id); }
});
rt.on('typing_status', (ev) => {
  if (ev.user_id === S.me.id) return;
  if (!S.typing.has(ev.chat_id)) S.typing.set(ev.chat_id, new Map());
  const t = S.typing.get(ev.chat_id);
  if (ev.is_typing) t.set(ev.user_id, { name: ev.user_name || userName(ev.user_id), until: Date.now() + 10000 });
  else t.delete(ev.user_id);
  renderTyping();
});

panelHooks.dropChat = dropChat;
export function dropChat(id) {
  S.chats.delete(id); S.msgs.delete(id);
  if (S.open === id) { closePanel(); location.hash = '#/'; }
  changed('chats');
}

on('chats', () => { const c = S.chats.get(S.open); if (c && V.title) renderHead(c); });
on('users', () => { renderEmpty(); if (S.open) redraw(S.open); });
on('messages', (chatId) => redraw(chatId));
on('message', (m) => redraw(m.chat_id));
on('imgload', () => { if (stick) V.scroller.scrollTop = V.scroller.scrollHeight; });

// ------------------------------------------------------------ threads (in the side panel)
async function openThread(chatId, rootId, highlight) {
  if (S.open !== chatId) { location.hash = `#/chat/${chatId}`; await openChat(chatId); }
  const root = findMessage(chatId, rootId);
  S.panel = { kind: 'thread', chatId, rootId, root, byId: new Map(), loaded: false };
  const scroller = h('div', { class: 'scroller thread-scroller', role: 'log', 'aria-label': 'Thread replies' });
  const listEl = h('div', { class: 'msg-list' });
  const rootBox = h('div', { class: 'thread-root' });
  scroller.append(rootBox, h('div', { class: 'thread-sep' }, h('span', { class: 'muted small' })), listEl);
  const comp = composer({
    chatId, placeholder: 'Reply in thread',
    onSend: (content, files) => sendMessage(chatId, content, files, rootId),
    onTyping: (state) => rt.send({ op: 'typing', chat_id: chatId, state }),
    onEditLast: () => editLast(chatId, true),
  });
  Object.assign(S.panel, { scroller, listEl, rootBox, comp });
  panelShell('Thread', h('div', { class: 'thread' }, scroller, comp.el), h('span', { class: 'muted small ellipsis', text: `#${chatName(S.chats.get(chatId))}` }));
  renderThread();
  comp.focus();
  await loadThread();
  if (highlight) {
    const el = scroller.querySelector(`#m-${highlight}`);
    if (el) { el.scrollIntoView({ block: 'center' }); flash(el); }
  } else scroller.scrollTop = scroller.scrollHeight;
}

async function loadThread() {
  const p = S.panel;
  if (!p || p.kind !== 'thread') return;
  try {
    let after = 0;
    for (let i = 0; i < 20; i++) {
      const r = await list(`/api/chat/${p.chatId}/messages/${p.rootId}/replies?limit=100${after ? `&after=${after}` : ''}`);
      for (const m of r.data) { if (m.id !== p.rootId) p.byId.set(m.id, m); else p.root = m; }
      if (r.data.length < 100) break;
      after = r.data[r.data.length - 1].id;
    }
    p.loaded = true;
    if (!p.root) p.root = findMessage(p.chatId, p.rootId);
    if (p.root && p.root.reply_count !== p.byId.size) { p.root.reply_count = p.byId.size; renderMessages(p.chatId); }
    renderThread();
  } catch (e) { toast(e.message, 'error'); }
}

function renderThread() {
  const p = S.panel;
  if (!p || p.kind !== 'thread') return;
  const chat = S.chats.get(p.chatId);
  p.root = findMessage(p.chatId, p.rootId) || p.root;
  if (p.root) reconcile(p.rootBox, items([p.root], { chat, inThread: true }).filter((it) => it.key[0] !== 'd'));
  const n = p.byId.size;
  p.scroller.querySelector('.thread-sep span').textContent = p.loaded ? `${n} ${n === 1 ? 'reply' : 'replies'}` : 'Loading replies…';
  const replies = [...p.byId.values()].sort((a, b) => a.id - b.id)
    .concat([...S.outbox.values()].filter((e) => e.reply_to === p.rootId));
  const sc = p.scroller;
  const atBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 60;
  renderScrolled(sc, p.listEl, items(replies, { chat, inThread: true }).slice(1), { stick: atBottom });
}

// ------------------------------------------------------------ keyboard
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || document.querySelector('dialog[open]')) return;
  if (closePop()) return;
  if (S.editing) return;
  if (S.panel) { closePanel(); V.composer?.focus(); }
});
