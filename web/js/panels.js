// The side panel on the right of the open chat: the members panel (about,
// members with roles, add, remove, leave) and the search panel (query,
// filters, paged results). Threads use the same shell (chatview.js fills it).
// Owns: the panel element and its shell (title, close button), S.panel for
//   kinds 'members' and 'search' ('thread' belongs to chatview.js).
// Exports: panelView() (builds the element, once per layout), panelShell,
//   closePanel, togglePanel(kind), renderMembers(fetchIt), openSearch({q, chat}),
//   hooks.dropChat (set by chatview.js: forget a chat we left or lost).
// Reads: S.open, S.chats, S.users, S.presence, S.me, S.panel; toggles
//   #app.with-panel. A search hit navigates by location.hash.
import { h, $, clear, avatar, icon, toast, fmtTime } from './dom.js';
import { api } from './api.js';
import { S, chatName, isChannel, userName } from './state.js';
import { canModerate } from './messages.js';
import { snippet } from './md.js';
import { confirmDialog, chatSettingsDialog } from './dialogs.js';

export const hooks = { dropChat: null };
const V = {}; // the panel element

export function panelView() {
  V.panel = h('aside', { class: 'panel', 'aria-label': 'Details', hidden: true });
  return V.panel;
}

export function panelShell(title, body, extra) {
  const close = h('button', { class: 'icon-btn', 'aria-label': 'Close panel', title: 'Close (Esc)', onclick: closePanel }, icon('x'));
  V.panel.replaceChildren(h('header', { class: 'panel-head' }, h('h2', { text: title }), extra, close), body);
  V.panel.hidden = false;
  $('#app').classList.add('with-panel');
}

export function closePanel() {
  S.panel = null;
  if (!V.panel) return;
  V.panel.hidden = true;
  clear(V.panel);
  $('#app').classList.remove('with-panel');
}

export function togglePanel(kind) {
  if (S.panel?.kind === kind) { closePanel(); return; }
  if (kind === 'members') openMembers();
}

// members
async function openMembers() {
  S.panel = { kind: 'members' };
  renderMembers(true);
}

export async function renderMembers(fetchIt) {
  const c = S.chats.get(S.open);
  if (!c || S.panel?.kind !== 'members') return;
  if (fetchIt) {
    try { S.panel.members = await api('GET', `/api/chat/${c.id}/members`); } catch (e) { toast(e.message, 'error'); S.panel.members = []; }
  }
  if (S.panel?.kind !== 'members') return;
  const mod = canModerate(c) && c.chat_type !== 'Single';
  const owner = c.my_role === 'owner' && c.chat_type !== 'Single';
  const order = { owner: 0, admin: 1, member: 2 };
  const members = [...S.panel.members].sort((a, b) => order[a.role] - order[b.role] || a.fullname.localeCompare(b.fullname));
  const listEl = h('ul', { class: 'member-list', 'aria-label': 'Members' });
  for (const m of members) {
    const st = S.presence.get(m.user_id) || 'offline';
    const self = m.user_id === S.me.id;
    let role = h('span', { class: `pill role-${m.role}`, text: m.role });
    if (owner && !self) {
      role = h('select', { class: 'input-sm role-sel', 'aria-label': `Role of ${m.fullname}` }, ['member', 'admin', 'owner'].map((r) => h('option', { value: r, text: r })));
      role.value = m.role;
      role.addEventListener('change', async () => {
        try { await api('PATCH', `/api/chat/${c.id}/members/${m.user_id}`, { role: role.value }); toast(`${m.fullname} is now ${role.value}`, 'ok'); } catch (e) { toast(e.message, 'error'); }
        renderMembers(true);
      });
    }
    listEl.append(h('li', { class: 'member' },
      h('span', { class: 'av-wrap' }, avatar(m.fullname, m.user_id, 'sm', m.avatar_url), h('span', { class: `dot ${st}` })),
      h('span', { class: 'grow' }, h('span', { class: 'strong', text: m.fullname + (self ? ' (you)' : '') }), h('span', { class: 'muted small block', text: st })),
      role,
      mod && !self && !(c.my_role === 'admin' && m.role === 'owner')
        ? h('button', { class: 'icon-btn tiny danger', 'aria-label': `Remove ${m.fullname}`, title: 'Remove from conversation', onclick: async () => {
          if (!(await confirmDialog(`Remove ${m.fullname}?`, `${m.fullname} will no longer see ${chatName(c)}.`, 'Remove'))) return;
          try { await api('DELETE', `/api/chat/${c.id}/members/${m.user_id}`); renderMembers(true); } catch (e) { toast(e.message, 'error'); }
        } }, icon('x')) : null));
  }
  const body = h('div', { class: 'members-panel' });
  if (c.description || isChannel(c)) body.append(h('div', { class: 'about' }, h('h3', { text: 'About' }), h('p', { text: c.description || 'No description.' })));
  body.append(h('h3', { text: `Members · ${members.length}` }), listEl);
  if (mod) {
    const inChat = new Set(members.map((m) => m.user_id));
    // a re-render (presence, a member event) keeps the person already chosen
    const chosen = document.querySelector('.panel select[aria-label="Person to add"]')?.value || '';
    const sel = h('select', { 'aria-label': 'Person to add' }, h('option', { value: '', text: 'Add someone…' }),
      [...S.users.values()].filter((u) => !inChat.has(u.id) && u.status !== 'Suspended').sort((a, b) => a.fullname.localeCompare(b.fullname))
        .map((u) => h('option', { value: String(u.id), text: u.fullname })));
    if ([...sel.options].some((o) => o.value === chosen)) sel.value = chosen;
    const add = h('form', { class: 'inline-form' }, sel, h('button', { type: 'submit', class: 'btn small primary', text: 'Add' }));
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!sel.value) return;
      try { await api('POST', `/api/chat/${c.id}/members`, { user_ids: [Number(sel.value)] }); renderMembers(true); } catch (ex) { toast(ex.message, 'error'); }
    });
    body.append(add);
  }
  if (c.chat_type !== 'Single') {
    body.append(h('div', { class: 'actions split' },
      h('button', { class: 'btn ghost danger-text', text: `Leave ${isChannel(c) ? 'channel' : 'group'}`, onclick: async () => {
        if (!(await confirmDialog(`Leave ${chatName(c)}?`, 'You can rejoin public channels at any time; private ones need an invitation.', 'Leave'))) return;
        try { await api('POST', `/api/chat/${c.id}/leave`); hooks.dropChat(c.id); } catch (e) { toast(e.message, 'error'); }
      } }),
      mod ? h('button', { class: 'btn ghost', text: 'Settings', onclick: () => chatSettingsDialog(c, hooks.dropChat) }) : null));
  }
  panelShell(chatName(c), body);
}

// search: the query and its filters live in the panel; "More results" pages on
const dayMs = (v, end) => (v ? new Date(`${v}T00:00`).getTime() + (end ? 86400000 : 0) : '');
export function openSearch({ q = '', chat = '' } = {}) {
  if (S.panel?.kind !== 'search') {
    const F = {};
    const opt = (v, t) => h('option', { value: String(v), text: t });
    F.q = h('input', { type: 'search', name: 'q', 'aria-label': 'Search for', placeholder: 'Words, "a phrase", a name', enterkeyhint: 'search' });
    F.chat = h('select', { name: 'chat', 'aria-label': 'In conversation' }, opt('', 'All conversations'),
      [...S.chats.values()].sort((a, b) => chatName(a).localeCompare(chatName(b))).map((c) => opt(c.id, `${isChannel(c) ? '#' : ''}${chatName(c)}`)));
    F.sender = h('select', { name: 'sender', 'aria-label': 'From' }, opt('', 'Anyone'),
      [...S.users.values()].sort((a, b) => a.fullname.localeCompare(b.fullname)).map((u) => opt(u.id, u.id === S.me.id ? `${u.fullname} (you)` : u.fullname)));
    F.after = h('input', { type: 'date', name: 'after', 'aria-label': 'From date' });
    F.before = h('input', { type: 'date', name: 'before', 'aria-label': 'To date' });
    F.sort = h('select', { name: 'sort', 'aria-label': 'Sort by' }, opt('relevance', 'Best match'), opt('date', 'Newest first'));
    const form = h('form', { class: 'filters', role: 'search' }, F.q,
      h('div', { class: 'filter-row' }, F.chat, F.sender),
      h('div', { class: 'filter-row' }, h('label', { class: 'date' }, h('span', { text: 'From' }), F.after), h('label', { class: 'date' }, h('span', { text: 'To' }), F.before)),
      h('div', { class: 'filter-row' }, F.sort, h('button', { type: 'reset', class: 'btn small ghost', text: 'Clear filters' })));
    form.addEventListener('submit', (e) => { e.preventDefault(); runSearch(); });
    form.addEventListener('change', (e) => { if (e.target !== F.q) runSearch(); });
    form.addEventListener('reset', () => setTimeout(() => { F.q.value = S.panel.q; runSearch(); }));
    const status = h('p', { class: 'muted small search-status', role: 'status' });
    const results = h('div', { class: 'results', role: 'list', 'aria-label': 'Search results' });
    const more = h('button', { class: 'btn small more', text: 'More results', hidden: true, onclick: () => runSearch(true) });
    S.panel = { kind: 'search', F, status, results, more, q };
    panelShell('Search', h('div', { class: 'search-panel' }, form, status, results, more));
  }
  const p = S.panel;
  p.F.q.value = q || p.F.q.value;
  if (chat !== undefined) p.F.chat.value = String(chat);
  if (p.F.q.value.trim()) runSearch(); else p.F.q.focus();
}

async function runSearch(append) {
  const p = S.panel;
  if (p?.kind !== 'search') return;
  const { F } = p;
  p.q = F.q.value.trim();
  if (!p.q) { p.status.textContent = 'Type something to search for.'; p.results.replaceChildren(); p.more.hidden = true; return; }
  const args = { q: p.q, chat_id: F.chat.value, sender_id: F.sender.value, after: dayMs(F.after.value), before: dayMs(F.before.value, true), sort: F.sort.value, limit: 20, offset: append ? p.offset + 20 : 0 };
  const qs = new URLSearchParams(Object.entries(args).filter(([, v]) => v !== '')).toString();
  p.qs = qs;
  p.results.setAttribute('aria-busy', 'true');
  if (!append) p.status.textContent = 'Searching…';
  try {
    const r = await api('GET', `/api/search/messages?${qs}`);
    if (S.panel !== p || p.qs !== qs) return;
    p.offset = args.offset;
    if (!append) p.results.replaceChildren();
    const n = r.total ?? r.hits.length;
    p.status.textContent = `${n} result${n === 1 ? '' : 's'}${r.took_ms !== undefined ? ` · ${Math.round(r.took_ms)} ms` : ''}`;
    for (const hit of r.hits || []) {
      const who = hit.sender_name || userName(hit.sender_id);
      p.results.append(h('button', { class: 'hit', role: 'listitem', onclick: () => { location.hash = `#/chat/${hit.chat_id}/m/${hit.id}`; if (matchMedia('(max-width: 760px)').matches) closePanel(); } },
        h('div', { class: 'hit-head' }, avatar(who, hit.sender_id, 'xs'), h('span', { class: 'strong', text: who }),
          h('span', { class: 'muted small ellipsis grow', text: `in ${hit.chat_name || chatName(S.chats.get(hit.chat_id))}` }),
          h('time', { class: 'muted small', datetime: hit.created_at, title: new Date(hit.created_at).toLocaleString(), text: `${new Date(hit.created_at).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${fmtTime(hit.created_at)}` })),
        h('div', { class: 'snippet' }, snippet(hit.snippet || hit.content || ''))));
    }
    p.more.hidden = !r.page?.has_more;
  } catch (e) {
    if (S.panel !== p) return;
    p.status.textContent = '';
    p.results.replaceChildren(h('p', { class: 'form-error', role: 'alert', text: e.message }));
    p.more.hidden = true;
  } finally { p.results.removeAttribute('aria-busy'); }
}
