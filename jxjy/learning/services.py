"""Enrollments: opened by a paid order line, 学习中 from the first credited time, 已结业 when the exam is passed,
closed by a refund of a class nobody has studied yet; and the hours a finished courseware posts to the ledger.

Orders and exams do not move an enrollment themselves: orders tells learning through its signals (receivers.py),
exams calls `complete_enrollment` (and `reopen_enrollment` when the passing exam is voided)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import Category, Courseware
from jxjy.credits import standing
from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.lib.errors import UserError
from jxjy.lib.states import move

from .models import CourseSelection, CoursewareProgress, Enrollment, EnrollmentStatus
from .signals import enrollment_refunded


def open_enrollment(*, line, actor=None) -> Enrollment:
    """Open the class of a paid order line; safe to call twice (one enrollment per line)."""
    enrollment, created = Enrollment.objects.get_or_create(
        order_line=line, defaults={"user_id": line.learner_user_id, "training_class_id": line.training_class_id}
    )
    if created:
        class_courses(enrollment)  # 公共课 are assigned at once
        record(Event.ENROLLMENT_OPEN, actor=actor, obj=enrollment, order=line.order.number)
    return enrollment


def refund_refusal(lines) -> str:
    """Why the classes these order lines opened may not be refunded ('' when they may): a class with study. Locks
    them until the caller's transaction ends, so nobody begins studying one meanwhile (`start_learning` waits)."""
    enrollments = Enrollment.objects.select_for_update().filter(order_line__in=[line.pk for line in lines])
    for enrollment in enrollments.select_related("order_line"):
        if enrollment.has_study:
            return f"“{enrollment.order_line.title}”已开始学习，不能退款。"
    return ""


def close_enrollment_for_refund(*, line, actor=None) -> None:
    """A refunded order line closes its class (one nobody has studied: a refund asks `refund_refusal` first, and a
    class with study refuses the move); certificates hear of it through `enrollment_refunded`."""
    enrollment = Enrollment.objects.filter(order_line=line).first()
    if enrollment is None:
        return
    enrollment, before = move(
        enrollment,
        EnrollmentStatus.REFUNDED,
        event=Event.ENROLLMENT_REFUND,
        actor=actor,
        message=f"“{line.title}”已开始学习，不能退款。",
        detail={"order": line.order.number},
        closed_at=timezone.now(),
    )
    if before is None:
        return
    enrollment_refunded.send(sender=Enrollment, enrollment=enrollment, actor=actor)


def start_learning(enrollment, *, actor=None) -> bool:
    """已开通 → 学习中 on the class's first credited time (from then on it cannot be refunded). True when the class
    is being (or has been) studied; False when it was refunded meanwhile, and the time earns nothing. A refund holds
    the row while it runs (`refund_refusal`), so this waits for it and never overlaps it."""
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()
        if locked is None or locked.status == EnrollmentStatus.REFUNDED:
            return False
        if locked.status == EnrollmentStatus.OPENED:
            move(locked, EnrollmentStatus.LEARNING, event=Event.ENROLLMENT_START, actor=actor or locked.user)
        return True


def complete_enrollment(enrollment, *, actor=None, score=None) -> bool:
    """已结业: the exam of a class being studied was passed (exams checked its gate). A class in another state stays
    as it is; returns whether the class is now completed. Safe to call twice."""
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if locked.status != EnrollmentStatus.LEARNING:
            return locked.status == EnrollmentStatus.COMPLETED
        move(locked, EnrollmentStatus.COMPLETED, event=Event.ENROLLMENT_COMPLETE, actor=actor, detail={"score": score})
    return True


def reopen_enrollment(enrollment, *, actor=None, reason: str = "") -> bool:
    """已结业 → 学习中: the passing exam that completed the class no longer counts (exams voided it after an office
    confirmed a 学习异常), so the class is not finished and the learner may sit the exam again while attempts remain.
    A class in another state stays as it is; returns whether it was reopened now. Safe to call twice."""
    with transaction.atomic():
        locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if locked.status != EnrollmentStatus.COMPLETED:
            return False
        move(locked, EnrollmentStatus.LEARNING, event=Event.ENROLLMENT_REOPEN, actor=actor, detail={"reason": reason})
    return True


def courseware_shares(course_ids) -> dict:
    """{courseware id: the 学时 it posts when finished} for every courseware of these courses, in one query: each
    course's hours split by duration, the last courseware taking the remainder so a finished course posts exactly
    its hours. The one rule for posting (post_courseware_hours) and for showing what a courseware will earn
    (学习记录)."""
    by_course: dict = {}
    rows = Courseware.objects.filter(chapter__course_id__in=course_ids).order_by("pk")
    rows = rows.values_list("chapter__course_id", "pk", "duration", "chapter__course__hours")
    for course_id, pk, duration, hours in rows:
        by_course.setdefault(course_id, (hours, []))[1].append((pk, duration))
    cent = Decimal("0.01")
    shares = {}
    for hours, durations in by_course.values():
        total = sum(d for _, d in durations) or 1
        part = {pk: (hours * Decimal(str(d / total))).quantize(cent, ROUND_HALF_UP) for pk, d in durations}
        last_pk = durations[-1][0]
        part[last_pk] = hours - sum(v for pk, v in part.items() if pk != last_pk)
        shares.update(part)
    return shares


def post_courseware_hours(progress) -> None:
    """A finished courseware posts its share of the course's hours (by duration) to the ledger, once (the caller
    writes its finished time in the same transaction: only the first writer posts)."""
    courseware = Courseware.objects.select_related("chapter__course").get(pk=progress.courseware_id)
    course = courseware.chapter.course
    enrollment = Enrollment.objects.select_related("training_class", "user").get(pk=progress.enrollment_id)
    post_entry(
        user=enrollment.user,
        year=enrollment.training_class.year_id,
        category=course.category,
        hours=courseware_shares([course.pk])[courseware.pk],
        source=CreditSource.ONLINE,
        source_id=f"progress:{progress.pk}",
        note=f"{course.title} · {courseware.title}",
    )


# --- 在线选课 ----------------------------------------------------------------------------------


def class_courses(enrollment):
    """(course, selected) for every course the class offers; 公共课 are always selected (assigned)."""
    rank = {value: i for i, value in enumerate(Category.values)}
    offered = sorted(enrollment.training_class.courses.filter(is_active=True), key=lambda c: (rank[c.category], c.pk))
    missing = [
        CourseSelection(enrollment=enrollment, course=course)
        for course in offered
        if course.category == Category.PUBLIC
    ]
    if missing:
        CourseSelection.objects.bulk_create(missing, ignore_conflicts=True)
    selected = set(CourseSelection.objects.filter(enrollment=enrollment).values_list("course_id", flat=True))
    return [(course, course.pk in selected) for course in offered]


def select_courses(*, enrollment, course_ids, actor):
    """确认选中的课程: keep 公共课, set the chosen 专业课/选修课; a course with progress cannot be dropped."""
    offered = {course.pk: course for course, _ in class_courses(enrollment)}
    wanted = {pk for pk in course_ids if pk in offered} | {
        pk for pk, c in offered.items() if c.category == Category.PUBLIC
    }
    with transaction.atomic():
        current = set(CourseSelection.objects.filter(enrollment=enrollment).values_list("course_id", flat=True))
        dropped = current - wanted
        studied = set(
            CoursewareProgress.objects.filter(
                enrollment=enrollment, courseware__chapter__course_id__in=dropped, watched__gt=0
            ).values_list("courseware__chapter__course_id", flat=True)
        )
        if studied:
            titles = "、".join(offered[pk].title for pk in studied if pk in offered)
            raise UserError(f"已开始学习的课程不能退选：{titles}")
        CourseSelection.objects.filter(enrollment=enrollment, course_id__in=dropped).delete()
        CourseSelection.objects.bulk_create(
            [CourseSelection(enrollment=enrollment, course_id=pk) for pk in wanted - current], ignore_conflicts=True
        )


# --- 班级首页: progress against the class's requirements ---------------------------------------


def class_progress(enrollment, courses=None) -> dict:
    """Per category: required, counted (the yearly standing: credits.standing, 视同申报 within the cap), selected
    hours, and what is still missing; `standing` is the standing itself (the exam gate reads it).
    `courses` is `class_courses(enrollment)` when the caller has it already."""
    year = standing.class_standing(enrollment.user_id, enrollment.training_class)
    selected = dict.fromkeys(Category.values, Decimal("0"))
    for course, is_selected in courses if courses is not None else class_courses(enrollment):
        if is_selected:
            selected[course.category] += course.hours
    categories = [
        {
            "key": c.key,
            "label": c.label,
            "required": c.required,
            "earned": c.counted,
            "selected": selected[c.key],
            "missing": c.missing,
            "percent": c.percent,
            "elsewhere": counted_elsewhere(c, year.sources),
            "to_select": to_select(c, year.sources, selected[c.key]),
            "too_few_selected": to_select(c, year.sources, selected[c.key]) > 0,
        }
        for c in year.categories
    ]
    return {
        "categories": categories,
        "percent": year.percent,
        "required": year.required,
        "complete": year.hours_met,
        "declaration_over_cap": year.declaration_over_cap,
        "declaration_cap": year.declaration_cap,
        "standing": year,
    }


def counted_elsewhere(category, sources) -> Decimal:
    """What counts toward a category from outside 网络学习 (面授班, 视同申报 within the cap): courses need not cover it.
    `category` is a credits.standing CategoryStanding, `sources` its Standing's."""
    cells = zip(sources, category.cells, strict=True)
    online = sum((posted for (source, _), (_, posted) in cells if source == CreditSource.ONLINE), Decimal("0"))
    return max(Decimal("0"), category.counted - online)


def to_select(category, sources, selected) -> Decimal:
    """还需选: the hours of courses still to choose in a category for its requirement to be reachable."""
    return max(Decimal("0"), category.required - selected - counted_elsewhere(category, sources))


def reachable_percent(year, selected: dict) -> int:
    """The overall percent a learner can reach with the courses selected now (不选课进度最多到 33%)."""
    required = year.required
    if not required:
        return 100
    reach = Decimal("0")
    for c in year.categories:
        reach += min(c.required, max(c.counted, selected.get(c.key, Decimal("0")) + counted_elsewhere(c, year.sources)))
    return int(reach * 100 // required)


def course_rows(enrollment, courses=None):
    """The selected courses with their coursewares' progress: (course, percent, finished, first courseware).
    `courses` is `class_courses(enrollment)` when the caller has it already."""
    courses = courses if courses is not None else class_courses(enrollment)
    course_ids = [course.pk for course, selected in courses if selected]
    coursewares = list(
        Courseware.objects.filter(chapter__course_id__in=course_ids)
        .select_related("chapter__course")
        .order_by("chapter__course_id", "chapter__order", "order", "id")
    )
    progress = {
        p.courseware_id: p for p in CoursewareProgress.objects.filter(enrollment=enrollment, courseware__in=coursewares)
    }
    rows = {}
    for courseware in coursewares:
        course = courseware.chapter.course
        row = rows.setdefault(
            course.pk,
            {
                "course": course,
                "duration": 0.0,
                "watched": 0.0,
                "done": 0,
                "count": 0,
                "first": courseware,
                "resume": None,
            },
        )
        p = progress.get(courseware.pk)
        row["duration"] += courseware.duration
        row["count"] += 1
        if p:
            row["watched"] += min(p.watched, courseware.duration)
            row["done"] += p.finished_at is not None
            if p.finished_at is None and row["resume"] is None:
                row["resume"] = courseware
    for row in rows.values():
        row["percent"] = int(row["watched"] * 100 / row["duration"]) if row["duration"] else 0
        row["finished"] = row["count"] > 0 and row["done"] == row["count"]
        row["play"] = row["resume"] or row["first"]
    rank = {value: i for i, value in enumerate(Category.values)}
    return sorted(rows.values(), key=lambda r: (rank[r["course"].category], r["course"].pk))


def class_standings(user, enrollments) -> dict:
    """{enrollment id: Standing} for many classes with one ledger query (学员中心 cards): each class's yearly
    standing (credits.standing) against the class's requirement."""
    requirements = standing.class_requirements({e.training_class for e in enrollments})
    return standing.standings(
        user, {e.pk: (e.training_class.year_id, requirements[e.training_class_id]) for e in enrollments}
    )


def overall_percents(user, enrollments) -> dict:
    """{enrollment id: overall percent} for many classes with one ledger query."""
    return {pk: year.percent for pk, year in class_standings(user, enrollments).items()}
