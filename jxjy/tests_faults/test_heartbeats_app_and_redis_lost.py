"""The app killed and Redis lost mid-heartbeats: learners who play honestly lose at most the time since the last
flush (one flush interval), and are never credited more than they played.

Five learners play one courseware with an honest player (the position advances with real time; one heartbeat a
second), while Celery beat and a worker flush the playback state to PostgreSQL on the project's schedule. At a random
moment gunicorn (master and workers) and redis-server are SIGKILLed; a fresh, empty redis-server and gunicorn are
started. The players' heartbeats now answer 401 (the sessions lived in Redis): each learner signs in again and opens
the courseware again, which resumes where PostgreSQL says, as the real player page does. After a while they pause
(written at once). Credited seconds in PostgreSQL are compared with the seconds each learner's accepted heartbeats
reported as played."""

import http.client
import random
import statistics
import threading
import time

from django.conf import settings

from . import harness
from .harness import Browser

pytestmark = harness.needs_postgres_and_redis

LEARNERS = 5
BEAT_EVERY = 1.0  # seconds between one learner's heartbeats (the player sends one every 15 s; faster shows more)
# The flush's own latency: beat's tick and the worker's pickup make two flushes up to about a second more than the
# interval apart on a busy machine.
JITTER = 1.5


def flush_interval() -> float:
    return float(settings.HEARTBEAT_FLUSH_SECONDS)


class SignedOut(Exception):
    pass


class Player:
    """An honest player page: its video's position advances with real time from where the playback resumed; it
    reports (seq, position) and counts as played only what an accepted heartbeat reported."""

    def __init__(self, browser: Browser, learner: dict, courseware: int, password: str):
        self.browser, self.learner, self.courseware, self.password = browser, learner, courseware, password
        self.played = 0.0  # seconds reported by accepted heartbeats, over every playback
        self.credited_replies = 0.0
        self.playbacks = 0
        self.errors = 0  # no answer (the app down) or 5xx
        self.session = None

    def open(self) -> None:
        """Sign in (again) and open the courseware: a new playback from the resume position PostgreSQL has."""
        self.browser.sign_in(self.learner["id_number"], self.password)
        path = f"/learning/{self.learner['enrollment']}/play/{self.courseware}/"
        reply = self.browser.post(path, {}, json_reply=True)
        assert reply.status == 200, reply.text[:300]
        data = reply.json()
        self.session, self.seq, self.playbacks = data["session"], 0, self.playbacks + 1
        self.resumed_at, self.started, self.reported = float(data["position"]), None, float(data["position"])

    def beat(self, playing: bool = True) -> None:
        now = time.monotonic()
        if self.started is None:  # the first heartbeat reports the starting position (the video's "play" event)
            self.started = now
        position = self.resumed_at + (now - self.started)
        self.seq += 1
        fields = {"session": self.session, "seq": self.seq, "position": f"{position:.2f}", "playing": int(playing)}
        try:
            reply = self.browser.post("/learning/heartbeat/", fields, json_reply=True, timeout=10)
        except (OSError, http.client.HTTPException):
            self.errors += 1
            return
        if reply.status == 401:
            raise SignedOut
        if reply.status != 200:
            self.errors += 1
            return
        data = reply.json()
        if data.get("accepted"):
            self.played += float(f"{position:.2f}") - self.reported
            self.reported = float(f"{position:.2f}")
            self.credited_replies += data["credited"]


def play(player: Player, stop: threading.Event, failures: list) -> None:
    try:
        while not stop.is_set():
            began = time.monotonic()
            try:
                if player.session is None:
                    player.open()
                player.beat()
            except SignedOut:
                player.session = None  # sign in again and reopen the courseware on the next tick
            except (OSError, http.client.HTTPException, AssertionError):
                pass  # the app is down or restarting: sign in again on the next tick
            stop.wait(max(0.0, BEAT_EVERY - (time.monotonic() - began)))
    except Exception as exc:  # noqa: BLE001 - reported by the test
        failures.append(exc)


def test_app_killed_and_redis_lost_lose_at_most_one_flush_interval(stack, template_database):
    interval = flush_interval()
    redis = harness.redis_server(stack).start()
    with harness.throwaway_database(template_database) as db:
        env = harness.app_environment(database_url=db, redis_url=redis.url, var_dir=stack.var_dir)
        data = harness.setup_data(env, f"studying_learners({LEARNERS})")
        app = harness.gunicorn(stack, env)
        worker, beat = harness.celery_worker(stack, env), harness.celery_beat(stack, env)
        for service in (app, worker, beat):
            service.start()
        players = [Player(Browser(app.port), learner, data["courseware"], data["password"])
                   for learner in data["learners"]]  # fmt: skip
        stop, failures = threading.Event(), []
        threads = [threading.Thread(target=play, args=(p, stop, failures), daemon=True) for p in players]
        for thread in threads:
            thread.start()
        try:
            # Past at least one flush, then at a random moment within the next flush interval.
            time.sleep(interval + 2 + random.uniform(0, interval))
            killed_at = time.monotonic()
            app.kill()
            redis.kill()
            redis.start()  # the same port, empty
            app.start()
            down = time.monotonic() - killed_at
            credited_sql = (
                "SELECT SUM(p.credited) FROM learning_coursewareprogress p "
                "JOIN learning_enrollment e ON e.id = p.enrollment_id WHERE e.user_id = ANY(%s)"
            )
            users = [learner["user"] for learner in data["learners"]]
            [(at_restart,)] = harness.query(db, credited_sql, (users,))
            # Beat and the worker found the new Redis: the flush goes on without any pause or page view.
            harness.wait_for(
                lambda: harness.query(db, credited_sql, (users,))[0][0] > (at_restart or 0) + LEARNERS,
                timeout=2 * interval + 15,
                what="a flush after the restart",
                interval=0.5,
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        assert not failures, failures
        for player in players:  # pause: written to PostgreSQL at once
            if player.session is None:
                player.open()
            player.beat(playing=False)

        rows = dict(
            harness.query(
                db,
                "SELECT p.enrollment_id, p.credited FROM learning_coursewareprogress p "
                "WHERE p.enrollment_id = ANY(%s) AND p.courseware_id = %s",
                ([learner["enrollment"] for learner in data["learners"]], data["courseware"]),
            )
        )
        lost = []
        for player in players:
            credited = rows[player.learner["enrollment"]]
            lost.append(player.played - credited)
            print(
                f"[fault] learner {player.learner['user']}: played {player.played:6.1f} s, credited in PostgreSQL "
                f"{credited:6.1f} s, lost {player.played - credited:4.1f} s ({player.playbacks} playbacks, "
                f"{player.errors} heartbeats unanswered)"
            )
        print(
            f"[fault] app killed + Redis lost mid-heartbeats ({LEARNERS} learners, down {down:.1f} s, flush every "
            f"{interval:.0f} s): seconds lost per learner mean {statistics.mean(lost):.1f}, max {max(lost):.1f}, "
            f"min {min(lost):.1f}; credited never above played: {all(x >= -0.05 for x in lost)}"
        )
        for player, loss in zip(players, lost, strict=True):
            assert player.playbacks == 2, "each learner signed in again once (the sessions were in Redis)"
            assert loss >= -0.05, f"credited more than played: {player.learner}"
            assert loss <= interval + JITTER, f"lost more than one flush interval: {loss:.1f} s"
