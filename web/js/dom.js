// Small DOM helpers: elements are built with createElement and textContent only.
import { S } from './state.js';
import { fileUrl } from './api.js';

export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  if (tag === 'button') el.type = 'button'; // not submit unless asked
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k in el && typeof v !== 'string') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  add(el, kids);
  return el;
}

function add(el, kids) {
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : String(k));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export function clear(el) { el.replaceChildren(); return el; }

function initials(name, one) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const s = one ? (parts[0] || '?')[0] : parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || '?').slice(0, 2);
  return s.toUpperCase();
}

// Initials on a colour, with the picture on top when the user has one (a
// picture that fails to load is dropped and not asked for again).
const badImg = new Set();
export function avatar(name, id, size = '', url) {
  url ??= (id === S.me?.id ? S.me : S.users.get(id))?.avatar_url;
  const a = h('span', { class: `avatar hue${(Number(id) || 0) % 10} ${size}`, 'aria-hidden': 'true', text: initials(name, size === 'xs') });
  if (url?.startsWith('/api/files/') && !badImg.has(url)) { // the CSP allows pictures from here only
    const img = h('img', { alt: '', src: fileUrl(url), loading: 'lazy' });
    img.addEventListener('error', () => { badImg.add(url); img.remove(); });
    a.append(img);
  }
  return a;
}

const ICONS = {
  x: 'M18 6 6 18M6 6l12 12', plus: 'M12 5v14M5 12h14',
  search: 'M11 3a8 8 0 1 0 0 16 8 8 0 0 0 0-16zM21 21l-4.35-4.35', back: 'M15 18l-6-6 6-6',
  hash: 'M4 9h16M4 15h16M10 3 8 21M16 3l-2 18',
  lock: 'M5 11h14a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2zM7 11V7a5 5 0 0 1 10 0v4',
  users: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 3a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75',
  clip: 'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48',
  smile: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01',
  thread: 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z',
  edit: 'M17 3a2.83 2.83 0 1 1 4 4L7.5 20.5 2 22l1.5-5.5L17 3z',
  trash: 'M3 6h18M19 6v14a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V6m3 0V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2',
  send: 'M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z',
  sliders: 'M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6',
  shield: 'M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z',
  compass: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zM16.24 7.76l-2.12 6.36-6.36 2.12 2.12-6.36 6.36-2.12z',
  file: 'M13 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9zM13 2v7h7',
  chat: 'M21 11.5a8.38 8.38 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.38 8.38 0 0 1-3.8-.9L3 21l1.9-5.7a8.38 8.38 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.38 8.38 0 0 1 3.8-.9h.5a8.48 8.48 0 0 1 8 8v.5z',
};
const NS = 'http://www.w3.org/2000/svg';
export function icon(name) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', ICONS[name] || '');
  svg.append(p);
  return svg;
}

const pad = (n) => String(n).padStart(2, '0');
export function fmtTime(iso) {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function dayKey(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function fmtDay(iso) {
  const d = new Date(iso);
  const today = new Date();
  const y = new Date(); y.setDate(today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return 'Today';
  if (dayKey(d) === dayKey(y)) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: d.getFullYear() === today.getFullYear() ? undefined : 'numeric' });
}

export function fmtFull(iso) {
  return new Date(iso).toLocaleString();
}

export function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

// One floating popover at a time (emoji picker, status menu), placed above or
// below its anchor; closed by a click elsewhere, Escape, or closePop().
let pop = null;
export function openPop(anchor, el) {
  closePop();
  pop = el;
  el.classList.add('pop');
  document.body.append(el);
  const r = anchor.getBoundingClientRect();
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  el.style.left = `${Math.max(8, Math.min(innerWidth - w - 8, r.right - w))}px`;
  el.style.top = `${r.top > ht + 14 ? r.top - ht - 6 : Math.min(r.bottom + 6, innerHeight - ht - 8)}px`;
  setTimeout(() => document.addEventListener('pointerdown', outside), 0);
  el.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); closePop(); anchor.focus(); } });
  return el;
}
function outside(e) { if (pop && !pop.contains(e.target)) closePop(); }
export function closePop() {
  if (!pop) return false;
  pop.remove(); pop = null;
  document.removeEventListener('pointerdown', outside);
  return true;
}

// Arrow keys move the focus between the buttons of a popover by their
// position on screen (grids with headings in between work too).
export function arrowNav(root, e) {
  const items = [...root.querySelectorAll('button')];
  const cur = items.indexOf(document.activeElement);
  if (cur < 0) return;
  let next = cur;
  if (e.key === 'ArrowRight') next = Math.min(items.length - 1, cur + 1);
  else if (e.key === 'ArrowLeft') next = Math.max(0, cur - 1);
  else if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = items.length - 1;
  else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const r0 = items[cur].getBoundingClientRect();
    const down = e.key === 'ArrowDown';
    let best = null;
    let bd = Infinity;
    for (const [i, b] of items.entries()) {
      const r = b.getBoundingClientRect();
      const dy = down ? r.top - r0.top : r0.top - r.top;
      if (dy < 4) continue;
      const d = dy * 1000 + Math.abs(r.left - r0.left);
      if (d < bd) { bd = d; best = i; }
    }
    if (best === null) return;
    next = best;
  } else return;
  e.preventDefault();
  items[next].focus();
}

let toastBox;
export function toast(msg, kind = 'info', ms = 4500) {
  toastBox ||= document.getElementById('toasts');
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', text: msg });
  toastBox.append(t);
  setTimeout(() => { t.classList.add('out'); setTimeout(() => t.remove(), 300); }, ms);
}

export function uid() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
