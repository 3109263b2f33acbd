"""The staff sign-in: 工作人员登录, the second factor (绑定动态码 / 输入动态码), 修改密码, 退出登录, and the page of a
locked account. These are the only back-office pages open before the second factor (StaffSecurityMiddleware)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jxjy.accounts import views as account_views
from jxjy.accounts.models import Role
from jxjy.audit.models import Event
from jxjy.audit.services import client_ip, record
from jxjy.lib import ratelimit
from jxjy.lib.redirects import safe_next
from jxjy.office import security
from jxjy.office.forms.staff import OtpForm, StaffLoginForm, StaffPasswordForm

LOGIN_FAILED_MESSAGE = "用户名或密码错误。连续 5 次错误，账号将被锁定 30 分钟。"
LOCKED_MESSAGE = "该账号连续多次登录失败，已被锁定 30 分钟。请稍后再试，或联系省工考办解锁。"
OTP_FAILED_MESSAGE = "动态码不正确，请核对手机验证器应用中的 6 位数字后重新输入。连续 5 次错误将锁定 30 分钟。"
OTP_LOCKED_MESSAGE = "动态码连续输入错误次数过多，已锁定 30 分钟。请稍后再试，或联系省工考办重置动态码。"


def _next(request):
    return safe_next(request, reverse("office:home"))


def _is_staff_account(user):
    return user.is_active and user.is_staff and user.role != Role.LEARNER


def _is_staff(user):
    return user.is_authenticated and _is_staff_account(user)


# --- 后台登录 ------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    """工作人员登录: username, password and the image captcha; the second factor follows."""
    if _is_staff(request.user):
        return redirect(_next(request))
    # Bound on every POST, even an empty one: the rate limit below adds its error to it.
    form = StaffLoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not ratelimit.hit(f"login-ip:{client_ip(request)}", settings.LOGIN_RATE_PER_IP_MINUTE, 60):
            form.add_error(None, "登录尝试过于频繁，请 1 分钟后再试。")
            status = 429
        elif form.is_valid():
            user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
            if user is not None and _is_staff_account(user):
                login(request, user)
                return _after_otp(request)  # to 绑定动态码 / 输入动态码 first
            if user is not None:  # a learner's right password: the same answer as a wrong one
                record(Event.LOGIN_FAILED, request=request, result="failed", reason="not_staff")
            form.add_error(None, LOGIN_FAILED_MESSAGE)
    context = {"form": form, "next": safe_next(request)}
    return render(request, "office/login.html", context, status=status)


def lockout(request, credentials, *args, **kwargs):
    """django-axes calls this instead of the view once an account is locked: the staff page for the staff sign-in."""
    if request.path == reverse("office:login"):
        return render(
            request, "office/login.html", {"form": StaffLoginForm(), "locked_message": LOCKED_MESSAGE}, status=403
        )
    return account_views.lockout(request, credentials, *args, **kwargs)


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("office:login")


# --- 第二因素：动态码 ------------------------------------------------------------------------------


def _signed_in_staff(view):
    def wrapped(request, *args, **kwargs):
        if not _is_staff(request.user):
            return redirect("office:login")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _check(request, form, device, *, enrol):
    try:
        ok = security.verify_code(request, device, form.cleaned_data["code"], enrol=enrol)
    except security.OtpLocked:
        form.add_error("code", OTP_LOCKED_MESSAGE)
        return False
    if not ok:
        form.add_error("code", OTP_FAILED_MESSAGE)
    return ok


def _after_otp(request):
    """On to the next step (second factor, forced password change) or, past them all, to the page asked for."""
    target = _next(request)
    return security.gate(request, target) or redirect(target)


@never_cache
@_signed_in_staff
@sensitive_post_parameters("code")
def otp_enrol(request):
    """绑定动态码 at the first sign-in: scan the QR code (or type the secret), then confirm with a code."""
    if security.is_verified(request):
        return redirect(_next(request))
    if security.confirmed_device(request.user):
        return redirect(f"{reverse('office:otp_verify')}?{request.GET.urlencode()}")
    device = security.pending_device(request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _check(request, form, device, enrol=True):
        messages.success(request, "动态码绑定成功。以后每次登录后台，都需要输入验证器应用中的动态码。")
        return _after_otp(request)
    context = {
        "form": form,
        "qr": security.qr_data_uri(device.config_url),
        "secret": security.base32_secret(device),
        "next": safe_next(request),
    }
    return render(request, "office/otp_enrol.html", context)


@never_cache
@_signed_in_staff
@sensitive_post_parameters("code")
def otp_verify(request):
    """输入动态码 at every later sign-in."""
    if security.is_verified(request):
        return redirect(_next(request))
    device = security.confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('office:otp_enrol')}?{request.GET.urlencode()}")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _check(request, form, device, enrol=False):
        return _after_otp(request)
    context = {"form": form, "next": safe_next(request)}
    return render(request, "office/otp_verify.html", context)


# --- 修改密码 -------------------------------------------------------------------------------------


@never_cache
@_signed_in_staff
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request):
    """修改密码 (the current password required); forced when the password is older than 90 days."""
    if not security.is_verified(request):
        return security.gate(request, _next(request))
    expired = security.password_expired(request.user)
    form = StaffPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save(request):
        messages.success(request, "密码已修改。其他设备上的登录已自动退出。")
        return redirect(_next(request))
    context = {
        "form": form,
        "expired": expired,
        "office_menu": "password",
        "next": safe_next(request),
    }
    return render(request, "office/password_change.html", context)
