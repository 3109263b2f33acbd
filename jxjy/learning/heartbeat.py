"""Server-judged learning time (DESIGN.md §7): playback sessions, heartbeats and pop-up checkpoints.

The server is the only judge. A heartbeat reports (seq, position, playing); the server credits the
segment from the previous accepted position, at most:
- the position's advance (a faster playback rate earns no more than real time, see below);
- the session's budget of wall-clock time: it grows by the server time between heartbeats while the
  previous heartbeat said "playing", is capped (HEARTBEAT_BUDGET_CAP, so a paused or idle page banks
  nothing worth having) and is spent by each credit — a retried late heartbeat still earns its real time,
  a burst of fast ones cannot earn more than the clock allows;
- HEARTBEAT_MAX_SEGMENT per heartbeat;
and only when the segment starts inside what was already watched (no credit past a forward jump), and
never past an unanswered checkpoint. Replayed or out-of-order heartbeats (seq not increasing), a session
that another tab or device superseded, and a session of someone else earn nothing.
"""

import random
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.lib.intervals import add_interval, covered

from .models import Checkpoint, CoursewareProgress, Enrollment, EnrollmentStatus, PlaybackSession
from .services import LearningError


def _checkpoints_for(progress, courseware):
    """1–3 pop-up questions per courseware, at positions the server draws once (between 15 % and 85 %)."""
    if progress.checkpoints.exists() or courseware.duration < 10:
        return
    pool = list(courseware.chapter.course.questions.filter(for_popup=True).values_list("pk", flat=True))
    if not pool:
        return
    low, high = settings.CHECKPOINTS_PER_COURSEWARE
    count = min(random.randint(low, high), len(pool))  # noqa: S311 - unpredictable enough; not a secret
    positions = sorted(random.uniform(0.15, 0.85) * courseware.duration for _ in range(count))  # noqa: S311
    questions = random.sample(pool, count)
    Checkpoint.objects.bulk_create(
        [
            Checkpoint(progress=progress, position=round(p, 1), question_id=q)
            for p, q in zip(positions, questions, strict=True)
        ]
    )


def start_playback(*, user, enrollment: Enrollment, courseware) -> dict:
    """播放: open a playback session for a courseware of a selected course; supersede any other."""
    from .models import CourseSelection

    if enrollment.user_id != user.pk or enrollment.status == EnrollmentStatus.REFUNDED:
        raise LearningError("班级不存在。", status=404)
    if not CourseSelection.objects.filter(enrollment=enrollment, course_id=courseware.chapter.course_id).exists():
        raise LearningError("请先在“在线选课”中选中这门课程。", status=403)
    now = timezone.now()
    with transaction.atomic():
        # Serialise this learner's starts (two devices at once): each supersedes the one before.
        type(enrollment.user).objects.select_for_update().filter(pk=user.pk).first()
        progress, _ = CoursewareProgress.objects.get_or_create(enrollment=enrollment, courseware=courseware)
        _checkpoints_for(progress, courseware)
        PlaybackSession.objects.filter(user=user, is_current=True).update(is_current=False, superseded_at=now)
        session = PlaybackSession.objects.create(
            id=uuid.uuid4(),
            enrollment=enrollment,
            user=user,
            courseware=courseware,
            started_at=now,
            last_beat_at=now,
            last_position=progress.position,
        )
    return {
        "session": str(session.id),
        "position": progress.position,
        "furthest": progress.furthest,
        "duration": courseware.duration,
        "interval": settings.HEARTBEAT_INTERVAL,
        "finished": progress.finished_at is not None,
        "pending": _pending_checkpoint(progress),
    }


def _pending_checkpoint(progress):
    """The first unanswered checkpoint (its position, for the player; the question comes when reached)."""
    checkpoint = progress.checkpoints.filter(answered_at__isnull=True).first()
    return {"position": checkpoint.position} if checkpoint else None


def _question_payload(checkpoint):
    question = checkpoint.question
    return {
        "id": checkpoint.pk,
        "position": checkpoint.position,
        "kind": question.kind,
        "text": question.text,
        "options": [{"key": key, "text": text} for key, text in zip(question.letters, question.options, strict=True)],
    }


def heartbeat(*, user, session_id, seq: int, position: float, playing: bool) -> tuple[int, dict]:
    """Judge one heartbeat; returns (HTTP status, reply). A fixed handful of queries, all by primary key."""
    now = timezone.now()
    with transaction.atomic():
        session = (
            PlaybackSession.objects.select_for_update()
            .select_related("courseware", "enrollment")
            .filter(pk=session_id, user=user)
            .first()
        )
        if session is None:
            return 404, {"error": "播放会话不存在，请刷新页面。"}
        if not session.is_current:
            return 409, {"superseded": True, "error": "您已在其他页面或设备上播放课程，此处已暂停计时。"}
        if seq <= session.last_seq:
            return 200, {"accepted": False, "credited": 0}
        courseware = session.courseware
        progress = (
            CoursewareProgress.objects.select_for_update()
            .filter(enrollment_id=session.enrollment_id, courseware=courseware)
            .first()
        )
        waiting = progress.checkpoints.filter(answered_at__isnull=True).first()  # the next question, if any
        position = max(0.0, min(float(position), courseware.duration))

        wall = max(0.0, (now - session.last_beat_at).total_seconds())
        budget = session.budget
        if session.playing:
            budget = min(budget + wall, settings.HEARTBEAT_BUDGET_CAP)
        start = session.last_position
        credited = 0.0
        anchor = position
        if position > start and start <= progress.furthest + settings.HEARTBEAT_SEEK_TOLERANCE:
            stop = min(position, start + budget, start + settings.HEARTBEAT_MAX_SEGMENT)
            gated = waiting is not None and waiting.position < stop
            if gated:
                stop = max(start, waiting.position)
            credited = max(0.0, stop - start)
            if credited:
                progress.intervals = add_interval(progress.intervals, start, stop)
            # A heartbeat that arrived late (a slow network, a busy server) is only a few seconds "ahead"
            # of the clock: carry on from where its credit stopped, so the next one continues the watched
            # stretch. A bigger lead is a seek forward, which never earns: the anchor moves there.
            late = position - start <= wall + settings.HEARTBEAT_LATE_TOLERANCE
            if credited < position - start and late and not gated:
                anchor = stop
        budget -= credited

        session.budget = budget
        session.last_seq = seq
        session.last_beat_at = now
        session.last_position = anchor
        session.playing = bool(playing)
        session.save(update_fields=["budget", "last_seq", "last_beat_at", "last_position", "playing"])

        progress.watched = covered(progress.intervals)
        progress.credited += credited
        progress.position = position if position < courseware.duration - 1 else 0.0
        just_finished = (
            progress.finished_at is None
            and courseware.duration > 0
            and progress.watched >= settings.COURSEWARE_FINISHED_COVERAGE * courseware.duration
        )
        if just_finished:
            progress.finished_at = now
        progress.save(update_fields=["intervals", "watched", "credited", "position", "finished_at", "updated_at"])
        if credited and session.enrollment.status == EnrollmentStatus.OPENED:
            Enrollment.objects.filter(pk=session.enrollment_id, status=EnrollmentStatus.OPENED).update(
                status=EnrollmentStatus.LEARNING
            )
        if just_finished:
            _post_courseware_hours(progress, courseware)

    reached = waiting is not None and waiting.position <= position + 0.5
    return 200, {
        "accepted": True,
        "credited": round(credited, 2),
        "watched": round(progress.watched, 1),
        "furthest": round(progress.furthest, 1),
        "finished": progress.finished_at is not None,
        "pending": _question_payload(waiting) if reached else None,
        "gate": waiting.position if waiting else None,
    }


def _post_courseware_hours(progress, courseware):
    """A finished courseware posts its share of the course's hours (by duration) to the ledger, once."""
    course = courseware.chapter.course
    enrollment = progress.enrollment
    from jxjy.catalog.models import Courseware

    durations = list(Courseware.objects.filter(chapter__course=course).order_by("pk").values_list("pk", "duration"))
    total = sum(d for _, d in durations) or 1
    cent = Decimal("0.01")
    shares = {pk: (course.hours * Decimal(str(d / total))).quantize(cent, ROUND_HALF_UP) for pk, d in durations}
    # The last courseware takes the remainder, so a finished course posts exactly its hours.
    last_pk = durations[-1][0]
    shares[last_pk] = course.hours - sum(v for pk, v in shares.items() if pk != last_pk)
    post_entry(
        user=enrollment.user,
        year=enrollment.training_class.year_id,
        category=course.category,
        hours=shares[courseware.pk],
        source=CreditSource.ONLINE,
        source_id=f"progress:{progress.pk}",
        note=f"{course.title} · {courseware.title}",
    )


def answer_checkpoint(*, user, checkpoint_id: int, answer: str) -> dict:
    """Answer a pop-up question: right → timing goes on; wrong → recorded, try again."""
    with transaction.atomic():
        checkpoint = (
            Checkpoint.objects.select_for_update()
            .select_related("question", "progress__enrollment")
            .filter(pk=checkpoint_id, progress__enrollment__user=user)
            .first()
        )
        if checkpoint is None:
            raise LearningError("题目不存在。", status=404)
        if checkpoint.answered_at is None and checkpoint.question.is_correct(answer):
            checkpoint.answered_at = timezone.now()
            checkpoint.save(update_fields=["answered_at"])
        if checkpoint.answered_at is not None:
            following = checkpoint.progress.checkpoints.filter(answered_at__isnull=True).first()
            # Resume at the question (nothing after it was credited) and stop again at the next one.
            return {"correct": True, "resume": checkpoint.position, "gate": following.position if following else None}
        wrong = {"answer": answer[:16], "at": timezone.now().isoformat()}
        checkpoint.wrong_answers = [*checkpoint.wrong_answers, wrong]
        checkpoint.save(update_fields=["wrong_answers"])
        return {"correct": False, "message": "回答不正确，请再想一想。"}
