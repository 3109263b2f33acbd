"""学习记录: a learner's training year day by day — which coursewares were played and for how long, how far each
has been watched, and what the hours ledger (credits) posted that day, from every source (网络学习, 面授班, 视同申报,
冲销). It answers "I watched an hour, why only 1.33 学时": the page shows the time played beside the hours credited.

The ledger is the truth for hours (learning may not read facetoface or declarations, which sit above it; their
entries carry their own source and note). Playback sessions give the time a courseware was open and playing; the
courseware's progress gives how much of it has really been watched. A finished courseware posts its share of the
course's hours (learning.services.post_courseware_hours); until then it shows what it will earn.

Every query is scoped to the learner; a page of days costs the same few queries however many days it holds."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import TruncDate
from django.utils import timezone

from jxjy.catalog.models import Category, Courseware, TrainingYear
from jxjy.credits.models import CreditEntry, CreditSource

from . import services
from .models import CoursewareProgress, PlaybackSession, watched_percent

DEFAULT_MINUTES_PER_HOUR = 45
ONLINE_PREFIX = "progress:"  # source_id of a finished courseware's entry (learning.services.post_courseware_hours)


def minutes_text(seconds: float, *, prefix: str = "", rounding=round) -> str:
    """Seconds as people say them: 63 分钟, or 40 秒 under a minute (never "0 分钟" for time that was spent)."""
    if round(seconds) < 60:
        return f"{prefix}{round(seconds)} 秒"
    return f"{prefix}{rounding(seconds / 60)} 分钟"


# Sessions closer than this read as one 播放时间: 12:30–12:41, not 12:30–12:30、12:30–12:41.
SPAN_GAP = timedelta(minutes=1)


@dataclass
class Viewing:
    """One courseware played on one day."""

    courseware: Courseware
    spans: list = field(default_factory=list)  # [(start, end)] of the day's playback sessions, local times
    seconds: float = 0.0  # time the courseware was open and playing that day (the sessions' spans)
    watched: float = 0.0  # of the courseware, really watched so far (pauses, skips and repeats not counted)
    finished_on: date | None = None
    share: Decimal = Decimal("0")  # the hours the courseware earns when finished
    earned: Decimal | None = None  # the hours the ledger posted for it this day
    progress_id: int | None = None  # its 学时明细 (details.py)

    @property
    def played_text(self) -> str:
        """共约 63 分钟 / 不到 1 分钟: the time played that day."""
        return minutes_text(self.seconds, prefix="共约 ")

    @property
    def watched_text(self) -> str:
        return minutes_text(min(self.watched, self.courseware.duration), rounding=int)

    @property
    def duration_text(self) -> str:
        return minutes_text(self.courseware.duration)

    @property
    def watched_minutes(self) -> int:
        return int(min(self.watched, self.courseware.duration) // 60)

    @property
    def duration_minutes(self) -> int:
        return max(1, round(self.courseware.duration / 60))

    @property
    def percent(self) -> int:
        return watched_percent(self.watched, self.courseware.duration)

    @property
    def left_minutes(self) -> int:
        return max(1, self.duration_minutes - self.watched_minutes)


@dataclass
class Posting:
    """One ledger entry of the day not shown beside a viewing: 面授班, 视同申报, 冲销, or a courseware finished
    on a day it was not played (or played before this page's sessions were kept)."""

    source: str
    source_label: str
    category_label: str
    hours: Decimal
    note: str
    at: datetime

    @property
    def size(self) -> Decimal:
        """The hours without their sign (a reversal shows as 扣减 N 学时)."""
        return abs(self.hours)


@dataclass
class Day:
    day: date
    viewings: list = field(default_factory=list)
    postings: list = field(default_factory=list)
    earned: Decimal = Decimal("0")  # every hour the ledger posted that day, reversals included


def minutes_per_hour(year: int) -> int:
    """Minutes of real watching that make one 学时 in the training year."""
    value = TrainingYear.objects.filter(year=year).values_list("minutes_per_hour", flat=True).first()
    return value or DEFAULT_MINUTES_PER_HOUR


def record_years(user) -> list[int]:
    """The years the page offers: every training year and any year the learner has hours in, newest first."""
    years = set(TrainingYear.objects.values_list("year", flat=True))
    years |= set(CreditEntry.objects.filter(user=user).order_by().values_list("year", flat=True).distinct())
    return sorted(years or {timezone.localdate().year}, reverse=True)


def _sessions(user, year):
    """The learner's playback sessions of the year's classes that ran at all (a heartbeat after the start)."""
    return PlaybackSession.objects.filter(
        user=user, enrollment__training_class__year_id=year, last_beat_at__gt=F("started_at")
    )


def record_days(user, year: int) -> list[date]:
    """Every day of the year with playback or a ledger entry, newest first (two queries)."""
    played = _sessions(user, year).annotate(day=TruncDate("started_at")).order_by().values_list("day", flat=True)
    posted = (
        CreditEntry.objects.filter(user=user, year=year)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day", flat=True)
    )
    return sorted(set(played.distinct()) | set(posted.distinct()), reverse=True)


def _bounds(days) -> tuple[datetime, datetime]:
    first, last = min(days), max(days)
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min)),
    )


def day_records(user, year: int, days) -> list[Day]:
    """The given days (a page of `record_days`) with their viewings and postings, newest first. Four queries."""
    if not days:
        return []
    start, end = _bounds(days)
    sessions = list(
        _sessions(user, year)
        .filter(started_at__gte=start, started_at__lt=end)
        .select_related("courseware__chapter__course")
        .order_by("started_at")
    )
    entries = list(
        CreditEntry.objects.filter(user=user, year=year, created_at__gte=start, created_at__lt=end).order_by(
            "created_at", "pk"
        )
    )
    progress_ids = {int(e.source_id[len(ONLINE_PREFIX) :]) for e in entries if _online(e)}
    pairs = {(s.enrollment_id, s.courseware_id) for s in sessions}
    progress = {
        (p.enrollment_id, p.courseware_id): p
        for p in CoursewareProgress.objects.filter(enrollment__user=user, courseware_id__in={c for _, c in pairs})
        | CoursewareProgress.objects.filter(enrollment__user=user, pk__in=progress_ids)
    }
    by_pk = {p.pk: p for p in progress.values()}
    shares = services.courseware_shares({s.courseware.chapter.course_id for s in sessions})

    found = {day: Day(day) for day in days}
    viewings: dict = {}
    for s in sessions:
        day = found.get(timezone.localdate(s.started_at))
        if day is None:
            continue
        key = (day.day, s.enrollment_id, s.courseware_id)
        viewing = viewings.get(key)
        if viewing is None:
            p = progress.get((s.enrollment_id, s.courseware_id))
            viewing = viewings[key] = Viewing(
                courseware=s.courseware,
                watched=p.watched if p else 0.0,
                finished_on=timezone.localdate(p.finished_at) if p and p.finished_at else None,
                share=shares.get(s.courseware_id, Decimal("0")),
                progress_id=p.pk if p else None,
            )
            day.viewings.append(viewing)
        start, end = timezone.localtime(s.started_at), timezone.localtime(s.last_beat_at)
        if viewing.spans and start - viewing.spans[-1][1] < SPAN_GAP:  # a page reloaded, a sign-in again: one span
            viewing.spans[-1] = (viewing.spans[-1][0], max(end, viewing.spans[-1][1]))
        else:
            viewing.spans.append((start, end))
        viewing.seconds += (s.last_beat_at - s.started_at).total_seconds()

    categories = dict(Category.choices)
    sources = dict(CreditSource.choices)
    for e in entries:
        day = found.get(timezone.localdate(e.created_at))
        if day is None:
            continue
        day.earned += e.hours
        p = by_pk.get(int(e.source_id[len(ONLINE_PREFIX) :])) if _online(e) else None
        viewing = viewings.get((day.day, p.enrollment_id, p.courseware_id)) if p else None
        if viewing is not None:
            viewing.earned = (viewing.earned or Decimal("0")) + e.hours
            continue
        day.postings.append(
            Posting(
                source=e.source,
                source_label=sources.get(e.source, e.source),
                category_label=categories.get(e.category, e.category),
                hours=e.hours,
                note=e.note,
                at=timezone.localtime(e.created_at),
            )
        )
    return [found[day] for day in sorted(days, reverse=True)]


def _online(entry) -> bool:
    return (
        entry.source == CreditSource.ONLINE
        and entry.source_id.startswith(ONLINE_PREFIX)
        and entry.source_id[len(ONLINE_PREFIX) :].isdigit()
    )
