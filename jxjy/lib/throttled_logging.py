"""A logger that writes at most one line per reason per interval, for events anyone on the internet can cause
(a forged payment notification, an oversized post): a flood of them must not become a flood of log lines.

The first event of a reason in an interval is written; the others are counted, and the next line written for that
reason says how many were left out. The counters live in the cache (Redis in production), so the limit holds
across all worker processes.
"""

import contextlib
import logging

from django.core.cache import cache


class ThrottledLogger:
    def __init__(self, logger: logging.Logger, interval: int = 60):
        self.logger = logger
        self.interval = interval

    def log(self, level: int, reason: str, message: str, *args) -> bool:
        """Log `message % args` unless a line for `reason` was written within the interval; True if written."""
        key = f"logthrottle:{self.logger.name}:{reason}"
        if not cache.add(f"{key}:open", 1, self.interval):
            try:
                cache.incr(f"{key}:skipped")
            except ValueError:  # the first one left out
                if not cache.add(f"{key}:skipped", 1, 24 * 3600):
                    cache.incr(f"{key}:skipped")
            return False
        skipped = cache.get(f"{key}:skipped") or 0
        if skipped:
            with contextlib.suppress(ValueError):  # not delete: counts added meanwhile are kept for next time
                cache.decr(f"{key}:skipped", skipped)
            message += " (%d similar lines left out since the last one)"
            args = (*args, skipped)
        self.logger.log(level, message, *args)
        return True

    def warning(self, reason: str, message: str, *args) -> bool:
        return self.log(logging.WARNING, reason, message, *args)

    def error(self, reason: str, message: str, *args) -> bool:
        return self.log(logging.ERROR, reason, message, *args)
