"""学习异常 rules over playback sessions and the hours ledger (issue 16, item 2).

Each rule reads the playback sessions that started on one local day (a session running past midnight counts where it
started), groups them in SQL through the started_at index, and streams detail rows in chunks only for what it flags:
the nightly scan covers 200,000 learners and ~100,000 sessions a day, so no rule holds a day's rows or runs a query
per learner. "Studying" means a session that credited time. Thresholds are settings (REVIEW_*):

- LONG_DAY: more than REVIEW_LONG_DAY_SECONDS credited in the day's sessions.
- ALL_NIGHT: credited study in every hour of REVIEW_NIGHT_HOURS (0:00–5:59). A session covers the hours from its
  start to its last heartbeat; a session begun the evening before that runs past midnight covers the night too (it is
  the night that is checked, not where the session is filed).
- REFUSED_BURST: at least REVIEW_REFUSED_BEATS refused heartbeats of one kind (倍速, 快进, 重放或伪造) in one playback —
  a tool hammering the judge, not a learner who dragged the bar once.
- ALTERNATING: (a) one device (the browser's own id): two or more accounts take turns and one comes back (A, B, A) —
  one browser switching accounts, someone studying for another; a hand-over (A, then B) is a shared computer and is
  not flagged. (b) one IP address: only a tight lockstep — two accounts' sessions start within LOCKSTEP_SECONDS of
  each other and run at the same time at least LOCKSTEP_TIMES times, and that is at least LOCKSTEP_SHARE of each
  one's sessions on that address (one person driving two browsers). Colleagues behind one office NAT studying the same
  afternoon on their own coincide now and then, not session after session, and are not flagged.
- CROWDED: more than REVIEW_ACCOUNTS_PER_DEVICE accounts studying on one device, or more than REVIEW_ACCOUNTS_PER_IP
  from one address in the day when they come from at least REVIEW_UNITS_PER_IP work units. One unit behind its own
  NAT is normal and not flagged at all (on the 200,000-learner bench, counting accounts alone raised 6,390 flags from
  ordinary large units); several units on one address (a shared building's gateway, or someone studying for people of
  many units) is shown, not judged, and the summary says a shared network can be normal.

A flag's `entries` are exactly the ledger entries its learner's own flagged sessions made: for each (enrollment,
courseware) among them, the finished courseware's entry, if it was finished after the first of those sessions began
(an entry from before was earned by other playback). Never another learner's.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain, groupby, islice
from operator import attrgetter

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from jxjy.accounts.models import User
from jxjy.catalog.models import Courseware
from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.learning.models import CoursewareProgress, PlaybackSession
from jxjy.lib.hours import hours

from .findings import Finding, day_bounds, rule
from .models import Rule

CHUNK = 2000  # rows a streamed query fetches at a time
BATCH = 500  # flags completed (names, titles, entries) per round of queries
# One person driving two browsers starts the second within a minute or so. Chance coincidences between colleagues
# behind one NAT grow with the cube of this window (three matches): on the 200,000-learner bench data, 2 minutes
# flagged a pair of honest colleagues (starts 0, 80 and 100 s apart), 90 s flagged none and kept every planted pair.
LOCKSTEP_SECONDS = 90
LOCKSTEP_TIMES = 3
LOCKSTEP_SHARE = 0.8
EVENING = timedelta(hours=6)  # how long before midnight a session that covers the night may have begun
LISTED_LEARNERS = 50  # other learners named in one CROWDED flag (a unit's network may carry hundreds)
FIELDS = (
    "user_id",
    "enrollment_id",
    "courseware_id",
    "started_at",
    "last_beat_at",
    "device",
    "device_label",
    "ip",
    "credited",
    "beats_rate",
    "beats_seek",
    "beats_replayed",
)
REFUSALS = {"beats_rate": "倍速", "beats_seek": "快进", "beats_replayed": "重放或伪造"}


@dataclass
class Case:
    """A flag before its names, titles and ledger entries are looked up (in batches, by `_findings`)."""

    user_id: int
    subject: str  # what the flag is about beyond learner and day ("device:…", "ip:…"), for its key
    summary: str
    facts: dict
    sessions: list  # session rows shown: the learner's own and, for an event of several, the others' too
    group: str = ""
    others: list[int] = field(default_factory=list)  # the other learners of the event


# --- The rules ---------------------------------------------------------------------------------------------------


@rule(Rule.LONG_DAY)
def long_day(day: date) -> Iterator[Finding]:
    """More credited time in one day than a person studies: a player left running, or someone else's time."""
    limit = settings.REVIEW_LONG_DAY_SECONDS
    studied = _studied(day)
    heavy = studied.values("user_id").annotate(total=Sum("credited")).filter(total__gt=limit).values("user_id")
    rows = _stream(studied.filter(user_id__in=heavy).order_by("user_id", "started_at"))

    def cases():
        for user_id, group in groupby(rows, attrgetter("user_id")):
            sessions = list(group)
            total, span = _total(sessions), _span(sessions, day)
            yield Case(
                user_id,
                "",
                f"{_date(day)}计时 {total} 小时（{span}），超过 {_hours(limit)} 小时",
                {"计时合计": f"{total} 小时", "播放次数": len(sessions), "起止时间": span},
                sessions,
            )

    return _findings(Rule.LONG_DAY, day, cases())


@rule(Rule.ALL_NIGHT)
def all_night(day: date) -> Iterator[Finding]:
    """Study in every hour of the night: a player that never sleeps."""
    first, last = settings.REVIEW_NIGHT_HOURS
    midnight = day_bounds(day)[0]
    dusk, dawn = midnight + timedelta(hours=first), midnight + timedelta(hours=last)
    night = PlaybackSession.objects.filter(
        started_at__gte=dusk - EVENING, started_at__lt=dawn, last_beat_at__gte=dusk, credited__gt=0
    )
    # Only who can cover the whole night: studying in its first hour and still in its last.
    candidates = (
        night.values("user_id")
        .annotate(begun=Min("started_at"), ended=Max("last_beat_at"))
        .filter(begun__lt=dusk + timedelta(hours=1), ended__gte=dawn - timedelta(hours=1))
        .values("user_id")
    )
    rows = _stream(night.filter(user_id__in=candidates).order_by("user_id", "started_at"))
    slots = [(dusk + timedelta(hours=h), dusk + timedelta(hours=h + 1)) for h in range(last - first)]

    def cases():
        for user_id, group in groupby(rows, attrgetter("user_id")):
            sessions = list(group)
            if all(any(s.started_at < end and s.last_beat_at >= begin for s in sessions) for begin, end in slots):
                total, span = _total(sessions), _span(sessions, day)
                yield Case(
                    user_id,
                    "",
                    f"{_date(day)}凌晨 {first} 点到 {last} 点每个小时都在学习（{span}），计时 {total} 小时",
                    {"夜间时段": f"{first}:00–{last - 1}:59", "计时合计": f"{total} 小时", "起止时间": span},
                    sessions,
                )

    return _findings(Rule.ALL_NIGHT, day, cases())


@rule(Rule.REFUSED_BURST)
def refused_burst(day: date) -> Iterator[Finding]:
    """Many refused heartbeats of one kind in one playback: a tool pushing the rate, the position or the numbers."""
    least = settings.REVIEW_REFUSED_BEATS
    start, end = day_bounds(day)
    burst = Q()
    for column in REFUSALS:
        burst |= Q(**{f"{column}__gte": least})
    rows = _stream(
        PlaybackSession.objects.filter(burst, started_at__gte=start, started_at__lt=end).order_by(
            "user_id", "started_at"
        )
    )

    def cases():
        for user_id, group in groupby(rows, attrgetter("user_id")):
            sessions = list(group)
            count, kind, worst = max(
                ((getattr(s, c), words, s) for s in sessions for c, words in REFUSALS.items()), key=lambda t: t[0]
            )
            facts = {f"{words}被拒次数": sum(getattr(s, c) for s in sessions) for c, words in REFUSALS.items()}
            facts = {"异常播放次数": len(sessions)} | {k: v for k, v in facts.items() if v}
            yield Case(
                user_id,
                "",
                f"{_date(day)}一次播放中{kind}被拒 {count} 次（{_span([worst], day)}）",
                facts,
                sessions,
            )

    return _findings(Rule.REFUSED_BURST, day, cases())


@rule(Rule.ALTERNATING)
def alternating(day: date) -> Iterator[Finding]:
    """Accounts taking turns on one browser, or studying in lockstep from one address."""
    return _findings(Rule.ALTERNATING, day, chain(_turns_on_device(day), _lockstep_on_ip(day)))


@rule(Rule.CROWDED)
def crowded(day: date) -> Iterator[Finding]:
    """Many accounts on one device or address in a day: shown for the office to weigh, never judged here."""
    places = (
        ("device", settings.REVIEW_ACCOUNTS_PER_DEVICE, 1, "同一台设备", "可能是家人或同事共用"),
        ("ip", settings.REVIEW_ACCOUNTS_PER_IP, settings.REVIEW_UNITS_PER_IP, "同一网络", "可能是几个单位共用网络"),
    )

    def cases():
        for column, limit, units, where, why in places:
            studied = _studied(day).exclude(ip__isnull=True) if column == "ip" else _studied(day).exclude(device="")
            busy = studied.values(column).annotate(
                n=Count("user_id", distinct=True), units=Count("user__work_unit", distinct=True)
            )
            busy = busy.filter(n__gt=limit, units__gte=units)
            rows = _stream(
                studied.filter(**{f"{column}__in": busy.values(column)}).order_by(column, "user_id", "started_at")
            )
            for place, group in groupby(rows, attrgetter(column)):
                mine = {user_id: list(sessions) for user_id, sessions in groupby(group, attrgetter("user_id"))}
                facts = {"账号数": len(mine)}
                facts |= {"网络地址": place} if column == "ip" else {"设备": next(iter(mine.values()))[0].device_label}
                if len(mine) - 1 > LISTED_LEARNERS:
                    facts["未列出的其他账号"] = len(mine) - 1 - LISTED_LEARNERS
                for user_id, sessions in mine.items():
                    yield Case(
                        user_id,
                        f"{column}:{place}",
                        f"{_date(day)}{where}有 {len(mine)} 个账号学习，{why}，请结合实际核查",
                        facts,
                        sessions,
                        group=f"crowded:{day}:{column}:{place}",
                        others=list(islice((o for o in mine if o != user_id), LISTED_LEARNERS)),
                    )

    return _findings(Rule.CROWDED, day, cases())


# --- ALTERNATING's two halves --------------------------------------------------------------------------------------


def _turns_on_device(day: date) -> Iterator[Case]:
    """Devices more than one account studied on; the sessions of each, in order, for `turns` to judge."""
    studied = _studied(day).exclude(device="")
    shared = studied.values("device").annotate(n=Count("user_id", distinct=True)).filter(n__gte=2).values("device")
    rows = _stream(studied.filter(device__in=shared).order_by("device", "started_at"))
    for device, group in groupby(rows, attrgetter("device")):
        stretch = turns(list(group))
        users = list(dict.fromkeys(s.user_id for s in stretch))
        for user_id in users:
            own = [s for s in stretch if s.user_id == user_id]
            yield Case(
                user_id,
                f"device:{device}",
                f"{_date(day)}在同一台设备上与另 {len(users) - 1} 个账号轮流学习（{_span(stretch, day)}），"
                f"本人 {len(own)} 次、计时 {_total(own)} 小时",
                {
                    "设备": stretch[0].device_label or "未知设备",
                    "账号数": len(users),
                    "换账号次数": sum(1 for a, b in zip(stretch, stretch[1:], strict=False) if a.user_id != b.user_id),
                    "本人计时": f"{_total(own)} 小时",
                },
                stretch,
                group=f"alternating:{day}:device:{device}",
                others=[u for u in users if u != user_id],
            )


def turns(sessions: list) -> list:
    """The sessions (one device's, in order) from the first to the last turn of any account that came back after
    another account's turn — [] when nobody came back."""
    runs = [list(run) for _, run in groupby(sessions, attrgetter("user_id"))]
    seen = Counter(run[0].user_id for run in runs)
    back = [i for i, run in enumerate(runs) if seen[run[0].user_id] > 1]
    if not back:
        return []
    return [s for run in runs[back[0] : back[-1] + 1] for s in run]


def _lockstep_on_ip(day: date) -> Iterator[Case]:
    """Addresses more than one account studied from; the sessions of each, in order, for `lockstep` to judge."""
    studied = _studied(day).exclude(ip__isnull=True)
    shared = studied.values("ip").annotate(n=Count("user_id", distinct=True)).filter(n__gte=2).values("ip")
    rows = _stream(studied.filter(ip__in=shared).order_by("ip", "started_at"))
    for ip, group in groupby(rows, attrgetter("ip")):
        sessions = list(group)
        partners = lockstep(sessions)
        for user_id, matched in partners.items():
            own = [s for s in matched if s.user_id == user_id]
            others = list(dict.fromkeys(s.user_id for s in matched if s.user_id != user_id))
            yield Case(
                user_id,
                f"ip:{ip}",
                f"{_date(day)}与另 {len(others)} 个账号在同一网络同时开始学习 {len(own)} 次"
                f"（{_span(matched, day)}），本人计时 {_total(own)} 小时",
                {"网络地址": ip, "同时开始次数": len(own), "本人计时": f"{_total(own)} 小时"},
                matched,
                group=f"alternating:{day}:ip:{ip}",
                others=others,
            )


def lockstep(sessions: list) -> dict[int, list]:
    """{learner: the sessions shown} for the learners of one address (sessions in start order) who studied in
    lockstep with another: sessions starting within LOCKSTEP_SECONDS and running together, again and again."""
    near = Counter()
    for i, a in enumerate(sessions):  # a sweep: only sessions that start close together are compared
        for b in islice(sessions, i + 1, None):
            if (b.started_at - a.started_at).total_seconds() > LOCKSTEP_SECONDS:
                break
            if a.user_id != b.user_id and b.started_at < a.last_beat_at:
                near[tuple(sorted((a.user_id, b.user_id)))] += 1
    if not any(n >= LOCKSTEP_TIMES for n in near.values()):
        return {}
    mine = defaultdict(list)
    for s in sessions:
        mine[s.user_id].append(s)
    shown = defaultdict(set)
    for (a, b), n in near.items():
        if n < LOCKSTEP_TIMES:
            continue
        pairs = _matched(mine[a], mine[b])
        if len(pairs) >= LOCKSTEP_TIMES and len(pairs) >= LOCKSTEP_SHARE * max(len(mine[a]), len(mine[b])):
            for x, y in pairs:
                shown[a] |= {x, y}
                shown[b] |= {x, y}
    return {user_id: sorted(rows, key=attrgetter("started_at")) for user_id, rows in shown.items()}


def _matched(mine: list, theirs: list) -> list[tuple]:
    """Pairs of sessions, one of each learner, each used once, that started close together and ran together."""
    pairs, i, j = [], 0, 0
    while i < len(mine) and j < len(theirs):
        a, b = mine[i], theirs[j]
        first, second = (a, b) if a.started_at <= b.started_at else (b, a)
        if (second.started_at - first.started_at).total_seconds() <= LOCKSTEP_SECONDS and (
            second.started_at < first.last_beat_at
        ):
            pairs.append((a, b))
            i, j = i + 1, j + 1
        elif a.started_at <= b.started_at:
            i += 1
        else:
            j += 1
    return pairs


# --- From cases to findings: names, titles and ledger entries looked up a batch at a time -------------------------


def _findings(rule_name: str, day: date, cases: Iterable[Case]) -> Iterator[Finding]:
    """Findings from cases, BATCH at a time: four queries a batch, however many learners or sessions it names."""
    cases = iter(cases)
    while batch := list(islice(cases, BATCH)):
        named = {c.user_id for c in batch} | {o for c in batch for o in c.others}
        people = {
            pk: (name, city)
            for pk, name, city in User.objects.filter(pk__in=named).values_list("pk", "name", "city_id")
        }
        coursewares = {s.courseware_id for c in batch for s in c.sessions}
        titles = dict(Courseware.objects.filter(pk__in=coursewares).values_list("pk", "title"))
        entries = _entries(batch)
        for case in batch:
            yield _finding(rule_name, day, case, people, titles, entries)


def _finding(rule_name, day, case: Case, people: dict, titles: dict, entries: dict) -> Finding:
    """The flag as the desk shows it. Other learners are named in `learners` (with user and city, for the desk's
    city wall) and only by a stand-in (其他学员1) in the sessions table, which the desk shows to anyone."""
    names = {case.user_id: "本人"} | {o: f"其他学员{n}" for n, o in enumerate(case.others, 1)}
    several = len({s.user_id for s in case.sessions}) > 1
    evidence = dict(case.facts)
    evidence["sessions"] = [
        _shown(s, day, titles, names.get(s.user_id, "其他学员") if several else None) for s in case.sessions
    ]
    if case.others:
        evidence["learners"] = [
            {
                "user_id": o,
                "称呼": names[o],
                "姓名": people.get(o, ("", None))[0],
                "city_id": people.get(o, ("", None))[1],
            }
            for o in case.others
        ]
    key = f"{rule_name}:{case.user_id}:{day.isoformat()}" + (f":{case.subject}" if case.subject else "")
    return Finding(
        rule=rule_name,
        user_id=case.user_id,
        day=day,
        key=key,
        summary=case.summary,
        evidence=evidence,
        entries=entries.get(id(case), []),
        group=case.group,
    )


def _entries(batch: list[Case]) -> dict[int, list[int]]:
    """{id(case): the CreditEntry ids its learner's own flagged sessions made} — two queries for the whole batch."""
    first = {}  # (case, enrollment, courseware) → when the first flagged session of it began
    for case in batch:
        for s in case.sessions:
            if s.user_id == case.user_id:
                pair = (id(case), s.enrollment_id, s.courseware_id)
                first[pair] = min(first.get(pair, s.started_at), s.started_at)
    enrollments = {e for _, e, _ in first}
    coursewares = {c for _, _, c in first}
    finished = CoursewareProgress.objects.filter(
        enrollment_id__in=enrollments, courseware_id__in=coursewares, finished_at__isnull=False
    ).values_list("pk", "enrollment_id", "courseware_id", "finished_at")
    progress = {(e, c): (pk, at) for pk, e, c, at in finished}
    owner = {
        source_id: (pk, user_id)
        for pk, source_id, user_id in CreditEntry.objects.filter(
            source=CreditSource.ONLINE, source_id__in=[f"progress:{pk}" for pk, _ in progress.values()]
        ).values_list("pk", "source_id", "user_id")
    }
    users = {id(case): case.user_id for case in batch}
    found = defaultdict(list)
    for (case, enrollment, courseware), begun in sorted(first.items(), key=lambda item: item[1]):
        pk, finished_at = progress.get((enrollment, courseware), (None, None))
        entry = owner.get(f"progress:{pk}")
        if entry and finished_at >= begun and entry[1] == users[case]:
            found[case].append(entry[0])
    return found


# --- Small helpers --------------------------------------------------------------------------------------------------


def _studied(day: date):
    """The day's sessions that credited time."""
    start, end = day_bounds(day)
    return PlaybackSession.objects.filter(started_at__gte=start, started_at__lt=end, credited__gt=0)


def _stream(sessions) -> Iterator:
    """Light rows (named tuples), fetched CHUNK at a time: never a day's sessions as model instances."""
    return sessions.values_list(*FIELDS, named=True).iterator(chunk_size=CHUNK)


def _shown(s, day: date, titles: dict, who: str | None) -> dict:
    row = {"学员": who} if who else {}
    row |= {
        "开始": _clock(s.started_at, day),
        "结束": _clock(s.last_beat_at, day),
        "设备": s.device_label or "未知设备",
        "IP": s.ip or "",
        "计时": _minutes(s.credited),
        "课件": titles.get(s.courseware_id, ""),
    }
    row |= {f"{words}被拒": getattr(s, c) for c, words in REFUSALS.items() if getattr(s, c)}
    return row


def _date(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _clock(moment: datetime, day: date) -> str:
    """08:02 on the day; 次日 00:40 after it; 12月4日 23:50 before it."""
    local = timezone.localtime(moment)
    if local.date() == day:
        return local.strftime("%H:%M")
    if local.date() == day + timedelta(days=1):
        return "次日 " + local.strftime("%H:%M")
    return f"{_date(local.date())} {local:%H:%M}"


def _span(sessions: list, day: date) -> str:
    begun = min(s.started_at for s in sessions)
    ended = max(s.last_beat_at for s in sessions)
    return f"{_clock(begun, day)}–{_clock(ended, day)}"


def _hours(seconds: float) -> str:
    return hours(Decimal(round(seconds)) / 3600)


def _total(sessions: list) -> str:
    return _hours(sum(s.credited for s in sessions))


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} 分钟" if seconds >= 60 else f"{int(seconds)} 秒"
