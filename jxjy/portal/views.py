from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jxjy.accounts.forms import LoginForm
from jxjy.lib.redirects import safe_next
from jxjy.lib.sms import get_backend

from .context_processors import A11Y_COOKIE
from .models import Notice

TRAINING_STEPS = [
    ("注册", "用身份证号激活账号"),
    ("报名缴费", "选择本年度网络班并缴费"),
    ("选课学习", "选课并观看课程视频"),
    ("考试", "进度达到 100% 后参加考试"),
    ("打印证明", "在继续教育档案打印证书"),
]


def home(request):
    context = {
        "form": LoginForm(),
        "notices": Notice.objects.published()[:8],
        "steps": TRAINING_STEPS,
    }
    return render(request, "portal/home.html", context)


def notice_list(request):
    return render(request, "portal/notice_list.html", {"notices": Notice.objects.published()[:100]})


def notice_detail(request, pk):
    notice = get_object_or_404(Notice.objects.published(), pk=pk)
    return render(request, "portal/notice_detail.html", {"notice": notice})


def privacy(request):
    return render(request, "portal/privacy.html")


@require_POST
def toggle_a11y(request):
    """大字/高对比 switch: kept in a cookie so it holds on every page, signed in or not."""
    response = redirect(safe_next(request, "/"))
    if request.COOKIES.get(A11Y_COOKIE) == "1":
        response.delete_cookie(A11Y_COOKIE)
    else:
        response.set_cookie(A11Y_COOKIE, "1", max_age=365 * 86400, samesite="Lax", secure=request.is_secure())
    return response


def dev_outbox(request):
    """Development only: the SMS messages the platform would have sent, newest first."""
    if not settings.DEV_TOOLS:
        raise Http404
    backend = get_backend()
    sms = backend.list_messages() if hasattr(backend, "list_messages") else []
    return render(request, "portal/dev_outbox.html", {"messages_sent": sms})


def server_error(request):
    from jxjy.lib.request_context import request_id

    return render(request, "500.html", {"request_id": request_id.get()}, status=500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def healthz(request):
    """A trivial endpoint through the full middleware stack: load balancers, and the heartbeat benchmark's baseline."""
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    """Pages that name no icon (the admin's) make browsers ask for /favicon.ico: the logo (resolved per request,
    so production's hashed static name is used)."""
    from django.templatetags.static import static

    response = redirect(static("img/logo.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
