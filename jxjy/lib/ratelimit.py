"""Counters in the cache (Redis in production: atomic across workers)."""

from django.core.cache import cache


def hit(key: str, limit: int, window: int) -> bool:
    """Count one event in a fixed window; return False once more than `limit` happened."""
    key = f"rl:{key}:{window}"
    if cache.add(key, 1, window):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        count = 1
    return count <= limit
