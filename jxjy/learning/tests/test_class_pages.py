from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from jxjy.catalog.models import Category, Chapter, Course, Courseware
from jxjy.credits.services import post_entry
from jxjy.learning.models import CourseSelection, CoursewareProgress, Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def course_with_video(title, category, hours, seconds=60.0):
    course = Course.objects.create(title=title, category=category, hours=Decimal(hours))
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware(chapter=chapter, title="1.1", duration=seconds)
    courseware.video.save("v.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40), save=False)
    courseware.save()
    return course, courseware


@pytest.fixture
def klass(alice, catalog):
    training_class = catalog[(2026, "L4")]
    public, public_cw = course_with_video("公共课甲", Category.PUBLIC, "16")
    professional, prof_cw = course_with_video("专业课甲", Category.PROFESSIONAL, "24")
    elective, _ = course_with_video("选修课甲", Category.ELECTIVE, "4")
    training_class.courses.add(public, professional, elective)
    order = orders.place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    return {
        "enrollment": Enrollment.objects.get(user=alice),
        "public": public,
        "public_cw": public_cw,
        "professional": professional,
        "prof_cw": prof_cw,
        "elective": elective,
    }


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


def test_center_lists_classes_with_progress_and_enter_link(learner, klass, catalog, django_assert_max_num_queries):
    # A second class (last year's) must not add queries.
    order = orders.place_order(
        user=klass["enrollment"].user, class_ids=[catalog[(2025, "L4")].pk], invoice={"invoice_type": "none"}
    )
    orders.transition(order, OrderStatus.PAID)
    post_entry(user=klass["enrollment"].user, year=2026, category=Category.PUBLIC, hours=Decimal("16"),
               source="online", source_id="t0")  # fmt: skip
    with django_assert_max_num_queries(11):  # 下一步 adds selections, exam facts, coursewares and progress
        html = learner.get(reverse("learning:center")).content.decode()
    assert "学习进度 33%" in html and "学习进度 0%" in html
    assert "2026年度工勤人员继续教育网络班（中级工）" in html and "进班" in html
    assert reverse("learning:class_home", args=[klass["enrollment"].pk]) in html


def test_class_home_shows_what_is_missing(learner, klass, django_assert_max_num_queries):
    url = reverse("learning:class_home", args=[klass["enrollment"].pk])
    with django_assert_max_num_queries(14):
        html = learner.get(url).content.decode()
    assert "还差 16 学时" in html and "还差 24 学时" in html and "还差 8 学时" in html
    assert 'aria-label="总进度 0%"' in html and "完成后可参加考试" in html  # 考试情况 itself is exams' to test
    post_entry(user=klass["enrollment"].user, year=2026, category=Category.PUBLIC, hours=Decimal("16"),
               source="online", source_id="t1")  # fmt: skip
    html = learner.get(url).content.decode()
    assert "已达标" in html and "33%" in html


def test_public_courses_are_assigned_and_others_chosen(learner, klass, django_assert_max_num_queries):
    enrollment = klass["enrollment"]
    url = reverse("learning:select", args=[enrollment.pk])
    with django_assert_max_num_queries(16):
        html = learner.get(url).content.decode()
    publics = set(enrollment.training_class.courses.filter(category=Category.PUBLIC).values_list("pk", flat=True))
    assert klass["public"].pk in publics
    assert set(CourseSelection.objects.filter(enrollment=enrollment).values_list("course", flat=True)) == publics
    assert "专业课</strong> 已选 <span data-selected>0</span> / 需 24 学时" in html and "还需选 24 学时" in html
    response = learner.post(url, {"courses": [klass["professional"].pk, klass["elective"].pk]}, follow=True)
    assert "选课已保存" in response.content.decode()
    chosen = set(CourseSelection.objects.filter(enrollment=enrollment).values_list("course", flat=True))
    assert chosen == publics | {klass["professional"].pk, klass["elective"].pk}
    # The elective is 4 of the 8 hours required: still a warning for 选修课, and only for it.
    html = learner.get(url).content.decode()
    assert html.count("还需选 ") == 1 and "还需选 4 学时" in html


def test_public_courses_cannot_be_dropped_and_studied_ones_neither(learner, klass):
    enrollment = klass["enrollment"]
    url = reverse("learning:select", args=[enrollment.pk])
    learner.post(url, {"courses": [klass["professional"].pk]})
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=klass["prof_cw"], watched=30)
    response = learner.post(url, {"courses": []}, follow=True)
    assert "已开始学习的课程不能退选：专业课甲" in response.content.decode()
    chosen = set(CourseSelection.objects.filter(enrollment=enrollment).values_list("course", flat=True))
    assert klass["professional"].pk in chosen and klass["elective"].pk not in chosen


def test_courses_list_and_player(learner, klass, django_assert_max_num_queries):
    enrollment = klass["enrollment"]
    url = reverse("learning:courses", args=[enrollment.pk])
    with django_assert_max_num_queries(14):
        html = learner.get(url).content.decode()
    assert "公共课甲" in html and "播放" in html and "正在学习（1）" in html
    player = reverse("learning:player", args=[enrollment.pk, klass["public_cw"].pk])
    with django_assert_max_num_queries(14):
        page = learner.get(player).content.decode()
    assert reverse("learning:video", args=[enrollment.pk, klass["public_cw"].pk]) in page and "章节" in page
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=klass["public_cw"], watched=60,
                                      finished_at="2026-11-01T00:00:00Z")  # fmt: skip
    html = learner.get(url + "?tab=done").content.decode()
    assert "已经学完（1）" in html and "重学" in html


def test_video_is_served_with_ranges_to_the_enrolled_learner_only(learner, client, klass, bob):
    enrollment = klass["enrollment"]
    url = reverse("learning:video", args=[enrollment.pk, klass["public_cw"].pk])
    whole = learner.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    part = learner.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part["Content-Range"].startswith("bytes 0-99/")
    assert len(b"".join(part.streaming_content)) == 100
    # A course the class has but the learner did not select, and another learner: nothing.
    assert learner.get(reverse("learning:video", args=[enrollment.pk, klass["prof_cw"].pk])).status_code == 404
    assert learner.get(reverse("learning:player", args=[enrollment.pk, klass["prof_cw"].pk])).status_code == 404
    other = type(client)()
    other.force_login(bob)
    assert other.get(url).status_code == 404
    assert other.get(reverse("learning:class_home", args=[enrollment.pk])).status_code == 404


def test_a_video_whose_file_is_gone_is_a_404_not_a_500(learner, klass, caplog):
    enrollment, courseware = klass["enrollment"], klass["public_cw"]
    url = reverse("learning:video", args=[enrollment.pk, courseware.pk])
    courseware.video.storage.delete(courseware.video.name)
    assert learner.get(url).status_code == 404
    assert f"courseware {courseware.pk}: video file" in caplog.text  # the operator hears of it
    type(courseware).objects.filter(pk=courseware.pk).update(video="")
    assert learner.get(url).status_code == 404


def test_switch_class_without_script(learner, klass):
    target = reverse("learning:class_home", args=[klass["enrollment"].pk])
    assert learner.get(reverse("learning:center"), {"to": target}).url == target
    assert learner.get(reverse("learning:center"), {"to": "https://evil.example/"}).status_code == 200
