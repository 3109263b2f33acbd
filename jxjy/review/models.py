"""学习异常: a pattern the nightly scan (scan.py) found in the evidence the platform keeps — playback sessions, the
hours ledger, exam answer sheets — flagged for a city office to look at. A flag never changes anything by itself:
待核查 → 已核实正常, or 确认违规, which reverses exactly the hours it names (new ledger entries) and voids the exam
attempts it names, and revokes a certificate whose year is no longer 合格 (decisions.py). The learner sees nothing
of a flag until an office confirms it."""

from django.conf import settings
from django.db import models


class Rule(models.TextChoices):
    LONG_DAY = "long_day", "一天计时超过10学时"
    ALL_NIGHT = "all_night", "整夜每小时都在学习"
    REFUSED_BURST = "refused_burst", "短时间内大量异常心跳"
    ALTERNATING = "alternating", "同一设备或网络交替学习"
    CROWDED = "crowded", "同一设备或网络多人学习"
    SIMILAR_SHEETS = "similar_sheets", "同单位答卷雷同"
    FAST_EXAM = "fast_exam", "考试用时过短"


class Status(models.TextChoices):
    PENDING = "pending", "待核查"
    CLEARED = "cleared", "已核实正常"
    CONFIRMED = "confirmed", "确认违规"


class Anomaly(models.Model):
    """One flag about one learner. Flags about the same event (two learners on one device, a unit's similar answer
    sheets) share a `group`; each learner's flag is decided on its own, by the office of that learner's city."""

    TRANSITIONS = {
        Status.PENDING: {Status.CLEARED, Status.CONFIRMED},
        Status.CLEARED: set(),
        Status.CONFIRMED: set(),
    }

    rule = models.CharField("异常类型", max_length=24, choices=Rule.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="学员")
    day = models.DateField("发生日期")
    # rule:learner:day[:subject] — a scan run twice (nightly and on demand) finds the same flag, never a second.
    key = models.CharField(max_length=200, unique=True)
    group = models.CharField(max_length=100, blank=True, db_index=True)
    summary = models.CharField("异常说明", max_length=200)  # one line in plain Chinese, with the figures
    # The facts behind the flag, for the desk to show (numbers, times, playback sessions, attempts, other learners).
    evidence = models.JSONField(default=dict)
    entries = models.JSONField(default=list)  # ids of the CreditEntry rows 确认违规 reverses
    attempts = models.JSONField(default=list)  # ids of the ExamAttempt rows 确认违规 voids
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)
    decided_at = models.DateTimeField("核查时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    note = models.CharField("核查意见", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "学习异常"
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["status", "day"], name="anomaly_desk")]

    def __str__(self):
        return f"{self.get_rule_display()} · {self.user} · {self.day}"
