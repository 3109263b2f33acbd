"""业务后台 → 面授班管理: a city office runs its own city's 面授班 (the province sees all): 新建/修改面授班, the
booking list, 导出 Excel, 登记考勤. Another city's class is a 404 everywhere."""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jxjy.accounts.models import Role
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.facetoface import services, signin
from jxjy.facetoface.models import (
    SEAT_STATUSES,
    BookingStatus,
    CheckKind,
    FaceToFaceBooking,
    FaceToFaceClass,
    FaceToFaceSession,
)
from jxjy.lib import sheets
from jxjy.lib.errors import UserError
from jxjy.office.forms.facetoface import FaceToFaceClassForm, HandMarkForm, SessionForm
from jxjy.office.menu import office_view
from jxjy.office.security import qr_data_uri


def office_classes(user):
    """The classes `user` may run: a city office its own city's, the province all. (accounts.permissions.scope limits
    by the learner's city; a class belongs to the city that runs it, whoever books it.)"""
    queryset = FaceToFaceClass.objects.all()
    if user.role == Role.PROVINCE:
        return queryset
    if user.role == Role.CITY and user.city_id:
        return queryset.filter(city_id=user.city_id)
    return queryset.none()


def _class(request, pk):
    return get_object_or_404(office_classes(request.user).select_related("city", "year"), pk=pk)


@office_view("facetoface")
def class_list(request):
    """面授班管理: the classes, newest year first, with their seats taken and waiting."""
    classes = services.with_seats(office_classes(request.user).select_related("city")).order_by(
        "-year_id", "start_date", "id"
    )[:500]
    return render(request, "office/facetoface/list.html", {"office_menu": "facetoface", "classes": classes})


def _edit(request, face_class):
    form = FaceToFaceClassForm(request.POST or None, instance=face_class, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            face_class = services.save_class(face_class=form.save(commit=False), actor=request.user)
        except UserError as exc:
            form.add_error("capacity", exc.message)
        else:
            messages.success(request, f"面授班“{face_class.title}”已保存。")
            return redirect("office:facetoface_detail", pk=face_class.pk)
    context = {"office_menu": "facetoface", "form": form, "face_class": face_class if face_class.pk else None}
    return render(request, "office/facetoface/form.html", context, status=400 if form.errors else 200)


@office_view("facetoface")
def class_create(request):
    return _edit(request, FaceToFaceClass())


@office_view("facetoface")
def class_edit(request, pk):
    return _edit(request, _class(request, pk))


@office_view("facetoface")
def class_detail(request, pk):
    """A class and its bookings: seats (已报名 / 已参训 / 缺勤, with 登记考勤), the waiting list, the cancelled."""
    face_class = _class(request, pk)
    bookings = list(face_class.bookings.select_related("user__city").order_by("created_at", "id"))
    seated = [b for b in bookings if b.status in SEAT_STATUSES]
    sessions = list(face_class.sessions.all())
    counts = signin.attended_counts(face_class) if sessions else {}
    for b in seated:
        b.sessions_attended = counts.get(b.pk, 0)
        b.shortfall = signin.shortfall(b.sessions_attended, len(sessions), face_class.attendance_percent)
    context = {
        "office_menu": "facetoface",
        "c": face_class,
        "seated": seated,
        "waiting": [b for b in bookings if b.status == BookingStatus.WAITING],
        "cancelled": [b for b in bookings if b.status == BookingStatus.CANCELLED],
        "started": face_class.has_started(),
        "attended": sum(1 for b in seated if b.status == BookingStatus.ATTENDED),
        "sessions": sessions,
        "session_form": SessionForm(face_class=face_class),
        "can_settle": bool(sessions) and timezone.localdate() >= face_class.end_date,
    }
    return render(request, "office/facetoface/detail.html", context)


@office_view("facetoface")
@require_POST
def attendance(request, booking_id):
    """登记考勤 of one booking: 已参训 (posts the class's hours) or 缺勤 (reverses them if they were posted)."""
    booking = get_object_or_404(
        FaceToFaceBooking.objects.filter(face_class__in=office_classes(request.user)), pk=booking_id
    )
    if booking.face_class.sessions.exists():
        messages.error(request, "本班按扫码签到结算考勤，请用“补签”或“结算考勤”。")
        return redirect("office:facetoface_detail", pk=booking.face_class_id)
    outcome = request.POST.get("outcome")
    if outcome not in (BookingStatus.ATTENDED, BookingStatus.ABSENT):
        messages.error(request, "请选择“已参训”或“缺勤”。")
        return redirect("office:facetoface_detail", pk=booking.face_class_id)
    try:
        booking = services.mark_attendance(
            booking=booking, attended=outcome == BookingStatus.ATTENDED, actor=request.user
        )
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{booking.user.name}：已登记为{booking.get_status_display()}。")
    return redirect(f"{reverse('office:facetoface_detail', args=[booking.face_class_id])}#booking-{booking.pk}")


def _detail(face_class, anchor="sessions"):
    return redirect(f"{reverse('office:facetoface_detail', args=[face_class.pk])}#{anchor}")


def _session(request, session_id):
    return get_object_or_404(
        FaceToFaceSession.objects.filter(face_class__in=office_classes(request.user)).select_related("face_class"),
        pk=session_id,
    )


@office_view("facetoface")
@require_POST
def session_add(request, pk):
    """添加课次 (a half-day) to a class."""
    face_class = _class(request, pk)
    form = SessionForm(request.POST, face_class=face_class)
    if form.is_valid():
        session = form.save()
        record(Event.FACETOFACE_CLASS_SAVE, request=request, obj=face_class, session_added=str(session))
        messages.success(request, f"已添加课次：{session}。")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _detail(face_class)


@office_view("facetoface")
@require_POST
def session_delete(request, session_id):
    """删除课次: only one nobody has signed in to yet."""
    session = _session(request, session_id)
    if session.checks.exists():
        messages.error(request, f"课次 {session} 已有学员签到，不能删除。")
    else:
        session.delete()
        record(Event.FACETOFACE_CLASS_SAVE, request=request, obj=session.face_class, session_deleted=str(session))
        messages.success(request, f"已删除课次：{session}。")
    return _detail(session.face_class)


def _code(request, session, kind):
    """The code on screen now: the scan URL with a fresh 60-second token, as an SVG data URI."""
    url = request.build_absolute_uri(reverse("facetoface:scan", args=[signin.make_token(session, kind)]))
    done = session.checks.filter(kind=kind).count()
    return {"url": url, "qr": qr_data_uri(url), "done": done}


def _kind(request):
    kind = request.GET.get("kind", CheckKind.IN)
    if kind not in CheckKind.values:
        raise Http404
    return kind


@office_view("facetoface")
@never_cache
def session_qr(request, session_id):
    """签到二维码: a full-screen page for the room's screen; the code changes every 20 seconds (facetoface-qr.js)."""
    session, kind = _session(request, session_id), _kind(request)
    today = session.date == timezone.localdate()
    context = {
        "office_menu": "facetoface",
        "session": session,
        "c": session.face_class,
        "kind": kind,
        "label": CheckKind(kind).label,
        "today": today,
        "seated": session.face_class.bookings.filter(status__in=SEAT_STATUSES).count(),
        "code": _code(request, session, kind) if today else None,
    }
    return render(request, "office/facetoface/qr.html", context)


@office_view("facetoface")
@never_cache
def session_qr_code(request, session_id):
    """The page's refresh: a new code as JSON."""
    session, kind = _session(request, session_id), _kind(request)
    if session.date != timezone.localdate():
        return JsonResponse({"error": signin.NOT_TODAY}, status=409)
    return JsonResponse(_code(request, session, kind))


@office_view("facetoface")
@require_POST
def hand_mark(request, booking_id):
    """补签: 签到 of one learner at one session, with the reason (audited)."""
    booking = get_object_or_404(
        FaceToFaceBooking.objects.filter(face_class__in=office_classes(request.user)).select_related("user"),
        pk=booking_id,
    )
    form = HandMarkForm(request.POST, face_class=booking.face_class)
    if form.is_valid():
        try:
            signin.mark_by_hand(
                session=form.cleaned_data["session"],
                booking=booking,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{booking.user.name}：{form.cleaned_data['session']} 已补签。")
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _detail(booking.face_class, f"booking-{booking.pk}")


@office_view("facetoface")
@require_POST
def settle(request, pk):
    """结算考勤 by the sign-in records and the class's rule."""
    face_class = _class(request, pk)
    try:
        outcome = signin.settle(face_class=face_class, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已结算考勤：已参训 {outcome['attended']} 人，缺勤 {outcome['absent']} 人。")
    return _detail(face_class, "seated-title")


EXPORT_COLUMNS = ["序号", "姓名", "身份证号", "手机号", "工作单位", "所属地市", "状态", "报名时间", "报名编号"]
EXPORT_WIDTHS = [6, 12, 22, 15, 32, 10, 10, 18, 16]


def _export_row(number, booking):
    """One row of the list; a name or unit that starts like a formula is written as text (jxjy.lib.sheets)."""
    user = booking.user
    when = timezone.localtime(booking.booked_at or booking.created_at)
    return [
        number,
        user.name,
        user.id_number_masked,
        user.mobile_masked,
        user.work_unit,
        user.city.name if user.city else "",
        booking.get_status_display(),
        f"{when:%Y-%m-%d %H:%M}",
        booking.number,
    ]


@office_view("facetoface")
@never_cache
def export(request, pk):
    """导出 Excel: the class's bookings (personal numbers masked). Audited: it carries personal data."""
    face_class = _class(request, pk)
    bookings = list(
        face_class.bookings.exclude(status=BookingStatus.CANCELLED)
        .select_related("user__city")
        .order_by("created_at", "id")
    )
    table = sheets.Table(
        "报名名单",
        above=[
            f"{face_class.year_id}年度面授班：{face_class.title}",
            f"培训地点：{face_class.venue}　日期：{face_class.start_date} 至 {face_class.end_date}",
        ],
        header=EXPORT_COLUMNS,
        rows=[_export_row(number, booking) for number, booking in enumerate(bookings, 1)],
        widths=EXPORT_WIDTHS,
    )
    record(Event.FACETOFACE_EXPORT, request=request, obj=face_class, rows=len(bookings))
    return sheets.download(sheets.workbook(table), f"面授班报名名单-{face_class.pk}.xlsx")
