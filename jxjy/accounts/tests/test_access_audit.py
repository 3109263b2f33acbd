"""Every change of a user's role, city, staff/superuser flags, 允许登录, groups and permissions is audited with old →
new values and who did it — through the Django admin or any other path — and so is every password set in the admin
(never the password itself)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse

from conftest import make_staff, staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.lib.request_context import current_request

pytestmark = pytest.mark.django_db


def access_records(user):
    return AuditRecord.objects.filter(event=Event.USER_ACCESS_CHANGE, object_id=str(user.pk)).order_by("id")


def admin_form_data(client, user):
    """What the admin's change form would post back unchanged."""
    response = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if hasattr(value, "all"):
            value = [item.pk for item in value.all()]
        elif isinstance(value, list | tuple | set):
            value = [getattr(item, "pk", item) for item in value]
        data[name] = "" if value is None else value
    for name in [name for name, value in data.items() if value is False]:
        del data[name]  # an unticked checkbox is not posted
    return data


def test_admin_change_of_role_city_flags_and_permissions_is_audited(province_admin, alice):
    client = staff_client(province_admin)
    group = Group.objects.create(name="审计助理")
    permission = Permission.objects.get(codename="view_auditrecord")
    data = admin_form_data(client, alice)
    data.update(role="city", city="320500", is_staff="on", groups=[group.pk], user_permissions=[permission.pk])
    del data["is_active"]
    response = client.post(reverse("admin:accounts_user_change", args=[alice.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    records = list(access_records(alice))
    assert {r.actor_id for r in records} == {province_admin.pk}
    assert all(r.ip == "127.0.0.1" for r in records)
    changes = {}
    for entry in records:
        changes.update(entry.detail["changes"])
    assert changes["role"] == ["learner", "city"]
    assert changes["city"] == ["320100", "320500"]
    assert changes["is_staff"] == [False, True]
    assert changes["is_active"] == [True, False]
    assert changes["groups"] == [[], ["审计助理"]]
    assert changes["user_permissions"] == [[], ["audit.view_auditrecord"]]
    assert "is_superuser" not in changes  # unchanged fields are not listed


def test_admin_password_set_is_audited_without_the_password(province_admin, finance_user):
    client = staff_client(province_admin)
    url = reverse("admin:auth_user_password_change", args=[finance_user.pk])
    new = "Xq7!long-enough-staff-pass"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    finance_user.refresh_from_db()
    assert finance_user.check_password(new)
    entry = AuditRecord.objects.get(event=Event.ADMIN_PASSWORD_SET, object_id=str(finance_user.pk))
    assert entry.actor == province_admin and entry.detail == {"usable": True}
    assert new not in str(vars(entry)) and finance_user.password not in str(vars(entry))


def test_a_refused_admin_password_change_writes_nothing(province_admin, finance_user):
    client = staff_client(province_admin)
    url = reverse("admin:auth_user_password_change", args=[finance_user.pk])
    response = client.post(url, {"password1": "a", "password2": "b", "usable_password": "true"})
    assert response.status_code == 200
    assert not AuditRecord.objects.filter(event=Event.ADMIN_PASSWORD_SET).exists()


def test_changes_outside_the_admin_name_who_did_them(nanjing_reviewer, province_admin):
    request = RequestFactory().post("/office/staff/", REMOTE_ADDR="10.9.8.7")
    request.user = province_admin
    token = current_request.set(request)
    try:
        nanjing_reviewer.city_id = "320500"
        nanjing_reviewer.is_superuser = True
        nanjing_reviewer.save(update_fields=["city", "is_superuser"])
    finally:
        current_request.reset(token)
    entry = access_records(nanjing_reviewer).get()
    assert entry.actor == province_admin and entry.ip == "10.9.8.7"
    assert entry.detail["changes"] == {"city": ["320100", "320500"], "is_superuser": [False, True]}


def test_group_membership_from_the_groups_side_and_clear_are_audited(alice):
    group = Group.objects.create(name="财务复核")
    group.user_set.add(alice)
    alice.groups.clear()
    first, second = access_records(alice)
    assert first.detail["changes"] == {"groups": [[], ["财务复核"]]}
    assert second.detail["changes"] == {"groups": [["财务复核"], []]}


def test_a_staff_account_made_in_a_request_is_audited_and_a_learner_registering_is_not(province_admin, alice):
    request = RequestFactory().post("/admin/accounts/user/add/")
    request.user = province_admin
    token = current_request.set(request)
    try:
        staff = make_staff("new-auditor", "auditor")
        learner = User.objects.create_user(username="learner-x", name="学员")
    finally:
        current_request.reset(token)
    entry = access_records(staff).get()
    assert entry.actor == province_admin
    assert entry.detail["changes"]["role"] == [None, "auditor"]
    assert entry.detail["changes"]["is_staff"] == [None, True]
    assert not access_records(learner).exists() and not access_records(alice).exists()


def test_unrelated_saves_write_nothing_and_query_nothing_extra(alice, django_assert_num_queries):
    alice.work_unit = "南京市园林局"
    alice.save(update_fields=["work_unit"])
    with django_assert_num_queries(1):  # the UPDATE only: no look-up of the old access fields
        alice.save(update_fields=["last_login"])
    alice.save()  # everything saved, nothing of the access changed
    assert not access_records(alice).exists()
    assert User.objects.get(pk=alice.pk).work_unit == "南京市园林局"
