"""Enrollments: opened by a paid order line, closed by a refund."""

from django.db import transaction
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record

from .models import Enrollment, EnrollmentStatus
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


def close_enrollment_for_refund(*, line, actor=None) -> None:
    enrollment = Enrollment.objects.select_for_update().filter(order_line=line).first()
    if enrollment is None or enrollment.status == EnrollmentStatus.REFUNDED:
        return
    if EnrollmentStatus.REFUNDED not in Enrollment.TRANSITIONS[enrollment.status]:
        raise ValueError("enrollment with study cannot be refunded")
    enrollment.status = EnrollmentStatus.REFUNDED
    enrollment.closed_at = timezone.now()
    enrollment.save(update_fields=["status", "closed_at"])
    record(Event.ENROLLMENT_REFUND, actor=actor, obj=enrollment, order=line.order.number)
    enrollment_refunded.send(sender=Enrollment, enrollment=enrollment, actor=actor)


# --- 在线选课 ----------------------------------------------------------------------------------


class LearningError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.message = message
        self.status = status


def class_courses(enrollment):
    """(course, selected) for every course the class offers; 公共课 are always selected (assigned)."""
    from jxjy.catalog.models import Category

    from .models import CourseSelection

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
    from jxjy.catalog.models import Category

    from .models import CourseSelection, CoursewareProgress

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
            raise LearningError(f"已开始学习的课程不能退选：{titles}")
        CourseSelection.objects.filter(enrollment=enrollment, course_id__in=dropped).delete()
        CourseSelection.objects.bulk_create(
            [CourseSelection(enrollment=enrollment, course_id=pk) for pk in wanted - current], ignore_conflicts=True
        )


# --- 班级首页: progress against the class's requirements ---------------------------------------


def _required(training_class, category):
    from decimal import Decimal

    return getattr(training_class, f"{category}_hours") or Decimal("0")


def _overall_percent(training_class, earned: dict) -> int:
    """Hours counted toward the class (each category up to its requirement) over the hours required."""
    from jxjy.catalog.models import Category

    required = sum(_required(training_class, c) for c in Category.values)
    counted = sum(min(earned[c], _required(training_class, c)) for c in Category.values)
    return int(counted * 100 / required) if required else 0


def class_progress(enrollment, courses=None) -> dict:
    """Per category: required, earned (from the hours ledger), selected hours, and what is still missing.
    `courses` is `class_courses(enrollment)` when the caller has it already."""
    from decimal import Decimal

    from jxjy.catalog.models import Category
    from jxjy.credits.services import hours_by_category

    training_class = enrollment.training_class
    earned = hours_by_category(enrollment.user, training_class.year_id)
    selected = {value: Decimal("0") for value, _ in Category.choices}
    for course, is_selected in courses if courses is not None else class_courses(enrollment):
        if is_selected:
            selected[course.category] += course.hours
    categories = []
    for value, label in Category.choices:
        required = _required(training_class, value)
        got = min(earned[value], required) if required else earned[value]
        categories.append(
            {
                "key": value,
                "label": label,
                "required": required,
                "earned": earned[value],
                "selected": selected[value],
                "missing": max(Decimal("0"), required - earned[value]),
                "percent": int(got * 100 / required) if required else 100,
                "too_few_selected": selected[value] < required,
            }
        )
    percent = _overall_percent(training_class, earned)
    required_total = sum(c["required"] for c in categories)
    return {"categories": categories, "percent": percent, "required": required_total, "complete": percent >= 100}


def course_rows(enrollment):
    """The selected courses with their coursewares' progress: (course, percent, finished, first courseware)."""
    from jxjy.catalog.models import Courseware

    from .models import CoursewareProgress

    course_ids = [course.pk for course, selected in class_courses(enrollment) if selected]
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
        row = rows.setdefault(course.pk, {"course": course, "duration": 0.0, "watched": 0.0, "done": 0, "count": 0,
                                          "first": courseware, "resume": None})  # fmt: skip
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
    from jxjy.catalog.models import Category

    rank = {value: i for i, value in enumerate(Category.values)}
    return sorted(rows.values(), key=lambda r: (rank[r["course"].category], r["course"].pk))


def overall_percents(user, enrollments) -> dict:
    """{enrollment id: overall percent} for many classes with one ledger query (学员中心 cards)."""
    from decimal import Decimal

    from django.db.models import Sum

    from jxjy.catalog.models import Category
    from jxjy.credits.models import CreditEntry

    years = {e.training_class.year_id for e in enrollments}
    earned = {
        (year, category): total
        for year, category, total in CreditEntry.objects.filter(user=user, year__in=years)
        .values_list("year", "category")
        .annotate(total=Sum("hours"))
    }
    return {
        e.pk: _overall_percent(
            e.training_class,
            {c: earned.get((e.training_class.year_id, c)) or Decimal("0") for c in Category.values},
        )
        for e in enrollments
    }
