"""SMS sends queued to a Celery worker (run in-process when no broker is configured).

找回密码 queues its send in both branches — a name and ID number that match an account, and a pair that matches
none — so the request does the same work whichever it is, and its time tells nothing."""

import logging
from types import SimpleNamespace

from celery import shared_task
from django.conf import settings

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import crypto
from jxjy.lib.masking import mask_mobile
from jxjy.lib.request_context import request_id
from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError

from .models import Role, SmsPurpose, User

logger = logging.getLogger(__name__)
SEALED_CODE_PURPOSE = "sms_code"  # the code travels through the broker encrypted, never in the clear


def code_text(code: str, purpose: str) -> str:
    minutes = int(settings.SMS_CODE_TTL.total_seconds() // 60)
    label = SmsPurpose(purpose).label
    return f"【工勤继续教育】您的验证码为 {code}，{minutes} 分钟内有效，用于{label}。请勿告诉他人。"


def seal_code(code: str) -> str:
    return crypto.encrypt(code, SEALED_CODE_PURPOSE)


@shared_task(ignore_result=True)
def send_reset_code(index: str, sealed_code: str, ip: str | None = None, origin_request_id: str = "") -> None:
    """Send a 找回密码 code to the learner whose verified mobile has the keyed index `index`.

    For a pair that matches no account the request queued a stand-in index that matches no mobile: the task takes
    the same lookup and ends there. The audit record carries the requesting address and request id."""
    user = User.objects.filter(mobile_index=index, role=Role.LEARNER, mobile_verified_at__isnull=False).first()
    code = crypto.decrypt(sealed_code, SEALED_CODE_PURPOSE)
    if user is None:
        return
    origin = SimpleNamespace(META={"REMOTE_ADDR": ip}, user=None)  # what record() reads of a request
    token = request_id.set(origin_request_id or request_id.get())
    try:
        masked = mask_mobile(user.mobile)
        try:
            send_sms(user.mobile, "code", {"code": code}, code_text(code, SmsPurpose.RESET))
        except SmsError:
            logger.exception("SMS code delivery failed")
            record(Event.SMS_SEND, request=origin, result="failed", purpose=SmsPurpose.RESET, mobile=masked)
            return
        record(Event.SMS_SEND, request=origin, purpose=SmsPurpose.RESET, mobile=masked)
    finally:
        request_id.reset(token)
