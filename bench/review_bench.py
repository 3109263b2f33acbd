"""Benchmark of the nightly 学习异常 scan (jxjy.review.scan.scan_day) on 200,000 learners: under 5 minutes, memory
bounded.

Builds a throw-away PostgreSQL database (`jxjy_review_bench`, dropped at the end unless --keep) with a year of study
(bench/_review_data.py: ≈3.7 M playback sessions, ≈2 M progress rows, ledger entries and exam answers; the scanned day
dense with ≈100,000 sessions and ≈20,000 graded exam attempts of 50 answers each) and planted anomalies of every rule
with their honest twins. Then, each in a fresh process, scans that day twice: wall time in total and per rule, peak
RSS, the number of queries; after the first run, every planted anomaly must be flagged (recall) and no honest twin
(false flags); the second run must find nothing new. The same at 50,000 learners (`jxjy_review_bench_small`) shows
whether memory grows with the learners. Exits non-zero when a scan takes 5 minutes or more, or a check fails.

    .venv/bin/python bench/review_bench.py [--learners 200000] [--small 50000] [--keep] [--reuse]

--reuse keeps an existing database of the same size (implies --keep): iterate on the rules without regenerating.
"""

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import _fixtures  # noqa: E402
from _generate import PG_SERVER, create_database, database_exists, drop_database  # noqa: E402

DB_NAME = "jxjy_review_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
LIMIT = 300.0  # seconds: the nightly job must finish well inside its window (--limit to check the check)


def setup(db_name: str) -> None:
    """Django on the bench database, production settings (DEBUG off)."""
    _fixtures.configure_environment(tempfile.mkdtemp(prefix="review-bench-"), f"{PG_SERVER}/{db_name}", REDIS_URL)
    import django

    django.setup()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- in a fresh process: generate, or scan ---------------------------------------------------------------------


def generate(db_name: str, learners: int) -> None:
    create_database(db_name)
    setup(db_name)
    import _review_data
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    counts = _review_data.create_data(learners)
    counts["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(counts))


class Meter(logging.Handler):
    """Counts the queries the scan sends (a wrapper, not Django's debug cursor: no query text is kept) and stamps
    each rule's end from the scan's own log line: `review scan <day> <rule>: <n> new in <s> s`."""

    def __init__(self):
        super().__init__()
        self.queries = 0
        self.rules = []
        self.mark = (time.perf_counter(), 0)

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        return execute(sql, params, many, context)

    def emit(self, record: logging.LogRecord) -> None:
        now = time.perf_counter()
        _day, rule, new, _seconds = record.args
        self.rules.append(
            {
                "rule": rule,
                "new": new,
                "seconds": now - self.mark[0],
                "queries": self.queries - self.mark[1],
                "peak_mib": rss_mib(),
            }
        )
        self.mark = (now, self.queries)


def scan(db_name: str, day: date, first: bool) -> None:
    """One scan of `day` as the nightly job runs it; prints the figures (and, after the first, the checks)."""
    setup(db_name)
    from django.db import connection

    from jxjy.review import scan as review_scan
    from jxjy.review.models import Anomaly

    if first:
        Anomaly.objects.all().delete()
    connection.ensure_connection()
    baseline = rss_mib()
    meter = Meter()
    log = logging.getLogger(review_scan.__name__)
    log.setLevel(logging.INFO)
    log.addHandler(meter)
    log.propagate = False
    meter.mark = (time.perf_counter(), 0)
    started = time.perf_counter()
    with connection.execute_wrapper(meter):
        found = review_scan.scan_day(day)
    total = time.perf_counter() - started
    result = {
        "seconds": total,
        "queries": meter.queries,
        "new": sum(found.values()),
        "rules": meter.rules,
        "baseline_mib": baseline,
        "peak_mib": rss_mib(),
    }
    if first:
        result["checks"] = check(day)
    print(json.dumps(result))


def check(day: date) -> dict:
    """Per rule: planted learners flagged (with the ledger entries / attempts expected), honest twins flagged, flags
    on ordinary learners (a unit's busy network, shown not judged)."""
    from django.db import connection

    from jxjy.review.models import Anomaly

    with connection.cursor() as cursor:
        cursor.execute("SELECT rule, user_id, role, label, entries, attempts FROM bench_review_plant")
        plants = cursor.fetchall()
    flags = {}
    for rule, user_id, entries, attempts in Anomaly.objects.filter(day=day).values_list(
        "rule", "user_id", "entries", "attempts"
    ):
        flags.setdefault((rule, user_id), (set(), set()))
        flags[rule, user_id][0].update(entries)
        flags[rule, user_id][1].update(attempts)
    known = {user_id for _r, user_id, *_ in plants}
    out = {}
    for rule, user_id, role, label, entries, attempts in plants:
        entries, attempts = (json.loads(v) if isinstance(v, str) else v for v in (entries, attempts))
        row = out.setdefault(
            rule,
            {
                "planted": 0,
                "flagged": 0,
                "evidence_ok": 0,
                "twins": 0,
                "twins_flagged": 0,
                "missed": [],
                "false": [],
                "ordinary": 0,
            },
        )
        flagged = (rule, user_id) in flags
        if role == "planted":
            row["planted"] += 1
            row["flagged"] += flagged
            if not flagged:
                row["missed"].append(label)
            elif flags[rule, user_id] == (set(entries), set(attempts)):
                row["evidence_ok"] += 1
        else:
            row["twins"] += 1
            row["twins_flagged"] += flagged
            if flagged:
                row["false"].append(label)
    for rule, user_id in flags:
        if user_id not in known:
            out.setdefault(rule, {"ordinary": 0})["ordinary"] += 1
    for row in out.values():
        row["missed"], row["false"] = sorted(set(row.get("missed", []))), sorted(set(row.get("false", [])))
    return out


# --- the orchestration ------------------------------------------------------------------------------------------


def child(*args: str) -> dict:
    """Run this file in a fresh Python (its own memory, its own connection); returns the JSON it printed last."""
    done = subprocess.run([sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(db_name: str, learners: int, reuse: bool) -> dict:
    """Generate (unless reusing a database of this size), then two scans of the day, each in a fresh process."""
    from _review_data import DAY

    counts = None
    if reuse and database_exists(db_name):
        counts = stored_counts(db_name, learners)
    if counts is None:
        counts = child("--generate", db_name, str(learners))
        print(
            f"{learners:,} learners generated in {counts['seconds']} s: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items() if k != "seconds"),
            flush=True,
        )
    first = child("--scan", db_name, DAY.isoformat(), "--first")
    second = child("--scan", db_name, DAY.isoformat())
    return {"learners": learners, "counts": counts, "first": first, "second": second}


def stored_counts(db_name: str, learners: int) -> dict | None:
    import psycopg

    try:
        with psycopg.connect(f"{PG_SERVER}/{db_name}") as conn:
            row = conn.execute("SELECT learners, counts FROM bench_review_meta").fetchone()
    except psycopg.Error:
        return None
    return row[1] if row and row[0] == learners else None


def report(runs: list[dict], limit: float) -> list[str]:
    """Print the table; returns what failed."""
    failures = []
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, PostgreSQL, DEBUG=0, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    for run in runs:
        n, c, first, second = run["learners"], run["counts"], run["first"], run["second"]
        print(
            f"\n{n:,} learners — day: {c['sessions on the day']:,} sessions, {c['attempts on the day']:,} attempts; "
            f"table: {c['playback sessions']:,} sessions, {c['ledger entries']:,} ledger entries, "
            f"{c['exam answers']:,} answers"
        )
        print(
            f"{'rule':16} {'new':>6} {'time':>8} {'queries':>8} {'peak RSS':>9}  {'recall':>7} {'twins':>7}"
            f" {'evidence':>8} {'ordinary':>8}"
        )
        checks = first["checks"]
        for r in first["rules"]:
            k = checks.get(r["rule"], {})
            recall = f"{k.get('flagged', 0)}/{k.get('planted', 0)}"
            twins = f"{k.get('twins_flagged', 0)}/{k.get('twins', 0)}"
            evidence = f"{k.get('evidence_ok', 0)}/{k.get('flagged', 0)}"
            print(
                f"{r['rule']:16} {r['new']:6d} {r['seconds']:6.1f} s {r['queries']:8d} {r['peak_mib']:5.0f} MiB"
                f"  {recall:>7} {twins:>7} {evidence:>8} {k.get('ordinary', 0):8d}"
            )
            if k.get("missed") or k.get("false"):
                print(f"{'':16} missed: {k.get('missed')}, falsely flagged: {k.get('false')}")
                failures.append(f"{n:,}: {r['rule']} missed {k.get('missed')} / false {k.get('false')}")
        print(
            f"{'scan, run 1':16} {first['new']:6d} {first['seconds']:6.1f} s {first['queries']:8d} "
            f"{first['peak_mib']:5.0f} MiB  (process before the scan: {first['baseline_mib']:.0f} MiB)"
        )
        print(
            f"{'scan, run 2':16} {second['new']:6d} {second['seconds']:6.1f} s {second['queries']:8d} "
            f"{second['peak_mib']:5.0f} MiB  (process before the scan: {second['baseline_mib']:.0f} MiB)"
        )
        for label, figures in (("run 1", first), ("run 2", second)):
            if figures["seconds"] >= limit:
                failures.append(f"{n:,}: {label} took {figures['seconds']:.0f} s (limit {limit:.0f} s)")
        if second["new"]:
            failures.append(f"{n:,}: the second run flagged {second['new']} new")
    growth = [f"+{r['first']['peak_mib'] - r['first']['baseline_mib']:.0f} MiB at {r['learners']:,}" for r in runs]
    print(f"\nmemory the scan took (peak RSS over the process before it), by learners: {', '.join(growth)}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=50_000, help="a second, smaller run (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse databases of the same size (implies --keep)")
    parser.add_argument("--limit", type=float, default=LIMIT, help="seconds a scan may take")
    args = parser.parse_args()
    sizes = [(DB_NAME, args.learners)] + ([(f"{DB_NAME}_small", args.small)] if args.small else [])
    runs = []
    try:
        for db_name, learners in sizes:
            runs.append(measure(db_name, learners, args.reuse))
    finally:
        if not (args.keep or args.reuse):
            for db_name, _ in sizes:
                drop_database(db_name)
    failures = report(runs, args.limit)
    for failure in failures:
        print(f"FAILED {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        generate(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["--scan"]:
        scan(sys.argv[2], date.fromisoformat(sys.argv[3]), first="--first" in sys.argv)
    else:
        main()
