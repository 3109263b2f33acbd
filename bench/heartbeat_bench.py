"""Benchmark of the hot path: heartbeats through gunicorn, against /healthz as the baseline.

    .venv/bin/python bench/heartbeat_bench.py [--learners 200] [--seconds 20] [--workers 2] [--clients 32]
        [--wrk-seconds 10] [--rounds 3]

Creates a throw-away PostgreSQL database `jxjy_bench` (dropped again at the end) and starts a redis-server of its own
(the cache, the sessions and the playback state, as in production; its CPU and commands are the app's alone, for the
capacity model: bench/_capacity_model.py). Starts gunicorn with sync workers and DEBUG=0 on
127.0.0.1 and drives it with closed-loop client threads on the same machine. Prints figures only; nothing
here is a pass/fail test.

Capacity (the figure that counts): `wrk` (Debian's; `apt-get install wrk`) drives the heartbeat flat out with
bench/heartbeat_wrk.lua (each learner's seq + 1 and position + 0.02 s a beat, less than the real time between one
learner's beats, so every beat is credited — the script reads the replies and counts any that is not), in bracketed
rounds against the anonymous /healthz and a bare Django app (bench/bare/bare_app.py: startproject's middleware, one
view) served by the same gunicorn settings: baseline, heartbeat, baseline … (`--rounds`, default 3), each round's
ratio against the baselines either side of it, the median reported (bench/_wrk.py).

Correctness and the breakdown (Python client threads, which share the cores with the server and flatten
differences, so their rates are not the capacity): phases, each `--seconds` long with the same client threads:
heartbeats (every learner opened its playback
session beforehand; seq + 1 and the position advanced by the real time since that learner's previous beat, so
the server credits every beat), then /healthz with the learner's session cookie (session and
user loaded, no view work), then /healthz anonymous (the bare middleware stack). Then, with gunicorn stopped,
an in-process breakdown of one heartbeat (wall and CPU per call, SQL queries) and the time the beat task
takes to write every learner's playback state to PostgreSQL.

Not in the wrk runs (each learner beats every fraction of a second there): the last-seen stamp saved into the
session once a minute (a Redis SET on one heartbeat in four at the real 15 s cadence), the auth card written again
every 10 minutes (one heartbeat in 40 takes the whole stack: its in-process cost is a line of the breakdown), and the
pop-up questions' checkpoints being reached (they sit past 15 % of the hour-long video).

`--profile` prints where an in-process heartbeat spends its CPU (cProfile).
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _capacity_model as model  # noqa: E402
import _fixtures  # noqa: E402
import _heartbeat_client as load  # noqa: E402
import _server  # noqa: E402
import _wrk as capacity  # noqa: E402
import steady_load  # noqa: E402
from _server import free_port, start_gunicorn, stop_gunicorn, tail  # noqa: E402

DB_NAME = "jxjy_bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DURATION = 3600.0  # seconds of the one courseware
IN_PROCESS_REPEAT = 300  # requests per line of the in-process breakdown


# --- PostgreSQL and Redis -------------------------------------------------------------------------------


def _admin_connection():
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)


def create_database() -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def drop_database() -> None:
    from psycopg import sql

    with _admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))


# --- Data, through the ORM and the services ---------------------------------------------------------------


def create_data(n: int) -> list:
    """One year, one class, one 公共课 with one chapter and one 3600 s courseware (three pop-up questions, so
    each learner gets checkpoints as in real use; they sit past 15 % of the video, far beyond the run), and
    n learners with a verified mobile, a paid order, the class opened and the course selected: (user, enrollment
    id) each."""
    return _fixtures.enrolled_learners(_fixtures.create_class(DURATION), 0, n)


def signed_in_learners(enrolled) -> list:
    """A Django session and a CSRF secret per learner, as the sign-in leaves them (bench/_fixtures.py)."""
    from jxjy.catalog.models import Courseware

    courseware = Courseware.objects.get()
    return [load.Learner(enrollment_id, courseware.pk, *_fixtures.signed_in(user)) for user, enrollment_id in enrolled]


# --- Capacity: wrk, bracketed rounds (bench/_wrk.py) ---------------------------------------------------------


def capacity_rounds(
    port: int, bare_port: int, learners: list, seconds: int, rounds: int, var_dir: Path, meter: "Meter"
) -> capacity.Bracketed:
    """The heartbeat flat out (wrk, honest beats: each advances its learner's position by less than the real time
    since that learner's last beat) between runs of the anonymous /healthz and of the bare Django app."""
    listing = var_dir / "wrk-learners.tsv"
    env = {
        "HB_LEARNERS": str(listing),
        "HB_THREADS": str(capacity.THREADS),
        "HB_ORIGIN": f"http://{load.HOST}:{port}",
        "HB_STEP": "0.02",
    }
    script = str(Path(__file__).resolve().parent / "heartbeat_wrk.lua")
    base = f"http://{load.HOST}"

    def heartbeats():
        write_listing(listing, learners)  # each run carries on from where the server's state is now
        before = meter.snapshot()
        ran = capacity.run(f"{base}:{port}/", seconds, script=script, env=env)
        answered = re.search(r"heartbeats answered: (\d+)", ran.output)
        meter.beats.add(before, meter.snapshot(), int(answered.group(1)) if answered else 0)
        return ran

    warm_up(port, learners)

    return capacity.bracketed(
        {
            "GET /healthz (anonymous)": lambda: capacity.run(f"{base}:{port}/healthz", seconds),
            "bare Django app": lambda: capacity.run(f"{base}:{bare_port}/healthz", seconds),
        },
        ("POST /learning/heartbeat/", heartbeats),
        rounds,
    )


class Meter:
    """CPU by tier, Redis commands and PostgreSQL's counters before and after what is measured (_capacity_model).
    The bench's Redis is a server of its own, so its CPU and its commands are the app's alone."""

    def __init__(self, gunicorn, redis_server, redis_url: str):
        self.gunicorn, self.redis_server, self.redis_url = gunicorn, redis_server, redis_url
        self.beats, self.flush = model.Usage(), model.Usage()

    def snapshot(self) -> dict:
        snapshot = cpu_snapshot(self.gunicorn)
        snapshot["redis"] = process_cpu(self.redis_server.pid)
        snapshot["redis_commands"] = model.redis_commands(self.redis_url)
        snapshot["pg"] = model.pg_counters(f"{PG_SERVER}/postgres", DB_NAME)
        return snapshot


def warm_up(port: int, learners: list) -> None:
    """One beat per learner before the rounds, as a learner's player makes on 播放: the first beat of a session goes
    through the whole stack (which writes the learner's auth card) and every later one takes the fast path, so the
    rounds measure the steady state — at the real 15 s cadence a card serves 40 beats before it is written again."""
    conn = load.Connection(port)
    result = load.Result("warm-up")
    try:
        for learner in learners:
            load.beat(conn, learner, result)
    finally:
        conn.close()
    if result.errors:
        raise RuntimeError(f"warm-up beats failed: {dict(result.statuses)} {dict(result.failures)}")


def write_listing(listing: Path, learners: list) -> None:
    """wrk's learners, each from its playback state as the server holds it (the last accepted seq, the point the next
    credited stretch starts from): every run's first beat is the next honest one, never a replay of an earlier run's."""
    from jxjy.learning import playstate
    from jxjy.learning.models import PlaybackSession

    owners = dict(PlaybackSession.objects.filter(pk__in=[x.playback for x in learners]).values_list("pk", "user_id"))
    states = {u: state for u, _, state in playstate.store().get_many(list(owners.values()))}
    lines = []
    for x in learners:
        state = states[owners[uuid.UUID(x.playback)]]
        lines.append(f"{x.cookie}\t{x.csrf}\t{x.playback}\t{state.seq}\t{state.last_position:.2f}\n")
    listing.write_text("".join(lines))


def print_capacity(result, seconds: int, workers: int) -> None:
    print(
        f"\nCapacity (wrk -t{capacity.THREADS} -c{capacity.CONNECTIONS}, {seconds} s a run, gunicorn {workers} sync "
        f"workers for both apps; bracketed: each heartbeat run between runs of both baselines):"
    )
    for label in [*result.baselines, result.subject]:
        rates = ", ".join(f"{rate:,.0f}" for rate in result.rates[label])
        print(f"  {label:<28} req/s {rates}   median {result.median_rate(label):,.0f}")
    for baseline in result.baselines:
        ratios = ", ".join(f"{r:.2f}" for r in result.ratios(baseline))
        print(f"  heartbeat / {baseline:<26} {ratios}   median {result.median_ratio(baseline):.2f}")
    anonymous, bare = result.baselines
    print(f"  /healthz (anonymous) / bare app: {result.median_rate(anonymous) / result.median_rate(bare):.2f}")
    for label, ran in result.runs:
        if ran.non_2xx or ran.socket_errors:
            print(f"  ! {label}: non-2xx {ran.non_2xx} {ran.socket_errors}")
    for label, ran in result.runs:
        if label == result.subject:
            found = re.search(r"heartbeats answered: (\d+), not credited: (\d+)", ran.output)
            if found:
                print(f"  heartbeat run: {int(found.group(1)):,} answered, {int(found.group(2)):,} not credited")
            if bad := re.search(r"first not credited: (.*)", ran.output):
                print(f"    the first of them: {bad.group(1)}")


# --- The in-process breakdown (one request at a time, no HTTP) ----------------------------------------------


class InProcessBeat:
    """Heartbeats of one learner with the position advancing by real time, for the in-process lines."""

    def __init__(self, user, learner):
        from jxjy.catalog.models import Courseware
        from jxjy.learning import heartbeat
        from jxjy.learning.models import Enrollment

        self.user, self.seq, self.position, self.last = user, 0, 0.0, 0.0
        enrollment = Enrollment.objects.get(pk=learner.enrollment_id)
        courseware = Courseware.objects.select_related("chapter").get(pk=learner.courseware_id)
        self.session = heartbeat.start_playback(user=user, enrollment=enrollment, courseware=courseware)["session"]

    def next(self) -> dict:
        now = time.monotonic()
        self.position += now - self.last if self.seq else 0.0  # the first beat reports the start, as the player
        self.last = now
        self.seq += 1
        return {"session": self.session, "seq": self.seq, "position": f"{self.position:.2f}", "playing": "1"}


def per_call_ms(
    function, repeat=IN_PROCESS_REPEAT // 3, rounds=3, before_round=None, before_call=None
) -> tuple[float, float]:
    """(wall, CPU of this process) milliseconds per call, the best of `rounds` rounds (other processes only ever
    add time); wall minus CPU is time spent waiting (PostgreSQL, Redis, the WAL flush). `before_call` runs before
    each call, outside the timing."""
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        if before_round:
            before_round()
        wall = cpu = 0.0
        for _ in range(repeat):
            if before_call:
                before_call()
            cpu_start, start = time.process_time(), time.perf_counter()
            function()
            wall, cpu = wall + time.perf_counter() - start, cpu + time.process_time() - cpu_start
        best = min(best, (wall / repeat * 1000, cpu / repeat * 1000))
    return best


def in_process_breakdown(learner, profile: bool = False) -> list[tuple[str, str]]:
    import uuid

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from jxjy.accounts import authcard
    from jxjy.accounts.models import User
    from jxjy.learning import heartbeat

    user = User.objects.get(pk=int(load_session(learner.session_key)["_auth_user_id"]))
    anonymous = Client(HTTP_HOST=load.HOST)
    signed_in = Client(HTTP_HOST=load.HOST)
    signed_in.cookies["sessionid"] = learner.session_key
    player = InProcessBeat(user, learner)

    def post_beat():
        body = urlencode(player.next())  # as the player sends it: a URL-encoded form
        response = signed_in.post("/learning/heartbeat/", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content

    def call_beat():
        data = player.next()
        status, _ = heartbeat.heartbeat(
            user_id=user.pk, session_id=uuid.UUID(data["session"]), seq=data["seq"],
            position=float(data["position"]), playing=True,
        )  # fmt: skip
        assert status == 200

    def forget_card():  # as after an account change: the next beat takes the whole stack
        authcard.forget(user.pk)

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    rows = [
        ("GET /healthz, anonymous", per_call_ms(lambda: anonymous.get("/healthz"))),
        ("GET /healthz, signed in (session from Redis + user query)", per_call_ms(lambda: signed_in.get("/healthz"))),
        ("session load from Redis alone", per_call_ms(lambda: store_class(learner.session_key).load())),
        ("POST /learning/heartbeat/ (fast path)", per_call_ms(post_beat)),
        ("heartbeat() alone (Redis GET + compare-and-set, no SQL)", per_call_ms(call_beat)),
    ]

    if profile:
        print_profile(post_beat)

    # Queries per heartbeat through the full stack, each timed (BEGIN/COMMIT are not cursor queries).
    counted = {"queries": 0, "seconds": 0.0}

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            counted["queries"] += 1
            counted["seconds"] += time.perf_counter() - start

    repeat = 100
    with connection.execute_wrapper(timer):
        for _ in range(repeat):
            post_beat()
    queries = counted["queries"] / repeat
    sql_ms = counted["seconds"] / repeat * 1000
    # Last: once an account changed, no card may be written for a minute (authcard's tombstone).
    rows.append(
        ("POST /learning/heartbeat/ (whole stack: no auth card)", per_call_ms(post_beat, before_call=forget_card))
    )
    lines = [(label, f"{wall:8.2f} ms   (CPU {cpu:5.2f} ms)") for label, (wall, cpu) in rows]
    lines.append(("SQL queries per heartbeat (fast path)", f"{queries:8.1f}      ({sql_ms:.2f} ms inside them)"))
    return lines


def print_profile(call, repeat: int = 1000, lines: int = 30) -> None:
    """cProfile of `repeat` calls: the functions that take the most time, themselves and with what they call."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU only: waits for Redis are not this process's work
    profiler.runcall(lambda: [call() for _ in range(repeat)])
    print(f"\nWhere {repeat} in-process heartbeats spend their time (cProfile; cumulative, then own time):")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines // 2)
    stats.sort_stats("cumulative").print_callees("fastpath.py.*answer|beat_reply|heartbeat.py.*heartbeat")


def load_session(key: str) -> dict:
    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore(key).load()


# --- CPU accounting (read from /proc: who spends the cores during a phase) ------------------------------------

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> list[tuple[int, str, int, float]]:
    """(pid, command name, parent pid, CPU seconds used) of every process (Linux /proc; empty elsewhere)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            found.append((int(entry.name), name, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return found


def _machine_busy() -> float:
    """CPU-seconds the whole machine spent busy (not idle, not waiting for I/O) since boot."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) one process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_snapshot(gunicorn: subprocess.Popen | None = None) -> dict:
    snapshot = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}
    for pid, name, parent, cpu in _processes():
        if gunicorn is not None and gunicorn.pid in (pid, parent):
            snapshot["gunicorn"] += cpu
        elif name.startswith("postgres"):
            snapshot["postgres"] += cpu
        elif name.startswith("redis-server"):
            snapshot["redis"] += cpu
    times = os.times()
    snapshot.update(client=times.user + times.system, machine=_machine_busy(), wall=time.monotonic())
    return snapshot


def cpu_split(before: dict, after: dict, requests: int) -> str:
    """CPU milliseconds per request by gunicorn (master + workers), this process (the client threads),
    PostgreSQL and Redis, and everything else on the machine; and how busy the cores were."""
    if not requests or not after["machine"]:
        return "CPU split unavailable"
    spent = {key: after[key] - before[key] for key in ("gunicorn", "client", "postgres", "redis", "machine")}
    other = max(0.0, spent["machine"] - sum(v for k, v in spent.items() if k != "machine"))
    busy = spent["machine"] / ((after["wall"] - before["wall"]) * (os.cpu_count() or 1))
    per = 1000 / requests
    return (
        f"CPU ms/request: gunicorn {spent['gunicorn'] * per:5.2f}, PostgreSQL {spent['postgres'] * per:5.2f}, "
        f"Redis {spent['redis'] * per:4.2f}, client {spent['client'] * per:4.2f}, other {other * per:4.2f}; "
        f"cores {busy * 100:3.0f} % busy"
    )


def background_load(seconds: float = 2.0) -> float:
    """Share of the cores busy with something else while this benchmark sits idle."""
    before = cpu_snapshot()
    time.sleep(seconds)
    after = cpu_snapshot()
    return (after["machine"] - before["machine"]) / ((after["wall"] - before["wall"]) * (os.cpu_count() or 1))


# --- Report ----------------------------------------------------------------------------------------------


def percentile(sorted_values: list, fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def row(result: load.Result) -> tuple[str, float]:
    values = sorted(result.latencies)
    rate = result.requests / result.elapsed if result.elapsed else 0.0
    line = (
        f"  {result.label:<34} {result.requests:>9,} {result.errors:>7,} {rate:>9,.1f} "
        f"{percentile(values, 0.50) * 1000:>8.1f} {percentile(values, 0.99) * 1000:>8.1f}"
    )
    return line, rate


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores{f' ({model})' if model else ''}, {platform.system()} {platform.release()}"


def versions() -> str:
    import django
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
    info = redis.Redis.from_url(os.environ["REDIS_URL"]).info("server")
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg} "
        f"(synchronous_commit={sync}), Redis {info.get('redis_version', '?')}"
    )


def print_errors(result: load.Result) -> None:
    bad = {status: n for status, n in sorted(result.statuses.items()) if not 200 <= status < 300}
    if bad or result.failures:
        details = [f"HTTP {status}: {n}" for status, n in bad.items()]
        details += [f"{name}: {n}" for name, n in result.failures.items()]
        print(f"  ! {result.label}: {', '.join(details)}")


# --- Main ------------------------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200, help="simulated learners (default 200)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per measured phase (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads (default 32)")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="seconds per wrk run (default 10; 0: no wrk)")
    parser.add_argument("--rounds", type=int, default=3, help="bracketed wrk rounds (default 3)")
    parser.add_argument("--profile", action="store_true", help="print where an in-process heartbeat spends its time")
    args = parser.parse_args()
    if not 1 <= args.learners <= 20_000:
        parser.error("--learners must be between 1 and 20000")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600 (a learner's position must stay inside the video)")
    if not 1 <= args.workers <= 32 or not 1 <= args.clients <= 256:
        parser.error("--workers must be 1..32 and --clients 1..256")
    return args


def main():
    args = parse_args()
    _server.stop_on_sigterm()
    var_dir = tempfile.mkdtemp(prefix="jxjy-heartbeat-bench-")
    redis_server, redis_url = steady_load.start_redis(Path(var_dir))  # its own: its CPU and commands are ours
    env = _fixtures.configure_environment(var_dir, f"{PG_SERVER}/{DB_NAME}", redis_url)
    log_path = Path(var_dir) / "gunicorn.log"
    gunicorn = bare = None
    create_database()
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        enrolled = create_data(args.learners)
        learners = signed_in_learners(enrolled)
        connections.close_all()
        print(
            f"setup: migrated, {len(learners)} learners with paid enrollments and Redis sessions "
            f"in {time.perf_counter() - started:.1f} s"
        )

        background = background_load()
        port = free_port()
        gunicorn = start_gunicorn(port, args.workers, env, log_path)
        clients = min(args.clients, len(learners))
        slices = [learners[i::clients] for i in range(clients)]
        opened = load.start_all(port, slices)
        if opened != {200: len(learners)}:
            raise RuntimeError(f"playback_start answers: {dict(opened)}\n{tail(log_path)}")

        results, cpu = [], []
        for label, kind in [
            ("POST /learning/heartbeat/", "heartbeat"),
            ("GET /healthz (signed in)", "healthz-session"),
            ("GET /healthz (anonymous)", "healthz"),
        ]:
            before = cpu_snapshot(gunicorn)
            results.append(load.run(label, port, slices, args.seconds, kind))
            cpu.append(cpu_split(before, cpu_snapshot(gunicorn), results[-1].requests))
        rounds, meter = None, Meter(None, redis_server, redis_url)
        if args.wrk_seconds:
            bare_port = free_port()
            bare_log = Path(var_dir) / "bare.log"
            bare_env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
            bare = start_gunicorn(bare_port, args.workers, bare_env, bare_log, "bare_app:application", BENCH / "bare")
            meter = Meter(gunicorn, redis_server, redis_url)
            rounds = capacity_rounds(port, bare_port, learners, args.wrk_seconds, args.rounds, Path(var_dir), meter)
            stop_gunicorn(bare)
        stop_gunicorn(gunicorn)

        from django.db.models import Sum

        from jxjy.learning import playstate
        from jxjy.learning.models import CoursewareProgress

        # What the Celery beat task does every 10 s in production (no worker runs here, so it all waits now).
        flush_started, before = time.perf_counter(), meter.snapshot()
        flushed = playstate.flush()
        flush_ms = (time.perf_counter() - flush_started) * 1000
        meter.flush.add(before, meter.snapshot(), flushed)
        stored = CoursewareProgress.objects.aggregate(total=Sum("credited"))["total"] or 0.0
        pieces = [len(intervals) for intervals in CoursewareProgress.objects.values_list("intervals", flat=True)]
        breakdown = in_process_breakdown(learners[0], args.profile)

        print(
            f"\nHeartbeat benchmark: gunicorn {args.workers} sync worker(s), {clients} closed-loop client threads, "
            f"{len(learners)} learners, {args.seconds:g} s per phase"
        )
        print(f"machine: {machine()}; the client threads, PostgreSQL and Redis share these cores with gunicorn")
        print(f"background load before the run (benchmark idle): {background * 100:.0f} % of the cores")
        print(f"software: {versions()}\n")
        print(f"  {'endpoint':<34} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        rates = {}
        for result in results:
            line, rates[result.label] = row(result)
            print(line)
        beat_rate = rates[results[0].label]
        print(
            f"\n  heartbeat / healthz req/s: {beat_rate / rates[results[1].label]:.2f} (healthz signed in), "
            f"{beat_rate / rates[results[2].label]:.2f} (healthz anonymous)"
        )
        print(
            f"  at one heartbeat per {settings.HEARTBEAT_INTERVAL} s per learner, {beat_rate:,.0f} heartbeats/s "
            f"carry about {beat_rate * settings.HEARTBEAT_INTERVAL:,.0f} learners watching at once"
        )
        beats = results[0]
        print(
            f"  credit check: the server credited {beats.credited:,.1f} s of {beats.played:,.1f} s played "
            f"({beats.credited / beats.played * 100 if beats.played else 0:.1f} %); stored in the database: "
            f"{stored:,.1f} s; heartbeats not accepted: {beats.not_accepted}"
        )
        print(
            f"  flush to PostgreSQL (the beat task's work): {flushed} learners' state in {flush_ms:,.0f} ms "
            f"({flush_ms / max(flushed, 1):.2f} ms per learner, batches of 500)"
        )
        print(
            f"  watched intervals stored per courseware progress: mean {sum(pieces) / len(pieces):.1f}, "
            f"max {max(pieces)} (one if every credited segment joined the previous one)"
        )
        for result in results:
            print_errors(result)
        if not any(r.errors for r in results):
            print("  errors: none (every answer 2xx)")
        print()
        for result, split in zip(results, cpu, strict=True):
            print(f"  {result.label:<34} {split}")
        if rounds is not None:
            print_capacity(rounds, args.wrk_seconds, args.workers)
            model.print_model(
                meter.beats,
                meter.flush,
                interval=settings.HEARTBEAT_INTERVAL,
                flush_seconds=settings.HEARTBEAT_FLUSH_SECONDS,
                workers=args.workers,
            )
        log = tail(log_path, 10)
        if log.strip():
            print(f"\ngunicorn log (last lines):\n{log}")

        print(
            f"\nIn-process, one request at a time, no HTTP (best of 3 rounds of {IN_PROCESS_REPEAT // 3}; one learner):"
        )
        for label, value in breakdown:
            print(f"  {label:<62} {value}")
    finally:
        stop_gunicorn(gunicorn)
        stop_gunicorn(bare)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet; the database goes anyway
            pass
        drop_database()
        steady_load.stop(redis_server)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn stopped, database dropped", file=sys.stderr)
        sys.exit(130)
