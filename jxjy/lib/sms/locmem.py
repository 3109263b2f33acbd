"""Keeps messages in memory (tests): `jxjy.lib.sms.locmem.outbox`."""

from .base import BaseSmsBackend

outbox: list = []


class SmsBackend(BaseSmsBackend):
    def send(self, message) -> None:
        outbox.append(message)

    def list_messages(self):
        return list(reversed(outbox))
