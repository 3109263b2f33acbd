"""Benchmark: every learner page and back-office list answers as fast at 200,000 learners as with a first page of
rows (issue 17 item 5: full ≤ 1.2 ×, the same number of queries in every round).

Builds a throw-away PostgreSQL database (`jxjy_pages`, dropped at the end unless --keep) and times the same pages in
three rounds, each in a fresh process, in-process through Django's test Client (force_login; staff past the second
factor as conftest.staff_client does): the median of --rounds requests after warm-up, the lowest of PASSES passes
over the pages, and the queries of one request.

1. empty: the probe alone — one learner of 南京 (欧阳晓晨, a name of one) with the year of study the review bench
   gives every learner (bench/_review_data.py: playback, progress, ledger) and this bench's rows for it
   (bench/_pages_data.py: course selections, audit events, a 待审核 视同申报); the 南京 市工考办, the province, a
   finance desk.
2. page-full: --small learners (8,000) loaded around the probe, so every list's first page is full (南京's 待审核
   claims too, ≈30 of them): a list of one
   row and a list of twenty differ by the rendering of nineteen rows, which is not what the data's size costs.
3. full: the rest loaded with COPY (200,000 learners, ≈3.7 M playback sessions, ≈2 M progress rows and ledger
   entries, ≈40,000 视同申报, ≈1.2 M audit events), VACUUM ANALYZE; the heaviest query of each page (by EXPLAIN
   ANALYZE of every SELECT it sent) is printed with its plan.

Exits non-zero when a page's full time is over 1.2 × its page-full time or its query count differs between rounds.

    .venv/bin/python bench/pages_bench.py [--learners 200000] [--small 8000] [--rounds 25] [--keep]
"""

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _fixtures  # noqa: E402
from _generate import PG_SERVER, create_database, drop_database  # noqa: E402

DB_NAME = "jxjy_pages"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
GOAL = 1.2
WARM_UP = 3
PASSES = 5
STAFF = {"city": ("nanjing", "320100"), "province": ("province", None), "finance": ("finance", None)}
PROBE_NAME = "欧阳晓晨"
ID_FIRST17 = "32010219800101123"  # the probe's ID number without its check character


def setup() -> None:
    """Django on the bench database, production settings (DEBUG off), the test Client's host allowed. A measuring
    child inherits the parent's environment (its keys decrypt what the parent wrote) and its collected static files."""
    child = os.environ.get("PAGES_BENCH_CHILD") == "1"
    if not child:
        _fixtures.configure_environment(tempfile.mkdtemp(prefix="pages-bench-"), f"{PG_SERVER}/{DB_NAME}", REDIS_URL)
        os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    import django

    django.setup()
    if not child:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off renders the hashed names


def id_number() -> str:
    from jxjy.lib.idcard import check_char

    return ID_FIRST17 + check_char(ID_FIRST17)


# --- the probe: one learner and three staff, the same in both rounds --------------------------------------------


def make_staff(username: str, role: str, city=None):
    from django.utils import timezone

    from jxjy.accounts.models import User

    user = User(username=username, name=username, role=role, city_id=city, is_staff=True)
    user.is_superuser = role == "province"
    user.password_changed_at = timezone.now()
    user.set_unusable_password()
    user.save()
    return user


def staff_client(user):
    """Signed in past the second factor the way conftest.staff_client does: a confirmed TOTP device and a session
    verified with it."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="动态码", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def make_probe(learner, catalog, staff_id: int):
    """The probe learner's account as a person has it (ID number, verified mobile) and a 待审核 视同申报 of its own."""
    from decimal import Decimal

    from jxjy.accounts.models import User, id_number_index
    from jxjy.declarations.models import Declaration

    user = User.objects.get(pk=learner.uid)
    user.name = PROBE_NAME  # a name of one: the search finds the probe alone at any size
    user.id_number, user.username = id_number(), id_number_index(id_number())
    user.set_mobile("13900139000")
    user.save()
    Declaration.objects.create(
        user=user,
        year_id=catalog.year_id,
        kind="research",
        title="安全生产研修班",
        organiser="南京市城建协会",
        start_date=date(2026, 5, 6),
        end_date=date(2026, 5, 8),
        hours_claimed=Decimal("16"),
    )
    return user


# --- the pages ------------------------------------------------------------------------------------------------------


def pages(people: dict) -> list[tuple]:
    """(page, who, client, url) for every page measured. The 学员管理 searches are saved by their POST first (an ID
    number never travels in a URL), then the results page is the GET measured."""
    from django.urls import reverse

    from jxjy.learning.models import CoursewareProgress, Enrollment

    learner = people["learner"]
    enrollment = Enrollment.objects.get(user=learner.user)
    progress = CoursewareProgress.objects.filter(enrollment=enrollment).order_by("-credited", "pk").first()
    rows = [
        ("学员中心", "learner", reverse("learning:center")),
        ("班级首页", "learner", reverse("learning:class_home", args=[enrollment.pk])),
        ("在线学习", "learner", reverse("learning:courses", args=[enrollment.pk])),
        ("我的订单", "learner", reverse("orders:list")),
        ("继续教育档案", "learner", reverse("certificates:archive") + "?year=2026"),
        ("学习记录", "learner", reverse("learning:records") + "?year=2026"),
        ("学时明细", "learner", reverse("learning:study_detail", args=[progress.pk])),
    ]
    for who in ("city", "province"):
        client = people[who].client
        search = reverse("office:learners_search")
        by_name = client.post(search, {"name": learner.user.name})["Location"]
        by_id = client.post(search, {"id_number": id_number()})["Location"]
        rows += [
            ("学员管理 · 姓名", who, by_name),
            ("学员管理 · 身份证号", who, by_id),
            ("视同申报审核", who, reverse("office:declarations_list")),
            ("视同申报审核 · 待审核", who, reverse("office:declarations_list") + "?status=pending"),
            ("审计日志", who, reverse("office:audit_log")),
        ]
    rows += [
        ("订单管理", "finance", reverse("office:finance_orders")),
        ("订单管理", "province", reverse("office:finance_orders")),
    ]
    return [(page, who, people[who].client, url) for page, who, url in rows]


class Recorder:
    """Every statement a request sends, with its parameters (a wrapper: the test Client's request_started signal
    empties Django's own query log mid-capture)."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def measure(client, url: str, rounds: int) -> dict:
    """Median server time of `rounds` requests after warm-up, and the queries of one (kept for EXPLAIN)."""
    from django.db import connection

    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.get('Location', '')}")
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        client.get(url)
    times, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return {
        "ms": statistics.median(times),
        "cpu": statistics.median(cpu),
        "queries": len(recorder.statements),
        "sql": recorder.statements,
    }


def heaviest(statements: list) -> tuple[float, list[str]]:
    """The page's slowest SELECT by EXPLAIN ANALYZE's execution time, with its plan lines."""
    from django.db import connection

    worst = (0.0, [])
    with connection.cursor() as cursor:
        for sql, params in statements:
            if not sql.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in sql.upper():
                continue
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            took = next((float(x.split()[-2]) for x in lines if x.startswith("Execution Time")), 0.0)
            if took >= worst[0]:
                worst = (took, lines)
    return worst


# --- the run ----------------------------------------------------------------------------------------------------


class Person:
    def __init__(self, user, client):
        self.user, self.client = user, client


def build_probe() -> tuple:
    """Migrate, the catalogue, the staff and the probe learner (loaded with the same COPY as everybody later)."""
    import _pages_data
    import _review_data as review
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    catalog = review.create_catalog(random.Random(7))
    from jxjy.catalog.models import TrainingYear

    catalog.year_id = TrainingYear.objects.get(year=review.YEAR).pk
    catalog.public = _pages_data.link_courses(catalog)
    return catalog, {who: make_staff(f"bench-{name}", who, city) for who, (name, city) in STAFF.items()}


def load(learners: list, catalog, staff) -> dict:
    import _pages_data

    started = time.perf_counter()
    counts = _pages_data.load_learners(learners, catalog, catalog.public, staff["city"].pk)
    counts["seconds"] = round(time.perf_counter() - started)
    return counts


def round_of(rounds: int, explain: bool) -> dict:
    """In a fresh process (no bench data in its memory to slow the collector): sign the people in, time every page."""
    from django.test import Client

    from jxjy.accounts.models import User, id_number_index

    learner = User.objects.get(username=id_number_index(id_number()))
    client = Client()
    client.force_login(learner)
    people = {"learner": Person(learner, client)}
    for who in ("city", "province", "finance"):
        user = User.objects.get(username=f"bench-{STAFF[who][0]}")
        people[who] = Person(user, staff_client(user))
    listed = pages(people)
    results = [[page, who, measure(client, url, rounds)] for page, who, client, url in listed]
    for _ in range(PASSES - 1):  # more passes: the lowest median (other work on the machine comes and goes)
        for row, (_page, _who, client, url) in zip(results, listed, strict=True):
            again = measure(client, url, rounds)
            row[2]["ms"], row[2]["cpu"] = min(row[2]["ms"], again["ms"]), min(row[2]["cpu"], again["cpu"])
    for page, who, figures in results:
        statements = figures.pop("sql")
        figures["explain"] = heaviest(statements) if explain else None
        print(f"  {page} ({who}): {figures['ms']:.1f} ms, {figures['queries']} queries", file=sys.stderr, flush=True)
    return results


def child(rounds: int, explain: bool) -> dict:
    """Run round_of in a fresh Python with this process's environment; returns {(page, who): figures}."""
    args = [sys.executable, __file__, "--measure", "--rounds", str(rounds)] + (["--explain"] if explain else [])
    env = dict(os.environ, PAGES_BENCH_CHILD="1")
    done = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True, env=env)
    return {(page, who): figures for page, who, figures in json.loads(done.stdout.strip().splitlines()[-1])}


def report(empty: dict, small: dict, full: dict, counts: dict, args) -> bool:
    """The table (goal: full ≤ GOAL × page-full, the same queries in all three) and each page's heaviest plan."""
    ok = True
    print()
    print(f"Pages flat at {args.learners:,} learners — {date.today()}, {platform.node()}, {os.cpu_count()} cores")
    print("  full data: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(
        f"  median of {args.rounds} requests after {WARM_UP} warm-up, the lowest of {PASSES} passes over the pages;"
        " in-process (Django test Client, DEBUG off); app CPU: the Django process's CPU time (median)"
    )
    print(f"  empty: the probe and the staff only; page-full: {args.small:,} learners (every list's first page full)")
    print()
    print("| page | who | empty ms | page-full ms | full ms | full / page-full | full / empty | app CPU ms | queries |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, before in empty.items():
        middle, after = small[key], full[key]
        ratio = after["ms"] / middle["ms"]
        same = before["queries"] == middle["queries"] == after["queries"]
        flag = "" if ratio <= GOAL and same else " ✗"
        ok &= not flag
        queries = f"{after['queries']}" if same else f"{before['queries']}/{middle['queries']}/{after['queries']}"
        print(
            f"| {key[0]} | {key[1]} | {before['ms']:.1f} | {middle['ms']:.1f} | {after['ms']:.1f} | {ratio:.2f} |"
            f" {after['ms'] / before['ms']:.2f} | {middle['cpu']:.1f} → {after['cpu']:.1f} | {queries} |{flag}"
        )
    print()
    for (page, who), figures in full.items():
        took, lines = figures["explain"]
        print(f"--- {page} ({who}): heaviest query {took:.2f} ms")
        for line in lines:
            print("    " + line)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--small", type=int, default=8000, help="learners of the page-full database")
    parser.add_argument("--keep", action="store_true", help="keep the database (jxjy_pages) at the end")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the measuring child
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        setup()
        print(json.dumps(round_of(args.rounds, args.explain)))
        return 0
    create_database(DB_NAME)
    setup()
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(DB_NAME)


def run(args) -> int:
    import _pages_data
    import _review_data as review

    catalog, staff = build_probe()
    everyone = review.population(args.learners, staff["finance"].pk + 1, random.Random(7))
    for i, learner in enumerate(everyone, 1):
        learner.enrollment = i
    load(everyone[:1], catalog, staff)
    _pages_data.set_apart(90_000_000)
    make_probe(everyone[0], catalog, staff["city"].pk)
    vacuum()
    print("empty database (the probe and the staff only):", flush=True)
    empty = child(args.rounds, explain=False)
    print(f"page-full database ({args.small:,} learners):", flush=True)
    load(everyone[1 : args.small], catalog, staff)
    _pages_data.set_apart(60_000_000)
    vacuum()
    small = child(args.rounds, explain=False)
    print(f"loading the other {args.learners - args.small:,} learners …", flush=True)
    counts = load(everyone[args.small :], catalog, staff)
    del everyone
    counts["vacuum seconds"] = vacuum()
    print("full database:", flush=True)
    full = child(args.rounds, explain=True)
    return 0 if report(empty, small, full, counts, args) else 1


def vacuum() -> int:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return round(time.perf_counter() - started)


if __name__ == "__main__":
    sys.exit(main())
