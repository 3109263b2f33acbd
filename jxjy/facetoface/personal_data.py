"""The 面授班 part of 下载我的个人信息, and what a completed 注销申请 does here (jxjy.accounts.personal_data).

Bookings are kept (attendance is behind hours in the ledger). A place the closed account still holds — a waiting
booking, or a seat in a class that has not started — is cancelled, so the seat goes to the next learner."""

from jxjy.accounts.personal_data import register_anonymiser, register_exporter, when

from .models import BookingStatus, FaceToFaceBooking, FaceToFaceClass
from .services import _cancel, promote_waiting

CLOSED_REASON = "学员注销账号"


def export_bookings(user) -> list:
    bookings = FaceToFaceBooking.objects.filter(user=user).select_related("face_class__city").order_by("-created_at")
    return [
        {
            "报名编号": booking.number,
            "面授班": booking.face_class.title,
            "举办地市": booking.face_class.city.name,
            "培训地点": booking.face_class.venue,
            "开始日期": when(booking.face_class.start_date),
            "结束日期": when(booking.face_class.end_date),
            "状态": booking.get_status_display(),
            "报名时间": when(booking.created_at),
            "取得名额时间": when(booking.booked_at),
            "取消时间": when(booking.cancelled_at),
            "取消原因": booking.cancel_reason,
            "考勤登记时间": when(booking.attendance_at),
        }
        for booking in bookings
    ]


def release_places(user) -> str:
    """Cancel the closed learner's waiting bookings and seats in classes not started (lock order: class, booking)."""
    live = FaceToFaceBooking.objects.filter(user=user, status__in=(BookingStatus.WAITING, BookingStatus.BOOKED))
    cancelled = 0
    for class_id in sorted(set(live.values_list("face_class_id", flat=True))):
        face_class = FaceToFaceClass.objects.select_for_update().get(pk=class_id)
        if face_class.has_started():
            continue  # attendance is the office's to record
        for booking in live.select_for_update().filter(face_class=face_class):
            booking.face_class = face_class
            before = booking.status
            _cancel(booking, reason=CLOSED_REASON)
            cancelled += 1
            if before == BookingStatus.BOOKED:
                promote_waiting(face_class)
    return f"取消未开班的报名 {cancelled} 个"


def register():
    register_exporter("面授班报名", export_bookings)
    register_anonymiser("面授班报名", release_places)
