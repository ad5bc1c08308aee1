// Prepares a fresh server for a benchmark: owner signup, an invite, a second
// account through the invite, a public channel with both, and optionally N
// messages. Prints one JSON line {token, chat_id, owner_id, member_id}.
// With "solo" as third argument: only the owner's signup and a channel of one.
// usage: node setup.mjs PORT [MESSAGES] [solo]
const port = Number(process.argv[2]);
const nmsg = Number(process.argv[3] || 0);
const solo = process.argv[4] === 'solo';
if (!port) { console.error('usage: setup.mjs PORT [MESSAGES]'); process.exit(2); }
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
  if (res.status !== want) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  }
  return json.data;
}

const pw = 'bench-password-1';
const owner = await call('POST', '/api/signup',
  { email: 'owner@bench.test', password: pw, fullname: 'Bench Owner' }, null, 201);
const token = owner.access_token;
let member = null;
if (!solo) {
  const invite = await call('POST', '/api/workspace/invites', { max_uses: 1000 }, token, 201);
  member = await call('POST', '/api/signup',
    { email: 'member@bench.test', password: pw, fullname: 'Bench Member', invite_code: invite.code }, null, 201);
}
const chat = await call('POST', '/api/workspace/chats',
  { name: 'bench', chat_type: 'PublicChannel', members: member ? [member.user.id] : [] }, token, 201);
for (let i = 0; i < nmsg && i < 100000; i++) {
  await call('POST', `/api/chat/${chat.id}/messages`, { content: `setup message ${i}` }, token, 201);
}
console.log(JSON.stringify({ token, chat_id: chat.id, owner_id: owner.user.id, member_id: member?.user.id ?? null }));
