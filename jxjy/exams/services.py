"""Practice, the 错题本 and exams. The exam's clock, paper and attempt count belong to the server: the browser
only ever sends "this answer for that question" and "交卷"."""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import Question, QuestionKind
from jxjy.credits import standing
from jxjy.learning.models import CourseSelection, Enrollment, EnrollmentStatus
from jxjy.learning.services import complete_enrollment
from jxjy.lib.errors import UserError
from jxjy.lib.hours import hours_short
from jxjy.lib.states import move

from .models import AttemptStatus, ExamAnswer, ExamAttempt, Practice, WrongQuestion, WrongSource

PRACTICE_SIZES = (10, 20, 50)

logger = logging.getLogger(__name__)


def grace() -> timedelta:
    """How long after the deadline an open page may still save its last answers and hand the paper in (a slow
    network, a retry at zero): the attempt stays open until then, for the page and the beat task alike."""
    return timedelta(seconds=settings.EXAM_GRACE_SECONDS)


def is_closed(attempt, now=None) -> bool:
    """The attempt's time, grace included, is over: nothing more is taken, it is graded as it stands."""
    return (now or timezone.now()) > attempt.deadline + grace()


def question_pool(enrollment):
    """The questions of the courses this learner studies in the class (公共课 and the chosen ones): the exam's."""
    selected = CourseSelection.objects.filter(enrollment=enrollment).values("course")
    return Question.objects.filter(course__in=selected)


def practice_pool(enrollment):
    """What practice and the 错题本 may show: the class's pool without the questions kept for the exam."""
    return question_pool(enrollment).filter(exam_only=False)


def _lock_learner(user) -> None:
    """Serialise a learner's exam starts against their practice answers: whichever comes second sees the other."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def open_exam_of(user):
    """The learner's exam attempt in progress in any class (after grading the ones whose time and grace are up),
    or None. While there is one, no page shows any correct answer: practice, the 错题本 and past reviews wait."""
    for attempt in ExamAttempt.objects.filter(user=user, status=AttemptStatus.STARTED).order_by("deadline"):
        if is_closed(attempt):
            submit_attempt(attempt=attempt, auto=True)
            continue
        return attempt
    return None


class ExamInProgress(UserError):
    """Refused because the learner is sitting an exam; `attempt` is that exam, for a link back to it."""

    def __init__(self, attempt, message=None):
        super().__init__(message or "您正在考试，交卷后才能做练习、查看答案。", status=409)
        self.attempt = attempt


def refuse_during_exam(user, message=None) -> None:
    if attempt := open_exam_of(user):
        raise ExamInProgress(attempt, message)


def normalise(letters: str) -> str:
    return "".join(sorted({c for c in letters.upper() if "A" <= c <= "Z"}))


def record_wrong(user, question_id, source):
    """Put a question into the learner's 错题本 (or count one more miss)."""
    updated = WrongQuestion.objects.filter(user=user, question_id=question_id).update(
        wrong_count=F("wrong_count") + 1, last_wrong_at=timezone.now(), source=source
    )
    if not updated:
        WrongQuestion.objects.get_or_create(user=user, question_id=question_id, defaults={"source": source})


# --- 在线练习 -----------------------------------------------------------------------------------------------


def practice_sizes(enrollment) -> list[int]:
    """10 / 20 / 50, or all when the pool is smaller (then 全部 is the largest choice)."""
    available = practice_pool(enrollment).count()
    sizes = [n for n in PRACTICE_SIZES if n < available]
    if 0 < available <= PRACTICE_SIZES[-1]:
        sizes.append(available)
    return sizes


def wrong_entries(user, enrollment):
    """The learner's 错题本 within this class's practice pool (never a question kept for the exam)."""
    return WrongQuestion.objects.filter(user=user, question__in=practice_pool(enrollment))


def start_practice(*, enrollment, size: int, wrong_book=False, show_answers=False, actor=None) -> Practice:
    """开始 (or 练习错题): draw the questions. Refused while the learner sits an exam in any class.
    `show_answers`: the learner chose 显示答案 before starting, so the page shows every answer as it goes."""
    with transaction.atomic():
        _lock_learner(enrollment.user)
        refuse_during_exam(enrollment.user, "您正在考试，交卷后才能做练习。")
        if wrong_book:
            ids = list(
                wrong_entries(enrollment.user, enrollment)
                .order_by("-last_wrong_at")
                .values_list("question_id", flat=True)[:50]
            )
            if not ids:
                raise UserError("错题本是空的，暂无可练习的错题。")
        else:
            if size not in practice_sizes(enrollment):
                raise UserError("请选择题量。")
            ids = list(practice_pool(enrollment).values_list("pk", flat=True))
            ids = random.sample(ids, size)  # noqa: S311 - practice, not a secret
        return Practice.objects.create(
            enrollment=enrollment,
            user=enrollment.user,
            questions=ids,
            from_wrong_book=wrong_book,
            show_answers=bool(show_answers),
            revealed=list(ids) if show_answers else [],
        )


def practice_questions(practice) -> list[Question]:
    """The practice's questions in order; one marked 仅用于考试 since it was drawn is left out (shown nowhere)."""
    by_id = Question.objects.filter(exam_only=False).in_bulk(practice.questions)
    return [by_id[pk] for pk in practice.questions if pk in by_id]


def keep_practice_answers(*, practice, answers: dict, actor=None) -> None:
    """The answers given so far (a 显示答案 without script posts the form): kept, not graded."""
    ids = {str(pk) for pk in practice.questions}
    kept = {pk: normalise(letters) for pk, letters in answers.items() if pk in ids and normalise(letters)}
    Practice.objects.filter(pk=practice.pk, submitted_at__isnull=True).update(answers=kept)


def reveal_answer(*, practice, question_id: int, actor) -> Question:
    """显示答案 for one question of an unsubmitted practice: recorded on the practice, then the question (with
    its answer and 解析) is returned. Refused while the learner sits an exam."""
    if question_id not in practice.questions or Question.objects.filter(pk=question_id, exam_only=True).exists():
        raise UserError("题目不在本次练习中。", status=404)
    with transaction.atomic():
        _lock_learner(actor)
        refuse_during_exam(actor)
        practice = Practice.objects.select_for_update().get(pk=practice.pk)
        if question_id not in practice.revealed:
            practice.revealed = [*practice.revealed, question_id]
            practice.save(update_fields=["revealed"])
    return Question.objects.get(pk=question_id)


def submit_practice(*, practice, answers: dict, actor=None) -> Practice:
    """提交: grade, remember the answers; wrong ones go into the 错题本, right ones in a 错题练习 leave it.
    Refused while the learner sits an exam (the review shows every answer)."""
    with transaction.atomic():
        practice = Practice.objects.select_for_update().get(pk=practice.pk)
        if practice.submitted_at:
            return practice
        refuse_during_exam(practice.user)
        questions = practice_questions(practice)
        given = {str(q.pk): normalise(answers.get(str(q.pk), "")) for q in questions}
        right = [q for q in questions if given[str(q.pk)] and q.is_correct(given[str(q.pk)])]
        for question in questions:
            if question not in right:
                record_wrong(practice.user, question.pk, WrongSource.PRACTICE)
        if practice.from_wrong_book and right:
            WrongQuestion.objects.filter(user=practice.user, question__in=right).delete()
        practice.answers, practice.correct, practice.submitted_at = given, len(right), timezone.now()
        practice.save(update_fields=["answers", "correct", "submitted_at"])
    return practice


# --- 在线考试 -----------------------------------------------------------------------------------------------


def exam_gate(enrollment, progress=None) -> str:
    """Why the exam cannot be entered now ('' when it can): every category of the class's yearly standing
    (credits.standing, 视同申报 within the cap) must be met. `progress`: class_progress(enrollment), if at hand."""
    if enrollment.status == EnrollmentStatus.REFUNDED:
        return "该班级已退款，不能参加考试。"
    if progress is not None:
        year = progress["standing"]
    else:
        year = standing.class_standing(enrollment.user_id, enrollment.training_class)
    if not year.hours_met:
        missing = "，".join(f"{c.label}还差 {hours_short(c.missing)} 学时" for c in year.categories if c.missing)
        return f"学习进度达到 100% 后才能参加考试，现在 {year.percent}%（{missing}）。"
    return ""


def _draw_paper(enrollment) -> list[dict]:
    """Counts per type from the class's rule; questions and their options in a fresh random order. The questions
    kept for the exam (仅用于考试) come first; the rest of the pool only fills what they cannot."""
    rng = random.SystemRandom()
    training_class = enrollment.training_class
    pool = question_pool(enrollment)
    paper = []
    for kind, count in (
        (QuestionKind.SINGLE, training_class.exam_single),
        (QuestionKind.MULTIPLE, training_class.exam_multiple),
        (QuestionKind.JUDGE, training_class.exam_judge),
    ):
        rows = list(pool.filter(kind=kind).values_list("pk", "options", "exam_only"))
        kept = [(pk, options) for pk, options, exam_only in rows if exam_only]
        rest = [(pk, options) for pk, options, exam_only in rows if not exam_only]
        drawn = rng.sample(kept, min(count, len(kept)))
        drawn += rng.sample(rest, min(count - len(drawn), len(rest)))
        rng.shuffle(drawn)
        for pk, options in drawn:
            order = list(range(len(options)))
            if kind != QuestionKind.JUDGE:  # 正确 / 错误 stay in their place
                rng.shuffle(order)
            paper.append({"q": pk, "o": order})
    return paper


def open_attempt(enrollment):
    """The attempt in progress, after closing it if its time and grace are up (inside the grace it stays open:
    the page that is still sending its last answers hands it in itself)."""
    attempt = ExamAttempt.objects.filter(enrollment=enrollment, status=AttemptStatus.STARTED).first()
    if attempt and is_closed(attempt):
        submit_attempt(attempt=attempt, auto=True)
        return None
    return attempt


def start_attempt(*, enrollment) -> ExamAttempt:
    """进入: resume the open attempt, or start the next one if attempts remain and the class is at 100 %.
    One exam at a time per learner: another class's exam in progress refuses this one."""
    if reason := exam_gate(enrollment):
        raise UserError(reason, status=403)
    with transaction.atomic():
        _lock_learner(enrollment.user)  # one start at a time, and after any 显示答案 already under way
        Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
        attempt = open_attempt(enrollment)
        if attempt:
            return attempt
        if other := open_exam_of(enrollment.user):
            raise ExamInProgress(other, "您还有另一个班级的考试没有交卷，请先完成那场考试。")
        used = ExamAttempt.objects.filter(enrollment=enrollment).count()
        if used >= enrollment.training_class.exam_max_attempts:
            raise UserError(f"考试次数已用完（共 {enrollment.training_class.exam_max_attempts} 次）。", status=403)
        paper = _draw_paper(enrollment)
        if not paper:
            raise UserError("本班级暂无考试题目，请联系管理员。", status=409)
        now = timezone.now()
        attempt = ExamAttempt.objects.create(
            enrollment=enrollment,
            user=enrollment.user,
            number=used + 1,
            paper=paper,
            started_at=now,
            deadline=now + timedelta(minutes=enrollment.training_class.exam_minutes),
        )
        record(Event.EXAM_START, actor=enrollment.user, obj=attempt, number=attempt.number)
    return attempt


def shown_letters(entry) -> list[str]:
    return [chr(ord("A") + i) for i in range(len(entry["o"]))]


def to_original(entry, shown: str) -> str:
    """Letters as shown on this paper → the question's own letters."""
    letters = []
    for c in normalise(shown):
        index = ord(c) - ord("A")
        if index >= len(entry["o"]):
            raise UserError("答案无效。")
        letters.append(chr(ord("A") + entry["o"][index]))
    return "".join(sorted(letters))


def to_shown(entry, original: str) -> str:
    position = {chr(ord("A") + o): chr(ord("A") + i) for i, o in enumerate(entry["o"])}
    return "".join(sorted(position[c] for c in original if c in position))


def save_answer(*, attempt, question_id: int, shown: str) -> None:
    """Save one answer as it is given. Taken until the deadline plus the grace (a late network, the page's last
    answers sent at zero); refused after that or once the paper is handed in. The attempt's row is locked, so an
    answer is either saved before the grading reads the answers (and counts) or refused: never saved and lost."""
    entry = next((e for e in attempt.paper if e["q"] == question_id), None)
    if entry is None:
        raise UserError("题目不在本试卷中。", status=404)
    given = to_original(entry, shown)
    with transaction.atomic():
        current = ExamAttempt.objects.select_for_update().filter(pk=attempt.pk).values("status", "deadline").first()
        if current is None or current["status"] != AttemptStatus.STARTED:
            raise UserError("试卷已提交，不能再修改答案。", status=409)
        now = timezone.now()
        if now > current["deadline"] + grace():
            raise UserError("考试时间已到，答案未保存。", status=409)
        # The lock above serialises this attempt's writes: update, or create the first time.
        if not ExamAnswer.objects.filter(attempt=attempt, question_id=question_id).update(given=given, saved_at=now):
            ExamAnswer.objects.create(attempt=attempt, question_id=question_id, given=given)


def submit_attempt(*, attempt, auto=False) -> ExamAttempt:
    """我要交卷 (or the automatic submission once the time and grace are up): grade once, with every answer saved
    so far; a pass completes the class (已结业) when its gate is open. A 交卷 within the grace (the page's own at
    zero) is the learner's; one after it counts as the deadline's. Safe to call twice and from the page and the beat
    task at once: the first grades, the rest return the graded attempt."""
    with transaction.atomic():
        attempt = (
            ExamAttempt.objects.select_for_update(of=("self",))
            .select_related("enrollment__training_class")
            .get(pk=attempt.pk)
        )
        if attempt.status != AttemptStatus.STARTED:
            return attempt  # a second click, a second tab: graded once
        enrollment, now = attempt.enrollment, timezone.now()
        # A 交卷 after the grace counts as the deadline's: only the answers saved in time.
        auto = auto or is_closed(attempt, now)
        right = _grade(attempt)
        score = round(right * 100 / len(attempt.paper)) if attempt.paper else 0
        # 交卷 and 评分 are one step here; the one audit record (with the score) is the grading's, as ever.
        submitted_at = min(now, attempt.deadline) if auto else now
        attempt, _ = move(
            attempt,
            AttemptStatus.SUBMITTED,
            event="",
            actor=attempt.user,
            submitted_at=submitted_at,
            auto_submitted=auto,
        )
        attempt, _ = move(
            attempt,
            AttemptStatus.GRADED,
            event=Event.EXAM_SUBMIT,
            actor=attempt.user,
            detail={"score": score, "auto": auto},
            correct=right,
            score=score,
            passed=score >= enrollment.training_class.exam_pass_score,
        )
        if attempt.passed and not exam_gate(enrollment):
            complete_enrollment(enrollment, actor=attempt.user, score=score)
    return attempt


def _grade(attempt) -> int:
    """How many of the paper's questions the saved answers got right; the others go into the 错题本."""
    given = dict(attempt.answers.values_list("question_id", "given"))
    questions = Question.objects.in_bulk([e["q"] for e in attempt.paper])
    right = 0
    for entry in attempt.paper:
        question = questions[entry["q"]]
        answer = given.get(question.pk, "")
        if answer and question.is_correct(answer):
            right += 1
        else:
            record_wrong(attempt.user, question.pk, WrongSource.EXAM)
    return right


def close_overdue_attempts() -> int:
    """The beat task: submit every attempt whose deadline and grace have passed, with its saved answers. Inside
    the grace an open page may still be sending its last answers; it hands the paper in itself. One attempt
    that cannot be graded is reported and never keeps the others open."""
    overdue = ExamAttempt.objects.filter(status=AttemptStatus.STARTED, deadline__lt=timezone.now() - grace())
    count = 0
    for pk in list(overdue.values_list("pk", flat=True)):
        try:
            submit_attempt(attempt=ExamAttempt(pk=pk), auto=True)
        except Exception:
            logger.exception("exam attempt %s could not be closed", pk)
            continue
        count += 1
    return count


def exam_summary(enrollment) -> dict:
    """考试情况: the best score, passed or not, attempts used and allowed."""
    attempts = list(
        ExamAttempt.objects.filter(enrollment=enrollment, status=AttemptStatus.GRADED).values_list("score", "passed")
    )
    used = ExamAttempt.objects.filter(enrollment=enrollment).count()
    best = max((score for score, _ in attempts), default=None)
    return {
        "best": best,
        "passed": any(passed for _, passed in attempts),
        "used": used,
        "max": enrollment.training_class.exam_max_attempts,
        "pass_score": enrollment.training_class.exam_pass_score,
    }
