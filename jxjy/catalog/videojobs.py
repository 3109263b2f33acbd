"""Running a video job on the worker: transcode the staged upload, probe it, make its poster, then write the
courseware in one step; and the sweeper that ends the jobs whose worker died (jxjy.catalog.tasks runs both)."""

import logging
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError

from . import transcode, video
from .models import Courseware, JobStatus, VideoJob

logger = logging.getLogger(__name__)

NOT_A_VIDEO = "上传的文件不是可识别的视频，请上传 MP4、MOV、AVI、WMV 等常见格式的视频文件。"
TRANSCODE_FAILED = "视频转码失败：ffmpeg 无法处理该文件，请确认视频完整、能在电脑上正常播放后重新上传。"
UNEXPECTED = "视频处理时出错，请稍后重新上传；如仍失败请联系技术支持。"
INTERRUPTED = "视频处理中断，请重新上传。"
FINISHED = (JobStatus.DONE, JobStatus.FAILED)
WORKDIR_PREFIX = "jxjy-video-"


class _Superseded(Exception):
    """This run no longer owns the job: a newer run claimed it, or the sweeper ended it."""


def _record_failure(job, reason, *, actor=None, **detail):
    """The audit record of a job that ended 失败, naming its courseware (or, for a new one, its chapter)."""
    obj = job.courseware or job.chapter
    record(Event.VIDEO_TRANSCODE, actor=actor, obj=obj, result="failed", job=job.pk, reason=reason, **detail)


def workdir(job_id):
    """The job's working directory. Named after the job, not random, so a re-delivered run or the sweeper finds and
    removes what a dead worker left behind."""
    return Path(settings.VIDEO_WORK_DIR or tempfile.gettempdir()) / f"{WORKDIR_PREFIX}{job_id}"


def _claim(job_id):
    """Start a run of the job: the job with its `attempts` raised (this run's number), or None when there is nothing
    to do (no such job, already finished, or ended here after too many interrupted runs)."""
    with transaction.atomic():
        job = VideoJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        now = timezone.now()
        given_up = job.attempts >= settings.VIDEO_JOB_MAX_ATTEMPTS
        if given_up:
            # Every run so far died with its worker (a file that kills it?): never a loop of re-deliveries.
            job.status, job.message, job.finished_at = JobStatus.FAILED, INTERRUPTED, now
            job.save(update_fields=["status", "message", "finished_at"])
            _record_failure(job, INTERRUPTED, actor=job.created_by, attempts=job.attempts)
        else:
            job.attempts += 1
            job.status, job.progress, job.message, job.heartbeat_at = JobStatus.RUNNING, 0, "", now
            job.save(update_fields=["attempts", "status", "progress", "message", "heartbeat_at"])
    if given_up:
        _remove_files(job)
        return None
    return job


def _beat(job, **fields):
    """Record that this run is alive (and its progress); raise _Superseded when the job is no longer this run's."""
    fields["heartbeat_at"] = timezone.now()
    mine = VideoJob.objects.filter(pk=job.pk, attempts=job.attempts, status=JobStatus.RUNNING)
    if not mine.update(**fields):
        raise _Superseded
    for name, value in fields.items():
        setattr(job, name, value)


def _fetch_source(job, directory):
    """Copy the staged upload from storage (local disk or object storage) into the job's working directory."""
    path = Path(directory) / "source"
    interval = settings.VIDEO_JOB_HEARTBEAT_SECONDS
    last = time.monotonic()
    with job.source.open("rb") as src, open(path, "wb") as dst:
        while chunk := src.read(1024 * 1024):
            dst.write(chunk)
            if time.monotonic() - last >= interval:  # a large file from object storage takes a while
                _beat(job)
                last = time.monotonic()
    return path


def _remove_files(job):
    """Remove the job's staged upload and working directory (whatever a run, finished or dead, left)."""
    shutil.rmtree(workdir(job.pk), ignore_errors=True)
    if job.source:
        job.source.delete(save=False)
    VideoJob.objects.filter(pk=job.pk).exclude(source="").update(source="")


def _transcode(job, work):
    """The platform's MP4 of the staged upload, its duration and its poster: (video path, poster path, seconds).
    Raises UserError with the message the content editor sees."""
    source = _fetch_source(job, work)
    _beat(job)
    try:
        source_duration = video.probe_duration(source, timeout=settings.VIDEO_PROBE_TIMEOUT)
    except ValueError:
        raise UserError(NOT_A_VIDEO) from None
    _beat(job)
    target = work / "video.mp4"
    try:
        transcode.to_mp4(
            source,
            target,
            duration=source_duration,
            timeout=settings.VIDEO_TRANSCODE_TIMEOUT,
            on_progress=lambda percent: _beat(job, progress=percent),
            progress_interval=settings.VIDEO_JOB_HEARTBEAT_SECONDS,
        )
        _beat(job)
        duration = video.probe_duration(target, timeout=settings.VIDEO_PROBE_TIMEOUT)
        poster = video.make_poster(target, work / "poster.jpg")
    except (transcode.TranscodeError, ValueError) as exc:
        logger.warning("video job %s: ffmpeg failed: %s", job.pk, getattr(exc, "detail", exc))
        raise UserError(TRANSCODE_FAILED) from None
    if duration < 1:
        raise UserError("视频时长不足 1 秒，请上传完整的课件视频。")
    _beat(job)
    return target, poster, duration


def _write_courseware(job, target, poster, duration, saved):
    """Store the new files, then change the courseware and finish the job together, under the job's lock, only while
    the job is still this run's. `saved` collects the names stored, for removal if the write does not commit."""
    # The new files go to storage first (object storage may take a while), outside any transaction.
    courseware = Courseware(chapter=job.chapter, title=job.title, order=job.order)
    with open(target, "rb") as handle:
        courseware.video.save("video.mp4", File(handle), save=False)
    saved.append(courseware.video.name)
    with open(poster, "rb") as handle:
        courseware.poster.save("poster.jpg", File(handle), save=False)
    saved.append(courseware.poster.name)
    with transaction.atomic():
        locked = VideoJob.objects.select_for_update().filter(pk=job.pk, attempts=job.attempts, status=JobStatus.RUNNING)
        if not locked.exists():
            raise _Superseded
        old = []
        if job.courseware_id:
            existing = Courseware.objects.select_for_update().get(pk=job.courseware_id)
            old = [f.name for f in (existing.video, existing.poster) if f]
            existing.video, existing.poster = courseware.video.name, courseware.poster.name
            courseware = existing
        courseware.duration = round(duration, 2)
        if courseware.pk:
            courseware.save(update_fields=["video", "poster", "duration"])
        else:
            courseware.save()
        VideoJob.objects.filter(pk=job.pk).update(
            courseware=courseware,
            status=JobStatus.DONE,
            progress=100,
            duration=courseware.duration,
            message="",
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        record(Event.VIDEO_TRANSCODE, actor=job.created_by, obj=courseware, job=job.pk, duration=courseware.duration)
        storage = courseware.video.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old])
    saved.clear()


def run_video_job(job_id):
    """Transcode a staged upload, probe its duration, make its poster, then write the courseware in one step.

    Safe to run twice: a finished job is left alone; a job whose earlier run was interrupted (its worker died and the
    broker delivered the task again) starts clean, and the older run, if it still lives, stops at its next beat. Any
    failure marks the job 失败 with a Chinese message and leaves the courseware, its video and poster as they were;
    the staged upload and working files are removed whatever happens, or by the sweeper when the worker died."""
    job = _claim(job_id)
    if job is None:
        shutil.rmtree(workdir(job_id), ignore_errors=True)  # a finished job has no working directory
        return
    work = workdir(job.pk)
    shutil.rmtree(work, ignore_errors=True)  # an interrupted run's leftovers
    work.mkdir(mode=0o700, parents=True)
    saved = []
    ended = True  # this run decides the outcome (False when another run or the sweeper took the job over)
    try:
        _write_courseware(job, *_transcode(job, work), saved)
    except _Superseded:
        ended = False
        logger.warning("video job %s: run %s stopped, the job was taken over or ended", job.pk, job.attempts)
    except Exception as exc:
        message = exc.message if isinstance(exc, UserError) else UNEXPECTED
        if not isinstance(exc, UserError):
            logger.exception("video job %s failed", job.pk)
        mine = VideoJob.objects.filter(pk=job.pk, attempts=job.attempts, status=JobStatus.RUNNING)
        ended = bool(mine.update(status=JobStatus.FAILED, message=message, finished_at=timezone.now()))
        if ended:
            _record_failure(job, message, actor=job.created_by)
    finally:
        for name in saved:  # the new files of a write that did not commit
            Courseware._meta.get_field("video").storage.delete(name)
        # A run that was taken over leaves the working directory and the upload to the run (or sweeper) that took
        # over; a run interrupted by the worker stopping keeps them too (BaseException: the job stays 转码中, so a
        # re-delivered run can use the upload, or the sweeper removes it).
        if ended and VideoJob.objects.filter(pk=job.pk, attempts=job.attempts, status__in=FINISHED).exists():
            _remove_files(job)


def sweep_stalled_video_jobs():
    """End every job whose run stopped beating (its worker died): 失败 with INTERRUPTED, audited, its staged upload
    and working directory removed. Also removes what finished jobs left (an upload, a local working directory).
    Run every minute by beat; returns the number of jobs ended."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS)
    stalled = Q(status=JobStatus.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    ended = 0
    for job in VideoJob.objects.filter(stalled).select_related("chapter", "courseware"):
        with transaction.atomic():
            # Conditional on what was read: a run that beat (or finished) in the meantime is left alone.
            same = VideoJob.objects.filter(stalled, pk=job.pk, attempts=job.attempts)
            if not same.update(status=JobStatus.FAILED, message=INTERRUPTED, finished_at=now):
                continue
            last_heartbeat = job.heartbeat_at.isoformat() if job.heartbeat_at else None
            _record_failure(
                job, INTERRUPTED, progress=job.progress, attempts=job.attempts, last_heartbeat=last_heartbeat
            )
        logger.warning("video job %s: no heartbeat since %s, marked failed", job.pk, job.heartbeat_at)
        _remove_files(job)
        ended += 1
    for job in VideoJob.objects.filter(status__in=FINISHED).exclude(source=""):
        _remove_files(job)
    _remove_leftover_workdirs()
    return ended


def _remove_leftover_workdirs():
    """Working directories on this host of jobs that are finished or gone (a worker died after the job ended)."""
    root = Path(settings.VIDEO_WORK_DIR or tempfile.gettempdir())
    found = {}
    for path in root.glob(f"{WORKDIR_PREFIX}*"):
        suffix = path.name.removeprefix(WORKDIR_PREFIX)
        if suffix.isascii() and suffix.isdigit() and path.is_dir():
            found[int(suffix)] = path
    if not found:
        return
    running = set(
        VideoJob.objects.filter(pk__in=found, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list(
            "pk", flat=True
        )
    )
    for pk, path in found.items():
        if pk not in running:
            shutil.rmtree(path, ignore_errors=True)
