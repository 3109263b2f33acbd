"""学时明细 (issue 16): for each courseware the watched parts on a timeline and every playback with the reason each
uncounted minute did not count — playbacks made by scripted players through the real heartbeat endpoint, then the
learner's page read over HTTP. Only the learner's own coursewares; the same few queries however many playbacks."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from jxjy.catalog.models import Question
from jxjy.learning.models import Checkpoint, CoursewareProgress, PlaybackSession

from .conftest import DURATION
from .test_evidence import keep_playing
from .test_heartbeat import START, Player, play_honestly

pytestmark = pytest.mark.django_db


def progress_of(setup) -> CoursewareProgress:
    return CoursewareProgress.objects.get(enrollment=setup["enrollment"], courseware=setup["courseware"])


def detail_page(setup, client=None):
    """The learner's 学时明细 of the fixture's courseware: (response, its text)."""
    if client is None:
        client = Client()
        client.force_login(setup["user"])
    response = client.get(reverse("learning:study_detail", args=[progress_of(setup).pk]))
    assert response.status_code == 200
    return response, response.content.decode()


def line(reason, amount):
    """A refused-time line as the page writes it."""
    return f"<strong>{reason}</strong>：{amount}</li>"


def test_a_pause_and_a_jump_show_with_their_reasons_and_amounts(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=60)
        player.beat(60, playing=False)  # ❚❚ 暂停
        player.wait(120)
        keep_playing(player, start=60, until=90)  # ▶ 继续播放
        player.wait(3)
        player.beat(260)  # dragged far past what was watched
        response, html = detail_page(setup)  # the page flushes the playback state itself
    row = PlaybackSession.objects.get(pk=player.session)
    assert (row.lost_paused, row.lost_seek, row.beats_seek) == (pytest.approx(120), pytest.approx(167), 1)
    assert line("暂停或切到后台的时间不计", "2 分钟") in html
    assert line("快进跳过的部分不计", "拖到没看过的位置 1 次，跳过的 3 分钟内容不计") in html
    assert "倍速" not in html.split("怎样才算学习时间")[0]  # only the reasons that happened are listed
    assert "2026年11月2日 09:00–09:03" in html
    assert '<dt>计入时间</dt><dd><strong class="ok-text">2 分钟</strong></dd>' in html  # 93 s credited
    # The timeline: 0–93 s of a 300 s video, on the bar and in words; 31 % watched.
    detail = response.context["detail"]
    assert [(s.left, s.width) for s in detail.segments] == [(0.0, 31.0)]
    assert "已看过的部分：0:00 到 1:33。" in html
    assert "已看 <strong>31%</strong>" in html and "满 95% 才算看完" in html


def test_a_faster_rate_counts_only_real_time(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        for position in range(30, 181, 30):  # 2×: 30 s of video every 15 s
            player.wait(15)
            player.beat(position)
        _, html = detail_page(setup)
    assert line("倍速播放只按实际时间计", "多播的 3 分钟内容只按实际时间计") in html  # 165 s of video


def test_a_network_outage_says_what_was_made_good(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=30)
        player.wait(90)
        for position in range(45, 121, 15):  # the queued heartbeats, all at once when the network is back
            player.beat(position)
        _, html = detail_page(setup)
    assert line("网络中断或卡顿期间未计", "30 秒（已补传 45 秒）") in html


def test_time_at_a_question_and_another_page_taking_over(setup, settings):
    settings.CHECKPOINTS_PER_COURSEWARE = (1, 1)
    Question.objects.create(course=setup["course"], text="节能的目的是什么", options=["对", "错"], answer="A")
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        gate = player.open()["pending"]["position"]
        keep_playing(player, until=gate - gate % 15)
        player.wait(gate % 15)
        reply = player.beat(gate, playing=False).json()  # stopped at the question
        player.wait(200)
        url = reverse("learning:checkpoint_answer", args=[reply["pending"]["id"]])
        assert player.client.post(url, {"answer": "A"}).json()["correct"]
        player.wait(5)
        keep_playing(player, start=gate, until=gate + 30)
        Player(setup, clock, client=Client()).open()  # the phone starts playing: this page stops counting
        clock.tick(10)
        assert player.beat(gate + 40).status_code == 409
        response, html = detail_page(setup)
    first = response.context["detail"].page.object_list[-1]  # newest first: the computer's playback is last
    assert [(loss.reason, loss.amount) for loss in first.losses] == [
        ("暂停或切到后台的时间不计", "5 秒"),
        ("弹题未答对前不计", "3 分钟"),
        ("另一页面或设备开始播放后本页停止计时", "10 秒"),
    ]
    # The question is on the timeline, answered; never its text or its answer.
    marker = response.context["detail"].markers[0]
    assert marker.answered and marker.left == pytest.approx(gate * 100 / DURATION, abs=0.01)
    assert "节能的目的是什么" not in html and "已答对" in html


def test_honest_viewing_says_everything_counted_and_the_courseware_is_finished(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player)
        _, html = detail_page(setup)
    assert "这次播放的时间全部计入，没有扣除。" in html and "没有计入的部分" not in html
    assert '<strong class="ok-text">已看完</strong>（2026年11月2日）' in html
    assert "已看过的部分：0:00 到 5:00。" in html


def new_session(setup, start, minutes=5, **counters):
    """A playback session row as it stands in PostgreSQL (for playbacks before the counters, or many of them)."""
    PlaybackSession.objects.filter(user=setup["user"], is_current=True).update(is_current=False)
    return PlaybackSession.objects.create(
        id=uuid.uuid4(),
        enrollment=setup["enrollment"],
        user=setup["user"],
        courseware=setup["courseware"],
        started_at=start,
        last_beat_at=start + timedelta(minutes=minutes),
        device_label="安卓手机 · 微信",
        **counters,
    )


def test_a_playback_from_before_the_counters_says_so(setup):
    CoursewareProgress.objects.create(enrollment=setup["enrollment"], courseware=setup["courseware"])
    new_session(setup, START, minutes=12)
    _, html = detail_page(setup)
    assert "这次播放在明细功能上线前，没有逐项记录。" in html
    assert "安卓手机 · 微信" in html and "<dt>播放时间</dt><dd>12 分钟</dd>" in html


def test_an_unanswered_question_shows_as_not_answered(setup):
    progress = CoursewareProgress.objects.create(enrollment=setup["enrollment"], courseware=setup["courseware"])
    question = Question.objects.create(course=setup["course"], text="题", options=["对", "错"], answer="A")
    Checkpoint.objects.create(progress=progress, position=150, question=question)
    response, html = detail_page(setup)
    assert [(m.left, m.at, m.answered) for m in response.context["detail"].markers] == [(50.0, "2:30", False)]
    assert "2:30 还没答对" in html and "还没有看过的部分。" in html and "还没有播放记录。" in html


def test_another_learners_courseware_is_not_found(setup, second):
    bob = Client()
    bob.force_login(second["user"])
    CoursewareProgress.objects.create(enrollment=setup["enrollment"], courseware=setup["courseware"])
    assert bob.get(reverse("learning:study_detail", args=[progress_of(setup).pk])).status_code == 404
    assert Client().get(reverse("learning:study_detail", args=[progress_of(setup).pk])).status_code == 302


def test_the_page_costs_the_same_queries_however_many_playbacks(setup):
    CoursewareProgress.objects.create(enrollment=setup["enrollment"], courseware=setup["courseware"])
    client = Client()
    client.force_login(setup["user"])
    url = reverse("learning:study_detail", args=[progress_of(setup).pk])
    counts = []
    for total in (1, 25):
        while PlaybackSession.objects.count() < total:
            new_session(setup, START + timedelta(hours=PlaybackSession.objects.count()), events=4, lost_paused=90)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        counts.append(len(queries))
        assert html.count('class="detail-session"') == min(total, 10)
    assert counts[0] == counts[1], counts
    assert "第 1 / 3 页" in html


def test_learning_records_links_each_courseware_to_its_detail(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        keep_playing(player, until=30)
        client = Client()
        client.force_login(setup["user"])
        html = client.get(reverse("learning:records"), {"year": 2026}).content.decode()
    assert reverse("learning:study_detail", args=[progress_of(setup).pk]) in html
