"""Every number a request brings to the exam and practice pages is checked at the edge (issue 13): huge,
negative, NaN, words, lists, NUL bytes → 400 with a plain-Chinese message, never a 500, never a stored value.
Ids in the address that name nothing (huge ones included) are a 404."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from jxjy.exams.models import ExamAnswer, ExamAttempt, Practice

from .test_exam import client_for, enter

pytestmark = pytest.mark.django_db

HUGE = [str(2**63), str(2**64 + 1), "9" * 5000]  # past what an id column (bigint) can hold
NOT_NUMBERS = ["", "-1", "0", "NaN", "nan", "inf", "1e3", "abc", "1.0", "0x10", "١٢", "²", "\x00"]


def hostile_ids(real):
    """Values that must never be taken for the question `real`: the id dressed up, out of range, or not a number."""
    return [*HUGE, *NOT_NUMBERS, f"{real}\x00", f"\x00{real}", f"-{real}", f"{real}.0", f"{real}_0", f"{real}e0",
            f"0x{real:x}", [str(real), str(real)], [str(real), "x"]]  # fmt: skip


def has_nul(value):
    return any("\x00" in item for item in ([value] if isinstance(value, str) else value))


def assert_refused(reply, value, message):
    """400 with `message`; a value holding a NUL byte may be stopped before the view, by the site-wide input
    guard, with its own plain-Chinese words."""
    assert reply.status_code == 400, (repr(value)[:40], reply.status_code)
    text = reply.json()["error"] if reply["Content-Type"] == "application/json" else reply.content.decode()
    if has_nul(value):
        assert any("\u4e00" <= c <= "\u9fff" for c in text), text
    else:
        assert message in text, (repr(value)[:40], text[:200])


def post_answer(client, attempt, data):
    url = reverse("exams:answer", args=[attempt.enrollment_id, attempt.pk])
    return client.post(url, data, headers={"Accept": "application/json"})


def test_hostile_question_ids_are_refused(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    real = attempt.paper[0]["q"]
    for value in hostile_ids(real):
        assert_refused(post_answer(client, attempt, {"question": value, "answer": "A"}), value, "题目编号无效。")
    assert post_answer(client, attempt, {"answer": "A"}).status_code == 400  # missing
    not_on_paper = post_answer(client, attempt, {"question": str(2**31), "answer": "A"})  # a number, no such question
    assert not_on_paper.status_code == 404 and not_on_paper.json() == {"error": "题目不在本试卷中。"}
    assert not ExamAnswer.objects.exists()
    assert post_answer(client, attempt, {"question": str(real), "answer": "A"}).status_code == 200  # the plain one


def test_hostile_option_letters_are_refused(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    real = attempt.paper[0]["q"]
    for value in ["\x00", "A\x00", "AB", "1", "-1", "é", "Ａ", "A" * 100_000, list("ABCDEFGHIJKLMNOPQRSTUVWXYZA"), "Z"]:
        assert_refused(post_answer(client, attempt, {"question": real, "answer": value}), value, "答案无效。")
    assert not ExamAnswer.objects.exists()


def test_json_and_wrong_content_types_to_the_answer_endpoint_are_400(ready, alice):
    client = client_for(alice)
    attempt = enter(client, ready)
    url = reverse("exams:answer", args=[ready.pk, attempt.pk])
    body = json.dumps({"question": attempt.paper[0]["q"], "answer": ["A"]})
    for content_type in ("application/json", "text/plain", "application/octet-stream"):
        reply = client.post(url, body, content_type=content_type, headers={"Accept": "application/json"})
        assert reply.status_code == 400 and reply.json()["error"] == "题目编号无效。"
    assert not ExamAnswer.objects.exists()


def test_the_paper_form_refuses_hostile_letters_and_saves_nothing_of_it(ready, alice):
    """The paper's own form (no script): one bad value and the whole form is refused, said next to the paper."""
    client = client_for(alice)
    attempt = enter(client, ready)
    first, second = attempt.paper[0]["q"], attempt.paper[1]["q"]
    url = reverse("exams:save", args=[ready.pk, attempt.pk])
    reply = client.post(url, {f"q{first}": "A", f"q{second}": ["A", "BC"], "action": "save"}, follow=True)
    assert reply.status_code == 200 and "答案无效。" in reply.content.decode()
    assert not ExamAnswer.objects.exists()


def test_hostile_practice_sizes_are_400_and_start_nothing(ready, alice):
    client = client_for(alice)
    url = reverse("exams:practice", args=[ready.pk])
    for value in [*HUGE, *NOT_NUMBERS, str(2**31), "51", "10\x00", "10.0", "１０", ["10", "20"], ["10", "x"]]:
        assert_refused(client.post(url, {"size": value}), value, "请选择题量。")
    assert not Practice.objects.exists()
    assert client.post(url, {"size": "7"}).status_code == 302  # a number, but not a size offered: said so
    assert not Practice.objects.exists()
    assert client.post(url, {"size": "10"}).status_code == 302
    assert Practice.objects.get().total == 10


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
def test_huge_ids_in_the_address_are_404_not_500(ready, alice, huge):
    client = client_for(alice)
    attempt = enter(client, ready)
    practice = Practice.objects.create(enrollment=ready, user=alice, questions=[attempt.paper[0]["q"]])
    json_accept = {"Accept": "application/json"}
    for name, args, method in [
        ("exams:exam", [huge], "get"),
        ("exams:attempt", [ready.pk, huge], "get"),
        ("exams:attempt", [huge, attempt.pk], "get"),
        ("exams:answer", [ready.pk, huge], "post"),
        ("exams:submit", [ready.pk, huge], "post"),
        ("exams:save", [ready.pk, huge], "post"),
        ("exams:practice_detail", [ready.pk, huge], "get"),
        ("exams:practice_reveal", [ready.pk, practice.pk, huge], "post"),
    ]:
        reply = getattr(client, method)(reverse(name, args=args), {"question": "1"}, headers=json_accept)
        assert reply.status_code == 404, (name, args, reply.status_code)
    assert ExamAttempt.objects.get().status == "started" and not ExamAnswer.objects.exists()


def test_a_signed_out_script_gets_401_not_the_sign_in_page(ready, alice):
    """exam.js and practice.js say 您已退出登录 (the answers saved so far are kept) instead of taking the
    sign-in page, which fetch follows, for a saved answer."""
    attempt = enter(client_for(alice), ready)
    practice = Practice.objects.create(enrollment=ready, user=alice, questions=[attempt.paper[0]["q"]])
    anonymous = Client()
    json_accept = {"Accept": "application/json"}
    for url in (
        reverse("exams:answer", args=[ready.pk, attempt.pk]),
        reverse("exams:submit", args=[ready.pk, attempt.pk]),
        reverse("exams:practice_reveal", args=[ready.pk, practice.pk, attempt.paper[0]["q"]]),
    ):
        reply = anonymous.post(url, {"question": attempt.paper[0]["q"], "answer": "A"}, headers=json_accept)
        assert reply.status_code == 401 and "退出登录" in reply.json()["error"], url
        assert anonymous.post(url).status_code == 302  # a page (no script) still goes to 登录
    assert ExamAttempt.objects.get().status == "started" and not ExamAnswer.objects.exists()
