// Chats and members: the four chat types, Single one per pair, channel name
// uniqueness, cross-workspace members, the chat list (order, last_message,
// unread/mention counts), get/patch/delete rights, public browse, join,
// leave (CANNOT_LEAVE, LAST_OWNER, hand-over), member add/remove/role rules,
// and a private chat being invisible (404) to non-members.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertOk, assertError, RFC3339_MS } from './lib/server.mjs';
import {
  setupWorkspace, otherWorkspaceUser, inviteUser, uniqueName, createChat, getChat, listChats, assertChat,
  memberIds, send, setChatRole, unreadOf, tok,
} from './lib/conv.mjs';

describe('chats and members', () => {
  let srv; let owner; let alice; let bob; let carol; let dan; let xena; let invite;
  before(async () => {
    const w = await setupWorkspace({
      args: ['--registration', 'open'],
      names: ['Alice Anders', 'Bob Brown', 'Carol Clark', 'Dan Dixon'],
    });
    ({ srv, owner, invite } = w);
    ({ alice, bob, carol, dan } = w.byName);
    xena = await otherWorkspaceUser(srv);
  });
  after(async () => { await srv?.stop(); });

  const api = (m, p, u, body) => srv.api(m, p, { token: u ? tok(u) : undefined, body });

  describe('create', () => {
    test('Single: 201 with both people as members; one chat per pair (200, same id, either direction)', async () => {
      const c = await createChat(srv, alice, { chat_type: 'Single', members: [bob.user.id] }, 201);
      assertChat(c, {
        chat_type: 'Single', members: memberIds(alice, bob), member_count: 2, my_role: 'member',
        workspace_id: owner.workspace.id, created_by: alice.user.id, last_message: null, unread_count: 0, mention_count: 0,
      });
      const again = await createChat(srv, alice, { chat_type: 'Single', members: [bob.user.id] }, 200);
      assert.equal(again.id, c.id, 'same chat for the same pair');
      const reverse = await createChat(srv, bob, { chat_type: 'Single', members: [alice.user.id] }, 200);
      assert.equal(reverse.id, c.id, 'same chat when the other person creates it');
      assert.equal(reverse.my_role, 'member', 'both people of a Single are members');
      const other = await createChat(srv, alice, { chat_type: 'Single', members: [carol.user.id] }, 201);
      assert.notEqual(other.id, c.id, 'another pair gets another chat');
    });

    test('Single: members must hold exactly one other person', async () => {
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Single', members: [bob.user.id, carol.user.id] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Single', members: [] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Single', members: [alice.user.id] }), 400, 'VALIDATION_ERROR', 'members');
    });

    test('Group: creator is owner, invited members are members; name optional; needs another member', async () => {
      const g = await createChat(srv, alice, { chat_type: 'Group', name: 'Trio', members: memberIds(bob, carol) });
      assertChat(g, { chat_type: 'Group', name: 'Trio', members: memberIds(alice, bob, carol), my_role: 'owner', created_by: alice.user.id });
      const unnamed = await createChat(srv, alice, { chat_type: 'Group', members: memberIds(bob) });
      assert.ok(unnamed.name === null || unnamed.name === '', `unnamed group: ${JSON.stringify(unnamed.name)}`);
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Group', name: 'Solo', members: [] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Group', name: 'g'.repeat(51), members: memberIds(bob) }), 400, 'VALIDATION_ERROR', 'name');
      const asBob = await getChat(srv, bob, g.id);
      assert.equal(asBob.my_role, 'member');
    });

    test('channels: name required (1..50), description 0..500', async () => {
      for (const chat_type of ['PrivateChannel', 'PublicChannel']) {
        assertError(await api('POST', '/api/workspace/chats', alice, { chat_type, members: [] }), 400, 'VALIDATION_ERROR', 'name');
        assertError(await api('POST', '/api/workspace/chats', alice, { chat_type, name: '   ', members: [] }), 400, 'VALIDATION_ERROR', 'name');
        assertError(await api('POST', '/api/workspace/chats', alice, { chat_type, name: 'n'.repeat(51), members: [] }), 400, 'VALIDATION_ERROR', 'name');
        assertError(await api('POST', '/api/workspace/chats', alice, { chat_type, name: uniqueName(), members: [], description: 'd'.repeat(501) }), 400, 'VALIDATION_ERROR', 'description');
        const name = `${chat_type[1]}${'x'.repeat(43)}${Math.random().toString(36).slice(2, 8)}`;
        assert.equal(name.length, 50);
        const c = await createChat(srv, alice, { chat_type, name, members: memberIds(bob), description: 'e'.repeat(500) });
        assertChat(c, { chat_type, name, description: 'e'.repeat(500), my_role: 'owner', members: memberIds(alice, bob) });
      }
    });

    test('unknown chat_type is 400 field chat_type', async () => {
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Forum', name: uniqueName(), members: [] }), 400, 'VALIDATION_ERROR', 'chat_type');
      assertError(await api('POST', '/api/workspace/chats', alice, { name: uniqueName(), members: [] }), 400, 'VALIDATION_ERROR', 'chat_type');
    });

    test('channel names are unique per workspace, case-insensitively (409 CHAT_EXISTS)', async () => {
      const base = uniqueName('General');
      await createChat(srv, alice, { chat_type: 'PublicChannel', name: base, members: [] });
      assertError(await api('POST', '/api/workspace/chats', bob, { chat_type: 'PrivateChannel', name: base.toUpperCase(), members: [] }), 409, 'CHAT_EXISTS');
      assertError(await api('POST', '/api/workspace/chats', carol, { chat_type: 'PublicChannel', name: base.toLowerCase(), members: [] }), 409, 'CHAT_EXISTS');
      // another workspace may use the same name
      const x = await createChat(srv, xena, { chat_type: 'PublicChannel', name: base, members: [] });
      assert.equal(x.workspace_id, xena.workspace.id);
    });

    test('channel name case-insensitivity covers non-ASCII letters (Über / über)', async () => {
      const suffix = uniqueName('');
      await createChat(srv, alice, { chat_type: 'PublicChannel', name: `Über${suffix}`, members: [] });
      assertError(await api('POST', '/api/workspace/chats', bob, { chat_type: 'PublicChannel', name: `über${suffix}`, members: [] }), 409, 'CHAT_EXISTS');
      assertError(await api('POST', '/api/workspace/chats', bob, { chat_type: 'PrivateChannel', name: `ÜBER${suffix.toUpperCase()}`, members: [] }), 409, 'CHAT_EXISTS');
    });

    test('members from another workspace, unknown or suspended users are refused (400 field members)', async () => {
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Group', name: 'Cross', members: [bob.user.id, xena.user.id] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Single', members: [xena.user.id] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'PrivateChannel', name: uniqueName(), members: [99999999] }), 400, 'VALIDATION_ERROR', 'members');
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Group', members: ['abc'] }), 400, 'VALIDATION_ERROR', 'members');
      const sus = await inviteUser(srv, invite, 'Sue Suspended');
      assertOk(await srv.api('PATCH', `/api/workspace/users/${sus.user.id}`, { token: tok(owner), body: { status: 'Suspended' } }));
      assertError(await api('POST', '/api/workspace/chats', alice, { chat_type: 'Group', members: [sus.user.id] }), 400, 'VALIDATION_ERROR', 'members');
      // xena's own workspace: alice is the foreigner there
      assertError(await api('POST', '/api/workspace/chats', xena, { chat_type: 'Single', members: [alice.user.id] }), 400, 'VALIDATION_ERROR', 'members');
    });

    test('anonymous create is 401', async () => {
      assertError(await api('POST', '/api/workspace/chats', null, { chat_type: 'Group', members: [bob.user.id] }), 401, 'UNAUTHORIZED');
    });
  });

  describe('list', () => {
    test('the caller\'s chats, most recent activity first, with last_message and counts', async () => {
      const c1 = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('l1'), members: memberIds(bob) });
      const c2 = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('l2'), members: memberIds(bob) });
      const c3 = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('l3'), members: memberIds(bob) });
      await send(srv, alice, c1.id, 'one');
      await send(srv, alice, c3.id, 'three');
      const last2 = await send(srv, alice, c2.id, 'two @Bob Brown');
      let list = await listChats(srv, bob);
      const pos = (l, id) => l.findIndex((c) => c.id === id);
      for (const c of [c1, c2, c3]) assert.ok(pos(list, c.id) >= 0, `chat ${c.id} listed`);
      assert.ok(pos(list, c2.id) < pos(list, c3.id) && pos(list, c3.id) < pos(list, c1.id),
        `order c2, c3, c1: ${list.map((c) => c.id).join(',')}`);
      const e2 = list[pos(list, c2.id)];
      assertChat(e2);
      assert.equal(e2.last_message?.id, last2.id, 'last_message is the newest message');
      assert.equal(e2.last_message.content, 'two @Bob Brown');
      assert.equal(e2.unread_count, 1);
      assert.equal(e2.mention_count, 1, 'bob was mentioned once');
      assert.equal(list[pos(list, c1.id)].mention_count, 0);
      assert.equal(list[pos(list, c1.id)].unread_count, 1);
      // the sender's own view: no unread
      const aliceList = await listChats(srv, alice);
      assert.equal(aliceList[pos(aliceList, c2.id)].unread_count, 0, 'own messages never count');
      assert.equal(aliceList[pos(aliceList, c2.id)].mention_count, 0);
      // new activity moves c1 to the front of the three
      await send(srv, bob, c1.id, 'bump');
      list = await listChats(srv, bob);
      assert.ok(pos(list, c1.id) < pos(list, c2.id) && pos(list, c2.id) < pos(list, c3.id),
        `order c1, c2, c3: ${list.map((c) => c.id).join(',')}`);
      assert.equal(list[pos(list, c1.id)].last_message.content, 'bump');
      // the list agrees with /api/unread-counts
      assert.equal((await unreadOf(srv, bob, c2.id)).unread_count, 1);
      // the list only holds chats the caller is in
      for (const c of await listChats(srv, carol)) assert.ok(c.chat_members.includes(carol.user.id));
      assert.equal(pos(await listChats(srv, carol), c1.id), -1);
      assert.equal(pos(await listChats(srv, xena), c1.id), -1);
    });
  });

  describe('get, patch, delete', () => {
    let chan;
    before(async () => {
      chan = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('priv'), members: memberIds(bob, carol) });
      await setChatRole(srv, alice, chan.id, bob, 'admin');
    });

    test('GET /api/chat/{id}: members see it with their role; others 404', async () => {
      assertChat(await getChat(srv, alice, chan.id), { id: chan.id, my_role: 'owner' });
      assertChat(await getChat(srv, bob, chan.id), { id: chan.id, my_role: 'admin' });
      assertChat(await getChat(srv, carol, chan.id), { id: chan.id, my_role: 'member', members: memberIds(alice, bob, carol) });
      assertError(await api('GET', `/api/chat/${chan.id}`, dan), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${chan.id}`, xena), 404, 'NOT_FOUND');
      assertError(await api('GET', '/api/chat/99999999', alice), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${chan.id}`, null), 401);
      const bad = await api('GET', '/api/chat/abc', alice);
      assert.ok([400, 404].includes(bad.status), `non-numeric id: ${bad.status}`);
    });

    test('PATCH: owner and admin change name/description; plain member 403', async () => {
      const n1 = uniqueName('renamed');
      const d1 = assertOk(await api('PATCH', `/api/chat/${chan.id}`, alice, { name: n1 }));
      assert.equal(d1.name, n1);
      const d2 = assertOk(await api('PATCH', `/api/chat/${chan.id}`, bob, { description: 'by the admin' }));
      assert.equal(d2.description, 'by the admin');
      assert.equal(d2.name, n1, 'name kept when only description changes');
      assertError(await api('PATCH', `/api/chat/${chan.id}`, carol, { description: 'nope' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${chan.id}`, dan, { description: 'nope' }), 404, 'NOT_FOUND');
      assertError(await api('PATCH', `/api/chat/${chan.id}`, alice, { name: 'n'.repeat(51) }), 400, 'VALIDATION_ERROR', 'name');
      assertError(await api('PATCH', `/api/chat/${chan.id}`, alice, { description: 'd'.repeat(501) }), 400, 'VALIDATION_ERROR', 'description');
      const after = await getChat(srv, carol, chan.id);
      assert.equal(after.name, n1);
      assert.equal(after.description, 'by the admin');
    });

    test('PATCH: a taken channel name is 409 CHAT_EXISTS (case-insensitive); a Single cannot be renamed', async () => {
      const other = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('taken'), members: [] });
      assertError(await api('PATCH', `/api/chat/${chan.id}`, alice, { name: other.name.toUpperCase() }), 409, 'CHAT_EXISTS');
      const single = await createChat(srv, carol, { chat_type: 'Single', members: [dan.user.id] });
      assertError(await api('PATCH', `/api/chat/${single.id}`, carol, { name: 'Our DM' }), 400);
    });

    test('DELETE: chat owner only; the chat and its messages are gone', async () => {
      const c = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('del'), members: memberIds(bob, carol) });
      await setChatRole(srv, alice, c.id, bob, 'admin');
      await send(srv, carol, c.id, 'soon gone');
      assertError(await api('DELETE', `/api/chat/${c.id}`, carol), 403, 'FORBIDDEN');
      assertError(await api('DELETE', `/api/chat/${c.id}`, bob), 403, 'FORBIDDEN');
      assertError(await api('DELETE', `/api/chat/${c.id}`, dan), 404, 'NOT_FOUND');
      const d = assertOk(await api('DELETE', `/api/chat/${c.id}`, alice));
      assert.deepEqual(d, { id: c.id });
      assertError(await api('GET', `/api/chat/${c.id}`, alice), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${c.id}/messages`, carol), 404, 'NOT_FOUND');
      assert.equal((await listChats(srv, carol)).some((x) => x.id === c.id), false, 'gone from the list');
      const uc = assertOk(await api('GET', '/api/unread-counts', carol));
      assert.equal(uc.some((x) => x.chat_id === c.id), false, 'gone from unread-counts');
    });
  });

  describe('public channels: browse and join', () => {
    test('browse lists public channels the caller is not in; join adds the caller', async () => {
      const pub = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('pub'), description: 'open to all', members: memberIds(bob) });
      const priv = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('hid'), members: memberIds(bob) });
      const browse = async (u) => {
        const d = assertOk(await api('GET', '/api/workspace/chats/public', u));
        assert.ok(Array.isArray(d));
        return d;
      };
      const forDan = await browse(dan);
      const entry = forDan.find((c) => c.id === pub.id);
      assert.ok(entry, 'dan sees the public channel');
      assert.deepEqual({ id: entry.id, name: entry.name, description: entry.description, member_count: entry.member_count },
        { id: pub.id, name: pub.name, description: 'open to all', member_count: 2 });
      assert.equal(forDan.some((c) => c.id === priv.id), false, 'private channels are not listed');
      assert.equal((await browse(bob)).some((c) => c.id === pub.id), false, 'members do not see it in browse');
      assert.equal((await browse(xena)).some((c) => c.id === pub.id), false, 'another workspace does not see it');
      // join
      const j = await api('POST', `/api/chat/${pub.id}/join`, dan);
      assert.equal(j.status, 200, j.text);
      const asDan = await getChat(srv, dan, pub.id);
      assertChat(asDan, { my_role: 'member', members: memberIds(alice, bob, dan), member_count: 3 });
      assert.equal((await browse(dan)).some((c) => c.id === pub.id), false, 'no longer offered after joining');
      assert.equal((await api('POST', `/api/chat/${pub.id}/join`, dan)).status, 200, 'joining again is 200');
      assert.equal((await getChat(srv, alice, pub.id)).member_count, 3, 'joining again adds nobody');
      assert.ok((await listChats(srv, dan)).some((c) => c.id === pub.id), 'in dan\'s chat list');
      // refused joins
      assertError(await api('POST', `/api/chat/${priv.id}/join`, dan), 404, 'NOT_FOUND');
      assertError(await api('POST', `/api/chat/${pub.id}/join`, xena), 404, 'NOT_FOUND');
      const grp = await createChat(srv, alice, { chat_type: 'Group', members: memberIds(bob) });
      assertError(await api('POST', `/api/chat/${grp.id}/join`, carol), 404, 'NOT_FOUND');
      assertError(await api('POST', '/api/chat/99999999/join', carol), 404, 'NOT_FOUND');
      assertError(await api('GET', `/api/chat/${priv.id}`, dan), 404, 'NOT_FOUND');
    });
  });

  describe('leave', () => {
    test('a Single cannot be left (403 CANNOT_LEAVE)', async () => {
      const s = await createChat(srv, bob, { chat_type: 'Single', members: [dan.user.id] });
      assertError(await api('POST', `/api/chat/${s.id}/leave`, bob), 403, 'CANNOT_LEAVE');
      assertChat(await getChat(srv, bob, s.id), { members: memberIds(bob, dan) });
    });

    test('a plain member leaves; the chat is then invisible to them', async () => {
      const g = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('lv'), members: memberIds(bob, carol) });
      assert.equal((await api('POST', `/api/chat/${g.id}/leave`, carol)).status, 200);
      assertError(await api('GET', `/api/chat/${g.id}`, carol), 404, 'NOT_FOUND');
      assertChat(await getChat(srv, alice, g.id), { members: memberIds(alice, bob) });
      assertError(await api('POST', `/api/chat/${g.id}/leave`, carol), 404, 'NOT_FOUND');
    });

    test('the last owner must hand over first (409 LAST_OWNER); after PATCH role owner, leaving works', async () => {
      const g = await createChat(srv, alice, { chat_type: 'Group', name: uniqueName('own'), members: memberIds(bob, carol) });
      assertError(await api('POST', `/api/chat/${g.id}/leave`, alice), 409, 'LAST_OWNER');
      assertChat(await getChat(srv, alice, g.id), { my_role: 'owner', members: memberIds(alice, bob, carol) });
      await setChatRole(srv, alice, g.id, bob, 'owner');
      assert.equal((await getChat(srv, bob, g.id)).my_role, 'owner');
      const r = await api('POST', `/api/chat/${g.id}/leave`, alice);
      assert.equal(r.status, 200, r.text);
      assertError(await api('GET', `/api/chat/${g.id}`, alice), 404, 'NOT_FOUND');
      const members = assertOk(await api('GET', `/api/chat/${g.id}/members`, bob));
      assert.deepEqual(members.map((m) => m.user_id).sort((a, b) => a - b), memberIds(bob, carol).sort((a, b) => a - b));
    });
  });

  describe('more lifecycle rules', () => {
    test('a deleted channel frees its name', async () => {
      const name = uniqueName('reuse');
      const c = await createChat(srv, alice, { chat_type: 'PublicChannel', name, members: [] });
      assertError(await api('POST', '/api/workspace/chats', bob, { chat_type: 'PrivateChannel', name, members: [] }), 409, 'CHAT_EXISTS');
      assertOk(await api('DELETE', `/api/chat/${c.id}`, alice));
      const again = await createChat(srv, bob, { chat_type: 'PrivateChannel', name, members: [] });
      assertChat(again, { name, created_by: bob.user.id, members: memberIds(bob), last_message: null });
    });

    test('the only member (an owner with nobody else) may leave; a public channel can be re-joined', async () => {
      const solo = await createChat(srv, carol, { chat_type: 'PrivateChannel', name: uniqueName('solo'), members: [] });
      assertChat(solo, { members: memberIds(carol), my_role: 'owner' });
      const r = await api('POST', `/api/chat/${solo.id}/leave`, carol);
      assert.equal(r.status, 200, `an owner alone is not blocked by LAST_OWNER: ${r.text}`);
      assertError(await api('GET', `/api/chat/${solo.id}`, carol), 404, 'NOT_FOUND');
      const pub = await createChat(srv, alice, { chat_type: 'PublicChannel', name: uniqueName('rejoin'), members: [] });
      assert.equal((await api('POST', `/api/chat/${pub.id}/join`, dan)).status, 200);
      assert.equal((await api('POST', `/api/chat/${pub.id}/leave`, dan)).status, 200);
      assertError(await api('GET', `/api/chat/${pub.id}`, dan), 404, 'NOT_FOUND');
      assert.ok(assertOk(await api('GET', '/api/workspace/chats/public', dan)).some((c) => c.id === pub.id), 'offered again after leaving');
      assert.equal((await api('POST', `/api/chat/${pub.id}/join`, dan)).status, 200);
      assertChat(await getChat(srv, dan, pub.id), { members: memberIds(alice, dan), my_role: 'member' });
    });

    test('a second owner can hand the chat over and step down; an admin may remove another admin', async () => {
      const g = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('two'), members: memberIds(bob, carol, dan) });
      await setChatRole(srv, alice, g.id, bob, 'owner');
      await setChatRole(srv, alice, g.id, carol, 'admin');
      await setChatRole(srv, alice, g.id, dan, 'admin');
      const d = assertOk(await api('PATCH', `/api/chat/${g.id}/members/${alice.user.id}`, alice, { role: 'member' }));
      assert.ok(d !== undefined);
      assert.equal((await getChat(srv, alice, g.id)).my_role, 'member', 'the owner stepped down since bob is an owner');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${bob.user.id}`, bob, { role: 'member' }), 409, 'LAST_OWNER');
      const r = await api('DELETE', `/api/chat/${g.id}/members/${dan.user.id}`, carol);
      assert.equal(r.status, 200, `admin removes admin: ${r.text}`);
      assertError(await api('DELETE', `/api/chat/${g.id}/members/${bob.user.id}`, carol), 403, 'FORBIDDEN');
      assertChat(await getChat(srv, bob, g.id), { members: memberIds(alice, bob, carol), my_role: 'owner' });
    });
  });

  describe('members', () => {
    let g;
    before(async () => {
      g = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('mem'), members: memberIds(bob) });
    });

    test('GET members: user_id, fullname, avatar_url, role, joined_at', async () => {
      const d = assertOk(await api('GET', `/api/chat/${g.id}/members`, bob));
      assert.equal(d.length, 2);
      for (const m of d) {
        for (const k of ['user_id', 'fullname', 'avatar_url', 'role', 'joined_at']) assert.ok(k in m, `member has ${k}`);
        assert.match(m.joined_at, RFC3339_MS);
      }
      const byId = Object.fromEntries(d.map((m) => [m.user_id, m]));
      assert.equal(byId[alice.user.id].role, 'owner');
      assert.equal(byId[alice.user.id].fullname, 'Alice Anders');
      assert.equal(byId[bob.user.id].role, 'member');
    });

    test('add: owner adds with [ids] and {user_ids}; plain member 403; other workspace 400', async () => {
      const d1 = assertOk(await api('POST', `/api/chat/${g.id}/members`, alice, [carol.user.id]));
      assert.ok(d1.some((m) => m.user_id === carol.user.id && m.role === 'member'), 'carol added as member');
      assertError(await api('POST', `/api/chat/${g.id}/members`, bob, [dan.user.id]), 403, 'FORBIDDEN');
      const d2 = assertOk(await api('POST', `/api/chat/${g.id}/members`, alice, { user_ids: [dan.user.id] }));
      assert.deepEqual(d2.map((m) => m.user_id).sort((a, b) => a - b), memberIds(alice, bob, carol, dan).sort((a, b) => a - b));
      const x = await api('POST', `/api/chat/${g.id}/members`, alice, [xena.user.id]);
      assertError(x, 400, 'VALIDATION_ERROR');
      const unknown = await api('POST', `/api/chat/${g.id}/members`, alice, [99999999]);
      assertError(unknown, 400, 'VALIDATION_ERROR');
      assert.equal((await getChat(srv, alice, g.id)).member_count, 4, 'refused adds changed nothing');
      assertError(await api('POST', `/api/chat/${g.id}/members`, xena, [xena.user.id]), 404, 'NOT_FOUND');
    });

    test('add to a Single is refused', async () => {
      const s = await createChat(srv, alice, { chat_type: 'Single', members: [dan.user.id] });
      const r = await api('POST', `/api/chat/${s.id}/members`, alice, [carol.user.id]);
      assert.ok([400, 403].includes(r.status), `add to Single: ${r.status} ${r.text}`);
      assertChat(await getChat(srv, alice, s.id), { members: memberIds(alice, dan) });
    });

    test('roles: chat owner only; an admin gets 403; the last owner cannot demote themselves (409 LAST_OWNER)', async () => {
      const d = await setChatRole(srv, alice, g.id, bob, 'admin');
      assert.ok(Array.isArray(d) ? d.some((m) => m.user_id === bob.user.id && m.role === 'admin') : true);
      assert.equal((await getChat(srv, bob, g.id)).my_role, 'admin');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${carol.user.id}`, bob, { role: 'admin' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${alice.user.id}`, bob, { role: 'member' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${dan.user.id}`, bob, { role: 'member' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${dan.user.id}`, carol, { role: 'admin' }), 403, 'FORBIDDEN');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${carol.user.id}`, alice, { role: 'king' }), 400, 'VALIDATION_ERROR', 'role');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${xena.user.id}`, alice, { role: 'admin' }), 404, 'NOT_FOUND');
      assertError(await api('PATCH', `/api/chat/${g.id}/members/${alice.user.id}`, alice, { role: 'member' }), 409, 'LAST_OWNER');
      assert.equal((await getChat(srv, alice, g.id)).my_role, 'owner', 'still owner');
      assert.equal((await getChat(srv, carol, g.id)).my_role, 'member');
      assert.equal((await getChat(srv, dan, g.id)).my_role, 'member');
    });

    test('remove: admin removes a member, not the owner; plain member cannot remove', async () => {
      assertError(await api('DELETE', `/api/chat/${g.id}/members/${dan.user.id}`, carol), 403, 'FORBIDDEN');
      assertError(await api('DELETE', `/api/chat/${g.id}/members/${alice.user.id}`, bob), 403, 'FORBIDDEN');
      const r = await api('DELETE', `/api/chat/${g.id}/members/${dan.user.id}`, bob);
      assert.equal(r.status, 200, r.text);
      assertError(await api('GET', `/api/chat/${g.id}`, dan), 404, 'NOT_FOUND');
      assertChat(await getChat(srv, alice, g.id), { members: memberIds(alice, bob, carol) });
      const gone = await api('DELETE', `/api/chat/${g.id}/members/${dan.user.id}`, alice);
      assert.equal(gone.status, 404, `removing a non-member: ${gone.status}`);
      // the owner removes the admin
      assert.equal((await api('DELETE', `/api/chat/${g.id}/members/${bob.user.id}`, alice)).status, 200);
      assertError(await api('GET', `/api/chat/${g.id}/members`, bob), 404, 'NOT_FOUND');
    });
  });

  describe('a private chat is invisible to non-members', () => {
    test('every chat route answers 404 to a workspace member outside the chat and to another workspace', async () => {
      const c = await createChat(srv, alice, { chat_type: 'PrivateChannel', name: uniqueName('secret'), members: memberIds(bob) });
      const m = await send(srv, alice, c.id, 'hush');
      const id = c.id;
      const routes = [
        ['GET', `/api/chat/${id}`], ['PATCH', `/api/chat/${id}`, { description: 'x' }], ['DELETE', `/api/chat/${id}`],
        ['POST', `/api/chat/${id}/join`], ['POST', `/api/chat/${id}/leave`],
        ['GET', `/api/chat/${id}/members`], ['POST', `/api/chat/${id}/members`, [carol.user.id]],
        ['DELETE', `/api/chat/${id}/members/${bob.user.id}`], ['PATCH', `/api/chat/${id}/members/${bob.user.id}`, { role: 'admin' }],
        ['GET', `/api/chat/${id}/messages`], ['POST', `/api/chat/${id}/messages`, { content: 'hi' }],
        ['PATCH', `/api/chat/${id}/messages/${m.id}`, { content: 'x' }], ['DELETE', `/api/chat/${id}/messages/${m.id}`],
        ['GET', `/api/chat/${id}/messages/${m.id}/replies`],
        ['POST', `/api/chat/${id}/messages/${m.id}/reactions`, { emoji: '👍' }],
        ['DELETE', `/api/chat/${id}/messages/${m.id}/reactions/${encodeURIComponent('👍')}`],
        ['POST', `/api/chat/${id}/read`, { message_id: m.id }],
      ];
      const wrong = [];
      for (const u of [carol, xena]) {
        for (const [method, path, body] of routes) {
          const r = await api(method, path, u, body);
          if (r.status !== 404 || r.json?.error?.code !== 'NOT_FOUND') wrong.push(`${u.user.fullname} ${method} ${path}: ${r.status} ${r.text.slice(0, 80)}`);
        }
      }
      assert.deepEqual(wrong, []);
      // nothing changed
      const after = await getChat(srv, alice, id);
      assertChat(after, { members: memberIds(alice, bob), description: c.description });
      assert.equal(after.last_message.id, m.id);
      assert.equal(after.last_message.content, 'hush');
    });
  });
});
