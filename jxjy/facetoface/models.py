"""面授班: classes a city 工考办 runs in person, and the learners' bookings (DESIGN.md §5; manual 五(五)).

A booking takes the learner's place for the training year (catalog.YearClaim, source "facetoface"), so a learner
has either an online class or a 面授班 in a year, never both. A class's seats are its live bookings (已报名,
已参训, 缺勤), counted under a lock on the class row; a learner who finds the class full may join its waiting list
(候补), which holds the year too and is promoted, first come first served, when a seat frees."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jxjy.catalog.models import HOURS, Category

CANCEL_WINDOW = timedelta(hours=72)  # 三天内可取消报名 (manual 五(五))


class FaceToFaceClass(models.Model):
    """A 面授班 of one training year, run by one city office; its hours per category are what attendance posts."""

    year = models.ForeignKey(
        "catalog.TrainingYear", verbose_name="培训年度", on_delete=models.PROTECT, related_name="facetoface_classes"
    )
    city = models.ForeignKey("accounts.City", verbose_name="举办地市", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("班级名称", max_length=100)
    venue = models.CharField("培训地点", max_length=200)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    capacity = models.PositiveIntegerField("人数上限")
    public_hours = models.DecimalField("公共课学时", **HOURS)
    professional_hours = models.DecimalField("专业课学时", **HOURS)
    elective_hours = models.DecimalField("选修课学时", **HOURS)
    contact = models.CharField("咨询电话", max_length=40, blank=True)
    # The share of sessions a learner must sign in to for 已参训; per class, so each city sets it for its own year's
    # classes (the form offers 80 %, the province's rule).
    attendance_percent = models.PositiveSmallIntegerField("出勤要求（%）", default=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "面授班"
        ordering = ["-year", "start_date", "id"]
        indexes = [models.Index(fields=["year", "city", "start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="facetoface_dates"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="facetoface_capacity_positive"),
            models.CheckConstraint(
                condition=Q(attendance_percent__gte=1) & Q(attendance_percent__lte=100),
                name="facetoface_attendance_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(public_hours__gte=0) & Q(professional_hours__gte=0) & Q(elective_hours__gte=0),
                name="facetoface_hours_not_negative",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def total_hours(self):
        return self.public_hours + self.professional_hours + self.elective_hours

    def hours_by_category(self) -> dict:
        """{category: hours} for the categories this class credits (zero ones left out)."""
        hours = {
            Category.PUBLIC: self.public_hours,
            Category.PROFESSIONAL: self.professional_hours,
            Category.ELECTIVE: self.elective_hours,
        }
        return {category: value for category, value in hours.items() if value > 0}

    def has_started(self, today=None) -> bool:
        return (today or timezone.localdate()) >= self.start_date


class BookingStatus(models.TextChoices):
    WAITING = "waiting", "候补中"
    BOOKED = "booked", "已报名"
    CANCELLED = "cancelled", "已取消"
    ATTENDED = "attended", "已参训"
    ABSENT = "absent", "缺勤"


# Statuses that hold a seat of the class (a waiting booking holds the year, not a seat).
SEAT_STATUSES = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.ABSENT)
LIVE_STATUSES = (BookingStatus.WAITING, *SEAT_STATUSES)


class FaceToFaceBooking(models.Model):
    """报名面授: one learner in one 面授班. State changes only through jxjy.facetoface.services."""

    TRANSITIONS = {
        BookingStatus.WAITING: {BookingStatus.BOOKED, BookingStatus.CANCELLED},
        BookingStatus.BOOKED: {BookingStatus.CANCELLED, BookingStatus.ATTENDED, BookingStatus.ABSENT},
        BookingStatus.ATTENDED: {BookingStatus.ABSENT},  # a correction: the posted hours are reversed
        BookingStatus.ABSENT: {BookingStatus.ATTENDED},
        BookingStatus.CANCELLED: set(),
    }

    face_class = models.ForeignKey(
        FaceToFaceClass, verbose_name="面授班", on_delete=models.PROTECT, related_name="bookings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="学员", on_delete=models.PROTECT, related_name="facetoface_bookings"
    )
    status = models.CharField("状态", max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    created_at = models.DateTimeField("报名时间", default=timezone.now)
    booked_at = models.DateTimeField("取得名额时间", null=True, blank=True)  # the 3-day window starts here
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=100, blank=True)
    attendance_at = models.DateTimeField("考勤登记时间", null=True, blank=True)
    attendance_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversals = models.PositiveSmallIntegerField(default=0)  # times 已参训 was taken back (each reversed in the ledger)

    class Meta:
        verbose_name = verbose_name_plural = "面授班报名"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["face_class", "status", "created_at"]),
            models.Index(fields=["user", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "face_class"],
                condition=~Q(status=BookingStatus.CANCELLED),
                name="one_live_booking_per_class",
            ),
            models.CheckConstraint(
                condition=Q(status=BookingStatus.WAITING)
                | Q(status=BookingStatus.CANCELLED)
                | Q(booked_at__isnull=False),
                name="seat_has_booked_at",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.face_class}"

    @property
    def number(self) -> str:
        """报名编号, printed on the 报名表: MS, the year and the booking's id."""
        return f"MS{self.face_class.year_id}{self.pk:06d}"

    def cancel_deadline(self):
        return self.booked_at + CANCEL_WINDOW if self.booked_at else None

    def can_cancel(self, now=None) -> bool:
        """取消报名 is offered for a waiting booking, and for a booked one within 3 days and before the class."""
        now = now or timezone.now()
        if self.status == BookingStatus.WAITING:
            return True
        return (
            self.status == BookingStatus.BOOKED
            and now < self.booked_at + CANCEL_WINDOW
            and not self.face_class.has_started(timezone.localdate(now))
        )

    @property
    def printable(self) -> bool:
        return self.status in SEAT_STATUSES


class Half(models.TextChoices):
    MORNING = "am", "上午"
    AFTERNOON = "pm", "下午"


class FaceToFaceSession(models.Model):
    """One half-day of a 面授班: learners sign in (签到) and out (签退) by scanning the code shown in the room."""

    face_class = models.ForeignKey(
        FaceToFaceClass, verbose_name="面授班", on_delete=models.CASCADE, related_name="sessions"
    )
    date = models.DateField("日期")
    half = models.CharField("时段", max_length=2, choices=Half.choices)

    class Meta:
        verbose_name = verbose_name_plural = "面授课次"
        ordering = ["date", "half", "id"]
        constraints = [models.UniqueConstraint(fields=["face_class", "date", "half"], name="one_session_per_half_day")]

    def __str__(self):
        return f"{self.date:%m月%d日}{self.get_half_display()}"


class CheckKind(models.TextChoices):
    IN = "in", "签到"
    OUT = "out", "签退"


class SessionCheck(models.Model):
    """A 签到 or 签退 of one booking at one session: by scanning (with the phone's device id) or marked by hand
    by the city office (with the reason). One phone signs one learner per session and kind (the constraint)."""

    session = models.ForeignKey(FaceToFaceSession, on_delete=models.CASCADE, related_name="checks")
    booking = models.ForeignKey(FaceToFaceBooking, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField("类型", max_length=3, choices=CheckKind.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    device = models.CharField(max_length=64, blank=True)  # the random id of the phone's cookie; '' when by hand
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField("补签原因", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "面授签到记录"
        constraints = [
            models.UniqueConstraint(fields=["session", "booking", "kind"], name="one_check_per_session_kind"),
            models.UniqueConstraint(
                fields=["session", "kind", "device"], condition=~Q(device=""), name="one_learner_per_device"
            ),
        ]

    def __str__(self):
        return f"{self.session} {self.get_kind_display()}"
