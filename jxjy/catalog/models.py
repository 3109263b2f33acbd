import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from jxjy.accounts.models import Grade


class Category(models.TextChoices):
    PUBLIC = "public", "公共课"
    PROFESSIONAL = "professional", "专业课"
    ELECTIVE = "elective", "选修课"


HOURS = {"max_digits": 5, "decimal_places": 1, "validators": [MinValueValidator(Decimal("0"))]}


class TrainingYear(models.Model):
    """A training year and its hour rule (DESIGN.md §4; defaults are placeholders until the province confirms)."""

    year = models.PositiveSmallIntegerField("培训年度", primary_key=True)
    public_hours = models.DecimalField("公共课学时", default=Decimal("16"), **HOURS)
    professional_hours = models.DecimalField("专业课学时", default=Decimal("24"), **HOURS)
    elective_hours = models.DecimalField("选修课学时", default=Decimal("8"), **HOURS)
    minutes_per_hour = models.PositiveSmallIntegerField("每学时视频分钟数", default=45)
    declaration_cap_ratio = models.DecimalField(
        "视同申报上限（占专业课要求的比例）",
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )

    declaration_hours_per_day = models.DecimalField("研修班/进修班每天学时", default=Decimal("6"), **HOURS)
    exchange_hours_per_event = models.DecimalField("技术交流每次学时上限", default=Decimal("4"), **HOURS)
    exchange_hours_per_year = models.DecimalField("技术交流每年学时上限", default=Decimal("8"), **HOURS)
    other_hours_per_year = models.DecimalField("其它每年学时上限", default=Decimal("8"), **HOURS)

    class Meta:
        verbose_name = verbose_name_plural = "培训年度"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年度"

    @property
    def required_hours(self):
        return self.public_hours + self.professional_hours + self.elective_hours


class Course(models.Model):
    title = models.CharField("课程名称", max_length=100)
    category = models.CharField("课程类别", max_length=16, choices=Category.choices)
    hours = models.DecimalField("学时", **HOURS)
    description = models.TextField("课程简介", blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "课程"
        ordering = ["category", "title"]

    def __str__(self):
        return f"{self.title}（{self.get_category_display()} {self.hours}学时）"


class TrainingClassQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class TrainingClass(models.Model):
    """A 网络班 of one training year for one technical grade."""

    year = models.ForeignKey(TrainingYear, verbose_name="培训年度", on_delete=models.PROTECT, related_name="classes")
    grade = models.CharField("技术等级", max_length=2, choices=Grade.choices)
    title = models.CharField("班级名称", max_length=100)
    fee = models.DecimalField(
        "费用（元）", max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    enroll_start = models.DateTimeField("报名开始")
    enroll_end = models.DateTimeField("报名截止")
    study_deadline = models.DateTimeField("学习截止")
    courses = models.ManyToManyField(Course, verbose_name="开设课程", blank=True, related_name="classes")
    public_hours = models.DecimalField(
        "公共课要求学时", null=True, blank=True, help_text="留空则按培训年度的要求", **HOURS
    )
    professional_hours = models.DecimalField(
        "专业课要求学时", null=True, blank=True, help_text="留空则按培训年度的要求", **HOURS
    )
    elective_hours = models.DecimalField(
        "选修课要求学时", null=True, blank=True, help_text="留空则按培训年度的要求", **HOURS
    )
    exam_single = models.PositiveSmallIntegerField("单选题数", default=10)
    exam_multiple = models.PositiveSmallIntegerField("多选题数", default=5)
    exam_judge = models.PositiveSmallIntegerField("判断题数", default=5)
    exam_minutes = models.PositiveSmallIntegerField("考试时长（分钟）", default=30)
    exam_pass_score = models.PositiveSmallIntegerField("合格分数", default=60)
    exam_max_attempts = models.PositiveSmallIntegerField("考试次数", default=3)
    is_published = models.BooleanField("发布", default=True)

    objects = TrainingClassQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "网络班"
        ordering = ["-year", "grade", "id"]
        indexes = [models.Index(fields=["year", "grade"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(enroll_end__gt=models.F("enroll_start")), name="enroll_window"),
            models.CheckConstraint(condition=models.Q(fee__gt=0), name="fee_positive"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # A new class takes its year's hour rule unless given its own.
        for field in ("public_hours", "professional_hours", "elective_hours"):
            if getattr(self, field) is None:
                setattr(self, field, getattr(self.year, field))
        super().save(*args, **kwargs)

    @property
    def required_hours(self):
        return self.public_hours + self.professional_hours + self.elective_hours

    @property
    def exam_questions(self):
        return self.exam_single + self.exam_multiple + self.exam_judge

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.is_published and self.enroll_start <= now < self.enroll_end


class YearClaimSource(models.TextChoices):
    ONLINE = "online", "网络班"
    FACE_TO_FACE = "facetoface", "面授班"


class YearClaim(models.Model):
    """ "At most one class per learner per training year", online or face to face, kept in one place:
    a unique row per (learner, year), taken when a class is ordered or booked and released when the
    order is cancelled, closed or refunded (or the booking cancelled)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="year_claims")
    year = models.ForeignKey(TrainingYear, on_delete=models.PROTECT)
    source = models.CharField(max_length=16, choices=YearClaimSource.choices)
    source_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度报班占位"
        constraints = [models.UniqueConstraint(fields=["user", "year"], name="one_class_per_learner_year")]

    def __str__(self):
        return f"{self.user} {self.year_id} {self.get_source_display()}"


def courseware_upload_to(instance, filename):
    return f"coursewares/{uuid.uuid4().hex}.mp4"


def courseware_poster_upload_to(instance, filename):
    return f"coursewares/{uuid.uuid4().hex}.jpg"


def courseware_captions_upload_to(instance, filename):
    return f"coursewares/{uuid.uuid4().hex}.vtt"


class Chapter(models.Model):
    course = models.ForeignKey(Course, verbose_name="课程", on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField("章节名称", max_length=100)
    order = models.PositiveSmallIntegerField("顺序", default=1)

    class Meta:
        verbose_name = verbose_name_plural = "章节"
        ordering = ["course", "order", "id"]

    def __str__(self):
        return self.title


class Courseware(models.Model):
    """One video of a chapter. Its duration is probed from the file, never typed in."""

    chapter = models.ForeignKey(Chapter, verbose_name="章节", on_delete=models.CASCADE, related_name="coursewares")
    title = models.CharField("课件名称", max_length=100)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    video = models.FileField("视频（H.264 MP4）", upload_to=courseware_upload_to)
    duration = models.FloatField("时长（秒）", default=0, validators=[MinValueValidator(0)])
    poster = models.FileField("封面图（JPEG）", upload_to=courseware_poster_upload_to, blank=True)
    # Always clean WebVTT, rebuilt from the uploaded file by jxjy.catalog.captions (never stored as uploaded).
    captions = models.FileField("字幕（WebVTT）", upload_to=courseware_captions_upload_to, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "课件"
        ordering = ["chapter__order", "order", "id"]

    def __str__(self):
        return self.title

    @property
    def captions_version(self):
        """Changes whenever the caption file is replaced: the player's caption URL carries it so a cached old file
        is never shown (the storage name itself stays out of the page)."""
        return hashlib.sha256(self.captions.name.encode()).hexdigest()[:12] if self.captions else ""


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    JUDGE = "judge", "判断"


class Question(models.Model):
    """A question of a course's pool: used by the pop-up checks, practice and exams (`exam_only`: exams alone)."""

    course = models.ForeignKey(Course, verbose_name="课程", on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField("题型", max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    text = models.TextField("题干")
    options = models.JSONField("选项", default=list, help_text='如 ["选项一", "选项二"]；判断题为 ["正确", "错误"]')
    answer = models.CharField("答案", max_length=16, help_text="选项字母，多选如 AC")
    explanation = models.TextField("解析", blank=True)
    knowledge_point = models.CharField("知识点", max_length=100, blank=True)
    difficulty = models.PositiveSmallIntegerField("难度", default=1, validators=[MaxValueValidator(5)])
    for_popup = models.BooleanField("用于防假学弹题", default=True)
    # Kept for the exam alone: never in practice, 错题本 drills or pop-ups (whatever `for_popup` says), so no
    # learner sees its answer before handing in an exam; the exam paper takes these first.
    exam_only = models.BooleanField("仅用于考试", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "题目"
        ordering = ["course", "id"]

    def __str__(self):
        return self.text[:40]

    @property
    def letters(self):
        return [chr(ord("A") + i) for i in range(len(self.options))]

    def is_correct(self, given: str) -> bool:
        normalised = "".join(sorted(set(given.upper().replace(",", "").strip())))
        return normalised == "".join(sorted(self.answer.upper()))


# --- Video jobs: an uploaded video waiting for, going through or done with transcoding --------------------------
# A job holds the staged upload until the background task has made the H.264 MP4 and its poster; only then is the
# courseware written (created, for a new one), so a failed job leaves the courseware exactly as it was. A running
# job beats (`heartbeat_at`) while it works; one whose worker died stops beating and the sweeper ends it
# (jxjy.catalog.videojobs).


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

    chapter = models.ForeignKey(Chapter, verbose_name="章节", on_delete=models.CASCADE, related_name="+")
    courseware = models.ForeignKey(
        Courseware, verbose_name="课件", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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
        db_table = "content_videojob"  # the table of the former content app, kept
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="content_job_status_beat")]

    def __str__(self):
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
