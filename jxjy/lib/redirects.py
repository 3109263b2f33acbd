"""Where a `next` parameter may send the browser: only a path on this site (never another host, never a scheme
such as javascript:, never //evil.example). Every view that redirects to a `next` goes through `safe_next`."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "") -> str:
    """The request's `next` (POST first, then GET) when it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next")
    if is_safe(request, target):
        return target
    return default


# Longer than any path of ours with its query: a longer one only makes a huge Location header.
MAX_NEXT_LENGTH = 2000


def is_safe(request, target) -> bool:
    """A path on this site, exactly as given: starts with one "/" (so `redirect()` never takes it for a view name
    such as "abc" or "orders:list", and a leading space or tab never hides "https://elsewhere"), holds nothing a
    browser would strip or a header cannot carry, and is of a sane length."""
    return (
        isinstance(target, str)
        and 0 < len(target) <= MAX_NEXT_LENGTH
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and target.isprintable()
        and not any(char.isspace() for char in target)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    )
