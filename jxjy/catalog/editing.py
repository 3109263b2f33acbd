"""课程管理's workflows: saving courses, chapters and coursewares, taking a video upload (its transcoding runs in
jxjy.catalog.videojobs, queued through jxjy.catalog.tasks), and checking a course's hours against its videos."""

import tempfile
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record

from . import video
from .models import Courseware, TrainingYear, VideoJob
from .tasks import run_video_job

HOURS_TOLERANCE = Decimal("0.10")


def save_content(form, *, what):
    """Save a course, chapter or courseware form and audit it."""
    with transaction.atomic():
        created = form.instance.pk is None
        obj = form.save()
        record(Event.CONTENT_SAVE, obj=obj, what=what, created=created, fields=sorted(form.changed_data))
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


def upload_video(*, chapter, upload, title, order, courseware=None, actor):
    """Stage an upload (already checked to be a video) as a VideoJob and queue its transcoding once committed."""
    with transaction.atomic():
        job = VideoJob(
            chapter=chapter,
            courseware=courseware,
            title=title,
            order=order,
            size=upload.size,
            original_name=upload.name[-200:],
            created_by=actor,
        )
        job.source.save("upload", upload, save=False)
        try:
            job.save()
            record(Event.VIDEO_UPLOAD, actor=actor, obj=courseware or chapter, job=job.pk, size=upload.size)
        except BaseException:
            job.source.delete(save=False)
            raise
        transaction.on_commit(lambda: run_video_job.delay(job.pk))
    return job


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
    return {
        "seconds": seconds,
        "minutes": seconds / 60,
        "video_hours": video_hours,
        "per_hour": per_hour,
        "warning": warning,
    }
