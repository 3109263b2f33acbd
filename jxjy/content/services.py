"""Content workflows for 课程管理员: saving courses, chapters and coursewares, taking a video upload, running its
transcoding job, and checking a course's hours against its videos."""

import logging
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog import video
from jxjy.catalog.models import Courseware, TrainingYear

from . import transcode
from .models import JobStatus, VideoJob

logger = logging.getLogger(__name__)

NOT_A_VIDEO = "上传的文件不是可识别的视频，请上传 MP4、MOV、AVI、WMV 等常见格式的视频文件。"
TRANSCODE_FAILED = "视频转码失败：ffmpeg 无法处理该文件，请确认视频完整、能在电脑上正常播放后重新上传。"
UNEXPECTED = "视频处理时出错，请稍后重新上传；如仍失败请联系技术支持。"
HOURS_TOLERANCE = Decimal("0.10")


def save_content(form, *, request, what):
    """Save a course, chapter or courseware form and audit it."""
    with transaction.atomic():
        created = form.instance.pk is None
        obj = form.save()
        record(Event.CONTENT_SAVE, request=request, obj=obj, what=what, created=created,
               fields=sorted(form.changed_data))  # fmt: skip
    return obj


def probe_upload(upload):
    """The duration of an uploaded file read by ffmpeg (content, not name or declared type); ValueError if ffmpeg
    does not see a video in it."""
    if hasattr(upload, "temporary_file_path"):
        return video.probe_duration(upload.temporary_file_path(), timeout=settings.VIDEO_PROBE_TIMEOUT)
    with tempfile.NamedTemporaryFile(prefix="jxjy-probe-") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        return video.probe_duration(handle.name, timeout=settings.VIDEO_PROBE_TIMEOUT)


def upload_video(*, chapter, upload, title, order, courseware=None, request):
    """Stage an upload (already checked to be a video) as a VideoJob and queue its transcoding once committed."""
    from .tasks import run_video_job

    with transaction.atomic():
        job = VideoJob(chapter=chapter, courseware=courseware, title=title, order=order, size=upload.size,
                       original_name=upload.name[-200:], created_by=request.user)  # fmt: skip
        job.source.save("upload", upload, save=False)
        try:
            job.save()
            record(Event.VIDEO_UPLOAD, request=request, obj=courseware or chapter, job=job.pk, size=upload.size)
        except BaseException:
            job.source.delete(save=False)
            raise
        transaction.on_commit(lambda: run_video_job.delay(job.pk))
    return job


def _update(job, **fields):
    VideoJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def _fetch_source(job, directory):
    """Copy the staged upload from storage (local disk or object storage) into the job's working directory."""
    path = Path(directory) / "source"
    with job.source.open("rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return path


def run_video_job(job_id):
    """Transcode a staged upload, probe its duration, make its poster, then write the courseware in one step.

    Safe to call twice (a finished job is left alone). Any failure marks the job 失败 with a Chinese message and
    leaves the courseware, its video and poster as they were; the staged upload and working files are removed
    whatever happens."""
    job = VideoJob.objects.select_related("courseware", "chapter").filter(pk=job_id).first()
    if job is None or job.finished:
        return
    _update(job, status=JobStatus.RUNNING, progress=0, message="")
    workdir = tempfile.mkdtemp(prefix="jxjy-video-")
    saved = []
    try:
        source = _fetch_source(job, workdir)
        try:
            source_duration = video.probe_duration(source, timeout=settings.VIDEO_PROBE_TIMEOUT)
        except ValueError:
            raise _JobFailed(NOT_A_VIDEO) from None
        target = Path(workdir) / "video.mp4"
        try:
            transcode.to_mp4(source, target, duration=source_duration, timeout=settings.VIDEO_TRANSCODE_TIMEOUT,
                             on_progress=lambda percent: _update(job, progress=percent))  # fmt: skip
            duration = video.probe_duration(target, timeout=settings.VIDEO_PROBE_TIMEOUT)
            poster = video.make_poster(target, Path(workdir) / "poster.jpg")
        except (transcode.TranscodeError, ValueError) as exc:
            logger.warning("video job %s: ffmpeg failed: %s", job.pk, getattr(exc, "detail", exc))
            raise _JobFailed(TRANSCODE_FAILED) from None
        if duration < 1:
            raise _JobFailed("视频时长不足 1 秒，请上传完整的课件视频。")

        with transaction.atomic():
            if job.courseware_id:
                courseware = Courseware.objects.select_for_update().get(pk=job.courseware_id)
                old = [f.name for f in (courseware.video, courseware.poster) if f]
            else:
                courseware = Courseware(chapter=job.chapter, title=job.title, order=job.order)
                old = []
            with open(target, "rb") as handle:
                courseware.video.save("video.mp4", File(handle), save=False)
            saved.append(courseware.video.name)
            with open(poster, "rb") as handle:
                courseware.poster.save("poster.jpg", File(handle), save=False)
            saved.append(courseware.poster.name)
            courseware.duration = round(duration, 2)
            if courseware.pk:
                courseware.save(update_fields=["video", "poster", "duration"])
            else:
                courseware.save()
            VideoJob.objects.filter(pk=job.pk).update(
                courseware=courseware, status=JobStatus.DONE, progress=100, duration=courseware.duration,
                message="", finished_at=timezone.now(),
            )  # fmt: skip
            record(Event.VIDEO_TRANSCODE, actor=job.created_by, obj=courseware, job=job.pk,
                   duration=courseware.duration)  # fmt: skip
            storage = courseware.video.storage
            transaction.on_commit(lambda: [storage.delete(name) for name in old])
        saved.clear()
    except Exception as exc:
        for name in saved:  # the new files of a write that did not commit
            Courseware._meta.get_field("video").storage.delete(name)
        message = exc.message if isinstance(exc, _JobFailed) else UNEXPECTED
        if not isinstance(exc, _JobFailed):
            logger.exception("video job %s failed", job.pk)
        _update(job, status=JobStatus.FAILED, message=message, finished_at=timezone.now())
        record(Event.VIDEO_TRANSCODE, actor=job.created_by, obj=job.courseware or job.chapter, result="failed",
               job=job.pk, reason=message)  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if job.source:
            job.source.delete(save=False)
            VideoJob.objects.filter(pk=job.pk).update(source="")


class _JobFailed(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def minutes_per_hour():
    """Minutes of video per 学时 of the current training year (else the latest year; 45 by default)."""
    year = TrainingYear.objects.filter(year__lte=timezone.localdate().year).order_by("-year").first()
    year = year or TrainingYear.objects.order_by("year").first()
    return year.minutes_per_hour if year else 45


def hours_check(course):
    """The course's hours against its videos: total seconds, the hours they make, and a warning when the two differ
    by more than 10 %."""
    seconds = Courseware.objects.filter(chapter__course=course).aggregate(total=Sum("duration"))["total"] or 0
    per_hour = minutes_per_hour()
    video_hours = (Decimal(str(seconds)) / 60 / per_hour).quantize(Decimal("0.1"))
    warning = ""
    if course.hours and abs(Decimal(str(seconds)) / 60 / per_hour - course.hours) > course.hours * HOURS_TOLERANCE:
        warning = (
            f"课程学时为 {course.hours} 学时，但视频总时长 {seconds / 60:.1f} 分钟折合 {video_hours} 学时"
            f"（1 学时 = {per_hour} 分钟），相差超过 10%。请核对学时或补充、调整视频。"
        )
    return {"seconds": seconds, "minutes": seconds / 60, "video_hours": video_hours, "per_hour": per_hour,
            "warning": warning}  # fmt: skip
