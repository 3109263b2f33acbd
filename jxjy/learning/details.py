"""学时明细 (issue 16): for one courseware in one class, what counts toward "看完" and why each minute of each
playback counted or not — the answer to "I watched an hour, why did it not count", on the learner's phone and, read
only, at the city office's desk (学员管理). Both pages show what `study_detail` computes; nothing here changes a row.

Two things are shown:
- the watched intervals (CoursewareProgress.intervals) on a timeline bar — what counts toward the 95 % that finishes
  a courseware — with the pop-up questions on it (answered or not; never a question's text or answer);
- the playback sessions, newest first and a page at a time, each with where it was played, its span, the time it
  played, the time it earned, and every reason (learning.evidence.REASONS) time or content was not counted, in
  plain words with its amount.

The page costs the same few queries however many sessions the courseware has."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from jxjy.lib.paging import paginate

from .evidence import REASONS
from .models import Checkpoint, CoursewareProgress, PlaybackSession
from .records import minutes_text

SESSIONS_PER_PAGE = 10
SHOWN = 0.5  # seconds: a loss smaller than this rounds to nothing, so it is not listed
LEGACY = "这次播放在明细功能上线前，没有逐项记录"


def clock(seconds: float) -> str:
    """A position in a video the way its player shows it: 4:05, or 1:02:05 past an hour."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Segment:
    """One watched stretch on the timeline bar, in percent of the video."""

    left: float
    width: float
    start: str
    end: str


@dataclass(frozen=True)
class Marker:
    """A pop-up question on the timeline bar."""

    left: float
    at: str
    answered: bool


@dataclass(frozen=True)
class Loss:
    """Time or content of one playback that did not count, and why."""

    key: str
    reason: str
    amount: str


@dataclass
class SessionLine:
    """One playback session as the page lists it."""

    started: datetime
    ended: datetime
    device: str
    played: str
    credited: str
    losses: list = field(default_factory=list)
    legacy: bool = False  # from before the counters were kept (events == 0)
    note: str = ""


@dataclass
class StudyDetail:
    progress: object
    courseware: object
    course: object
    duration: float
    percent: int
    needed: int  # the percent that finishes a courseware (settings.COURSEWARE_FINISHED_COVERAGE)
    finished_at: datetime | None
    segments: list
    markers: list
    intervals_text: str
    page: object  # a Page of SessionLine
    minutes_watched: str = ""
    minutes_total: str = ""
    end_clock: str = "0:00"


def _percent(value: float, duration: float) -> float:
    return round(min(100.0, max(0.0, value * 100 / duration)), 2) if duration else 0.0


def timeline(intervals, duration: float) -> list[Segment]:
    """The watched intervals as bars of the timeline: left and width in percent of the video."""
    segments = []
    for start, end in intervals:
        start, end = max(0.0, min(start, duration)), max(0.0, min(end, duration))
        if end > start:
            left = _percent(start, duration)
            segments.append(Segment(left, max(0.3, _percent(end, duration) - left), clock(start), clock(end)))
    return segments


def intervals_text(segments) -> str:
    """The timeline in words, for a screen reader (and anyone who prefers to read it)."""
    if not segments:
        return "还没有看过的部分。"
    return "已看过的部分：" + "、".join(f"{s.start} 到 {s.end}" for s in segments) + "。"


def _clock_amount(reason, seconds: float, session) -> str:
    """A loss of the learner's time: 「N 分钟」 / 「N 秒」; the network's with what the queued heartbeats made good."""
    text = minutes_text(seconds)
    if reason.key == "ln" and session.backfilled >= SHOWN:
        return f"{text}（已补传 {round(session.backfilled)} 秒）"
    return text


def _content_amount(reason, seconds: float, session) -> str:
    """A part of the video that did not count: skipped by a jump, or played faster than the clock."""
    content = minutes_text(seconds)
    if reason.key == "ls":
        tries = f"拖到没看过的位置 {session.beats_seek} 次，" if session.beats_seek else ""
        return f"{tries}跳过的 {content}内容不计"
    return f"多播的 {content}内容只按实际时间计"


def losses(session) -> list[Loss]:
    """The session's nonzero reasons, in learning.evidence's order, with their amounts in plain words."""
    found = []
    for reason in REASONS:
        seconds = getattr(session, reason.column)
        if seconds < SHOWN:
            continue
        amount = (_content_amount if reason.content else _clock_amount)(reason, seconds, session)
        found.append(Loss(reason.key, reason.text, amount))
    return found


def session_line(session) -> SessionLine:
    started, ended = timezone.localtime(session.started_at), timezone.localtime(session.last_beat_at)
    legacy = session.events == 0
    return SessionLine(
        started=started,
        ended=ended,
        device=session.device_label or "未知设备",
        played=minutes_text(session.played if not legacy else (ended - started).total_seconds()),
        credited=minutes_text(session.credited),
        losses=[] if legacy else losses(session),
        legacy=legacy,
        note=LEGACY if legacy else "",
    )


def sessions_of(progress):
    """The playback sessions of the progress's class and courseware that ran at all, newest first."""
    ran = Q(last_beat_at__gt=F("started_at")) | Q(events__gt=0)
    return PlaybackSession.objects.filter(
        ran, enrollment_id=progress.enrollment_id, courseware_id=progress.courseware_id
    )


def progress_of(learner, progress_id: int):
    """One of the learner's CoursewareProgress rows with what 学时明细 shows of it, or None (another learner's is
    the same as a missing one)."""
    progress = CoursewareProgress.objects.select_related("courseware__chapter__course", "enrollment__training_class")
    return progress.filter(pk=progress_id, enrollment__user=learner).first()


def study_detail(request, progress) -> StudyDetail:
    """学时明细 of one CoursewareProgress (its courseware and course already selected): three queries (the pop-up
    questions, the count of sessions and a page of them) whatever the number of sessions."""
    courseware = progress.courseware
    duration = float(courseware.duration or 0)
    segments = timeline(progress.intervals, duration)
    checkpoints = Checkpoint.objects.filter(progress=progress).order_by("position").values("position", "answered_at")
    markers = [
        Marker(_percent(c["position"], duration), clock(c["position"]), c["answered_at"] is not None)
        for c in checkpoints
        if duration
    ]
    page = paginate(request, sessions_of(progress).order_by("-started_at", "-pk"), SESSIONS_PER_PAGE)
    page.object_list = [session_line(s) for s in page.object_list]
    watched = min(progress.watched, duration)
    return StudyDetail(
        progress=progress,
        courseware=courseware,
        course=courseware.chapter.course,
        duration=duration,
        percent=progress.percent,  # as 学习记录 shows it
        needed=round(settings.COURSEWARE_FINISHED_COVERAGE * 100),
        finished_at=progress.finished_at,
        segments=segments,
        markers=markers,
        intervals_text=intervals_text(segments),
        page=page,
        minutes_watched=minutes_text(watched, rounding=int),
        minutes_total=minutes_text(duration),
        end_clock=clock(duration),
    )
