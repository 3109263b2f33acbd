"""Merged [start, end] intervals of watched seconds."""

JOIN_GAP = 0.25  # seconds: rounding and network jitter between consecutive heartbeats


def add_interval(intervals: list, start: float, end: float) -> list:
    """Return the union of `intervals` and [start, end], sorted and merged (ones closer than JOIN_GAP join)."""
    if end <= start:
        return [list(i) for i in intervals]
    merged = []
    for a, b in sorted([*intervals, [start, end]]):
        if merged and a <= merged[-1][1] + JOIN_GAP:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def covered(intervals: list) -> float:
    return sum(b - a for a, b in intervals)
