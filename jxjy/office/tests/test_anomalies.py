"""业务后台 → 学习异常 (issue 16 item 2): who may open the desk, what each office sees (its own city's flags; other
learners in the evidence by name only within its scope), 立即检查 and its limit, and what the learner sees: nothing
of a flag until it is confirmed, then the 冲销 in 学习记录 and a 站内消息."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner, make_staff, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.review import scan
from jxjy.review.findings import Finding
from jxjy.review.models import Anomaly, Rule, Status
from jxjy.review.tests.helpers import (
    SUMMARY,
    clear_url,
    confirm,
    confirm_url,
    detail_url,
    entry,
    flag,
    reversals,
)

pytestmark = pytest.mark.django_db

LIST = reverse("office:anomalies_list")
SCAN = reverse("office:anomalies_scan")


def html(response) -> str:
    return response.content.decode()


# --- who may use the desk --------------------------------------------------------------------------------------


def test_each_role_on_every_page_of_the_desk(alice, nanjing_reviewer, suzhou_reviewer, province_admin):
    """The area's URLs walked per role: the city offices and the province get the desk; every other staff role and a
    learner 403; the anonymous are sent to the staff sign-in. Nobody but a permitted office changes the flag."""
    anomaly = flag(alice, [entry(alice, 2)])
    pages = [("get", LIST), ("get", detail_url(anomaly)), ("post", confirm_url(anomaly)), ("post", clear_url(anomaly))]
    others = [make_staff(f"x-{role}", role) for role in ("finance", "content", "sysadmin", "secadmin", "auditor")]
    learner_client = Client()
    learner_client.force_login(alice)
    for client in [staff_client(user) for user in others] + [learner_client]:
        for method, url in pages + [("post", SCAN)]:
            assert getattr(client, method)(url).status_code == 403, (method, url)
    anonymous = Client()
    for method, url in pages + [("post", SCAN)]:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/office/login/"), url
    for user in (nanjing_reviewer, province_admin):
        client = staff_client(user)
        assert client.get(LIST).status_code == 200
        assert client.get(detail_url(anomaly)).status_code == 200
        assert client.post(confirm_url(anomaly), {"note": ""}).status_code == 400  # reached the form: a note needed
        assert client.get(confirm_url(anomaly)).status_code == 405 and client.get(SCAN).status_code == 405
    menu = html(staff_client(nanjing_reviewer).get(reverse("office:home")))
    assert f'href="{LIST}"' in menu and "学习异常" in menu
    assert "学习异常" not in html(staff_client(others[0]).get(reverse("office:home")))
    anomaly.refresh_from_db()
    assert anomaly.status == Status.PENDING and not reversals().exists()


def test_a_city_office_gets_404_on_another_citys_flag(alice, bob, suzhou_reviewer):
    """The wall: a 苏州 office neither lists nor opens nor decides a 南京 learner's flag; each 404 is audited."""
    nanjing_flag = flag(alice, [entry(alice, 2)])
    own = flag(bob, [entry(bob, 1)])
    suzhou = staff_client(suzhou_reviewer)
    listed = html(suzhou.get(LIST, {"status": "all"}))
    assert detail_url(own) in listed and detail_url(nanjing_flag) not in listed and alice.name not in listed
    assert suzhou.get(detail_url(nanjing_flag)).status_code == 404
    assert suzhou.post(clear_url(nanjing_flag), {"note": "看看"}).status_code == 404
    assert suzhou.post(confirm_url(nanjing_flag), {"note": "看看"}).status_code == 404
    assert suzhou.post(confirm_url(nanjing_flag), {"note": "看看", "sure": "1"}).status_code == 404
    denied = AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer)
    assert denied.count() == 4
    nanjing_flag.refresh_from_db()
    assert nanjing_flag.status == Status.PENDING and not reversals(alice).exists()


def test_posts_need_the_csrf_token(alice, nanjing_reviewer):
    anomaly = flag(alice, [entry(alice, 2)])
    client = staff_client(nanjing_reviewer)
    client.handler.enforce_csrf_checks = True
    for url in (confirm_url(anomaly), clear_url(anomaly), SCAN):
        assert client.post(url, {"note": "无令牌", "sure": "1"}).status_code == 403
    anomaly.refresh_from_db()
    assert anomaly.status == Status.PENDING and not AuditRecord.objects.filter(event=Event.ANOMALY_SCAN).exists()


# --- the list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def flags(alice, bob):
    """alice (南京): one flag in each status, two rules, two days; bob (苏州): one pending."""
    pending = flag(alice, rule=Rule.LONG_DAY)
    cleared = flag(alice, rule=Rule.LONG_DAY)
    Anomaly.objects.filter(pk=cleared.pk).update(status=Status.CLEARED)
    confirmed = flag(alice, rule=Rule.ALL_NIGHT, day=pending.day - timedelta(days=4))
    Anomaly.objects.filter(pk=confirmed.pk).update(status=Status.CONFIRMED)
    return {"pending": pending, "cleared": cleared, "confirmed": confirmed, "bob": flag(bob)}


def listed(response) -> set[int]:
    return {a.pk for a in response.context["page"].object_list}


def test_the_list_shows_pending_first_with_counts_per_status(flags, alice, nanjing_reviewer, province_admin):
    nanjing = staff_client(nanjing_reviewer)
    response = nanjing.get(LIST)
    assert listed(response) == {flags["pending"].pk}  # 待核查 unless asked otherwise; bob is 苏州's
    page = html(response)
    for status, count in (("pending", 1), ("cleared", 1), ("confirmed", 1), ("all", 3)):
        assert f'data-status="{status}">{count}<' in page
    assert alice.id_number_masked in page and alice.id_number not in page
    assert "2026-12-05" in page and "一天计时超过10学时" in page and SUMMARY in page
    assert listed(nanjing.get(LIST, {"status": "all"})) == {flags[k].pk for k in ("pending", "cleared", "confirmed")}
    assert listed(nanjing.get(LIST, {"status": "all", "rule": Rule.ALL_NIGHT})) == {flags["confirmed"].pk}
    assert listed(nanjing.get(LIST, {"status": "all", "since": "2026-12-03"})) == {
        flags["pending"].pk,
        flags["cleared"].pk,
    }
    assert listed(nanjing.get(LIST, {"status": "all", "until": "2026-12-02"})) == {flags["confirmed"].pk}
    filtered = html(nanjing.get(LIST, {"rule": Rule.ALL_NIGHT}))
    assert 'data-status="pending">0<' in filtered and 'data-status="confirmed">1<' in filtered
    province = staff_client(province_admin).get(LIST)
    assert listed(province) == {flags["pending"].pk, flags["bob"].pk}


def test_the_list_costs_the_same_for_3_and_30_flags(flags, alice, nanjing_reviewer, django_assert_max_num_queries):
    client = staff_client(nanjing_reviewer)
    client.get(LIST)  # the session and the menu warmed
    for i in range(27):
        flag(make_learner(f"学员{i}", f"32010219800101{i:03d}"))
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(listed(response)) == 20  # a page


# --- 立即检查 ------------------------------------------------------------------------------------------------------


@pytest.fixture
def one_rule(monkeypatch, alice):
    """The scan with one rule that flags alice on the day it is given (the real rules have their own tests)."""
    days = []

    def check(day):
        days.append(day)
        yield Finding(rule=Rule.LONG_DAY, user_id=alice.pk, day=day, key=f"long_day:{alice.pk}:{day}",
                      summary="今天计时 10.5 小时", evidence={"计时合计": "10.5 小时"})  # fmt: skip

    monkeypatch.setattr(scan, "RULES", {"long_day": check})
    return days


def test_scan_now_checks_today_once_per_ten_minutes_per_office(
    one_rule, alice, nanjing_reviewer, suzhou_reviewer, settings
):
    # The counter in local memory, whose clock freezegun moves (Redis keeps its own time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    nanjing = staff_client(nanjing_reviewer)
    with freeze_time("2026-12-06 09:00", tz_offset=0):
        response = nanjing.post(SCAN, follow=True)
        assert "已开始检查今天的学习记录，几分钟后刷新本页查看" in html(response)
        today = timezone.localdate()
        assert one_rule == [today]
        created = Anomaly.objects.get()
        assert created.day == today and created.status == Status.PENDING and created.user == alice
        assert AuditRecord.objects.get(event=Event.ANOMALY_SCAN).actor == nanjing_reviewer
    with freeze_time("2026-12-06 09:09", tz_offset=0):
        response = nanjing.post(SCAN, follow=True)
        assert "十分钟内已经检查过一次" in html(response)
        assert len(one_rule) == 1 and AuditRecord.objects.filter(event=Event.ANOMALY_SCAN).count() == 1
        staff_client(suzhou_reviewer).post(SCAN)  # another office has its own ten minutes
        assert len(one_rule) == 2 and Anomaly.objects.count() == 1  # the same finding: still one flag
    with freeze_time("2026-12-06 09:11", tz_offset=0):
        nanjing.post(SCAN)
        assert len(one_rule) == 3 and AuditRecord.objects.filter(event=Event.ANOMALY_SCAN).count() == 3


# --- a flag's page ----------------------------------------------------------------------------------------------


@pytest.fixture
def crowded(alice, bob):
    """Two 南京 learners and a 苏州 one on one device: alice's flag names the others."""
    neighbour = make_learner("赵强", "32010219881212345")
    evidence = {
        "同一设备学员数": 3,
        "sessions": [
            {"开始": "08:02", "结束": "09:40", "设备": "安卓手机 · 微信", "IP": "10.0.0.8", "计时": "98 分钟"},
            {"开始": "09:41", "结束": "10:30", "设备": "安卓手机 · 微信", "IP": "10.0.0.8", "计时": "49 分钟"},
        ],
        "learners": [
            {"user_id": neighbour.pk, "姓名": neighbour.name, "city_id": "320100", "计时": "2.1 学时"},
            {"user_id": bob.pk, "姓名": bob.name, "city_id": "320500", "计时": "3.0 学时"},
        ],
    }
    entries = [entry(alice, 2, category="public"), entry(alice, "1.5", category="elective")]
    return flag(alice, entries, rule=Rule.CROWDED, evidence=evidence, group="crowded:2026-12-05:dev1"), neighbour


def test_the_page_shows_the_evidence_and_what_confirming_takes(crowded, bob, nanjing_reviewer, province_admin):
    anomaly, neighbour = crowded
    page = html(staff_client(nanjing_reviewer).get(detail_url(anomaly)))
    assert "同一设备或网络多人学习" in page and SUMMARY in page
    assert "同一设备学员数" in page and "<dd>3</dd>" in page
    assert page.count("安卓手机 · 微信") == 2 and "08:02" in page and "98 分钟" in page
    assert f'href="{reverse("office:learners_detail", args=[neighbour.pk])}">{neighbour.name}</a>' in page
    assert "苏州市的一名学员（不在本单位核查范围）" in page and bob.name not in page
    assert "user_id" not in page and "city_id" not in page and "320500" not in page  # ids never show
    assert "确认违规将冲销以下学时" in page and "合计冲销 <strong>3.5</strong> 学时" in page
    assert "已核实正常" in page and "确认违规" in page and 'name="csrfmiddlewaretoken"' in page
    province = html(staff_client(province_admin).get(detail_url(anomaly)))
    assert f'href="{reverse("office:learners_detail", args=[bob.pk])}">{bob.name}</a>' in province


def test_the_group_lists_only_the_offices_own_flags(crowded, bob, nanjing_reviewer):
    anomaly, neighbour = crowded
    sibling = flag(neighbour, rule=Rule.CROWDED, group=anomaly.group)
    foreign = flag(bob, rule=Rule.CROWDED, group=anomaly.group)
    page = html(staff_client(nanjing_reviewer).get(detail_url(anomaly)))
    assert detail_url(sibling) in page and detail_url(foreign) not in page


# --- what the learner sees --------------------------------------------------------------------------------------


LEARNER_PAGES = (
    reverse("learning:center"),
    reverse("learning:records") + "?year=2026",
    reverse("certificates:archive") + "?year=2026",
    reverse("accounts:messages"),
)


def test_the_learner_sees_nothing_until_confirmed_then_the_reversal(catalog, alice, nanjing_reviewer):
    flagged = entry(alice, 2, category="public")
    anomaly = flag(alice, [flagged])
    learner = Client()
    learner.force_login(alice)
    for url in LEARNER_PAGES:
        page = html(learner.get(url))
        for word in ("学习异常", "冲销", "扣减", SUMMARY, "核查"):
            assert word not in page, (url, word)
    nanjing = staff_client(nanjing_reviewer)
    nanjing.post(clear_url(flag(alice, [entry(alice, 1)])), {"note": "正常"})  # cleared: nothing to see either
    for url in LEARNER_PAGES:
        assert "学习异常" not in html(learner.get(url)), url

    confirm(nanjing, anomaly)
    records = html(learner.get(reverse("learning:records"), {"year": 2026}))
    assert "冲销" in records and "学习异常核查确认违规：一天计时超过10学时" in records
    assert "扣减 2 学时" in records
    inbox = html(learner.get(reverse("accounts:messages")))
    assert "学习异常核查结果通知" in inbox
    assert reversals(alice).get().hours == -2
