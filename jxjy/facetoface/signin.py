"""面授签到: the rotating QR code of a session, 签到/签退 by scanning it, 补签 by the city office, and 结算考勤 by
the attendance rule (issue 16 item 3).

The code holds a token signed with Django's signing (salted, timestamped) naming the session and 签到 or 签退; it is
valid for 60 seconds, so a screenshot sent to an absent colleague, or a scan URL that reached a log, is useless a
minute later. The scan page asks the learner to tap 确认; that POST accepts the token for 30 seconds more.

One phone signs one learner: the first scan sets a random device id in a signed cookie, and each 签到/签退 keeps it
(a unique constraint per session and kind); a second learner scanning with the same phone is refused and audited.

The rule: a session counts when 签到 is recorded. 签退 is recorded and shown to the office but not required: a
forgotten scan at the end of the last afternoon would otherwise cost an older learner the whole class, while the
office sees a missing 签退 on its list and can act on it. A booking becomes 已参训 (posting its hours through
services.mark_attendance) when its sessions attended reach the class's share (80 % by default), else 缺勤."""

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import devices
from jxjy.lib.errors import UserError

from . import services
from .models import (
    SEAT_STATUSES,
    BookingStatus,
    CheckKind,
    FaceToFaceBooking,
    FaceToFaceClass,
    FaceToFaceSession,
    SessionCheck,
)

SALT = "jxjy.facetoface.scan"
TOKEN_SECONDS = 60
TAP_SECONDS = 30  # the confirm page's POST may come this long after the token expired for a new scan
DEVICE_COOKIE = devices.COOKIE  # the browser's id (jxjy.lib.devices): one phone signs one learner

EXPIRED = "二维码已过期，请扫描屏幕上最新的二维码。"
INVALID = "二维码无效，请扫描屏幕上最新的二维码。"
NOT_BOOKED = "您没有报名这个面授班，不能签到。请联系所在地市工考办。"
NOT_TODAY = "这次课不在今天，不能签到。请扫描屏幕上最新的二维码。"


def make_token(session, kind) -> str:
    """The signed token of the code on screen now (valid TOKEN_SECONDS)."""
    return signing.dumps([session.pk, str(kind)], salt=SALT, compress=False)


def read_token(token: str, *, grace: int = 0) -> tuple[FaceToFaceSession, str]:
    """(the session, 'in' or 'out') of a token; UserError with EXPIRED or INVALID otherwise."""
    try:
        session_id, kind = signing.loads(token, salt=SALT, max_age=TOKEN_SECONDS + grace)
    except signing.SignatureExpired:
        raise UserError(EXPIRED, status=410) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise UserError(INVALID, status=400) from None
    session = FaceToFaceSession.objects.select_related("face_class").filter(pk=session_id).first()
    if session is None or kind not in CheckKind.values:
        raise UserError(INVALID, status=400)
    return session, kind


def other_learner(kind) -> str:
    label = CheckKind(kind).label
    return f"这部手机已为其他学员{label}，每部手机只能为一名学员{label}。请用本人手机扫码。"


def booking_for(session, user):
    booking = FaceToFaceBooking.objects.filter(
        face_class_id=session.face_class_id, user=user, status__in=SEAT_STATUSES
    ).first()
    if booking is None:
        raise UserError(NOT_BOOKED, status=403)
    return booking


def scan(*, session, kind, user, device: str) -> SessionCheck:
    """签到 or 签退 of `user` at `session` from the phone with `device`; quiet when already recorded. Refused
    without a seat in the class, on another day, or when this phone already did it for another learner."""
    if not device:  # every scan carries the phone's id (the view sets one); without it the rule could not hold
        raise UserError(INVALID, status=400)
    if session.date != timezone.localdate():
        raise UserError(NOT_TODAY, status=409)
    booking = booking_for(session, user)
    taken_by = None
    with transaction.atomic():
        FaceToFaceBooking.objects.select_for_update().filter(pk=booking.pk).first()
        mine = SessionCheck.objects.filter(session=session, booking=booking, kind=kind).first()
        if mine is not None:
            return mine
        taken_by = (
            SessionCheck.objects.filter(session=session, kind=kind, device=device).exclude(booking=booking).first()
        )
        if taken_by is None:
            try:
                with transaction.atomic():
                    check = SessionCheck.objects.create(session=session, booking=booking, kind=kind, device=device)
            except IntegrityError:  # the same phone, another learner, at the same instant
                taken_by = SessionCheck.objects.filter(session=session, kind=kind, device=device).first()
            else:
                record(Event.FACETOFACE_ATTENDANCE, actor=user, obj=booking, session=session.pk, kind=kind, by="scan")
                return check
    # Recorded outside the refused work, so the refusal stays in the log.
    record(
        Event.FACETOFACE_ATTENDANCE,
        actor=user,
        obj=booking,
        result="refused",
        session=session.pk,
        kind=kind,
        by="scan",
        reason="device_used_by_other_learner",
        other_booking=taken_by.booking_id if taken_by else None,
    )
    raise UserError(other_learner(kind), status=409)


def mark_by_hand(*, session, booking, actor, reason: str) -> SessionCheck:
    """补签: the office records 签到 for a learner who was there without a phone; audited with its reason."""
    reason = reason.strip()
    if not reason:
        raise UserError("请填写补签原因。")
    if booking.face_class_id != session.face_class_id or booking.status not in SEAT_STATUSES:
        raise UserError("该学员没有报名这个面授班。", status=409)
    with transaction.atomic():
        check, created = SessionCheck.objects.get_or_create(
            session=session,
            booking=booking,
            kind=CheckKind.IN,
            defaults={"marked_by": actor, "reason": reason[:100]},
        )
        if created:
            record(
                Event.FACETOFACE_ATTENDANCE,
                actor=actor,
                obj=booking,
                session=session.pk,
                kind=CheckKind.IN,
                by="hand",
                reason=reason[:100],
            )
    return check


def attended_counts(face_class) -> dict[int, int]:
    """{booking id: sessions with 签到} for the class's seated bookings (one query)."""
    rows = FaceToFaceBooking.objects.filter(face_class=face_class, status__in=SEAT_STATUSES).annotate(
        n=Count("checks__session", filter=Q(checks__kind=CheckKind.IN), distinct=True)
    )
    return dict(rows.values_list("pk", "n"))


def meets_rule(attended: int, total: int, percent: int) -> bool:
    """Whole numbers only: 4 of 5 at 80 % passes, 3 of 5 does not (no rounding of a share)."""
    return total > 0 and attended * 100 >= percent * total


def shortfall(attended: int, total: int, percent: int) -> str:
    """「出勤 3/5 次，未达到 80%」 ('' when the rule is met)."""
    if meets_rule(attended, total, percent):
        return ""
    return f"出勤 {attended}/{total} 次，未达到 {percent}%"


def attendance_of(booking) -> dict | None:
    """What the learner sees on 面授班: sessions signed in to of the class's (None when it has no sessions)."""
    face_class = booking.face_class
    total = face_class.sessions.count()
    if not total:
        return None
    attended = booking.checks.filter(kind=CheckKind.IN).values("session").distinct().count()
    return {
        "attended": attended,
        "total": total,
        "shortfall": shortfall(attended, total, face_class.attendance_percent),
    }


def settle(*, face_class, actor) -> dict:
    """结算考勤: once the class's last day has come, each seated booking becomes 已参训 (hours posted) or 缺勤 by
    the rule. Running it again after a 补签 corrects the outcome (缺勤 → 已参训; 已参训 → 缺勤 reverses the hours)."""
    total = face_class.sessions.count()
    if total == 0:
        raise UserError("这个面授班还没有课次，不能按签到结算考勤。", status=409)
    if timezone.localdate() < face_class.end_date:
        raise UserError(f"面授班最后一天（{face_class.end_date:%Y-%m-%d}）起才能结算考勤。", status=409)
    counts = attended_counts(face_class)
    outcome = {"attended": 0, "absent": 0}
    for booking in FaceToFaceBooking.objects.filter(pk__in=counts).select_related("face_class__year", "user"):
        passed = meets_rule(counts[booking.pk], total, face_class.attendance_percent)
        services.mark_attendance(booking=booking, attended=passed, actor=actor)
        outcome["attended" if passed else "absent"] += 1
    return outcome


def settle_ended(today=None) -> int:
    """The nightly job: settle classes with sessions whose last day has passed and that still have 已报名
    bookings (a class the office settled by hand is left alone)."""
    today = today or timezone.localdate()
    classes = FaceToFaceClass.objects.filter(
        end_date__lt=today, sessions__isnull=False, bookings__status=BookingStatus.BOOKED
    ).distinct()
    count = 0
    for face_class in classes:
        settle(face_class=face_class, actor=None)
        count += 1
    return count
