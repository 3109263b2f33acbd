"""学习异常 decisions under a race, with real parallel connections on PostgreSQL (skipped on SQLite): two staff press
确认违规 on the same flag at the same moment; two flags naming one entry are confirmed at the same moment."""

import pytest
from django.db import connection

from conftest import make_learner, make_staff, staff_client
from jxjy.accounts.models import Message
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.audit.models import AuditRecord, Event
from jxjy.review.models import Anomaly, Rule, Status

from .helpers import confirm, entry, flag, reversals

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def offices():
    """Two staff who may both decide a 南京 learner's flag: the 南京 office and the province."""
    return [staff_client(make_staff("nanjing", "city", "320100")), staff_client(make_staff("province", "province"))]


def test_two_staff_confirming_one_flag_at_once_decide_once(offices):
    """Five races, each over a new flag: each flag is decided once — its entries reversed once, one audit record,
    one message — and the loser is told it was done already."""
    learner = make_learner("张伟", "32010219900101123")
    for race in range(1, 6):
        anomaly = flag(learner, [entry(learner, 2), entry(learner, 3, category="professional")])
        statuses = run_parallel([lambda c=c, a=anomaly: confirm(c, a).status_code for c in offices])
        assert statuses == [302, 302]
        assert Anomaly.objects.get(pk=anomaly.pk).status == Status.CONFIRMED
        assert reversals(learner).count() == 2 * race
        assert AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM).count() == race
        assert Message.objects.filter(learner=learner).count() == race
    assert {r.detail["reversed_hours"] for r in AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM)} == {"5.00"}


def test_two_flags_naming_one_entry_confirmed_at_once_reverse_it_once(offices):
    learner = make_learner("张伟", "32010219900101123")
    shared = entry(learner, 2)
    flags = [flag(learner, [shared], rule=Rule.LONG_DAY), flag(learner, [shared], rule=Rule.ALL_NIGHT)]
    statuses = run_parallel([lambda c=c, a=a: confirm(c, a).status_code for c, a in zip(offices, flags, strict=True)])
    assert statuses == [302, 302]
    assert reversals(learner).get().hours == -2
    assert {a.status for a in Anomaly.objects.all()} == {Status.CONFIRMED}
    totals = sorted(r.detail["reversed_hours"] for r in AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM))
    assert totals == ["0", "2.00"]
