"""ffmpeg reads an uploaded video as a plain media file only: a playlist (HLS), a concat list or an SDP disguised as a
video is refused — it would make ffmpeg open other files on the server or the network and turn them into the
courseware — and a hanging input is killed after a timeout (issue 12 item 11)."""

import os
import subprocess
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.catalog import transcode, video, videojobs
from jxjy.catalog.models import JobStatus, VideoJob

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    """A video already on the server that no upload may reach (another upload, a courseware, anything)."""
    path = tmp_path_factory.mktemp("server") / "secret.mp4"
    video.make_courseware_video(path, title="不应外泄", subtitle="x", lines=["x"], seconds=2, size=(320, 180))
    return path


def playlists(secret):
    """name → content of files that point ffmpeg at `secret` (or the network) instead of being a video."""
    return {
        "lesson.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n{secret}\n#EXT-X-ENDLIST\n",
        "lesson.mp4": f"ffconcat version 1.0\nfile '{secret.name}'\nduration 2.0\n",
        "lesson.sdp": "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\nm=video 5004 RTP/AVP 96\n"
        "a=rtpmap:96 H264/90000\n",
    }


@pytest.mark.parametrize("name", ["lesson.m3u8", "lesson.mp4", "lesson.sdp"], ids=["hls", "concat", "sdp"])
def test_req_23_a_playlist_is_not_a_video(secret, name):
    path = secret.parent / name
    path.write_text(playlists(secret)[name])
    started = time.monotonic()
    with pytest.raises(ValueError, match="not a plain media container"):
        video.probe_duration(path, timeout=10)
    assert time.monotonic() - started < 10  # refused at once: the SDP is never listened for
    assert video.probe_duration(secret) == pytest.approx(2, abs=0.3)  # while a real video still reads


@pytest.mark.parametrize("name", ["lesson.m3u8", "lesson.mp4"], ids=["hls", "concat"])
def test_req_23_a_crafted_playlist_upload_is_refused(content_editor, chapter, secret, settings, name):
    # Large uploads are written to a temporary file that keeps the upload's extension (.upload.m3u8), next to other
    # users' uploads: exactly where a playlist would look for its neighbours.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(secret.parent)
    upload = SimpleUploadedFile(name, playlists(secret)[name].encode(), content_type="video/mp4")
    response = staff_client(content_editor).post(
        reverse("office:content_courseware_create", args=[chapter.pk]),
        {"title": "课件一", "order": "1", "video_file": upload},
    )
    assert videojobs.NOT_A_VIDEO in response.content.decode()
    assert not VideoJob.objects.exists()


def test_a_playlist_that_reaches_the_transcoding_job_fails_it(content_editor, chapter, secret, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    job = VideoJob(chapter=chapter, title="课件一", order=1, size=100, original_name="lesson.mp4",
                   created_by=content_editor)  # fmt: skip
    job.source.save("upload", SimpleUploadedFile("upload", playlists(secret)["lesson.mp4"].encode()), save=False)
    job.save()
    videojobs.run_video_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == (JobStatus.FAILED, videojobs.NOT_A_VIDEO)
    assert not job.chapter.coursewares.exists()


@pytest.fixture
def children(monkeypatch):
    """Every ffmpeg process started, to check it is gone afterwards."""
    started = []
    real = subprocess.Popen

    class Recording(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    return started


@pytest.fixture
def hanging_input(tmp_path):
    """A named pipe nobody writes to: ffmpeg blocks opening it, as on a stalled network mount."""
    path = tmp_path / "stuck.mp4"
    os.mkfifo(path)
    return path


def test_a_hanging_probe_is_killed(hanging_input, children):
    started = time.monotonic()
    with pytest.raises(ValueError, match="did not finish"):
        video.probe_duration(hanging_input, timeout=1)
    assert time.monotonic() - started < 10
    assert children and all(child.returncode is not None for child in children)  # killed and reaped


def test_a_hanging_transcode_is_killed_and_leaves_nothing(hanging_input, tmp_path, children):
    target = tmp_path / "out.mp4"
    started = time.monotonic()
    with pytest.raises(transcode.TranscodeError, match="killed after 1 s"):
        transcode.to_mp4(hanging_input, target, duration=60, timeout=1)
    assert time.monotonic() - started < 10
    assert not target.exists()
    assert children and all(child.returncode is not None and child.returncode < 0 for child in children)


def test_every_ffmpeg_input_is_restricted_to_local_media(secret, tmp_path, children):
    transcode.to_mp4(secret, tmp_path / "out.mp4", duration=2, timeout=120)
    video.make_poster(tmp_path / "out.mp4", tmp_path / "poster.jpg")
    video.probe_duration(tmp_path / "out.mp4")
    ffmpeg_runs = [child.args for child in children if "-i" in child.args]
    assert len(ffmpeg_runs) == 3
    for args in ffmpeg_runs:
        before_input = args[: args.index("-i")]
        assert before_input[-4:] == video.SAFE_INPUT


def test_req_22_a_video_over_the_limit_is_refused_before_it_is_kept(
    content_editor, chapter, secret, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CONTENT_VIDEO_MAX_BYTES = 50 * 1024
    data = secret.read_bytes() + b"\0" * (50 * 1024)
    upload = SimpleUploadedFile("lesson.mp4", data, content_type="video/mp4")
    response = staff_client(content_editor).post(
        reverse("office:content_courseware_create", args=[chapter.pk]),
        {"title": "课件一", "order": "1", "video_file": upload},
    )
    assert response.status_code == 400 and "视频文件太大" in response.content.decode()
    assert not VideoJob.objects.exists()
    assert not (tmp_path / "media").exists() or not any(p.is_file() for p in (tmp_path / "media").rglob("*"))
