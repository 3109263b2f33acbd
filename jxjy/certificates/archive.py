"""继续教育档案: one training year of a learner, read from the hours ledger (DESIGN.md §4).

Hours come from the ledger by source (网络学习, 面授班, 视同申报, 冲销) and category. The requirement is the
learner's online class's (its own hours per category) when there is one that year, otherwise the training year's.
Approved 视同申报 count toward 专业课 and 选修课 only, at most the year's share (50 %) of the professional
requirement. A year is 合格 when every category is met and, with an online class, its exam is passed."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Sum
from django.utils import timezone

from jxjy.catalog.models import Category, TrainingYear
from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.learning.models import Enrollment, EnrollmentStatus

ZERO = Decimal("0")


def fmt_hours(value: Decimal) -> str:
    """16, 16.5, 0.25: at most two places, no trailing zeros."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class CategoryLine:
    key: str
    label: str
    required: Decimal
    by_source: dict  # {source: Decimal} as posted
    cells: list  # [(source label, hours)] in the order of YearRecord.sources (for the table)
    counted: Decimal  # what counts toward the requirement (视同申报 within the cap)

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.required - self.counted)


@dataclass
class YearRecord:
    year: int
    enrollment: Enrollment | None  # the year's online class, if any
    categories: list[CategoryLine]
    sources: list[tuple[str, str]]  # the sources that posted this year, in CreditSource order
    declaration_cap: Decimal
    declaration_over_cap: bool
    exam_best: int | None = None
    exam_pass_score: int | None = None

    @property
    def required(self) -> Decimal:
        return sum((c.required for c in self.categories), ZERO)

    @property
    def counted(self) -> Decimal:
        return sum((c.counted for c in self.categories), ZERO)

    @property
    def missing(self) -> Decimal:
        return sum((c.missing for c in self.categories), ZERO)

    @property
    def hours_met(self) -> bool:
        return not any(c.missing for c in self.categories)

    @property
    def exam_required(self) -> bool:
        return self.enrollment is not None

    @property
    def exam_passed(self) -> bool:
        return exam_passed(self.exam_best, self.exam_pass_score)

    @property
    def qualified(self) -> bool:
        return self.hours_met and (not self.exam_required or self.exam_passed)

    @property
    def reasons(self) -> list[str]:
        """Why the year is not 合格, in the learner's words (empty when it is)."""
        reasons = []
        if not self.hours_met:
            parts = "，".join(f"{c.label}还差 {fmt_hours(c.missing)} 学时" for c in self.categories if c.missing)
            reasons.append(f"还差 {fmt_hours(self.missing)} 学时（{parts}）")
        if self.exam_required and not self.exam_passed:
            if self.exam_best is None:
                reasons.append("考试未通过：尚未参加考试")
            else:
                reasons.append(f"考试未通过：最高 {self.exam_best} 分，{self.exam_pass_score} 分合格")
        return reasons

    @property
    def result(self) -> str:
        return "合格" if self.qualified else "不合格"


def exam_passed(best: int | None, pass_score: int | None) -> bool:
    """The class exam is passed when the best graded score reaches the class's pass score."""
    return best is not None and pass_score is not None and best >= pass_score


def best_scores(enrollments) -> dict:
    """{enrollment id: best graded score} for many classes in one query."""
    return dict(
        ExamAttempt.objects.filter(enrollment__in=[e.pk for e in enrollments], status=AttemptStatus.GRADED)
        .values_list("enrollment")
        .annotate(best=Max("score"))
    )


def live_enrollments(user):
    return Enrollment.objects.filter(user=user).exclude(status=EnrollmentStatus.REFUNDED)


def archive_years(user) -> list[int]:
    """The years the 继续教育档案 offers: every training year, and any year the learner has hours in."""
    years = set(TrainingYear.objects.values_list("year", flat=True))
    years |= set(CreditEntry.objects.filter(user=user).values_list("year", flat=True).distinct())
    return sorted(years or {timezone.localdate().year}, reverse=True)


def year_record(user, year: int) -> YearRecord:
    """The learner's year from the ledger: hours by source and category against the requirement, and the exam."""
    enrollment = (
        live_enrollments(user)
        .filter(training_class__year_id=year)
        .select_related("training_class__year")
        .order_by("-opened_at")
        .first()
    )
    if enrollment is not None:
        rule, training_year = enrollment.training_class, enrollment.training_class.year
    else:
        training_year = TrainingYear.objects.filter(year=year).first() or TrainingYear(year=year)
        rule = training_year

    posted: dict = {}
    for source, category, total in (
        CreditEntry.objects.filter(user=user, year=year).values_list("source", "category").annotate(total=Sum("hours"))
    ):
        posted.setdefault(category, {})[source] = total or ZERO

    cap = (rule.professional_hours or ZERO) * training_year.declaration_cap_ratio
    room = cap
    declared_total = allowed_total = ZERO
    sources_seen = {source for by_source in posted.values() for source in by_source}
    sources = [(value, label) for value, label in CreditSource.choices if value in sources_seen]
    categories = []
    for value, label in Category.choices:
        by_source = posted.get(value, {})
        declared = max(by_source.get(CreditSource.DECLARATION, ZERO), ZERO)
        allowed = ZERO if value == Category.PUBLIC else min(declared, room)  # never toward 公共课
        room -= allowed
        declared_total += declared
        allowed_total += allowed
        others = sum((h for s, h in by_source.items() if s != CreditSource.DECLARATION), ZERO)
        categories.append(
            CategoryLine(
                key=value,
                label=label,
                required=getattr(rule, f"{value}_hours") or ZERO,
                by_source=by_source,
                cells=[(label, by_source.get(s, ZERO)) for s, label in sources],
                counted=max(others + allowed, ZERO),
            )
        )
    record = YearRecord(
        year=year,
        enrollment=enrollment,
        categories=categories,
        sources=sources,
        declaration_cap=cap,
        declaration_over_cap=declared_total > allowed_total,
    )
    if enrollment is not None:
        record.exam_best = best_scores([enrollment]).get(enrollment.pk)
        record.exam_pass_score = enrollment.training_class.exam_pass_score
    return record
