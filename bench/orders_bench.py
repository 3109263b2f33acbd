"""Benchmarks for 报名缴费: the class list, placing orders and processing bank notifications.

Run with `make bench` (a throw-away SQLite database unless DATABASE_URL is set); prints figures only.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jxjy.settings")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="jxjy-bench-"))
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from jxjy.accounts.models import User, id_number_index  # noqa: E402
from jxjy.catalog.models import TrainingClass  # noqa: E402
from jxjy.lib.idcard import check_char  # noqa: E402
from jxjy.orders.models import Order  # noqa: E402
from jxjy.orders.services import place_order  # noqa: E402
from jxjy.payments.models import Payment  # noqa: E402
from jxjy.payments.tests.helpers import body_for, notify  # noqa: E402


def learners(n):
    users = []
    for i in range(n):
        first17 = f"3201021980{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}"
        user = User(username=id_number_index(first17 + check_char(first17)), name="测试", role="learner", grade="L4")
        user.set_unusable_password()
        user.set_mobile(f"1370{i:07d}")
        users.append(user)
    User.objects.bulk_create(users)
    return list(User.objects.filter(role="learner", name="测试"))


def report(label, n, elapsed):
    print(f"  {label:<44} {n / elapsed:>8,.0f} /s      {elapsed / n * 1000:6.2f} ms each")


def main():
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"database: {connection.vendor}")
    year_class = TrainingClass.objects.filter(grade="L4").order_by("-year_id").first()
    n = 300
    users = learners(n)

    start = time.perf_counter()
    orders = [place_order(user=user, class_ids=[year_class.pk], invoice={"invoice_type": "none"}) for user in users]
    elapsed = time.perf_counter() - start
    report("place_order (lines, year claim, audit)", n, elapsed)

    payments = [Payment.objects.create(order=o, provider="mockbank", amount=o.amount, status="pending") for o in orders]
    client = Client(HTTP_HOST="127.0.0.1")
    bodies = [body_for(p, trade_no=f"MB{p.pk}") for p in payments]
    start = time.perf_counter()
    for body in bodies:
        assert notify(client, body).content == b"OK"
    elapsed = time.perf_counter() - start
    report("notify → paid → class opened (full HTTP)", n, elapsed)
    start = time.perf_counter()
    for body in bodies:
        notify(client, body)
    elapsed = time.perf_counter() - start
    report("duplicate notify (already paid)", n, elapsed)
    assert Order.objects.filter(status="paid").count() >= n

    learner = Client(HTTP_HOST="127.0.0.1")
    learner.force_login(users[0])
    for label, path in [("GET /classes/ 网络班报名", "/classes/?year="), ("GET /orders/ 我的订单", "/orders/"),
                        ("GET /center/ 我的班级", "/center/")]:  # fmt: skip
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 2:
            learner.get(path)
            count += 1
        rate = count / (time.perf_counter() - start)
        reset_queries()
        with override_settings(DEBUG=True):
            assert learner.get(path).status_code == 200
            queries = len(connection.queries)
        print(f"  {label:<44} {rate:>8,.0f} req/s     {queries} queries")


if __name__ == "__main__":
    main()
