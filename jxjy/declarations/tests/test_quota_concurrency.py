"""The per-learner attachment quota holds when claims are filed at the same moment (PostgreSQL, real parallel
connections; skipped on SQLite): the learner's row is locked while the quota is counted."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from freezegun import freeze_time

from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.declarations import services
from jxjy.declarations.models import Attachment
from jxjy.lib.errors import UserError

from .conftest import PDF, claim, pdf

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]


def test_req_22_simultaneous_claims_stay_within_the_quota(alice, settings):
    settings.DECLARATION_ATTACHMENT_QUOTA_BYTES = 500 * 1024
    data = {**claim(), "start_date": date(2026, 10, 12), "end_date": date(2026, 10, 13), "hours_claimed": Decimal("12")}

    def filing(number):
        def run():
            upload = pdf(f"{number}.pdf", PDF + b"0" * (300 * 1024))
            try:
                services.file_claim(user=alice, data=dict(data), uploads=[upload])
            except UserError as exc:
                return exc.status
            return "ok"

        return run

    with freeze_time("2026-11-28 10:00"):
        results = run_parallel([filing(i) for i in range(4)])
    assert sorted(results, key=str) == [413, 413, 413, "ok"]
    assert Attachment.objects.count() == 1
