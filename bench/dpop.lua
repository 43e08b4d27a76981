-- wrk script for DPoP (RFC 9449): each request carries the next of many proofs in its DPoP
-- header, read from the file named by PROOFS_FILE (one proof a line, made by bench/macro.py
-- just before the run), since the server takes each proof once (its jti) and only for a minute
-- after its iat. Run it with -t1: each wrk thread has its own Lua state and would send the same
-- proofs as the others.
--
-- The environment gives the rest of the request:
--   DPOP_METHOD   GET or POST (the proofs' htm)
--   DPOP_AUTH     the Authorization header ("DPoP TOKEN" at a resource, "Basic …" at /token)
--   DPOP_BODY     the body, if any
--   DPOP_CTYPE    its Content-Type
--
-- Prints the same RESULT line as ../shared/peers/bench.lua, then a PROOFS line: how many
-- proofs were loaded and how many requests took one. When the requests outnumber the proofs,
-- the proofs come round again and the server refuses them (non2xx); macro.py fails the run.
local method = os.getenv("DPOP_METHOD") or "GET"
local auth = os.getenv("DPOP_AUTH") or ""
local body = os.getenv("DPOP_BODY") or ""
local ctype = os.getenv("DPOP_CTYPE") or ""
if body == "" then body = nil end

local proofs = {}
-- Globals, so that done() (in wrk's main Lua state) can read each thread's with thread:get().
sent, loaded = 0, 0

local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
end

-- init runs in the thread's own state only, before wrk starts its clock.
init = function(args)
  for line in io.lines(os.getenv("PROOFS_FILE")) do
    if #line > 0 then proofs[#proofs + 1] = line end
  end
  loaded = #proofs
end

request = function()
  sent = sent + 1
  local headers = {["DPoP"] = proofs[(sent - 1) % loaded + 1]}
  if auth ~= "" then headers["Authorization"] = auth end
  if ctype ~= "" then headers["Content-Type"] = ctype end
  return wrk.format(method, nil, headers, body)
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
  local total_sent, total_loaded = 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_loaded = total_loaded + thread:get("loaded")
  end
  io.write(string.format("PROOFS sent=%d loaded=%d threads=%d\n", total_sent, total_loaded,
                         #threads))
end
