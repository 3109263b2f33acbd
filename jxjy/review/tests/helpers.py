"""Flags made directly as Anomaly rows over real ledger entries (the rules' own tests make them by scanning)."""

import itertools
from datetime import date
from decimal import Decimal

from django.urls import reverse

from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.credits.services import post_entry
from jxjy.review.models import Anomaly, Rule

DAY = date(2026, 12, 5)
SUMMARY = "12月5日计时 11.5 小时（08:02–23:40）"
_ids = itertools.count(1)


def entry(user, hours, *, year=2026, category="public", source=CreditSource.ONLINE) -> CreditEntry:
    """A real ledger entry, posted through the credits service."""
    source_id = f"test-entry:{next(_ids)}"
    assert post_entry(user=user, year=year, category=category, hours=Decimal(str(hours)), source=source,
                      source_id=source_id, note="课件看完")  # fmt: skip
    return CreditEntry.objects.get(source=source, source_id=source_id)


def flag(user, entries=(), *, rule=Rule.LONG_DAY, day=DAY, evidence=None, group="", attempts=()) -> Anomaly:
    return Anomaly.objects.create(
        rule=rule,
        user=user,
        day=day,
        key=f"{rule}:{user.pk}:{day}:{next(_ids)}",
        group=group,
        summary=SUMMARY,
        evidence=evidence if evidence is not None else {"计时合计": "11.5 小时", "最早开始": "08:02"},
        entries=[e.pk for e in entries],
        attempts=list(attempts),
    )


def confirm_url(anomaly):
    return reverse("office:anomalies_confirm", args=[anomaly.pk])


def clear_url(anomaly):
    return reverse("office:anomalies_clear", args=[anomaly.pk])


def detail_url(anomaly):
    return reverse("office:anomalies_detail", args=[anomaly.pk])


def confirm(client, anomaly, note="核对播放记录，整夜无人值守挂机"):
    """确认违规's second step (the first shows what will be taken back)."""
    return client.post(confirm_url(anomaly), {"note": note, "sure": "1"})


def reversals(user=None):
    rows = CreditEntry.objects.filter(source=CreditSource.REVERSAL)
    return rows.filter(user=user) if user is not None else rows
