"""Counters in the cache (Redis in production: atomic across workers)."""

from django.core.cache import cache


def _key(key: str, window: int) -> str:
    return f"rl:{key}:{window}"


def count(key: str, window: int) -> int:
    """How many events `hit` counted in the current window (without counting one)."""
    return cache.get(_key(key, window)) or 0


def hit(key: str, limit: int, window: int, amount: int = 1) -> bool:
    """Count `amount` events in a fixed window; return False once more than `limit` happened."""
    key = _key(key, window)
    if cache.add(key, amount, window):
        return amount <= limit
    try:
        count = cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.add(key, amount, window)
        count = amount
    return count <= limit
