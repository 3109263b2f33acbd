"""Writes messages to standard output (a development alternative)."""

import sys

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send(self, message) -> None:
        sys.stdout.write(f"[SMS] {message.mobile}: {message.text}\n")
