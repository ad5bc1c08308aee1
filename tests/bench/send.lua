-- wrk script: POST /api/chat/{id}/messages with a bearer token.
-- env: BENCH_TOKEN, BENCH_CHAT. Prints one machine-readable RESULT line.
local token = os.getenv("BENCH_TOKEN")
local chat = os.getenv("BENCH_CHAT")

wrk.method = "POST"
wrk.path = "/api/chat/" .. chat .. "/messages"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = '{"content":"benchmark message: the quick brown fox jumps over the lazy dog"}'

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
