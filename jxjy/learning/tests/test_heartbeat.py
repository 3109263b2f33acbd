"""Learning-time integrity with scripted clients (DESIGN.md §7, domain-rules §12): each cheat earns nothing."""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.catalog.models import Category, Chapter, Course, Courseware, Question
from jxjy.credits.models import CreditEntry
from jxjy.learning import playstate
from jxjy.learning.models import Checkpoint, CoursewareProgress, Enrollment, EnrollmentStatus

from .conftest import DURATION

pytestmark = pytest.mark.django_db
START = timezone.make_aware(timezone.datetime(2026, 11, 2, 9, 0, 0))


class Player:
    """A scripted learner's player talking to the real endpoints; the clock is frozen and moved by hand."""

    def __init__(self, setup, clock, client=None):
        self.client = client or Client()
        self.client.force_login(setup["user"])
        self.setup = setup
        self.clock = clock
        self.seq = 0
        self.session = None

    def open(self):
        url = reverse("learning:playback_start", args=[self.setup["enrollment"].pk, self.setup["courseware"].pk])
        data = self.client.post(url).json()
        self.session = data["session"]
        return data

    def beat(self, position, playing=True, seq=None):
        self.seq = seq if seq is not None else self.seq + 1
        payload = {"session": self.session, "seq": self.seq, "position": position, "playing": "1" if playing else "0"}
        return self.client.post(reverse("learning:heartbeat"), payload)

    def wait(self, seconds):
        self.clock.tick(timedelta(seconds=seconds))


def progress(setup):
    playstate.flush()  # what the beat task writes every 10 s
    return CoursewareProgress.objects.get(enrollment=setup["enrollment"], courseware=setup["courseware"])


def play_honestly(player, start=0.0, until=DURATION, step=15):
    position = start
    player.beat(position)
    while position < until:
        player.wait(step)
        position = min(until, position + step)
        player.beat(position, playing=position < until)
    return position


def test_honest_viewing_is_credited_and_finishes(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player)
    p = progress(setup)
    assert p.watched == pytest.approx(DURATION)
    assert p.finished_at is not None
    entry = CreditEntry.objects.get()
    assert (entry.year, entry.category, entry.hours) == (2026, Category.PUBLIC, Decimal("4.00"))
    assert Enrollment.objects.get().status == EnrollmentStatus.LEARNING


def test_req_44_heartbeats_faster_than_the_interval_earn_only_real_time(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        position = 0
        for _ in range(20):  # claims 15 s of video every real second
            player.wait(1)
            position += 15
            player.beat(position)
    assert progress(setup).watched <= 20 + 0.5
    assert progress(setup).finished_at is None


def test_seeking_ahead_earns_nothing(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=30)
        player.beat(250)  # jump far past what was watched
        for position in (265, 280, 295, 300):
            player.wait(15)
            player.beat(position)
    p = progress(setup)
    assert p.watched == pytest.approx(30, abs=0.5)
    assert p.finished_at is None and not CreditEntry.objects.exists()


def test_req_44_position_faster_than_wall_clock_earns_no_more_than_real_time(setup):
    """Playback rate 16: the position advances 16× faster than the clock."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        position = 0
        for _ in range(5):
            player.wait(15)
            position = min(DURATION, position + 15 * 16)
            player.beat(position)
    assert progress(setup).watched <= 15 * 5
    assert progress(setup).finished_at is None


def test_miaobo_one_second_at_each_end_earns_nothing(setup):
    """秒播: play 1 s at the start and 1 s at the end."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(1)
        player.beat(1)
        player.beat(DURATION - 1)
        player.wait(1)
        player.beat(DURATION, playing=False)
    p = progress(setup)
    assert p.watched <= 1.5 and p.finished_at is None and not CreditEntry.objects.exists()


def test_three_segments_earn_only_what_was_really_watched(setup):
    """三段模式: 90 s at the start, the middle and the end."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=90)
        for start in (105, 210):
            player.beat(start)
            play_honestly(player, start=start, until=min(DURATION, start + 90))
    assert progress(setup).watched == pytest.approx(90, abs=1)
    assert progress(setup).finished_at is None


def test_req_44_heartbeats_from_a_superseded_lease_earn_nothing(setup):
    """A second tab (or device) takes the lease; the first one's heartbeats are refused from then on."""
    with freeze_time(START) as clock:
        first = Player(setup, clock)
        first.open()
        first.beat(0)
        client = Client()
        second = Player(setup, clock, client)
        second.open()
        second.beat(0)
        clock.tick(timedelta(seconds=15))
        old = first.beat(15)
        new = second.beat(15)
    assert old.status_code == 409 and old.json()["superseded"] is True
    assert new.status_code == 200 and new.json()["credited"] == pytest.approx(15)
    assert progress(setup).watched == pytest.approx(15)


def test_two_devices_watching_at_once_earn_one_real_time(setup):
    with freeze_time(START) as clock:
        phone, pc = Player(setup, clock, Client()), Player(setup, clock, Client())
        phone.open()
        pc.open()
        phone.beat(0)
        pc.beat(0)
        for i in range(1, 5):
            clock.tick(timedelta(seconds=15))
            phone.beat(15 * i)
            pc.beat(15 * i)
    assert progress(setup).watched == pytest.approx(60)


def test_req_44_a_replayed_heartbeat_earns_nothing(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        assert player.beat(15).json()["credited"] == pytest.approx(15)
        player.wait(15)
        replay = player.beat(30, seq=player.seq)  # same seq again
        older = player.beat(30, seq=1)
    assert replay.json() == {"accepted": False, "credited": 0}
    assert older.json()["accepted"] is False
    assert progress(setup).watched == pytest.approx(15)


def test_heartbeats_without_a_session_earn_nothing(setup, bob):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.session = str(uuid.uuid4())
        assert player.beat(0).status_code == 404
        stranger = Client()
        stranger.force_login(bob)
        real = Player(setup, clock)
        real.open()
        forged = stranger.post(
            reverse("learning:heartbeat"), {"session": real.session, "seq": 1, "position": 15, "playing": "1"}
        )
        assert forged.status_code == 404
        for bad in ({"session": "x", "seq": 1, "position": 1}, {"session": real.session, "seq": 1, "position": "nan"}):
            assert real.client.post(reverse("learning:heartbeat"), bad).status_code == 400
        anonymous = Client().post(reverse("learning:heartbeat"), {"session": real.session, "seq": 1, "position": 1})
        assert anonymous.status_code == 401
    assert CoursewareProgress.objects.get().watched == 0


def test_paused_and_hidden_time_earns_nothing(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        player.beat(15, playing=False)  # pause
        player.wait(600)
        player.beat(15, playing=True)  # resume
        player.wait(5)
        reply = player.beat(60)  # claims 45 s of video after 5 s of play
    assert reply.json()["credited"] <= 5.5
    assert progress(setup).watched <= 20.5


def test_an_unanswered_popup_stops_credit_until_answered(setup):
    question = Question.objects.create(
        course=setup["course"], text="公共机构节能的主要目的？", options=["降低能耗", "增加开支"], answer="A"
    )
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        start = player.open()
        checkpoint = Checkpoint.objects.get()
        assert checkpoint.question == question
        assert start["pending"] == {"position": checkpoint.position}
        gate = checkpoint.position
        player.beat(0)
        position = 0.0
        replies = []
        while position < DURATION:
            player.wait(15)
            position = min(DURATION, position + 15)
            replies.append(player.beat(position).json())
        assert progress(setup).watched == pytest.approx(gate, abs=0.2)
        due = next(r["pending"] for r in replies if r["pending"])
        assert due["id"] == checkpoint.pk and "answer" not in str(due) and due["text"] == question.text
        url = reverse("learning:checkpoint_answer", args=[checkpoint.pk])
        wrong = player.client.post(url, {"answer": "B"}).json()
        assert wrong["correct"] is False
        right = player.client.post(url, {"answer": "A"}).json()
        assert right == {"correct": True, "resume": gate, "gate": None}
        checkpoint.refresh_from_db()
        assert checkpoint.answered_at and checkpoint.wrong_answers[0]["answer"] == "B"
        player.beat(gate)  # the player seeks back to where it stopped
        play_honestly(player, start=gate)
    assert progress(setup).finished_at is not None


def test_someone_elses_checkpoint_cannot_be_answered(setup, bob):
    Question.objects.create(course=setup["course"], text="题", options=["对", "错"], answer="A")
    with freeze_time(START) as clock:
        Player(setup, clock).open()
    other = Client()
    other.force_login(bob)
    checkpoint = Checkpoint.objects.get()
    assert other.post(reverse("learning:checkpoint_answer", args=[checkpoint.pk]), {"answer": "A"}).status_code == 404
    checkpoint.refresh_from_db()
    assert checkpoint.answered_at is None


def test_honest_viewing_with_dropped_heartbeats_retried_keeps_99_percent(setup):
    """10 % of heartbeats are lost to the network and sent again with the next one, in order."""
    rng = random.Random(7)
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        position, queue = 0.0, []
        while position < DURATION:
            clock.tick(timedelta(seconds=15))
            position = min(DURATION, position + 15)
            player.seq += 1
            queue.append((player.seq, position))
            if rng.random() < 0.1 and position < DURATION:
                continue  # this one failed; it stays queued
            for seq, queued_position in queue:
                player.beat(queued_position, playing=queued_position < DURATION, seq=seq)
            queue.clear()
    assert progress(setup).watched >= 0.99 * DURATION


def test_replaying_a_finished_courseware_posts_no_extra_hours(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player)
        player.open()  # 重学
        play_honestly(player)
    assert CreditEntry.objects.count() == 1


def test_resume_position_on_another_device(setup):
    with freeze_time(START) as clock:
        phone = Player(setup, clock, Client())
        phone.open()
        play_honestly(phone, until=120)
        pc = Player(setup, clock, Client())
        assert pc.open()["position"] == pytest.approx(120)


def test_heartbeat_query_count_is_small_and_fixed(setup):
    """A heartbeat reads and writes no SQL table of its own: only the sign-in (session, user) touches the
    database, and a pause writes the state at once (a fixed handful more)."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        player.beat(15)  # the first credit also marks the class 学习中 (written at once, once)
        for position in (30, 45, 60, 75, 90):
            player.wait(15)
            with CaptureQueriesContext(connection) as queries:
                assert player.beat(position).json()["credited"] == pytest.approx(15)
            tables = " ".join(q["sql"] for q in queries.captured_queries)
            assert "learning_" not in tables and "catalog_" not in tables
            # session + user; once a minute the idle-timeout stamp is saved into the session (SQLite run).
            assert len(queries) <= 2 + 3
        player.wait(5)
        with CaptureQueriesContext(connection) as queries:
            player.beat(95, playing=False)
        # + lock and update the progress row, read and update the session row (in a transaction).
        assert len(queries) <= 2 + 3 + 6
    assert progress(setup).watched == pytest.approx(95)


def test_a_course_not_selected_cannot_be_played(setup, catalog):
    course = Course.objects.create(title="书法鉴赏入门", category=Category.ELECTIVE, hours=Decimal("4"))
    catalog[(2026, "L4")].courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware.objects.create(chapter=chapter, title="1.1", video="coursewares/y.mp4", duration=60)
    client = Client()
    client.force_login(setup["user"])
    response = client.post(reverse("learning:playback_start", args=[setup["enrollment"].pk, courseware.pk]))
    assert response.status_code == 403 and "在线选课" in response.json()["error"]


def test_the_ledger_is_append_only(setup):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player)
    entry = CreditEntry.objects.get()
    entry.hours = Decimal("99")
    with pytest.raises(RuntimeError):
        entry.save()


def test_an_honest_learner_passes_two_checkpoints_and_finishes(setup, settings):
    """The player stops at each question the server announces (`gate`), answers it and goes on."""
    settings.CHECKPOINTS_PER_COURSEWARE = (2, 2)
    for text in ("题一", "题二"):
        Question.objects.create(course=setup["course"], text=text, options=["对", "错"], answer="A")
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        gate = player.open()["pending"]["position"]
        position = 0.0
        reply = player.beat(position).json()
        while position < DURATION:
            step = 15.0 if gate is None else min(15.0, gate - position)
            player.wait(step)
            position = min(DURATION, position + step)
            reply = player.beat(position, playing=position < DURATION).json()
            if reply["pending"]:
                answer_url = reverse("learning:checkpoint_answer", args=[reply["pending"]["id"]])
                answered = player.client.post(answer_url, {"answer": "A"}).json()
                assert answered["correct"] and answered["resume"] == pytest.approx(position, abs=0.6)
                gate = answered["gate"]
            else:
                gate = reply["gate"]
    assert Checkpoint.objects.filter(answered_at__isnull=False).count() == 2
    assert progress(setup).finished_at is not None
    assert progress(setup).watched >= 0.99 * DURATION


def test_a_late_first_heartbeat_does_not_stop_later_credit(setup):
    """The "play" heartbeat reaches the server 5 s late (a slow phone network); the rest arrive on time.
    Honest viewing must still be credited to the end (found by the gunicorn benchmark)."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        clock.tick(timedelta(seconds=5))
        player.beat(0)  # sent at t=0, arrives at t=5
        position = 0.0
        for _ in range(int(DURATION // 15)):
            clock.tick(timedelta(seconds=15))
            position = min(DURATION, position + 15)
            reply = player.beat(position, playing=position < DURATION).json()
            assert reply["credited"] > 0
    p = progress(setup)
    assert p.watched >= 0.95 * DURATION and p.finished_at is not None
    assert len(p.intervals) == 1


def test_jitter_does_not_fragment_the_watched_intervals():
    from jxjy.lib.intervals import add_interval

    intervals = []
    for start in range(0, 300, 15):
        intervals = add_interval(intervals, start + 0.01, start + 15)
    assert intervals == [[0.01, 300]]
    assert add_interval([[0, 10]], 12, 20) == [[0, 10], [12, 20]]  # a real gap stays a gap


def test_req_44_credited_time_per_video_never_exceeds_its_duration(setup):
    """Watching it all, again (重学), seeking back and over it, on two devices: the time that counts (the
    watched intervals, and the hours posted to the ledger) stays within the video's length."""
    with freeze_time(START) as clock:
        phone, pc = Player(setup, clock, Client()), Player(setup, clock, Client())
        phone.open()
        play_honestly(phone)
        pc.open()  # 重学 on another device
        play_honestly(pc, start=0.0)
        pc.beat(100)  # back into the middle, and over the end again
        play_honestly(pc, start=100.0)
        pc.beat(DURATION + 500)  # a position past the end is clamped to it
    p = progress(setup)
    assert p.watched == pytest.approx(DURATION) and p.watched <= DURATION
    assert all(0 <= start <= end <= DURATION for start, end in p.intervals)
    assert [e.hours for e in CreditEntry.objects.all()] == [setup["course"].hours]  # posted once, the course's


@pytest.fixture
def anomaly_log(caplog):
    """The kinds of the heartbeat anomaly lines written, in order."""
    caplog.set_level("WARNING", logger="jxjy.learning.heartbeat")
    return lambda: [
        r.getMessage().split()[2] for r in caplog.records if r.getMessage().startswith("heartbeat anomaly ")
    ]


def test_req_44_anomalies_are_logged(setup, anomaly_log, caplog):
    """Replayed, superseded and ahead-of-the-clock heartbeats each leave a warning line naming the kind."""
    with freeze_time(START) as clock:
        first = Player(setup, clock, Client())
        first.open()
        first.beat(0)
        first.wait(15)
        first.beat(15)
        first.beat(15, seq=first.seq)  # replayed
        first.wait(15)
        first.beat(15 + 15 * 16)  # 16× the clock
        second = Player(setup, clock, Client())
        second.open()
        first.wait(15)
        first.beat(60)  # from the superseded lease
    assert anomaly_log() == ["replayed", "ahead_of_clock", "superseded"]
    lines = [r.getMessage() for r in caplog.records if "heartbeat anomaly" in r.getMessage()]
    assert all(f"user={setup['user'].pk} session={first.session[:8]}" in line for line in lines)
    assert all(setup["user"].id_number not in r.getMessage() for r in caplog.records)


def test_req_44_honest_viewing_logs_no_anomaly(setup, anomaly_log):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        clock.tick(timedelta(seconds=5))
        player.beat(0)  # a late first heartbeat is not an anomaly
        play_honestly(player)
    assert not anomaly_log()


def test_req_44_a_flood_of_bad_heartbeats_writes_few_log_lines(setup, anomaly_log, caplog, settings):
    """One line per learner and kind a minute; the next one says how many were left out."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # freezegun's clock
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        for _ in range(40):
            player.beat(0, seq=1)  # replayed, 40 times
        assert anomaly_log() == ["replayed"]
        clock.tick(timedelta(seconds=61))
        player.beat(0, seq=1)
    assert anomaly_log() == ["replayed", "replayed"]
    assert "(39 similar lines left out since the last one)" in caplog.records[-1].getMessage()
