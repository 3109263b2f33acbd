import re
import uuid
from pathlib import PurePath

from django.db import models
from django.utils import timezone


class PublishedNoticeManager(models.Manager):
    def published(self):
        return self.filter(is_published=True, published_at__lte=timezone.now())


class Notice(models.Model):
    """通知公告 on the portal, written in the admin. The body is plain text (shown escaped)."""

    title = models.CharField("标题", max_length=120)
    body = models.TextField("正文")
    is_pinned = models.BooleanField("置顶", default=False)
    is_published = models.BooleanField("发布", default=True)
    published_at = models.DateTimeField("发布时间", default=timezone.now)

    objects = PublishedNoticeManager()

    class Meta:
        verbose_name = verbose_name_plural = "通知公告"
        ordering = ["-is_pinned", "-published_at", "-id"]
        indexes = [models.Index(fields=["is_published", "-published_at"])]

    def __str__(self):
        return self.title


# --- Help: 联系我们, 常见问题, notice attachments (edited by the province in 业务后台 → 帮助与公告) -------------------

PHONE_SEPARATORS = re.compile(r"[、,，;；/\s]+")


class ContactOffice(models.Model):
    """One office a learner may call: a 地市工考办, or the 省工考办 (which serves the 省直 units). A blank phone is
    shown as 「电话请咨询所在单位」: the platform never invents a number."""

    city = models.OneToOneField(
        "accounts.City", verbose_name="地市", on_delete=models.PROTECT, related_name="contact_office"
    )
    name = models.CharField("名称", max_length=40)
    phones = models.CharField(
        "咨询电话", max_length=120, blank=True, help_text="多个号码用顿号隔开，如 025-83270000、025-83270001"
    )
    hours = models.CharField("办公时间", max_length=120, blank=True)
    address = models.CharField("地址", max_length=120, blank=True)
    note = models.TextField("说明", max_length=500, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "联系我们"
        ordering = ["sort_order", "city_id"]

    def __str__(self):
        return self.name

    @property
    def phone_list(self) -> list[tuple[str, str]]:
        """(number as written, digits for a tel: link) for every number in `phones`."""
        numbers = [p for p in PHONE_SEPARATORS.split(self.phones.strip()) if p]
        return [(p, re.sub(r"[^0-9+]", "", p)) for p in numbers]


class Faq(models.Model):
    """One 常见问题. The answer is plain text, shown escaped with its line breaks."""

    question = models.CharField("问题", max_length=120)
    answer = models.TextField("回答", max_length=3000)
    sort_order = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面")
    is_published = models.BooleanField("发布", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "常见问题"
        ordering = ["sort_order", "id"]

    def __str__(self):
        return self.question


def notice_attachment_path(instance, filename):
    """A random name: the uploaded file name is kept only as text, never as a path."""
    return f"notices/{uuid.uuid4().hex}{ATTACHMENT_TYPES.get(instance.content_type, '')}"


# The types a notice may carry, by the type its bytes were checked to be (jxjy.portal.services.sniff_attachment).
ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=notice_attachment_path)
    original_name = models.CharField("文件名", max_length=120)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公告附件"
        ordering = ["id"]

    def __str__(self):
        return self.original_name

    @property
    def download_name(self) -> str:
        """The uploaded name without any folder or control character, ending in its checked type's extension."""
        name = PurePath(self.original_name.replace("\\", "/")).name
        stem = "".join(ch for ch in PurePath(name).stem if ch.isprintable() and ch not in '"\\/').strip()
        return (stem[:80] or "附件") + ATTACHMENT_TYPES.get(self.content_type, "")

    @property
    def kind(self) -> str:
        return ATTACHMENT_TYPES.get(self.content_type, "").lstrip(".").upper()
