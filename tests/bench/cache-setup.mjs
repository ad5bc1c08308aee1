// Seeds a fresh server for the cache benchmark (tests/bench/cache.sh):
// the owner plus USERS-1 members (through an invite), CHATS group chats that
// every user belongs to, MESSAGES messages in each (senders rotate over the
// users; the chats are filled in parallel so sends share group commits).
// Writes one access token per line into OUTDIR/tokens.txt (index 0 = the
// owner, who may read /api/cache/stats) and prints one JSON line
// {chats: [ids], owner_token, users, messages}.
// usage: node cache-setup.mjs PORT OUTDIR [USERS=20] [CHATS=10] [MESSAGES=200]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [port, outDir] = [Number(process.argv[2]), process.argv[3]];
const USERS = Number(process.argv[4] || 20);
const CHATS = Number(process.argv[5] || 10);
const MESSAGES = Number(process.argv[6] || 200);
if (!port || !outDir || !(USERS >= 2 && USERS <= 200) || !(CHATS >= 1 && CHATS <= 100) || !(MESSAGES >= 0 && MESSAGES <= 10000)) {
  console.error('usage: cache-setup.mjs PORT OUTDIR [USERS 2..200] [CHATS 1..100] [MESSAGES 0..10000]');
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;

async function call(method, path, body, token, want) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15000),
  });
  const json = await res.json().catch(() => null);
  if (res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

const pw = 'bench-password-1';
const owner = await call('POST', '/api/signup',
  { email: 'owner@cache.bench.test', password: pw, fullname: 'Cache Owner', workspace_name: 'CacheBench' }, null, 201);
const invite = await call('POST', '/api/workspace/invites', { max_uses: 1000 }, owner.access_token, 201);
const users = [owner];
for (let i = 1; i < USERS; i++) {
  users.push(await call('POST', '/api/signup',
    { email: `user${i}@cache.bench.test`, password: pw, fullname: `Reader ${String(i).padStart(2, '0')}`, invite_code: invite.code },
    null, 201));
}
const chats = [];
for (let c = 0; c < CHATS; c++) {
  const chat = await call('POST', '/api/workspace/chats', {
    name: `cache-bench-${c}`, chat_type: 'Group', members: users.slice(1).map((u) => u.user.id),
  }, owner.access_token, 201);
  chats.push(chat.id);
}
// fill the chats in parallel (one sender loop per chat)
await Promise.all(chats.map(async (id, c) => {
  for (let i = 0; i < MESSAGES; i++) {
    const u = users[(i + c) % users.length];
    await call('POST', `/api/chat/${id}/messages`,
      { content: `seed message ${i} of chat ${c}: the quick brown fox jumps over the lazy dog` }, u.access_token, 201);
  }
}));
// sanity: the first page of the first chat is full
const page = await call('GET', `/api/chat/${chats[0]}/messages?limit=50`, undefined, users[1].access_token, 200);
if (page.length !== Math.min(50, MESSAGES)) throw new Error(`first page holds ${page.length} messages`);
writeFileSync(join(outDir, 'tokens.txt'), `${users.map((u) => u.access_token).join('\n')}\n`);
console.log(JSON.stringify({ chats, owner_token: owner.access_token, users: users.length, messages: CHATS * MESSAGES }));
