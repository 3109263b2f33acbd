"""Pluggable SMS back ends, chosen by settings.SMS_BACKEND like Django's e-mail back ends."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass
class SmsMessage:
    mobile: str
    template: str  # "code" or "notice"
    params: dict
    text: str
    sent_at: object = field(default_factory=timezone.now)


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(mobile: str, template: str, params: dict, text: str) -> None:
    get_backend().send(SmsMessage(mobile=mobile, template=template, params=params, text=text))
