"""PostgreSQL stopped for 20 s under load: the app answers calmly and recovers by itself.

The app runs against a PostgreSQL cluster of the test's own (initdb in a temporary directory, its own port), so it
can be stopped without touching the shared server. Learners send heartbeats and open their class page from a few
threads; the cluster is stopped at once (`pg_ctl stop -m immediate`: every connection cut), the load goes on for
FAULT_PG_OUTAGE_SECONDS (20 by default), and the cluster is started again, gunicorn untouched. During the outage
every page is a calm 503 saying 请稍后再试 without any stack trace, every heartbeat JSON (an ordinary one still judged
from Redis, a 200; one that must write PostgreSQL, a 503) — none is a 500 and no connection is dropped; the app's error log stays short; after the restart the app answers 200 again
within seconds."""

import http.client
import json
import os
import shutil
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from . import harness
from .harness import Browser

# Its own cluster, so it could run anywhere initdb does; it runs once, in CI's PostgreSQL + Redis pass.
pytestmark = [
    harness.needs_postgres_and_redis,
    pytest.mark.skipif(
        not (harness.postgres_binaries_available() and shutil.which("redis-server")),
        reason="needs the initdb and pg_ctl binaries (and runuser when run as root) and redis-server",
    ),
]

OUTAGE = float(os.environ.get("FAULT_PG_OUTAGE_SECONDS", "20"))
LEARNERS = 3  # each: one heartbeat thread and one page thread
PAUSE = 0.25  # seconds between one thread's requests
RECOVERY = 10.0  # seconds the app may take to answer 200 again after PostgreSQL is back
MAX_LOG_LINES = 100  # lines the app may log during the whole outage


@dataclass
class Answer:
    kind: str  # "heartbeat" or "page"
    sent: float
    done: float
    status: int | str  # the HTTP status, or the exception's name when no answer came
    body: str = ""
    content_type: str = ""


def is_json(answer: Answer) -> bool:
    if not answer.content_type.startswith("application/json"):
        return False
    try:
        json.loads(answer.body)
    except ValueError:
        return False
    return True


def run_load(learners, stop, answers, lock):
    def record(kind, send):
        sent = time.monotonic()
        try:
            reply = send()
            answer = Answer(kind, sent, time.monotonic(), reply.status, reply.text[:20000],
                            reply.headers.get("Content-Type", ""))  # fmt: skip
        except (OSError, http.client.HTTPException) as exc:
            answer = Answer(kind, sent, time.monotonic(), type(exc).__name__)
        with lock:
            answers.append(answer)

    def heartbeats(browser, learner, session):
        """An honest player: one heartbeat after another, the position advancing with real time."""
        started, seq = time.monotonic(), 0

        def beat():
            fields = {"session": session, "seq": seq, "position": f"{time.monotonic() - started:.2f}", "playing": 1}
            return browser.post("/learning/heartbeat/", fields, json_reply=True)

        while not stop.is_set():
            seq += 1
            record("heartbeat", beat)
            stop.wait(PAUSE)

    def pages(browser, learner):
        while not stop.is_set():
            record("page", lambda: browser.get(f"/study/{learner['enrollment']}/"))
            stop.wait(PAUSE)

    threads = []
    for learner, (browser, session) in learners:
        threads.append(threading.Thread(target=heartbeats, args=(browser, learner, session), daemon=True))
        threads.append(threading.Thread(target=pages, args=(browser, learner), daemon=True))
    for thread in threads:
        thread.start()
    return threads


@pytest.fixture
def cluster(stack, request):
    """The test's own PostgreSQL cluster, migrated: a copy of the run's migrated template when the suite runs on
    PostgreSQL (a second or two), else `migrate` (several seconds more)."""
    cluster = harness.PostgresCluster(stack)
    cluster.start()
    cluster.create_database()
    if harness.can_copy_databases():
        harness.copy_database(harness.server_url(request.getfixturevalue("template_database")), cluster.url)
    else:
        env = harness.app_environment(database_url=cluster.url, redis_url="", var_dir=stack.var_dir)
        harness.manage(env, "migrate", "--noinput", "--skip-checks", "-v", "0", timeout=300)
    return cluster


def test_postgres_stopped_under_load_answers_calm_503s_and_recovers_by_itself(stack, cluster):
    redis = harness.redis_server(stack).start()
    env = harness.app_environment(database_url=cluster.url, redis_url=redis.url, var_dir=stack.var_dir)
    data = harness.setup_data(env, f"studying_learners({LEARNERS})")
    app = harness.gunicorn(stack, env).start()
    learners = []
    for learner in data["learners"]:
        browser = Browser(app.port)
        browser.sign_in(learner["id_number"], data["password"])
        opened = browser.post(f"/learning/{learner['enrollment']}/play/{data['courseware']}/", {}, json_reply=True)
        assert opened.status == 200, opened.text[:300]
        learners.append((learner, (browser, opened.json()["session"])))

    stop, answers, lock = threading.Event(), [], threading.Lock()
    threads = run_load(learners, stop, answers, lock)
    try:
        harness.wait_for(lambda: len(answers) >= 4 * LEARNERS, 30, "the load to get going")
        log_before = app.stderr_path.stat().st_size
        cluster.stop_immediately()
        stopped = time.monotonic()
        stop.wait(OUTAGE)
        log_after = app.stderr_path.stat().st_size
        restarting = time.monotonic()
        cluster.start()
        started = time.monotonic()

        def answered_again():  # a 200 for both kinds, sent after PostgreSQL was back
            with lock:
                return {a.kind for a in answers if a.sent >= started and a.status == 200} == {"heartbeat", "page"}

        harness.wait_for(answered_again, RECOVERY + 20, "200s after the restart", interval=0.1)
        recovered = time.monotonic() - started
        stop.wait(3)  # a little steady load after the recovery
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    with open(app.stderr_path, "rb") as log:
        log.seek(log_before)
        outage_log = log.read(log_after - log_before)
    during = [a for a in answers if a.sent >= stopped and a.done <= restarting]
    after = [a for a in answers if a.sent >= started]
    tail = [a for a in answers if a.sent >= started + recovered]
    all_statuses = Counter(a.status for a in answers)
    during_statuses = Counter(a.status for a in during)
    calm_pages = [a for a in during if a.kind == "page" and "请稍后再试" in a.body and "Traceback" not in a.body]
    json_beats = [a for a in during if a.kind == "heartbeat" and is_json(a)]
    lines = outage_log.count(b"\n")
    print(
        f"\n[fault] PostgreSQL stopped {OUTAGE:.0f} s under load ({2 * LEARNERS} client threads): "
        f"{len(during)} answers during the outage {dict(during_statuses)} — calm 503 pages "
        f"{len(calm_pages)}/{sum(a.kind == 'page' for a in during)}, JSON heartbeats "
        f"{len(json_beats)}/{sum(a.kind == 'heartbeat' for a in during)}; whole run {dict(all_statuses)}; "
        f"200 again {recovered:.1f} s after PostgreSQL was back (gunicorn not restarted), "
        f"{sum(a.status != 200 for a in after)} non-200 answers after it; app log during the outage "
        f"{lines} lines, {len(outage_log)} bytes"
    )
    assert during, "no request was answered during the outage"
    assert all_statuses[500] == 0, "a 500 answer"
    assert not [s for s in all_statuses if isinstance(s, str)], "a dropped connection"
    # Pages need PostgreSQL: a calm 503 each. An ordinary heartbeat does not (issue 17: its fast path reads the
    # session, the auth card and the playback state from Redis), so it goes on being judged and credited there, and
    # the flush writes it once PostgreSQL is back; one that needs PostgreSQL (a pause, the first credit) is a JSON 503.
    assert {a.status for a in during if a.kind == "page"} == {503}
    assert {a.status for a in during if a.kind == "heartbeat"} <= {200, 503}
    assert len(calm_pages) == sum(a.kind == "page" for a in during)
    assert len(json_beats) == sum(a.kind == "heartbeat" for a in during)
    assert recovered <= RECOVERY
    assert tail and all(a.status == 200 for a in tail)
    assert lines < MAX_LOG_LINES
