"""Log filters: every line carries the request id; ID numbers and mobiles never reach a log."""

import logging
import re

from .request_context import request_id

_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{6}(?:18|19|20)[0-9]{9}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: m.group()[:6] + "********" + m.group()[-4:], text)
    return _MOBILE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id.get()
        return True


class RedactFilter(logging.Filter):
    """Defence in depth: the code never logs these, and this catches a mistake if it does.
    Also encodes CR/LF so a value cannot forge a log line."""

    def filter(self, record):
        message = record.getMessage()
        clean = redact(message).replace("\r", "\\r").replace("\n", "\\n")
        if clean != message:
            record.msg, record.args = clean, None
        # A traceback is text too (an exception's message, a request's URL): formatted once here and redacted; the
        # formatter then uses this text. It keeps its line breaks: they are the traceback's own, not a value's.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
