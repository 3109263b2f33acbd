"""Why each second of a playback counted or not (issue 16): the answer to "I watched an hour, why did it not count".

The heartbeat's judge (heartbeat.judge) decides what is credited; `account` then says where the rest went, in a
fixed set of counters per playback session (a "tally", carried in the playback state and written with the session
row — bounded storage: no heartbeat is kept). Two kinds of loss:

- the learner's time (seconds of the clock): 暂停或切到后台 (the page said it was not playing), 弹题未答对前 (stopped
  at a pop-up question), 网络中断 (playing, but the video or its heartbeats did not get through — partly made good
  when the queued heartbeats arrive: 已补传), 另一页面或设备 (a newer playback took over);
- the video's content (seconds of video): 倍速 (the position ran ahead of the clock at a steady rate — only real time
  counts), 快进 (a jump past what was watched — the part jumped over does not count).

And the refused heartbeats by kind, for the 学习异常 desk: 倍速, 快进, 重放 (a number already used: replayed or
forged).

`account` is pure arithmetic on the numbers the judge already has: the hot path pays a few additions.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import PlaybackSession

# Tally keys (short: the tally travels in the stored playback state) → PlaybackSession columns.
COLUMNS = {
    "n": "events",
    "p": "played",
    "c": "credited",
    "b": "backfilled",
    "lp": "lost_paused",
    "lq": "lost_question",
    "lr": "lost_rate",
    "ls": "lost_seek",
    "ln": "lost_network",
    "lo": "lost_other_page",
    "kr": "beats_rate",
    "ks": "beats_seek",
    "kp": "beats_replayed",
}
# Not columns: "s" (slack), time lost to the network not yet made good by queued heartbeats arriving late; "bn", the
# position is past what was watched because of such a queue; "qa", seconds spent at a question just answered.

# A heartbeat's clock and position differ by a few milliseconds in honest use: smaller losses are not losses.
NOISE = 1.0
# A position that runs ahead of the clock by up to this factor is a faster playback rate; beyond it, a jump.
RATE_LIMIT = 4.0


@dataclass(frozen=True)
class Reason:
    key: str  # the tally key
    column: str
    text: str  # plain words for the learner and the office
    content: bool = False  # seconds of video (a part of the courseware), not of the learner's time


REASONS = (
    Reason("lp", "lost_paused", "暂停或切到后台的时间不计"),
    Reason("lq", "lost_question", "弹题未答对前不计"),
    Reason("lr", "lost_rate", "倍速播放只按实际时间计", content=True),
    Reason("ls", "lost_seek", "快进跳过的部分不计", content=True),
    Reason("ln", "lost_network", "网络中断或卡顿期间未计"),
    Reason("lo", "lost_other_page", "另一页面或设备开始播放后本页停止计时"),
)


def tally_of(session) -> dict:
    """A session row's counters as a tally (a playback state rebuilt from PostgreSQL carries on from them)."""
    return {key: getattr(session, column) for key, column in COLUMNS.items() if getattr(session, column)}


def row_of(tally: dict) -> dict:
    """The session row's columns from a tally."""
    return {column: tally.get(key, 0) for key, column in COLUMNS.items()}


def _add(tally: dict, key: str, amount: float) -> None:
    tally[key] = round(tally.get(key, 0) + amount, 2)


def count(tally: dict, key: str) -> None:
    """One more heartbeat of a kind (`kp` replayed) — and one more event, so the row is written."""
    tally[key] = tally.get(key, 0) + 1
    tally["n"] = tally.get("n", 0) + 1


def answered(tally: dict, *, waited: float) -> None:
    """A pop-up question was answered after `waited` seconds stopped at it: the next heartbeat's paused time is
    question time up to then (the question is gone from the state by the time that heartbeat comes)."""
    tally["qa"] = round(max(0.0, waited), 2)


def account(
    tally: dict,
    *,
    playing: bool,
    wall: float,
    advance: float,
    credited: float,
    at_question: bool,
    gated: bool,
    beyond: bool,
) -> None:
    """Where one heartbeat's time went. `playing`: the previous heartbeat said playing (so `wall`, the server time
    since it, was playing time); `advance`: how far the position moved on from where credit would start;
    `at_question`: stopped at an unanswered pop-up question before this heartbeat; `gated`: this heartbeat's credit
    stopped at one; `beyond`: credit would start past what was watched (after a jump, or after queued heartbeats
    that came too late to count)."""
    tally["n"] = tally.get("n", 0) + 1
    refused = None
    if credited:
        _add(tally, "c", credited)
    late = settings.HEARTBEAT_LATE_TOLERANCE
    fast = advance > wall + late  # the position ran ahead of the clock
    steady = playing and fast and advance <= RATE_LIMIT * wall + late
    kind = "lr" if steady else "ls"  # a steady faster rate, or a jump (a paused page's position never runs)
    if not playing:
        lost = wall - credited
        at_question = min(lost, tally.pop("qa", 0.0)) if not at_question else lost
        if at_question > NOISE:
            _add(tally, "lq", at_question)
        if lost - at_question > NOISE:
            _add(tally, "lp", lost - at_question)
        ahead = advance - credited
    else:
        _add(tally, "p", wall)
        lost = wall - credited  # playing time that earned nothing
        if lost > NOISE:
            if gated:
                _add(tally, "lq", lost)
            elif beyond and not tally.get("bn"):
                _add(tally, kind, lost)
                refused = kind
            else:  # the video or its heartbeats did not get through in time
                _add(tally, "ln", lost)
                _add(tally, "s", lost)
        made_good = min(tally.get("s", 0), credited - wall)
        if made_good > 0:  # queued heartbeats arriving once the network is back: their time counts after all
            _add(tally, "b", made_good)
            _add(tally, "ln", -made_good)
            _add(tally, "s", -made_good)
        ahead = advance - max(credited, wall)
    if ahead > NOISE / 2:
        refused = _ahead(tally, ahead, kind=kind, fast=fast, gated=gated, beyond=beyond) or refused
    if refused:  # one refused heartbeat of its kind (倍速 or 快进), for the 学习异常 desk
        tally["k" + refused[1]] = tally.get("k" + refused[1], 0) + 1


def _ahead(tally: dict, ahead: float, *, kind: str, fast: bool, gated: bool, beyond: bool) -> str | None:
    """Where the video that ran ahead of the clock went; the kind of refusal it was, if it was one."""
    if gated:
        _add(tally, "lq", ahead)
        return None
    absorbed = min(ahead, tally.get("s", 0))  # queued heartbeats: their time is already counted as network time
    if absorbed:
        _add(tally, "s", -absorbed)
        ahead -= absorbed
    if ahead <= settings.HEARTBEAT_LATE_TOLERANCE and (absorbed or not fast):
        tally["bn"] = 1  # any jump here is the queue's, not the learner's
        return None
    tally.pop("bn", None)
    _add(tally, kind, ahead)
    return kind


def prune(*, now=None, batch: int = 5000) -> int:
    """Delete playback sessions that ended more than PLAYBACK_EVIDENCE_DAYS ago (never a current one), in batches so
    a year's worth does not hold one long transaction; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PLAYBACK_EVIDENCE_DAYS)
    old = PlaybackSession.objects.filter(last_beat_at__lt=cutoff, is_current=False)
    gone = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        gone += PlaybackSession.objects.filter(pk__in=ids).delete()[0]
    return gone
