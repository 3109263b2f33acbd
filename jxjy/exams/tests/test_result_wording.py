"""Exam results in the learner's words: 不合格 in red with 还可考 N 次 · 再考一次, 合格 with 去继续教育档案打印证书,
去考试 / 进入 disabled with the reason below 100 %, and the history tables stacked on a phone."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jxjy.exams.models import AttemptStatus, ExamAttempt, Practice
from jxjy.learning.services import class_progress

from .conftest import enroll, fill_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(alice):
    client = Client()
    client.force_login(alice)
    return client


def sat(enrollment, score):
    """A graded attempt with this score, the next in number."""
    now = timezone.now()
    return ExamAttempt.objects.create(
        enrollment=enrollment, user=enrollment.user, paper=[], status=AttemptStatus.GRADED,
        number=ExamAttempt.objects.filter(enrollment=enrollment).count() + 1,
        started_at=now - timedelta(minutes=20), deadline=now + timedelta(minutes=10), submitted_at=now,
        score=score, passed=score >= enrollment.training_class.exam_pass_score,
    )  # fmt: skip


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_paper_says_so_in_red_and_offers_another_go(learner, ready):
    attempt = sat(ready, 40)
    html = page(learner, "exams:attempt", ready.pk, attempt.pk)
    assert '<span class="result-word is-no">不合格</span>' in html
    assert "还可考 <strong>2</strong> 次" in html
    retry = re.search(r'<form method="post" action="([^"]+)" class="exam-retry">.*?</form>', html, re.S)
    assert retry and ">再考一次</button>" in retry.group(0) and "csrfmiddlewaretoken" in retry.group(0)
    assert "去继续教育档案打印证书" not in html
    # 再考一次 starts the next paper at once.
    response = learner.post(retry.group(1))
    second = ExamAttempt.objects.get(enrollment=ready, number=2)
    assert second.status == AttemptStatus.STARTED
    assert response.url == reverse("exams:attempt", args=[ready.pk, second.pk])


def test_a_passed_paper_leads_to_the_archive(learner, ready):
    attempt = sat(ready, 85)
    html = page(learner, "exams:attempt", ready.pk, attempt.pk)
    assert '<span class="result-word is-ok">合格</span>' in html
    link = f'<a class="btn" href="{reverse("certificates:archive")}?year=2026">去继续教育档案打印证书</a>'
    assert link in html
    assert "再考一次" not in html


def test_no_attempts_left(learner, ready):
    for score in (10, 20, 30):
        last = sat(ready, score)
    html = page(learner, "exams:attempt", ready.pk, last.pk)
    assert "考试次数已用完（共 3 次）" in html and "再考一次" not in html
    assert "考试次数已用完" in page(learner, "exams:exam", ready.pk)


def test_below_100_percent_the_way_in_is_disabled_with_the_reason(learner, alice, catalog):
    enrollment = enroll(alice, catalog[(2026, "L4")], complete=False)
    fill_ledger(alice, public=16, professional=16, elective=0)
    percent = class_progress(enrollment)["percent"]
    assert 0 < percent < 100
    reason = f"学习进度达到 100% 后才能参加考试，现在 {percent}%（专业课还差 8 学时，选修课还差 8 学时）"
    exam = page(learner, "exams:exam", enrollment.pk)
    assert re.search(r'<button class="btn" type="button" disabled aria-describedby="exam-gate-\d+">进入</button>', exam)
    assert reason in exam
    home = page(learner, "learning:class_home", enrollment.pk)
    assert re.search(
        r'<button class="btn" type="button" disabled aria-describedby="exam-gate-\d+">去考试</button>', home
    )
    assert reason in home
    learner.post(reverse("exams:enter", args=[enrollment.pk]))
    assert not ExamAttempt.objects.exists()


def test_the_class_home_panel_follows_the_results(learner, ready):
    home = page(learner, "learning:class_home", ready.pk)
    assert "学习进度已达到 100%，可以参加考试了" in home
    assert f'<a class="btn" href="{reverse("exams:exam", args=[ready.pk])}">去考试</a>' in home
    sat(ready, 50)
    home = page(learner, "learning:class_home", ready.pk)
    assert '<span class="result-word is-no">不合格</span>' in home and "还可考 <strong>2</strong> 次" in home
    assert f'<a class="btn" href="{reverse("exams:exam", args=[ready.pk])}">再考一次</a>' in home
    sat(ready, 90)
    home = page(learner, "learning:class_home", ready.pk)
    assert '<span class="result-word is-ok">合格</span>' in home and "去继续教育档案打印证书" in home
    assert "再考一次" not in home


def test_the_history_tables_stack_with_labels(learner, ready):
    sat(ready, 40)
    sat(ready, 75)
    Practice.objects.create(enrollment=ready, user=ready.user, questions=list(range(1, 11)))
    history = page(learner, "exams:history", ready.pk)
    assert '<table class="stack exam-history">' in history
    for label in ("次数", "开始时间", "交卷时间", "成绩"):
        assert history.count(f'data-label="{label}"') == 2
    assert '<span class="result-word is-no">不合格</span>' in history
    assert '<span class="result-word is-ok">合格</span>' in history
    practice = page(learner, "exams:practice", ready.pk)
    assert '<table class="stack practice-history">' in practice
    for label in ("开始时间", "类型", "题量", "成绩"):
        assert practice.count(f'data-label="{label}"') == 1
