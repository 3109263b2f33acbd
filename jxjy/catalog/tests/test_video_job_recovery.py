"""A video job survives a dead worker (issue 13 item 2): the sweeper ends a job whose heartbeat stopped and removes its
files, a second run of a job is safe (a finished one is left alone, an interrupted one starts clean), and ffmpeg dies
with the process that started it. The real worker killed mid-transcode is test_worker_killed.py."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog import transcode, video, videojobs
from jxjy.catalog.models import Courseware, JobStatus, VideoJob

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clip") / "lesson.mov"
    video.make_courseware_video(path, title="职业道德", subtitle="第一章", lines=["测试"], seconds=3, size=(320, 180))
    return path


@pytest.fixture
def work(settings, tmp_path):
    settings.VIDEO_WORK_DIR = str(tmp_path / "work")
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def _job(chapter, user, data=b"staged upload", **fields):
    job = VideoJob(chapter=chapter, title="课件一", order=1, size=len(data), created_by=user, **fields)
    job.source.save("upload", SimpleUploadedFile("upload", data), save=False)
    job.save()
    return job


def _leftovers(job):
    """What a dead worker left: a working directory with a half-written file."""
    directory = videojobs.workdir(job.pk)
    directory.mkdir()
    (directory / "video.mp4").write_bytes(b"half")
    return directory


def _media(settings):
    return sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def test_sweeper_fails_a_job_whose_heartbeat_stopped_and_removes_its_files(content_editor, chapter, work, settings):
    job = _job(chapter, content_editor, status=JobStatus.RUNNING, progress=16, attempts=1,
               heartbeat_at=timezone.now() - timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS + 5))  # fmt: skip
    staged = Path(job.source.path)
    directory = _leftovers(job)

    assert videojobs.sweep_stalled_video_jobs() == 1

    job.refresh_from_db()
    assert (job.status, job.message, job.source.name) == (JobStatus.FAILED, videojobs.INTERRUPTED, "")
    assert job.finished_at is not None and job.progress == 16
    assert not staged.exists() and not directory.exists()
    assert _media(settings) == []
    audit = AuditRecord.objects.get(event=Event.VIDEO_TRANSCODE)
    assert audit.result == "failed" and audit.detail["reason"] == videojobs.INTERRUPTED
    assert audit.detail["job"] == job.pk
    # The 课程管理员 sees 失败 and why, on the job's page and on the course's page.
    client = staff_client(content_editor)
    page = client.get(reverse("office:content_job", args=[job.pk])).content.decode()
    assert "失败" in page and videojobs.INTERRUPTED in page and "重新上传" in page and "http-equiv" not in page
    page = client.get(reverse("office:content_course_detail", args=[chapter.course.pk])).content.decode()
    assert videojobs.INTERRUPTED in page
    # A second sweep finds nothing more to do.
    assert videojobs.sweep_stalled_video_jobs() == 0
    assert AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).count() == 1


def test_sweeper_leaves_a_job_that_still_beats(content_editor, chapter, work, settings):
    job = _job(chapter, content_editor, status=JobStatus.RUNNING, progress=40, attempts=1,
               heartbeat_at=timezone.now() - timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS - 30))  # fmt: skip
    directory = _leftovers(job)
    queued = _job(chapter, content_editor)  # waiting for a worker: no heartbeat yet, and none expected
    VideoJob.objects.filter(pk=queued.pk).update(created_at=timezone.now() - timedelta(hours=2))

    assert videojobs.sweep_stalled_video_jobs() == 0

    job.refresh_from_db()
    assert (job.status, job.progress, job.message) == (JobStatus.RUNNING, 40, "")
    assert Path(job.source.path).exists() and (directory / "video.mp4").exists()
    queued.refresh_from_db()
    assert queued.status == JobStatus.QUEUED and Path(queued.source.path).exists()
    assert not AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).exists()


def test_sweeper_leaves_finished_jobs_but_removes_what_they_left(content_editor, chapter, work, settings):
    long_ago = timezone.now() - timedelta(hours=3)
    done = _job(chapter, content_editor, status=JobStatus.DONE, progress=100, heartbeat_at=long_ago,
                finished_at=long_ago)  # fmt: skip
    failed = VideoJob.objects.create(chapter=chapter, title="课件二", status=JobStatus.FAILED, message="原因",
                                     heartbeat_at=long_ago, finished_at=long_ago)  # fmt: skip
    staged = Path(done.source.path)
    directory = _leftovers(done)  # a worker that died after committing, before cleaning up
    unknown = work / "jxjy-video-999999"  # a job that no longer exists
    unknown.mkdir()
    unrelated = work / "something-else"
    unrelated.mkdir()

    assert videojobs.sweep_stalled_video_jobs() == 0

    done.refresh_from_db()
    failed.refresh_from_db()
    assert (done.status, done.progress, done.message) == (JobStatus.DONE, 100, "")
    assert (failed.status, failed.message, failed.finished_at) == (JobStatus.FAILED, "原因", long_ago)
    assert not staged.exists() and done.source.name == ""
    assert not directory.exists() and not unknown.exists() and unrelated.exists()
    assert not AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).exists()


def test_a_finished_job_run_again_is_left_alone(content_editor, chapter, clip, work, settings):
    job = _job(chapter, content_editor, clip.read_bytes())
    videojobs.run_video_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)
    courseware = Courseware.objects.get()
    files = _media(settings)
    assert files == sorted([courseware.video.name, courseware.poster.name])
    audits = AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).count()

    videojobs.run_video_job(job.pk)  # the broker delivered it again

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress) == (JobStatus.DONE, 1, 100)
    assert list(Courseware.objects.values_list("pk", "video")) == [(courseware.pk, courseware.video.name)]
    assert _media(settings) == files
    assert AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).count() == audits
    assert list(work.iterdir()) == []


def test_an_interrupted_job_run_again_starts_clean(content_editor, chapter, clip, work, settings, monkeypatch):
    # A worker died at 16 %: the job is 转码中, its upload and its working directory are still there.
    job = _job(chapter, content_editor, clip.read_bytes(), status=JobStatus.RUNNING, progress=16, attempts=1,
               heartbeat_at=timezone.now() - timedelta(seconds=40))  # fmt: skip
    staged = Path(job.source.path)
    directory = _leftovers(job)
    stale = directory / "video.mp4"
    seen = []
    real_to_mp4 = transcode.to_mp4

    def recording(source, target, **kwargs):
        seen.append((Path(source).parent, stale.exists()))
        return real_to_mp4(source, target, **kwargs)

    monkeypatch.setattr(transcode, "to_mp4", recording)
    videojobs.run_video_job(job.pk)

    assert seen == [(directory, False)]  # the same directory, emptied first
    job.refresh_from_db()
    assert (job.status, job.progress, job.message, job.attempts) == (JobStatus.DONE, 100, "", 2)
    courseware = Courseware.objects.get()
    assert _media(settings) == sorted([courseware.video.name, courseware.poster.name])
    assert not staged.exists() and not directory.exists()


def test_a_job_interrupted_too_often_fails_instead_of_looping(content_editor, chapter, work, settings):
    job = _job(chapter, content_editor, status=JobStatus.RUNNING, attempts=settings.VIDEO_JOB_MAX_ATTEMPTS,
               heartbeat_at=timezone.now())  # fmt: skip
    staged = Path(job.source.path)
    directory = _leftovers(job)
    videojobs.run_video_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message, job.attempts) == (JobStatus.FAILED, videojobs.INTERRUPTED, 3)
    assert not staged.exists() and not directory.exists()


def test_a_run_taken_over_by_a_newer_one_stops_and_leaves_the_files(content_editor, chapter, clip, work, settings,
                                                                    monkeypatch):  # fmt: skip
    settings.VIDEO_JOB_HEARTBEAT_SECONDS = 0.1
    job = _job(chapter, content_editor, clip.read_bytes())
    real_to_mp4 = transcode.to_mp4
    started = []

    class Recording(subprocess.Popen):
        def __init__(self, args, **kwargs):
            super().__init__(args, **kwargs)
            started.append(self)

    def taken_over(source, target, **kwargs):
        # While this run transcodes, the broker hands the task to another worker, whose run claims the job.
        VideoJob.objects.filter(pk=job.pk).update(attempts=2, heartbeat_at=timezone.now())
        monkeypatch.setattr(subprocess, "Popen", Recording)
        return real_to_mp4(source, target, **kwargs)

    monkeypatch.setattr(transcode, "to_mp4", taken_over)
    videojobs.run_video_job(job.pk)
    ffmpegs = [p for p in started if "-progress" in p.args]

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 2)  # the newer run's, untouched
    assert Path(job.source.path).exists() and videojobs.workdir(job.pk).exists()
    assert not Courseware.objects.exists() and not AuditRecord.objects.filter(event=Event.VIDEO_TRANSCODE).exists()
    assert ffmpegs and all(p.returncode is not None for p in ffmpegs)  # stopped (killed, or had just finished)


def test_a_silent_ffmpeg_still_beats(tmp_path):
    fifo = tmp_path / "stuck.mp4"
    os.mkfifo(fifo)  # nobody writes: ffmpeg waits and reports nothing
    beats = []
    with pytest.raises(transcode.TranscodeError, match="killed after 1.5 s"):
        transcode.to_mp4(fifo, tmp_path / "out.mp4", duration=60, timeout=1.5, progress_interval=0.2,
                         on_progress=beats.append)  # fmt: skip
    assert len(beats) >= 4 and set(beats) == {0}


CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    from jxjy.catalog import transcode
    real = transcode.subprocess.Popen
    def popen(*args, **kwargs):
        process = real(*args, **kwargs)
        if "-progress" in args[0]:  # the transcode, not the encoder list asked first
            print(process.pid, flush=True)
        return process
    transcode.subprocess.Popen = popen
    transcode.to_mp4(sys.argv[1], sys.argv[2], duration=60)
    """
)


def _state(pid):
    """A process's state letter from /proc (None when it is gone; Z is a zombie, already dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_ffmpeg_dies_with_a_killed_worker(tmp_path):
    fifo = tmp_path / "stuck.mp4"
    os.mkfifo(fifo)
    worker = subprocess.Popen([sys.executable, "-c", CHILD, str(fifo), str(tmp_path / "out.mp4")], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    ffmpeg = None
    try:
        ffmpeg = int(worker.stdout.readline())
        assert _state(ffmpeg) not in (None, "Z")
        stat = Path(f"/proc/{ffmpeg}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(stat[2]) == ffmpeg  # its own process group (pgrp), not the worker's
        worker.send_signal(signal.SIGKILL)  # no cleanup code runs in the worker
        worker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _state(ffmpeg) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(ffmpeg) in (None, "Z"), "ffmpeg outlived its worker"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if ffmpeg and _state(ffmpeg) not in (None, "Z"):
            os.kill(ffmpeg, signal.SIGKILL)  # the orphan this test exists to prevent


def test_long_tasks_are_acknowledged_when_done_and_handed_back_when_their_worker_dies(settings):
    from jxjy.catalog.tasks import run_video_job
    from jxjy.celery import app
    from jxjy.orders.tasks import notify_invited_learners
    from jxjy.payments.tasks import process_notification

    for task in (run_video_job, notify_invited_learners, process_notification):
        assert task.acks_late and task.reject_on_worker_lost, task.name
    # Redis hands an unacknowledged task out again only after the longest job could have finished.
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.VIDEO_TRANSCODE_TIMEOUT
    assert app.conf.broker_transport_options == settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert app.conf.worker_prefetch_multiplier == 1
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stalled-video-jobs"]
    assert entry["task"] == "jxjy.catalog.tasks.sweep_stalled_video_jobs" and entry["schedule"] <= 60
    assert settings.VIDEO_JOB_STALL_SECONDS > 2 * settings.VIDEO_JOB_HEARTBEAT_SECONDS
    assert settings.VIDEO_JOB_STALL_SECONDS > settings.VIDEO_PROBE_TIMEOUT
