"""The standing's two forms agree: `year_standing` (Python, one learner) and `standing_sql` (one statement for
many learners) give the same counted hours, percent and "met" on generated ledgers — several years and classes
with their own requirements and cap ratios, online and 面授班 hours, 视同申报 over the cap and toward 公共课,
reversed (and re-approved) approvals, other reversals, refunded classes, hours split to land exactly on a
requirement (where SQLite's floating-point sums would tip a boundary). Run on SQLite and on PostgreSQL."""

import itertools
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import make_learner
from jxjy.catalog.models import Category, TrainingClass, TrainingYear, YearClaim
from jxjy.credits.services import post_entry
from jxjy.credits.standing import (
    Requirement,
    class_rule,
    class_standing,
    standing_rows,
    year_rule,
    year_standing,
)
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

YEARS = (2024, 2025, 2026)
LEARNERS = 14


def _hours(rng, high=400) -> Decimal:
    """A requirement: 0.0 to 40.0 学时, one place; now and then exactly 0."""
    return Decimal(0) if rng.random() < 0.08 else Decimal(rng.randint(1, high)) / 10


def _catalog(rng) -> dict:
    now = timezone.now()
    classes = {}
    for year in YEARS:
        training_year = TrainingYear.objects.create(
            year=year,
            public_hours=_hours(rng),
            professional_hours=_hours(rng),
            elective_hours=_hours(rng),
            declaration_cap_ratio=Decimal(50 if year == 2026 else rng.choice([0, 25, 33, 50, 75, 100])) / 100,
        )
        classes[year] = [
            TrainingClass.objects.create(
                year=training_year,
                grade="L4",
                title=f"{year}年度网络班{i}",
                fee=Decimal("120.00"),
                enroll_start=now - timedelta(days=1),
                enroll_end=now + timedelta(days=30),
                study_deadline=now + timedelta(days=60),
                **{f"{c}_hours": _hours(rng) if rng.random() < 0.6 else None for c in Category.values},
            )
            for i in range(2)
        ]
    return classes


def _pieces(rng, total: Decimal, count: int) -> list[Decimal]:
    """`total` split into `count` positive parts of whole 0.01 学时 (their sum is exactly `total`)."""
    cents = int(total * 100)
    if cents < count:
        return [total] if cents else []
    cuts = sorted(rng.sample(range(1, cents), count - 1))
    return [Decimal(b - a) / 100 for a, b in itertools.pairwise([0, *cuts, cents])]


class Ledger:
    def __init__(self, rng):
        self.rng, self.ids = rng, itertools.count(1)

    def post(self, user, year, category, hours, source, source_id=None) -> str:
        source_id = source_id or f"{source}:gen:{next(self.ids)}"
        assert post_entry(user=user, year=year, category=category, hours=hours, source=source, source_id=source_id)
        return source_id

    def year(self, user, year, rule):
        rng = self.rng
        for category in Category.values:
            if rng.random() < 0.35:  # land exactly on the requirement, in several entries
                for part in _pieces(rng, rule.hours(category), rng.randint(1, 4)):
                    self.post(user, year, category, part, "online")
            else:
                for _ in range(rng.randint(0, 3)):
                    self.post(user, year, category, Decimal(rng.randint(1, 1500)) / 100, "online")
            if rng.random() < 0.3:  # a 面授班, sometimes turned into 缺勤 (reversed)
                hours = Decimal(rng.randint(1, 12))
                posted = self.post(user, year, category, hours, "facetoface")
                if rng.random() < 0.5:
                    self.post(user, year, category, -hours, "reversal", f"{posted}:reversal")
        for n in range(rng.randint(0, 3)):  # 视同申报, some reversed, some approved again
            category = rng.choice(Category.values)
            hours = Decimal(rng.randint(1, 100)) / 10
            claim = f"declaration:{user.pk}{year}{n}"
            self.post(user, year, category, hours, "declaration", f"{claim}:0")
            if rng.random() < 0.4:
                self.post(user, year, category, -hours, "reversal", f"{claim}:0:reversal")
                if rng.random() < 0.5:
                    self.post(user, year, category, Decimal(rng.randint(1, 150)) / 10, "declaration", f"{claim}:1")
        if rng.random() < 0.15:  # a hand-made reversal of more than was posted
            self.post(user, year, rng.choice(Category.values), -Decimal(rng.randint(1, 3000)) / 100, "reversal")


def build(seed):
    rng = random.Random(seed)
    classes = _catalog(rng)
    ledger = Ledger(rng)
    for i in range(LEARNERS):
        user = make_learner(f"学员{i}", f"320102{1960 + i}0101{i:03d}", city=rng.choice(["320100", "320500"]))
        chosen = [rng.choice(classes[year]) for year in YEARS if i == 0 or rng.random() < 0.75]
        if chosen:
            order = orders.place_order(user=user, class_ids=[c.pk for c in chosen], invoice={"invoice_type": "none"})
            orders.transition(order, OrderStatus.PAID)
            if i == 0 or rng.random() < 0.15:
                orders.transition(order, OrderStatus.REFUNDED)
        by_year = {c.year_id: c for c in chosen}
        for year in (2023, *YEARS):  # 2023: hours in a year without a rule, which no standing here may read
            rule = Requirement.of(
                by_year.get(year) or TrainingYear.objects.filter(year=year).first() or classes[2024][0]
            )
            ledger.year(user, year, rule)


def _python(standing) -> dict:
    return {
        **{c.key: c.counted for c in standing.categories},
        "required": standing.required,
        "percent": standing.percent,
        "met": standing.hours_met,
    }


def _sql(row) -> dict:
    return {key: row[key] for key in (*Category.values, "required", "percent", "met")}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_python_and_sql_forms_agree_on_generated_ledgers(seed):
    build(seed)
    enrollments = Enrollment.objects.live().select_related("training_class__year")
    assert Enrollment.objects.count() > enrollments.count() > 20  # some refunded, most live

    rows = standing_rows(
        Enrollment.objects.live(), user="user", **class_rule("training_class"), subject="pk", city="user__city_id"
    )
    by_enrollment = {row["subject"]: row for row in rows}
    assert set(by_enrollment) == {e.pk for e in enrollments}
    standings = []
    for enrollment in enrollments:
        standing = class_standing(enrollment.user_id, enrollment.training_class)
        row = by_enrollment[enrollment.pk]
        assert _sql(row) == _python(standing), (seed, enrollment.pk)
        assert (row["learner"], row["year"], row["city"]) == (
            enrollment.user_id,
            enrollment.training_class.year_id,
            enrollment.user.city_id,
        )
        standings.append(standing)

    claims = YearClaim.objects.select_related("year")
    rows = {row["subject"]: row for row in standing_rows(claims, user="user", **year_rule("year"), subject="pk")}
    for claim in claims:
        standing = year_standing(claim.user_id, claim.year_id, Requirement.of(claim.year))
        assert _sql(rows[claim.pk]) == _python(standing), (seed, claim.pk)

    # The data reached every branch of the rule (a test that cannot fail is worse than none).
    assert any(s.declaration_over_cap for s in standings)
    assert any(c.declared and c.declared == c.allowed for s in standings for c in s.categories)
    assert any(s.hours_met for s in standings) and any(not s.hours_met for s in standings)
    assert any(0 < s.percent < 100 for s in standings)
    assert any(c.counted == c.required > 0 for s in standings for c in s.categories)
