"""What pages_bench.py adds to the review bench's year of study (bench/_review_data.py): the rows the back-office
lists read. Every learner keeps the review data's paid order, class, playback, progress and ledger; on top of that,
drawn from a generator seeded by the learner's id (so the probe learner gets the same rows alone or among 200,000):

- the class's 12 courses linked to it, and the three 公共课 selected by every learner;
- another order for some (8 % cancelled, 4 % 待支付, 2 % refunded), each with its line;
- 视同申报 for 15 % (one or two claims: 25 % 待审核, 55 % 已通过, 15 % 已驳回, 5 % 已撤回) in every city;
- about six audit events a learner over the year (sign-ins, orders, the class opened, an office looking them up).

Ids that the review loaders number from 1 (progress, ledger) are moved out of their way after each load
(`set_apart`), so the probe loaded first keeps its rows when the others are loaded after it."""

import random
from datetime import timedelta
from decimal import Decimal

import _review_data as review
from _generate import Copier

EXTRA_ORDERS = 50_000_000  # ids of the extra orders and their lines: enrollment × 4 + k, above the paid ones
FRESH = 40_000_000  # progress and ledger ids below this are the last load's (set_apart moves them above it)


def link_courses(catalog: review.Catalog) -> list[int]:
    """Every class offers the 12 courses; returns the 公共课 ids (assigned to every learner)."""
    from jxjy.catalog.models import Course, TrainingClass

    courses = list(Course.objects.order_by("pk"))
    for training_class in TrainingClass.objects.filter(pk__in=catalog.classes.values()):
        training_class.courses.add(*courses)
    return [c.pk for c in courses if c.category == "public"]


def load_learners(learners: list, catalog: review.Catalog, public: list[int], staff_id: int) -> dict:
    """The review data's people and year of study for `learners`, then this bench's own rows for them."""
    durations = [d for _pk, d, _c, _h in catalog.coursewares]

    def plan(learner):
        rng = random.Random(learner.uid * 1_000_003 + 11)
        past = review.history(learner, rng, durations)
        pos = past[-1].cw + 1 if past else 0
        return past + review.day_sessions(learner, rng, durations, pos)

    counts = review._load_people(learners, catalog)
    counts |= review._load_study(learners, catalog, plan)
    counts.pop("expected entries", None)
    counts["course selections"] = _load_selections(learners, public)
    counts["extra orders"] = _load_orders(learners, catalog)
    counts["declarations"] = _load_declarations(learners, staff_id)
    counts["audit events"] = _load_audit(learners, staff_id)
    return counts


def set_apart(offset: int) -> None:
    """Move the progress and ledger ids just loaded (numbered from 1 by the review loaders, below FRESH) up by
    `offset`, out of the next load's way: the rows stay as they are, under other ids."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE learning_coursewareprogress SET id = id + %s WHERE id < %s", [offset, FRESH])
        cursor.execute(
            "UPDATE credits_creditentry SET id = id + %s,"
            " source_id = 'progress:' || (substring(source_id from 10)::bigint + %s)::text"
            " WHERE source = 'online' AND id < %s",
            [offset, offset, FRESH],
        )


def _load_selections(learners: list, public: list[int]) -> int:
    from jxjy.learning.models import CourseSelection

    copier = Copier(CourseSelection, ["enrollment_id", "course_id"])
    return copier.load(((x.enrollment, course) for x in learners for course in public), serial=False)


def _load_orders(learners: list, catalog: review.Catalog) -> int:
    """Another order for some learners: cancelled, 待支付 (open until the end of the enrollment window) or refunded."""
    from jxjy.orders.models import Order, OrderLine

    start = review.at(review.HISTORY_START, 0)
    fee = Decimal("120.00")
    made = []
    for x in learners:
        r = random.Random(x.uid * 31 + 5).random()
        status = "cancelled" if r < 0.08 else "pending" if r < 0.12 else "refunded" if r < 0.14 else None
        if status:
            pk = EXTRA_ORDERS + x.enrollment * 4
            when = start + timedelta(days=int(r * 3000) % 300, minutes=x.uid % 600)
            made.append((pk, x, status, when))
    columns = ["id", "number", "user_id", "status", "amount", "created_at", "expires_at", "paid_at", "ended_at"]
    rows = (
        (
            pk,
            f"X{pk:012d}",
            x.uid,
            status,
            fee,
            when,
            when + timedelta(days=400),
            when if status == "refunded" else None,
            None if status == "pending" else when + timedelta(days=1),
        )
        for pk, x, status, when in made
    )
    count = Copier(Order, columns).load(rows)
    lines = Copier(OrderLine, ["id", "order_id", "training_class_id", "year", "title", "fee", "hours"])
    lines.load((pk, pk, catalog.classes[x.grade], review.YEAR, "网络班", fee, Decimal("48")) for pk, x, _s, _w in made)
    return count


DECLARATION_STATUSES = ("pending",) * 5 + ("approved",) * 11 + ("rejected",) * 3 + ("withdrawn",)


def _load_declarations(learners: list, staff_id: int) -> int:
    """视同申报 for 15 % of the learners, one or two each, filed over the year; some still 待审核 in every city."""
    from jxjy.catalog.models import TrainingYear
    from jxjy.declarations.models import Declaration

    year = TrainingYear.objects.get(year=review.YEAR).pk
    columns = """user_id year_id kind category title organiser start_date end_date hours_claimed status hours_approved
        reviewed_by_id reviewed_at created_at updated_at"""

    def rows():
        for x in learners:
            rng = random.Random(x.uid * 17 + 3)
            if rng.random() >= 0.15:
                continue
            for k in range(rng.choice((1, 1, 2))):
                day = review.HISTORY_START + timedelta(days=rng.randrange(review.HISTORY_DAYS))
                filed = review.at(day + timedelta(days=7), 540 + rng.randrange(480))
                status = rng.choice(DECLARATION_STATUSES)
                hours = Decimal(rng.choice((8, 12, 16, 24)))
                reviewed = status in ("approved", "rejected")
                yield (
                    x.uid,
                    year,
                    rng.choice(("research", "advanced", "exchange", "other")),
                    rng.choice(("professional", "elective")),
                    f"{review.WORDS[(x.uid + k) % 12]}研修班",
                    f"{x.unit[:2]}市{review.TRADES[x.uid % 12]}协会",
                    day,
                    day + timedelta(days=2),
                    hours,
                    status,
                    hours if status == "approved" else None,
                    staff_id if reviewed else None,
                    filed + timedelta(days=3) if reviewed else None,
                    filed,
                    filed,
                )

    return Copier(Declaration, columns.split()).load(rows(), serial=False)


def _load_audit(learners: list, staff_id: int) -> int:
    """About six events a learner over the year: sign-ins, the order and its payment, the class opened, and now and
    then a city office looking the learner up (an event whose object is the learner's account)."""
    from jxjy.audit.models import AuditRecord

    columns = ["at", "event", "result", "actor_id", "actor_role", "actor_city", "ip", "object_type", "object_id"]

    def rows():
        for x in learners:
            rng = random.Random(x.uid * 13 + 1)
            ip = review.home_ip(x.uid)
            for _ in range(rng.randint(2, 6)):
                when = review.at(review.HISTORY_START + timedelta(days=rng.randrange(review.HISTORY_DAYS)), 480)
                yield (when, "auth.login", "ok", x.uid, "learner", x.city, ip, "", "")
            when = review.at(review.HISTORY_START, rng.randrange(1440))
            yield (when, "order.place", "ok", x.uid, "learner", x.city, ip, "orders.Order", str(x.enrollment))
            yield (when, "enrollment.open", "ok", x.uid, "learner", x.city, ip, "learning.Enrollment", "")
            if rng.random() < 0.05:
                seen = when + timedelta(days=rng.randrange(200))
                yield (
                    seen,
                    "learner.view",
                    "ok",
                    staff_id,
                    "city",
                    x.city,
                    "10.0.0.1",
                    "accounts.User",
                    str(x.uid),
                )

    return Copier(AuditRecord, columns).load(rows(), serial=False)
