"""What a rule finds, and the registry of rules the scan runs (rules_playback.py, rules_exams.py register here)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone


@dataclass
class Finding:
    """One learner's flag as a rule found it (scan.py stores it as an Anomaly)."""

    rule: str  # a models.Rule value
    user_id: int
    day: date
    key: str  # unique across all flags ever: rule:learner:day[:subject]
    summary: str  # one line in plain Chinese with the figures: 「12月5日计时 11.5 小时（08:02–23:40）」
    evidence: dict  # JSON-able facts for the desk
    entries: list[int] = field(default_factory=list)  # CreditEntry ids 确认违规 would reverse
    attempts: list[int] = field(default_factory=list)  # ExamAttempt ids 确认违规 would void
    group: str = ""


Check = Callable[[date], Iterable[Finding]]
RULES: dict[str, Check] = {}


def rule(name: str) -> Callable[[Check], Check]:
    """Register a rule: a function of the local day it checks, yielding findings (it reads only that day's rows,
    through indexes, in bounded chunks: the scan runs over 200,000 learners every night)."""

    def register(check: Check) -> Check:
        RULES[name] = check
        return check

    return register


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day (settings.TIME_ZONE, Asia/Shanghai) as [start, end) aware datetimes: what every rule reads."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
