"""学员详情's file of a learner: classes, exams, orders, the hours ledger, 视同申报, 面授班 and the audit trail, read
from every app for the back office's detail page (nothing here changes a row)."""

from django.db.models import Q

from jxjy.accounts import services as account_services
from jxjy.accounts.learners import failed_logins
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord
from jxjy.certificates.archive import year_record
from jxjy.credits.models import CreditEntry
from jxjy.declarations.models import Declaration
from jxjy.exams.models import ExamAttempt
from jxjy.facetoface.models import FaceToFaceBooking
from jxjy.learning.models import CoursewareProgress, Enrollment
from jxjy.learning.services import overall_percents
from jxjy.orders.models import Order

TRAIL_LIMIT = 50
COURSEWARE_ORDER = (
    "courseware__chapter__course_id",
    "courseware__chapter__order",
    "courseware__order",
    "courseware_id",
)


def _attempts(enrollments) -> list:
    """考试记录: every attempt in the learner's classes (none without a class: no query), a voided one (学习异常
    确认违规) shown as 成绩作废."""
    if not enrollments:
        return []
    return list(ExamAttempt.objects.filter(enrollment__in=enrollments).select_related("enrollment__training_class"))


def learner_file(learner) -> dict:
    """Everything the detail page shows, in a fixed number of queries whatever the learner's history."""
    # 学时记录: each year the learner has hours in, as credits.standing counts it (视同申报 within the cap) against
    # the online class's requirement, or the year's — the figures the learner's 继续教育档案 shows.
    ledger_years = CreditEntry.objects.filter(user=learner).order_by("-year").values_list("year", flat=True)
    years = [year_record(learner, year) for year in dict.fromkeys(ledger_years)]

    enrollments = list(Enrollment.objects.filter(user=learner).select_related("training_class__year"))
    percents = overall_percents(learner, enrollments)  # the rule 学员中心 and 班级首页 show
    for enrollment in enrollments:
        enrollment.percent = percents[enrollment.pk]
    coursewares = list(  # 课件学习情况: how much of each is watched (.percent), each linking to its 学时明细
        CoursewareProgress.objects.filter(enrollment__user=learner)
        .select_related("enrollment__training_class", "courseware__chapter__course")
        .order_by("-enrollment__opened_at", "enrollment_id", *COURSEWARE_ORDER)
    )
    audit_trail = AuditRecord.objects.filter(
        Q(actor=learner) | Q(object_type=User._meta.label, object_id=str(learner.pk))
    ).select_related("actor")[:TRAIL_LIMIT]
    return {
        "enrollments": enrollments,
        "coursewares": coursewares,
        "attempts": _attempts(enrollments),
        "orders": Order.objects.filter(user=learner).prefetch_related("lines").order_by("-created_at"),
        "ledger_years": years,
        "declarations": Declaration.objects.filter(user=learner).select_related("year").order_by("-created_at"),
        "bookings": FaceToFaceBooking.objects.filter(user=learner).select_related("face_class__city"),
        "audit_trail": audit_trail,
        "failed_logins": failed_logins(learner),
        "pre_registered": account_services.is_pre_registered(learner),
    }
