// Measures search latency for tests/bench/search.sh: the real HTTP API of a
// running server (GET /api/search/messages, one request at a time, client
// wall time) and, as the baseline on a copy of the same database, the plain
// approach in a tiny C program (search-baseline.c, same libsqlite3): a plain
// FTS5 table of its own (plain_fts, built by search.sh in the copy) MATCHed
// and joined to a membership filter, ORDER BY rank LIMIT 20. Also runs the
// server's own query shape in the same program (the chat-scoped index
// messages_scoped: each word ORed over the user's "k<chat>x<word>" tokens,
// bm25 weights 1.0/0.4, newest first among equals) to show what HTTP adds.
// Checks that the server and the baseline return the same number of hits
// for every query (a correctness check, not a timing one).
// Prints a report on stdout; exit 1 when a request failed or counts differ.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: Object.fromEntries(['port', 'email', 'password', 'chats', 'messages', 'queries', 'vocab', 'sample', 'baseline-db',
    'server-pid', 'baseline-bin', 'size-with', 'size-with-vacuum', 'size-without', 'all-chats', 'reindex-ms',
    'plain-build-ms', 'index-sizes', 'baseline', 'kinds'].map((k) => [k, { type: 'string' }])),
});
const base = `http://127.0.0.1:${a.port}`;
const NQ = Number(a.queries || 200);
const chats = a.chats.split(',').map(Number);
const N = Number(a.messages);
const withBaseline = a.baseline !== '0'; // --baseline 0: HTTP only

// ---------------------------------------------------------------- deterministic choices
let seed = 20261128;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
const fq = (t) => `"${t.replace(/"/g, '""')}"`; // an FTS5 string
// the server's MATCH for messages_scoped: each term (its words as a phrase)
// ORed over the user's chats as "k<chat>x<word>" tokens; terms ANDed
const scoped = (terms) => terms.map(([t, prefix]) => {
  const words = t.split(/[^0-9A-Za-z\u00C0-\u024F]+/).filter(Boolean);
  return `(${chats.map((c) => `"${words.map((w) => `k${c}x${w}`).join(' ')}"${prefix ? '*' : ''}`).join(' OR ')})`;
}).join(' AND ');

const vocab = readFileSync(a.vocab, 'utf8').trim().split('\n').map((l) => { const [term, doc] = l.split('|'); return { term, doc: Number(doc) }; });
const sample = readFileSync(a.sample, 'utf8').trim().split('\n').map((l) => l.split(' ').filter(Boolean)).filter((w) => w.length >= 4);

// each query: q (what a user types, sent to the server), m (the same
// search as an FTS5 expression for plain_fts: terms quoted, the last bare
// word a prefix) and s (the server's expression over messages_scoped, as
// adapters/fts5_search.c builds it)
let common = vocab.filter((v) => v.doc / N >= 0.07 && v.doc / N <= 0.14);
if (!common.length) common = [...vocab].sort((x, y) => Math.abs(x.doc / N - 0.1) - Math.abs(y.doc / N - 0.1)).slice(0, 3);
let rare = vocab.filter((v) => v.doc >= 20 && v.doc <= 300);
if (!rare.length) rare = [...vocab].sort((x, y) => x.doc - y.doc).slice(0, 50);
const kinds = {
  'one word, common': Array.from({ length: NQ }, (_, i) => { const w = common[i % common.length].term; return { q: w, m: `${fq(w)}*`, s: scoped([[w, true]]) }; }),
  'one word, rare': Array.from({ length: NQ }, () => { const w = pick(rare).term; return { q: w, m: `${fq(w)}*`, s: scoped([[w, true]]) }; }),
  'two words': Array.from({ length: NQ }, () => {
    const ws = pick(sample); const i = Math.floor(rnd() * (ws.length - 2)); const j = i + 2 + Math.floor(rnd() * (ws.length - i - 2));
    return { q: `${ws[i]} ${ws[j]}`, m: `${fq(ws[i])} ${fq(ws[j])}*`, s: scoped([[ws[i], false], [ws[j], true]]) };
  }),
  phrase: Array.from({ length: NQ }, () => {
    const ws = pick(sample); const i = Math.floor(rnd() * (ws.length - 1));
    return { q: `"${ws[i]} ${ws[i + 1]}"`, m: fq(`${ws[i]} ${ws[i + 1]}`), s: scoped([[`${ws[i]} ${ws[i + 1]}`, false]]) };
  }),
  prefix: Array.from({ length: NQ }, () => { const p = pick(pick(sample)).slice(0, 3); return { q: p, m: `${fq(p)}*`, s: scoped([[p, true]]) }; }),
};

// ---------------------------------------------------------------- HTTP
async function call(method, path, body, token) {
  const headers = {};
  if (body) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(60000) });
  const json = await res.json().catch(() => null);
  return { status: res.status, json };
}
const signin = await call('POST', '/api/signin', { email: a.email, password: a.password });
if (signin.status !== 200) { console.error(`signin: ${signin.status} ${JSON.stringify(signin.json)}`); process.exit(1); }
const token = signin.json.data.access_token;

let failures = 0;
async function httpRun(list, measure) {
  const out = [];
  for (const { q } of list) {
    const t0 = performance.now();
    const r = await call('GET', `/api/search/messages?q=${encodeURIComponent(q)}&limit=20`, null, token);
    const ms = performance.now() - t0;
    if (r.status !== 200 || !r.json?.success) {
      failures++;
      console.error(`HTTP ${r.status} for q=${q}: ${JSON.stringify(r.json).slice(0, 200)}`);
      out.push({ ms, hits: -1, total: -1, took: 0, foreign: 0 });
      continue;
    }
    const d = r.json.data;
    const foreign = d.hits.filter((h) => !chats.includes(h.chat_id)).length;
    if (measure && foreign) { failures++; console.error(`q=${q}: ${foreign} hits outside the user's chats`); }
    out.push({ ms, hits: d.hits.length, total: d.total, took: d.took_ms, foreign });
  }
  return out;
}

// ---------------------------------------------------------------- the baseline (search-baseline.c)
const inList = chats.join(',');
const cols = "m.id, m.chat_id, m.sender_id, m.sender_name, m.content, m.created_at, snippet(plain_fts, 0, '<mark>', '</mark>', '…', 24)";
const sqlStr = (s) => `'${s.replace(/'/g, "''")}'`;
const plainSql = ({ m }) => `SELECT ${cols} FROM plain_fts JOIN messages m ON m.id = plain_fts.rowid`
  + ` WHERE plain_fts MATCH ${sqlStr(m)} AND m.chat_id IN (${inList}) ORDER BY rank LIMIT 20;`;
// the server's shape, in SQL (the server ranks in C in one pass and counts
// every match; here ORDER BY .. LIMIT 20, then the page's rows; no snippet)
const restrictedSql = ({ s }) => 'SELECT m.id, m.chat_id, c.name, m.sender_id, m.sender_name, m.content, m.created_at'
  + ` FROM (SELECT rowid AS id FROM messages_scoped WHERE messages_scoped MATCH ${sqlStr(s)}`
  + ' ORDER BY bm25(messages_scoped, 1.0, 0.4), rowid DESC LIMIT 20) r JOIN messages m ON m.id = r.id JOIN chats c ON c.id = m.chat_id;';

function sqlRun(list, toSql) {
  const file = `${a['baseline-db']}.queries.sql`;
  writeFileSync(file, `${list.map((x) => toSql(x)).join('\n')}\n`);
  // two rounds: the first warms the caches, the second is printed
  const r = spawnSync(a['baseline-bin'], [a['baseline-db'], file, '2'], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 1800000 });
  if (r.status !== 0) throw new Error(`search-baseline: ${r.stderr.slice(0, 500)}`);
  const out = r.stdout.trim().split('\n').map((l) => { const [ms, rows] = l.split(' '); return { ms: Number(ms), hits: Number(rows) }; });
  if (out.length !== list.length) throw new Error(`search-baseline: ${out.length} timings for ${list.length} queries`);
  return out;
}

// ---------------------------------------------------------------- run
const pct = (xs, p) => { const s = [...xs].sort((x, y) => x - y); return s[Math.max(0, Math.ceil(p * s.length) - 1)]; };
const f = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
// the server's CPU time (user + system, ms) from /proc: the work per query,
// less sensitive than wall time to what else runs on the machine
const serverCpuMs = () => {
  try {
    const f = readFileSync(`/proc/${a['server-pid']}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) * 10; // utime + stime, at 100 ticks per second
  } catch { return NaN; }
};
const results = [];
// --kinds a,b: only the kinds whose names contain one of these (profiling)
const only = a.kinds ? a.kinds.split(',') : null;
for (const [kind, list] of Object.entries(kinds)) {
  if (only && !only.some((k) => kind.includes(k))) continue;
  await httpRun(list, false); // warm-up
  const cpu0 = serverCpuMs();
  const http = await httpRun(list, true);
  const cpu = (serverCpuMs() - cpu0) / list.length;
  results.push({ kind, list, http, cpu });
  console.error(`  http ${kind}: p50 ${f(pct(http.map((x) => x.ms), 0.5))} ms`);
}
const loadAfter = loadavg();
for (const r of results) {
  if (!withBaseline) {
    r.plain = r.restricted = r.http.map((h) => ({ ms: NaN, hits: h.hits }));
    continue;
  }
  r.plain = sqlRun(r.list, plainSql);
  r.restricted = sqlRun(r.list, restrictedSql);
  console.error(`  baseline ${r.kind}: p50 ${f(pct(r.plain.map((x) => x.ms), 0.5))} ms`);
}

let mismatches = 0;
for (const r of results) {
  r.mism = r.http.filter((h, i) => h.hits !== r.plain[i].hits || h.hits !== r.restricted[i].hits).length;
  mismatches += r.mism;
  for (let i = 0; i < r.http.length && r.mism; i++) {
    if (r.http[i].hits !== r.plain[i].hits) { console.error(`  count differs for ${r.list[i].q}: http ${r.http[i].hits}, baseline ${r.plain[i].hits}, restricted ${r.restricted[i].hits}`); break; }
  }
}

const rss = (() => { try { return /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${a['server-pid']}/status`, 'utf8'))[1]; } catch { return 'n/a'; } })();
const mb = (b) => `${(Number(b) / 1048576).toFixed(1)} MiB`;
const lines = [];
lines.push('');
lines.push(`== search: ${N} messages in 1000 chats; the user is in ${chats.length} chats; ${NQ} queries per kind, one at a time`);
lines.push(`common words: ${common.map((c) => `${c.term} (${(100 * c.doc / N).toFixed(1)}%)`).join(', ')}; rare words: ${rare.length} with 20..300 messages`);
lines.push(`${'query kind'.padEnd(18)} ${'HTTP p50'.padStart(9)} ${'HTTP p99'.padStart(9)} ${'took p50/p99'.padStart(13)} ${'plain p50'.padStart(10)} ${'plain p99'.padStart(10)} ${'plain/HTTP p50'.padStart(15)} ${'server-SQL p50/p99'.padStart(23)} ${'hits/q'.padStart(7)} ${'total/q'.padStart(8)} ${'CPU ms/q'.padStart(9)}`);
for (const r of results) {
  const h = r.http.map((x) => x.ms); const p = r.plain.map((x) => x.ms); const s = r.restricted.map((x) => x.ms);
  const avg = (xs) => xs.reduce((u, v) => u + v, 0) / xs.length;
  lines.push(`${r.kind.padEnd(18)} ${f(pct(h, 0.5)).padStart(9)} ${f(pct(h, 0.99)).padStart(9)} ${`${f(pct(r.http.map((x) => x.took), 0.5))} / ${f(pct(r.http.map((x) => x.took), 0.99))}`.padStart(13)} `
    + `${f(pct(p, 0.5)).padStart(10)} ${f(pct(p, 0.99)).padStart(10)} ${(pct(p, 0.5) / pct(h, 0.5)).toFixed(2).padStart(15)} `
    + `${`${f(pct(s, 0.5))} / ${f(pct(s, 0.99))}`.padStart(23)} ${avg(r.http.map((x) => x.hits)).toFixed(1).padStart(7)} ${avg(r.http.map((x) => x.total)).toFixed(0).padStart(8)} ${f(r.cpu).padStart(9)}`);
}
lines.push(`HTTP p99 over all kinds: ${f(pct(results.flatMap((r) => r.http.map((x) => x.ms)), 0.99))} ms (target < 10 ms); worst kind p99 ${f(Math.max(...results.map((r) => pct(r.http.map((x) => x.ms), 0.99))))} ms`);
lines.push(`load average (1/5/15 min): ${loadBefore} before the HTTP runs, ${loadAfter} after; ${readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length} CPUs`);
lines.push('(ms; HTTP = client wall time of GET /api/search/messages incl. total count and JSON; took = server-reported took_ms;');
lines.push(' CPU ms/q = the server process\'s user + system CPU time over the measured round, per query (10 ms ticks);');
lines.push(' plain = search-baseline.c (libsqlite3, 2nd round) on a copy: MATCH + m.chat_id IN (user chats) ORDER BY rank LIMIT 20;');
lines.push(' server-SQL = the server\'s query shape on messages_scoped (k<chat>x<word> tokens ORed over the user\'s chats, bm25 weights) in the same program, no total)');
lines.push(`hit-count mismatches server vs baseline: ${mismatches}; failed requests: ${failures}; server peak RSS ${rss} KiB`);
lines.push(`database size: with index ${mb(a['size-with'])} after reindex, ${mb(a['size-with-vacuum'])} after VACUUM; without ${mb(a['size-without'])}`
  + ` (index = ${(100 * (Number(a['size-with-vacuum']) - Number(a['size-without'])) / Number(a['size-without'])).toFixed(0)}% extra after VACUUM)`);
lines.push(`reindex (fechatter reindex, ${N} messages): ${(Number(a['reindex-ms']) / 1000).toFixed(1)} s; plain_fts rebuild+optimize in the baseline copy: ${(Number(a['plain-build-ms']) / 1000).toFixed(1)} s`);
lines.push(`index bytes (dbstat, baseline copy): ${a['index-sizes']}`);
console.log(lines.join('\n'));
process.exit(failures || mismatches ? 1 : 0);
