// HTTP API client: access token in memory, refresh token in the HttpOnly
// cookie (Path=/api), silent refresh before expiry, one retry after a 401.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status; this.code = code; this.field = field;
  }
}

let access = null;
let expAt = 0;
let timer = 0;
let refreshing = null;
const subs = new Set();
export const onAuth = (fn) => subs.add(fn);
const emit = (what) => subs.forEach((fn) => fn(what));

export const token = () => access;

export function setSession(auth) {
  access = auth.access_token;
  expAt = Date.now() + (auth.expires_in || 1800) * 1000;
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), Math.max(5000, expAt - Date.now() - 120000));
  emit('token');
}

export function clearSession() {
  access = null; expAt = 0; clearTimeout(timer);
}

export const expiresSoon = () => !access || Date.now() > expAt - 60000;

// Serialised across tabs (Web Locks) so two tabs never present the same
// rotated refresh token, which would revoke the whole family.
export function refresh() {
  if (refreshing) return refreshing;
  const run = async () => {
    const res = await fetch('/api/refresh', { method: 'POST', credentials: 'same-origin' });
    const j = await res.json().catch(() => null);
    if (!res.ok || !j?.success) {
      const e = j?.error || {};
      throw new ApiError(res.status, e.code, e.message);
    }
    setSession(j.data);
    return j.data;
  };
  refreshing = (navigator.locks ? navigator.locks.request('fechatter-refresh', run) : run())
    .catch((e) => { if (e instanceof ApiError && e.status === 401) { clearSession(); emit('lost'); } throw e; })
    .finally(() => { refreshing = null; });
  return refreshing;
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && access && expiresSoon()) refresh().catch(() => {});
});

export async function api(method, path, body, { retry = true, auth = true } = {}) {
  if (auth && access && expiresSoon()) await refresh().catch(() => {});
  const headers = {};
  if (auth && access) headers.authorization = `Bearer ${access}`;
  let payload;
  if (body !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Cannot reach the server. Check your connection.');
  }
  const j = await res.json().catch(() => null);
  if (res.ok && j?.success) return method === 'GET' && j.meta ? { data: j.data, meta: j.meta } : j.data;
  const e = j?.error || {};
  if (res.status === 401 && auth && retry && access && e.code !== 'INVALID_CREDENTIALS') {
    try { await refresh(); } catch { throw new ApiError(401, e.code, 'Your session has ended. Please sign in again.'); }
    return api(method, path, body, { retry: false });
  }
  let msg = e.message || `Request failed (${res.status})`;
  if (res.status === 429) msg += ` Try again in ${res.headers.get('retry-after') || 'a few'} seconds.`;
  throw new ApiError(res.status, e.code, msg, e.field);
}

// GET returning {data, meta} even when the server sends no meta.
export async function list(path) {
  const r = await api('GET', path);
  return r && r.meta ? r : { data: r, meta: {} };
}

// File links load with the HttpOnly file cookie the server sets beside the
// session (Path=/api/files), so no token goes into a URL (history, logs).
export function fileUrl(url) {
  return url;
}

// Upload with progress (XMLHttpRequest exposes upload progress; fetch does not).
export function upload(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    const go = async () => {
      if (expiresSoon()) await refresh().catch(() => {});
      xhr.open('POST', '/api/files/single');
      xhr.setRequestHeader('authorization', `Bearer ${access}`);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded / e.total); };
      xhr.onload = () => {
        let j = null;
        try { j = JSON.parse(xhr.responseText); } catch { /* not json */ }
        if (xhr.status >= 200 && xhr.status < 300 && j?.success) resolve(j.data);
        else reject(new ApiError(xhr.status, j?.error?.code, j?.error?.message || `Upload failed (${xhr.status})`));
      };
      xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Upload failed: network error'));
      xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'Upload cancelled'));
      const fd = new FormData();
      fd.append('file', file, file.name || 'file');
      xhr.send(fd);
    };
    go();
  });
  return { promise, abort: () => xhr.abort() };
}
