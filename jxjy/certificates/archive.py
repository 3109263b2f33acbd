"""继续教育档案: one training year of a learner, as credits.standing reads it from the hours ledger (DESIGN.md §4).

This module only finds what the standing needs from above the ledger: the learner's online class that year (its
requirement, and its exam, which then counts) or else the training year's requirement with no exam.

A year not yet 合格 is 未完成（本年度进行中） until its study deadline passes, and only then 不合格: the deadline is the
learner's online class's 学习截止 (the date the class card shows), or, with no online class that year, the end of the
year (31 December, 24:00 on the platform's clock)."""

from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db.models import Max
from django.utils import timezone

from jxjy.catalog.models import TrainingYear
from jxjy.credits.models import CreditEntry
from jxjy.credits.standing import Exam, Requirement, Standing, year_standing
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.learning.models import Enrollment


@dataclass(frozen=True)
class YearRecord(Standing):
    """The year's standing, with the online class it was measured against (None: the training year's rule)."""

    enrollment: Enrollment | None = None
    deadline: datetime | None = None  # the study deadline (see the module's docstring)

    def in_progress(self, now=None) -> bool:
        """Not 合格 yet, and there is still time: the year is 未完成（本年度进行中）, not 不合格."""
        return not self.qualified and self.deadline is not None and (now or timezone.now()) <= self.deadline

    @property
    def verdict(self) -> str:
        """What the learner reads: 合格, 未完成（本年度进行中） or 不合格."""
        return "未完成（本年度进行中）" if self.in_progress() else self.result

    @property
    def shortfalls(self) -> list:
        """[(category label, hours missing)] of the categories not yet met, for 还差 lines."""
        return [(c.label, c.missing) for c in self.categories if c.missing]

    @property
    def days_left(self) -> int | None:
        """Whole days until the deadline (0 on its last day), while the year is in progress."""
        if not self.in_progress():
            return None
        return max(0, (timezone.localdate(self.deadline) - timezone.localdate()).days)


def exam_passed(best: int | None, pass_score: int | None) -> bool:
    """The class exam is passed when the best graded score reaches the class's pass score."""
    return pass_score is not None and Exam(best, pass_score).passed


def best_scores(enrollments) -> dict:
    """{enrollment id: best graded score} for many classes in one query."""
    return dict(
        ExamAttempt.objects.filter(enrollment__in=[e.pk for e in enrollments], status=AttemptStatus.GRADED)
        .values_list("enrollment")
        .annotate(best=Max("score"))
    )


def archive_years(user) -> list[int]:
    """The years the 继续教育档案 offers: every training year, and any year the learner has hours in."""
    years = set(TrainingYear.objects.values_list("year", flat=True))
    years |= set(CreditEntry.objects.filter(user=user).values_list("year", flat=True).distinct())
    return sorted(years or {timezone.localdate().year}, reverse=True)


def year_record(user, year: int) -> YearRecord:
    """The learner's year: the standing against the online class's requirement and exam, or the year's."""
    enrollment = (
        Enrollment.objects.live()
        .filter(user=user, training_class__year_id=year)
        .select_related("training_class__year")
        .order_by("-opened_at")
        .first()
    )
    if enrollment is not None:
        training_class = enrollment.training_class
        requirement = Requirement.of(training_class)
        exam = Exam(best_scores([enrollment]).get(enrollment.pk), training_class.exam_pass_score)
    else:
        requirement = Requirement.of(TrainingYear.objects.filter(year=year).first() or TrainingYear(year=year))
        exam = None
    standing = year_standing(user, year, requirement, exam)
    return YearRecord(
        **{f.name: getattr(standing, f.name) for f in fields(Standing)},
        enrollment=enrollment,
        deadline=enrollment.training_class.study_deadline if enrollment is not None else year_end(year),
    )


def year_end(year: int) -> datetime:
    """The last moment of a year (31 December, 23:59:59.999999) on the platform's clock."""
    return timezone.make_aware(datetime.combine(date(year, 12, 31), datetime.max.time()))
