"""Orders' background work: closing unpaid orders (beat), and the SMS notice of a 单位统一报名 invitation, sent after
the list is saved (a unit may list hundreds of staff)."""

import logging

from celery import shared_task
from django.core.cache import cache

from jxjy.accounts.models import User
from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError

from . import services

logger = logging.getLogger(__name__)


@shared_task
def close_expired_orders():
    return services.close_expired_orders()


INVITED_TEXT = (
    "【工勤继续教育】有单位为您办理了{year}年度网络班统一报名，请登录平台，在“学员中心”或“我的订单”中确认或拒绝。"
    "您确认之前，不会为您报名，也不会收费。"
)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notify_invited_learners(learner_ids, year) -> int:
    """A notice without secrets and without anything the contact typed (a "unit name" typed by anyone must not reach
    a colleague's phone). At most one a day per learner, however often and by whomever they are listed: a run that
    died half-way through a long list and is run again notifies only those not yet notified."""
    sent = 0
    for learner in User.objects.filter(pk__in=learner_ids, mobile_index__isnull=False).exclude(mobile_index=""):
        if not cache.add(f"unit-invite-sms:{learner.pk}", 1, 24 * 3600):
            continue
        try:
            send_sms(learner.mobile, "notice", {}, INVITED_TEXT.format(year=year))
            sent += 1
        except SmsError:
            logger.exception("SMS notice delivery failed")
    return sent
