"""Where a learner's current playback lives between heartbeats (DESIGN.md §9).

The heartbeat is the hottest request, so it neither reads nor writes PostgreSQL: the state it judges — the
current playback session and the progress of that session's courseware — is one JSON value per learner in
Redis, replaced by compare-and-set (two round trips, no locks). Changed learners are marked dirty; a Celery
beat task (`flush_playback_state`, every HEARTBEAT_FLUSH_SECONDS) writes their state to PostgreSQL in batches.
The rare moments that matter are written at once: a courseware finishing (the ledger), the first credit of a
class, a pause or close, a new playback (the old one is written first), a class page being opened.

If Redis loses the value (a crash, a flush), the state is rebuilt from PostgreSQL, which is at most one flush
behind: a crash costs at most one heartbeat's credit per learner. Writes to PostgreSQL never go backwards:
each progress carries a version and an older state never overwrites a newer row.

Without REDIS_URL (development, the SQLite test run) the same logic runs against an in-process store; a
deploy check refuses that in production, where several processes must share one state.
"""

import json
import threading
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction

# --- Stores: get the raw value and its decoded state; compare-and-set; the dirty set ----------------------

_CAS = """
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[4])
  return 1
end
return 0
"""


class RedisStore:
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self.dirty_key = f"{prefix}dirty"
        self._cas = self.client.register_script(_CAS)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}u:{user_id}"

    def get(self, user_id: int) -> tuple[str, dict | None]:
        raw = self.client.get(self.key(user_id))
        return (raw.decode(), json.loads(raw)) if raw else ("", None)

    def get_many(self, user_ids: list) -> list[dict]:
        if not user_ids:
            return []
        return [json.loads(raw) for raw in self.client.mget([self.key(u) for u in user_ids]) if raw]

    def cas(self, user_id: int, old_raw: str, state: dict) -> bool:
        """Store `state` if the value is still `old_raw` ('' = absent), and mark the learner dirty."""
        args = [old_raw, json.dumps(state, separators=(",", ":")), settings.HEARTBEAT_STATE_TTL, user_id]
        return bool(self._cas(keys=[self.key(user_id), self.dirty_key], args=args))

    def pop_dirty(self, count: int) -> list[int]:
        return [int(x) for x in self.client.spop(self.dirty_key, count) or []]

    def take_dirty(self, user_id: int) -> bool:
        return bool(self.client.srem(self.dirty_key, user_id))

    def clear(self):
        keys = list(self.client.scan_iter(match=f"{self.prefix}*", count=1000))
        if keys:
            self.client.delete(*keys)


class LocalStore:
    """The same contract in process memory, for development and tests without Redis."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[int, str] = {}
        self.dirty: set[int] = set()

    def get(self, user_id):
        raw = self.values.get(user_id, "")
        return raw, (json.loads(raw) if raw else None)

    def get_many(self, user_ids):
        return [json.loads(self.values[u]) for u in user_ids if u in self.values]

    def cas(self, user_id, old_raw, state):
        with self.lock:
            if self.values.get(user_id, "") != old_raw:
                return False
            self.values[user_id] = json.dumps(state, separators=(",", ":"))
            self.dirty.add(user_id)
            return True

    def pop_dirty(self, count):
        with self.lock:
            taken = list(self.dirty)[:count]
            self.dirty.difference_update(taken)
            return taken

    def take_dirty(self, user_id):
        with self.lock:
            present = user_id in self.dirty
            self.dirty.discard(user_id)
            return present

    def clear(self):
        with self.lock:
            self.values.clear()
            self.dirty.clear()


_store = None
_store_lock = threading.Lock()


def store():
    """The process's store, made on first use (after gunicorn forks, so each worker has its own pool)."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                url = settings.REDIS_URL
                _store = RedisStore(url, settings.HEARTBEAT_STATE_PREFIX) if url else LocalStore()
    return _store


# --- State <-> PostgreSQL ------------------------------------------------------------------------------------


def epoch(moment) -> float:
    return moment.timestamp()


def moment(seconds: float):
    return datetime.fromtimestamp(seconds, tz=UTC)


def state_for(session, progress, gates) -> dict:
    """The JSON state of a playback session and its courseware's progress (as PostgreSQL has them)."""
    return {
        "sid": str(session.id),
        "e": session.enrollment_id,
        "c": session.courseware_id,
        "d": session.courseware.duration,
        "seq": session.last_seq,
        "t": epoch(session.last_beat_at),
        "lp": session.last_position,
        "b": session.budget,
        "play": session.playing,
        "pid": progress.pk,
        "v": progress.version,
        "iv": progress.intervals,
        "cr": progress.credited,
        "pos": progress.position,
        "fin": epoch(progress.finished_at) if progress.finished_at else None,
        "gates": [[c.pk, c.position] for c in gates],
    }


def load(user_id: int) -> dict | None:
    """Rebuild a learner's state from PostgreSQL (after Redis lost it): their current playback, if any."""
    from .models import CoursewareProgress, EnrollmentStatus, PlaybackSession

    sessions = PlaybackSession.objects.select_related("courseware", "enrollment")
    session = sessions.filter(user_id=user_id, is_current=True).first()
    if session is None:
        return None
    progress = CoursewareProgress.objects.filter(enrollment_id=session.enrollment_id, courseware=session.courseware)
    progress = progress.first()
    if progress is None:
        return None
    state = state_for(session, progress, progress.checkpoints.filter(answered_at__isnull=True))
    # A class nobody has studied yet still moves to 学习中 on its first credit (and stays refundable until then).
    state["opened"] = session.enrollment.status == EnrollmentStatus.OPENED
    return state


def _update_many(model, fields: list[str], guard: str, rows: list[dict]) -> None:
    """UPDATE each row's `fields` where its `guard` column is still smaller than the new value: one statement
    sent for a whole batch (executemany), each row's values prepared by its own field for this database."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
    pk, guard_field = meta.pk, meta.get_field(guard)
    # Names are the model's own, quoted; every value is a parameter.
    table, pk_column, guard_column = (
        connection.ops.quote_name(n) for n in (meta.db_table, pk.column, guard_field.column)
    )
    sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s AND {guard_column} < %s"  # noqa: S608
    params = [
        [f.get_db_prep_value(row[f.name], connection) for f in columns]
        + [pk.get_db_prep_value(row["pk"], connection), guard_field.get_db_prep_value(row[guard], connection)]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def persist(states: list[dict]) -> None:
    """Write states to PostgreSQL: progress rows only forward (by version), session rows only forward (by
    seq); a newly finished courseware also gets its finished time and posts its hours to the ledger (once)."""
    from django.utils import timezone

    from .heartbeat import post_courseware_hours
    from .models import CoursewareProgress, PlaybackSession

    if not states:
        return
    now = timezone.now()
    progress = {s["pid"]: s for s in sorted(states, key=lambda s: s["v"])}  # the newest state of each
    sessions = {s["sid"]: s for s in sorted(states, key=lambda s: s["seq"])}
    progress_rows = [
        {"pk": pid, "version": s["v"], "intervals": s["iv"], "credited": s["cr"], "position": s["pos"],
         "watched": sum(b - a for a, b in s["iv"]), "updated_at": now}
        for pid, s in sorted(progress.items())
    ]  # fmt: skip
    session_rows = [
        {"pk": uuid.UUID(sid), "last_seq": s["seq"], "last_position": s["lp"], "budget": s["b"],
         "last_beat_at": moment(s["t"]), "playing": s["play"]}
        for sid, s in sorted(sessions.items())
    ]  # fmt: skip
    with transaction.atomic():
        _update_many(CoursewareProgress, ["version", "intervals", "credited", "watched", "position", "updated_at"],
                     "version", progress_rows)  # fmt: skip
        _update_many(PlaybackSession, ["last_seq", "last_position", "budget", "last_beat_at", "playing"],
                     "last_seq", session_rows)  # fmt: skip
        for pid, state in progress.items():
            if state["fin"]:
                done = CoursewareProgress.objects.filter(pk=pid, finished_at__isnull=True)
                if done.update(finished_at=moment(state["fin"])):  # only the first writer posts the hours
                    post_courseware_hours(CoursewareProgress.objects.get(pk=pid))


def flush(batch: int = 500) -> int:
    """Write every dirty learner's state to PostgreSQL; returns how many were written (the beat task)."""
    written = 0
    while user_ids := store().pop_dirty(batch):
        states = store().get_many(user_ids)
        persist(states)
        written += len(states)
    return written


def flush_user(user_id: int) -> None:
    """Before a page shows this learner's progress: write their state if it has unwritten changes."""
    if store().take_dirty(user_id):
        raw, state = store().get(user_id)
        if state:
            persist([state])
