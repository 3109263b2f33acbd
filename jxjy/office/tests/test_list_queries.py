"""The back office's long lists read the same number of queries with 2 rows or 25 (issue 17: pages flat at 200,000
learners) — 学员管理 by name and by ID number, 视同申报审核, 订单管理, 审计日志 — for a 市工考办 and for the province
(订单管理: the finance desk and the province). A query per row (an N+1) makes the second count larger. The indexes
these lists need are in the migrations: dropping one fails here."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import timezone

from conftest import make_learner, staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.declarations.models import Attachment, Declaration
from jxjy.orders.models import Order, OrderLine
from jxjy.testing.queries import queries

pytestmark = pytest.mark.django_db
SEARCH = reverse("office:learners_search")


def assert_flat(client, url, grow, few=2, many=25):
    grow(few)
    queries(client, url)  # warm: a first visit may fill a cache once
    before = queries(client, url)
    grow(many)
    assert queries(client, url) == before


def learners(n, city="320100"):
    """Learners 张伟0 … of `city` up to n of them (their ID numbers differ by the sequence digits)."""
    have = User.objects.filter(name__startswith="张伟", city_id=city).count()
    prefix = {"320100": "320102", "320500": "320502"}[city]
    return [make_learner(f"张伟{k}", f"{prefix}19900101{k:03d}", city=city) for k in range(have, n)]


@pytest.fixture(params=["city", "province"])
def office(request, nanjing_reviewer, province_admin):
    return staff_client(nanjing_reviewer if request.param == "city" else province_admin)


def test_learner_search_by_name(office):
    learners(1)
    location = office.post(SEARCH, {"name": "张伟"})["Location"]
    assert_flat(office, location, learners)


def test_learner_search_by_id_number(office):
    first = learners(1)[0]
    location = office.post(SEARCH, {"id_number": first.id_number})["Location"]
    assert_flat(office, location, learners)


def test_declarations_review(office, catalog):
    def grow(n):
        for user in learners(n):
            claim = Declaration.objects.create(
                user=user,
                year=catalog[(2026, "L4")].year,
                kind="research",
                title=f"研修班{user.pk}",
                organiser="江苏省机关事务管理局",
                start_date=date(2026, 10, 12),
                end_date=date(2026, 10, 13),
                hours_claimed=Decimal("12"),
            )
            Attachment.objects.create(
                declaration=claim,
                file="x.pdf",
                original_name="结业证书.pdf",
                content_type="application/pdf",
                size=10,
                sha256=f"{user.pk:064d}",
                page_sha256=f"{user.pk + 1:064d}",
            )

    url = reverse("office:declarations_list")
    assert_flat(office, url, grow)
    assert_flat(office, url + "?status=pending", grow, 25, 30)


@pytest.fixture(params=["finance", "province"])
def finance_desk(request, finance_user, province_admin):
    return staff_client(finance_user if request.param == "finance" else province_admin)


def test_orders(finance_desk, catalog):
    training_class = catalog[(2026, "L4")]

    def grow(n):
        for user in learners(n):
            now = timezone.now()
            order = Order.objects.create(user=user, status="paid", amount=Decimal("120"), expires_at=now, paid_at=now)
            for _ in range(3):  # a unit's order: several lines, of which the list shows two and "等 3 人/班"
                OrderLine.objects.create(
                    order=order,
                    training_class=training_class,
                    year=2026,
                    title=training_class.title,
                    fee=Decimal("40"),
                    hours=Decimal("48"),
                )

    assert_flat(finance_desk, reverse("office:finance_orders"), grow)
    html = finance_desk.get(reverse("office:finance_orders")).content.decode()
    assert "等 3 人/班" in html


def test_audit_log(office, suzhou_reviewer):
    def grow(n):
        for user in learners(n):
            AuditRecord.objects.create(event=Event.LOGIN, actor=user, actor_role="learner", actor_city="320100")
            AuditRecord.objects.create(  # a record whose object is the learner, written by another city
                event=Event.LEARNER_VIEW,
                actor=suzhou_reviewer,
                actor_role="city",
                actor_city="320500",
                object_type="accounts.User",
                object_id=str(user.pk),
            )

    assert_flat(office, reverse("office:audit_log"), grow, 2, 40)


def test_the_declarations_newest_first_index_is_in_the_migrations():
    state = MigrationLoader(None, ignore_no_migrations=True).project_state()
    indexes = state.models["declarations", "declaration"].options["indexes"]
    newest = next(index for index in indexes if index.name == "declaration_newest")
    assert newest.fields == ["-created_at", "-id"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a trigram index exists on PostgreSQL only")
def test_the_name_search_has_its_trigram_index_on_postgresql():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_user")
    trigram = constraints.get("accounts_user_name_trgm")
    assert trigram is not None and trigram["columns"] == ["name"] and trigram["type"] == "gin"


def test_a_long_audit_log_is_counted_one_page_ahead(province_admin, alice):
    AuditRecord.objects.bulk_create(
        [AuditRecord(event=Event.LOGIN, actor=alice, actor_role="learner", actor_city="320100") for _ in range(130)]
    )
    office = staff_client(province_admin)
    html = office.get(reverse("office:audit_log")).content.decode()
    assert "超过 100 条" in html and "第 1 / 3+ 页" in html
    html = office.get(reverse("office:audit_log"), {"page": 3}).content.decode()
    assert "第 3 / 3 页" in html and "page=2" in html
