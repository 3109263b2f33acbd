"""Latency at a fixed rate: each hot request at half its capacity, p50 / p99 / p99.9 / max (issue 17, item 3).

    .venv/bin/python bench/latency_bench.py [--seconds 60] [--probe 5] [--share 0.5] [--learners 200]

Serves the app as production does on this machine: gunicorn with 2 sync workers (DEBUG=0) behind nginx, PostgreSQL
(database `jxjy_latency`, created and dropped) and Redis (database 13, flushed) for the cache, the sessions and the
playback state. For each kind — POST the heartbeat (every learner's seq + 1 and position + 0.02 s a beat, less
than the real time between that learner's beats; the first beat of each new playback reports the start and earns
nothing, as the player's; every later beat must be credited: the replies are read and any other counts as bad),
POST the exam autosave (exams:answer, learners with an attempt in progress, each saving its paper's questions in
turn), GET 学员中心, 班级首页 and 在线学习 — it first measures the capacity (wrk -t2 -c32 flat out,
`--probe` seconds), then sends that kind at a fixed rate of `--share` (50 %) of it for `--seconds` (60: the p99 of
a 20-s run rests on a handful of requests) and prints one table against the targets: p99 ≤ 50 ms for the
heartbeat and the autosave, ≤ 200 ms for the pages.

Why wrk with its Lua delay() (bench/latency_wrk.lua), and why nginx in front:
- A compiled generator: Python clients on the same 2 cores take as much CPU as the server. Debian's `hey -q`
  sends one fixed body (a heartbeat needs each learner's next seq) and drops the ticks it misses without saying
  so; wrk runs a Lua script per request and can pace through delay().
- wrk paces per connection: a connection that is free waits for the next due time of its thread's schedule. It
  is a closed loop all the same: when every connection is busy a due time passes and the request leaves late
  (coordinated omission: wrk times from leaving, not from being due). The script keeps each request's lateness
  and the table shows how many left more than 5 ms late and the worst: with none late the figures are those of
  a fixed arrival rate. 32 connections against 2 workers leave plenty free at half the capacity.
- A connection that waits for its due time is open and idle. gunicorn's sync worker takes the next connection
  and blocks reading it, so paced idle connections straight to gunicorn would stall the workers (the reason
  gunicorn's docs put sync workers behind a buffering proxy). nginx holds them and hands gunicorn whole
  requests, as deploy/nginx.conf does in production; capacity and latency are both measured through it.

Latency is wrk's, from the request's first byte written to the answer's last byte read, on a connection already
open to nginx (a browser's connection to nginx is kept alive too).
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import _fixtures  # noqa: E402
import _server  # noqa: E402
import _wrk as wrk  # noqa: E402
import steady_client as client  # noqa: E402
import steady_load as stack  # noqa: E402
from _server import free_port, start_gunicorn, stop_gunicorn, tail  # noqa: E402

DB_NAME = "jxjy_latency"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"
DURATION = 7200.0  # seconds of the one courseware: the pop-up questions sit past 15 %, beyond any run
EXAM_LEARNERS = 100
SCRIPT = BENCH / "latency_wrk.lua"
BEAT, SAVE = "POST /learning/heartbeat/", "POST exam autosave (exams:answer)"
TARGETS = {BEAT: 50.0, SAVE: 50.0}  # p99 ms; the pages: PAGE_TARGET
PAGE_TARGET = 200.0


# --- PostgreSQL, Redis, nginx -----------------------------------------------------------------------------------


def recreate_database(drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def flush_redis() -> None:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.flushdb()
    finally:
        connection.close()


NGINX_CONF = """worker_processes 1;
pid {var}/nginx.pid;
error_log {var}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {var}/nginx-body;
    proxy_temp_path {var}/nginx-proxy;
    fastcgi_temp_path {var}/nginx-fastcgi;
    uwsgi_temp_path {var}/nginx-uwsgi;
    scgi_temp_path {var}/nginx-scgi;
    upstream jxjy_app {{ server 127.0.0.1:{upstream}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        keepalive_timeout 120s;
        proxy_buffers 32 16k;
        proxy_max_temp_file_size 0;
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_pass http://jxjy_app;
        }}
    }}
}}
"""


def start_nginx(upstream: int, var_dir: Path) -> tuple[subprocess.Popen, int]:
    """nginx in the foreground in front of gunicorn (deploy/nginx.conf's proxy part, plain HTTP on 127.0.0.1)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("the latency bench needs nginx: apt-get install nginx-light")
    port = free_port()
    conf = var_dir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(var=var_dir, upstream=upstream, port=port))
    command = [nginx, "-p", str(var_dir), "-c", str(conf), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    import urllib.request

    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://{client.HOST}:{port}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.1)
    stop_gunicorn(process)  # terminate, then kill its session
    raise RuntimeError(f"nginx did not answer:\n{tail(var_dir / 'nginx-error.log')}")


# --- Data -------------------------------------------------------------------------------------------------------


def create_data(learners: int) -> tuple[list, list]:
    """The class (bench/_fixtures.py), enough questions for an exam paper, `learners` signed-in learners for the
    heartbeats and the pages, and EXAM_LEARNERS more each with an exam attempt in progress: (learners, sitters),
    a sitter being (learner, attempt id, question ids)."""
    from jxjy.catalog.models import Courseware

    class_id = _fixtures.create_class(DURATION)
    _fixtures.add_questions(single=20, multiple=10, judge=10)
    courseware = Courseware.objects.get().pk
    enrolled = _fixtures.enrolled_learners(class_id, 0, learners + EXAM_LEARNERS)
    everyone = [client.Learner(u.pk, e, courseware, *_fixtures.signed_in(u)) for u, e in enrolled]
    sitters = [(x, *_fixtures.open_exam(x.enrollment_id)) for x in everyone[learners:]]
    return everyone[:learners], sitters


def listings(learners: list, sitters: list) -> dict:
    """Kind → the lines of latency_wrk.lua's learner file (cookie, csrf, path, extra) and its mode."""

    def line(x, path, extra=""):
        return f"{x.cookie}\t{x.csrf}\t{path}\t{extra}\n"

    return {
        BEAT: ("beat", [line(x, "/learning/heartbeat/", x.playback) for x in learners]),
        SAVE: (
            "save",
            [
                line(x, f"/study/{x.enrollment_id}/exam/{attempt}/answer/", ",".join(map(str, questions)))
                for x, attempt, questions in sitters
            ],
        ),
        "GET /center/ 学员中心": ("get", [line(x, "/center/") for x in learners]),
        "GET /study/<e>/ 班级首页": ("get", [line(x, f"/study/{x.enrollment_id}/") for x in learners]),
        "GET /study/<e>/courses/ 在线学习": ("get", [line(x, f"/study/{x.enrollment_id}/courses/") for x in learners]),
    }


# --- wrk --------------------------------------------------------------------------------------------------------


def own_backends() -> list[int]:
    """PostgreSQL backends serving this benchmark's database (their command line names it)."""
    found = []
    for pid in stack.postgres_pids():
        try:
            if f" {DB_NAME} " in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace"
            ):
                found.append(pid)
        except OSError:
            continue
    return found


def cpu_now(servers: list) -> dict:
    """CPU seconds so far of the machine, of the servers (gunicorn's and nginx's process trees), of this database's
    PostgreSQL backends (those alive at both ends of a run: gunicorn keeps its connections) and of wrk (this
    process's finished children), and the wall clock."""
    pids = [pid for p in servers for pid in (p.pid, *stack.children(p.pid))]
    times = os.times()
    return {
        "machine": stack.machine_busy(),
        "servers": sum(map(stack.cpu_seconds, pids)),
        "backends": {pid: stack.cpu_seconds(pid) for pid in own_backends()},
        "wrk": times.children_user + times.children_system,
        "wall": time.monotonic(),
    }


def cpu_shares(before: dict, after: dict) -> dict:
    """Shares of the cores during a run: busy in all, gunicorn + nginx, wrk; the rest is PostgreSQL, Redis and
    everything else on the machine (other people's work included)."""
    cores = (after["wall"] - before["wall"]) * (os.cpu_count() or 1)
    shares = {key: (after[key] - before[key]) / cores for key in ("machine", "servers", "wrk")}
    spent = [after["backends"][pid] - before["backends"][pid] for pid in after["backends"] if pid in before["backends"]]
    shares["postgres"] = sum(spent) / cores
    return shares


def drive(port: int, mode: str, lines: list, seconds: int, rate: float, var_dir: Path, servers: list) -> dict:
    """One wrk run of latency_wrk.lua (rate 0: flat out): wrk's rate, then the script's own counts and latencies,
    and how busy the cores were."""
    listing = var_dir / "learners.tsv"
    listing.write_text("".join(lines))
    env = {
        "LAT_LEARNERS": str(listing),
        "LAT_MODE": mode,
        "LAT_THREADS": str(wrk.THREADS),
        "LAT_ORIGIN": f"http://{client.HOST}:{port}",
        "LAT_RATE": f"{rate:.3f}",
        "LAT_STEP": "0.02",
    }
    before = cpu_now(servers)
    ran = wrk.run(f"http://{client.HOST}:{port}/", seconds, script=str(SCRIPT), env=env)
    found = {"rate": ran.rate, "socket_errors": ran.socket_errors, "output": ran.output}
    found["cpu"] = cpu_shares(before, cpu_now(servers))
    for line in ran.output.splitlines():
        if line.startswith("lat "):
            for pair in line.split()[1:]:
                key, value = pair.split("=")
                found[key] = float(value)
    if "p99_us" not in found:
        raise RuntimeError(f"wrk printed no figures:\n{ran.output}")
    return found


def measure(port: int, kinds: dict, learners: list, args, var_dir: Path, servers: list) -> list[tuple]:
    """Each kind: capacity flat out, then `share` of it at a fixed rate. Heartbeat runs start every learner's
    playback again first (a new session each, seq from 1)."""
    results = []
    for label, (mode, lines) in kinds.items():
        runs = []
        for rate_of in (None, args.share):
            if mode == "beat":
                opened = asyncio.run(client.start_all(port, learners))
                if opened != {200: len(learners)}:
                    raise RuntimeError(f"playback_start answers: {dict(opened)}")
                lines = listings(learners, [])[BEAT][1]  # the new playback ids
            rate = 0.0 if rate_of is None else runs[0]["rate"] * rate_of
            seconds = args.probe if rate_of is None else args.seconds
            runs.append(drive(port, mode, lines, seconds, rate, var_dir, servers))
        print(f"  {label}: capacity {runs[0]['rate']:,.0f} req/s, paced {runs[1]['rate']:,.0f} req/s", flush=True)
        results.append((label, runs[0], runs[1]))
    return results


# --- Report -----------------------------------------------------------------------------------------------------


def pad(text: str, width: int) -> str:
    """Left-justify to a width in terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - columns)


def report(results, args, background: float) -> bool:
    print(
        f"\nLatency at a fixed rate, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        "python bench/latency_bench.py "
        f"--seconds {args.seconds} --probe {args.probe} --share {args.share} --learners {args.learners}"
    )
    print(
        f"machine: {os.cpu_count()} cores ({background * 100:.0f} % busy with other work before the run); nginx → "
        f"gunicorn {args.workers} sync workers, DEBUG=0, PostgreSQL + Redis; wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS}"
        f", capacity flat out {args.probe} s, then {args.share * 100:.0f} % of it for {args.seconds} s"
    )
    head = f"  {pad('kind', 36)} {'cap/s':>6} {'rate/s':>6} {'sent':>6} {'late':>5} {'late max':>8} {'bad':>4}"
    print(head + f" {'p50 ms':>7} {'p99 ms':>7} {'p99.9':>7} {'max ms':>7} {'target':>7}")
    met = True
    for label, cap, paced in results:
        target = TARGETS.get(label, PAGE_TARGET)
        p99 = paced["p99_us"] / 1000
        ok = p99 <= target and not paced["bad"] and not cap["bad"]
        met &= ok
        print(
            f"  {pad(label, 36)} {cap['rate']:>6,.0f} {paced['rate']:>6,.0f} {paced['sent']:>6,.0f} "
            f"{paced['late']:>5,.0f} {paced['late_max_ms']:>6.1f}ms {cap['bad'] + paced['bad']:>4,.0f} "
            f"{paced['p50_us'] / 1000:>7.1f} {p99:>7.1f} {paced['p999_us'] / 1000:>7.1f} "
            f"{paced['max_us'] / 1000:>7.1f} {'≤' if p99 <= target else '>'}{target:>4.0f} {'ok' if ok else 'MISSED'}"
        )
        for name, run in (("flat out", cap), ("fixed rate", paced)):
            share = run["cpu"]
            rest = share["machine"] - share["servers"] - share["wrk"] - share["postgres"]
            print(
                f"    cores {name}: {share['machine'] * 100:3.0f} % busy — gunicorn + nginx "
                f"{share['servers'] * 100:3.0f} %, its PostgreSQL {share['postgres'] * 100:2.0f} %, wrk "
                f"{share['wrk'] * 100:2.0f} %, Redis and everything else (other people's work) {rest * 100:3.0f} %"
            )
        for run in (cap, paced):
            if run["socket_errors"]:
                print(f"    ! {run['socket_errors']}")
    print(
        "  late: requests that left > 5 ms after their due time (every connection busy: wrk's coordinated omission);"
        "\n  bad: any answer other than 200, a heartbeat not accepted or credited nothing, an autosave not saved."
    )
    print(f"  verdict: {'every target met' if met else 'a target MISSED'}")
    return met


def background_load(seconds: float = 2.0) -> float:
    def busy() -> float:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(values[:3]) + sum(values[5:8])

    before, started = busy(), time.monotonic()
    time.sleep(seconds)
    ticks = os.sysconf("SC_CLK_TCK")
    return (busy() - before) / ticks / ((time.monotonic() - started) * (os.cpu_count() or 1))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="seconds at the fixed rate per kind (default 60)")
    parser.add_argument("--probe", type=int, default=5, help="seconds of the flat-out capacity run (default 5)")
    parser.add_argument("--share", type=float, default=0.5, help="fixed rate as a share of capacity (default 0.5)")
    parser.add_argument("--learners", type=int, default=200, help="learners for heartbeats and pages (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300 or not 1 <= args.probe <= 60 or not 0 < args.share <= 1:
        parser.error("--seconds 1..300, --probe 1..60, --share in (0, 1]")
    if not 10 <= args.learners <= 5000 or not 1 <= args.workers <= 16:
        parser.error("--learners 10..5000, --workers 1..16")
    return args


def main() -> int:
    args = parse_args()
    _server.stop_on_sigterm()
    wrk.wrk_path()  # says how to install wrk before anything is set up
    var_dir = Path(tempfile.mkdtemp(prefix="jxjy-latency-"))
    env = _fixtures.configure_environment(str(var_dir), f"{PG_SERVER}/{DB_NAME}", REDIS_URL)
    gunicorn = nginx = None
    recreate_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        flush_redis()
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG=0 serves the hashed names
        learners, sitters = create_data(args.learners)
        connections.close_all()
        print(
            f"setup: {len(learners)} learners + {len(sitters)} sitting an exam, {time.perf_counter() - started:.0f} s"
        )
        background = background_load()
        upstream = free_port()
        gunicorn = start_gunicorn(upstream, args.workers, env, var_dir / "gunicorn.log")
        nginx, port = start_nginx(upstream, var_dir)
        results = measure(port, listings(learners, sitters), learners, args, var_dir, [gunicorn, nginx])
        met = report(results, args, background)
        log = tail(var_dir / "gunicorn.log", 10)
        if log.strip():
            print(f"\ngunicorn log (last lines):\n{log}")
        return 0 if met else 1
    finally:
        stop_gunicorn(nginx)
        stop_gunicorn(gunicorn)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet; the database goes anyway
            pass
        recreate_database(drop_only=True)
        flush_redis()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn and nginx stopped, database dropped", file=sys.stderr)
        sys.exit(130)
