// Backup, restore and check (issue 10, item 5): `fechatter backup` writes one
// tar archive (database copy, signing key, referenced files, manifest) while
// the server keeps taking messages; `fechatter restore` puts it into a fresh
// folder that a server then serves with every acknowledged message and file;
// restore refuses beside a running server and refuses bad archives (cut,
// not a tar, unsafe names, links, tampered members) with exit 2, leaving
// the folder as it was; `fechatter check` finds a tampered or missing file
// and a search index out of step with the messages.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync, readFileSync, writeFileSync, readdirSync, statSync, unlinkSync, mkdirSync, renameSync, chownSync,
} from 'node:fs';
import { join, dirname } from 'node:path';
import {
  startServer, runBin, spawnBin, makeTempDir, mustSignup, mustSignin, createInvite, sqlite, sqliteAvailable,
  mountTinyTmpfs, PASSWORD,
} from './lib/server.mjs';
import { createChat, send, tok, mustUpload, pngBytes, sha256Hex, fetchBytes, allMessages } from './lib/conv.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });
const start = async (opts) => { const s = await startServer(opts); servers.push(s); return s; };
const stop = async (s) => { const code = await s.stop(); servers.splice(servers.indexOf(s), 1); return code; };

// ---------------------------------------------------------------- a tiny ustar reader/writer for crafting archives
function tarHeader(name, size, type = '0', linkname = '') {
  const h = Buffer.alloc(512);
  h.write(name, 0, 'latin1');
  h.write('0000600\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  h.write(type, 156, 'latin1');
  h.write(linkname, 157, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function writeTar(members) {
  const parts = [];
  for (const m of members) {
    const data = m.data ?? Buffer.alloc(0);
    parts.push(tarHeader(m.name, data.length, m.type ?? '0', m.linkname ?? ''));
    parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function readTar(buf) {
  const out = [];
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/s, ''), 8);
    const type = String.fromCharCode(h[156] || 48);
    out.push({ name, type, data: Buffer.from(buf.subarray(off + 512, off + 512 + size)) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

// Everything in a folder (relative paths → sha256 of files), to show a refused restore changed nothing.
function snapshot(dir) {
  const out = {};
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out[`${r}/`] = 'dir'; walk(p, r); } else out[r] = sha256Hex(readFileSync(p));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  delete out['fechatter.lock']; // holds the pid of the last process that locked the folder
  return out;
}

const restore = (data, archive, ...extra) => runBin(['restore', '--data', data, '--in', archive, ...extra], { timeoutMs: 30000 });
const check = (data) => runBin(['check', '--data', data], { timeoutMs: 30000 });

// A workspace with two people, a channel, messages, a thread and two attached files; stopped or running.
async function populated() {
  const srv = await start();
  const owner = await mustSignup(srv, { fullname: 'Olive Owner', workspace_name: 'Backups' });
  const invite = await createInvite(srv, tok(owner), { max_uses: 5 });
  const bob = await mustSignup(srv, { fullname: 'Bob Builder', invite_code: invite.code });
  const chat = await createChat(srv, owner, { name: 'general', chat_type: 'PublicChannel', members: [bob.user.id] });
  const pics = [pngBytes(2, 3, 'first picture'), pngBytes(4, 5, 'second picture')];
  const files = [];
  for (const [i, bytes] of pics.entries()) files.push({ bytes, meta: await mustUpload(srv, owner, bytes, { filename: `p${i}.png`, type: 'image/png' }) });
  const root = await send(srv, owner, chat.id, 'the zebrafish report', { files: files.map((f) => f.meta.id) });
  await send(srv, bob, chat.id, 'a reply in the thread', { reply_to: root.id });
  return { srv, owner, bob, chat, files, root };
}

describe('backup under load, restore, serve', () => {
  test('a backup taken while messages are sent restores into a fresh folder with every acknowledged message and file; check passes', { timeout: 120000 }, async () => {
    const { srv, owner, bob, chat, files } = await populated();
    const before = [];
    for (let i = 0; i < 40; i++) before.push(await send(srv, i % 2 ? bob : owner, chat.id, `before backup ${i}`));

    // a bounded send loop (one at a time, so ids follow the order of acknowledgement) beside the backup
    const during = [];
    let stopLoop = false;
    const loop = (async () => {
      for (let i = 0; i < 3000 && !stopLoop; i++) during.push(await send(srv, owner, chat.id, `during backup ${i}`));
    })();
    while (during.length < 5) await new Promise((r) => setTimeout(r, 10)); // the loop is running
    const out = join(makeTempDir(), 'fechatter-backup.tar');
    const t0 = Date.now();
    const b = spawnBin(['backup', '--data', srv.dataDir, '--out', out]);
    const started = during.length;
    const { code } = await b.exit;
    const ms = Date.now() - t0;
    const ended = during.length;
    stopLoop = true;
    await loop;
    assert.equal(code, 0, b.output().stderr);
    assert.match(b.output().stdout, /^backup: wrote .* 2 files/m);
    assert.deepEqual(readdirSync(dirname(out)), ['fechatter-backup.tar'], 'no temporary file left');
    console.log(`# backup under load: ${ended - started} messages acknowledged while it ran (${during.length} in all by the loop),`
      + ` archive ${statSync(out).size} bytes, ${ms} ms; ${b.output().stdout.trim()}`);

    // a plain tar: the system's tar lists it
    const listing = spawnSync('tar', ['tf', out], { encoding: 'utf8' });
    assert.equal(listing.status, 0, listing.stderr);
    const names = listing.stdout.trim().split('\n');
    assert.deepEqual(names.slice(0, 2), ['fechatter.db', 'jwt_ed25519.key']);
    assert.equal(names.at(-1), 'manifest.json');
    for (const f of files) assert.ok(names.includes(`files/${f.meta.url.slice(11, 13)}/${f.meta.url.slice(11, 75)}`), `${f.meta.url} archived`);
    const manifest = JSON.parse(readTar(readFileSync(out)).find((m) => m.name === 'manifest.json').data);
    assert.equal(manifest.format, 'fechatter-backup');
    // the build's own version (git describe), as `fechatter version` prints it
    assert.equal(`fechatter ${manifest.fechatter_version}`, runBin(['version']).stdout.trim().split(' ').slice(0, 2).join(' '));
    // the newest migration this build carries (schema/NNNN_*.sql)
    const newest = Math.max(...readdirSync(new URL('../../schema/', import.meta.url)).map((f) => parseInt(f, 10)).filter((n) => n > 0));
    assert.equal(manifest.schema_version, newest);
    assert.equal(manifest.files.count, 2);
    assert.equal(manifest.counts.users, 2);

    assert.equal(await stop(srv), 0);
    const fresh = makeTempDir();
    const r = restore(fresh, out);
    assert.equal(r.code, 0, r.stderr);
    const c = check(fresh);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.match(c.stdout, /^search index: ok/m);
    assert.match(c.stdout, /^files: ok \(2 referenced/m);
    assert.match(c.stdout, /^ok$/m);
    console.log(`# check of the restored folder:\n${c.stdout.trim().split('\n').map((l) => `#   ${l}`).join('\n')}`);

    const again = await start({ dataDir: fresh });
    const me = await mustSignin(again, owner.email, PASSWORD);
    const msgs = await allMessages(again, me, chat.id);
    const ids = new Set(msgs.map((m) => m.id));
    for (const m of before) assert.ok(ids.has(m.id), `message ${m.id} acknowledged before the backup is restored`);
    // consistent: the loop's messages in the copy are exactly a prefix of what it sent
    const kept = during.filter((m) => ids.has(m.id)).length;
    assert.ok(kept >= started, `every message acknowledged before the backup began is there (${kept} >= ${started})`);
    assert.deepEqual(during.slice(0, kept).map((m) => m.id), during.filter((m) => ids.has(m.id)).map((m) => m.id), 'no holes');
    for (const f of files) {
      const got = await fetchBytes(again, f.meta.url, { token: tok(me) });
      assert.equal(got.status, 200);
      assert.equal(sha256Hex(got.body), sha256Hex(f.bytes), 'same bytes');
    }
    const found = await again.api('GET', '/api/search/messages?q=zebrafish', { token: tok(me) });
    assert.equal(found.json.data.total, 1, 'search works on the restored data');
    // the old access token still works: the signing key came back too
    assert.equal((await again.api('GET', '/api/workspace/chats', { token: tok(owner) })).status, 200);
    await stop(again);
  });
});

describe('restore refuses', () => {
  let archive;
  let good;

  test('beside a running server (exit 1, naming its pid), with or without --force', async () => {
    const p = await populated();
    archive = join(makeTempDir(), 'good.tar');
    const b = runBin(['backup', '--data', p.srv.dataDir, '--out', archive]);
    assert.equal(b.code, 0, b.stderr);
    good = readFileSync(archive);
    for (const extra of [[], ['--force']]) {
      const r = restore(p.srv.dataDir, archive, ...extra);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`restore refused: .*pid ${p.srv.proc.pid}`));
    }
    assert.ok(!existsSync(join(p.srv.dataDir, 'restore.tmp')));
    assert.equal((await p.srv.api('GET', '/api/workspace/chats', { token: tok(p.owner) })).status, 200, 'the server is undisturbed');
    // stopped: a folder holding data needs --force, which keeps the old data aside
    assert.equal(await stop(p.srv), 0);
    const bare = restore(p.srv.dataDir, archive);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /already holds data.*--force/);
    const oldDb = sha256Hex(readFileSync(join(p.srv.dataDir, 'fechatter.db')));
    const forced = restore(p.srv.dataDir, archive, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    const aside = readdirSync(p.srv.dataDir).find((n) => n.startsWith('before-restore-'));
    assert.ok(aside, `old data kept aside: ${readdirSync(p.srv.dataDir)}`);
    assert.equal(sha256Hex(readFileSync(join(p.srv.dataDir, aside, 'fechatter.db'))), oldDb);
    assert.ok(existsSync(join(p.srv.dataDir, aside, 'files')));
    assert.equal(check(p.srv.dataDir).code, 0);
  });

  test('a bad archive: exit 2, a clear message, the folder unchanged (empty or holding data, with --force)', () => {
    assert.ok(good, 'the previous test made an archive');
    const members = readTar(good);
    const flip = (buf, at = Math.floor(buf.length / 2)) => { const b = Buffer.from(buf); b[at] ^= 0xff; return b; };
    const with_ = (name, fn) => members.map((m) => (m.name === name ? fn(m) : m));
    const blob = members.find((m) => m.name.startsWith('files/'));
    const cases = {
      'cut in half': [good.subarray(0, Math.floor(good.length / 2)), /cut short/],
      'the end blocks missing': [good.subarray(0, good.length - 1024), /cut short|no manifest/],
      'not a tar': [Buffer.from('this is not an archive at all\n'.repeat(40)), /not a tar/],
      'empty file': [Buffer.alloc(0), /cut short/],
      'a member ../x': [writeTar([...members.slice(0, -1), { name: '../x', data: Buffer.from('evil') }, members.at(-1)]), /unexpected member \.\.\/x/],
      'an absolute name': [writeTar([{ name: '/tmp/fechatter-evil', data: Buffer.from('evil') }, ...members]), /unexpected member \/tmp/],
      'files/../../x': [writeTar([{ name: 'files/../../x', data: Buffer.from('evil') }, ...members]), /unexpected member/],
      'a symlink': [writeTar([{ name: 'fechatter.db', type: '2', linkname: '/etc/passwd' }, ...members.slice(1)]), /not a regular file/],
      'a hard link': [writeTar([{ name: 'files', type: '1', linkname: '/etc' }, ...members]), /not a regular file/],
      'another tar': [writeTar([{ name: 'hello.txt', data: Buffer.from('hi') }]), /unexpected member hello\.txt/],
      'a tampered database': [writeTar(with_('fechatter.db', (m) => ({ ...m, data: flip(m.data, 4096 + 100) }))), /fechatter\.db does not match the manifest/],
      'a tampered file': [writeTar(with_(blob.name, (m) => ({ ...m, data: flip(m.data) }))), /does not match its hash/],
      'a file left out': [writeTar(members.filter((m) => m !== blob)), /the manifest lists 2 files, the archive holds 1/],
      'no manifest': [writeTar(members.slice(0, -1)), /no manifest/],
      'a bad header checksum': [(() => { const b = Buffer.from(good); b[0] ^= 1; return b; })(), /bad header checksum/],
    };
    const dir = makeTempDir();
    const holding = makeTempDir();
    assert.equal(restore(holding, archive).code, 0);
    const holdingBefore = snapshot(holding);
    for (const [name, [bytes, re]] of Object.entries(cases)) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.tar`);
      writeFileSync(file, bytes);
      const empty = makeTempDir();
      const r = restore(empty, file);
      assert.equal(r.code, 2, `${name}: exit 2; ${r.stdout} ${r.stderr}`);
      assert.match(r.stderr, re, name);
      assert.deepEqual(snapshot(empty), {}, `${name}: the empty folder stays empty`);
      const f = restore(holding, file, '--force');
      assert.equal(f.code, 2, `${name} (--force): exit 2; ${f.stderr}`);
      assert.deepEqual(snapshot(holding), holdingBefore, `${name}: the folder holding data is unchanged`);
    }
    assert.ok(!existsSync('/tmp/fechatter-evil') && !existsSync(join(dirname(dir), 'x')), 'nothing written outside');
    // bad usage
    const noIn = runBin(['restore', '--data', makeTempDir()]);
    assert.equal(noIn.code, 2);
    assert.match(noIn.stderr, /--in/);
    const missing = restore(makeTempDir(), join(dir, 'nope.tar'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the archive/);
  });
});

describe('backup refuses', () => {
  test('bad usage exits 2 and writes nothing: no --out, an unwritable path, a folder, no database', async () => {
    const { srv } = await populated();
    const noOut = runBin(['backup', '--data', srv.dataDir]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out/);
    const dir = makeTempDir();
    const nowhere = runBin(['backup', '--data', srv.dataDir, '--out', join(dir, 'no-such-folder', 'b.tar')]);
    assert.equal(nowhere.code, 2, nowhere.stderr);
    assert.match(nowhere.stderr, /cannot write/);
    const folder = runBin(['backup', '--data', srv.dataDir, '--out', dir]);
    assert.equal(folder.code, 2, folder.stderr);
    const empty = runBin(['backup', '--data', makeTempDir(), '--out', join(dir, 'b.tar')]);
    assert.equal(empty.code, 2, empty.stderr);
    assert.match(empty.stderr, /no database/);
    assert.deepEqual(readdirSync(dir), [], 'nothing half-written stays behind');
  });
});

describe('restore, the swap', () => {
  test('a swap interrupted half-way is finished by the next command on the folder; leftovers of a stopped extraction go', async () => {
    const one = await populated();
    const a1 = join(makeTempDir(), 'one.tar');
    assert.equal(runBin(['backup', '--data', one.srv.dataDir, '--out', a1]).code, 0);
    await stop(one.srv);
    const two = await populated();
    await send(two.srv, two.owner, two.chat.id, 'only in the second archive');
    const a2 = join(makeTempDir(), 'two.tar');
    assert.equal(runBin(['backup', '--data', two.srv.dataDir, '--out', a2]).code, 0);
    await stop(two.srv);

    const dir = makeTempDir();
    assert.equal(restore(dir, a1).code, 0);
    const oldDb = sha256Hex(readFileSync(join(dir, 'fechatter.db')));
    // the state a restore of a2 leaves when it stops right after moving files/ in
    const swap = join(dir, 'restore.swap');
    mkdirSync(swap);
    execFileSync('tar', ['xf', a2, '-C', swap]);
    writeFileSync(join(swap, '.aside'), 'before-restore-test\n');
    mkdirSync(join(dir, 'before-restore-test'));
    renameSync(join(dir, 'files'), join(dir, 'before-restore-test', 'files'));
    renameSync(join(swap, 'files'), join(dir, 'files'));
    mkdirSync(join(dir, 'restore.tmp'));
    writeFileSync(join(dir, 'restore.tmp', 'half-extracted'), 'x');

    const c = check(dir);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    assert.ok(!existsSync(swap) && !existsSync(join(dir, 'restore.tmp')), 'swap finished, leftovers removed');
    assert.equal(sha256Hex(readFileSync(join(dir, 'before-restore-test', 'fechatter.db'))), oldDb, 'the old database kept aside');
    assert.equal(sha256Hex(readFileSync(join(dir, 'fechatter.db'))),
      sha256Hex(readTar(readFileSync(a2)).find((m) => m.name === 'fechatter.db').data), 'the second archive\'s database in place');
    const srv = await start({ dataDir: dir });
    const me = await mustSignin(srv, two.owner.email, PASSWORD);
    const msgs = await allMessages(srv, me, two.chat.id);
    assert.ok(msgs.some((m) => m.content === 'only in the second archive'));
    await stop(srv);
  });

  test('run as root, the restored data belongs to the data folder\'s owner', { skip: process.getuid() === 0 ? false : 'needs root' }, async () => {
    const p = await populated();
    const a = join(makeTempDir(), 'a.tar');
    assert.equal(runBin(['backup', '--data', p.srv.dataDir, '--out', a]).code, 0);
    await stop(p.srv);
    const dir = makeTempDir();
    chownSync(dir, 65534, 65534);
    assert.equal(restore(dir, a).code, 0);
    for (const n of ['fechatter.db', 'jwt_ed25519.key', 'files']) assert.equal(statSync(join(dir, n)).uid, 65534, n);
    const sha = p.files[0].meta.url.slice(11, 75);
    assert.equal(statSync(join(dir, 'files', sha.slice(0, 2), sha)).uid, 65534);
  });
});

describe('backup on a full disk', () => {
  const tiny = mountTinyTmpfs('fechatter-backup-full-', '1m');
  after(() => tiny?.unmount());
  test('fails with exit 1 and leaves nothing behind', { skip: tiny ? false : 'needs root to mount a tmpfs' }, async () => {
    const p = await populated();
    const big = Buffer.alloc(1536 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    await mustUpload(p.srv, p.owner, big, { filename: 'big.bin' });
    const r = runBin(['backup', '--data', p.srv.dataDir, '--out', join(tiny.dir, 'b.tar')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /No space left on device/);
    assert.deepEqual(readdirSync(tiny.dir), [], 'nothing half-written stays behind');
    // restore onto the full disk: exit 1, the folder as it was
    const a = join(makeTempDir(), 'big.tar');
    assert.equal(runBin(['backup', '--data', p.srv.dataDir, '--out', a]).code, 0);
    const dest = join(tiny.dir, 'data');
    const rr = restore(dest, a);
    assert.equal(rr.code, 1, rr.stdout + rr.stderr);
    assert.match(rr.stderr, /No space left on device/);
    assert.deepEqual(snapshot(dest), {}, 'nothing of the archive stays behind');
  });
});

describe('check', { skip: sqliteAvailable() ? false : 'needs the sqlite3 shell' }, () => {
  test('finds a tampered file, a missing file, a message missing from the index and an index row without a message', async () => {
    const p = await populated();
    const db = join(p.srv.dataDir, 'fechatter.db');
    assert.equal(await stop(p.srv), 0);
    const ok = check(p.srv.dataDir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^files: ok \(2 referenced/m);
    assert.match(ok.stdout, /^search index: ok \(2 messages\)$/m);

    const sha = p.files[0].meta.url.slice(11, 75);
    const path = join(p.srv.dataDir, 'files', sha.slice(0, 2), sha);
    const bytes = readFileSync(path);
    // a changed byte
    const bad = Buffer.from(bytes);
    bad[bad.length - 5] ^= 1;
    writeFileSync(path, bad);
    let r = check(p.srv.dataDir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`^file ${sha}: content does not match its name \\(sha256 ${sha256Hex(bad)}\\)$`, 'm'));
    assert.match(r.stdout, /^files: damaged: 0 missing, 1 not matching/m);
    assert.match(r.stdout, /^damaged$/m);
    // a missing file
    unlinkSync(path);
    r = check(p.srv.dataDir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`^file ${sha}: missing \\(referenced by the database\\)$`, 'm'));
    writeFileSync(path, bytes);
    // an orphan is information only
    const orphan = Buffer.from('nobody references me');
    const osha = sha256Hex(orphan);
    mkdirSync(join(p.srv.dataDir, 'files', osha.slice(0, 2)), { recursive: true });
    writeFileSync(join(p.srv.dataDir, 'files', osha.slice(0, 2), osha), orphan);
    r = check(p.srv.dataDir);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^files: info: 1 files not referenced/m);

    // a live message taken out of the word index (cleanly: FTS5's own integrity-check still passes)
    const chatTok = `k${p.chat.id}x`;
    const words = (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => chatTok + w).join(' ');
    sqlite(db, `INSERT INTO messages_scoped(messages_scoped, rowid, body, who) VALUES ('delete', ${p.root.id}, '${words('the zebrafish report')}', '${words('Olive Owner')}')`);
    r = check(p.srv.dataDir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^fts5 messages_scoped: ok$/m, 'FTS5 alone sees nothing wrong');
    assert.match(r.stdout, new RegExp(`^search index: live messages missing from the index: 1 \\(ids ${p.root.id}\\)$`, 'm'));
    assert.match(r.stdout, /^database: damaged$/m);
    // an index row for no message
    sqlite(db, `INSERT INTO messages_scoped(rowid, body, who) VALUES (99999, '${chatTok}ghost', '')`);
    r = check(p.srv.dataDir);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /^search index: index rows without a live message: 1 \(ids 99999\)$/m);
    // reindex repairs it
    assert.equal(runBin(['reindex', '--data', p.srv.dataDir]).code, 0);
    r = check(p.srv.dataDir);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(!existsSync(`${db}-wal`) && !existsSync(`${db}-shm`), 'check leaves no -wal/-shm behind');
  });
});
