"""One read-only admin mixin: through the real admin, a superuser can add or delete none of the records the
platform's services write, and change only those whose admin keeps `allow_change`; no admin writes its own copy."""

import pytest
from django.contrib import admin

from conftest import staff_client
from jxjy.lib.admin import ReadOnlyAdminMixin

PERMISSION_METHODS = {"has_add_permission", "has_change_permission", "has_delete_permission"}


def read_only_admins():
    return sorted(
        (model._meta.label_lower, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ReadOnlyAdminMixin)
    )


def test_no_admin_writes_its_own_add_change_or_delete_rule():
    copies = []
    for model_admin in admin.site._registry.values():
        for admin_class in (type(model_admin), *model_admin.inlines):
            for klass in admin_class.__mro__:
                if klass.__module__.startswith("jxjy.") and klass is not ReadOnlyAdminMixin:
                    copies += [
                        f"{klass.__module__}.{klass.__name__}.{name}" for name in PERMISSION_METHODS & set(vars(klass))
                    ]
    assert not copies, copies


def test_the_records_the_services_write_use_the_mixin():
    labels = {label for label, _ in read_only_admins()}
    assert {
        "audit.auditrecord",
        "certificates.certificate",
        "exams.examattempt",
        "facetoface.facetofacebooking",
        "payments.payment",
        "payments.paymentnotification",
        "payments.refund",
        "orders.order",
        "learning.enrollment",
    } <= labels


@pytest.mark.django_db
def test_no_add_or_delete_and_change_only_where_allowed(province_admin):
    client = staff_client(province_admin)
    for label, model_admin in read_only_admins():
        base = "/admin/" + label.replace(".", "/")
        assert client.get(f"{base}/add/").status_code == 403, label
        assert client.post(f"{base}/0/delete/", {"post": "yes"}).status_code == 403, label
        # No row 0: with the change permission the admin redirects ("does not exist"), without it refuses first.
        expected = 302 if model_admin.allow_change else 403
        assert client.post(f"{base}/0/change/", {}).status_code == expected, label


def test_inlines_add_and_delete_nothing():
    for model_admin in admin.site._registry.values():
        for inline in model_admin.inlines:
            if issubclass(inline, ReadOnlyAdminMixin):
                instance = inline(model_admin.model, admin.site)
                assert not instance.has_add_permission(None, None)
                assert not instance.has_delete_permission(None, None)
