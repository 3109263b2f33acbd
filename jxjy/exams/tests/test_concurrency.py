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
