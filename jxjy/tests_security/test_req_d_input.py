"""Requirements 18–21 (D. Input validation): ID numbers and mobiles by the §4 vectors, server-side; injection and
escaping in every search box and every place a name is shown; `next` stays on site; no personal number in a URL."""

import shutil
import subprocess
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, staff_client
from jxjy.accounts.forms import IdNumberField, MobileField
from jxjy.accounts.models import User
from jxjy.accounts.tests.helpers import CAPTCHA, last_code, register_data, request_code
from jxjy.audit.models import AuditRecord
from jxjy.lib.idcard import InvalidIdNumber, normalize_id_number
from jxjy.lib.mobile import InvalidMobile, normalize_mobile
from jxjy.lib.sms import locmem
from jxjy.lib.urlguard import query_holds_personal_number

from .helpers import every_url, learner_login, signed_in, staff_login

pytestmark = pytest.mark.django_db

# --- 18. 身份证号: security-requirements.md §4, exactly as listed -------------------------------------------------

ID_VALID = [
    "11010519491231002X",  # GB 11643 example; sum 167, mod 11 = 2 → X
    "440524188001010014",  # GB 11643 example; sum 195, mod 11 = 8 → 4
    "34052419800101001X",
    "513101198201130014",
    "370101190102039973",
    "110101200002290026",  # 29 Feb 2000 (leap year)
]
ID_INVALID = [
    "110105194912310021",  # check digit should be X
    "440524188001010015",  # check digit should be 4
    "11010119000229002X",  # 1900-02-29 does not exist (check digit itself right)
    "110101199002300014",  # 30 Feb
    "11010519491231002",  # 17 characters
    "11010519491231002X1",  # 19 characters
    "11010519491231002X\n",  # re.match('^…$') would accept it; fullmatch does not
]


@pytest.mark.parametrize("value", ID_VALID)
def test_req_18_valid_id_vectors_pass(value):
    assert normalize_id_number(value) == value
    assert IdNumberField().clean(value) == value


@pytest.mark.parametrize("value", ID_INVALID)
def test_req_18_invalid_id_vectors_fail(value):
    with pytest.raises(InvalidIdNumber):
        normalize_id_number(value)


def test_req_18_lower_case_x_is_valid_after_upper_casing_and_stored_as_x(client):
    assert normalize_id_number("11010519491231002x") == "11010519491231002X"
    assert normalize_id_number("  11010519491231002x ") == "11010519491231002X"  # trimmed
    data = register_data(id_number="11010519491231002x", mobile="13700003333")
    assert request_code(client, data["mobile"]).status_code == 200
    data["sms_code"] = last_code(data["mobile"])
    assert client.post(reverse("accounts:register"), data).status_code == 302
    assert User.objects.get(name=data["name"]).id_number == "11010519491231002X"


@pytest.mark.parametrize("value", ID_INVALID)
def test_req_18_the_server_refuses_invalid_id_numbers_whatever_the_browser_did(client, value):
    """Posted straight to the server (no browser check): registration, sign-in and 找回密码 all refuse it."""
    response = client.post(reverse("accounts:register"), register_data(id_number=value, sms_code="123456"))
    assert "id_number" in response.context["form"].errors
    assert not User.objects.filter(role="learner").exists()
    response = learner_login(client, value)
    assert "id_number" in response.context["form"].errors and not signed_in(client)
    response = client.post(reverse("accounts:password_reset"), {"name": "张伟", "id_number": value, **CAPTCHA})
    assert "id_number" in response.context["form"].errors


# --- 19. Mobile ----------------------------------------------------------------------------------------------------

MOBILE_VALID = ["13800138000", "16612345678", "19912345678", "14712345678"]
MOBILE_INVALID = [
    "12345678901",
    "10012345678",
    "1380013800",  # 10 digits
    "138001380001",  # 12 digits
    "13800138000\n",  # trailing newline
    "13８00138000",  # full-width 8: passes Python's \d
]


@pytest.mark.parametrize("value", MOBILE_VALID)
def test_req_19_valid_mobile_vectors_pass(value):
    assert normalize_mobile(value) == value
    assert MobileField().clean(value) == value


@pytest.mark.parametrize("value", MOBILE_INVALID)
def test_req_19_invalid_mobile_vectors_fail(value):
    with pytest.raises(InvalidMobile):
        normalize_mobile(value)


@pytest.mark.parametrize("value", ["+8613800138000", "008613800138000"])
def test_req_19_the_country_prefix_is_stripped(value):
    assert normalize_mobile(value) == "13800138000"


@pytest.mark.parametrize("value", MOBILE_INVALID)
def test_req_19_the_server_refuses_invalid_mobiles_and_sends_nothing(client, value):
    response = request_code(client, value)
    assert response.status_code == 400
    assert "mobile" in response.json()["errors"]
    assert locmem.outbox == []


def test_req_19_the_server_sends_to_the_stripped_number(client):
    assert request_code(client, "+8613800138000").status_code == 200
    assert [m.mobile for m in locmem.outbox] == ["13800138000"]


def test_req_19_ownership_is_only_proven_by_the_sms_code(client):
    """A well-formed mobile is not enough: registration without the code sent to it is refused."""
    assert request_code(client, "13700004444").status_code == 200
    right = last_code("13700004444")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:register"), register_data(mobile="13700004444", sms_code=wrong))
    assert response.status_code == 200
    assert not User.objects.filter(role="learner").exists()


# --- 20. Injection, escaping, `next` -------------------------------------------------------------------------------

INJECTIONS = ["' OR 1=1--", "%", "_", "%' OR '1'='1", '") OR ("1"="1', "\\"]


def rows(response, key):
    context = response.context
    value = context[key]
    if value is None:
        return []
    return list(getattr(value, "object_list", value))


@pytest.fixture
def data(alice, bob, catalog, nanjing_reviewer, finance_user, content_editor, province_admin):
    """Two learners with orders, audit records of their sign-ins, courses, a staff of each kind."""
    from jxjy.orders import services as orders

    User.objects.filter(pk__in=[alice.pk, bob.pk]).update(grade="L4")
    for learner in User.objects.filter(pk__in=[alice.pk, bob.pk]):
        learner_login(Client(), learner.id_number)
        orders.place_order(user=learner, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    User.objects.filter(pk=alice.pk).update(work_unit="南京市园林局")
    return {"alice": alice, "bob": bob}


def test_req_20_learner_search_box_takes_injection_as_text(data, province_admin):
    client = staff_client(province_admin)
    search = reverse("office:learners_search")
    control = client.post(search, {"name": "张"}, follow=True)
    assert [u.pk for u in rows(control, "page")] == [data["alice"].pk]  # the search works …
    for text in INJECTIONS:
        for field in ("name", "work_unit"):
            response = client.post(search, {field: text}, follow=True)
            assert response.status_code == 200, (field, text)
            assert rows(response, "page") == [], (field, text)  # … and finds nothing by these


def test_req_20_audit_log_filters_take_injection_as_text(data, province_admin):
    client = staff_client(province_admin)
    audit = reverse("office:audit_log")
    assert rows(client.get(audit), "rows")  # there are records to find
    for text in INJECTIONS:
        for field in ("actor", "object_type", "object_id", "request_id", "event", "result", "start"):
            response = client.get(audit, {field: text})
            assert response.status_code == 200, (field, text)
            assert rows(response, "rows") == [], (field, text)


@pytest.mark.parametrize("name", ["office:finance_orders", "office:finance_payments", "office:finance_invoices"])
def test_req_20_finance_search_boxes_take_injection_as_text(data, finance_user, name):
    client = staff_client(finance_user)
    unfiltered = len(rows(client.get(reverse(name)), "page"))
    for text in INJECTIONS:
        response = client.get(reverse(name), {"q": text, "status": text, "start": text})
        assert response.status_code == 200, text
        assert len(rows(response, "page")) <= unfiltered
        response = client.get(reverse(name), {"q": text})
        assert rows(response, "page") == [], text
    if name == "office:finance_orders":
        assert unfiltered == 2


def test_req_20_course_search_takes_injection_as_text(data, content_editor):
    client = staff_client(content_editor)
    assert rows(client.get(reverse("office:content_course_list")), "page")
    for text in INJECTIONS:
        response = client.get(reverse("office:content_course_list"), {"q": text})
        assert response.status_code == 200 and rows(response, "page") == [], text


@pytest.mark.parametrize(
    "name", ["office:declarations_list", "office:facetoface_list", "office:reports_year", "office:learners_search"]
)
def test_req_20_office_list_filters_never_fail_or_widen(data, province_admin, name):
    client = staff_client(province_admin)
    plain = client.get(reverse(name))
    assert plain.status_code == 200
    for text in INJECTIONS:
        params = {key: text for key in ("kind", "status", "since", "until", "q", "year", "city", "grade", "page")}
        response = client.get(reverse(name), params)
        assert response.status_code == 200, text


@pytest.mark.parametrize("name", ["declarations:list", "facetoface:home", "orders:classes", "certificates:archive"])
def test_req_20_learner_list_filters_never_fail(data, name):
    client = Client()
    client.force_login(data["alice"])
    for text in INJECTIONS:
        params = {key: text for key in ("kind", "status", "since", "until", "year", "grade", "tab", "page", "city")}
        assert client.get(reverse(name), params).status_code == 200, text


XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_req_20_a_script_name_is_refused_at_registration(client):
    response = client.post(reverse("accounts:register"), register_data(name=XSS, sms_code="123456"))
    assert "name" in response.context["form"].errors


def test_req_20_a_script_name_is_escaped_on_every_page(alice, nanjing_reviewer, province_admin, catalog):
    """A name that got into the database some other way (an old system, the admin), and a 工作单位 the learner
    typed: shown as text on the learner's pages, in 学员管理, the audit log, the staff list and the Django admin."""
    User.objects.filter(pk=alice.pk).update(name=XSS, work_unit=XSS)
    User.objects.filter(pk=nanjing_reviewer.pk).update(name=XSS)
    learner = Client()
    learner_login(learner, alice.id_number)
    staff_client(nanjing_reviewer).get("/office/")
    admin = staff_client(province_admin)
    found = admin.post(reverse("office:learners_search"), {"work_unit": "script"}, follow=True)
    pages = {
        "center": learner.get(reverse("learning:center")),
        "profile": learner.get(reverse("accounts:settings_profile")),
        "archive": learner.get(reverse("certificates:archive")),
        "search": found,
        "detail": admin.get(reverse("office:learners_detail", args=[alice.pk])),
        "audit": admin.get(reverse("office:audit_log")),
        "staff": admin.get(reverse("office:staff_list")),
        "admin list": admin.get("/admin/accounts/user/"),
        "admin change": admin.get(f"/admin/accounts/user/{alice.pk}/change/"),
        "admin audit": admin.get("/admin/audit/auditrecord/"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        html = response.content.decode()
        assert XSS not in html, where
    for where in ("center", "profile", "search", "detail", "audit", "staff", "admin list"):
        assert ESCAPED in pages[where].content.decode(), where


def test_req_20_a_script_name_is_plain_text_in_the_pdf_certificate(alice, catalog, tmp_path):
    from jxjy.certificates.tests.helpers import enroll, give_hours, sit_exam

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not found: install poppler-utils")
    User.objects.filter(pk=alice.pk).update(name=XSS, work_unit=f"{XSS}<b>单位</b>", grade="L4")
    alice.refresh_from_db()
    enrollment = enroll(alice, catalog[(2026, "L4")])
    give_hours(alice, public=16, professional=24, elective=8)
    sit_exam(enrollment, 85)
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("certificates:print"), {"year": 2026}, follow=True)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert XSS in text.replace("\n", "")  # printed as typed
    assert "<b>单位</b>" in text.replace("\n", "")  # markup is text, not bold


EVIL_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "https:evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    " https://evil.example/",
]


def stays_on_site(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\")) and "evil.example" not in location


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_req_20_learner_sign_in_next_stays_on_site(alice, target):
    for how in ("post", "get"):
        client = Client()
        if how == "post":
            response = learner_login(client, alice.id_number, next=target)
        else:
            response = client.post(
                f"{reverse('accounts:login')}?next={target}",
                {"id_number": alice.id_number, "password": PASSWORD, **CAPTCHA},
            )
        assert response.status_code == 302 and signed_in(client)
        assert stays_on_site(response.url), (how, response.url)


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_req_20_staff_sign_in_next_stays_on_site(nanjing_reviewer, target):
    from django.utils import timezone

    User.objects.filter(pk=nanjing_reviewer.pk).update(password_changed_at=timezone.now())
    device = TOTPDevice.objects.create(user=nanjing_reviewer, name="动态码", confirmed=True)
    client = Client()
    response = staff_login(client, "nanjing", next=target)
    assert response.status_code == 302 and stays_on_site(response.url), response.url
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    done = client.post(reverse("office:otp_verify"), {"code": f"{totp.token():06d}", "next": target})
    assert done.status_code == 302 and stays_on_site(done.url), done.url
    assert client.get(done.url).status_code in (200, 302)


# --- 21. No personal number in a URL -------------------------------------------------------------------------------

ID = "32010219900101123" + "2"
NUMBERS_IN_URLS = [
    {"id_number": ID},
    {"q": ID.lower()},
    {"actor": "11010519491231002x"},
    {"mobile": "13800138000"},
    {"q": "+8613800138000"},
    {"name": "138 0013 8000"},
    {"phone": "138-0013-8000"},
]


@pytest.mark.parametrize("params", NUMBERS_IN_URLS, ids=lambda p: next(iter(p)))
def test_req_21_the_query_guard_recognises_personal_numbers(params):
    from urllib.parse import urlencode

    assert query_holds_personal_number(urlencode(params))


@pytest.mark.parametrize(
    "query",
    [
        "q=JX20261206140000123456",  # an order number
        "q=P2026120614000012345678",  # a payment number
        "seller_id=2088101122136241&trade_no=2026120622001400001234567890",  # a gateway's return
        "request_id=1d8e75d551be4e47947053a42d153a38",
        "start=2026-12-01&end=2026-12-31&page=2&year=2026",
        "q=%E5%BC%A0%E4%BC%9F",
    ],
)
def test_req_21_the_query_guard_lets_ordinary_queries_through(query):
    assert not query_holds_personal_number(query)


def test_req_21_no_url_accepts_an_id_number_or_mobile_in_its_query(alice, province_admin):
    """Every URL pattern of the project, as a signed-in 省级管理员 (who reaches every page): refused with 400, and the
    page does not repeat the number."""
    client = staff_client(province_admin)
    client.raise_request_exception = False
    accepted = []
    for name, _view, path in every_url():
        for params in ({"q": alice.id_number}, {"mobile": "138 0013 8000"}):
            response = client.get(path, params)
            body = response.content.decode(errors="replace")
            if response.status_code != 400 or alice.id_number in body or "13800138000" in body:
                accepted.append((name, path, response.status_code))
    assert accepted == []


def test_req_21_personal_numbers_travel_only_in_post_bodies(alice, province_admin):
    client = Client()
    response = client.get(reverse("accounts:login"), {"id_number": alice.id_number, "password": PASSWORD})
    assert response.status_code == 400 and not signed_in(client)
    assert alice.id_number not in response.content.decode()
    assert "请勿在网址中填写身份证号或手机号" in response.content.decode()
    assert learner_login(client, alice.id_number).status_code == 302  # the same in the body is fine
    office = staff_client(province_admin)
    assert office.get(reverse("office:learners_search"), {"id_number": alice.id_number}).status_code == 400
    assert office.get(reverse("office:audit_log"), {"actor": alice.id_number}).status_code == 400
    found = office.post(reverse("office:learners_search"), {"id_number": alice.id_number})
    assert found.status_code == 302 and alice.id_number not in found.url
    assert [u.pk for u in office.get(found.url).context["page"].object_list] == [alice.pk]


def test_req_21_the_refusal_is_not_logged_with_the_number(alice, caplog):
    client = Client()
    with caplog.at_level("DEBUG"):
        client.get(reverse("accounts:password_reset"), {"id_number": alice.id_number})
    assert alice.id_number not in caplog.text
    assert not AuditRecord.objects.filter(detail__icontains=alice.id_number[:17]).exists()
