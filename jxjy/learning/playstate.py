"""Where a learner's current playback lives between heartbeats (DESIGN.md §9).

The heartbeat is the hottest request, so it neither reads nor writes PostgreSQL: the state it judges — the
current playback session and the progress of that session's courseware, a `PlayState` — is one JSON value per
learner in Redis, replaced by compare-and-set (two round trips, no locks). Changed learners are marked dirty; a Celery
beat task (`flush_playback_state`, every HEARTBEAT_FLUSH_SECONDS) writes their state to PostgreSQL in batches.
The rare moments that matter are written at once: a courseware finishing (the ledger), the first credit of a
class, a pause or close, a new playback (the old one is written first), a class page being opened.

If Redis loses the value (a crash, a flush), the state is rebuilt from PostgreSQL, which is at most one flush
behind: losing Redis costs a learner at most the credit of one flush interval (measured with the app killed and
Redis lost together: 1–9 s, never more than was played; jxjy/tests_faults). Writes to PostgreSQL never go backwards:
each progress carries a version and an older state never overwrites a newer row.

The path to the ledger is crash-ordered (issue 13): a learner leaves the pending-write ("dirty") set only after
their state is committed, and only if it is still the value written; each learner's progress row, session row and
ledger posting commit together. A flush that dies halfway (the database gone, the process killed) has committed
nothing of the batch it was writing, and everyone in it is still dirty. One learner's state that PostgreSQL refuses
never blocks the others: the batch is written again one learner per savepoint, and the bad one is set aside.

Without REDIS_URL (development, the SQLite test run) the same logic runs against an in-process store; a
deploy check refuses that in production, where several processes must share one state.
"""

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from dataclasses import fields as fields_of
from datetime import UTC, datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from jxjy.lib.throttled_logging import ThrottledLogger

from . import evidence, services
from .models import CoursewareProgress, EnrollmentStatus, PlaybackSession

# A learner's state set aside is reported once (per learner, every ten minutes at most, across all workers).
held_log = ThrottledLogger(logging.getLogger(__name__), interval=600)

# --- The state ---------------------------------------------------------------------------------------------------


def stored_as(key: str, **options):
    """A PlayState field and its key in the stored value."""
    return field(metadata={"key": key}, **options)


@dataclass(slots=True)
class PlayState:
    """A learner's current playback between heartbeats: its session, the progress of its courseware, the questions
    still ahead. Times are server epoch seconds. `to_json` / `from_json` alone read and write the stored value, whose
    keys are short (it travels with every heartbeat)."""

    session: str = stored_as("sid")  # the PlaybackSession's id
    enrollment: int = stored_as("e")
    courseware: int = stored_as("c")
    duration: float = stored_as("d")  # the courseware's length in seconds
    seq: int = stored_as("seq")  # the last accepted heartbeat's number
    beat_at: float = stored_as("t")  # when it was accepted
    last_position: float = stored_as("lp")  # where the next credited stretch starts
    budget: float = stored_as("b")  # wall-clock seconds not yet spent on credit
    playing: bool = stored_as("play")  # the last heartbeat said "playing"
    progress: int = stored_as("pid")  # the CoursewareProgress's id
    version: int = stored_as("v")  # heartbeats applied to that progress: its writes only go forward
    intervals: list = stored_as("iv")  # merged watched intervals, [[start, end], …]
    credited: float = stored_as("cr")
    position: float = stored_as("pos")  # where the learner resumes
    finished: float | None = stored_as("fin")  # when the watched intervals first covered enough of it
    gates: list = stored_as("gates")  # the unanswered pop-up questions, [[checkpoint id, position], …] in order
    # The class is still 已开通 (nobody has studied it): the first credited time calls services.start_learning.
    opened: bool = stored_as("opened", default=False)
    # Why each second of this playback counted or not (evidence.py): counters written with the session row.
    tally: dict = stored_as("ty", default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({key: getattr(self, name) for name, key in _KEYS.items()}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> "PlayState":
        """The state a stored value holds; ValueError if it holds none (not JSON, or a value of another shape)."""
        try:
            value = json.loads(raw)
            return cls(**{name: value[key] for name, key in _KEYS.items() if key in value})
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a playback state: {exc}") from None

    @property
    def furthest(self) -> float:
        return max((end for _, end in self.intervals), default=0.0)


_KEYS = {f.name: f.metadata["key"] for f in fields_of(PlayState)}


# --- Stores: the learner's raw value and its decoded state; compare-and-set; the pending sets --------------------
#
# A learner is "dirty" from the heartbeat that changed their state until that very state is committed to PostgreSQL:
# the flush reads the dirty set without taking anything off it, writes, and only then takes off those whose value
# is still the one written (`clean`): a learner who beat again meanwhile stays dirty, and a write that failed (the
# database down, the process killed) leaves everyone dirty for the next flush. A state PostgreSQL refuses (a bad
# value) is moved to the "held" set (`hold`): reported once, tried again on its own by every flush, and out of the
# way of everyone else's batch.

_CAS = """
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[4])
  return 1
end
return 0
"""

# KEYS: dirty, held, then one state key per learner; ARGV: (user id, raw value written) per learner.
_CLEAN = """
local done = 0
for i = 3, #KEYS do
  local uid, raw = ARGV[2 * i - 5], ARGV[2 * i - 4]
  local current = redis.call('GET', KEYS[i])
  if (raw == '' and not current) or current == raw then
    done = done + redis.call('SREM', KEYS[1], uid) + redis.call('SREM', KEYS[2], uid)
  end
end
return done
"""

_HOLD = """
for i = 3, #KEYS do
  local uid, raw = ARGV[2 * i - 5], ARGV[2 * i - 4]
  if redis.call('GET', KEYS[i]) == raw then
    redis.call('SREM', KEYS[1], uid)
    redis.call('SADD', KEYS[2], uid)
  end
end
return 0
"""

# KEYS: dirty, the learner's state key; ARGV: user id. The raw value if the learner is dirty ('' if it expired).
_GET_IF_DIRTY = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return redis.call('GET', KEYS[2]) or ''
end
return false
"""


def _decode(raw: str) -> PlayState | None:
    try:
        return PlayState.from_json(raw) if raw else None
    except ValueError:  # not a state (another shape, or not ours): held like any state PostgreSQL refuses
        return None


class _Store:
    def cas(self, user_id: int, old_raw: str, state: PlayState) -> str:
        """Store `state` if the value is still `old_raw` ('' = absent), and mark the learner dirty; returns the
        raw value stored ('' if the value had changed)."""
        raw = state.to_json()
        return raw if self.replace(user_id, old_raw, raw) else ""


class RedisStore(_Store):
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.url = url
        self.prefix = prefix
        self.dirty_key = f"{prefix}dirty"
        self.held_key = f"{prefix}held"
        self._cas = self.client.register_script(_CAS)
        self._clean = self.client.register_script(_CLEAN)
        self._hold = self.client.register_script(_HOLD)
        self._get_if_dirty = self.client.register_script(_GET_IF_DIRTY)

    def key(self, user_id: int) -> str:
        return f"{self.prefix}u:{user_id}"

    def get(self, user_id: int) -> tuple[str, PlayState | None]:
        raw = self.client.get(self.key(user_id))
        return (raw.decode(), _decode(raw.decode())) if raw else ("", None)

    def decoded(self, raw: bytes | None) -> tuple[str, PlayState | None]:
        """(raw, state) of a value read by someone else (the heartbeat's fast path reads it in its own script)."""
        raw = raw.decode() if raw else ""
        return raw, _decode(raw)

    def get_many(self, user_ids: list) -> list[tuple[int, str, PlayState | None]]:
        """(user id, raw value, state) of each learner; '' and None for a value that expired."""
        if not user_ids:
            return []
        raws = [raw.decode() if raw else "" for raw in self.client.mget([self.key(u) for u in user_ids])]
        return [(u, raw, _decode(raw)) for u, raw in zip(user_ids, raws, strict=True)]

    def get_if_dirty(self, user_id: int) -> str | None:
        """The learner's raw value if they are dirty ('' if it expired), else None: one round trip."""
        raw = self._get_if_dirty(keys=[self.dirty_key, self.key(user_id)], args=[user_id])
        return None if raw is None else raw.decode()

    def replace(self, user_id: int, old_raw: str, raw: str) -> bool:
        """Store the raw value `raw` if the value is still `old_raw` ('' = absent), and mark the learner dirty."""
        args = [old_raw, raw, settings.HEARTBEAT_STATE_TTL, user_id]
        return bool(self._cas(keys=[self.key(user_id), self.dirty_key], args=args))

    def scan(self, which: str, count: int):
        """The dirty (or held) learners in lists of about `count`, each at most once; nobody is taken off."""
        key = self.held_key if which == "held" else self.dirty_key
        seen, chunk = set(), []
        for member in self.client.sscan_iter(key, count=count):
            user_id = int(member)
            if user_id not in seen:
                seen.add(user_id)
                chunk.append(user_id)
            if len(chunk) >= count:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def clean(self, written: list[tuple[int, str]]) -> int:
        """Take learners off the dirty and held sets whose value is still the raw value written."""
        if not written:
            return 0
        keys = [self.dirty_key, self.held_key, *(self.key(u) for u, _ in written)]
        return self._clean(keys=keys, args=[x for pair in written for x in pair])

    def hold(self, refused: list[tuple[int, str]]) -> None:
        """Move learners whose value PostgreSQL refused from the dirty set to the held set (if it is unchanged)."""
        if refused:
            keys = [self.dirty_key, self.held_key, *(self.key(u) for u, _ in refused)]
            self._hold(keys=keys, args=[x for pair in refused for x in pair])

    def held_ids(self) -> set[int]:
        return {int(x) for x in self.client.smembers(self.held_key)}

    def clear(self):
        keys = list(self.client.scan_iter(match=f"{self.prefix}*", count=1000))
        if keys:
            self.client.delete(*keys)


class LocalStore(_Store):
    """The same contract in process memory, for development and tests without Redis."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[int, str] = {}
        self.dirty: set[int] = set()
        self.held: set[int] = set()

    def get(self, user_id):
        raw = self.values.get(user_id, "")
        return raw, _decode(raw)

    def get_many(self, user_ids):
        with self.lock:
            return [(u, self.values.get(u, ""), _decode(self.values.get(u, ""))) for u in user_ids]

    def get_if_dirty(self, user_id):
        with self.lock:
            return self.values.get(user_id, "") if user_id in self.dirty else None

    def replace(self, user_id, old_raw, raw):
        with self.lock:
            if self.values.get(user_id, "") != old_raw:
                return False
            self.values[user_id] = raw
            self.dirty.add(user_id)
            return True

    def scan(self, which, count):
        with self.lock:
            members = sorted(self.held if which == "held" else self.dirty)
        for i in range(0, len(members), count):
            yield members[i : i + count]

    def clean(self, written):
        done = 0
        with self.lock:
            for user_id, raw in written:
                if self.values.get(user_id, "") == raw:
                    done += (user_id in self.dirty) + (user_id in self.held)
                    self.dirty.discard(user_id)
                    self.held.discard(user_id)
        return done

    def hold(self, refused):
        with self.lock:
            for user_id, raw in refused:
                if self.values.get(user_id, "") == raw:
                    self.dirty.discard(user_id)
                    self.held.add(user_id)

    def held_ids(self):
        with self.lock:
            return set(self.held)

    def clear(self):
        with self.lock:
            self.values.clear()
            self.dirty.clear()
            self.held.clear()


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


def state_for(session, progress, gates) -> PlayState:
    """The state of a playback session and its courseware's progress (as PostgreSQL has them)."""
    return PlayState(
        session=str(session.id),
        enrollment=session.enrollment_id,
        courseware=session.courseware_id,
        duration=session.courseware.duration,
        seq=session.last_seq,
        beat_at=epoch(session.last_beat_at),
        last_position=session.last_position,
        budget=session.budget,
        playing=session.playing,
        progress=progress.pk,
        version=progress.version,
        intervals=progress.intervals,
        credited=progress.credited,
        position=progress.position,
        finished=epoch(progress.finished_at) if progress.finished_at else None,
        gates=[[c.pk, c.position] for c in gates],
        # A class nobody has studied yet moves to 学习中 on its first credit (and stays refundable until then).
        opened=session.enrollment.status == EnrollmentStatus.OPENED,
        tally=evidence.tally_of(session),
    )


def load(user_id: int) -> PlayState | None:
    """Rebuild a learner's state from PostgreSQL (after Redis lost it): their current playback, if any."""
    sessions = PlaybackSession.objects.select_related("courseware", "enrollment")
    session = sessions.filter(user_id=user_id, is_current=True).first()
    if session is None:
        return None
    progress = CoursewareProgress.objects.filter(enrollment_id=session.enrollment_id, courseware=session.courseware)
    progress = progress.first()
    if progress is None:
        return None
    return state_for(session, progress, progress.checkpoints.filter(answered_at__isnull=True))


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


def persist(states: list[PlayState]) -> None:
    """Write states to PostgreSQL: progress rows only forward (by version), session rows only forward (by
    seq); a newly finished courseware also gets its finished time and posts its hours to the ledger (once)."""
    if not states:
        return
    now = timezone.now()
    progress = {s.progress: s for s in sorted(states, key=lambda s: s.version)}  # the newest state of each
    sessions = {s.session: s for s in sorted(states, key=lambda s: s.seq)}
    progress_rows = [
        {
            "pk": pid,
            "version": s.version,
            "intervals": s.intervals,
            "credited": s.credited,
            "position": s.position,
            "watched": sum(b - a for a, b in s.intervals),
            "updated_at": now,
        }
        for pid, s in sorted(progress.items())
    ]
    session_rows = [
        {
            "pk": uuid.UUID(sid),
            "last_seq": s.seq,
            "last_position": s.last_position,
            "budget": s.budget,
            "last_beat_at": moment(s.beat_at),
            "playing": s.playing,
            **evidence.row_of(s.tally),
        }
        for sid, s in sorted(sessions.items())
    ]
    with transaction.atomic():
        _update_many(
            CoursewareProgress,
            ["version", "intervals", "credited", "watched", "position", "updated_at"],
            "version",
            progress_rows,
        )
        _update_many(
            PlaybackSession,
            ["last_seq", "last_position", "budget", "last_beat_at", "playing", *evidence.COLUMNS.values()],
            "events",
            session_rows,
        )
        for pid, state in progress.items():
            if state.finished:
                done = CoursewareProgress.objects.filter(pk=pid, finished_at__isnull=True)
                if done.update(finished_at=moment(state.finished)):  # only the first writer posts the hours
                    services.post_courseware_hours(CoursewareProgress.objects.get(pk=pid))


# --- Flushing: crash-ordered, learner by learner when one is bad ------------------------------------------------

# The database is unreachable (down, restarting, the connection killed, a lock or statement timeout): nobody's write
# can succeed now, so the flush stops and everyone stays dirty for the next one.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def _write_one(state: PlayState | None) -> Exception | None:
    """Write one learner's state in a transaction of its own (a savepoint inside an outer one); returns the error if
    this state cannot be written (it is rolled back alone), raises if the database is unavailable."""
    if state is None:
        return ValueError("the stored value is not a playback state")
    try:
        with transaction.atomic():
            persist([state])
    except DATABASE_UNAVAILABLE:
        raise
    except Exception as exc:  # any fault of this one state (a value out of range, a state of another shape)
        return exc
    return None


def _report(user_id: int, error: Exception) -> None:
    held_log.warning(
        f"held:{user_id}",
        "playback state set aside user=%s: %s: %s (kept in the store, retried by every flush)",
        user_id,
        type(error).__name__,
        str(error)[:200],
    )


def _write(entries: list, *, retry: bool = False) -> int:
    """Write a batch of (user id, raw, state): all in one transaction, or — if that fails for any reason but an
    unavailable database — each in a savepoint of its own, so a bad one is held and the good ones commit. Only
    then are the written learners taken off the pending sets (if their value is still the one written)."""
    gone = [(user_id, raw) for user_id, raw, _ in entries if not raw]  # expired: nothing left to write
    entries = [entry for entry in entries if entry[1]]
    if not entries:
        store().clean(gone)
        return 0
    if not retry:
        try:
            with transaction.atomic():
                persist([state for _, _, state in entries])
        except DATABASE_UNAVAILABLE:
            raise
        except Exception:  # noqa: S110 - some state in the batch is bad: find it, one learner at a time
            pass
        else:
            store().clean(gone + [(user_id, raw) for user_id, raw, _ in entries])
            return len(entries)
    written, refused = [], []
    with transaction.atomic():
        for user_id, raw, state in entries:
            error = _write_one(state)
            if error is None:
                written.append((user_id, raw))
            else:
                refused.append((user_id, raw))
                if not retry:
                    _report(user_id, error)
    store().clean(gone + written)
    store().hold(refused)
    return len(written)


def flush(batch: int = 500) -> int:
    """Write every dirty learner's state to PostgreSQL; returns how many were written (the beat task). Learners
    set aside earlier are tried again first, each on its own. Must run outside a transaction: a learner is taken
    off the pending set as soon as the batch holding them has committed."""
    written = 0
    for which in ("held", "dirty"):
        for user_ids in store().scan(which, batch):
            written += _write(store().get_many(user_ids), retry=which == "held")
    return written


def flush_user(user_id: int) -> None:
    """Before a page shows this learner's progress: write their state if it has unwritten changes. A state that
    cannot be written is set aside (the page still shows what PostgreSQL has); an unavailable database raises."""
    raw = store().get_if_dirty(user_id)
    if raw is not None:
        _write([(user_id, raw, _decode(raw))])


def write_now(user_id: int, raw: str, state: PlayState) -> None:
    """The moments that matter (a pause, a finish, the first credit of a class): write this state at once and take
    the learner off the pending set if nothing changed meanwhile. If the database is unavailable the learner
    simply stays dirty: the flush writes them later, nothing is lost."""
    try:
        _write([(user_id, raw, state)])
    except DATABASE_UNAVAILABLE as exc:
        held_log.warning(
            "unavailable",
            "playback state left for the flush: database unavailable: %s: %s",
            type(exc).__name__,
            str(exc)[:200],
        )


def write_replaced(user_id: int, state: PlayState) -> None:
    """Write the state a new playback replaces (its unwritten time), inside the caller's transaction. One that
    cannot be written is reported and goes with the playback it belonged to; the new playback starts either way."""
    error = _write_one(state)
    if error is not None:
        _report(user_id, error)
