"""在线练习 (unlimited, not counted), 错题本 and 在线考试 (attempts with a server-owned deadline)."""

from django.conf import settings
from django.db import models


class Practice(models.Model):
    """One practice: the questions drawn, the answers given, the score once submitted (不纳入学习考核)."""

    enrollment = models.ForeignKey("learning.Enrollment", on_delete=models.CASCADE, related_name="practices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    from_wrong_book = models.BooleanField("错题练习", default=False)
    questions = models.JSONField(default=list)  # question ids, in the order shown
    answers = models.JSONField(default=dict)  # {question id: letters}; before 提交, the answers kept so far
    # 显示答案: chosen before starting (every answer on the page), or asked for one question at a time (the
    # server then records which); nothing else ever sends an answer before 提交.
    show_answers = models.BooleanField("开始前选择显示答案", default=False)
    revealed = models.JSONField("已显示答案的题目", default=list)  # question ids, in the order asked
    correct = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField("开始时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "练习"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} 练习 {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def total(self):
        return len(self.questions)

    @property
    def score(self):
        return round(self.correct * 100 / self.total) if self.total else 0


class WrongSource(models.TextChoices):
    PRACTICE = "practice", "练习"
    POPUP = "popup", "防假学弹题"
    EXAM = "exam", "考试"


class WrongQuestion(models.Model):
    """错题本: a question the learner got wrong (practice, pop-up or a submitted exam) until answered right in
    a 错题练习."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey("catalog.Question", on_delete=models.CASCADE, related_name="+")
    source = models.CharField("来源", max_length=16, choices=WrongSource.choices)
    wrong_count = models.PositiveIntegerField("错误次数", default=1)
    last_wrong_at = models.DateTimeField("最近答错", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "错题本"
        ordering = ["-last_wrong_at"]
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_wrong_entry_per_question")]

    def __str__(self):
        return f"{self.user} · {self.question}"


class AttemptStatus(models.TextChoices):
    STARTED = "started", "答题中"
    SUBMITTED = "submitted", "已交卷"
    GRADED = "graded", "已评分"
    # 学习异常 确认违规: the attempt stays on record (its score too) but counts for nothing (voiding.py).
    VOIDED = "voided", "成绩作废"


class ExamAttempt(models.Model):
    """One sitting of a class's exam. The server owns the clock: `deadline` is set at the start from the class's
    rule; the paper (questions and each one's option order) is drawn per attempt."""

    TRANSITIONS = {
        AttemptStatus.STARTED: {AttemptStatus.SUBMITTED},
        AttemptStatus.SUBMITTED: {AttemptStatus.GRADED},
        AttemptStatus.GRADED: {AttemptStatus.VOIDED},
        AttemptStatus.VOIDED: set(),
    }

    enrollment = models.ForeignKey("learning.Enrollment", on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField("第几次")
    status = models.CharField("状态", max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.STARTED)
    paper = models.JSONField(default=list)  # [{"q": question id, "o": [original option index, ...]}] in order shown
    started_at = models.DateTimeField("开始时间")
    deadline = models.DateTimeField("截止时间")
    submitted_at = models.DateTimeField("交卷时间", null=True, blank=True)
    auto_submitted = models.BooleanField("到时自动交卷", default=False)
    correct = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField("成绩", null=True, blank=True)
    passed = models.BooleanField("合格", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "考试记录"
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "number"], name="one_attempt_per_number"),
            models.UniqueConstraint(
                fields=["enrollment"], condition=models.Q(status="started"), name="one_open_attempt_per_class"
            ),
        ]
        # The nightly 学习异常 scan reads one day's submitted attempts (jxjy.review.rules_exams).
        indexes = [models.Index(fields=["submitted_at"], name="attempt_submitted_at")]

    def __str__(self):
        return f"{self.enrollment} 第{self.number}次考试"

    @property
    def finished(self) -> bool:
        """Graded (or since voided): the paper may be reviewed with its answers; nothing more is taken."""
        return self.status in (AttemptStatus.GRADED, AttemptStatus.VOIDED)

    @property
    def voided(self) -> bool:
        return self.status == AttemptStatus.VOIDED


class ExamAnswer(models.Model):
    """An answer as it was given (saved on every change, so nothing is lost); letters as the learner saw them."""

    attempt = models.ForeignKey(ExamAttempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("catalog.Question", on_delete=models.PROTECT, related_name="+")
    given = models.CharField(max_length=16, blank=True)  # original letters (mapped back from the shown order)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "考试作答"
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]

    def __str__(self):
        return f"{self.attempt} · {self.question_id}"
