"""Public verification: the QR code's page, the POSTed lookup, rate limits, and revocation."""

import re
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone

from jxjy.audit.models import AuditRecord, Event
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.certificates.services import CLASS_REFUNDED, HOURS_REVERSED, issue_certificate

from .helpers import give_hours, sit_exam

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate(qualified):
    return issue_certificate(user=qualified.user, year=2026, actor=qualified.user)


def verify_page(client, certificate):
    return client.get(reverse("certificates:verify_token", args=[certificate.token]))


def test_verify_page_shows_masked_data_and_valid(client, certificate, alice):
    response = verify_page(client, certificate)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="valid">有效<' in html and "签名有效" in html
    assert "张*" in html and alice.id_number_masked in html
    assert alice.name not in html and alice.id_number not in html
    for expected in (certificate.number, "2026年度", "16 学时", "24 学时", "8 学时", "48 学时", "合格"):
        assert expected in html
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    assert 'name="robots" content="noindex' in html


@pytest.mark.parametrize("how", ["made_up", "altered", "truncated", "db_id", "odd"])
def test_unknown_or_altered_token_is_a_404_page(client, certificate, how):
    token = {
        "made_up": secrets.token_urlsafe(20),
        "altered": certificate.token[:-1] + ("A" if certificate.token[-1] != "A" else "B"),
        "truncated": certificate.token[:-3],
        "db_id": str(certificate.pk),
        "odd": "%27%20or%201=1--",
    }[how]
    response = client.get(f"/verify/{token}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "未查到该证书" in html and "证书无效" in html
    assert certificate.number not in html and "张*" not in html


def test_token_is_random_and_urls_carry_no_id_number_or_database_id(client, learner, certificate, alice):
    assert re.fullmatch(r"[A-Za-z0-9_-]{27,}", certificate.token)  # token_urlsafe(20): 160 bits
    other = issue_certificate(user=alice, year=2026)
    assert other.token == certificate.token  # the same certificate again
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    urls = re.findall(r'href="([^"]+)"', html) + [reverse("certificates:verify_token", args=[certificate.token])]
    for url in urls:
        assert alice.id_number not in url and alice.id_number[-4:] not in url
        assert str(certificate.pk) not in url.split("/"), url
        assert f"/{certificate.pk}." not in url


def test_lookup_by_number_and_check_code_is_posted(client, certificate):
    url = reverse("certificates:verify")
    form = client.get(url, {"number": certificate.number, "check_code": certificate.check_code})
    assert form.status_code == 200 and "张*" not in form.content.decode()  # a GET never looks anything up
    code = certificate.check_code_display.lower()  # typed in lower case, with the dash
    response = client.post(url, {"number": f" {certificate.number} ", "check_code": code})
    assert response.status_code == 200 and 'data-status="valid"' in response.content.decode()
    wrong = certificate.check_code[:-1] + ("2" if certificate.check_code[-1] != "2" else "3")
    response = client.post(url, {"number": certificate.number, "check_code": wrong})
    assert response.status_code == 404 and "未查到该证书" in response.content.decode()
    assert "张*" not in response.content.decode()
    assert client.post(url, {"number": certificate.number, "check_code": ""}).status_code == 400


def test_lookups_are_rate_limited_per_ip(client, certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE_PER_IP_MINUTE = 3
    for _ in range(3):
        assert verify_page(client, certificate).status_code == 200
    response = verify_page(client, certificate)
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()
    assert response["Retry-After"] == "60" and certificate.number not in response.content.decode()
    posted = client.post(reverse("certificates:verify"), {"number": certificate.number, "check_code": "x"})
    assert posted.status_code == 429
    other_ip = client.get(reverse("certificates:verify_token", args=[certificate.token]), REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


def test_altered_stored_content_fails_the_signature(client, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(content={**certificate.content, "total": "60"})
    html = verify_page(client, certificate).content.decode()
    assert "签名无效" in html and 'data-status="invalid"' in html
    assert 'data-status="valid"' not in html and "签名有效" not in html


def test_verify_page_query_count(client, certificate, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert verify_page(client, certificate).status_code == 200


# --- Revocation ---------------------------------------------------------------------------------------------


def test_negative_ledger_entry_that_ends_the_year_revokes(client, certificate):
    give_hours(certificate.user, source="online", public=3)  # more hours: nothing happens
    give_hours(certificate.user, source="reversal", public=-3)  # still 16 public: still 合格
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ISSUED

    give_hours(certificate.user, source="reversal", professional=-4)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoke_reason == HOURS_REVERSED
    audit = AuditRecord.objects.get(event=Event.CERTIFICATE_REVOKE)
    assert audit.object_id == str(certificate.pk) and audit.detail["reason"] == HOURS_REVERSED
    html = verify_page(client, certificate).content.decode()
    assert 'data-status="revoked">已撤销<' in html and HOURS_REVERSED in html
    assert f"{timezone.localtime(certificate.revoked_at):%Y年%-m月%-d日}" in html
    assert 'data-status="valid"' not in html


def test_refund_revokes(client, certificate, qualified):
    from jxjy.orders import services as orders
    from jxjy.orders.models import OrderStatus

    orders.transition(qualified.order_line.order, OrderStatus.REFUNDED)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED and certificate.revoke_reason == CLASS_REFUNDED
    assert 'data-status="revoked"' in verify_page(client, certificate).content.decode()


def test_revoke_is_quiet_when_repeated(certificate):
    from jxjy.certificates.services import revoke_certificate

    revoke_certificate(certificate, reason="测试")
    revoke_certificate(certificate, reason="再次")
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "测试"
    assert AuditRecord.objects.filter(event=Event.CERTIFICATE_REVOKE).count() == 1


def test_issue_is_audited(certificate):
    audit = AuditRecord.objects.get(event=Event.CERTIFICATE_ISSUE)
    assert audit.object_id == str(certificate.pk) and audit.detail == {"number": certificate.number, "year": 2026}


def test_another_learner_cannot_download(client, bob, certificate):
    client.force_login(bob)
    assert client.get(reverse("certificates:download", args=[certificate.number])).status_code == 404
    assert client.get(f"/verify/{certificate.token}/").status_code == 200  # the public page shows masked data only


def test_revoked_certificate_is_not_downloadable_and_reprint_needs_the_year_again(learner, certificate, qualified):
    url = reverse("certificates:download", args=[certificate.number])
    assert learner.get(url).status_code == 200
    give_hours(certificate.user, source="reversal", elective=-8)
    assert learner.get(url).status_code == 404
    learner.post(reverse("certificates:print"), {"year": 2026})
    assert Certificate.objects.filter(status=CertificateStatus.ISSUED).count() == 0
    give_hours(certificate.user, source="online", elective=8)
    sit_exam(qualified, 90)
    learner.post(reverse("certificates:print"), {"year": 2026})
    assert Certificate.objects.filter(status=CertificateStatus.ISSUED).count() == 1
