import json
import logging
import urllib.request

from celery import shared_task
from django.db import DatabaseError

from . import services

logger = logging.getLogger(__name__)


@shared_task
def query_pending_payments():
    return services.query_pending_payments()


@shared_task(bind=True, max_retries=8, default_retry_delay=10, acks_late=True, reject_on_worker_lost=True)
def process_notification(self, note_id):
    """The queued part of a verified notification: pay the order, open its classes. Retried on a database error;
    if it still fails, the payment stays pending and query_pending_payments settles it. Acknowledged when done, so a
    worker that dies half-way hands it to another (processing a notification twice pays once)."""
    try:
        return services.process_notification(note_id)
    except DatabaseError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def purge_idempotency_keys():
    return services.purge_idempotency_keys()


@shared_task(bind=True, max_retries=5, default_retry_delay=15)
def deliver_mockbank_notification(self, trade_id):
    """The 模拟银行 notifies the platform like a real bank: a signed POST to the notify URL, retried on failure."""
    from .models import MockBankTrade
    from .providers.mockbank import SIGNATURE_HEADER, notification_body, sign

    trade = MockBankTrade.objects.get(pk=trade_id)
    body = notification_body(trade)
    request = urllib.request.Request(  # noqa: S310 - the platform's own notify URL
        trade.notify_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            reply = response.read()
    except OSError as exc:
        logger.warning("mock bank notification failed: %s", exc)
        raise self.retry(exc=exc) from exc
    return json.dumps({"status": trade.status, "reply": reply.decode(errors="replace")})
