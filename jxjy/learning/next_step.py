"""下一步: the one thing a learner should do next in a class, in the order the manual walks them through it —
去选课 → 开始/继续学习 → 参加考试 → 去继续教育档案打印证书 — and the honest sentence when none is left (the study
deadline has passed, every exam attempt is used up).

Learning stands below exams, so what it knows of a class's exam comes from `exam_facts_wanted` (exams answers);
the hours come from the yearly standing (credits.standing) that the caller already holds."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from jxjy.catalog.models import Category, Courseware
from jxjy.lib.hours import hours_short, video_time

from . import services
from .models import CourseSelection, CoursewareProgress, Enrollment, EnrollmentStatus
from .signals import exam_facts_wanted

ZERO = Decimal("0")

SELECT = "select"  # 专业课/选修课 not chosen up to the requirement
STUDY = "study"  # hours short: 开始学习 / 继续学习 a courseware
EXAM = "exam"  # hours met: 参加考试 (or 继续考试)
CERTIFICATE = "certificate"  # passed: print the certificate from the 继续教育档案
NO_ATTEMPTS = "no_attempts"  # hours met, every attempt used, not passed
DEADLINE = "deadline"  # the study deadline passed before the class was completed


@dataclass(frozen=True)
class ExamFacts:
    """What exams tells learning of one class's exam (the receiver of `exam_facts_wanted` builds these)."""

    used: int = 0  # attempts started, graded or not
    best: int | None = None
    passed: bool = False
    in_progress: bool = False


@dataclass(frozen=True)
class NextStep:
    kind: str
    label: str  # the button: 去选课, 继续学习《…》, 参加考试 …
    url: str
    reason: str  # the line under it, in the learner's words
    note: str = ""  # the button's second line: 上次看到 12:30, 还可考 3 次


@dataclass(frozen=True)
class Resume:
    """Where studying goes on: a courseware of a selected course, and the position it was left at (seconds)."""

    course: str
    courseware_id: int
    position: float
    started: bool  # the course has been played before


def clock(seconds: float) -> str:
    """12:30, 1:02:05: a video position the way a player shows it."""
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def days_left(training_class, today=None) -> int:
    """Whole days from today to the study deadline (0 on its day, negative after it)."""
    today = today or timezone.localdate()
    return (timezone.localtime(training_class.study_deadline).date() - today).days


def deadline_text(training_class, today=None) -> str:
    """学习截止 2026-12-31，还剩 25 天 / 今天截止 / 已于 … 截止."""
    date = timezone.localtime(training_class.study_deadline).date().isoformat()
    left = days_left(training_class, today)
    if left < 0:
        return f"学习已于 {date} 截止"
    return f"学习截止 {date}，今天是最后一天" if left == 0 else f"学习截止 {date}，还剩 {left} 天"


def selection_note(standing, selected: dict) -> str:
    """专业课还需选 X 学时，选修课还需选 Y 学时；不选课进度最多到 33%  ('' when enough is selected)."""
    short = [
        f"{c.label}还需选 {hours_short(need)} 学时"
        for c in standing.categories
        if (need := services.to_select(c, standing.sources, selected.get(c.key, ZERO))) > 0
    ]
    if not short:
        return ""
    reach = services.reachable_percent(standing, selected)
    return f"{'，'.join(short)}；不选课进度最多到 {reach}%"


def decide(enrollment, standing, selected: dict, resume: Resume | None, exam: ExamFacts, today=None) -> NextStep:
    """The next step of one class from its standing, the hours selected per category, where study goes on and its
    exam. No database access (the callers load what it needs, for one class or for every card at once)."""
    training_class = enrollment.training_class
    year = training_class.year_id
    archive = f"{reverse('certificates:archive')}?year={year}"
    if enrollment.status == EnrollmentStatus.COMPLETED or (exam.passed and standing.hours_met):
        done = "您已结业" if enrollment.status == EnrollmentStatus.COMPLETED else "学时已达到要求，考试已合格"
        reason = f"{done}。在“继续教育档案”选 {year} 年度，打印证书。"
        return NextStep(CERTIFICATE, "去继续教育档案打印证书", archive, reason)
    if days_left(training_class, today) < 0:
        date = timezone.localtime(training_class.study_deadline).date().isoformat()
        reason = f"本班学习已于 {date} 截止，还没有结业。能否补学，请联系当地工考办。"
        return NextStep(DEADLINE, "查看继续教育档案", archive, reason)
    if note := selection_note(standing, selected):
        return NextStep(SELECT, "去选课", reverse("learning:select", args=[enrollment.pk]), note)
    if not standing.hours_met:
        return _study_step(enrollment, standing, resume)
    return _exam_step(enrollment, exam)


def _study_step(enrollment, standing, resume: Resume | None) -> NextStep:
    missing = standing.missing
    minutes = enrollment.training_class.year.minutes_per_hour
    reason = f"还差 {hours_short(missing)} 学时，{video_time(missing, minutes)}视频。"
    if resume is None:  # every selected courseware is finished and still short: more courses are needed
        url = reverse("learning:select", args=[enrollment.pk])
        return NextStep(SELECT, "去选课", url, f"已选的课程都学完了，{reason}请再选一些课程。")
    url = reverse("learning:player", args=[enrollment.pk, resume.courseware_id])
    if not resume.started:
        return NextStep(STUDY, f"开始学习《{resume.course}》", url, reason)
    note = f"上次看到 {clock(resume.position)}" if resume.position >= 1 else ""
    return NextStep(STUDY, f"继续学习《{resume.course}》", url, reason, note)


def _exam_step(enrollment, exam: ExamFacts) -> NextStep:
    training_class = enrollment.training_class
    url = reverse("exams:exam", args=[enrollment.pk])
    if exam.in_progress:
        return NextStep(EXAM, "继续考试", url, "您有一场考试还没有交卷，请接着做完。")
    left = training_class.exam_max_attempts - exam.used
    best = "" if exam.best is None else f"目前最高 {exam.best} 分，"
    if left <= 0:
        reason = f"{training_class.exam_max_attempts} 次考试机会已用完，{best}没有合格。请联系当地工考办。"
        return NextStep(NO_ATTEMPTS, "查看考试记录", url, reason)
    rule = f"{training_class.exam_pass_score} 分合格，取最高分。"
    return NextStep(EXAM, "参加考试", url, f"学时已达到要求。{best}{rule}", f"还可考 {left} 次")


# --- Loading what `decide` needs -------------------------------------------------------------------------------


def exam_facts(enrollments) -> dict:
    """{enrollment id: ExamFacts} from exams (`exam_facts_wanted`); a class nobody answered for has no attempts."""
    facts = {}
    for _, answer in exam_facts_wanted.send(sender=Enrollment, enrollments=enrollments):
        facts.update(answer or {})
    return {e.pk: facts.get(e.pk, ExamFacts()) for e in enrollments}


def selections(enrollment_ids) -> list:
    """(enrollment id, course id, category, hours) of every selected course the class offers and is active."""
    return list(
        CourseSelection.objects.filter(
            enrollment__in=enrollment_ids, course__is_active=True, course__classes=F("enrollment__training_class")
        ).values_list("enrollment_id", "course_id", "course__category", "course__hours")
    )


def selected_hours(enrollment_ids, rows) -> dict:
    """{enrollment id: {category: hours selected}} from `selections()` rows."""
    selected = {pk: dict.fromkeys(Category.values, ZERO) for pk in enrollment_ids}
    for enrollment_id, _, category, course_hours in rows:
        selected[enrollment_id][category] += course_hours
    return selected


def resumes(enrollment_ids, rows) -> dict:
    """{enrollment id: Resume or None}: the courseware last played if unfinished, else the next unfinished one (in the
    same course first), with two queries for any number of classes. `rows`: `selections()`."""
    by_course: dict = {}
    for enrollment_id, course_id, _, _ in rows:
        by_course.setdefault(course_id, []).append(enrollment_id)
    rank = {value: i for i, value in enumerate(Category.values)}
    coursewares = sorted(
        Courseware.objects.filter(chapter__course_id__in=by_course).values_list(
            "pk",
            "chapter__course_id",
            "chapter__course__title",
            "chapter__course__category",
            "chapter__order",
            "chapter_id",
            "order",
        ),
        key=lambda r: (rank[r[3]], r[1], r[4], r[5], r[6], r[0]),  # 在线学习's order, chapter by chapter
    )
    progress = {
        (p.enrollment_id, p.courseware_id): p
        for p in CoursewareProgress.objects.filter(enrollment_id__in=enrollment_ids).only(
            "enrollment_id", "courseware_id", "position", "finished_at", "updated_at"
        )
    }
    return {pk: _resume(pk, coursewares, by_course, progress) for pk in enrollment_ids}


def _resume(enrollment_id, coursewares, by_course, progress) -> Resume | None:
    mine = [row for row in coursewares if enrollment_id in by_course.get(row[1], ())]
    played = [(progress[(enrollment_id, row[0])], row) for row in mine if (enrollment_id, row[0]) in progress]
    started_courses = {row[1] for _, row in played}
    last = max(played, key=lambda pair: pair[0].updated_at, default=None)
    unfinished = [row for row in mine if not _finished(progress.get((enrollment_id, row[0])))]
    if last is not None and last[0].finished_at is None:
        candidates = [last[1]]
    else:  # the last one played is finished: the next unfinished one in its course, else the latest one left
        course = last[1][1] if last else None  # half-watched, else the first unfinished in 在线学习's order
        half = sorted((pair for pair in played if pair[0].finished_at is None), key=lambda pair: pair[0].updated_at)
        candidates = [row for row in unfinished if row[1] == course] or [row for _, row in half[-1:]] or unfinished
    if not candidates:
        return None
    row = candidates[0]
    record = progress.get((enrollment_id, row[0]))
    return Resume(row[2], row[0], record.position if record else 0.0, row[1] in started_courses)


def _finished(record) -> bool:
    return record is not None and record.finished_at is not None


def next_steps(enrollments, standings: dict, selected: dict | None = None, today=None) -> dict:
    """{enrollment id: NextStep} for 学员中心's cards (or one class), with a fixed number of queries whatever the
    number of classes. `standings`: {enrollment id: Standing}; `selected`: selected_hours(), if at hand."""
    enrollments = list(enrollments)
    if not enrollments:
        return {}
    ids = [e.pk for e in enrollments]
    exams = exam_facts(enrollments)
    studying = [e.pk for e in enrollments if e.status != EnrollmentStatus.COMPLETED and not standings[e.pk].hours_met]
    rows = selections(ids) if selected is None or studying else []
    selected = selected if selected is not None else selected_hours(ids, rows)
    places = resumes(studying, [row for row in rows if row[0] in studying]) if studying else {}
    return {e.pk: decide(e, standings[e.pk], selected[e.pk], places.get(e.pk), exams[e.pk], today) for e in enrollments}


def next_step(enrollment, progress) -> NextStep:
    """The 班级首页's next step; `progress` is services.class_progress(enrollment)."""
    selected = {c["key"]: c["selected"] for c in progress["categories"]}
    return next_steps([enrollment], {enrollment.pk: progress["standing"]}, {enrollment.pk: selected})[enrollment.pk]
