// The packaged server's data across an upgrade (packaging/deb/test.sh):
//   node smoke.mjs URL create   first account, a channel, one message
//   node smoke.mjs URL verify   signs in as that account and finds the message
// Prints one line; exits 1 on any unexpected answer. 127.0.0.1 only.
const [url, mode] = process.argv.slice(2);
const EMAIL = 'owner@deb-test.local';
const PASSWORD = 'deb-test-password';
const TEXT = 'kept across the package upgrade';

async function call(method, path, { token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const json = await res.json();
  return { status: res.status, json };
}
function must(r, status, what) {
  if (r.status !== status || !r.json.success) {
    console.error(`smoke: ${what}: status ${r.status}: ${JSON.stringify(r.json)}`);
    process.exit(1);
  }
  return r.json.data;
}

if (mode === 'create') {
  const me = must(await call('POST', '/api/signup', { body: { email: EMAIL, password: PASSWORD, fullname: 'Deb Test' } }), 201, 'signup');
  const chat = must(await call('POST', '/api/workspace/chats', {
    token: me.access_token, body: { chat_type: 'PublicChannel', name: 'general', members: [] },
  }), 201, 'create channel');
  const msg = must(await call('POST', `/api/chat/${chat.id}/messages`, { token: me.access_token, body: { content: TEXT } }), 201, 'send');
  console.log(`smoke: user ${me.user.id}, chat ${chat.id}, message ${msg.id}`);
} else if (mode === 'verify') {
  const me = must(await call('POST', '/api/signin', { body: { email: EMAIL, password: PASSWORD } }), 200, 'signin');
  const chats = must(await call('GET', '/api/workspace/chats', { token: me.access_token }), 200, 'chats');
  const chat = chats.find((c) => c.name === 'general');
  if (!chat) { console.error('smoke: the channel is gone'); process.exit(1); }
  const msgs = must(await call('GET', `/api/chat/${chat.id}/messages`, { token: me.access_token }), 200, 'messages');
  if (!msgs.some((m) => m.content === TEXT)) { console.error('smoke: the message is gone'); process.exit(1); }
  console.log(`smoke: signed in as user ${me.user.id}, message found in chat ${chat.id}`);
} else {
  console.error('usage: node smoke.mjs URL create|verify');
  process.exit(2);
}
