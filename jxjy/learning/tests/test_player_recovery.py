"""The player never leaves a learner stuck (issue 15, item 2), through the HTTP layer: its JSON endpoints answer a
signed-out script with a JSON 401 (never the login page's HTML), a pop-up question's 解析 (or a hint) may be asked
for only after the second wrong answer to it (and not while an exam is open), the player page links to 下一节, and
重新登录 comes back to the same courseware and position."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import staff_client
from jxjy.accounts.tests.helpers import login
from jxjy.catalog.models import Category, Chapter, Course, Courseware, Question
from jxjy.learning.models import Checkpoint, CourseSelection, CoursewareProgress

pytestmark = pytest.mark.django_db
JSON = {"Accept": "application/json"}
EXPLANATION = "节能的目的是降低能耗、提高能源利用效率。"


def answer_url(checkpoint):
    return reverse("learning:checkpoint_answer", args=[checkpoint.pk])


def start_url(setup):
    return reverse("learning:playback_start", args=[setup["enrollment"].pk, setup["courseware"].pk])


def player_url(setup, courseware=None):
    return reverse("learning:player", args=[setup["enrollment"].pk, (courseware or setup["courseware"]).pk])


def make_checkpoint(setup, *, kind="single", options=("降低能耗", "增加开支"), answer="A", explanation=EXPLANATION):
    question = Question.objects.create(
        course=setup["course"],
        kind=kind,
        text="公共机构开展节能工作的主要目的是什么？",
        options=list(options),
        answer=answer,
        explanation=explanation,
    )
    progress, _ = CoursewareProgress.objects.get_or_create(
        enrollment=setup["enrollment"], courseware=setup["courseware"]
    )
    return Checkpoint.objects.create(progress=progress, position=30.0, question=question)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


# --- A signed-out script gets a JSON 401 ----------------------------------------------------------------------


def test_signed_out_answer_and_start_get_json_401(setup):
    checkpoint = make_checkpoint(setup)
    client = Client()
    for url in (answer_url(checkpoint), start_url(setup)):
        response = client.post(url, {"answer": "A"}, headers=JSON)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": "登录已过期，请重新登录。"}
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is None and checkpoint.wrong_answers == []
    # A page (no JSON asked for) is still sent to the login page.
    response = client.get(player_url(setup))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_answer_after_the_idle_sign_out_gets_json_401_every_time(client, setup):
    """The real case: the learner sat on the question for more than 30 minutes. The request that finds the session
    idle is answered by the timeout middleware; every one after it (the session is gone) by learner_required."""
    checkpoint = make_checkpoint(setup)
    start = timezone.now()
    with freeze_time(start):
        login(client, setup["user"].id_number)
        assert client.post(start_url(setup), headers=JSON).status_code == 200
    with freeze_time(start + timedelta(minutes=31)):
        for _ in range(2):
            response = client.post(answer_url(checkpoint), {"answer": "A"}, headers=JSON)
            assert response.status_code == 401
            assert "登录已过期" in response.json()["error"]
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is None


def test_staff_asking_for_json_gets_403_not_the_back_office(setup, province_admin):
    checkpoint = make_checkpoint(setup)
    client = staff_client(province_admin)
    response = client.post(answer_url(checkpoint), {"answer": "A"}, headers=JSON)
    assert response.status_code == 403
    assert response.json()["error"]
    assert client.post(answer_url(checkpoint), {"answer": "A"}).status_code == 302  # a page: to the back office


# --- 看解析 after the second wrong answer -----------------------------------------------------------------------


def ask_help(client, checkpoint):
    return client.post(answer_url(checkpoint), {"help": "1"}, headers=JSON)


def test_explanation_only_when_asked_after_the_second_wrong_answer(setup):
    checkpoint = make_checkpoint(setup)
    client = signed_in(setup["user"])
    refused = ask_help(client, checkpoint)
    assert refused.status_code == 403 and EXPLANATION not in refused.content.decode()

    first = client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
    assert first.status_code == 200
    assert first.json() == {"correct": False, "message": "回答不正确，请再想一想。"}  # no help, no key, no 解析
    refused = ask_help(client, checkpoint)
    assert refused.status_code == 403
    assert refused.json() == {"error": "答错两次后才能看解析，请先再想一想。"}

    second = client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
    assert second.json() == first.json()  # a wrong answer's reply never carries the 解析 itself
    helped = ask_help(client, checkpoint)
    assert helped.status_code == 200
    assert helped.json() == {"help": {"label": "解析", "text": EXPLANATION}}

    right = client.post(answer_url(checkpoint), {"answer": "A"}, headers=JSON).json()
    assert right["correct"] is True and "help" not in right
    checkpoint.refresh_from_db()
    assert [wrong["answer"] for wrong in checkpoint.wrong_answers] == ["B", "B"]  # asking is not answering
    assert checkpoint.answered_at is not None


@pytest.mark.parametrize(
    ("kind", "options", "answer", "hint"),
    [
        ("single", ("降低能耗", "增加开支", "扩大用地"), "A", "本题只有一个正确答案。"),
        ("multiple", ("降低能耗", "增加开支", "提高效率"), "AC", "本题有 2 个正确答案，请把它们都选上。"),
        ("judge", ("正确", "错误"), "A", "再判断这句话对不对"),
    ],
)
def test_a_question_without_explanation_gives_a_hint_never_the_key(setup, kind, options, answer, hint):
    checkpoint = make_checkpoint(setup, kind=kind, options=options, answer=answer, explanation="")
    client = signed_in(setup["user"])
    for _ in range(2):
        client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
    reply = ask_help(client, checkpoint).json()
    assert reply["help"]["label"] == "提示"
    assert hint in reply["help"]["text"]
    assert not re.search(r"[A-Z]", json.dumps(reply["help"], ensure_ascii=False))  # no option letter in it


def test_wrong_answers_count_per_checkpoint(setup):
    """One wrong answer to each of two questions is not two wrong answers to either."""
    first = make_checkpoint(setup)
    second = make_checkpoint(setup)
    client = signed_in(setup["user"])
    for checkpoint in (first, second):
        client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
    for checkpoint in (first, second):
        assert ask_help(client, checkpoint).status_code == 403


def test_no_explanation_while_an_exam_is_open(setup):
    """Like practice's 显示答案: while the learner sits an exam, no page shows an answer."""
    from jxjy.exams.models import ExamAttempt

    checkpoint = make_checkpoint(setup)
    client = signed_in(setup["user"])
    for _ in range(2):
        client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        enrollment=setup["enrollment"], user=setup["user"], number=1, started_at=now, deadline=now + timedelta(hours=1)
    )
    refused = ask_help(client, checkpoint)
    assert refused.status_code == 403
    assert refused.json() == {"error": "您正在考试，交卷后才能看解析。"}
    attempt.delete()
    assert ask_help(client, checkpoint).json()["help"]["text"] == EXPLANATION


def test_another_learners_question_gives_nothing(setup, second):
    checkpoint = make_checkpoint(setup)
    client = signed_in(second["user"])
    for _ in range(2):
        response = client.post(answer_url(checkpoint), {"answer": "B"}, headers=JSON)
        assert response.status_code == 404
    checkpoint.wrong_answers = [{"answer": "B"}, {"answer": "B"}]
    checkpoint.save(update_fields=["wrong_answers"])
    response = ask_help(client, checkpoint)
    assert response.status_code == 404
    assert EXPLANATION not in response.content.decode()


# --- 下一节 ▶ -----------------------------------------------------------------------------------------------------


def add_course(setup, title, category, *titles):
    course = Course.objects.create(title=title, category=category, hours=Decimal("4"))
    setup["enrollment"].training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章")
    return course, [
        Courseware.objects.create(chapter=chapter, title=t, video="coursewares/x.mp4", duration=60.0, order=i)
        for i, t in enumerate(titles, 1)
    ]


def next_link(page):
    found = re.search(r'<a class="btn btn-large btn-block" href="([^"]+)">下一节 ▶</a>', page)
    return found and found.group(1)


def test_next_courseware_then_next_selected_course_then_back_to_the_class(setup):
    enrollment = setup["enrollment"]
    first_chapter = setup["courseware"].chapter
    # The public course: 1.1 (setup's), then 1.2; a later chapter (order 2) with 2.1, made first to test the order.
    later_chapter = Chapter.objects.create(course=setup["course"], title="第二章", order=2)
    two_one = Courseware.objects.create(chapter=later_chapter, title="2.1 实务", video="x.mp4", duration=60.0)
    one_two = Courseware.objects.create(chapter=first_chapter, title="1.2 案例", video="x.mp4", duration=60.0, order=2)
    elective, (elective_first, _) = add_course(setup, "健康生活", Category.ELECTIVE, "选修 1.1", "选修 1.2")
    professional, (professional_first,) = add_course(setup, "机关事务", Category.PROFESSIONAL, "专业 1.1")
    unselected, _ = add_course(setup, "未选的课", Category.PROFESSIONAL, "不应出现")
    CourseSelection.objects.create(enrollment=enrollment, course=elective)
    CourseSelection.objects.create(enrollment=enrollment, course=professional)
    client = signed_in(setup["user"])

    # Within the course, chapter by chapter; then the next selected course in 在线学习's order (公共, 专业, 选修).
    expected = [
        (setup["courseware"], one_two),
        (one_two, two_one),
        (two_one, professional_first),
        (professional_first, elective_first),
    ]
    for current, following in expected:
        page = client.get(player_url(setup, current)).content.decode()
        assert next_link(page) == player_url(setup, following), current.title
        assert "不应出现" not in page
    page = client.get(player_url(setup, two_one)).content.decode()
    assert "下一节：机关事务 · 专业 1.1" in page

    # The last courseware of the last course: back to the class's course list.
    last = Courseware.objects.filter(chapter__course=elective).order_by("order").last()
    page = client.get(player_url(setup, last)).content.decode()
    assert next_link(page) is None
    assert "这是最后一节了。" in page
    assert f'href="{reverse("learning:courses", args=[enrollment.pk])}">返回培训班课程</a>' in page


# --- 重新登录 comes back to the same courseware and position --------------------------------------------------


def test_sign_in_again_returns_to_the_courseware_at_the_position(client, setup):
    target = f"{player_url(setup)}?t=754"
    page = client.get(reverse("accounts:login"), {"next": target}).content.decode()
    assert f'name="next" value="{target}"' in page.replace("&amp;", "&").replace("&#x3F;", "?")
    response = login(client, setup["user"].id_number, next=target)
    assert response.status_code == 302
    assert response.url == target
    page = client.get(response.url).content.decode()
    assert 'data-resume-at="754.0"' in page


@pytest.mark.parametrize("value", ["abc", "-5", "1e9", "nan", "99999999"])
def test_a_bad_position_is_ignored(setup, value):
    client = signed_in(setup["user"])
    response = client.get(player_url(setup), {"t": value})
    assert response.status_code == 200
    assert "data-resume-at" not in response.content.decode()


def test_the_position_in_the_address_credits_nothing(setup):
    """`t` only tells the page where to seek: the playback session starts where the server says, and nothing is
    watched."""
    client = signed_in(setup["user"])
    client.get(player_url(setup), {"t": "250"})
    data = client.post(start_url(setup), headers=JSON).json()
    assert data["position"] == 0.0 and data["furthest"] == 0.0
    progress = CoursewareProgress.objects.get(enrollment=setup["enrollment"], courseware=setup["courseware"])
    assert progress.watched == 0.0
