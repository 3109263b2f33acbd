"""The open-model load of bench/rush.py: the year-end mix at a fixed arrival rate (asyncio + aiohttp, as
bench/steady_client.py, whose learners, heartbeats and page requests it reuses). No Django here.

Every request is laid out on a schedule before the run and sent when due, answered or not, so a slow server meets
a growing queue; latency counts from the due time (no coordinated omission). The mix: each watching learner's
heartbeat every HEARTBEAT_INTERVAL seconds (≈ 80 % of the rate), between them the other kinds at an even rate in a
fixed rotation (MIX), and the payments at their own even rate, each two requests: 去支付 (POST the order's pay form,
answered with a redirect to the 模拟银行) and the bank's 支付成功 (answered with a redirect back); the bank's signed
notification then goes from the Celery worker to the platform, as a real bank's would.
"""

import asyncio
import json
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import aiohttp
import steady_client as base

HOST, BEAT = base.HOST, base.BEAT
PAY, BANK = "POST /orders/<n>/pay/ 去支付", "POST /mockbank/<n>/ 模拟银行 支付成功"
PRACTICE, SAVE = "POST practice 显示答案 (exams:practice_reveal)", "POST exam autosave (exams:answer)"
# The other kinds, one rotation: (kind, weight). Pages: 学员中心, 班级首页, 在线学习, the player, 我的订单.
MIX = [
    ("GET /center/ 学员中心", 2),
    ("GET /study/<e>/ 班级首页", 2),
    ("GET /study/<e>/courses/ 在线学习", 2),
    ("GET /study/<e>/play/<c>/ 播放页", 1),
    ("GET /orders/ 我的订单", 2),
    (PRACTICE, 4),
    (SAVE, 5),
]
ROTATION = [kind for kind, weight in MIX for _ in range(weight)]
WRONG_ANSWER = 0  # the status recorded for a 200 whose JSON is not what the kind answers (an error)


@dataclass
class Sitter:
    """A learner with an exam attempt in progress: autosaves its paper's questions in turn."""

    learner: base.Learner
    attempt: int
    questions: list
    turn: int = 0


@dataclass
class Payer:
    """A learner with an unpaid order: pays it once, through the 模拟银行."""

    learner: base.Learner
    order: str
    paid: bool = False  # both redirects came back as expected


@dataclass
class Cast:
    watchers: list  # steady_client.Learner, each watching and beating
    practices: dict  # enrollment id → (practice id, question ids) of the watchers
    sitters: list = field(default_factory=list)
    payers: list = field(default_factory=list)


def schedule(cast: Cast, other_rate: float, pay_rate: float, interval: float, seconds: float) -> list[tuple]:
    """(offset, "beat" | "other" | "pay", index) of every request, in time order."""
    events = [(offset, "beat", i) for offset, _, i in base.schedule(len(cast.watchers), 0, interval, seconds)]
    for kind, rate in (("other", other_rate), ("pay", pay_rate)):
        j = 0
        while rate > 0 and (t := (j + 0.5) / rate) < seconds:
            events.append((t, kind, j))
            j += 1
    events.sort()
    return events


def json_with(key: str):
    """An answer check: 200 with a JSON object holding `key` (what the page's script reads)."""

    def check(status: int, data: bytes, location: str) -> bool:
        try:
            return status == 200 and key in json.loads(data)
        except ValueError:
            return False

    return check


def redirect_to(fragment: str):
    """An answer check: a 302 whose Location holds `fragment`."""
    return lambda status, data, location: status == 302 and fragment in location


async def _send(http, method: str, url: str, learner, due: float, stats: base.Stats, fields=None, expect=None):
    """One request; its latency from `due`. `expect`: an answer check (json_with, redirect_to); an answer that
    fails it is recorded as WRONG_ANSWER. Returns (status, Location) or None when no answer came."""
    origin = url.split("/", 3)[:3]
    if fields is None:
        headers, body = {"Cookie": learner.cookie}, None
    else:
        headers = base._form_headers(learner, "/".join(origin))
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": learner.csrf, **fields})
    try:
        async with http.request(method, url, data=body, headers=headers, allow_redirects=False) as answer:
            data = await answer.read()
            status, location = answer.status, answer.headers.get("Location", "")
    except (aiohttp.ClientError, TimeoutError) as exc:
        stats.failures[type(exc).__name__] += 1
        return None
    stats.latencies.append(time.monotonic() - due)
    if expect is not None and not expect(status, data, location):
        status = WRONG_ANSWER
    stats.statuses[status] += 1
    return status, location


async def _pay(http, origin: str, payer: Payer, due: float, pay: base.Stats, bank: base.Stats) -> None:
    """去支付 with the 模拟银行 (a fresh idempotency key, as the pay form carries one), then 支付成功 at the bank,
    timed from when the bank's page was reached."""
    fields = {"provider": "mockbank", "idempotency_key": str(uuid.uuid4())}
    url = f"{origin}/orders/{payer.order}/pay/"
    answered = await _send(http, "POST", url, payer.learner, due, pay, fields, expect=redirect_to("/mockbank/"))
    if not answered or answered[0] == WRONG_ANSWER:
        return
    bank_url = urllib.parse.urljoin(f"{origin}/", answered[1])
    fields = {"result": "success"}
    answered = await _send(http, "POST", bank_url, payer.learner, time.monotonic(), bank, fields, redirect_to("/"))
    payer.paid = bool(answered) and answered[0] == 302


def _other(http, cast: Cast, origin: str, index: int, run: base.Run, phase: str, due: float):
    """(kind, coroutine) of the index-th request of the rotation (a spread of learners, deterministic)."""
    kind = ROTATION[index % len(ROTATION)]
    stats = run.get(phase, kind)
    if kind == SAVE:
        sitter = cast.sitters[(index * 7919) % len(cast.sitters)]
        sitter.turn = (sitter.turn + 1) % len(sitter.questions)
        x = sitter.learner
        fields = {"question": sitter.questions[sitter.turn], "answer": "A"}
        url = f"{origin}/study/{x.enrollment_id}/exam/{sitter.attempt}/answer/"
        return kind, _send(http, "POST", url, x, due, stats, fields, expect=json_with("saved"))
    x = cast.watchers[(index * 7919) % len(cast.watchers)]
    if kind == PRACTICE:
        practice, questions = cast.practices[x.enrollment_id]
        url = f"{origin}/study/{x.enrollment_id}/practice/{practice}/answer/{questions[index % len(questions)]}/"
        return kind, _send(http, "POST", url, x, due, stats, {}, expect=json_with("answer"))
    path = dict(base.pages_for(x))[kind]
    return kind, _send(http, "GET", f"{origin}{path}", x, due, stats)


async def drive(
    port, cast: Cast, *, other_rate, pay_rate, interval, warmup, seconds, on_measure_start, on_tick, tick_every
) -> base.Run:
    """Send the schedule: `warmup` seconds, then `seconds` measured, back to back. Calls on_measure_start() when the
    measured phase begins and on_tick(elapsed, run) every tick_every seconds of it."""
    run = base.Run()
    events = schedule(cast, other_rate, pay_rate, interval, warmup + seconds)
    origin = f"http://{HOST}:{port}"
    in_flight: set[asyncio.Task] = set()
    next_tick, measuring = warmup + tick_every, False
    async with base.new_session() as http:
        began = time.monotonic() + 0.2
        for offset, what, index in events:
            due = began + offset
            if (delay := due - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            if not measuring and offset >= warmup:
                measuring, run.first_sent = True, time.monotonic()
                on_measure_start()
            if offset >= next_tick:
                on_tick(offset - warmup, run)
                next_tick += tick_every
            phase = "measure" if offset >= warmup else "warmup"
            if what == "beat":
                kind = BEAT
                coroutine = base._beat(http, origin, cast.watchers[index], due, run.get(phase, kind))
            elif what == "pay":
                kind = PAY
                payer = cast.payers[index % len(cast.payers)]
                coroutine = _pay(http, origin, payer, due, run.get(phase, PAY), run.get(phase, BANK))
            else:
                kind, coroutine = _other(http, cast, origin, index, run, phase, due)
            if len(in_flight) >= base.MAX_IN_FLIGHT:
                coroutine.close()
                run.get(phase, kind).failures["ClientOverload"] += 1
                continue
            sent = time.monotonic()
            run.dispatch_lag.append(sent - due)
            if measuring:
                run.sent, run.last_sent = run.sent + 1, sent
            task = asyncio.create_task(coroutine)
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(set(in_flight), timeout=base.REQUEST_TIMEOUT + 5)
    return run
