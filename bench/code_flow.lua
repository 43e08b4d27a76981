-- wrk script for the whole authorization code flow of a browser that is already signed in
-- (bench/sign_in.py runs it): GET the authorization endpoint with the session's cookies,
-- follow redirects until the one to the client's redirect URI, then POST the code with its PKCE
-- verifier to the token endpoint, whose answer must hold an id_token. One flow is two requests
-- (more if the server redirects within itself first).
--
-- The environment gives what a browser and its app would hold:
--   FLOW_COOKIE         the Cookie header of the signed-in browser
--   FLOW_AUTHORIZE      path and query of the authorization request, without state
--   FLOW_TOKEN          the token endpoint's path
--   FLOW_REDIRECT       the client's redirect URI
--   FLOW_CLIENT         the client id (a public client)
--   FLOW_VERIFIER       the PKCE verifier of the challenge in FLOW_AUTHORIZE
--
-- wrk asks for a connection's next request some time after that connection's response, and
-- other connections' responses may come in between; so each response queues the request it
-- calls for, and any connection sends the oldest queued one (they share the cookie), or starts
-- a new flow when none is queued.
local cookie = os.getenv("FLOW_COOKIE")
local authorize = os.getenv("FLOW_AUTHORIZE")
local token_path = os.getenv("FLOW_TOKEN")
local redirect = os.getenv("FLOW_REDIRECT")
local client = os.getenv("FLOW_CLIENT")
local verifier = os.getenv("FLOW_VERIFIER")

local queue, head, tail = {}, 1, 0
local started = 0
-- Globals, so that done() can read each thread's with thread:get().
flows, errors, first_error = 0, 0, ""

local function url_encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function url_decode(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function push(req)
  tail = tail + 1
  queue[tail] = req
end

local function fail(why)
  errors = errors + 1
  if first_error == "" then first_error = why end
end

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init()
  math.randomseed(id * 7919 + os.time())
end

function request()
  if head <= tail then
    local req = queue[head]
    queue[head] = nil
    head = head + 1
    return req
  end
  started = started + 1
  local state = string.format("%d-%d-%d", id, started, math.random(1, 1e9))
  return wrk.format("GET", authorize .. "&state=" .. state, {["Cookie"] = cookie})
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"]
  if location then
    if location:sub(1, #redirect) == redirect then
      local code = location:match("[?&]code=([^&]+)")
      if not code then return fail("a redirect without a code: " .. location) end
      push(wrk.format("POST", token_path,
                      {["Content-Type"] = "application/x-www-form-urlencoded"},
                      "grant_type=authorization_code&code=" .. url_encode(url_decode(code)) ..
                      "&redirect_uri=" .. url_encode(redirect) .. "&code_verifier=" ..
                      verifier .. "&client_id=" .. client))
    else
      -- A redirect within the server (node-oidc-provider resumes through its own path).
      local path = location:gsub("^https?://[^/]+", "")
      push(wrk.format("GET", path, {["Cookie"] = cookie}))
    end
  elseif status == 200 and body:find('"id_token"', 1, true) then
    flows = flows + 1
  else
    fail(string.format("status %d: %s", status, body:sub(1, 120)))
  end
end

function done(summary, latency, requests)
  local total_flows, total_errors, why = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_flows = total_flows + thread:get("flows")
    total_errors = total_errors + thread:get("errors")
    if why == "" then why = thread:get("first_error") end
  end
  local s = summary.duration / 1e6
  io.write(string.format(
    "RESULT flows=%d flows_per_s=%.1f requests=%d p50_ms=%.3f p99_ms=%.3f errors=%d non2xx3xx=%d first_error=%s\n",
    total_flows, total_flows / s, summary.requests, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, total_errors, summary.errors.status, why:gsub("%s", "_")))
end
