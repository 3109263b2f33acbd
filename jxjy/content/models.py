"""Video jobs: an uploaded video waiting for, going through or done with transcoding.

A job holds the staged upload until the background task has made the H.264 MP4 and its poster; only then is the
courseware written (created, for a new one), so a failed job leaves the courseware exactly as it was. A running job
beats (`heartbeat_at`) while it works; one whose worker died stops beating and the sweeper ends it."""

import uuid

from django.conf import settings
from django.db import models


def staged_upload_to(instance, filename):
    # Never the uploader's name: a random one, outside anything served.
    return f"video-uploads/{uuid.uuid4().hex}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "转码中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class VideoJob(models.Model):
    """One upload of a courseware video. `courseware` is empty for a new courseware, which the job creates in
    `chapter` with `title` and `order` once the video is ready."""

    chapter = models.ForeignKey("catalog.Chapter", verbose_name="章节", on_delete=models.CASCADE, related_name="+")
    courseware = models.ForeignKey(
        "catalog.Courseware", verbose_name="课件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField("课件名称", max_length=100)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    source = models.FileField("上传的原始文件", upload_to=staged_upload_to, blank=True)
    original_name = models.CharField("原始文件名", max_length=200, blank=True)
    size = models.PositiveBigIntegerField("文件大小", default=0)
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    message = models.CharField("说明", max_length=300, blank=True)
    duration = models.FloatField("时长（秒）", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Each run of the task claims the job by raising `attempts`; a run whose number is no longer the job's has been
    # superseded (a re-delivered copy took over, or the sweeper ended it) and stops.
    attempts = models.PositiveSmallIntegerField("处理次数", default=0)
    heartbeat_at = models.DateTimeField("最近处理时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "视频转码任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="content_job_status_beat")]

    def __str__(self):
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
