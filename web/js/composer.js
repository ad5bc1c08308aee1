// The composer: auto-growing textarea, Enter sends, Shift+Enter newline,
// @mention autocomplete, attachments with upload progress, typing signals.
import { h, icon, fmtSize, toast, uid } from './dom.js';
import { upload } from './api.js';
import { S, userName } from './state.js';

// opts: {chatId, replyTo, placeholder, onSend(content, files), onTyping(state), onEditLast()}
export function composer(opts) {
  const uploads = [];
  const ta = h('textarea', { class: 'input', rows: 1, placeholder: opts.placeholder, 'aria-label': opts.placeholder, 'aria-autocomplete': 'list' });
  const tray = h('div', { class: 'tray', 'aria-live': 'polite' });
  const pop = h('ul', { class: 'mention-pop', role: 'listbox', 'aria-label': 'Mention someone', hidden: true, id: `mp-${uid()}` });
  const fileIn = h('input', { type: 'file', multiple: true, hidden: true, 'aria-hidden': 'true', tabindex: '-1' });
  const send = h('button', { type: 'submit', class: 'icon-btn send', 'aria-label': 'Send message', title: 'Send (Enter)' }, icon('send'));
  const attach = h('button', { class: 'icon-btn', 'aria-label': 'Attach files', title: 'Attach files', onclick: () => fileIn.click() }, icon('clip'));
  const form = h('form', { class: 'composer', 'aria-label': 'Message composer' }, pop, tray,
    h('div', { class: 'composer-row' }, attach, ta, send), fileIn);
  let typingAt = 0;
  let active = 0;
  let matches = [];
  let mstart = -1;

  const grow = () => { ta.style.height = 'auto'; ta.style.height = `${Math.min(ta.scrollHeight, 220)}px`; };
  const busy = () => uploads.some((u) => !u.file && !u.error);

  function addFiles(files) {
    for (const f of files) {
      const u = { name: f.name || 'pasted file', size: f.size, progress: 0, file: null, error: null };
      const bar = h('progress', { max: 1, value: 0, 'aria-label': `Uploading ${u.name}` });
      const status = h('span', { class: 'up-status', text: fmtSize(f.size) });
      const rm = h('button', { class: 'icon-btn tiny', 'aria-label': `Remove ${u.name}`, onclick: () => { job.abort(); uploads.splice(uploads.indexOf(u), 1); u.el.remove(); } }, icon('x'));
      u.el = h('div', { class: 'upload' }, icon('file'), h('span', { class: 'up-name', text: u.name }), bar, status, rm);
      tray.append(u.el);
      uploads.push(u);
      const job = upload(f, (p) => { bar.value = p; status.textContent = `${Math.round(p * 100)}%`; });
      job.promise.then((file) => {
        u.file = file; bar.value = 1; u.el.classList.add('done'); status.textContent = 'Ready';
        if (file.mime_type?.startsWith('image/')) {
          const img = h('img', { class: 'thumb', alt: '', src: URL.createObjectURL(f) });
          u.el.firstChild.replaceWith(img);
        }
      }).catch((e) => {
        u.error = e.message; u.el.classList.add('error'); status.textContent = e.message;
        if (e.code !== 'ABORTED') toast(e.message, 'error');
      });
    }
  }

  function submit() {
    if (busy()) { toast('Wait for the uploads to finish', 'info', 2500); return; }
    const content = ta.value.trim();
    const files = uploads.filter((u) => u.file).map((u) => u.file);
    if (!content && !files.length) return;
    if (content.length > 4000) { toast('A message is at most 4000 characters', 'error'); return; }
    opts.onSend(content, files);
    ta.value = '';
    uploads.length = 0;
    tray.replaceChildren();
    closePop();
    grow();
    if (typingAt) { typingAt = 0; opts.onTyping?.('stop'); }
  }

  // ---- mention autocomplete
  function candidates(q) {
    const chat = S.chats.get(opts.chatId);
    const ids = chat?.chat_members || [...S.users.keys()];
    const ql = q.toLowerCase();
    const people = ids.filter((id) => id !== S.me.id).map((id) => ({ label: userName(id), id }))
      .filter((p) => p.label.toLowerCase().startsWith(ql) || p.label.toLowerCase().split(/\s+/).some((w) => w.startsWith(ql)));
    const special = ['here', 'everyone'].filter((s) => s.startsWith(ql)).map((s) => ({ label: s, id: s }));
    return [...people, ...special].slice(0, 7);
  }
  function closePop() { pop.hidden = true; matches = []; ta.removeAttribute('aria-activedescendant'); }
  function drawPop() {
    pop.replaceChildren(...matches.map((m, i) => {
      const li = h('li', { role: 'option', id: `${pop.id}-${i}`, 'aria-selected': i === active ? 'true' : 'false', class: i === active ? 'active' : '' },
        h('span', { class: 'at', text: '@' }), m.label,
        typeof m.id === 'number' ? h('span', { class: `dot ${S.presence.get(m.id) || 'offline'}` }) : null);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(i); });
      return li;
    }));
    pop.hidden = false;
    ta.setAttribute('aria-activedescendant', `${pop.id}-${active}`);
  }
  function pick(i) {
    const m = matches[i];
    const pos = ta.selectionStart;
    const text = `@${m.label} `;
    ta.value = ta.value.slice(0, mstart) + text + ta.value.slice(pos);
    const c = mstart + text.length;
    ta.setSelectionRange(c, c);
    closePop();
    ta.focus();
  }
  function checkMention() {
    const pos = ta.selectionStart;
    const before = ta.value.slice(0, pos);
    const m = /(?:^|\s)@([\p{L}\p{N}._'-]*(?: [\p{L}\p{N}._'-]*)?)$/u.exec(before);
    if (!m) { closePop(); return; }
    mstart = pos - m[1].length - 1;
    matches = candidates(m[1]);
    active = 0;
    if (matches.length) drawPop(); else closePop();
  }

  ta.addEventListener('input', () => {
    grow();
    checkMention();
    if (ta.value.trim() && Date.now() - typingAt > 4000) { typingAt = Date.now(); opts.onTyping?.('start'); }
    if (!ta.value.trim() && typingAt) { typingAt = 0; opts.onTyping?.('stop'); }
  });
  ta.addEventListener('blur', () => setTimeout(closePop, 150));
  ta.addEventListener('keydown', (e) => {
    if (!pop.hidden && matches.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        active = (active + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
        drawPop(); return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pick(active); return; }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); closePop(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); return; }
    if (e.key === 'ArrowUp' && !ta.value && opts.onEditLast) { if (opts.onEditLast()) e.preventDefault(); }
  });
  ta.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) { e.preventDefault(); addFiles(files); }
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); ta.focus(); });
  fileIn.addEventListener('change', () => { addFiles([...fileIn.files]); fileIn.value = ''; });

  return { el: form, input: ta, addFiles, focus: () => ta.focus() };
}
