// Backup under send load (issue 10, item 5, for the closing note): fills a
// data folder over HTTP (MESSAGES messages, FILES uploaded files of
// FILE_KIB KiB), then runs `fechatter backup` while a bounded send loop
// (LOOP_CONCURRENCY senders) keeps writing, restores the archive into a
// fresh folder, runs `fechatter check` on it, serves it and verifies that
// every message acknowledged before the backup started is there and that
// the files download with the same bytes. Prints numbers; fails only on a
// wrong result, never on time. 127.0.0.1 only; every loop is bounded.
//
//   cd tests && FECHATTER_BIN=$PWD/../build/fechatter node bench/backup-load.mjs
import assert from 'node:assert/strict';
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, spawnBin, runBin, makeTempDir, mustSignup, mustSignin, createInvite, PASSWORD } from '../e2e/lib/server.mjs';
import { createChat, send, mustUpload, fetchBytes, sha256Hex, mapLimit, tok } from '../e2e/lib/conv.mjs';

const MESSAGES = Number(process.env.MESSAGES || 20000);
const FILES = Number(process.env.FILES || 200);
const FILE_KIB = Number(process.env.FILE_KIB || 256);
const LOOP_CONCURRENCY = Number(process.env.LOOP_CONCURRENCY || 4);
const LOOP_MAX = 200000;

const t = () => performance.now();
const srv = await startServer();
const owner = await mustSignup(srv, { fullname: 'Olive Owner', workspace_name: 'Load' });
const invite = await createInvite(srv, tok(owner), { max_uses: 5 });
const bob = await mustSignup(srv, { fullname: 'Bob Builder', invite_code: invite.code });
const chat = await createChat(srv, owner, { name: 'general', chat_type: 'PublicChannel', members: [bob.user.id] });

let t0 = t();
const files = await mapLimit(Array.from({ length: FILES }, (_, i) => i), 4, async (i) => {
  const bytes = Buffer.alloc(FILE_KIB * 1024);
  for (let k = 0; k < bytes.length; k += 4) bytes.writeUInt32LE(((k + 1) * 2654435761 + i * 40503) >>> 0, k);
  const meta = await mustUpload(srv, owner, bytes, { filename: `f${i}.bin` });
  await send(srv, owner, chat.id, `file ${i}`, { files: [meta.id] });
  return { meta, sha: sha256Hex(bytes) };
});
const acked = await mapLimit(Array.from({ length: MESSAGES }, (_, i) => i), 16,
  (i) => send(srv, i % 2 ? bob : owner, chat.id, `message ${i} about the quarterly numbers`));
console.log(`filled: ${MESSAGES} messages and ${FILES} files of ${FILE_KIB} KiB in ${((t() - t0) / 1000).toFixed(1)} s`);

// the send loop, then the backup beside it
const during = [];
let stop = false;
const loops = Array.from({ length: LOOP_CONCURRENCY }, (_, w) => (async () => {
  for (let i = 0; i < LOOP_MAX / LOOP_CONCURRENCY && !stop; i++) during.push(await send(srv, w % 2 ? bob : owner, chat.id, `during ${w}.${i}`));
})());
while (during.length < 10) await new Promise((r) => setTimeout(r, 5));
const out = join(makeTempDir(), 'fechatter-backup.tar');
const startedAt = during.length;
t0 = t();
const b = spawnBin(['backup', '--data', srv.dataDir, '--out', out]);
const { code } = await b.exit;
const backupMs = t() - t0;
const endedAt = during.length;
stop = true;
await Promise.all(loops);
assert.equal(code, 0, b.output().stderr);
console.log(`$ fechatter backup --data DATA --out ${out}`);
console.log(b.output().stdout.trim());
console.log(b.output().stderr.trim());
console.log(`backup: ${(backupMs / 1000).toFixed(2)} s, archive ${statSync(out).size} bytes; messages acknowledged while it ran: ${endedAt - startedAt} (${during.length} by the loop in all)`);
assert.equal(await srv.stop(), 0);

const fresh = makeTempDir();
t0 = t();
const r = runBin(['restore', '--data', fresh, '--in', out], { timeoutMs: 600000 });
console.log(`$ fechatter restore --data FRESH --in ${out}   (${((t() - t0) / 1000).toFixed(2)} s, exit ${r.code})`);
console.log(r.stdout.trim());
console.log(r.stderr.trim());
assert.equal(r.code, 0);
t0 = t();
const c = runBin(['check', '--data', fresh], { timeoutMs: 600000 });
console.log(`$ fechatter check --data FRESH   (${((t() - t0) / 1000).toFixed(2)} s, exit ${c.code})`);
console.log(c.stdout.trim());
console.log(c.stderr.trim());
assert.equal(c.code, 0);

const again = await startServer({ dataDir: fresh });
const me = await mustSignin(again, owner.email, PASSWORD);
let present = 0;
const have = new Set();
for (let before, i = 0; i < 10000; i++) {
  const res = await again.api('GET', `/api/chat/${chat.id}/messages?limit=100${before ? `&before=${before}` : ''}`, { token: tok(me) });
  for (const m of res.json.data) have.add(m.id);
  if (!res.json.meta?.has_more) break;
  before = res.json.meta.next_before;
}
for (const m of acked) present += have.has(m.id);
const inLoop = during.filter((m) => have.has(m.id)).length;
console.log(`restored and served: ${present}/${acked.length} messages acknowledged before the backup present; ${inLoop} of the loop's ${during.length} in the copy (>= ${startedAt} acknowledged before it started)`);
assert.equal(present, acked.length);
assert.ok(inLoop >= startedAt);
let same = 0;
for (const f of files) {
  const got = await fetchBytes(again, f.meta.url, { token: tok(me) });
  same += got.status === 200 && sha256Hex(got.body) === f.sha;
}
console.log(`files: ${same}/${files.length} download with the same bytes`);
assert.equal(same, files.length);
assert.equal(await again.stop(), 0);
console.log(`data folder after restore: ${readdirSync(fresh).sort().join(' ')}`);
