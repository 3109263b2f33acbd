import re
import uuid

from django.conf import settings

from .request_context import request_id

_SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class RequestIdMiddleware:
    """Give each request an id (or keep a sane one from the proxy) for logs, audit and error pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if _SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class SecurityHeadersMiddleware:
    """CSP on every response; pages for signed-in users are never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store, private"
        return response
