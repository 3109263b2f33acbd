"""学习异常 over playback (issue 16): scripted days of study, each anomaly and its honest twin. The anomaly is
flagged with its evidence and exactly the ledger entries its sessions made; the twin is not flagged. Sessions are
written as the player leaves them (one test drives the real heartbeat endpoint), then the real nightly scan runs."""

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.catalog.models import Category, Chapter, Course, Courseware
from jxjy.credits.models import CreditEntry
from jxjy.learning import playstate
from jxjy.learning.models import CoursewareProgress, Enrollment, PlaybackSession
from jxjy.learning.services import class_courses, post_courseware_hours
from jxjy.learning.tests.test_heartbeat import START, Player, play_honestly
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus
from jxjy.review import rules_playback
from jxjy.review.models import Anomaly, Rule
from jxjy.review.scan import scan_day

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 2)  # START's day
PC = "电脑 · Chrome浏览器"


# --- A scripted world: learners in one class, sessions written as the player leaves them ---------------------------


@pytest.fixture
def world(catalog):
    """The 2026 中级工 class with a 10-学时 public course of eight 90-minute coursewares."""
    training_class = catalog[(2026, "L4")]
    course = Course.objects.create(title="工勤人员职业道德", category=Category.PUBLIC, hours=Decimal("10"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章")
    coursewares = [
        Courseware.objects.create(chapter=chapter, title=f"1.{n} 第{n}讲", order=n, video="c/x.mp4", duration=5400)
        for n in range(1, 9)
    ]
    return {"class": training_class, "course": course, "coursewares": coursewares, "n": 0}


def learner(world, city="320100"):
    """A new learner enrolled in the class (the real order path)."""
    world["n"] += 1
    prefix = "320102" if city == "320100" else "320502"
    user = make_learner(f"学员{world['n']}", f"{prefix}19800101{world['n']:03d}", f"139{world['n']:08d}", city=city)
    order = orders.place_order(user=user, class_ids=[world["class"].pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=user)
    class_courses(enrollment)
    return enrollment


def at(clock: str, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(clock)))


def play(enrollment, courseware, start: datetime, minutes: float, *, device=None, ip=None, **counters):
    """One playback session as the player leaves it: credited the minutes played unless told otherwise; on the
    learner's own device and address unless told otherwise."""
    counters.setdefault("credited", minutes * 60)
    device = device or f"pc-{enrollment.user_id}"
    ip = ip or home(enrollment)
    return PlaybackSession.objects.create(
        id=uuid.uuid4(),
        enrollment=enrollment,
        user=enrollment.user,
        courseware=courseware,
        started_at=start,
        last_beat_at=start + timedelta(minutes=minutes),
        is_current=False,
        device=device,
        device_label=PC,
        ip=ip,
        played=minutes * 60,
        **counters,
    )


def home(enrollment) -> str:
    return f"10.0.{enrollment.user_id // 250}.{enrollment.user_id % 250}"


def finish(enrollment, courseware, moment: datetime) -> CreditEntry:
    """The courseware finished at `moment`, its hours posted by the real service."""
    progress = CoursewareProgress.objects.create(
        enrollment=enrollment, courseware=courseware, watched=5400, credited=5400, finished_at=moment
    )
    post_courseware_hours(progress)
    return CreditEntry.objects.get(source_id=f"progress:{progress.pk}")


def flags(rule, day=DAY) -> dict:
    """Run the nightly scan of `day`; {learner id: flag} for one rule (one flag per learner and subject expected)."""
    scan_day(day)
    found = Anomaly.objects.filter(rule=rule, day=day)
    assert found.count() == len({a.user_id for a in found}), "one flag per learner"
    return {a.user_id: a for a in found}


# --- LONG_DAY ------------------------------------------------------------------------------------------------------


def test_more_than_ten_hours_in_a_day_is_flagged_with_its_sessions_and_entries(world):
    long_, honest = learner(world), learner(world)
    cw = world["coursewares"]
    # 06:00–16:30 local: seven 90-minute sessions, 10.5 h (a UTC day would cut off the first two).
    for n in range(7):
        play(long_, cw[n], at("06:00") + timedelta(minutes=90 * n), 90)
    mine = [finish(long_, cw[n], at("06:00") + timedelta(minutes=90 * n + 89)) for n in (0, 1)]
    # A courseware finished the day before and watched again today: that entry was not made by today's sessions.
    before = finish(long_, cw[6], at("20:00", DAY - timedelta(days=1)))
    # 9.5 h on the day, and 2 h the evening before (a session past midnight counts where it started).
    play(honest, cw[0], at("22:30", DAY - timedelta(days=1)), 120)
    for n in range(6):
        play(honest, cw[n + 1], at("07:00") + timedelta(minutes=90 * n), 90)
    play(honest, cw[7], at("17:00"), 30)
    finish(honest, cw[1], at("08:29"))

    found = flags(Rule.LONG_DAY)

    assert set(found) == {long_.user_id}
    flag = found[long_.user_id]
    assert flag.summary == "11月2日计时 10.5 小时（06:00–16:30），超过 10 小时"
    assert flag.evidence["计时合计"] == "10.5 小时" and flag.evidence["播放次数"] == 7
    assert [(s["开始"], s["结束"], s["计时"]) for s in flag.evidence["sessions"][:2]] == [
        ("06:00", "07:30", "90 分钟"),
        ("07:30", "09:00", "90 分钟"),
    ]
    first = flag.evidence["sessions"][0]
    assert (first["设备"], first["IP"], first["课件"]) == (PC, home(long_), "1.1 第1讲")
    assert sorted(flag.entries) == sorted(e.pk for e in mine) and before.pk not in flag.entries
    assert flag.key == f"long_day:{long_.user_id}:2026-11-02" and flag.status == "pending"


# --- ALL_NIGHT -----------------------------------------------------------------------------------------------------


def test_study_in_every_hour_of_the_night_is_flagged_and_a_late_evening_is_not(world):
    owl, evening, almost, gap, across = (learner(world) for _ in range(5))
    cw = world["coursewares"]
    for n in range(7):  # 00:05–06:00: 50-minute playbacks, one after the other
        play(owl, cw[n], at("00:05") + timedelta(minutes=50 * n + 1), 50)
    entry = finish(owl, cw[0], at("00:55"))
    for n in range(5):  # 19:00–23:50 on the day: a late evening
        play(evening, cw[n], at("19:00") + timedelta(minutes=58 * n), 55)
    for n in range(5):  # 00:00–04:50: the hour from five is missing
        play(almost, cw[n], at("00:00") + timedelta(minutes=58 * n), 55)
    for n, start in enumerate(("00:00", "00:58", "03:10", "04:05", "05:00")):  # nothing from 2:00 to 2:59
        play(gap, cw[n], at(start), 55)
    # Begun at 23:30 the evening before and still playing past midnight, then each hour from one to six.
    play(across, cw[0], at("23:30", DAY - timedelta(days=1)), 70)
    for n in range(1, 6):
        play(across, cw[n], at("01:00") + timedelta(hours=n - 1), 55)

    found = flags(Rule.ALL_NIGHT)

    assert set(found) == {owl.user_id, across.user_id}
    flag = found[owl.user_id]
    assert flag.summary.startswith("11月2日凌晨 0 点到 6 点每个小时都在学习（00:06–")
    assert flag.evidence["夜间时段"] == "0:00–5:59" and len(flag.evidence["sessions"]) == 7
    assert flag.entries == [entry.pk]
    assert found[across.user_id].evidence["sessions"][0]["开始"] == "11月1日 23:30"


# --- REFUSED_BURST -------------------------------------------------------------------------------------------------


def test_a_burst_of_refused_seeks_is_flagged_and_a_few_are_not(world):
    tool, clumsy = learner(world), learner(world)
    cw = world["coursewares"]
    play(tool, cw[0], at("09:00"), 40, credited=300, beats_seek=25, lost_seek=4000)
    play(tool, cw[1], at("10:00"), 30)
    play(clumsy, cw[0], at("09:00"), 40, beats_seek=3, beats_rate=19, beats_replayed=2)

    found = flags(Rule.REFUSED_BURST)

    assert set(found) == {tool.user_id}
    flag = found[tool.user_id]
    assert flag.summary == "11月2日一次播放中快进被拒 25 次（09:00–09:40）"
    assert flag.evidence["快进被拒次数"] == 25 and flag.evidence["异常播放次数"] == 1
    assert [s["快进被拒"] for s in flag.evidence["sessions"]] == [25]  # only the burst, not the honest playback
    assert flag.entries == []  # nothing of that courseware was finished


def beats(player, seconds, start=0.0, step=15):
    """Heartbeats every 15 s from `start` to `seconds`, still playing."""
    position = start
    player.beat(position)
    while position < seconds:
        player.wait(step)
        position += step
        player.beat(position)
    return position


def test_replayed_heartbeats_through_the_real_endpoint_are_flagged_once(world):
    """A tool resending one heartbeat number again and again (counted by the real judge), then the nightly scan;
    a flaky network that retried a few heartbeats is the twin."""
    forger, retried = learner(world), learner(world)
    courseware = world["coursewares"][0]
    with freeze_time(START) as clock:
        player = Player({"user": forger.user, "enrollment": forger, "courseware": courseware}, clock)
        player.open()
        beats(player, 60)
        for _ in range(25):
            clock.tick(2)
            assert player.beat(60, seq=2).json()["accepted"] is False
        other = Player({"user": retried.user, "enrollment": retried, "courseware": courseware}, clock, client=Client())
        other.open()
        play_honestly(other, until=120)
        for _ in range(3):
            other.beat(120, seq=3)
    playstate.flush()
    assert PlaybackSession.objects.get(pk=player.session).beats_replayed == 25

    found = flags(Rule.REFUSED_BURST)

    assert set(found) == {forger.user_id}
    assert found[forger.user_id].summary.startswith("11月2日一次播放中重放或伪造被拒 25 次（09:00–")
    assert found[forger.user_id].evidence["重放或伪造被拒次数"] == 25
    assert scan_day(DAY)[Rule.REFUSED_BURST] == 0  # the nightly run and 立即检查 find the same flag
    assert Anomaly.objects.filter(rule=Rule.REFUSED_BURST).count() == 1


# --- ALTERNATING ---------------------------------------------------------------------------------------------------


def test_one_browser_switching_two_accounts_is_flagged_for_both(world):
    a, b, c, d = learner(world), learner(world, city="320500"), learner(world), learner(world)
    cw = world["coursewares"]
    play(a, cw[0], at("08:00"), 55, device="shared")
    play(b, cw[0], at("09:00"), 55, device="shared")
    play(a, cw[1], at("10:00"), 55, device="shared")
    a_entry, b_entry = finish(a, cw[1], at("10:54")), finish(b, cw[0], at("09:54"))
    finish(a, cw[2], at("11:00"))  # studied elsewhere: not these sessions
    play(c, cw[0], at("08:00"), 55, device="home")  # a hand-over: one, then the other, nobody comes back
    play(d, cw[0], at("19:00"), 55, device="home")

    found = flags(Rule.ALTERNATING)

    assert set(found) == {a.user_id, b.user_id}
    flag = found[a.user_id]
    assert flag.group == found[b.user_id].group == "alternating:2026-11-02:device:shared"
    assert flag.summary == "11月2日在同一台设备上与另 1 个账号轮流学习（08:00–10:55），本人 2 次、计时 1.8 小时"
    assert flag.evidence["换账号次数"] == 2 and flag.evidence["账号数"] == 2
    assert [(s["学员"], s["开始"]) for s in flag.evidence["sessions"]] == [
        ("本人", "08:00"),
        ("其他学员1", "09:00"),
        ("本人", "10:00"),
    ]
    assert flag.evidence["learners"] == [
        {"user_id": b.user_id, "称呼": "其他学员1", "姓名": b.user.name, "city_id": "320500"}
    ]
    assert flag.entries == [a_entry.pk] and found[b.user_id].entries == [b_entry.pk]  # never the other's


def test_the_real_player_in_one_browser_signed_in_as_two_accounts_in_turn_is_flagged(world):
    """The device id is the browser's own cookie, kept across sign-ins: A, then B, then A again in one browser."""
    a, b = learner(world), learner(world)
    courseware = world["coursewares"][0]
    browser = Client(REMOTE_ADDR="10.20.30.40")
    with freeze_time(START) as clock:
        for who, start in ((a, 0), (b, 0), (a, 60)):  # A's second turn goes on where it stopped
            player = Player({"user": who.user, "enrollment": who, "courseware": courseware}, clock, client=browser)
            player.open()
            beats(player, start + 60, start=start)
            clock.tick(120)
    playstate.flush()
    assert PlaybackSession.objects.values("device").distinct().count() == 1

    found = flags(Rule.ALTERNATING)

    assert set(found) == {a.user_id, b.user_id}
    assert [s["学员"] for s in found[b.user_id].evidence["sessions"]] == ["其他学员1", "本人", "其他学员1"]
    assert found[b.user_id].evidence["sessions"][1]["IP"] == "10.20.30.40"


def test_two_accounts_in_lockstep_from_one_address_are_flagged_and_colleagues_on_one_nat_are_not(world):
    e, f, g, h, i, j, k, m = (learner(world) for _ in range(8))
    cw = world["coursewares"]
    for n in range(4):  # one person, two browsers: both accounts start within a minute, session after session
        play(e, cw[n], at("13:00") + timedelta(minutes=50 * n), 48, device="e-pc", ip="10.9.9.9")
        play(f, cw[n], at("13:00") + timedelta(minutes=50 * n, seconds=40), 48, device="e-pc2", ip="10.9.9.9")
    # Colleagues behind one office NAT studying the same afternoon: now and then they start close together.
    for n, (mine, theirs) in enumerate(
        [("13:00", "13:01"), ("13:40", "13:55"), ("14:30", "14:31"), ("15:20", "15:45")]
    ):
        play(g, cw[n], at(mine), 35, device="g-pc", ip="10.8.8.8")
        play(h, cw[n], at(theirs), 35, device="h-pc", ip="10.8.8.8")
    # Three times in lockstep, but among eight playbacks each: not session after session.
    for n in range(8):
        play(i, cw[n], at("08:00") + timedelta(minutes=40 * n), 35, device="i-pc", ip="10.7.7.7")
        late = 1 if n in (0, 3, 6) else 17
        play(j, cw[n], at("08:00") + timedelta(minutes=40 * n + late), 20, device="j-pc", ip="10.7.7.7")
    # Three times in a row, but each a minute and a half or more apart: two people, not two browsers of one.
    for n, apart in enumerate((95, 100, 110)):
        play(k, cw[n], at("09:00") + timedelta(minutes=60 * n), 50, device="k-pc", ip="10.6.6.6")
        play(m, cw[n], at("09:00") + timedelta(minutes=60 * n, seconds=apart), 50, device="m-pc", ip="10.6.6.6")

    found = flags(Rule.ALTERNATING)

    assert set(found) == {e.user_id, f.user_id}
    flag = found[e.user_id]
    assert flag.group == "alternating:2026-11-02:ip:10.9.9.9" and flag.key.endswith(":ip:10.9.9.9")
    assert flag.summary == "11月2日与另 1 个账号在同一网络同时开始学习 4 次（13:00–16:18），本人计时 3.2 小时"
    assert len(flag.evidence["sessions"]) == 8 and flag.evidence["同时开始次数"] == 4


# --- CROWDED -------------------------------------------------------------------------------------------------------


def test_more_than_three_accounts_on_one_device_are_shown_and_three_are_not(world):
    four, three = [learner(world) for _ in range(4)], [learner(world) for _ in range(3)]
    cw = world["coursewares"]
    for n, enrollment in enumerate(four):
        play(enrollment, cw[0], at("08:00") + timedelta(hours=n), 50, device="kiosk", ip=f"10.1.0.{n}")
    for n, enrollment in enumerate(three):
        play(enrollment, cw[0], at("08:00") + timedelta(hours=n), 50, device="kiosk-2", ip=f"10.2.0.{n}")

    found = flags(Rule.CROWDED)

    assert set(found) == {e.user_id for e in four}
    flag = found[four[0].user_id]
    assert flag.summary == "11月2日同一台设备有 4 个账号学习，可能是家人或同事共用，请结合实际核查"
    assert flag.evidence["账号数"] == 4 and flag.evidence["设备"] == PC
    assert {x["user_id"] for x in flag.evidence["learners"]} == {e.user_id for e in four[1:]}
    assert [s["开始"] for s in flag.evidence["sessions"]] == ["08:00"]  # the learner's own playback only
    assert not Anomaly.objects.filter(rule=Rule.ALTERNATING).exists()  # nobody came back: not taking turns


def in_unit(enrollments, *units):
    """Put the learners in these work units, in turn."""
    for n, enrollment in enumerate(enrollments):
        User.objects.filter(pk=enrollment.user_id).update(work_unit=units[n % len(units)])


def test_more_than_thirty_accounts_of_several_units_on_one_address_are_shown_as_possibly_a_shared_network(world):
    """31 accounts of four units on one address are shown; 30 of four units are not (the count), and 40 of one unit
    are not either: one unit behind its own NAT is normal."""
    crowd, fewer, one_unit = ([learner(world) for _ in range(n)] for n in (31, 30, 40))
    in_unit(crowd, "市机关事务管理局", "市档案馆", "市图书馆", "市文化馆")
    in_unit(fewer, "县机关事务管理局", "县档案馆", "县图书馆", "县文化馆")
    in_unit(one_unit, "市第一人民医院")
    cw = world["coursewares"]
    for enrollments, ip in ((crowd, "10.3.3.3"), (fewer, "10.4.4.4"), (one_unit, "10.5.5.5")):
        for n, enrollment in enumerate(enrollments):
            start = at("09:00") + timedelta(minutes=7 * n)
            play(enrollment, cw[n % 8], start, 45, device=f"{ip}-{n}", ip=ip)
    entry = finish(crowd[0], cw[0], at("09:44"))

    found = flags(Rule.CROWDED)

    assert set(found) == {e.user_id for e in crowd}
    flag = found[crowd[0].user_id]
    assert flag.summary == "11月2日同一网络有 31 个账号学习，可能是几个单位共用网络，请结合实际核查"
    assert flag.evidence["网络地址"] == "10.3.3.3" and len(flag.evidence["learners"]) == 30
    assert flag.entries == [entry.pk] and found[crowd[1].user_id].entries == []
    assert not Anomaly.objects.filter(rule=Rule.ALTERNATING).exists()  # each on their own: no lockstep


# --- Rerun and cost -------------------------------------------------------------------------------------------------


def anomalies(world, copies: int):
    """`copies` learners showing every anomaly, and as many honest ones."""
    cw = world["coursewares"]
    for _ in range(copies):
        heavy, night, tool, a, b, honest = (learner(world) for _ in range(6))
        n = world["n"]
        for k in range(7):
            play(heavy, cw[k], at("06:00") + timedelta(minutes=90 * k), 90, device=f"h{n}", ip=f"10.5.{n}.1")
            play(night, cw[k], at("00:05") + timedelta(minutes=50 * k), 50, device=f"n{n}", ip=f"10.5.{n}.2")
            finish(heavy, cw[k], at("06:00") + timedelta(minutes=90 * k + 89))
        play(tool, cw[0], at("09:00"), 40, beats_rate=30, device=f"t{n}", ip=f"10.5.{n}.3")
        for k, who in enumerate((a, b, a, b)):
            play(who, cw[k], at("08:00") + timedelta(hours=k), 50, device=f"s{n}", ip=f"10.6.{n}.{k}")
        for k in range(4):
            play(honest, cw[k], at("14:00") + timedelta(hours=k), 50, device=f"o{n}", ip=f"10.9.{n}.1")


def test_a_rerun_adds_nothing_and_a_scan_costs_the_same_queries_whatever_the_numbers(world):
    anomalies(world, 1)
    with CaptureQueriesContext(connection) as few:
        for check in (rules_playback.long_day, rules_playback.all_night, rules_playback.refused_burst):
            list(check(DAY))
        list(rules_playback.alternating(DAY))
        list(rules_playback.crowded(DAY))
    first = scan_day(DAY)
    assert {rule: first[rule] for rule in (Rule.LONG_DAY, Rule.ALL_NIGHT, Rule.REFUSED_BURST, Rule.ALTERNATING)} == {
        Rule.LONG_DAY: 1,
        Rule.ALL_NIGHT: 1,
        Rule.REFUSED_BURST: 1,
        Rule.ALTERNATING: 2,
    }
    assert set(scan_day(DAY).values()) == {0}

    anomalies(world, 5)
    with CaptureQueriesContext(connection) as many:
        for check in (rules_playback.long_day, rules_playback.all_night, rules_playback.refused_burst):
            list(check(DAY))
        list(rules_playback.alternating(DAY))
        list(rules_playback.crowded(DAY))
    assert scan_day(DAY)[Rule.LONG_DAY] == 5
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Anomaly.objects.filter(rule=Rule.LONG_DAY).count() == 6
