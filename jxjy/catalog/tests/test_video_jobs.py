"""Video upload → transcoding job: a real short clip becomes a faststart H.264 MP4 with a duration and a poster; a
broken upload or a failing ffmpeg leaves the courseware and the media directory as they were."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog import transcode, video, videojobs
from jxjy.catalog.models import Courseware, JobStatus, VideoJob

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 3-second lecture clip, made once for the module (640×360 to keep the machine free)."""
    path = tmp_path_factory.mktemp("clip") / "lesson.mov"
    video.make_courseware_video(path, title="职业道德", subtitle="第一章", lines=["测试"], seconds=3, size=(640, 360))
    return path


def _files(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


def _post(client, url, name, data, title="课件一"):
    upload = SimpleUploadedFile(name, data, content_type="video/mp4")
    return client.post(url, {"title": title, "order": "1", "video_file": upload})


def test_upload_transcodes_to_faststart_mp4_with_duration_and_poster(
    content_editor, chapter, clip, settings, django_capture_on_commit_callbacks
):
    client = staff_client(content_editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, reverse("office:content_courseware_create", args=[chapter.pk]), "lesson.mov",
                         clip.read_bytes())  # fmt: skip
    job = VideoJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("office:content_job", args=[job.pk])
    assert (job.status, job.progress, job.message) == (JobStatus.DONE, 100, "")
    courseware = Courseware.objects.get()
    assert (courseware.chapter, courseware.title, job.courseware) == (chapter, "课件一", courseware)
    assert courseware.duration == pytest.approx(3, abs=0.3)
    path = courseware.video.path
    assert transcode.moov_before_mdat(path), "the MP4 is not faststart"
    with open(path, "rb") as handle:
        assert handle.read(12)[4:8] == b"ftyp"
    assert "h264" in video._ffmpeg_info(path) and "(Main)" in video._ffmpeg_info(path)
    assert Path(courseware.poster.path).read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    # Only the video and its poster remain: the staged upload is gone.
    assert _files(settings.MEDIA_ROOT) == sorted([courseware.video.name, courseware.poster.name])
    page = client.get(response.url).content.decode()
    assert "已完成" in page and "http-equiv" not in page
    assert client.get(reverse("office:content_job_status", args=[job.pk])).json()["status"] == "done"
    assert AuditRecord.objects.filter(event=Event.VIDEO_UPLOAD).exists()
    assert AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE, result="ok").exists()


def test_replacing_a_video_swaps_files_and_removes_the_old_ones(
    content_editor, chapter, clip, settings, django_capture_on_commit_callbacks
):
    client = staff_client(content_editor)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, reverse("office:content_courseware_create", args=[chapter.pk]), "a.mov", clip.read_bytes())
    courseware = Courseware.objects.get()
    old = courseware.video.name
    with django_capture_on_commit_callbacks(execute=True):
        _post(
            client, reverse("office:content_courseware_edit", args=[courseware.pk]), "b.mov", clip.read_bytes(), "改名"
        )
    courseware.refresh_from_db()
    assert courseware.title == "改名" and courseware.video.name != old
    assert _files(settings.MEDIA_ROOT) == sorted([courseware.video.name, courseware.poster.name])


def test_random_bytes_named_mp4_refused_with_a_message(
    content_editor, chapter, settings, django_capture_on_commit_callbacks
):
    existing = Courseware.objects.create(chapter=chapter, title="原课件", video="coursewares/old.mp4", duration=60)
    client = staff_client(content_editor)
    for url in (reverse("office:content_courseware_create", args=[chapter.pk]),
                reverse("office:content_courseware_edit", args=[existing.pk])):  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            response = _post(client, url, "lesson.mp4", os.urandom(300_000))
        assert response.status_code == 400
        assert videojobs.NOT_A_VIDEO in response.content.decode()
    assert Courseware.objects.count() == 1
    existing.refresh_from_db()
    assert (existing.title, existing.video.name, existing.duration) == ("原课件", "coursewares/old.mp4", 60)
    assert not VideoJob.objects.exists()
    assert _files(settings.MEDIA_ROOT) == []


def test_failing_job_leaves_the_courseware_untouched_and_no_files(content_editor, chapter, settings, clip,
                                                                  monkeypatch, tmp_path):  # fmt: skip
    """The job checks again (a worker may get a file the web server never probed) and cleans up on any failure."""
    existing = Courseware.objects.create(chapter=chapter, title="原课件", video="coursewares/old.mp4", duration=60)
    media = Path(settings.MEDIA_ROOT)
    (media / "coursewares").mkdir(parents=True)
    (media / "coursewares/old.mp4").write_bytes(b"old video")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "work"))
    (tmp_path / "work").mkdir()

    def job_with(data):
        job = VideoJob(chapter=chapter, courseware=existing, title="原课件", created_by=content_editor)
        job.source.save("upload", SimpleUploadedFile("x.mp4", data), save=True)
        videojobs.run_video_job(job.pk)
        job.refresh_from_db()
        return job

    job = job_with(os.urandom(50_000))
    assert (job.status, job.message) == (JobStatus.FAILED, videojobs.NOT_A_VIDEO)

    def broken_ffmpeg(source, target, **kwargs):
        Path(target).write_bytes(b"half")
        raise transcode.TranscodeError("Conversion failed!")

    monkeypatch.setattr(transcode, "to_mp4", broken_ffmpeg)
    job = job_with(clip.read_bytes())
    assert (job.status, job.message) == (JobStatus.FAILED, videojobs.TRANSCODE_FAILED)

    existing.refresh_from_db()
    assert (existing.video.name, existing.duration, existing.poster.name) == ("coursewares/old.mp4", 60, "")
    assert _files(media) == ["coursewares/old.mp4"]
    assert list((tmp_path / "work").iterdir()) == []
    assert AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE, result="failed").count() == 2
    page = staff_client(content_editor).get(reverse("office:content_job", args=[job.pk])).content.decode()
    assert videojobs.TRANSCODE_FAILED in page and "课件原有视频未受影响" in page


def test_job_page_refreshes_until_finished(content_editor, chapter):
    job = VideoJob.objects.create(chapter=chapter, title="课件一", status=JobStatus.RUNNING, progress=40)
    client = staff_client(content_editor)
    page = client.get(reverse("office:content_job", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page and "转码中" in page and 'value="40"' in page
    assert client.get(reverse("office:content_job_status", args=[job.pk])).json() == {
        "id": job.pk, "status": "running", "status_display": "转码中", "progress": 40, "message": "",
        "finished": False, "duration": 0.0,
    }  # fmt: skip


def test_transcode_reports_progress(clip, tmp_path):
    seen = []
    transcode.to_mp4(clip, tmp_path / "out.mp4", duration=3, on_progress=seen.append)
    assert seen and seen == sorted(seen) and all(0 <= p <= 99 for p in seen)
