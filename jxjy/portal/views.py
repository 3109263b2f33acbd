import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import kombu
import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jxjy.accounts.forms import LoginForm
from jxjy.lib.outage import RETRY_AFTER, outage_cause, outage_log, outage_response, plain_page
from jxjy.lib.redirects import safe_next
from jxjy.lib.serving import SANDBOX
from jxjy.lib.sms import get_backend

from .context_processors import A11Y_COOKIE
from .manual import manual_pdf
from .models import ContactOffice, Faq, Notice, NoticeAttachment

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
    notices = Notice.objects.published().annotate(attachment_count=Count("attachments"))[:100]
    return render(request, "portal/notice_list.html", {"notices": notices})


def notice_detail(request, pk):
    notice = get_object_or_404(Notice.objects.published(), pk=pk)
    return render(request, "portal/notice_detail.html", {"notice": notice})


def notice_attachment(request, pk):
    """An attachment of a published notice, always as a download (never shown or sniffed as a page)."""
    attachment = get_object_or_404(NoticeAttachment.objects.filter(notice__in=Notice.objects.published()), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.download_name,  # Django writes filename*=utf-8''… (RFC 5987) for a Chinese name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=300"
    return response


def contact(request):
    """联系我们: every office's phones and hours; a signed-in learner's own city first."""
    offices = list(ContactOffice.objects.select_related("city"))
    city_id = getattr(request.user, "city_id", None) if request.user.is_authenticated else None
    mine = next((o for o in offices if o.city_id == city_id), None)
    others = [o for o in offices if o is not mine]
    return render(request, "portal/contact.html", {"mine": mine, "offices": others})


def faq(request):
    return render(request, "portal/faq.html", {"faqs": Faq.objects.filter(is_published=True)})


def manual(request):
    """学员操作手册 (PDF), built once per process from the text in jxjy/portal/manual/."""
    response = HttpResponse(manual_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, "学员操作手册.pdf")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def privacy(request):
    return render(request, "portal/privacy.html")


@require_POST
def toggle_a11y(request):
    """大字/高对比 switch: kept in a cookie so it holds on every page, signed in or not. site.js posts it with
    fetch and gets JSON back, so the page is not reloaded (typed input and a playing video stay); without
    JavaScript the form posts as usual and is redirected back."""
    turn_on = request.COOKIES.get(A11Y_COOKIE) != "1"
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        response = JsonResponse({"a11y": turn_on, "label": "标准模式" if turn_on else "大字模式"})
    else:
        response = redirect(safe_next(request, "/"))
    if turn_on:
        response.set_cookie(A11Y_COOKIE, "1", max_age=365 * 86400, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(A11Y_COOKIE)
    return response


def dev_outbox(request):
    """Development only: the SMS messages the platform would have sent, newest first."""
    if not settings.DEV_TOOLS:
        raise Http404
    backend = get_backend()
    sms = backend.list_messages() if hasattr(backend, "list_messages") else []
    return render(request, "portal/dev_outbox.html", {"messages_sent": sms})


# --- Error pages: rendered from a fixed context (jxjy.lib.outage.plain_page), never with the context processors,
# so each of them shows while the database or Redis is down (urls.py names them handler400/403/404/500).


def bad_request(request, exception=None):
    return plain_page(request, "400.html", 400)


def permission_denied(request, exception=None):
    return plain_page(request, "403.html", 403)


def page_not_found(request, exception=None):
    return plain_page(request, "404.html", 404)


def server_error(request):
    """An unexpected error, or an outage met in a middleware (the session and the user are loaded there): Django
    calls this inside its `except` block, so the exception is at hand and an outage gets the calm 503."""
    exc = sys.exc_info()[1]
    cause = outage_cause(exc)
    if cause is not None:
        return outage_response(request, exc, cause)
    return plain_page(request, "500.html", 500)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


# --- Liveness and readiness -----------------------------------------------------------------------------------


def healthz(request):
    """Liveness: the process answers. A trivial endpoint through the full middleware stack, touching neither the
    database nor Redis (a load balancer sends no session cookie), so an outage of either never gets app servers
    restarted; the heartbeat benchmark's baseline too."""
    return HttpResponse("ok", content_type="text/plain")


READY_TIMEOUT = 1.0  # seconds each check may take
_ready_lock = threading.Lock()
_ready_running: dict[str, Future] = {}
_ready_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readyz")


def _run_checks(checks: dict) -> dict:
    """{name: 'ok' | 'down' | 'timeout'} for the `checks`, run together in worker threads and waited for
    READY_TIMEOUT in all. A check still hanging from an earlier call (a host that does not answer) is waited on
    again, never started twice, so a load balancer polling during a network fault cannot pile up threads or
    connections."""
    with _ready_lock:
        futures = {}
        for name, check in checks.items():
            future = _ready_running.get(name)
            if future is None or future.done():
                future = _ready_running[name] = _ready_pool.submit(check)
            futures[name] = future
    deadline = time.monotonic() + READY_TIMEOUT
    result = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            result[name] = "timeout"
        except Exception:
            result[name] = "down"
        else:
            result[name] = "ok"
    return result


def _check_database():
    # A connection of its own, closed again: the check must not wait behind, or break, a request's connection, and
    # a connection kept by a pool thread would outlive every request.
    database = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        database.close()


def _check_redis():
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=READY_TIMEOUT, socket_timeout=READY_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def _check_broker():
    options = {"socket_timeout": READY_TIMEOUT, "socket_connect_timeout": READY_TIMEOUT, "max_retries": 0}
    with kombu.Connection(settings.CELERY_BROKER_URL, connect_timeout=READY_TIMEOUT, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=READY_TIMEOUT)


def readyz(request):
    """Readiness, for load balancers: PostgreSQL (SELECT 1), Redis (PING) and the Celery broker (a connection), each
    bounded to about a second. 200 when every configured one answers, else 503 naming what is down; "off" is a
    service this installation does not use (no REDIS_URL; tasks run in-process). Status words only: no host, no
    error text."""
    checks = {"db": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    if not settings.CELERY_BROKER_URL.startswith("memory://"):
        checks["broker"] = _check_broker
    result = {"db": "off", "redis": "off", "broker": "off"}
    result.update(_run_checks(checks))
    ready = all(value in ("ok", "off") for value in result.values())
    response = JsonResponse(result, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER)
        # Load balancers ask every few seconds: one line a minute with a count, not Django's line per answer.
        outage_log.warning("readyz", "not ready: %s", ", ".join(f"{k} {v}" for k, v in result.items()))
        response._has_been_logged = True
    return response


def favicon(request):
    """Pages that name no icon (the admin's) make browsers ask for /favicon.ico: the logo (resolved per request,
    so production's hashed static name is used)."""
    response = redirect(static("img/logo.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
