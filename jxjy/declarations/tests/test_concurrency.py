"""Review races with real parallel connections on PostgreSQL (skipped on SQLite)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from conftest import staff_client
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.credits.models import CreditEntry
from jxjy.declarations import services
from jxjy.lib.errors import UserError

from .test_declarations import filed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]


def approving(reviewer, declaration, hours):
    client = staff_client(reviewer)  # signed in (past the second factor) before the threads start

    def run():
        url = reverse("office:declarations_detail", args=[declaration.pk])
        return client.post(url, {"action": "approve", "approve-hours": hours}).status_code

    return run


def approving_directly(reviewer, declaration, hours):
    """The service itself, so that the threads meet inside the approval rather than in the HTTP stack."""

    def run():
        try:
            services.approve(declaration=declaration, hours=Decimal(hours), reviewer=reviewer)
        except UserError as exc:
            return exc.message
        return "ok"

    return run


def test_simultaneous_approvals_stay_within_the_years_cap(alice, nanjing_reviewer, province_admin):
    claims = [
        filed(
            alice, title=f"研修{i}", hours_claimed="3", start_date=f"2026-09-{i + 1:02}", end_date=f"2026-09-{i + 1:02}"
        )
        for i in range(12)
    ]
    reviewers = [nanjing_reviewer, province_admin] * 6
    run_parallel([approving_directly(r, c, "3") for r, c in zip(reviewers, claims, strict=True)])
    assert sum(CreditEntry.objects.values_list("hours", flat=True)) == 12  # the cap: half of 24, 4 of 12 claims


def test_the_same_claim_approved_twice_at_once_posts_once(alice, nanjing_reviewer, province_admin):
    declaration = filed(alice)
    run_parallel([approving(r, declaration, "12") for r in (nanjing_reviewer, province_admin) * 3])
    assert CreditEntry.objects.count() == 1
