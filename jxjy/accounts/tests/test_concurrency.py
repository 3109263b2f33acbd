"""Races proven with real parallel connections on PostgreSQL (skipped on SQLite)."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from jxjy.accounts.models import Address, SmsCode, User

from .helpers import NEW_MOBILE, last_code, register_data, request_code, valid_id

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def run_parallel(functions):
    """Start all functions at once (a barrier), each in its own thread with its own connection."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_one_account_per_id_number_under_concurrent_registration():
    mobiles = [f"1370000{i:04d}" for i in range(6)]
    codes = {}
    for mobile in mobiles:
        client = Client(REMOTE_ADDR=f"10.0.0.{len(codes) + 1}")
        request_code(client, mobile)
        codes[mobile] = last_code(mobile)

    def attempt(mobile):
        return lambda: (
            Client()
            .post(reverse("accounts:register"), {**register_data(mobile=mobile), "sms_code": codes[mobile]})
            .status_code
        )

    statuses = run_parallel([attempt(m) for m in mobiles])
    assert User.objects.count() == 1
    assert statuses.count(302) == 1 and statuses.count(200) == len(mobiles) - 1


@pytest.mark.django_db(transaction=True)
def test_a_code_is_consumed_once_under_concurrent_use():
    request_code(Client(), NEW_MOBILE)
    code = last_code(NEW_MOBILE)
    ids = [valid_id(f"3201021980010{i}123") for i in range(1, 7)]

    def attempt(id_number):
        return lambda: (
            Client()
            .post(reverse("accounts:register"), {**register_data(id_number=id_number), "sms_code": code})
            .status_code
        )

    statuses = run_parallel([attempt(i) for i in ids])
    assert statuses.count(302) == 1
    assert User.objects.count() == 1
    assert SmsCode.objects.get().used_at is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_to_one_mobile_send_once(outbox):
    statuses = run_parallel(
        [lambda i=i: request_code(Client(REMOTE_ADDR=f"10.0.1.{i}"), NEW_MOBILE).status_code for i in range(8)]
    )
    assert statuses.count(200) == 1
    assert SmsCode.objects.count() == 1
    assert len(outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_one_default_address_under_concurrent_edits(alice):
    for i in range(4):
        Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="南京", detail=f"{i}号")
    Address.objects.filter(user=alice).update(is_default=False)
    ids = list(Address.objects.filter(user=alice).values_list("pk", flat=True))

    def make_default(pk):
        def go():
            client = Client()
            client.force_login(alice)
            return client.post(reverse("accounts:address_default", args=[pk])).status_code

        return go

    assert run_parallel([make_default(pk) for pk in ids]) == [302] * len(ids)
    assert Address.objects.filter(user=alice, is_default=True).count() == 1
