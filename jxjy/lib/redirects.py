"""Where a `next` parameter may send the browser: only a path on this site (never another host, never a scheme
such as javascript:, never //evil.example). Every view that redirects to a `next` goes through `safe_next`."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "") -> str:
    """The request's `next` (POST first, then GET) when it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if is_safe(request, target):
        return target
    return default


def is_safe(request, target) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
