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

`judge` is the rule, pure; `heartbeat` applies it to the learner's playback state (playstate.py: Redis,
compare-and-set, written to PostgreSQL in batches and at the moments that matter).
"""

import logging
import random
import re
import time
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jxjy.lib.errors import UserError
from jxjy.lib.intervals import add_interval, covered
from jxjy.lib.numbers import field_range
from jxjy.lib.throttled_logging import ThrottledLogger

from . import evidence, next_step, playstate, services
from .models import Checkpoint, CourseSelection, CoursewareProgress, Enrollment, EnrollmentStatus, PlaybackSession
from .playstate import PlayState
from .signals import checkpoint_answered_wrong

# A heartbeat that asks for what it cannot earn is logged: at most one line per learner and kind a minute across
# all workers (the cache counts the rest), so a flood of forged heartbeats cannot fill the disk.
anomalies = ThrottledLogger(logging.getLogger(__name__), interval=60)


def log_anomaly(kind: str, *, user_id: int, session_id: str, **numbers) -> None:
    """One line for a heartbeat replayed, from a superseded playback, or ahead of the clock."""
    details = " ".join(f"{key}={value}" for key, value in numbers.items())
    anomalies.warning(
        f"{kind}:{user_id}", "heartbeat anomaly %s user=%s session=%s %s", kind, user_id, session_id[:8], details
    )


# The heartbeat's numbers: seq fits the session row's column; a position is inside the video, give or take a
# browser's idea of its length (which may differ a little from the probed one; a little past the end is clamped).
SEQ_RANGE = (1, field_range(PlaybackSession._meta.get_field("last_seq"))[1])
POSITION_LIMIT = 24 * 3600.0  # no courseware is a day long: the bound before the state (and its length) is read
POSITION_SLACK = 10.0
INVALID_BEAT = "学习记录有误，请刷新页面后继续学习。"
ANSWER = re.compile(r"[A-Za-z,]{0,26}")  # option letters (多选: several); nothing else is ever an answer


def _checkpoints_for(progress, courseware):
    """1–3 pop-up questions per courseware, at positions the server draws once (between 15 % and 85 %)."""
    if progress.checkpoints.exists() or courseware.duration < 10:
        return
    questions = courseware.chapter.course.questions.filter(for_popup=True, exam_only=False)  # never exam-only
    pool = list(questions.values_list("pk", flat=True))
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


def start_playback(*, user, enrollment: Enrollment, courseware, place: dict | None = None) -> dict:
    """播放: open a playback session for a courseware of a selected course; supersede any other. `place`: where it
    is played from (device, device_label, ip: the view's `playback_place`), kept as evidence with the session."""
    if enrollment.user_id != user.pk or enrollment.status == EnrollmentStatus.REFUNDED:
        raise UserError("班级不存在。", status=404)
    if not CourseSelection.objects.filter(enrollment=enrollment, course_id=courseware.chapter.course_id).exists():
        raise UserError("请先在“在线选课”中选中这门课程。", status=403)
    now = timezone.now()
    with transaction.atomic():
        # Serialise this learner's starts (two devices at once): each supersedes the one before, in
        # PostgreSQL and in the playback state alike (the state is replaced while the lock is held).
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
            **(place or {}),
        )
        while True:
            raw, old = playstate.store().get(user.pk)
            if old:
                playstate.write_replaced(user.pk, old)  # the previous playback's unwritten time, before it goes
                progress.refresh_from_db()
            state = playstate.state_for(session, progress, progress.checkpoints.filter(answered_at__isnull=True))
            state.last_position = progress.position  # the old playback's, if it was just written
            if playstate.store().cas(user.pk, raw, state):
                break
    gates = state.gates
    return {
        "session": str(session.id),
        "position": progress.position,
        "furthest": state.furthest,
        "duration": courseware.duration,
        "interval": settings.HEARTBEAT_INTERVAL,
        "finished": progress.finished_at is not None,
        "pending": {"position": gates[0][1]} if gates else None,
    }


def _question_payload(checkpoint_id):
    checkpoint = Checkpoint.objects.select_related("question").get(pk=checkpoint_id)
    question = checkpoint.question
    return {
        "id": checkpoint.pk,
        "position": checkpoint.position,
        "kind": question.kind,
        "text": question.text,
        "options": [{"key": key, "text": text} for key, text in zip(question.letters, question.options, strict=True)],
    }


def judge(state: PlayState, *, seq: int, position: float, playing: bool, now: float) -> float:
    """Apply one heartbeat to a playback state (in place); returns the seconds credited. Pure: no I/O."""
    duration = state.duration
    position = max(0.0, min(float(position), duration))
    gates = state.gates
    wall = max(0.0, now - state.beat_at)
    budget = state.budget
    if state.playing:
        budget = min(budget + wall, settings.HEARTBEAT_BUDGET_CAP)
    start = state.last_position
    credited = 0.0
    anchor = position
    beyond = start > state.furthest + settings.HEARTBEAT_SEEK_TOLERANCE
    gated = False
    if position > start and not beyond:
        stop = min(position, start + budget, start + settings.HEARTBEAT_MAX_SEGMENT)
        gated = bool(gates) and gates[0][1] < stop
        if gated:
            stop = max(start, gates[0][1])
        credited = max(0.0, stop - start)
        if credited:
            state.intervals = add_interval(state.intervals, start, stop)
        # A heartbeat that arrived late (a slow network, a busy server) is only a few seconds "ahead"
        # of the clock: carry on from where its credit stopped, so the next one continues the watched
        # stretch. A bigger lead is a seek forward, which never earns: the anchor moves there.
        late = position - start <= wall + settings.HEARTBEAT_LATE_TOLERANCE
        if credited < position - start and late and not gated:
            anchor = stop
    evidence.account(
        state.tally,
        playing=state.playing,
        wall=wall,
        advance=max(0.0, position - start),
        credited=credited,
        at_question=bool(gates) and start >= gates[0][1] - 0.5,
        gated=gated,
        beyond=beyond,
    )
    state.budget, state.seq, state.beat_at, state.last_position = budget - credited, seq, now, anchor
    state.playing = bool(playing)
    state.credited += credited
    state.position = position if position < duration - 1 else 0.0
    state.version += 1
    if (
        state.finished is None
        and duration > 0
        and covered(state.intervals) >= settings.COURSEWARE_FINISHED_COVERAGE * duration
    ):
        state.finished = now
    return credited


def _count_refused(store, user_id: int, raw: str, state: PlayState, kind: str) -> None:
    """Count a replayed heartbeat (a number already used: a retry whose reply was lost, or a forgery) in the
    playback's evidence for the 学习异常 desk. One attempt: under a concurrent change the count is dropped rather
    than retried (the refusal itself stands)."""
    evidence.count(state.tally, kind)
    store.cas(user_id, raw, state)


def _superseded(user_id: int, session_id: str) -> bool:
    """Whether this is the learner's own playback that a newer one replaced. Its first heartbeat after that records
    the time this page played on uncounted (另一页面或设备开始播放后本页停止计时), at most two heartbeats' worth."""
    rows = PlaybackSession.objects.filter(pk=session_id, user_id=user_id)
    row = rows.values("playing", "last_beat_at", "lost_other_page").first()
    if row is None:
        return False
    if row["playing"] and not row["lost_other_page"]:
        lost = min((timezone.now() - row["last_beat_at"]).total_seconds(), 2 * settings.HEARTBEAT_INTERVAL)
        PlaybackSession.objects.filter(pk=session_id, lost_other_page=0).update(
            lost_other_page=round(max(lost, 0.0), 2), events=F("events") + 1
        )
    return True


def heartbeat(
    *, user_id: int, session_id, seq: int, position: float, playing: bool, loaded: tuple | None = None
) -> tuple[int, dict]:
    """Judge one heartbeat; returns (HTTP status, reply). Two Redis round trips (one when the caller has `loaded`
    the learner's (raw, state) already) and, as a rule, no SQL. `seq` and `position` are already range-checked by
    the view; here the position is checked against the video's length."""
    store = playstate.store()
    session_id = str(session_id)
    for _ in range(8):  # compare-and-set: a concurrent change (a copy of this heartbeat, a new tab) wins
        raw, state = loaded or store.get(user_id)
        loaded = None  # a retry reads the value that beat it
        if state is None:
            state = playstate.load(user_id)  # Redis lost it: PostgreSQL is at most one flush behind
        if state is None or state.session != session_id:
            if _superseded(user_id, session_id):
                log_anomaly("superseded", user_id=user_id, session_id=session_id, seq=seq)
                return 409, {"superseded": True, "error": "您已在其他页面或设备上播放课程，此处已暂停计时。"}
            return 404, {"error": "播放会话不存在，请刷新页面。"}
        if position > state.duration + POSITION_SLACK:
            log_anomaly("past_the_end", user_id=user_id, session_id=session_id, seq=seq, position=round(position))
            return 400, {"error": INVALID_BEAT}
        if seq <= state.seq:
            log_anomaly("replayed", user_id=user_id, session_id=session_id, seq=seq, last=state.seq)
            _count_refused(store, user_id, raw, state, "kp")
            return 200, {"accepted": False, "credited": 0}
        was_finished, first_credit = state.finished, state.opened
        now, start, last_at = time.time(), state.last_position, state.beat_at
        credited = judge(state, seq=seq, position=position, playing=playing, now=now)
        # The class's first credited time moves it to 学习中 in PostgreSQL before the credit counts: a class refunded
        # meanwhile (a refund needs a class nobody has studied yet, and holds its row while it runs) earns nothing.
        if credited and first_credit and not services.start_learning(Enrollment(pk=state.enrollment)):
            return 410, {"error": "该班级已退款，不能继续学习。"}
        if credited and first_credit:
            state.opened = False
        if written := store.cas(user_id, raw, state):
            break
    else:
        return 503, {"error": "服务器繁忙，正在重试。"}
    claimed, wall = min(position, state.duration) - start, now - last_at
    if claimed > wall + settings.HEARTBEAT_LATE_TOLERANCE and claimed > credited + 0.5:
        # The position ran ahead of the clock (a faster rate, a script, a jump past what was watched).
        log_anomaly(
            "ahead_of_clock",
            user_id=user_id,
            session_id=session_id,
            seq=seq,
            claimed=round(claimed, 1),
            wall=round(wall, 1),
            credited=round(credited, 1),
        )
    if (state.finished and not was_finished) or (credited and first_credit) or not playing:
        playstate.write_now(user_id, written, state)  # the moments that matter are written at once
    gates = state.gates
    reached = bool(gates) and gates[0][1] <= min(position, state.duration) + 0.5
    return 200, {
        "accepted": True,
        "credited": round(credited, 2),
        "watched": round(covered(state.intervals), 1),
        "furthest": round(state.furthest, 1),
        "finished": state.finished is not None,
        "pending": _question_payload(gates[0][0]) if reached else None,
        "gate": gates[0][1] if gates else None,
    }


def answer_checkpoint(*, user, checkpoint_id: int, answer: str) -> dict:
    """Answer a pop-up question: right → timing goes on; wrong → recorded, try again."""
    with transaction.atomic():
        checkpoint = (
            Checkpoint.objects.select_for_update(of=("self",))
            .select_related("question", "progress__enrollment")
            .filter(pk=checkpoint_id, progress__enrollment__user=user)
            .first()
        )
        if checkpoint is None:
            raise UserError("题目不存在。", status=404)
        if checkpoint.answered_at is None and checkpoint.question.is_correct(answer):
            checkpoint.answered_at = timezone.now()
            checkpoint.save(update_fields=["answered_at"])
            _open_gate(user.pk, checkpoint.pk)
        if checkpoint.answered_at is not None:
            following = checkpoint.progress.checkpoints.filter(answered_at__isnull=True).first()
            # Resume at the question (nothing after it was credited) and stop again at the next one.
            return {"correct": True, "resume": checkpoint.position, "gate": following.position if following else None}
        wrong = {"answer": answer[:16], "at": timezone.now().isoformat()}
        checkpoint.wrong_answers = [*checkpoint.wrong_answers, wrong]
        checkpoint.save(update_fields=["wrong_answers"])
        checkpoint_answered_wrong.send(sender=Checkpoint, user=user, question_id=checkpoint.question_id)  # 错题本
        # The same reply every time: it never depends on the question's answer (exams' no-answers test fetches it
        # repeatedly). The 解析 is a separate request the learner makes (checkpoint_help).
        return {"correct": False, "message": "回答不正确，请再想一想。"}


# A learner stuck on a pop-up question may ask for its 解析 (or a hint) after this many wrong answers to it: not
# before, so the first try is a real check of what was watched.
HELP_AFTER_WRONG = 2


def checkpoint_help(*, user, checkpoint_id: int) -> dict:
    """看解析: a pop-up question's 解析 (or a hint), for a learner who answered it wrong at least twice and asked.
    Like practice's 显示答案 it is refused while the learner sits an exam (no page shows an answer then)."""
    checkpoint = (
        Checkpoint.objects.select_related("question").filter(pk=checkpoint_id, progress__enrollment__user=user).first()
    )
    if checkpoint is None:
        raise UserError("题目不存在。", status=404)
    if len(checkpoint.wrong_answers) < HELP_AFTER_WRONG:
        raise UserError("答错两次后才能看解析，请先再想一想。", status=403)
    if any(facts.in_progress for facts in next_step.exam_facts(list(Enrollment.objects.filter(user=user))).values()):
        raise UserError("您正在考试，交卷后才能看解析。", status=403)
    return {"help": question_help(checkpoint.question)}


def question_help(question) -> dict:
    """The question's 解析 as the content editor wrote it or, without one, a hint that never names the answer."""
    if question.explanation.strip():
        return {"label": "解析", "text": question.explanation.strip()}
    if question.kind == "multiple":
        count = len({letter for letter in question.answer.upper() if letter.isalpha()})
        text = f"本题有 {count} 个正确答案，请把它们都选上。"
    elif question.kind == "judge":
        text = "请想一想前面视频里是怎么讲的，再判断这句话对不对。"
    else:
        text = "本题只有一个正确答案。请想一想前面视频里是怎么讲的，再选一次。"
    return {"label": "提示", "text": text}


def _open_gate(user_id: int, checkpoint_id: int) -> None:
    """Take an answered question out of the learner's playback state, so credit goes on past it."""
    store = playstate.store()
    while True:
        raw, state = store.get(user_id)
        if not state or not any(gate[0] == checkpoint_id for gate in state.gates):
            return
        stopped_at = [gate[1] for gate in state.gates if gate[0] == checkpoint_id][0]
        state.gates = [gate for gate in state.gates if gate[0] != checkpoint_id]
        if not state.playing and state.last_position >= stopped_at - 0.5:
            evidence.answered(state.tally, waited=time.time() - state.beat_at)
        if store.cas(user_id, raw, state):
            return
