"""The year report (年度统计): a fixed handful of GROUP BY queries, each grouped by the learner's city.

Every figure is counted in the database and filtered by the learner's 所属地市 inside the query, so a city
office's report never reads another city's rows, and the number of queries does not grow with the data.
The 技术等级 filter means the online class's grade for figures that come from the class (报名, 缴费, 收入,
学习进度, 考试, 证书 of an online class) and the learner's own 技术等级 for 视同申报 and 面授班, which have none."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, Q, Sum, When
from django.db.models.functions import Coalesce

from jxjy.accounts.models import City
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.credits import standing
from jxjy.declarations.models import Declaration
from jxjy.declarations.models import Status as DeclarationStatus
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking
from jxjy.learning.models import Enrollment
from jxjy.orders.models import OrderLine, OrderStatus

# (key, label) of every figure, in the order the page and the Excel sheet show them.
FIGURES = [
    ("enrolled", "报名人数"),
    ("paid", "已缴费人数"),
    ("progress_0", "进度 0%"),
    ("progress_1", "进度 1–49%"),
    ("progress_50", "进度 50–99%"),
    ("progress_100", "进度 100%"),
    ("exam_taken", "参加考试人数"),
    ("exam_passed", "考试合格人数"),
    ("exam_pass_rate", "考试合格率"),
    ("certificates", "已发证书"),
    ("declarations", "视同申报（件）"),
    ("declarations_approved", "视同申报通过（件）"),
    ("declaration_hours", "视同申报核定学时"),
    ("f2f_booked", "面授班报名"),
    ("f2f_attended", "面授班参训"),
    ("f2f_absent", "面授班缺勤"),
    ("revenue", "收入（元）"),
    ("refunded", "已退款（元）"),
]
PROGRESS_BUCKETS = [
    ("progress_0", "0%"),
    ("progress_1", "1–49%"),
    ("progress_50", "50–99%"),
    ("progress_100", "100%"),
]
MONEY_FIGURES = {"revenue", "refunded"}
HOURS_FIGURES = {"declaration_hours"}
NO_CITY = ""  # learners who have not given their 所属地市


def _empty() -> dict:
    figures = {key: 0 for key, _ in FIGURES}
    figures.update(revenue=Decimal("0.00"), refunded=Decimal("0.00"), declaration_hours=Decimal("0.0"))
    figures["exam_pass_rate"] = None
    return figures


@dataclass
class YearReport:
    year: int
    city: str | None
    grade: str | None
    by_city: dict = field(default_factory=dict)  # city code → figures (only cities with any figure)
    total: dict = field(default_factory=_empty)
    city_names: dict = field(default_factory=dict)

    def rows(self):
        """(city name, figures) for each city with data, in 区划代码 order."""
        return [(self.city_names.get(code, "未填写地市"), self.by_city[code]) for code in sorted(self.by_city)]


def year_report(year: int, *, city: str | None = None, grade: str | None = None) -> YearReport:
    """The year's figures per learner city and in total. `city` limits every query to that city's learners
    (a city office always passes its own); `grade` as the module docstring says. Seven queries, whatever the size."""
    report = YearReport(year=year, city=city, grade=grade)
    for part in (_sales, _progress, _exams, _certificates, _declarations, _facetoface):
        part(report)
    report.city_names = dict(City.objects.values_list("code", "name"))  # 7. the names of the cities shown
    for figures in report.by_city.values():
        _normalise(figures)
        _rate(figures)
        for key, _ in FIGURES:
            if key != "exam_pass_rate":
                report.total[key] += figures[key]
    _normalise(report.total)
    _rate(report.total)
    return report


def _learners(report, prefix) -> Q:
    return Q(**{f"{prefix}city_id": report.city}) if report.city else Q()


def _put(report, rows, **keys):
    """Write each row's columns (`figure=column`) into its city's figures."""
    for row in rows:
        code = row.pop("city") or NO_CITY
        figures = report.by_city.setdefault(code, _empty())
        for key, column in keys.items():
            figures[key] = row[column] if row[column] is not None else figures[key]


def _sales(report):
    """1. 报名 / 缴费 / 收入: the year's order lines (the sale), by the learner's city — the listed staff member of
    a 单位统一报名缴费 line, else the buyer."""
    lines = OrderLine.objects.filter(year=report.year)
    if report.city:
        lines = lines.filter(
            Q(learner__isnull=False, learner__city_id=report.city)
            | Q(learner__isnull=True, order__user__city_id=report.city)
        )
    if report.grade:
        lines = lines.filter(training_class__grade=report.grade)
    paid = Q(order__status=OrderStatus.PAID)
    rows = (
        lines.annotate(
            line_city=Case(When(learner__isnull=False, then=F("learner__city_id")), default=F("order__user__city_id")),
            who=Coalesce("learner_id", "order__user_id"),
        )
        .values(city=F("line_city"))
        .annotate(
            enrolled=Count("who", distinct=True),
            paid=Count("who", distinct=True, filter=paid),
            revenue=Sum("fee", filter=paid),
            refunded=Sum("fee", filter=Q(order__status=OrderStatus.REFUNDED)),
        )
    )
    _put(report, rows, enrolled="enrolled", paid="paid", revenue="revenue", refunded="refunded")


def _progress(report):
    """2. 学习进度: each open enrollment's standing against its class, in four buckets."""
    buckets = [key for key, _ in PROGRESS_BUCKETS]
    for code, bucket, count in _progress_rows(report.year, report.city, report.grade):
        report.by_city.setdefault(code or NO_CITY, _empty())[buckets[bucket]] = count


def _exams(report):
    """3. 考试: enrollments with a graded attempt, and those with a passed one."""
    attempts = ExamAttempt.objects.filter(
        _learners(report, "enrollment__user__"),
        enrollment__training_class__year_id=report.year,
        status=AttemptStatus.GRADED,
    )
    if report.grade:
        attempts = attempts.filter(enrollment__training_class__grade=report.grade)
    rows = attempts.values(city=_city("enrollment__user")).annotate(
        taken=Count("enrollment", distinct=True),
        passed=Count("enrollment", distinct=True, filter=Q(passed=True)),
    )
    _put(report, rows, exam_taken="taken", exam_passed="passed")


def _certificates(report):
    """4. 证书: issued and not revoked."""
    certificates = Certificate.objects.filter(
        _learners(report, "user__"), year=report.year, status=CertificateStatus.ISSUED
    )
    if report.grade:
        certificates = certificates.filter(
            Q(enrollment__training_class__grade=report.grade) | Q(enrollment__isnull=True, user__grade=report.grade)
        )
    _put(report, certificates.values(city=_city("user")).annotate(n=Count("id")), certificates="n")


def _declarations(report):
    """5. 视同申报: filed (withdrawn ones excluded), approved, and the hours approved."""
    declarations = Declaration.objects.filter(_learners(report, "user__"), year_id=report.year).exclude(
        status=DeclarationStatus.WITHDRAWN
    )
    if report.grade:
        declarations = declarations.filter(user__grade=report.grade)
    approved = Q(status=DeclarationStatus.APPROVED)
    rows = declarations.values(city=_city("user")).annotate(
        n=Count("id"), approved=Count("id", filter=approved), hours=Sum("hours_approved", filter=approved)
    )
    _put(report, rows, declarations="n", declarations_approved="approved", declaration_hours="hours")


def _facetoface(report):
    """6. 面授班: seats held (booked, attended or absent), attended, absent."""
    bookings = FaceToFaceBooking.objects.filter(_learners(report, "user__"), face_class__year_id=report.year)
    if report.grade:
        bookings = bookings.filter(user__grade=report.grade)
    held = [BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.ABSENT]
    rows = bookings.values(city=_city("user")).annotate(
        booked=Count("id", filter=Q(status__in=held)),
        attended=Count("id", filter=Q(status=BookingStatus.ATTENDED)),
        absent=Count("id", filter=Q(status=BookingStatus.ABSENT)),
    )
    _put(report, rows, f2f_booked="booked", f2f_attended="attended", f2f_absent="absent")


def _city(user_path):
    return F(f"{user_path}__city_id")


def _normalise(figures):
    """The same figures whatever the database returns (SQLite drops a Decimal's trailing zeros)."""
    for key in MONEY_FIGURES:
        figures[key] = Decimal(figures[key]).quantize(Decimal("0.01"))
    for key in HOURS_FIGURES:
        figures[key] = Decimal(figures[key]).quantize(Decimal("0.1"))


def _rate(figures):
    taken = figures["exam_taken"]
    figures["exam_pass_rate"] = round(figures["exam_passed"] * 100 / taken, 1) if taken else None


def _progress_rows(year, city, grade):
    """(city code, bucket 0..3, enrollments) in one statement. Each live enrollment's percent is its yearly
    standing against its class (credits.standing's SQL form: 视同申报 within the cap), as the class page shows it;
    the buckets are 0 %, 1–49 %, 50–99 % and 100 %."""
    enrollments = Enrollment.objects.live().filter(training_class__year_id=year)
    if city:
        enrollments = enrollments.filter(user__city_id=city)
    if grade:
        enrollments = enrollments.filter(training_class__grade=grade)
    rows, params = standing.standing_sql(
        enrollments, user="user", **standing.class_rule("training_class"), city="user__city_id"
    )
    sql = f"""
        SELECT city, CASE WHEN percent = 0 THEN 0 WHEN percent < 50 THEN 1 WHEN percent < 100 THEN 2 ELSE 3 END
               AS bucket, COUNT(*)
        FROM ({rows}) p
        GROUP BY city, bucket
    """  # noqa: S608 - standing_sql's statement; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
