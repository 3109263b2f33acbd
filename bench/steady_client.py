"""The open-model load of bench/steady_load.py: requests leave on a fixed schedule (asyncio + aiohttp), whether
or not the earlier ones were answered, as real learners' browsers do. No Django here.

The schedule is laid out before the run: each learner's heartbeats every HEARTBEAT_INTERVAL seconds (their
start times spread evenly over one interval, so the beats arrive at an even rate), and the learner pages at an
even rate between them. A slow server therefore meets a growing queue, not a politely waiting client
(a closed loop such as wrk would send less when the server slows and hide it). Latency is measured from the
moment a request was due, so a client that fell behind would show it too (no coordinated omission).
"""

import asyncio
import json
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

HOST = "127.0.0.1"  # the only address traffic goes to
REQUEST_TIMEOUT = 30  # seconds, per request: no answer by then counts as an error
MAX_IN_FLIGHT = 2000  # a bound on open requests; beyond it a due request is counted as an error, not sent
BEAT = "POST /learning/heartbeat/"


@dataclass
class Learner:
    user_id: int
    enrollment_id: int
    courseware_id: int
    session_key: str  # the Django session (cookie `sessionid`)
    csrf: str  # the CSRF secret: cookie `csrftoken` and form field `csrfmiddlewaretoken`
    playback: str = ""  # the playback session id from playback_start
    seq: int = 0
    started: float = 0.0  # time.monotonic() of the first heartbeat: the video played from 0 since then
    position: float = 0.0  # the last position sent: what this learner has really played
    credited: float = 0.0  # seconds the server's answers credited

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session_key}; csrftoken={self.csrf}"


@dataclass
class Stats:
    """Answers of one kind of request in one phase."""

    latencies: list = field(default_factory=list)  # seconds from due to answered, one per answer
    statuses: Counter = field(default_factory=Counter)  # HTTP status → count
    failures: Counter = field(default_factory=Counter)  # no answer: exception name → count
    played: float = 0.0  # heartbeats: seconds the positions advanced by
    credited: float = 0.0  # heartbeats: seconds credited in the answers
    short: int = 0  # heartbeats accepted but credited ≥ 0.1 s less than they advanced
    not_accepted: int = 0  # heartbeats answered 200 with accepted=False

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    @property
    def errors(self) -> int:
        """Every answer outside 2xx/3xx and every request that got no answer."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 400) + sum(self.failures.values())


@dataclass
class Run:
    stats: dict = field(default_factory=dict)  # (phase, kind) → Stats
    dispatch_lag: list = field(default_factory=list)  # seconds each request left after it was due
    first_sent: float = 0.0  # time.monotonic() of the measured phase's first and last request
    last_sent: float = 0.0
    sent: int = 0  # requests sent in the measured phase

    @property
    def achieved_rate(self) -> float:
        span = self.last_sent - self.first_sent
        return (self.sent - 1) / span if self.sent > 1 and span > 0 else 0.0

    def get(self, phase: str, kind: str) -> Stats:
        return self.stats.setdefault((phase, kind), Stats())


def pages_for(learner: Learner) -> list[tuple[str, str]]:
    """(kind, path) of the learner pages in the mix."""
    e, c = learner.enrollment_id, learner.courseware_id
    return [
        ("GET /center/ 学员中心", "/center/"),
        ("GET /study/<e>/ 班级首页", f"/study/{e}/"),
        ("GET /study/<e>/courses/ 在线学习", f"/study/{e}/courses/"),
        ("GET /study/<e>/play/<c>/ 播放页", f"/study/{e}/play/{c}/"),
        ("GET /orders/ 我的订单", "/orders/"),
        ("GET /certificates/archive/ 继续教育档案", "/certificates/archive/"),
    ]


def schedule(learners: int, page_rate: float, interval: float, seconds: float) -> list[tuple[float, str, int]]:
    """(offset in seconds, "beat" | "page", index) of every request, in time order: learner i beats at
    i·interval/learners + k·interval, page j is due at (j + ½)/page_rate."""
    events = []
    for i in range(learners):
        t = i * interval / learners
        while t < seconds:
            events.append((t, "beat", i))
            t += interval
    if page_rate > 0:
        j = 0
        while (t := (j + 0.5) / page_rate) < seconds:
            events.append((t, "page", j))
            j += 1
    events.sort()
    return events


def _form_headers(learner: Learner, origin: str) -> dict:
    # The server runs with DEBUG=0, so its cookies are Secure; we write the Cookie header ourselves over plain
    # HTTP, and the server does not look at the flag on the way in. CSRF: the cookie and the same secret in the
    # form field (as the player's URLSearchParams sends it); Origin equals the request's own origin, as fetch sends.
    return {
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
        "Cookie": learner.cookie,
        "Origin": origin,
        "Accept": "application/json",
    }


def new_session() -> aiohttp.ClientSession:
    # gunicorn's sync workers close the connection after every answer: one connection per request, as there.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


async def start_playback(http: aiohttp.ClientSession, port: int, learner: Learner) -> int:
    """POST playback_start (the player page's first request): a new playback session, seq from 1 again."""
    origin = f"http://{HOST}:{port}"
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": learner.csrf})
    url = f"{origin}/learning/{learner.enrollment_id}/play/{learner.courseware_id}/"
    async with http.post(url, data=body, headers=_form_headers(learner, origin), allow_redirects=False) as response:
        data = await response.read()
        if response.status == 200:
            learner.playback = json.loads(data)["session"]
            learner.seq, learner.started, learner.position, learner.credited = 0, 0.0, 0.0, 0.0
        return response.status


async def start_all(port: int, learners: list[Learner], concurrency: int = 8) -> Counter:
    """playback_start for every learner (untimed, before the load)."""
    outcomes = Counter()
    queue = list(learners)
    async with new_session() as http:

        async def worker():
            while queue:
                learner = queue.pop()
                try:
                    outcomes[await start_playback(http, port, learner)] += 1
                except (aiohttp.ClientError, TimeoutError) as exc:
                    outcomes[type(exc).__name__] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes


async def _beat(http, origin: str, learner: Learner, due: float, stats: Stats) -> None:
    """One heartbeat, paced like a real player at 1×: seq + 1, the position the time since the first beat
    (which reports 0, as the player beats on the video's "play" event)."""
    now = time.monotonic()
    if not learner.seq:
        learner.started = now
    position = now - learner.started
    advance = position - learner.position
    learner.position = position
    learner.seq += 1
    stats.played += advance
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": learner.csrf,
            "session": learner.playback,
            "seq": learner.seq,
            "position": f"{position:.2f}",
            "playing": "1",
        }
    )
    try:
        async with http.post(f"{origin}/learning/heartbeat/", data=body, headers=_form_headers(learner, origin)) as r:
            data = await r.read()
            status = r.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.failures[type(exc).__name__] += 1
        return
    stats.latencies.append(time.monotonic() - due)
    stats.statuses[status] += 1
    if status == 200:
        reply = json.loads(data)
        if reply.get("accepted"):
            stats.credited += reply["credited"]
            learner.credited += reply["credited"]
            if reply["credited"] < advance - 0.1:
                stats.short += 1
        else:
            stats.not_accepted += 1


async def _page(http, origin: str, learner: Learner, path: str, due: float, stats: Stats) -> None:
    try:
        async with http.get(f"{origin}{path}", headers={"Cookie": learner.cookie}, allow_redirects=False) as r:
            await r.read()
            status = r.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.failures[type(exc).__name__] += 1
        return
    stats.latencies.append(time.monotonic() - due)
    stats.statuses[status] += 1


async def drive(
    port: int,
    learners: list[Learner],
    *,
    page_rate: float,
    interval: float,
    warmup: float,
    seconds: float,
    on_measure_start=None,
    on_tick=None,
    tick_every: float = 30.0,
) -> Run:
    """Send the schedule: `warmup` seconds, then `seconds` measured, back to back with no pause. Calls
    on_measure_start() when the measured phase begins and on_tick(elapsed, run) every tick_every seconds of it."""
    run = Run()
    events = schedule(len(learners), page_rate, interval, warmup + seconds)
    origin = f"http://{HOST}:{port}"
    in_flight: set[asyncio.Task] = set()
    measuring = False
    next_tick = warmup + tick_every
    async with new_session() as http:
        began = time.monotonic() + 0.2
        for offset, kind, index in events:
            due = began + offset
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not measuring and offset >= warmup:
                measuring = True
                run.first_sent = time.monotonic()
                if on_measure_start:
                    on_measure_start()
            if on_tick and offset >= next_tick:
                on_tick(offset - warmup, run)
                next_tick += tick_every
            phase = "measure" if offset >= warmup else "warmup"
            if kind == "beat":
                learner = learners[index]
                label = BEAT
            else:
                learner = learners[(index * 7919) % len(learners)]  # a spread of learners, deterministic
                pages = pages_for(learner)
                label, path = pages[index % len(pages)]
            stats = run.get(phase, label)
            if len(in_flight) >= MAX_IN_FLIGHT:
                stats.failures["ClientOverload"] += 1
                continue
            sent = time.monotonic()
            run.dispatch_lag.append(sent - due)
            if measuring:
                run.sent += 1
                run.last_sent = sent
            if kind == "beat":
                coroutine = _beat(http, origin, learner, due, stats)
            else:
                coroutine = _page(http, origin, learner, path, due, stats)
            task = asyncio.create_task(coroutine)
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=REQUEST_TIMEOUT + 5)
    return run
