// Modal dialogs (<dialog>: focus trap and Escape for free): confirm, new
// chat, browse channels, chat settings, account, workspace administration.
import { h, icon, avatar, toast, fmtFull, clear } from './dom.js';
import { api, setSession, upload } from './api.js';
import { S, upsertChat, loadUsers, changed, chatName } from './state.js';

export function modal(title, body, { wide, label } = {}) {
  const close = h('button', { class: 'icon-btn', 'aria-label': 'Close', onclick: () => dlg.close() }, icon('x'));
  const dlg = h('dialog', { class: `modal${wide ? ' wide' : ''}`, 'aria-label': label || title },
    h('header', { class: 'modal-head' }, h('h2', { text: title }), close), h('div', { class: 'modal-body' }, body));
  dlg.addEventListener('close', () => dlg.remove());
  dlg.addEventListener('click', (e) => { if (e.target === dlg) dlg.close(); });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

export function confirmDialog(title, text, yes = 'OK') {
  return new Promise((resolve) => {
    let ok = false;
    const dlg = modal(title, [
      h('p', { text }),
      h('div', { class: 'actions' },
        h('button', { class: 'btn ghost', text: 'Cancel', onclick: () => dlg.close() }),
        h('button', { class: 'btn danger', text: yes, onclick: () => { ok = true; dlg.close(); } })),
    ]);
    dlg.querySelector('.btn.danger').focus();
    dlg.addEventListener('close', () => resolve(ok));
  });
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'label', text: label }), input, hint ? h('span', { class: 'hint', text: hint }) : null);
}

export function errorBox() { return h('p', { class: 'form-error', role: 'alert', hidden: true }); }
export function showError(box, e) { box.textContent = e ? e.message : ''; box.hidden = !e; }

function peoplePicker(exclude = [], single = false) {
  const filter = h('input', { type: 'search', placeholder: 'Filter people', 'aria-label': 'Filter people', class: 'input-sm' });
  const listEl = h('div', { class: 'people', role: 'group', 'aria-label': 'People' });
  const chosen = new Set();
  const users = [...S.users.values()].filter((u) => u.id !== S.me.id && u.status !== 'Suspended' && !exclude.includes(u.id))
    .sort((a, b) => a.fullname.localeCompare(b.fullname));
  const draw = () => {
    const q = filter.value.toLowerCase();
    clear(listEl);
    for (const u of users) {
      if (q && !u.fullname.toLowerCase().includes(q) && !u.email.toLowerCase().includes(q)) continue;
      const cb = h('input', { type: single ? 'radio' : 'checkbox', name: 'people', value: String(u.id), checked: chosen.has(u.id) });
      cb.addEventListener('change', () => { if (single) chosen.clear(); if (cb.checked) chosen.add(u.id); else chosen.delete(u.id); });
      listEl.append(h('label', { class: 'person' }, cb, avatar(u.fullname, u.id, 'sm'), h('span', { class: 'grow', text: u.fullname }), h('span', { class: 'muted', text: u.email })));
    }
    if (!listEl.children.length) listEl.append(h('p', { class: 'muted pad', text: users.length ? 'Nobody matches.' : 'Nobody else is in this workspace yet. Invite people from the admin panel.' }));
  };
  filter.addEventListener('input', draw);
  draw();
  return { el: h('div', { class: 'picker-box' }, filter, listEl), chosen };
}

export function newChatDialog(kind = 'channel') {
  const type = h('select', { 'aria-label': 'Kind of conversation' },
    h('option', { value: 'PublicChannel', text: 'Public channel — anyone can join' }),
    h('option', { value: 'PrivateChannel', text: 'Private channel — invite only' }),
    h('option', { value: 'Group', text: 'Group — a few people' }),
    h('option', { value: 'Single', text: 'Direct message — one person' }));
  type.value = kind === 'dm' ? 'Single' : kind === 'group' ? 'Group' : 'PublicChannel';
  const name = h('input', { type: 'text', maxlength: 50, placeholder: 'e.g. design-team', autocomplete: 'off' });
  const desc = h('textarea', { rows: 2, maxlength: 500, placeholder: 'What is it about? (optional)' });
  const err = errorBox();
  let picker = peoplePicker([], type.value === 'Single');
  const pickWrap = h('div', {}, picker.el);
  const nameF = field('Name', name);
  const descF = field('Description', desc);
  const sync = () => {
    const t = type.value;
    nameF.hidden = t === 'Single';
    descF.hidden = t === 'Single';
    name.placeholder = t === 'Group' ? 'Optional group name' : 'e.g. design-team';
    picker = peoplePicker([], t === 'Single');
    pickWrap.replaceChildren(field(t === 'Single' ? 'Person' : 'Members', picker.el));
  };
  type.addEventListener('change', sync);
  const submit = h('button', { type: 'submit', class: 'btn primary', text: 'Create' });
  const form = h('form', { class: 'form' }, field('Kind', type), nameF, descF, pickWrap, err, h('div', { class: 'actions' }, submit));
  sync();
  const dlg = modal('New conversation', form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    const body = { chat_type: type.value, members: [...picker.chosen] };
    if (type.value !== 'Single') { body.name = name.value.trim(); body.description = desc.value.trim(); }
    submit.disabled = true;
    try {
      const chat = await api('POST', '/api/workspace/chats', body);
      upsertChat(chat);
      dlg.close();
      location.hash = `#/chat/${chat.id}`;
    } catch (ex) { showError(err, ex); } finally { submit.disabled = false; }
  });
  (type.value === 'Single' ? picker.el.querySelector('input') : name).focus();
}

export async function browseDialog() {
  const listEl = h('div', { class: 'browse', 'aria-busy': 'true' }, h('p', { class: 'muted', text: 'Loading…' }));
  modal('Browse channels', listEl);
  try {
    const chans = await api('GET', '/api/workspace/chats/public');
    listEl.removeAttribute('aria-busy');
    clear(listEl);
    if (!chans.length) listEl.append(h('p', { class: 'muted pad', text: 'You are in every public channel already.' }));
    for (const c of chans) {
      const join = h('button', { class: 'btn small primary', text: 'Join', 'aria-label': `Join ${c.name}` });
      join.addEventListener('click', async () => {
        join.disabled = true;
        try {
          await api('POST', `/api/chat/${c.id}/join`);
          const chat = await api('GET', `/api/chat/${c.id}`);
          upsertChat(chat);
          join.closest('dialog').close();
          location.hash = `#/chat/${c.id}`;
        } catch (e) { toast(e.message, 'error'); join.disabled = false; }
      });
      listEl.append(h('div', { class: 'row' }, icon('hash'),
        h('div', { class: 'grow' }, h('div', { class: 'strong', text: c.name }), h('div', { class: 'muted small', text: c.description || 'No description' })),
        h('span', { class: 'muted small', text: `${c.member_count} member${c.member_count === 1 ? '' : 's'}` }), join));
    }
  } catch (e) { clear(listEl); listEl.append(h('p', { class: 'form-error', text: e.message })); }
}

// Tabs: [[id, label, fill(pane)]]; the first one is shown.
function tabbed(list) {
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const pane = h('div', { class: 'tab-pane', role: 'tabpanel' });
  const show = (id) => {
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.tab === id));
    clear(pane);
    list.find((t) => t[0] === id)[2](pane);
  };
  for (const [id, label] of list) tabs.append(h('button', { role: 'tab', class: 'tab', dataset: { tab: id }, text: label, onclick: () => show(id) }));
  show(list[0][0]);
  return [tabs, pane];
}

// Name and description of a channel or group (chat owner/admin), delete (owner).
export function chatSettingsDialog(c, onDeleted) {
  const channel = c.chat_type !== 'Group';
  const name = h('input', { type: 'text', name: 'name', maxlength: 50, value: c.name || '', required: channel, autocomplete: 'off', placeholder: channel ? '' : 'Optional group name' });
  const desc = h('textarea', { name: 'description', rows: 3, maxlength: 500, placeholder: 'What is it about?' });
  desc.value = c.description || '';
  const err = errorBox();
  const save = h('button', { type: 'submit', class: 'btn primary', text: 'Save' });
  const form = h('form', { class: 'form' }, field('Name', name), field('Description', desc), err, h('div', { class: 'actions' }, save));
  const parts = [form];
  if (c.my_role === 'owner') {
    parts.push(h('div', { class: 'danger-zone' }, h('div', { class: 'grow' }, h('div', { class: 'strong', text: 'Delete this conversation' }),
      h('div', { class: 'muted small', text: 'Every message in it is deleted for everyone.' })),
    h('button', { class: 'btn danger', text: 'Delete', onclick: async () => {
      if (!(await confirmDialog(`Delete ${chatName(c)}?`, 'Every message in it is deleted for everyone. This cannot be undone.', 'Delete'))) return;
      try { await api('DELETE', `/api/chat/${c.id}`); dlg.close(); onDeleted(c.id); toast(`${chatName(c)} deleted`, 'ok'); } catch (e) { toast(e.message, 'error'); }
    } })));
  }
  const dlg = modal(`${chatName(c)} settings`, parts, { label: 'Conversation settings' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault(); showError(err, null);
    save.disabled = true;
    try {
      upsertChat(await api('PATCH', `/api/chat/${c.id}`, { name: name.value.trim(), description: desc.value.trim() }));
      dlg.close();
      toast('Settings saved', 'ok');
    } catch (ex) { showError(err, ex); } finally { save.disabled = false; }
  });
  name.focus();
}

// The caller's own profile and account: profile (with picture), security.
export function settingsDialog(onSignOut) {
  modal('Account', tabbed([['profile', 'Profile', profilePane], ['security', 'Password & sessions', (pane) => securityPane(pane, onSignOut)]]), { label: 'Account settings' });
}

function meUpdated(p) {
  Object.assign(S.me, p);
  S.users.set(S.me.id, { ...S.users.get(S.me.id), ...p });
  changed('users');
}

async function profilePane(pane) {
  const me = await api('GET', '/api/users/me').catch(() => S.me);
  const inp = (name, max, label, extra) => field(label, h('input', { type: 'text', name, maxlength: max, value: me[name] || '', ...extra }));
  const bio = h('textarea', { name: 'bio', rows: 3, maxlength: 1000, placeholder: 'A few words about you' });
  bio.value = me.bio || '';
  const zones = h('datalist', { id: 'tz-list' }, (Intl.supportedValuesOf?.('timeZone') || []).map((z) => h('option', { value: z })));
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const card = h('div', { class: 'me-card' });
  const pic = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true, 'aria-label': 'Profile picture' });
  const drawCard = () => card.replaceChildren(avatar(S.me.fullname, S.me.id, 'lg'),
    h('div', { class: 'grow' }, h('div', { class: 'strong', text: S.me.fullname }), h('div', { class: 'muted small', text: `${S.me.email} · ${S.me.role} of ${S.workspace?.name || 'workspace'}` }),
      h('div', { class: 'pic-actions' }, h('button', { class: 'btn small', text: S.me.avatar_url ? 'Change picture' : 'Upload picture', onclick: () => pic.click() }),
        S.me.avatar_url ? h('button', { class: 'btn small ghost', text: 'Remove', onclick: () => setPic(null) }) : null)), pic);
  // the picture is named by the id of the file just uploaded (null removes it)
  const setPic = async (fileId) => {
    try { meUpdated(await api('PUT', '/api/users/profile', { avatar_file_id: fileId })); drawCard(); toast(fileId ? 'Picture updated' : 'Picture removed', 'ok'); } catch (e) { toast(e.message, 'error'); }
  };
  pic.addEventListener('change', async () => {
    const f = pic.files[0];
    pic.value = '';
    if (!f) return;
    try { await setPic((await upload(f).promise).id); } catch (e) { toast(e.message, 'error'); }
  });
  drawCard();
  const err = errorBox();
  const form = h('form', { class: 'form' },
    inp('fullname', 50, 'Full name', { required: true, autocomplete: 'name' }),
    h('div', { class: 'two' }, inp('title', 100, 'Title', { placeholder: 'e.g. Designer' }), inp('department', 100, 'Department', { placeholder: 'e.g. Product' })),
    inp('timezone', 64, 'Time zone', { list: 'tz-list', placeholder: here, autocomplete: 'off' }), zones,
    field('About', bio), err, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', text: 'Save profile' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault(); showError(err, null);
    const body = {};
    for (const k of ['fullname', 'title', 'department', 'timezone', 'bio']) body[k] = form.elements[k].value.trim();
    try { meUpdated(await api('PUT', '/api/users/profile', body)); drawCard(); toast('Profile saved', 'ok'); } catch (ex) { showError(err, ex); }
  });
  pane.append(card, form);
}

function securityPane(pane, onSignOut) {
  const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const nw = h('input', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128, required: true });
  const cerr = errorBox();
  const cform = h('form', { class: 'form' }, field('Current password', cur), field('New password', nw, 'At least 8 characters. Your other sessions will be signed out.'), cerr,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', text: 'Change password' })));
  cform.addEventListener('submit', async (e) => {
    e.preventDefault(); showError(cerr, null);
    try {
      setSession(await api('POST', '/api/users/change-password', { current_password: cur.value, new_password: nw.value }));
      cur.value = ''; nw.value = '';
      toast('Password changed', 'ok');
    } catch (ex) { showError(cerr, ex); }
  });
  const close = () => pane.closest('dialog').close();
  pane.append(cform, h('div', { class: 'actions split' },
    h('button', { class: 'btn ghost', text: 'Sign out everywhere', onclick: () => { close(); onSignOut(true); } }),
    h('button', { class: 'btn danger', text: 'Sign out', onclick: () => { close(); onSignOut(false); } })));
}

export function adminDialog() {
  modal(`Administration · ${S.workspace?.name || ''}`, tabbed([['invites', 'Invites', invitesPane], ['members', 'Members', membersPane]]), { wide: true, label: 'Administration' });
}

async function invitesPane(pane) {
  const uses = h('input', { type: 'number', min: 1, max: 1000, value: 1, class: 'input-sm' });
  const hours = h('select', { class: 'input-sm' }, [[24, '1 day'], [168, '7 days'], [720, '30 days']].map(([v, t]) => h('option', { value: String(v), text: t })));
  hours.value = '168';
  const err = errorBox();
  const listEl = h('div', { class: 'table', role: 'list', 'aria-label': 'Active invites' });
  const form = h('form', { class: 'inline-form' }, field('Uses', uses), field('Expires in', hours),
    h('button', { type: 'submit', class: 'btn primary', text: 'Create invite' }));
  pane.append(h('p', { class: 'muted', text: 'Invite codes let people create an account in this workspace.' }), form, err, listEl);
  const load = async () => {
    try {
      const inv = await api('GET', '/api/workspace/invites');
      clear(listEl);
      if (!inv.length) listEl.append(h('p', { class: 'muted pad', text: 'No active invites.' }));
      for (const i of inv) {
        const link = `${location.origin}/#/invite/${i.code}`;
        listEl.append(h('div', { class: 'row', role: 'listitem' },
          h('code', { class: 'code', text: i.code }),
          h('span', { class: 'muted small grow', text: `${i.uses}/${i.max_uses} used · expires ${fmtFull(i.expires_at)}` }),
          h('button', { class: 'btn small ghost', text: 'Copy link', onclick: async () => { try { await navigator.clipboard.writeText(link); toast('Invite link copied', 'ok'); } catch { toast(link, 'info', 10000); } } }),
          h('button', { class: 'btn small danger', text: 'Revoke', 'aria-label': `Revoke ${i.code}`, onclick: async () => {
            try { await api('DELETE', `/api/workspace/invites/${encodeURIComponent(i.code)}`); load(); } catch (e) { toast(e.message, 'error'); }
          } })));
      }
    } catch (e) { showError(err, e); }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault(); showError(err, null);
    try {
      const inv = await api('POST', '/api/workspace/invites', { max_uses: Number(uses.value), expires_in_hours: Number(hours.value) });
      toast(`Invite ${inv.code} created`, 'ok');
      load();
    } catch (ex) { showError(err, ex); }
  });
  load();
}

async function membersPane(pane) {
  const listEl = h('div', { class: 'table', role: 'list', 'aria-label': 'Workspace members' });
  pane.append(listEl);
  await loadUsers().catch((e) => toast(e.message, 'error'));
  const draw = () => {
    clear(listEl);
    for (const u of [...S.users.values()].sort((a, b) => a.fullname.localeCompare(b.fullname))) {
      const self = u.id === S.me.id;
      const fixed = u.role === 'owner' || self;
      let roleEl;
      if (fixed || S.me.role !== 'owner') roleEl = h('span', { class: `pill role-${u.role}`, text: u.role });
      else {
        roleEl = h('select', { class: 'input-sm', 'aria-label': `Role of ${u.fullname}` }, h('option', { value: 'member', text: 'member' }), h('option', { value: 'admin', text: 'admin' }));
        roleEl.value = u.role;
        roleEl.addEventListener('change', () => patch(u, { role: roleEl.value }));
      }
      const suspended = u.status === 'Suspended';
      const act = fixed ? null : h('button', { class: `btn small ${suspended ? '' : 'danger'}`, text: suspended ? 'Reactivate' : 'Suspend', 'aria-label': `${suspended ? 'Reactivate' : 'Suspend'} ${u.fullname}`,
        onclick: () => patch(u, { status: suspended ? 'Active' : 'Suspended' }) });
      listEl.append(h('div', { class: `row${suspended ? ' dim' : ''}`, role: 'listitem' }, avatar(u.fullname, u.id, 'sm'),
        h('div', { class: 'grow' }, h('div', { class: 'strong', text: u.fullname + (self ? ' (you)' : '') }), h('div', { class: 'muted small', text: u.email })),
        suspended ? h('span', { class: 'pill warn', text: 'suspended' }) : null, roleEl, act));
    }
  };
  const patch = async (u, body) => {
    try {
      const nu = await api('PATCH', `/api/workspace/users/${u.id}`, body);
      S.users.set(nu.id, { ...u, ...nu });
      changed('users');
      toast(`${u.fullname} updated`, 'ok');
    } catch (e) { toast(e.message, 'error'); }
    draw();
  };
  draw();
}
