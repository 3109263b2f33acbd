"""Staff accounts and 三员分立 (issue 12 items 1 and 12; security §B12, §C16, §C17).

Staff are edited only in the back office, by 省级管理员 and 系统管理员, never by themselves; 安全管理员 resets a second
factor and ends sessions; 审计管理员 reads the audit log and does nothing else; 系统管理员 cannot read it; the
auditor's own trail is read by the 安全管理员. A staff account cannot reach the learners' 账号设置 at all."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_staff, staff_client
from jxjy.accounts.models import Role, User
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(db):
    return make_staff("sys", Role.SYSTEM)


@pytest.fixture
def secadmin(db):
    return make_staff("sec", Role.SECURITY)


@pytest.fixture
def auditor(db):
    return make_staff("aud", Role.AUDITOR)


def test_req_16_a_city_office_cannot_change_its_own_city_through_the_learner_settings(nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    for url in (reverse("accounts:settings_profile"), reverse("accounts:settings_password"),
                reverse("accounts:complete_mobile")):  # fmt: skip
        assert client.get(url).status_code == 302, url
        response = client.post(url, {"city": "320500", "grade": "L1", "gender": "M", "work_unit": "x"})
        assert response.status_code == 302 and response["Location"] == reverse("office:home"), url
    nanjing_reviewer.refresh_from_db()
    assert nanjing_reviewer.city_id == "320100"


def test_req_16_a_city_office_cannot_change_its_city_before_the_second_factor_either(nanjing_reviewer):
    client = Client()
    client.force_login(nanjing_reviewer)  # password only
    response = client.post(reverse("accounts:settings_profile"), {"city": "320500"})
    assert response.status_code == 302 and response["Location"].startswith("/office/otp/")
    nanjing_reviewer.refresh_from_db()
    assert nanjing_reviewer.city_id == "320100"


def test_req_16_nobody_edits_their_own_staff_account(sysadmin, province_admin):
    for user in (sysadmin, province_admin):
        client = staff_client(user)
        url = reverse("office:staff_edit", args=[user.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "x", "role": Role.PROVINCE, "is_active": "on"}).status_code == 404
    sysadmin.refresh_from_db()
    assert sysadmin.role == Role.SYSTEM


def test_req_16_a_learner_posting_role_staff_or_superuser_changes_nothing(alice):
    client = Client()
    client.force_login(alice)
    data = {"gender": "F", "work_unit": "南京市某局", "city": "320100", "grade": "L4", "email": "",
            "role": "province", "is_staff": "on", "is_superuser": "on", "city_locked_at": "", "password": "x"}  # fmt: skip
    assert client.post(reverse("accounts:settings_profile"), data).status_code == 302
    alice.refresh_from_db()
    assert (alice.role, alice.is_staff, alice.is_superuser, alice.work_unit) == ("learner", False, False, "南京市某局")


def test_req_16_an_exception_in_the_scope_check_denies_the_request(nanjing_reviewer, alice):
    client = staff_client(nanjing_reviewer)
    client.raise_request_exception = False
    with mock.patch("jxjy.accounts.learners.learners_for", side_effect=RuntimeError("scope broke")):
        response = client.get(reverse("office:learners_detail", args=[alice.pk]))
    assert response.status_code == 500
    assert alice.name not in response.content.decode()


def test_province_and_system_admin_edit_a_staff_account_audited_and_signed_out(sysadmin, nanjing_reviewer):
    victim_session = staff_client(nanjing_reviewer)
    assert victim_session.get(reverse("office:home")).status_code == 200
    client = staff_client(sysadmin)
    url = reverse("office:staff_edit", args=[nanjing_reviewer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "南京工考办", "role": Role.CITY, "city": "320500", "is_active": "on"})
    assert response.status_code == 302
    nanjing_reviewer.refresh_from_db()
    assert nanjing_reviewer.city_id == "320500"
    entry = AuditRecord.objects.get(event=Event.STAFF_SAVE)
    assert entry.actor == sysadmin and entry.detail["changes"]["city"] == ["320100", "320500"]
    # The edited account signs in again with its new rights.
    assert victim_session.get(reverse("office:home")).status_code == 302


def test_a_city_office_account_needs_its_city(province_admin, finance_user):
    client = staff_client(province_admin)
    url = reverse("office:staff_edit", args=[finance_user.pk])
    response = client.post(url, {"name": "财务", "role": Role.CITY, "city": "", "is_active": "on"})
    assert "市工考办必须选择所属地市" in response.content.decode()
    finance_user.refresh_from_db()
    assert finance_user.role == Role.FINANCE


def test_other_roles_cannot_edit_staff(secadmin, auditor, nanjing_reviewer, finance_user):
    for user in (secadmin, auditor, nanjing_reviewer):
        response = staff_client(user).post(reverse("office:staff_edit", args=[finance_user.pk]),
                                           {"name": "x", "role": Role.PROVINCE, "is_active": "on"})  # fmt: skip
        assert response.status_code == 403
    finance_user.refresh_from_db()
    assert finance_user.role == Role.FINANCE


def test_req_12_the_security_admin_ends_a_users_sessions_at_once(secadmin, finance_user, sysadmin):
    victim = staff_client(finance_user)
    assert victim.get(reverse("office:home")).status_code == 200
    assert staff_client(sysadmin).post(reverse("office:end_sessions", args=[finance_user.pk])).status_code == 403
    assert victim.get(reverse("office:home")).status_code == 200
    response = staff_client(secadmin).post(reverse("office:end_sessions", args=[finance_user.pk]))
    assert response.status_code == 302
    response = victim.get(reverse("office:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("office:login"))
    assert AuditRecord.objects.filter(event=Event.SESSIONS_END, object_id=str(finance_user.pk)).exists()


def test_req_17_the_system_admin_cannot_read_the_audit_log(sysadmin):
    record(Event.LOGIN, actor=sysadmin)
    client = staff_client(sysadmin)
    for page in ("office:audit_log", "office:audit_export"):
        assert client.get(reverse(page)).status_code == 403
    assert client.get("/admin/audit/auditrecord/").status_code in (302, 403)


def test_req_17_the_audit_admin_reads_the_log_and_nothing_else(auditor, alice):
    record(Event.LOGIN, actor=alice)
    client = staff_client(auditor)
    assert client.get(reverse("office:audit_log")).status_code == 200
    assert client.get(reverse("office:audit_export")).status_code == 200
    for page in ("office:learners_search", "office:reports_year", "office:finance_orders", "office:content_course_list",
                 "office:declarations_list", "office:staff_list"):  # fmt: skip
        assert client.get(reverse(page)).status_code == 403, page
    # Read-only: the Django admin offers no change or delete of a record to anyone.
    entry = AuditRecord.objects.first()
    assert client.post(f"/admin/audit/auditrecord/{entry.pk}/delete/", {"post": "yes"}).status_code != 200
    assert AuditRecord.objects.filter(pk=entry.pk).exists()


def test_req_17_the_auditors_own_trail_is_read_by_the_security_admin(auditor, secadmin, alice):
    staff_client(auditor).get(reverse("office:audit_log"))  # the auditor's reading is itself audited
    record(Event.LOGIN, actor=alice)
    response = staff_client(secadmin).get(reverse("office:audit_log"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert rows and all(row["role"] == "审计管理员" for row in rows)


def test_staff_roles_are_three_distinct_administrators():
    assert len({Role.SYSTEM, Role.SECURITY, Role.AUDITOR}) == 3
    assert User(role=Role.AUDITOR, is_staff=True).is_staff_member


def test_req_12_a_city_office_ends_its_learners_sessions_at_once(alice, nanjing_reviewer, suzhou_reviewer):
    learner = Client()
    learner.force_login(alice)
    assert learner.get(reverse("learning:center")).status_code == 200
    url = reverse("office:learners_end_sessions", args=[alice.pk])
    assert staff_client(suzhou_reviewer).post(url).status_code == 404
    assert learner.get(reverse("learning:center")).status_code == 200
    assert staff_client(nanjing_reviewer).post(url).status_code == 302
    response = learner.get(reverse("learning:center"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert AuditRecord.objects.filter(event=Event.SESSIONS_END, actor=nanjing_reviewer).count() == 1


def test_a_city_office_given_admin_permissions_still_cannot_use_the_django_admin(nanjing_reviewer, bob):
    """The admin has no city scope: a permission granted by mistake must not open another city's learners."""
    from django.contrib.auth.models import Permission

    nanjing_reviewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = staff_client(nanjing_reviewer)
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{bob.pk}/change/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("office:home"), url  # no loop between sign-in pages
        assert bob.name not in response.content.decode(), url


def test_req_17_a_system_admin_with_superuser_flags_still_cannot_read_audit_records(sysadmin):
    User.objects.filter(pk=sysadmin.pk).update(is_superuser=True)
    record(Event.LOGIN, actor=sysadmin)
    client = staff_client(sysadmin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/audit/auditrecord/").status_code == 403
