"""Development back end: appends messages to a JSON-lines file that /dev/outbox/ lists."""

import json
import threading

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import SmsMessage
from .base import BaseSmsBackend

_lock = threading.Lock()


class SmsBackend(BaseSmsBackend):
    def send(self, message) -> None:
        path = settings.SMS_FILE_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "mobile": message.mobile,
            "template": message.template,
            "params": message.params,
            "text": message.text,
            "sent_at": message.sent_at.isoformat(),
        }
        with _lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def list_messages(self, limit=100):
        path = settings.SMS_FILE_PATH
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
        messages = []
        for line in reversed(lines):
            data = json.loads(line)
            sent_at = parse_datetime(data.pop("sent_at")) or timezone.now()
            messages.append(SmsMessage(sent_at=sent_at, **data))
        return messages
