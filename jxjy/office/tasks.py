"""学习提醒's Celery tasks (office.reminders): the send action, and its SMS in batches through the SMS back end."""

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError

from . import reminders

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def send_reminders(rule_key: str, city: str | None, actor_id: int) -> None:
    """One send action: the 站内消息 now (office.reminders.create_reminders), then their SMS a batch per task."""
    created = reminders.create_reminders(rule_key, city, actor_id=actor_id)  # each batch committed on return
    for start in range(0, len(created), reminders.BATCH):
        send_reminder_sms.delay(created[start : start + reminders.BATCH])


@shared_task(ignore_result=True)
def send_reminder_sms(message_ids: list[int]) -> None:
    """Text each reminder still due (office.reminders.due_for_sms: the rows stay locked while this batch sends,
    so a second run of the same batch waits and then finds them sent)."""
    failed = 0
    with transaction.atomic():
        for message in reminders.due_for_sms(message_ids):
            learner = message.learner
            try:
                send_sms(learner.mobile, "notice", {"name": learner.name}, reminders.sms_text(message.body))
            except SmsError:
                failed += 1
                continue
            message.sms_sent_at = timezone.now()
            message.save(update_fields=["sms_sent_at"])
    if failed:
        logger.warning("reminder SMS: %d of a batch of %d not delivered", failed, len(message_ids))
