from decimal import Decimal

import pytest

from jxjy.lib.hours import hours, hours_short, video_time


@pytest.mark.parametrize(
    ("value", "held", "short"),
    [
        (Decimal("48"), "48", "48"),
        (Decimal("48.00"), "48", "48"),
        (Decimal("16.5"), "16.5", "16.5"),
        (Decimal("47.96"), "47.9", "48"),
        (Decimal("0.04"), "0", "0.1"),
        (Decimal("1.33"), "1.3", "1.4"),
        (Decimal("0"), "0", "0"),
        (None, "0", "0"),
    ],
)
def test_hours_never_promise_more_than_the_ledger(value, held, short):
    assert hours(value) == held
    assert hours_short(value) == short


@pytest.mark.parametrize(
    ("value", "per_hour", "text"),
    [
        (Decimal("14.3"), 45, "约 10 小时 44 分钟"),
        (Decimal("1"), 45, "约 45 分钟"),
        (Decimal("4"), 45, "约 3 小时"),
        (Decimal("0"), 45, "0 分钟"),
        (Decimal("0.01"), 45, "约 1 分钟"),
    ],
)
def test_video_time_in_hours_and_minutes(value, per_hour, text):
    assert video_time(value, per_hour) == text
