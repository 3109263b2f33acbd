"""账号设置 → 个人信息: 查看完整号码, 下载我的个人信息, 撤回同意 and 申请注销账号 (security requirements 26–30).

Every page here carries personal information: never cached (never_cache sends Cache-Control: no-store), the
password travels only in a POST body, and the download is made in memory and sent once."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jxjy.lib.errors import UserError

from . import personal_data
from .decorators import learner_required
from .forms_privacy import ClosureForm, ConsentWithdrawForm, PasswordAgainForm, WithdrawClosureForm

CLOSURE_KINDS = {
    "closure": {"title": "申请注销账号", "form": ClosureForm, "button": "申请注销账号"},
    "consent": {"title": "撤回个人信息处理同意", "form": ConsentWithdrawForm, "button": "撤回同意并申请注销"},
}


def _page(request, *, form=None, withdraw_form=None, revealed=None, status=200):
    context = {
        "tab": "privacy",
        "form": form or PasswordAgainForm(),
        "withdraw_form": withdraw_form or WithdrawClosureForm(),
        "pending": personal_data.pending_closure(request.user),
        "revealed": revealed,
    }
    return render(request, "accounts/settings_privacy.html", context, status=status)


@learner_required
@sensitive_post_parameters("password")
@never_cache
def privacy(request):
    """个人信息: 查看完整号码 and 下载我的个人信息, each after the password again; the consent record; 注销."""
    if request.method != "POST":
        return _page(request)
    form = PasswordAgainForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form)
    password = form.cleaned_data["password"]
    try:
        if request.POST.get("action") == "download":
            filename, content = personal_data.export_archive(user=request.user, password=password)
            response = HttpResponse(content, content_type="application/zip")
            response["Content-Disposition"] = content_disposition_header(True, filename)
            response["Cache-Control"] = "no-store, private"
            return response
        revealed = personal_data.reveal_own_numbers(user=request.user, password=password)
    except UserError as exc:
        form.add_error("password", exc.message)
        return _page(request, form=form)
    return _page(request, form=PasswordAgainForm(), revealed=revealed)


def _closure_page(request, kind):
    spec = CLOSURE_KINDS[kind]
    if personal_data.pending_closure(request.user) is not None and kind == "closure":
        messages.info(request, "您已提交注销申请，正在等待所在地市工考办办理。")
        return redirect("accounts:settings_privacy")
    form = spec["form"](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            personal_data.request_closure(
                user=request.user,
                password=form.cleaned_data["password"],
                reason=form.cleaned_data.get("reason", "") or ("撤回个人信息处理同意" if kind == "consent" else ""),
                withdraws_consent=kind == "consent",
            )
        except UserError as exc:
            form.add_error("password" if exc.field == "password" else None, exc.message)
        else:
            messages.success(request, "注销申请已提交。所在地市工考办办理前，您可以随时在本页撤回。")
            return redirect("accounts:settings_privacy")
    context = {"tab": "privacy", "form": form, "kind": kind, **spec}
    return render(request, "accounts/settings_closure.html", context)


@learner_required
@sensitive_post_parameters("password")
@never_cache
def closure_request(request):
    """申请注销账号: what is deleted, what the law keeps, who completes it; then the password again."""
    return _closure_page(request, "closure")


@learner_required
@sensitive_post_parameters("password")
@never_cache
def consent_withdraw(request):
    """撤回同意: the platform cannot serve without it, so it is a 注销 request (withdrawable while pending)."""
    return _closure_page(request, "consent")


@learner_required
@require_POST
@never_cache
def closure_withdraw(request):
    """撤回注销申请 while the city office has not completed it."""
    form = WithdrawClosureForm(request.POST)
    form.is_valid()
    try:
        closure = personal_data.withdraw_closure(user=request.user, consent=form.cleaned_data.get("consent", False))
    except UserError as exc:
        form.add_error("consent", exc.message)
        return _page(request, withdraw_form=form)
    if closure is not None:
        messages.success(request, "注销申请已撤回，您可以继续正常使用平台。")
    return redirect("accounts:settings_privacy")
