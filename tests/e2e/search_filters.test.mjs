// Search filters as people type them (issue 13 part 3): from:@name (email
// local part or display name, from:me), in:#chat and in:@member, before: /
// after: / on: (UTC days), has:file, has:link, -word and -"phrase", unknown
// operators as plain words, filters alone (newest first), the same filters
// as GET query parameters and POST JSON body fields, the sender's current
// name in hits after a rename, names of another workspace (no results, no
// error) and bad dates (400 naming the field). Every test uses its own
// invented words.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, assertError } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, uniqueName, createChat, memberIds, send, tok, mustUpload,
} from './lib/conv.mjs';

const day = (offsetDays) => new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);

describe('search filters', () => {
  let srv; let owner; let fenna; let gus; let orjan; let xena;
  let chan; let chanName; let other; let otherName; let dm; let xchat;
  const m = {};
  before(async () => {
    const w = await setupWorkspace({
      args: ['--registration', 'open'],
      names: ['Fenna Filterly', 'Gus Grepson', 'Ørjan Æbeløe'],
    });
    ({ srv, owner } = w);
    ({ fenna, gus } = w.byName);
    orjan = w.byName['ørjan'];
    xena = await otherWorkspaceUser(srv, 'Fenna Filterly'); // same display name, another workspace
    chanName = uniqueName('Roadmap');
    otherName = uniqueName('random');
    chan = await createChat(srv, owner, { chat_type: 'PublicChannel', name: chanName, members: memberIds(fenna, gus, orjan) });
    other = await createChat(srv, owner, { chat_type: 'PrivateChannel', name: otherName, members: memberIds(fenna, gus) });
    dm = await createChat(srv, fenna, { chat_type: 'Single', members: memberIds(gus) });
    xchat = await createChat(srv, xena, { chat_type: 'PrivateChannel', name: chanName, members: [] });
    const f = await mustUpload(srv, fenna, Buffer.from('quokkafile bytes'), { filename: 'notes.txt', type: 'text/plain' });
    m.f1 = await send(srv, fenna, chan.id, 'quokka plan for the launch');
    m.g1 = await send(srv, gus, chan.id, 'quokka budget draft');
    m.f2 = await send(srv, fenna, other.id, 'quokka party in the random room');
    m.file = await send(srv, fenna, chan.id, 'quokka notes attached', { files: [f.id] });
    m.link = await send(srv, gus, chan.id, 'quokka docs at https://example.test/quokka');
    m.dm = await send(srv, gus, dm.id, 'quokka secret between us');
    m.o1 = await send(srv, orjan, chan.id, 'quokka nordic greeting');
    m.x = await send(srv, xena, xchat.id, 'quokka from another workspace');
  });
  after(async () => { await srv?.stop(); });

  const qs = (params) => Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const get = (user, params, path = '/api/search/messages') => srv.api('GET', `${path}?${qs(params)}`, { token: tok(user) });
  const post = (user, body, path = '/api/search/messages') => srv.api('POST', path, { token: tok(user), body });
  const ids = (d) => d.hits.map((h) => h.id).sort((a, b) => a - b);
  const want = (...msgs) => msgs.map((x) => x.id).sort((a, b) => a - b);
  async function find(user, q, extra = {}) {
    const d = assertOk(await get(user, { q, limit: 100, ...extra }));
    assert.equal(d.total, d.hits.length, `total ${d.total} for ${q}`);
    return d;
  }
  const localPart = (u) => u.email.split('@')[0];

  test('from:@name by display name (any case), by email local part, from:"Full Name", from:me', async () => {
    assert.deepEqual(ids(await find(owner, 'quokka from:@fenna')), [], 'a first name alone is not a name');
    assert.deepEqual(ids(await find(owner, 'quokka from:"fenna filterly"')), want(m.f1, m.f2, m.file));
    assert.deepEqual(ids(await find(owner, 'quokka from:@"Fenna Filterly"')), want(m.f1, m.f2, m.file));
    assert.deepEqual(ids(await find(owner, `quokka from:@${localPart(gus)}`)), want(m.g1, m.link));
    assert.deepEqual(ids(await find(owner, `quokka FROM:${localPart(gus).toUpperCase()}`)), want(m.g1, m.link));
    assert.deepEqual(ids(await find(gus, 'quokka from:me')), want(m.g1, m.link, m.dm));
    assert.deepEqual(ids(await find(owner, 'quokka from:"ørjan æbeløe"')), want(m.o1), 'unicode display name, case folded');
    // two from: are ORed
    assert.deepEqual(ids(await find(owner, `quokka from:@${localPart(gus)} from:"Ørjan Æbeløe"`)), want(m.g1, m.link, m.o1));
  });

  test('in:#chat and in:@member (the direct chat)', async () => {
    assert.deepEqual(ids(await find(fenna, `quokka in:#${chanName}`)), want(m.f1, m.g1, m.file, m.link, m.o1));
    assert.deepEqual(ids(await find(fenna, `quokka in:${chanName.toUpperCase()}`)), want(m.f1, m.g1, m.file, m.link, m.o1));
    assert.deepEqual(ids(await find(fenna, `quokka in:#${otherName}`)), want(m.f2));
    assert.deepEqual(ids(await find(fenna, `quokka in:@${localPart(gus)}`)), want(m.dm));
    assert.deepEqual(ids(await find(gus, 'quokka in:@"Fenna Filterly"')), want(m.dm));
    assert.deepEqual(ids(await find(owner, `quokka in:#${otherName}`)), want(m.f2));
    assert.deepEqual(ids(await find(orjan, `quokka in:#${otherName}`)), [], 'a chat the caller is not in: nothing');
    assert.deepEqual(ids(await find(owner, `quokka in:@${localPart(gus)}`)), [], 'no direct chat with gus');
    // a group without a name is not any channel's namesake
    const g = await createChat(srv, fenna, { chat_type: 'Group', members: memberIds(gus) });
    const gm = await send(srv, gus, g.id, 'numbat in an unnamed group');
    assert.deepEqual(ids(await find(fenna, 'numbat')), want(gm));
    assert.deepEqual(ids(await find(fenna, `numbat in:#${chanName}`)), [], 'in:#name never matches an unnamed group');
  });

  test('another workspace\'s user or chat gives no results, never an error', async () => {
    assert.deepEqual(ids(await find(owner, `quokka from:@${localPart(xena)}`)), []);
    assert.deepEqual(ids(await find(xena, 'quokka from:"Fenna Filterly"')), want(m.x), 'the same display name: only xena herself');
    assert.deepEqual(ids(await find(xena, `quokka from:@${localPart(gus)}`)), [], 'gus is not in xena\'s chats');
    assert.deepEqual(ids(await find(xena, 'quokka from:me')), want(m.x));
    assert.deepEqual(ids(await find(xena, `quokka in:#${chanName}`)), want(m.x), 'same chat name: only xena\'s own');
    assert.deepEqual(ids(await find(owner, 'quokka in:@"Xena Outsider"')), []);
  });

  test('has:file and has:link', async () => {
    assert.deepEqual(ids(await find(owner, 'quokka has:file')), want(m.file));
    assert.deepEqual(ids(await find(owner, 'quokka has:link')), want(m.link));
    assert.deepEqual(ids(await find(owner, 'quokka has:file has:link')), []);
    assert.deepEqual(ids(await find(owner, 'has:file')), want(m.file), 'filters alone');
  });

  test('before:, after:, on: (UTC days)', async () => {
    const all = await find(owner, 'quokka');
    assert.equal(all.total, 6);
    assert.equal((await find(owner, `quokka on:${day(0)}`)).total, 6);
    assert.equal((await find(owner, `quokka before:${day(1)}`)).total, 6);
    assert.equal((await find(owner, `quokka after:${day(-1)}`)).total, 6);
    assert.equal((await find(owner, `quokka before:${day(0)}`)).total, 0, 'before the day starts');
    assert.equal((await find(owner, `quokka after:${day(0)}`)).total, 0, 'after the day ends');
    assert.equal((await find(owner, `quokka on:${day(-1)}`)).total, 0);
    assert.equal((await find(owner, `quokka after:${day(-1)} before:${day(1)}`)).total, 6);
  });

  test('-word and -"phrase" exclude; unknown operators are words; quoted phrases keep working', async () => {
    assert.deepEqual(ids(await find(owner, 'quokka -budget -nordic')), want(m.f1, m.f2, m.file, m.link));
    assert.deepEqual(ids(await find(owner, 'quokka -"random room"')), want(m.f1, m.g1, m.file, m.link, m.o1));
    assert.deepEqual(ids(await find(owner, 'quokka -random')), want(m.f1, m.g1, m.file, m.link, m.o1));
    assert.deepEqual(ids(await find(owner, '"quokka budget"')), want(m.g1));
    assert.deepEqual(ids(await find(owner, 'quokka -')), want(m.f1, m.g1, m.f2, m.file, m.link, m.o1), '- alone is nothing');
    const s = await send(srv, owner, chan.id, 'ticket foo:bar from wallaby');
    assert.deepEqual(ids(await find(owner, 'foo:bar')), want(s), 'foo:bar is the words foo and bar');
    assert.deepEqual(ids(await find(owner, 'wallaby from:')), want(s), 'an empty from: is the word from');
    assert.deepEqual(ids(await find(owner, 'wallaby has:cake')), [], 'has:cake is two words');
  });

  test('combinations and filters alone, newest first', async () => {
    assert.deepEqual(ids(await find(owner, `quokka from:"Fenna Filterly" in:#${chanName} -notes`)), want(m.f1));
    assert.deepEqual(ids(await find(owner, `from:"Fenna Filterly" in:#${chanName} has:file on:${day(0)}`)), want(m.file));
    const d = assertOk(await get(fenna, { q: 'from:"Fenna Filterly"', limit: 100 }));
    const mine = d.hits.map((h) => h.id);
    assert.deepEqual(mine, [...mine].sort((a, b) => b - a), 'newest first');
    assert.ok(mine.includes(m.f1.id) && mine.includes(m.f2.id) && mine.includes(m.file.id));
    assert.deepEqual(ids(await find(fenna, '-quokka from:"Fenna Filterly"')), [], 'exclusion only, with a filter');
    const h = d.hits.find((x) => x.id === m.file.id);
    assert.equal(h.chat_id, chan.id, 'the chat, the jump target');
    assert.equal(h.chat_name, chanName);
    // sort=date still orders newest first
    const byDate = assertOk(await get(owner, { q: 'quokka', sort: 'date' })).hits.map((x) => x.id);
    assert.deepEqual(byDate, [...byDate].sort((a, b) => b - a));
  });

  test('the same filters as GET parameters and POST body fields', async () => {
    const u = localPart(gus);
    assert.deepEqual(ids(assertOk(await get(owner, { q: 'quokka', from: `@${u}` }))), want(m.g1, m.link));
    assert.deepEqual(ids(assertOk(await get(owner, { q: 'quokka', in: `#${otherName}` }))), want(m.f2));
    assert.deepEqual(ids(assertOk(await get(owner, { q: 'quokka', has: 'file' }))), want(m.file));
    assert.deepEqual(ids(assertOk(await get(owner, { has: 'link' }))), want(m.link), 'no q: filters alone');
    assert.deepEqual(ids(assertOk(await get(owner, { q: 'quokka', on: day(0), before: day(1), after: day(-1) }))).length, 6);
    assert.equal(assertOk(await get(owner, { q: 'quokka', before: day(0) })).total, 0);
    assert.deepEqual(ids(assertOk(await post(owner, { q: 'quokka', from: 'Fenna Filterly', in: `#${chanName}` }))), want(m.f1, m.file));
    assert.deepEqual(ids(assertOk(await post(owner, { has: 'file,link' }))), []);
    assert.deepEqual(ids(assertOk(await post(gus, { q: 'quokka', in: '@Fenna Filterly' }))), want(m.dm));
    assert.equal(assertOk(await post(owner, { q: 'quokka', after: day(0) })).total, 0);
    assert.equal(assertOk(await post(owner, { q: 'quokka', after: 1 })).total, 6, 'milliseconds still work');
    assert.deepEqual(ids(assertOk(await post(owner, { q: 'quokka', from: `@${u}` }, `/api/chat/${chan.id}/messages/search`))), want(m.g1, m.link));
    assert.deepEqual(ids(assertOk(await get(owner, { q: 'quokka', in: `#${otherName}` }, `/api/chat/${chan.id}/messages/search`))), [], 'in: and the route\'s chat together');
  });

  test('bad dates and values: 400 VALIDATION_ERROR naming the field', async () => {
    assertError(await get(owner, { q: 'quokka before:2026-13-01' }), 400, 'VALIDATION_ERROR', 'before');
    assertError(await get(owner, { q: 'quokka after:yesterday' }), 400, 'VALIDATION_ERROR', 'after');
    assertError(await get(owner, { q: 'on:2026-02-30' }), 400, 'VALIDATION_ERROR', 'on');
    assertError(await post(owner, { q: 'quokka on:2026-2-3' }), 400, 'VALIDATION_ERROR', 'on');
    assertError(await get(owner, { q: 'quokka', before: 'soon' }), 400, 'VALIDATION_ERROR', 'before');
    assertError(await post(owner, { q: 'quokka', on: '2026-12-32' }), 400, 'VALIDATION_ERROR', 'on');
    assertError(await get(owner, { q: 'quokka', has: 'cake' }), 400, 'VALIDATION_ERROR', 'has');
    assertError(await get(owner, { q: 'quokka', from: '@' }), 400, 'VALIDATION_ERROR', 'from');
    for (const r of [await get(owner, { q: 'quokka before:x' })]) assert.equal(r.json.error.field, 'before');
    assertError(await get(owner, {}), 400, 'VALIDATION_ERROR', 'q');
  });

  test('hits carry the sender\'s current name after a rename', async () => {
    const s = await send(srv, gus, chan.id, 'numbat rename check');
    let d = await find(owner, 'numbat');
    assert.equal(d.hits[0].sender_name, 'Gus Grepson');
    assertOk(await srv.api('PUT', '/api/users/profile', { token: tok(gus), body: { fullname: 'Gustav Grepson' } }));
    d = await find(owner, 'numbat');
    assert.deepEqual(ids(d), want(s));
    assert.equal(d.hits[0].sender_name, 'Gustav Grepson');
    assert.deepEqual(ids(await find(owner, 'numbat from:"Gustav Grepson"')), want(s), 'from: uses the current name');
    assert.deepEqual(ids(await find(owner, 'numbat from:"Gus Grepson"')), [], 'not the old one');
  });
});
