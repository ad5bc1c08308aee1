-- wrk script for tests/bench/cache.sh: a read-heavy mix over pre-generated
-- tokens. Each request picks a user (token) and a chat uniformly at random,
-- then a kind by weight:
--   MIX_PAGE   GET /api/chat/{id}/messages?limit=50   (the cached first page)
--   MIX_LIST   GET /api/workspace/chats
--   MIX_UNREAD GET /api/unread-counts
--   MIX_POST   POST /api/chat/{id}/messages           (invalidates the chat)
-- env: BENCH_TOKENS (file, one token a line), BENCH_CHATS (comma-separated
-- ids), MIX_PAGE/MIX_LIST/MIX_UNREAD/MIX_POST (weights, default 80/10/5/5).
-- Prints one machine-readable RESULT line (with the per-kind counts).
local tokens_file = os.getenv("BENCH_TOKENS")
local chats_env = os.getenv("BENCH_CHATS") or ""
local W = {
  tonumber(os.getenv("MIX_PAGE") or "80"),
  tonumber(os.getenv("MIX_LIST") or "10"),
  tonumber(os.getenv("MIX_UNREAD") or "5"),
  tonumber(os.getenv("MIX_POST") or "5"),
}
local TOTAL = W[1] + W[2] + W[3] + W[4]

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

-- per thread: pre-built requests and counters
local page, list, unread, post = {}, {}, {}, {}
local ntok, nchat = 0, 0
n_page, n_list, n_unread, n_post = 0, 0, 0, 0

function init(args)
  local tokens, chats = {}, {}
  for line in io.lines(tokens_file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  for id in string.gmatch(chats_env, "%d+") do chats[#chats + 1] = id end
  ntok, nchat = #tokens, #chats
  assert(ntok > 0 and nchat > 0, "no tokens or chats")
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  local body = '{"content":"cache benchmark message: the quick brown fox jumps over the lazy dog"}'
  for u = 1, ntok do
    local h = { ["Authorization"] = "Bearer " .. tokens[u] }
    local hp = { ["Authorization"] = "Bearer " .. tokens[u], ["Content-Type"] = "application/json" }
    list[u] = wrk.format("GET", "/api/workspace/chats", h)
    unread[u] = wrk.format("GET", "/api/unread-counts", h)
    page[u], post[u] = {}, {}
    for c = 1, nchat do
      page[u][c] = wrk.format("GET", "/api/chat/" .. chats[c] .. "/messages?limit=50", h)
      post[u][c] = wrk.format("POST", "/api/chat/" .. chats[c] .. "/messages", hp, body)
    end
  end
end

function request()
  local u = math.random(ntok)
  local r = math.random() * TOTAL
  if r < W[1] then
    n_page = n_page + 1
    return page[u][math.random(nchat)]
  elseif r < W[1] + W[2] then
    n_list = n_list + 1
    return list[u]
  elseif r < W[1] + W[2] + W[3] then
    n_unread = n_unread + 1
    return unread[u]
  end
  n_post = n_post + 1
  return post[u][math.random(nchat)]
end

function done(summary, latency, requests)
  local c = { 0, 0, 0, 0 }
  for _, t in ipairs(threads) do
    c[1] = c[1] + (t:get("n_page") or 0)
    c[2] = c[2] + (t:get("n_list") or 0)
    c[3] = c[3] + (t:get("n_unread") or 0)
    c[4] = c[4] + (t:get("n_post") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d sent_page=%d sent_list=%d sent_unread=%d sent_post=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, c[1], c[2], c[3], c[4]))
end
