"""Outages answered calmly: while PostgreSQL, Redis or the Celery broker is down, every request that needs one of
them is answered 503 with `Retry-After` — a plain 请稍后再试 page, or JSON for the page scripts (the player's
heartbeat, the exam's autosave), which keep their queue and send again — and the log gets one line per cause a
minute with a count, not a traceback per request.

Two ways in, because Django turns an exception into a response at every middleware's boundary:
- from a view (or a template it renders): `OutageMiddleware.process_exception`, before Django logs anything;
- from a middleware (the session and the signed-in user are loaded there, by the first one that asks): Django
  calls handler500 inside its `except` block, and `jxjy.portal.views.server_error` hands the exception to
  `outage_response` below. Its response is marked as logged, so Django writes no traceback for it either.
(With DEBUG on, Django shows its debug page instead of calling handler500 for the second kind.)

The pages here are rendered from a fixed context (no context processors, no session, no user): an error page that
needs the database cannot be shown while the database is down.
"""

import logging

import redis.exceptions
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from kombu.exceptions import OperationalError as BrokerError

from .request_context import request_id
from .throttled_logging import ThrottledLogger

# Seconds a client is asked to wait: PostgreSQL restarts and Redis fail-overs take about this long.
RETRY_AFTER = 15
BUSY = "系统繁忙，请稍后再试。"
# The 大字模式 cookie (set by the portal's switch): the error pages keep the learner's large text.
A11Y_COOKIE = "jxjy_a11y"

logger = logging.getLogger("jxjy.outage")
outage_log = ThrottledLogger(logger, interval=60)

# Exception classes and the service they mean is down. Django wraps psycopg's and sqlite3's errors: "connection
# refused" at connect, "terminating connection due to administrator command" and "server closed the connection"
# mid-request are OperationalError, a query on a connection already closed is InterfaceError. redis-py's
# ConnectionError covers refused, reset and "loading"; TimeoutError a Redis that does not answer. Integrity and data
# errors are not here: they are bugs or bad input, not outages.
_CAUSES = (
    ((OperationalError, InterfaceError), "database"),
    ((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError), "redis"),
    ((BrokerError,), "broker"),
)
_LABELS = {"database": "database (PostgreSQL)", "redis": "Redis", "broker": "Celery broker"}


def outage_cause(exc: BaseException | None) -> str | None:
    """'database', 'redis' or 'broker' when `exc` (or an exception it was raised from) says that service is down."""
    for _ in range(5):  # an error re-raised as another (a cache's, kombu's) keeps the original as its cause
        if exc is None:
            return None
        for classes, cause in _CAUSES:
            if isinstance(exc, classes):
                return cause
        exc = exc.__cause__ or exc.__context__
    return None


def wants_json(request) -> bool:
    """A page script rather than a person: it asked for JSON (the heartbeat and the exam's autosave send
    `Accept: application/json`), sent JSON, says it is XHR, or it is a POST that does not ask for HTML (a fetch()
    without headers and sendBeacon send `*/*`; a browser's form post always asks for text/html)."""
    accept = request.headers.get("Accept", "")
    if "application/json" in accept or request.content_type == "application/json":
        return True
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    return "text/html" not in accept and request.method not in ("GET", "HEAD")


def plain_page(request, template_name: str, status: int, context: dict | None = None) -> HttpResponse:
    """An error page in the site's look from a fixed context (request id, 大字模式, the site's name) and nothing
    else: no context processor runs, so it needs neither the database, nor Redis, nor the session."""
    rid = getattr(request, "id", None) or request_id.get()
    page_context = {
        "request_id": rid,
        "a11y_on": request.COOKIES.get(A11Y_COOKIE) == "1",
        "SITE_NAME": settings.SITE_NAME,
        **(context or {}),
    }
    try:
        html = render_to_string(template_name, page_context)
    except Exception:  # the last resort must not fail: a page with no template at all
        logger.exception("error page %s could not be rendered", template_name)
        html = (
            '<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>系统繁忙</title></head>'
            f"<body><h1>{BUSY}</h1><p>编号：{escape(rid)}</p></body></html>"
        )
    return HttpResponse(html, status=status)


def outage_response(request, exc: BaseException, cause: str) -> HttpResponse:
    """The calm 503 for an outage of `cause`, logged once a minute per cause with the count left out."""
    outage_log.error(
        cause,
        "%s unavailable, answering 503: %s: %s (first on %s %s)",
        _LABELS[cause],
        type(exc).__name__,
        str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "",
        request.method,
        request.path[:200],
    )
    # The middlewares outside this point read request.user after the response (security headers, the 404 audit):
    # the user could not be loaded, so they see an anonymous one rather than try again.
    request.user = AnonymousUser()
    if wants_json(request):
        response = JsonResponse({"error": BUSY, "retry": True}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        response = plain_page(request, "503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # Django logs every >= 400 answer; this one was, above (throttled)
    return response


class OutageMiddleware:
    """Turns a database, Redis or broker outage met by a view into the calm 503 (see the module's docstring for
    the outages met in middlewares). Placed right after RequestIdMiddleware, so every answer carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        cause = outage_cause(exception)
        if cause is None:
            return None
        return outage_response(request, exception, cause)
