"""The flush's lag as bench/rush.py samples it: how far the PostgreSQL progress rows trail the playback state in
Redis. Runs in a thread beside the load, with Django set up (one MGET and one query a sample)."""

import json
import threading
import time


def oldest_unwritten(unwritten: dict, states: dict, stored: dict) -> float | None:
    """The beat time of the oldest playback state in Redis not yet in PostgreSQL (None: all written). `states`:
    user → (progress id, beat time, credited) now in Redis; `stored`: progress id → credited in PostgreSQL;
    `unwritten`: user → [(beat time, credited)] seen in earlier samples and not yet written, updated in place. A
    state is written once PostgreSQL's credited time reaches its own (credit only grows)."""
    oldest = None
    for user_id, (progress, beat_at, credited) in states.items():
        seen = unwritten.setdefault(user_id, [])
        if not seen or seen[-1][0] != beat_at:
            seen.append((beat_at, credited))
        seen[:] = [(t, c) for t, c in seen if c > stored.get(progress, 0.0) + 1e-6]
        if seen and (oldest is None or seen[0][0] < oldest):
            oldest = seen[0][0]
    return oldest


class LagSampler(threading.Thread):
    """Every `every` seconds: the dirty set's size and the age of the oldest playback state not yet in PostgreSQL.
    Each watcher's state in Redis is read (one MGET) with its credited time and the time of the heartbeat that made
    it; PostgreSQL's credited time of the same progress rows (one query). A state stays unwritten until PostgreSQL's
    credited time reaches its own; the lag is now minus the stamp of the oldest such state."""

    def __init__(self, redis_url: str, user_ids: list[int], prefix: str, every: float):
        super().__init__(daemon=True)
        self.redis_url, self.user_ids, self.prefix, self.every = redis_url, user_ids, prefix, every
        self.samples: list[tuple[float, int, float]] = []  # (time.monotonic(), dirty, lag seconds)
        self.unwritten: dict[int, list[tuple[float, float]]] = {}  # user → [(beat time, credited)] seen, unwritten
        self.stopping = threading.Event()
        self.failure = ""

    def sample(self, client) -> None:
        from jxjy.learning.models import CoursewareProgress

        dirty = client.scard(f"{self.prefix}dirty")
        states = {}
        for user_id, raw in zip(
            self.user_ids, client.mget([f"{self.prefix}u:{u}" for u in self.user_ids]), strict=True
        ):
            if raw:
                value = json.loads(raw)
                states[user_id] = (value["pid"], value["t"], value["cr"])
        stored = dict(
            CoursewareProgress.objects.filter(pk__in=[s[0] for s in states.values()]).values_list("pk", "credited")
        )
        now, oldest = time.time(), oldest_unwritten(self.unwritten, states, stored)
        self.samples.append((time.monotonic(), dirty, now - oldest if oldest is not None else 0.0))

    def run(self) -> None:
        import redis
        from django.db import connection

        client = redis.Redis.from_url(self.redis_url)
        try:
            while not self.stopping.wait(self.every):
                self.sample(client)
        except Exception as exc:  # noqa: BLE001 - reported with the figures, not lost in a thread
            self.failure = repr(exc)
        finally:
            client.close()
            connection.close()

    def between(self, start: float, end: float) -> list[tuple[float, int, float]]:
        return [s for s in self.samples if start <= s[0] <= end]
