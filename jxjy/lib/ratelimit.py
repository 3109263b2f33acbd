"""Counters in the cache (Redis in production: atomic across workers)."""

from django.core.cache import cache


def _key(key: str, window: int) -> str:
    return f"rl:{key}:{window}"


def count(key: str, window: int) -> int:
    """How many events `hit` counted in the current window (without counting one)."""
    return cache.get(_key(key, window)) or 0


def hit(key: str, limit: int, window: int) -> bool:
    """Count one event in a fixed window; return False once more than `limit` happened."""
    key = _key(key, window)
    if cache.add(key, 1, window):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        count = 1
    return count <= limit
