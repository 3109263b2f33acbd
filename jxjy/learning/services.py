"""Enrollments: opened by a paid order line, closed by a refund."""

from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record

from .models import Enrollment, EnrollmentStatus


def open_enrollment(*, line, actor=None) -> Enrollment:
    """Open the class of a paid order line; safe to call twice (one enrollment per line)."""
    enrollment, created = Enrollment.objects.get_or_create(
        order_line=line, defaults={"user_id": line.order.user_id, "training_class_id": line.training_class_id}
    )
    if created:
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
