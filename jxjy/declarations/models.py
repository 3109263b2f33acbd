"""视同申报: outside training claimed by a learner, reviewed by the city 工考办 (DESIGN.md §4–§5)."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models

from jxjy.catalog.models import Category

from .fingerprints import batch_key


class Kind(models.TextChoices):
    RESEARCH = "research", "研修班"
    ADVANCED = "advanced", "进修班"
    EXCHANGE = "exchange", "技术交流"
    OTHER = "other", "其它"


class Status(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已驳回"
    WITHDRAWN = "withdrawn", "已撤回"


# 视同申报 count toward 专业课 and 选修课 only (DESIGN.md §4).
CATEGORY_CHOICES = [(Category.PROFESSIONAL, Category.PROFESSIONAL.label), (Category.ELECTIVE, Category.ELECTIVE.label)]


class Declaration(models.Model):
    TRANSITIONS = {
        Status.PENDING: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPROVED: {Status.PENDING},  # 撤销审批: the ledger entry is reversed, the claim is reviewed again
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="declarations")
    year = models.ForeignKey("catalog.TrainingYear", verbose_name="年度", on_delete=models.PROTECT)
    kind = models.CharField("申报类型", max_length=16, choices=Kind.choices)
    category = models.CharField("抵扣类别", max_length=16, choices=CATEGORY_CHOICES, default=Category.PROFESSIONAL)
    title = models.CharField("培训名称", max_length=100)
    organiser = models.CharField("主办单位", max_length=100)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    hours_claimed = models.DecimalField("申报学时", max_digits=5, decimal_places=1)
    description = models.TextField("培训内容", max_length=1000, blank=True)
    status = models.CharField("审批状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    hours_approved = models.DecimalField("核定学时", max_digits=5, decimal_places=1, null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reversals = models.PositiveSmallIntegerField(default=0)  # approvals taken back (each reversed in the ledger)
    # organiser + dates + title, normalised (fingerprints.batch_key): learners' claims that share it are 同批培训
    batch_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("申报时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "视同申报"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["batch_key"], name="declaration_batch"),
            models.Index(fields=["-created_at", "-id"], name="declaration_newest"),  # 视同申报审核, newest first
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="declaration_dates"),
            models.CheckConstraint(condition=models.Q(hours_claimed__gt=0), name="declaration_hours_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"

    def save(self, *args, **kwargs):
        self.batch_key = batch_key(self.organiser, self.start_date, self.end_date, self.title)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"organiser", "start_date", "end_date", "title"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "batch_key"}
        super().save(*args, **kwargs)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def editable(self) -> bool:
        return self.status == Status.PENDING


def attachment_path(instance, filename):
    """A random name: the learner's file name is kept only as text, never as a path."""
    suffix = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(instance.content_type, "")
    return f"declarations/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField("文件名", max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, blank=True, db_index=True, editable=False)  # of the bytes, at upload
    page_sha256 = models.CharField(max_length=64, blank=True, db_index=True, editable=False)  # a PDF's first page
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "申报附件"
        ordering = ["id"]

    def __str__(self):
        return self.original_name

    @property
    def display_name(self):
        return PurePath(self.original_name).name
