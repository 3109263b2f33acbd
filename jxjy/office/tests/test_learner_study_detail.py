"""学员管理 → 学时明细 (issue 16): the city office reads, without changing anything, the same 学时明细 the learner
sees — each playback's uncounted minutes with their reasons — from the learner's detail page. Only its own city's
learners (another city's is a 404, audited), only that learner's coursewares, every view audited."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.learning.models import CoursewareProgress, PlaybackSession
from jxjy.learning.tests.conftest import second, setup  # noqa: F401 (fixtures)
from jxjy.learning.tests.test_evidence import keep_playing
from jxjy.learning.tests.test_heartbeat import START, Player

pytestmark = pytest.mark.django_db


def progress_of(data) -> CoursewareProgress:
    return CoursewareProgress.objects.get(enrollment=data["enrollment"], courseware=data["courseware"])


def url(learner, progress):
    return reverse("office:learners_study_detail", args=[learner.pk, progress.pk])


@pytest.fixture
def played(setup):  # noqa: F811 (fixture)
    """alice (南京) played the courseware with a two-minute pause, then dragged far past what she had watched."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=60)
        player.beat(60, playing=False)
        player.wait(120)
        keep_playing(player, start=60, until=90)
        player.wait(3)
        player.beat(260)
    return {**setup, "session": player.session}


def test_the_city_office_sees_the_reasons_from_the_learners_detail(played, nanjing_reviewer):
    alice, progress = played["user"], progress_of(played)
    client = staff_client(nanjing_reviewer)
    detail = client.get(reverse("office:learners_detail", args=[alice.pk])).content.decode()
    assert "课件学习情况" in detail and "公共机构节能管理 · 1.1 概述" in detail
    assert f'href="{url(alice, progress)}"' in detail

    response = client.get(url(alice, progress))  # the page flushes the playback state itself
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "学时明细 · 张伟" in html
    assert "<strong>暂停或切到后台的时间不计</strong>：2 分钟</li>" in html
    assert "<strong>快进跳过的部分不计</strong>：拖到没看过的位置 1 次，跳过的 3 分钟内容不计</li>" in html
    assert "已看过的部分：0:00 到 1:33。" in html
    assert alice.id_number not in html and alice.mobile not in html
    row = PlaybackSession.objects.get(pk=played["session"])
    assert (row.lost_paused, row.beats_seek) == (pytest.approx(120), 1)
    audit = AuditRecord.objects.filter(event=Event.LEARNER_VIEW).latest("pk")
    assert (audit.actor, audit.object_id, audit.detail) == (nanjing_reviewer, str(alice.pk), {"progress": progress.pk})


def test_another_citys_office_cannot_open_it_and_is_recorded(played, suzhou_reviewer, province_admin):
    alice, progress = played["user"], progress_of(played)
    assert staff_client(suzhou_reviewer).get(url(alice, progress)).status_code == 404
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer).exists()
    assert not AuditRecord.objects.filter(event=Event.LEARNER_VIEW).exists()
    assert staff_client(province_admin).get(url(alice, progress)).status_code == 200


def test_the_courseware_must_be_that_learners(played, second, province_admin):  # noqa: F811 (fixture)
    bobs = CoursewareProgress.objects.create(enrollment=second["enrollment"], courseware=second["courseware"])
    client = staff_client(province_admin)
    assert client.get(url(played["user"], bobs)).status_code == 404  # bob's courseware under alice's address
    assert client.get(url(second["user"], bobs)).status_code == 200
    assert client.get(url(second["user"], progress_of(played))).status_code == 404


@pytest.mark.parametrize("persona", ["finance_user", "content_editor"])
def test_other_roles_are_refused(request, persona, played):
    client = staff_client(request.getfixturevalue(persona))
    assert client.get(url(played["user"], progress_of(played))).status_code == 403


def test_the_page_costs_the_same_queries_however_many_playbacks(setup, nanjing_reviewer):  # noqa: F811 (fixture)
    progress = CoursewareProgress.objects.create(enrollment=setup["enrollment"], courseware=setup["courseware"])
    client = staff_client(nanjing_reviewer)
    counts = []
    for total in (1, 30):
        while (made := PlaybackSession.objects.count()) < total:
            start = START + timedelta(hours=made)
            PlaybackSession.objects.create(
                id=uuid.uuid4(),
                enrollment=setup["enrollment"],
                user=setup["user"],
                courseware=setup["courseware"],
                started_at=start,
                last_beat_at=start + timedelta(minutes=9),
                is_current=False,
                events=3,
                lost_seek=20,
                beats_seek=2,
            )
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url(setup["user"], progress)).content.decode()
        counts.append(len(queries))
        assert "拖到没看过的位置 2 次，跳过的 20 秒内容不计" in html
    assert counts[0] == counts[1], counts
