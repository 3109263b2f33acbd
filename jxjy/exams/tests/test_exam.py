"""在线考试: the server owns the paper, the clock and the attempt count; answers are never lost, never leak."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.exams import services
from jxjy.exams.models import AttemptStatus, ExamAnswer, ExamAttempt, WrongQuestion
from jxjy.exams.tasks import close_overdue_attempts
from jxjy.learning.models import Enrollment, EnrollmentStatus

from .conftest import enroll

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def enter(client, enrollment):
    response = client.post(reverse("exams:enter", args=[enrollment.pk]))
    assert response.status_code == 302
    match = re.search(r"/exam/(\d+)/$", response["Location"])
    assert match, response["Location"]
    return ExamAttempt.objects.get(pk=int(match.group(1)))


def answer(client, attempt, question_id, letters):
    url = reverse("exams:answer", args=[attempt.enrollment_id, attempt.pk])
    return client.post(url, {"question": question_id, "answer": list(letters)})


def shown_right_answer(attempt, entry):
    """The letters that are right on this paper (the bank's answer is always A / AB, options shuffled)."""
    from jxjy.catalog.models import Question

    return services.to_shown(entry, Question.objects.get(pk=entry["q"]).answer)


def answer_all(client, attempt, right=True, count=None):
    for entry in attempt.paper[:count]:
        letters = shown_right_answer(attempt, entry)
        if not right:
            letters = next(c for c in "ABCD"[: len(entry["o"])] if c not in letters)
        assert answer(client, attempt, entry["q"], letters).json() == {"saved": True}


def wait(client, clock, delta):
    """Let time pass while the learner stays active (the idle timeout would sign out a silent one)."""
    step = timedelta(minutes=10)
    while delta > step:
        clock.tick(step)
        delta -= step
        assert client.get(reverse("learning:center")).status_code == 200
    clock.tick(delta)


def submit(client, attempt):
    return client.post(reverse("exams:submit", args=[attempt.enrollment_id, attempt.pk]))


def test_the_paper_follows_the_class_rule_and_is_drawn_per_attempt(ready, alice):
    client = client_for(alice)
    first = enter(client, ready)
    kinds = [services.question_pool(ready).get(pk=e["q"]).kind for e in first.paper]
    assert (kinds.count("single"), kinds.count("multiple"), kinds.count("judge")) == (10, 5, 5)
    assert first.deadline - first.started_at == timedelta(minutes=30)
    submit(client, first)
    second = enter(client, ready)
    assert second.number == 2
    assert [e["q"] for e in first.paper] != [e["q"] for e in second.paper] or [e["o"] for e in first.paper] != [
        e["o"] for e in second.paper
    ]


def test_req_45_the_exam_payload_has_no_answers_before_submitting(ready, alice):
    """The paper, the saved-answer reply and the confirmation: no 正确答案, no 解析 (every page of the exam, and
    with answers swapped, is proven in test_no_answers_before_submission.py)."""
    client = client_for(alice)
    attempt = enter(client, ready)
    page = client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk])).content.decode()
    saved = answer(client, attempt, attempt.paper[0]["q"], "A")
    assert "SECRET-EXPLANATION" not in page and "正确答案" not in page
    assert set(saved.json()) == {"saved"}
    confirm = client.get(reverse("exams:submit", args=[ready.pk, attempt.pk])).content.decode()
    assert "SECRET-EXPLANATION" not in confirm
    submit(client, attempt)
    review = client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk])).content.decode()
    assert "SECRET-EXPLANATION" in review and "正确答案" in review


def test_a_reload_keeps_every_answer(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, count=6)
    again = enter(client, ready)  # 进入 again (a reload, a crash): the same attempt
    assert again.pk == attempt.pk
    page = client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk])).content.decode()
    for entry in attempt.paper[:6]:
        for letter in shown_right_answer(attempt, entry):
            assert re.search(rf'name="q{entry["q"]}" value="{letter}" checked', page)
    assert page.count(" checked") == sum(len(shown_right_answer(attempt, e)) for e in attempt.paper[:6])


def test_answers_map_back_through_the_shuffled_options(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt)
    submit(client, attempt)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.passed) == (AttemptStatus.GRADED, 100, True)
    assert set(ExamAnswer.objects.filter(attempt=attempt).values_list("given", flat=True)) == {"A", "AB"}


def test_req_45_an_answer_after_deadline_plus_30_s_is_refused(ready, alice):
    with freeze_time("2026-11-02 09:00:00") as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        wait(client, clock, timedelta(minutes=30, seconds=20))  # within the 30 s grace
        assert answer(client, attempt, attempt.paper[0]["q"], "A").status_code == 200
        clock.tick(timedelta(seconds=15))  # past it
        late = answer(client, attempt, attempt.paper[1]["q"], "A")
        assert late.status_code == 409 and "时间已到" in late.json()["error"]
    assert ExamAnswer.objects.filter(attempt=attempt).count() == 1


def test_req_45_a_submission_after_deadline_plus_30_s_is_refused(ready, alice):
    """The late 交卷 form's answers are not taken: the paper is graded as at the deadline, with what was saved."""
    with freeze_time("2026-11-02 09:00:00") as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=12)
        wait(client, clock, timedelta(minutes=31))
        late_form = {f"q{e['q']}": shown_right_answer(attempt, e) for e in attempt.paper}
        late_form["action"] = "submit"
        client.post(reverse("exams:save", args=[ready.pk, attempt.pk]), late_form)
        submit(client, attempt)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.auto_submitted
    assert attempt.correct == 12 and attempt.score == 60
    assert attempt.submitted_at == attempt.deadline


def test_automatic_submission_at_the_deadline(ready, alice):
    """…once the 30 s grace for an open page is over too (test_grace.py has the seconds around it)."""
    with freeze_time("2026-11-02 09:00:00") as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=15)
        clock.tick(timedelta(minutes=30, seconds=31))
        assert close_overdue_attempts.apply().get() == 1
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.auto_submitted and attempt.score == 75


def test_an_overdue_attempt_is_graded_when_the_learner_comes_back(ready, alice):
    with freeze_time("2026-11-02 09:00:00") as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        answer_all(client, attempt, count=20)
        wait(client, clock, timedelta(hours=2))  # no beat worker ran: opening the page closes it
        page = client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk]))
    assert "成绩" in page.content.decode()
    attempt.refresh_from_db()
    assert attempt.score == 100


def test_attempts_are_limited_and_the_best_score_counts(ready, alice):
    client = client_for(alice)
    scores = []
    for count in (20, 8, 14):  # 100, 40, 70
        attempt = enter(client, ready)
        answer_all(client, attempt, count=count)
        submit(client, attempt)
        attempt.refresh_from_db()
        scores.append(attempt.score)
    assert scores == [100, 40, 70]
    refused = client.post(reverse("exams:enter", args=[ready.pk]), follow=True)
    assert "考试次数已用完" in refused.content.decode()
    assert ExamAttempt.objects.filter(enrollment=ready).count() == 3
    summary = services.exam_summary(ready)
    assert (summary["best"], summary["passed"], summary["used"], summary["max"]) == (100, True, 3, 3)


def test_the_attempt_limit_and_pass_mark_are_configurable(ready, alice):
    training_class = ready.training_class
    training_class.exam_max_attempts, training_class.exam_pass_score = 1, 80
    training_class.save()
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, count=15)
    submit(client, attempt)
    attempt.refresh_from_db()
    assert attempt.score == 75 and not attempt.passed
    assert "考试次数已用完" in client.post(reverse("exams:enter", args=[ready.pk]), follow=True).content.decode()


def test_passing_completes_the_class_and_failing_does_not(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, count=11)  # 55
    submit(client, attempt)
    assert Enrollment.objects.get(pk=ready.pk).status == EnrollmentStatus.LEARNING
    attempt = enter(client, ready)
    answer_all(client, attempt, count=12)  # 60: the pass mark itself passes
    submit(client, attempt)
    attempt.refresh_from_db()
    assert attempt.score == 60 and attempt.passed
    assert Enrollment.objects.get(pk=ready.pk).status == EnrollmentStatus.COMPLETED


def test_wrong_exam_answers_go_into_the_wrong_book(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, right=False, count=3)
    submit(client, attempt)
    assert WrongQuestion.objects.filter(user=alice).count() == 20  # 3 wrong and 17 unanswered


def test_the_exam_is_refused_below_100_percent(alice, catalog):
    enrollment = enroll(alice, catalog[(2026, "L4")], complete=False)
    client = client_for(alice)
    page = client.get(reverse("exams:exam", args=[enrollment.pk])).content.decode()
    assert "学习进度达到 100% 后才能参加考试，现在 0%" in page and "公共课还差 16 学时" in page
    refused = client.post(reverse("exams:enter", args=[enrollment.pk]), follow=True)
    assert "班级进度达到 100%" in refused.content.decode()
    assert not ExamAttempt.objects.exists()


def test_start_time_and_attempt_number_never_come_from_the_client(ready, alice):
    client = client_for(alice)
    client.post(reverse("exams:enter", args=[ready.pk]), {"number": 0, "started_at": "2020-01-01", "deadline": "x"})
    attempt = ExamAttempt.objects.get()
    assert attempt.number == 1 and timezone.now() - attempt.started_at < timedelta(minutes=1)


def test_double_submission_grades_once(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt)
    submit(client, attempt)
    submit(client, attempt)
    assert ExamAttempt.objects.get().score == 100
    from jxjy.audit.models import AuditRecord, Event

    assert AuditRecord.objects.filter(event=Event.EXAM_SUBMIT).count() == 1


def test_a_submitted_paper_takes_no_more_answers(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    submit(client, attempt)
    assert answer(client, attempt, attempt.paper[0]["q"], "A").status_code == 409
    assert not ExamAnswer.objects.exists()


def test_bad_answers_are_refused_with_a_message(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    foreign = answer(client, attempt, 999999, "A")
    assert foreign.status_code == 404 and foreign.json()["error"] == "题目不在本试卷中。"
    out_of_range = answer(client, attempt, attempt.paper[0]["q"], "Z")
    assert out_of_range.status_code == 400 and out_of_range.json()["error"] == "答案无效。"
    assert answer(client, attempt, "x", "A").status_code == 400
    assert not ExamAnswer.objects.exists()


def test_someone_else_cannot_see_or_answer_an_attempt(ready, alice, bob):
    attempt = enter(client_for(alice), ready)
    stranger = client_for(bob)
    assert stranger.get(reverse("exams:attempt", args=[ready.pk, attempt.pk])).status_code == 404
    assert answer(stranger, attempt, attempt.paper[0]["q"], "A").status_code == 404
    assert stranger.post(reverse("exams:enter", args=[ready.pk])).status_code == 404


def test_the_confirmation_lists_unanswered_questions(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, count=18)
    page = client.get(reverse("exams:submit", args=[ready.pk, attempt.pk])).content.decode()
    assert "还有 <strong>2</strong> 题未作答：第 19、20 题" in page


def test_exam_pages_have_a_bounded_number_of_queries(ready, alice, django_assert_max_num_queries):
    client = client_for(alice)
    attempt = enter(client, ready)
    answer_all(client, attempt, count=10)
    with django_assert_max_num_queries(14):
        client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk]))
    with django_assert_max_num_queries(8):
        answer(client, attempt, attempt.paper[0]["q"], "B")
    submit(client, attempt)
    with django_assert_max_num_queries(14):
        client.get(reverse("exams:attempt", args=[ready.pk, attempt.pk]))
    with django_assert_max_num_queries(18):
        client.get(reverse("exams:exam", args=[ready.pk]))


def test_req_45_the_grace_is_exactly_30_seconds(ready, alice, settings):
    assert settings.EXAM_GRACE_SECONDS == 30
    with freeze_time("2026-11-02 09:00:00") as clock:
        client = client_for(alice)
        attempt = enter(client, ready)
        wait(client, clock, timedelta(minutes=30, seconds=30))
        assert answer(client, attempt, attempt.paper[0]["q"], "A").status_code == 200  # deadline + 30 s: taken
        clock.tick(timedelta(seconds=1))
        assert answer(client, attempt, attempt.paper[1]["q"], "A").status_code == 409  # + 31 s: refused
        submit(client, attempt)
    attempt.refresh_from_db()
    assert attempt.auto_submitted and attempt.submitted_at == attempt.deadline
    assert list(ExamAnswer.objects.filter(attempt=attempt).values_list("question_id", flat=True)) == [
        attempt.paper[0]["q"]
    ]


def test_req_45_a_second_attempt_is_refused_while_one_is_open(ready, alice, catalog):
    """进入 again resumes the open paper; the exam of another class waits until it is handed in."""
    client = client_for(alice)
    attempt = enter(client, ready)
    assert enter(client, ready).pk == attempt.pk
    other = enroll(alice, catalog[(2025, "L4")])
    page = client.get(reverse("exams:exam", args=[other.pk])).content.decode()
    assert "同一时间只能参加一场考试" in page
    refused = client.post(reverse("exams:enter", args=[other.pk]), follow=True)
    assert "另一个班级的考试没有交卷" in refused.content.decode()
    assert ExamAttempt.objects.count() == 1
    submit(client, attempt)
    assert enter(client, other).enrollment_id == other.pk


def test_a_past_paper_shows_its_answers_only_while_no_other_paper_is_open(ready, alice):
    client = client_for(alice)
    first = enter(client, ready)
    submit(client, first)
    review = reverse("exams:attempt", args=[ready.pk, first.pk])
    assert "SECRET-EXPLANATION" in client.get(review).content.decode()
    second = enter(client, ready)
    refused = client.get(review, follow=True)
    assert refused.redirect_chain == [(reverse("exams:exam", args=[ready.pk]), 302)]
    assert "交卷后才能查看以往试卷的答案" in refused.content.decode()
    assert "SECRET-EXPLANATION" not in refused.content.decode()
    assert reverse("exams:attempt", args=[ready.pk, second.pk]) in refused.content.decode()  # 继续考试
    submit(client, second)
    assert "SECRET-EXPLANATION" in client.get(review).content.decode()


def kinds_and_exam_only(attempt):
    from jxjy.catalog.models import Question

    questions = Question.objects.in_bulk([e["q"] for e in attempt.paper])
    return [(questions[e["q"]].kind, questions[e["q"]].exam_only) for e in attempt.paper]


def test_the_paper_takes_the_exam_only_questions_first(ready, alice):
    """10 单选, 5 多选, 5 判断 from a bank with enough 仅用于考试 questions of each type: only those."""
    from jxjy.catalog.models import Question

    from .conftest import make_bank

    course = Question.objects.first().course
    make_bank(course, singles=10, multiples=5, judges=5)
    kept = Question.objects.filter(course=course).order_by("-pk")[:20]
    Question.objects.filter(pk__in=list(kept.values_list("pk", flat=True))).update(exam_only=True)
    client = client_for(alice)
    for _ in range(3):
        attempt = enter(client, ready)
        assert all(exam_only for _, exam_only in kinds_and_exam_only(attempt))
        submit(client, attempt)


def test_the_paper_falls_back_to_the_rest_when_too_few_are_exam_only(ready, alice):
    from jxjy.catalog.models import Question

    singles = list(Question.objects.filter(kind="single").values_list("pk", flat=True)[:4])
    Question.objects.filter(pk__in=singles).update(exam_only=True)  # 4 of the 10 单选 needed; no 多选 / 判断
    attempt = enter(client_for(alice), ready)
    drawn = kinds_and_exam_only(attempt)
    assert [kind for kind, _ in drawn].count("single") == 10 and len(drawn) == 20
    assert sorted(e["q"] for e in attempt.paper if e["q"] in singles) == sorted(singles)  # every one of them
    assert sum(exam_only for _, exam_only in drawn) == 4
