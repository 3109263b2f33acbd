"""Issue 7 point 1 / security A6, A7, A1 for staff: one staff sign-in with a captcha and lockout, a TOTP second
factor before any back-office or admin page, the staff password policy and its 90-day expiry, 15-minute idle."""

import re
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from conftest import PASSWORD, staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db
LOGIN = "/office/login/"
STRONG = "Gongqin#2026anquan"


def code_for(device, *, ahead=0):
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():06d}"


def sign_in(client, username, password=PASSWORD, next_path=None):
    """The sign-in form as the page posts it: `next` travels in a hidden field, the form's action has no query."""
    data = {"username": username, "password": password, "captcha_0": "x", "captcha_1": "PASSED"}
    if next_path:
        data["next"] = next_path
    return client.post(LOGIN, data)


def fresh_password(user):
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="动态码", confirmed=True)


# --- Unauthenticated and password-only -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/office/", "/office/declarations/", "/office/staff/"])
def test_unauthenticated_goes_to_the_staff_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={quote(path, safe='')}"


def test_admin_login_hands_over_to_the_staff_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url == f"{LOGIN}?next=%2Fadmin%2F"


def test_sign_in_page_is_in_chinese_with_a_captcha(client):
    page = client.get(LOGIN).content.decode()
    assert "工作人员登录" in page and "用户名" in page and "图形验证码" in page


def test_req_6_password_only_reaches_no_back_office_or_admin_page(client, province_admin):
    fresh_password(province_admin)
    enrolled(province_admin)
    response = sign_in(client, "province", next_path="/office/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("office:otp_verify"))
    assert "_auth_user_id" in client.session  # signed in with the password …
    for path in ["/office/", "/office/staff/", "/office/declarations/", "/admin/", "/admin/accounts/user/"]:
        page = client.get(path)
        assert page.status_code == 302, path  # … but no page until the code is given
        assert page.url.startswith(reverse("office:otp_verify")), path
    assert AuditRecord.objects.filter(event=Event.LOGIN, actor=province_admin).exists()


def test_req_6_the_right_code_opens_the_back_office_and_the_admin(client, province_admin):
    fresh_password(province_admin)
    device = enrolled(province_admin)
    sign_in(client, "province", next_path="/admin/")
    response = client.post(reverse("office:otp_verify"), {"code": code_for(device), "next": "/admin/"})
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/office/").status_code == 200
    assert AuditRecord.objects.filter(event=Event.OTP_VERIFY, actor=province_admin, result="ok").exists()


def test_the_page_asked_for_survives_sign_in_and_code(client, province_admin):
    fresh_password(province_admin)
    device = enrolled(province_admin)
    form = client.get(LOGIN + "?next=/office/staff/").content.decode()
    assert 'name="next" value="/office/staff/"' in form
    step = sign_in(client, "province", next_path="/office/staff/")
    assert step.url == reverse("office:otp_verify") + "?next=%2Foffice%2Fstaff%2F"
    assert 'name="next" value="/office/staff/"' in client.get(step.url).content.decode()
    done = client.post(step.url, {"code": code_for(device), "next": "/office/staff/"})
    assert done.url == "/office/staff/"


def test_next_must_stay_on_this_site(client, province_admin):
    fresh_password(province_admin)
    device = enrolled(province_admin)
    sign_in(client, "province", next_path="https://evil.example/")
    done = client.post(reverse("office:otp_verify"), {"code": code_for(device), "next": "https://evil.example/"})
    assert done.url == "/office/"


def test_wrong_codes_are_refused_counted_and_lock_after_five(client, nanjing_reviewer):
    fresh_password(nanjing_reviewer)
    device = enrolled(nanjing_reviewer)
    sign_in(client, "nanjing")
    right = code_for(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(5):
        page = client.post(reverse("office:otp_verify"), {"code": wrong})
        assert page.status_code == 200
        assert "动态码不正确" in page.content.decode(), attempt
        assert client.get("/office/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 5
    # The sixth try is refused even with the right code …
    page = client.post(reverse("office:otp_verify"), {"code": right}).content.decode()
    assert "已锁定 30 分钟" in page
    assert client.get("/office/").status_code == 302
    assert AuditRecord.objects.filter(event=Event.OTP_VERIFY, result="failed").count() == 5
    assert AuditRecord.objects.filter(event=Event.OTP_VERIFY, result="locked").count() == 1
    # … until the lock has run out.
    with freeze_time(timezone.now() + timedelta(minutes=31)):
        fresh = client.post(reverse("office:otp_verify"), {"code": code_for(device)})
    assert fresh.status_code == 302


def test_code_must_be_six_digits(client, nanjing_reviewer):
    fresh_password(nanjing_reviewer)
    enrolled(nanjing_reviewer)
    sign_in(client, "nanjing")
    page = client.post(reverse("office:otp_verify"), {"code": "12ab"}).content.decode()
    assert "6 位数字动态码" in page


# --- Enrolment -----------------------------------------------------------------------------------------------------


def test_first_sign_in_enrols_an_authenticator(client, content_editor):
    fresh_password(content_editor)
    response = sign_in(client, "content", next_path="/office/")
    assert response.url.startswith(reverse("office:otp_enrol"))
    page = client.get(response.url).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, no external request
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=content_editor)
    assert not device.confirmed
    assert client.get(reverse("office:otp_enrol")).content.decode().count(secret) == 1  # a reload: the same secret
    assert client.get("/office/").status_code == 302  # not yet
    wrong = client.post(reverse("office:otp_enrol"), {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "动态码不正确" in wrong.content.decode()
    done = client.post(reverse("office:otp_enrol"), {"code": code_for(device), "next": "/office/"})
    assert done.status_code == 302 and done.url == "/office/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/office/").status_code == 200
    assert AuditRecord.objects.filter(event=Event.OTP_ENROL, actor=content_editor, result="ok").exists()
    # Next time: the code, not a new QR code.
    other = Client()
    assert sign_in(other, "content").url.startswith(reverse("office:otp_verify"))
    assert other.get(reverse("office:otp_enrol")).status_code == 302


def test_a_code_cannot_be_used_twice(client, finance_user):
    fresh_password(finance_user)
    device = enrolled(finance_user)
    sign_in(client, "finance")
    code = code_for(device)
    assert client.post(reverse("office:otp_verify"), {"code": code}).status_code == 302
    other = Client()
    sign_in(other, "finance")
    assert other.post(reverse("office:otp_verify"), {"code": code}).status_code == 200


def test_province_resets_a_second_factor(province_admin, nanjing_reviewer):
    enrolled(nanjing_reviewer)
    admin = staff_client(province_admin)
    assert "nanjing" in admin.get(reverse("office:staff_list")).content.decode()
    response = admin.post(reverse("office:otp_reset", args=[nanjing_reviewer.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=nanjing_reviewer).exists()
    assert AuditRecord.objects.filter(event=Event.OTP_RESET, actor=province_admin).count() == 1
    fresh_password(nanjing_reviewer)
    assert sign_in(Client(), "nanjing").url.startswith(reverse("office:otp_enrol"))


def test_only_the_province_resets_second_factors(nanjing_reviewer, suzhou_reviewer):
    enrolled(suzhou_reviewer)
    city = staff_client(nanjing_reviewer)
    assert city.get(reverse("office:staff_list")).status_code == 403
    assert city.post(reverse("office:otp_reset", args=[suzhou_reviewer.pk])).status_code == 403
    assert TOTPDevice.objects.filter(user=suzhou_reviewer).exists()


# --- The sign-in itself --------------------------------------------------------------------------------------------


def test_learners_cannot_use_the_staff_sign_in(client, alice):
    learner = sign_in(client, alice.username).content.decode()
    unknown = sign_in(Client(), "nobody-here").content.decode()
    assert "用户名或密码错误" in learner
    assert "_auth_user_id" not in client.session
    assert re.sub(r'name="captcha_0" value="\w+"', "", learner).count("用户名或密码错误") == 1
    assert unknown.count("用户名或密码错误") == 1


def test_wrong_captcha_is_refused(client, province_admin):
    data = {"username": "province", "password": PASSWORD, "captcha_0": "x", "captcha_1": "WRONG"}
    page = client.post(LOGIN, data).content.decode()
    assert "图形验证码不对" in page
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_lock_the_staff_account(client, province_admin):
    for _ in range(4):
        assert "用户名或密码错误" in sign_in(client, "province", "wrong-Password-1").content.decode()
    assert sign_in(client, "province", "wrong-Password-1").status_code == 403  # the fifth locks
    locked = sign_in(client, "province")  # even the right password
    assert locked.status_code == 403
    assert "已被锁定 30 分钟" in locked.content.decode()
    assert "工作人员登录" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(event=Event.LOGIN_FAILED).count() >= 5


def test_sign_in_cycles_the_session_key(client, province_admin):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    sign_in(client, "province")
    assert client.session.session_key != before


# --- Passwords -----------------------------------------------------------------------------------------------------


def test_req_7_expired_password_forces_a_change_first(province_admin):
    User.objects.filter(pk=province_admin.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    client = staff_client(province_admin)
    for path in ["/office/", "/admin/", "/office/declarations/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("office:password_change")), path
    page = client.get(reverse("office:password_change")).content.decode()
    assert "超过 90 天" in page
    response = client.post(
        reverse("office:password_change") + "?next=/office/",
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 302 and response.url == "/office/"
    assert client.get("/office/").status_code == 200
    province_admin.refresh_from_db()
    assert province_admin.check_password(STRONG)
    assert AuditRecord.objects.filter(event=Event.PASSWORD_CHANGE, actor=province_admin).exists()


def test_a_password_of_89_days_is_still_good(province_admin):
    User.objects.filter(pk=province_admin.pk).update(password_changed_at=timezone.now() - timedelta(days=89))
    assert staff_client(province_admin).get("/office/").status_code == 200


def test_req_7_a_never_changed_staff_password_must_be_changed(client, province_admin):
    assert province_admin.password_changed_at is None
    device = enrolled(province_admin)
    sign_in(client, "province")
    response = client.post(reverse("office:otp_verify"), {"code": code_for(device)})
    assert response.url.startswith(reverse("office:password_change"))


def test_password_change_needs_the_current_password(province_admin):
    client = staff_client(province_admin)
    page = client.post(
        reverse("office:password_change"),
        {"old_password": "not-it", "new_password1": STRONG, "new_password2": STRONG},
    )
    assert page.status_code == 200
    assert "原密码不正确" in page.content.decode()
    province_admin.refresh_from_db()
    assert province_admin.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short#2026a", "至少需要 12 个字符"),
        ("gongqinanquan2026", "至少三类"),  # lower + digits only
        ("GONGQIN2026ANQUAN", "至少三类"),
        ("Province#2026xyz", "不能包含用户名"),
    ],
)
def test_weak_staff_passwords_are_refused_in_chinese(province_admin, password, message):
    client = staff_client(province_admin)
    page = client.post(
        reverse("office:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert page.status_code == 200
    assert message in page.content.decode()
    province_admin.refresh_from_db()
    assert province_admin.check_password(PASSWORD)


def test_learners_keep_their_own_password_rules(alice):
    from django.contrib.auth import password_validation

    password_validation.validate_password("Anquan2026", alice)  # 10 characters, two classes: fine for a learner
    staff = User(username="someone", role="city", is_staff=True)
    with pytest.raises(Exception, match="12"):
        password_validation.validate_password("Anquan2026", staff)


# --- Idle timeout --------------------------------------------------------------------------------------------------


def test_staff_idle_for_15_minutes_is_signed_out_of_the_office(nanjing_reviewer):
    start = timezone.now()
    with freeze_time(start):
        client = staff_client(nanjing_reviewer)
        assert client.get("/office/").status_code == 200
    with freeze_time(start + timedelta(minutes=14)):
        assert client.get("/office/").status_code == 200
    with freeze_time(start + timedelta(minutes=14 + 16)):
        response = client.get("/office/")
        assert response.status_code == 302
        assert response.url.startswith(LOGIN)
        assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(event=Event.SESSION_EXPIRED, actor=nanjing_reviewer).exists()


def test_sign_out(nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    response = client.post(reverse("office:logout"))
    assert response.url == LOGIN
    assert client.get("/office/").status_code == 302
