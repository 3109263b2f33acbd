"""The year-end rush: signed-in learners' mixed load at a fixed arrival rate for ten minutes (issue 17, item 4).

    .venv/bin/python bench/rush.py [--minutes 10] [--rate 80] [--warmup 30] [--payments-per-minute 6]

Starts and stops everything production runs, on this machine: gunicorn with deploy/gunicorn.conf.py (2 sync workers,
DEBUG=0), a Celery worker and Celery beat (the playback flush every HEARTBEAT_FLUSH_SECONDS), PostgreSQL (database
`jxjy_rush`, created, migrated and dropped) and Redis (database 14 of the server on 127.0.0.1:6379, flushed), with
DEV_TOOLS=1 for the 模拟银行 alone (the payment gateway of development; DEBUG stays off; the captcha package warns
that DEV_TOOLS puts it in test mode: nobody signs in through the form here).

The load (bench/_rush_client.py, an open model: asyncio + aiohttp sending each request when it is due, answered
or not, latency counted from the due time — the equivalent of Locust with a constant arrival rate, without
installing it): learners watching a video, each with an honest heartbeat every HEARTBEAT_INTERVAL seconds (≈ 80 %
of the rate), and between them 学员中心, 班级首页, 在线学习, the player page, 我的订单, practice answers (显示答案, the
practice page's script), exam autosaves (learners with an attempt in progress), and `--payments-per-minute`
payments through the 模拟银行, each 去支付 and 支付成功, the bank's signed notification then sent by the Celery
worker to the platform as a real bank's would.

Report: errors by kind (goal 0), p50/p99 per kind, gunicorn worker RSS after the warm-up and at the end (goal:
growth ≤ 10 %; max_requests recycling is off for the run so one worker is measured throughout), Celery worker RSS,
and the flush's lag, sampled every `--lag-every` seconds: the dirty set's size and the age of the oldest playback
state in Redis not yet in PostgreSQL (a learner's state, stamped with the time of the heartbeat that made it, is
unwritten while its credited time exceeds the PostgreSQL row's), against the goal ≤ 2 × HEARTBEAT_FLUSH_SECONDS.
Once the last flush has run: every learner's credited time in PostgreSQL equals Redis's and the heartbeats'
answers', and every order paid at the bank is 已支付 through its notification. Exits 1 if any goal is missed.
"""

import argparse
import asyncio
import math
import os
import secrets
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fixtures  # noqa: E402
import _flush_lag  # noqa: E402
import _rush_client as mix  # noqa: E402
import _server  # noqa: E402
import steady_client as base  # noqa: E402
import steady_load as stack  # noqa: E402

DB_NAME = "jxjy_rush"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
DURATION = 7200.0  # seconds of the one courseware: its pop-up questions sit past 15 % (1,080 s), beyond any run
SITTERS = 40  # learners with an exam attempt in progress
PAID_WAIT = 60  # seconds at most for the bank's notifications to pay every order after the load
RSS_TARGET = 10.0  # % growth of a worker from after the warm-up to the end


def create_cast(args, interval: int) -> mix.Cast:
    """The class with an exam's worth of questions; the watchers (each with a practice begun), the exam sitters and
    the payers (an unpaid order each), all signed in (bench/_fixtures.py)."""
    from jxjy.catalog.models import Courseware

    class_id = _fixtures.create_class(DURATION)
    _fixtures.add_questions(single=20, multiple=10, judge=10)
    courseware = Courseware.objects.get().pk
    watchers = max(1, round(args.rate * args.beat_share * interval))
    enrolled = _fixtures.enrolled_learners(class_id, 0, watchers + SITTERS)
    learners = [base.Learner(u.pk, e, courseware, *_fixtures.signed_in(u)) for u, e in enrolled]
    cast = mix.Cast(
        learners[:watchers], {x.enrollment_id: _fixtures.start_practice(x.enrollment_id) for x in learners[:watchers]}
    )
    cast.sitters = [mix.Sitter(x, *_fixtures.open_exam(x.enrollment_id)) for x in learners[watchers:]]
    payments = math.ceil(args.payments_per_minute * (args.minutes + args.warmup / 60)) + 1
    cast.payers = [
        mix.Payer(base.Learner(u.pk, 0, courseware, *_fixtures.signed_in(u)), number)
        for u, number in _fixtures.unpaid_learners(class_id, 100_000, payments)
    ]
    return cast


def wait_for_payments(numbers: list[str]) -> tuple[int, float]:
    """Wait for the bank's notifications (sent by the Celery worker) to pay the orders: (paid, seconds waited)."""
    from jxjy.orders.models import Order, OrderStatus

    began = time.monotonic()
    while True:
        paid = Order.objects.filter(number__in=numbers, status=OrderStatus.PAID).count()
        if paid == len(numbers) or time.monotonic() - began > PAID_WAIT:
            return paid, time.monotonic() - began
        time.sleep(1)


def credit_check(watchers: list) -> tuple:
    """(PostgreSQL, Redis, answers) credited seconds summed over the watchers; learners whose PostgreSQL and Redis
    figures differ (they must not, once flushed); the largest gap between PostgreSQL and the answers (which round
    each beat's credit to 0.01 s)."""
    import json

    import redis
    from django.conf import settings
    from django.db.models import Sum

    from jxjy.learning.models import CoursewareProgress

    prefix = settings.HEARTBEAT_STATE_PREFIX
    client = redis.Redis.from_url(REDIS_URL)
    raws = client.mget([f"{prefix}u:{x.user_id}" for x in watchers])
    client.close()
    in_pg = dict(CoursewareProgress.objects.values_list("enrollment_id").annotate(total=Sum("credited")))
    totals, differ, gap = [0.0, 0.0, 0.0], 0, 0.0
    for x, raw in zip(watchers, raws, strict=True):
        values = (in_pg.get(x.enrollment_id, 0.0), json.loads(raw)["cr"] if raw else 0.0, x.credited)
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        differ += abs(values[0] - values[1]) > 1e-6
        gap = max(gap, abs(values[0] - values[2]))
    return *totals, differ, gap


def print_requests(run) -> int:
    """The table of request kinds (measured phase; errors of the warm-up too); returns the errors."""
    print(f"\n  {stack.pad('kind', 48)} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    measured = {kind: s for (phase, kind), s in run.stats.items() if phase == "measure"}
    errors = 0
    for kind in sorted(measured, key=lambda k: (k != mix.BEAT, k)):
        s, values = measured[kind], sorted(measured[kind].latencies)
        warm = run.stats.get(("warmup", kind), base.Stats()).errors
        errors += s.errors + warm
        print(
            f"  {stack.pad(kind, 48)} {s.requests:>9,} {s.errors + warm:>7,} "
            f"{stack.percentile(values, 0.5) * 1000:>8.1f} {stack.percentile(values, 0.99) * 1000:>8.1f} "
            f"{(values[-1] if values else 0) * 1000:>8.1f}"
        )
    statuses = sum((s.statuses for s in run.stats.values()), start=base.Stats().statuses)
    failures = sum((s.failures for s in run.stats.values()), start=base.Stats().failures)
    print(
        f"  answers (warm-up and measured; 0 = a 2xx/3xx that was not the expected answer): "
        f"{dict(sorted(statuses.items()))}{f', no answer: {dict(failures)}' if failures else ''}; errors {errors}"
    )
    return errors


def report(args, run, watch, sampler, load_span, cast, facts) -> bool:
    """Print the figures; True if every goal was met."""
    from django.conf import settings

    flush = settings.HEARTBEAT_FLUSH_SECONDS
    print(f"\nThe year-end rush, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {facts['command']}")
    print(
        f"machine: {os.cpu_count()} cores, {facts['background'] * 100:.0f} % busy with other work before the load; "
        f"gunicorn -c deploy/gunicorn.conf.py, {args.workers} sync workers, DEBUG=0, max_requests off; Celery worker "
        f"(--concurrency=2) + beat (flush every {flush} s); PostgreSQL; Redis db 14"
    )
    lag = sorted(run.dispatch_lag)
    print(
        f"rate: {args.rate:g} req/s ({len(cast.watchers)} watchers × 1 heartbeat / {facts['interval']} s, "
        f"{len(cast.sitters)} exam sitters, {args.payments_per_minute:g} payments/min), achieved "
        f"{run.achieved_rate:.2f} req/s over {args.minutes:g} min after {args.warmup:g} s warm-up; requests left "
        f"p99 {stack.percentile(lag, 0.99) * 1000:.1f} ms, max {lag[-1] * 1000 if lag else 0:.1f} ms after due"
    )
    errors = print_requests(run)

    growths = []
    print("\n  RSS (VmRSS) after the warm-up → at the end:")
    for pid in sorted(watch.start):
        begin, last = watch.start[pid], facts["end_workers"].get(pid, watch.last.get(pid))
        growths.append((last - begin) / begin * 100)
        print(
            f"    gunicorn worker {pid}: {stack.mib(begin)} → {stack.mib(last)} ({growths[-1]:+.1f} %)"
            f"{'' if pid in facts['end_workers'] else ' (gone before the end)'}"
        )
    new = sorted(set(watch.first_seen) - set(watch.start))
    if new:
        print(f"    workers started during the measure (a crash): {new}")
    for pid, kib in sorted(facts["end_celery"].items()):
        print(f"    Celery worker {pid}: {stack.mib(watch.celery_start.get(pid))} → {stack.mib(kib)}")

    samples = sampler.between(*load_span)
    lags, dirties = sorted(s[2] for s in samples), [s[1] for s in samples]
    worst = lags[-1] if lags else float("nan")
    print(
        f"\n  flush lag ({len(samples)} samples every {args.lag_every:g} s during the measure): oldest unwritten state "
        f"p50 {stack.percentile(lags, 0.5):.1f} s, p99 {stack.percentile(lags, 0.99):.1f} s, max {worst:.1f} s "
        f"(goal ≤ {2 * flush} s); dirty set mean {sum(dirties) / max(len(dirties), 1):.0f}, max "
        f"{max(dirties, default=0)} learners{f'; sampler failed: {sampler.failure}' if sampler.failure else ''}"
    )
    pg, redis_cr, answered, differ, gap = facts["credit"]
    print(
        f"  after the last flush ({facts['pending']} learners still dirty after {facts['waited']:.0f} s): credited "
        f"{pg:,.1f} s in PostgreSQL, {redis_cr:,.1f} s in Redis, {answered:,.1f} s in the answers; learners whose "
        f"PostgreSQL and Redis figures differ: {differ}; largest gap to the answers (rounded to 0.01 s a beat): "
        f"{gap:.2f} s"
    )
    paid_at_bank = sum(p.paid for p in cast.payers)
    print(
        f"  payments: {paid_at_bank} paid at the 模拟银行, {facts['paid']} orders 已支付 through the notification "
        f"({facts['paid_wait']:.0f} s after the load)"
    )

    rss_ok = bool(growths) and max(growths) <= RSS_TARGET and not new
    lag_ok = not sampler.failure and bool(lags) and worst <= 2 * flush
    credit_ok = not differ and facts["pending"] == 0
    pay_ok = facts["paid"] == paid_at_bank
    print(
        f"\n  verdict: errors {errors} ({'ok' if not errors else 'MISSED'}); worker RSS growth "
        f"{max(growths, default=float('nan')):+.1f} % ({'ok' if rss_ok else 'MISSED'}); flush lag max {worst:.1f} s "
        f"({'ok' if lag_ok else 'MISSED'}); every credited second in PostgreSQL: {'yes' if credit_ok else 'NO'}; "
        f"every payment notified: {'yes' if pay_ok else 'NO'}"
    )
    return not errors and rss_ok and lag_ok and credit_ok and pay_ok


def set_up(args, interval: int) -> mix.Cast:
    """Migrate, collect the static files (DEBUG=0 serves the hashed names), make the cast."""
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cast = create_cast(args, interval)
    connections.close_all()
    print(
        f"setup: {len(cast.watchers)} watchers, {len(cast.sitters)} exam sitters, {len(cast.payers)} payers, "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return cast


def drive(args, port: int, cast: mix.Cast, watch, interval: int):
    """The load: heartbeats from every watcher, the payments at their rate, the other kinds with the rest."""
    beat_rate = len(cast.watchers) / interval
    pay_rate = args.payments_per_minute / 60
    other_rate = max(0.0, args.rate - beat_rate - 2 * pay_rate)
    print(
        f"load: {args.rate:g} req/s: heartbeats {beat_rate:.1f}/s, other kinds {other_rate:.1f}/s, payments "
        f"{pay_rate * 60:g}/min (2 requests each), {args.warmup:g} s warm-up + {args.minutes:g} min",
        flush=True,
    )
    return asyncio.run(
        mix.drive(
            port,
            cast,
            other_rate=other_rate,
            pay_rate=pay_rate,
            interval=interval,
            warmup=args.warmup,
            seconds=args.minutes * 60,
            on_measure_start=watch.measure_start,
            on_tick=watch.tick,
            tick_every=args.rss_every,
        )
    )


def print_log_errors(var_dir: Path) -> None:
    """Lines of the servers' logs that say something failed (the captcha's warning about DEV_TOOLS aside)."""
    for name in ("gunicorn", "celery-worker", "celery-beat"):
        bad = [
            line
            for line in stack.tail(var_dir / f"{name}.log", 2000).splitlines()
            if ("ERROR" in line or "Traceback" in line or '" 5' in line) and "CAPTCHA_TEST_MODE" not in line
        ]
        if bad:
            print(f"\n  {name} log, errors (last 5 of {len(bad)}):\n    " + "\n    ".join(bad[-5:]))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="measured minutes (default 10)")
    parser.add_argument("--rate", type=float, default=80, help="requests per second in all (default 80)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of the same load before (default 30)")
    parser.add_argument("--beat-share", type=float, default=0.8, help="share of heartbeats (default 0.8)")
    parser.add_argument("--payments-per-minute", type=float, default=6, help="payments a minute (default 6)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--lag-every", type=float, default=2, help="seconds between flush-lag samples (default 2)")
    parser.add_argument("--rss-every", type=float, default=60, help="seconds between progress lines (default 60)")
    args = parser.parse_args()
    if not 0.1 <= args.minutes <= 15 or not 0 <= args.warmup <= 120:
        parser.error("--minutes 0.1..15 and --warmup 0..120 (every position stays before the pop-up questions)")
    if not 1 <= args.rate <= 1000 or not 0 < args.beat_share < 1 or not 0 <= args.payments_per_minute <= 120:
        parser.error("--rate 1..1000, --beat-share in (0, 1), --payments-per-minute 0..120")
    if not 1 <= args.workers <= 16 or not 0.5 <= args.lag_every <= 30:
        parser.error("--workers 1..16, --lag-every 0.5..30")
    return args


def main() -> int:
    args = parse_args()
    _server.stop_on_sigterm()
    facts = {"command": "python bench/rush.py " + shlex.join(sys.argv[1:])}
    var_dir = Path(tempfile.mkdtemp(prefix="jxjy-rush-"))
    os.environ["DEV_TOOLS"] = "1"  # the 模拟银行 (and its notifications); DEBUG stays 0
    os.environ["MOCKBANK_SECRET"] = secrets.token_urlsafe(32)  # with DEBUG=0 there is no default key
    env = _fixtures.configure_environment(str(var_dir), f"{PG_SERVER}/{DB_NAME}", REDIS_URL)
    gunicorn = worker = beat = sampler = None
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    stack.create_database(PG_SERVER, DB_NAME)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        facts["interval"] = interval = settings.HEARTBEAT_INTERVAL
        cast = set_up(args, interval)

        port = stack.free_port()
        gunicorn = stack.start_gunicorn(port, args.workers, False, env, var_dir / "gunicorn.log")
        worker, beat = stack.start_celery(env, var_dir)
        opened = asyncio.run(base.start_all(port, cast.watchers))
        if opened != {200: len(cast.watchers)}:
            raise RuntimeError(f"playback_start answers: {dict(opened)}\n{stack.tail(var_dir / 'gunicorn.log')}")
        before = (stack.machine_busy(), time.monotonic())
        time.sleep(3)
        facts["background"] = (stack.machine_busy() - before[0]) / ((time.monotonic() - before[1]) * os.cpu_count())

        watch = stack.Watch(gunicorn, worker, beat)
        sampler = _flush_lag.LagSampler(
            REDIS_URL, [x.user_id for x in cast.watchers], settings.HEARTBEAT_STATE_PREFIX, args.lag_every
        )
        sampler.start()
        run = drive(args, port, cast, watch, interval)
        load_ended = time.monotonic()
        facts["end_workers"], facts["end_celery"] = watch.end(load_ended - run.first_sent)
        facts["pending"], facts["waited"] = stack.wait_for_flush(REDIS_URL, settings.HEARTBEAT_STATE_PREFIX, load_ended)
        sampler.stopping.set()
        sampler.join(timeout=30)
        facts["credit"] = credit_check(cast.watchers)
        facts["paid"], facts["paid_wait"] = wait_for_payments([p.order for p in cast.payers if p.paid])
        connections.close_all()
        met = report(args, run, watch, sampler, (run.first_sent, load_ended), cast, facts)
        print_log_errors(var_dir)
        return 0 if met else 1
    finally:
        if sampler is not None:
            sampler.stopping.set()
        for process in (gunicorn, worker, beat):
            stack.stop(process)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet; the database goes anyway
            pass
        stack.drop_database(PG_SERVER, DB_NAME)
        redis.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn and Celery stopped, database dropped", file=sys.stderr)
        sys.exit(130)
