"""Every number a player or a page sends is range-checked before it is used or stored (issue 13): a hostile value
is a 400 in plain Chinese and leaves nothing behind, and one learner's hostile heartbeat never stops the flush
from writing everyone else's time."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from jxjy.catalog.models import Category, Course, Question
from jxjy.learning import playstate
from jxjy.learning.models import Checkpoint, CourseSelection, CoursewareProgress, PlaybackSession

from .conftest import DURATION
from .test_heartbeat import START, Player, play_honestly

pytestmark = pytest.mark.django_db

HOSTILE_INTEGERS = [
    "2147483648",  # 2**31: one past PostgreSQL's integer
    str(10**20),
    "9" * 5000,
    "-1",
    "0",
    "1.5",
    "1e3",
    "nan",
    "inf",
    "True",
    "",
    "abc",
    "１２",  # full-width digits: int() takes them, nobody's player sends them
    "1_000",  # int() takes this too
    "0x10",
    "12\x00",
]
HOSTILE_POSITIONS = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "-1",
    "-0.5",
    "1e308",
    "1e400",
    str(10**20),
    str(DURATION + 31),  # past the end by more than a player's rounding
    "0x10",
    "１５",
    "True",
    "",
    "15\x00",
    "1" * 5000,
]


def beat(player, **fields):
    payload = {"session": player.session, "seq": player.seq + 1, "position": 15, "playing": "1", **fields}
    return player.client.post(reverse("learning:heartbeat"), payload)


def assert_refused(response, value=""):
    assert response.status_code == 400, response.content
    if "\x00" in str(value):
        return  # refused before any view, for every request (jxjy/lib/input.py)
    message = response.json()["error"]
    assert message and all(not c.isascii() or c in "，。：、 0-9" for c in message[:2])  # plain Chinese


@pytest.mark.parametrize("value", HOSTILE_INTEGERS)
def test_a_hostile_seq_is_refused_and_not_stored(setup, value):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        before = playstate.store().get(setup["user"].pk)[0]
        assert_refused(beat(player, seq=value), value)
        assert playstate.store().get(setup["user"].pk)[0] == before
        assert player.beat(15, seq=2).status_code == 200  # the honest player goes on
    playstate.flush()
    assert PlaybackSession.objects.get().last_seq == 2


@pytest.mark.parametrize("value", HOSTILE_POSITIONS)
def test_a_hostile_position_is_refused_and_not_stored(setup, value):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        before = playstate.store().get(setup["user"].pk)[0]
        assert_refused(beat(player, position=value), value)
        assert playstate.store().get(setup["user"].pk)[0] == before


def test_a_position_just_past_the_end_is_an_honest_players_rounding(setup):
    """The browser's idea of the video's length may differ from the probed one by a little: clamped, not refused."""
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        play_honestly(player, until=DURATION - 15)
        player.wait(15)
        assert player.beat(DURATION + 0.8, playing=False).status_code == 200
    assert CoursewareProgress.objects.get().finished_at is not None


@pytest.mark.parametrize(
    "fields",
    [
        {"seq": ["2", "3"]},  # a list for a scalar
        {"position": ["15", "16"]},
        {"seq": None},  # missing
        {"position": None},
        {"session": "not-a-uuid"},
        {"session": "x" * 100_000},
    ],
)
def test_lists_and_missing_fields_are_refused(setup, fields):
    with freeze_time(START) as clock:
        player = Player(setup, clock)
        player.open()
        player.beat(0)
        player.wait(15)
        before = playstate.store().get(setup["user"].pk)[0]
        payload = {"session": player.session, "seq": 2, "position": 15, "playing": "1", **fields}
        payload = {key: value for key, value in payload.items() if value is not None}
        assert_refused(player.client.post(reverse("learning:heartbeat"), payload))
        assert playstate.store().get(setup["user"].pk)[0] == before


def test_a_hostile_seq_never_stops_anyone_elses_time_being_saved(setup, second):
    """Before the fix: alice's seq 2**31 was stored, and on PostgreSQL every flush then failed, bob's with it."""
    with freeze_time(START) as clock:
        attacker, victim = Player(setup, clock, Client()), Player(second, clock, Client())
        attacker.open()
        victim.open()
        attacker.beat(0)
        victim.beat(0)
        playstate.flush()
        for position in (15, 30, 45):
            victim.wait(15)
            victim.beat(position)
        assert beat(attacker, seq=str(2**31), position=15).status_code == 400
        assert beat(attacker, seq=str(10**20), position=15).status_code == 400
        playstate.flush()
        pause = attacker.beat(15, playing=False)
        assert pause.status_code == 200
        assert attacker.open()["session"]  # a new playback still opens
    victim_row = CoursewareProgress.objects.get(enrollment=second["enrollment"])
    assert victim_row.watched == pytest.approx(45)
    assert PlaybackSession.objects.filter(last_seq__gt=2**31 - 1).count() == 0


# --- The other views that take a number -------------------------------------------------------------------------


@pytest.mark.parametrize("enrollment_id", [str(2**63), str(10**30), "0"])
def test_playback_start_with_an_impossible_id_is_not_found(setup, enrollment_id):
    client = Client()
    client.force_login(setup["user"])
    for url in (
        f"/learning/{enrollment_id}/play/{setup['courseware'].pk}/",
        f"/learning/{setup['enrollment'].pk}/play/{enrollment_id}/",
        f"/learning/checkpoints/{enrollment_id}/answer/",
    ):
        assert client.post(url, {"answer": "A"}).status_code == 404
    assert not PlaybackSession.objects.exists()


@pytest.mark.parametrize("answer", ["A\x00", "\x00", "A" * 100_000, "题", "Ａ"])
def test_a_hostile_checkpoint_answer_is_refused_and_not_stored(setup, answer):
    Question.objects.create(course=setup["course"], text="题", options=["对", "错"], answer="A")
    with freeze_time(START) as clock:
        Player(setup, clock).open()
    client = Client()
    client.force_login(setup["user"])
    checkpoint = Checkpoint.objects.get()
    url = reverse("learning:checkpoint_answer", args=[checkpoint.pk])
    assert_refused(client.post(url, {"answer": answer}), answer)
    checkpoint.refresh_from_db()
    assert checkpoint.wrong_answers == [] and checkpoint.answered_at is None
    assert client.post(url, {"answer": "B"}).json()["correct"] is False  # a wrong answer is still recorded
    assert client.post(url, {"answer": "a"}).json()["correct"] is True


@pytest.mark.parametrize(
    "courses",
    [[str(2**63)], [str(10**30)], ["-1"], ["1.5"], ["１"], ["1_0"], ["x"], [""], ["1"] * 300],
)
def test_hostile_course_ids_in_the_selection_are_refused(setup, catalog, courses):
    elective = Course.objects.create(title="书法鉴赏入门", category=Category.ELECTIVE, hours=Decimal("4"))
    setup["enrollment"].training_class.courses.add(elective)
    client = Client()
    client.force_login(setup["user"])
    url = reverse("learning:select", args=[setup["enrollment"].pk])
    before = set(CourseSelection.objects.values_list("pk", flat=True))
    response = client.post(url, {"courses": [*courses, str(elective.pk)]}, follow=True)
    assert response.status_code == 200
    assert "选课参数无效" in response.content.decode()
    assert set(CourseSelection.objects.values_list("pk", flat=True)) == before
    chosen = client.post(url, {"courses": [str(elective.pk)]}, follow=True)
    assert "选课已保存" in chosen.content.decode()
    assert CourseSelection.objects.filter(course=elective).exists()
