"""Exam races with real parallel connections on PostgreSQL (skipped on SQLite)."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.audit.models import AuditRecord, Event
from jxjy.exams.models import ExamAttempt

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_concurrent_double_submission_grades_once(ready, alice):
    client = client_for(alice)
    client.post(reverse("exams:enter", args=[ready.pk]))
    attempt = ExamAttempt.objects.get()
    url = reverse("exams:submit", args=[ready.pk, attempt.pk])
    statuses = run_parallel([lambda: client_for(alice).post(url).status_code for _ in range(6)])
    assert statuses == [302] * 6
    assert AuditRecord.objects.filter(event=Event.EXAM_SUBMIT).count() == 1
    assert ExamAttempt.objects.get().status == "graded"


def test_req_45_concurrent_entering_opens_one_attempt(ready, alice):
    url = reverse("exams:enter", args=[ready.pk])
    run_parallel([lambda: client_for(alice).post(url).status_code for _ in range(6)])
    assert ExamAttempt.objects.count() == 1


def test_req_45_two_classes_entered_at_once_open_one_exam(ready, alice, catalog):
    """The same learner presses 进入 in two classes' exams at once (two tabs): one paper opens, the other is
    refused (each class's own row lock alone would let both through)."""
    from .conftest import enroll

    other = enroll(alice, catalog[(2025, "L4")])
    urls = [reverse("exams:enter", args=[e.pk]) for e in (ready, other, ready, other, ready, other)]
    statuses = run_parallel([lambda url=url: client_for(alice).post(url).status_code for url in urls])
    assert ExamAttempt.objects.filter(status="started").count() == 1
    assert statuses == [302] * 6  # the refused ones go back to 在线考试, which says why
    assert AuditRecord.objects.filter(event=Event.EXAM_START).count() == 1


def test_the_page_and_the_beat_task_closing_at_once_give_one_result(ready, alice):
    """Inside the grace the page hands in while the beat task runs (its grace just over for the task's clock):
    one grading, one audit record, whoever wins."""
    from datetime import timedelta

    from django.utils import timezone

    from jxjy.exams import services

    client = client_for(alice)
    client.post(reverse("exams:enter", args=[ready.pk]))
    attempt = ExamAttempt.objects.get()
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=31))
    url = reverse("exams:submit", args=[ready.pk, attempt.pk])
    json_accept = {"Accept": "application/json"}
    jobs = [lambda: client_for(alice).post(url, headers=json_accept).status_code for _ in range(3)]
    jobs += [services.close_overdue_attempts for _ in range(3)]
    results = run_parallel(jobs)
    assert results[:3] == [200] * 3 and sum(results[3:]) <= 3
    assert AuditRecord.objects.filter(event=Event.EXAM_SUBMIT).count() == 1
    assert ExamAttempt.objects.get().status == "graded"


def test_every_answer_saved_while_the_paper_is_handed_in_counts(ready, alice):
    """Answers racing the 交卷: each is either saved before the grading (200, and counted) or refused (409);
    never saved and left out of the result."""
    from jxjy.catalog.models import Question
    from jxjy.exams import services
    from jxjy.exams.models import ExamAnswer

    client_for(alice).post(reverse("exams:enter", args=[ready.pk]))
    attempt = ExamAttempt.objects.get()
    answer_url = reverse("exams:answer", args=[ready.pk, attempt.pk])
    submit_url = reverse("exams:submit", args=[ready.pk, attempt.pk])
    bank = Question.objects.in_bulk([e["q"] for e in attempt.paper])

    def answer(entry):
        letters = services.to_shown(entry, bank[entry["q"]].answer)
        return client_for(alice).post(answer_url, {"question": entry["q"], "answer": list(letters)}).status_code

    jobs = [lambda entry=entry: answer(entry) for entry in attempt.paper[:10]]
    jobs.insert(5, lambda: client_for(alice).post(submit_url).status_code)
    results = run_parallel(jobs)
    saved = [status for index, status in enumerate(results) if index != 5]
    assert set(saved) <= {200, 409}
    attempt.refresh_from_db()
    assert attempt.status == "graded"
    assert attempt.correct == saved.count(200) == ExamAnswer.objects.filter(attempt=attempt).count()
