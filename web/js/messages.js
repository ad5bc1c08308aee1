// Message rendering: one element per message, rebuilt only when its
// signature changes (keyed reconciliation keeps scroll, focus and editors).
import { h, avatar, icon, fmtTime, fmtDay, fmtFull, dayKey, fmtSize, toast, openPop, closePop, arrowNav } from './dom.js';
import { render as md } from './md.js';
import { api, fileUrl } from './api.js';
import { S, changed, userName, applyReaction } from './state.js';
import { confirmDialog } from './dialogs.js';

const EMOJI = {
  Frequent: '👍 ❤️ 😂 🎉 😮 👀 🙏 ✅',
  Smileys: '😀 😃 😄 😁 😆 😅 🤣 🙂 🙃 😉 😊 😇 🥰 😍 🤩 😘 😋 😛 😜 🤪 🤗 🤔 🤨 😐 😑 😶 🙄 😏 😬 😌 😔 😴 😷 🤒 🤯 🥳 😎 🤓 😕 😟 😲 😳 🥺 😢 😭 😱 😤 😡',
  Gestures: '👎 👌 ✌️ 🤞 🤙 👋 👏 🙌 💪 🤝 ✋ 👉 👆 🤘',
  Symbols: '🧡 💛 💚 💙 💜 🖤 💔 💯 ❌ ⚠️ ❓ ❗ ⭐ 🔥 ✨ 💥 💡 🎯 ➕ 🆗',
  Things: '🎊 🎁 🏆 🥇 🚀 ⏰ 📌 📎 📝 📅 💻 🔧 🐛 🔒 ☕ 🍕 🍺 🍰 🎵 📈',
  Nature: '🌞 🌙 🌈 ☔ ❄️ 🌱 🌸 🍀 🐶 🐱 🦄 🐢',
};
export const hooks = { openThread: null, retry: null, discard: null };

export function mdContext(chat) {
  const names = (chat?.chat_members || [...S.users.keys()]).map((id) => S.users.get(id)?.fullname?.toLowerCase()).filter(Boolean);
  names.sort((a, b) => b.length - a.length);
  return { names, me: S.me.fullname.toLowerCase() };
}

function fileEl(f) {
  const url = fileUrl(f.url);
  if (/^image\/(png|jpeg|gif|webp)$/.test(f.mime_type)) {
    const img = h('img', { src: url, alt: f.filename || 'image', loading: 'lazy', class: 'file-img' });
    img.addEventListener('load', () => changed('imgload'));
    return h('a', { href: url, target: '_blank', rel: 'noopener', class: 'file-preview', 'aria-label': `Open ${f.filename}` }, img);
  }
  return h('a', { href: url, class: 'file-link', download: f.filename || '', rel: 'noopener' },
    icon('file'), h('span', { class: 'file-name', text: f.filename || 'file' }), h('span', { class: 'file-size', text: fmtSize(f.size || 0) }));
}

function reactionsEl(m, chatId) {
  return h('div', { class: 'reactions' }, (m.reactions || []).map((r) => {
    const who = r.me ? (r.count > 1 ? `You and ${r.count - 1} other${r.count > 2 ? 's' : ''}` : 'You') : `${r.count} ${r.count > 1 ? 'people' : 'person'}`;
    return h('button', {
      class: `reaction${r.me ? ' me' : ''}`, 'aria-pressed': r.me ? 'true' : 'false', title: `${who} reacted with ${r.emoji}`,
      'aria-label': `${r.emoji} ${r.count} ${r.me ? '(you reacted; remove)' : '(add)'}`,
      onclick: () => toggleReaction(chatId, m, r.emoji),
    }, h('span', { text: r.emoji }), h('span', { class: 'count', text: r.count }));
  }));
}

export async function toggleReaction(chatId, m, emoji) {
  const mine = (m.reactions || []).find((r) => r.emoji === emoji)?.me;
  try {
    const res = mine
      ? await api('DELETE', `/api/chat/${chatId}/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`)
      : await api('POST', `/api/chat/${chatId}/messages/${m.id}/reactions`, { emoji });
    if (Array.isArray(res)) m.reactions = res;
    else applyReaction(m, emoji, S.me.id, !mine);
    changed('message', m);
  } catch (e) { toast(e.message, 'error'); }
}

export function openPicker(anchor, onPick) {
  const el = h('div', { class: 'picker', role: 'menu', 'aria-label': 'Add reaction' },
    Object.entries(EMOJI).map(([cat, list]) => [h('div', { class: 'picker-cat', text: cat }),
      h('div', { class: 'picker-grid', role: 'group', 'aria-label': cat }, list.split(' ').map((e) =>
        h('button', { role: 'menuitem', 'aria-label': `React ${e}`, title: e, text: e, onclick: () => { closePop(); onPick(e); } })))]));
  el.addEventListener('keydown', (e) => arrowNav(el, e));
  openPop(anchor, el).querySelector('button').focus();
}

export function startEdit(m) {
  S.editing = { id: m.id, draft: m.content };
  changed('message', m);
}

async function saveEdit(chatId, m, text) {
  const content = text.trim();
  S.editing = null;
  if (!content || content === m.content) { changed('message', m); return; }
  try {
    const nm = await api('PATCH', `/api/chat/${chatId}/messages/${m.id}`, { content });
    Object.assign(m, nm);
  } catch (e) { toast(e.message, 'error'); }
  changed('message', m);
}

function editor(chatId, m) {
  const ta = h('textarea', { class: 'edit-box', 'aria-label': 'Edit message', rows: 2 });
  ta.value = S.editing.draft;
  ta.addEventListener('input', () => { S.editing.draft = ta.value; });
  const cancel = () => { S.editing = null; changed('message', m); };
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); saveEdit(chatId, m, ta.value); }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); cancel(); }
  });
  requestAnimationFrame(() => { if (ta.isConnected && document.activeElement !== ta) { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); } });
  return h('div', { class: 'editor' }, ta,
    h('div', { class: 'edit-actions' },
      h('span', { class: 'hint', text: 'Enter to save · Esc to cancel' }),
      h('button', { class: 'btn small ghost', text: 'Cancel', onclick: cancel }),
      h('button', { class: 'btn small primary', text: 'Save', onclick: () => saveEdit(chatId, m, ta.value) })));
}

async function del(chatId, m) {
  if (!(await confirmDialog('Delete message?', 'This message will be removed for everyone.', 'Delete'))) return;
  try {
    const t = await api('DELETE', `/api/chat/${chatId}/messages/${m.id}`);
    Object.assign(m, t, { deleted: true });
    changed('message', m);
  } catch (e) { toast(e.message, 'error'); }
}

export function canModerate(chat) { return chat && (chat.my_role === 'owner' || chat.my_role === 'admin'); }

// m: message or pending entry; opts: {grouped, inThread, chat}
export function messageEl(m, { grouped, inThread, chat }) {
  const chatId = m.chat_id;
  const mine = m.sender_id === S.me.id;
  const pending = !!m.pending;
  const name = m.sender?.fullname || userName(m.sender_id);
  const cls = ['msg', grouped && 'grouped', mine && 'mine', pending && 'pending', m.failed && 'failed', m.deleted && 'deleted'].filter(Boolean).join(' ');
  const el = h('div', { class: cls, id: m.id ? `m-${m.id}` : `p-${m.key}`, role: 'article', 'aria-label': `${name}, ${fmtTime(m.created_at)}`, dataset: { id: m.id || '' } });
  el.append(h('div', { class: 'gutter' }, grouped ? h('time', { class: 'hover-time', datetime: m.created_at, title: fmtFull(m.created_at), text: fmtTime(m.created_at) }) : avatar(name, m.sender_id)));
  const main = h('div', { class: 'msg-main' });
  if (!grouped) {
    main.append(h('div', { class: 'msg-head' },
      h('span', { class: 'author', text: name }),
      h('time', { datetime: m.created_at, title: fmtFull(m.created_at), text: fmtTime(m.created_at) })));
  }
  if (m.deleted) {
    main.append(h('div', { class: 'body tomb', text: 'This message was deleted.' }));
  } else if (S.editing?.id === m.id && m.id) {
    main.append(editor(chatId, m));
  } else {
    if (m.content) {
      const body = h('div', { class: 'body' }, md(m.content, mdContext(chat)));
      if (m.edited_at) body.append(h('span', { class: 'edited', title: fmtFull(m.edited_at), text: ' (edited)' }));
      main.append(body);
    }
    if (m.files?.length) main.append(h('div', { class: 'files' }, m.files.map(fileEl)));
    if (m.reactions?.length) main.append(reactionsEl(m, chatId));
    if (!inThread && m.reply_count > 0) {
      main.append(h('button', { class: 'thread-link', onclick: () => hooks.openThread(chatId, m.id) },
        icon('thread'), `${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'}`));
    }
  }
  if (pending) {
    main.append(h('div', { class: 'send-state', role: m.failed ? 'alert' : 'status' },
      m.failed ? [h('span', { text: `Not sent: ${m.error || 'failed'}` }),
        h('button', { class: 'link-btn', text: 'Retry', onclick: () => hooks.retry(m.key) }),
        h('button', { class: 'link-btn', text: 'Discard', onclick: () => hooks.discard(m.key) })]
        : 'Sending…'));
  }
  el.append(main);
  if (!pending && !m.deleted) {
    const bar = h('div', { class: 'msg-actions', role: 'toolbar', 'aria-label': 'Message actions' });
    const react = h('button', { class: 'icon-btn', 'aria-label': 'Add reaction', title: 'Add reaction' }, icon('smile'));
    react.addEventListener('click', () => openPicker(react, (e) => toggleReaction(chatId, m, e)));
    bar.append(react);
    if (!inThread) bar.append(h('button', { class: 'icon-btn', 'aria-label': 'Reply in thread', title: 'Reply in thread', onclick: () => hooks.openThread(chatId, m.id) }, icon('thread')));
    if (mine) bar.append(h('button', { class: 'icon-btn', 'aria-label': 'Edit message', title: 'Edit', onclick: () => startEdit(m) }, icon('edit')));
    if (mine || canModerate(chat)) bar.append(h('button', { class: 'icon-btn danger', 'aria-label': 'Delete message', title: 'Delete', onclick: () => del(chatId, m) }, icon('trash')));
    el.append(bar);
  }
  return el;
}

function sig(m, grouped) {
  return [m.id, m.key, m.content, m.edited_at, m.deleted, m.reply_count, grouped, m.pending, m.failed, m.error,
    S.editing?.id === m.id, JSON.stringify(m.reactions || []), (m.files || []).length, m.sender?.fullname, S.users.get(m.sender_id)?.avatar_url].join('\u0001');
}

// Items (day separators and messages) for a list of messages, oldest first.
export function items(msgs, opts) {
  const out = [];
  let prev = null;
  for (const m of msgs) {
    const day = dayKey(m.created_at);
    if (!prev || dayKey(prev.created_at) !== day) {
      out.push({ key: `d${day}`, sig: day, build: () => h('div', { class: 'day', role: 'separator' }, h('span', { text: fmtDay(m.created_at) })) });
      prev = null;
    }
    const grouped = !!prev && prev.sender_id === m.sender_id && !prev.deleted && !m.deleted &&
      new Date(m.created_at) - new Date(prev.created_at) < 5 * 60000;
    out.push({ key: m.id ? `m${m.id}` : `p${m.key}`, sig: sig(m, grouped), build: () => messageEl(m, { ...opts, grouped }) });
    prev = m;
  }
  return out;
}

export function reconcile(container, list) {
  const cache = container._cache || new Map();
  const next = new Map();
  const nodes = list.map((it) => {
    let el = cache.get(it.key);
    if (!el || el._sig !== it.sig) { el = it.build(); el._sig = it.sig; }
    next.set(it.key, el);
    return el;
  });
  const keep = new Set(nodes);
  for (const c of [...container.children]) if (!keep.has(c)) c.remove();
  let ref = container.firstChild;
  for (const el of nodes) {
    if (el === ref) ref = ref.nextSibling;
    else container.insertBefore(el, ref);
  }
  container._cache = next;
}

// Re-render a scrolling list keeping what the reader looks at in place.
export function renderScrolled(scroller, container, list, { stick }) {
  let anchor = null;
  let offset = 0;
  if (!stick) {
    const top = scroller.scrollTop;
    for (const c of container.children) {
      if (c.offsetTop + c.offsetHeight > top) { anchor = c; offset = c.offsetTop - top; break; }
    }
  }
  const key = anchor && [...(container._cache || new Map())].find(([, v]) => v === anchor)?.[0];
  reconcile(container, list);
  if (stick) scroller.scrollTop = scroller.scrollHeight;
  else if (key) {
    const el = container._cache.get(key);
    if (el) scroller.scrollTop = el.offsetTop - offset;
  }
}
