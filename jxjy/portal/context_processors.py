from django.conf import settings

from jxjy.lib.outage import A11Y_COOKIE

__all__ = ["A11Y_COOKIE", "site"]


def site(request):
    """Settings and the 大字模式 cookie only: safe while the database or Redis is down."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "a11y_on": request.COOKIES.get(A11Y_COOKIE) == "1",
        "DEV_TOOLS": settings.DEV_TOOLS,
    }
