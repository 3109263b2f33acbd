"""Courses, chapters and coursewares in the back office: who may, validation, hours check, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import Category, Chapter, Course, Courseware, TrainingYear

pytestmark = pytest.mark.django_db

COURSE = {"title": "安全生产常识", "category": Category.PUBLIC, "hours": "2", "description": "简介", "is_active": "on"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def course(db):
    return Course.objects.create(title="职业道德与法律法规", category=Category.PUBLIC, hours=2)


@pytest.fixture
def chapter(course):
    return Chapter.objects.create(course=course, title="第一章 职业道德规范", order=1)


def test_content_editor_creates_and_edits_a_course(content_editor):
    client = staff_client(content_editor)
    response = client.post(reverse("office:content_course_create"), COURSE)
    course = Course.objects.get(title="安全生产常识")
    assert response.status_code == 302 and response.url == reverse("office:content_course_detail", args=[course.pk])
    response = client.post(reverse("office:content_course_edit", args=[course.pk]), {**COURSE, "hours": "3.5",
                                                                              "is_active": ""})  # fmt: skip
    course.refresh_from_db()
    assert course.hours == Decimal("3.5") and not course.is_active
    assert AuditRecord.objects.filter(event=Event.CONTENT_SAVE, object_id=str(course.pk)).count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "   "}, "title", "请填写课程名称。"),
        ({"hours": "0"}, "hours", "学时须在 0.5 至 100 之间。"),
        ({"hours": "101"}, "hours", "学时须在 0.5 至 100 之间。"),
        ({"category": "nonsense"}, "category", "请从列表中选择"),
    ],
)
def test_course_form_refuses_bad_input_in_chinese(content_editor, data, field, message):
    response = staff_client(content_editor).post(reverse("office:content_course_create"), {**COURSE, **data})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Course.objects.exists()


def test_duplicate_course_title_refused(content_editor, course):
    response = staff_client(content_editor).post(
        reverse("office:content_course_create"), {**COURSE, "title": course.title}
    )
    assert "已有同名课程" in response.content.decode()
    assert Course.objects.count() == 1


def test_chapter_add_edit_and_order(content_editor, course):
    client = staff_client(content_editor)
    assert client.get(reverse("office:content_chapter_create", args=[course.pk])).context["form"].initial["order"] == 1
    client.post(reverse("office:content_chapter_create", args=[course.pk]), {"title": "第二章", "order": "2"})
    client.post(reverse("office:content_chapter_create", args=[course.pk]), {"title": "第一章", "order": "1"})
    assert list(course.chapters.order_by("order").values_list("title", flat=True)) == ["第一章", "第二章"]
    second = Chapter.objects.get(title="第二章")
    client.post(reverse("office:content_chapter_edit", args=[second.pk]), {"title": "第二章 法规", "order": "0"})
    page = client.get(reverse("office:content_course_detail", args=[course.pk])).content.decode()
    assert page.index("第二章 法规") < page.index("第一章")
    response = client.post(reverse("office:content_chapter_create", args=[course.pk]), {"title": "", "order": "3"})
    assert "请填写章节名称。" in response.content.decode()
    assert course.chapters.count() == 2


def test_new_courseware_needs_a_video(content_editor, chapter):
    response = staff_client(content_editor).post(
        reverse("office:content_courseware_create", args=[chapter.pk]), {"title": "课件一", "order": "1"}
    )
    assert "请选择要上传的视频文件。" in response.content.decode()
    assert not Courseware.objects.exists()


def test_video_over_the_size_limit_refused(content_editor, chapter, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.CONTENT_VIDEO_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.mp4", b"\0" * 2048, content_type="video/mp4")
    response = staff_client(content_editor).post(
        reverse("office:content_courseware_create", args=[chapter.pk]),
        {"title": "课件一", "order": "1", "video_file": upload},
    )
    assert "视频文件太大：不能超过 1.0\xa0KB" in response.content.decode()
    assert not Courseware.objects.exists()


def test_hours_warning_when_videos_differ_by_more_than_ten_percent(content_editor, course, chapter):
    TrainingYear.objects.create(year=2026, minutes_per_hour=45)
    client = staff_client(content_editor)
    url = reverse("office:content_course_detail", args=[course.pk])
    # 2 学时 = 90 minutes; 60 minutes of video is 1.3 学时.
    Courseware.objects.create(chapter=chapter, title="甲", video="coursewares/a.mp4", duration=3600)
    page = client.get(url).content.decode()
    assert 'id="hours-warning"' in page and "折合 1.3 学时" in page
    Courseware.objects.create(chapter=chapter, title="乙", video="coursewares/b.mp4", duration=1800)  # 90 min
    assert 'id="hours-warning"' not in client.get(url).content.decode()
    Courseware.objects.filter(title="乙").update(duration=1800 + 600)  # 100 min: 11 % over
    assert 'id="hours-warning"' in client.get(url).content.decode()
    TrainingYear.objects.filter(year=2026).update(minutes_per_hour=50)  # 2 学时 = 100 min
    assert 'id="hours-warning"' not in client.get(url).content.decode()


@pytest.mark.parametrize("persona", ["finance_user", "nanjing_reviewer"])
def test_other_roles_get_403(request, persona, course, chapter):
    client = staff_client(request.getfixturevalue(persona))
    cw = Courseware.objects.create(chapter=chapter, title="甲", video="coursewares/a.mp4", duration=60)
    urls = [
        reverse("office:content_course_list"),
        reverse("office:content_course_create"),
        reverse("office:content_course_detail", args=[course.pk]),
        reverse("office:content_course_edit", args=[course.pk]),
        reverse("office:content_chapter_create", args=[course.pk]),
        reverse("office:content_chapter_edit", args=[chapter.pk]),
        reverse("office:content_courseware_create", args=[chapter.pk]),
        reverse("office:content_courseware_edit", args=[cw.pk]),
        reverse("office:content_questions", args=[course.pk]),
        reverse("office:content_questions_export", args=[course.pk]),
        reverse("office:content_questions_template"),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("office:content_course_edit", args=[course.pk]), COURSE).status_code == 403
    assert client.post(reverse("office:content_questions_import", args=[course.pk])).status_code == 403
    course.refresh_from_db()
    assert course.title == "职业道德与法律法规"


def test_learner_is_sent_away(client, alice, course):
    client.force_login(alice)
    assert client.get(reverse("office:content_course_list")).status_code in (302, 403)


def test_province_may_manage_content(province_admin, course):
    assert (
        staff_client(province_admin).get(reverse("office:content_course_detail", args=[course.pk])).status_code == 200
    )


def test_menu_link_shown_to_content_and_province_only(content_editor, finance_user):
    link = reverse("office:content_course_list")
    assert link in staff_client(content_editor).get(reverse("office:home")).content.decode()
    assert link not in staff_client(finance_user).get(reverse("office:home")).content.decode()


def test_pages_have_bounded_query_counts(content_editor, django_assert_max_num_queries):
    client = staff_client(content_editor)
    for n in range(12):
        course = Course.objects.create(title=f"课程{n}", category=Category.ELECTIVE, hours=1)
        for c in range(3):
            chapter = Chapter.objects.create(course=course, title=f"第{c}章", order=c)
            for w in range(3):
                Courseware.objects.create(chapter=chapter, title=f"课件{w}", video="coursewares/x.mp4", duration=900)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("office:content_course_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("office:content_course_detail", args=[course.pk])).status_code == 200
