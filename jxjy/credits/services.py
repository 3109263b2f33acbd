"""Posting to the hours ledger (credits.standing reads it)."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from .models import CreditEntry
from .signals import ledger_changed


def post_entry(*, user, year: int, category: str, hours: Decimal, source: str, source_id: str, note="") -> bool:
    """Post hours once per (source, source_id); False if that source already posted. Sends `ledger_changed`
    after a new entry, so that what was built on the year's hours (a certificate) can follow."""
    try:
        with transaction.atomic():
            entry = CreditEntry.objects.create(
                user=user, year=year, category=category, hours=hours, source=source, source_id=source_id, note=note
            )
    except IntegrityError:
        return False
    ledger_changed.send(sender=CreditEntry, entry=entry)
    return True
