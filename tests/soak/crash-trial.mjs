// Crash trials: the real binary on a fresh data folder under HTTP and
// WebSocket send load, killed with SIGKILL at a random moment, restarted on
// the same folder, then checked:
//  - every acknowledged message (HTTP 2xx, WebSocket ack) is stored with the
//    id and content it was acknowledged with (read from the SQLite file with
//    the sqlite3 shell, and a sample through the API);
//  - no idempotency key or content is stored twice, a replayed key answers
//    the stored message (during the load and after the restart);
//  - PRAGMA integrity_check and foreign_key_check are clean, FTS5's
//    integrity-check passes for both indexes, and the scoped word index
//    holds exactly the chat's messages (search finds a sample too);
//  - the restarted server serves again (HTTP send, WebSocket send).
// Messages stored whose acknowledgement never arrived are counted (fine
// after kill -9). Used by tests/e2e/crash.test.mjs (3 trials, `make test`)
// and tests/soak/crash.mjs (`make soak`, TRIALS=N).
// Everything talks to 127.0.0.1; every loop is bounded in count and time.
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOST, startServer, mustSignup, createInvite, assertOk, sleep,
} from '../e2e/lib/server.mjs';
import { WebSocket, WS_PROTOCOL } from '../e2e/lib/rt.mjs';

// A small seeded generator (mulberry32), so a trial can be replayed by seed.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// sqlite3 shell on the data folder's database; returns stdout lines.
function sql(dbPath, text) {
  const r = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', dbPath], {
    input: text, encoding: 'utf8', timeout: 60000, maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new Error(`sqlite3: ${r.error.message}`);
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

export function sqliteAvailable() {
  return spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
}

const CJK = '測試訊息第';

/**
 * Runs one trial. opts: trial (number, in keys and contents), seed,
 * httpClients (concurrent HTTP senders, default 6), wsSenders (default 3),
 * wsWindow (unacknowledged sends in flight per WebSocket; default a random
 * 20..250), durability ('full' | 'normal') and groupCommit ('on' | 'off')
 * (the server's options; default drawn from the seed: full 2 in 3, on 3 in 4),
 * minLoadMs/maxLoadMs (the kill comes after a random time in this range of
 * load, default 300..2000), maxSends (per sender, a bound), keepData (keep
 * the folder even when the trial passed), args (extra server arguments,
 * for both starts; default: the CRASH_SERVER_ARGS variable split on spaces).
 * Returns a result object; result.failures lists what went wrong (empty
 * when the trial passed). Never throws for a check that failed.
 */
export async function runTrial(opts = {}) {
  const trial = opts.trial ?? 1;
  const seed = opts.seed ?? ((Date.now() ^ (trial * 2654435761)) >>> 0);
  const rand = rng(seed);
  const httpClients = opts.httpClients ?? 6;
  const wsSenders = opts.wsSenders ?? 3;
  // drawn in a fixed order whatever opts sets, so a seed replays a trial
  const draws = [rand(), rand(), rand(), rand()];
  const wsWindow = opts.wsWindow ?? 20 + Math.floor(draws[0] * 231);
  const durability = opts.durability ?? (draws[1] < 2 / 3 ? 'full' : 'normal');
  const groupCommit = opts.groupCommit ?? (draws[2] < 3 / 4 ? 'on' : 'off');
  const minLoadMs = opts.minLoadMs ?? 300;
  const maxLoadMs = opts.maxLoadMs ?? 2000;
  const maxSends = opts.maxSends ?? 50000;
  const args = ['--durability', durability, '--group-commit', groupCommit,
    ...(opts.args ?? (process.env.CRASH_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean))];
  const loadMs = Math.round(minLoadMs + draws[3] * (maxLoadMs - minLoadMs));
  const dataDir = mkdtempSync(join(tmpdir(), 'fechatter-crash-'));
  const dbPath = join(dataDir, 'fechatter.db');
  const failures = [];
  const fail = (what) => { if (failures.length < 50) failures.push(what); };
  const res = {
    trial, seed, loadMs, dataDir, failures, durability, groupCommit, wsWindow,
    sent: 0, acked: 0, ackedHttp: 0, ackedWs: 0, lost: 0, storedUnacked: 0, stored: 0,
    duplicates: 0, replays: 0, integrity: 'not run', fts: 'not run', errors: {},
  };
  const servers = [];
  const sockets = new Set();
  try {
    // ---------------------------------------------------------- setup
    const tStart = Date.now();
    let srv = await startServer({ dataDir, args });
    servers.push(srv);
    const owner = await mustSignup(srv, { fullname: 'Crash Owner', workspace_name: `Crash ${trial}` });
    const invite = await createInvite(srv, owner.access_token, { max_uses: 10 });
    const users = [owner];
    for (let i = 1; i < 3; i++) users.push(await mustSignup(srv, { fullname: `Crash User${i}`, invite_code: invite.code }));
    const chat = assertOk(await srv.api('POST', '/api/workspace/chats', {
      token: owner.access_token,
      body: { chat_type: 'Group', name: `crash-${trial}`, members: users.slice(1).map((u) => u.user.id) },
    }), 201);

    // every key sent: key -> {content, sender (user index), via, acks: [ids]}
    const sent = new Map();
    let nextKey = 0;
    const newSend = (via, w, userIdx) => {
      nextKey += 1;
      const n = nextKey;
      const key = `t${trial}-${via}${w}-${n}`;
      // a word of its own, and no other message's word starts with it (the
      // search takes the last word as a prefix)
      const word = `zz${trial}${via}${w}n${n}q`;
      const content = `crashmark ${word} trial ${trial}${n % 7 === 0 ? ` ${CJK}${n}` : ''}`;
      const s = { key, content, word, user: userIdx, via, acks: [] };
      sent.set(key, s);
      return s;
    };
    const countError = (code) => { res.errors[code] = (res.errors[code] ?? 0) + 1; };
    let stop = false;
    let killing = false;
    const deadline = Date.now() + loadMs + 25000; // a bound for the loops below, whatever happens

    // ---------------------------------------------------------- WebSocket senders (connected before the load)
    const openWs = (user, name) => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${HOST}:${srv.port}/ws?access_token=${encodeURIComponent(user.access_token)}`,
        [WS_PROTOCOL], { handshakeTimeout: 5000, perMessageDeflate: false });
      sockets.add(ws);
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`${name}: not confirmed in 5 s`)); }, 5000);
      ws.on('error', (e) => { clearTimeout(timer); reject(e); });
      ws.once('message', (d) => {
        clearTimeout(timer);
        if (String(d).includes('"connection_confirmed"')) resolve(ws);
        else reject(new Error(`${name}: first frame ${String(d).slice(0, 200)}`));
      });
    });
    const wsConns = [];
    for (let w = 0; w < wsSenders; w++) wsConns.push(await openWs(users[w % users.length], `ws${w}`));

    const wsSender = (ws, w) => new Promise((resolve) => {
      const userIdx = w % users.length;
      let inflight = 0;
      let count = 0;
      let last = null;
      let finished = false;
      const finish = () => { if (!finished) { finished = true; resolve(); } };
      const pump = () => {
        while (!stop && ws.readyState === WebSocket.OPEN && inflight < wsWindow && count < maxSends && Date.now() < deadline) {
          count += 1;
          // now and then the previous key again while its ack is still
          // pending: both answers must be the same stored message
          const s = last && count % 50 === 0 ? last : newSend('w', w, userIdx);
          if (s === last) res.replays += 1;
          last = s;
          inflight += 1;
          ws.send(JSON.stringify({ op: 'send', chat_id: chat.id, content: s.content, idempotency_key: s.key }));
        }
        if (stop || count >= maxSends || Date.now() >= deadline) finish();
      };
      ws.on('message', (d) => {
        const text = String(d);
        if (text.startsWith('{"type":"new_message"')) return; // the chat's fan-out, not ours to check
        let ev;
        try { ev = JSON.parse(text); } catch { fail(`ws${w}: unparsable frame ${text.slice(0, 100)}`); return; }
        if (ev.type === 'ack') {
          inflight -= 1;
          const s = sent.get(ev.idempotency_key);
          if (!s) fail(`ws${w}: ack for a key never sent: ${ev.idempotency_key}`);
          else if (ev.message?.content !== s.content) fail(`ws${w}: ack for ${s.key} carries other content`);
          else s.acks.push(ev.message.id);
          pump();
        } else if (ev.type === 'error' && ev.op === 'send') {
          inflight -= 1;
          countError(`ws ${ev.error?.code}`);
          if (ev.error?.code === 'INTERNAL_ERROR') fail(`ws${w}: a valid send answered INTERNAL_ERROR under load: ${ev.error?.message}`);
          pump();
        }
      });
      ws.on('close', (code) => {
        if (!killing) countError(`ws closed ${code} before the kill`);
        finish();
      });
      pump();
    });

    // ---------------------------------------------------------- HTTP senders
    const httpSender = async (w) => {
      const userIdx = w % users.length;
      const token = users[userIdx].access_token;
      let lastAcked = null;
      for (let i = 0; i < maxSends && !stop && Date.now() < deadline; i++) {
        // every 20th send replays an acknowledged key: 200 with the same message
        const replay = lastAcked && i % 20 === 19;
        const s = replay ? lastAcked : newSend('h', w, userIdx);
        if (replay) res.replays += 1;
        let r;
        try {
          const resp = await fetch(`${srv.url}/api/chat/${chat.id}/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ content: s.content, idempotency_key: s.key }),
            signal: AbortSignal.timeout(10000),
          });
          const text = await resp.text();
          r = { status: resp.status, text };
        } catch {
          break; // the server is gone (or this request timed out): outcome unknown
        }
        if (r.status === 201 || r.status === 200) {
          let m;
          try { m = JSON.parse(r.text).data; } catch { fail(`http${w}: unparsable ${r.status} body`); continue; }
          if (m?.content !== s.content) { fail(`http${w}: ${r.status} for ${s.key} carries other content`); continue; }
          if (replay && r.status !== 200) fail(`http${w}: a replayed key answered ${r.status}, not 200`);
          s.acks.push(m.id);
          lastAcked = s;
        } else {
          let code = String(r.status);
          try { code = `${r.status} ${JSON.parse(r.text).error.code}`; } catch { /* not the envelope */ }
          countError(`http ${code}`);
          if (r.status === 500) fail(`http${w}: a valid send answered 500 under load: ${r.text.slice(0, 200)}`);
          if (r.status === 429) await sleep(20);
        }
      }
    };

    // ---------------------------------------------------------- load, then kill -9
    const loadStart = Date.now();
    res.setupMs = loadStart - tStart;
    const loaders = [];
    for (let w = 0; w < httpClients; w++) loaders.push(httpSender(w));
    wsConns.forEach((ws, w) => loaders.push(wsSender(ws, w)));
    await sleep(loadMs);
    // on a slow machine the first answers may take longer than the load
    // time: the kill waits (bounded) until each transport had an ack
    const ackedBy = (via) => { for (const x of sent.values()) if (x.via === via && x.acks.length) return true; return false; };
    for (let i = 0; i < 200 && !(ackedBy('h') && ackedBy('w')); i++) await sleep(50);
    killing = true;
    const killed = srv.proc.kill('SIGKILL');
    const ex = await srv.exit;
    res.killedAfterMs = Date.now() - loadStart;
    if (!killed || ex.signal !== 'SIGKILL') fail(`kill -9: the server was not killed by SIGKILL (exit ${ex.code}, signal ${ex.signal})`);
    stop = true;
    let bound;
    await Promise.race([Promise.all(loaders), new Promise((r) => { bound = setTimeout(r, 15000); })]);
    clearTimeout(bound);
    for (const ws of sockets) ws.terminate();

    // ---------------------------------------------------------- tally what the clients saw
    const acked = [];
    for (const s of sent.values()) {
      if (s.acks.length === 0) continue;
      acked.push(s);
      if (s.via === 'h') res.ackedHttp += 1; else res.ackedWs += 1;
      if (new Set(s.acks).size !== 1) fail(`key ${s.key} acknowledged with different ids ${[...new Set(s.acks)].join(',')}`);
    }
    res.sent = sent.size;
    res.acked = acked.length;
    if (res.ackedHttp === 0) fail('no HTTP send was acknowledged before the kill');
    if (res.ackedWs === 0) fail('no WebSocket send was acknowledged before the kill');

    // ---------------------------------------------------------- restart on the same folder
    const t0 = Date.now();
    try {
      srv = await startServer({ dataDir, args, readyTimeoutMs: 30000 });
    } catch (e) {
      fail(`restart after kill -9: ${e.message.slice(0, 500)}`);
      return res;
    }
    servers.push(srv);
    res.restartMs = Date.now() - t0;

    // ---------------------------------------------------------- the file, as the restarted server recovered it
    const rows = sql(dbPath, `.mode tabs\nSELECT id, sender_id, idempotency_key, content FROM messages WHERE chat_id = ${chat.id};\n`);
    if (rows.code !== 0) fail(`sqlite3 read of messages failed: ${rows.err}`);
    const byKey = new Map();
    const byContent = new Map();
    const userIdxById = new Map(users.map((u, i) => [u.user.id, i]));
    for (const line of rows.out ? rows.out.split('\n') : []) {
      const [id, sender, key, content] = line.split('\t');
      const row = { id: Number(id), sender: userIdxById.get(Number(sender)), key, content };
      if (byKey.has(key)) { res.duplicates += 1; fail(`idempotency key ${key} stored twice (ids ${byKey.get(key).id}, ${row.id})`); }
      byKey.set(key, row);
      byContent.set(content, (byContent.get(content) ?? 0) + 1);
    }
    res.stored = byKey.size;
    for (const [content, n] of byContent) {
      if (n > 1) { res.duplicates += 1; fail(`content stored ${n} times: ${content.slice(0, 80)}`); }
    }
    for (const s of acked) {
      const row = byKey.get(s.key);
      if (!row) { res.lost += 1; fail(`LOST: ${s.key} acknowledged as id ${s.acks[0]} (${s.via === 'h' ? 'HTTP' : 'WebSocket'}) is not stored`); continue; }
      if (row.id !== s.acks[0] || row.content !== s.content || row.sender !== s.user) {
        res.lost += 1;
        fail(`LOST: ${s.key} acknowledged as id ${s.acks[0]} is stored as id ${row.id} by user #${row.sender} with content ${row.content.slice(0, 60)}`);
      }
    }
    for (const [key, row] of byKey) {
      const s = sent.get(key);
      if (!s) fail(`stored message ${row.id} with key ${key} was never sent`);
      else if (s.acks.length === 0) res.storedUnacked += 1;
    }
    const ic = sql(dbPath, 'PRAGMA integrity_check;\nPRAGMA foreign_key_check;\n');
    res.integrity = ic.code === 0 ? ic.out : `sqlite3 failed: ${ic.err}`;
    if (res.integrity !== 'ok') fail(`integrity_check: ${res.integrity.slice(0, 300)}`);

    // ---------------------------------------------------------- through the API: a sample present and searchable
    const owner2 = owner.access_token; // still valid: tokens survive a restart
    const sample = [];
    for (let i = 0; i < 10 && acked.length > 0; i++) sample.push(acked[Math.floor(rand() * acked.length)]);
    for (const s of sample) {
      const r = await srv.api('GET', `/api/chat/${chat.id}/messages?before=${s.acks[0] + 1}&limit=1`, { token: owner2 });
      const got = r.status === 200 ? r.json.data?.[0] : null;
      if (got?.id !== s.acks[0] || got?.content !== s.content) fail(`API: message ${s.acks[0]} (${s.key}) not listed (status ${r.status})`);
    }
    for (const s of sample.slice(0, 5)) {
      const r = await srv.api('GET', `/api/search/messages?q=${encodeURIComponent(s.word)}&chat_id=${chat.id}`, { token: owner2 });
      const hits = r.status === 200 ? r.json.data?.hits ?? [] : [];
      if (!hits.some((h) => h.id === s.acks[0])) fail(`search: ${s.word} does not find message ${s.acks[0]} (status ${r.status})`);
    }

    // ---------------------------------------------------------- retrying after the restart, as a client would
    // unacknowledged keys again: the stored ones answer 200 with their
    // message, the others are created (201); acknowledged ones answer 200
    const unacked = [...sent.values()].filter((s) => s.acks.length === 0);
    const retries = [];
    for (let i = 0; i < 10 && unacked.length > 0; i++) retries.push(unacked.splice(Math.floor(rand() * unacked.length), 1)[0]);
    for (let i = 0; i < 5 && acked.length > 0; i++) retries.push(acked[Math.floor(rand() * acked.length)]);
    const created = new Map();
    for (const s of retries) {
      const r = await srv.api('POST', `/api/chat/${chat.id}/messages`, {
        token: users[s.user].access_token, body: { content: s.content, idempotency_key: s.key },
      });
      const row = byKey.get(s.key);
      const want = row || created.has(s.key) ? 200 : 201;
      const wantId = row ? row.id : created.get(s.key);
      if (r.status !== want || (wantId !== undefined && r.json?.data?.id !== wantId)) {
        fail(`retry of ${s.key} after the restart: ${r.status} id ${r.json?.data?.id}, want ${want}${wantId !== undefined ? ` id ${wantId}` : ''}`);
      } else if (want === 201) created.set(s.key, r.json.data.id);
    }

    // ---------------------------------------------------------- it serves again: healthy, a fresh send over both transports
    const health = await srv.api('GET', '/health');
    if (health.status !== 200 || health.json?.status !== 'healthy') fail(`/health after the restart: ${health.status} ${health.text.slice(0, 200)}`);
    const fresh = await srv.api('POST', `/api/chat/${chat.id}/messages`, {
      token: owner2, body: { content: `crashmark after restart ${trial}`, idempotency_key: `t${trial}-after-http` },
    });
    if (fresh.status !== 201) fail(`HTTP send after the restart: ${fresh.status} ${fresh.text.slice(0, 200)}`);
    try {
      const ws = await openWs(users[1], 'after');
      const ack = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no ack in 10 s')), 10000);
        ws.on('message', (d) => {
          const ev = JSON.parse(String(d));
          if (ev.type === 'ack' || (ev.type === 'error' && ev.op === 'send')) { clearTimeout(timer); resolve(ev); }
        });
      });
      ws.send(JSON.stringify({ op: 'send', chat_id: chat.id, content: `crashmark after restart ws ${trial}`, idempotency_key: `t${trial}-after-ws` }));
      const ev = await ack;
      if (ev.type !== 'ack') fail(`WebSocket send after the restart: ${JSON.stringify(ev).slice(0, 200)}`);
      ws.terminate();
    } catch (e) {
      fail(`WebSocket after the restart: ${e.message}`);
    }

    // ---------------------------------------------------------- stopped cleanly: the indexes, checked offline
    const code = await srv.stop();
    res.totalMs = Date.now() - tStart;
    if (code !== 0) fail(`the restarted server exited ${code} on SIGTERM`);
    const fts = sql(dbPath, [
      "INSERT INTO messages_scoped(messages_scoped, rank) VALUES ('integrity-check', 0);",
      'PRAGMA integrity_check;',
      // the scoped word index holds exactly this chat's messages (all carry "crashmark")
      `SELECT count(*) FROM messages WHERE chat_id = ${chat.id} AND deleted_at IS NULL;`,
      `SELECT count(*) FROM messages_scoped WHERE messages_scoped MATCH 'body:"k${chat.id}xcrashmark"';`,
      `SELECT count(*) FROM messages m WHERE m.chat_id = ${chat.id} AND m.id NOT IN (SELECT rowid FROM messages_scoped WHERE messages_scoped MATCH 'body:"k${chat.id}xcrashmark"');`,
      `SELECT count(*) FROM messages WHERE chat_id = ${chat.id} AND content GLOB '*${CJK}*';`,
      // the Chinese ones by the phrase of their bigrams (adapters/fts5_tokenize)
      `SELECT count(*) FROM messages_scoped WHERE messages_scoped MATCH 'body:"${[...CJK].slice(1).map((c, i) => `k${chat.id}x${[...CJK][i]}${c}`).join(' ')}"';`,
      '',
    ].join('\n'));
    if (fts.code !== 0) {
      res.fts = `failed: ${fts.err.slice(0, 300)}`;
      fail(`FTS5 integrity-check: ${fts.err.slice(0, 300)}`);
    } else {
      const [ic2, nMsg, nIdx, nMissing, nCjk, nCjkIdx] = fts.out.split('\n');
      res.fts = nMsg === nIdx && nMissing === '0' && nCjk === nCjkIdx ? 'ok' : `index ${nIdx}/${nMsg} words (${nMissing} missing), ${nCjkIdx}/${nCjk} bigram phrases`;
      if (res.fts !== 'ok') fail(`FTS index disagrees with the messages: ${res.fts}`);
      if (ic2 !== 'ok') fail(`integrity_check after the restart: ${ic2}`);
    }
    return res;
  } catch (e) {
    fail(`trial aborted: ${e.stack ?? e.message}`);
    return res;
  } finally {
    for (const ws of sockets) { try { ws.terminate(); } catch { /* gone */ } }
    for (const s of servers) {
      if (!s.hasExited()) { s.proc.kill('SIGKILL'); await s.exit; }
    }
    if (failures.length === 0 && !opts.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

// One line per trial.
export function formatTrial(r) {
  const errs = Object.entries(r.errors).map(([k, v]) => `${k}:${v}`).join(' ');
  return `trial ${String(r.trial).padStart(2)}  seed ${r.seed}  durability ${r.durability}  group-commit ${r.groupCommit}  `
    + `ws window ${r.wsWindow}  killed after ${r.killedAfterMs ?? '?'} ms  `
    + `sent ${r.sent}  acknowledged ${r.acked} (http ${r.ackedHttp}, ws ${r.ackedWs})  lost ${r.lost}  `
    + `stored-unacked ${r.storedUnacked}  duplicates ${r.duplicates}  replays ${r.replays}  `
    + `integrity ${r.integrity}  fts ${r.fts}  restart ${r.restartMs ?? '?'} ms  trial ${r.totalMs ?? '?'} ms${errs ? `  errors ${errs}` : ''}`
    + `${r.failures.length ? `  FAILED (data kept in ${r.dataDir})` : ''}`;
}
