"""The exam's 30 s grace (issue 13): an open page sends its last answers at zero and hands the paper in itself;
the server keeps the attempt open until deadline + EXAM_GRACE_SECONDS (the page, any other page and the beat
task alike) and counts every answer saved by then. Whoever closes it, and however often, there is one result."""

from datetime import timedelta

import pytest
from django.urls import reverse
from freezegun import freeze_time

from jxjy.audit.models import AuditRecord, Event
from jxjy.exams import services
from jxjy.exams.models import AttemptStatus, ExamAnswer, ExamAttempt
from jxjy.exams.tasks import close_overdue_attempts

from .test_exam import answer, answer_all, client_for, enter, shown_right_answer, wait

pytestmark = pytest.mark.django_db

START = "2026-11-02 09:00:00"
DEADLINE = timedelta(minutes=30)  # the 2026 中级工 class's exam_minutes


def page_submit(client, attempt):
    """What exam.js does at zero, once its queue is empty: 交卷 as JSON."""
    url = reverse("exams:submit", args=[attempt.enrollment_id, attempt.pk])
    return client.post(url, headers={"Accept": "application/json"})


def right(client, attempt, index):
    entry = attempt.paper[index]
    return answer(client, attempt, entry["q"], shown_right_answer(attempt, entry))


def beat():
    return close_overdue_attempts.apply().get()


def test_an_answer_saved_5_s_after_the_deadline_counts(ready, alice):
    """The page's last answer, retried 5 s late, is taken; the page's 交卷 at +6 s grades it in."""
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=10)
        wait(client, clock, DEADLINE + timedelta(seconds=5))
        late = right(client, attempt, 10)
        assert late.status_code == 200 and late.json() == {"saved": True}
        clock.tick(timedelta(seconds=1))
        reply = page_submit(client, attempt)
    assert reply.status_code == 200
    assert reply.json() == {"result": reverse("exams:attempt", args=[ready.pk, attempt.pk])}
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.correct == 11 and attempt.score == 55
    assert not attempt.auto_submitted  # the learner's page handed it in, inside the grace
    assert attempt.submitted_at == attempt.deadline + timedelta(seconds=6)
    assert ExamAnswer.objects.filter(attempt=attempt).count() == 11


def test_inside_the_grace_other_pages_do_not_close_the_paper(ready, alice):
    """At +5 s the learner's other tab (在线考试, the paper itself, 在线练习) leaves the attempt open, so the open
    page's late answer still counts; the paper page shows 0 s left (its script then hands it in)."""
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        wait(client, clock, DEADLINE + timedelta(seconds=5))
        assert "继续考试" in client.get(reverse("exams:exam", args=[ready.pk])).content.decode()
        assert client.get(reverse("exams:practice", args=[ready.pk])).status_code == 200
        paper = client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk])).content.decode()
        assert 'data-remaining="0"' in paper and "data-paper" in paper
        assert right(client, attempt, 0).status_code == 200
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.STARTED
        clock.tick(timedelta(seconds=26))  # +31 s: the grace is over, the next page closes it
        client.get(reverse("exams:exam", args=[ready.pk]))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.auto_submitted and attempt.correct == 1
    assert attempt.submitted_at == attempt.deadline


def test_the_beat_task_waits_for_the_grace_then_closes(ready, alice):
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=15)
        wait(client, clock, DEADLINE)
        assert beat() == 0  # at the deadline itself: the page may still be sending
        clock.tick(timedelta(seconds=5))
        assert right(client, attempt, 15).status_code == 200
        assert beat() == 0
        clock.tick(timedelta(seconds=25))  # deadline + 30 s: still inside
        assert beat() == 0
        assert ExamAttempt.objects.get(pk=attempt.pk).status == AttemptStatus.STARTED
        clock.tick(timedelta(seconds=1))  # deadline + 31 s: closed, with every answer saved by then
        assert beat() == 1
        assert beat() == 0
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.auto_submitted
    assert attempt.correct == 16 and attempt.score == 80
    assert attempt.submitted_at == attempt.deadline


def test_one_result_when_the_page_and_the_beat_task_both_close(ready, alice):
    """The page hands in inside the grace, then the beat task runs, then the page's 交卷 arrives again (a
    retry whose reply was lost): one grading, one audit record, the page's result."""
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=12)
        wait(client, clock, DEADLINE + timedelta(seconds=3))
        assert page_submit(client, attempt).status_code == 200
        clock.tick(timedelta(seconds=60))
        assert beat() == 0
        assert page_submit(client, attempt).status_code == 200
        assert right(client, attempt, 12).status_code == 409
    attempt.refresh_from_db()
    assert (attempt.correct, attempt.score, attempt.auto_submitted) == (12, 60, False)
    assert AuditRecord.objects.filter(event=Event.EXAM_SUBMIT).count() == 1


def test_one_result_when_the_beat_task_closes_first(ready, alice):
    """The page was asleep past the grace: the beat task grades; the page's late answer is refused (409, said
    plainly) and its 交卷 just leads to the result."""
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=12)
        wait(client, clock, DEADLINE + timedelta(seconds=31))
        assert beat() == 1
        late = right(client, attempt, 12)
        assert late.status_code == 409 and "已提交" in late.json()["error"]
        reply = page_submit(client, attempt)
        assert reply.json() == {"result": reverse("exams:attempt", args=[ready.pk, attempt.pk])}
        assert beat() == 0
    attempt.refresh_from_db()
    assert (attempt.correct, attempt.auto_submitted, attempt.submitted_at) == (12, True, attempt.deadline)
    assert AuditRecord.objects.filter(event=Event.EXAM_SUBMIT).count() == 1


def test_a_submission_after_the_grace_counts_only_what_was_saved_in_time(ready, alice):
    with freeze_time(START) as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=10)
        wait(client, clock, DEADLINE + timedelta(seconds=20))
        assert right(client, attempt, 10).status_code == 200
        clock.tick(timedelta(seconds=15))
        assert right(client, attempt, 11).status_code == 409
        page_submit(client, attempt)
    attempt.refresh_from_db()
    assert (attempt.correct, attempt.auto_submitted, attempt.submitted_at) == (11, True, attempt.deadline)


def test_the_beat_task_goes_on_past_an_attempt_it_cannot_grade(ready, alice, bob, catalog, monkeypatch):
    """One broken attempt is reported and retried on the next beat; it never keeps the others open."""
    from .conftest import enroll

    other = enroll(bob, catalog[(2026, "L4")])
    with freeze_time(START) as clock:
        first = services.start_attempt(enrollment=ready)
        second = services.start_attempt(enrollment=other)
        clock.tick(DEADLINE + timedelta(seconds=31))
        real = services.submit_attempt

        def flaky(*, attempt, **kwargs):
            if attempt.pk == first.pk:
                raise RuntimeError("boom")
            return real(attempt=attempt, **kwargs)

        monkeypatch.setattr(services, "submit_attempt", flaky)
        assert beat() == 1
        monkeypatch.setattr(services, "submit_attempt", real)
        assert beat() == 1
    assert set(ExamAttempt.objects.values_list("status", flat=True)) == {AttemptStatus.GRADED}
    assert {first.pk, second.pk} == set(ExamAttempt.objects.values_list("pk", flat=True))
