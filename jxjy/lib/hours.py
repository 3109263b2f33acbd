"""Hours the way people count them: one decimal at most, never "48.0", and minutes of video beside them.

What a learner has is rounded down and what they still lack is rounded up, so the two never promise more than the
ledger holds: 47.96 earned shows as 47.9 with 还差 0.1, never as 48 with 还差 0.
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

TENTH = Decimal("0.1")


def _tenths(value, rounding) -> str:
    text = format(Decimal(value or 0).quantize(TENTH, rounding=rounding), "f")
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def hours(value) -> str:
    """Hours held (earned, counted, required): 48, 16.5, 1.3 — rounded down to one decimal."""
    return _tenths(value, ROUND_FLOOR)


def hours_short(value) -> str:
    """Hours still lacking (还差): rounded up to one decimal, so a learner 0.04 short reads 还差 0.1, not 0."""
    return _tenths(value, ROUND_CEILING)


def video_time(value, minutes_per_hour) -> str:
    """What `value` 学时 take to watch: 约 10 小时 43 分钟 / 约 45 分钟 (rounded up to the minute)."""
    minutes = int((Decimal(value or 0) * Decimal(minutes_per_hour)).to_integral_value(rounding=ROUND_CEILING))
    if minutes <= 0:
        return "0 分钟"
    whole, rest = divmod(minutes, 60)
    if not whole:
        return f"约 {rest} 分钟"
    return f"约 {whole} 小时 {rest} 分钟" if rest else f"约 {whole} 小时"
