// Boot and wiring: session start and end (sign-in screens, refresh, sign
// out), the page layout (sidebar.js | chatview.js | panels.js), and the
// real-time events that concern several of them (connection status, own
// presence, others' presence, read marks, chats and members changing).
// Owns: S.me, S.workspace, S.conn; the session lifetime (rt started after
//   sign-in, stopped and the state cleared on sign-out or a lost session).
// Reads: the real-time events status, open, presence, read, chat_created,
//   chat_updated, chat_deleted, member_joined, member_left; visibilitychange.
// Exports nothing; window.__fechatter = { S, rt } for tests and debugging.
import { $, clear, toast } from './dom.js';
import { api, refresh, setSession, clearSession, onAuth } from './api.js';
import { rt } from './ws.js';
import { S, changed, loadUsers, loadChats, loadPresence, fetchChat } from './state.js';
import { showAuth, showSetup, setupInfo, setPasswordToken, showSetPassword } from './auth.js';
import { sidebarView, renderSidebar, renderConn, autoStatus } from './sidebar.js';
import { chatView, route, renderChat, renderHead, markRead, dropChat, resendOutbox, catchUp } from './chatview.js';
import { panelView, renderMembers } from './panels.js';

window.__fechatter = { S, rt }; // for tests and debugging

// ------------------------------------------------------------ boot
async function boot() {
  const link = setPasswordToken();
  if (link) { showSetPassword(start, link); return; }
  try {
    const auth = await refresh();
    await start(auth);
  } catch {
    const info = /^#\/invite\//.test(location.hash) ? null : await setupInfo();
    if (info?.needs_owner) showSetup(start, info);
    else showAuth(start);
  }
}

onAuth((what) => {
  if (what === 'lost' && S.me) { teardown(); showAuth(start, 'signin', 'Your session has ended. Please sign in again.'); }
});

async function start(auth) {
  setSession(auth);
  S.me = { ...auth.user };
  S.workspace = auth.workspace;
  $('#auth').hidden = true;
  layout();
  $('#app').hidden = false;
  try {
    await Promise.all([loadUsers(), loadChats(), loadPresence()]);
    api('GET', '/api/workspace').then((w) => { S.workspace = w; renderSidebar(); }).catch(() => {});
  } catch (e) { toast(e.message, 'error'); }
  rt.start();
  route();
  document.documentElement.dataset.ready = '1';
  if (!performance.getEntriesByName('fechatter-ready').length) performance.mark('fechatter-ready');
}

function teardown() {
  rt.stop();
  clearSession();
  S.me = null; S.open = null; S.panel = null; S.chats.clear(); S.msgs.clear(); S.outbox.clear(); S.users.clear();
  delete document.documentElement.dataset.ready;
  clear($('#app'));
}

async function signOut(all) {
  try { await api('POST', all ? '/api/logout-all' : '/api/logout', all ? undefined : {}); } catch { /* signing out anyway */ }
  if (all) { try { await api('POST', '/api/logout', {}); } catch { /* already revoked */ } }
  teardown();
  history.replaceState(null, '', '#/');
  showAuth(start);
}

// ------------------------------------------------------------ layout
function layout() {
  const app = clear($('#app'));
  app.append(sidebarView(signOut), chatView(), panelView());
  renderSidebar();
  renderChat();
}

// ------------------------------------------------------------ real time
rt.on('status', (s) => { S.conn = s; renderConn(); });
rt.on('open', async ({ reconnect }) => {
  rt.send({ op: 'presence', status: autoStatus() });
  S.presence.set(S.me.id, autoStatus());
  resendOutbox();
  if (reconnect) await catchUp();
});
rt.on('presence', (ev) => {
  S.presence.set(ev.user_id, ev.status);
  renderSidebar();
  if (ev.user_id === S.me.id) return;
  const c = S.chats.get(S.open);
  if (c) renderHead(c);
  if (S.panel?.kind === 'members') renderMembers();
});
rt.on('read', (ev) => {
  if (ev.user_id !== S.me.id) return;
  const c = S.chats.get(ev.chat_id);
  if (c && (c.unread_count || c.mention_count)) { c.unread_count = 0; c.mention_count = 0; renderSidebar(); }
});
rt.on('chat_created', (ev) => fetchChat(ev.chat_id));
rt.on('chat_updated', async (ev) => { await fetchChat(ev.chat_id); if (ev.chat_id === S.open) renderChat(); });
rt.on('chat_deleted', (ev) => dropChat(ev.chat_id));
rt.on('member_joined', async (ev) => {
  if (ev.user_id === S.me.id || !S.chats.has(ev.chat_id)) { fetchChat(ev.chat_id); return; }
  if (!S.users.has(ev.user_id)) await loadUsers().catch(() => {});
  const c = S.chats.get(ev.chat_id);
  if (!c.chat_members.includes(ev.user_id)) { c.chat_members.push(ev.user_id); c.member_count = c.chat_members.length; }
  changed('chats');
  if (ev.chat_id === S.open) { renderHead(c); if (S.panel?.kind === 'members') renderMembers(true); }
});
rt.on('member_left', (ev) => {
  if (ev.user_id === S.me.id) { dropChat(ev.chat_id); return; }
  const c = S.chats.get(ev.chat_id);
  if (!c) return;
  c.chat_members = c.chat_members.filter((id) => id !== ev.user_id);
  c.member_count = c.chat_members.length;
  changed('chats');
  if (ev.chat_id === S.open) { renderHead(c); if (S.panel?.kind === 'members') renderMembers(true); }
});
document.addEventListener('visibilitychange', () => {
  if (!S.me) return;
  rt.send({ op: 'presence', status: autoStatus() });
  if (!document.hidden) markRead(S.open);
});

boot();
