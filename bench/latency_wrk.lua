-- wrk script of bench/latency_bench.py: one kind of request, flat out (LAT_RATE=0) or paced at a fixed rate.
-- Environment: LAT_LEARNERS (a file, one learner a line: cookie TAB csrf TAB path TAB extra), LAT_MODE (beat: POST a
-- heartbeat, extra = the playback id; save: POST an exam autosave, extra = the paper's question ids joined by ",";
-- get: GET the path), LAT_THREADS (wrk -t), LAT_ORIGIN (http://127.0.0.1:<port>), LAT_RATE (requests per second of
-- all threads; 0 = flat out), LAT_STEP (seconds of video each heartbeat advances its learner by).
--
-- Pacing: each thread lays out its own schedule, one request due every threads / LAT_RATE seconds, and a connection
-- that is free takes the next due time and waits for it in delay(). When every connection is busy a due time
-- passes unsent and the request leaves late (wrk is a closed loop per connection: it cannot send more than its
-- connections carry). That is coordinated omission: wrk times a request from when it left, not from when it was
-- due. So each request's lateness is kept, and done() reports how many left late and by how much: with none late,
-- the latencies are those of a fixed arrival rate.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } lat_timespec;
  int clock_gettime(int clk_id, lat_timespec *tp);
]]
local ts = ffi.new("lat_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = tonumber(os.getenv("LAT_THREADS") or "1")
local mode = os.getenv("LAT_MODE")
local origin = os.getenv("LAT_ORIGIN")
local rate = tonumber(os.getenv("LAT_RATE") or "0")
local step = tonumber(os.getenv("LAT_STEP") or "0.02")
local late_after = 0.005 -- seconds: a request that left more than this after its due time counts as late
local next_id = 0
local all_threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(all_threads, thread)
end

local mine = {}
local counter = 0
local period = 0
local started = nil
local slots = 0
local due = {} -- due times handed out by delay(), oldest first, not yet sent
local first_due = 1
bad = 0
uncredited = 0
firsts = 0
answered = 0
sent = 0
late = 0
late_max = 0.0

function init(args)
  local i = 0
  for line in io.lines(os.getenv("LAT_LEARNERS")) do
    local cookie, csrf, path, extra = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]*)$")
    if cookie and i % threads == id then
      local learner = {cookie = cookie, csrf = csrf, path = path, extra = extra, seq = 0, position = 0.0, q = 0}
      if mode == "save" then
        learner.questions = {}
        for q in extra:gmatch("%d+") do learner.questions[#learner.questions + 1] = q end
      end
      mine[#mine + 1] = learner
    end
    i = i + 1
  end
  if rate > 0 then period = threads / rate end
end

if rate > 0 then
  function delay()
    local t = now()
    if not started then started = t end
    local at = started + slots * period
    slots = slots + 1
    due[#due + 1] = at
    local wait = (at - t) * 1000
    if wait < 0 then return 0 end
    return math.floor(wait)
  end
end

local function form(learner, fields)
  return wrk.format("POST", learner.path, {
    ["Cookie"] = learner.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8",
    ["Origin"] = origin,
    ["Accept"] = "application/json",
  }, "csrfmiddlewaretoken=" .. learner.csrf .. fields)
end

function request()
  if #mine == 0 then -- wrk's own check of the script, in a state that init() never ran in
    return wrk.format("GET", "/healthz")
  end
  if rate > 0 then
    local at = due[first_due] or now()
    due[first_due] = nil
    first_due = first_due + 1
    local lateness = now() - at
    if lateness > late_after then late = late + 1 end
    if lateness > late_max then late_max = lateness end
  end
  sent = sent + 1
  counter = counter + 1
  local l = mine[(counter % #mine) + 1]
  if mode == "beat" then
    l.seq = l.seq + 1
    if l.seq == 1 then
      firsts = firsts + 1 -- the player's first beat reports the start: it starts the clock and earns nothing
    else
      l.position = l.position + step
    end
    return form(l, "&session=" .. l.extra .. "&seq=" .. l.seq .. "&position="
      .. string.format("%.2f", l.position) .. "&playing=1")
  elseif mode == "save" then
    l.q = (l.q % #l.questions) + 1
    return form(l, "&question=" .. l.questions[l.q] .. "&answer=A")
  end
  return wrk.format("GET", l.path, {["Cookie"] = l.cookie})
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then
    bad = bad + 1
  elseif mode == "beat" and body:find('"accepted":%s*false') then
    bad = bad + 1
  elseif mode == "beat" and body:find('"credited":%s*0%.?0*[,}]') then
    uncredited = uncredited + 1 -- compact or spaced JSON alike; done() leaves out the first beats
  elseif mode == "save" and not body:find('"saved":%s*true') then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local totals = {bad = 0, uncredited = 0, firsts = 0, answered = 0, sent = 0, late = 0, late_max = 0.0}
  for _, thread in ipairs(all_threads) do
    for key, _ in pairs(totals) do
      local value = thread:get(key)
      if key == "late_max" then
        if value > totals.late_max then totals.late_max = value end
      else
        totals[key] = totals[key] + value
      end
    end
  end
  -- Every beat after a learner's first advances by less than the real time since the one before: all credited.
  totals.bad = totals.bad + math.max(0, totals.uncredited - totals.firsts)
  io.write(string.format("lat answered=%d bad=%d sent=%d late=%d late_max_ms=%.1f\n", totals.answered, totals.bad,
    totals.sent, totals.late, totals.late_max * 1000))
  io.write(string.format("lat p50_us=%d p99_us=%d p999_us=%d max_us=%d\n", latency:percentile(50),
    latency:percentile(99), latency:percentile(99.9), latency.max))
end
