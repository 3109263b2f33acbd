"""成绩作废 (学习异常 确认违规): a voided attempt stays on record but counts nowhere; a class it completed goes back
to 学习中 unless another pass remains; the desk then revokes the certificate of a year no longer 合格."""

import pytest
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.certificates.archive import best_scores, year_record
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.certificates.services import issue_certificate, revoke_if_no_longer_qualified
from jxjy.exams import services
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.exams.voiding import void_attempt
from jxjy.learning.models import EnrollmentStatus
from jxjy.lib.states import IllegalMove

from .test_exam import answer_all, client_for, enter, submit

pytestmark = pytest.mark.django_db

REASON = "学习异常确认违规：同单位答卷雷同"


def sit(client, enrollment, right=True):
    """进入, answer every question (all right, or all wrong), 确认交卷: the graded attempt."""
    attempt = enter(client, enrollment)
    answer_all(client, attempt, right=right)
    assert submit(client, attempt).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED
    return attempt


@pytest.fixture
def passed(ready, alice):
    """alice passed her class's exam (100 分), the class is 已结业 and her 2026 certificate is printed."""
    attempt = sit(client_for(alice), ready)
    ready.refresh_from_db()
    assert (attempt.passed, ready.status) == (True, EnrollmentStatus.COMPLETED)
    certificate = issue_certificate(user=alice, year=2026, actor=alice)
    assert certificate.status == CertificateStatus.ISSUED
    return attempt


def test_a_voided_pass_counts_nowhere_and_the_year_loses_its_certificate(passed, ready, alice, nanjing_reviewer):
    assert void_attempt(passed, actor=nanjing_reviewer, reason=REASON) is True
    passed.refresh_from_db()
    # On record with its score, but 成绩作废 and never a pass.
    assert (passed.status, passed.score, passed.passed) == (AttemptStatus.VOIDED, 100, False)
    assert best_scores([ready]) == {}
    assert services.exam_summary(ready)["best"] is None and services.exam_summary(ready)["passed"] is False
    record = year_record(alice, 2026)
    assert record.exam_best is None and not record.qualified
    # The desk's next step: the year is no longer 合格, so its certificate goes.
    revoked = revoke_if_no_longer_qualified(user=alice, year=2026, actor=nanjing_reviewer)
    assert revoked is not None and revoked.status == CertificateStatus.REVOKED
    assert not Certificate.objects.filter(user=alice, year=2026, status=CertificateStatus.ISSUED).exists()
    # Audited once, with who, why and the score it had.
    voids = AuditRecord.objects.filter(event=Event.EXAM_VOID, object_id=str(passed.pk))
    assert voids.count() == 1
    audit = voids.get()
    assert audit.actor == nanjing_reviewer
    assert audit.detail["reason"] == REASON and audit.detail["score"] == 100 and audit.detail["passed"] is True
    assert AuditRecord.objects.filter(event=Event.CERTIFICATE_REVOKE, object_id=str(revoked.pk)).exists()


def test_voiding_twice_is_quiet(passed, nanjing_reviewer):
    assert void_attempt(passed, actor=nanjing_reviewer, reason=REASON) is True
    assert void_attempt(passed, actor=nanjing_reviewer, reason=REASON) is False
    assert AuditRecord.objects.filter(event=Event.EXAM_VOID).count() == 1
    assert AuditRecord.objects.filter(event=Event.ENROLLMENT_REOPEN).count() == 1


def test_the_class_goes_back_to_learning_and_the_learner_may_sit_again(passed, ready, alice, nanjing_reviewer):
    void_attempt(passed, actor=nanjing_reviewer, reason=REASON)
    ready.refresh_from_db()
    assert ready.status == EnrollmentStatus.LEARNING
    reopen = AuditRecord.objects.get(event=Event.ENROLLMENT_REOPEN, object_id=str(ready.pk))
    assert reopen.actor == nanjing_reviewer and reopen.detail["reason"] == REASON
    assert services.exam_gate(ready) == ""  # the hours are still there: the exam is open again
    client = client_for(alice)
    page = client.get(reverse("exams:exam", args=[ready.pk])).content.decode()
    assert "去继续教育档案打印证书" not in page and "还可考" not in page  # no pass left, and no best score to retry
    assert reverse("exams:enter", args=[ready.pk]) in page
    # The voided sitting used its turn: the next one is the second, and passing it completes the class again.
    again = sit(client, ready)
    assert again.number == 2 and again.passed
    ready.refresh_from_db()
    assert ready.status == EnrollmentStatus.COMPLETED
    assert year_record(alice, 2026).qualified


def test_no_attempt_left_after_the_void_says_so(passed, ready, alice, nanjing_reviewer):
    ready.training_class.exam_max_attempts = 1
    ready.training_class.save(update_fields=["exam_max_attempts"])
    void_attempt(passed, actor=nanjing_reviewer, reason=REASON)
    client = client_for(alice)
    response = client.post(reverse("exams:enter", args=[ready.pk]))
    assert ExamAttempt.objects.filter(enrollment=ready).count() == 1
    assert "考试次数已用完" in client.get(response["Location"]).content.decode()


def test_another_pass_keeps_the_class_completed_and_the_certificate(passed, ready, alice, nanjing_reviewer):
    client = client_for(alice)
    second = sit(client, ready)  # a second pass (100 分) of the same class
    certificate = Certificate.objects.get(user=alice, year=2026, status=CertificateStatus.ISSUED)
    assert void_attempt(second, actor=nanjing_reviewer, reason=REASON) is True
    ready.refresh_from_db()
    assert ready.status == EnrollmentStatus.COMPLETED
    assert not AuditRecord.objects.filter(event=Event.ENROLLMENT_REOPEN).exists()
    assert best_scores([ready]) == {ready.pk: 100}  # the first pass
    assert revoke_if_no_longer_qualified(user=alice, year=2026, actor=nanjing_reviewer) is None
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ISSUED


def test_voiding_a_fail_leaves_the_class_as_it_is(ready, alice, nanjing_reviewer):
    failed = sit(client_for(alice), ready, right=False)
    assert not failed.passed
    assert void_attempt(failed, actor=nanjing_reviewer, reason=REASON) is True
    ready.refresh_from_db()
    assert ready.status == EnrollmentStatus.LEARNING
    assert not AuditRecord.objects.filter(event=Event.ENROLLMENT_REOPEN).exists()
    assert services.exam_summary(ready)["best"] is None


def test_an_open_attempt_cannot_be_voided(ready, alice, nanjing_reviewer):
    attempt = enter(client_for(alice), ready)
    with pytest.raises(IllegalMove):
        void_attempt(attempt, actor=nanjing_reviewer, reason=REASON)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.STARTED
    assert not AuditRecord.objects.filter(event=Event.EXAM_VOID).exists()


def test_the_learner_and_the_office_see_the_attempt_voided(passed, ready, alice, nanjing_reviewer):
    void_attempt(passed, actor=nanjing_reviewer, reason=REASON)
    client = client_for(alice)
    history = client.get(reverse("exams:history", args=[ready.pk])).content.decode()
    assert "成绩作废" in history and "（原 100 分，不计入成绩）" in history
    assert "合格</span>" not in history
    review = client.get(reverse("exams:attempt", args=[ready.pk, passed.pk]))
    assert review.status_code == 200
    page = review.content.decode()
    assert "成绩作废" in page and "不计入考试成绩" in page and "本次成绩" not in page
    assert "SECRET-EXPLANATION" in page  # the handed-in paper is reviewed as before, never reopened for answers
    assert 'id="exam-countdown"' not in page and "我要交卷" not in page
    office = staff_client(nanjing_reviewer).get(reverse("office:learners_detail", args=[alice.pk])).content.decode()
    assert "考试记录" in office and "成绩作废（原 100 分，不计入成绩）" in office
