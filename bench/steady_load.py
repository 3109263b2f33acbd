"""Steady load: ten minutes of heartbeats and learner pages at a fixed rate, with worker memory watched.

    .venv/bin/python bench/steady_load.py [--rate 40] [--seconds 600] [--warmup 30] [--probe 10] [--rate auto]

Starts everything production runs, on this machine, and stops it again: a redis-server of its own on a free
port (or --redis-url), a throw-away PostgreSQL database on 127.0.0.1:5432 (created, migrated, dropped),
gunicorn with deploy/gunicorn.conf.py (2 sync workers, DEBUG=0, a free port on 127.0.0.1), a Celery worker and
beat (the 10-s playback flush). N signed-in learners (set up through the ORM and the services) each play a video
at 1× and send an honest heartbeat every HEARTBEAT_INTERVAL seconds (every beat creditable), while learner pages
(学员中心, 班级首页, 在线学习, the player page, 我的订单, 继续教育档案) are requested between them; the
total is a fixed arrival rate (open model, bench/steady_client.py): requests are sent when due, answered or not.

Reports every error (any answer outside 2xx/3xx, any request without an answer), p50/p99 per kind of request,
the achieved rate, the RSS (VmRSS) of each gunicorn worker (found as children of the master) after the warm-up
and at the end, and of the Celery worker; then, once the flush has written everything, what PostgreSQL credited
against what the learners played (never more). Exits 1 on any error or any learner credited more than played.

gunicorn's max_requests (+ jitter) in the config recycles a worker after about 5,000 requests: at 40 req/s
over two workers, twice in ten minutes, so the end figure would be a fresh worker's. By default this run turns
recycling off (`--max-requests 0`, the command line wins over the config file) to measure one worker across the
whole run; --keep-recycling runs the config as it is and reports each worker PID's figures and the recycles.

--probe SECONDS first measures capacity with wrk (closed loop, Debian's `wrk`): heartbeats alone, then the pages
alone; `--rate auto` then runs at 50 % of the capacity for this mix. The probe's heartbeats report position 0
(they earn nothing) and every learner's playback is started again before the steady load.

On a machine shared with other work, --nice -10 (as root) gives this run's processes (and their scheduling
groups) priority over it; PostgreSQL's are the system's and keep theirs. The report shows how busy the cores
were with other work before and during the load.
"""

import argparse
import asyncio
import contextlib
import os
import runpy
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import _fixtures  # noqa: E402
import _wrk as capacity  # noqa: E402
import steady_client as load  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
DURATION = 7200.0  # seconds of the one courseware: its pop-up questions sit past 15 % (1,080 s), beyond any run
MAX_PLAY = 1000  # warm-up + measured seconds: every learner's position stays before the first pop-up question
START_TIMEOUT = 60  # seconds for a started process to be ready
FLUSH_WAIT = 45  # seconds at most for the beat's flush to write everything after the load
PROBE_LEARNERS = 200  # learners the wrk probe spreads its requests over
RSS_TARGET = 10.0  # % growth of a worker from after the warm-up to the end


# --- Processes ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((load.HOST, 0))
        return sock.getsockname()[1]


NICE = 0  # --nice


def prioritize(pid: int | str) -> None:
    """Give a process's session the --nice priority. Linux schedules each session as a group (autogroup) against
    the others, so a process's own nice value only counts inside its session: set the group's too."""
    if NICE:
        # Without autogroup scheduling there is no such file: the process's (inherited) nice value is what counts.
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/autogroup").write_text(f"{NICE}")


def spawn(command: list, env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    prioritize(process.pid)
    return process


def stop(process: subprocess.Popen | None, sig=signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process this script started (and, if it will not go, its own process group, which it leads)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_redis(var_dir: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server of this run only, persisting as deploy/redis.conf does (AOF, fsync every second)."""
    port = free_port()
    command = [
        shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", load.HOST,
        "--dir", str(var_dir), "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
        "--maxmemory", "2gb", "--maxmemory-policy", "noeviction",
    ]  # fmt: skip
    process = spawn(command, dict(os.environ), var_dir / "redis.log")
    url = f"redis://{load.HOST}:{port}/0"
    deadline = time.monotonic() + START_TIMEOUT
    import redis

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{tail(var_dir / 'redis.log')}")
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.RedisError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError("redis-server did not answer")


def gunicorn_settings() -> dict:
    """max_requests and its jitter as deploy/gunicorn.conf.py sets them."""
    conf = runpy.run_path(str(GUNICORN_CONF))
    return {"max_requests": conf.get("max_requests", 0), "max_requests_jitter": conf.get("max_requests_jitter", 0)}


def start_gunicorn(port: int, workers: int, keep_recycling: bool, env: dict, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn)] if gunicorn.exists() else [sys.executable, "-m", "gunicorn"]
    command += ["-c", str(GUNICORN_CONF), "--chdir", str(ROOT)]
    if not keep_recycling:
        command += ["--max-requests", "0"]  # the command line wins over the config file
    command.append("jxjy.wsgi:application")
    env = {**env, "GUNICORN_BIND": f"{load.HOST}:{port}", "GUNICORN_WORKERS": str(workers)}
    process = spawn(command, env, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(f"http://{load.HOST}:{port}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200 and len(children(process.pid)) == workers:
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT} s:\n{tail(log_path)}")


def start_celery(env: dict, var_dir: Path) -> tuple[subprocess.Popen, subprocess.Popen]:
    """The worker as deploy/jxjy-worker.service runs it, and beat (its schedule file in the run's directory)."""
    celery = Path(sys.executable).parent / "celery"
    base = [str(celery)] if celery.exists() else [sys.executable, "-m", "celery"]
    worker = spawn(
        base + ["-A", "jxjy", "worker", "--loglevel=WARNING", "--concurrency=2", "--max-tasks-per-child=200"],
        env,
        var_dir / "celery-worker.log",
    )
    beat = spawn(
        base + ["-A", "jxjy", "beat", "--loglevel=WARNING", f"--schedule={var_dir / 'celerybeat-schedule'}"],
        env,
        var_dir / "celery-beat.log",
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:  # ready once the pool's processes are there
        for process, name in ((worker, "worker"), (beat, "beat")):
            if process.poll() is not None:
                raise RuntimeError(f"celery {name} exited:\n{tail(var_dir / f'celery-{name}.log')}")
        if len(children(worker.pid)) >= 2:
            return worker, beat
        time.sleep(0.2)
    raise RuntimeError(f"the celery worker did not start its pool:\n{tail(var_dir / 'celery-worker.log')}")


def children(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(text[text.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process and its children that ended have used (0 once it is gone): summed over
    a process tree, the CPU of a worker that was replaced or a database connection that was closed still counts."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return sum(int(value) for value in fields[11:15]) / TICK


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def rss_of(pids: list[int]) -> dict[int, int]:
    return {pid: kib for pid in pids if (kib := rss_kib(pid)) is not None}


# --- PostgreSQL -----------------------------------------------------------------------------------------------


def _admin_connection(server: str):
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True)


def create_database(server: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: str, name: str) -> None:
    from psycopg import sql

    with _admin_connection(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- Data, through the ORM and the services ---------------------------------------------------------------


def create_class() -> int:
    """The one class (a 7,200 s courseware: its pop-up questions sit past 15 %, beyond any run)."""
    return _fixtures.create_class(DURATION)


def add_learners(class_id: int, first: int, count: int) -> list[load.Learner]:
    """Learners number first … first + count − 1, enrolled and signed in (bench/_fixtures.py)."""
    from jxjy.catalog.models import Courseware

    courseware_id = Courseware.objects.get().pk
    return [
        load.Learner(user.pk, enrollment_id, courseware_id, *_fixtures.signed_in(user))
        for user, enrollment_id in _fixtures.enrolled_learners(class_id, first, count)
    ]


# --- The capacity probe (wrk, closed loop) ---------------------------------------------------------------------


def probe(port: int, learners: list[load.Learner], seconds: int, var_dir: Path) -> dict:
    """Requests per second that 2 wrk threads × 16 connections get flat out: heartbeats, then the page mix."""
    listing = var_dir / "learners.tsv"
    listing.write_text(
        "".join(f"{x.cookie}\t{x.csrf}\t{x.playback}\t{x.enrollment_id}\t{x.courseware_id}\n" for x in learners)
    )
    found = {}
    for mode in ("beat", "pages"):
        env = {
            "STEADY_LEARNERS": str(listing),
            "STEADY_MODE": mode,
            "STEADY_THREADS": str(capacity.THREADS),
            "STEADY_ORIGIN": f"http://{load.HOST}:{port}",
        }
        script = str(BENCH / "steady_wrk.lua")
        ran = capacity.run(f"http://{load.HOST}:{port}/", seconds, script=script, env=env, connections=16)
        found[mode] = {"rate": ran.rate, "non_2xx": ran.non_2xx, "socket_errors": ran.socket_errors}
    return found


# --- The run ------------------------------------------------------------------------------------------------------


class Watch:
    """RSS of gunicorn's workers (children of the master) and of the Celery worker, sampled during the run.
    Workers are tracked by PID: one that appears later was started by the master (a recycle or a crash)."""

    def __init__(self, gunicorn: subprocess.Popen, celery: subprocess.Popen, beat: subprocess.Popen, redis=None):
        self.gunicorn, self.celery, self.redis = gunicorn, celery, redis
        self.celery_roots = (celery, beat)
        self.cpu_start: dict = {}
        self.cpu_end: dict = {}
        self.start: dict[int, int] = {}
        self.celery_start: dict[int, int] = {}
        self.timeline: list[tuple[float, dict[int, int]]] = []
        self.first_seen: dict[int, float] = {}
        self.last: dict[int, int] = {}

    def cpu(self) -> dict:
        """CPU seconds so far of each part (gunicorn and Celery as process trees; PostgreSQL as every postgres
        process on the machine, other users' too), this client process, and the whole machine."""
        gunicorn = [self.gunicorn.pid, *children(self.gunicorn.pid)]
        celery = [pid for p in self.celery_roots for pid in (p.pid, *children(p.pid))]
        times = os.times()
        snapshot = {
            "gunicorn": sum(map(cpu_seconds, gunicorn)),
            "Celery": sum(map(cpu_seconds, celery)),
            "PostgreSQL": sum(map(cpu_seconds, postgres_pids())),
            "client": times.user + times.system,
            "machine": machine_busy(),
            "wall": time.monotonic(),
        }
        if self.redis is not None:
            snapshot["Redis"] = cpu_seconds(self.redis.pid)
        return snapshot

    def _workers(self, elapsed: float) -> dict[int, int]:
        sample = rss_of(children(self.gunicorn.pid))
        for pid in sample:
            self.first_seen.setdefault(pid, elapsed)
        self.last.update(sample)
        return sample

    def celery_pids(self) -> list[int]:
        return [self.celery.pid, *children(self.celery.pid)]

    def measure_start(self) -> None:
        self.cpu_start = self.cpu()
        self.start = self._workers(0.0)
        self.celery_start = rss_of(self.celery_pids())
        self.timeline.append((0.0, dict(self.start)))

    def tick(self, elapsed: float, run: load.Run) -> None:
        sample = self._workers(elapsed)
        self.timeline.append((elapsed, sample))
        measured = [s for (phase, _), s in run.stats.items() if phase == "measure"]
        answered = sum(len(s.latencies) for s in measured)
        errors = sum(s.errors for s in measured)
        rss = ", ".join(mib(kib) for _, kib in sorted(sample.items()))
        print(f"  {elapsed:5.0f} s: {run.sent:,} sent, {answered:,} answered, {errors} errors; workers {rss}",
              flush=True)  # fmt: skip

    def end(self, elapsed: float) -> tuple[dict[int, int], dict[int, int]]:
        self.cpu_end = self.cpu()
        sample = self._workers(elapsed)
        self.timeline.append((elapsed, dict(sample)))
        return sample, rss_of(self.celery_pids())


def wait_for_flush(redis_url: str, prefix: str, since: float) -> tuple[int, float]:
    """Wait until the beat's flush has taken every learner off the pending-write set (and at least one flush
    period has passed since the load ended). Returns (learners still pending, seconds waited)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    began = time.monotonic()
    pending = -1
    while time.monotonic() - began < FLUSH_WAIT:
        pending = client.scard(f"{prefix}dirty")
        if pending == 0 and time.monotonic() - since > 12:
            time.sleep(2)  # a flush that popped the last learners is still writing them
            break
        time.sleep(1)
    client.close()
    return pending, time.monotonic() - began


def percentile(sorted_values: list, fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def pad(text: str, width: int) -> str:
    """Left-justify to a width in terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def mib(kib: int | None) -> str:
    return f"{kib / 1024:.1f} MiB" if kib is not None else "—"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", default="40", help="requests per second in all, or 'auto' with --probe (default 40)")
    parser.add_argument("--seconds", type=float, default=600, help="measured seconds (default 600)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of the same load before (default 30)")
    parser.add_argument("--beat-share", type=float, default=0.8, help="share of heartbeats (default 0.8)")
    parser.add_argument("--learners", type=int, default=0, help="default: enough for the heartbeat share")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--keep-recycling", action="store_true", help="keep the config's max_requests")
    parser.add_argument("--probe", type=int, default=0, help="seconds per wrk capacity probe first (default off)")
    parser.add_argument("--redis-url", default="", help="use this Redis database (flushed!) instead of a new server")
    parser.add_argument("--pg-server", default=PG_SERVER, help=f"PostgreSQL server URL (default {PG_SERVER})")
    parser.add_argument("--database", default="jxjy_steady", help="the throw-away database's name")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of this run's processes "
        "(e.g. -10 on a machine shared with other work; below 0 needs root)",
    )
    parser.add_argument("--rss-every", type=float, default=60, help="seconds between RSS samples (default 60)")
    args = parser.parse_args()
    if args.rate == "auto":
        if not args.probe:
            parser.error("--rate auto needs --probe SECONDS")
    else:
        try:
            args.rate = float(args.rate)
        except ValueError:
            parser.error("--rate must be a number or 'auto'")
        if not 1 <= args.rate <= 1000:
            parser.error("--rate must be between 1 and 1000")
    if args.seconds < 5 or args.warmup < 0 or args.warmup + args.seconds > MAX_PLAY:
        parser.error(f"--seconds ≥ 5 and --warmup + --seconds ≤ {MAX_PLAY} (positions stay before the pop-ups)")
    if not 0 <= args.beat_share <= 1 or not 1 <= args.workers <= 16 or not 0 <= args.probe <= 120:
        parser.error("--beat-share 0..1, --workers 1..16, --probe 0..120")
    return args


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:  # noqa: C901, PLR0912, PLR0915 - one linear script, best read top to bottom
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)  # clean up on kill as on Ctrl-C
    if args.nice:
        global NICE
        NICE = args.nice
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # gunicorn, Celery, Redis and wrk inherit it
        prioritize("self")
    command_line = "python bench/steady_load.py " + shlex.join(sys.argv[1:])
    var_dir = Path(tempfile.mkdtemp(prefix="jxjy-steady-"))
    redis_server = gunicorn = worker = beat = None
    redis_url = args.redis_url
    database_created = False
    try:
        if not redis_url:
            redis_server, redis_url = start_redis(var_dir)
        env = _fixtures.configure_environment(str(var_dir), f"{args.pg_server}/{args.database}", redis_url)
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        create_database(args.pg_server, args.database)
        database_created = True

        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        interval = settings.HEARTBEAT_INTERVAL
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG=0 serves the hashed names
        class_id = create_class()
        rate = 0.0 if args.rate == "auto" else args.rate
        wanted = args.learners or max(1, round(rate * args.beat_share * interval))
        learners = add_learners(class_id, 0, PROBE_LEARNERS if args.rate == "auto" else wanted)
        connections.close_all()
        print(f"setup: migrated, static collected, {len(learners)} learners signed in, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip

        port = free_port()
        gunicorn = start_gunicorn(port, args.workers, args.keep_recycling, env, var_dir / "gunicorn.log")
        worker, beat = start_celery(env, var_dir)
        opened = asyncio.run(load.start_all(port, learners))
        if opened != {200: len(learners)}:
            raise RuntimeError(f"playback_start answers: {dict(opened)}\n{tail(var_dir / 'gunicorn.log')}")

        if args.probe:
            capacity = probe(port, learners, args.probe, var_dir)
            beat_cap, page_cap = capacity["beat"]["rate"], capacity["pages"]["rate"]
            share = args.beat_share
            mixed = 1 / (share / beat_cap + (1 - share) / page_cap) if beat_cap and page_cap else 0.0
            print(f"probe (wrk, closed loop, 2 threads × 16 connections, {args.probe} s each): heartbeats "
                  f"{beat_cap:,.0f} req/s, pages {page_cap:,.0f} req/s → this mix ~{mixed:,.0f} req/s "
                  f"(non-2xx/3xx: {capacity['beat']['non_2xx']} + {capacity['pages']['non_2xx']}) "
                  f"{capacity['beat']['socket_errors']} {capacity['pages']['socket_errors']}", flush=True)  # fmt: skip
            if args.rate == "auto":
                rate = max(1.0, round(mixed * 0.5))
                wanted = args.learners or max(1, round(rate * args.beat_share * interval))
            if wanted > len(learners):
                learners += add_learners(class_id, len(learners), wanted - len(learners))
                connections.close_all()
            opened = asyncio.run(load.start_all(port, learners))  # a new playback each: seq from 1 again
            if opened != {200: len(learners)}:
                raise RuntimeError(f"playback_start answers after the probe: {dict(opened)}")

        active = learners[:wanted]
        beat_rate = len(active) / interval
        page_rate = max(0.0, rate - beat_rate)
        print(f"load: {rate:g} req/s for {args.warmup:g} s warm-up + {args.seconds:g} s measured: "
              f"{len(active)} learners × 1 heartbeat / {interval} s = {beat_rate:.1f} /s, "
              f"pages {page_rate:.1f} /s", flush=True)  # fmt: skip

        before = {"machine": machine_busy(), "wall": time.monotonic()}
        time.sleep(3)
        background = (machine_busy() - before["machine"]) / (
            (time.monotonic() - before["wall"]) * (os.cpu_count() or 1)
        )
        print(
            f"background: the cores were {background * 100:.0f} % busy in the 3 s before the load (others' work; "
            f"this run's processes idle), load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        watch = Watch(gunicorn, worker, beat, redis_server)
        run = asyncio.run(
            load.drive(
                port,
                active,
                page_rate=page_rate,
                interval=interval,
                warmup=args.warmup,
                seconds=args.seconds,
                on_measure_start=watch.measure_start,
                on_tick=watch.tick,
                tick_every=args.rss_every,
            )
        )
        load_ended = time.monotonic()
        end_workers, end_celery = watch.end(load_ended - run.first_sent)
        pending, waited = wait_for_flush(redis_url, settings.HEARTBEAT_STATE_PREFIX, load_ended)
        gunicorn_alive = gunicorn.poll() is None

        from django.db.models import Sum

        from jxjy.learning.models import CoursewareProgress

        stored = dict(CoursewareProgress.objects.values_list("enrollment_id").annotate(total=Sum("credited")))
        connections.close_all()

        # --- Report ---
        conf = gunicorn_settings()
        measured = {kind: s for (phase, kind), s in run.stats.items() if phase == "measure"}
        warm = {kind: s for (phase, kind), s in run.stats.items() if phase == "warmup"}
        print(f"\nSteady load, {time.strftime('%Y-%m-%d %H:%M %Z')}: {command_line}")
        print(f"machine: {os.cpu_count()} cores, shared: {background * 100:.0f} % of them busy with other work just "
              f"before the load")  # fmt: skip
        recycle_note = (
            "kept as configured"
            if args.keep_recycling
            else "turned off for this run (--max-requests 0) so each worker is measured across the whole run"
        )
        print(f"gunicorn -c deploy/gunicorn.conf.py, {args.workers} sync workers, DEBUG=0; the config's "
              f"max_requests={conf['max_requests']} + max_requests_jitter={conf['max_requests_jitter']}: "
              f"{recycle_note}; Celery worker (--concurrency=2) and beat (flush every "
              f"{settings.CELERY_BEAT_SCHEDULE['flush-playback-state']['schedule']} s); own PostgreSQL database, "
              f"{'own redis-server' if redis_server else 'Redis ' + redis_url}")  # fmt: skip
        lag = sorted(run.dispatch_lag)
        print(f"rate: {rate:g} req/s target ({beat_rate:.1f} heartbeats/s from {len(active)} learners, "
              f"{page_rate:.1f} pages/s), achieved {run.achieved_rate:.2f} req/s over {args.seconds:g} s measured "
              f"after {args.warmup:g} s warm-up; requests left p99 {percentile(lag, 0.99) * 1000:.1f} ms, "
              f"max {lag[-1] * 1000 if lag else 0:.1f} ms after due")  # fmt: skip
        print(f"\n  {'kind':<40} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        total = load.Stats()
        kinds = sorted(measured, key=lambda k: (k != load.BEAT, k))
        for kind in kinds:
            s = measured[kind]
            values = sorted(s.latencies)
            print(f"  {pad(kind, 40)} {s.requests:>9,} {s.errors:>7,} {percentile(values, 0.5) * 1000:>8.1f} "
                  f"{percentile(values, 0.99) * 1000:>8.1f} {(values[-1] if values else 0) * 1000:>8.1f}")  # fmt: skip
            total.latencies += s.latencies
            total.statuses.update(s.statuses)
            total.failures.update(s.failures)
        values = sorted(total.latencies)
        print(f"  {'all':<40} {total.requests:>9,} {total.errors:>7,} {percentile(values, 0.5) * 1000:>8.1f} "
              f"{percentile(values, 0.99) * 1000:>8.1f} {(values[-1] if values else 0) * 1000:>8.1f}")  # fmt: skip
        warm_errors = sum(s.errors for s in warm.values())
        errors = total.errors + warm_errors
        statuses = sum((s.statuses for s in run.stats.values()), start=load.Stats().statuses)
        failures = sum((s.failures for s in run.stats.values()), start=load.Stats().failures)
        print(f"\n  answers (warm-up and measured): {dict(sorted(statuses.items()))}"
              f"{f', no answer: {dict(failures)}' if failures else ''}; errors: {errors} "
              f"({warm_errors} in the warm-up)")  # fmt: skip

        print("\n  RSS (VmRSS) of each gunicorn worker, after the warm-up → at the end:")
        recycling = "max_requests is on" if args.keep_recycling else "recycling was off, so it died"
        growths = []  # of the workers there after the warm-up, to the end or to their last sample
        for pid in sorted(set(watch.start) | set(end_workers) | set(watch.first_seen)):
            begin, final = watch.start.get(pid), end_workers.get(pid)
            if begin is not None:
                last = final if final is not None else watch.last[pid]
                growth = (last - begin) / begin * 100
                growths.append(growth)
                gone = "" if final is not None else f" at its last sample, then gone (recycled or died: {recycling})"
                print(f"    worker {pid}: {mib(begin)} → {mib(last)} ({growth:+.1f} %){gone}")
            else:
                when = "at the end" if final is not None else "at its last sample"
                print(f"    worker {pid}: started {watch.first_seen[pid]:.0f} s into the measure (replacing one) → "
                      f"{mib(final if final is not None else watch.last[pid])} {when}")  # fmt: skip
        recycles = len(set(watch.first_seen) - set(watch.start))
        if len(watch.timeline) > 2:
            print("    samples (s: MiB per worker): " + "; ".join(
                f"{t:.0f}: " + "/".join(f"{kib / 1024:.1f}" for _, kib in sorted(sample.items()))
                for t, sample in watch.timeline))  # fmt: skip
        celery_line = ", ".join(
            f"{'main' if pid == worker.pid else 'pool'} {pid} {mib(watch.celery_start.get(pid))} → {mib(kib)}"
            for pid, kib in sorted(end_celery.items(), key=lambda item: item[0] != worker.pid)
        )
        print(f"  Celery worker: {celery_line}")
        if recycles:
            print(f"  workers recycled during the measure: {recycles}")

        if watch.cpu_start and watch.cpu_end:
            spent = {k: watch.cpu_end[k] - watch.cpu_start[k] for k in watch.cpu_start}
            cores = spent.pop("wall") * (os.cpu_count() or 1)
            machine = spent.pop("machine")
            other = max(0.0, machine - sum(spent.values()))
            parts = ", ".join(f"{name} {seconds / cores * 100:.0f} %" for name, seconds in spent.items())
            print(f"  CPU during the measure, share of the {os.cpu_count()} cores: machine busy "
                  f"{machine / cores * 100:.0f} % — {parts}, everything else {other / cores * 100:.0f} %")  # fmt: skip

        beats = [s for (phase, kind), s in run.stats.items() if kind == load.BEAT]
        played = sum(x.position for x in active)
        answered = sum(x.credited for x in active)
        in_pg = sum(stored.get(x.enrollment_id, 0.0) for x in active)
        over = [x for x in active if stored.get(x.enrollment_id, 0.0) > x.position + 0.01]
        short = sum(s.short for s in beats)
        refused = sum(s.not_accepted for s in beats)
        beat_total = sum(s.requests for s in beats)
        print(f"\n  credited vs played (PostgreSQL, after the flush; {pending} learners still pending after "
              f"{waited:.0f} s): {in_pg:,.1f} s credited of {played:,.1f} s played "
              f"({in_pg / played * 100 if played else 0:.2f} %); the answers credited {answered:,.1f} s; "
              f"learners credited more than played: {len(over)}; heartbeats credited short: {short} of "
              f"{beat_total:,}; not accepted: {refused}")  # fmt: skip

        verdict_errors = "0 errors" if errors == 0 else f"{errors} ERRORS"
        worst = max(growths) if growths else float("nan")
        rss_ok = bool(growths) and worst <= RSS_TARGET
        print(f"\n  verdict: {verdict_errors}; worst worker growth {worst:+.1f} % "
              f"({'within' if rss_ok else 'OVER'} the {RSS_TARGET:g} % target); credited ≤ played: "
              f"{'yes' if not over else 'NO'}; gunicorn {'still up' if gunicorn_alive else 'DIED'}")  # fmt: skip
        log = tail(var_dir / "gunicorn.log", 400)
        problems = [line for line in log.splitlines() if '" 2' not in line and '" 3' not in line]
        if problems:
            print("\n  gunicorn log, lines other than 2xx/3xx access lines (last 15):\n    "
                  + "\n    ".join(problems[-15:]))  # fmt: skip
        for name in ("celery-worker", "celery-beat"):
            bad = [line for line in tail(var_dir / f"{name}.log", 400).splitlines() if "ERROR" in line]
            if bad:
                print(f"\n  {name} log, errors (last 5):\n    " + "\n    ".join(bad[-5:]))
        return 0 if errors == 0 and not over and gunicorn_alive else 1
    finally:
        stop(gunicorn)
        stop(worker)
        stop(beat)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet; the database goes anyway
            pass
        if database_created:
            drop_database(args.pg_server, args.database)
        if redis_server is not None:
            stop(redis_server)
        elif redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: processes stopped, database dropped", file=sys.stderr)
        sys.exit(130)
