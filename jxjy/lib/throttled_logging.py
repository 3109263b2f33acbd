"""A logger that writes at most one line per reason per interval, for events anyone on the internet can cause
(a forged payment notification, an oversized post) and for outages (every request failing the same way): a flood
of them must not become a flood of log lines.

The first event of a reason in an interval is written; the others are counted, and the next line written for that
reason says how many were left out. The counters live in the cache (Redis in production), so the limit holds
across all worker processes. When the cache itself is down (a Redis outage, the very thing being logged), the
counters fall back to this process's memory for an interval: logging never raises, and still throttles.
"""

import contextlib
import logging
import threading
import time

from django.core.cache import cache


class _LocalCounters:
    """The same open-window and left-out counts in process memory, used while the cache cannot be reached."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open_until: dict[str, float] = {}
        self.skipped: dict[str, int] = {}

    def take(self, key: str, interval: int) -> int | None:
        """None when a line for `key` was written within the interval (counted); else the count left out."""
        now = time.monotonic()
        with self.lock:
            if self.open_until.get(key, 0) > now:
                self.skipped[key] = self.skipped.get(key, 0) + 1
                return None
            self.open_until[key] = now + interval
            return self.skipped.pop(key, 0)


class ThrottledLogger:
    def __init__(self, logger: logging.Logger, interval: int = 60):
        self.logger = logger
        self.interval = interval
        self._local = _LocalCounters()
        self._cache_down_until = 0.0

    def log(self, level: int, reason: str, message: str, *args) -> bool:
        """Log `message % args` unless a line for `reason` was written within the interval; True if written."""
        key = f"logthrottle:{self.logger.name}:{reason}"
        skipped = None
        if time.monotonic() >= self._cache_down_until:
            try:
                skipped = self._take_shared(key)
            except Exception:
                # The cache is down: count here instead, and leave it alone for an interval rather than wait on it
                # for every line (each wait is a connect timeout while Redis is away).
                self._cache_down_until = time.monotonic() + self.interval
            else:
                if skipped is None:
                    return False
        if skipped is None:
            skipped = self._local.take(key, self.interval)
            if skipped is None:
                return False
        if skipped:
            message += " (%d similar lines left out since the last one)"
            args = (*args, skipped)
        self.logger.log(level, message, *args)
        return True

    def _take_shared(self, key: str) -> int | None:
        if not cache.add(f"{key}:open", 1, self.interval):
            try:
                cache.incr(f"{key}:skipped")
            except ValueError:  # the first one left out
                if not cache.add(f"{key}:skipped", 1, 24 * 3600):
                    cache.incr(f"{key}:skipped")
            return None
        skipped = cache.get(f"{key}:skipped") or 0
        if skipped:
            with contextlib.suppress(ValueError):  # not delete: counts added meanwhile are kept for next time
                cache.decr(f"{key}:skipped", skipped)
        return skipped

    def warning(self, reason: str, message: str, *args) -> bool:
        return self.log(logging.WARNING, reason, message, *args)

    def error(self, reason: str, message: str, *args) -> bool:
        return self.log(logging.ERROR, reason, message, *args)
