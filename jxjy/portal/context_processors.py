from django.conf import settings

A11Y_COOKIE = "jxjy_a11y"


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "a11y_on": request.COOKIES.get(A11Y_COOKIE) == "1",
        "DEV_TOOLS": settings.DEV_TOOLS,
    }
