"""Exams hears of what happens in learning below it (learning may not import exams)."""

from django.db.models import Count, Max, Q
from django.dispatch import receiver

from jxjy.learning.next_step import ExamFacts
from jxjy.learning.signals import checkpoint_answered_wrong, exam_facts_wanted

from .models import AttemptStatus, ExamAttempt, WrongSource
from .services import record_wrong


@receiver(checkpoint_answered_wrong, dispatch_uid="exams.checkpoint_answered_wrong")
def put_popup_miss_in_wrong_book(sender, user, question_id, **kwargs):
    record_wrong(user, question_id, WrongSource.POPUP)


@receiver(exam_facts_wanted, dispatch_uid="exams.exam_facts_wanted")
def tell_exam_facts(sender, enrollments, **kwargs):
    """下一步 asks how each class's exam stands: attempts used, the best graded score, passed, one in progress."""
    graded = Q(status=AttemptStatus.GRADED)
    rows = (
        ExamAttempt.objects.filter(enrollment__in=[e.pk for e in enrollments])
        .order_by()
        .values("enrollment_id")
        .annotate(
            used=Count("id"),
            best=Max("score", filter=graded),
            passes=Count("id", filter=graded & Q(passed=True)),
            open=Count("id", filter=Q(status=AttemptStatus.STARTED)),
        )
    )
    return {
        row["enrollment_id"]: ExamFacts(
            used=row["used"], best=row["best"], passed=row["passes"] > 0, in_progress=row["open"] > 0
        )
        for row in rows
    }
