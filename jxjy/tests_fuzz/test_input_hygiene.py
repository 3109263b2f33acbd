"""The 500s the operator's fuzzing found (issue 13, item 5), one by one: each now answers a plain 4xx, stores nothing
and, where a person reads it, says what to do in Chinese. The NUL cases matter most on PostgreSQL, which refuses a
NUL in text (run this file there too)."""

import json

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from conftest import PASSWORD
from jxjy.accounts.tests.helpers import CAPTCHA
from jxjy.audit.models import AuditRecord
from jxjy.declarations.models import Declaration
from jxjy.declarations.tests.conftest import claim
from jxjy.declarations.tests.test_declarations import TODAY, filed
from jxjy.lib.input import InputHygieneMiddleware
from jxjy.orders.models import PreEnrollment
from jxjy.payments.models import PaymentNotification
from jxjy.payments.tests.test_provider_wechat import encrypt_resource, notification, transaction

from .hostile import chinese

pytestmark = pytest.mark.django_db

NOTIFY = "/payments/notify/mockbank/"


@pytest.fixture
def learner(alice):
    client = Client()
    client.force_login(alice)
    return client


# --- NUL bytes and lone surrogates: refused at the edge -------------------------------------------------------------

NUL_REQUESTS = [
    ("certificate lookup", "post", "/verify/", {"number": "JS2026\x00", "check_code": "ABCD1234"}),
    ("payment notify, form", "post", NOTIFY, {"out_trade_no": "P\x00"}),
    ("order page", "get", "/orders/JX2026%00/", None),
    ("order cancel", "post", "/orders/JX2026%00/cancel/", {}),
    ("QR page", "get", "/payments/P2026%00/qr/", None),
    ("pop-up answer", "post", "/learning/checkpoints/1/answer/", {"answer": "A\x00"}),
    ("query string", "get", "/classes/?year=2026%00", None),
]


@pytest.mark.parametrize(("what", "method", "url", "data"), NUL_REQUESTS, ids=[r[0] for r in NUL_REQUESTS])
def test_a_nul_byte_anywhere_is_a_plain_400_that_stores_nothing(learner, what, method, url, data):
    audit_before = AuditRecord.objects.count()
    response = getattr(learner, method)(url, data) if data is not None else getattr(learner, method)(url)
    assert response.status_code == 400, what
    assert chinese(response.content.decode()), response.content[:200]
    assert PaymentNotification.objects.count() == 0
    assert AuditRecord.objects.count() == audit_before  # refused before any view or audit could store it


@pytest.mark.parametrize(
    "body",
    [b'{"out_trade_no": "P\\u0000"}', b'{"out_trade_no": "\\ud800"}', b'{"a": ["x", {"\\u0000": 1}]}', b"{\x00}"],
)
def test_a_json_body_smuggling_a_nul_or_a_lone_surrogate_is_400_as_json(client, body):
    response = client.post(NOTIFY, data=body, content_type="application/json")
    assert response.status_code == 400
    assert chinese(response.json()["error"])
    assert PaymentNotification.objects.count() == 0


def test_an_escaped_emoji_and_an_escaped_backslash_are_not_refused(client):
    """A surrogate pair is a real character, and "\\\\u0000" is a backslash followed by text: both are fine."""
    for body in (b'{"a": "\\ud83d\\ude00"}', b'{"a": "\\\\u0000"}'):
        response = client.post(NOTIFY, data=body, content_type="application/json")
        assert response.status_code != 400 or response.content == b"FAIL", body  # the gateway's own refusal
        assert PaymentNotification.objects.count() == 1  # stored, then refused as unsigned
        PaymentNotification.objects.all().delete()


def test_a_nul_in_a_header_is_400(client):
    response = client.get("/", headers={"User-Agent": "x\x00y"})
    assert response.status_code == 400


def test_a_file_name_with_a_nul_is_400(learner):
    boundary = "B"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="a\x00.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{boundary}--\r\n"
    ).encode()
    response = learner.generic(
        "POST", "/declarations/new/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400
    assert not Declaration.objects.exists()


# --- Bodies that cannot be read as declared -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=bogus", b"id_number=1&password=2"),
        ("application/x-www-form-urlencoded; charset=utf-16", b"\xff\xfei\x00d\x00=\x00\x00\xd8"),
        ("application/x-www-form-urlencoded; charset=latin-1", "name=é".encode("latin-1")),
        ("application/x-www-form-urlencoded", b"name=\xff\xfe"),
        ("multipart/form-data", b"--x\r\n"),  # no boundary
    ],
)
def test_a_form_that_is_not_utf_8_or_not_a_form_is_400(client, content_type, body):
    response = client.generic("POST", reverse("accounts:login"), body, content_type=content_type)
    assert response.status_code == 400
    assert "提交的内容无法识别" in response.content.decode()


def test_a_form_that_says_utf_8_is_read(client, alice):
    body = f"id_number={alice.id_number}&password={PASSWORD}&captcha_0=any&captcha_1=PASSED".encode()
    for charset in ("UTF-8", "utf-8"):
        client.logout()
        response = client.generic(
            "POST",
            reverse("accounts:login"),
            body,
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        assert response.status_code == 302, charset
        assert client.session.get("_auth_user_id") == str(alice.pk)


def test_six_megabytes_is_413_in_chinese(client):
    response = client.generic(
        "POST",
        reverse("accounts:login"),
        b"a=" + b"x" * (6 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "提交的内容太大" in response.content.decode()
    response = client.generic("POST", NOTIFY, b"{" + b" " * (6 * 1024 * 1024) + b"}", content_type="application/json")
    assert response.status_code == 413  # the notification endpoint's own limit, or ours: never 500


def test_a_large_upload_is_not_held_in_memory_by_the_guard(settings):
    """A multipart body past DATA_UPLOAD_MAX_MEMORY_SIZE (a video, an attachment) is parsed by Django as a stream
    of files, never read whole by the guard, and reaches the view."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    boundary = "B"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n课件\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="v.mp4"\r\n'
            f"Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + b"\x00" * 4096
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = RequestFactory().generic(
        "POST", "/office/content/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    seen = {}

    def view(request):
        seen["title"], seen["size"] = request.POST["title"], request.FILES["video"].size
        return HttpResponse("ok")

    assert InputHygieneMiddleware(view)(request).status_code == 200
    assert seen == {"title": "课件", "size": 4096}


# --- Numbers: ids past any row, ASCII digits only -----------------------------------------------------------------


@pytest.mark.parametrize("pk", ["99999999999999999999", str(2**63), str(2**31)])
def test_an_id_in_a_path_past_any_row_is_404(learner, catalog, pk):
    assert learner.post(f"/classes/{pk}/enroll/").status_code == 404
    assert learner.post(f"/pre-enrollment/{pk}/remove/").status_code == 404
    assert learner.get(f"/study/{pk}/").status_code == 404


@pytest.mark.parametrize("classes", ["99999999999999999999", "²", "-1", "1,２"])
def test_checkout_with_class_ids_out_of_range_says_so(learner, catalog, classes):
    response = learner.get(reverse("orders:checkout"), {"classes": classes}, follow=True)
    assert response.status_code == 200
    assert "请先选择班级" in response.content.decode()  # the ids are refused, nothing is looked up


def test_removing_attachments_named_by_odd_digits_changes_nothing(learner, alice, catalog, settings, tmp_path):
    """ "²" passes str.isdigit() and int() refuses it; "٣" is an Arabic-Indic three; a 30-digit id overflows."""
    settings.MEDIA_ROOT = tmp_path
    declaration = filed(alice)
    attachments = declaration.attachments.count()
    with freeze_time(TODAY):
        response = learner.post(
            reverse("declarations:edit", args=[declaration.pk]), {**claim(), "remove": ["²", "9" * 30, "٣"]}
        )
    assert response.status_code == 302
    assert declaration.attachments.count() == attachments


def test_a_wechat_notification_whose_timestamp_is_a_superscript_two_is_refused(client, settings):
    from jxjy.payments.tests.test_provider_wechat import API_BASE, APP_ID, MCH_ID, MCH_SERIAL, PLATFORM_SERIAL, keys

    settings.PAYMENT_PROVIDERS = {"wechat": "jxjy.payments.providers.wechat.WechatPayProvider"}
    settings.WECHAT_APP_ID, settings.WECHAT_MCH_ID, settings.WECHAT_MCH_SERIAL = APP_ID, MCH_ID, MCH_SERIAL
    settings.WECHAT_MCH_PRIVATE_KEY = keys.private_pem("wechat-merchant")
    settings.WECHAT_API_V3_KEY = "0123456789abcdefghijklmnopqrstuv"
    settings.WECHAT_PLATFORM_PUBLIC_KEY = keys.public_pem("wechat-platform")
    settings.WECHAT_PLATFORM_SERIAL, settings.WECHAT_API_BASE = PLATFORM_SERIAL, API_BASE
    for timestamp in ("²", "١٧٠٠٠٠٠٠٠٠", "9" * 40):
        body, headers = notification(encrypt_resource(transaction()))
        headers["wechatpay-timestamp"] = timestamp
        wire = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "content-type"}
        response = client.post("/payments/notify/wechat/", data=body, content_type="application/json", **wire)
        assert response.status_code in (400, 401), timestamp
        assert json.loads(response.content)["code"] == "FAIL"
    assert not PaymentNotification.objects.filter(outcome="accepted").exists()


# --- `next`: a path on this site, never a view name, never elsewhere ----------------------------------------------

BAD_NEXT = ["abc", "orders:list", "https://evil.example/", " https://evil.example/", "\thttps://evil.example/",
            "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "/x\ny", "/" + "x" * 3000]  # fmt: skip


@pytest.mark.parametrize("target", BAD_NEXT)
def test_sign_in_with_a_bad_next_still_signs_in_and_stays_home(client, alice, target):
    data = {"id_number": alice.id_number, "password": PASSWORD, **CAPTCHA}
    response = client.post(f"{reverse('accounts:login')}?next=x", {**data, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:center")
    assert client.session.get("_auth_user_id") == str(alice.pk)  # the sign-in is not lost


def test_sign_in_with_a_good_next_goes_there(client, alice):
    data = {"id_number": alice.id_number, "password": PASSWORD, **CAPTCHA}
    response = client.post(f"{reverse('accounts:login')}?next=/orders/%3Fpage%3D2", data)
    assert response["Location"] == "/orders/?page=2"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_the_pre_enrollment_list_never_redirects_to_a_bad_next(learner, catalog, alice, target):
    training_class = catalog[(2026, "L4")]
    response = learner.post(reverse("orders:pre_enrollment_add", args=[training_class.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:classes")
    assert PreEnrollment.objects.filter(user=alice, training_class=training_class).exists()
    response = learner.post(
        reverse("orders:pre_enrollment_add", args=[training_class.pk]), {"next": "/pre-enrollment/"}
    )
    assert response["Location"] == "/pre-enrollment/"


@pytest.mark.parametrize("target", BAD_NEXT)
def test_the_large_text_switch_never_redirects_to_a_bad_next(client, target):
    response = client.post(reverse("portal:a11y"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_staff_sign_in_with_a_bad_next_is_a_page_not_a_500(client):
    for target in BAD_NEXT:
        assert client.get(reverse("office:login"), {"next": target}).status_code == 200


# --- Sign-in rate limit on an empty POST ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login/", "/office/login/"])
def test_a_rate_limited_sign_in_with_an_empty_body_says_so(client, settings, url):
    settings.LOGIN_RATE_PER_IP_MINUTE = 1
    client.post(url, data=b"{}", content_type="application/json")
    response = client.post(url, data=b"{}", content_type="application/json")
    assert response.status_code == 429
    assert "过于频繁" in response.content.decode()
