"""下一步 (issue 15 item 1): one primary button on 学员中心's class card and at the top of 班级首页 that follows the
class's state — 去选课 → 开始/继续学习《课程》 → 参加考试 → 去继续教育档案打印证书 — and the honest states (every
attempt used, the study deadline passed); the same selection warning on 在线学习; the payment result leads there."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jxjy.catalog.models import Category, Chapter, Course, Courseware, TrainingClass
from jxjy.credits.services import post_entry
from jxjy.exams.models import AttemptStatus, ExamAttempt
from jxjy.learning.models import CourseSelection, CoursewareProgress, Enrollment, EnrollmentStatus
from jxjy.learning.next_step import clock
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

BUTTON = re.compile(
    r'<a class="btn btn-large next-step-btn" href="([^"]*)"><span>([^<]*)</span>(?:<span class="next-step-note">([^<]*)</span>)?</a>\s*(?:<p class="next-step-reason">([^<]*)</p>)?'
)


def course(title, category, hours, *seconds):
    found = Course.objects.create(title=title, category=category, hours=Decimal(hours))
    chapter = Chapter.objects.create(course=found, title="第一章")
    wares = [
        Courseware.objects.create(chapter=chapter, title=f"1.{n}", order=n, video="coursewares/x.mp4", duration=s)
        for n, s in enumerate(seconds, 1)
    ]
    return found, wares


@pytest.fixture
def klass(alice, catalog):
    """alice in the 2026 中级工 class (16 公共课 + 24 专业课 + 8 选修课 required), nothing chosen yet."""
    training_class = catalog[(2026, "L4")]
    public, public_cws = course("公共课甲", Category.PUBLIC, "16", 600.0)
    professional, prof_cws = course("专业课甲", Category.PROFESSIONAL, "24", 1800.0, 4000.0)
    elective, _ = course("选修课甲", Category.ELECTIVE, "8", 600.0)
    training_class.courses.add(public, professional, elective)
    order = orders.place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=alice, training_class=training_class)
    return {
        "enrollment": enrollment,
        "order": order,
        "public_cw": public_cws[0],
        "prof_cws": prof_cws,
        "professional": professional,
        "elective": elective,
    }


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


def steps(html):
    """Every next-step button on a page: (href, label, note, reason)."""
    return [tuple(part or "" for part in found) for found in BUTTON.findall(html)]


def card_step(client, enrollment):
    """The next step on 学员中心's card of `enrollment` (the card that links to its 班级首页)."""
    html = client.get(reverse("learning:center")).content.decode()
    home = reverse("learning:class_home", args=[enrollment.pk])
    cards = [card for card in html.split('<li class="class-card">')[1:] if f'href="{home}"' in card]
    assert len(cards) == 1
    (found,) = steps(cards[0])
    return found, cards[0]


def home_step(client, enrollment):
    """The next step at the top of 班级首页: the first thing after the class's tabs, above 学习进度."""
    html = client.get(reverse("learning:class_home", args=[enrollment.pk])).content.decode()
    assert html.index("next-step-card") < html.index("<h2>学习进度</h2>")
    found = steps(html)
    assert len(found) == 1
    return found[0], html


def both(client, enrollment):
    """The card's and the class home's next step, which must agree."""
    on_card, _ = card_step(client, enrollment)
    on_home, _ = home_step(client, enrollment)
    assert on_card[:3] == on_home[:3]
    return on_home


def choose(client, klass, *courses):
    url = reverse("learning:select", args=[klass["enrollment"].pk])
    client.post(url, {"courses": [c.pk for c in courses]})


def fill_hours(enrollment, **hours):
    for category, value in hours.items():
        post_entry(
            user=enrollment.user,
            year=2026,
            category=category,
            hours=Decimal(value),
            source="online",
            source_id=f"test:{category}",
        )


def attempt(enrollment, number, score, *, status=AttemptStatus.GRADED):
    now = timezone.now()
    return ExamAttempt.objects.create(
        enrollment=enrollment,
        user=enrollment.user,
        number=number,
        status=status,
        started_at=now,
        deadline=now + timedelta(minutes=30),
        score=score if status == AttemptStatus.GRADED else None,
        passed=score is not None and score >= 60 and status == AttemptStatus.GRADED,
    )


# --- 去选课 -----------------------------------------------------------------------------------------------------


def test_selection_short_leads_to_select_with_the_real_cap(learner, klass):
    enrollment = klass["enrollment"]
    href, label, note, reason = both(learner, enrollment)
    assert label == "去选课" and href == reverse("learning:select", args=[enrollment.pk]) and note == ""
    assert reason == "专业课还需选 24 学时，选修课还需选 8 学时；不选课进度最多到 33%"

    # Only the categories still short are named, and the cap follows the selection and the requirement.
    choose(learner, klass, klass["elective"])
    assert both(learner, enrollment)[3] == "专业课还需选 24 学时；不选课进度最多到 50%"
    TrainingClass.objects.filter(pk=enrollment.training_class_id).update(professional_hours=Decimal("8"))
    assert both(learner, enrollment)[3] == "专业课还需选 8 学时；不选课进度最多到 75%"


def test_counted_declarations_reduce_what_must_be_selected(learner, klass):
    """审核通过的视同申报可抵扣: 12 approved 专业课 hours leave 12 to choose, not 24."""
    enrollment = klass["enrollment"]
    post_entry(
        user=enrollment.user,
        year=2026,
        category=Category.PROFESSIONAL,
        hours=Decimal("12"),
        source="declaration",
        source_id="declaration:1",
    )
    reason = both(learner, enrollment)[3]
    assert reason == "专业课还需选 12 学时，选修课还需选 8 学时；不选课进度最多到 58%"


def test_online_learning_says_the_same_when_selection_is_short(learner, klass):
    enrollment = klass["enrollment"]
    url = reverse("learning:courses", args=[enrollment.pk])
    html = learner.get(url).content.decode()
    warning = html[html.index("selection-warning") : html.index("培训班课程")]
    assert "专业课还需选 24 学时，选修课还需选 8 学时；不选课进度最多到 33%" in warning
    assert f'<a class="btn" href="{reverse("learning:select", args=[enrollment.pk])}">去选课</a>' in warning
    choose(learner, klass, klass["professional"], klass["elective"])
    assert "selection-warning" not in learner.get(url).content.decode()


def test_select_page_shows_what_is_still_to_choose_per_category(learner, klass):
    enrollment = klass["enrollment"]
    url = reverse("learning:select", args=[enrollment.pk])
    choose(learner, klass, klass["elective"])
    html = learner.get(url).content.decode()
    assert "还需选 24 学时" in html and html.count("还需选 ") == 1 and html.count("已选够") == 2
    # What the page's script recomputes from while boxes are ticked.
    assert f'value="{klass["professional"].pk}" data-category="professional" data-hours="24.0"' in html
    assert 'data-category="professional" data-required="24.0" data-elsewhere="0"' in html


# --- 开始学习 / 继续学习 ------------------------------------------------------------------------------------------


def test_nothing_played_yet_starts_the_first_unfinished_course(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    href, label, note, reason = both(learner, enrollment)
    assert label == "开始学习《公共课甲》" and note == ""
    assert href == reverse("learning:player", args=[enrollment.pk, klass["public_cw"].pk])
    assert reason == "还差 48 学时，约 36 小时视频。"  # 48 学时 × 45 minutes


def test_hours_short_resumes_the_courseware_last_played_at_its_position(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    first, second = klass["prof_cws"]
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=klass["public_cw"], position=100, watched=100)
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=second, position=750.4, watched=750)
    earlier = timezone.now() - timedelta(hours=1)
    CoursewareProgress.objects.filter(courseware=klass["public_cw"]).update(updated_at=earlier)
    href, label, note, _ = both(learner, enrollment)
    assert (label, note) == ("继续学习《专业课甲》", "上次看到 12:30")
    assert href == reverse("learning:player", args=[enrollment.pk, second.pk])

    # The public one played later: it is the one to go on with.
    CoursewareProgress.objects.filter(courseware=klass["public_cw"]).update(updated_at=timezone.now() + timedelta(1))
    href, label, note, _ = both(learner, enrollment)
    assert (label, note) == ("继续学习《公共课甲》", "上次看到 1:40")

    # Finished, with nothing left in its course: the half-watched one (not the unopened first of 专业课甲).
    CoursewareProgress.objects.filter(courseware=klass["public_cw"]).update(finished_at=timezone.now())
    CoursewareProgress.objects.filter(courseware=second).update(updated_at=earlier - timedelta(1))
    href, label, note, _ = both(learner, enrollment)
    assert (label, note) == ("继续学习《专业课甲》", "上次看到 12:30")
    assert href == reverse("learning:player", args=[enrollment.pk, second.pk])
    assert first.pk < second.pk
    CoursewareProgress.objects.filter(courseware=second).update(position=3725)
    assert both(learner, enrollment)[2] == "上次看到 1:02:05"


def test_every_selected_courseware_finished_but_still_short_asks_for_more_courses(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    for courseware in Courseware.objects.filter(chapter__course__in=enrollment.training_class.courses.all()):
        CoursewareProgress.objects.create(enrollment=enrollment, courseware=courseware, finished_at=timezone.now())
    href, label, _, reason = both(learner, enrollment)
    assert label == "去选课" and href == reverse("learning:select", args=[enrollment.pk])
    assert reason.startswith("已选的课程都学完了，还差 48 学时")


# --- 参加考试 / 用完 / 打印证书 / 截止 ----------------------------------------------------------------------------


def test_hours_met_leads_to_the_exam_with_the_attempts_left(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    fill_hours(enrollment, public="16", professional="24", elective="8")
    href, label, note, reason = both(learner, enrollment)
    assert (label, note) == ("参加考试", "还可考 3 次") and href == reverse("exams:exam", args=[enrollment.pk])
    assert reason == "学时已达到要求。60 分合格，取最高分。"
    attempt(enrollment, 1, 40)
    href, label, note, reason = both(learner, enrollment)
    assert (label, note) == ("参加考试", "还可考 2 次") and "目前最高 40 分" in reason
    attempt(enrollment, 2, None, status=AttemptStatus.STARTED)
    assert both(learner, enrollment)[1] == "继续考试"


def test_every_attempt_used_says_so_honestly(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    fill_hours(enrollment, public="16", professional="24", elective="8")
    for number, score in enumerate((40, 55, 50), 1):
        attempt(enrollment, number, score)
    href, label, note, reason = both(learner, enrollment)
    assert label == "查看考试记录" and href == reverse("exams:exam", args=[enrollment.pk]) and note == ""
    assert reason == "3 次考试机会已用完，目前最高 55 分，没有合格。请联系当地工考办。"


def test_passed_or_completed_leads_to_the_archive_of_the_year(learner, klass):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    attempt(enrollment, 1, 80)
    # Passed while the hours are short (an exam entered before a reversal): study on, no certificate yet.
    assert both(learner, enrollment)[1] == "开始学习《公共课甲》"
    fill_hours(enrollment, public="16", professional="24", elective="8")
    href, label, _, reason = both(learner, enrollment)
    assert label == "去继续教育档案打印证书" and href == reverse("certificates:archive") + "?year=2026"
    assert "2026 年度" in reason
    Enrollment.objects.filter(pk=enrollment.pk).update(status=EnrollmentStatus.COMPLETED)
    assert both(learner, enrollment)[3] == "您已结业。在“继续教育档案”选 2026 年度，打印证书。"


def test_deadline_passed_is_said_plainly(learner, klass):
    enrollment = klass["enrollment"]
    deadline = timezone.now() - timedelta(days=2)
    TrainingClass.objects.filter(pk=enrollment.training_class_id).update(study_deadline=deadline)
    href, label, _, reason = both(learner, enrollment)
    date = timezone.localtime(deadline).date().isoformat()
    assert label == "查看继续教育档案" and href == reverse("certificates:archive") + "?year=2026"
    assert reason == f"本班学习已于 {date} 截止，还没有结业。能否补学，请联系当地工考办。"
    _, card = card_step(learner, enrollment)
    assert f"学习已于 {date} 截止" in card


# --- The card and the ring -------------------------------------------------------------------------------------


def test_card_shows_missing_hours_largest_video_time_and_days_left(learner, klass):
    enrollment = klass["enrollment"]
    today = timezone.localdate()
    deadline = timezone.make_aware(datetime.combine(today + timedelta(days=25), time(23, 59)))
    TrainingClass.objects.filter(pk=enrollment.training_class_id).update(study_deadline=deadline)
    fill_hours(enrollment, public="3.96")
    _, card = card_step(learner, enrollment)
    assert '还差 <strong class="class-card-big">44.1</strong> 学时' in card  # 44.04 short rounds up
    assert "约 33 小时 2 分钟视频" in card  # 44.04 × 45 = 1981.8 → 1982 minutes
    assert f"学习截止 {(today + timedelta(days=25)).isoformat()}，还剩 25 天" in card
    assert "共需 48 学时" in card and "48.0" not in card
    assert "进班" in card and "enter-card" not in card  # 进班 stays visible: no hover-only card


def test_ring_draws_no_value_at_zero_and_shows_the_deadline(learner, klass):
    enrollment = klass["enrollment"]
    url = reverse("learning:class_home", args=[enrollment.pk])
    html = learner.get(url).content.decode()
    assert 'aria-label="总进度 0%"' in html and "ring-value" not in html
    assert "学习截止 " in html and "还剩 " in html and "还差 <strong>48</strong> 学时（约 36 小时视频）" in html
    fill_hours(enrollment, public="16")
    html = learner.get(url).content.decode()
    assert 'stroke-dasharray="33 100"' in html
    assert "<span>16 / 16 学时</span>" in html  # "16", never "16.00"


def test_class_home_has_no_competing_primary_study_button(learner, klass):
    html = learner.get(reverse("learning:class_home", args=[klass["enrollment"].pk])).content.decode()
    courses = reverse("learning:courses", args=[klass["enrollment"].pk])
    assert f'<a class="btn btn-secondary" href="{courses}">去学习</a>' in html
    assert f'<a class="btn" href="{courses}">' not in html


def test_center_queries_do_not_grow_with_the_classes(learner, klass, alice, catalog):
    enrollment = klass["enrollment"]
    choose(learner, klass, klass["professional"], klass["elective"])
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=klass["public_cw"], position=30, watched=30)
    url = reverse("learning:center")
    with CaptureQueriesContext(connection) as one:
        learner.get(url)
    # Last year's class asks 4 公共课 (the catalog's course) and 24 专业课: it is being studied too.
    TrainingClass.objects.filter(pk=catalog[(2025, "L4")].pk).update(public_hours=4, elective_hours=0)
    order = orders.place_order(user=alice, class_ids=[catalog[(2025, "L4")].pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    other = Enrollment.objects.get(user=alice, training_class=catalog[(2025, "L4")])
    CourseSelection.objects.get_or_create(enrollment=other, course=klass["professional"])
    catalog[(2025, "L4")].courses.add(klass["professional"])
    CoursewareProgress.objects.create(enrollment=other, courseware=klass["prof_cws"][0], position=90, watched=90)
    with CaptureQueriesContext(connection) as two:
        html = learner.get(url).content.decode()
    assert len(steps(html)) == 2 and "继续学习《专业课甲》" in html and "继续学习《公共课甲》" in html
    assert len(two) == len(one)


def test_a_learner_sees_only_her_own_classes_steps(client, klass, bob):
    client.force_login(bob)
    html = client.get(reverse("learning:center")).content.decode()
    assert steps(html) == [] and "公共课甲" not in html
    assert client.get(reverse("learning:class_home", args=[klass["enrollment"].pk])).status_code == 404


# --- After payment ---------------------------------------------------------------------------------------------


def test_payment_result_leads_into_the_class_with_its_next_step(learner, klass):
    order, enrollment = klass["order"], klass["enrollment"]
    html = learner.get(reverse("orders:result", args=[order.number])).content.decode()
    box = html[html.index("result-box") :]
    (found,) = steps(box)
    assert found[:2] == (reverse("learning:select", args=[enrollment.pk]), "去选课")
    assert "2026年度工勤人员继续教育网络班（中级工）" in box
    # 学员中心 is only a plain link now, not the page's big button.
    assert f'class="btn btn-block" href="{reverse("learning:center")}"' not in box


def test_clock():
    assert [clock(s) for s in (0, 59.9, 750, 3599, 3725)] == ["0:00", "0:59", "12:30", "59:59", "1:02:05"]
