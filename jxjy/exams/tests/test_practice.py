"""在线练习 (unlimited, not counted) and the 错题本."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from jxjy.catalog.models import Question
from jxjy.credits.models import CreditEntry
from jxjy.exams import services
from jxjy.exams.models import Practice, WrongQuestion

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def start(client, enrollment, **data):
    response = client.post(reverse("exams:practice", args=[enrollment.pk]), data)
    assert response.status_code == 302
    match = re.search(r"/practice/(\d+)/$", response["Location"])
    return Practice.objects.get(pk=int(match.group(1))) if match else None


def test_sizes_are_10_20_and_all_when_fewer_than_50(ready):
    assert services.practice_sizes(ready) == [10, 20, 24]
    course = Question.objects.first().course
    Question.objects.filter(pk__in=list(course.questions.values_list("pk", flat=True)[:10])).delete()
    assert services.practice_sizes(ready) == [10, 14]
    from .conftest import make_bank

    make_bank(course, singles=40)
    assert services.practice_sizes(ready) == [10, 20, 50]


def reveal(client, practice, question_id, **headers):
    url = reverse("exams:practice_reveal", args=[practice.enrollment_id, practice.pk, question_id])
    return client.post(url, headers=headers or {"Accept": "application/json"})


def test_a_practice_page_carries_no_answer_until_one_is_asked_for(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    assert practice.total == 10 and len(set(practice.questions)) == 10 and not practice.show_answers
    url = reverse("exams:practice_detail", args=[ready.pk, practice.pk])
    page = client.get(url).content.decode()
    assert page.count("data-reveal") == 10 and "SECRET-EXPLANATION" not in page and "正确答案" not in page
    first, second = Question.objects.get(pk=practice.questions[0]), Question.objects.get(pk=practice.questions[1])
    reply = reveal(client, practice, first.pk)
    assert reply.json() == {"question": first.pk, "answer": first.answer, "explanation": first.explanation}
    practice.refresh_from_db()
    assert practice.revealed == [first.pk]  # recorded
    page = client.get(url).content.decode()
    assert first.explanation in page and page.count("SECRET-EXPLANATION") == 1 and page.count("data-reveal") == 9
    assert f"{second.explanation}<" not in page


def test_show_answers_without_script_keeps_the_answers_given(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    first, second = practice.questions[:2]
    url = reverse("exams:practice_reveal", args=[ready.pk, practice.pk, second])
    response = client.post(url, {f"q{first}": ["B"]})  # the paper's form, posted by the 显示答案 button
    assert response.status_code == 302 and response["Location"].endswith(f"/practice/{practice.pk}/#q-2")
    practice.refresh_from_db()
    assert practice.revealed == [second] and practice.answers == {str(first): "B"} and not practice.submitted_at
    page = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert f'name="q{first}" value="B" checked' in page
    assert Question.objects.get(pk=second).explanation in page and page.count("SECRET-EXPLANATION") == 1


def test_show_answers_chosen_before_starting_shows_them_then_submitted(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10, show_answers="1")
    assert practice.show_answers and practice.revealed == practice.questions
    page = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    questions = Question.objects.in_bulk(practice.questions)
    assert all(q.explanation in page for q in questions.values()) and "data-reveal" not in page
    form = {f"q{pk}": list(questions[pk].answer) for pk in practice.questions[:7]}  # 7 right, 3 blank
    client.post(reverse("exams:practice_detail", args=[ready.pk, practice.pk]), form)
    practice.refresh_from_db()
    assert (practice.correct, practice.score) == (7, 70)
    review = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert "70" in review and all(q.explanation in review for q in questions.values())
    assert set(WrongQuestion.objects.values_list("question_id", flat=True)) == set(practice.questions[7:])
    assert not CreditEntry.objects.filter(source_id__startswith="practice").exists()


def test_the_review_after_submitting_shows_every_answer(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    client.post(reverse("exams:practice_detail", args=[ready.pk, practice.pk]), {})
    review = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert all(q.explanation in review for q in Question.objects.filter(pk__in=practice.questions))
    assert review.count("正确答案") == 10
    assert reveal(client, practice, practice.questions[0]).status_code == 409  # the page has them all already


def test_show_answers_only_for_this_learners_own_practice_questions(ready, alice, bob):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    outside = Question.objects.exclude(pk__in=practice.questions).first()
    assert reveal(client, practice, outside.pk).status_code == 404
    assert reveal(client_for(bob), practice, practice.questions[0]).status_code == 404
    assert client.get(reverse("exams:practice_reveal", args=[ready.pk, practice.pk, outside.pk])).status_code == 405
    practice.refresh_from_db()
    assert practice.revealed == []


def test_a_submitted_practice_is_not_graded_again(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    url = reverse("exams:practice_detail", args=[ready.pk, practice.pk])
    client.post(url, {})
    everything_right = {f"q{q.pk}": list(q.answer) for q in Question.objects.filter(pk__in=practice.questions)}
    client.post(url, everything_right)
    practice.refresh_from_db()
    assert practice.correct == 0


def test_history_lists_past_practices_newest_first(ready, alice):
    client = client_for(alice)
    with freeze_time("2026-11-02 09:00"):
        first = start(client, ready, size=10)
    with freeze_time("2026-11-02 10:00"):
        second = start(client, ready, size=20)
        page = client.get(reverse("exams:practice", args=[ready.pk])).content.decode()
    assert page.index(f"/practice/{second.pk}/") < page.index(f"/practice/{first.pk}/")


def test_a_size_not_offered_is_refused(ready, alice):
    client = client_for(alice)
    for size in ("7", "999", "x", ""):
        response = client.post(reverse("exams:practice", args=[ready.pk]), {"size": size}, follow=True)
        assert "请选择题量" in response.content.decode()
    assert not Practice.objects.exists()


def test_the_wrong_book_practice_removes_what_is_answered_right(ready, alice):
    questions = list(services.question_pool(ready)[:3])
    for q in questions:
        services.record_wrong(alice, q.pk, "practice")
    services.record_wrong(alice, questions[0].pk, "exam")
    assert WrongQuestion.objects.get(question=questions[0]).wrong_count == 2
    client = client_for(alice)
    book = client.get(reverse("exams:wrong_book", args=[ready.pk])).content.decode()
    assert all(q.text in book for q in questions)
    practice = start(client, ready, wrong_book="1")
    assert sorted(practice.questions) == sorted(q.pk for q in questions)
    form = {f"q{questions[0].pk}": list(questions[0].answer), f"q{questions[1].pk}": ["C"]}
    client.post(reverse("exams:practice_detail", args=[ready.pk, practice.pk]), form)
    assert set(WrongQuestion.objects.values_list("question_id", flat=True)) == {questions[1].pk, questions[2].pk}


def test_an_empty_wrong_book_says_so(ready, alice):
    response = client_for(alice).post(reverse("exams:practice", args=[ready.pk]), {"wrong_book": "1"}, follow=True)
    assert "错题本是空的" in response.content.decode()


def test_a_wrong_popup_answer_goes_into_the_wrong_book(ready, alice):
    from jxjy.catalog.models import Chapter, Courseware
    from jxjy.learning.models import Checkpoint, CoursewareProgress

    course = Question.objects.first().course
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware.objects.create(chapter=chapter, title="1.1", video="x.mp4", duration=300)
    progress = CoursewareProgress.objects.create(enrollment=ready, courseware=courseware)
    question = Question.objects.filter(course=course, kind="single").first()
    checkpoint = Checkpoint.objects.create(progress=progress, position=60, question=question)
    client = client_for(alice)
    client.post(reverse("learning:checkpoint_answer", args=[checkpoint.pk]), {"answer": "B"})
    entry = WrongQuestion.objects.get(user=alice)
    assert entry.question == question and entry.source == "popup"


def test_someone_elses_practice_is_not_found(ready, alice, bob):
    practice = start(client_for(alice), ready, size=10)
    stranger = client_for(bob)
    assert stranger.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).status_code == 404
    assert stranger.get(reverse("exams:practice", args=[ready.pk])).status_code == 404


def test_practice_pages_have_a_bounded_number_of_queries(ready, alice, django_assert_max_num_queries):
    client = client_for(alice)
    practice = start(client, ready, size=20)
    with django_assert_max_num_queries(12):
        client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse("exams:practice", args=[ready.pk]))


def open_exam(user, training_class):
    """`user` sits the exam of another class (any class closes practice everywhere)."""
    from jxjy.exams.models import ExamAttempt

    from .conftest import enroll

    other = enroll(user, training_class)
    client_for(user).post(reverse("exams:enter", args=[other.pk]))
    return ExamAttempt.objects.get(enrollment=other, status="started")


def test_practice_is_refused_while_an_exam_is_open_in_any_class(ready, alice, catalog):
    client = client_for(alice)
    shown = start(client, ready, size=10, show_answers="1")
    services.record_wrong(alice, shown.questions[0], "practice")
    attempt = open_exam(alice, catalog[(2025, "L4")])
    exam_url = reverse("exams:attempt", args=[attempt.enrollment_id, attempt.pk])
    home = client.get(reverse("exams:practice", args=[ready.pk])).content.decode()
    assert "考试期间不能做练习" in home and exam_url in home  # said before trying
    assert 'name="size"' not in home and "练习错题</button>" not in home
    for data in ({"size": 10}, {"wrong_book": "1"}, {"size": 10, "show_answers": "1"}):
        refused = client.post(reverse("exams:practice", args=[ready.pk]), data, follow=True).content.decode()
        assert "您正在考试，交卷后才能做练习" in refused and exam_url in refused
    assert Practice.objects.count() == 1
    detail = reverse("exams:practice_detail", args=[ready.pk, shown.pk])
    wrong_book = reverse("exams:wrong_book", args=[ready.pk])
    for url in (detail, wrong_book, f"{wrong_book}?answers=1"):
        page = client.get(url, follow=True)
        assert page.redirect_chain == [(reverse("exams:practice", args=[ready.pk]), 302)]
        text = page.content.decode()
        assert "您正在考试" in text and exam_url in text and "返回考试" in text and "SECRET-EXPLANATION" not in text
    reply = reveal(client, shown, shown.questions[0])
    assert reply.status_code == 409 and reply.json()["exam"] == exam_url and "answer" not in reply.json()
    assert "SECRET-EXPLANATION" not in reveal(client, shown, shown.questions[0], Accept="text/html").content.decode()
    assert client.post(detail, {}).status_code == 302
    shown.refresh_from_db()
    assert shown.submitted_at is None and shown.revealed == shown.questions
    client.post(reverse("exams:submit", args=[attempt.enrollment_id, attempt.pk]))  # 交卷: practice opens again
    assert client.get(reverse("exams:practice_detail", args=[ready.pk, shown.pk])).status_code == 200
    assert start(client, ready, size=10) is not None


def test_exam_only_questions_never_reach_practice_or_the_wrong_book(ready, alice):
    kept = list(services.question_pool(ready).values_list("pk", flat=True)[:10])
    Question.objects.filter(pk__in=kept).update(exam_only=True)
    assert services.practice_sizes(ready) == [10, 14]
    client = client_for(alice)
    for _ in range(5):
        practice = start(client, ready, size=14)
        assert not set(practice.questions) & set(kept)
    for pk in kept[:3]:
        services.record_wrong(alice, pk, "exam")  # a wrong answer in an exam
    services.record_wrong(alice, practice.questions[0], "practice")
    book = client.get(reverse("exams:wrong_book", args=[ready.pk]), {"answers": "1"}).content.decode()
    assert "错题本（1 题）" in book
    assert all(Question.objects.get(pk=pk).text + "<" not in book for pk in kept)
    drill = start(client, ready, wrong_book="1")
    assert drill.questions == [practice.questions[0]]
    home = client.get(reverse("exams:practice", args=[ready.pk])).content.decode()
    assert "共 <strong>1</strong> 题" in home


def test_a_question_marked_exam_only_after_it_was_drawn_leaves_the_practice(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    marked = Question.objects.get(pk=practice.questions[0])
    Question.objects.filter(pk=marked.pk).update(exam_only=True)
    page = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert f" {marked.text}</legend>" not in page and page.count("data-reveal") == 9
    assert reveal(client, practice, marked.pk).status_code == 404
    client.post(reverse("exams:practice_detail", args=[ready.pk, practice.pk]), {f"q{marked.pk}": list(marked.answer)})
    review = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert f"解析：{marked.explanation}<" not in review and not WrongQuestion.objects.filter(question=marked).exists()


def test_exam_only_questions_are_never_popups(ready, alice, settings):
    from jxjy.catalog.models import Chapter, Courseware
    from jxjy.learning.models import Checkpoint

    settings.CHECKPOINTS_PER_COURSEWARE = (3, 3)
    course = Question.objects.first().course
    Question.objects.filter(course=course).exclude(pk=Question.objects.filter(course=course).first().pk).update(
        exam_only=True  # for_popup stays 是: 仅用于考试 wins
    )
    chapter = Chapter.objects.create(course=course, title="第一章")
    client = client_for(alice)
    for n in range(4):
        courseware = Courseware.objects.create(chapter=chapter, title=f"1.{n}", video="x.mp4", duration=300)
        client.post(reverse("learning:playback_start", args=[ready.pk, courseware.pk]))
    drawn = set(Checkpoint.objects.values_list("question__exam_only", flat=True))
    assert Checkpoint.objects.count() == 4 and drawn == {False}
