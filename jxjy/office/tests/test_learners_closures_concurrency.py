"""注销 races proven with real parallel connections on PostgreSQL (skipped on SQLite): two offices (or two clicks)
completing one request anonymise once; a learner's parallel requests make one pending request."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.accounts.models import ClosureRequest, ClosureState, User
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.audit.models import AuditRecord, Event

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


@pytest.mark.django_db(transaction=True)
def test_req_29_parallel_completions_anonymise_once(alice, nanjing_reviewer, province_admin):
    closure = ClosureRequest.objects.create(user=alice)
    url = reverse("office:closures_detail", args=[closure.pk])
    clients = [staff_client(nanjing_reviewer), staff_client(province_admin), staff_client(nanjing_reviewer)]
    statuses = run_parallel([lambda c=c: c.post(url, {"confirm": "on"}).status_code for c in clients])
    assert statuses == [302, 302, 302]
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.DONE
    assert AuditRecord.objects.filter(event=Event.CLOSURE_COMPLETE).count() == 1
    assert not User.objects.get(pk=alice.pk).is_active


@pytest.mark.django_db(transaction=True)
def test_req_29_parallel_requests_make_one_pending_request(alice):
    def ask():
        client = Client()
        client.force_login(alice)
        return client.post(
            reverse("accounts:closure_request"), {"password": "Demo1234", "understood": "on"}
        ).status_code

    statuses = run_parallel([ask for _ in range(4)])
    assert set(statuses) == {302}
    assert ClosureRequest.objects.filter(user=alice, state=ClosureState.PENDING).count() == 1
    assert AuditRecord.objects.filter(event=Event.CLOSURE_REQUEST, result="ok").count() == 1
