from django.conf import settings
from django.db import models

from jxjy.catalog.models import TrainingClass


class EnrollmentStatus(models.TextChoices):
    OPENED = "opened", "已开通"
    LEARNING = "learning", "学习中"
    COMPLETED = "completed", "已结业"
    REFUNDED = "refunded", "已退款"


class Enrollment(models.Model):
    """A learner in a class: opened by a paid order, closed by a refund."""

    TRANSITIONS = {
        EnrollmentStatus.OPENED: {EnrollmentStatus.LEARNING, EnrollmentStatus.REFUNDED},
        EnrollmentStatus.LEARNING: {EnrollmentStatus.COMPLETED},
        EnrollmentStatus.COMPLETED: set(),
        EnrollmentStatus.REFUNDED: set(),
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    training_class = models.ForeignKey(TrainingClass, on_delete=models.PROTECT, related_name="enrollments")
    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.PROTECT, related_name="enrollment")
    status = models.CharField("状态", max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.OPENED)
    opened_at = models.DateTimeField("开通时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

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
