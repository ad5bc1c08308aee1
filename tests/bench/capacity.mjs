// Capacity run (make bench-capacity): N simulated people, each with a
// WebSocket and keep-alive HTTP, doing a day's mix of actions (weights from
// Mattermost's load tool; the mapping is in README-capacity.md), for rising
// N. Per step: each action's p50/p99 and errors; the largest N at which every
// action's p99 < 200 ms with no errors. 127.0.0.1 only; every step and the
// whole run are bounded in time.
//
// usage: node capacity.mjs --port P [--server-pid PID] [--steps 50,100,...]
//        [--factor 10] [--step-seconds 40] [--procs 2] [--visible 0.1]
//        [--budget-seconds 900] [--json FILE]
// The parent seeds (sign-ups, channels, history) and forks --procs worker
// processes (this file with --worker) that play the people.
import { fork } from 'node:child_process';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]?.startsWith('--') || all[i + 1] === undefined ? '1' : all[i + 1]]);
  return acc;
}, []));
const PORT = Number(args.port);
const FACTOR = Number(args.factor || 10);
const STEP_S = Number(args['step-seconds'] || 40);
const VISIBLE = Number(args.visible ?? 0.1);
const P99_LIMIT_MS = 200;
const REQ_TIMEOUT_MS = 10000;

// Mattermost's weights (drafts skipped: client-side here).
const ACTIONS = [
  ['switch_channel', 6.52], ['scroll', 1.99], ['unread_check', 1], ['create_post', 1],
  ['open_dm', 0.98], ['view_thread', 0.60], ['add_reaction', 0.13], ['edit_post', 0.04],
  ['search', 0.022], ['delete_post', 0.005],
];
const EXTRA = ['read_marker_event', 'ws_connect', 'part_page_get', 'part_read_post'];
const WSUM = ACTIONS.reduce((s, [, w]) => s + w, 0);
const WORDS = ['release', 'staging', 'lunch', 'review', 'deploy', 'numbers', 'meeting', 'login', 'build', 'fix'];
const EMOJI = ['👍', 'tada', 'eyes', 'heart', 'rocket'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ HTTP
function request(agent, method, path, body, token) {
  return new Promise((resolve) => {
    const headers = {};
    let buf = null;
    if (body !== undefined) { buf = Buffer.from(JSON.stringify(body)); headers['content-type'] = 'application/json'; headers['content-length'] = buf.length; }
    if (token) headers.authorization = `Bearer ${token}`;
    const attempt = (retry) => {
      const req = http.request({ host: '127.0.0.1', port: PORT, method, path, headers, agent, timeout: REQ_TIMEOUT_MS }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          let json = null;
          try { json = JSON.parse(Buffer.concat(chunks).toString()); } catch { /* not JSON */ }
          resolve({ status: res.statusCode, json });
        });
        res.on('error', () => resolve({ status: 0, json: null }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        // a keep-alive socket the server closed while idle: retry once, as
        // a browser does (node's documented pattern)
        if (retry && req.reusedSocket && e.code === 'ECONNRESET') attempt(false);
        else resolve({ status: 0, json: null, error: e.message });
      });
      if (buf) req.write(buf);
      req.end();
    };
    attempt(true);
  });
}

// ================================================================== worker
async function worker() {
  const people = [];
  let go = false, stopAt = 0, stats = null;
  const lat = {}; const errs = {}; const firstErr = {};
  for (const [a] of ACTIONS) { lat[a] = []; errs[a] = 0; }
  for (const a of EXTRA) { lat[a] = []; errs[a] = 0; }
  let events = 0, acksLate = 0;
  const record = (a, t0, ok, why) => {
    if (ok) lat[a].push(performance.now() - t0);
    else { errs[a]++; if (!firstErr[a]) firstErr[a] = why; }
  };
  let allUsers = [];

  function newPerson(p) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const me = { ...p, agent, ws: null, cur: p.chats[0], pages: new Map(), mine: [], pending: new Map(), readTimer: null, seq: 0 };
    return me;
  }
  const api = (me, method, path, body) => request(me.agent, method, path, body, me.token);

  function connect(me) {
    return new Promise((resolve) => {
      const t0 = performance.now();
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}/ws?access_token=${me.token}`, 'fechatter.v1', { perMessageDeflate: false });
      me.ws = ws;
      let done = false;
      const fin = (ok, why) => { if (!done) { done = true; record('ws_connect', t0, ok, why); resolve(ok); } };
      const timer = setTimeout(() => fin(false, 'connect timeout'), REQ_TIMEOUT_MS);
      ws.on('message', (data) => {
        const s = data.toString();
        if (!done && s.includes('"connection_confirmed"')) { clearTimeout(timer); fin(true); return; }
        if (s.startsWith('{"type":"ack"') || s.includes('"type":"ack"') || s.includes('"type":"error"')) {
          const m = /"idempotency_key":"([^"]+)"/.exec(s);
          const w = m && me.pending.get(m[1]);
          if (w) { me.pending.delete(m[1]); w(s.includes('"type":"ack"') ? s : null); } else acksLate++;
          return;
        }
        if (s.includes('"type":"new_message"')) {
          events++;
          // the web client marks the open chat read on a new message when its tab is visible
          if (go && Math.random() < VISIBLE) {
            const c = /"chat_id":(\d+)/.exec(s); const id = /"id":(\d+)/.exec(s);
            if (c && id && Number(c[1]) === me.cur) {
              const chat = me.cur;
              clearTimeout(me.readTimer);
              me.readTimer = setTimeout(async () => {
                if (chat !== me.cur || performance.now() >= stopAt) return;
                const t0 = performance.now();
                const r = await api(me, 'POST', `/api/chat/${chat}/read`, { message_id: Number(id[1]) });
                record('read_marker_event', t0, r.status === 200, `read ${r.status} ${r.error || ''}`);
              }, 300);
            }
          }
        }
      });
      ws.on('error', (e) => fin(false, `ws error ${e.message}`));
      ws.on('close', (code) => {
        fin(false, `ws closed ${code}`);
        if (go && performance.now() < stopAt) { errs.ws_connect++; firstErr.ws_connect ??= `ws closed during the step: ${code}`; }
        for (const w of me.pending.values()) w(null);
        me.pending.clear();
      });
    });
  }

  function wsSend(me, frame) { if (me.ws && me.ws.readyState === 1) me.ws.send(JSON.stringify(frame)); }

  async function page(me, chat, before) {
    const t0 = performance.now();
    const r = await api(me, 'GET', `/api/chat/${chat}/messages?limit=50${before ? `&before=${before}` : ''}`);
    if (go) record('part_page_get', t0, r.status === 200, `page ${r.status}`);
    if (r.status !== 200) return { ok: false, why: `page ${r.status} ${r.error || ''}` };
    const msgs = r.json?.data || [];
    const pg = me.pages.get(chat) || {};
    if (!before) pg.newest = msgs.length ? msgs[0].id : 0;
    pg.next = r.json?.meta?.next_before || 0;
    pg.ids = msgs.filter((m) => !m.deleted).map((m) => m.id);
    pg.roots = msgs.filter((m) => !m.reply_to && !m.deleted).map((m) => ({ id: m.id, replies: m.reply_count || 0 }));
    me.pages.set(chat, pg);
    return { ok: true, pg };
  }
  async function openChat(me, chat) {
    me.cur = chat;
    const p = await page(me, chat, 0);
    if (!p.ok) return p;
    if (p.pg.newest) {
      const t0 = performance.now();
      const r = await api(me, 'POST', `/api/chat/${chat}/read`, { message_id: p.pg.newest });
      if (go) record('part_read_post', t0, r.status === 200, `read ${r.status}`);
      if (r.status !== 200) return { ok: false, why: `read ${r.status}` };
    }
    return { ok: true };
  }
  const pick = (a) => a[Math.floor(Math.random() * a.length)];

  async function act(me, a) {
    const pg = me.pages.get(me.cur);
    switch (a) {
      case 'switch_channel': return openChat(me, pick(me.chats));
      case 'scroll': {
        if (!pg || !pg.next) return openChat(me, me.cur);
        const p = await page(me, me.cur, pg.next);
        return p;
      }
      case 'unread_check': {
        // the web client's sidebar reads the chat list (with unread counts);
        // half of the checks use the dedicated counts route
        const path = Math.random() < 0.5 ? '/api/workspace/chats' : '/api/unread-counts';
        const r = await api(me, 'GET', path);
        return { ok: r.status === 200, why: `${path} ${r.status}` };
      }
      case 'create_post': {
        const key = `c${me.id}-${++me.seq}-${process.pid}`;
        const reply = pg && pg.roots.length && Math.random() < 0.18 ? pick(pg.roots).id : undefined;
        const frame = { op: 'send', chat_id: me.cur, content: `${pick(WORDS)} update ${me.seq}: ${pick(WORDS)} looks fine from here`, idempotency_key: key };
        if (reply) frame.reply_to = reply;
        const ack = await new Promise((resolve) => {
          me.pending.set(key, resolve);
          setTimeout(() => { if (me.pending.delete(key)) resolve(null); }, REQ_TIMEOUT_MS);
          wsSend(me, frame);
        });
        wsSend(me, { op: 'typing', chat_id: me.cur, state: 'stop' });
        if (!ack) return { ok: false, why: 'no ack (error or timeout)' };
        const id = /"message":\{"id":(\d+)/.exec(ack) || /"id":(\d+)/.exec(ack);
        if (id) me.mine.push({ chat: me.cur, id: Number(id[1]) });
        return { ok: true };
      }
      case 'open_dm': {
        const other = pick(allUsers.filter((u) => u !== me.id));
        if (!other) return { ok: true };
        const r = await api(me, 'POST', '/api/workspace/chats', { chat_type: 'Single', members: [other] });
        if (r.status !== 200 && r.status !== 201) return { ok: false, why: `dm ${r.status} ${JSON.stringify(r.json?.error || r.error)}` };
        const id = r.json.data.id;
        if (!me.chats.includes(id)) me.chats.push(id);
        return openChat(me, id);
      }
      case 'view_thread': {
        if (!pg || !pg.roots.length) return openChat(me, me.cur);
        const withReplies = pg.roots.filter((x) => x.replies > 0);
        const root = pick(withReplies.length ? withReplies : pg.roots).id;
        const r = await api(me, 'GET', `/api/chat/${me.cur}/messages/${root}/replies?limit=100`);
        return { ok: r.status === 200, why: `replies ${r.status}` };
      }
      case 'add_reaction': {
        if (!pg || !pg.ids.length) return openChat(me, me.cur);
        const r = await api(me, 'POST', `/api/chat/${me.cur}/messages/${pick(pg.ids)}/reactions`, { emoji: pick(EMOJI) });
        // 404: the message was deleted meanwhile by its sender (a real race), not a server fault
        return { ok: r.status === 200 || r.status === 201 || r.status === 404, why: `reaction ${r.status}` };
      }
      case 'edit_post': {
        const m = me.mine[me.mine.length - 1];
        if (!m) return { skip: true };
        const r = await api(me, 'PATCH', `/api/chat/${m.chat}/messages/${m.id}`, { content: `edited: ${pick(WORDS)} ${me.seq}` });
        return { ok: r.status === 200, why: `edit ${r.status}` };
      }
      case 'search': {
        const r = await api(me, 'GET', `/api/search/messages?q=${encodeURIComponent(pick(WORDS))}&limit=20`);
        return { ok: r.status === 200, why: `search ${r.status}` };
      }
      case 'delete_post': {
        const m = me.mine.pop();
        if (!m) return { skip: true };
        const r = await api(me, 'DELETE', `/api/chat/${m.chat}/messages/${m.id}`);
        return { ok: r.status === 200, why: `delete ${r.status}` };
      }
    }
    return { ok: false, why: 'unknown action' };
  }

  const chooseAction = () => {
    let x = Math.random() * WSUM;
    for (const [a, w] of ACTIONS) { if ((x -= w) < 0) return a; }
    return ACTIONS[0][0];
  };
  // at least 1 s, on average 20 s between actions (real time), divided by the factor
  const idleMs = () => (1000 + -Math.log(1 - Math.random()) * 19000) / FACTOR;

  async function live(me) {
    await sleep(Math.min(Math.random() * idleMs() * 2, STEP_S * 1000)); // spread the starts
    while (performance.now() < stopAt) {
      const a = chooseAction();
      if (a === 'create_post') {
        // typing first, as the composer does; composing takes a few seconds
        wsSend(me, { op: 'typing', chat_id: me.cur, state: 'start' });
        await sleep((2000 + Math.random() * 4000) / FACTOR);
        if (performance.now() >= stopAt) { wsSend(me, { op: 'typing', chat_id: me.cur, state: 'stop' }); break; }
      }
      const t0 = performance.now();
      let r;
      try { r = await act(me, a); } catch (e) { r = { ok: false, why: `exception ${e.message}` }; }
      if (!r.skip) record(a, t0, r.ok, r.why);
      await sleep(Math.min(idleMs(), Math.max(0, stopAt - performance.now())));
    }
  }

  process.on('message', async (msg) => {
    if (msg.type === 'setup') {
      allUsers = msg.allUsers;
      for (const p of msg.people) people.push(newPerson(p));
      // open the sockets a few at a time
      for (let i = 0; i < people.length; i += 20) await Promise.all(people.slice(i, i + 20).map(connect));
      // and open each person's first chat (as the web client does on load)
      for (let i = 0; i < people.length; i += 20) await Promise.all(people.slice(i, i + 20).map((me) => openChat(me, me.cur)));
      for (const a of Object.keys(lat)) if (a !== 'ws_connect') { lat[a] = []; errs[a] = 0; delete firstErr[a]; }
      process.send({ type: 'ready', connected: people.filter((p) => p.ws?.readyState === 1).length });
    } else if (msg.type === 'go') {
      go = true;
      stopAt = performance.now() + msg.seconds * 1000;
      const cpu0 = process.cpuUsage(); const t0 = performance.now();
      events = 0;
      await Promise.all(people.map(live));
      await sleep(500);
      const cpu = process.cpuUsage(cpu0);
      stats = { lat, errs, firstErr, events, acksLate, cpu_s: (cpu.user + cpu.system) / 1e6, wall_s: (performance.now() - t0) / 1000 };
      for (const me of people) { try { me.ws.close(); } catch { /* gone */ } me.agent.destroy(); }
      process.send({ type: 'stats', stats }, () => process.exit(0));
    }
  });
  process.send({ type: 'hello' });
}

// ================================================================== parent
function cpuOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
}
function rssOf(pid) {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return NaN; }
}
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor((a.length - 1) * p))] : NaN);

async function parent() {
  if (!PORT) { console.error('usage: capacity.mjs --port P [...]'); process.exit(2); }
  const steps = (args.steps || '50,100,200,400,800,1600').split(',').map(Number);
  const procs = Math.max(1, Number(args.procs || 2));
  const budget = Number(args['budget-seconds'] || 900) * 1000;
  const serverPid = Number(args['server-pid'] || 0);
  const T0 = performance.now();
  const hard = setTimeout(() => { console.error('capacity: hard time limit'); process.exit(1); }, budget + 120000);
  hard.unref();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const must = async (method, path, body, token, want) => {
    const r = await request(agent, method, path, body, token);
    if (!want.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)} ${r.error || ''}`);
    return r.json.data;
  };
  const log = (s) => process.stderr.write(`${s}\n`);

  // -------- seed: owner, channels, history; people are signed up as N grows
  const tSeed = performance.now();
  const owner = await must('POST', '/api/signup', { email: 'p0@cap.test', password: 'capacity-pass-1', fullname: 'Person 0' }, null, [201]);
  const invites = [];
  const people = [{ id: owner.user.id, token: owner.access_token }];
  const NCH = 16;
  const channels = [];
  for (let i = 0; i < NCH; i++) {
    const c = await must('POST', '/api/workspace/chats', { name: i ? `team-${i}` : 'town-square', chat_type: 'PublicChannel', members: [] }, owner.access_token, [201]);
    channels.push(c.id);
  }
  const memberOf = new Map([[owner.user.id, channels.slice()]]);
  async function grow(n) {
    const t = performance.now();
    const fresh = [];
    let next = people.length;
    const one = async () => {
      while (next < n) {
        const i = next++;
        if (!invites.length || invites[invites.length - 1].left === 0) {
          const inv = await must('POST', '/api/workspace/invites', { max_uses: 1000 }, owner.access_token, [201]);
          invites.push({ code: inv.code, left: 1000 });
        }
        const inv = invites[invites.length - 1]; inv.left--;
        const u = await must('POST', '/api/signup', { email: `p${i}@cap.test`, password: 'capacity-pass-1', fullname: `Person ${i}`, invite_code: inv.code }, null, [201]);
        people[i] = { id: u.user.id, token: u.access_token };
        fresh.push(u.user.id);
      }
    };
    await Promise.all([one(), one(), one(), one()]);
    // town-square for all, and 4 of the other channels at random
    const add = new Map(channels.map((c) => [c, []]));
    for (const id of fresh) {
      const mine = [channels[0]];
      while (mine.length < 5) { const c = channels[1 + Math.floor(Math.random() * (NCH - 1))]; if (!mine.includes(c)) mine.push(c); }
      memberOf.set(id, mine);
      for (const c of mine) add.get(c).push(id);
    }
    for (const [c, ids] of add) {
      for (let i = 0; i < ids.length; i += 100) await must('POST', `/api/chat/${c}/members`, { user_ids: ids.slice(i, i + 100) }, owner.access_token, [200]);
    }
    log(`  signed up ${fresh.length} people (${people.length} in all) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await grow(Math.min(steps[0], 50));
  // history: 60 messages per channel, 18% replies, by its members
  let hist = 0;
  for (const c of channels) {
    const members = people.filter((p) => memberOf.get(p.id).includes(c));
    const roots = [];
    for (let i = 0; i < 60; i++) {
      const p = members[i % members.length];
      const body = { content: `${WORDS[i % WORDS.length]} note ${i}: the ${WORDS[(i * 7) % WORDS.length]} is on track` };
      if (roots.length && Math.random() < 0.18) body.reply_to = roots[Math.floor(Math.random() * roots.length)];
      const m = await must('POST', `/api/chat/${c}/messages`, body, p.token, [201]);
      if (!body.reply_to) roots.push(m.id);
      hist++;
    }
  }
  log(`  seeded ${NCH} channels with ${hist} messages in ${((performance.now() - tSeed) / 1000).toFixed(1)} s`);

  const results = [];
  let largest = 0;
  for (const N of steps) {
    const left = budget - (performance.now() - T0);
    if (left < (STEP_S + 60) * 1000) { log(`  time budget: stopping before N=${N}`); break; }
    if (people.length < N) await grow(N);
    const active = people.slice(0, N);
    const allUsers = active.map((p) => p.id);
    // fork workers, hand each its people
    const ws = [];
    for (let k = 0; k < procs; k++) {
      const child = fork(fileURLToPath(import.meta.url), ['--worker', '--port', String(PORT), '--factor', String(FACTOR), '--visible', String(VISIBLE)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      ws.push(child);
    }
    const onMsg = (child, type) => new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`worker: no ${type} in time`)), 300000);
      const f = (m) => { if (m.type === type) { clearTimeout(t); child.off('message', f); res(m); } };
      child.on('message', f);
    });
    await Promise.all(ws.map((c) => onMsg(c, 'hello')));
    const tc = performance.now();
    const readyP = ws.map((c) => onMsg(c, 'ready'));
    ws.forEach((c, k) => c.send({
      type: 'setup', allUsers,
      people: active.filter((_, i) => i % procs === k).map((p) => ({ ...p, chats: memberOf.get(p.id).slice() })),
    }));
    const ready = await Promise.all(readyP);
    const connected = ready.reduce((s, m) => s + m.connected, 0);
    const connectS = (performance.now() - tc) / 1000;
    const s0 = serverPid ? cpuOf(serverPid) : NaN;
    const w0 = performance.now();
    const statsP = ws.map((c) => onMsg(c, 'stats'));
    ws.forEach((c) => c.send({ type: 'go', seconds: STEP_S }));
    const all = await Promise.all(statsP);
    const wall = (performance.now() - w0) / 1000;
    const serverCpu = serverPid ? (cpuOf(serverPid) - s0) / wall : NaN;
    const rss = serverPid ? rssOf(serverPid) : NaN;
    // merge
    const per = {};
    let events = 0, genCpu = 0, genWall = 0, total = 0;
    for (const { stats } of all) {
      events += stats.events; genCpu += stats.cpu_s; genWall = Math.max(genWall, stats.wall_s);
      for (const a of Object.keys(stats.lat)) {
        per[a] ??= { lat: [], errors: 0, first_error: null };
        per[a].lat.push(...stats.lat[a]);
        per[a].errors += stats.errs[a];
        per[a].first_error ??= stats.firstErr[a] || null;
      }
    }
    const rows = {};
    let ok = connected === N;
    for (const [a, v] of Object.entries(per)) {
      v.lat.sort((x, y) => x - y);
      const r = { count: v.lat.length, errors: v.errors, p50_ms: +pct(v.lat, 0.5).toFixed(1), p99_ms: +pct(v.lat, 0.99).toFixed(1), first_error: v.first_error };
      rows[a] = r;
      if (a !== 'ws_connect' && !a.startsWith('part_')) total += r.count;
      if (r.errors > 0 || (r.count && r.p99_ms >= P99_LIMIT_MS)) ok = false;
    }
    const step = {
      n: N, connected, connect_s: +connectS.toFixed(1), seconds: +wall.toFixed(1), actions: total,
      actions_per_s: +(total / wall).toFixed(1), events_received: events,
      generator_cpu_pct: +(100 * genCpu / genWall).toFixed(0), server_cpu_pct: +(100 * serverCpu).toFixed(0),
      server_rss_kb: rss, load1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]), ok, actions_by: rows,
    };
    results.push(step);
    const line = (a) => { const r = rows[a]; return r ? `${a.padEnd(18)} ${String(r.count).padStart(7)} ${String(r.p50_ms).padStart(8)} ${String(r.p99_ms).padStart(8)} ${String(r.errors).padStart(6)}${r.first_error ? `  (${r.first_error})` : ''}` : `${a.padEnd(18)} (none)`; };
    console.log(`\n-- N=${N}: ${connected}/${N} connected in ${step.connect_s} s; ${step.actions} actions in ${step.seconds} s (${step.actions_per_s}/s), ${events} new_message events received; ` +
      `generator CPU ${step.generator_cpu_pct}% of one core (${procs} processes), server CPU ${step.server_cpu_pct}%, server RSS ${rss} KiB, load ${step.load1}: ${ok ? 'PASS' : 'FAIL'}`);
    console.log(`${'action'.padEnd(18)} ${'count'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(6)}`);
    for (const [a] of ACTIONS) console.log(line(a));
    for (const a of EXTRA) console.log(line(a));
    console.log('(part_page_get, part_read_post: the requests inside switch_channel, scroll and open_dm, timed alone)');
    // the curve goes on past a step over the line (to show where it
    // breaks), but not past errors, a p99 of a second or more, or a person
    // who could not connect
    const worst = Math.max(...Object.entries(rows).filter(([a]) => a !== 'ws_connect').map(([, r]) => r.p99_ms || 0));
    const errors = Object.values(rows).reduce((e, r) => e + r.errors, 0);
    if (ok) largest = N;
    if (errors || worst >= 1000 || connected !== N) {
      log(`  N=${N}: ${errors} errors, worst p99 ${worst} ms, ${connected}/${N} connected: stopping`);
      break;
    }
  }
  const summary = {
    factor: FACTOR, step_seconds: STEP_S, visible: VISIBLE, procs, p99_limit_ms: P99_LIMIT_MS,
    largest_n: largest, reached_top: largest === steps[steps.length - 1], seconds: +((performance.now() - T0) / 1000).toFixed(0), steps: results,
  };
  console.log(`\ncapacity curve (time factor ${FACTOR}: idle between actions ${(1 / FACTOR).toFixed(2)}..~${(20 / FACTOR).toFixed(1)} s on average instead of 1..20 s):`);
  console.log(`${'N'.padStart(6)} ${'actions/s'.padStart(10)} ${'worst p99 ms'.padStart(13)} ${'(action)'.padEnd(20)} ${'errors'.padStart(7)} ${'gen CPU%'.padStart(9)} ${'srv CPU%'.padStart(9)}  ok`);
  for (const s of results) {
    let worst = ['', 0];
    let e = 0;
    for (const [a, r] of Object.entries(s.actions_by)) { if (a !== 'ws_connect' && r.p99_ms > worst[1]) worst = [a, r.p99_ms]; e += r.errors; }
    console.log(`${String(s.n).padStart(6)} ${String(s.actions_per_s).padStart(10)} ${String(worst[1]).padStart(13)} ${`(${worst[0]})`.padEnd(20)} ${String(e).padStart(7)} ${String(s.generator_cpu_pct).padStart(9)} ${String(s.server_cpu_pct).padStart(9)}  ${s.ok ? 'yes' : 'NO'}`);
  }
  console.log(`largest N with every action's p99 < ${P99_LIMIT_MS} ms and no errors: ${largest || 'none'}${summary.reached_top ? ' (the largest step tried: the limit is higher)' : ''}` +
    ` (time factor ${FACTOR}: N people here send as many requests as about ${FACTOR}×N people at the real pace)`);
  if (args.json) writeFileSync(args.json, JSON.stringify(summary, null, 1));
  agent.destroy();
  process.exit(0);
}

if (args.worker) worker(); else parent().catch((e) => { console.error(`capacity: ${e.stack || e}`); process.exit(1); });
