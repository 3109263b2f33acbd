"""Benchmark of the year report (统计报表) on a large year: 200,000 learners by default.

Creates a throw-away PostgreSQL database (`jxjy_reports_bench`, dropped at the end unless --keep), migrates it,
and loads a year's worth of data with COPY: learners across the 13 cities and 6 grades, their orders and order
lines, enrollments, hours-ledger entries, graded exam attempts, certificates, 视同申报 and 面授班 bookings.
Then renders `/office/reports/` through the full Django stack (test client, DEBUG=0) as the province and as
a city office, and the Excel export, and prints the time and query count of each.

    .venv/bin/python bench/reports_bench.py [--learners 200000] [--runs 3] [--keep]
"""

import argparse
import base64
import itertools
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _generate import PG_SERVER, Copier, create_database, drop_database  # noqa: E402

DB_NAME = "jxjy_reports_bench"
YEAR = 2026


def configure_environment(var_dir: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jxjy.settings",
            "DEBUG": "0",
            "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "VAR_DIR": var_dir,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
            "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
            "CERTIFICATE_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
    )
    os.environ.pop("REDIS_URL", None)  # the report reads no cache; database sessions keep the run self-contained


def create_data(n: int) -> dict:
    """A deterministic large year. Returns how many rows of each kind were loaded."""
    from django.utils import timezone

    from jxjy.accounts.models import City, Grade
    from jxjy.catalog.models import TrainingClass, TrainingYear
    from jxjy.certificates.models import Certificate
    from jxjy.credits.models import CreditEntry
    from jxjy.declarations.models import Declaration
    from jxjy.exams.models import ExamAttempt
    from jxjy.facetoface.models import FaceToFaceBooking, FaceToFaceClass
    from jxjy.learning.models import Enrollment
    from jxjy.orders.models import Order, OrderLine

    rng = random.Random(7)
    now = timezone.now()
    cities = list(City.objects.values_list("code", flat=True))
    grades = [g for g, _ in Grade.choices]
    year = TrainingYear.objects.create(year=YEAR)
    classes = {}
    for grade in grades:
        classes[grade] = TrainingClass.objects.create(
            year=year, grade=grade, title=f"{YEAR}年度网络班（{grade}）", fee=Decimal("120.00"),
            enroll_start=now - timedelta(days=200), enroll_end=now + timedelta(days=30),
            study_deadline=now + timedelta(days=60),
        )  # fmt: skip
    f2f = {}
    for city in cities:
        f2f[city] = FaceToFaceClass.objects.create(
            year=year, city_id=city, title="面授班", venue="培训中心", start_date=now.date(), end_date=now.date(),
            capacity=100000, public_hours=Decimal("8"), professional_hours=Decimal("8"), elective_hours=Decimal("0"),
        )  # fmt: skip

    from jxjy.accounts.models import User

    password = "!"  # an unusable password: nobody signs in as them
    learners = []  # (id, city, grade)
    users = Copier(User, ["id", "username", "password", "name", "role", "city_id", "grade", "date_joined"])
    start_id = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    def user_rows():
        for i in range(n):
            uid = start_id + i
            city, grade = cities[i % len(cities)], grades[(i // 7) % len(grades)]
            learners.append((uid, city, grade))
            yield (uid, f"bench{i:07d}", password, f"学员{i}", "learner", city, grade, now)

    counts = {"learners": users.load(user_rows())}

    orders = Copier(Order, ["id", "number", "user_id", "status", "amount", "created_at", "expires_at", "paid_at"])
    lines = Copier(OrderLine, ["id", "order_id", "training_class_id", "year", "title", "fee", "hours"])
    enrollments = Copier(Enrollment, ["id", "user_id", "training_class_id", "order_line_id", "status", "opened_at"])
    plan = []  # (user id, city, grade, order status)
    for uid, city, grade in learners:
        r = rng.random()
        if r < 0.05:
            continue  # never ordered
        status = "pending" if r < 0.09 else "refunded" if r < 0.11 else "paid"
        plan.append((uid, city, grade, status))
    fee = Decimal("120.00")
    counts["orders"] = orders.load(
        (k, f"B{k:012d}", uid, status, fee, now - timedelta(days=30), now - timedelta(days=29),
         None if status == "pending" else now - timedelta(days=30))
        for k, (uid, _c, _g, status) in enumerate(plan, 1)
    )  # fmt: skip
    counts["order lines"] = lines.load(
        (k, k, classes[grade].pk, YEAR, classes[grade].title, fee, Decimal("48")) for k, (_u, _c, grade, _s) in
        enumerate(plan, 1)
    )  # fmt: skip
    enrolled = [(k, uid, grade, status) for k, (uid, _c, grade, status) in enumerate(plan, 1) if status != "pending"]
    counts["enrollments"] = enrollments.load(
        (k, uid, classes[grade].pk, k, "refunded" if status == "refunded" else "learning", now - timedelta(days=30))
        for k, uid, grade, status in enrolled
    )

    ledger = Copier(CreditEntry, ["user_id", "year", "category", "hours", "source", "source_id", "created_at"])
    ids = itertools.count(1)
    attempts, certificates = [], []

    def ledger_rows():
        for k, uid, _grade, status in enrolled:
            if status == "refunded":
                continue
            share = rng.choice((0, 0.2, 0.5, 0.8, 1, 1, 1))
            for category, required in (("public", 16), ("professional", 24), ("elective", 8)):
                hours = Decimal(str(round(required * share, 1)))
                if hours:
                    yield (uid, YEAR, category, hours, "online", f"bench-{next(ids)}", now)
            if share == 1:
                score = rng.choice((50, 70, 80, 90, 95))
                attempts.append((k, uid, score))
                if score >= 60:
                    certificates.append((k, uid))

    counts["ledger entries"] = ledger.load(ledger_rows())
    exam = Copier(ExamAttempt, ["enrollment_id", "user_id", "number", "status", "paper", "started_at", "deadline",
                                "submitted_at", "score", "passed"])  # fmt: skip
    counts["exam attempts"] = exam.load(
        (k, uid, 1, "graded", "[]", now, now + timedelta(minutes=30), now, score, score >= 60)
        for k, uid, score in attempts
    )
    certs = Copier(Certificate, ["user_id", "year", "enrollment_id", "number", "token", "check_code", "content",
                                 "signature", "status", "issued_at"])  # fmt: skip
    counts["certificates"] = certs.load(
        (uid, YEAR, k, f"C{YEAR}{i:08d}", f"t{i}", "ABCD", "{}", "x", "issued", now)
        for i, (k, uid) in enumerate(certificates, 1)
    )
    declarations = Copier(Declaration, ["user_id", "year_id", "kind", "category", "title", "organiser", "start_date",
                                        "end_date", "hours_claimed", "status", "hours_approved", "created_at",
                                        "updated_at"])  # fmt: skip
    sample = rng.sample(learners, n // 10)
    counts["declarations"] = declarations.load(
        (uid, YEAR, "research", "professional", "研修", "主办", now.date(), now.date(), Decimal("6"),
         (status := rng.choice(("pending", "approved", "approved", "rejected"))),
         Decimal("6") if status == "approved" else None, now, now)
        for uid, _c, _g in sample
    )  # fmt: skip
    bookings = Copier(FaceToFaceBooking, ["face_class_id", "user_id", "status", "created_at", "booked_at"])
    counts["面授 bookings"] = bookings.load(
        (f2f[city].pk, uid, rng.choice(("booked", "attended", "attended", "absent")), now, now)
        for uid, city, _g in rng.sample(learners, n // 20)
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


# --- the measurement ----------------------------------------------------------------------------------------


def staff(username, role, city=None):
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jxjy.accounts.models import User

    user = User.objects.create(username=username, name=username, role=role, city_id=city, is_staff=True,
                               password_changed_at=timezone.now())  # fmt: skip
    device = TOTPDevice.objects.create(user=user, name="动态码", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure(client, path, params, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    client.get(path, params)  # warm up: templates compiled, connection open
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, params)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries = len(captured.captured_queries)
    return statistics.median(times), min(times), queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="reports-bench-")
    configure_environment(var_dir)
    create_database(DB_NAME)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        # No collectstatic here: plain static URLs instead of the production manifest.
        settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        counts = create_data(args.learners)
        print(f"loaded in {time.perf_counter() - started:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, PostgreSQL, DEBUG=0\n")
        province = staff("bench-province", "province")
        nanjing = staff("bench-nanjing", "city", "320100")
        print(f"{'request':48} {'median':>8} {'best':>8} {'queries':>8}")
        for label, client, path, params in (
            ("GET /office/reports/ province, all cities", province, "/office/reports/", {"year": YEAR}),
            ("GET /office/reports/ province, one grade", province, "/office/reports/", {"year": YEAR, "grade": "L4"}),
            ("GET /office/reports/ 南京 city office", nanjing, "/office/reports/", {"year": YEAR}),
            ("GET /office/reports/export/ province (Excel)", province, "/office/reports/export/", {"year": YEAR}),
        ):
            median, best, queries = measure(client, path, params, args.runs)
            print(f"{label:48} {median * 1000:6.0f} ms {best * 1000:5.0f} ms {queries:8d}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(DB_NAME)


if __name__ == "__main__":
    main()
