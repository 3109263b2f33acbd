"""The capacity model (issue 17, item 6): what one heartbeat costs each tier, measured, and what 50,000 learners
watching at once therefore need.

heartbeat_bench.py measures, over its wrk heartbeat runs, the CPU seconds gunicorn's workers, Redis and PostgreSQL
spent (from /proc) and the Redis commands Redis executed (INFO commandstats), and around one flush of every
learner's playback state, what the flush cost (this process, as the Celery worker would be, and PostgreSQL) and
what it wrote (pg_stat_database). This module turns those into the model: per-core heartbeat rate, app cores for N
watchers at one beat per HEARTBEAT_INTERVAL, Redis and PostgreSQL load per 1,000 watchers, and the order in which
the tiers run out. Redis's CPU is its own server's (the bench starts one); PostgreSQL's is every postgres process's,
so the flush's figure is only as clean as the machine is quiet — the heartbeat's PostgreSQL load is counted instead
as its database's transactions (pg_stat_database).
"""

from dataclasses import dataclass, field

WATCHERS = 50_000
HEADROOM = 0.7  # plan each tier to run at most 70 % busy: a burst (a class's deadline) must not queue beats


@dataclass
class Usage:
    """CPU seconds by tier and the requests (or learners) they served, summed over measured runs."""

    requests: int = 0
    cpu: dict = field(default_factory=lambda: {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0, "client": 0.0})
    redis_commands: int = 0
    pg: dict = field(default_factory=lambda: {"xact_commit": 0, "tup_updated": 0, "tup_inserted": 0, "blks_hit": 0})

    def add(self, before: dict, after: dict, requests: int) -> None:
        for key in self.cpu:
            self.cpu[key] += after[key] - before[key]
        self.redis_commands += after.get("redis_commands", 0) - before.get("redis_commands", 0)
        for key in self.pg:
            self.pg[key] += after.get("pg", {}).get(key, 0) - before.get("pg", {}).get(key, 0)
        self.requests += requests

    def ms(self, tier: str) -> float:
        return self.cpu[tier] * 1000 / self.requests if self.requests else float("nan")


def redis_commands(url: str) -> int:
    """Commands Redis has executed since it started (every client: the bench's own are few and between runs)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        return sum(stat["calls"] for stat in client.info("commandstats").values())
    finally:
        client.close()


def pg_counters(dsn: str, database: str) -> dict:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, tup_updated, tup_inserted, blks_hit FROM pg_stat_database WHERE datname = %s",
            [database],
        ).fetchone()
    return dict(zip(("xact_commit", "tup_updated", "tup_inserted", "blks_hit"), row, strict=True))


def print_model(beats: Usage, flush: Usage, *, interval: int, flush_seconds: int, workers: int) -> None:
    """The model, each figure from the measured usage (nothing assumed but the cadence and the headroom)."""
    if not beats.requests or not flush.requests:
        print("\nCapacity model: not enough measured (no wrk heartbeat runs, or nothing flushed)")
        return
    app_ms, redis_ms = beats.ms("gunicorn"), beats.ms("redis")
    pg_transactions = beats.pg["xact_commit"] / beats.requests  # the bench's own database: the app's alone
    per_core = 1000 / app_ms
    beat_rate = WATCHERS / interval
    app_cores = beat_rate * app_ms / 1000
    per_thousand = 1000 / interval  # heartbeats per second from 1,000 learners watching
    commands = beats.redis_commands / beats.requests
    flush_app_ms, flush_pg_ms = flush.ms("client"), flush.ms("postgres")
    flushed_per_second = 1000 / flush_seconds  # each watcher is dirty at every flush: written once per interval
    print(
        f"\nCapacity model (measured over {beats.requests:,} wrk heartbeats and a flush of "
        f"{flush.requests:,} learners):"
    )
    print(
        f"  per heartbeat: gunicorn {app_ms:.2f} ms CPU; Redis {redis_ms:.3f} ms CPU, {commands:.1f} commands (those "
        f"inside its two scripts counted: two round trips); PostgreSQL {pg_transactions:.3f} transactions"
    )
    print(
        f"  per app core: {per_core:,.0f} heartbeats/s = {per_core * interval:,.0f} learners watching at once "
        f"(one beat per {interval} s)"
    )
    print(
        f"  {WATCHERS:,} watching at once: {beat_rate:,.0f} heartbeats/s → {app_cores:.1f} app cores busy, "
        f"{app_cores / HEADROOM:.1f} at {HEADROOM:.0%} (sync workers: about {workers // 2 or 1} per core)"
    )
    print(f"  per 1,000 watchers ({per_thousand:.0f} heartbeats/s):")
    print(
        f"    Redis: {per_thousand * commands:,.0f} commands/s, {per_thousand * redis_ms / 10:.2f} % of its one core "
        f"→ one Redis core carries about {1000 * HEADROOM / (per_thousand * redis_ms / 1000) / 1000:,.0f} thousand "
        f"watchers at {HEADROOM:.0%}"
    )
    print(
        f"    PostgreSQL (the flush every {flush_seconds} s writes each watcher's progress and session rows): "
        f"{flushed_per_second:.0f} learners/s, {flush.pg['tup_updated'] / flush.requests * flushed_per_second:,.0f} "
        f"row updates/s, {flushed_per_second * flush_pg_ms / 10:.2f} % of a PostgreSQL core; the flush task itself "
        f"{flushed_per_second * flush_app_ms / 10:.2f} % of a worker core"
    )
    tiers = {
        "app cores (gunicorn)": app_cores,
        "Redis (one core)": beat_rate * redis_ms / 1000,
        "PostgreSQL (flush)": WATCHERS / flush_seconds * flush_pg_ms / 1000,
        "flush worker": WATCHERS / flush_seconds * flush_app_ms / 1000,
    }
    order = ", then ".join(f"{name} {cores:.2f} cores" for name, cores in sorted(tiers.items(), key=lambda x: -x[1]))
    print(f"  at {WATCHERS:,} watchers, busy cores by tier: {order}")
