// The sidebar: workspace name, message search box, the chat list in three
// sections (channels, groups, direct messages) with unread and mention badges
// and presence dots, and the box of the signed-in person (own status menu,
// connection state, administration and account buttons). Also the unread
// total in the document title.
// Owns: the sidebar element; the hand-chosen "away" (localStorage
//   fechatter.away), sent with POST /api/realtime/presence.
// Exports: sidebarView(signOut) (builds the element, once per layout),
//   renderSidebar(), renderConn(), autoStatus() (the status to announce:
//   away when chosen or when the page is hidden), searchText().
// Reads: S.workspace, S.chats, S.open, S.users, S.presence, S.me, S.conn;
//   re-renders on the state events 'chats', 'users' and 'presence'.
import { h, clear, avatar, icon, toast, openPop, closePop, arrowNav } from './dom.js';
import { api } from './api.js';
import { S, on, chatName, isChannel, dmPeer, isAdmin, userName, lastActivity } from './state.js';
import { newChatDialog, browseDialog, settingsDialog, adminDialog } from './dialogs.js';
import { openSearch } from './panels.js';

const V = {}; // sidebar elements
let onSignOut = null; // from main.js, for the account dialog

export function sidebarView(signOut) {
  V.search = h('input', { type: 'search', class: 'search-input', placeholder: 'Search messages', 'aria-label': 'Search messages', enterkeyhint: 'search' });
  V.search.addEventListener('keydown', (e) => { if (e.key === 'Enter' && V.search.value.trim()) { e.preventDefault(); openSearch({ q: V.search.value.trim() }); } });
  V.nav = h('nav', { class: 'nav', 'aria-label': 'Conversations' });
  V.wsName = h('span', { class: 'ws-name' });
  V.conn = h('span', { class: 'conn', role: 'status', 'aria-live': 'polite' });
  V.meBox = h('div', { class: 'mebox' });
  onSignOut = signOut;
  V.sidebar = h('aside', { class: 'sidebar', 'aria-label': 'Sidebar' },
    h('header', { class: 'side-head' }, h('span', { class: 'logo', 'aria-hidden': 'true', text: 'F' }), V.wsName,
      h('button', { class: 'icon-btn', 'aria-label': 'New conversation', title: 'New conversation', onclick: () => newChatDialog() }, icon('plus'))),
    h('div', { class: 'search' }, icon('search'), V.search),
    V.nav, V.meBox);
  return V.sidebar;
}

// the text in the search box (the chat header's search button starts from it)
export const searchText = () => V.search.value.trim();

function chatIcon(c) {
  if (c.chat_type === 'Single') {
    const peer = dmPeer(c);
    const a = avatar(userName(peer), peer, 'xs');
    return h('span', { class: 'av-wrap' }, a, h('span', { class: `dot ${S.presence.get(peer) || 'offline'}`, 'aria-hidden': 'true' }));
  }
  if (c.chat_type === 'Group') return h('span', { class: 'nav-icon' }, icon('users'));
  return h('span', { class: 'nav-icon' }, icon(c.chat_type === 'PrivateChannel' ? 'lock' : 'hash'));
}

function navItem(c) {
  const unread = c.id !== S.open ? c.unread_count || 0 : 0;
  const mentions = c.id !== S.open ? c.mention_count || 0 : 0;
  const name = chatName(c);
  let label = name;
  if (c.chat_type === 'Single') label += `, ${S.presence.get(dmPeer(c)) || 'offline'}`;
  if (unread) label += `, ${unread} unread`;
  if (mentions) label += `, ${mentions} mention${mentions > 1 ? 's' : ''}`;
  return h('a', {
    href: `#/chat/${c.id}`, class: `nav-item${c.id === S.open ? ' active' : ''}${unread ? ' unread' : ''}`,
    'aria-current': c.id === S.open ? 'page' : undefined, 'aria-label': label, dataset: { chat: c.id },
  }, chatIcon(c), h('span', { class: 'nav-name', text: name }),
  mentions ? h('span', { class: 'badge mention', title: 'Mentions', text: `@${mentions}` }) : null,
  unread ? h('span', { class: 'badge', title: 'Unread', text: unread > 99 ? '99+' : unread }) : null);
}

function section(title, chats, addLabel, onAdd, extra) {
  const sec = h('section', { class: 'nav-sec', 'aria-label': title },
    h('div', { class: 'nav-title' }, h('span', { text: title }),
      h('button', { class: 'icon-btn tiny', 'aria-label': addLabel, title: addLabel, onclick: onAdd }, icon('plus'))));
  for (const c of chats) sec.append(navItem(c));
  if (extra) sec.append(extra);
  return sec;
}

export function renderSidebar() {
  if (!V.nav) return;
  V.wsName.textContent = S.workspace?.name || 'Fechatter';
  const focused = document.activeElement?.dataset?.chat;
  const all = [...S.chats.values()];
  const byName = (a, b) => chatName(a).localeCompare(chatName(b));
  const byRecent = (a, b) => lastActivity(b).localeCompare(lastActivity(a));
  clear(V.nav).append(
    section('Channels', all.filter(isChannel).sort(byName), 'Create channel', () => newChatDialog('channel'),
      h('button', { class: 'nav-item subtle', onclick: () => browseDialog() }, h('span', { class: 'nav-icon' }, icon('compass')), h('span', { class: 'nav-name', text: 'Browse channels' }))),
    section('Groups', all.filter((c) => c.chat_type === 'Group').sort(byRecent), 'Create group', () => newChatDialog('group')),
    section('Direct messages', all.filter((c) => c.chat_type === 'Single').sort(byRecent), 'New direct message', () => newChatDialog('dm')));
  if (focused) V.nav.querySelector(`[data-chat="${focused}"]`)?.focus();
  V.meBox.replaceChildren(...[
    h('button', { class: 'me-btn', 'aria-label': 'Set your status', 'aria-haspopup': 'menu', title: 'Set your status', onclick: (e) => statusMenu(e.currentTarget) },
      h('span', { class: 'av-wrap' }, avatar(S.me.fullname, S.me.id, 'sm'), h('span', { class: 'dot' })),
      h('span', { class: 'me-text' }, h('span', { class: 'strong block', text: S.me.fullname }), V.conn)),
    isAdmin() ? h('button', { class: 'icon-btn', 'aria-label': 'Administration', title: 'Administration', onclick: adminDialog }, icon('shield')) : null,
    h('button', { class: 'icon-btn', 'aria-label': 'Account settings', title: 'Account', onclick: () => settingsDialog(onSignOut) }, icon('sliders'))].filter(Boolean));
  renderConn();
  const total = all.reduce((n, c) => n + (c.id !== S.open ? c.unread_count || 0 : 0), 0);
  document.title = `${total ? `(${total}) ` : ''}${S.open && S.chats.get(S.open) ? `${chatName(S.chats.get(S.open))} · ` : ''}Fechatter`;
}

const myStatus = () => (S.conn === 'online' ? S.presence.get(S.me.id) || 'online' : 'offline');
export function renderConn() {
  if (!V.conn) return;
  V.conn.textContent = S.conn === 'online' ? (myStatus() === 'away' ? 'Away' : 'Online')
    : { connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline' }[S.conn];
  V.conn.className = `conn ${S.conn}`;
  V.meBox.querySelector('.dot')?.setAttribute('class', `dot ${myStatus()}`);
}

// ------------------------------------------------------------ own status
// "away" chosen by hand sticks (across reloads) until "online" is chosen;
// otherwise the status follows the visibility of the page.
const wantAway = () => localStorage.getItem('fechatter.away') === '1';
export const autoStatus = () => (wantAway() || document.hidden ? 'away' : 'online');

async function setStatus(status) {
  if (status === 'away') localStorage.setItem('fechatter.away', '1'); else localStorage.removeItem('fechatter.away');
  try {
    await api('POST', '/api/realtime/presence', { status });
    S.presence.set(S.me.id, status);
    renderSidebar();
  } catch (e) { toast(e.message, 'error'); }
}

function statusMenu(anchor) {
  const cur = myStatus();
  const el = h('div', { class: 'menu', role: 'menu', 'aria-label': 'Your status' },
    [['online', 'Online', 'Active; away when this tab is hidden'], ['away', 'Away', 'Until you switch back']].map(([v, label, hint]) =>
      h('button', { role: 'menuitemradio', 'aria-checked': String(cur === v), onclick: () => { closePop(); setStatus(v); } },
        h('span', { class: `dot ${v}` }), h('span', { class: 'grow' }, h('span', { class: 'block', text: label }), h('span', { class: 'muted small', text: hint })))));
  el.addEventListener('keydown', (e) => arrowNav(el, e));
  openPop(anchor, el);
  (el.querySelector('[aria-checked=true]') || el.firstChild).focus();
}

on('chats', () => renderSidebar());
on('users', () => renderSidebar());
on('presence', () => renderSidebar());
