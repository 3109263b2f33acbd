"""成绩作废: an exam attempt an office confirmed as a violation (学习异常 确认违规) no longer counts anywhere.

The attempt stays on record with its score, marked 成绩作废: every count of exams reads graded attempts only (the
best score, 合格, the reports), so a voided one is never the best score and never a pass. When that pass was what
completed the class and no other pass remains, the class goes back to 学习中: the learner may sit again while
attempts remain (the voided one still used its turn). The certificate is the caller's to check afterwards
(certificates.services.revoke_if_no_longer_qualified): certificates sits above exams."""

from django.db import transaction

from jxjy.audit.models import Event
from jxjy.learning.models import EnrollmentStatus
from jxjy.learning.services import reopen_enrollment
from jxjy.lib.states import move

from .models import AttemptStatus, ExamAttempt


def void_attempt(attempt, *, actor, reason: str) -> bool:
    """Void a graded attempt (quiet when it already is); True when it was voided now. Audited with the score it
    had; an attempt not yet graded is refused (IllegalMove): there is nothing to void until it is."""
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().select_related("enrollment").get(pk=attempt.pk)
        if locked.status == AttemptStatus.VOIDED:
            return False
        was_passed, enrollment = locked.passed, locked.enrollment
        detail = {"number": locked.number, "score": locked.score, "passed": was_passed, "reason": reason}
        # `passed` is cleared too, so even a count that forgot to ask for graded attempts cannot take it for a pass.
        move(locked, AttemptStatus.VOIDED, event=Event.EXAM_VOID, actor=actor, detail=detail, passed=False)
        if was_passed and enrollment.status == EnrollmentStatus.COMPLETED and not _other_pass(locked):
            reopen_enrollment(enrollment, actor=actor, reason=reason)
    return True


def _other_pass(attempt) -> bool:
    """Whether another graded attempt of the class still passes (the class then stays 已结业)."""
    others = ExamAttempt.objects.filter(enrollment_id=attempt.enrollment_id, status=AttemptStatus.GRADED, passed=True)
    return others.exclude(pk=attempt.pk).exists()
