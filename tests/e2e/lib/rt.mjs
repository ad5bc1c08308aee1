// Helpers for the real-time suites (WebSocket at /ws, Server-Sent Events at
// /events): a collecting WebSocket client (npm `ws`), a small SSE client over
// node:http, a raw WebSocket handshake over node:net (a client that stops
// reading), bounded waits that fail with a clear message, and cleanup.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { HOST, serverKey, signEdDSA, claimsFor, sleep, rawRequest, scaled } from './server.mjs';

export const WS_PROTOCOL = 'fechatter.v1';
export { WebSocket };

// ---------------------------------------------------------------- cleanup
// Every socket opened here is tracked; closeAll() ends what a test left open.
const open = new Set();
export function closeAll() {
  for (const c of open) {
    try { c.close(); } catch { /* gone */ }
  }
  open.clear();
}

// ---------------------------------------------------------------- event log
/**
 * A growing list of received events with bounded waits.
 *  - waitFor(pred, {timeoutMs, label, since}): the first event (at index >=
 *    since) matching pred; rejects with a message listing what did arrive.
 *  - waitCount(pred, n, ...): resolves with the first n matching events.
 *  - matching(pred, since): the matching events received so far.
 *  - mark(): the current length (for `since`).
 */
export class EventLog {
  constructor(name) {
    this.name = name;
    this.events = [];
    this.waiters = new Set();
    this.ended = false;
    this.endReason = '';
  }

  push(ev) {
    this.events.push(ev);
    for (const w of [...this.waiters]) w.check();
  }

  end(reason) {
    this.ended = true;
    this.endReason = reason;
    for (const w of [...this.waiters]) w.check();
  }

  mark() { return this.events.length; }

  matching(pred, since = 0) {
    return this.events.slice(since).filter(pred);
  }

  summary(since = 0, max = 12) {
    const evs = this.events.slice(since);
    const shown = evs.slice(-max).map((e) => JSON.stringify(e).slice(0, 160));
    return `${this.name}: ${evs.length} event(s) since #${since}${evs.length > max ? ` (last ${max})` : ''}:\n    ${shown.join('\n    ') || '(none)'}${this.ended ? `\n    [ended: ${this.endReason}]` : ''}`;
  }

  waitCount(pred, n, { timeoutMs = 5000, label = 'event', since = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const w = {
        check: () => {
          const got = this.matching(pred, since);
          if (got.length >= n) {
            done();
            resolve(got.slice(0, n));
          } else if (this.ended) {
            done();
            reject(new Error(`${this.name}: connection ended (${this.endReason}) before ${label} (${got.length}/${n})\n  ${this.summary(since)}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        const got = this.matching(pred, since).length;
        reject(new Error(`${this.name}: timed out after ${scaled(timeoutMs)} ms waiting for ${label} (${got}/${n})\n  ${this.summary(since)}`));
      }, scaled(timeoutMs));
      const done = () => { clearTimeout(timer); this.waiters.delete(w); };
      this.waiters.add(w);
      w.check();
    });
  }

  async waitFor(pred, opts = {}) {
    const [ev] = await this.waitCount(pred, 1, opts);
    return ev;
  }

  // Waits until the connection ends (bounded); resolves with the end reason.
  waitEnd({ timeoutMs = 5000, label = 'the end of the connection' } = {}) {
    return new Promise((resolve, reject) => {
      const w = { check: () => { if (this.ended) { done(); resolve(this.endReason); } } };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: timed out after ${scaled(timeoutMs)} ms waiting for ${label}\n  ${this.summary(Math.max(0, this.events.length - 12))}`));
      }, scaled(timeoutMs));
      const done = () => { clearTimeout(timer); this.waiters.delete(w); };
      this.waiters.add(w);
      w.check();
    });
  }
}

// Event predicates.
export const isType = (type, fields = {}) => (e) => e?.type === type
  && Object.entries(fields).every(([k, v]) => e[k] === v);
export const ofChat = (chatId) => (e) => e?.chat_id === chatId;

// ---------------------------------------------------------------- WebSocket
/**
 * Opens /ws. opts: token (access_token query argument; omit for none),
 * protocol (default fechatter.v1; null for none), name (for messages),
 * authFrame (a token sent as {"op":"auth"} first), waitConfirmed (default
 * true: resolves after connection_confirmed), timeoutMs.
 * Resolves with a client: {ws, log, name, send(obj|string), confirmed,
 * closed (Promise<{code, reason}>), close()}.
 * Rejects with err.status set when the upgrade is refused.
 */
export function wsConnect(srv, opts = {}) {
  const {
    token, protocol = WS_PROTOCOL, name = 'ws', authFrame, waitConfirmed = true, timeoutMs = 5000, query = '',
  } = opts;
  const qs = [];
  if (token !== undefined) qs.push(`access_token=${encodeURIComponent(token)}`);
  if (query) qs.push(query);
  const url = `ws://${HOST}:${srv.port}/ws${qs.length ? `?${qs.join('&')}` : ''}`;
  const ws = new WebSocket(url, protocol ? [protocol] : [], { handshakeTimeout: scaled(timeoutMs), perMessageDeflate: false });
  const log = new EventLog(name);
  const client = {
    ws, log, name, url,
    rawFrames: [],
    send(obj) { ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); },
    close() {
      open.delete(client);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        try { ws.terminate(); } catch { /* gone */ }
      }
    },
    // A clean close handshake (code 1000), waiting (bounded) for the socket to end.
    async closeGracefully(timeoutMs2 = 3000) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
      try { await Promise.race([client.closed, sleep(timeoutMs2).then(() => { throw new Error('no close'); })]); } catch { /* terminate below */ }
      client.close();
    },
  };
  open.add(client);
  client.closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      open.delete(client);
      log.end(`close ${code} ${String(reason)}`);
      resolve({ code, reason: String(reason) });
    });
  });
  ws.on('message', (data, isBinary) => {
    const text = String(data);
    client.rawFrames.push({ text, isBinary });
    let ev;
    try { ev = JSON.parse(text); } catch { ev = { type: '__unparsable__', text }; }
    log.push(ev);
  });
  ws.on('error', () => { /* reported through close / the promise below */ });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.close();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`${name}: ${url.replace(/access_token=[^&]+/, 'access_token=…')} not confirmed within ${scaled(timeoutMs)} ms\n  ${log.summary()}`)), scaled(timeoutMs));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        const err = new Error(`${name}: upgrade refused with ${res.statusCode}: ${body.slice(0, 200)}`);
        err.status = res.statusCode;
        err.body = body;
        fail(err);
      });
      res.on('error', () => { const err = new Error(`upgrade refused ${res.statusCode}`); err.status = res.statusCode; fail(err); });
    });
    ws.on('error', (e) => fail(Object.assign(new Error(`${name}: ${e.message}`), { cause: e })));
    ws.on('open', async () => {
      if (authFrame !== undefined) client.send({ op: 'auth', token: authFrame });
      if (!waitConfirmed) {
        settled = true;
        clearTimeout(timer);
        resolve(client);
        return;
      }
      try {
        client.confirmed = await log.waitFor(isType('connection_confirmed'), { timeoutMs, label: 'connection_confirmed' });
      } catch (e) {
        fail(e);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(client);
    });
  });
}

// ---------------------------------------------------------------- SSE
/**
 * Opens /events over node:http. opts: token, lastEventId (header),
 * lastEventIdQuery (query argument), name, waitConfirmed (default true),
 * timeoutMs. Resolves with {log (data events, each the parsed JSON with a
 * hidden `__id`), frames [{id, event, data}], comments [text], status,
 * headers, lastId, close(), ended (Promise)}.
 * When the server answers other than 200 it resolves with {status, body}
 * only if opts.expectError, else rejects.
 */
export function sseConnect(srv, opts = {}) {
  const { token, lastEventId, lastEventIdQuery, name = 'sse', waitConfirmed = true, timeoutMs = 5000, expectError = false } = opts;
  const qs = [];
  if (token !== undefined) qs.push(`access_token=${encodeURIComponent(token)}`);
  if (lastEventIdQuery !== undefined) qs.push(`last_event_id=${encodeURIComponent(lastEventIdQuery)}`);
  const path = `/events${qs.length ? `?${qs.join('&')}` : ''}`;
  const headers = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const log = new EventLog(name);
  const client = {
    log, name, token, frames: [], comments: [], lastId: undefined, status: 0, headers: {},
    close() {
      open.delete(client);
      try { req.destroy(); } catch { /* gone */ }
    },
  };
  open.add(client);
  let endResolve;
  client.ended = new Promise((r) => { endResolve = r; });
  const req = http.request({ host: HOST, port: srv.port, path, method: 'GET', headers, agent: false });
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`${name}: ${path.replace(/access_token=[^&]+/, 'access_token=…')} not ${waitConfirmed ? 'confirmed' : 'answered'} within ${scaled(timeoutMs)} ms\n  ${log.summary()}`)), scaled(timeoutMs));
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) { client.close(); reject(err); } else resolve(value);
    };
    const ended = (why) => {
      open.delete(client);
      if (!log.ended) log.end(why);
      endResolve(why);
      finish(new Error(`${name}: stream ended before it was ready (${why})\n  ${log.summary()}`));
    };
    req.on('error', (e) => ended(`error ${e.code || e.message}`));
    req.on('close', () => ended('closed'));
    req.on('response', (res) => {
      client.status = res.statusCode;
      client.headers = res.headers;
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
          client.close();
          if (expectError) finish(null, { status: res.statusCode, body, headers: res.headers });
          else finish(Object.assign(new Error(`${name}: /events answered ${res.statusCode}: ${body.slice(0, 200)}`), { status: res.statusCode, body }));
        });
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      let cur = { data: [], id: undefined, event: undefined };
      const dispatch = () => {
        if (cur.id !== undefined) client.lastId = cur.id;
        if (cur.data.length > 0) {
          const data = cur.data.join('\n');
          const frame = { id: cur.id, event: cur.event, data };
          client.frames.push(frame);
          let ev;
          try { ev = JSON.parse(data); } catch { ev = { type: '__unparsable__', text: data }; }
          if (ev && typeof ev === 'object') {
            Object.defineProperty(ev, '__id', { value: cur.id, enumerable: false });
            Object.defineProperty(ev, '__event', { value: cur.event, enumerable: false });
          }
          log.push(ev);
        }
        cur = { data: [], id: undefined, event: undefined };
      };
      res.on('data', (chunk) => {
        buf += chunk;
        for (let guard = 0; guard < 100000; guard++) {
          const m = /\r\n|\n|\r/.exec(buf);
          if (!m) break;
          // a lone \r at the very end may be the first half of \r\n
          if (m[0] === '\r' && m.index === buf.length - 1) break;
          const line = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          if (line === '') { dispatch(); continue; }
          if (line.startsWith(':')) { client.comments.push(line.slice(1).trim()); continue; }
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          let value = i < 0 ? '' : line.slice(i + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'data') cur.data.push(value);
          else if (field === 'id') cur.id = value;
          else if (field === 'event') cur.event = value;
        }
      });
      res.on('end', () => ended('end'));
      res.on('close', () => ended('close'));
      res.on('error', (e) => ended(`error ${e.code || e.message}`));
      if (!waitConfirmed) { finish(null, client); return; }
      log.waitFor(isType('connection_confirmed'), { timeoutMs, label: 'connection_confirmed' })
        .then((ev) => { client.confirmed = ev; finish(null, client); }, (e) => finish(e));
    });
    req.end();
  });
}

// ---------------------------------------------------------------- raw clients
/**
 * A raw TCP client that sends an HTTP request by hand (a WebSocket upgrade
 * or an SSE GET), reads the response head, then stops reading (pause) so
 * the server's writes back up. Resolves with {sock, status, head, resume(),
 * closed (Promise<{bytes, how}>), bytes()}.
 */
export function rawStalledClient(srv, path, { websocket = false, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(srv.port, HOST);
    let head = '';
    let bytes = 0;
    let gotHead = false;
    let closeResolve;
    let how = 'close';
    const closed = new Promise((r) => { closeResolve = r; });
    const client = {
      sock,
      bytes: () => bytes,
      resume() { sock.resume(); },
      close() { open.delete(client); sock.destroy(); },
      closed,
    };
    open.add(client);
    const timer = setTimeout(() => { client.close(); reject(new Error(`raw client ${path.split('?')[0]}: no response head within ${scaled(timeoutMs)} ms`)); }, scaled(timeoutMs));
    sock.on('error', (e) => { how = `error ${e.code || e.message}`; });
    sock.on('close', () => {
      open.delete(client);
      clearTimeout(timer);
      closeResolve({ bytes, how });
      if (!gotHead) reject(new Error(`raw client ${path.split('?')[0]}: closed before a response head (${how})`));
    });
    sock.on('data', (d) => {
      bytes += d.length;
      if (gotHead) return;
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      gotHead = true;
      clearTimeout(timer);
      sock.pause(); // from now on the client does not read
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ ...client, status: m ? Number(m[1]) : 0, head: head.slice(0, end) });
    });
    sock.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${HOST}:${srv.port}`];
      if (websocket) {
        lines.push('Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${WS_PROTOCOL}`);
      } else {
        lines.push('Accept: text/event-stream');
      }
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  });
}

/**
 * A WebSocket client over a raw TCP socket, for frames no library would
 * send: writeFrame({fin, rsv, opcode, mask, payload}) writes one hand-built
 * frame (rsv: the 3 reserved bits as a number 0..7, mask: true to mask with
 * a random key, as a client must). Server frames are parsed into frames
 * [{opcode, fin, rsv, text, code}] (code: a close frame's status); ended resolves
 * with {closeCode} once the server closed the TCP connection. Resolves
 * after the 101 answer, rejects with {status, head} otherwise.
 */
export function rawWebSocket(srv, path, { protocol = WS_PROTOCOL, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(srv.port, HOST);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let endResolve;
    const frames = [];
    const waiters = new Set();
    const client = {
      sock, frames,
      ended: new Promise((r) => { endResolve = r; }),
      close() { open.delete(client); sock.destroy(); },
      writeFrame({ fin = true, rsv = 0, opcode = 1, mask = true, payload = '' }) {
        const data = Buffer.from(payload);
        const head = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0xf)];
        if (data.length < 126) head.push((mask ? 0x80 : 0) | data.length);
        else head.push((mask ? 0x80 : 0) | 126, data.length >> 8, data.length & 0xff);
        let body = data;
        const parts = [Buffer.from(head)];
        if (mask) {
          const key = crypto.randomBytes(4);
          body = Buffer.from(data.map((b, i) => b ^ key[i % 4]));
          parts.push(key);
        }
        parts.push(body);
        if (!sock.destroyed) sock.write(Buffer.concat(parts));
      },
      // resolves with the first frame (from index since) matching pred
      waitFrame(pred, { since = 0, label = 'frame', timeoutMs: t = 5000 } = {}) {
        return new Promise((res, rej) => {
          const w = {
            check: () => {
              const f = frames.slice(since).find(pred);
              if (f) { done(); res(f); } else if (sock.destroyed) { done(); rej(new Error(`raw ws: closed before ${label}; frames: ${JSON.stringify(frames)}`)); }
            },
          };
          const timer = setTimeout(() => { done(); rej(new Error(`raw ws: no ${label} within ${t} ms; frames: ${JSON.stringify(frames)}`)); }, t);
          const done = () => { clearTimeout(timer); waiters.delete(w); };
          waiters.add(w);
          w.check();
        });
      },
    };
    open.add(client);
    const wake = () => { for (const w of [...waiters]) w.check(); };
    const timer = setTimeout(() => { client.close(); reject(new Error(`raw ws ${path.split('?')[0]}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    const parse = () => {
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0] & 0xf;
        const b0 = buf[0];
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        const f = { opcode, fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7 };
        if (opcode === 8) f.code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
        else f.text = payload.toString('utf8');
        frames.push(f);
      }
    };
    sock.on('error', () => { /* seen as close */ });
    sock.on('close', () => {
      open.delete(client);
      clearTimeout(timer);
      const close = frames.find((f) => f.opcode === 8);
      endResolve({ closeCode: close ? close.code : null });
      wake();
      if (!upgraded) reject(Object.assign(new Error(`raw ws ${path.split('?')[0]}: closed before a 101`), { status: 0 }));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (!m || m[1] !== '101') {
          clearTimeout(timer);
          client.close();
          reject(Object.assign(new Error(`raw ws: answered ${head.split('\r\n')[0]}`), { status: m ? Number(m[1]) : 0, head }));
          return;
        }
        upgraded = true;
        clearTimeout(timer);
        resolve(client);
      }
      parse();
      wake();
    });
    sock.on('connect', () => {
      const lines = [`GET ${path} HTTP/1.1`, `Host: ${HOST}:${srv.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13'];
      if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  });
}

/**
 * A WebSocket upgrade request written by hand (GET unless method is given),
 * answered without upgrading: resolves with rawRequest's {status, headers,
 * body} (status 101 when the server upgraded after all).
 */
export function upgradeRequest(srv, path, { protocol, method = 'GET' } = {}) {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${HOST}:${srv.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13'];
  if (protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (method !== 'GET') lines.push('Content-Length: 0');
  return rawRequest(srv.port, `${lines.join('\r\n')}\r\n\r\n`, { timeoutMs: 3000 });
}

// ---------------------------------------------------------------- misc
// An access token signed with the server's key for `user`, expiring in `secs` seconds.
export function shortLivedToken(srv, user, secs) {
  const now = Math.floor(Date.now() / 1000);
  const { privateKey } = serverKey(srv.dataDir);
  return signEdDSA(claimsFor(user, { iat: now, exp: now + secs }), privateKey);
}

// VmRSS / VmHWM of a process in KiB (Linux).
export function memOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s) || [])[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

// True when the binary is a sanitizer build (RSS bounds do not apply).
export function isSanitizerBuild(bin) {
  try {
    const b = readFileSync(bin);
    return b.includes('__asan_init') || b.includes('AddressSanitizer') || b.includes('__ubsan_handle');
  } catch { return false; }
}

// Asserts an event carries every field of an HTTP message object with equal values.
export function assertSameMessage(ev, msg, what = 'event') {
  for (const [k, v] of Object.entries(msg)) {
    assert.ok(k in ev, `${what} has ${k}: ${JSON.stringify(ev).slice(0, 300)}`);
    assert.deepEqual(ev[k], v, `${what}.${k} equals the HTTP response's`);
  }
}

// Waits (bounded) for a condition polled every 50 ms.
export async function until(cond, { timeoutMs = 5000, label = 'condition' } = {}) {
  const deadline = Date.now() + scaled(timeoutMs);
  for (let i = 0; i < 100000; i++) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${scaled(timeoutMs)} ms waiting for ${label}`);
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${label}`);
}

/**
 * An in-band barrier on one connection: a ping answered on that same
 * connection after everything queued to it before. On a WebSocket the
 * {"op":"ping"} frame; on an SSE stream POST /api/realtime/ping with its
 * connection_id. When it resolves, every event the server queued to the
 * connection before the ping has been received, so "nothing (more)
 * arrived" can be asserted without waiting a fixed time. Events caused by
 * frames of ANOTHER WebSocket are only covered once that socket's own
 * barrier resolved (call barrier on it first).
 */
export async function barrier(srv, c, { timeoutMs = 5000 } = {}) {
  const since = c.log.mark();
  if (c.ws) {
    c.send({ op: 'ping' });
  } else {
    const r = await srv.api('POST', '/api/realtime/ping', { token: c.token, body: { connection_id: c.confirmed.connection_id } });
    assert.equal(r.status, 200, `${c.name}: /api/realtime/ping answered ${r.status} ${r.text.slice(0, 200)}`);
  }
  await c.log.waitFor(isType('pong'), { since, timeoutMs, label: 'pong (barrier)' });
}

// Barriers on several connections, one after the other.
export async function barriers(srv, ...clients) {
  for (const c of clients) await barrier(srv, c);
}
