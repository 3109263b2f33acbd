import functools
import ipaddress
import re
import uuid

from django.conf import settings

from .request_context import current_request, request_id

_SAFE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
# Set by deploy/gunicorn.conf.py when it takes the client's address from a trusted nginx: nginx's own address.
PROXY_ADDR = "jxjy.proxy_addr"


@functools.lru_cache(maxsize=8)
def _networks(values: tuple) -> tuple:
    """TRUSTED_PROXY_IPS as networks; an entry that is no address is trusted with nothing (and `check --deploy`
    reports it, jxjy.lib.checks)."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def from_trusted_proxy(request) -> bool:
    """True when the request's immediate peer (nginx) is one of TRUSTED_PROXY_IPS (addresses or networks)."""
    peer = request.META.get(PROXY_ADDR) or request.META.get("REMOTE_ADDR") or ""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXY_IPS)))


class RequestIdMiddleware:
    """Give each request an id for logs, audit and error pages. An X-Request-ID is kept only from a trusted proxy
    (nginx's $request_id, so its log and ours match) and only when it is a plain token; a client's own header is
    replaced by a fresh id, so nobody can make their requests look like someone else's in the audit log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        trusted = incoming and _SAFE_ID.fullmatch(incoming) and from_trusted_proxy(request)
        request.id = incoming if trusted else uuid.uuid4().hex
        token, request_token = request_id.set(request.id), current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(request_token)
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
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response
