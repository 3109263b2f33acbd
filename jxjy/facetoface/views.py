"""学员中心 → 面授班 (manual 五(五)): 往年面授记录, this year's classes, 报名面授, 取消报名, 打印报名表."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from jxjy.accounts.decorators import learner_required
from jxjy.catalog.models import YearClaim, YearClaimSource
from jxjy.lib import devices, ratelimit
from jxjy.lib.errors import UserError

from . import services, signin
from .models import LIVE_STATUSES, SEAT_STATUSES, BookingStatus, FaceToFaceBooking, FaceToFaceClass
from .pdf import render_booking_form

FORMS_PER_MINUTE = 20  # 打印报名表 draws a PDF (CPU); a person needs a few


def _card(face_class, *, mine, refusal, today):
    """How one class shows to this learner: a status word and which button, if any."""
    if mine is not None and mine.face_class_id == face_class.pk:
        return {"status": "mine", "label": mine.get_status_display()}
    if face_class.has_started(today):
        return {"status": "started", "label": "已开班"}
    if mine is not None:
        return {"status": "taken", "label": ""}
    full = face_class.seats_taken >= face_class.capacity
    if refusal:
        return {"status": "refused", "label": "名额已满" if full else ""}
    if full:
        return {"status": "full", "label": "名额已满"}
    return {"status": "open", "label": "可报名"}


@learner_required
def home(request):
    """面授班: my booking of this year (取消报名, 打印报名表), the year's classes (my city's first) with 报名面授,
    and my records of earlier years."""
    user, year, today = request.user, services.current_year(), timezone.localdate()
    bookings = list(
        FaceToFaceBooking.objects.filter(user=user)
        .select_related("face_class__city")
        .order_by("-face_class__year_id", "-created_at", "-id")
    )
    this_year = [b for b in bookings if b.face_class.year_id == year]
    mine = next((b for b in this_year if b.status in LIVE_STATUSES), None)
    claim = YearClaim.objects.filter(user=user, year_id=year).first()
    refusal = ""
    if mine is None and claim is not None and claim.source == YearClaimSource.ONLINE:
        refusal = services.online_refusal(user, year, claim)
    classes = services.with_seats(
        FaceToFaceClass.objects.filter(year_id=year, end_date__gte=today).select_related("city")
    ).order_by("start_date", "id")
    cards = [
        {"c": c, "left": max(0, c.capacity - c.seats_taken), **_card(c, mine=mine, refusal=refusal, today=today)}
        for c in classes[:300]
    ]
    now = timezone.now()
    context = {
        "attendance": signin.attendance_of(mine) if mine is not None and mine.status in SEAT_STATUSES else None,
        "menu": "facetoface",
        "year": year,
        "mine": mine,
        "can_cancel": mine is not None and mine.can_cancel(now),
        "cancelled": [b for b in this_year if b.status == BookingStatus.CANCELLED],
        "refusal": refusal,
        "own_cards": [card for card in cards if card["c"].city_id == user.city_id],
        "other_cards": [card for card in cards if card["c"].city_id != user.city_id],
        "history": [b for b in bookings if b.face_class.year_id < year],
    }
    return render(request, "facetoface/home.html", context)


@learner_required
def book(request, class_id):
    """报名面授: a page that shows the class and what booking means, then 确认报名 (POST)."""
    face_class = get_object_or_404(services.with_seats(FaceToFaceClass.objects.select_related("city")), pk=class_id)
    wait = face_class.seats_taken >= face_class.capacity
    if request.method == "GET" and (face_class.year_id != services.current_year() or face_class.has_started()):
        messages.error(request, "该面授班已开班或不是当前年度的面授班，不能报名。")
        return redirect("facetoface:home")
    if request.method == "POST":
        try:
            booking = services.book(user=request.user, face_class=face_class, wait=request.POST.get("wait") == "1")
        except UserError as exc:
            messages.error(request, exc.message)
            return redirect("facetoface:home")
        if booking.status == BookingStatus.WAITING:
            messages.success(request, "候补报名成功。有人取消报名时，将按候补先后自动为您报名，并发短信通知您。")
        else:
            messages.success(request, "报名成功！可以点击“打印报名表”，开班当天请携带本人身份证按时参训。")
        return redirect("facetoface:home")
    return render(request, "facetoface/book.html", {"menu": "facetoface", "c": face_class, "wait": wait})


def _own_booking(request, booking_id):
    return get_object_or_404(
        FaceToFaceBooking.objects.select_related("face_class__city", "face_class__year"),
        pk=booking_id,
        user=request.user,
    )


@learner_required
def cancel(request, booking_id):
    """取消报名 (取消候补): a confirmation, then the cancellation; refused after 3 days."""
    booking = _own_booking(request, booking_id)
    if request.method == "POST":
        waiting = booking.status == BookingStatus.WAITING
        try:
            services.cancel(booking=booking, user=request.user)
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            done = "已取消候补" if waiting else "已取消报名"
            messages.success(request, f"{done}。本年度可以重新报名面授班或网络班。")
        return redirect("facetoface:home")
    if booking.status == BookingStatus.CANCELLED:
        return redirect("facetoface:home")
    context = {"menu": "facetoface", "booking": booking, "can_cancel": booking.can_cancel()}
    if not context["can_cancel"] and booking.status == BookingStatus.BOOKED:
        context["reason"] = services.TOO_LATE_TO_CANCEL
    return render(request, "facetoface/cancel.html", context)


@learner_required
@never_cache
def booking_form(request, booking_id):
    """打印报名表: the A4 PDF of the learner's own booking (anyone else's is 404)."""
    booking = _own_booking(request, booking_id)
    if not booking.printable:
        raise Http404
    if not ratelimit.hit(f"facetoface-form:{request.user.pk}", FORMS_PER_MINUTE, 60):
        response = HttpResponse("操作太频繁，请稍后再试。", status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
    pdf = render_booking_form(booking, user=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"面授班报名表-{booking.number}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


@learner_required
@never_cache
def scan(request, token):
    """扫码签到/签退: the page the phone's camera opens; 确认 (POST) records it for the learner's booking."""
    device, new = devices.device_id(request)
    context = {"menu": "facetoface", "token": token}
    status = 200
    try:
        session, kind = signin.read_token(token, grace=signin.TAP_SECONDS if request.method == "POST" else 0)
        context.update(session=session, kind=kind, label=signin.CheckKind(kind).label, c=session.face_class)
        if request.method == "POST":
            check = signin.scan(session=session, kind=kind, user=request.user, device=device)
            context["done"] = timezone.localtime(check.at)
        else:
            signin.booking_for(session, request.user)
    except UserError as exc:
        context["error"], status = exc.message, exc.status
    response = render(request, "facetoface/scan.html", context, status=status)
    if new:
        devices.remember(request, response, device)
    return response
