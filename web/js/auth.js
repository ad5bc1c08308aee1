// Sign in and sign up screens.
import { h, $, clear } from './dom.js';
import { api } from './api.js';
import { field, errorBox, showError } from './dialogs.js';

export function showAuth(onAuthed, mode = 'signin', message = '') {
  const root = $('#auth');
  const invite = /^#\/invite\/([\w-]+)/.exec(location.hash)?.[1] || '';
  if (invite) mode = 'signup';
  root.hidden = false;
  $('#app').hidden = true;
  clear(root);
  const err = errorBox();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, maxlength: 254 });
  const pw = h('input', { type: 'password', name: 'password', autocomplete: mode === 'signin' ? 'current-password' : 'new-password', required: true, minlength: mode === 'signin' ? undefined : 8, maxlength: 128 });
  const fullname = h('input', { type: 'text', name: 'fullname', autocomplete: 'name', required: true, maxlength: 50 });
  const code = h('input', { type: 'text', name: 'invite_code', autocomplete: 'off', maxlength: 64, value: invite, spellcheck: false });
  const wsName = h('input', { type: 'text', name: 'workspace_name', autocomplete: 'organization', maxlength: 50 });
  const wsField = field('Workspace name', wsName, 'Only when you start a new workspace.');
  // invite-only registration (known from GET /api/setup): no workspace of one's own
  const inviteOnly = registration === 'invite';
  if (inviteOnly && mode === 'signup') code.required = true;
  const sync = () => { wsField.hidden = inviteOnly || !!code.value.trim(); };
  code.addEventListener('input', sync);
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: mode === 'signin' ? 'Sign in' : 'Create account' });
  const fields = mode === 'signin'
    ? [field('Email', email), field('Password', pw)]
    : [field('Full name', fullname), field('Email', email), field('Password', pw, 'At least 8 characters.'), field('Invite code', code, 'From the invite link your admin sent you.'), wsField];
  const form = h('form', { class: 'form', 'aria-label': mode === 'signin' ? 'Sign in' : 'Sign up', novalidate: false }, fields, err, submit);
  const other = h('p', { class: 'switch' }, mode === 'signin' ? 'New here? ' : 'Already have an account? ',
    h('a', { href: '#', text: mode === 'signin' ? 'Create an account' : 'Sign in', onclick: (e) => { e.preventDefault(); if (invite) history.replaceState(null, '', '#/'); showAuth(onAuthed, mode === 'signin' ? 'signup' : 'signin'); } }));
  root.append(h('div', { class: 'auth-card' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true', text: 'F' }), h('span', { text: 'Fechatter' })),
    h('h1', { text: mode === 'signin' ? 'Welcome back' : (invite ? 'Join your team' : 'Create your account') }),
    message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
    form, other));
  sync();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    submit.disabled = true;
    try {
      let auth;
      if (mode === 'signin') auth = await api('POST', '/api/signin', { email: email.value.trim(), password: pw.value }, { auth: false });
      else {
        const body = { email: email.value.trim(), password: pw.value, fullname: fullname.value.trim() };
        if (code.value.trim()) body.invite_code = code.value.trim();
        else if (wsName.value.trim()) body.workspace_name = wsName.value.trim();
        auth = await api('POST', '/api/signup', body, { auth: false });
      }
      if (invite) history.replaceState(null, '', '#/');
      onAuthed(auth);
    } catch (ex) {
      showError(err, ex);
      const bad = ex.field && form.querySelector(`[name="${ex.field}"]`);
      if (bad) bad.focus();
    } finally { submit.disabled = false; }
  });
  (mode === 'signin' ? email : fullname).focus();
}

// The first visit: GET /api/setup without a token. null when the server
// cannot say (an older server, a network error): the sign-in screen then.
let registration = null; // 'invite' | 'open' once known

export async function setupInfo() {
  try {
    const res = await fetch('/api/setup', { credentials: 'same-origin', cache: 'no-store' });
    const j = await res.json();
    if (!res.ok || !j?.success) return null;
    registration = j.data.registration;
    return j.data;
  } catch { return null; }
}

// A fresh appliance (no account yet): create the owner account and the
// first workspace, then land signed in there.
export function showSetup(onAuthed, info = {}) {
  const root = $('#auth');
  root.hidden = false;
  $('#app').hidden = true;
  clear(root);
  const err = errorBox();
  const wsName = h('input', { type: 'text', name: 'workspace_name', autocomplete: 'organization', required: true, maxlength: 50, placeholder: 'e.g. Acme' });
  const fullname = h('input', { type: 'text', name: 'fullname', autocomplete: 'name', required: true, maxlength: 50 });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, maxlength: 254 });
  const pw = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: 'Create workspace' });
  const form = h('form', { class: 'form', 'aria-label': 'Set up' },
    field('Workspace name', wsName, 'Your team or organisation, as people will see it when they join.'),
    field('Your name', fullname), field('Email', email), field('Password', pw, 'At least 8 characters.'), err, submit);
  const how = info.registration === 'open'
    ? 'Registration is open: anyone who can reach this server may also start a workspace of their own.'
    : 'Others join with an invite link you create from Administration.';
  root.append(h('div', { class: 'auth-card setup' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true', text: 'F' }), h('span', { text: 'Fechatter' })),
    h('h1', { text: 'Set up your Fechatter' }),
    h('p', { class: 'notice', role: 'status', text: 'There is no account on this server yet. Create the first one: it owns the workspace.' }),
    h('ol', { class: 'steps', 'aria-label': 'Steps' },
      h('li', { class: 'current', text: 'Your account' }), h('li', { text: 'Invite your team' })),
    form,
    h('p', { class: 'switch small', text: how })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    submit.disabled = true;
    try {
      const auth = await api('POST', '/api/signup', {
        email: email.value.trim(), password: pw.value, fullname: fullname.value.trim(), workspace_name: wsName.value.trim(),
      }, { auth: false });
      history.replaceState(null, '', '#/');
      onAuthed(auth);
    } catch (ex) {
      if (ex.code === 'INVITE_REQUIRED') {
        // someone else finished the set-up a moment ago
        showAuth(onAuthed, 'signin', 'This server has just been set up by someone else. Sign in, or ask its owner for an invite.');
        return;
      }
      showError(err, ex);
      const bad = ex.field && form.querySelector(`[name="${ex.field}"]`);
      if (bad) bad.focus();
    } finally { submit.disabled = false; }
  });
  wsName.focus();
}

// A set-password link (#/set-password/TOKEN, printed by `fechatter import
// --slack` for accounts made without a password): choose a password, then
// land signed in. A used or expired link says so and offers the sign-in.
export function setPasswordToken() {
  return /^#\/set-password\/([\w-]+)/.exec(location.hash)?.[1] || '';
}

export function showSetPassword(onAuthed, token) {
  const root = $('#auth');
  root.hidden = false;
  $('#app').hidden = true;
  clear(root);
  const err = errorBox();
  const pw = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 });
  const again = h('input', { type: 'password', name: 'password_again', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 });
  const submit = h('button', { type: 'submit', class: 'btn primary wide', text: 'Set password' });
  const form = h('form', { class: 'form', 'aria-label': 'Set your password' },
    field('New password', pw, 'At least 8 characters.'), field('Repeat it', again), err, submit);
  const toSignin = () => { history.replaceState(null, '', '#/'); showAuth(onAuthed); };
  root.append(h('div', { class: 'auth-card' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true', text: 'F' }), h('span', { text: 'Fechatter' })),
    h('h1', { text: 'Choose your password' }),
    h('p', { class: 'notice', role: 'status', text: 'Your account was brought over from Slack. Set a password to sign in; this link works once.' }),
    form,
    h('p', { class: 'switch' }, 'Already set? ', h('a', { href: '#', text: 'Sign in', onclick: (e) => { e.preventDefault(); toSignin(); } }))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showError(err, null);
    if (pw.value !== again.value) { showError(err, { message: 'The two passwords differ.' }); again.focus(); return; }
    submit.disabled = true;
    try {
      const auth = await api('POST', '/api/set-password', { token, password: pw.value }, { auth: false });
      history.replaceState(null, '', '#/');
      onAuthed(auth);
    } catch (ex) {
      if (ex.code === 'PASSWORD_TOKEN_USED' || ex.code === 'PASSWORD_TOKEN_EXPIRED' || ex.code === 'INVALID_PASSWORD_TOKEN') {
        history.replaceState(null, '', '#/');
        showAuth(onAuthed, 'signin', ex.message);
        return;
      }
      showError(err, ex);
      pw.focus();
    } finally { submit.disabled = false; }
  });
  pw.focus();
}
