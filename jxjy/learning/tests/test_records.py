"""学习记录: per day what was played, how much of it really counts, and what the ledger posted, only the learner's."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jxjy.catalog.models import Category, TrainingYear
from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.credits.services import post_entry
from jxjy.learning.models import CoursewareProgress, PlaybackSession
from jxjy.learning.services import post_courseware_hours

pytestmark = pytest.mark.django_db

URL = reverse("learning:records")


@pytest.fixture
def learner(client, setup):
    client.force_login(setup["user"])
    return client


def at(day, hour, minute=0):
    """A moment in 2026 on the platform's clock (Asia/Shanghai)."""
    return timezone.make_aware(datetime(2026, *day, hour, minute))


def played(setup, start, minutes, *, watched=None, finished=False):
    """A playback session of the fixture's courseware from `start` for `minutes`, and the courseware's progress
    (`watched` seconds really watched; finished → its hours posted at the end of the session)."""
    enrollment, courseware = setup["enrollment"], setup["courseware"]
    PlaybackSession.objects.filter(user=enrollment.user, is_current=True).update(is_current=False)
    PlaybackSession.objects.create(id=uuid.uuid4(), enrollment=enrollment, user=enrollment.user,
                                   courseware=courseware, started_at=start,
                                   last_beat_at=start + timedelta(minutes=minutes))  # fmt: skip
    progress, _ = CoursewareProgress.objects.get_or_create(enrollment=enrollment, courseware=courseware)
    if watched is not None:
        CoursewareProgress.objects.filter(pk=progress.pk).update(watched=watched)
    if finished:
        end = start + timedelta(minutes=minutes)
        CoursewareProgress.objects.filter(pk=progress.pk).update(finished_at=end)
        post_courseware_hours(progress)
        CreditEntry.objects.filter(source_id=f"progress:{progress.pk}").update(created_at=end)
    return progress


def posted(user, when, hours, source, note="", category=Category.PROFESSIONAL, year=2026):
    source_id = f"t:{uuid.uuid4().hex}"
    assert post_entry(user=user, year=year, category=category, hours=Decimal(hours), source=source,
                      source_id=source_id, note=note)  # fmt: skip
    CreditEntry.objects.filter(source_id=source_id).update(created_at=when)


def test_an_hour_played_shows_beside_the_hours_it_earned(learner, setup):
    TrainingYear.objects.filter(year=2026).update(minutes_per_hour=45)
    played(setup, at((12, 1), 9, 0), 60, watched=300, finished=True)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert CreditEntry.objects.get(user=setup["user"]).hours == Decimal("4")
    assert "2026年12月1日 星期二" in html
    assert "公共机构节能管理 · 1.1 概述" in html
    assert "09:00–10:00，共约 60 分钟" in html
    assert "这个课件已看 5 分钟，共 5 分钟（100%）" in html
    assert "已获得 4 学时" in html and "当天获得 <strong>4</strong> 学时" in html
    # The rule in one plain line, with the year's own figure: 60 minutes make 1.3 学时 at 45 minutes each.
    assert "认真看满 45 分钟视频算 1 学时，看 60 分钟约得 1.3 学时" in html
    assert "暂停、拖动快进" in html


def test_the_rule_follows_the_years_minutes_per_hour(learner, setup):
    TrainingYear.objects.filter(year=2026).update(minutes_per_hour=50)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert "认真看满 50 分钟视频算 1 学时，看 60 分钟约得 1.2 学时" in html


def test_an_unfinished_courseware_says_what_it_will_earn(learner, setup):
    played(setup, at((12, 2), 20, 30), 40, watched=120)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert not CreditEntry.objects.filter(user=setup["user"]).exists()
    assert "20:30–21:10，共约 40 分钟" in html
    assert "这个课件已看 2 分钟，共 5 分钟（40%）" in html
    assert "看完后获得 4 学时，还差约 3 分钟" in html
    assert "当天获得 <strong>0</strong> 学时" in html


def test_a_courseware_finished_on_another_day(learner, setup):
    played(setup, at((12, 1), 9), 3, watched=200)
    played(setup, at((12, 3), 9), 5, watched=300, finished=True)
    html = learner.get(URL, {"year": 2026}).content.decode()
    first = html.index("2026年12月1日")
    assert html.index("2026年12月3日") < first  # newest first
    assert "已获得 4 学时（12月3日看完）" in html[first:]


def test_every_source_of_the_ledger_is_listed(learner, setup):
    user = setup["user"]
    posted(user, at((11, 20), 10), "6", CreditSource.FACE_TO_FACE, "2026年南京面授班")
    posted(user, at((11, 20), 11), "8", CreditSource.DECLARATION, "视同申报：高级技师研修班")
    posted(user, at((11, 21), 15), "-2", CreditSource.REVERSAL, "撤销面授班签到")
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert "面授班</span> 2026年南京面授班" in html
    assert "视同申报</span> 视同申报：高级技师研修班" in html
    assert "冲销</span> 撤销面授班签到" in html and "扣减 2 学时" in html
    assert "当天获得 <strong>14</strong> 学时" in html
    assert "专业课" in html


def test_only_the_learners_own_records(learner, second):
    bob = second["user"]
    played(second, at((12, 1), 9), 30, watched=300, finished=True)
    posted(bob, at((12, 1), 10), "6", CreditSource.FACE_TO_FACE, "李娜的面授班")
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert CreditEntry.objects.filter(user=bob).count() == 2
    assert "李娜的面授班" not in html and "1.1 概述" not in html
    assert "2026年度还没有学习记录" in html


def test_the_year_filter(learner, setup):
    posted(setup["user"], at((12, 1), 9).replace(year=2025), "3", CreditSource.FACE_TO_FACE, "去年的面授班", year=2025)
    posted(setup["user"], at((12, 1), 9), "2", CreditSource.FACE_TO_FACE, "今年的面授班")
    this_year = learner.get(URL, {"year": 2026}).content.decode()
    last_year = learner.get(URL, {"year": 2025}).content.decode()
    assert "今年的面授班" in this_year and "去年的面授班" not in this_year
    assert "去年的面授班" in last_year and "今年的面授班" not in last_year
    assert '<option value="2025" selected>' in last_year


def _fill(setup, days):
    for n in range(days):
        played(setup, at((10, 1 + n), 9), 20, watched=60 * (n % 5))
        posted(setup["user"], at((10, 1 + n), 12), "1", CreditSource.FACE_TO_FACE, f"面授{n}")


def test_pages_of_days_keep_the_year(learner, setup):
    _fill(setup, 12)
    first = learner.get(URL, {"year": 2026}).content.decode()
    assert "第 1 / 2 页" in first and "2026年10月12日" in first and "2026年10月3日" in first
    assert "2026年10月2日" not in first
    assert "?year=2026&amp;page=2" in first
    second = learner.get(URL, {"year": 2026, "page": 2}).content.decode()
    assert "2026年10月2日" in second and "2026年10月1日" in second and "2026年10月3日" not in second


def test_the_query_count_does_not_grow_with_the_days(learner, setup):
    _fill(setup, 1)
    with CaptureQueriesContext(connection) as one_day:
        assert learner.get(URL, {"year": 2026}).status_code == 200
    _fill(setup, 10)
    with CaptureQueriesContext(connection) as ten_days:
        html = learner.get(URL, {"year": 2026}).content.decode()
    assert html.count("record-day-head") == 10
    assert len(ten_days) == len(one_day)


def test_the_menu_offers_it_after_my_classes(learner, setup):
    html = learner.get(reverse("learning:center")).content.decode()
    assert html.index("我的班级</a>") < html.index(f'href="{URL}"') < html.index("网络班报名</a>")


def test_signed_out_goes_to_sign_in(client, setup):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_under_a_minute_reads_in_seconds(learner, setup):
    played(setup, at((12, 4), 8), 0.5, watched=40)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert "08:00–08:00，共约 30 秒" in html and "这个课件已看 40 秒，共 5 分钟（13%）" in html


def test_sessions_a_moment_apart_read_as_one_span(learner, setup):
    """A page reloaded or a sign-in again opens a new session: within a minute of the last one it reads as one span,
    while a later one keeps its own."""
    played(setup, at((12, 3), 9, 0), 10, watched=60)
    played(setup, at((12, 3), 9, 10), 5, watched=90)
    played(setup, at((12, 3), 14, 0), 5, watched=120)
    html = learner.get(URL, {"year": 2026}).content.decode()
    assert "09:00–09:15、14:00–14:05，共约 20 分钟" in html
