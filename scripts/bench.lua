-- wrk driver of scripts/bench.py. Configured through the environment:
--   BENCH_PATH, BENCH_METHOD (GET), BENCH_BODY, BENCH_HEADERS ("Name: value|Name: value"),
--   BENCH_SESSIONS: a file of "session<TAB>csrf<TAB>address" lines; each request takes the
--     next one (cookie BENCH_COOKIE, the CSRF cookie + X-CSRFToken, X-Forwarded-For), so the
--     load comes from many customers and addresses, as in production;
--   BENCH_RATE: total requests/s to aim for (0 = as fast as possible);
--   BENCH_THREADS: wrk's -t (to split the rate).
-- Prints one line "BENCH_RESULT {json}" with requests, duration, non-2xx, socket errors and
-- the latency percentiles (microseconds).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local index = 0
local interval = 0
local next_at = nil
non2xx = 0

local function headers_base()
  local h = {}
  local spec = os.getenv("BENCH_HEADERS") or ""
  for item in string.gmatch(spec, "[^|]+") do
    local name, value = string.match(item, "^%s*([^:]+):%s*(.*)$")
    if name then h[name] = value end
  end
  return h
end

function init(args)
  local method = os.getenv("BENCH_METHOD") or "GET"
  local path = os.getenv("BENCH_PATH") or "/"
  local body = os.getenv("BENCH_BODY")
  local sessions = os.getenv("BENCH_SESSIONS")
  local cookie = os.getenv("BENCH_COOKIE") or "sessionid"
  if sessions and sessions ~= "" then
    for line in io.lines(sessions) do
      local sid, csrf, address = string.match(line, "^([^\t]+)\t([^\t]+)\t([^\t]+)")
      if sid then
        local h = headers_base()
        h["Cookie"] = cookie .. "=" .. sid .. "; csrftoken=" .. csrf
        h["X-CSRFToken"] = csrf
        h["X-Forwarded-For"] = address
        table.insert(requests, wrk.format(method, path, h, body))
      end
    end
  else
    table.insert(requests, wrk.format(method, path, headers_base(), body))
  end
  local rate = tonumber(os.getenv("BENCH_RATE") or "0")
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  -- Spread the threads over the session list so no two start on the same customer.
  index = math.floor((id or 0) * #requests / math.max(1, nthreads))
  if rate > 0 then interval = 1000 * nthreads / rate end
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

if tonumber(os.getenv("BENCH_RATE") or "0") > 0 then
  -- Open-loop pacing per thread: each request takes the next slot of a fixed schedule.
  function delay()
    local t = now_ms()
    if next_at == nil or next_at < t - 200 then next_at = t end
    next_at = next_at + interval
    local d = next_at - t
    if d < 0 then return 0 end
    return d
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    if not (status == 304 and os.getenv("BENCH_ALLOW_304") == "1") then
      non2xx = non2xx + 1
    end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (tonumber(thread:get("non2xx")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
