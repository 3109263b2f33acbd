"""The project's URLs and error handlers, plus views that raise each kind of error (jxjy/lib/tests/test_outage.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from jxjy.urls import handler400, handler403, handler404, handler500  # noqa: F401
from jxjy.urls import urlpatterns as project_urlpatterns


def bad_request(request):
    raise SuspiciousOperation("test: a hostile request")


def denied(request):
    raise PermissionDenied


def crash(request):
    raise RuntimeError("test: a plain bug")


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", denied),
    path("test-errors/500/", crash),
    *project_urlpatterns,
]
