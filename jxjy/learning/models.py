from django.conf import settings
from django.db import models

from jxjy.catalog.models import TrainingClass


class EnrollmentStatus(models.TextChoices):
    OPENED = "opened", "已开通"
    LEARNING = "learning", "学习中"
    COMPLETED = "completed", "已结业"
    REFUNDED = "refunded", "已退款"


class EnrollmentQuerySet(models.QuerySet):
    def live(self):
        """The enrollments that still hold their class: every one but the refunded."""
        return self.exclude(status=EnrollmentStatus.REFUNDED)


class Enrollment(models.Model):
    """A learner in a class: opened by a paid order, closed by a refund."""

    TRANSITIONS = {
        EnrollmentStatus.OPENED: {EnrollmentStatus.LEARNING, EnrollmentStatus.REFUNDED},
        EnrollmentStatus.LEARNING: {EnrollmentStatus.COMPLETED},
        # Back to 学习中 when the passing exam that completed the class is voided (学习异常 确认违规).
        EnrollmentStatus.COMPLETED: {EnrollmentStatus.LEARNING},
        EnrollmentStatus.REFUNDED: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT, related_name="enrollments")
    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.PROTECT, related_name="enrollment")
    status = models.CharField("状态", max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.OPENED)
    opened_at = models.DateTimeField("开通时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "开班记录"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "training_class"],
                condition=~models.Q(status="refunded"),
                name="one_live_enrollment_per_class",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.training_class}"

    @property
    def has_study(self):
        """Whether learning has begun (issue 4 moves the status to 学习中 on the first credited time)."""
        return self.status != EnrollmentStatus.OPENED


class CourseSelection(models.Model):
    """A course the learner studies in a class: 公共课 assigned, 专业课 and 选修课 chosen (在线选课)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="selections")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "选课"
        constraints = [models.UniqueConstraint(fields=["enrollment", "course"], name="one_selection_per_course")]

    def __str__(self):
        return f"{self.enrollment} · {self.course}"


def watched_percent(watched: float, duration: float) -> int:
    """How much of a courseware is watched, in whole percent rounded down (never more than is watched)."""
    return min(100, int(watched * 100 // duration)) if duration else 0


class CoursewareProgress(models.Model):
    """What the server has accepted of one courseware in one class: merged watched intervals (seconds),
    the resume position, and when it was finished (≥ 95 % covered)."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    courseware = models.ForeignKey("catalog.Courseware", on_delete=models.PROTECT, related_name="+")
    intervals = models.JSONField(default=list)
    watched = models.FloatField("已观看（秒）", default=0)
    credited = models.FloatField("计时（秒）", default=0)
    position = models.FloatField("续播位置（秒）", default=0)
    finished_at = models.DateTimeField("学完时间", null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0, help_text="heartbeats applied; writes only go forward")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "课件进度"
        constraints = [models.UniqueConstraint(fields=["enrollment", "courseware"], name="one_progress_per_courseware")]

    def __str__(self):
        return f"{self.enrollment} · {self.courseware}"

    @property
    def furthest(self) -> float:
        return max((end for _, end in self.intervals), default=0.0)

    @property
    def percent(self) -> int:
        """How much of the courseware is watched (its courseware loaded): as 学习记录 and 学时明细 show it."""
        return watched_percent(self.watched, self.courseware.duration)


class PlaybackSession(models.Model):
    """One courseware view that may earn time. A learner has at most one current session: opening
    another (tab or device) supersedes the older one, whose heartbeats then earn nothing."""

    id = models.UUIDField(primary_key=True)
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    courseware = models.ForeignKey("catalog.Courseware", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    last_beat_at = models.DateTimeField()
    last_seq = models.PositiveIntegerField(default=0)
    last_position = models.FloatField(default=0)
    playing = models.BooleanField(default=False)
    budget = models.FloatField(default=0, help_text="wall-clock seconds not yet spent on credit")
    is_current = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # Where it was played (issue 16): the device's id (a random id in a signed cookie, jxjy.lib.devices), the device
    # in words for the learner and the office, and the address the playback was opened from.
    device = models.CharField(max_length=32, blank=True)
    device_label = models.CharField("设备", max_length=40, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Why each second counted or not (learning.evidence): a fixed set of counters per playback, written with the
    # session row (bounded: no heartbeat is kept), for 学时明细 and the 学习异常 desk; pruned after two years.
    events = models.PositiveIntegerField(default=0, help_text="heartbeats applied or refused; writes only go forward")
    played = models.FloatField("播放（秒）", default=0)
    credited = models.FloatField("计时（秒）", default=0)
    backfilled = models.FloatField("补传计时（秒）", default=0)
    lost_paused = models.FloatField(default=0)
    lost_question = models.FloatField(default=0)
    lost_rate = models.FloatField(default=0)
    lost_seek = models.FloatField(default=0)
    lost_network = models.FloatField(default=0)
    lost_other_page = models.FloatField(default=0)
    beats_rate = models.PositiveIntegerField(default=0)
    beats_seek = models.PositiveIntegerField(default=0)
    beats_replayed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "播放会话"
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(is_current=True), name="one_current_playback")
        ]
        indexes = [
            models.Index(fields=["started_at"], name="playback_started"),  # the nightly 学习异常 scan, the pruning
            models.Index(fields=["enrollment", "courseware", "started_at"], name="playback_courseware"),  # 学时明细
        ]

    def __str__(self):
        return str(self.id)


class Checkpoint(models.Model):
    """A pop-up question at a position the server chose; nothing past it is credited until answered."""

    progress = models.ForeignKey(CoursewareProgress, on_delete=models.CASCADE, related_name="checkpoints")
    position = models.FloatField("弹题位置（秒）")
    question = models.ForeignKey("catalog.Question", on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    wrong_answers = models.JSONField(default=list)

    class Meta:
        verbose_name = verbose_name_plural = "防假学弹题"
        ordering = ["position"]

    def __str__(self):
        return f"{self.progress} @{self.position:.0f}s"
