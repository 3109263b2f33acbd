-- wrk script of bench/heartbeat_bench.py's capacity rounds: honest heartbeats, flat out.
-- Environment: HB_LEARNERS (a file: cookie TAB csrf TAB playback TAB seq TAB position per line), HB_THREADS (wrk -t),
-- HB_ORIGIN (http://127.0.0.1:<port>), HB_STEP (seconds of video each beat advances a learner by).
-- Each wrk thread beats its own share of the learners in turn, so a learner's seq only grows. A learner is beaten
-- every (learners / rate) seconds; HB_STEP is kept below that, so the server credits every beat in full (its budget
-- grows by the real time between beats): the replies are read, and a beat credited nothing is counted.

local threads = tonumber(os.getenv("HB_THREADS") or "1")
local origin = os.getenv("HB_ORIGIN")
local step = tonumber(os.getenv("HB_STEP") or "0.02")
local next_id = 0
local all_threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(all_threads, thread)
end

local mine = {}
local counter = 0
uncredited = 0
answered = 0
first_bad = ""

function init(args)
  local i = 0
  for line in io.lines(os.getenv("HB_LEARNERS")) do
    local cookie, csrf, playback, seq, position = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    if cookie and i % threads == id then
      mine[#mine + 1] = {cookie = cookie, csrf = csrf, playback = playback, seq = tonumber(seq),
                         position = tonumber(position)}
    end
    i = i + 1
  end
end

function request()
  counter = counter + 1
  local l = mine[(counter % #mine) + 1]
  l.seq = l.seq + 1
  l.position = l.position + step
  local body = "csrfmiddlewaretoken=" .. l.csrf .. "&session=" .. l.playback .. "&seq=" .. l.seq
    .. "&position=" .. string.format("%.2f", l.position) .. "&playing=1"
  return wrk.format("POST", "/learning/heartbeat/", {
    ["Cookie"] = l.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8",
    ["Origin"] = origin,
    ["Accept"] = "application/json",
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  -- compact or spaced JSON alike: a reply that credited nothing, or refused the beat
  if status ~= 200 or body:find('"credited":%s*0%.?0*[,}]') or body:find('"accepted":%s*false') then
    uncredited = uncredited + 1
    if first_bad == "" then first_bad = status .. " " .. body:sub(1, 200) end
  end
end

function done(summary, latency, requests)
  local total_uncredited, total_answered, bad = 0, 0, ""
  for _, thread in ipairs(all_threads) do
    total_uncredited = total_uncredited + thread:get("uncredited")
    total_answered = total_answered + thread:get("answered")
    if bad == "" then bad = thread:get("first_bad") end
  end
  io.write(string.format("heartbeats answered: %d, not credited: %d\n", total_answered, total_uncredited))
  if bad ~= "" then io.write("first not credited: " .. bad .. "\n") end
end
