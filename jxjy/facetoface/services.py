"""报名面授, 取消报名, the waiting list, a city office's classes and attendance (manual 五(五); DESIGN.md §4–§5).

Seats: a class's seats are its live bookings, counted while the class row is locked (`select_for_update`), so
simultaneous bookings queue on that lock and never take more seats than the class has. Lock order is always the
class, then its bookings.

The year: a booking, waiting or not, takes the learner's YearClaim for the class's year (source "facetoface"): an
online order and a 面授班 exclude each other in the database. A waiting booking holds the year because it may
become a seat at any moment without the learner doing anything; 取消候补 (any time) or the class starting without a
seat for it gives the year back.

Hours: 已参训 posts the class's hours to the ledger, one entry per category; taking it back (缺勤) posts a negative
"reversal" entry for each entry posted, never editing one."""

import logging

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import Category, YearClaim, YearClaimSource
from jxjy.catalog.services import YearTaken, claim_year, release_year
from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.credits.services import post_entry
from jxjy.lib.errors import UserError
from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError
from jxjy.lib.states import move

from .models import (
    CANCEL_WINDOW,
    LIVE_STATUSES,
    SEAT_STATUSES,
    BookingStatus,
    FaceToFaceBooking,
    FaceToFaceClass,
)

logger = logging.getLogger(__name__)

FULL = "该面授班名额已满"
TOO_LATE_TO_CANCEL = "报名超过 3 天，不能取消，请联系所在地市工考办。"
HAS_FACETOFACE = "您已报名本年度面授班，不能再报名网络班。"


def current_year() -> int:
    """当前年度: the training year of today's date (Asia/Shanghai)."""
    return timezone.localdate().year


def with_seats(queryset):
    """Annotate `seats_taken` and `waiting` (one query, however many classes)."""
    return queryset.annotate(
        seats_taken=Count("bookings", filter=Q(bookings__status__in=SEAT_STATUSES)),
        waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITING)),
    )


def seats_taken(face_class) -> int:
    return FaceToFaceBooking.objects.filter(face_class=face_class, status__in=SEAT_STATUSES).count()


# --- The learner: 报名面授 / 取消报名 ------------------------------------------------------------------------


def online_refusal(user, year: int, claim=None) -> str:
    """Why `user` cannot book a 面授班 in `year` because of an online class ('' when nothing online holds it)."""
    claim = claim if claim is not None else YearClaim.objects.filter(user=user, year_id=year).first()
    if claim is None or claim.source != YearClaimSource.ONLINE:
        return ""
    from jxjy.orders.models import OrderLine, OrderStatus  # only to tell the learner which order holds the year

    line = OrderLine.objects.filter(pk=claim.source_id).select_related("order").first()
    if line is not None and line.order.status == OrderStatus.PENDING:
        return (
            f"您有本年度网络班的待支付订单（{line.order.number}），不能再报名面授班。"
            "如需改报面授班，请先到“我的订单”取消该订单。"
        )
    return "您已报名本年度网络班，每个培训年度只能报一个班，不能再报名面授班。"


def book(*, user, face_class, wait=False) -> FaceToFaceBooking:
    """报名面授 (or, with `wait`, 候补报名 when the class is full). Refused with the reason when the year is held
    by an online class or another booking, the class is not this year's or has started, or it is full."""
    with transaction.atomic():
        face_class = FaceToFaceClass.objects.select_for_update().get(pk=face_class.pk)
        year = face_class.year_id
        if year != current_year():
            raise UserError("只能报名当前年度的面授班。")
        if face_class.has_started():
            raise UserError("该面授班已开班，不能再报名。")
        mine = (
            FaceToFaceBooking.objects.filter(user=user, face_class__year_id=year, status__in=LIVE_STATUSES)
            .select_related("face_class")
            .first()
        )
        if mine is not None:
            if mine.face_class_id == face_class.pk:
                raise UserError(f"您已{mine.get_status_display()}该面授班，无需重复报名。", status=409)
            raise UserError(f"您已报名本年度面授班“{mine.face_class.title}”，每个培训年度只能报一个班。", status=409)
        if reason := online_refusal(user, year):
            raise UserError(reason, status=409)
        full = seats_taken(face_class) >= face_class.capacity
        if full and not wait:
            raise UserError(f"{FULL}，可以选择“候补报名”，有人取消时按候补先后自动转为报名。", status=409)
        now = timezone.now()
        booking = FaceToFaceBooking.objects.create(
            face_class=face_class,
            user=user,
            status=BookingStatus.WAITING if full else BookingStatus.BOOKED,
            created_at=now,
            booked_at=None if full else now,
        )
        try:
            claim_year(user=user, year=year, source=YearClaimSource.FACE_TO_FACE, source_id=booking.pk)
        except YearTaken:
            # An order placed a moment ago: the database kept the year for it.
            raise UserError(online_refusal(user, year) or YearTaken(year).message, status=409) from None
        user.lock_city()  # the booking is on a city office's list now
        record(Event.FACETOFACE_BOOK, actor=user, obj=booking, status=booking.status)
    return booking


def cancel(*, booking, user, reason="学员取消") -> FaceToFaceBooking:
    """取消报名 (or 取消候补): within 3 days of getting the seat and before the class starts; frees the seat (the
    first waiting learner gets it) and gives the year back. Quiet when already cancelled."""
    with transaction.atomic():
        face_class = FaceToFaceClass.objects.select_for_update().get(pk=booking.face_class_id)
        booking = FaceToFaceBooking.objects.select_for_update().get(pk=booking.pk, user=user)
        booking.face_class = face_class
        if booking.status == BookingStatus.CANCELLED:
            return booking
        if booking.status in (BookingStatus.ATTENDED, BookingStatus.ABSENT):
            raise UserError(f"该报名已登记为{booking.get_status_display()}，不能取消。", status=409)
        if booking.status == BookingStatus.BOOKED:
            if timezone.now() >= booking.booked_at + CANCEL_WINDOW:
                raise UserError(TOO_LATE_TO_CANCEL, status=409)
            if face_class.has_started():
                raise UserError("面授班已开班，不能取消报名，请联系所在地市工考办。", status=409)
        before = booking.status
        _cancel(booking, reason=reason, actor=user)
        if before == BookingStatus.BOOKED:
            promote_waiting(face_class)
    return booking


def _cancel(booking, *, reason, actor=None):
    before = booking.status
    booking.status, booking.cancelled_at, booking.cancel_reason = BookingStatus.CANCELLED, timezone.now(), reason
    booking.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    release_year(
        user=booking.user, year=booking.face_class.year_id, source=YearClaimSource.FACE_TO_FACE, source_id=booking.pk
    )
    record(Event.FACETOFACE_CANCEL, actor=actor, obj=booking, before=before, reason=reason)


def promote_waiting(face_class) -> list[FaceToFaceBooking]:
    """Give free seats to the waiting list, first come first served; the class row must be locked by the caller.
    Nobody is promoted once the class has started (lapse_waiting gives their years back)."""
    if face_class.has_started():
        return []
    free = face_class.capacity - seats_taken(face_class)
    if free <= 0:
        return []
    waiting = list(
        FaceToFaceBooking.objects.select_for_update(of=("self",))
        .filter(face_class=face_class, status=BookingStatus.WAITING)
        .select_related("user")
        .order_by("created_at", "id")[:free]
    )
    now = timezone.now()
    for booking in waiting:
        booking.status, booking.booked_at = BookingStatus.BOOKED, now
        booking.save(update_fields=["status", "booked_at"])
        record(Event.FACETOFACE_PROMOTE, actor=None, obj=booking)
        transaction.on_commit(lambda b=booking: _notify_promoted(b, face_class))
    return waiting


def _notify_promoted(booking, face_class):
    """An SMS that the waiting place became a seat; a failed notice must not undo anything."""
    if not booking.user.mobile:
        return
    text = (
        f"【工勤继续教育】您候补的面授班“{face_class.title}”已有名额，已为您报名成功，"
        f"{face_class.start_date:%m月%d日}开班。3 天内可在“面授班”中取消报名。"
    )
    try:
        send_sms(booking.user.mobile, "notice", {}, text)
    except SmsError:
        logger.exception("SMS notice delivery failed")


def lapse_waiting(today=None) -> int:
    """Cancel the waiting bookings of classes that have started (no seat came), giving their years back.
    Run by the beat task jxjy.facetoface.tasks.lapse_waiting_bookings."""
    today = today or timezone.localdate()
    count = 0
    ids = FaceToFaceBooking.objects.filter(status=BookingStatus.WAITING, face_class__start_date__lte=today)
    for pk in ids.values_list("pk", flat=True):
        with transaction.atomic():
            booking = (
                FaceToFaceBooking.objects.select_for_update(of=("self",))
                .select_related("face_class", "user")
                .filter(pk=pk)
                .first()
            )
            if booking and booking.status == BookingStatus.WAITING:
                _cancel(booking, reason="开班时未候补到名额")
                count += 1
    return count


# --- The city office: classes and attendance ---------------------------------------------------------------

HOUR_FIELDS = {
    Category.PUBLIC: "public_hours",
    Category.PROFESSIONAL: "professional_hours",
    Category.ELECTIVE: "elective_hours",
}


def hours_beyond_rule(year, hours: dict) -> dict:
    """{field: the year's requirement} for each category in which `hours` ({field: hours}) exceed what the training
    year requires of a learner. A 面授班 stands in for the year's online class (a learner has one or the other), so
    it never needs to post more than the year requires in any category: that is its bound."""
    return {
        name: getattr(year, name)
        for name in HOUR_FIELDS.values()
        if hours.get(name) is not None and hours[name] > getattr(year, name)
    }


def save_class(*, face_class, actor) -> FaceToFaceClass:
    """Create or edit a 面授班 (the form has validated it). Editing locks the class: the capacity may not drop
    below the seats taken, and seats it adds go to the waiting list. Its hours are bounded by the year's rule."""
    over = hours_beyond_rule(face_class.year, {name: getattr(face_class, name) for name in HOUR_FIELDS.values()})
    if over:
        raise UserError(f"面授班的学时不能超过{face_class.year}的要求，请修改后再保存。")
    with transaction.atomic():
        created = face_class.pk is None
        if created:
            face_class.created_by = actor
            face_class.save()
        else:
            FaceToFaceClass.objects.select_for_update().filter(pk=face_class.pk).first()
            taken = seats_taken(face_class)
            if face_class.capacity < taken:
                raise UserError(f"人数上限不能少于已报名人数（{taken} 人）。")
            face_class.save()
            promote_waiting(face_class)
        record(
            Event.FACETOFACE_CLASS_SAVE,
            actor=actor,
            obj=face_class,
            created=created,
            title=face_class.title,
            capacity=face_class.capacity,
        )
    return face_class


def _credit_id(booking, category) -> str:
    return f"facetoface:{booking.pk}:{category}:{booking.reversals}"


def mark_attendance(*, booking, attended: bool, actor) -> FaceToFaceBooking:
    """登记考勤: 已参训 posts the class's hours (one ledger entry per category); 缺勤 after 已参训 reverses them
    with new negative entries. Quiet when already in that state."""
    target = BookingStatus.ATTENDED if attended else BookingStatus.ABSENT
    with transaction.atomic():
        booking, before = move(
            booking,
            target,
            event=Event.FACETOFACE_ATTENDANCE,
            actor=actor,
            message="该报名{state}，不能登记考勤。",
            attendance_at=timezone.now(),
            attendance_by=actor,
        )
        if before is None:
            return booking
        face_class = booking.face_class
        if not face_class.has_started():  # raised inside the transaction: the move and its record are undone
            raise UserError("面授班尚未开班，开班后才能登记考勤。", status=409)
        if target == BookingStatus.ATTENDED:
            rule = face_class.year  # never more than the year requires, even if its rule was lowered since
            for category, hours in face_class.hours_by_category().items():
                hours = min(hours, getattr(rule, HOUR_FIELDS[category]))
                post_entry(
                    user=booking.user,
                    year=face_class.year_id,
                    category=category,
                    hours=hours,
                    source=CreditSource.FACE_TO_FACE,
                    source_id=_credit_id(booking, category),
                    note=f"面授班 {face_class.title}",
                )
        elif before == BookingStatus.ATTENDED:
            posted = CreditEntry.objects.filter(
                source=CreditSource.FACE_TO_FACE, source_id__in=[_credit_id(booking, c) for c in Category.values]
            )
            for entry in posted:
                post_entry(
                    user=booking.user,
                    year=entry.year,
                    category=entry.category,
                    hours=-entry.hours,
                    source=CreditSource.REVERSAL,
                    source_id=f"{entry.source_id}:reversal",
                    note=f"面授班改为缺勤 {face_class.title}",
                )
            booking.reversals += 1
            booking.save(update_fields=["reversals"])
    return booking
