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


def test_practice_with_answers_shown_then_submitted(ready, alice):
    client = client_for(alice)
    practice = start(client, ready, size=10)
    assert practice.total == 10 and len(set(practice.questions)) == 10
    page = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert "显示答案" in page and "隐藏答案" in page and page.count('class="practice-answer"') == 10
    questions = Question.objects.in_bulk(practice.questions)
    form = {f"q{pk}": list(questions[pk].answer) for pk in practice.questions[:7]}  # 7 right, 3 blank
    client.post(reverse("exams:practice_detail", args=[ready.pk, practice.pk]), form)
    practice.refresh_from_db()
    assert (practice.correct, practice.score) == (7, 70)
    review = client.get(reverse("exams:practice_detail", args=[ready.pk, practice.pk])).content.decode()
    assert "70" in review and "SECRET-EXPLANATION" in review
    assert set(WrongQuestion.objects.values_list("question_id", flat=True)) == set(practice.questions[7:])
    assert not CreditEntry.objects.filter(source_id__startswith="practice").exists()


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
