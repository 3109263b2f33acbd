"""课程管理 → 修改课件: upload, replace and remove a courseware's 字幕 (WebVTT or SRT, stored as clean WebVTT), audited;
bad files refused in plain words with the courseware left as it was."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog import captions
from jxjy.catalog.models import Category, Chapter, Course, Courseware

pytestmark = pytest.mark.django_db

SRT = "1\r\n00:00:01,000 --> 00:00:04,000\r\n<i>各位学员</i>，大家好\r\n\r\n2\r\n00:00:05,000 --> 00:00:08,000\r\n今天讲节能\r\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def courseware(db):
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=2)
    chapter = Chapter.objects.create(course=course, title="第一章 节能基础", order=1)
    return Courseware.objects.create(chapter=chapter, title="1.1 概述", video="coursewares/a.mp4", duration=60)


def edit(client, courseware, **data):
    return client.post(
        reverse("office:content_courseware_edit", args=[courseware.pk]),
        {"title": courseware.title, "order": courseware.order, **data},
    )


def upload(text, name="lesson.srt", encoding="gbk"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="application/octet-stream")


def stored(courseware):
    courseware.refresh_from_db()
    with courseware.captions.open("rb") as handle:
        return handle.read().decode("utf-8")


def test_a_gbk_srt_is_stored_as_clean_webvtt_and_audited(content_editor, courseware):
    client = staff_client(content_editor)
    response = edit(client, courseware, caption_file=upload(SRT))
    assert response.status_code == 302
    assert response.url == reverse("office:content_course_detail", args=[courseware.chapter.course_id])
    vtt = stored(courseware)
    assert vtt == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n各位学员，大家好\n\n00:00:05.000 --> 00:00:08.000\n今天讲节能\n"
    )
    assert courseware.captions.name.endswith(".vtt") and "lesson" not in courseware.captions.name
    record = AuditRecord.objects.get(event=Event.CONTENT_SAVE, object_id=str(courseware.pk))
    assert record.actor_id == content_editor.pk and "caption_file" in record.detail["fields"]

    page = client.get(reverse("office:content_courseware_edit", args=[courseware.pk])).content.decode()
    assert "当前字幕：已上传，共 2 条" in page and "各位学员，大家好" in page
    assert "更换字幕（可不选）" in page and "删除现有字幕" in page


def test_replacing_deletes_the_old_file_after_the_save(content_editor, courseware, django_capture_on_commit_callbacks):
    courseware.captions.save("old.vtt", ContentFile(captions.from_slides(["旧字幕"], 60).encode()), save=True)
    old_name, storage = courseware.captions.name, courseware.captions.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = edit(staff_client(content_editor), courseware, caption_file=upload(SRT, "新.srt", "utf-8"))
    assert response.status_code == 302
    assert "今天讲节能" in stored(courseware) and courseware.captions.name != old_name
    assert not storage.exists(old_name)


def test_removing_captions(content_editor, courseware, django_capture_on_commit_callbacks):
    courseware.captions.save("old.vtt", ContentFile(captions.from_slides(["旧字幕"], 60).encode()), save=True)
    old_name, storage = courseware.captions.name, courseware.captions.storage
    with django_capture_on_commit_callbacks(execute=True):
        response = edit(staff_client(content_editor), courseware, remove_captions="on")
    assert response.status_code == 302
    courseware.refresh_from_db()
    assert not courseware.captions and not storage.exists(old_name)
    record = AuditRecord.objects.get(event=Event.CONTENT_SAVE, object_id=str(courseware.pk))
    assert "remove_captions" in record.detail["fields"]


def test_saving_other_fields_keeps_the_captions(content_editor, courseware):
    courseware.captions.save("old.vtt", ContentFile(captions.from_slides(["旧字幕"], 60).encode()), save=True)
    name = courseware.captions.name
    assert edit(staff_client(content_editor), courseware, title="1.1 节能概述").status_code == 302
    courseware.refresh_from_db()
    assert courseware.title == "1.1 节能概述" and courseware.captions.name == name


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("a.srt", b"\x00\x00\x00\x18ftypmp42isom"), captions.NOT_CAPTIONS),
        (SimpleUploadedFile("a.srt", b""), "空的"),
        (upload("1\n00:00:05,000 --> 00:00:02,000\n倒了\n"), "第 1 条字幕的时间不对：结束时间要晚于开始时间。"),
        (upload("1\n00:10:00,000 --> 00:10:02,000\n别的视频\n"), "第 1 条字幕从 10:00 开始，但视频只有 1:00。"),
        (SimpleUploadedFile("a.vtt", b"WEBVTT\n\n" + b"x" * captions.MAX_BYTES), captions.TOO_BIG),
    ],
)
def test_bad_files_are_refused_in_plain_words(content_editor, courseware, file, message):
    response = edit(staff_client(content_editor), courseware, caption_file=file)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["caption_file"])
    courseware.refresh_from_db()
    assert not courseware.captions
    assert not AuditRecord.objects.filter(event=Event.CONTENT_SAVE).exists()


def test_upload_and_remove_together_is_refused(content_editor, courseware):
    courseware.captions.save("old.vtt", ContentFile(captions.from_slides(["旧字幕"], 60).encode()), save=True)
    name = courseware.captions.name
    response = edit(staff_client(content_editor), courseware, caption_file=upload(SRT), remove_captions="on")
    assert response.status_code == 400
    assert "新字幕会替换旧的" in " ".join(response.context["form"].errors["remove_captions"])
    courseware.refresh_from_db()
    assert courseware.captions.name == name


def test_a_new_courseware_asks_for_its_video_first(content_editor, courseware):
    page = staff_client(content_editor).get(reverse("office:content_courseware_create", args=[courseware.chapter_id]))
    assert "caption_file" not in page.context["form"].fields
    assert "视频处理完成后，点“修改课件”上传" in page.content.decode()


def test_only_content_staff_may_upload(nanjing_reviewer, courseware):
    response = edit(staff_client(nanjing_reviewer), courseware, caption_file=upload(SRT))
    assert response.status_code in (302, 403)
    courseware.refresh_from_db()
    assert not courseware.captions
