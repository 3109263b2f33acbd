import time

from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.files.storage import default_storage
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jxjy.audit.services import client_ip
from jxjy.lib import crypto, ratelimit, serving
from jxjy.lib.errors import UserError, show_on
from jxjy.lib.masking import mask_mobile
from jxjy.lib.redirects import safe_next

from . import services
from .decorators import learner_required
from .forms import (
    AddressForm,
    AvatarForm,
    ChangePasswordForm,
    CompleteMobileForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetFinishForm,
    ResetStartForm,
    ResetWithCodeForm,
    SendCodeForm,
)
from .models import Address, SmsPurpose, User, id_number_index

LOGIN_FAILED_MESSAGE = "身份证号或密码错误。连续 5 次错误，账号将被锁定 30 分钟。"
LOCKED_MESSAGE = "该账号连续多次登录失败，已被锁定 30 分钟。请稍后再试，或通过“找回密码”重置密码。"
RESET_TICKET = "password_reset_ticket"
RESET_TICKET_AGE = 15 * 60


def _safe_next(request, default):
    return safe_next(request, default)


def home_for(user):
    return reverse("learning:center") if user.is_learner else reverse("office:home")


# --- 登录 / 退出登录 --------------------------------------------------------------------------------


@sensitive_post_parameters("password", "id_number")
@never_cache
def login_view(request):
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    # Bound on every POST, even an empty one: the rate limit below adds its error to it.
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not ratelimit.hit(f"login-ip:{client_ip(request)}", settings.LOGIN_RATE_PER_IP_MINUTE, 60):
            form.add_error(None, "登录尝试过于频繁，请 1 分钟后再试。")
            status = 429
        elif form.is_valid():
            user = authenticate(
                request,
                username=id_number_index(form.cleaned_data["id_number"]),
                password=form.cleaned_data["password"],
            )
            if user is not None and user.is_learner:
                login(request, user)
                return redirect(_safe_next(request, home_for(user)))
            form.add_error(None, LOGIN_FAILED_MESSAGE)
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request, "")}, status=status)


def lockout(request, credentials, *args, **kwargs):
    """django-axes calls this instead of the view once an account is locked."""
    context = {"form": LoginForm(), "locked_message": LOCKED_MESSAGE}
    return render(request, "accounts/login.html", context, status=403)


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("portal:home")


# --- 获取验证码 -----------------------------------------------------------------------------------


def _new_captcha():
    key = CaptchaStore.generate_key()
    return {"key": key, "image_url": captcha_image_url(key)}


@require_POST
def send_code(request):
    """获取验证码 (JSON, used by the pages' script; the pages also work without it)."""
    purpose = request.POST.get("purpose")
    if purpose == SmsPurpose.BIND and not request.user.is_authenticated:
        return JsonResponse({"ok": False, "message": "请先登录。"}, status=401)
    if purpose not in (SmsPurpose.REGISTER, SmsPurpose.BIND):
        return JsonResponse({"ok": False, "message": "请求无效。"}, status=400)
    form = SendCodeForm(request.POST)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"ok": False, "errors": errors, "captcha": _new_captcha()}, status=400)
    try:
        services.send_sms_code(mobile=form.cleaned_data["mobile"], purpose=purpose, request=request)
    except UserError as exc:
        return JsonResponse({"ok": False, "errors": {"mobile": [exc.message]}, "captcha": _new_captcha()}, status=429)
    return JsonResponse({"ok": True, "message": _sent_message(form.cleaned_data["mobile"]), "captcha": _new_captcha()})


def _sent_message(mobile):
    return f"验证码已发送至 {mask_mobile(mobile)}，5 分钟内有效。"


def _handle_send_action(request, purpose):
    """The no-script path of 获取验证码: the button submits the page's form with action=send_code."""
    form = SendCodeForm(request.POST)
    if form.is_valid():
        try:
            services.send_sms_code(mobile=form.cleaned_data["mobile"], purpose=purpose, request=request)
            messages.success(request, _sent_message(form.cleaned_data["mobile"]))
        except UserError as exc:
            form.add_error("mobile", exc.message)
    return form


# --- 新用户注册 -----------------------------------------------------------------------------------


@sensitive_post_parameters("new_password1", "new_password2", "id_number", "mobile", "sms_code")
@never_cache
def register(request):
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    send_form = SendCodeForm()
    if request.method == "POST" and request.POST.get("action") == "send_code":
        send_form = _handle_send_action(request, SmsPurpose.REGISTER)
        form = RegisterForm(initial={k: request.POST.get(k, "") for k in ("name", "id_number", "mobile")})
        if not send_form.errors:
            send_form = SendCodeForm()  # a fresh captcha for the next send
    elif request.method == "POST":
        form = RegisterForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.register_learner(
                    name=data["name"],
                    id_number=data["id_number"],
                    mobile=data["mobile"],
                    password=data["new_password1"],
                    code=data["sms_code"],
                )
            except UserError as exc:
                show_on(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"注册成功，欢迎您，{user.name}！")
                return redirect("learning:center")
    else:
        form = RegisterForm()
    return render(request, "accounts/register.html", {"form": form, "send_form": send_form})


# --- 找回密码 -------------------------------------------------------------------------------------


@sensitive_post_parameters("id_number", "name")
@never_cache
def password_reset(request):
    form = ResetStartForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.start_password_reset(
                name=form.cleaned_data["name"], id_number=form.cleaned_data["id_number"], request=request
            )
        except UserError as exc:
            show_on(form, exc)
            status = 429 if isinstance(exc, services.SmsThrottled) else 200
        else:
            ticket["id_enc"] = crypto.encrypt(form.cleaned_data["id_number"], "id_number")
            request.session[RESET_TICKET] = ticket
            return redirect("accounts:password_reset_verify")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


def _reset_ticket(request):
    ticket = request.session.get(RESET_TICKET)
    if not ticket or time.time() - ticket["started"] > RESET_TICKET_AGE:
        request.session.pop(RESET_TICKET, None)
        return None
    return ticket


@sensitive_post_parameters("new_password1", "new_password2", "sms_code")
@never_cache
def password_reset_verify(request):
    ticket = _reset_ticket(request)
    if ticket is None:
        messages.info(request, "找回密码已超时，请重新填写姓名和身份证号。")
        return redirect("accounts:password_reset")
    if ticket["user_id"] is not None:
        password_user = User.objects.get(pk=ticket["user_id"])
    else:
        password_user = User(id_number=crypto.decrypt(ticket["id_enc"], "id_number"))
    form = ResetFinishForm(request.POST or None, user=password_user)
    if request.method == "POST" and form.is_valid():
        try:
            services.finish_password_reset(
                ticket=ticket,
                code=form.cleaned_data["sms_code"],
                password=form.cleaned_data["new_password1"],
            )
        except UserError as exc:
            show_on(form, exc)
        else:
            request.session.pop(RESET_TICKET, None)
            messages.success(request, "密码已重置，请使用新密码登录。")
            return redirect("accounts:login")
    return render(
        request, "accounts/password_reset_verify.html", {"form": form, "mobile_masked": ticket["mobile_masked"]}
    )


@sensitive_post_parameters("new_password1", "new_password2", "sms_code", "id_number", "name")
@never_cache
def password_reset_code(request):
    """找回密码 with a code the city office had sent (工考办发起密码重置)."""
    form = ResetWithCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.finish_assisted_reset(
                name=data["name"], id_number=data["id_number"], code=data["sms_code"], password=data["new_password1"]
            )
        except UserError as exc:
            show_on(form, exc)
        else:
            messages.success(request, "密码已重置，请使用新密码登录。")
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_code.html", {"form": form})


# --- 完善手机信息 ---------------------------------------------------------------------------------


@learner_required
@sensitive_post_parameters("mobile", "sms_code", "password")
@never_cache
def complete_mobile(request):
    """完善手机信息 (no verified mobile yet), and 更换手机号 (with the login password) from 账号设置."""
    user = request.user
    send_form = SendCodeForm()
    if request.method == "POST" and request.POST.get("action") == "send_code":
        send_form = _handle_send_action(request, SmsPurpose.BIND)
        form = CompleteMobileForm(initial={"mobile": request.POST.get("mobile", "")}, user=user)
        if not send_form.errors:
            send_form = SendCodeForm()
    elif request.method == "POST":
        form = CompleteMobileForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.bind_mobile(
                    user=user, mobile=data["mobile"], code=data["sms_code"], password=data.get("password")
                )
            except UserError as exc:
                show_on(form, exc)
            else:
                messages.success(request, "手机号已保存，今后培训通知将发送到该手机。")
                return redirect("learning:center")
    else:
        form = CompleteMobileForm(user=user)
    context = {"form": form, "send_form": send_form, "replacing": form.replacing}
    return render(request, "accounts/complete_mobile.html", context)


# --- 账号设置 -------------------------------------------------------------------------------------


@learner_required
def settings_profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=user, changes=form.cleaned_data)
        messages.success(request, "基础信息已保存。")
        return redirect("accounts:settings_profile")
    return render(request, "accounts/settings_profile.html", {"form": form, "tab": "profile"})


@learner_required
def settings_avatar(request):
    form = AvatarForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_avatar(user=request.user, upload=form.cleaned_data["avatar"])
        except UserError as exc:
            show_on(form, exc)
        else:
            messages.success(request, "头像已更新。")
            return redirect("accounts:settings_avatar")
    status = 400 if form.errors else 200
    return render(request, "accounts/settings_avatar.html", {"form": form, "tab": "avatar"}, status=status)


@learner_required
def avatar_image(request):
    name = request.user.avatar
    if not name or not default_storage.exists(name):
        raise Http404
    # A photo of the learner (personal information), shown in the page's <img>: inline, but nosniff and sandboxed
    # (jxjy.lib.serving); always our re-encoded JPEG.
    return serving.inline_image(default_storage.open(name), content_type="image/jpeg", cache="no-store, private")


@learner_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def settings_password(request):
    form = ChangePasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save(request):
        messages.success(request, "密码已修改。其他设备上的登录已自动退出。")
        return redirect("accounts:settings_password")
    # Requirement 5: a change without the right current password is a 400 (other mistakes re-show the form).
    status = 400 if "old_password" in form.errors else 200
    return render(request, "accounts/settings_password.html", {"form": form, "tab": "password"}, status=status)


@learner_required
def settings_addresses(request):
    addresses = Address.objects.filter(user=request.user)
    return render(request, "accounts/settings_addresses.html", {"addresses": addresses, "tab": "addresses"})


@learner_required
def address_edit(request, pk=None):
    instance = get_object_or_404(Address, pk=pk, user=request.user) if pk else Address(user=request.user)
    form = AddressForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_address(user=request.user, address=form.save(commit=False))
        except UserError as exc:
            show_on(form, exc)
        else:
            messages.success(request, "收件地址已保存。")
            return redirect("accounts:settings_addresses")
    return render(request, "accounts/address_form.html", {"form": form, "tab": "addresses", "address": instance})


@learner_required
@require_POST
def address_delete(request, pk):
    get_object_or_404(Address, pk=pk, user=request.user)
    services.delete_address(user=request.user, address_id=pk)
    messages.success(request, "收件地址已删除。")
    return redirect("accounts:settings_addresses")


@learner_required
@require_POST
def address_default(request, pk):
    get_object_or_404(Address, pk=pk, user=request.user)
    services.set_default_address(user=request.user, address_id=pk)
    messages.success(request, "已设为默认地址。")
    return redirect("accounts:settings_addresses")
