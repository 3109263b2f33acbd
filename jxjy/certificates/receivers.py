"""Certificates follow the ledger and the enrollments they were built on."""

from django.dispatch import receiver

from jxjy.credits.signals import ledger_changed
from jxjy.learning.signals import enrollment_refunded

from . import services


@receiver(ledger_changed, dispatch_uid="certificates.ledger_changed")
def on_ledger_changed(sender, entry, **kwargs):
    # Only hours taken away can end a year's 合格; new hours (every finished courseware) cost nothing here.
    if entry.hours < 0:
        services.revoke_if_no_longer_qualified(user=entry.user, year=entry.year)


@receiver(enrollment_refunded, dispatch_uid="certificates.enrollment_refunded")
def on_enrollment_refunded(sender, enrollment, actor=None, **kwargs):
    services.revoke_for_refund(enrollment=enrollment, actor=actor)
