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
