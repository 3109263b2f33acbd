"""继续教育档案 in the learner's words: the current year is 未完成（本年度进行中） until its study deadline, never a red
不合格 before then; 已获得 (not 计入); hours at most one decimal, held rounded down and 还差 rounded up."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.catalog.models import TrainingYear

from .helpers import give_hours, sit_exam

pytestmark = pytest.mark.django_db

URL = reverse("certificates:archive")


def badge(html) -> tuple[str, str]:
    """(state class, text) of the year's result badge."""
    found = re.search(r'<span class="result-badge (is-\w+)">([^<]+)</span>', html)
    return found.group(1), found.group(2)


def test_the_current_year_is_in_progress_until_the_class_deadline(learner, enrolled):
    give_hours(enrolled.user, public=16, professional=10)
    deadline = enrolled.training_class.study_deadline
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert badge(html) == ("is-pending", "未完成（本年度进行中）")
    assert "不合格" not in html
    days = (timezone.localdate(deadline) - timezone.localdate()).days
    assert f"学习截止 {timezone.localtime(deadline):%Y-%m-%d}，还有 <strong>{days}</strong> 天" in html
    assert "还不能打印，完成下面几项后就可以" in html and "print-reason is-pending" in html


def test_past_the_class_deadline_the_year_is_not_qualified(learner, enrolled):
    klass = enrolled.training_class
    klass.study_deadline = timezone.now() - timedelta(minutes=1)
    klass.save(update_fields=["study_deadline"])
    give_hours(enrolled.user, public=16, professional=10)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert badge(html) == ("is-no", "不合格")
    assert "未完成（本年度进行中）" not in html and "学习截止" not in html


def test_a_qualified_year_says_so_before_its_deadline(learner, qualified):
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert badge(html) == ("is-ok", "合格")
    assert "学习截止" not in html


@pytest.mark.parametrize(("today", "expected"), [("2027-12-31 23:00", "is-pending"), ("2028-01-01 00:30", "is-no")])
def test_a_year_without_an_online_class_runs_to_the_years_end(client, enrolled, today, expected):
    TrainingYear.objects.create(year=2027)
    give_hours(enrolled.user, year=2027, source="facetoface", public=4)
    with freeze_time(timezone.make_aware(datetime.fromisoformat(today))):
        client.force_login(enrolled.user)  # signed in at that moment (a session from today would have expired)
        html = client.get(URL, {"year": 2027}).content.decode()
    assert badge(html)[0] == expected
    assert ("未完成（本年度进行中）" in html) is (expected == "is-pending")
    assert ("今天是最后一天" in html) is (expected == "is-pending")


def test_hours_are_already_earned_not_counted_and_one_decimal_at_most(learner, enrolled):
    give_hours(enrolled.user, public="15.96", professional="24", elective="8.25")
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert "计入" not in html
    assert "已获得 48.2）" in html  # 15.96 + 24 + 8 (what counts toward 8 required is all 8.25 held)
    assert '<th scope="col" class="num">已获得</th>' in html
    assert '<td class="num" data-label="已获得"><strong>15.9 学时</strong></td>' in html
    assert "还差 0.1 学时" in html and "还差 0.04" not in html
    assert "8.2 学时" in html and "48.0" not in html


def test_it_links_to_the_days_records(learner, enrolled):
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert f'href="{reverse("learning:records")}?year=2026"' in html


def test_a_failed_exam_before_the_deadline_is_still_in_progress(learner, enrolled):
    give_hours(enrolled.user, public=16, professional=24, elective=8)
    sit_exam(enrolled, 40)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert badge(html) == ("is-pending", "未完成（本年度进行中）")
    assert "考试未通过：最高 40 分，60 分合格" in html
