// Basic Markdown to DOM nodes, never through innerHTML: fenced code blocks,
// `code`, **bold**, *italic* / _italic_, [text](http(s) url), bare links,
// and @mentions of known names. Anything else stays literal text.
const INLINE = /(`[^`\n]+`)|(\*\*(?=\S)[^\n]*?\S\*\*)|(\*(?=[^\s*])[^*\n]*?[^\s*]\*|\*[^\s*]\*)|((?:^|(?<=[\s(]))_(?=\S)[^_\n]*?\S_(?![\w]))|(\[[^\]\n]+\]\([^)\s]+\))|(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'])|(@[\p{L}\p{N}][\p{L}\p{N}._'-]*)/u;

export function safeHref(raw) {
  try {
    const u = new URL(raw, location.href);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
  } catch { /* not a url */ }
  return null;
}

function link(href, label) {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = label;
  return a;
}

// names: array of lowercase full names (longest first); me: my lowercase name
function mention(text, ctx, out, rest) {
  const lower = (text.slice(1) + rest).toLowerCase();
  const special = ['everyone', 'here'];
  for (const n of [...special, ...(ctx.names || [])]) {
    if (lower.startsWith(n) && !/[\p{L}]/u.test(lower.charAt(n.length))) {
      const s = document.createElement('span');
      s.className = 'mention' + (special.includes(n) || n === ctx.me ? ' me' : '');
      s.textContent = '@' + (text.slice(1) + rest).slice(0, n.length);
      out.append(s);
      return n.length + 1;
    }
  }
  return 0;
}

export function inline(text, ctx, out) {
  let s = text;
  while (s) {
    const m = INLINE.exec(s);
    if (!m) { out.append(s); break; }
    if (m.index) out.append(s.slice(0, m.index));
    const tok = m[0];
    let used = tok.length;
    if (m[1]) {
      const c = document.createElement('code'); c.textContent = tok.slice(1, -1); out.append(c);
    } else if (m[2]) {
      const b = document.createElement('strong'); inline(tok.slice(2, -2), ctx, b); out.append(b);
    } else if (m[3] || m[4]) {
      const i = document.createElement('em'); inline(tok.slice(1, -1), ctx, i); out.append(i);
    } else if (m[5]) {
      const mid = tok.indexOf('](');
      const href = safeHref(tok.slice(mid + 2, -1));
      if (href) out.append(link(href, tok.slice(1, mid)));
      else out.append(tok);
    } else if (m[6]) {
      const href = safeHref(tok);
      out.append(href ? link(href, tok) : tok);
    } else if (m[7]) {
      used = mention(tok, ctx, out, s.slice(m.index + tok.length));
      if (!used) { out.append(tok); used = tok.length; }
    }
    s = s.slice(m.index + used);
  }
  return out;
}

export function render(text, ctx = {}) {
  const frag = document.createDocumentFragment();
  const parts = String(text).split(/```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1 && i < parts.length - 1) {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = part.replace(/^[\w+-]*\n/, '').replace(/\n$/, '');
      pre.append(code);
      frag.append(pre);
    } else {
      const t = i % 2 === 1 ? '```' + part : part;
      const chunk = i > 0 ? t.replace(/^\n/, '') : t;
      if (chunk) inline(chunk, ctx, frag);
    }
  });
  return frag;
}

// Search snippets: the server marks matches with literal <mark>..</mark>;
// everything else is text.
export function snippet(s) {
  const frag = document.createDocumentFragment();
  const re = /<mark>([\s\S]*?)<\/mark>/g;
  let last = 0;
  let m;
  while ((m = re.exec(s))) {
    if (m.index > last) frag.append(s.slice(last, m.index));
    const mk = document.createElement('mark');
    mk.textContent = m[1];
    frag.append(mk);
    last = re.lastIndex;
  }
  if (last < s.length) frag.append(s.slice(last));
  return frag;
}
