"""Run by the requirement tests in a separate process under the production environment (deploy/jxjy.env.example with
real secrets): prints one JSON line with the security settings as production computes them and what a few requests
through the full middleware stack get back. Needs no database or Redis: the requests touch neither."""

import json
import sys

import django

import jxjy.settings as production

# The one departure from production: no collectstatic here, so static URLs are not looked up in a manifest.
production.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

import jxjy.urls  # noqa: E402

HOST = settings.ALLOWED_HOSTS[0]
SECRET_MARKER = "probe-secret-detail-7f3a"


def boom(request):
    raise RuntimeError(f"unhandled error in a view ({SECRET_MARKER})")


def answer(response):
    return {
        "status": response.status_code,
        "headers": {key.lower(): value for key, value in response.items()},
        "body": response.content.decode(errors="replace"),
    }


def main():
    jxjy.urls.urlpatterns.append(path("probe-boom/", boom))
    clear_url_caches()
    client = Client(raise_request_exception=False, HTTP_HOST=HOST)
    out = {
        "settings": {
            name: getattr(settings, name, None)
            for name in (
                "DEBUG",
                "DEV_TOOLS",
                "SECURE_SSL_REDIRECT",
                "SECURE_HSTS_SECONDS",
                "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                "SECURE_CONTENT_TYPE_NOSNIFF",
                "SECURE_REFERRER_POLICY",
                "X_FRAME_OPTIONS",
                "SESSION_COOKIE_SECURE",
                "SESSION_COOKIE_HTTPONLY",
                "SESSION_COOKIE_SAMESITE",
                "SESSION_COOKIE_AGE",
                "SESSION_EXPIRE_AT_BROWSER_CLOSE",
                "SESSION_IDLE_TIMEOUT_LEARNER",
                "SESSION_IDLE_TIMEOUT_STAFF",
                "CSRF_COOKIE_SECURE",
                "CSRF_COOKIE_HTTPONLY",
                "REDIS_URL",
                "CELERY_BROKER_URL",
            )
        },
        "database": {
            "ENGINE": settings.DATABASES["default"]["ENGINE"],
            "OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
        },
        "cache_location": settings.CACHES["default"].get("LOCATION", ""),
        "secret_marker": SECRET_MARKER,
    }
    if "requests" in sys.argv[1:]:
        out["http"] = answer(client.get("/healthz"))
        out["https"] = answer(client.get("/healthz", secure=True))
        out["not_found"] = answer(client.get("/no-such-page/", secure=True))
        out["error"] = answer(client.get("/probe-boom/", secure=True))
    print(json.dumps(out, ensure_ascii=False, default=str))


main()
