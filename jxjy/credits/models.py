from django.conf import settings
from django.db import models

from jxjy.catalog.models import Category


class CreditSource(models.TextChoices):
    ONLINE = "online", "网络学习"
    FACE_TO_FACE = "facetoface", "面授班"
    DECLARATION = "declaration", "视同申报"
    REVERSAL = "reversal", "冲销"


class CreditEntry(models.Model):
    """The hours ledger (DESIGN.md §4): one source of truth for "have I finished this year?".
    Entries are never edited; a reversal is a new entry with negative hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_entries")
    year = models.PositiveSmallIntegerField("年度")
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    hours = models.DecimalField("学时", max_digits=6, decimal_places=2)
    source = models.CharField("来源", max_length=16, choices=CreditSource.choices)
    source_id = models.CharField("来源记录", max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("记账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "学时记录"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "year", "category"]), models.Index(fields=["year", "user"])]
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="one_entry_per_source")]

    def __str__(self):
        return f"{self.year} {self.get_category_display()} {self.hours}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("ledger entries are never edited; post a reversal")
        super().save(*args, **kwargs)
