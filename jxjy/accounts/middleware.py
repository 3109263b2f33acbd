import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from jxjy.audit.models import Event
from jxjy.audit.services import record

LAST_SEEN = "_last_seen"
SIGNED_IN_AT = "_signed_in_at"


class SessionTimeoutMiddleware:
    """Ends idle sessions (learners 30 min, staff 15 min) and any session after 12 hours.

    The last-seen time is written at most once a minute, so busy endpoints do not
    rewrite the session on every request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            idle = settings.SESSION_IDLE_TIMEOUT_LEARNER if user.is_learner else settings.SESSION_IDLE_TIMEOUT_STAFF
            if now - last_seen > idle or now - signed_in > settings.SESSION_COOKIE_AGE:
                record(Event.SESSION_EXPIRED, actor=user, request=request, obj=user)
                logout(request)
                if "application/json" in request.headers.get("Accept", ""):
                    # Scripts (the player's heartbeat later) must stop at once, not follow a redirect.
                    return JsonResponse({"error": "登录已过期，请重新登录。"}, status=401)
                messages.info(request, "您长时间未操作，为保护账号安全已自动退出，请重新登录。")
                sign_in = "accounts:login" if user.is_learner else "office:login"
                return redirect(f"{reverse(sign_in)}?{urlencode({'next': request.path})}")
            if now - last_seen >= 60 or LAST_SEEN not in session:
                session[LAST_SEEN] = now
        return self.get_response(request)


class MobileRequiredMiddleware:
    """A learner without a verified mobile can do nothing but complete it (完善手机信息)."""

    # A learner may always read the privacy notice, download their data, withdraw consent or ask to close the account,
    # and find help (联系我们, 常见问题 — 换了手机号 is one of them — and the manual).
    ALLOWED = (
        "accounts:complete_mobile",
        "portal:contact",
        "portal:faq",
        "portal:manual",
        "accounts:send_code",
        "accounts:logout",
        "portal:a11y",
        "portal:privacy",
        "accounts:settings_privacy",
        "accounts:closure_request",
        "accounts:closure_withdraw",
        "accounts:consent_withdraw",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths = None

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.needs_mobile:
            if self._allowed_paths is None:
                self._allowed_paths = {reverse(name) for name in self.ALLOWED}
            path = request.path
            if path not in self._allowed_paths and not path.startswith(("/static/", "/captcha/")):
                return redirect("accounts:complete_mobile")
        return self.get_response(request)
