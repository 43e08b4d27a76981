-- wrk script for GET requests that each carry the next of many access tokens, read from the
-- file named by TOKENS_FILE (one token a line), so that each request presents a token the
-- server has not seen for a while. Prints the same RESULT line as ../shared/peers/bench.lua.
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local next_token = 0

request = function()
  next_token = next_token % #tokens + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[next_token]})
end

done = function(summary, latency, requests)
  local s = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, summary.requests / s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
