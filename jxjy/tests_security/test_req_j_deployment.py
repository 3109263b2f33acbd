"""Requirement 47 (J. Deployment): HTTP is sent to HTTPS; HTTPS responses carry HSTS, nosniff, X-Frame-Options DENY,
a Referrer-Policy and a CSP; an unhandled error shows a generic page with a request id and no traceback. Checked with
the production configuration in its own process, and page by page in this one with the production values."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import staff_client

from .helpers import REPO, learner_login, run_production_probe

HSTS_MIN = 15_724_800  # six months


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return run_production_probe(tmp_path_factory.mktemp("production"), "requests")


def hsts_max_age(value: str) -> int:
    match = re.search(r"max-age=(\d+)", value or "")
    return int(match.group(1)) if match else 0


def assert_security_headers(headers: dict, where=""):
    headers = {key.lower(): value for key, value in headers.items()}
    assert hsts_max_age(headers.get("strict-transport-security")) >= HSTS_MIN, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") in {"same-origin", "strict-origin", "strict-origin-when-cross-origin",
                                              "no-referrer", "origin"}, where  # fmt: skip
    csp = headers.get("content-security-policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert "default-src" in directives and "'self'" in directives["default-src"], where
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", where
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "*" not in script, where


def test_req_47_http_is_redirected_to_https_with_301(production):
    assert production["settings"]["SECURE_SSL_REDIRECT"] is True
    answer = production["http"]
    assert answer["status"] == 301
    assert answer["headers"]["location"] == "https://jxjy.example.cn/healthz"


def test_req_47_https_responses_carry_the_security_headers(production):
    assert production["https"]["status"] == 200
    assert_security_headers(production["https"]["headers"], "https")
    assert production["settings"]["SECURE_HSTS_SECONDS"] >= HSTS_MIN


def test_req_47_an_unhandled_error_shows_a_generic_page_with_a_request_id(production):
    answer = production["error"]
    assert answer["status"] == 500
    body = answer["body"]
    request_id = answer["headers"]["x-request-id"]
    assert re.fullmatch(r"[A-Za-z0-9-]{8,64}", request_id) and request_id in body
    assert "系统繁忙" in body
    for leak in ("Traceback", "RuntimeError", production["secret_marker"], 'File "', ".py", "/work/", "django"):
        assert leak not in body, leak
    assert_security_headers(answer["headers"], "500")
    assert production["settings"]["DEBUG"] is False


def test_req_47_a_missing_page_is_generic_too(production):
    answer = production["not_found"]
    assert answer["status"] == 404
    assert "Traceback" not in answer["body"] and "urlpatterns" not in answer["body"].lower()
    assert_security_headers(answer["headers"], "404")


@pytest.mark.django_db
def test_req_47_every_kind_of_page_carries_the_headers(production, settings, alice, province_admin):
    """Production's header settings in this process: public pages, both sign-ins, a learner's page, the back office
    and the Django admin, a JSON answer, a redirect and an error page all carry them over HTTPS."""
    values = production["settings"]
    settings.SECURE_HSTS_SECONDS = values["SECURE_HSTS_SECONDS"]
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    settings.SECURE_REFERRER_POLICY = values["SECURE_REFERRER_POLICY"]
    settings.SECURE_CONTENT_TYPE_NOSNIFF = values["SECURE_CONTENT_TYPE_NOSNIFF"]
    settings.X_FRAME_OPTIONS = values["X_FRAME_OPTIONS"]
    anonymous, learner, staff = Client(), Client(), staff_client(province_admin)
    learner_login(learner, alice.id_number)
    pages = [
        (anonymous, "/"),
        (anonymous, reverse("accounts:login")),
        (anonymous, "/office/login/"),
        (anonymous, "/no-such-page/"),
        (anonymous, reverse("learning:center")),  # a redirect to the sign-in
        (learner, reverse("accounts:settings_profile")),
        (staff, "/office/"),
        (staff, "/admin/"),
        (staff, reverse("office:audit_log")),
    ]
    for client, path in pages:
        response = client.get(path, secure=True)
        assert_security_headers(response, path)
    response = learner.post(reverse("accounts:send_code"), {"purpose": "nonsense"}, secure=True)
    assert response["Content-Type"].startswith("application/json")
    assert_security_headers(response, "json")


def test_req_47_nginx_adds_the_headers_to_its_own_answers():
    conf = re.sub(r"#.*", "", (REPO / "deploy" / "nginx.conf").read_text())
    headers = dict(re.findall(r'add_header\s+(\S+)\s+"([^"]*)"\s+always;', conf))
    assert hsts_max_age(headers.get("Strict-Transport-Security")) >= HSTS_MIN
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy")
    assert re.search(r"listen\s+80;[^}]*return 301 https://\$host\$request_uri;", conf, re.S)
