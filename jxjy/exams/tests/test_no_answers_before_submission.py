"""No correct answer and no 解析 reaches a learner before they asked for it or handed the paper in (issue 12,
item 5), proven by enumeration: every page and JSON reply of `exams` and `learning` a learner can reach is
fetched, and its URL name is ticked off against the apps' URL patterns.

How a leak is detected, so that no page passes by accident: each reply is fetched twice, then every question of
the bank gets other correct letters and another 解析, and it is fetched once more. A reply that does not depend
on the correct answers is the same all three times (the first two prove the comparison is stable); a reply that
shows, hints at, or encodes an answer in any way (a letter, a CSS class, a data attribute, a score computed
anew) changes. The 解析 are unique markers, looked for as well. The same detector is run on the pages that
must show answers (a practice with 显示答案, a submitted practice, a submitted exam) and must see them change,
so a broken detector fails the test too."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.catalog.models import Chapter, Courseware, Question
from jxjy.exams import services
from jxjy.exams import urls as exams_urls
from jxjy.exams.models import ExamAttempt, Practice
from jxjy.learning import urls as learning_urls
from jxjy.learning.models import Checkpoint, CoursewareProgress

pytestmark = pytest.mark.django_db
MARKER = "SECRET-EXPLANATION"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


class Bank:
    """The bank's correct answers and 解析, switchable between the real ones and a second, different set."""

    def __init__(self):
        self.variants = ({}, {})
        for q in Question.objects.all():
            letters = [chr(ord("A") + i) for i in range(len(q.options))]
            others = [c for c in letters if c not in q.answer]
            swapped = "".join(others) if q.kind == "multiple" else others[0]
            self.variants[0][q.pk] = (q.answer, q.explanation)
            self.variants[1][q.pk] = (swapped, f"{q.explanation}-SWAPPED")

    def use(self, variant):
        questions = list(Question.objects.all())
        for q in questions:
            q.answer, q.explanation = self.variants[variant][q.pk]
        Question.objects.bulk_update(questions, ["answer", "explanation"])

    def wrong_in_both(self, question_id):
        """Letters that are wrong whichever set is in use (every option: no single or 2-of-4 answer)."""
        return "ABCDEF"[: len(Question.objects.get(pk=question_id).options)]


class Learner:
    """alice's browser, following redirects (a message shown at once, not left for the next page); remembers which
    URL patterns it reached."""

    def __init__(self, user):
        self.client = Client()
        self.client.force_login(user)
        self.reached = set()

    def _see(self, url):
        match = resolve(urlsplit(url).path)
        self.reached.add(f"{match.namespace}:{match.url_name}")

    def get(self, url, data=None, follow=True, **kwargs):
        self._see(url)
        return self.client.get(url, data, follow=follow, **kwargs)

    def post(self, url, data=None, follow=True, **kwargs):
        self._see(url)
        return self.client.post(url, data or {}, follow=follow, **kwargs)


def text(response, drop=()):
    """What the learner received, with what changes on every request (CSRF masks, a new playback id) blanked."""
    body = b"".join(response.streaming_content).decode("latin-1") if response.streaming else response.content.decode()
    if response.get("Content-Type", "").startswith("application/json"):
        data = json.loads(body, parse_int=float)  # 0 and 0.0 are the same number
        body = json.dumps({k: v for k, v in data.items() if k not in drop}, sort_keys=True, ensure_ascii=False)
    body = CSRF.sub(r'\1-"', body)
    chain = " ".join(url for url, _ in getattr(response, "redirect_chain", []))
    return f"{response.status_code} {response.get('Location', '')} {chain}\n{body}"


class Detector:
    def __init__(self, bank):
        self.bank = bank
        self.checked = []

    def assert_no_answers(self, name, fetch):
        first, again = fetch(), fetch()
        assert first == again, f"{name}: two fetches differ, so the comparison would prove nothing"
        self.bank.use(1)
        try:
            swapped = fetch()
        finally:
            self.bank.use(0)
        assert MARKER not in first and MARKER not in swapped, f"{name} carries a 解析"
        assert first == swapped, f"{name} changes with the correct answers: it gives them away"
        self.checked.append(name)

    def assert_answers(self, name, fetch):
        """The control: a reply that must show the answers is seen to change (and to carry the 解析)."""
        first = fetch()
        self.bank.use(1)
        try:
            swapped = fetch()
        finally:
            self.bank.use(0)
        assert MARKER in first and first != swapped, f"{name} should show the answers"


@pytest.fixture
def world(ready, alice, settings, tmp_path):
    settings.CHECKPOINTS_PER_COURSEWARE = (2, 2)
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "coursewares").mkdir()
    (tmp_path / "coursewares" / "lesson.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    course = Question.objects.first().course
    chapter = Chapter.objects.create(course=course, title="第一章 节能基础")
    courseware = Courseware.objects.create(
        chapter=chapter, title="1.1 概述", video="coursewares/lesson.mp4", duration=300
    )
    return {"enrollment": ready, "courseware": courseware, "learner": Learner(alice)}


def practice_url(enrollment, practice):
    return reverse("exams:practice_detail", args=[enrollment.pk, practice.pk])


def start_practice(learner, enrollment, **data):
    response = learner.post(reverse("exams:practice", args=[enrollment.pk]), data, follow=False)
    return Practice.objects.get(pk=int(re.search(r"/practice/(\d+)/$", response["Location"]).group(1)))


def check_class_pages(detector, learner, enrollment, courseware):
    e = enrollment.pk
    courseware.captions.save("captions.vtt", ContentFile("WEBVTT\n\n00:00.000 --> 00:02.000\n第一章 导学\n"))
    for name, url in (
        ("学员中心", reverse("learning:center")),
        ("学习记录", reverse("learning:records")),
        ("班级首页", reverse("learning:class_home", args=[e])),
        ("在线选课", reverse("learning:select", args=[e])),
        ("我的课程", reverse("learning:courses", args=[e])),
        ("播放页", reverse("learning:player", args=[e, courseware.pk])),
        ("课件视频", reverse("learning:video", args=[e, courseware.pk])),
        ("字幕", reverse("learning:captions", args=[e, courseware.pk])),
        ("在线练习", reverse("exams:practice", args=[e])),
        ("错题本", reverse("exams:wrong_book", args=[e])),
        ("在线考试", reverse("exams:exam", args=[e])),
        ("历史考试记录", reverse("exams:history", args=[e])),
    ):
        detector.assert_no_answers(name, lambda url=url: text(learner.get(url)))


def check_checkpoints(detector, learner, enrollment, courseware, clock, bank, exam_open):
    """播放 (the session's opening reply), the heartbeat reply that brings a pop-up question, the reply to a
    wrong answer to it, and 看解析 after two wrong answers (its 解析, unless an exam is open)."""
    start_url = reverse("learning:playback_start", args=[enrollment.pk, courseware.pk])
    detector.assert_no_answers("开始播放", lambda: text(learner.post(start_url), drop=("session",)))
    opened = learner.post(start_url).json()
    state = {"seq": 0, "position": opened["position"]}

    def beat():
        state["seq"] += 1
        data = {"session": opened["session"], "seq": state["seq"], "position": state["position"], "playing": "1"}
        return learner.post(reverse("learning:heartbeat"), data)

    reply = beat().json()
    while not reply["pending"]:
        clock.tick(15)
        state["position"] = min(300, state["position"] + 15)
        reply = beat().json()
    assert "answer" not in reply["pending"] and reply["pending"]["text"]
    detector.assert_no_answers("心跳（弹题）", lambda: text(beat()))
    checkpoint = Checkpoint.objects.get(pk=reply["pending"]["id"])
    answer_url = reverse("learning:checkpoint_answer", args=[checkpoint.pk])
    wrong = {"answer": list(bank.wrong_in_both(checkpoint.question_id))}
    detector.assert_no_answers("弹题答错", lambda: text(learner.post(answer_url, wrong)))
    assert len(Checkpoint.objects.get(pk=checkpoint.pk).wrong_answers) >= 2

    def ask_help():
        return text(learner.post(answer_url, {"help": "1"}))

    if exam_open:  # refused while an exam is open, like practice's 显示答案
        detector.assert_no_answers("看解析（考试中）", ask_help)
    else:
        detector.assert_answers("看解析（答错两次后）", ask_help)


def test_no_page_or_reply_gives_an_answer_away_before_submission(world):
    enrollment, courseware, learner = world["enrollment"], world["courseware"], world["learner"]
    e = enrollment.pk
    bank = Bank()
    detector = Detector(bank)
    with freeze_time(timezone.now()) as clock:
        plain = start_practice(learner, enrollment, size=10)
        shown = start_practice(learner, enrollment, size=10, show_answers="1")
        done = start_practice(learner, enrollment, size=10)
        learner.post(practice_url(enrollment, done), {})  # 提交 with nothing answered: all into the 错题本
        asked = start_practice(learner, enrollment, size=10)

        # --- No exam open: practice without 显示答案, every class page, the pop-up question ---------------
        check_class_pages(detector, learner, enrollment, courseware)
        detector.assert_no_answers("练习（未选显示答案）", lambda: text(learner.get(practice_url(enrollment, plain))))
        reveal_url = reverse("exams:practice_reveal", args=[e, asked.pk, asked.questions[0]])
        check_checkpoints(detector, learner, enrollment, courseware, clock, bank, exam_open=False)
        # What the learner asked for, or handed in, does show the answers (and the detector sees it).
        detector.assert_answers(
            "练习（开始前选了显示答案）", lambda: text(learner.get(practice_url(enrollment, shown)))
        )
        detector.assert_answers(
            "显示答案（JSON）", lambda: text(learner.post(reveal_url, HTTP_ACCEPT="application/json"))
        )
        detector.assert_answers("显示答案（无脚本）", lambda: text(learner.post(reveal_url)))
        detector.assert_answers("已提交的练习", lambda: text(learner.get(practice_url(enrollment, done))))
        wrong_book = reverse("exams:wrong_book", args=[e])
        detector.assert_answers("错题本（点了显示答案）", lambda: text(learner.get(wrong_book, {"answers": "1"})))

        # --- A first exam, handed in: its review shows the answers -----------------------------------------
        learner.post(reverse("exams:enter", args=[e]))
        first = ExamAttempt.objects.get(enrollment=enrollment)
        detector.assert_no_answers("试卷", lambda: text(learner.get(reverse("exams:attempt", args=[e, first.pk]))))
        learner.post(reverse("exams:submit", args=[e, first.pk]))
        first_review = reverse("exams:attempt", args=[e, first.pk])
        detector.assert_answers("交卷后的试卷", lambda: text(learner.get(first_review)))

        # --- A second exam open: nothing anywhere shows an answer -----------------------------------------
        learner.post(reverse("exams:enter", args=[e]))
        attempt = ExamAttempt.objects.get(enrollment=enrollment, status="started")
        a = attempt.pk
        entry = attempt.paper[0]
        check_class_pages(detector, learner, enrollment, courseware)
        check_checkpoints(detector, learner, enrollment, courseware, clock, bank, exam_open=True)
        progress = CoursewareProgress.objects.get(enrollment=enrollment, courseware=courseware)  # its questions marked
        detail = reverse("learning:study_detail", args=[progress.pk])
        detector.assert_no_answers("学时明细", lambda: text(learner.get(detail)))
        for name, fetch in (
            ("试卷", lambda: text(learner.get(reverse("exams:attempt", args=[e, a])))),
            ("进入（继续考试）", lambda: text(learner.post(reverse("exams:enter", args=[e])))),
            ("保存一题（JSON）", lambda: text(learner.post(reverse("exams:answer", args=[e, a]),
                                                       {"question": entry["q"], "answer": ["A"]}))),
            ("保存答案（无脚本）", lambda: text(learner.post(reverse("exams:save", args=[e, a]),
                                                        {f"q{entry['q']}": ["A"], "action": "save"}))),
            ("我要交卷（确认页）", lambda: text(learner.get(reverse("exams:submit", args=[e, a])))),
            ("以往的试卷", lambda: text(learner.get(first_review))),
            ("练习（开始前选了显示答案）", lambda: text(learner.get(practice_url(enrollment, shown)))),
            ("练习（未选显示答案）", lambda: text(learner.get(practice_url(enrollment, plain)))),
            ("已提交的练习", lambda: text(learner.get(practice_url(enrollment, done)))),
            ("提交练习", lambda: text(learner.post(practice_url(enrollment, plain), {}))),
            ("显示答案（JSON）", lambda: text(learner.post(reveal_url, HTTP_ACCEPT="application/json"))),
            ("显示答案（无脚本）", lambda: text(learner.post(reveal_url))),
            ("错题本（点了显示答案）", lambda: text(learner.get(wrong_book, {"answers": "1"}))),
            ("开始练习", lambda: text(learner.post(reverse("exams:practice", args=[e]), {"size": 10}))),
            ("练习错题", lambda: text(learner.post(reverse("exams:practice", args=[e]), {"wrong_book": "1"}))),
        ):  # fmt: skip
            detector.assert_no_answers(name, fetch)
        assert Practice.objects.count() == 4 and Practice.objects.get(pk=plain.pk).submitted_at is None

        # --- Handed in: its review shows everything ----------------------------------------------------------
        learner.post(reverse("exams:submit", args=[e, a]))
        detector.assert_answers("交卷后的试卷", lambda: text(learner.get(reverse("exams:attempt", args=[e, a]))))

    every = {f"exams:{p.name}" for p in exams_urls.urlpatterns} | {
        f"learning:{p.name}" for p in learning_urls.urlpatterns
    }
    assert every - learner.reached == set(), "a learner page or reply was not checked"


def test_the_detector_sees_a_leak_hidden_by_css(world):
    """The page as it was before (every answer in the HTML, hidden by CSS) is caught: a check that it can fail."""
    from django.template import engines

    enrollment, learner = world["enrollment"], world["learner"]
    practice = start_practice(learner, enrollment, size=10)
    old_page = engines["django"].from_string(
        '{% for q in questions %}<p class="practice-answer">正确答案：<strong>{{ q.answer }}</strong></p>{% endfor %}'
    )
    detector = Detector(Bank())

    def fetch():
        return old_page.render({"questions": services.practice_questions(Practice.objects.get(pk=practice.pk))})

    with pytest.raises(AssertionError, match="gives them away"):
        detector.assert_no_answers("旧练习页", fetch)
