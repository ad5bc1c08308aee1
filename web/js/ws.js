// WebSocket client: subprotocol fechatter.v1, token in the query, automatic
// reconnect with jittered exponential backoff, heartbeat, token refresh on 4001.
import { token, refresh, expiresSoon } from './api.js';

export class Realtime {
  constructor() {
    this.handlers = new Map();
    this.ws = null;
    this.attempt = 0;
    this.stopped = true;
    this.everOpen = false;
    this.status = 'offline';
    this.timer = 0;
    this.hb = 0;
    this.lastRx = 0;
    window.addEventListener('online', () => this.kick());
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
  }

  emit(type, ev) { this.handlers.get(type)?.forEach((fn) => { try { fn(ev); } catch (e) { console.error(e); } }); }

  setStatus(s) { if (s !== this.status) { this.status = s; this.emit('status', s); } }

  start() { this.stopped = false; this.everOpen = false; this.connect(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer); clearInterval(this.hb);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); this.ws = null; }
    this.setStatus('offline');
  }

  kick() { if (!this.stopped && (!this.ws || this.ws.readyState > 1)) { clearTimeout(this.timer); this.connect(); } }

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.setStatus(this.everOpen ? 'reconnecting' : 'connecting');
    if (expiresSoon() || this.needRefresh) {
      try { await refresh(); this.needRefresh = false; } catch (e) { if (e.status === 401) return; }
    }
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(`${proto}//${location.host}/ws?access_token=${encodeURIComponent(token() || '')}`, 'fechatter.v1');
    } catch { this.schedule(); return; }
    this.ws = ws;
    let confirmed = false;
    ws.onmessage = (m) => {
      this.lastRx = Date.now();
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (ev.type === 'connection_confirmed') {
        confirmed = true;
        const again = this.everOpen;
        this.everOpen = true;
        this.attempt = 0;
        this.setStatus('online');
        this.emit('open', { reconnect: again });
        return;
      }
      if (ev.type === 'error' && ev.op === 'auth') this.needRefresh = true;
      this.emit(ev.type, ev);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.hb);
      if (this.stopped) return;
      // 4001: token expired or rejected; a refused upgrade looks like 1006 before confirmation
      if (e.code === 4001 || (!confirmed && this.attempt >= 1)) this.needRefresh = true;
      this.setStatus('reconnecting');
      this.schedule(e.code === 4001 ? 0 : undefined);
    };
    ws.onerror = () => { /* onclose follows */ };
    this.lastRx = Date.now();
    clearInterval(this.hb);
    this.hb = setInterval(() => {
      if (ws.readyState !== 1) return;
      if (Date.now() - this.lastRx > 65000) { ws.close(4000, 'stale'); return; }
      ws.send('{"op":"ping"}');
    }, 25000);
  }

  schedule(delay) {
    const base = Math.min(15000, 400 * 2 ** this.attempt);
    this.attempt += 1;
    const d = delay ?? Math.round(base / 2 + Math.random() * base / 2);
    this.timer = setTimeout(() => this.connect(), d);
  }

  get open() { return this.ws?.readyState === 1 && this.status === 'online'; }

  send(obj) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }
}

// the one connection of the page (main.js starts and stops it)
export const rt = new Realtime();
