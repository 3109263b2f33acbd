"""The gates a staff member passes before any back-office or admin page: the second factor (TOTP through
django-otp) and a password younger than STAFF_PASSWORD_MAX_AGE. Used by `staff_required` and by
StaffSecurityMiddleware for /office/ and /admin/, so the two can never disagree."""

import base64
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from jxjy.audit.models import Event
from jxjy.audit.services import record

DEVICE_NAME = "动态码"
PASSWORD_EXPIRED = "_staff_password_expired"


class OtpLocked(Exception):
    pass


def confirmed_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user):
    """The unconfirmed device of an enrolment in progress (made once, so a reload shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def is_verified(request) -> bool:
    """Whether this session passed the second factor (django-otp's OTPMiddleware sets otp_device)."""
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def password_expired(user) -> bool:
    """A staff password never changed (set by someone else) or older than the maximum age must be changed."""
    changed = user.password_changed_at
    return changed is None or timezone.now() - changed > settings.STAFF_PASSWORD_MAX_AGE


def gate(request, next_path=None):
    """The redirect a signed-in staff member needs before a back-office page (coming back to `next_path`, by
    default this request's page), or None when they may pass."""
    here = {"next": next_path or request.get_full_path()}
    if not is_verified(request):
        step = "office:otp_verify" if confirmed_device(request.user) else "office:otp_enrol"
        return redirect(f"{reverse(step)}?{urlencode(here)}")
    if password_expired(request.user):
        return redirect(f"{reverse('office:password_change')}?{urlencode(here)}")
    return None


def lock_remaining(device):
    """Seconds the device stays locked after too many wrong codes (0 when it is not locked)."""
    if device.throttling_failure_count < settings.STAFF_OTP_MAX_FAILURES or not device.throttling_failure_timestamp:
        return 0
    until = device.throttling_failure_timestamp + settings.STAFF_OTP_LOCK
    return max(0, int((until - timezone.now()).total_seconds()))


def verify_code(request, device, code: str, *, enrol=False) -> bool:
    """Check a 6-digit code against `device` (counted; locked after STAFF_OTP_MAX_FAILURES wrong ones); on success
    confirm the device when enrolling and mark the session verified. Raises OtpLocked while locked."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        locked = bool(lock_remaining(device))
        if not locked and device.throttling_failure_count >= settings.STAFF_OTP_MAX_FAILURES:
            device.throttle_reset(commit=False)  # the lock has run out: five new tries
        # verify_token counts a failure itself and resets the count on success.
        ok = not locked and device.verify_token(code)
        if ok and enrol:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=device.user_id).exclude(pk=device.pk).delete()
        result = "locked" if locked else "ok" if ok else "failed"
        record(Event.OTP_ENROL if enrol else Event.OTP_VERIFY, request=request, obj=request.user, result=result)
    if locked:
        raise OtpLocked
    if ok:
        otp_login(request, device)
    return ok


def reset_devices(*, user, actor) -> int:
    """省级管理员: remove a staff member's second factor; they enrol again at their next sign-in."""
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        record(Event.OTP_RESET, actor=actor, obj=user, devices=deleted)
    return deleted


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (CSP allows img-src data:; no inline SVG/style needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def base32_secret(device) -> str:
    """The secret as authenticator apps take it when typed in, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


__all__ = ["DEVICE_ID_SESSION_KEY", "OtpLocked"]
