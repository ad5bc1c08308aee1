// Seeds a fresh server for `make bench` (run.sh): an owner (the reader and
// the fan-out subscriber), a member through an invite (the sender), and four
// public channels with both: "page" with PAGE_MESSAGES messages of ordinary
// chat length (its first page is the cached-page row), "ingest" (WebSocket
// sends), "sends" (HTTP sends) and "fanout". Prints one JSON line.
// usage: node table-seed.mjs PORT [PAGE_MESSAGES=60]
const port = Number(process.argv[2]);
const nmsg = Math.min(Number(process.argv[3] || 60), 1000);
if (!port) { console.error('usage: table-seed.mjs PORT [PAGE_MESSAGES]'); process.exit(2); }
const base = `http://127.0.0.1:${port}`;

async function call(method, path, body, token, want) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const json = await res.json().catch(() => null);
  if (res.status !== want) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

const pw = 'bench-password-1';
const owner = await call('POST', '/api/signup',
  { email: 'owner@bench.test', password: pw, fullname: 'Bench Owner' }, null, 201);
const invite = await call('POST', '/api/workspace/invites', { max_uses: 10 }, owner.access_token, 201);
const member = await call('POST', '/api/signup',
  { email: 'member@bench.test', password: pw, fullname: 'Bench Member', invite_code: invite.code }, null, 201);
const chats = {};
for (const name of ['page', 'ingest', 'sends', 'fanout']) {
  const c = await call('POST', '/api/workspace/chats',
    { name, chat_type: 'PublicChannel', members: [member.user.id] }, owner.access_token, 201);
  chats[name] = c.id;
}
const lines = [
  'Lunch tomorrow at noon works for me, see you there.',
  'I pushed the fix for the login redirect; can someone review the pull request before the release?',
  'The build on the staging box is green again after the dependency bump.',
  'Meeting moved to 3 pm, same room. Bring the quarterly numbers if you have them.',
  'Thanks! That solved it.',
];
for (let i = 0; i < nmsg; i++) {
  const who = i % 3 ? member : owner;
  await call('POST', `/api/chat/${chats.page}/messages`,
    { content: `${lines[i % lines.length]} (${i})` }, who.access_token, 201);
}
console.log(JSON.stringify({
  owner_token: owner.access_token, member_token: member.access_token,
  owner_id: owner.user.id, member_id: member.user.id, chats,
}));
