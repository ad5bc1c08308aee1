// Search in every script (issue 13), through GET /api/search/messages on
// the real binary: a real sentence in each of 20 scripts is found by one of
// its words (a substring for the scripts written without spaces) and not
// by a word it does not contain; the snippet marks exactly the bytes of the
// word in the message (Arabic with its vowel marks, Devanagari with its
// vowel signs, Thai inside an unspaced run); Arabic is found with or
// without vowel marks. And the upgrade: a database in the previous search
// layout (schema 4: messages_scoped cut by the old word cutter, which
// dropped Devanagari, Thai, Armenian...; the trigram table messages_cjk) is
// reindexed by migration 0005 on the first start of this build, after which
// the words the old index never held are found, and the others exactly once.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertOk, startServer, makeTempDir, mustSignup, onPostgres } from './lib/server.mjs';
import { setupWorkspace, uniqueName, createChat, memberIds, send, tok } from './lib/conv.mjs';

// [script, sentence, a word of it (or substring), a word it does not contain, the bytes the snippet marks]
const SENTENCES = [
  ['Latin with diacritics', 'Le café est très chaud à Paris', 'cafe', 'the', 'café'],
  ['Polish', 'Zażółć gęślą jaźń', 'gęślą', 'gesli', 'gęślą'],
  ['Greek', 'Καλημέρα κόσμε, τι κάνεις;', 'καλημερα', 'καληνύχτα', 'Καλημέρα'],
  ['Cyrillic', 'Привет, как дела?', 'ДЕЛА', 'пока', 'дела'],
  ['Armenian', 'Բարեւ ձեզ, ինչպես եք', 'բարեւ', 'շնորհակալություն', 'Բարեւ'],
  ['Georgian', 'გამარჯობა მეგობარო', 'მეგობარო', 'ნახვამდის', 'მეგობარო'],
  ['Hebrew with points', 'שָׁלוֹם עוֹלָם', 'שלום', 'תודה', 'שָׁלוֹם'],
  ['Arabic with vowel marks', 'كَتَبَ الوَلَدُ الدَّرْسَ', 'الولد', 'المدرسة', 'الوَلَدُ'],
  ['Arabic without vowel marks', 'قرأ المعلم الكتاب', 'المُعَلِّمُ', 'الطالب', 'المعلم'],
  ['Devanagari', 'deploy नमस्ते दुनिया done', 'नमस्ते', 'धन्यवाद', 'नमस्ते'],
  ['Bengali', 'আমি বাংলায় গান গাই', 'বাংলায়', 'কবিতা', 'বাংলায়'],
  ['Tamil', 'வணக்கம் உலகம்', 'உலகம்', 'நன்றி', 'உலகம்'],
  ['Thai', 'สวัสดีครับ ยินดีต้อนรับ', 'ครับ', 'ขอบคุณ', 'ครับ'],
  ['Lao', 'ສະບາຍດີ ເພື່ອນ', 'ບາຍດີ', 'ຂອບໃຈ', 'ບາຍດີ'],
  ['Khmer', 'សួស្តី​ពិភពលោក', 'ពិភព', 'អរគុណ', 'ពិភព'],
  ['Chinese', '我们明天下午开会', '明天', '后天', '明天'],
  ['Japanese', '東京タワーに行きました', 'タワー', '大阪', 'タワー'],
  ['Korean', '안녕하세요 세계 여러분', '세계', '감사합니다', '세계'],
  ['Ethiopic', 'ሰላም ለዓለም', 'ለዓለም', 'አመሰግናለሁ', 'ለዓለም'],
  ['Emoji next to words', '🎉launchday❤️party 👍shipped', 'launchday', 'funeral', 'launchday'],
];

describe('search in every script', () => {
  let srv; let owner; let alice; let chat; const msgs = [];
  before(async () => {
    const w = await setupWorkspace({ names: ['Alice Anders'] });
    ({ srv, owner } = w);
    alice = w.byName.alice;
    chat = await createChat(srv, owner, { chat_type: 'Group', name: uniqueName('scripts'), members: memberIds(alice) });
    for (const [, text] of SENTENCES) msgs.push(await send(srv, owner, chat.id, text));
  });
  after(async () => { await srv?.stop(); });

  const search = async (q, extra = {}) => {
    const qs = new URLSearchParams({ q, chat_id: String(chat.id), limit: '100', ...extra });
    return assertOk(await srv.api('GET', `/api/search/messages?${qs}`, { token: tok(alice) }));
  };

  for (const [i, [script, text, word, absent, marked]] of SENTENCES.entries()) {
    test(`${script}: found by "${word}", not by "${absent}"`, async () => {
      const d = await search(word);
      const hit = d.hits.find((h) => h.id === msgs[i].id);
      assert.ok(hit, `"${text}" found by "${word}": ${JSON.stringify(d.hits.map((h) => h.content))}`);
      assert.equal(hit.content, text);
      assert.ok(hit.snippet.includes(`<mark>${marked}</mark>`), `snippet marks "${marked}": ${hit.snippet}`);
      assert.equal(hit.snippet.replace(/<\/?mark>/g, ''), text, 'the snippet is the text with marks only');
      const none = await search(absent);
      assert.equal(none.hits.find((h) => h.id === msgs[i].id), undefined, `"${text}" not found by "${absent}"`);
    });
  }

  test('snippet offsets: Arabic, Devanagari and Thai exactly', async () => {
    const at = (q, i) => search(q).then((d) => d.hits.find((h) => h.id === msgs[i].id)?.snippet);
    const ar = SENTENCES.findIndex((s) => s[0] === 'Arabic with vowel marks');
    assert.equal(await at('الولد', ar), 'كَتَبَ <mark>الوَلَدُ</mark> الدَّرْسَ');
    assert.equal(await at('الوَلَدُ الدرس', ar), 'كَتَبَ <mark>الوَلَدُ</mark> <mark>الدَّرْسَ</mark>');
    const hi = SENTENCES.findIndex((s) => s[0] === 'Devanagari');
    assert.equal(await at('दुनिया', hi), 'deploy नमस्ते <mark>दुनिया</mark> done');
    assert.equal(await at('नमस', hi), 'deploy <mark>नमस्ते</mark> दुनिया done', 'a prefix marks the whole word');
    const th = SENTENCES.findIndex((s) => s[0] === 'Thai');
    assert.equal(await at('ครับ', th), 'สวัสดี<mark>ครับ</mark> ยินดีต้อนรับ');
    assert.equal(await at('ดีต้อน', th), 'สวัสดีครับ ยิน<mark>ดีต้อน</mark>รับ');
  });

  test('any substring of an unspaced run, one character typed last as a prefix', async () => {
    const zh = msgs[SENTENCES.findIndex((s) => s[0] === 'Chinese')].id;
    for (const q of ['我们', '们明天', '下午开会', '午开', '会', '明']) {
      const d = await search(q);
      assert.ok(d.hits.some((h) => h.id === zh), `"${q}" finds 我们明天下午开会`);
    }
    for (const q of ['我们开会', '开会们']) {
      const d = await search(q);
      assert.ok(!d.hits.some((h) => h.id === zh), `"${q}" is not a substring`);
    }
    const d = await search('明');
    assert.equal(d.hits.find((h) => h.id === zh).snippet, '我们<mark>明</mark>天下午开会');
  });
});

// ---------------------------------------------------------------- upgrade

function sql(dbPath, text) {
  const r = spawnSync('sqlite3', ['-bail', '-cmd', '.timeout 10000', dbPath], { input: text, encoding: 'utf8', timeout: 60000 });
  if (r.error) throw new Error(`sqlite3: ${r.error.message}`);
  assert.equal(r.status, 0, `sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim();
}

// The search tables of schema 4 (schema/0002_search.sql and
// schema/0003_scoped_search.sql as they were), frozen here.
const OLD_LAYOUT = `
DROP TABLE messages_scoped;
CREATE VIRTUAL TABLE messages_scoped USING fts5(body, who, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIEW messages_cjk_src AS SELECT id, content FROM messages WHERE content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
CREATE VIRTUAL TABLE messages_cjk USING fts5(content, content = 'messages_cjk_src', content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER messages_cjk_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;
CREATE TRIGGER messages_cjk_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;
CREATE TRIGGER messages_cjk_au AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;
INSERT INTO messages_cjk(messages_cjk) VALUES ('rebuild');
`;

// What the old word cutter kept of a text: Latin letters and digits (plus
// Greek, Cyrillic, Hebrew, plain Arabic and CJK, not used here).
const oldWords = (text) => text.split(/[^A-Za-z0-9À-ɏ]+/u).filter(Boolean);

describe('upgrade: migration 0005 reindexes a database of the previous build', { skip: onPostgres && 'an SQLite database file of the previous build' }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });

  test('words the old index never held are found after the first start, the others once', async () => {
    const dataDir = makeTempDir();
    const db = join(dataDir, 'fechatter.db');
    let srv = await startServer({ dataDir });
    servers.push(srv);
    const owner = await mustSignup(srv, { fullname: 'Olive Owner', workspace_name: 'Acme' });
    const chat = await createChat(srv, owner, { chat_type: 'PublicChannel', name: uniqueName('up'), members: [] });
    const texts = ['release नमस्ते दुनिया today', 'สวัสดีครับ release', 'Բարեւ ձեզ release', '東京タワー release', 'كَتَبَ الوَلَدُ release'];
    const sent = [];
    for (const t of texts) sent.push(await send(srv, owner, chat.id, t));
    assert.equal(await srv.stop(), 0);

    // back to schema 4: the old tables, filled the way the old build did
    const rows = sent.map((m, i) => `(${m.id}, '${oldWords(texts[i]).map((w) => `k${chat.id}x${w}`).join(' ')}', 'k${chat.id}xolive k${chat.id}xowner')`);
    sql(db, `BEGIN;${OLD_LAYOUT}
INSERT INTO messages_scoped(rowid, body, who) VALUES ${rows.join(', ')};
PRAGMA user_version = 4; COMMIT;`);
    assert.equal(sql(db, `SELECT count(*) FROM messages_scoped WHERE messages_scoped MATCH 'body:"k${chat.id}xrelease"';`), String(texts.length));
    assert.equal(sql(db, 'SELECT count(*) FROM messages_cjk;'), '1');

    srv = await startServer({ dataDir });
    servers.push(srv);
    const find = async (q) => assertOk(await srv.api('GET', `/api/search/messages?q=${encodeURIComponent(q)}`, { token: tok(owner) }));
    for (const [q, i] of [['नमस्ते', 0], ['ครับ', 1], ['բարեւ', 2], ['タワー', 3], ['الولد', 4], ['today', 0]]) {
      const d = await find(q);
      assert.deepEqual(d.hits.map((h) => h.id), [sent[i].id], `"${q}" after the upgrade`);
    }
    const all = await find('release');
    assert.equal(all.total, texts.length, 'every message indexed once');
    // every migration ran (0005 and any later one)
    const latest = Math.max(...readdirSync(join(dirname(fileURLToPath(import.meta.url)), '../../schema')).map((f) => parseInt(f, 10)).filter(Number.isFinite));
    assert.equal(sql(db, 'PRAGMA user_version;'), String(latest));
    assert.equal(sql(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'messages_cjk%';"), '0', 'the trigram table is gone');
    assert.equal(await srv.stop(), 0);
    assert.equal(sql(db, "INSERT INTO messages_scoped(messages_scoped, rank) VALUES ('integrity-check', 0); PRAGMA integrity_check;"), 'ok');
  });
});
