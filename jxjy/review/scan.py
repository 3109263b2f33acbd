"""The 学习异常 scan: every rule over one local day's evidence, nightly (yesterday) and on demand (today so far).
New findings become 待核查 flags; a finding already flagged (the same key) leaves the flag as it is."""

import logging
import time
from datetime import date, timedelta

from django.utils import timezone

from . import rules_exams, rules_playback  # noqa: F401 - they register their rules
from .findings import RULES, Finding
from .models import Anomaly

log = logging.getLogger(__name__)
BATCH = 1000


def _save(findings: list[Finding]) -> int:
    """Store new findings as 待核查 flags (existing keys untouched); returns how many were new."""
    if not findings:
        return 0
    existing = set(Anomaly.objects.filter(key__in=[f.key for f in findings]).values_list("key", flat=True))
    new = [
        Anomaly(
            rule=f.rule,
            user_id=f.user_id,
            day=f.day,
            key=f.key,
            group=f.group,
            summary=f.summary[:200],
            evidence=f.evidence,
            entries=f.entries,
            attempts=f.attempts,
        )
        for f in findings
        if f.key not in existing
    ]
    Anomaly.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent scan of the same day: one flag
    return len(new)


def scan_day(day: date) -> dict[str, int]:
    """Run every rule over `day`; returns {rule: new flags}."""
    found = {}
    for name, check in RULES.items():
        started, new, batch = time.monotonic(), 0, []
        for finding in check(day):
            batch.append(finding)
            if len(batch) >= BATCH:
                new += _save(batch)
                batch = []
        new += _save(batch)
        found[name] = new
        log.info("review scan %s %s: %s new in %.1f s", day, name, new, time.monotonic() - started)
    return found


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)
