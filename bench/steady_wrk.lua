-- wrk script of the capacity probe in bench/steady_load.py (closed loop: what the server can answer flat out,
-- which sets the steady rate; the steady load itself is open-model, bench/steady_client.py).
-- Environment: STEADY_LEARNERS (a file: cookie TAB csrf TAB playback TAB enrollment TAB courseware per line),
-- STEADY_MODE ("beat" or "pages"), STEADY_THREADS (wrk -t), STEADY_ORIGIN (http://127.0.0.1:<port>).
-- Each wrk thread beats its own share of the learners, so one learner's seq only ever grows.

local mode = os.getenv("STEADY_MODE") or "beat"
local threads = tonumber(os.getenv("STEADY_THREADS") or "1")
local origin = os.getenv("STEADY_ORIGIN")
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

local mine = {}
local counter = 0

function init(args)
  local i = 0
  for line in io.lines(os.getenv("STEADY_LEARNERS")) do
    local cookie, csrf, playback, enrollment, courseware =
      line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
    if cookie and i % threads == id then
      mine[#mine + 1] = {cookie = cookie, csrf = csrf, playback = playback, e = enrollment, c = courseware, seq = 0}
    end
    i = i + 1
  end
end

function request()
  counter = counter + 1
  local l = mine[(counter % #mine) + 1]
  if mode == "beat" then
    l.seq = l.seq + 1
    local body = "csrfmiddlewaretoken=" .. l.csrf .. "&session=" .. l.playback .. "&seq=" .. l.seq
      .. "&position=0&playing=1"
    return wrk.format("POST", "/learning/heartbeat/", {
      ["Cookie"] = l.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded;charset=UTF-8",
      ["Origin"] = origin,
      ["Accept"] = "application/json",
    }, body)
  end
  local paths = {
    "/center/",
    "/study/" .. l.e .. "/",
    "/study/" .. l.e .. "/courses/",
    "/study/" .. l.e .. "/play/" .. l.c .. "/",
    "/orders/",
    "/certificates/archive/",
  }
  return wrk.format("GET", paths[(math.floor(counter / #mine) + counter) % #paths + 1], {["Cookie"] = l.cookie})
end
