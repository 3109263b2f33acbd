"""The exam's time runs out on a 360-px phone while an answer is still queued (issue 13): the autosave is refused
once (503), the page says 正在重新保存…, and at zero it sends that answer first, then hands the paper in, and
shows the result — which counts the answer. Without this the page reloaded at zero and the answer was lost."""

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from jxjy.exams.tests.conftest import enroll

from .conftest import browsing_session
from .steps import at, log_in

pytestmark = pytest.mark.browser

SECONDS_LEFT = 7

# What the page says, as it changes: the status line and the countdown, handed to the test (which notes when).
RECORD_JS = """
() => {
  const watch = { childList: true, characterData: true, subtree: true };
  for (const selector of ["[data-save-status]", "[data-countdown]"]) {
    // Every text the element held, even one replaced before the observer runs.
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) window.noteText(node.textContent);
    }).observe(document.querySelector(selector), watch);
  }
}
"""


@pytest.fixture
def browsing(browser, live_server, viewport):
    """A 360-px phone (and a desktop), zh-CN; the refused autosave's 503 is the one console error expected."""
    yield from browsing_session(browser, viewport, live_server, expected_error="503")


@pytest.fixture
def ready(alice):
    from conftest import make_catalog

    return enroll(alice, make_catalog()[(2026, "L4")])


def test_an_answer_queued_at_zero_is_sent_then_the_paper_is_handed_in(browsing, ready):
    from jxjy.catalog.models import Question
    from jxjy.exams import services
    from jxjy.exams.models import AttemptStatus, ExamAnswer, ExamAttempt

    page = browsing.page
    page.add_init_script("localStorage.setItem('jxjy-tour-seen', '1')")
    log_in(browsing, ready.user, "grace-01-login")
    attempt = services.start_attempt(enrollment=ready)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=SECONDS_LEFT))
    attempt.refresh_from_db()

    sent, said = [], []  # when each autosave was made; (when, text) of what the page showed
    page.expose_function("noteText", lambda text: said.append((time.time(), text)))

    def autosave(route):
        sent.append(time.time())
        if len(sent) == 1:  # the server refuses once: busy
            route.fulfill(status=503, content_type="application/json", body='{"error": "请稍后再试"}')
        else:
            route.continue_()

    handed_in = []

    def hand_in(route):
        handed_in.append(time.time())
        route.continue_()

    page.route(re.compile(re.escape(reverse("exams:answer", args=[ready.pk, attempt.pk])) + "$"), autosave)
    page.route(re.compile(re.escape(reverse("exams:submit", args=[ready.pk, attempt.pk])) + "$"), hand_in)
    page.goto(reverse("exams:attempt", args=[ready.pk, attempt.pk]))
    page.evaluate(RECORD_JS)
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^0:0[1-6]$"))
    browsing.snap("grace-02-paper")

    # Answer the first question right in the last two seconds: refused once, then queued and retried.
    entry = attempt.paper[0]
    letters = services.to_shown(entry, Question.objects.get(pk=entry["q"]).answer)
    expect(countdown).to_have_text(re.compile(r"^0:0[12]$"), timeout=SECONDS_LEFT * 1000)
    first = page.locator("fieldset.question").first
    for letter in letters:
        first.locator(f"input[value='{letter}']").check()

    expect(page).to_have_url(at(reverse("exams:attempt", args=[ready.pk, attempt.pk])), timeout=15_000)
    result = page.locator(".result-box")
    expect(result).to_contain_text("成绩 5 分")  # 1 of 20 right: the queued answer counted
    expect(result).to_contain_text("答对 1 / 20 题")
    expect(page.locator(".messages")).to_contain_text("考试时间到，已按您保存的全部答案交卷。")
    browsing.snap("grace-03-result")

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.GRADED and attempt.correct == 1
    assert not attempt.auto_submitted  # the page handed it in itself, inside the grace
    assert ExamAnswer.objects.filter(attempt=attempt).count() == 1
    # Refused once, the page said it was retrying; at zero (before its 3-s retry was due) it sent the answer
    # again, saved it, and only then handed the paper in, once.
    assert len(sent) == 2 and len(handed_in) == 1
    texts = [text for _, text in said]
    retrying = next(i for i, t in enumerate(texts) if "正在重新保存" in t)
    zero = texts.index("0:00")
    saved = next(i for i, t in enumerate(texts) if i > zero and t.startswith("已保存"))
    handing_in = next(i for i, t in enumerate(texts) if "正在交卷" in t)
    assert retrying < zero < saved < handing_in, texts
    assert said[zero][0] - 0.2 <= sent[1] < sent[0] + 2.9, (sent, said[zero])
    assert sent[1] < handed_in[0]


def test_an_answer_the_server_could_not_take_survives_a_reload(browsing, ready):
    """The server is busy (503) when an answer is given, and the learner reloads the page: the answer waited in
    this browser (localStorage, per attempt), is ticked again on the new page and saved as soon as it can be."""
    from jxjy.catalog.models import Question
    from jxjy.exams import services
    from jxjy.exams.models import ExamAnswer

    page = browsing.page
    page.add_init_script("localStorage.setItem('jxjy-tour-seen', '1')")
    log_in(browsing, ready.user, "grace-11-login")
    attempt = services.start_attempt(enrollment=ready)
    answer_url = re.compile(re.escape(reverse("exams:answer", args=[ready.pk, attempt.pk])) + "$")
    page.route(answer_url, lambda route: route.fulfill(status=503, body="", content_type="application/json"))
    page.goto(reverse("exams:attempt", args=[ready.pk, attempt.pk]))
    entry = attempt.paper[1]
    letters = services.to_shown(entry, Question.objects.get(pk=entry["q"]).answer)
    second = page.locator("fieldset.question").nth(1)
    for letter in letters:
        second.locator(f"input[value='{letter}']").check()
    expect(page.locator("[data-save-status]")).to_contain_text("正在重新保存…")
    browsing.snap("grace-12-retrying")
    assert not ExamAnswer.objects.exists()

    page.unroute(answer_url)
    page.reload()
    expect(page.locator("[data-save-status]")).to_contain_text("已保存")
    for letter in letters:
        expect(page.locator("fieldset.question").nth(1).locator(f"input[value='{letter}']")).to_be_checked()
    saved = ExamAnswer.objects.get(attempt=attempt)
    assert saved.question_id == entry["q"] and saved.given == Question.objects.get(pk=entry["q"]).answer
    assert page.evaluate(f"localStorage.getItem('jxjy-exam-queue-{attempt.pk}')") is None  # sent: forgotten
